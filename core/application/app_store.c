/* DAO for app_application, app_ingress, app_release and its progress. */
#include "application/app_int.h"
#include "common/pg_json.h"
#include "common/pg_time.h"
#include "store/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Text of obj[key] as JSON (owned). */
static char *dump(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);
	return pg_json_dump(v ? v : json_object());
}

int app_store_insert(struct store_conn *c, json_t *a, int64_t *id, struct pg_err *err)
{
	static const char sql[] =
	        "INSERT INTO app_application (name, type, labels, selector, desired_state, spec, "
	        "strategy,"
	        " rollback_mode, require_approval, created_at, updated_at)"
	        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) RETURNING id";
	char *labels = dump(a, "labels"), *sel = dump(a, "selector"), *spec = dump(a, "spec"),
	     *strat = dump(a, "strategy");
	struct store_stmt *st;
	int rc = store_query(c, sql, &st, err, ST(json_string_value(json_object_get(a, "name"))),
	                     ST(json_string_value(json_object_get(a, "type"))), ST(labels), ST(sel),
	                     ST(json_string_value(json_object_get(a, "desiredState"))), ST(spec),
	                     ST(strat), ST(json_string_value(json_object_get(a, "rollback"))),
	                     SI(json_is_true(json_object_get(a, "requireApproval"))),
	                     SI(pg_time_now_ms()));
	if (rc > 0)
		*id = store_col_i64(st, 0);
	store_done(st);
	free(labels), free(sel), free(spec), free(strat);
	if (rc == PG_ECONFLICT)
		return pg_err_set(err, PG_ECONFLICT, "name",
		                  "an application named '%s' exists already",
		                  json_string_value(json_object_get(a, "name")));
	return store_ok(rc);
}

int app_store_update(struct store_conn *c, int64_t id, json_t *a, struct pg_err *err)
{
	static const char sql[] = "UPDATE app_application SET labels = $1, selector = $2, "
	                          "desired_state = $3, spec = $4,"
	                          " strategy = $5, rollback_mode = $6, require_approval = $7, "
	                          "updated_at = $8 WHERE id = $9";
	char *labels = dump(a, "labels"), *sel = dump(a, "selector"), *spec = dump(a, "spec"),
	     *strat = dump(a, "strategy");
	int rc = store_run(c, sql, err, ST(labels), ST(sel),
	                   ST(json_string_value(json_object_get(a, "desiredState"))), ST(spec),
	                   ST(strat), ST(json_string_value(json_object_get(a, "rollback"))),
	                   SI(json_is_true(json_object_get(a, "requireApproval"))),
	                   SI(pg_time_now_ms()), SI(id));
	free(labels), free(sel), free(spec), free(strat);
	return store_ok(rc);
}

#define APP_COLS                                                                                   \
	"id, name, type, labels, selector, desired_state, spec, strategy, rollback_mode,"          \
	" require_approval, current_release_id, created_at, updated_at, namespace"

static json_t *app_row(struct store_stmt *st)
{
	json_t *a = json_object();
	json_object_set_new(a, "id", json_integer(store_col_i64(st, 0)));
	json_object_set_new(a, "namespace", json_string(store_col_text(st, 13)));
	json_object_set_new(a, "name", json_string(store_col_text(st, 1)));
	json_object_set_new(a, "type", json_string(store_col_text(st, 2)));
	json_object_set_new(a, "labels", pg_json_load_text(store_col_text(st, 3)));
	json_object_set_new(a, "selector", pg_json_load_text(store_col_text(st, 4)));
	json_object_set_new(a, "desiredState", json_string(store_col_text(st, 5)));
	json_object_set_new(a, "spec", pg_json_load_text(store_col_text(st, 6)));
	json_object_set_new(a, "strategy", pg_json_load_text(store_col_text(st, 7)));
	json_object_set_new(a, "rollback", json_string(store_col_text(st, 8)));
	json_object_set_new(a, "requireApproval", json_boolean(store_col_i64(st, 9)));
	json_object_set_new(a, "currentReleaseId",
	                    store_col_null(st, 10) ? json_null()
	                                           : json_integer(store_col_i64(st, 10)));
	pg_json_set_time(a, "createdAt", store_col_i64(st, 11));
	pg_json_set_time(a, "updatedAt", store_col_i64(st, 12));
	return a;
}

int app_store_get(struct store_conn *c, int64_t id, json_t **out, struct pg_err *err)
{
	static const char sql[] = "SELECT " APP_COLS " FROM app_application WHERE id = $1";
	struct store_stmt *st;
	int rc = store_query(c, sql, &st, err, SI(id));
	if (rc > 0)
		*out = app_row(st);
	store_done(st);
	if (rc == 0)
		return pg_err_set(err, PG_ENOTFOUND, "id", "no application %lld", (long long)id);
	return store_ok(rc);
}

int app_store_list(struct store_conn *c, int64_t after, int64_t limit, json_t *items,
                   struct pg_err *err)
{
	static const char sql[] =
	        "SELECT " APP_COLS " FROM app_application WHERE id > $1 ORDER BY id LIMIT $2";
	struct store_stmt *st;
	int rc;
	for (rc = store_query(c, sql, &st, err, SI(after), SI(limit)); rc > 0;
	     rc = store_step(st, err))
		json_array_append_new(items, app_row(st));
	store_done(st);
	return store_ok(rc);
}

int app_store_list_jobs(struct store_conn *c, json_t *items, struct pg_err *err)
{
	/* a text match narrows the rows (specs are JSON text in both stores);
	 * app_is_job decides */
	static const char sql[] =
	        "SELECT " APP_COLS " FROM app_application"
	        " WHERE type = 'SystemdService' AND current_release_id IS NOT NULL"
	        " AND spec LIKE '%\"schedule\"%' ORDER BY id";
	struct store_stmt *st;
	int rc;
	for (rc = store_query(c, sql, &st, err); rc > 0; rc = store_step(st, err)) {
		json_t *app = app_row(st);
		if (app_is_job(app))
			json_array_append(items, app);
		json_decref(app);
	}
	store_done(st);
	return store_ok(rc);
}

int app_store_delete(struct store_conn *c, int64_t id, struct pg_err *err)
{
	static const char sql[] = "DELETE FROM app_application WHERE id = $1";
	return store_ok(store_run(c, sql, err, SI(id)));
}

int app_store_set_current(struct store_conn *c, int64_t app_id, int64_t release_id,
                          struct pg_err *err)
{
	static const char sql[] =
	        "UPDATE app_application SET current_release_id = $1, updated_at = $2 WHERE id = $3";
	return store_ok(store_run(c, sql, err, SIN(release_id), SI(pg_time_now_ms()), SI(app_id)));
}

int app_ingress_insert(struct store_conn *c, int64_t app_id, json_t *spec, const char *site,
                       int64_t *id, struct pg_err *err)
{
	static const char sql[] =
	        "INSERT INTO app_ingress (app_id, spec, nginx_site_name, created_at,"
	        " updated_at) VALUES ($1, $2, $3, $4, $4) RETURNING id";
	char *text = pg_json_dump(spec);
	struct store_stmt *st;
	int rc =
	        store_query(c, sql, &st, err, SI(app_id), ST(text), ST(site), SI(pg_time_now_ms()));
	if (rc > 0)
		*id = store_col_i64(st, 0);
	store_done(st);
	free(text);
	return store_ok(rc);
}

int app_ingress_update(struct store_conn *c, int64_t id, json_t *spec, struct pg_err *err)
{
	static const char sql[] = "UPDATE app_ingress SET spec = $1, updated_at = $2 WHERE id = $3";
	char *text = pg_json_dump(spec);
	int rc = store_run(c, sql, err, ST(text), SI(pg_time_now_ms()), SI(id));
	free(text);
	return store_ok(rc);
}

int app_ingress_delete(struct store_conn *c, int64_t id, struct pg_err *err)
{
	return store_ok(store_run(c, "DELETE FROM app_ingress WHERE id = $1", err, SI(id)));
}

static json_t *ingress_row(struct store_stmt *st)
{
	json_t *i = pg_json_load_text(store_col_text(st, 2));
	json_object_set_new(i, "id", json_integer(store_col_i64(st, 0)));
	json_object_set_new(i, "appId", json_integer(store_col_i64(st, 1)));
	json_object_set_new(i, "nginxSiteName", json_string(store_col_text(st, 3)));
	pg_json_set_time(i, "createdAt", store_col_i64(st, 4));
	pg_json_set_time(i, "updatedAt", store_col_i64(st, 5));
	return i;
}

int app_ingress_get(struct store_conn *c, int64_t id, json_t **out, struct pg_err *err)
{
	static const char sql[] = "SELECT id, app_id, spec, nginx_site_name, created_at, updated_at"
	                          " FROM app_ingress WHERE id = $1";
	struct store_stmt *st;
	int rc = store_query(c, sql, &st, err, SI(id));
	if (rc > 0)
		*out = ingress_row(st);
	store_done(st);
	if (rc == 0)
		return pg_err_set(err, PG_ENOTFOUND, "ingressId", "no ingress %lld", (long long)id);
	return store_ok(rc);
}

int app_ingress_list(struct store_conn *c, int64_t app_id, json_t *items, struct pg_err *err)
{
	static const char sql[] = "SELECT id, app_id, spec, nginx_site_name, created_at, updated_at"
	                          " FROM app_ingress WHERE app_id = $1 ORDER BY id";
	struct store_stmt *st;
	int rc;
	for (rc = store_query(c, sql, &st, err, SI(app_id)); rc > 0; rc = store_step(st, err))
		json_array_append_new(items, ingress_row(st));
	store_done(st);
	return store_ok(rc);
}

int app_release_insert(struct store_conn *c, const struct rel_in *in, int64_t *id,
                       struct pg_err *err)
{
	static const char sql[] = "INSERT INTO app_release (app_id, version, kind, status, "
	                          "previous_release_id, rollback_of,"
	                          " target_nodes, artifacts, diff, diff_text, note, trace_id, "
	                          "created_by, created_at, updated_at)"
	                          " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, "
	                          "$13, $14, $14) RETURNING id";
	struct store_stmt *st;
	int rc = store_query(c, sql, &st, err, SI(in->app_id), SI(in->version), ST(in->kind),
	                     ST(in->status), SIN(in->previous), SIN(in->rollback_of),
	                     ST(in->target_nodes), ST(in->artifacts), ST(in->diff),
	                     ST(in->diff_text), ST(in->note ? in->note : ""), ST(in->trace_id),
	                     ST(in->created_by), SI(pg_time_now_ms()));
	if (rc > 0)
		*id = store_col_i64(st, 0);
	store_done(st);
	return store_ok(rc);
}

int app_release_next_version(struct store_conn *c, int64_t app_id, int64_t *v, struct pg_err *err)
{
	static const char sql[] =
	        "SELECT COALESCE(MAX(version), 0) + 1 FROM app_release WHERE app_id = $1";
	struct store_stmt *st;
	int rc = store_query(c, sql, &st, err, SI(app_id));
	*v = rc > 0 ? store_col_i64(st, 0) : 1;
	store_done(st);
	return store_ok(rc);
}

#define REL_COLS                                                                                   \
	"id, app_id, version, kind, status, previous_release_id, rollback_of, target_nodes, diff," \
	" error, note, trace_id, created_by, approved_by, created_at, updated_at, started_at,"     \
	" finished_at, artifacts, diff_text, plan"

static json_t *opt_int(struct store_stmt *st, int col)
{
	return store_col_null(st, col) ? json_null() : json_integer(store_col_i64(st, col));
}

static json_t *opt_text(struct store_stmt *st, int col)
{
	return store_col_null(st, col) ? json_null() : json_string(store_col_text(st, col));
}

static json_t *release_row(struct store_stmt *st, bool full)
{
	json_t *r = json_object();
	json_object_set_new(r, "id", json_integer(store_col_i64(st, 0)));
	json_object_set_new(r, "appId", json_integer(store_col_i64(st, 1)));
	json_object_set_new(r, "version", json_integer(store_col_i64(st, 2)));
	json_object_set_new(r, "kind", json_string(store_col_text(st, 3)));
	json_object_set_new(r, "status", json_string(store_col_text(st, 4)));
	json_object_set_new(r, "previousReleaseId", opt_int(st, 5));
	json_object_set_new(r, "rollbackOf", opt_int(st, 6));
	json_object_set_new(r, "targetNodes",
	                    store_col_null(st, 7) ? json_null()
	                                          : pg_json_load_text(store_col_text(st, 7)));
	json_object_set_new(r, "diff", pg_json_load_text(store_col_text(st, 8)));
	json_object_set_new(r, "error", opt_text(st, 9));
	json_object_set_new(r, "note", json_string(store_col_text(st, 10)));
	json_object_set_new(r, "traceId", opt_text(st, 11));
	json_object_set_new(r, "createdBy", json_string(store_col_text(st, 12)));
	json_object_set_new(r, "approvedBy", opt_text(st, 13));
	pg_json_set_time(r, "createdAt", store_col_i64(st, 14));
	pg_json_set_time(r, "updatedAt", store_col_i64(st, 15));
	pg_json_set_time(r, "startedAt", store_col_i64(st, 16));
	pg_json_set_time(r, "finishedAt", store_col_i64(st, 17));
	if (full) {
		json_object_set_new(r, "artifacts", pg_json_load_text(store_col_text(st, 18)));
		json_object_set_new(r, "diffText", json_string(store_col_text(st, 19)));
		json_object_set_new(r, "plan",
		                    store_col_null(st, 20)
		                            ? json_null()
		                            : pg_json_load_text(store_col_text(st, 20)));
	}
	return r;
}

int app_release_get(struct store_conn *c, int64_t id, bool full, json_t **out, struct pg_err *err)
{
	static const char sql[] = "SELECT " REL_COLS " FROM app_release WHERE id = $1";
	struct store_stmt *st;
	int rc = store_query(c, sql, &st, err, SI(id));
	if (rc > 0)
		*out = release_row(st, full);
	store_done(st);
	if (rc == 0)
		return pg_err_set(err, PG_ENOTFOUND, "id", "no release %lld", (long long)id);
	return store_ok(rc);
}

int app_release_list(struct store_conn *c, int64_t app_id, json_t *items, struct pg_err *err)
{
	static const char sql[] =
	        "SELECT " REL_COLS " FROM app_release WHERE app_id = $1 ORDER BY id DESC";
	struct store_stmt *st;
	int rc;
	for (rc = store_query(c, sql, &st, err, SI(app_id)); rc > 0; rc = store_step(st, err))
		json_array_append_new(items, release_row(st, false));
	store_done(st);
	return store_ok(rc);
}

int app_release_newest(struct store_conn *c, int64_t app_id, json_t **out, struct pg_err *err)
{
	static const char sql[] = "SELECT id, kind, status FROM app_release WHERE app_id = $1"
	                          " ORDER BY id DESC LIMIT 1";
	struct store_stmt *st;
	*out = NULL;
	int rc = store_query(c, sql, &st, err, SI(app_id));
	if (rc > 0)
		*out = json_pack("{s:I, s:s, s:s}", "id", (json_int_t)store_col_i64(st, 0), "kind",
		                 store_col_text(st, 1), "status", store_col_text(st, 2));
	store_done(st);
	return store_ok(rc);
}

int app_release_set_status(struct store_conn *c, int64_t id, enum app_release_status to,
                           const char *error, struct pg_err *err)
{
	const char *status = app_release_status_name(to);
	/* started_at on the first run, finished_at on a final state */
	static const char sql[] =
	        "UPDATE app_release SET status = $1, error = COALESCE($2, error), updated_at = $3,"
	        " started_at = CASE WHEN $1 = 'running' THEN COALESCE(started_at, $3) ELSE "
	        "started_at END,"
	        " finished_at = CASE WHEN $1 IN ('succeeded', 'failed', 'rolled_back', 'cancelled')"
	        " THEN $3 ELSE finished_at END WHERE id = $4";
	return store_ok(
	        store_run(c, sql, err, ST(status), ST(error), SI(pg_time_now_ms()), SI(id)));
}

int app_release_set_approved(struct store_conn *c, int64_t id, const char *by, struct pg_err *err)
{
	static const char sql[] = "UPDATE app_release SET status = 'approved', approved_by = $1,"
	                          " updated_at = $2 WHERE id = $3";
	return store_ok(store_run(c, sql, err, ST(by), SI(pg_time_now_ms()), SI(id)));
}

int app_release_set_plan(struct store_conn *c, int64_t id, json_t *plan, struct pg_err *err)
{
	static const char sql[] = "UPDATE app_release SET plan = $1, updated_at = $2 WHERE id = $3";
	char *text = pg_json_dump(plan);
	int rc = store_run(c, sql, err, ST(text), SI(pg_time_now_ms()), SI(id));
	free(text);
	return store_ok(rc);
}

int app_release_ids(struct store_conn *c, const char *status, json_t *items, struct pg_err *err)
{
	static const char sql[] = "SELECT id FROM app_release WHERE status = $1 ORDER BY id";
	struct store_stmt *st;
	int rc;
	for (rc = store_query(c, sql, &st, err, ST(status)); rc > 0; rc = store_step(st, err))
		json_array_append_new(items, json_integer(store_col_i64(st, 0)));
	store_done(st);
	return store_ok(rc);
}

int app_release_active(struct store_conn *c, int64_t app_id, int64_t *id, struct pg_err *err)
{
	static const char sql[] =
	        "SELECT id FROM app_release WHERE app_id = $1 AND status IN"
	        " ('created', 'approved', 'running', 'paused') ORDER BY id LIMIT 1";
	struct store_stmt *st;
	int rc = store_query(c, sql, &st, err, SI(app_id));
	*id = rc > 0 ? store_col_i64(st, 0) : 0;
	store_done(st);
	return store_ok(rc);
}

int app_batch_insert(struct store_conn *c, int64_t rel, int64_t idx, json_t *spec,
                     struct pg_err *err)
{
	static const char sql[] =
	        "INSERT INTO app_release_batch (release_id, idx, spec) VALUES ($1, $2, $3)";
	char *text = pg_json_dump(spec);
	int rc = store_run(c, sql, err, SI(rel), SI(idx), ST(text));
	free(text);
	return store_ok(rc);
}

int app_batch_list(struct store_conn *c, int64_t rel, json_t *items, struct pg_err *err)
{
	static const char sql[] =
	        "SELECT idx, spec, status, decision, not_before, started_at, finished_at"
	        " FROM app_release_batch WHERE release_id = $1 ORDER BY idx";
	struct store_stmt *st;
	int rc;
	for (rc = store_query(c, sql, &st, err, SI(rel)); rc > 0; rc = store_step(st, err)) {
		json_t *b = pg_json_load_text(store_col_text(st, 1));
		json_object_set_new(b, "index", json_integer(store_col_i64(st, 0)));
		json_object_set_new(b, "status", json_string(store_col_text(st, 2)));
		json_object_set_new(b, "decision",
		                    store_col_null(st, 3)
		                            ? json_null()
		                            : pg_json_load_text(store_col_text(st, 3)));
		json_object_set_new(b, "notBeforeMs", json_integer(store_col_i64(st, 4)));
		pg_json_set_time(b, "startedAt", store_col_i64(st, 5));
		pg_json_set_time(b, "finishedAt", store_col_i64(st, 6));
		json_array_append_new(items, b);
	}
	store_done(st);
	return store_ok(rc);
}

int app_batch_set(struct store_conn *c, int64_t rel, int64_t idx, enum app_batch_status to,
                  json_t *decision, int64_t not_before, struct pg_err *err)
{
	const char *status = app_batch_status_name(to);
	static const char sql[] =
	        "UPDATE app_release_batch SET status = $1, decision = COALESCE($2, decision),"
	        " not_before = $3, started_at = CASE WHEN $1 = 'running' THEN COALESCE(started_at, "
	        "$4)"
	        " ELSE started_at END, finished_at = CASE WHEN $1 = 'done' THEN $4 ELSE "
	        "finished_at END"
	        " WHERE release_id = $5 AND idx = $6";
	char *d = decision ? pg_json_dump(decision) : NULL;
	int rc = store_run(c, sql, err, ST(status), ST(d), SI(not_before), SI(pg_time_now_ms()),
	                   SI(rel), SI(idx));
	free(d);
	return store_ok(rc);
}

int app_node_insert(struct store_conn *c, int64_t rel, int64_t node, int64_t batch,
                    enum app_node_status to, const char *error, struct pg_err *err)
{
	const char *status = app_node_status_name(to);
	static const char sql[] =
	        "INSERT INTO app_release_node (release_id, node_id, batch, status, error)"
	        " VALUES ($1, $2, $3, $4, $5)";
	return store_ok(
	        store_run(c, sql, err, SI(rel), SI(node), SI(batch), ST(status), ST(error)));
}

int app_node_list(struct store_conn *c, int64_t rel, json_t *items, struct pg_err *err)
{
	static const char sql[] =
	        "SELECT node_id, batch, status, tasks, error, started_at, finished_at"
	        " FROM app_release_node WHERE release_id = $1 ORDER BY batch, node_id";
	struct store_stmt *st;
	int rc;
	for (rc = store_query(c, sql, &st, err, SI(rel)); rc > 0; rc = store_step(st, err)) {
		json_t *n = json_pack(
		        "{s:I, s:I, s:s, s:o, s:o}", "nodeId", (json_int_t)store_col_i64(st, 0),
		        "batch", (json_int_t)store_col_i64(st, 1), "status", store_col_text(st, 2),
		        "tasks", pg_json_load_text(store_col_text(st, 3)), "error",
		        opt_text(st, 4));
		pg_json_set_time(n, "startedAt", store_col_i64(st, 5));
		pg_json_set_time(n, "finishedAt", store_col_i64(st, 6));
		json_array_append_new(items, n);
	}
	store_done(st);
	return store_ok(rc);
}

int app_node_set(struct store_conn *c, int64_t rel, int64_t node, enum app_node_status to,
                 json_t *tasks, const char *error, struct pg_err *err)
{
	const char *status = app_node_status_name(to);
	static const char sql[] = "UPDATE app_release_node SET status = $1, tasks = COALESCE($2, "
	                          "tasks), error = COALESCE($3, error),"
	                          " started_at = CASE WHEN $1 = 'running' THEN "
	                          "COALESCE(started_at, $4) ELSE started_at END,"
	                          " finished_at = CASE WHEN $1 IN ('succeeded', 'failed', "
	                          "'timeout') THEN $4 ELSE finished_at END"
	                          " WHERE release_id = $5 AND node_id = $6";
	char *t = tasks ? pg_json_dump(tasks) : NULL;
	int rc = store_run(c, sql, err, ST(status), ST(t), ST(error), SI(pg_time_now_ms()), SI(rel),
	                   SI(node));
	free(t);
	return store_ok(rc);
}

int app_site_get(struct store_conn *c, int64_t app_id, char sha[65], struct pg_err *err)
{
	static const char sql[] = "SELECT content_sha256 FROM app_site_state WHERE app_id = $1";
	struct store_stmt *st;
	int rc = store_query(c, sql, &st, err, SI(app_id));
	snprintf(sha, 65, "%s", rc > 0 ? store_col_text(st, 0) : "");
	store_done(st);
	return store_ok(rc);
}

int app_site_put(struct store_conn *c, int64_t app_id, const char *sha, int64_t idx,
                 struct pg_err *err)
{
	static const char sql[] =
	        "INSERT INTO app_site_state (app_id, content_sha256, registry_index, updated_at)"
	        " VALUES ($1, $2, $3, $4) ON CONFLICT (app_id) DO UPDATE SET content_sha256 = $2,"
	        " registry_index = $3, updated_at = $4";
	return store_ok(store_run(c, sql, err, SI(app_id), ST(sha), SI(idx), SI(pg_time_now_ms())));
}

int app_release_counts(struct store_conn *c, json_t *counts, struct pg_err *err)
{
	static const char sql[] = "SELECT status, COUNT(*) FROM app_release GROUP BY status";
	struct store_stmt *st;
	int rc;
	for (rc = store_query(c, sql, &st, err); rc > 0; rc = store_step(st, err))
		json_object_set_new(counts, store_col_text(st, 0),
		                    json_integer(store_col_i64(st, 1)));
	store_done(st);
	return store_ok(rc);
}

int app_release_last_finished(struct store_conn *c, json_t *items, struct pg_err *err)
{
	/* The newest finished release of each application. */
	static const char sql[] =
	        "SELECT r.app_id, a.name, r.id, r.version, r.kind, r.status, r.error, r.finished_at"
	        " FROM app_release r JOIN app_application a ON a.id = r.app_id"
	        " WHERE r.id = (SELECT MAX(id) FROM app_release x WHERE x.app_id = r.app_id"
	        "   AND x.status IN ('succeeded', 'failed', 'rolled_back', 'cancelled'))"
	        " ORDER BY r.app_id";
	struct store_stmt *st;
	int rc;
	for (rc = store_query(c, sql, &st, err); rc > 0; rc = store_step(st, err)) {
		json_t *r = json_pack(
		        "{s:I, s:s, s:I, s:I, s:s, s:s, s:o}", "appId",
		        (json_int_t)store_col_i64(st, 0), "appName", store_col_text(st, 1),
		        "releaseId", (json_int_t)store_col_i64(st, 2), "version",
		        (json_int_t)store_col_i64(st, 3), "kind", store_col_text(st, 4), "status",
		        store_col_text(st, 5), "error", opt_text(st, 6));
		pg_json_set_time(r, "finishedAt", store_col_i64(st, 7));
		json_array_append_new(items, r);
	}
	store_done(st);
	return store_ok(rc);
}
