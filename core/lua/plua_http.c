/* Controller for /admin/policies: what is loaded, from where, and reload. */
#include "lua/plua_http.h"
#include "http/http_list.h"
#include "lua/plua.h"
#include "pagodad.h"

static void policies_list(struct http_req *req)
{
	struct pagodad *app = req->app;
	http_reply_list(req, 0, plua_status(app->lua), 0, NULL);
}

static void policies_reload(struct http_req *req)
{
	struct pagodad *app = req->app;
	struct pg_call call = http_call(req);
	plua_reload(app->lua, &call, 1);
	http_reply_list(req, 0, plua_status(app->lua), 0, NULL);
}

const struct http_route plua_routes[] = {
        {.method = "GET",
         .path = "/admin/policies",
         .auth = HTTP_AUTH_ADMIN,
         .perm = "admin:policy:manage",
         .fn = policies_list},
        {.method = "POST",
         .path = "/admin/policies/reload",
         .auth = HTTP_AUTH_ADMIN,
         .perm = "admin:policy:manage",
         .fn = policies_reload,
         .no_fields = true},
        {0},
};
