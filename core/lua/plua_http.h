/* The routes of lua/: GET /admin/policies, POST /admin/policies/reload. */
#ifndef PLUA_HTTP_H
#define PLUA_HTTP_H

#include "http/http.h"

extern const struct http_route plua_routes[];

#endif
