/* upgrade_http: /admin/agent-upgrades. */
#include "pagodad.h"
#include "upgrade/upgrade.h"

static struct upgrade *up(struct http_req *req)
{
	return ((struct pagodad *)req->app)->upgrade;
}

static void create(struct http_req *req)
{
	struct pg_err err = {0};
	struct pg_call call = http_call(req);
	json_t *out = NULL;
	int rc = upgrade_create(up(req), &call, req->body, &out, &err);
	http_answer(req, rc, 201, out, &err);
}

static void list(struct http_req *req)
{
	struct pg_err err = {0};
	json_t *items = json_array();
	int rc = upgrade_list(up(req), items, &err);
	http_answer(req, rc, 200,
	            rc == 0 ? json_pack("{s:o}", "items", items) : (json_decref(items), NULL),
	            &err);
}

static void get(struct http_req *req)
{
	struct pg_err err = {0};
	int64_t id;
	json_t *out = NULL;
	if (!http_param_id(req, "id", &id))
		return;
	int rc = upgrade_get(up(req), id, &out, &err);
	http_answer(req, rc, 200, out, &err);
}

/* Upgrading installs a package as root on every node it reaches: as strong
 * as running a command there. */
const struct http_route upgrade_routes[] = {
        {.method = "POST",
         .path = "/admin/agent-upgrades",
         .auth = HTTP_AUTH_ADMIN,
         .perm = "admin:node:exec",
         .fn = create},
        {.method = "GET",
         .path = "/admin/agent-upgrades",
         .auth = HTTP_AUTH_ADMIN,
         .perm = "admin:node:read",
         .fn = list},
        {.method = "GET",
         .path = "/admin/agent-upgrades/:id",
         .auth = HTTP_AUTH_ADMIN,
         .perm = "admin:node:read",
         .fn = get},
        {0},
};
