/* The routes of ssl/: /admin/certificates... and the HTTP-01 responder. */
#ifndef SSL_HTTP_H
#define SSL_HTTP_H

#include "http/http.h"

extern const struct http_route ssl_routes[];

#endif
