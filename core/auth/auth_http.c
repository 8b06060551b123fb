/* Controller for /admin/tokens. */
#include "auth/auth_http.h"
#include "audit/audit.h"
#include "auth/auth.h"
#include "auth/auth_store.h"
#include "common/pg_json.h"
#include "common/pg_time.h"
#include "http/http.h"
#include "http/http_list.h"
#include "pagodad.h"
#include "store/store.h"

#include <string.h>

static void auth_http_create(struct http_req *req)
{
	static const char *const fields[] = {"name", "permissions", "expiresAt", NULL};
	struct pagodad *app = req->app;
	struct pg_err err = {0};
	json_t *perms_json = NULL, *out = NULL;
	auth_perms perms = 0;
	struct pg_call call = http_call(req);
	struct store_conn *c = NULL;
	int rc = pg_json_only(req->body, fields, &err);
	if (rc == 0)
		rc = pg_json_arr(req->body, "permissions", true, 64, &perms_json, &err);
	if (rc == 0)
		rc = auth_perms_from_json(perms_json, "permissions", &perms, &err);
	if (rc == 0 && !(c = store_conn_get(app->store, &err)))
		rc = err.code;
	if (rc == 0 && (rc = store_begin(c, STORE_TX_WRITE, &err)) == 0)
		rc = store_end(
		        c, auth_token_mint(c, &call, &req->who, req->body, perms, NULL, &out, &err),
		        &err);
	http_answer(req, rc, 201, out, &err);
}

static void auth_http_list(struct http_req *req)
{
	struct pagodad *app = req->app;
	struct pg_err err = {0};
	int64_t limit, cursor, next = 0;
	if (!http_list_params(req, &limit, &cursor))
		return;
	struct store_conn *c = store_conn_get(app->store, &err);
	json_t *items = json_array();
	int rc = c ? auth_store_list(c, cursor, limit, items, &next, &err) : err.code;
	http_reply_list(req, rc, items, next, &err);
}

static void auth_http_revoke(struct http_req *req)
{
	struct pagodad *app = req->app;
	struct pg_err err = {0};
	int64_t id;
	if (!http_param_id(req, "id", &id))
		return;
	struct store_conn *c = store_conn_get(app->store, &err);
	struct pg_call call = http_call(req);
	if (!c || store_begin(c, STORE_TX_WRITE, &err) != 0) {
		http_reply_err(req, &err);
		return;
	}
	json_t *tok = NULL;
	int rc = auth_store_get(c, id, &tok, &err);
	auth_perms perms = 0;
	int64_t expires_at = 0;
	const char *exp = json_string_value(json_object_get(tok, "expiresAt"));
	if (rc == 0 && (auth_perms_from_json(json_object_get(tok, "permissions"), "permissions",
	                                     &perms, &err) != 0 ||
	                (exp && pg_time_parse(exp, &expires_at) != 0)))
		rc = pg_err_set(&err, PG_EINTERNAL, "", "token %lld has unreadable permissions",
		                (long long)id);
	if (rc == 0 && id != req->who.token_id) /* revoking itself is always allowed */
		rc = auth_covers(&req->who, perms, expires_at, &err);
	json_decref(tok);
	if (rc == 0)
		rc = auth_store_revoke(c, id, &err);
	if (rc == 0)
		rc = audit_record(c, &call, "token.revoke", "token", id, NULL, &err);
	if (rc == 0)
		rc = store_commit(c, &err);
	if (rc != 0) {
		store_rollback(c);
		http_reply_err(req, &err);
		return;
	}
	http_reply(req, 204, NULL);
}

/* Who the presented token is: the console shows it and hides what the token
 * may not do (the API refuses it anyway). Any admin token may ask. */
static void auth_http_whoami(struct http_req *req)
{
	json_t *out = json_pack("{s:s, s:I, s:o}", "actor", req->who.actor, "tokenId",
	                        (json_int_t)req->who.token_id, "permissions",
	                        auth_perms_to_json(req->who.perms));
	http_reply(req, 200, out);
}

const struct http_route auth_routes[] = {
        {.method = "GET", .path = "/admin/whoami", .auth = HTTP_AUTH_ADMIN, .fn = auth_http_whoami},
        {.method = "POST",
         .path = "/admin/tokens",
         .auth = HTTP_AUTH_ADMIN,
         .perm = "admin:token:manage",
         .fn = auth_http_create},
        {.method = "GET",
         .path = "/admin/tokens",
         .auth = HTTP_AUTH_ADMIN,
         .perm = "admin:token:manage",
         .fn = auth_http_list},
        {.method = "DELETE",
         .path = "/admin/tokens/:id",
         .auth = HTTP_AUTH_ADMIN,
         .perm = "admin:token:manage",
         .fn = auth_http_revoke},
        {0},
};
