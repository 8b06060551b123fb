/* The routes of cluster/: /admin/nodes..., /admin/tasks... and /agent/... */
#ifndef CLUSTER_HTTP_H
#define CLUSTER_HTTP_H

#include "http/http.h"

extern const struct http_route cluster_admin_routes[];
extern const struct http_route cluster_agent_routes[];

/* Checks body.nodeId against the agent token's node; answers 400/403 and
 * returns false on a mismatch. */
bool cluster_http_own_node(struct http_req *req);

#endif
