/* Controller for GET /admin/audit. */
#include "audit/audit_http.h"
#include "audit/audit.h"
#include "audit/audit_store.h"
#include "common/pg_time.h"
#include "http/http.h"
#include "http/http_list.h"
#include "pagodad.h"
#include "store/store.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

static bool time_query(struct http_req *req, const char *key, int64_t def, int64_t *out)
{
	const char *v = http_query(req, key);
	*out = def;
	if (!v)
		return true;
	if (pg_time_parse(v, out) != 0) {
		http_reply_error(req, PG_EINVAL, key, "%s must be an RFC 3339 time", key);
		return false;
	}
	return true;
}

static void audit_http_list(struct http_req *req)
{
	struct pagodad *app = req->app;
	struct audit_filter f = {
	        .actor = http_query(req, "actor"),
	        .action = http_query(req, "action"),
	        .target_type = http_query(req, "targetType"),
	        .target_id = http_query(req, "targetId"),
	        .trace_id = http_query(req, "traceId"),
	};
	if (!time_query(req, "since", 0, &f.since_ms) ||
	    !time_query(req, "until", INT64_MAX, &f.until_ms) ||
	    !http_list_params(req, &f.limit, &f.before_id))
		return;
	if (f.before_id == 0)
		f.before_id = INT64_MAX;
	/* ?action=release.* : every action of a kind */
	char prefix[64];
	size_t n = f.action ? strlen(f.action) : 0;
	if (n > 1 && n < sizeof(prefix) && f.action[n - 1] == '*') {
		snprintf(prefix, sizeof(prefix), "%.*s", (int)(n - 1), f.action);
		f.action_prefix = prefix;
		f.action = NULL;
	}
	struct pg_err err = {0};
	struct store_conn *c = store_conn_get(app->store, &err);
	json_t *items = json_array();
	int64_t next = 0;
	int rc = c ? audit_store_list(c, &f, items, &next, &err) : err.code;
	http_reply_list(req, rc, items, next, &err);
}

const struct http_route audit_routes[] = {
        {.method = "GET",
         .path = "/admin/audit",
         .auth = HTTP_AUTH_ADMIN,
         .perm = "admin:audit:read",
         .fn = audit_http_list},
        {0},
};
