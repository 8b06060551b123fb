/* The routes of auth/: POST/GET /admin/tokens, DELETE /admin/tokens/:id. */
#ifndef AUTH_HTTP_H
#define AUTH_HTTP_H

#include "http/http.h"

extern const struct http_route auth_routes[];

#endif
