/* The routes of drift/: POST /agent/state and the status views. */
#ifndef DRIFT_HTTP_H
#define DRIFT_HTTP_H

#include "http/http.h"

extern const struct http_route drift_routes[];

#endif
