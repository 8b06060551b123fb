/* Scheduled jobs (a SystemdService whose spec has a schedule): run now, and
 * the units the job_failed alert watches. Their runs come from InspectUnit
 * (app_view.c) and the timer from the release (app_rollout.c). */
#include "application/app_int.h"
#include "audit/audit.h"
#include "cluster/cluster.h"
#include "store/store.h"

#include <stdio.h>
#include <string.h>

bool app_is_job(json_t *app)
{
	return strcmp(json_string_value(json_object_get(app, "type")), "SystemdService") == 0 &&
	       json_object_get(json_object_get(app, "spec"), "schedule");
}

/* The nodes of the current release the job reached. */
static int job_nodes(struct store_conn *c, json_t *app, json_t *ids, struct pg_err *err)
{
	json_t *nodes = json_array(), *n;
	int rc = app_node_list(c, json_integer_value(json_object_get(app, "currentReleaseId")),
	                       nodes, err);
	size_t i;
	json_array_foreach (nodes, i, n)
		if (app_node_status_of(json_string_value(json_object_get(n, "status"))) ==
		    APP_NODE_SUCCEEDED)
			json_array_append(ids, json_object_get(n, "nodeId"));
	json_decref(nodes);
	return rc;
}

int app_job_run(struct app *a, const struct pg_call *call, int64_t app_id, json_t **out,
                struct pg_err *err)
{
	struct store_conn *c = store_conn_get(a->store, err);
	if (!c)
		return err->code;
	json_t *app = NULL, *ids = json_array(), *tasks = json_array(), *n;
	int rc = app_store_get(c, app_id, &app, err);
	if (rc == 0 && !app_is_job(app))
		rc = pg_err_set(err, PG_EPRECOND, "spec.schedule",
		                "only a scheduled job (spec.schedule) runs now; restart a service "
		                "with POST /admin/apps/%lld/restart",
		                (long long)app_id);
	if (rc == 0 && !json_integer_value(json_object_get(app, "currentReleaseId")))
		rc = pg_err_set(err, PG_EPRECOND, "currentReleaseId",
		                "the job has no release yet: release it first");
	if (rc == 0)
		rc = job_nodes(c, app, ids, err);
	if (rc == 0 && json_array_size(ids) == 0)
		rc = pg_err_set(err, PG_EPRECOND, "currentReleaseId",
		                "no node of the current release runs the job");
	char unit[96], owner[32];
	snprintf(unit, sizeof(unit), "%s.service", json_string_value(json_object_get(app, "name")));
	app_owner(app_id, owner);
	size_t i;
	json_array_foreach (ids, i, n) {
		if (rc != 0)
			break;
		json_t *p = json_pack("{s:s, s:s}", "unitName", unit, "action", "run");
		struct cluster_task_spec spec = {.node_id = json_integer_value(n),
		                                 .type = "SystemdControl",
		                                 .payload = p,
		                                 .owner = owner,
		                                 .timeout_sec = 120};
		int64_t id = 0;
		bool existed;
		rc = cluster_task_queue(a->cluster, call, &spec, &id, &existed, err);
		json_decref(p);
		if (rc == 0)
			json_array_append_new(tasks, json_pack("{s:O, s:I}", "nodeId", n, "taskId",
			                                       (json_int_t)id));
	}
	if (rc == 0 && store_begin(c, STORE_TX_WRITE, err) == 0)
		rc = store_end(c,
		               audit_record_new(c, call, "app.run", "app", app_id,
		                                json_pack("{s:O}", "tasks", tasks), err),
		               err);
	else if (rc == 0)
		rc = err->code;
	json_decref(app);
	json_decref(ids);
	if (rc == 0)
		*out = json_pack("{s:s, s:o}", "unit", unit, "tasks", tasks);
	else
		json_decref(tasks);
	return rc;
}

int app_jobs(struct app *a, json_t **out, struct pg_err *err)
{
	struct store_conn *c = store_conn_get(a->store, err);
	if (!c)
		return err->code;
	json_t *apps = json_array(), *app;
	*out = json_array();
	int rc = app_store_list_jobs(c, apps, err);
	size_t i;
	json_array_foreach (apps, i, app) {
		if (rc != 0)
			break;
		json_t *ids = json_array();
		char unit[96];
		snprintf(unit, sizeof(unit), "%s.service",
		         json_string_value(json_object_get(app, "name")));
		rc = job_nodes(c, app, ids, err);
		json_array_append_new(*out, json_pack("{s:O, s:O, s:s, s:o}", "appId",
		                                      json_object_get(app, "id"), "appName",
		                                      json_object_get(app, "name"), "unit", unit,
		                                      "nodes", ids));
	}
	json_decref(apps);
	if (rc != 0) {
		json_decref(*out);
		*out = NULL;
	}
	return rc;
}
