/* Controller for applications, ingresses and releases. */
#include "application/app_http.h"
#include "application/app_int.h"
#include "common/pg_json.h"
#include "http/http_list.h"
#include "http/http_stream.h"
#include "pagodad.h"

#include <string.h>

static struct app *app_of(struct http_req *req)
{
	return ((struct pagodad *)req->app)->application;
}

static void apps_create(struct http_req *req)
{
	struct pg_err err = {0};
	struct pg_call call = http_call(req);
	json_t *out = NULL;
	int rc = app_create(app_of(req), &call, req->body, &out, &err);
	http_answer(req, rc, 201, out, &err);
}

static void apps_list(struct http_req *req)
{
	struct pg_err err = {0};
	int64_t limit, cursor, next = 0;
	json_t *items = NULL;
	if (!http_list_params(req, &limit, &cursor))
		return;
	int rc = app_list(app_of(req), cursor, limit, &items, &next, &err);
	http_reply_list(req, rc, items, next, &err);
}

static void apps_get(struct http_req *req)
{
	struct pg_err err = {0};
	int64_t id;
	json_t *out = NULL;
	if (!http_param_id(req, "id", &id))
		return;
	int rc = app_get(app_of(req), id, &out, &err);
	http_answer(req, rc, 200, out, &err);
}

static void apps_update(struct http_req *req)
{
	struct pg_err err = {0};
	struct pg_call call = http_call(req);
	int64_t id;
	json_t *out = NULL;
	if (!http_param_id(req, "id", &id))
		return;
	int rc = app_update(app_of(req), &call, id, req->body, &out, &err);
	http_answer(req, rc, 200, out, &err);
}

/* DELETE /admin/apps/:id[?force=true]: an application still running on
 * nodes needs a stop release first, or force, which stops it there through
 * tasks and then forgets it. */
static void apps_delete(struct http_req *req)
{
	struct pg_err err = {0};
	struct pg_call call = http_call(req);
	int64_t id;
	const char *force = http_query(req, "force");
	if (!http_param_id(req, "id", &id))
		return;
	int rc = app_delete(app_of(req), &call, id, force && strcmp(force, "true") == 0, &err);
	http_answer(req, rc, 204, NULL, &err);
}

static void ingress_create(struct http_req *req)
{
	struct pg_err err = {0};
	struct pg_call call = http_call(req);
	int64_t id;
	json_t *out = NULL;
	if (!http_param_id(req, "id", &id))
		return;
	int rc = app_ingress_put(app_of(req), &call, id, 0, req->body, &out, &err);
	http_answer(req, rc, 201, out, &err);
}

static void ingress_get(struct http_req *req)
{
	struct pg_err err = {0};
	int64_t id;
	json_t *out = NULL;
	if (!http_param_id(req, "ingressId", &id))
		return;
	int rc = app_ingress_find(app_of(req), id, &out, &err);
	http_answer(req, rc, 200, out, &err);
}

static void ingress_update(struct http_req *req)
{
	struct pg_err err = {0};
	struct pg_call call = http_call(req);
	int64_t id;
	json_t *out = NULL;
	if (!http_param_id(req, "ingressId", &id))
		return;
	int rc = app_ingress_put(app_of(req), &call, 0, id, req->body, &out, &err);
	http_answer(req, rc, 200, out, &err);
}

static void ingress_delete(struct http_req *req)
{
	struct pg_err err = {0};
	struct pg_call call = http_call(req);
	int64_t id;
	if (!http_param_id(req, "ingressId", &id))
		return;
	int rc = app_ingress_remove(app_of(req), &call, id, &err);
	http_answer(req, rc, 204, NULL, &err);
}

static void release_create(struct http_req *req)
{
	static const char *const fields[] = {"note", NULL};
	struct pg_err err = {0};
	struct pg_call call = http_call(req);
	int64_t id;
	const char *note = "";
	json_t *out = NULL;
	if (!http_param_id(req, "id", &id))
		return;
	int rc = pg_json_only(req->body, fields, &err);
	if (rc == 0)
		rc = pg_json_str(req->body, "note", false, 1000, &note, &err);
	if (rc == 0)
		rc = app_release_create(app_of(req), &call, id, "deploy", 0, 0, NULL, note, &out,
		                        &err);
	http_answer(req, rc, 201, out, &err);
}

static void apps_restart(struct http_req *req)
{
	static const char *const fields[] = {"note", NULL};
	struct pg_err err = {0};
	struct pg_call call = http_call(req);
	int64_t id;
	const char *note = NULL;
	json_t *out = NULL;
	if (!http_param_id(req, "id", &id))
		return;
	int rc = pg_json_only(req->body, fields, &err);
	if (rc == 0)
		rc = pg_json_str(req->body, "note", false, 1000, &note, &err);
	if (rc == 0)
		rc = app_restart(app_of(req), &call, id, note, &out, &err);
	http_answer(req, rc, 201, out, &err);
}

static void apps_inspect(struct http_req *req)
{
	struct pg_err err = {0};
	struct pg_call call = http_call(req);
	int64_t id;
	json_t *out = NULL;
	if (!http_param_id(req, "id", &id))
		return;
	int rc = app_inspect(app_of(req), &call, id, req->body, &out, &err);
	http_answer(req, rc, 201, out, &err);
}

static bool sse_write(void *arg, const char *event, json_t *data)
{
	return http_stream_event(arg, event, data);
}

static bool sse_gone(void *arg)
{
	return http_stream_gone(arg);
}

static void sse_close(void *arg)
{
	http_stream_close(arg);
}

/* GET /admin/apps/:id/logs: server-sent events, "line" per log line,
 * "error" per node that could not answer, "end" (without follow) once all
 * did. The stream's bytes wait in at most 4 MiB for a slow reader. */
static void apps_logs(struct http_req *req)
{
	struct pg_err err = {0};
	struct pg_call call = http_call(req);
	int64_t id, lines, since, node;
	if (!http_param_id(req, "id", &id) || !http_query_int(req, "lines", 1, 1000, 100, &lines) ||
	    !http_query_int(req, "since", 0, INT64_C(1) << 40, 0, &since) ||
	    !http_query_int(req, "node", 0, INT64_MAX, 0, &node))
		return;
	const char *fq = http_query(req, "follow");
	bool follow = fq && (!strcmp(fq, "true") || !strcmp(fq, "1"));
	if (fq && !follow && strcmp(fq, "false") && strcmp(fq, "0")) {
		http_reply_error(req, PG_EINVAL, "follow", "follow must be true or false");
		return;
	}
	struct http_stream *s = http_stream_new(4u << 20);
	if (!s) {
		http_reply_error(req, PG_EINTERNAL, "", "out of memory");
		return;
	}
	json_t *q = json_pack("{s:I}", "lines", (json_int_t)lines);
	if (since)
		json_object_set_new(q, "since", json_integer(since));
	if (node)
		json_object_set_new(q, "nodeId", json_integer(node));
	http_stream_hold(s); /* the stream's producer's */
	struct app_logs_sink sink = {
	        .write = sse_write, .gone = sse_gone, .close = sse_close, .arg = s};
	int rc = app_logs_stream(app_of(req), &call, id, q, follow, &sink, &err);
	json_decref(q);
	if (rc != 0) {
		http_stream_release(s);
		http_reply_err(req, &err);
	} else {
		http_reply_stream(req, 200, "text/event-stream", s);
		http_reply_header(req, "X-Accel-Buffering",
		                  "no"); /* a proxy must pass it on at once */
	}
	http_stream_release(s);
}

static void apps_run(struct http_req *req)
{
	struct pg_err err = {0};
	struct pg_call call = http_call(req);
	int64_t id;
	json_t *out = NULL;
	if (!http_param_id(req, "id", &id))
		return;
	int rc = app_job_run(app_of(req), &call, id, &out, &err);
	http_answer(req, rc, 201, out, &err);
}

static void release_list(struct http_req *req)
{
	struct pg_err err = {0};
	int64_t id;
	json_t *items = NULL;
	if (!http_param_id(req, "id", &id))
		return;
	int rc = app_releases_of(app_of(req), id, &items, &err);
	http_reply_list(req, rc, items, 0, &err);
}

static void release_get(struct http_req *req)
{
	struct pg_err err = {0};
	int64_t id;
	json_t *out = NULL;
	if (!http_param_id(req, "id", &id))
		return;
	int rc = app_release_view(app_of(req), id, &out, &err);
	http_answer(req, rc, 200, out, &err);
}

/* An operator's move of a release: the action is the route's. */
static void act(struct http_req *req, const char *action)
{
	struct pg_err err = {0};
	struct pg_call call = http_call(req);
	int64_t id;
	json_t *out = NULL;
	if (!http_param_id(req, "id", &id))
		return;
	int rc = app_release_act(app_of(req), &call, id, action, &out, &err);
	http_answer(req, rc, 200, out, &err);
}

static void release_approve(struct http_req *req)
{
	act(req, "approve");
}

static void release_execute(struct http_req *req)
{
	act(req, "execute");
}

static void release_pause(struct http_req *req)
{
	act(req, "pause");
}

static void release_resume(struct http_req *req)
{
	act(req, "resume");
}

static void release_cancel(struct http_req *req)
{
	act(req, "cancel");
}

/* POST /admin/releases/:id/rollback {targetReleaseId?}: runs the target's
 * artifacts (default: the release that was current before this one) on the
 * nodes this release touched. */
static void release_rollback(struct http_req *req)
{
	struct pg_err err = {0};
	struct pg_call call = http_call(req);
	int64_t id;
	json_t *out = NULL;
	if (!http_param_id(req, "id", &id))
		return;
	int rc = app_release_rollback(app_of(req), &call, id, req->body, &out, &err);
	http_answer(req, rc, 201, out, &err);
}

#define APP_READ .auth = HTTP_AUTH_ADMIN, .perm = "admin:app:read"
#define APP_WRITE .auth = HTTP_AUTH_ADMIN, .perm = "admin:app:write"
#define REL_EXEC .auth = HTTP_AUTH_ADMIN, .perm = "admin:release:execute"

const struct http_route app_routes[] = {
        {.method = "POST", .path = "/admin/apps", APP_WRITE, .fn = apps_create},
        {.method = "GET", .path = "/admin/apps", APP_READ, .fn = apps_list},
        {.method = "GET", .path = "/admin/apps/:id", APP_READ, .fn = apps_get},
        {.method = "PUT", .path = "/admin/apps/:id", APP_WRITE, .fn = apps_update},
        {.method = "DELETE", .path = "/admin/apps/:id", APP_WRITE, .fn = apps_delete},
        {.method = "POST", .path = "/admin/apps/:id/ingresses", APP_WRITE, .fn = ingress_create},
        {.method = "GET", .path = "/admin/ingresses/:ingressId", APP_READ, .fn = ingress_get},
        {.method = "PUT", .path = "/admin/ingresses/:ingressId", APP_WRITE, .fn = ingress_update},
        {.method = "DELETE",
         .path = "/admin/ingresses/:ingressId",
         APP_WRITE,
         .fn = ingress_delete},
        {.method = "POST", .path = "/admin/apps/:id/releases", APP_WRITE, .fn = release_create},
        {.method = "POST", .path = "/admin/apps/:id/restart", REL_EXEC, .fn = apps_restart},
        {.method = "POST",
         .path = "/admin/apps/:id/run",
         REL_EXEC,
         .no_fields = true,
         .fn = apps_run},
        {.method = "POST",
         .path = "/admin/apps/:id/inspect",
         .auth = HTTP_AUTH_ADMIN,
         .perm = "admin:node:logs",
         .fn = apps_inspect},
        {.method = "GET",
         .path = "/admin/apps/:id/logs",
         .auth = HTTP_AUTH_ADMIN,
         .perm = "admin:node:logs",
         .fn = apps_logs},
        {.method = "GET", .path = "/admin/apps/:id/releases", APP_READ, .fn = release_list},
        {.method = "GET", .path = "/admin/releases/:id", APP_READ, .fn = release_get},
        {.method = "POST",
         .path = "/admin/releases/:id/approve",
         .auth = HTTP_AUTH_ADMIN,
         .perm = "admin:release:approve",
         .fn = release_approve,
         .no_fields = true},
        {.method = "POST",
         .path = "/admin/releases/:id/execute",
         REL_EXEC,
         .fn = release_execute,
         .no_fields = true},
        {.method = "POST",
         .path = "/admin/releases/:id/pause",
         REL_EXEC,
         .fn = release_pause,
         .no_fields = true},
        {.method = "POST",
         .path = "/admin/releases/:id/resume",
         REL_EXEC,
         .fn = release_resume,
         .no_fields = true},
        {.method = "POST",
         .path = "/admin/releases/:id/cancel",
         REL_EXEC,
         .fn = release_cancel,
         .no_fields = true},
        {.method = "POST",
         .path = "/admin/releases/:id/rollback",
         .auth = HTTP_AUTH_ADMIN,
         .perm = "admin:release:rollback",
         .fn = release_rollback},
        {0},
};
