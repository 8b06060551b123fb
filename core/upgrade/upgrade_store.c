/* upgrade_store: agent_upgrade and agent_upgrade_node rows. */
#include "upgrade/upgrade_int.h"
#include "common/pg_json.h"
#include "common/pg_time.h"
#include "store/store.h"

#include <stdlib.h>

#define UPGRADE_COLS                                                                               \
	"id, to_version, selector, sha256, deadline_sec, status, error, created_by, created_at, "  \
	"finished_at"

static json_t *upgrade_row(struct store_stmt *st)
{
	json_t *u = json_pack("{s:I, s:s, s:s?, s:o, s:I, s:s, s:s?, s:s}", "id",
	                      (json_int_t)store_col_i64(st, 0), "to", store_col_text(st, 1),
	                      "selector", store_col_null(st, 2) ? NULL : store_col_text(st, 2),
	                      "sha256", pg_json_load_text(store_col_text(st, 3)), "deadlineSec",
	                      (json_int_t)store_col_i64(st, 4), "status", store_col_text(st, 5),
	                      "error", store_col_null(st, 6) ? NULL : store_col_text(st, 6),
	                      "createdBy", store_col_text(st, 7));
	pg_json_set_time(u, "createdAt", store_col_i64(st, 8));
	pg_json_set_time(u, "finishedAt", store_col_null(st, 9) ? 0 : store_col_i64(st, 9));
	return u;
}

int upgrade_store_insert(struct store_conn *c, const char *to, const char *selector,
                         const char *sha_json, int64_t deadline, const char *by, int64_t *id,
                         struct pg_err *err)
{
	static const char sql[] =
	        "INSERT INTO agent_upgrade (to_version, selector, sha256, deadline_sec, status, "
	        "created_by, created_at) VALUES ($1, $2, $3, $4, 'running', $5, $6) RETURNING id";
	struct store_stmt *st;
	int rc = store_query(c, sql, &st, err, ST(to), ST(selector), ST(sha_json), SI(deadline),
	                     ST(by), SI(pg_time_now_ms()));
	if (rc > 0)
		*id = store_col_i64(st, 0);
	store_done(st);
	return store_ok(rc);
}

int upgrade_store_node_insert(struct store_conn *c, int64_t id, int64_t node, int64_t batch,
                              const char *status, const char *from, const char *error,
                              struct pg_err *err)
{
	static const char sql[] =
	        "INSERT INTO agent_upgrade_node (upgrade_id, node_id, batch, status, from_version, "
	        "error) VALUES ($1, $2, $3, $4, $5, $6)";
	return store_ok(store_run(c, sql, err, SI(id), SI(node), SI(batch), ST(status), ST(from),
	                          ST(error)));
}

int upgrade_store_get(struct store_conn *c, int64_t id, json_t **out, struct pg_err *err)
{
	static const char sql[] = "SELECT " UPGRADE_COLS " FROM agent_upgrade WHERE id = $1";
	static const char nodes[] =
	        "SELECT node_id, batch, status, from_version, task_id, started_at, finished_at, "
	        "error FROM agent_upgrade_node WHERE upgrade_id = $1 ORDER BY batch, node_id";
	struct store_stmt *st;
	int rc = store_query(c, sql, &st, err, SI(id));
	if (rc > 0)
		*out = upgrade_row(st);
	store_done(st);
	if (rc == 0)
		return pg_err_set(err, PG_ENOTFOUND, "id", "no agent upgrade %lld", (long long)id);
	if (rc < 0)
		return rc;
	json_t *list = json_array();
	rc = store_query(c, nodes, &st, err, SI(id));
	while (rc > 0) {
		json_t *n = json_pack(
		        "{s:I, s:I, s:s, s:s?, s:O?, s:s?}", "nodeId",
		        (json_int_t)store_col_i64(st, 0), "batch", (json_int_t)store_col_i64(st, 1),
		        "status", store_col_text(st, 2), "fromVersion",
		        store_col_null(st, 3) ? NULL : store_col_text(st, 3), "taskId",
		        store_col_null(st, 4) ? NULL : json_integer(store_col_i64(st, 4)), "error",
		        store_col_null(st, 7) ? NULL : store_col_text(st, 7));
		pg_json_set_time(n, "startedAt", store_col_null(st, 5) ? 0 : store_col_i64(st, 5));
		pg_json_set_time(n, "finishedAt", store_col_null(st, 6) ? 0 : store_col_i64(st, 6));
		json_array_append_new(list, n);
		rc = store_step(st, err);
	}
	store_done(st);
	json_object_set_new(*out, "nodes", list);
	return store_ok(rc);
}

int upgrade_store_list(struct store_conn *c, json_t *items, struct pg_err *err)
{
	static const char sql[] =
	        "SELECT " UPGRADE_COLS " FROM agent_upgrade ORDER BY id DESC LIMIT 200";
	struct store_stmt *st;
	int rc = store_query(c, sql, &st, err);
	while (rc > 0) {
		json_array_append_new(items, upgrade_row(st));
		rc = store_step(st, err);
	}
	store_done(st);
	return store_ok(rc);
}

int upgrade_store_running(struct store_conn *c, int64_t *ids, size_t max, size_t *n,
                          struct pg_err *err)
{
	struct store_stmt *st;
	*n = 0;
	int rc = store_query(c, "SELECT id FROM agent_upgrade WHERE status = 'running' ORDER BY id",
	                     &st, err);
	while (rc > 0 && *n < max) {
		ids[(*n)++] = store_col_i64(st, 0);
		rc = store_step(st, err);
	}
	store_done(st);
	return store_ok(rc);
}

int upgrade_store_node_set(struct store_conn *c, int64_t id, int64_t node, const char *status,
                           int64_t task, const char *error, struct pg_err *err)
{
	static const char sql[] =
	        "UPDATE agent_upgrade_node SET status = $1, task_id = COALESCE($2, task_id), error "
	        "= COALESCE($3, error),"
	        " started_at = CASE WHEN $1 = 'upgrading' THEN $4 ELSE started_at END,"
	        " finished_at = CASE WHEN $1 IN ('upgraded', 'failed', 'cancelled') THEN $4 ELSE "
	        "finished_at END"
	        " WHERE upgrade_id = $5 AND node_id = $6";
	return store_ok(store_run(c, sql, err, ST(status), SIN(task), ST(error),
	                          SI(pg_time_now_ms()), SI(id), SI(node)));
}

int upgrade_store_finish(struct store_conn *c, int64_t id, const char *status, const char *error,
                         struct pg_err *err)
{
	static const char sql[] =
	        "UPDATE agent_upgrade SET status = $1, error = $2, finished_at = $3 WHERE id = $4";
	static const char rest[] =
	        "UPDATE agent_upgrade_node SET status = 'cancelled' WHERE upgrade_id = $1 AND "
	        "status = 'pending'";
	int rc = store_ok(
	        store_run(c, sql, err, ST(status), ST(error), SI(pg_time_now_ms()), SI(id)));
	return rc == 0 ? store_ok(store_run(c, rest, err, SI(id))) : rc;
}
