/* Controller for applications, ingresses and releases. */
#include "application/app_http.h"
#include "application/app_int.h"
#include "audit/audit.h"
#include "cluster/cluster.h"
#include "common/pg_json.h"
#include "http/http_list.h"
#include "http/http_stream.h"
#include "pagodad.h"
#include "store/store.h"

#include <stdio.h>
#include <stdlib.h>
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
	int64_t limit, cursor;
	if (!http_list_params(req, &limit, &cursor))
		return;
	struct store_conn *c = store_conn_get(app_of(req)->store, &err);
	json_t *items = json_array();
	int rc = c ? app_store_list(c, cursor, limit + 1, items, &err) : err.code;
	int64_t next = 0;
	if (rc == 0 && (int64_t)json_array_size(items) > limit) {
		json_array_remove(items, json_array_size(items) - 1);
		next = json_integer_value(
		        json_object_get(json_array_get(items, json_array_size(items) - 1), "id"));
	}
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
	struct app *a = app_of(req);
	struct pg_err err = {0};
	struct pg_call call = http_call(req);
	int64_t id, active = 0;
	const char *force = http_query(req, "force");
	bool forced = force && strcmp(force, "true") == 0;
	if (!http_param_id(req, "id", &id))
		return;
	struct store_conn *c = store_conn_get(a->store, &err);
	json_t *app = NULL, *rel = NULL, *nodes = json_array(), *woken = json_array();
	int rc = c ? store_begin(c, STORE_TX_WRITE, &err) : err.code;
	if (rc != 0)
		goto out;
	rc = app_store_get(c, id, &app, &err);
	int64_t cur = json_integer_value(json_object_get(app, "currentReleaseId"));
	if (rc == 0)
		rc = app_release_active(c, id, &active, &err);
	if (rc == 0 && active && !forced)
		rc = pg_err_set(&err, PG_ECONFLICT, "id",
		                "release %lld is in flight; cancel it or use ?force=true",
		                (long long)active);
	if (rc == 0 && cur)
		rc = app_release_get(c, cur, true, &rel, &err);
	bool live = rel && strcmp(json_string_value(json_object_get(
	                                  json_object_get(rel, "artifacts"), "desiredState")),
	                          "Running") == 0;
	if (rc == 0 && live && !forced)
		rc = pg_err_set(&err, PG_ECONFLICT, "id",
		                "the application runs on nodes: release it with desiredState "
		                "Stopped first, "
		                "or delete with ?force=true");
	if (rc == 0 && live)
		rc = app_node_list(c, cur, nodes, &err);
	size_t i;
	json_t *n;
	json_t *art = json_object_get(rel, "artifacts");
	json_array_foreach (nodes, i, n) {
		if (rc != 0 ||
		    strcmp(json_string_value(json_object_get(n, "status")), "succeeded") != 0)
			continue;
		int64_t node = json_integer_value(json_object_get(n, "nodeId")), tid;
		bool existed;
		char owner[32];
		app_owner(id, owner);
		/* a unit is stopped; every site of a proxy is blanked */
		json_t *payloads = json_array(), *p, *site;
		const char *type =
		        json_object_get(art, "unit") ? "SystemdControl" : "RenderAndDeployNginx";
		if (json_object_get(art, "unit")) {
			p = json_pack("{s:O, s:s}", "unitName",
			              json_object_get(json_object_get(art, "unit"), "name"),
			              "action", "stop");
			if (json_object_get(art, "service"))
				json_object_set_new(
				        p, "deregister",
				        json_pack("[O]",
				                  json_object_get(json_object_get(art, "service"),
				                                  "name")));
			json_array_append_new(payloads, p);
		}
		size_t k;
		json_array_foreach (json_object_get(art, "sites"), k, site)
			if (!json_object_get(art, "unit"))
				json_array_append_new(payloads,
				                      json_pack("{s:O, s:s}", "siteName",
				                                json_object_get(site, "siteName"),
				                                "content",
				                                "# removed by Pagoda: the "
				                                "application was deleted\n"));
		json_array_foreach (payloads, k, p) {
			struct cluster_task_spec spec = {.node_id = node,
			                                 .type = type,
			                                 .payload = p,
			                                 .max_retries = 2,
			                                 .owner = owner};
			if (rc == 0)
				rc = cluster_task_insert(a->cluster, c, &call, &spec, &tid,
				                         &existed, &err);
		}
		json_decref(payloads);
		json_array_append_new(woken, json_integer(node));
	}
	if (rc == 0)
		rc = app_store_delete(c, id, &err);
	if (rc == 0)
		rc = audit_record_new(c, &call, "app.delete", "app", id,
		                      json_pack("{s:O, s:b, s:I}", "name",
		                                json_object_get(app, "name"), "force", forced,
		                                "stopTasks", (json_int_t)json_array_size(woken)),
		                      &err);
	rc = store_end(c, rc, &err);
	json_array_foreach (woken, i, n)
		if (rc == 0)
			cluster_wake(a->cluster, json_integer_value(n));
out:
	json_decref(app);
	json_decref(rel);
	json_decref(nodes);
	json_decref(woken);
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
	if (!http_param_id(req, "id", &id))
		return;
	struct store_conn *c = store_conn_get(app_of(req)->store, &err);
	json_t *items = json_array(), *app = NULL;
	int rc = c ? app_store_get(c, id, &app, &err) : err.code;
	if (rc == 0)
		rc = app_release_list(c, id, items, &err);
	json_decref(app);
	http_reply_list(req, rc, items, 0, &err);
}

/* A release with its batches and nodes, and each node's tasks in brief. */
static void release_get(struct http_req *req)
{
	struct app *a = app_of(req);
	struct pg_err err = {0};
	int64_t id;
	if (!http_param_id(req, "id", &id))
		return;
	struct store_conn *c = store_conn_get(a->store, &err);
	json_t *rel = NULL, *batches = json_array(), *nodes = json_array();
	int rc = c ? app_release_get(c, id, true, &rel, &err) : err.code;
	if (rc == 0)
		rc = app_batch_list(c, id, batches, &err);
	if (rc == 0)
		rc = app_node_list(c, id, nodes, &err);
	size_t i, j;
	json_t *n, *t;
	json_array_foreach (nodes, i, n) {
		json_t *brief = json_array();
		json_array_foreach (json_object_get(n, "tasks"), j, t) {
			struct pg_err e = {0};
			json_t *task =
			        cluster_task_get(a->cluster, json_integer_value(t), false, &e);
			if (task)
				json_array_append_new(
				        brief,
				        json_pack("{s:O, s:O, s:O, s:O, s:O, s:O}", "id",
				                  json_object_get(task, "id"), "type",
				                  json_object_get(task, "type"), "status",
				                  json_object_get(task, "status"), "errorMessage",
				                  json_object_get(task, "errorMessage"),
				                  "startedAt", json_object_get(task, "startedAt"),
				                  "finishedAt",
				                  json_object_get(task, "finishedAt")));
			json_decref(task);
		}
		json_object_set_new(n, "tasks", brief);
	}
	if (rc == 0) {
		app_batch_outcomes(batches, nodes);
		json_object_set(rel, "batches", batches);
		json_object_set(rel, "nodes", nodes);
		/* secret config content never rides along: only versions */
	}
	json_decref(batches);
	json_decref(nodes);
	http_answer(req, rc, 200, rel, &err);
}

/* Moves a release from one of from (NULL-terminated) to to. */
static void transition(struct http_req *req, const char *const from[], const char *to,
                       const char *action)
{
	struct app *a = app_of(req);
	struct pg_err err = {0};
	struct pg_call call = http_call(req);
	int64_t id, other = 0;
	if (!http_param_id(req, "id", &id))
		return;
	struct store_conn *c = store_conn_get(a->store, &err);
	json_t *rel = NULL, *app = NULL, *nodes = json_array();
	int rc = c ? store_begin(c, STORE_TX_WRITE, &err) : err.code;
	if (rc != 0) {
		http_reply_err(req, &err);
		json_decref(nodes);
		return;
	}
	rc = app_release_get(c, id, false, &rel, &err);
	const char *status = json_string_value(json_object_get(rel, "status"));
	bool ok = false;
	for (int i = 0; rc == 0 && from[i]; i++)
		ok = ok || strcmp(status, from[i]) == 0;
	if (rc == 0 && !ok)
		rc = pg_err_set(&err, PG_ECONFLICT, "status", "release %lld is %s; cannot %s it",
		                (long long)id, status, action);
	if (rc == 0)
		rc = app_store_get(c, json_integer_value(json_object_get(rel, "appId")), &app,
		                   &err);
	if (rc == 0 && strcmp(action, "execute") == 0) {
		if (strcmp(status, "created") == 0 &&
		    json_is_true(json_object_get(app, "requireApproval")))
			rc = pg_err_set(&err, PG_EPRECOND, "status",
			                "this application requires approval before execute");
		if (rc == 0)
			rc = app_release_active(
			        c, json_integer_value(json_object_get(rel, "appId")), &other, &err);
		if (rc == 0 && other && other != id) {
			json_t *o = NULL;
			app_release_get(c, other, false, &o, &err);
			const char *ost = json_string_value(json_object_get(o, "status"));
			if (ost && (strcmp(ost, "running") == 0 || strcmp(ost, "paused") == 0))
				rc = pg_err_set(&err, PG_ECONFLICT, "status",
				                "release %lld of this application is %s",
				                (long long)other, ost);
			json_decref(o);
		}
	}
	if (rc == 0 && strcmp(action, "approve") == 0) {
		/* four eyes: whoever created a release does not approve it */
		if (strcmp(json_string_value(json_object_get(rel, "createdBy")), call.actor) == 0)
			rc = pg_err_set(&err, PG_EFORBIDDEN, "",
			                "the creator of a release cannot approve it");
		if (rc == 0)
			rc = app_release_set_approved(c, id, call.actor, &err);
	} else if (rc == 0) {
		rc = app_release_set_status(
		        c, id, to, strcmp(action, "cancel") == 0 ? "cancelled by request" : NULL,
		        &err);
	}
	if (rc == 0 && strcmp(action, "cancel") == 0) {
		/* unfinished tasks of the release go too */
		rc = app_node_list(c, id, nodes, &err);
		size_t i, j;
		json_t *n, *t;
		json_array_foreach (nodes, i, n) {
			if (strcmp(json_string_value(json_object_get(n, "status")), "running") != 0)
				continue;
			json_array_foreach (json_object_get(n, "tasks"), j, t)
				if (rc == 0)
					rc = cluster_task_cancel_in(c, &call, json_integer_value(t),
					                            &err);
		}
	}
	if (rc == 0) {
		char act[48];
		snprintf(act, sizeof(act), "release.%s", action);
		rc = audit_record_new(c, &call, act, "release", id,
		                      json_pack("{s:s, s:s}", "from", status, "to", to), &err);
	}
	rc = store_end(c, rc, &err);
	json_t *out = NULL;
	if (rc == 0)
		rc = app_release_get(c, id, false, &out, &err);
	if (rc == 0)
		app_kick(a);
	json_decref(rel);
	json_decref(app);
	json_decref(nodes);
	http_answer(req, rc, 200, out, &err);
}

static void release_approve(struct http_req *req)
{
	static const char *const from[] = {"created", NULL};
	transition(req, from, "approved", "approve");
}

static void release_execute(struct http_req *req)
{
	static const char *const from[] = {"created", "approved", NULL};
	transition(req, from, "running", "execute");
}

static void release_pause(struct http_req *req)
{
	static const char *const from[] = {"running", NULL};
	transition(req, from, "paused", "pause");
}

static void release_resume(struct http_req *req)
{
	static const char *const from[] = {"paused", NULL};
	transition(req, from, "running", "resume");
}

static void release_cancel(struct http_req *req)
{
	static const char *const from[] = {"created", "approved", "running", "paused", NULL};
	transition(req, from, "cancelled", "cancel");
}

/* POST /admin/releases/:id/rollback {targetReleaseId?}: runs the target's
 * artifacts (default: the release that was current before this one) on the
 * nodes this release touched. */
static void release_rollback(struct http_req *req)
{
	static const char *const fields[] = {"targetReleaseId", NULL};
	struct app *a = app_of(req);
	struct pg_err err = {0};
	struct pg_call call = http_call(req);
	int64_t id, target = 0;
	if (!http_param_id(req, "id", &id))
		return;
	struct store_conn *c = store_conn_get(a->store, &err);
	json_t *rel = NULL, *nodes = json_array(), *touched = json_array(), *out = NULL, *t = NULL;
	int rc = pg_json_only(req->body, fields, &err);
	if (rc == 0)
		rc = pg_json_int(req->body, "targetReleaseId", false, 1, INT64_MAX, &target, &err);
	if (rc == 0)
		rc = c ? app_release_get(c, id, false, &rel, &err) : err.code;
	const char *status = json_string_value(json_object_get(rel, "status"));
	if (rc == 0 && strcmp(status, "succeeded") && strcmp(status, "failed") &&
	    strcmp(status, "paused"))
		rc = pg_err_set(&err, PG_ECONFLICT, "status",
		                "release %lld is %s; only succeeded, failed or paused "
		                "releases are rolled back",
		                (long long)id, status);
	if (rc == 0 && !target)
		target = json_integer_value(json_object_get(rel, "previousReleaseId"));
	if (rc == 0 && !target)
		rc = pg_err_set(&err, PG_EPRECOND, "targetReleaseId",
		                "there is no earlier release to go back to");
	if (rc == 0)
		rc = app_release_get(c, target, false, &t, &err);
	if (rc == 0 && strcmp(json_string_value(json_object_get(t, "status")), "succeeded") &&
	    strcmp(json_string_value(json_object_get(t, "status")), "rolled_back"))
		rc = pg_err_set(&err, PG_EPRECOND, "targetReleaseId",
		                "release %lld never succeeded", (long long)target);
	if (rc == 0)
		rc = app_node_list(c, id, nodes, &err);
	if (rc == 0) {
		json_decref(touched);
		touched = app_nodes_touched(nodes);
	}
	if (rc == 0 && strcmp(status, "paused") == 0 && store_begin(c, STORE_TX_WRITE, &err) == 0) {
		rc = app_release_set_status(c, id, "failed", "stopped for a rollback", &err);
		rc = store_end(c, rc, &err);
	}
	if (rc == 0)
		rc = app_release_create(a, &call, json_integer_value(json_object_get(rel, "appId")),
		                        "rollback", id, target, touched, "rollback by request",
		                        &out, &err);
	if (rc == 0 && store_begin(c, STORE_TX_WRITE, &err) == 0) {
		int64_t rid = json_integer_value(json_object_get(out, "id"));
		rc = app_release_set_status(c, rid, "running", NULL, &err);
		if (rc == 0)
			rc = audit_record_new(c, &call, "release.rollback", "release", id,
			                      json_pack("{s:I, s:I}", "targetReleaseId",
			                                (json_int_t)target, "rollbackRelease",
			                                (json_int_t)rid),
			                      &err);
		rc = store_end(c, rc, &err);
		json_object_set_new(out, "status", json_string("running"));
		app_kick(a);
	}
	json_decref(rel);
	json_decref(t);
	json_decref(nodes);
	json_decref(touched);
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
