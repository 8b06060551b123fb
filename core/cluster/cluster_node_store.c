/* DAO for cluster_node. */
#include "cluster/cluster_int.h"
#include "common/pg_json.h"
#include "common/pg_time.h"
#include "store/store.h"

#include <string.h>

json_t *cluster_node_row(struct store_stmt *st)
{
	json_t *n = json_object();
	bool cordoned = store_col_i64(st, 5) != 0;
	const char *agent = store_col_text(st, 4);
	json_object_set_new(n, "id", json_integer(store_col_i64(st, 0)));
	json_object_set_new(n, "name", json_string(store_col_text(st, 1)));
	json_object_set_new(n, "ip", json_string(store_col_text(st, 2)));
	json_object_set_new(n, "labels", pg_json_load_text(store_col_text(st, 3)));
	json_object_set_new(n, "status", json_string(cordoned ? "cordoned" : agent));
	json_object_set_new(n, "agentStatus", json_string(agent));
	json_object_set_new(n, "cordoned", json_boolean(cordoned));
	json_object_set_new(n, "capabilities", pg_json_load_text(store_col_text(st, 6)));
	json_object_set_new(n, "facts", pg_json_load_text(store_col_text(st, 7)));
	json_object_set_new(n, "agentVersion",
	                    store_col_null(st, 8) ? json_null()
	                                          : json_string(store_col_text(st, 8)));
	pg_json_set_time(n, "lastHeartbeatAt", store_col_i64(st, 9));
	pg_json_set_time(n, "createdAt", store_col_i64(st, 10));
	pg_json_set_time(n, "updatedAt", store_col_i64(st, 11));
	return n;
}

int cluster_node_store_get(struct store_conn *c, int64_t id, json_t **out, struct pg_err *err)
{
	static const char sql[] = "SELECT " NODE_VIEW_COLS " FROM cluster_node WHERE id = $1";
	struct store_stmt *st;
	int rc = store_query(c, sql, &st, err, SI(id));
	if (rc > 0)
		*out = cluster_node_row(st);
	store_done(st);
	if (rc == 0)
		return pg_err_set(err, PG_ENOTFOUND, "id", "no node %lld", (long long)id);
	return rc < 0 ? rc : 0;
}

static int name_conflict(int rc, const char *name, struct pg_err *err)
{
	if (rc == PG_ECONFLICT)
		return pg_err_set(err, PG_ECONFLICT, "name", "a node named '%s' exists already",
		                  name);
	return rc < 0 ? rc : 0;
}

int cluster_node_store_insert(struct store_conn *c, const char *name, const char *ip,
                              const char *labels, int64_t *id, struct pg_err *err)
{
	static const char sql[] =
	        "INSERT INTO cluster_node (name, ip, labels, created_at, updated_at)"
	        " VALUES ($1, $2, $3, $4, $4) RETURNING id";
	struct store_stmt *st;
	int rc = store_query(c, sql, &st, err, ST(name), ST(ip), ST(labels), SI(pg_time_now_ms()));
	if (rc > 0)
		*id = store_col_i64(st, 0);
	store_done(st);
	return name_conflict(rc, name, err);
}

int cluster_node_store_update(struct store_conn *c, int64_t id, const char *name, const char *ip,
                              const char *labels, struct pg_err *err)
{
	static const char sql[] = "UPDATE cluster_node SET name = COALESCE($1, name),"
	                          " ip = COALESCE($2, ip), labels = COALESCE($3, labels),"
	                          " updated_at = $4 WHERE id = $5";
	return name_conflict(
	        store_run(c, sql, err, ST(name), ST(ip), ST(labels), SI(pg_time_now_ms()), SI(id)),
	        name, err);
}

int cluster_node_store_set_cordoned(struct store_conn *c, int64_t id, bool cordoned,
                                    struct pg_err *err)
{
	static const char sql[] =
	        "UPDATE cluster_node SET cordoned = $1, updated_at = $2 WHERE id = $3";
	int rc = store_run(c, sql, err, SI((int64_t)cordoned), SI(pg_time_now_ms()), SI(id));
	return rc < 0 ? rc : 0;
}

int cluster_node_store_set_status(struct store_conn *c, int64_t id, const char *status,
                                  int64_t last_hb, struct pg_err *err)
{
	static const char sql[] = "UPDATE cluster_node SET agent_status = $1,"
	                          " last_heartbeat_at = COALESCE($2, last_heartbeat_at),"
	                          " updated_at = $3 WHERE id = $4 AND agent_status <> $1";
	return store_run(c, sql, err, ST(status), SIN(last_hb), SI(pg_time_now_ms()), SI(id));
}

int cluster_node_store_set_heartbeat(struct store_conn *c, int64_t id, int64_t last_hb,
                                     const char *facts, const char *agent_version, const char *caps,
                                     struct pg_err *err)
{
	static const char sql[] =
	        "UPDATE cluster_node SET last_heartbeat_at = $1, facts = COALESCE($2, facts),"
	        " agent_version = COALESCE($3, agent_version),"
	        " capabilities = COALESCE($4, capabilities) WHERE id = $5";
	int rc = store_run(c, sql, err, SI(last_hb), ST(facts), ST(agent_version), ST(caps),
	                   SIN(id));
	return rc < 0 ? rc : 0;
}

int cluster_node_store_delete(struct store_conn *c, int64_t id, struct pg_err *err)
{
	static const char sql[] = "DELETE FROM cluster_node WHERE id = $1";
	int rc = store_run(c, sql, err, SI(id));
	return rc < 0 ? rc : 0;
}

int cluster_node_store_list(struct store_conn *c, int64_t after, const char *status, int64_t limit,
                            json_t *items, struct pg_err *err)
{
	static const char sql[] = "SELECT " NODE_VIEW_COLS
	                          " FROM cluster_node WHERE id > $1 AND (CAST($2 AS TEXT) IS NULL"
	                          " OR ($2 = 'cordoned' AND cordoned = 1)"
	                          " OR (cordoned = 0 AND agent_status = $2)) ORDER BY id LIMIT $3";
	struct store_stmt *st;
	int rc;
	for (rc = store_query(c, sql, &st, err, SI(after), ST(status), SI(limit)); rc > 0;
	     rc = store_step(st, err))
		json_array_append_new(items, cluster_node_row(st));
	store_done(st);
	return rc < 0 ? rc : 0;
}

int cluster_node_store_scan(struct store_conn *c,
                            void (*fn)(int64_t id, bool online, int64_t last_hb, void *arg),
                            void *arg, struct pg_err *err)
{
	static const char sql[] =
	        "SELECT id, agent_status, COALESCE(last_heartbeat_at, 0) FROM cluster_node";
	struct store_stmt *st;
	int rc;
	for (rc = store_query(c, sql, &st, err); rc > 0; rc = store_step(st, err))
		fn(store_col_i64(st, 0), strcmp(store_col_text(st, 1), "online") == 0,
		   store_col_i64(st, 2), arg);
	store_done(st);
	return rc < 0 ? rc : 0;
}
