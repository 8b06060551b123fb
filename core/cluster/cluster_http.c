/* Controller for /admin/nodes... and /admin/tasks... */
#include "cluster/cluster_http.h"
#include "cluster/cluster_int.h"
#include "common/pg_json.h"
#include "http/http.h"
#include "http/http_list.h"
#include "pagodad.h"

#include <string.h>

static struct cluster *cl_of(struct http_req *req)
{
	return ((struct pagodad *)req->app)->cluster;
}

static void node_create(struct http_req *req)
{
	struct pg_err err = {0};
	struct pg_call call = http_call(req);
	json_t *out = NULL;
	char secret[AUTH_SECRET_LEN];
	int rc = cluster_node_create(cl_of(req), &call, req->body, &out, secret, &err);
	if (rc == 0) {
		json_object_set_new(out, "token", json_string(secret));
		explicit_bzero(secret, sizeof(secret));
	}
	http_answer(req, rc, 201, out, &err);
}

static void node_list(struct http_req *req)
{
	struct pg_err err = {0};
	int64_t limit, cursor, next = 0;
	if (!http_list_params(req, &limit, &cursor))
		return;
	const char *status = http_query(req, "status"), *sel_text = http_query(req, "selector");
	if (status && strcmp(status, "online") != 0 && strcmp(status, "offline") != 0 &&
	    strcmp(status, "cordoned") != 0) {
		http_reply_error(req, PG_EINVAL, "status",
		                 "status must be online, offline or cordoned");
		return;
	}
	struct cluster_selector *sel = NULL;
	if (sel_text && *sel_text && cluster_selector_parse(sel_text, &sel, &err) != 0) {
		http_reply_err(req, &err);
		return;
	}
	json_t *items = json_array();
	int rc = cluster_node_list(cl_of(req), cursor, limit, status, sel, items, &next, &err);
	cluster_selector_free(sel);
	http_reply_list(req, rc, items, next, &err);
}

static void node_get(struct http_req *req)
{
	struct pg_err err = {0};
	int64_t id;
	json_t *out = NULL;
	if (!http_param_id(req, "id", &id))
		return;
	int rc = cluster_node_get(cl_of(req), id, &out, &err);
	http_answer(req, rc, 200, out, &err);
}

static void node_history(struct http_req *req)
{
	struct pg_err err = {0};
	int64_t id;
	json_t *out = NULL;
	if (!http_param_id(req, "id", &id))
		return;
	int rc = cluster_node_history(cl_of(req), id, http_query(req, "range"), &out, &err);
	http_answer(req, rc, 200, out, &err);
}

static void node_update(struct http_req *req)
{
	struct pg_err err = {0};
	struct pg_call call = http_call(req);
	int64_t id;
	json_t *out = NULL;
	if (!http_param_id(req, "id", &id))
		return;
	int rc = cluster_node_update(cl_of(req), &call, id, req->body, &out, &err);
	http_answer(req, rc, 200, out, &err);
}

static void node_delete(struct http_req *req)
{
	struct pg_err err = {0};
	struct pg_call call = http_call(req);
	int64_t id;
	if (!http_param_id(req, "id", &id))
		return;
	int rc = cluster_node_delete(cl_of(req), &call, id, &err);
	http_answer(req, rc, 204, NULL, &err);
}

static void node_set_cordon(struct http_req *req, bool cordon)
{
	struct pg_err err = {0};
	struct pg_call call = http_call(req);
	int64_t id;
	json_t *out = NULL;
	if (!http_param_id(req, "id", &id))
		return;
	int rc = cluster_node_cordon(cl_of(req), &call, id, cordon, &out, &err);
	http_answer(req, rc, 200, out, &err);
}

static void node_cordon(struct http_req *req)
{
	node_set_cordon(req, true);
}

static void node_uncordon(struct http_req *req)
{
	node_set_cordon(req, false);
}

static void node_rotate(struct http_req *req)
{
	struct pg_err err = {0};
	struct pg_call call = http_call(req);
	int64_t id;
	char secret[AUTH_SECRET_LEN];
	if (!http_param_id(req, "id", &id))
		return;
	/* {graceSec}: how long the old token keeps working (default 0) */
	static const char *const fields[] = {"graceSec", NULL};
	int64_t grace = 0;
	int rc = req->body ? pg_json_only(req->body, fields, &err) : 0;
	if (rc == 0 && req->body)
		rc = pg_json_int(req->body, "graceSec", false, 0, 7 * 86400, &grace, &err);
	if (rc != 0) {
		http_reply_err(req, &err);
		return;
	}
	rc = cluster_node_rotate(cl_of(req), &call, id, grace * 1000, secret, &err);
	json_t *out =
	        rc == 0 ? json_pack("{s:I, s:s}", "nodeId", (json_int_t)id, "token", secret) : NULL;
	explicit_bzero(secret, sizeof(secret));
	http_answer(req, rc, 200, out, &err);
}

/* Reads dependsOn into deps (at most 64 ids). */
static int parse_deps(json_t *body, int64_t deps[64], size_t *n, struct pg_err *err)
{
	json_t *arr = NULL;
	int rc = pg_json_arr(body, "dependsOn", false, 64, &arr, err);
	*n = 0;
	size_t i;
	json_t *v;
	json_array_foreach (arr, i, v) {
		if (!json_is_integer(v) || json_integer_value(v) <= 0)
			return pg_err_set(err, PG_EINVAL, "dependsOn",
			                  "dependsOn[%zu] must be a task id", i);
		deps[(*n)++] = json_integer_value(v);
	}
	return rc;
}

static void task_queue(struct http_req *req)
{
	static const char *const fields[] = {
	        "type", "payload", "timeoutSec", "maxRetries", "dependsOn", "idempotencyKey", NULL};
	struct pg_err err = {0};
	struct pg_call call = http_call(req);
	int64_t node_id, deps[64];
	json_t *payload = NULL;
	struct cluster_task_spec spec = {.max_retries = -1, .depends_on = deps};
	if (!http_param_id(req, "id", &node_id))
		return;
	spec.node_id = node_id;
	int rc = pg_json_only(req->body, fields, &err);
	if (rc == 0)
		rc = pg_json_str(req->body, "type", true, 64, &spec.type, &err);
	if (rc == 0)
		rc = pg_json_obj(req->body, "payload", true, &payload, &err);
	if (rc == 0)
		rc = pg_json_int(req->body, "timeoutSec", false, 1, 86400, &spec.timeout_sec, &err);
	if (rc == 0)
		rc = pg_json_int(req->body, "maxRetries", false, 0, 20, &spec.max_retries, &err);
	if (rc == 0)
		rc = parse_deps(req->body, deps, &spec.ndeps, &err);
	if (rc == 0)
		rc = pg_json_str(req->body, "idempotencyKey", false, 128, &spec.idempotency_key,
		                 &err);
	if (rc == 0 && spec.idempotency_key && !pg_str_is_printable(spec.idempotency_key))
		rc = pg_err_set(&err, PG_EINVAL, "idempotencyKey",
		                "idempotencyKey must be printable");
	/* A raw task is root on the node: a unit runs any program, a file can be
	 * a unit drop-in or a sudoers entry, an nginx config or a certificate
	 * path writes where it names. Only a health probe is harmless; the
	 * checked way for admin:node:manage is an application's release. */
	if (rc == 0 && strcmp(spec.type, "HealthProbe") != 0 &&
	    !auth_has_perm(&req->who, "admin:node:exec"))
		rc = pg_err_set(&err, PG_EFORBIDDEN, "type",
		                "a hand-queued %s task needs the permission admin:node:exec (it "
		                "can act as root on the "
		                "node); applications render checked tasks with admin:app:* instead",
		                spec.type);
	spec.payload = payload;
	int64_t id = 0;
	bool existed = false;
	if (rc == 0)
		rc = cluster_task_queue(cl_of(req), &call, &spec, &id, &existed, &err);
	json_t *out = NULL;
	if (rc == 0 && !(out = cluster_task_get(cl_of(req), id, true, &err)))
		rc = err.code;
	http_answer(req, rc, existed ? 200 : 201, out, &err);
}

static void task_list(struct http_req *req)
{
	struct pg_err err = {0};
	struct task_filter f = {.status = http_query(req, "status"),
	                        .type = http_query(req, "type"),
	                        .trace_id = http_query(req, "traceId")};
	int64_t next = 0;
	if (!http_query_int(req, "nodeId", 1, INT64_MAX, 0, &f.node_id) ||
	    !http_list_params(req, &f.limit, &f.before_id))
		return;
	if (f.before_id == 0)
		f.before_id = INT64_MAX;
	json_t *items = json_array();
	int rc = cluster_task_list(cl_of(req), &f, items, &next, &err);
	http_reply_list(req, rc, items, next, &err);
}

static void task_get(struct http_req *req)
{
	struct pg_err err = {0};
	int64_t id;
	if (!http_param_id(req, "id", &id))
		return;
	json_t *t = cluster_task_get(cl_of(req), id, true, &err);
	http_answer(req, t ? 0 : err.code, 200, t, &err);
}

static void task_cancel(struct http_req *req)
{
	struct pg_err err = {0};
	struct pg_call call = http_call(req);
	int64_t id;
	if (!http_param_id(req, "id", &id))
		return;
	int rc = cluster_task_cancel(cl_of(req), &call, id, &err);
	json_t *t = rc == 0 ? cluster_task_get(cl_of(req), id, true, &err) : NULL;
	http_answer(req, rc, 200, t, &err);
}

static void join_create(struct http_req *req)
{
	struct pg_err err = {0};
	struct pg_call call = http_call(req);
	json_t *out = NULL;
	char secret[AUTH_SECRET_LEN];
	int rc = cluster_join_token_create(cl_of(req), &call, req->who.token_id, req->body, &out,
	                                   secret, &err);
	if (rc == 0) {
		json_object_set_new(out, "token", json_string(secret));
		explicit_bzero(secret, sizeof(secret));
	}
	http_answer(req, rc, 201, out, &err);
}

static void join_list(struct http_req *req)
{
	struct pg_err err = {0};
	json_t *items = json_array();
	int rc = cluster_join_token_list(cl_of(req), items, &err);
	http_answer(req, rc, 200, rc == 0 ? json_pack("{s:o}", "items", items) : items, &err);
}

static void join_revoke(struct http_req *req)
{
	struct pg_err err = {0};
	struct pg_call call = http_call(req);
	int64_t id;
	if (!http_param_id(req, "id", &id))
		return;
	int rc = cluster_join_token_revoke(cl_of(req), &call, id, &err);
	http_answer(req, rc, 204, NULL, &err);
}

#define NODE_READ .auth = HTTP_AUTH_ADMIN, .perm = "admin:node:read"
#define NODE_MANAGE .auth = HTTP_AUTH_ADMIN, .perm = "admin:node:manage"

const struct http_route cluster_admin_routes[] = {
        {.method = "POST", .path = "/admin/nodes", NODE_MANAGE, .fn = node_create},
        {.method = "GET", .path = "/admin/nodes", NODE_READ, .fn = node_list},
        {.method = "GET", .path = "/admin/nodes/:id", NODE_READ, .fn = node_get},
        {.method = "GET", .path = "/admin/nodes/:id/history", NODE_READ, .fn = node_history},
        {.method = "PUT", .path = "/admin/nodes/:id", NODE_MANAGE, .fn = node_update},
        {.method = "DELETE", .path = "/admin/nodes/:id", NODE_MANAGE, .fn = node_delete},
        {.method = "POST",
         .path = "/admin/nodes/:id/cordon",
         NODE_MANAGE,
         .fn = node_cordon,
         .no_fields = true},
        {.method = "POST",
         .path = "/admin/nodes/:id/uncordon",
         NODE_MANAGE,
         .fn = node_uncordon,
         .no_fields = true},
        {.method = "POST", .path = "/admin/nodes/:id/token/rotate", NODE_MANAGE, .fn = node_rotate},
        /* queued by automation at a steady rate: grouped, and no fsync on a
         * connection thread that also serves heartbeats */
        {.method = "POST",
         .path = "/admin/nodes/:id/tasks",
         NODE_MANAGE,
         .fn = task_queue,
         .grouped = true},
        {.method = "GET", .path = "/admin/tasks", NODE_READ, .fn = task_list},
        {.method = "GET", .path = "/admin/tasks/:id", NODE_READ, .fn = task_get},
        {.method = "POST",
         .path = "/admin/tasks/:id/cancel",
         NODE_MANAGE,
         .fn = task_cancel,
         .no_fields = true},
        {.method = "POST", .path = "/admin/join-tokens", NODE_MANAGE, .fn = join_create},
        {.method = "GET", .path = "/admin/join-tokens", NODE_READ, .fn = join_list},
        {.method = "DELETE", .path = "/admin/join-tokens/:id", NODE_MANAGE, .fn = join_revoke},
        {0},
};
