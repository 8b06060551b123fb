/* The routes of application/: /admin/apps..., /admin/ingresses/...,
 * /admin/releases/... */
#ifndef APP_HTTP_H
#define APP_HTTP_H

#include "http/http.h"

extern const struct http_route app_routes[];

#endif
