/* DAO for audit_event. */
#include "audit/audit.h"
#include "audit/audit_store.h"
#include "common/pg_json.h"
#include "common/pg_time.h"
#include "store/store.h"

#include <stdio.h>
#include <stdlib.h>

int audit_record(struct store_conn *c, const struct pg_call *call, const char *action,
                 const char *target_type, int64_t target_id, json_t *details, struct pg_err *err)
{
	static const char sql[] =
	        "INSERT INTO audit_event (at, actor, action, target_type, target_id, trace_id,"
	        " source_ip, details) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
	char idbuf[24];
	snprintf(idbuf, sizeof(idbuf), "%lld", (long long)target_id);
	char *d = details ? pg_json_dump(details) : NULL;
	int rc = store_run(c, sql, err, SI(pg_time_now_ms()), ST(call->actor), ST(action),
	                   ST(target_type), ST(target_id ? idbuf : NULL), ST(call->trace_id),
	                   ST(call->source_ip), ST(d ? d : "{}"));
	free(d);
	return rc < 0 ? rc : 0;
}

int audit_store_list(struct store_conn *c, const struct audit_filter *f, json_t *items,
                     int64_t *next, struct pg_err *err)
{
	/* NULL filters match everything; one statement serves all combinations. */
	static const char sql[] =
	        "SELECT id, at, actor, action, target_type, target_id, trace_id, source_ip, details"
	        " FROM audit_event WHERE id < $1"
	        " AND (CAST($2 AS TEXT) IS NULL OR actor = $2) AND (CAST($3 AS TEXT) IS NULL OR "
	        "action = $3)"
	        " AND (CAST($4 AS TEXT) IS NULL OR target_type = $4) AND (CAST($5 AS TEXT) IS NULL "
	        "OR target_id = $5)"
	        " AND (CAST($6 AS TEXT) IS NULL OR trace_id = $6) AND at >= $7 AND at <= $8"
	        " AND (CAST($10 AS TEXT) IS NULL OR substr(action, 1, length($10)) = $10)"
	        " ORDER BY id DESC LIMIT $9";
	struct store_stmt *st;
	int64_t n = 0, last = 0;
	int rc;
	*next = 0;
	for (rc = store_query(c, sql, &st, err, SI(f->before_id), ST(f->actor), ST(f->action),
	                      ST(f->target_type), ST(f->target_id), ST(f->trace_id),
	                      SI(f->since_ms), SI(f->until_ms), SI(f->limit + 1),
	                      ST(f->action_prefix));
	     rc > 0; rc = store_step(st, err)) {
		if (n == f->limit) {
			*next = last;
			break;
		}
		json_t *e = json_object();
		last = store_col_i64(st, 0);
		json_object_set_new(e, "id", json_integer(last));
		pg_json_set_time(e, "at", store_col_i64(st, 1));
		json_object_set_new(e, "actor", json_string(store_col_text(st, 2)));
		json_object_set_new(e, "action", json_string(store_col_text(st, 3)));
		json_object_set_new(e, "targetType", json_string(store_col_text(st, 4)));
		json_object_set_new(e, "targetId",
		                    store_col_null(st, 5) ? json_null()
		                                          : json_string(store_col_text(st, 5)));
		json_object_set_new(e, "traceId",
		                    store_col_null(st, 6) ? json_null()
		                                          : json_string(store_col_text(st, 6)));
		json_object_set_new(e, "sourceIp",
		                    store_col_null(st, 7) ? json_null()
		                                          : json_string(store_col_text(st, 7)));
		json_object_set_new(e, "details", pg_json_load_text(store_col_text(st, 8)));
		json_array_append_new(items, e);
		n++;
	}
	store_done(st);
	return rc < 0 ? rc : 0;
}

int audit_record_new(struct store_conn *c, const struct pg_call *call, const char *action,
                     const char *target_type, int64_t target_id, json_t *details,
                     struct pg_err *err)
{
	int rc = audit_record(c, call, action, target_type, target_id, details, err);
	json_decref(details);
	return rc;
}
