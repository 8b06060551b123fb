/* The routes of cluster/: /admin/nodes..., /admin/tasks... and /agent/... */
#ifndef CLUSTER_HTTP_H
#define CLUSTER_HTTP_H

#include "http/http.h"

extern const struct http_route cluster_admin_routes[];
extern const struct http_route cluster_agent_routes[];

#endif
