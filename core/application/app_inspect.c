/* InspectUnit on an application's nodes: its unit's state and journal on
 * each node, or the nginx logs of each of its sites. app_inspect queues one
 * round (POST /admin/apps/:id/inspect); the log follower (app_logs.c)
 * queues per target as each answers. */
#include "application/app_int.h"
#include "cluster/cluster.h"
#include "common/pg_json.h"
#include "store/store.h"

#include <stdio.h>
#include <string.h>

int app_inspect_parse(json_t *body, struct app_inspect_opts *o, struct pg_err *err)
{
	static const char *const fields[] = {"lines", "afterCursor", "runs",
	                                     "since", "nodeId",      NULL};
	*o = (struct app_inspect_opts){.lines = 100};
	int rc = pg_json_only(body, fields, err);
	if (rc == 0)
		rc = pg_json_int(body, "lines", false, 1, 1000, &o->lines, err);
	if (rc == 0)
		rc = pg_json_obj(body, "afterCursor", false, &o->after, err);
	if (rc == 0) /* a scheduled job's last runs */
		rc = pg_json_int(body, "runs", false, 0, 100, &o->runs, err);
	if (rc == 0) /* Unix seconds */
		rc = pg_json_int(body, "since", false, 0, INT64_C(1) << 40, &o->since, err);
	if (rc == 0) /* one node instead of all */
		rc = pg_json_int(body, "nodeId", false, 1, INT64_MAX, &o->node_id, err);
	return rc;
}

void app_inspect_set_clear(struct app_inspect_set *set)
{
	json_decref(set->targets);
	json_decref(set->sites);
	set->targets = set->sites = NULL;
}

int app_inspect_set(struct app *a, int64_t app_id, const struct app_inspect_opts *o,
                    struct app_inspect_set *set, struct pg_err *err)
{
	json_t *app = NULL, *nodes = NULL, *ings = json_array(), *x;
	*set = (struct app_inspect_set){0};
	struct store_conn *c = store_conn_get(a->store, err);
	int rc = c ? app_store_get(c, app_id, &app, err) : err->code;
	/* a service's unit, or each site of a reverse proxy (its nginx logs) */
	bool proxy = rc == 0 &&
	             strcmp(json_string_value(json_object_get(app, "type")), "ReverseProxy") == 0;
	if (proxy) {
		set->sites = json_array();
		rc = app_ingress_list(c, app_id, ings, err);
	}
	size_t i, k;
	json_array_foreach (ings, i, x)
		json_array_append(set->sites, json_object_get(x, "nginxSiteName"));
	json_decref(ings);
	if (rc == 0 && proxy && o->runs)
		rc = pg_err_set(err, PG_EINVAL, "runs", "only a scheduled job has runs");
	if (rc == 0)
		rc = app_targets(a, app, &nodes, err);
	if (rc == 0)
		snprintf(set->unit, sizeof(set->unit), "%s.service",
		         json_string_value(json_object_get(app, "name")));
	set->targets = json_array();
	json_array_foreach (rc == 0 ? nodes : NULL, i, x) {
		json_int_t node = json_integer_value(json_object_get(x, "id"));
		if (o->node_id && node != o->node_id)
			continue;
		size_t count = proxy ? json_array_size(set->sites) : 1;
		for (k = 0; k < count; k++) {
			const char *site =
			        proxy ? json_string_value(json_array_get(set->sites, k)) : NULL;
			char key[200];
			snprintf(key, sizeof(key), "%lld%s%s", (long long)node, site ? ":" : "",
			         site ? site : "");
			json_array_append_new(set->targets,
			                      json_pack("{s:I, s:O, s:s, s:s*}", "nodeId", node,
			                                "nodeName", json_object_get(x, "name"),
			                                "key", key, "site", site));
		}
	}
	if (rc == 0 && o->node_id && !json_array_size(set->targets))
		rc = pg_err_set(err, PG_EINVAL, "nodeId",
		                "node %lld is not one of the application's nodes",
		                (long long)o->node_id);
	json_decref(app);
	json_decref(nodes);
	if (rc != 0)
		app_inspect_set_clear(set);
	return rc;
}

int app_inspect_queue(struct app *a, const struct pg_call *call, const struct app_inspect_set *set,
                      json_t *target, const struct app_inspect_opts *o, int64_t *task_id,
                      struct pg_err *err)
{
	const char *site = json_string_value(json_object_get(target, "site"));
	json_t *cur = json_object_get(o->after, json_string_value(json_object_get(target, "key")));
	json_t *p = json_pack("{s:s, s:I}", site ? "siteName" : "unitName", site ? site : set->unit,
	                      "lines", (json_int_t)o->lines);
	if (o->runs)
		json_object_set_new(p, "runs", json_integer(o->runs));
	if (o->since)
		json_object_set_new(p, "since", json_integer(o->since));
	if (json_is_string(cur))
		json_object_set(p, "afterCursor", cur);
	struct cluster_task_spec spec = {
	        .node_id = json_integer_value(json_object_get(target, "nodeId")),
	        .type = "InspectUnit",
	        .payload = p,
	        .timeout_sec = 30};
	bool existed;
	int rc = cluster_task_queue(a->cluster, call, &spec, task_id, &existed, err);
	json_decref(p);
	return rc;
}

int app_inspect(struct app *a, const struct pg_call *call, int64_t app_id, json_t *body,
                json_t **out, struct pg_err *err)
{
	struct app_inspect_opts o;
	struct app_inspect_set set = {0};
	int rc = app_inspect_parse(body, &o, err);
	if (rc == 0)
		rc = app_inspect_set(a, app_id, &o, &set, err);
	json_t *tasks = json_array(), *t;
	size_t i;
	json_array_foreach (rc == 0 ? set.targets : NULL, i, t) {
		int64_t id = 0;
		rc = app_inspect_queue(a, call, &set, t, &o, &id, err);
		if (rc != 0)
			break;
		json_t *row = json_copy(t);
		json_object_set_new(row, "taskId", json_integer(id));
		json_array_append_new(tasks, row);
	}
	if (rc == 0 && set.sites)
		*out = json_pack("{s:O, s:o}", "sites", set.sites, "tasks", tasks);
	else if (rc == 0)
		*out = json_pack("{s:s, s:o}", "unit", set.unit, "tasks", tasks);
	else
		json_decref(tasks);
	app_inspect_set_clear(&set);
	return rc;
}
