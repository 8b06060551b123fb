/* Controller for /admin/configs... Secret content is shown only with
 * ?reveal=true to a token that may also write configurations. */
#include "auth/auth.h"
#include "config/config_http.h"
#include "common/pg_crypto.h"
#include "common/pg_json.h"
#include "config/config_int.h"
#include "http/http_block.h"
#include "http/http_list.h"
#include "pagodad.h"

#include <stdlib.h>
#include <string.h>

static struct config *cfg_of(struct http_req *req)
{
	return ((struct pagodad *)req->app)->config;
}

/* ?reveal=true, allowed only with admin:config:write; false and an answer
 * already sent when refused. */
static bool reveal_of(struct http_req *req, bool *reveal)
{
	const char *r = http_query(req, "reveal");
	*reveal = r && strcmp(r, "true") == 0;
	if (*reveal && !auth_has_perm(&req->who, "admin:config:write")) {
		http_reply_error(req, PG_EFORBIDDEN, "reveal",
		                 "revealing secrets needs admin:config:write");
		return false;
	}
	return true;
}

/* The sha256 and size of a secret's versions are an offline oracle for a
 * weak secret: only tokens that may reveal it (admin:config:write) see
 * them. out is an item with current, a version, or a list of versions. */
static void hide_digests(struct http_req *req, json_t *out, bool secret)
{
	if (!out || !secret || auth_has_perm(&req->who, "admin:config:write"))
		return;
	json_t *one[] = {out, json_object_get(out, "current")}, *v;
	size_t i;
	for (i = 0; i < 2; i++) {
		json_object_del(one[i], "sha256");
		json_object_del(one[i], "size");
	}
	json_array_foreach (out, i, v) {
		json_object_del(v, "sha256");
		json_object_del(v, "size");
	}
}

static bool is_secret(struct http_req *req, int64_t id)
{
	struct pg_err err = {0};
	json_t *item = NULL;
	bool secret = config_get(cfg_of(req), id, 0, false, &item, &err) == 0 &&
	              json_is_true(json_object_get(item, "secret"));
	json_decref(item);
	return secret;
}

static void cfg_create(struct http_req *req)
{
	struct pg_err err = {0};
	struct pg_call call = http_call(req);
	json_t *out = NULL;
	int rc = config_create(cfg_of(req), &call, req->body, &out, &err);
	http_answer(req, rc, 201, out, &err);
}

static void cfg_list(struct http_req *req)
{
	struct pg_err err = {0};
	int64_t limit, cursor, next = 0;
	if (!http_list_params(req, &limit, &cursor))
		return;
	json_t *items = json_array();
	int rc = config_list(cfg_of(req), http_query(req, "namespace"), cursor, limit, items, &next,
	                     &err);
	http_reply_list(req, rc, items, next, &err);
}

static void cfg_get(struct http_req *req)
{
	struct pg_err err = {0};
	int64_t id, version;
	bool reveal;
	json_t *out = NULL;
	if (!http_param_id(req, "id", &id) ||
	    !http_query_int(req, "version", 1, INT64_MAX, 0, &version) || !reveal_of(req, &reveal))
		return;
	int rc = config_get(cfg_of(req), id, version, reveal, &out, &err);
	if (rc == 0)
		hide_digests(req, out, json_is_true(json_object_get(out, "secret")));
	http_answer(req, rc, 200, out, &err);
}

static void cfg_version(struct http_req *req)
{
	struct pg_err err = {0};
	int64_t id, version;
	bool reveal;
	json_t *out = NULL;
	if (!http_param_id(req, "id", &id) || !http_param_id(req, "version", &version) ||
	    !reveal_of(req, &reveal))
		return;
	int rc = config_get(cfg_of(req), id, version, reveal, &out, &err);
	if (rc == 0)
		hide_digests(req, out, json_is_true(json_object_get(out, "secret")));
	http_answer(req, rc, 200, out, &err);
}

static void cfg_update(struct http_req *req)
{
	struct pg_err err = {0};
	struct pg_call call = http_call(req);
	int64_t id;
	json_t *out = NULL;
	if (!http_param_id(req, "id", &id))
		return;
	int rc = config_update(cfg_of(req), &call, id, req->body, &out, &err);
	http_answer(req, rc, 200, out, &err);
}

static void cfg_delete(struct http_req *req)
{
	struct pg_err err = {0};
	struct pg_call call = http_call(req);
	int64_t id;
	if (!http_param_id(req, "id", &id))
		return;
	int rc = config_delete(cfg_of(req), &call, id, &err);
	http_answer(req, rc, 204, NULL, &err);
}

static void cfg_versions(struct http_req *req)
{
	struct pg_err err = {0};
	int64_t id;
	json_t *items = NULL;
	if (!http_param_id(req, "id", &id))
		return;
	int rc = config_versions(cfg_of(req), id, &items, &err);
	if (rc == 0)
		hide_digests(req, items, is_secret(req, id));
	http_reply_list(req, rc, items, 0, &err);
}

static void cfg_diff(struct http_req *req)
{
	struct pg_err err = {0};
	int64_t id, from, to;
	bool reveal;
	json_t *out = NULL;
	if (!http_param_id(req, "id", &id) ||
	    !http_query_int(req, "from", 1, INT64_MAX, 0, &from) ||
	    !http_query_int(req, "to", 1, INT64_MAX, 0, &to) || !reveal_of(req, &reveal))
		return;
	int rc = config_diff(cfg_of(req), id, from, to, reveal, &out, &err);
	http_answer(req, rc, 200, out, &err);
}

static void cfg_release_as(struct http_req *req, bool rollback)
{
	struct pg_err err = {0};
	struct pg_call call = http_call(req);
	int64_t id;
	json_t *out = NULL;
	if (!http_param_id(req, "id", &id))
		return;
	int rc = config_release(cfg_of(req), &call, id, req->body, rollback, &out, &err);
	http_answer(req, rc, 200, out, &err);
}

static void cfg_publish(struct http_req *req)
{
	cfg_release_as(req, false);
}

static void cfg_rollback(struct http_req *req)
{
	cfg_release_as(req, true);
}

static void cfg_releases(struct http_req *req)
{
	struct pg_err err = {0};
	int64_t id;
	json_t *items = NULL;
	if (!http_param_id(req, "id", &id))
		return;
	int rc = config_releases(cfg_of(req), id, &items, &err);
	http_reply_list(req, rc, items, 0, &err);
}

/* POST /admin/configs/:id/render {nodeId?, version?, app?, values?} */
static void cfg_render(struct http_req *req)
{
	static const char *const fields[] = {"nodeId", "version", "app", "values", NULL};
	struct config *cfg = cfg_of(req);
	struct pg_err err = {0};
	int64_t id, node_id = 0, version = 0, used = 0;
	json_t *app = NULL, *values = NULL;
	bool reveal;
	char *text = NULL;
	if (!http_param_id(req, "id", &id) || !reveal_of(req, &reveal))
		return;
	int rc = pg_json_only(req->body, fields, &err);
	if (rc == 0)
		rc = pg_json_int(req->body, "nodeId", false, 1, INT64_MAX, &node_id, &err);
	if (rc == 0)
		rc = pg_json_int(req->body, "version", false, 1, INT64_MAX, &version, &err);
	if (rc == 0)
		rc = pg_json_obj(req->body, "app", false, &app, &err);
	if (rc == 0)
		rc = pg_json_obj(req->body, "values", false, &values, &err);
	if (rc == 0)
		rc = config_render(cfg, id, version, node_id, app, values, &text, &used, &err);
	json_t *out = NULL;
	if (rc == 0) {
		char sha[65];
		pg_sha256_hex(text, strlen(text), sha);
		json_t *item = NULL;
		bool secret = config_get(cfg, id, used, false, &item, &err) == 0 &&
		              json_is_true(json_object_get(item, "secret"));
		json_decref(item);
		out = json_pack("{s:I, s:I, s:s}", "id", (json_int_t)id, "version",
		                (json_int_t)used, "sha256", sha);
		json_object_set_new(out, "content",
		                    secret && !reveal ? json_null() : json_string(text));
		if (secret && !reveal)
			json_object_set_new(out, "contentHidden", json_true());
		hide_digests(req, out, secret);
		explicit_bzero(text, strlen(text));
		free(text);
	}
	http_answer(req, rc, 200, out, &err);
}

/* POST /admin/configs/:id/tokens {name, expiresAt?}: a token for the
 * application that reads this item itself (its watch, nothing else). */
static void cfg_token(struct http_req *req)
{
	struct pg_err err = {0};
	struct pg_call call = http_call(req);
	int64_t id;
	json_t *out = NULL;
	if (!http_param_id(req, "id", &id))
		return;
	int rc = config_token_create(cfg_of(req), &call, &req->who, id, req->body, &out, &err);
	http_answer(req, rc, 201, out, &err);
}

static int published_of(struct http_req *req, json_t **out, int64_t *index, struct pg_err *err)
{
	int64_t id = strtoll(http_param(req, "id"), NULL, 10);
	/* a token scoped to this item was made to read it, secret or not */
	bool reveal = req->who.scope[0] || auth_has_perm(&req->who, "admin:config:write");
	return config_published(cfg_of(req), id, reveal, out, index, err);
}

/* GET /api/configs/:id?index=N&wait=30s: the published version, answered
 * once a publish or rollback passes index N. */
static void cfg_watch(struct http_req *req)
{
	int64_t id;
	if (!http_param_id(req, "id", &id))
		return;
	http_blocking_read(req, ((struct pagodad *)req->app)->config_watch, id, "X-Config-Index",
	                   published_of);
}

#define CFG_READ .auth = HTTP_AUTH_ADMIN, .perm = "admin:config:read"
#define CFG_WRITE .auth = HTTP_AUTH_ADMIN, .perm = "admin:config:write"

const struct http_route config_routes[] = {
        {.method = "POST", .path = "/admin/configs", CFG_WRITE, .fn = cfg_create},
        {.method = "GET", .path = "/admin/configs", CFG_READ, .fn = cfg_list},
        {.method = "GET", .path = "/admin/configs/:id", CFG_READ, .fn = cfg_get},
        {.method = "PUT", .path = "/admin/configs/:id", CFG_WRITE, .fn = cfg_update},
        {.method = "DELETE", .path = "/admin/configs/:id", CFG_WRITE, .fn = cfg_delete},
        {.method = "GET", .path = "/admin/configs/:id/versions", CFG_READ, .fn = cfg_versions},
        {.method = "GET",
         .path = "/admin/configs/:id/versions/:version",
         CFG_READ,
         .fn = cfg_version},
        {.method = "GET", .path = "/admin/configs/:id/diff", CFG_READ, .fn = cfg_diff},
        {.method = "POST", .path = "/admin/configs/:id/publish", CFG_WRITE, .fn = cfg_publish},
        {.method = "POST", .path = "/admin/configs/:id/rollback", CFG_WRITE, .fn = cfg_rollback},
        {.method = "GET", .path = "/admin/configs/:id/releases", CFG_READ, .fn = cfg_releases},
        {.method = "POST", .path = "/admin/configs/:id/render", CFG_READ, .fn = cfg_render},
        {.method = "POST", .path = "/admin/configs/:id/tokens", CFG_WRITE, .fn = cfg_token},
        {.method = "GET",
         .path = "/api/configs/:id",
         CFG_READ,
         .scope = "config:id",
         .fn = cfg_watch},
        {0},
};
