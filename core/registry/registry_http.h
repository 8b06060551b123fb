/* The routes of registry/: /admin/registry/..., /api/registry/... and
 * POST /agent/endpoints. */
#ifndef REGISTRY_HTTP_H
#define REGISTRY_HTTP_H

#include "http/http.h"

extern const struct http_route registry_routes[];

#endif
