/* Drift: records desired state from succeeded tasks, judges agents' state
 * reports against it, and heals or alerts as policies/drift.lua decides. */
#include "audit/audit.h"
#include "cluster/cluster.h"
#include "common/pg_json.h"
#include "common/pg_path.h"
#include "common/pg_log.h"
#include "common/pg_ticker.h"
#include "common/pg_time.h"
#include "drift/drift_int.h"
#include "lua/plua_policy.h"
#include "store/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HEAL_MEMORY_MS (24 * 3600 * 1000LL)

static void sweep_main(void *arg);

int drift_new(struct store *s, struct cluster *cl, struct plua *lua,
              const struct drift_owners *owners, int64_t sweep_ms, struct drift **out,
              struct pg_err *err)
{
	struct drift *d = calloc(1, sizeof(*d));
	if (!d)
		return pg_err_set(err, PG_EINTERNAL, NULL, "out of memory");
	d->store = s;
	d->cluster = cl;
	d->lua = lua;
	d->sweep_ms = sweep_ms > 0 ? sweep_ms : 2000;
	if (owners)
		d->owners = *owners;
	pthread_mutex_init(&d->eval_lock, NULL);
	if (pg_ticker_start(d->sweep_ms, false, sweep_main, d, &d->ticker, err) != 0) {
		free(d);
		return err->code;
	}
	*out = d;
	return 0;
}

void drift_free(struct drift *d)
{
	if (!d)
		return;
	pg_ticker_stop(d->ticker);
	pthread_mutex_destroy(&d->eval_lock);
	free(d);
}

int drift_task_done(struct drift *d, struct store_conn *c, const struct cluster_task_done *t,
                    struct pg_err *err)
{
	(void)d;
	if (strcmp(t->status, "succeeded") != 0)
		return 0;
	json_t *items = drift_items_of_task(t->type, t->payload, t->artifacts), *it;
	size_t i;
	int rc = 0;
	json_array_foreach (items, i, it) {
		if (rc == 0)
			rc = drift_desired_put(
			        c, t->node_id, json_string_value(json_object_get(it, "item")),
			        t->owner, json_object_get(it, "expect"), t->task_id, err);
	}
	json_decref(items);
	return rc;
}

/* {owner: [rows]} from desired rows. */
static json_t *by_key(json_t *rows, const char *key)
{
	json_t *groups = json_object(), *r;
	size_t i;
	json_array_foreach (rows, i, r) {
		char k[64];
		json_t *v = json_object_get(r, key);
		if (json_is_string(v))
			snprintf(k, sizeof(k), "%s", json_string_value(v));
		else
			snprintf(k, sizeof(k), "%lld", (long long)json_integer_value(v));
		json_t *g = json_object_get(groups, k);
		if (!g)
			json_object_set_new(groups, k, g = json_array());
		json_array_append(g, r);
	}
	return groups;
}

/* The owner's context; *gone when the owner no longer exists. */
static int owner_view(struct drift *d, const char *owner, json_t **view, bool *gone,
                      struct pg_err *err)
{
	*view = NULL;
	*gone = false;
	if (!d->owners.view || !owner[0])
		return 0;
	int rc = d->owners.view(d->owners.arg, owner, view, err);
	if (rc == PG_ENOTFOUND) {
		*gone = true;
		pg_err_clear(err);
		return 0;
	}
	return rc;
}

static bool id_in(json_t *ids, int64_t id)
{
	size_t i;
	json_t *v;
	json_array_foreach (ids, i, v)
		if (json_integer_value(v) == id)
			return true;
	return false;
}

struct verdict {
	const char *status, *reason;
	json_t *drift; /* owned */
};

/* The verdict for an owner's items on one node. */
static int judge(struct drift *d, struct store_conn *c, int64_t node, const char *owner,
                 json_t *items, json_t *report, int64_t report_at, json_t *view, struct verdict *v,
                 struct pg_err *err)
{
	/* a report measured before the last change of these items (a deploy,
	 * a heal) says nothing about them yet */
	int64_t changed = 0;
	size_t k;
	json_t *it;
	json_array_foreach (items, k, it)
		if (json_integer_value(json_object_get(it, "updatedAtMs")) > changed)
			changed = json_integer_value(json_object_get(it, "updatedAtMs"));
	bool online = false;
	int64_t unfinished = 0;
	int unreported = 0;
	v->drift = json_array();
	cluster_node_silence_ms(d->cluster, node, &online);
	int rc = owner[0] ? cluster_task_unfinished_of_owner(c, node, owner, &unfinished, err) : 0;
	if (rc != 0)
		return rc;
	if (!online) {
		v->status = "unknown";
		v->reason = "the node is offline";
	} else if (unfinished > 0) {
		v->status = "pending";
		v->reason = "tasks of this owner are queued or running on the node";
	} else if (id_in(json_object_get(view, "inFlight"), node)) {
		v->status = "pending";
		v->reason = "a release is in flight";
	} else if (json_array_size(items) == 0) {
		v->status = "pending";
		v->reason = "nothing has been deployed to this node yet";
	} else if (!report) {
		v->status = "pending";
		v->reason = "the agent has not reported its state yet";
	} else if (report_at < changed) {
		v->status = "pending";
		v->reason = "waiting for the agent to report after the last change";
	} else {
		json_decref(v->drift);
		v->drift = drift_compare(items, report, &unreported);
		v->status = json_array_size(v->drift) ? "drifted"
		            : unreported              ? "pending"
		                                      : "converged";
		v->reason = json_array_size(v->drift) ? "the node differs from what Pagoda deployed"
		            : unreported ? "waiting for the agent to report every managed item"
		                         : "the node matches what Pagoda deployed";
	}
	return 0;
}

/* ---- reports ---- */

static int check_map(json_t *r, const char *key, size_t max, struct pg_err *err)
{
	json_t *m = json_object_get(r, key), *v;
	const char *k;
	if (!m)
		return 0;
	if (!json_is_object(m) || json_object_size(m) > max)
		return pg_err_set(err, PG_EINVAL, key,
		                  "%s must be an object of at most %zu entries", key, max);
	json_object_foreach (m, k, v) {
		if (!json_is_object(v) || strlen(k) > PG_PATH_MAX || !pg_str_is_printable(k))
			return pg_err_set(err, PG_EINVAL, key,
			                  "%s entries must be objects under printable keys", key);
	}
	return 0;
}

static int check_report(json_t *r, struct pg_err *err)
{
	static const char *const fields[] = {"nodeId", "files",      "units", "nginx",
	                                     "certs",  "reportedAt", "trees", NULL};
	int rc = pg_json_only(r, fields, err);
	if (rc == 0)
		rc = check_map(r, "files", 10000, err);
	if (rc == 0)
		rc = check_map(r, "units", 1000, err);
	if (rc == 0)
		rc = check_map(r, "certs", 1000, err);
	if (rc == 0)
		rc = check_map(r, "trees", 1000, err);
	json_t *n = json_object_get(r, "nginx");
	if (rc == 0 && n && !json_is_object(n))
		rc = pg_err_set(err, PG_EINVAL, "nginx", "nginx must be an object");
	return rc;
}

/* Ages in seconds of the heals remembered in heals (ms timestamps). */
static json_t *heal_ages(json_t *heals, int64_t now)
{
	json_t *ages = json_array(), *h;
	size_t i;
	json_array_foreach (heals, i, h)
		json_array_append_new(ages, json_integer((now - json_integer_value(h)) / 1000));
	return ages;
}

static json_t *decide(struct drift *d, const char *owner, int64_t node, json_t *view, json_t *diffs,
                      json_t *heals, int64_t now)
{
	json_t *ctx = json_pack("{s:s, s:{s:I}, s:O, s:{s:o}}", "owner", owner, "node", "id",
	                        (json_int_t)node, "drift", diffs, "heals", "agesSec",
	                        heal_ages(heals, now));
	if (json_object_get(view, "app"))
		json_object_set(ctx, "app", json_object_get(view, "app"));
	json_t *dec = NULL;
	struct pg_err err = {0};
	if (plua_drift_decide(d->lua, ctx, &dec, &err) != 0) {
		pg_warn("drift", "policies/drift.lua failed, alerting only: %s", err.message);
		dec = json_pack("{s:s, s:s+}", "action", "alert", "reason",
		                "the drift policy failed: ", err.message);
	}
	json_decref(ctx);
	return dec;
}

/* Queues again the tasks that put the drifted items in place. */
static int heal(struct drift *d, struct store_conn *c, const struct pg_call *call, json_t *items,
                json_t *diffs, int64_t now, json_t *queued, struct pg_err *err)
{
	size_t i, j;
	json_t *x, *it;
	int rc = 0;
	json_array_foreach (diffs, i, x) {
		if (strcmp(json_string_value(json_object_get(x, "kind")), "nginx") == 0)
			continue;
		json_array_foreach (items, j, it) {
			if (rc != 0 ||
			    !json_equal(json_object_get(it, "item"), json_object_get(x, "item")))
				continue;
			int64_t task = json_integer_value(json_object_get(it, "taskId")), id = 0;
			bool existed;
			char key[96];
			if (id_in(queued, task))
				continue;
			snprintf(key, sizeof(key), "heal-%lld-%lld", (long long)task,
			         (long long)now);
			rc = cluster_task_requeue_copy(d->cluster, c, call, task, key, &id,
			                               &existed, err);
			if (rc == 0)
				json_array_append_new(queued, json_integer(task));
		}
	}
	return rc;
}

/* Audits action on node with details (stolen). */
static int audit_node(struct store_conn *c, const struct pg_call *call, const char *action,
                      int64_t node, json_t *details, struct pg_err *err)
{
	int rc = audit_record(c, call, action, "node", node, details, err);
	json_decref(details);
	return rc;
}

/* Stores the verdict of owner on node, audits changes and heals. */
static int settle(struct drift *d, struct store_conn *c, int64_t node, const char *owner,
                  json_t *items, json_t *view, struct verdict *v, json_t **decision, bool *woke,
                  struct pg_err *err)
{
	int64_t now = pg_time_now_ms();
	json_t *prev = NULL, *heals = json_array(), *queued = json_array();
	int rc = drift_verdict_get(c, node, owner, &prev, err);
	const char *was = prev ? json_string_value(json_object_get(prev, "status")) : "";
	json_t *h;
	size_t i;
	json_array_foreach (json_object_get(prev, "heals"), i, h)
		if (now - json_integer_value(h) < HEAL_MEMORY_MS)
			json_array_append(heals, h);
	if (rc == 0 && strcmp(v->status, "drifted") == 0)
		*decision = decide(d, owner, node, view, v->drift, heals, now);
	struct pg_call call = {"system:drift", NULL, NULL};
	if (rc == 0)
		rc = store_begin(c, STORE_TX_WRITE, err);
	if (rc != 0)
		goto out;
	bool healing = *decision &&
	               strcmp(json_string_value(json_object_get(*decision, "action")), "heal") == 0;
	if (healing) {
		rc = heal(d, c, &call, items, v->drift, now, queued, err);
		if (rc == 0 && json_array_size(queued)) {
			json_array_append_new(heals, json_integer(now));
			*woke = true;
			rc = audit_node(c, &call, "drift.heal", node,
			                json_pack("{s:s, s:O, s:O}", "owner", owner, "drift",
			                          v->drift, "tasks", queued),
			                err);
		}
	}
	bool changed = strcmp(was, v->status) != 0;
	if (rc == 0 && changed && strcmp(v->status, "drifted") == 0)
		rc = audit_node(c, &call, "drift.detected", node,
		                json_pack("{s:s, s:O, s:O}", "owner", owner, "drift", v->drift,
		                          "decision", *decision ? *decision : json_null()),
		                err);
	if (rc == 0 && changed && strcmp(was, "drifted") == 0 &&
	    strcmp(v->status, "converged") == 0)
		rc = audit_node(c, &call, "drift.cleared", node, json_pack("{s:s}", "owner", owner),
		                err);
	int64_t since =
	        !changed && prev ? json_integer_value(json_object_get(prev, "sinceMs")) : now;
	if (rc == 0)
		rc = drift_verdict_put(c, node, owner, v->status, v->drift, since, heals, *decision,
		                       err);
	rc = store_end(c, rc, err);
out:
	json_decref(prev);
	json_decref(heals);
	json_decref(queued);
	return rc;
}

static int forget(struct store_conn *c, const char *owner, struct pg_err *err)
{
	int rc = store_begin(c, STORE_TX_WRITE, err);
	if (rc == 0)
		rc = drift_forget_owner(c, owner, err);
	rc = store_end(c, rc, err);
	return rc;
}

/* Judges every owner on node against the stored report; heals or alerts. */
static int evaluate(struct drift *d, struct store_conn *c, int64_t node_id, json_t *stored,
                    int64_t stored_at, json_t **out, struct pg_err *err)
{
	/* One evaluation at a time: a report and the sweep must not both heal.
	 * eval_lock is taken inside a write transaction on every path, never
	 * before one: a report on the writer thread comes holding the write
	 * lock, and a sweep holding eval_lock while waiting for that lock would
	 * stall both until the busy timeout. Its writes are savepoints. */
	bool own = !store_grouped(c);
	int rc = own ? store_group_begin(c, err) : 0;
	if (rc != 0)
		return rc;
	json_t *rows = json_array(), *groups = NULL, *results = json_array(), *items;
	pthread_mutex_lock(&d->eval_lock);
	rc = drift_desired_of_node(c, node_id, rows, err);
	groups = by_key(rows, "owner");
	const char *owner;
	bool woke = false;
	json_object_foreach (groups, owner, items) {
		json_t *view = NULL, *decision = NULL;
		bool gone = false;
		struct verdict v = {0};
		if (rc == 0)
			rc = owner_view(d, owner, &view, &gone, err);
		if (rc == 0 && gone) {
			rc = forget(c, owner, err);
			continue;
		}
		if (rc == 0)
			rc = judge(d, c, node_id, owner, items, stored, stored_at, view, &v, err);
		if (rc == 0)
			rc = settle(d, c, node_id, owner, items, view, &v, &decision, &woke, err);
		if (rc == 0)
			json_array_append_new(results, json_pack("{s:s, s:s, s:O, s:O?}", "owner",
			                                         owner, "status", v.status, "drift",
			                                         v.drift, "decision", decision));
		json_decref(v.drift);
		json_decref(view);
		json_decref(decision);
	}
	pthread_mutex_unlock(&d->eval_lock);
	if (own) {
		struct pg_err end_err = {0};
		if (store_group_end(c, true, &end_err) != 0 && rc == 0) {
			*err = end_err;
			rc = err->code;
		}
	}
	if (woke)
		cluster_wake(d->cluster, node_id);
	json_decref(rows);
	json_decref(groups);
	if (rc != 0 || !out)
		json_decref(results);
	else
		*out = results;
	return rc;
}

int drift_report(struct drift *d, const struct pg_call *call, int64_t node_id, json_t *report,
                 json_t **out, struct pg_err *err)
{
	(void)call;
	int rc = check_report(report, err);
	struct store_conn *c = rc == 0 ? store_conn_get(d->store, err) : NULL;
	if (!c)
		return rc ? rc : err->code;
	json_t *stored = json_deep_copy(report), *results = NULL;
	json_object_del(stored, "nodeId");
	if ((rc = store_begin(c, STORE_TX_WRITE, err)) == 0 &&
	    (rc = drift_report_put(c, node_id, stored, err)) == 0)
		rc = store_commit(c, err);
	if (rc != 0)
		store_rollback(c);
	if (rc == 0)
		rc = evaluate(d, c, node_id, stored, pg_time_now_ms(), &results, err);
	json_decref(stored);
	if (rc == 0)
		*out = json_pack("{s:b, s:o}", "accepted", 1, "owners", results);
	return rc;
}

void drift_sweep(struct drift *d)
{
	struct pg_err err = {0};
	struct store_conn *c = store_conn_get(d->store, &err);
	json_t *nodes = json_array(), *n;
	size_t i;
	if (!c || drift_unsettled_nodes(c, nodes, &err) != 0)
		pg_warn("drift", "sweep: %s", err.message);
	json_array_foreach (nodes, i, n) {
		json_t *report = NULL;
		int64_t at = 0, id = json_integer_value(n);
		pg_err_clear(&err);
		if (drift_report_get(c, id, &report, &at, &err) != 0 ||
		    (report && evaluate(d, c, id, report, at, NULL, &err) != 0))
			pg_warn("drift", "node %lld: %s", (long long)id, err.message);
		json_decref(report);
	}
	json_decref(nodes);
}

static void sweep_main(void *arg)
{
	struct drift *d = arg;
	if (store_leader(d->store, STORE_ROLE_DRIFT))
		drift_sweep(d);
}

/* ---- status views ---- */

static const char *worst(const char *a, const char *b)
{
	static const char *const order[] = {"converged", "pending", "unknown", "drifted"};
	int ia = 0, ib = 0;
	for (int i = 0; i < 4; i++) {
		ia = strcmp(a, order[i]) == 0 ? i : ia;
		ib = strcmp(b, order[i]) == 0 ? i : ib;
	}
	return ia >= ib ? a : b;
}

/* One node's verdict object for owner, with the stored decision. */
static int node_entry(struct drift *d, struct store_conn *c, int64_t node, const char *owner,
                      json_t *items, json_t *report, int64_t report_at, json_t *view,
                      json_t **entry, struct pg_err *err)
{
	struct verdict v = {0};
	json_t *stored = NULL;
	int rc = judge(d, c, node, owner, items, report, report_at, view, &v, err);
	if (rc == 0)
		rc = drift_verdict_get(c, node, owner, &stored, err);
	if (rc == 0) {
		*entry = json_pack("{s:I, s:s, s:s, s:s, s:O, s:I}", "nodeId", (json_int_t)node,
		                   "owner", owner, "status", v.status, "reason", v.reason, "drift",
		                   v.drift, "items", (json_int_t)json_array_size(items));
		if (stored &&
		    strcmp(json_string_value(json_object_get(stored, "status")), v.status) == 0) {
			json_object_set(*entry, "since", json_object_get(stored, "since"));
			json_object_set(*entry, "decision", json_object_get(stored, "decision"));
		}
	}
	json_decref(stored);
	json_decref(v.drift);
	return rc;
}

int drift_node_status(struct drift *d, int64_t node_id, json_t **out, struct pg_err *err)
{
	json_t *node = NULL;
	int rc = cluster_node_get(d->cluster, node_id, &node, err);
	if (rc != 0)
		return rc;
	json_decref(node);
	struct store_conn *c = store_conn_get(d->store, err);
	if (!c)
		return err->code;
	json_t *rows = json_array(), *report = NULL, *owners = json_array(), *groups, *items;
	int64_t at = 0;
	bool online = false;
	rc = drift_desired_of_node(c, node_id, rows, err);
	if (rc == 0)
		rc = drift_report_get(c, node_id, &report, &at, err);
	groups = by_key(rows, "owner");
	const char *owner, *status = "converged";
	json_object_foreach (groups, owner, items) {
		json_t *view = NULL, *entry = NULL;
		bool gone = false;
		if (rc == 0)
			rc = owner_view(d, owner, &view, &gone, err);
		if (rc == 0 && !gone)
			rc = node_entry(d, c, node_id, owner, items, report, at, view, &entry, err);
		if (rc == 0 && entry) {
			status = worst(status, json_string_value(json_object_get(entry, "status")));
			json_object_del(entry, "nodeId");
			json_array_append_new(owners, entry);
		}
		json_decref(view);
	}
	cluster_node_silence_ms(d->cluster, node_id, &online);
	if (!online)
		status = "unknown";
	if (rc == 0) {
		*out = json_pack("{s:I, s:s, s:b, s:o, s:O}", "nodeId", (json_int_t)node_id,
		                 "status", status, "online", online, "owners", owners, "report",
		                 report ? report : json_null());
		pg_json_set_time(*out, "reportedAt", at);
	} else {
		json_decref(owners);
	}
	json_decref(rows);
	json_decref(groups);
	json_decref(report);
	return rc;
}

/* An application's state in one word, from its releases and what its
 * nodes report: never_deployed, deploying, running (no node drifted or
 * silent), degraded (some), failed (all, or its only releases failed),
 * stopped. */
static json_t *app_state(json_t *view, json_t *counts, size_t total)
{
	json_t *app = json_object_get(view, "app");
	const char *desired = json_string_value(json_object_get(app, "desiredState"));
	const char *last =
	        json_string_value(json_object_get(json_object_get(view, "lastRelease"), "status"));
	json_int_t healthy = json_integer_value(json_object_get(counts, "converged"));
	/* a node that has not reported since the release is not held against it */
	json_int_t pending = json_integer_value(json_object_get(counts, "pending"));
	json_int_t bad = (json_int_t)total - healthy - pending;
	bool active = json_integer_value(json_object_get(view, "activeReleaseId")) > 0;
	bool current = json_integer_value(json_object_get(app, "currentReleaseId")) > 0;
	bool last_failed =
	        last && (strcmp(last, "failed") == 0 || strcmp(last, "rolled_back") == 0 ||
	                 strcmp(last, "cancelled") == 0);
	const char *phase = active                                       ? "deploying"
	                    : desired && strcmp(desired, "Stopped") == 0 ? "stopped"
	                    : !current                ? (last_failed ? "failed" : "never_deployed")
	                    : total > 0 && bad == 0   ? "running"
	                    : bad < (json_int_t)total ? "degraded"
	                                              : "failed";
	return json_pack("{s:s, s:I, s:I, s:I, s:b}", "phase", phase, "healthy", healthy, "pending",
	                 pending, "total", (json_int_t)total, "lastReleaseFailed", last_failed);
}

int drift_owner_status(struct drift *d, const char *owner, json_t *nodes, json_t **out,
                       struct pg_err *err)
{
	struct store_conn *c = store_conn_get(d->store, err);
	if (!c)
		return err->code;
	json_t *view = NULL, *rows = json_array(), *groups = NULL, *entries = json_array(),
	       *ids = json_array(), *v;
	bool gone = false;
	int rc = owner_view(d, owner, &view, &gone, err);
	if (rc == 0 && gone)
		rc = pg_err_set(err, PG_ENOTFOUND, NULL, "%s does not exist", owner);
	if (rc == 0)
		rc = drift_desired_of_owner(c, owner, rows, err);
	groups = by_key(rows, "nodeId");
	size_t i;
	json_array_foreach (nodes ? nodes : json_object_get(view, "targets"), i, v)
		json_array_append(ids, v);
	const char *k;
	json_object_foreach (groups, k, v) {
		int64_t id = strtoll(k, NULL, 10);
		if (!id_in(ids, id))
			json_array_append_new(ids, json_integer(id));
	}
	const char *status = json_array_size(ids) ? "converged" : "pending";
	json_t *counts = json_object();
	json_array_foreach (ids, i, v) {
		int64_t node = json_integer_value(v);
		char key[32];
		snprintf(key, sizeof(key), "%lld", (long long)node);
		json_t *report = NULL, *entry = NULL;
		int64_t at;
		if (rc == 0)
			rc = drift_report_get(c, node, &report, &at, err);
		json_t *items = json_object_get(groups, key), *none = json_array();
		if (rc == 0)
			rc = node_entry(d, c, node, owner, items ? items : none, report, at, view,
			                &entry, err);
		json_decref(none);
		json_decref(report);
		if (rc != 0)
			break;
		const char *s = json_string_value(json_object_get(entry, "status"));
		status = worst(status, s);
		json_object_set_new(
		        counts, s,
		        json_integer(json_integer_value(json_object_get(counts, s)) + 1));
		json_object_del(entry, "owner");
		json_array_append_new(entries, entry);
	}
	if (rc == 0) {
		*out = json_pack("{s:s, s:s, s:o, s:O, s:O?}", "owner", owner, "status", status,
		                 "nodes", entries, "counts", counts, "activeReleaseId",
		                 json_object_get(view, "activeReleaseId"));
		if (json_object_get(view, "app"))
			json_object_set_new(*out, "state",
			                    app_state(view, counts, json_array_size(ids)));
	} else {
		json_decref(entries);
	}
	json_decref(counts);
	json_decref(view);
	json_decref(rows);
	json_decref(groups);
	json_decref(ids);
	return rc;
}

int drift_verdicts(struct drift *d, const char *status, json_t **out, struct pg_err *err)
{
	struct store_conn *c = store_conn_get(d->store, err);
	if (!c)
		return err->code;
	*out = json_array();
	int rc = drift_verdict_list(c, status, *out, err);
	if (rc != 0) {
		json_decref(*out);
		*out = NULL;
	}
	return rc;
}

int drift_node_units(struct drift *d, int64_t node_id, json_t **units, struct pg_err *err)
{
	struct store_conn *c = store_conn_get(d->store, err);
	if (!c)
		return err->code;
	json_t *report = NULL;
	int64_t at = 0;
	int rc = drift_report_get(c, node_id, &report, &at, err);
	json_t *u = json_object_get(report, "units");
	*units = rc == 0 && json_is_object(u) ? json_incref(u) : json_object();
	json_decref(report);
	return rc;
}
