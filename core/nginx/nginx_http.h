/* The routes of nginx/: POST /admin/nginx/sites/render. */
#ifndef NGINX_HTTP_H
#define NGINX_HTTP_H

#include "http/http.h"

extern const struct http_route nginx_routes[];

#endif
