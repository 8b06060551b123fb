/* The routes of audit/: GET /admin/audit with filters actor, action,
 * targetType, targetId, traceId, since, until, limit, cursor. */
#ifndef AUDIT_HTTP_H
#define AUDIT_HTTP_H

#include "http/http.h"

extern const struct http_route audit_routes[];

#endif
