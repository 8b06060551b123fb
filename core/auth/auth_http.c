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
	const char *name = NULL, *expires = NULL;
	json_t *perms_json = NULL;
	auth_perms perms = 0;
	int64_t expires_at = 0;
	if (pg_json_only(req->body, fields, &err) != 0 ||
	    pg_json_str(req->body, "name", true, 64, &name, &err) != 0 ||
	    pg_json_arr(req->body, "permissions", true, 64, &perms_json, &err) != 0 ||
	    auth_perms_from_json(perms_json, "permissions", &perms, &err) != 0 ||
	    pg_json_str(req->body, "expiresAt", false, 64, &expires, &err) != 0)
		goto fail;
	if (!*name || !pg_str_is_printable(name)) {
		pg_err_set(&err, PG_EINVAL, "name", "name must be 1 to 64 printable characters");
		goto fail;
	}
	if (expires &&
	    (pg_time_parse(expires, &expires_at) != 0 || expires_at <= pg_time_now_ms())) {
		pg_err_set(&err, PG_EINVAL, "expiresAt",
		           "expiresAt must be an RFC 3339 time in the future");
		goto fail;
	}
	/* No token can mint one stronger or longer-lived than itself. */
	if (auth_covers(&req->who, perms, expires_at, &err) != 0)
		goto fail;
	struct store_conn *c = store_conn_get(app->store, &err);
	char secret[AUTH_SECRET_LEN];
	int64_t id = 0;
	json_t *out = NULL;
	struct pg_call call = http_call(req);
	if (!c || store_begin(c, STORE_TX_WRITE, &err) != 0)
		goto fail;
	json_t *details =
	        json_pack("{s:s, s:o}", "name", name, "permissions", auth_perms_to_json(perms));
	int rc = auth_admin_token_create(c, name, perms, req->who.token_id, expires_at, secret, &id,
	                                 &err);
	if (rc == 0)
		rc = audit_record(c, &call, "token.create", "token", id, details, &err);
	if (rc == 0)
		rc = auth_store_get(c, id, &out, &err);
	if (rc == 0)
		rc = store_commit(c, &err);
	json_decref(details);
	if (rc != 0) {
		store_rollback(c);
		json_decref(out);
		goto fail;
	}
	json_object_set_new(out, "token", json_string(secret));
	explicit_bzero(secret, sizeof(secret));
	http_reply(req, 201, out);
	return;
fail:
	http_reply_err(req, &err);
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
