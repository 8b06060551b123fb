/* Private to alert/. */
#ifndef ALERT_INT_H
#define ALERT_INT_H

#include <pthread.h>
#include <stdbool.h>

#include "alert/alert.h"
#include "common/pg_secret.h"

struct store_conn;
struct pg_ticker;

struct alert {
	struct store *store;
	struct cluster *cluster;
	struct drift *drift;
	struct plua *lua;
	struct pg_secret_key key;
	struct alert_opts opts;
	struct pg_ticker *ticker;
	pthread_mutex_t tick_lock; /* one evaluation at a time */
	volatile bool stopping;
};

/* ---- channels (alert_svc.c, alert_channels.c) ---- */
/* Checks one inline channel {plugin, config, severities?, template?}. */
int alert_channel_check(struct alert *a, json_t *ch, struct pg_err *err);
/* Sends one message through ch (index idx of its list); *res: the plugin's answer. */
int alert_notify_send(struct alert *a, json_t *ch, size_t idx, const char *event, json_t *al,
                      json_t **res, struct pg_err *err);
/* The alert a test message carries, and one test send as a result row. */
json_t *alert_test_alert(const char *rule);
json_t *alert_test_send(struct alert *a, json_t *ch, size_t idx, json_t *al);
/* A rule row's notify list, opened (new reference). */
json_t *alert_rule_channels(struct alert *a, json_t *rule);
/* notify (stolen) with each {channel: NAME} replaced by the named channel,
 * opened; a channel gone since is kept in place, never routed. */
json_t *alert_channels_expand(struct alert *a, struct store_conn *c, json_t *notify);

/* ---- DAO (alert_store.c) ---- */
/* Named channels: {name, spec, createdAt, updatedAt}. */
int alert_channel_store_put(struct store_conn *c, const char *name, json_t *spec,
                            struct pg_err *err);
int alert_channel_store_list(struct store_conn *c, json_t *items, struct pg_err *err);
int alert_channel_store_get(struct store_conn *c, const char *name, json_t **out,
                            struct pg_err *err);
int alert_channel_store_delete(struct store_conn *c, const char *name, struct pg_err *err);
/* [{name, enabled, params, notifySealed}] */
int alert_store_rules(struct store_conn *c, json_t *items, struct pg_err *err);
int alert_store_rule_put(struct store_conn *c, const char *name, bool enabled, json_t *params,
                         const char *notify_sealed, struct pg_err *err);
/* Firing alerts of rule: [{id, subject}]. */
int alert_store_firing(struct store_conn *c, const char *rule, json_t *items, struct pg_err *err);
int alert_store_insert(struct store_conn *c, const char *rule, json_t *cond, int64_t *id,
                       struct pg_err *err);
int alert_store_resolve(struct store_conn *c, int64_t id, struct pg_err *err);
int alert_store_list(struct store_conn *c, const char *status, const char *rule, int64_t before,
                     int64_t limit, json_t *items, struct pg_err *err);
int alert_store_get(struct store_conn *c, int64_t id, json_t **out, struct pg_err *err);
int alert_store_ack(struct store_conn *c, int64_t id, const char *who, struct pg_err *err);
int alert_delivery_insert(struct store_conn *c, int64_t alert_id, const char *event,
                          int64_t channel, const char *plugin, struct pg_err *err);
/* Pending deliveries due at now: [{id, alertId, event, channel, plugin, attempts, rule}]. */
int alert_delivery_due(struct store_conn *c, int64_t now, json_t *items, struct pg_err *err);
int alert_delivery_set(struct store_conn *c, int64_t id, const char *status, int64_t attempts,
                       int64_t next_at, const char *error, struct pg_err *err);
int alert_delivery_of(struct store_conn *c, int64_t alert_id, json_t *items, struct pg_err *err);

#endif
