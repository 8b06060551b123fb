/* The task queue: per-node order, dependencies, leases, retries, cancel. */
#include "audit/audit.h"
#include "cluster/cluster_int.h"
#include "common/pg_json.h"
#include "common/pg_secret.h"
#include "common/pg_log.h"
#include "common/pg_metrics.h"
#include "common/pg_time.h"
#include "store/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OUTPUT_KEEP (64 * 1024)

static const struct pg_call system_call = {"system", NULL, NULL};

const char *cluster_task_next_status(const char *from, enum cluster_task_event ev)
{
	bool pending = strcmp(from, "pending") == 0, running = strcmp(from, "running") == 0;
	switch (ev) {
	case TASK_EV_DELIVER: return pending || running ? "running" : NULL;
	case TASK_EV_RUNNING: return running ? "running" : NULL;
	/* A late report for a task requeued after its lease still counts:
	 * the work was done. */
	case TASK_EV_SUCCEEDED: return pending || running ? "succeeded" : NULL;
	case TASK_EV_FAILED: return pending || running ? "failed" : NULL;
	case TASK_EV_RETRY: return pending || running ? "pending" : NULL;
	case TASK_EV_CANCEL: return pending || running ? "cancelled" : NULL;
	}
	return NULL;
}

int64_t cluster_task_backoff_ms(const struct cluster_opts *o, int64_t attempt)
{
	int64_t d = o->retry_backoff_ms;
	for (int64_t i = 1; i < attempt && d < o->retry_backoff_max_ms; i++)
		d *= 2;
	return d < o->retry_backoff_max_ms ? d : o->retry_backoff_max_ms;
}

static bool is_terminal(const char *status)
{
	return strcmp(status, "succeeded") == 0 || strcmp(status, "failed") == 0 ||
	       strcmp(status, "cancelled") == 0;
}

static int64_t lease_until(struct cluster *cl, int64_t now, int64_t timeout_sec)
{
	return now + timeout_sec * 1000 + cl->opts.lease_grace_ms;
}

/* Ends every unfinished dependent of id, transitively, with status. */
static int cascade(struct store_conn *c, const struct pg_call *call, int64_t id, const char *status,
                   struct pg_err *err)
{
	struct id_list todo = {0};
	int rc = id_list_push(&todo, id);
	for (size_t i = 0; rc == 0 && i < todo.n; i++) {
		struct id_list deps = {0};
		rc = task_store_dependents(c, todo.v[i], &deps, err);
		for (size_t j = 0; rc == 0 && j < deps.n; j++) {
			char msg[96];
			snprintf(msg, sizeof(msg), "dependency task %lld %s", (long long)todo.v[i],
			         strcmp(status, "cancelled") == 0 ? "was cancelled" : "failed");
			struct task_outcome o = {
			        .status = status, .error = msg, .exit_code = INT64_MIN};
			json_t *d = json_pack("{s:s, s:I}", "reason", msg, "dependency",
			                      (json_int_t)todo.v[i]);
			rc = task_store_finish(c, deps.v[j], &o, pg_time_now_ms(), err);
			if (rc == 0)
				rc = audit_record(c, call,
				                  strcmp(status, "cancelled") == 0 ? "task.cancel"
				                                                   : "task.fail",
				                  "task", deps.v[j], d, err);
			json_decref(d);
			if (rc == 0)
				rc = id_list_push(&todo, deps.v[j]);
		}
		id_list_free(&deps);
	}
	id_list_free(&todo);
	return rc;
}

static void file_context(json_t *file, char *ctx, size_t len)
{
	snprintf(ctx, len, "task-file:%s", json_string_value(json_object_get(file, "path")));
}

/* Opens, in place, what payload_seal sealed and the key of a
 * DeployCertificate: what the agent gets, and what validation sees. */
static int payload_open(struct cluster *cl, json_t *pl, struct pg_err *err)
{
	const char *key = json_string_value(json_object_get(pl, "keyPemSealed"));
	json_t *files = json_object_get(pl, "files"), *f;
	size_t i;
	int rc = 0;
	if (key && !cl->opts.unseal)
		return pg_err_set(err, PG_EINTERNAL, "", "no way to open sealed payloads");
	if (key) {
		char *plain = NULL;
		rc = cl->opts.unseal(cl->opts.unseal_arg, key,
		                     json_string_value(json_object_get(pl, "sealContext")), &plain,
		                     err);
		if (rc == 0) {
			json_object_set_new(pl, "keyPem", json_string(plain));
			json_object_del(pl, "keyPemSealed");
			json_object_del(pl, "sealContext");
		}
		pg_secret_free(plain);
	}
	json_array_foreach (files, i, f) {
		const char *sealed = json_string_value(json_object_get(f, "contentSealed"));
		if (rc != 0 || !sealed)
			continue;
		if (!cl->opts.unseal)
			return pg_err_set(err, PG_EINTERNAL, "", "no way to open sealed payloads");
		char ctx[1200], *plain = NULL;
		file_context(f, ctx, sizeof(ctx));
		rc = cl->opts.unseal(cl->opts.unseal_arg, sealed, ctx, &plain, err);
		if (rc == 0) {
			json_object_set_new(f, "content", json_string(plain));
			json_object_del(f, "contentSealed");
		}
		pg_secret_free(plain);
	}
	return rc;
}

/* Seals, in place, the content of every file marked secret, so that no
 * plaintext secret reaches the task table or the store's journal. */
static int payload_seal(struct cluster *cl, const char *type, json_t *pl, struct pg_err *err)
{
	if (strcmp(type, "ApplyConfigFiles") != 0 || !cl->opts.seal)
		return 0;
	size_t i;
	json_t *f;
	json_array_foreach (json_object_get(pl, "files"), i, f) {
		const char *content = json_string_value(json_object_get(f, "content"));
		if (!content || !json_is_true(json_object_get(f, "secret")))
			continue;
		char ctx[1200], *sealed = NULL;
		file_context(f, ctx, sizeof(ctx));
		int rc = cl->opts.seal(cl->opts.unseal_arg, content, ctx, &sealed, err);
		if (rc != 0)
			return rc;
		json_object_set_new(f, "contentSealed", json_string(sealed));
		json_object_del(f, "content");
		free(sealed);
	}
	return 0;
}

int cluster_task_insert(struct cluster *cl, struct store_conn *c, const struct pg_call *call,
                        const struct cluster_task_spec *spec, int64_t *id, bool *existed,
                        struct pg_err *err)
{
	*existed = false;
	/* Validate what the agent will get (a copy of a stored task, or a
	 * certificate deploy, arrives sealed); store it sealed. */
	json_t *seen = json_deep_copy(spec->payload), *pl = NULL, *deps = NULL;
	int rc = seen ? payload_open(cl, seen, err)
	              : pg_err_set(err, PG_EINVAL, "payload", "payload must be an object");
	if (rc == 0)
		rc = cluster_task_validate(spec->type, seen, err);
	json_decref(seen);
	if (rc == 0 && !(pl = json_deep_copy(spec->payload)))
		rc = pg_err_set(err, PG_EINTERNAL, "", "out of memory");
	if (rc == 0)
		rc = payload_seal(cl, spec->type, pl, err);
	if (rc == 0 && spec->idempotency_key) {
		rc = task_store_find_idem(c, spec->node_id, spec->idempotency_key, id, err);
		if (rc != 0 || *id) {
			*existed = rc == 0;
			goto out;
		}
	}
	for (size_t i = 0; rc == 0 && i < spec->ndeps; i++) {
		struct task_state dep;
		rc = task_store_state(c, spec->depends_on[i], &dep, err);
		if (rc == PG_ENOTFOUND)
			rc = pg_err_set(err, PG_EINVAL, "dependsOn", "dependsOn[%zu]: no task %lld",
			                i, (long long)spec->depends_on[i]);
		else if (rc == 0 && (strcmp(dep.status, "failed") == 0 ||
		                     strcmp(dep.status, "cancelled") == 0))
			rc = pg_err_set(err, PG_EPRECOND, "dependsOn",
			                "dependsOn[%zu]: task %lld is %s and can never succeed", i,
			                (long long)dep.id, dep.status);
	}
	if (rc != 0)
		goto out;
	char *payload = pg_json_dump(pl);
	struct task_row_in in = {
	        .node_id = spec->node_id,
	        .timeout_sec = spec->timeout_sec > 0 ? spec->timeout_sec : 300,
	        .max_retries = spec->max_retries >= 0 ? spec->max_retries : 3,
	        .type = spec->type,
	        .payload = payload,
	        .idempotency_key = spec->idempotency_key,
	        .trace_id = call->trace_id ? call->trace_id : "",
	        .created_by = call->actor,
	        .owner = spec->owner,
	};
	rc = task_store_insert(c, &in, id, err);
	free(payload);
	deps = json_array();
	for (size_t i = 0; rc == 0 && i < spec->ndeps; i++) {
		rc = task_store_add_dep(c, *id, spec->depends_on[i], err);
		json_array_append_new(deps, json_integer(spec->depends_on[i]));
	}
	if (rc == 0) {
		json_t *d = json_pack("{s:s, s:I, s:O}", "type", spec->type, "nodeId",
		                      (json_int_t)spec->node_id, "dependsOn", deps);
		rc = audit_record(c, call, "task.queue", "task", *id, d, err);
		json_decref(d);
	}
out:
	json_decref(deps);
	json_decref(pl);
	return rc;
}

int cluster_task_queue(struct cluster *cl, const struct pg_call *call,
                       const struct cluster_task_spec *spec, int64_t *id, bool *existed,
                       struct pg_err *err)
{
	struct store_conn *c = store_conn_get(cl->store, err);
	if (!c || store_begin(c, STORE_TX_WRITE, err) != 0)
		return err->code;
	json_t *node = NULL;
	int rc = cluster_node_store_get(c, spec->node_id, &node, err);
	json_decref(node);
	if (rc == 0)
		rc = cluster_task_insert(cl, c, call, spec, id, existed, err);
	rc = store_end(c, rc, err);
	if (rc != 0)
		return rc;
	if (!*existed)
		cluster_wake_after(cl, c, spec->node_id);
	return 0;
}

struct wake_after {
	struct cluster *cl;
	int64_t node_id;
};

static void wake_after_run(void *arg)
{
	struct wake_after *w = arg;
	cluster_wake(w->cl, w->node_id);
}

void cluster_wake_after(struct cluster *cl, struct store_conn *c, int64_t node_id)
{
	struct wake_after *w = malloc(sizeof(*w));
	if (!w) {
		cluster_wake(cl, node_id); /* early rather than never */
		return;
	}
	*w = (struct wake_after){cl, node_id};
	store_after_commit(c, wake_after_run, free, w);
}

void cluster_wake(struct cluster *cl, int64_t node_id)
{
	pg_wake_one(&cl->opts.wake, node_id);
	if (store_shared(cl->store)) { /* the node may be polling another replica */
		char id[24];
		snprintf(id, sizeof(id), "%lld", (long long)node_id);
		store_notify(cl->store, "pagoda_wake", id);
	}
}

/* A wake sent by any replica (NULL: some may have been lost). */
void cluster_on_wake_notice(void *arg, const char *payload)
{
	struct cluster *cl = arg;
	if (payload)
		pg_wake_one(&cl->opts.wake, strtoll(payload, NULL, 10));
	else
		pg_wake_all(&cl->opts.wake);
}

void cluster_wake_at(struct cluster *cl, int64_t node_id, int64_t at_ms)
{
	pthread_mutex_lock(&cl->lock);
	if (cl->nwakeups == cl->capwakeups) {
		size_t cap = cl->capwakeups ? cl->capwakeups * 2 : 16;
		struct wakeup *w = realloc(cl->wakeups, cap * sizeof(*w));
		if (w) {
			cl->wakeups = w;
			cl->capwakeups = cap;
		}
	}
	if (cl->nwakeups < cl->capwakeups)
		cl->wakeups[cl->nwakeups++] = (struct wakeup){node_id, at_ms};
	pthread_mutex_unlock(&cl->lock);
}

void cluster_wake_due(struct cluster *cl)
{
	int64_t now = pg_time_now_ms();
	struct id_list due = {0};
	pthread_mutex_lock(&cl->lock);
	for (size_t i = 0; i < cl->nwakeups;) {
		if (cl->wakeups[i].at_ms <= now) {
			id_list_push(&due, cl->wakeups[i].node_id);
			cl->wakeups[i] = cl->wakeups[--cl->nwakeups];
		} else {
			i++;
		}
	}
	pthread_mutex_unlock(&cl->lock);
	for (size_t i = 0; i < due.n; i++)
		cluster_wake(cl, due.v[i]);
	id_list_free(&due);
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

/* Whether a claim would hand out anything, without the write lock (which
 * every replica's writers share): most polls find nothing. 1, 0 or a
 * (negative) error code. */
static int claim_peek(struct store_conn *c, int64_t node_id, int64_t now, json_t *running_ids,
                      struct pg_err *err)
{
	struct id_list running = {0}, fresh = {0};
	int rc = task_store_running_of_node(c, node_id, &running, err);
	if (rc == 0)
		rc = task_store_claimable(c, node_id, now, 1, &fresh, err);
	bool any = fresh.n > 0;
	for (size_t i = 0; i < running.n; i++)
		any = any || !id_in(running_ids, running.v[i]);
	id_list_free(&running);
	id_list_free(&fresh);
	return rc != 0 ? rc : any;
}

int cluster_task_ready(struct cluster *cl, int64_t node_id, json_t *running_ids, struct pg_err *err)
{
	struct store_conn *c = store_conn_get(cl->store, err);
	if (!c)
		return err->code;
	return claim_peek(c, node_id, pg_time_now_ms(), running_ids, err);
}

/* Hands node_id up to max tasks inside c's write transaction: first the
 * ones the server thinks are running but the agent does not hold (lost on
 * the way, or the agent restarted: same attempt, the agent's journal keeps
 * them from running twice) unless fresh_only (a report's answer), then
 * ready ones. */
static int claim_in(struct cluster *cl, struct store_conn *c, int64_t node_id, int64_t now,
                    int64_t max, json_t *running_ids, bool fresh_only, json_t *tasks,
                    struct pg_err *err)
{
	struct id_list running = {0}, fresh = {0};
	int rc = fresh_only ? 0 : task_store_running_of_node(c, node_id, &running, err);
	if (rc == 0)
		rc = task_store_claimable(c, node_id, now, max, &fresh, err);
	for (size_t i = 0; rc == 0 && i < running.n + fresh.n; i++) {
		bool again = i < running.n;
		int64_t id = again ? running.v[i] : fresh.v[i - running.n];
		if (again && id_in(running_ids, id))
			continue;
		if ((int64_t)json_array_size(tasks) >= max)
			break;
		struct task_state s;
		json_t *t = NULL;
		rc = task_store_state(c, id, &s, err);
		if (rc == 0)
			rc = task_store_deliver(c, id, !again, now,
			                        lease_until(cl, now, s.timeout_sec), err);
		if (rc == 0)
			rc = task_store_delivery(c, id, &t, err);
		if (rc == 0)
			rc = payload_open(cl, json_object_get(t, "payload"), err);
		if (rc == 0) {
			json_t *d = json_pack("{s:I, s:b, s:s}", "attempt",
			                      (json_int_t)(again ? s.attempt : s.attempt + 1),
			                      "redelivery", again, "via",
			                      fresh_only ? "report" : "poll");
			struct pg_call call = {
			        "system", json_string_value(json_object_get(t, "traceId")), NULL};
			rc = audit_record(c, &call, "task.deliver", "task", id, d, err);
			json_decref(d);
			json_array_append_new(tasks, t);
		} else {
			json_decref(t); /* an unseal failure, say */
		}
	}
	id_list_free(&running);
	id_list_free(&fresh);
	return rc;
}

int cluster_task_claim(struct cluster *cl, int64_t node_id, int64_t max, json_t *running_ids,
                       json_t *tasks, struct pg_err *err)
{
	struct store_conn *c = store_conn_get(cl->store, err);
	if (!c)
		return err->code;
	int64_t now = pg_time_now_ms();
	int rc = claim_peek(c, node_id, now, running_ids, err);
	if (rc <= 0)
		return rc; /* nothing to hand out, or the error */
	if (store_begin(c, STORE_TX_WRITE, err) != 0)
		return err->code;
	rc = claim_in(cl, c, node_id, now, max, running_ids, false, tasks, err);
	rc = store_end(c, rc, err);
	if (rc != 0)
		json_array_clear(tasks);
	return rc;
}

/* Keeps the tail of an agent's output: the end is where errors are. */
static const char *tail(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	return n > OUTPUT_KEEP ? s + n - OUTPUT_KEEP : s;
}

struct report {
	int64_t task_id, attempt, exit_code;
	int64_t next; /* a final report: hand the node up to this many ready tasks */
	const char *status, *out, *errout, *error;
	json_t *artifacts;
	bool retryable;
};

static int parse_report(json_t *r, struct report *p, struct pg_err *err)
{
	static const char *const statuses[] = {"running", "succeeded", "failed", NULL};
	memset(p, 0, sizeof(*p));
	p->exit_code = INT64_MIN;
	int rc = pg_json_int(r, "taskId", true, 1, INT64_MAX, &p->task_id, err);
	if (rc == 0)
		rc = pg_json_int(r, "attempt", false, 0, INT32_MAX, &p->attempt, err);
	if (rc == 0)
		rc = pg_json_str(r, "status", true, 16, &p->status, err);
	if (rc == 0) {
		bool ok = false;
		for (int i = 0; statuses[i]; i++)
			ok |= strcmp(p->status, statuses[i]) == 0;
		if (!ok)
			rc = pg_err_set(err, PG_EINVAL, "status",
			                "status must be running, succeeded or failed");
	}
	if (rc == 0)
		rc = pg_json_str(r, "stdout", false, 1u << 24, &p->out, err);
	if (rc == 0)
		rc = pg_json_str(r, "stderr", false, 1u << 24, &p->errout, err);
	if (rc == 0)
		rc = pg_json_str(r, "errorMessage", false, 8192, &p->error, err);
	if (rc == 0)
		rc = pg_json_int(r, "exitCode", false, INT32_MIN, INT32_MAX, &p->exit_code, err);
	if (rc == 0)
		rc = pg_json_obj(r, "artifacts", false, &p->artifacts, err);
	if (rc == 0)
		rc = pg_json_bool(r, "retryable", false, &p->retryable, err);
	if (rc == 0)
		rc = pg_json_int(r, "next", false, 0, 20, &p->next, err);
	if (rc == 0 && strcmp(p->status, "failed") == 0 && !p->error)
		rc = pg_err_set(err, PG_EINVAL, "errorMessage",
		                "a failed report needs errorMessage");
	return rc;
}

static const struct pg_metric_family m_task_duration = {
        "pagoda_task_duration_seconds",
        "Time from a task's start on its node to its final report, by type and outcome",
        PG_METRIC_HISTOGRAM,
        {"type", "status"},
        pg_metrics_duration_buckets};

/* Applies a report inside c's transaction; *wake lists nodes to wake. */
static int apply_report(struct cluster *cl, struct store_conn *c, const struct pg_call *call,
                        int64_t node_id, const struct report *p, struct id_list *wake,
                        char settled[64], json_t **out, struct pg_err *err)
{
	struct task_state s;
	int rc = task_store_state(c, p->task_id, &s, err);
	if (rc == PG_ENOTFOUND || (rc == 0 && s.node_id != node_id))
		return pg_err_set(err, PG_ENOTFOUND, "taskId", "no task %lld for this node",
		                  (long long)p->task_id);
	if (rc != 0)
		return rc;
	if (is_terminal(s.status)) {
		if (strcmp(s.status, p->status) == 0) {
			*out = json_pack("{s:I, s:s, s:b}", "taskId", (json_int_t)s.id, "status",
			                 s.status, "duplicate", 1);
			return 0;
		}
		return pg_err_set(err, PG_ECONFLICT, "status", "task %lld is already %s",
		                  (long long)s.id, s.status);
	}
	if (p->attempt && p->attempt != s.attempt)
		return pg_err_set(err, PG_ECONFLICT, "attempt",
		                  "stale report for attempt %lld; task %lld is on attempt %lld",
		                  (long long)p->attempt, (long long)s.id, (long long)s.attempt);
	int64_t now = pg_time_now_ms();
	const char *final = p->status;
	enum cluster_task_event ev = strcmp(p->status, "running") == 0     ? TASK_EV_RUNNING
	                             : strcmp(p->status, "succeeded") == 0 ? TASK_EV_SUCCEEDED
	                                                                   : TASK_EV_FAILED;
	if (ev == TASK_EV_FAILED && p->retryable && s.attempt <= s.max_retries)
		ev = TASK_EV_RETRY;
	if (!cluster_task_next_status(s.status, ev))
		return pg_err_set(err, PG_ECONFLICT, "status", "task %lld is %s; cannot report %s",
		                  (long long)s.id, s.status, p->status);
	char *artifacts = p->artifacts ? pg_json_dump(p->artifacts) : NULL;
	if (ev == TASK_EV_RUNNING) {
		rc = task_store_set_running(c, s.id, now, lease_until(cl, now, s.timeout_sec), err);
	} else if (ev == TASK_EV_RETRY) {
		int64_t at = now + cluster_task_backoff_ms(&cl->opts, s.attempt);
		final = "pending";
		rc = task_store_requeue(c, s.id, at, p->error, err);
		json_t *d = json_pack("{s:s, s:I}", "reason", p->error, "attempt",
		                      (json_int_t)s.attempt);
		if (rc == 0)
			rc = audit_record(c, call, "task.retry", "task", s.id, d, err);
		json_decref(d);
		if (rc == 0)
			cluster_wake_at(cl, node_id, at);
	} else {
		struct task_outcome o = {.status = final,
		                         .error = p->error,
		                         .out = tail(p->out),
		                         .errout = tail(p->errout),
		                         .result = artifacts,
		                         .exit_code = p->exit_code};
		rc = task_store_finish(c, s.id, &o, now, err);
		json_t *d = json_pack("{s:I, s:s?}", "attempt", (json_int_t)s.attempt, "error",
		                      p->error);
		if (rc == 0)
			rc = audit_record(c, call,
			                  ev == TASK_EV_SUCCEEDED ? "task.succeed" : "task.fail",
			                  "task", s.id, d, err);
		json_decref(d);
		if (rc == 0 && ev == TASK_EV_FAILED)
			rc = cascade(c, call, s.id, "failed", err);
		if (rc == 0) {
			struct cluster_task_done done = {0};
			rc = task_store_done_view(c, s.id, &done, err);
			if (rc == 0)
				pg_metrics_observe(&m_task_duration,
				                   (double)(done.finished_at - done.started_at) /
				                           1000.0,
				                   done.type, done.status, NULL);
			if (rc == 0 && cl->opts.on_task_done)
				rc = cl->opts.on_task_done(cl->opts.on_task_done_arg, c, &done,
				                           err);
			if (rc == 0)
				snprintf(settled, 64, "%s", done.owner[0] ? done.owner : "-");
			cluster_task_done_clear(&done);
		}
		if (rc == 0 && ev == TASK_EV_SUCCEEDED) {
			/* Dependents may sit on other nodes; wake them all. */
			struct id_list deps = {0};
			rc = task_store_dependents(c, s.id, &deps, err);
			for (size_t i = 0; rc == 0 && i < deps.n; i++) {
				struct task_state ds;
				rc = task_store_state(c, deps.v[i], &ds, err);
				if (rc == 0)
					id_list_push(wake, ds.node_id);
			}
			id_list_free(&deps);
		}
	}
	free(artifacts);
	if (rc == 0)
		*out = json_pack("{s:I, s:s}", "taskId", (json_int_t)s.id, "status", final);
	return rc;
}

/* What a report sets in motion once it is committed: the owner's
 * reconciler and the long polls of nodes whose tasks became ready. */
struct report_after {
	struct cluster *cl;
	struct id_list wake;
	char settled[64];
};

static void report_after_run(void *arg)
{
	struct report_after *a = arg;
	struct cluster *cl = a->cl;
	if (a->settled[0] && cl->opts.on_task_settled)
		cl->opts.on_task_settled(cl->opts.on_task_settled_arg,
		                         strcmp(a->settled, "-") ? a->settled : "");
	for (size_t i = 0; i < a->wake.n; i++)
		cluster_wake(cl, a->wake.v[i]);
}

static void report_after_free(void *arg)
{
	struct report_after *a = arg;
	id_list_free(&a->wake);
	free(a);
}

int cluster_task_report(struct cluster *cl, const struct pg_call *call, int64_t node_id,
                        json_t *report, json_t **out, struct pg_err *err)
{
	struct report p;
	int rc = parse_report(report, &p, err);
	if (rc != 0)
		return rc;
	struct report_after *a = calloc(1, sizeof(*a));
	if (!a)
		return pg_err_set(err, PG_EINTERNAL, "", "out of memory");
	a->cl = cl;
	struct store_conn *c = store_conn_get(cl->store, err);
	if (!c || store_begin(c, STORE_TX_WRITE, err) != 0) {
		report_after_free(a);
		return err->code;
	}
	rc = apply_report(cl, c, call, node_id, &p, &a->wake, a->settled, out, err);
	/* the agent's next tasks in the same commit: a dependency chain moves
	 * on without a poll of its own (the running ones it holds, it holds) */
	if (rc == 0 && p.next && strcmp(p.status, "running") != 0) {
		json_t *tasks = json_array();
		rc = claim_in(cl, c, node_id, pg_time_now_ms(), p.next, NULL, true, tasks, err);
		json_object_set_new(*out, "tasks", tasks);
	}
	rc = store_end(c, rc, err);
	if (rc != 0) {
		json_decref(*out);
		*out = NULL;
		report_after_free(a);
		return rc;
	}
	store_after_commit(c, report_after_run, report_after_free, a);
	return 0;
}

static int cancel_one(struct store_conn *c, const struct pg_call *call, int64_t id,
                      struct pg_err *err)
{
	struct task_state s;
	int rc = task_store_state(c, id, &s, err);
	if (rc == PG_ENOTFOUND)
		return pg_err_set(err, PG_ENOTFOUND, "id", "no task %lld", (long long)id);
	if (rc != 0)
		return rc;
	if (!cluster_task_next_status(s.status, TASK_EV_CANCEL))
		return pg_err_set(err, PG_ECONFLICT, "id", "task %lld is already %s", (long long)id,
		                  s.status);
	struct task_outcome o = {
	        .status = "cancelled", .error = "cancelled by request", .exit_code = INT64_MIN};
	rc = task_store_finish(c, id, &o, pg_time_now_ms(), err);
	json_t *d = json_pack("{s:s}", "from", s.status);
	if (rc == 0)
		rc = audit_record(c, call, "task.cancel", "task", id, d, err);
	json_decref(d);
	if (rc == 0)
		rc = cascade(c, call, id, "cancelled", err);
	return rc;
}

int cluster_task_cancel(struct cluster *cl, const struct pg_call *call, int64_t id,
                        struct pg_err *err)
{
	struct store_conn *c = store_conn_get(cl->store, err);
	if (!c || store_begin(c, STORE_TX_WRITE, err) != 0)
		return err->code;
	int rc = cancel_one(c, call, id, err);
	rc = store_end(c, rc, err);
	return rc;
}

int cluster_task_cancel_in(struct store_conn *c, const struct pg_call *call, int64_t id,
                           struct pg_err *err)
{
	struct task_state s;
	int rc = task_store_state(c, id, &s, err);
	if (rc == 0 && is_terminal(s.status))
		return 0;
	return rc == 0 ? cancel_one(c, call, id, err) : rc;
}

int cluster_task_cancel_node(struct store_conn *c, const struct pg_call *call, int64_t node_id,
                             struct pg_err *err)
{
	struct id_list ids = {0};
	int rc = task_store_unfinished_of_node(c, node_id, &ids, err);
	for (size_t i = 0; rc == 0 && i < ids.n; i++) {
		struct task_state s;
		rc = task_store_state(c, ids.v[i], &s, err);
		/* A cascade from an earlier one may have ended it already. */
		if (rc == 0 && !is_terminal(s.status))
			rc = cancel_one(c, call, ids.v[i], err);
	}
	id_list_free(&ids);
	return rc;
}

void cluster_task_reap(struct cluster *cl)
{
	struct pg_err err = {0};
	struct store_conn *c = store_conn_get(cl->store, &err);
	if (!c || store_begin(c, STORE_TX_WRITE, &err) != 0) {
		pg_error("cluster", "lease check cannot start: %s", err.message);
		return;
	}
	int64_t now = pg_time_now_ms();
	struct id_list ids = {0};
	int rc = task_store_expired(c, now, &ids, &err);
	for (size_t i = 0; rc == 0 && i < ids.n; i++) {
		struct task_state s;
		rc = task_store_state(c, ids.v[i], &s, &err);
		if (rc != 0)
			break;
		char msg[160];
		json_t *d;
		if (s.attempt <= s.max_retries) {
			int64_t at = now + cluster_task_backoff_ms(&cl->opts, s.attempt);
			snprintf(msg, sizeof(msg),
			         "lease expired on attempt %lld: no report from the agent within"
			         " timeoutSec plus grace; retrying",
			         (long long)s.attempt);
			rc = task_store_requeue(c, s.id, at, msg, &err);
			d = json_pack("{s:s, s:I}", "reason", msg, "attempt",
			              (json_int_t)s.attempt);
			if (rc == 0)
				rc = audit_record(c, &system_call, "task.retry", "task", s.id, d,
				                  &err);
			cluster_wake_at(cl, s.node_id, at);
		} else {
			snprintf(msg, sizeof(msg),
			         "lease expired on attempt %lld and no retries are left",
			         (long long)s.attempt);
			struct task_outcome o = {
			        .status = "failed", .error = msg, .exit_code = INT64_MIN};
			rc = task_store_finish(c, s.id, &o, now, &err);
			d = json_pack("{s:s}", "reason", msg);
			if (rc == 0)
				rc = audit_record(c, &system_call, "task.fail", "task", s.id, d,
				                  &err);
			if (rc == 0)
				rc = cascade(c, &system_call, s.id, "failed", &err);
		}
		json_decref(d);
		pg_warn("cluster", "task %lld: %s", (long long)s.id, msg);
	}
	id_list_free(&ids);
	rc = store_end(c, rc, &err);
	if (rc != 0)
		pg_error("cluster", "lease check failed: %s", err.message);
}

json_t *cluster_task_get(struct cluster *cl, int64_t id, bool full, struct pg_err *err)
{
	struct store_conn *c = store_conn_get(cl->store, err);
	json_t *t = NULL;
	if (c)
		task_store_view(c, id, full, &t, err);
	return t;
}

int cluster_task_list(struct cluster *cl, const struct task_filter *f, json_t *items, int64_t *next,
                      struct pg_err *err)
{
	struct store_conn *c = store_conn_get(cl->store, err);
	return c ? task_store_list(c, f, items, next, err) : err->code;
}

int cluster_task_last_payload(struct cluster *cl, int64_t node_id, const char *type,
                              const char *field, const char *value, json_t **out,
                              struct pg_err *err)
{
	struct store_conn *c = store_conn_get(cl->store, err);
	return c ? task_store_last_payload(c, node_id, type, field, value, out, err) : err->code;
}

void cluster_task_done_clear(struct cluster_task_done *d)
{
	json_decref(d->payload);
	json_decref(d->artifacts);
	d->payload = d->artifacts = NULL;
}

int cluster_task_unfinished_of_owner(struct store_conn *c, int64_t node_id, const char *owner,
                                     int64_t *count, struct pg_err *err)
{
	return task_store_count_unfinished(c, node_id, owner, count, err);
}

int cluster_task_requeue_copy(struct cluster *cl, struct store_conn *c, const struct pg_call *call,
                              int64_t id, const char *idempotency_key, int64_t *new_id,
                              bool *existed, struct pg_err *err)
{
	struct cluster_task_done d = {0};
	int rc = task_store_done_view(c, id, &d, err);
	if (rc != 0)
		return rc;
	struct cluster_task_spec spec = {
	        .node_id = d.node_id,
	        .type = d.type,
	        .payload = d.payload,
	        .timeout_sec = d.timeout_sec,
	        .max_retries = d.max_retries,
	        .idempotency_key = idempotency_key,
	        .owner = d.owner[0] ? d.owner : NULL,
	};
	rc = cluster_task_insert(cl, c, call, &spec, new_id, existed, err);
	cluster_task_done_clear(&d);
	return rc;
}

int cluster_task_counts(struct cluster *cl, json_t **out, struct pg_err *err)
{
	struct store_conn *c = store_conn_get(cl->store, err);
	if (!c)
		return err->code;
	*out = json_array();
	int rc = task_store_counts(c, *out, err);
	if (rc != 0) {
		json_decref(*out);
		*out = NULL;
	}
	return rc;
}
