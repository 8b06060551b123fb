/* Private to registry/. */
#ifndef REGISTRY_INT_H
#define REGISTRY_INT_H

#include <pthread.h>

#include "registry/registry.h"

struct store_conn;
struct http_waitset;

struct pg_ticker;

struct registry {
	struct store *store;
	struct cluster *cluster;
	struct pg_wake wake; /* key 0: any change */
	pthread_mutex_t lock;
	int64_t index;             /* mirror of registry_meta.change_index */
	struct pg_ticker *sweeper; /* agent endpoint expiry, every second */
};

/* After a commit that bumped the index to idx: wake blocking queries. */
void registry_changed(struct registry *r, int64_t idx);

/* DAO (registry_store.c). Endpoint/service rows come out as API objects. */
struct reg_endpoint_in {
	int64_t service_id, node_id, port, weight, ttl_sec, last_seen;
	const char *ip, *health, *note, *version, *source, *metadata;
};

int reg_bump(struct store_conn *c, int64_t *idx, struct pg_err *err);
int reg_index(struct store_conn *c, int64_t *idx, struct pg_err *err);
int reg_service_insert(struct store_conn *c, const char *name, const char *protocol, int64_t port,
                       const char *hc, const char *md, int64_t idx, int64_t *id,
                       struct pg_err *err);
int reg_service_update(struct store_conn *c, int64_t id, const char *protocol, int64_t port,
                       const char *hc, const char *md, int64_t idx, struct pg_err *err);
/* *out (may be NULL) gets the service object; *id its id; PG_ENOTFOUND when none. */
int reg_service_get(struct store_conn *c, const char *name, json_t **out, int64_t *id,
                    struct pg_err *err);
int reg_service_list(struct store_conn *c, json_t *items, struct pg_err *err);
int reg_service_delete(struct store_conn *c, int64_t id, struct pg_err *err);
/* Inserts or updates the endpoint (service_id, ip, port). *changed tells
 * whether anything but last_seen differs (an index bump is due). */
int reg_endpoint_put(struct store_conn *c, const struct reg_endpoint_in *in, int64_t idx,
                     int64_t *id, bool *changed, struct pg_err *err);
/* The id of the endpoint (service_id, ip, port), or 0. */
int reg_endpoint_find(struct store_conn *c, int64_t service_id, const char *ip, int64_t port,
                      int64_t *id, struct pg_err *err);
int reg_endpoint_list(struct store_conn *c, int64_t service_id, bool healthy_only, json_t *items,
                      struct pg_err *err);
int reg_endpoint_get(struct store_conn *c, int64_t id, json_t **out, struct pg_err *err);
int reg_endpoint_delete(struct store_conn *c, int64_t id, struct pg_err *err);
/* Agent endpoints of a node: [{id, serviceId, ip, port}]. */
int reg_node_endpoints(struct store_conn *c, int64_t node_id, json_t *items, struct pg_err *err);
/* Agent endpoints whose TTL ran out at now: ids into items. */
int reg_expired(struct store_conn *c, int64_t now, json_t *items, struct pg_err *err);
/* Sets the health of a node's agent endpoints; returns rows changed. */
int reg_node_health(struct store_conn *c, int64_t node_id, const char *health, const char *note,
                    int64_t idx, struct pg_err *err);

#endif
