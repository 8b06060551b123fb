/* drift: desired vs actual state per node (design.md 4.1, 11.2).
 *
 * Desired state is recorded when a task that put something on a node
 * succeeds (a file's hash, a unit's active/enabled state, the certificate
 * nginx serves, nginx's whole configuration hash), tagged with the task's
 * owner ("app:12"). Agents report the actual state of what they manage,
 * as hashes, on change and periodically. Each report is compared with the
 * desired state; policies/drift.lua decides per drifted owner whether to
 * alert only or heal by queueing the recorded tasks again. */
#ifndef DRIFT_H
#define DRIFT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/pg_call.h"
#include "common/pg_err.h"

struct store;
struct store_conn;
struct cluster;
struct plua;
struct drift;
struct cluster_task_done;

/* What drift asks of the owners of tasks (set by the composition root). */
struct drift_owners {
	void *arg;
	/* For "app:N": {app: {...}, targets: [ids], inFlight: [ids]}; PG_ENOTFOUND
	 * when the owner no longer exists. NULL view: the owner has no context. */
	int (*view)(void *arg, const char *owner, json_t **view, struct pg_err *err);
};

/* Starts the sweep that judges unsettled nodes again every sweep_ms
 * (default 2000) from their last report: a release finishing, an owner's
 * policy changing or a heal's rate limit passing needs no new report. */
int drift_new(struct store *s, struct cluster *cl, struct plua *lua,
              const struct drift_owners *owners, int64_t sweep_ms, struct drift **out,
              struct pg_err *err);
void drift_sweep(struct drift *d);
void drift_free(struct drift *d);

/* cluster's on_task_done: records what a succeeded task put on its node. */
int drift_task_done(struct drift *d, struct store_conn *c, const struct cluster_task_done *t,
                    struct pg_err *err);

/* An agent's state report: stored, compared, decided on. *out: {verdicts}. */
int drift_report(struct drift *d, const struct pg_call *call, int64_t node_id, json_t *report,
                 json_t **out, struct pg_err *err);

/* {nodeId, online, reportedAt, owners: [{owner, status, drift: [...]}]}. */
int drift_node_status(struct drift *d, int64_t node_id, json_t **out, struct pg_err *err);
/* Per node status of owner over nodes (a JSON array of ids) plus every node
 * holding something of owner: [{nodeId, status, drift, reason}]. */
int drift_owner_status(struct drift *d, const char *owner, json_t *nodes, json_t **out,
                       struct pg_err *err);
/* The units of node's last report, {unit: {active, ...}} (new; an empty
 * object when the node has not reported). */
int drift_node_units(struct drift *d, int64_t node_id, json_t **units, struct pg_err *err);
/* Stored verdicts in status ("drifted"): [{nodeId, owner, details, since}]. */
int drift_verdicts(struct drift *d, const char *status, json_t **out, struct pg_err *err);

/* ---- pure comparison (drift_eval.c), exposed for tests ---- */
/* Compares desired items [{item, owner, expect, taskId}] with a report.
 * Returns differences [{item, kind, reason, expected, actual}] (new) and
 * counts items the report does not cover yet into *unreported. */
json_t *drift_compare(json_t *desired, json_t *report, int *unreported);
/* Desired items a succeeded task establishes: [{item, expect}]. */
json_t *drift_items_of_task(const char *type, json_t *payload, json_t *artifacts);

#endif
