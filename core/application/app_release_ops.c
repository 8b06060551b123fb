/* The release use cases of the API: list and view (with batches, nodes and
 * each node's tasks in brief), the status transitions (approve, execute,
 * pause, resume, cancel) and rollback to an earlier release. */
#include "application/app_int.h"
#include "application/app_state.h"
#include "audit/audit.h"
#include "cluster/cluster.h"
#include "common/pg_json.h"
#include "store/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int app_list(struct app *a, int64_t cursor, int64_t limit, json_t **items, int64_t *next,
             struct pg_err *err)
{
	struct store_conn *c = store_conn_get(a->store, err);
	*items = json_array();
	*next = 0;
	int rc = c ? app_store_list(c, cursor, limit + 1, *items, err) : err->code;
	if (rc == 0 && (int64_t)json_array_size(*items) > limit) {
		json_array_remove(*items, json_array_size(*items) - 1);
		*next = json_integer_value(
		        json_object_get(json_array_get(*items, json_array_size(*items) - 1), "id"));
	}
	return rc;
}

int app_releases_of(struct app *a, int64_t app_id, json_t **items, struct pg_err *err)
{
	struct store_conn *c = store_conn_get(a->store, err);
	json_t *app = NULL;
	*items = json_array();
	int rc = c ? app_store_get(c, app_id, &app, err) : err->code;
	if (rc == 0)
		rc = app_release_list(c, app_id, *items, err);
	json_decref(app);
	return rc;
}

/* A release with its batches and nodes, and each node's tasks in brief. */
int app_release_view(struct app *a, int64_t id, json_t **out, struct pg_err *err)
{
	struct store_conn *c = store_conn_get(a->store, err);
	json_t *rel = NULL, *batches = json_array(), *nodes = json_array();
	int rc = c ? app_release_get(c, id, true, &rel, err) : err->code;
	if (rc == 0)
		rc = app_batch_list(c, id, batches, err);
	if (rc == 0)
		rc = app_node_list(c, id, nodes, err);
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
	if (rc == 0)
		*out = rel;
	else
		json_decref(rel);
	return rc;
}

/* The moves an operator makes, from which statuses to which. */
static const struct transition {
	const char *action;
	enum app_release_status to;
	enum app_release_status from[5]; /* ends at APP_REL_UNKNOWN */
} transitions[] = {
        {"approve", APP_REL_APPROVED, {APP_REL_CREATED, APP_REL_UNKNOWN}},
        {"execute", APP_REL_RUNNING, {APP_REL_CREATED, APP_REL_APPROVED, APP_REL_UNKNOWN}},
        {"pause", APP_REL_PAUSED, {APP_REL_RUNNING, APP_REL_UNKNOWN}},
        {"resume", APP_REL_RUNNING, {APP_REL_PAUSED, APP_REL_UNKNOWN}},
        {"cancel",
         APP_REL_CANCELLED,
         {APP_REL_CREATED, APP_REL_APPROVED, APP_REL_RUNNING, APP_REL_PAUSED, APP_REL_UNKNOWN}},
};

static const struct transition *transition_of(const char *action)
{
	for (size_t i = 0; i < sizeof(transitions) / sizeof(transitions[0]); i++)
		if (strcmp(transitions[i].action, action) == 0)
			return &transitions[i];
	return NULL;
}

int app_release_act(struct app *a, const struct pg_call *call, int64_t id, const char *action,
                    json_t **out, struct pg_err *err)
{
	const struct transition *tr = transition_of(action);
	if (!tr)
		return pg_err_set(err, PG_EINVAL, "action", "no release action %s", action);
	const char *to = app_release_status_name(tr->to);
	int64_t other = 0;
	struct store_conn *c = store_conn_get(a->store, err);
	json_t *row = NULL, *app = NULL, *nodes = json_array();
	struct app_release_view rel = {0};
	int rc = c ? store_begin(c, STORE_TX_WRITE, err) : err->code;
	if (rc != 0) {
		json_decref(nodes);
		return rc;
	}
	rc = app_release_get(c, id, false, &row, err);
	if (rc == 0)
		app_release_view_of(row, &rel);
	const char *status = app_release_status_name(rel.status);
	bool ok = false;
	for (int i = 0; rc == 0 && tr->from[i] != APP_REL_UNKNOWN; i++)
		ok = ok || rel.status == tr->from[i];
	if (rc == 0 && !ok)
		rc = pg_err_set(err, PG_ECONFLICT, "status", "release %lld is %s; cannot %s it",
		                (long long)id, status, action);
	if (rc == 0)
		rc = app_store_get(c, rel.app_id, &app, err);
	if (rc == 0 && tr->to == APP_REL_RUNNING && rel.status != APP_REL_PAUSED) { /* execute */
		if (rel.status == APP_REL_CREATED &&
		    json_is_true(json_object_get(app, "requireApproval")))
			rc = pg_err_set(err, PG_EPRECOND, "status",
			                "this application requires approval before execute");
		if (rc == 0)
			rc = app_release_active(c, rel.app_id, &other, err);
		if (rc == 0 && other && other != id) {
			json_t *o = NULL;
			app_release_get(c, other, false, &o, err);
			struct app_release_view ov = {.status = APP_REL_UNKNOWN};
			if (o)
				app_release_view_of(o, &ov);
			if (ov.status == APP_REL_RUNNING || ov.status == APP_REL_PAUSED)
				rc = pg_err_set(err, PG_ECONFLICT, "status",
				                "release %lld of this application is %s",
				                (long long)other,
				                app_release_status_name(ov.status));
			json_decref(o);
		}
	}
	if (rc == 0 && tr->to == APP_REL_APPROVED) {
		/* four eyes: whoever created a release does not approve it */
		if (strcmp(json_string_value(json_object_get(row, "createdBy")), call->actor) == 0)
			rc = pg_err_set(err, PG_EFORBIDDEN, "",
			                "the creator of a release cannot approve it");
		if (rc == 0)
			rc = app_release_set_approved(c, id, call->actor, err);
	} else if (rc == 0) {
		rc = app_release_set_status(
		        c, id, tr->to, tr->to == APP_REL_CANCELLED ? "cancelled by request" : NULL,
		        err);
	}
	if (rc == 0 && tr->to == APP_REL_CANCELLED) {
		/* unfinished tasks of the release go too */
		rc = app_node_list(c, id, nodes, err);
		size_t i, j;
		json_t *n, *t;
		json_array_foreach (nodes, i, n) {
			struct app_node_view nv;
			app_node_view_of(n, &nv);
			if (nv.status != APP_NODE_RUNNING)
				continue;
			json_array_foreach (nv.tasks, j, t)
				if (rc == 0)
					rc = cluster_task_cancel_in(c, call, json_integer_value(t),
					                            err);
		}
	}
	if (rc == 0) {
		char act[48];
		snprintf(act, sizeof(act), "release.%s", action);
		rc = audit_record_new(c, call, act, "release", id,
		                      json_pack("{s:s, s:s}", "from", status, "to", to), err);
	}
	rc = store_end(c, rc, err);
	if (rc == 0)
		rc = app_release_get(c, id, false, out, err);
	if (rc == 0)
		app_kick(a);
	json_decref(row);
	json_decref(app);
	json_decref(nodes);
	return rc;
}

/* POST /admin/releases/:id/rollback {targetReleaseId?}: runs the target's
 * artifacts (default: the release that was current before this one) on the
 * nodes this release touched. */
int app_release_rollback(struct app *a, const struct pg_call *call, int64_t id, json_t *body,
                         json_t **out, struct pg_err *err)
{
	static const char *const fields[] = {"targetReleaseId", NULL};
	int64_t target = 0;
	struct store_conn *c = store_conn_get(a->store, err);
	json_t *rel = NULL, *nodes = json_array(), *touched = json_array(), *t = NULL;
	int rc = pg_json_only(body, fields, err);
	if (rc == 0)
		rc = pg_json_int(body, "targetReleaseId", false, 1, INT64_MAX, &target, err);
	if (rc == 0)
		rc = c ? app_release_get(c, id, false, &rel, err) : err->code;
	enum app_release_status st =
	        app_release_status_of(json_string_value(json_object_get(rel, "status")));
	const char *status = app_release_status_name(st);
	if (rc == 0 && st != APP_REL_SUCCEEDED && st != APP_REL_FAILED && st != APP_REL_PAUSED)
		rc = pg_err_set(err, PG_ECONFLICT, "status",
		                "release %lld is %s; only succeeded, failed or paused "
		                "releases are rolled back",
		                (long long)id, status);
	if (rc == 0 && !target)
		target = json_integer_value(json_object_get(rel, "previousReleaseId"));
	if (rc == 0 && !target)
		rc = pg_err_set(err, PG_EPRECOND, "targetReleaseId",
		                "there is no earlier release to go back to");
	if (rc == 0)
		rc = app_release_get(c, target, false, &t, err);
	enum app_release_status tst =
	        app_release_status_of(json_string_value(json_object_get(t, "status")));
	if (rc == 0 && tst != APP_REL_SUCCEEDED && tst != APP_REL_ROLLED_BACK)
		rc = pg_err_set(err, PG_EPRECOND, "targetReleaseId", "release %lld never succeeded",
		                (long long)target);
	if (rc == 0)
		rc = app_node_list(c, id, nodes, err);
	if (rc == 0) {
		json_decref(touched);
		touched = app_nodes_touched(nodes);
	}
	if (rc == 0 && st == APP_REL_PAUSED && store_begin(c, STORE_TX_WRITE, err) == 0) {
		rc = app_release_set_status(c, id, APP_REL_FAILED, "stopped for a rollback", err);
		rc = store_end(c, rc, err);
	}
	if (rc == 0)
		rc = app_release_create(a, call, json_integer_value(json_object_get(rel, "appId")),
		                        "rollback", id, target, touched, "rollback by request", out,
		                        err);
	if (rc == 0 && store_begin(c, STORE_TX_WRITE, err) == 0) {
		int64_t rid = json_integer_value(json_object_get(*out, "id"));
		rc = app_release_set_status(c, rid, APP_REL_RUNNING, NULL, err);
		if (rc == 0)
			rc = audit_record_new(c, call, "release.rollback", "release", id,
			                      json_pack("{s:I, s:I}", "targetReleaseId",
			                                (json_int_t)target, "rollbackRelease",
			                                (json_int_t)rid),
			                      err);
		rc = store_end(c, rc, err);
		json_object_set_new(*out, "status", json_string("running"));
		app_kick(a);
	}
	json_decref(rel);
	json_decref(t);
	json_decref(nodes);
	json_decref(touched);
	return rc;
}
