/* registry: services and their endpoints (design.md 3.2, 6.3, 9.3, 14.2). Agent
 * endpoints are reported by nodes and expire without refresh; static ones
 * are managed by admins for external backends. Every change bumps one
 * change index; reads can block until it passes a value (Consul style). */
#ifndef REGISTRY_H
#define REGISTRY_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/pg_call.h"
#include "common/pg_err.h"
#include "common/pg_wake.h"

struct store;
struct cluster;
struct registry;

/* Starts the registry (its expiry sweeper included). cluster gives node
 * addresses for agent reports; wake (key 0) tells blocking readers of a
 * change. */
int registry_new(struct store *s, struct cluster *cl, const struct pg_wake *wake,
                 struct registry **out, struct pg_err *err);
void registry_free(struct registry *r);

/* The current change index. */
int64_t registry_index(struct registry *r);
/* A node went offline (its agent endpoints become unhealthy) or online. */
void registry_node_status(struct registry *r, int64_t node_id, bool online);

/* Creates or updates a service from spec ({name, protocol, port, healthCheck,
 * metadata}); *out is the service (new reference). */
int registry_service_put(struct registry *r, const struct pg_call *call, json_t *spec,
                         bool create_only, json_t **out, struct pg_err *err);
/* The admin use cases (registry_admin.c). update: the service in the path
 * must exist and the body's name, if any, match it; list: every service
 * (and, index non-NULL, the change index they reflect); static_put: a
 * static endpoint, created when eid is 0, else changed (only the fields the
 * body names); deletes audit what they removed. */
int registry_service_update(struct registry *r, const struct pg_call *call, const char *name,
                            json_t *body, json_t **out, struct pg_err *err);
int registry_service_list(struct registry *r, json_t **out, int64_t *index, struct pg_err *err);
int registry_service_get(struct registry *r, const char *name, json_t **out, struct pg_err *err);
int registry_service_delete(struct registry *r, const struct pg_call *call, const char *name,
                            struct pg_err *err);
int registry_static_put(struct registry *r, const struct pg_call *call, const char *service,
                        int64_t eid, json_t *body, json_t **out, struct pg_err *err);
int registry_endpoint_delete(struct registry *r, const struct pg_call *call, const char *service,
                             int64_t eid, struct pg_err *err);

/* The endpoints of a service, sorted by node then ip:port; *index is the
 * change index they reflect. */
int registry_endpoints(struct registry *r, const char *service, bool healthy_only, json_t **items,
                       int64_t *index, struct pg_err *err);
/* Replaces a node's agent endpoints with the reported set
 * ([{service, port, health, weight?, version?, ttlSec?, note?}]). */
int registry_agent_report(struct registry *r, const struct pg_call *call, int64_t node_id,
                          json_t *endpoints, struct pg_err *err);

#endif
