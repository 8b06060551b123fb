/* cluster: nodes, agent tokens, heartbeats and the task queue. This header
 * is the only door other components use. */
#ifndef CLUSTER_H
#define CLUSTER_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/pg_call.h"
#include "common/pg_err.h"
#include "common/pg_wake.h"

struct store;
struct store_conn;
struct cluster;

/* A task that just finished, as the on_task_done hook sees it. */
struct cluster_task_done {
	int64_t task_id, node_id, created_at, started_at, finished_at, timeout_sec, max_retries;
	char type[32], status[16], owner[64];
	json_t *payload, *artifacts; /* owned by the caller of the hook */
};

struct cluster_opts {
	int64_t heartbeat_interval_ms; /* told to agents; see cluster_offline_after_ms */
	int64_t poll_wait_max_ms;      /* longest a long poll is held */
	int64_t lease_grace_ms;        /* added to a task's timeout for its lease */
	int64_t retry_backoff_ms;      /* first retry delay, doubled per attempt */
	int64_t retry_backoff_max_ms;
	int64_t heartbeat_flush_ms; /* how often heartbeat facts reach the store */
	/* Wakes the long polls of a node (key: node id) when it has work. */
	struct pg_wake wake;
	/* Told after a node's online/offline change is stored (optional). */
	void (*on_node_status)(void *arg, int64_t node_id, bool online);
	void *on_node_status_arg;
	/* Opens a sealed payload value at delivery (keyPemSealed + sealContext
	 * of DeployCertificate, contentSealed of a secret file): secrets stay
	 * sealed in the task table and its journal. */
	int (*unseal)(void *arg, const char *sealed, const char *context, char **plain,
	              struct pg_err *err);
	void *unseal_arg;
	/* Seals a secret before it is stored in a task row (the content of an
	 * ApplyConfigFiles file marked secret); arg is unseal_arg. */
	int (*seal)(void *arg, const char *plain, const char *context, char **sealed,
	            struct pg_err *err);
	/* Told inside the reporting transaction when a task succeeds or fails
	 * for good; an error rolls the report back (optional). */
	int (*on_task_done)(void *arg, struct store_conn *c, const struct cluster_task_done *d,
	                    struct pg_err *err);
	void *on_task_done_arg;
	/* Told after the commit that finished a task, with its owner ("" for
	 * none): a release waiting on it can move on at once (optional). */
	void (*on_task_settled)(void *arg, const char *owner);
	void *on_task_settled_arg;
};

void cluster_opts_default(struct cluster_opts *o);
/* How long a node may be silent before it is offline: two and a half
 * heartbeat intervals (two lost heartbeats tolerated; a dead node noticed
 * within 26 s at the default 10 s with the one-second check), plus, with
 * replicas, the time a heartbeat through another replica takes to be seen
 * (its flush, half an interval, and the one-second sync). */
int64_t cluster_offline_after_ms(const struct cluster *cl);
/* Loads node liveness from the store and starts the cluster's timer thread. */
int cluster_new(struct store *s, const struct cluster_opts *o, struct cluster **out,
                struct pg_err *err);
void cluster_free(struct cluster *cl);

/* A node as the admin API shows it (new reference). */
int cluster_node_get(struct cluster *cl, int64_t id, json_t **out, struct pg_err *err);
/* The node's machine history of the last day (range NULL or "day": a point
 * a minute) or "week" (every ten minutes): {resolutionSec, points}. */
int cluster_node_history(struct cluster *cl, int64_t id, const char *range, json_t **out,
                         struct pg_err *err);
/* Every node matching selector (NULL: all) as the admin API shows them. */
int cluster_nodes_select(struct cluster *cl, const char *selector, json_t **nodes,
                         struct pg_err *err);
/* Cancels a pending or running task (audited as call). */
int cluster_task_cancel(struct cluster *cl, const struct pg_call *call, int64_t id,
                        struct pg_err *err);
/* The same inside the caller's write transaction; a task already finished
 * is left alone (0). */
int cluster_task_cancel_in(struct store_conn *c, const struct pg_call *call, int64_t id,
                           struct pg_err *err);
/* A node's registered address (ip is at least 46 bytes). */
int cluster_node_ip(struct cluster *cl, int64_t node_id, char *ip, size_t len, struct pg_err *err);

/* Task types (design.md 13.4, plus RunCommand). */
extern const char *const cluster_task_types[];

/* A task to queue. payload is borrowed. */
struct cluster_task_spec {
	int64_t node_id;
	const char *type;
	json_t *payload;
	int64_t timeout_sec; /* 0: default 300 */
	int64_t max_retries; /* -1: default 3 */
	const int64_t *depends_on;
	size_t ndeps;
	const char *idempotency_key; /* NULL: none */
	const char *owner;           /* who it works for: "app:12", "cert:3"; NULL: nobody */
};

/* Checks a task type's payload; err->field names the offending member
 * (e.g. "payload.files[0].path"). */
int cluster_task_validate(const char *type, json_t *payload, struct pg_err *err);
/* The signals SystemdControl "kill" sends (and configFiles' signal:NAME). */
extern const char *const cluster_signals[];

/* Queues a task inside the caller's write transaction and audits it. When a
 * task with the same node and idempotency key exists, *id is that task and
 * *existed is set. Call cluster_wake after the commit. */
int cluster_task_insert(struct cluster *cl, struct store_conn *c, const struct pg_call *call,
                        const struct cluster_task_spec *spec, int64_t *id, bool *existed,
                        struct pg_err *err);
/* Queues one task in its own transaction (the node must exist) and wakes
 * the node's long polls. */
int cluster_task_queue(struct cluster *cl, const struct pg_call *call,
                       const struct cluster_task_spec *spec, int64_t *id, bool *existed,
                       struct pg_err *err);
/* Wakes the long polls of a node (after a commit that gave it work). */
void cluster_wake(struct cluster *cl, int64_t node_id);
/* The same once what c wrote is committed (at once outside a group
 * commit): a poll woken earlier would look before the task is visible. */
void cluster_wake_after(struct cluster *cl, struct store_conn *c, int64_t node_id);

/* A task as the admin API shows it; NULL with err on failure. */
json_t *cluster_task_get(struct cluster *cl, int64_t id, bool full, struct pg_err *err);

/* The newest succeeded task of type on node whose payload field equals
 * value: *out = {taskId, payload} (new reference), or NULL when none. */
int cluster_task_last_payload(struct cluster *cl, int64_t node_id, const char *type,
                              const char *field, const char *value, json_t **out,
                              struct pg_err *err);

/* Unfinished (pending or running) tasks of owner on node. */
int cluster_task_unfinished_of_owner(struct store_conn *c, int64_t node_id, const char *owner,
                                     int64_t *count, struct pg_err *err);
/* Queues again, as a new task for owner, what task id did (drift heals). */
int cluster_task_requeue_copy(struct cluster *cl, struct store_conn *c, const struct pg_call *call,
                              int64_t id, const char *idempotency_key, int64_t *new_id,
                              bool *existed, struct pg_err *err);
/* Task counts by type and status: [{type, status, count}] (metrics). */
int cluster_task_counts(struct cluster *cl, json_t **out, struct pg_err *err);
/* Node counts by liveness: {online, offline}. */
int cluster_node_counts(struct cluster *cl, json_t **out, struct pg_err *err);
/* How long the node has been silent (ms since its last heartbeat; INT64_MAX
 * when never heard) and whether it counts as online; -1 for no such node. */
int64_t cluster_node_silence_ms(struct cluster *cl, int64_t node_id, bool *online);
/* Offline nodes that were heard from once: [{id, silenceMs}] (alerts). */
json_t *cluster_nodes_silent(struct cluster *cl);
/* Long polls waiting right now. */
void cluster_task_done_clear(struct cluster_task_done *d);

/* Label selectors: "k=v,k!=v,k,!k" (all must hold). */
struct cluster_selector;
int cluster_selector_parse(const char *text, struct cluster_selector **out, struct pg_err *err);
bool cluster_selector_match(const struct cluster_selector *sel, json_t *labels);
void cluster_selector_free(struct cluster_selector *sel);

/* Pure task state machine, exposed for tests: the status a task moves to
 * from `from` on `event`, or NULL when the event is not allowed there. */
enum cluster_task_event {
	TASK_EV_DELIVER,
	TASK_EV_RUNNING,
	TASK_EV_SUCCEEDED,
	TASK_EV_FAILED,
	TASK_EV_RETRY, /* a failure or expired lease with retries left */
	TASK_EV_CANCEL,
};
const char *cluster_task_next_status(const char *from, enum cluster_task_event ev);
/* Delay before retry number `attempt` (1-based): base * 2^(attempt-1), capped. */
int64_t cluster_task_backoff_ms(const struct cluster_opts *o, int64_t attempt);

#endif
