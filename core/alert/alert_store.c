/* DAO for alert_rule, alert and alert_delivery. */
#include "alert/alert_int.h"
#include "common/pg_json.h"
#include "common/pg_time.h"
#include "store/store.h"

#include <stdlib.h>

int alert_store_rules(struct store_conn *c, json_t *items, struct pg_err *err)
{
	static const char sql[] =
	        "SELECT name, enabled, params, notify, updated_at FROM alert_rule ORDER BY name";
	struct store_stmt *st;
	int rc;
	for (rc = store_query(c, sql, &st, err); rc > 0; rc = store_step(st, err)) {
		json_t *r = json_pack("{s:s, s:b, s:o, s:s}", "name", store_col_text(st, 0),
		                      "enabled", (int)store_col_i64(st, 1), "params",
		                      pg_json_load_text(store_col_text(st, 2)), "notifySealed",
		                      store_col_text(st, 3));
		pg_json_set_time(r, "updatedAt", store_col_i64(st, 4));
		json_array_append_new(items, r);
	}
	store_done(st);
	return store_ok(rc);
}

int alert_store_rule_put(struct store_conn *c, const char *name, bool enabled, json_t *params,
                         const char *notify_sealed, struct pg_err *err)
{
	static const char sql[] = "UPDATE alert_rule SET enabled = $1, params = $2, notify = $3, "
	                          "updated_at = $4 WHERE name = $5";
	char *p = pg_json_dump(params);
	int rc = store_run(c, sql, err, SI(enabled), ST(p), ST(notify_sealed), SI(pg_time_now_ms()),
	                   ST(name));
	free(p);
	return store_ok(rc);
}

int alert_store_firing(struct store_conn *c, const char *rule, json_t *items, struct pg_err *err)
{
	static const char sql[] =
	        "SELECT id, subject FROM alert WHERE rule = $1 AND status = 'firing'";
	struct store_stmt *st;
	int rc;
	for (rc = store_query(c, sql, &st, err, ST(rule)); rc > 0; rc = store_step(st, err))
		json_array_append_new(items, json_pack("{s:I, s:s}", "id",
		                                       (json_int_t)store_col_i64(st, 0), "subject",
		                                       store_col_text(st, 1)));
	store_done(st);
	return store_ok(rc);
}

int alert_store_insert(struct store_conn *c, const char *rule, json_t *cond, int64_t *id,
                       struct pg_err *err)
{
	static const char sql[] =
	        "INSERT INTO alert (rule, subject, severity, status, summary, details, fired_at)"
	        " VALUES ($1, $2, $3, 'firing', $4, $5, $6) RETURNING id";
	char *details = pg_json_dump(json_object_get(cond, "details"));
	struct store_stmt *st;
	int rc = store_query(c, sql, &st, err, ST(rule),
	                     ST(json_string_value(json_object_get(cond, "subject"))),
	                     ST(json_string_value(json_object_get(cond, "severity"))),
	                     ST(json_string_value(json_object_get(cond, "summary"))), ST(details),
	                     SI(pg_time_now_ms()));
	if (rc > 0)
		*id = store_col_i64(st, 0);
	store_done(st);
	free(details);
	return store_ok(rc);
}

int alert_store_resolve(struct store_conn *c, int64_t id, struct pg_err *err)
{
	static const char sql[] = "UPDATE alert SET status = 'resolved', resolved_at = $1 WHERE id "
	                          "= $2 AND status = 'firing'";
	return store_ok(store_run(c, sql, err, SI(pg_time_now_ms()), SI(id)));
}

#define ALERT_COLS                                                                                 \
	"id, rule, subject, severity, status, summary, details, fired_at, resolved_at, "           \
	"acknowledged_by, acknowledged_at"

static json_t *alert_row(struct store_stmt *st)
{
	json_t *r = json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:o}", "id",
	                      (json_int_t)store_col_i64(st, 0), "rule", store_col_text(st, 1),
	                      "subject", store_col_text(st, 2), "severity", store_col_text(st, 3),
	                      "status", store_col_text(st, 4), "summary", store_col_text(st, 5),
	                      "details", pg_json_load_text(store_col_text(st, 6)));
	pg_json_set_time(r, "firedAt", store_col_i64(st, 7));
	pg_json_set_time(r, "resolvedAt", store_col_null(st, 8) ? 0 : store_col_i64(st, 8));
	json_object_set_new(r, "acknowledgedBy",
	                    store_col_null(st, 9) ? json_null()
	                                          : json_string(store_col_text(st, 9)));
	pg_json_set_time(r, "acknowledgedAt", store_col_null(st, 10) ? 0 : store_col_i64(st, 10));
	return r;
}

int alert_store_list(struct store_conn *c, const char *status, const char *rule, int64_t before,
                     int64_t limit, json_t *items, struct pg_err *err)
{
	static const char sql[] =
	        "SELECT " ALERT_COLS " FROM alert WHERE (CAST($1 AS TEXT) IS NULL OR status = $1)"
	        " AND (CAST($2 AS TEXT) IS NULL OR rule = $2) AND id < $3 ORDER BY id DESC LIMIT "
	        "$4";
	struct store_stmt *st;
	int rc;
	for (rc = store_query(c, sql, &st, err, ST(status), ST(rule), SI(before), SI(limit));
	     rc > 0; rc = store_step(st, err))
		json_array_append_new(items, alert_row(st));
	store_done(st);
	return store_ok(rc);
}

int alert_store_get(struct store_conn *c, int64_t id, json_t **out, struct pg_err *err)
{
	static const char sql[] = "SELECT " ALERT_COLS " FROM alert WHERE id = $1";
	struct store_stmt *st;
	int rc = store_query(c, sql, &st, err, SI(id));
	*out = rc > 0 ? alert_row(st) : NULL;
	store_done(st);
	if (rc == 0)
		return pg_err_set(err, PG_ENOTFOUND, "id", "no alert %lld", (long long)id);
	return store_ok(rc);
}

int alert_store_ack(struct store_conn *c, int64_t id, const char *who, struct pg_err *err)
{
	static const char sql[] =
	        "UPDATE alert SET acknowledged_by = $1, acknowledged_at = $2 WHERE id = $3";
	return store_ok(store_run(c, sql, err, ST(who), SI(pg_time_now_ms()), SI(id)));
}

int alert_delivery_insert(struct store_conn *c, int64_t alert_id, const char *event,
                          int64_t channel, const char *plugin, struct pg_err *err)
{
	static const char sql[] =
	        "INSERT INTO alert_delivery (alert_id, event, channel, plugin, created_at)"
	        " VALUES ($1, $2, $3, $4, $5)";
	return store_ok(store_run(c, sql, err, SI(alert_id), ST(event), SI(channel), ST(plugin),
	                          SI(pg_time_now_ms())));
}

int alert_delivery_due(struct store_conn *c, int64_t now, json_t *items, struct pg_err *err)
{
	static const char sql[] = "SELECT d.id, d.alert_id, d.event, d.channel, d.plugin, "
	                          "d.attempts, a.rule FROM alert_delivery d"
	                          " JOIN alert a ON a.id = d.alert_id WHERE d.status = 'pending' "
	                          "AND d.next_attempt_at <= $1"
	                          " ORDER BY d.id LIMIT 100";
	struct store_stmt *st;
	int rc;
	for (rc = store_query(c, sql, &st, err, SI(now)); rc > 0; rc = store_step(st, err))
		json_array_append_new(items, json_pack("{s:I, s:I, s:s, s:I, s:s, s:I, s:s}", "id",
		                                       (json_int_t)store_col_i64(st, 0), "alertId",
		                                       (json_int_t)store_col_i64(st, 1), "event",
		                                       store_col_text(st, 2), "channel",
		                                       (json_int_t)store_col_i64(st, 3), "plugin",
		                                       store_col_text(st, 4), "attempts",
		                                       (json_int_t)store_col_i64(st, 5), "rule",
		                                       store_col_text(st, 6)));
	store_done(st);
	return store_ok(rc);
}

int alert_delivery_set(struct store_conn *c, int64_t id, const char *status, int64_t attempts,
                       int64_t next_at, const char *error, struct pg_err *err)
{
	static const char sql[] =
	        "UPDATE alert_delivery SET status = $1, attempts = $2, next_attempt_at = $3, "
	        "last_error = $4,"
	        " sent_at = CASE WHEN $1 = 'sent' THEN $5 ELSE sent_at END WHERE id = $6";
	return store_ok(store_run(c, sql, err, ST(status), SI(attempts), SI(next_at), ST(error),
	                          SI(pg_time_now_ms()), SI(id)));
}

int alert_delivery_of(struct store_conn *c, int64_t alert_id, json_t *items, struct pg_err *err)
{
	static const char sql[] =
	        "SELECT id, event, channel, plugin, status, attempts, last_error, sent_at"
	        " FROM alert_delivery WHERE alert_id = $1 ORDER BY id";
	struct store_stmt *st;
	int rc;
	for (rc = store_query(c, sql, &st, err, SI(alert_id)); rc > 0; rc = store_step(st, err)) {
		json_t *d = json_pack(
		        "{s:I, s:s, s:I, s:s, s:s, s:I, s:o}", "id",
		        (json_int_t)store_col_i64(st, 0), "event", store_col_text(st, 1), "channel",
		        (json_int_t)store_col_i64(st, 2), "plugin", store_col_text(st, 3), "status",
		        store_col_text(st, 4), "attempts", (json_int_t)store_col_i64(st, 5),
		        "lastError",
		        store_col_null(st, 6) ? json_null() : json_string(store_col_text(st, 6)));
		pg_json_set_time(d, "sentAt", store_col_null(st, 7) ? 0 : store_col_i64(st, 7));
		json_array_append_new(items, d);
	}
	store_done(st);
	return store_ok(rc);
}

static json_t *channel_row(struct store_stmt *st)
{
	json_t *o = json_pack("{s:s, s:o}", "name", store_col_text(st, 0), "spec",
	                      pg_json_load_text(store_col_text(st, 1)));
	pg_json_set_time(o, "createdAt", store_col_i64(st, 2));
	pg_json_set_time(o, "updatedAt", store_col_i64(st, 3));
	return o;
}

int alert_channel_store_put(struct store_conn *c, const char *name, json_t *spec,
                            struct pg_err *err)
{
	static const char sql[] = "INSERT INTO alert_channel (name, spec, created_at, updated_at)"
	                          " VALUES ($1, $2, $3, $3) ON CONFLICT (namespace, name)"
	                          " DO UPDATE SET spec = $2, updated_at = $3";
	char *text = pg_json_dump(spec);
	int rc = store_run(c, sql, err, ST(name), ST(text), SI(pg_time_now_ms()));
	free(text);
	return store_ok(rc);
}

int alert_channel_store_list(struct store_conn *c, json_t *items, struct pg_err *err)
{
	static const char sql[] =
	        "SELECT name, spec, created_at, updated_at FROM alert_channel ORDER BY name";
	struct store_stmt *st;
	int rc;
	for (rc = store_query(c, sql, &st, err); rc > 0; rc = store_step(st, err))
		json_array_append_new(items, channel_row(st));
	store_done(st);
	return store_ok(rc);
}

int alert_channel_store_get(struct store_conn *c, const char *name, json_t **out,
                            struct pg_err *err)
{
	static const char sql[] =
	        "SELECT name, spec, created_at, updated_at FROM alert_channel WHERE name = $1";
	struct store_stmt *st;
	int rc = store_query(c, sql, &st, err, ST(name));
	if (rc > 0)
		*out = channel_row(st);
	store_done(st);
	if (rc == 0)
		return pg_err_set(err, PG_ENOTFOUND, "name", "no alert channel %s", name);
	return store_ok(rc);
}

int alert_channel_store_delete(struct store_conn *c, const char *name, struct pg_err *err)
{
	static const char sql[] = "DELETE FROM alert_channel WHERE name = $1";
	return store_ok(store_run(c, sql, err, ST(name)));
}
