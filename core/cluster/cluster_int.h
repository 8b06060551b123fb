/* Private to cluster/: shared state and the DAO. */
#ifndef CLUSTER_INT_H
#define CLUSTER_INT_H

#include <pthread.h>

#include "auth/auth.h"
#include "cluster/cluster.h"
#include "common/pg_map.h"

struct http_req;

/* What pagodad knows of a node between store flushes. */
struct node_live {
	int64_t last_heartbeat_ms; /* wall clock */
	bool online;
	bool dirty;  /* facts/last heartbeat not yet flushed */
	bool seen;   /* found by the last cluster_live_sync */
	char *facts; /* JSON text */
	char *agent_version;
	char *capabilities;
	int64_t sampled_minute; /* the last minute its history got a point for */
};

struct http_waitset;

struct cluster {
	struct store *store;
	struct cluster_opts opts;
	pthread_mutex_t lock; /* guards nodes and wakeups */
	struct pg_map *nodes; /* node id -> struct node_live */
	pthread_t timer;
	pthread_mutex_t timer_lock;
	pthread_cond_t timer_cond;
	bool stopping;
	/* scheduled wakeups after retry backoff */
	struct wakeup {
		int64_t node_id, at_ms;
	} * wakeups;
	size_t nwakeups, capwakeups;
};

/* Node liveness (cluster_node_svc.c). */
void cluster_live_tick(struct cluster *cl);
void cluster_live_flush(struct cluster *cl);
void cluster_live_overlay(struct cluster *cl, int64_t node_id, json_t *node);
void cluster_live_forget(struct cluster *cl, int64_t node_id);
void cluster_live_free_all(struct cluster *cl);
void cluster_live_add(struct cluster *cl, int64_t node_id);
/* Whether a heartbeat with caps (may be NULL) of node_id would write to
 * the store (the node comes online, or its capabilities changed): such a
 * heartbeat is worth a place in a group commit (every agent's first one
 * after a restart, ten thousand at once). */
bool cluster_live_heartbeat_writes(struct cluster *cl, int64_t node_id, json_t *caps);
int cluster_live_heartbeat(struct cluster *cl, const struct pg_call *call, int64_t node_id,
                           const char *agent_version, json_t *caps, json_t *facts,
                           struct pg_err *err);
int cluster_live_load(struct cluster *cl, struct pg_err *err);

/* A node's machine history (cluster_history.c). */
/* Records facts_text (a heartbeat's facts, may be NULL) as node_id's point
 * of at_ms's minute and ten minutes, when those have none yet. */
int cluster_history_record(struct store_conn *c, int64_t node_id, int64_t at_ms,
                           const char *facts_text, struct pg_err *err);
/* Drops points older than their resolution keeps (a day, a week). */
int cluster_history_prune(struct store_conn *c, int64_t now_ms, struct pg_err *err);
int cluster_history_forget(struct store_conn *c, int64_t node_id, struct pg_err *err);
/* {resolutionSec, points: [{at, cpuBusy, load1, cpuCount, memUsed, diskUsed}]}
 * of the last day (a point a minute) or week (every ten minutes). */
int cluster_history_get(struct store_conn *c, int64_t node_id, bool week, json_t **out,
                        struct pg_err *err);

/* Node operations (cluster_node_svc.c). Each runs one transaction with its
 * audit event. Create and rotate fill secret with the new agent token. */
int cluster_node_create(struct cluster *cl, const struct pg_call *call, json_t *body, json_t **out,
                        char secret[AUTH_SECRET_LEN], struct pg_err *err);
/* Join tokens (POST /admin/join-tokens) and the exchange an agent makes
 * with one (POST /agent/join): a node named by the agent, at the address
 * it gives or is seen from, labelled as the token says. */
int cluster_join_token_create(struct cluster *cl, const struct pg_call *call, int64_t created_by,
                              json_t *body, json_t **out, char secret[AUTH_SECRET_LEN],
                              struct pg_err *err);
int cluster_join_token_list(struct cluster *cl, json_t *items, struct pg_err *err);
int cluster_join_token_revoke(struct cluster *cl, const struct pg_call *call, int64_t id,
                              struct pg_err *err);
/* Whether body's joinToken can still join, for installers that check
 * before they change anything. */
int cluster_node_join_check(struct cluster *cl, json_t *body, struct pg_err *err);
int cluster_node_join(struct cluster *cl, const struct pg_call *call, json_t *body,
                      const char *source_ip, json_t **out, char secret[AUTH_SECRET_LEN],
                      struct pg_err *err);
int cluster_node_update(struct cluster *cl, const struct pg_call *call, int64_t id, json_t *body,
                        json_t **out, struct pg_err *err);
int cluster_node_cordon(struct cluster *cl, const struct pg_call *call, int64_t id, bool cordon,
                        json_t **out, struct pg_err *err);
int cluster_node_delete(struct cluster *cl, const struct pg_call *call, int64_t id,
                        struct pg_err *err);
int cluster_node_rotate(struct cluster *cl, const struct pg_call *call, int64_t id,
                        int64_t grace_ms, char secret[AUTH_SECRET_LEN], struct pg_err *err);
/* Nodes after cursor matching status and selector (both optional). */
int cluster_node_list(struct cluster *cl, int64_t cursor, int64_t limit, const char *status,
                      const struct cluster_selector *sel, json_t *items, int64_t *next,
                      struct pg_err *err);

/* Shared stores: liveness other replicas stored (cluster_node_svc.c). */
void cluster_live_sync(struct cluster *cl);
void cluster_on_wake_notice(void *arg, const char *payload);

/* Task queue internals (cluster_task_svc.c). */
void cluster_task_reap(struct cluster *cl);
void cluster_wake_at(struct cluster *cl, int64_t node_id, int64_t at_ms);
void cluster_wake_due(struct cluster *cl);
/* Cancels a node's unfinished tasks (inside the caller's transaction). */
int cluster_task_cancel_node(struct store_conn *c, const struct pg_call *call, int64_t node_id,
                             struct pg_err *err);
/* 1 when cluster_task_claim would hand node_id a task now, 0 when not,
 * a negative PG_E* code (err filled) on failure. Reads only. */
int cluster_task_ready(struct cluster *cl, int64_t node_id, json_t *running_ids,
                       struct pg_err *err);
/* Claims up to max deliverable tasks for node into tasks (agent shape). */
int cluster_task_claim(struct cluster *cl, int64_t node_id, int64_t max, json_t *running_ids,
                       json_t *tasks, struct pg_err *err);
int cluster_task_report(struct cluster *cl, const struct pg_call *call, int64_t node_id,
                        json_t *report, json_t **out, struct pg_err *err);

/* Node DAO (cluster_node_store.c). */
#define NODE_VIEW_COLS                                                                             \
	"id, name, ip, labels, agent_status, cordoned, capabilities, facts, agent_version,"        \
	" last_heartbeat_at, created_at, updated_at"
struct store_stmt;
json_t *cluster_node_row(struct store_stmt *st);
int cluster_node_store_get(struct store_conn *c, int64_t id, json_t **out, struct pg_err *err);
int cluster_node_store_insert(struct store_conn *c, const char *name, const char *ip,
                              const char *labels, int64_t *id, struct pg_err *err);
int cluster_node_store_update(struct store_conn *c, int64_t id, const char *name, const char *ip,
                              const char *labels, struct pg_err *err);
int cluster_node_store_set_cordoned(struct store_conn *c, int64_t id, bool cordoned,
                                    struct pg_err *err);
/* Rows changed (0: the node had that status already), or negative. */
int cluster_node_store_set_status(struct store_conn *c, int64_t id, const char *status,
                                  int64_t last_hb, struct pg_err *err);
int cluster_node_store_set_heartbeat(struct store_conn *c, int64_t id, int64_t last_hb,
                                     const char *facts, const char *agent_version, const char *caps,
                                     struct pg_err *err);
/* Calls fn for every node with its stored liveness. */
int cluster_node_store_scan(struct store_conn *c,
                            void (*fn)(int64_t id, bool online, int64_t last_hb, void *arg),
                            void *arg, struct pg_err *err);
int cluster_node_store_delete(struct store_conn *c, int64_t id, struct pg_err *err);
/* Nodes with id > after and the status filter ("online", "offline",
 * "cordoned" or NULL), oldest first, at most limit. */
int cluster_node_store_list(struct store_conn *c, int64_t after, const char *status, int64_t limit,
                            json_t *items, struct pg_err *err);

/* Task DAO (cluster_task_store.c). */
struct id_list {
	int64_t *v;
	size_t n, cap;
};
int id_list_push(struct id_list *l, int64_t id);
void id_list_free(struct id_list *l);

struct task_state {
	int64_t id, node_id, attempt, max_retries, timeout_sec;
	char status[16];
	char type[32];
};

struct task_row_in {
	int64_t node_id, timeout_sec, max_retries;
	const char *type, *payload, *idempotency_key, *trace_id, *created_by, *owner;
};

struct task_outcome {
	const char *status; /* succeeded, failed, cancelled */
	const char *error, *out, *errout, *result;
	int64_t exit_code; /* INT64_MIN: none */
};

struct task_filter {
	int64_t node_id;
	const char *status, *type, *trace_id;
	int64_t before_id, limit;
};

int cluster_task_list(struct cluster *cl, const struct task_filter *f, json_t *items, int64_t *next,
                      struct pg_err *err);
int task_store_insert(struct store_conn *c, const struct task_row_in *in, int64_t *id,
                      struct pg_err *err);
int task_store_find_idem(struct store_conn *c, int64_t node_id, const char *key, int64_t *id,
                         struct pg_err *err);
int task_store_add_dep(struct store_conn *c, int64_t task_id, int64_t dep_id, struct pg_err *err);
int task_store_state(struct store_conn *c, int64_t id, struct task_state *out, struct pg_err *err);
/* The admin view (full adds payload, stdout and stderr). */
int task_store_view(struct store_conn *c, int64_t id, bool full, json_t **out, struct pg_err *err);
int task_store_list(struct store_conn *c, const struct task_filter *f, json_t *items, int64_t *next,
                    struct pg_err *err);
/* The agent's view of a task, as delivered by poll. */
int task_store_delivery(struct store_conn *c, int64_t id, json_t **out, struct pg_err *err);
int task_store_claimable(struct store_conn *c, int64_t node_id, int64_t now, int64_t limit,
                         struct id_list *out, struct pg_err *err);
int task_store_running_of_node(struct store_conn *c, int64_t node_id, struct id_list *out,
                               struct pg_err *err);
int task_store_deliver(struct store_conn *c, int64_t id, bool new_attempt, int64_t now,
                       int64_t lease_until, struct pg_err *err);
int task_store_set_running(struct store_conn *c, int64_t id, int64_t now, int64_t lease_until,
                           struct pg_err *err);
int task_store_finish(struct store_conn *c, int64_t id, const struct task_outcome *o, int64_t now,
                      struct pg_err *err);
int task_store_requeue(struct store_conn *c, int64_t id, int64_t next_at, const char *error,
                       struct pg_err *err);
int task_store_expired(struct store_conn *c, int64_t now, struct id_list *out, struct pg_err *err);
/* Unfinished (pending or running) tasks that depend on id. */
int task_store_dependents(struct store_conn *c, int64_t id, struct id_list *out,
                          struct pg_err *err);
int task_store_last_payload(struct store_conn *c, int64_t node_id, const char *type,
                            const char *field, const char *value, json_t **out, struct pg_err *err);
/* A finished task for the on_task_done hook; free with cluster_task_done_clear. */
int task_store_done_view(struct store_conn *c, int64_t id, struct cluster_task_done *d,
                         struct pg_err *err);
int task_store_count_unfinished(struct store_conn *c, int64_t node_id, const char *owner,
                                int64_t *count, struct pg_err *err);
int task_store_counts(struct store_conn *c, json_t *items, struct pg_err *err);
int task_store_unfinished_of_node(struct store_conn *c, int64_t node_id, struct id_list *out,
                                  struct pg_err *err);

#endif
