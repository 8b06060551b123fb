/* GET /metrics in the Prometheus text format. */
#ifndef METRICS_HTTP_H
#define METRICS_HTTP_H

#include "http/http.h"

/* Behind admin:metrics:read, or public (--metrics-public). */
extern const struct http_route metrics_routes[];
extern const struct http_route metrics_public_routes[];

#endif
