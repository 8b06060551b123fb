/* Controller for /admin/tokens. */
#include "auth/auth_http.h"
#include "auth/auth.h"
#include "http/http.h"
#include "http/http_list.h"
#include "pagodad.h"

#include <string.h>

static void auth_http_create(struct http_req *req)
{
	struct pagodad *app = req->app;
	struct pg_err err = {0};
	struct pg_call call = http_call(req);
	json_t *out = NULL;
	int rc = auth_token_create(app->store, &call, &req->who, req->body, &out, &err);
	http_answer(req, rc, 201, out, &err);
}

static void auth_http_list(struct http_req *req)
{
	struct pagodad *app = req->app;
	struct pg_err err = {0};
	int64_t limit, cursor, next = 0;
	json_t *items = NULL;
	if (!http_list_params(req, &limit, &cursor))
		return;
	int rc = auth_token_list(app->store, cursor, limit, &items, &next, &err);
	http_reply_list(req, rc, items, next, &err);
}

static void auth_http_revoke(struct http_req *req)
{
	struct pagodad *app = req->app;
	struct pg_err err = {0};
	struct pg_call call = http_call(req);
	int64_t id;
	if (!http_param_id(req, "id", &id))
		return;
	int rc = auth_token_revoke(app->store, &call, &req->who, id, &err);
	http_answer(req, rc, 204, NULL, &err);
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
