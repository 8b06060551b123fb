/* The routes of alert/: /admin/alerts and /admin/alert-rules. */
#ifndef ALERT_HTTP_H
#define ALERT_HTTP_H

#include "http/http.h"

extern const struct http_route alert_routes[];

#endif
