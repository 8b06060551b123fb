/* What other components see of applications: the drift view of one
 * application and the release summary the alerts and metrics read. */
#include "application/app_int.h"
#include "cluster/cluster.h"
#include "common/pg_json.h"
#include "store/store.h"

#include <stdio.h>
#include <string.h>

void app_owner(int64_t app_id, char owner[32])
{
	snprintf(owner, 32, "app:%lld", (long long)app_id);
}

static bool node_in_flight(const char *status)
{
	return strcmp(status, "pending") == 0 || strcmp(status, "running") == 0;
}

int app_drift_view(struct app *a, int64_t app_id, json_t **out, struct pg_err *err)
{
	struct store_conn *c = store_conn_get(a->store, err);
	if (!c)
		return err->code;
	json_t *app = NULL, *targets = NULL, *nodes = json_array(), *flight = json_array(),
	       *ids = json_array();
	int64_t active = 0;
	int rc = app_store_get(c, app_id, &app, err);
	if (rc == 0)
		rc = app_release_active(c, app_id, &active, err);
	if (rc == 0 && active)
		rc = app_node_list(c, active, nodes, err);
	if (rc == 0)
		rc = app_targets(a, app, &targets, err);
	size_t i;
	json_t *n;
	json_array_foreach (nodes, i, n)
		if (node_in_flight(json_string_value(json_object_get(n, "status"))))
			json_array_append(flight, json_object_get(n, "nodeId"));
	json_array_foreach (targets, i, n)
		json_array_append(ids, json_object_get(n, "id"));
	if (rc == 0) {
		*out = json_pack("{s:{s:O, s:O, s:O, s:O, s:O}, s:O, s:O, s:o}", "app", "id",
		                 json_object_get(app, "id"), "name", json_object_get(app, "name"),
		                 "type", json_object_get(app, "type"), "strategy",
		                 json_object_get(app, "strategy"), "currentReleaseId",
		                 json_object_get(app, "currentReleaseId"), "targets", ids,
		                 "inFlight", flight, "activeReleaseId",
		                 active ? json_integer(active) : json_null());
	}
	json_decref(app);
	json_decref(targets);
	json_decref(nodes);
	json_decref(flight);
	json_decref(ids);
	return rc;
}

int app_release_summary(struct app *a, json_t **out, struct pg_err *err)
{
	struct store_conn *c = store_conn_get(a->store, err);
	if (!c)
		return err->code;
	json_t *counts = json_object(), *last = json_array();
	int rc = app_release_counts(c, counts, err);
	if (rc == 0)
		rc = app_release_last_finished(c, last, err);
	if (rc != 0) {
		json_decref(counts);
		json_decref(last);
		return rc;
	}
	*out = json_pack("{s:o, s:o}", "byStatus", counts, "lastFinished", last);
	return 0;
}

int app_inspect(struct app *a, const struct pg_call *call, int64_t app_id, json_t *body,
                json_t **out, struct pg_err *err)
{
	static const char *const fields[] = {"lines", "afterCursor", "runs", NULL};
	int64_t lines = 100, runs = 0;
	json_t *after = NULL, *app = NULL, *targets = NULL;
	int rc = pg_json_only(body, fields, err);
	if (rc == 0)
		rc = pg_json_int(body, "lines", false, 1, 1000, &lines, err);
	if (rc == 0)
		rc = pg_json_obj(body, "afterCursor", false, &after, err);
	if (rc == 0) /* a scheduled job's last runs */
		rc = pg_json_int(body, "runs", false, 0, 100, &runs, err);
	struct store_conn *c = rc == 0 ? store_conn_get(a->store, err) : NULL;
	if (rc == 0 && !c)
		rc = err->code;
	if (rc == 0)
		rc = app_store_get(c, app_id, &app, err);
	/* a service's unit, or each site of a reverse proxy (its nginx logs) */
	json_t *sites = json_array(), *ings = json_array(), *ing;
	bool proxy = rc == 0 &&
	             strcmp(json_string_value(json_object_get(app, "type")), "ReverseProxy") == 0;
	if (proxy)
		rc = app_ingress_list(c, app_id, ings, err);
	size_t i;
	json_array_foreach (ings, i, ing)
		json_array_append(sites, json_object_get(ing, "nginxSiteName"));
	json_decref(ings);
	if (rc == 0 && proxy && runs)
		rc = pg_err_set(err, PG_EINVAL, "runs", "only a scheduled job has runs");
	if (rc == 0)
		rc = app_targets(a, app, &targets, err);
	char unit[64];
	snprintf(unit, sizeof(unit), "%s.service", json_string_value(json_object_get(app, "name")));
	json_t *tasks = json_array(), *n;
	json_array_foreach (targets, i, n) {
		size_t k, count = proxy ? json_array_size(sites) : 1;
		for (k = 0; rc == 0 && k < count; k++) {
			const char *site =
			        proxy ? json_string_value(json_array_get(sites, k)) : NULL;
			json_int_t node = json_integer_value(json_object_get(n, "id"));
			/* the cursor of this node's unit, or of this node's site */
			char key[200];
			snprintf(key, sizeof(key), "%lld%s%s", (long long)node, site ? ":" : "",
			         site ? site : "");
			json_t *cur = json_object_get(after, key);
			json_t *p = json_pack("{s:s, s:I}", site ? "siteName" : "unitName",
			                      site ? site : unit, "lines", (json_int_t)lines);
			if (runs)
				json_object_set_new(p, "runs", json_integer(runs));
			if (json_is_string(cur))
				json_object_set(p, "afterCursor", cur);
			struct cluster_task_spec spec = {.node_id = node,
			                                 .type = "InspectUnit",
			                                 .payload = p,
			                                 .timeout_sec = 30};
			int64_t id = 0;
			bool existed;
			rc = cluster_task_queue(a->cluster, call, &spec, &id, &existed, err);
			json_decref(p);
			if (rc == 0)
				json_array_append_new(tasks, json_pack("{s:I, s:O, s:I, s:s, s:s*}",
				                                       "nodeId", node, "nodeName",
				                                       json_object_get(n, "name"),
				                                       "taskId", (json_int_t)id,
				                                       "key", key, "site", site));
		}
	}
	json_decref(app);
	json_decref(targets);
	if (rc == 0 && proxy)
		*out = json_pack("{s:o, s:o}", "sites", sites, "tasks", tasks);
	else if (rc == 0)
		*out = json_pack("{s:s, s:o}", "unit", unit, "tasks", tasks);
	else
		json_decref(tasks);
	if (rc != 0 || !proxy)
		json_decref(sites);
	return rc;
}
