/* DAO for registry_meta, registry_service and registry_endpoint. */
#include "common/pg_json.h"
#include "common/pg_time.h"
#include "registry/registry_int.h"
#include "store/store.h"

#include <string.h>

int reg_bump(struct store_conn *c, int64_t *idx, struct pg_err *err)
{
	static const char sql[] = "UPDATE registry_meta SET change_index = change_index + 1"
	                          " WHERE namespace = 'default' RETURNING change_index";
	struct store_stmt *st;
	int rc = store_query(c, sql, &st, err);
	if (rc > 0)
		*idx = store_col_i64(st, 0);
	store_done(st);
	return store_ok(rc);
}

int reg_index(struct store_conn *c, int64_t *idx, struct pg_err *err)
{
	static const char sql[] =
	        "SELECT change_index FROM registry_meta WHERE namespace = 'default'";
	struct store_stmt *st;
	int rc = store_query(c, sql, &st, err);
	*idx = rc > 0 ? store_col_i64(st, 0) : 0;
	store_done(st);
	return store_ok(rc);
}

static int conflict_name(int rc, const char *name, struct pg_err *err)
{
	if (rc == PG_ECONFLICT)
		return pg_err_set(err, PG_ECONFLICT, "name", "a service named '%s' exists already",
		                  name);
	return store_ok(rc);
}

int reg_service_insert(struct store_conn *c, const char *name, const char *protocol, int64_t port,
                       const char *hc, const char *md, int64_t idx, int64_t *id, struct pg_err *err)
{
	static const char sql[] =
	        "INSERT INTO registry_service (name, protocol, port, health_check, metadata, "
	        "modify_index,"
	        " created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id";
	struct store_stmt *st;
	int rc = store_query(c, sql, &st, err, ST(name), ST(protocol), SI(port), ST(hc), ST(md),
	                     SI(idx), SI(pg_time_now_ms()));
	if (rc > 0)
		*id = store_col_i64(st, 0);
	store_done(st);
	return conflict_name(rc, name, err);
}

int reg_service_update(struct store_conn *c, int64_t id, const char *protocol, int64_t port,
                       const char *hc, const char *md, int64_t idx, struct pg_err *err)
{
	static const char sql[] = "UPDATE registry_service SET protocol = $1, port = $2, "
	                          "health_check = $3, metadata = $4,"
	                          " modify_index = $5, updated_at = $6 WHERE id = $7";
	return store_ok(store_run(c, sql, err, ST(protocol), SI(port), ST(hc), ST(md), SI(idx),
	                          SI(pg_time_now_ms()), SI(id)));
}

#define SERVICE_COLS                                                                               \
	"s.id, s.name, s.protocol, s.port, s.health_check, s.metadata, s.modify_index,"            \
	" s.created_at, s.updated_at,"                                                             \
	" (SELECT COUNT(*) FROM registry_endpoint e WHERE e.service_id = s.id),"                   \
	" (SELECT COUNT(*) FROM registry_endpoint e WHERE e.service_id = s.id AND e.health = "     \
	"'healthy')"

static json_t *service_row(struct store_stmt *st)
{
	json_t *s = json_object();
	json_object_set_new(s, "id", json_integer(store_col_i64(st, 0)));
	json_object_set_new(s, "name", json_string(store_col_text(st, 1)));
	json_object_set_new(s, "protocol", json_string(store_col_text(st, 2)));
	json_object_set_new(s, "port", json_integer(store_col_i64(st, 3)));
	json_object_set_new(s, "healthCheck", pg_json_load_text(store_col_text(st, 4)));
	json_object_set_new(s, "metadata", pg_json_load_text(store_col_text(st, 5)));
	json_object_set_new(s, "modifyIndex", json_integer(store_col_i64(st, 6)));
	pg_json_set_time(s, "createdAt", store_col_i64(st, 7));
	pg_json_set_time(s, "updatedAt", store_col_i64(st, 8));
	json_object_set_new(s, "endpoints",
	                    json_pack("{s:I, s:I}", "total", (json_int_t)store_col_i64(st, 9),
	                              "healthy", (json_int_t)store_col_i64(st, 10)));
	return s;
}

int reg_service_get(struct store_conn *c, const char *name, json_t **out, int64_t *id,
                    struct pg_err *err)
{
	static const char sql[] =
	        "SELECT " SERVICE_COLS " FROM registry_service s WHERE s.name = $1";
	struct store_stmt *st;
	int rc = store_query(c, sql, &st, err, ST(name));
	if (rc > 0) {
		*id = store_col_i64(st, 0);
		if (out)
			*out = service_row(st);
	}
	store_done(st);
	if (rc == 0)
		return pg_err_set(err, PG_ENOTFOUND, "name", "no service '%s'", name);
	return store_ok(rc);
}

int reg_service_list(struct store_conn *c, json_t *items, struct pg_err *err)
{
	static const char sql[] = "SELECT " SERVICE_COLS " FROM registry_service s ORDER BY s.name";
	struct store_stmt *st;
	int rc;
	for (rc = store_query(c, sql, &st, err); rc > 0; rc = store_step(st, err))
		json_array_append_new(items, service_row(st));
	store_done(st);
	return store_ok(rc);
}

int reg_service_delete(struct store_conn *c, int64_t id, struct pg_err *err)
{
	static const char sql[] = "DELETE FROM registry_service WHERE id = $1";
	return store_ok(store_run(c, sql, err, SI(id)));
}

#define ENDPOINT_COLS                                                                              \
	"e.id, s.name, e.node_id, e.ip, e.port, e.weight, e.health, e.health_note, e.version,"     \
	" e.source, e.metadata, e.ttl_sec, e.last_seen_at, e.modify_index, e.created_at,"          \
	" e.updated_at"

static json_t *endpoint_row(struct store_stmt *st)
{
	json_t *e = json_object();
	json_object_set_new(e, "id", json_integer(store_col_i64(st, 0)));
	json_object_set_new(e, "service", json_string(store_col_text(st, 1)));
	json_object_set_new(e, "nodeId",
	                    store_col_null(st, 2) ? json_null()
	                                          : json_integer(store_col_i64(st, 2)));
	json_object_set_new(e, "ip", json_string(store_col_text(st, 3)));
	json_object_set_new(e, "port", json_integer(store_col_i64(st, 4)));
	json_object_set_new(e, "weight", json_integer(store_col_i64(st, 5)));
	json_object_set_new(e, "health", json_string(store_col_text(st, 6)));
	json_object_set_new(e, "healthNote",
	                    store_col_null(st, 7) ? json_null()
	                                          : json_string(store_col_text(st, 7)));
	json_object_set_new(e, "version",
	                    store_col_null(st, 8) ? json_null()
	                                          : json_string(store_col_text(st, 8)));
	json_object_set_new(e, "source", json_string(store_col_text(st, 9)));
	json_object_set_new(e, "metadata", pg_json_load_text(store_col_text(st, 10)));
	json_object_set_new(e, "ttlSec",
	                    store_col_null(st, 11) ? json_null()
	                                           : json_integer(store_col_i64(st, 11)));
	pg_json_set_time(e, "lastSeenAt", store_col_i64(st, 12));
	json_object_set_new(e, "modifyIndex", json_integer(store_col_i64(st, 13)));
	pg_json_set_time(e, "createdAt", store_col_i64(st, 14));
	pg_json_set_time(e, "updatedAt", store_col_i64(st, 15));
	return e;
}

int reg_endpoint_put(struct store_conn *c, const struct reg_endpoint_in *in, int64_t idx,
                     int64_t *id, bool *changed, struct pg_err *err)
{
	static const char find[] =
	        "SELECT id, COALESCE(node_id, 0), weight, health, COALESCE(health_note, ''),"
	        " COALESCE(version, ''), source, metadata, COALESCE(ttl_sec, 0) FROM "
	        "registry_endpoint"
	        " WHERE service_id = $1 AND ip = $2 AND port = $3";
	static const char ins[] = "INSERT INTO registry_endpoint (service_id, node_id, ip, port, "
	                          "weight, health, health_note,"
	                          " version, source, metadata, ttl_sec, last_seen_at, "
	                          "modify_index, created_at, updated_at)"
	                          " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, "
	                          "$13, $14, $14) RETURNING id";
	static const char upd[] =
	        "UPDATE registry_endpoint SET node_id = $1, weight = $2, health = $3, health_note "
	        "= $4,"
	        " version = $5, source = $6, metadata = $7, ttl_sec = $8, last_seen_at = $9,"
	        " modify_index = $10, updated_at = $11 WHERE id = $12";
	static const char seen[] = "UPDATE registry_endpoint SET last_seen_at = $1 WHERE id = $2";
	struct store_stmt *st;
	int rc = store_query(c, find, &st, err, SI(in->service_id), ST(in->ip), SI(in->port));
	*id = 0;
	*changed = true;
	if (rc > 0) {
		*id = store_col_i64(st, 0);
		*changed = store_col_i64(st, 1) != in->node_id ||
		           store_col_i64(st, 2) != in->weight ||
		           strcmp(store_col_text(st, 3), in->health) != 0 ||
		           strcmp(store_col_text(st, 4), in->note ? in->note : "") != 0 ||
		           strcmp(store_col_text(st, 5), in->version ? in->version : "") != 0 ||
		           strcmp(store_col_text(st, 6), in->source) != 0 ||
		           strcmp(store_col_text(st, 7), in->metadata) != 0 ||
		           store_col_i64(st, 8) != in->ttl_sec;
	}
	store_done(st);
	if (rc < 0)
		return rc;
	int64_t now = pg_time_now_ms();
	if (!*id) {
		rc = store_query(c, ins, &st, err, SI(in->service_id), SIN(in->node_id), ST(in->ip),
		                 SI(in->port), SI(in->weight), ST(in->health), ST(in->note),
		                 ST(in->version), ST(in->source), ST(in->metadata),
		                 SIN(in->ttl_sec), SIN(in->last_seen), SI(idx), SI(now));
		if (rc > 0)
			*id = store_col_i64(st, 0);
		store_done(st);
		return store_ok(rc);
	}
	if (!*changed)
		return store_ok(store_run(c, seen, err, SIN(in->last_seen), SI(*id)));
	return store_ok(store_run(c, upd, err, SIN(in->node_id), SI(in->weight), ST(in->health),
	                          ST(in->note), ST(in->version), ST(in->source), ST(in->metadata),
	                          SIN(in->ttl_sec), SIN(in->last_seen), SI(idx), SI(now), SI(*id)));
}

int reg_endpoint_find(struct store_conn *c, int64_t service_id, const char *ip, int64_t port,
                      int64_t *id, struct pg_err *err)
{
	static const char sql[] =
	        "SELECT id FROM registry_endpoint WHERE service_id = $1 AND ip = $2 AND port = $3";
	struct store_stmt *st;
	int rc = store_query(c, sql, &st, err, SI(service_id), ST(ip), SI(port));
	*id = rc > 0 ? store_col_i64(st, 0) : 0;
	store_done(st);
	return store_ok(rc);
}

int reg_endpoint_list(struct store_conn *c, int64_t service_id, bool healthy_only, json_t *items,
                      struct pg_err *err)
{
	/* Stable order: node, then address; static endpoints (no node) last. */
	static const char sql[] =
	        "SELECT " ENDPOINT_COLS " FROM registry_endpoint e JOIN registry_service s"
	        " ON s.id = e.service_id WHERE e.service_id = $1 AND ($2 = 0 OR e.health = "
	        "'healthy')"
	        " ORDER BY e.node_id IS NULL, e.node_id, e.ip, e.port";
	struct store_stmt *st;
	int rc;
	for (rc = store_query(c, sql, &st, err, SI(service_id), SI((int64_t)healthy_only)); rc > 0;
	     rc = store_step(st, err))
		json_array_append_new(items, endpoint_row(st));
	store_done(st);
	return store_ok(rc);
}

int reg_endpoint_get(struct store_conn *c, int64_t id, json_t **out, struct pg_err *err)
{
	static const char sql[] = "SELECT " ENDPOINT_COLS " FROM registry_endpoint e JOIN"
	                          " registry_service s ON s.id = e.service_id WHERE e.id = $1";
	struct store_stmt *st;
	int rc = store_query(c, sql, &st, err, SI(id));
	if (rc > 0)
		*out = endpoint_row(st);
	store_done(st);
	if (rc == 0)
		return pg_err_set(err, PG_ENOTFOUND, "id", "no endpoint %lld", (long long)id);
	return store_ok(rc);
}

int reg_endpoint_delete(struct store_conn *c, int64_t id, struct pg_err *err)
{
	static const char sql[] = "DELETE FROM registry_endpoint WHERE id = $1";
	return store_ok(store_run(c, sql, err, SI(id)));
}

int reg_node_endpoints(struct store_conn *c, int64_t node_id, json_t *items, struct pg_err *err)
{
	static const char sql[] = "SELECT id, service_id, ip, port FROM registry_endpoint"
	                          " WHERE node_id = $1 AND source = 'agent'";
	struct store_stmt *st;
	int rc;
	for (rc = store_query(c, sql, &st, err, SI(node_id)); rc > 0; rc = store_step(st, err))
		json_array_append_new(
		        items,
		        json_pack("{s:I, s:I, s:s, s:I}", "id", (json_int_t)store_col_i64(st, 0),
		                  "serviceId", (json_int_t)store_col_i64(st, 1), "ip",
		                  store_col_text(st, 2), "port", (json_int_t)store_col_i64(st, 3)));
	store_done(st);
	return store_ok(rc);
}

int reg_expired(struct store_conn *c, int64_t now, json_t *items, struct pg_err *err)
{
	static const char sql[] = "SELECT id FROM registry_endpoint WHERE source = 'agent'"
	                          " AND last_seen_at + ttl_sec * 1000 < $1 LIMIT 1000";
	struct store_stmt *st;
	int rc;
	for (rc = store_query(c, sql, &st, err, SI(now)); rc > 0; rc = store_step(st, err))
		json_array_append_new(items, json_integer(store_col_i64(st, 0)));
	store_done(st);
	return store_ok(rc);
}

int reg_node_health(struct store_conn *c, int64_t node_id, const char *health, const char *note,
                    int64_t idx, struct pg_err *err)
{
	static const char sql[] =
	        "UPDATE registry_endpoint SET health = $1, health_note = $2, modify_index = $3,"
	        " updated_at = $4 WHERE node_id = $5 AND source = 'agent' AND health <> $1";
	return store_run(c, sql, err, ST(health), ST(note), SI(idx), SI(pg_time_now_ms()),
	                 SI(node_id));
}
