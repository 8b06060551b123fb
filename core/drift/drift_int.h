/* Private to drift/. */
#ifndef DRIFT_INT_H
#define DRIFT_INT_H

#include <pthread.h>
#include <stdbool.h>

#include "drift/drift.h"

struct store_arg;
struct pg_ticker;

struct drift {
	struct store *store;
	struct cluster *cluster;
	struct plua *lua;
	struct drift_owners owners;
	int64_t sweep_ms;
	struct pg_ticker *ticker;
	pthread_mutex_t eval_lock;
};

/* ---- DAO (drift_store.c) ---- */
int drift_desired_put(struct store_conn *c, int64_t node, const char *item, const char *owner,
                      json_t *expect, int64_t task_id, struct pg_err *err);
/* Rows as [{nodeId, item, owner, expect, taskId, updatedAt}]. */
int drift_desired_of_node(struct store_conn *c, int64_t node, json_t *items, struct pg_err *err);
int drift_desired_of_owner(struct store_conn *c, const char *owner, json_t *items,
                           struct pg_err *err);
/* Forgets the desired state and verdicts of an owner that is gone. */
int drift_forget_owner(struct store_conn *c, const char *owner, struct pg_err *err);
int drift_report_put(struct store_conn *c, int64_t node, json_t *report, struct pg_err *err);
/* *report NULL when the node never reported. */
int drift_report_get(struct store_conn *c, int64_t node, json_t **report, int64_t *at,
                     struct pg_err *err);
/* {nodeId, owner, status, drift, heals, decision, since, sinceMs} or NULL. */
int drift_verdict_get(struct store_conn *c, int64_t node, const char *owner, json_t **out,
                      struct pg_err *err);
int drift_verdict_put(struct store_conn *c, int64_t node, const char *owner, const char *status,
                      json_t *details, int64_t since, json_t *heals, json_t *decision,
                      struct pg_err *err);
/* Nodes with a verdict other than converged: judged again by the sweep. */
int drift_unsettled_nodes(struct store_conn *c, json_t *ids, struct pg_err *err);
int drift_verdict_list(struct store_conn *c, const char *status, json_t *items, struct pg_err *err);

#endif
