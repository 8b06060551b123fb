/* DAO for cluster_task and cluster_task_dep. */
#include "cluster/cluster_int.h"
#include "common/pg_json.h"
#include "common/pg_time.h"
#include "store/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int id_list_push(struct id_list *l, int64_t id)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		int64_t *v = realloc(l->v, cap * sizeof(*v));
		if (!v)
			return PG_EINTERNAL;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = id;
	return 0;
}

void id_list_free(struct id_list *l)
{
	free(l->v);
	memset(l, 0, sizeof(*l));
}

/* Collects the single id column of sql's rows into out. */
static int collect_ids(struct store_stmt *st, int rc, struct id_list *out, struct pg_err *err)
{
	for (; rc > 0; rc = store_step(st, err))
		if (id_list_push(out, store_col_i64(st, 0)) != 0) {
			rc = pg_err_set(err, PG_EINTERNAL, "", "out of memory");
			break;
		}
	store_done(st);
	return rc < 0 ? rc : 0;
}

int task_store_insert(struct store_conn *c, const struct task_row_in *in, int64_t *id,
                      struct pg_err *err)
{
	static const char sql[] =
	        "INSERT INTO cluster_task (node_id, type, payload, max_retries, timeout_sec,"
	        " idempotency_key, trace_id, created_by, created_at, owner)"
	        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id";
	struct store_stmt *st;
	int rc = store_query(c, sql, &st, err, SI(in->node_id), ST(in->type), ST(in->payload),
	                     SI(in->max_retries), SI(in->timeout_sec), ST(in->idempotency_key),
	                     ST(in->trace_id), ST(in->created_by), SI(pg_time_now_ms()),
	                     ST(in->owner));
	if (rc > 0)
		*id = store_col_i64(st, 0);
	store_done(st);
	return store_ok(rc);
}

int task_store_find_idem(struct store_conn *c, int64_t node_id, const char *key, int64_t *id,
                         struct pg_err *err)
{
	static const char sql[] =
	        "SELECT id FROM cluster_task WHERE node_id = $1 AND idempotency_key = $2";
	struct store_stmt *st;
	int rc = store_query(c, sql, &st, err, SI(node_id), ST(key));
	*id = rc > 0 ? store_col_i64(st, 0) : 0;
	store_done(st);
	return store_ok(rc);
}

int task_store_add_dep(struct store_conn *c, int64_t task_id, int64_t dep_id, struct pg_err *err)
{
	static const char sql[] = "INSERT INTO cluster_task_dep (task_id, dep_id) VALUES ($1, $2)"
	                          " ON CONFLICT DO NOTHING";
	return store_ok(store_run(c, sql, err, SI(task_id), SI(dep_id)));
}

int task_store_state(struct store_conn *c, int64_t id, struct task_state *out, struct pg_err *err)
{
	static const char sql[] =
	        "SELECT id, node_id, attempt, max_retries, timeout_sec, status, type"
	        " FROM cluster_task WHERE id = $1";
	struct store_stmt *st;
	int rc = store_query(c, sql, &st, err, SI(id));
	if (rc > 0) {
		out->id = store_col_i64(st, 0);
		out->node_id = store_col_i64(st, 1);
		out->attempt = store_col_i64(st, 2);
		out->max_retries = store_col_i64(st, 3);
		out->timeout_sec = store_col_i64(st, 4);
		snprintf(out->status, sizeof(out->status), "%s", store_col_text(st, 5));
		snprintf(out->type, sizeof(out->type), "%s", store_col_text(st, 6));
	}
	store_done(st);
	if (rc == 0)
		return pg_err_set(err, PG_ENOTFOUND, "taskId", "no task %lld", (long long)id);
	return store_ok(rc);
}

#define TASK_VIEW_COLS                                                                             \
	"id, node_id, type, status, attempt, max_retries, timeout_sec, idempotency_key,"           \
	" error_message, exit_code, result, lease_until, next_attempt_at, trace_id,"               \
	" created_by, created_at, delivered_at, started_at, finished_at, payload, stdout,"         \
	" stderr"

static json_t *opt_text(struct store_stmt *st, int col)
{
	return store_col_null(st, col) ? json_null() : json_string(store_col_text(st, col));
}

/* Secrets a task payload may carry; admin views never show them. */
static void redact(const char *type, json_t *payload)
{
	if (strcmp(type, "DeployCertificate") == 0 && json_object_get(payload, "keyPem"))
		json_object_set_new(payload, "keyPem", json_string("<redacted>"));
	if (strcmp(type, "DeployCertificate") == 0 && json_object_get(payload, "keyPemSealed"))
		json_object_set_new(payload, "keyPemSealed", json_string("<sealed>"));
	size_t i;
	json_t *f;
	if (strcmp(type, "ApplyConfigFiles") == 0)
		json_array_foreach (json_object_get(payload, "files"), i, f) {
			if (json_object_get(f, "contentSealed"))
				json_object_set_new(f, "contentSealed", json_string("<sealed>"));
			else if (json_is_true(json_object_get(f, "secret")))
				json_object_set_new(f, "content", json_string("<redacted>"));
		}
}

static json_t *task_row(struct store_stmt *st, bool full)
{
	json_t *t = json_object();
	const char *status = store_col_text(st, 3);
	int64_t attempt = store_col_i64(st, 4);
	json_object_set_new(t, "id", json_integer(store_col_i64(st, 0)));
	json_object_set_new(t, "nodeId", json_integer(store_col_i64(st, 1)));
	json_object_set_new(t, "type", json_string(store_col_text(st, 2)));
	json_object_set_new(t, "status", json_string(status));
	json_object_set_new(t, "attempt", json_integer(attempt));
	json_object_set_new(t, "retryCount", json_integer(attempt > 1 ? attempt - 1 : 0));
	json_object_set_new(t, "maxRetries", json_integer(store_col_i64(st, 5)));
	json_object_set_new(t, "timeoutSec", json_integer(store_col_i64(st, 6)));
	json_object_set_new(t, "idempotencyKey", opt_text(st, 7));
	json_object_set_new(t, "errorMessage", opt_text(st, 8));
	json_object_set_new(t, "exitCode",
	                    store_col_null(st, 9) ? json_null()
	                                          : json_integer(store_col_i64(st, 9)));
	json_object_set_new(t, "result",
	                    store_col_null(st, 10) ? json_null()
	                                           : pg_json_load_text(store_col_text(st, 10)));
	pg_json_set_time(t, "leaseUntil",
	                 strcmp(status, "running") == 0 ? store_col_i64(st, 11) : 0);
	pg_json_set_time(t, "nextAttemptAt",
	                 strcmp(status, "pending") == 0 ? store_col_i64(st, 12) : 0);
	json_object_set_new(t, "traceId", json_string(store_col_text(st, 13)));
	json_object_set_new(t, "createdBy", json_string(store_col_text(st, 14)));
	pg_json_set_time(t, "createdAt", store_col_i64(st, 15));
	pg_json_set_time(t, "deliveredAt", store_col_i64(st, 16));
	pg_json_set_time(t, "startedAt", store_col_i64(st, 17));
	pg_json_set_time(t, "finishedAt", store_col_i64(st, 18));
	int64_t start = store_col_i64(st, 17) ? store_col_i64(st, 17) : store_col_i64(st, 16);
	json_object_set_new(t, "durationMs",
	                    store_col_i64(st, 18) && start
	                            ? json_integer(store_col_i64(st, 18) - start)
	                            : json_null());
	if (full) {
		json_t *payload = pg_json_load_text(store_col_text(st, 19));
		redact(store_col_text(st, 2), payload);
		json_object_set_new(t, "payload", payload);
		json_object_set_new(t, "stdout", opt_text(st, 20));
		json_object_set_new(t, "stderr", opt_text(st, 21));
	}
	return t;
}

static int add_deps(struct store_conn *c, json_t *task, struct pg_err *err)
{
	static const char sql[] =
	        "SELECT dep_id FROM cluster_task_dep WHERE task_id = $1 ORDER BY dep_id";
	struct store_stmt *st;
	json_t *deps = json_array();
	int rc;
	for (rc = store_query(c, sql, &st, err,
	                      SI(json_integer_value(json_object_get(task, "id"))));
	     rc > 0; rc = store_step(st, err))
		json_array_append_new(deps, json_integer(store_col_i64(st, 0)));
	store_done(st);
	json_object_set_new(task, "dependsOn", deps);
	return store_ok(rc);
}

int task_store_view(struct store_conn *c, int64_t id, bool full, json_t **out, struct pg_err *err)
{
	static const char sql[] = "SELECT " TASK_VIEW_COLS " FROM cluster_task WHERE id = $1";
	struct store_stmt *st;
	int rc = store_query(c, sql, &st, err, SI(id));
	json_t *t = rc > 0 ? task_row(st, full) : NULL;
	store_done(st);
	if (rc == 0)
		return pg_err_set(err, PG_ENOTFOUND, "id", "no task %lld", (long long)id);
	if (rc < 0)
		return rc;
	rc = add_deps(c, t, err);
	if (rc != 0) {
		json_decref(t);
		return rc;
	}
	*out = t;
	return 0;
}

int task_store_list(struct store_conn *c, const struct task_filter *f, json_t *items, int64_t *next,
                    struct pg_err *err)
{
	static const char sql[] =
	        "SELECT " TASK_VIEW_COLS " FROM cluster_task WHERE id < $1"
	        " AND ($2 = 0 OR node_id = $2) AND (CAST($3 AS TEXT) IS NULL OR status = $3)"
	        " AND (CAST($4 AS TEXT) IS NULL OR type = $4) AND (CAST($5 AS TEXT) IS NULL OR "
	        "trace_id = $5)"
	        " ORDER BY id DESC LIMIT $6";
	struct store_stmt *st;
	int64_t last = 0;
	int rc;
	*next = 0;
	for (rc = store_query(c, sql, &st, err, SI(f->before_id), SI(f->node_id), ST(f->status),
	                      ST(f->type), ST(f->trace_id), SI(f->limit + 1));
	     rc > 0; rc = store_step(st, err)) {
		if ((int64_t)json_array_size(items) == f->limit) {
			*next = last;
			break;
		}
		last = store_col_i64(st, 0);
		json_array_append_new(items, task_row(st, false));
	}
	store_done(st);
	size_t i;
	json_t *t;
	json_array_foreach (items, i, t)
		if (rc >= 0)
			rc = add_deps(c, t, err);
	return store_ok(rc);
}

int task_store_delivery(struct store_conn *c, int64_t id, json_t **out, struct pg_err *err)
{
	static const char sql[] = "SELECT id, type, trace_id, timeout_sec, "
	                          "COALESCE(idempotency_key, CAST(id AS TEXT)),"
	                          " attempt, payload FROM cluster_task WHERE id = $1";
	struct store_stmt *st;
	int rc = store_query(c, sql, &st, err, SI(id));
	if (rc > 0) {
		*out = json_object();
		json_object_set_new(*out, "taskId", json_integer(store_col_i64(st, 0)));
		json_object_set_new(*out, "type", json_string(store_col_text(st, 1)));
		json_object_set_new(*out, "traceId", json_string(store_col_text(st, 2)));
		json_object_set_new(*out, "timeoutSec", json_integer(store_col_i64(st, 3)));
		json_object_set_new(*out, "idempotencyKey", json_string(store_col_text(st, 4)));
		json_object_set_new(*out, "attempt", json_integer(store_col_i64(st, 5)));
		json_object_set_new(*out, "payload", pg_json_load_text(store_col_text(st, 6)));
	}
	store_done(st);
	if (rc == 0)
		return pg_err_set(err, PG_ENOTFOUND, "taskId", "no task %lld", (long long)id);
	return store_ok(rc);
}

int task_store_claimable(struct store_conn *c, int64_t node_id, int64_t now, int64_t limit,
                         struct id_list *out, struct pg_err *err)
{
	/* Deliverable: pending, past its backoff, every dependency succeeded. */
	static const char sql[] =
	        "SELECT t.id FROM cluster_task t WHERE t.node_id = $1 AND t.status = 'pending'"
	        " AND t.next_attempt_at <= $2 AND NOT EXISTS (SELECT 1 FROM cluster_task_dep d"
	        " JOIN cluster_task p ON p.id = d.dep_id WHERE d.task_id = t.id"
	        " AND p.status <> 'succeeded') ORDER BY t.id LIMIT $3";
	struct store_stmt *st;
	int rc = store_query(c, sql, &st, err, SI(node_id), SI(now), SI(limit));
	return collect_ids(st, rc, out, err);
}

int task_store_running_of_node(struct store_conn *c, int64_t node_id, struct id_list *out,
                               struct pg_err *err)
{
	static const char sql[] = "SELECT id FROM cluster_task WHERE node_id = $1"
	                          " AND status = 'running' ORDER BY id";
	struct store_stmt *st;
	int rc = store_query(c, sql, &st, err, SI(node_id));
	return collect_ids(st, rc, out, err);
}

int task_store_deliver(struct store_conn *c, int64_t id, bool new_attempt, int64_t now,
                       int64_t lease_until, struct pg_err *err)
{
	static const char sql[] =
	        "UPDATE cluster_task SET status = 'running', attempt = attempt + $1,"
	        " delivered_at = $2, started_at = NULL, lease_until = $3 WHERE id = $4";
	return store_ok(
	        store_run(c, sql, err, SI((int64_t)new_attempt), SI(now), SI(lease_until), SI(id)));
}

int task_store_set_running(struct store_conn *c, int64_t id, int64_t now, int64_t lease_until,
                           struct pg_err *err)
{
	static const char sql[] = "UPDATE cluster_task SET started_at = COALESCE(started_at, $1),"
	                          " lease_until = $2 WHERE id = $3";
	return store_ok(store_run(c, sql, err, SI(now), SI(lease_until), SI(id)));
}

int task_store_finish(struct store_conn *c, int64_t id, const struct task_outcome *o, int64_t now,
                      struct pg_err *err)
{
	static const char sql[] =
	        "UPDATE cluster_task SET status = $1, error_message = $2, stdout = COALESCE($3, "
	        "stdout),"
	        " stderr = COALESCE($4, stderr), exit_code = $5, result = COALESCE($6, result),"
	        " finished_at = $7, lease_until = NULL WHERE id = $8";
	struct store_stmt *st;
	int rc = store_prepare(c, sql, &st, err);
	if (rc != 0)
		return rc;
	/* exit_code may be any integer, 0 included, or none: bound by hand. */
	store_bind_text(st, 1, o->status);
	store_bind_text(st, 2, o->error);
	store_bind_text(st, 3, o->out);
	store_bind_text(st, 4, o->errout);
	if (o->exit_code != INT64_MIN)
		store_bind_i64(st, 5, o->exit_code);
	store_bind_text(st, 6, o->result);
	store_bind_i64(st, 7, now);
	store_bind_i64(st, 8, id);
	rc = store_step(st, err);
	store_done(st);
	return store_ok(rc);
}

int task_store_requeue(struct store_conn *c, int64_t id, int64_t next_at, const char *error,
                       struct pg_err *err)
{
	static const char sql[] =
	        "UPDATE cluster_task SET status = 'pending', next_attempt_at = $1,"
	        " error_message = $2, lease_until = NULL WHERE id = $3";
	return store_ok(store_run(c, sql, err, SI(next_at), ST(error), SI(id)));
}

int task_store_expired(struct store_conn *c, int64_t now, struct id_list *out, struct pg_err *err)
{
	static const char sql[] = "SELECT id FROM cluster_task WHERE status = 'running'"
	                          " AND lease_until < $1 ORDER BY id LIMIT 1000";
	struct store_stmt *st;
	int rc = store_query(c, sql, &st, err, SI(now));
	return collect_ids(st, rc, out, err);
}

int task_store_dependents(struct store_conn *c, int64_t id, struct id_list *out, struct pg_err *err)
{
	static const char sql[] = "SELECT d.task_id FROM cluster_task_dep d JOIN cluster_task t"
	                          " ON t.id = d.task_id WHERE d.dep_id = $1"
	                          " AND t.status IN ('pending', 'running') ORDER BY d.task_id";
	struct store_stmt *st;
	int rc = store_query(c, sql, &st, err, SI(id));
	return collect_ids(st, rc, out, err);
}

int task_store_unfinished_of_node(struct store_conn *c, int64_t node_id, struct id_list *out,
                                  struct pg_err *err)
{
	static const char sql[] = "SELECT id FROM cluster_task WHERE node_id = $1"
	                          " AND status IN ('pending', 'running') ORDER BY id";
	struct store_stmt *st;
	int rc = store_query(c, sql, &st, err, SI(node_id));
	return collect_ids(st, rc, out, err);
}

int task_store_last_payload(struct store_conn *c, int64_t node_id, const char *type,
                            const char *field, const char *value, json_t **out, struct pg_err *err)
{
	/* The payload is JSON text: match in C over a bounded window of the
	 * node's newest successes of that type. */
	static const char sql[] =
	        "SELECT id, payload FROM cluster_task WHERE node_id = $1"
	        " AND type = $2 AND status = 'succeeded' ORDER BY id DESC LIMIT 200";
	struct store_stmt *st;
	int rc;
	*out = NULL;
	for (rc = store_query(c, sql, &st, err, SI(node_id), ST(type)); rc > 0 && !*out;
	     rc = store_step(st, err)) {
		json_t *p = pg_json_load_text(store_col_text(st, 1));
		const char *v = json_string_value(json_object_get(p, field));
		if (v && value && strcmp(v, value) == 0)
			*out = json_pack("{s:I, s:O}", "taskId", (json_int_t)store_col_i64(st, 0),
			                 "payload", p);
		json_decref(p);
	}
	store_done(st);
	return store_ok(rc);
}

int task_store_done_view(struct store_conn *c, int64_t id, struct cluster_task_done *d,
                         struct pg_err *err)
{
	static const char sql[] =
	        "SELECT node_id, type, status, COALESCE(owner, ''), payload, result, created_at,"
	        " COALESCE(started_at, delivered_at, created_at), COALESCE(finished_at, 0),"
	        " timeout_sec, max_retries FROM cluster_task WHERE id = $1";
	struct store_stmt *st;
	int rc = store_query(c, sql, &st, err, SI(id));
	if (rc > 0) {
		d->task_id = id;
		d->node_id = store_col_i64(st, 0);
		snprintf(d->type, sizeof(d->type), "%s", store_col_text(st, 1));
		snprintf(d->status, sizeof(d->status), "%s", store_col_text(st, 2));
		snprintf(d->owner, sizeof(d->owner), "%s", store_col_text(st, 3));
		d->payload = pg_json_load_text(store_col_text(st, 4));
		d->artifacts =
		        store_col_null(st, 5) ? NULL : pg_json_load_text(store_col_text(st, 5));
		d->created_at = store_col_i64(st, 6);
		d->started_at = store_col_i64(st, 7);
		d->finished_at = store_col_i64(st, 8);
		d->timeout_sec = store_col_i64(st, 9);
		d->max_retries = store_col_i64(st, 10);
	}
	store_done(st);
	return rc == 0 ? pg_err_set(err, PG_ENOTFOUND, NULL, "no task %lld", (long long)id)
	               : store_ok(rc);
}

int task_store_count_unfinished(struct store_conn *c, int64_t node_id, const char *owner,
                                int64_t *count, struct pg_err *err)
{
	static const char sql[] =
	        "SELECT COUNT(*) FROM cluster_task WHERE node_id = $1 AND owner = $2"
	        " AND status IN ('pending', 'running')";
	struct store_stmt *st;
	int rc = store_query(c, sql, &st, err, SI(node_id), ST(owner));
	*count = rc > 0 ? store_col_i64(st, 0) : 0;
	store_done(st);
	return store_ok(rc);
}

int task_store_counts(struct store_conn *c, json_t *items, struct pg_err *err)
{
	static const char sql[] = "SELECT type, status, COUNT(*) FROM cluster_task GROUP BY type, "
	                          "status ORDER BY type, status";
	struct store_stmt *st;
	int rc;
	for (rc = store_query(c, sql, &st, err); rc > 0; rc = store_step(st, err))
		json_array_append_new(items,
		                      json_pack("{s:s, s:s, s:I}", "type", store_col_text(st, 0),
		                                "status", store_col_text(st, 1), "count",
		                                (json_int_t)store_col_i64(st, 2)));
	store_done(st);
	return store_ok(rc);
}
