/* DAO for drift_desired, drift_report and drift_verdict. */
#include "common/pg_json.h"
#include "common/pg_time.h"
#include "drift/drift_int.h"
#include "store/store.h"

#include <stdlib.h>

int drift_desired_put(struct store_conn *c, int64_t node, const char *item, const char *owner,
                      json_t *expect, int64_t task_id, struct pg_err *err)
{
	static const char sql[] =
	        "INSERT INTO drift_desired (node_id, item, owner, expect, task_id, updated_at)"
	        " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (node_id, item) DO UPDATE SET"
	        " owner = excluded.owner, expect = excluded.expect, task_id = excluded.task_id,"
	        " updated_at = excluded.updated_at";
	char *text = pg_json_dump(expect);
	int rc = store_run(c, sql, err, SI(node), ST(item), ST(owner), ST(text), SI(task_id),
	                   SI(pg_time_now_ms()));
	free(text);
	return store_ok(rc);
}

static int desired_rows(struct store_conn *c, const char *sql, struct store_arg a, json_t *items,
                        struct pg_err *err)
{
	struct store_stmt *st;
	int rc;
	for (rc = store_query(c, sql, &st, err, a); rc > 0; rc = store_step(st, err)) {
		json_t *r = json_pack("{s:I, s:s, s:s, s:o, s:I}", "nodeId",
		                      (json_int_t)store_col_i64(st, 0), "item",
		                      store_col_text(st, 1), "owner", store_col_text(st, 2),
		                      "expect", pg_json_load_text(store_col_text(st, 3)), "taskId",
		                      (json_int_t)store_col_i64(st, 4));
		pg_json_set_time(r, "updatedAt", store_col_i64(st, 5));
		json_object_set_new(r, "updatedAtMs", json_integer(store_col_i64(st, 5)));
		json_array_append_new(items, r);
	}
	store_done(st);
	return store_ok(rc);
}

int drift_desired_of_node(struct store_conn *c, int64_t node, json_t *items, struct pg_err *err)
{
	static const char sql[] =
	        "SELECT node_id, item, owner, expect, task_id, updated_at FROM drift_desired"
	        " WHERE node_id = $1 ORDER BY owner, item";
	return desired_rows(c, sql, SI(node), items, err);
}

int drift_desired_of_owner(struct store_conn *c, const char *owner, json_t *items,
                           struct pg_err *err)
{
	static const char sql[] =
	        "SELECT node_id, item, owner, expect, task_id, updated_at FROM drift_desired"
	        " WHERE owner = $1 ORDER BY node_id, item";
	return desired_rows(c, sql, ST(owner), items, err);
}

int drift_forget_owner(struct store_conn *c, const char *owner, struct pg_err *err)
{
	static const char del_desired[] = "DELETE FROM drift_desired WHERE owner = $1";
	static const char del_verdict[] = "DELETE FROM drift_verdict WHERE owner = $1";
	int rc = store_run(c, del_desired, err, ST(owner));
	if (rc >= 0)
		rc = store_run(c, del_verdict, err, ST(owner));
	return store_ok(rc);
}

int drift_report_put(struct store_conn *c, int64_t node, json_t *report, struct pg_err *err)
{
	static const char sql[] =
	        "INSERT INTO drift_report (node_id, report, received_at) VALUES ($1, $2, $3)"
	        " ON CONFLICT (node_id) DO UPDATE SET report = excluded.report, received_at = "
	        "excluded.received_at";
	char *text = pg_json_dump(report);
	int rc = store_run(c, sql, err, SI(node), ST(text), SI(pg_time_now_ms()));
	free(text);
	return store_ok(rc);
}

int drift_report_get(struct store_conn *c, int64_t node, json_t **report, int64_t *at,
                     struct pg_err *err)
{
	static const char sql[] = "SELECT report, received_at FROM drift_report WHERE node_id = $1";
	struct store_stmt *st;
	int rc = store_query(c, sql, &st, err, SI(node));
	*report = rc > 0 ? pg_json_load_text(store_col_text(st, 0)) : NULL;
	*at = rc > 0 ? store_col_i64(st, 1) : 0;
	store_done(st);
	return store_ok(rc);
}

static json_t *verdict_row(struct store_stmt *st)
{
	json_t *r = json_pack(
	        "{s:I, s:s, s:s, s:o, s:o, s:o}", "nodeId", (json_int_t)store_col_i64(st, 0),
	        "owner", store_col_text(st, 1), "status", store_col_text(st, 2), "drift",
	        pg_json_load_text(store_col_text(st, 3)), "heals",
	        pg_json_load_text(store_col_text(st, 5)), "decision",
	        store_col_null(st, 6) ? json_null() : pg_json_load_text(store_col_text(st, 6)));
	pg_json_set_time(r, "since", store_col_i64(st, 4));
	json_object_set_new(r, "sinceMs", json_integer(store_col_i64(st, 4)));
	return r;
}

#define VERDICT_COLS "node_id, owner, status, details, since, heals, decision"

int drift_verdict_get(struct store_conn *c, int64_t node, const char *owner, json_t **out,
                      struct pg_err *err)
{
	static const char sql[] =
	        "SELECT " VERDICT_COLS " FROM drift_verdict WHERE node_id = $1 AND owner = $2";
	struct store_stmt *st;
	int rc = store_query(c, sql, &st, err, SI(node), ST(owner));
	*out = rc > 0 ? verdict_row(st) : NULL;
	store_done(st);
	return store_ok(rc);
}

int drift_verdict_put(struct store_conn *c, int64_t node, const char *owner, const char *status,
                      json_t *details, int64_t since, json_t *heals, json_t *decision,
                      struct pg_err *err)
{
	static const char sql[] =
	        "INSERT INTO drift_verdict (node_id, owner, status, details, since, heals, "
	        "decision, updated_at)"
	        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (node_id, owner) DO UPDATE "
	        "SET"
	        " status = excluded.status, details = excluded.details, since = excluded.since,"
	        " heals = excluded.heals, decision = excluded.decision, updated_at = "
	        "excluded.updated_at";
	char *d = pg_json_dump(details), *h = pg_json_dump(heals),
	     *dec = decision ? pg_json_dump(decision) : NULL;
	int rc = store_run(c, sql, err, SI(node), ST(owner), ST(status), ST(d), SI(since), ST(h),
	                   ST(dec), SI(pg_time_now_ms()));
	free(d);
	free(h);
	free(dec);
	return store_ok(rc);
}

int drift_verdict_list(struct store_conn *c, const char *status, json_t *items, struct pg_err *err)
{
	static const char sql[] = "SELECT " VERDICT_COLS
	                          " FROM drift_verdict WHERE status = $1 ORDER BY node_id, owner";
	struct store_stmt *st;
	int rc;
	for (rc = store_query(c, sql, &st, err, ST(status)); rc > 0; rc = store_step(st, err))
		json_array_append_new(items, verdict_row(st));
	store_done(st);
	return store_ok(rc);
}

int drift_unsettled_nodes(struct store_conn *c, json_t *ids, struct pg_err *err)
{
	static const char sql[] = "SELECT DISTINCT node_id FROM drift_verdict WHERE status <> "
	                          "'converged' ORDER BY node_id";
	struct store_stmt *st;
	int rc;
	for (rc = store_query(c, sql, &st, err); rc > 0; rc = store_step(st, err))
		json_array_append_new(ids, json_integer(store_col_i64(st, 0)));
	store_done(st);
	return store_ok(rc);
}
