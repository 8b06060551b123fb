/* app_upstream: keeps each ingress's nginx upstreams following the healthy
 * endpoints of its services, debounced, through policies/upstream.lua. */
#include "application/app_int.h"
#include "audit/audit.h"
#include "cluster/cluster.h"
#include "common/pg_json.h"
#include "common/pg_log.h"
#include "common/pg_metrics.h"
#include "common/pg_map.h"
#include "common/pg_time.h"
#include "config/config.h"
#include "lua/plua_policy.h"
#include "registry/registry.h"
#include "store/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct pending_site {
	char sha[65];
	int64_t since;
};

static void sync_app(struct app *a, json_t *app)
{
	struct pg_err err = {0};
	struct store_conn *c = store_conn_get(a->store, &err);
	int64_t app_id = json_integer_value(json_object_get(app, "id"));
	int64_t cur = json_integer_value(json_object_get(app, "currentReleaseId")), active = 0;
	if (!c || !cur ||
	    strcmp(json_string_value(json_object_get(app, "desiredState")), "Running") != 0 ||
	    app_release_active(c, app_id, &active, &err) != 0 || active)
		return;
	json_t *ingresses = json_array(), *sites = NULL, *rel = NULL, *nodes = json_array();
	char sha[65], last[65] = "";
	if (app_ingress_list(c, app_id, ingresses, &err) != 0 ||
	    app_render_sites(a, json_string_value(json_object_get(app, "name")), ingresses, &sites,
	                     sha, &err) != 0 ||
	    app_site_get(c, app_id, last, &err) != 0)
		goto out;
	struct pending_site *p = pg_map_get(a->pending, app_id);
	if (strcmp(sha, last) == 0) {
		free(pg_map_del(a->pending, app_id));
		goto out; /* same bytes: no task, no reload */
	}
	int64_t now = pg_time_mono_ms();
	if (!p || strcmp(p->sha, sha) != 0) {
		/* a new rendering starts its debounce: a flapping endpoint settles first */
		if (!p && !(p = calloc(1, sizeof(*p))))
			goto out;
		snprintf(p->sha, sizeof(p->sha), "%s", sha);
		p->since = now;
		pg_map_put(a->pending, app_id, p);
		goto out;
	}
	if (now - p->since < a->debounce_ms)
		goto out;
	if (app_release_get(c, cur, false, &rel, &err) != 0 ||
	    app_node_list(c, cur, nodes, &err) != 0 || store_begin(c, STORE_TX_WRITE, &err) != 0)
		goto out;
	struct pg_call call = {"system:upstream-sync", NULL, NULL};
	char owner[32];
	app_owner(app_id, owner);
	int rc = 0;
	/* The key names this sync (registry state + content), not the content
	 * alone: going back to an earlier rendering must deploy again. */
	int64_t index = registry_index(a->registry);
	size_t i, j;
	json_t *n, *s, *ids = json_array();
	json_array_foreach (nodes, i, n) {
		if (app_node_status_of(json_string_value(json_object_get(n, "status"))) !=
		    APP_NODE_SUCCEEDED)
			continue;
		int64_t node = json_integer_value(json_object_get(n, "nodeId"));
		json_array_foreach (sites, j, s) {
			char key[200];
			snprintf(key, sizeof(key), "sync-a%lld-i%lld-%.16s-n%lld-%s",
			         (long long)app_id, (long long)index, sha, (long long)node,
			         json_string_value(json_object_get(s, "siteName")));
			if (rc == 0)
				rc = app_task_queue(
				        a, c, &call, owner, node, "RenderAndDeployNginx",
				        json_pack("{s:O, s:O}", "siteName",
				                  json_object_get(s, "siteName"), "content",
				                  json_object_get(s, "content")),
				        NULL, 0, key, 120, ids, &err);
		}
	}
	if (rc == 0)
		rc = app_site_put(c, app_id, sha, index, &err);
	if (rc == 0) {
		json_t *d = json_pack("{s:s, s:s, s:I}", "from", last, "to", sha, "tasks",
		                      (json_int_t)json_array_size(ids));
		rc = audit_record(c, &call, "app.upstream_sync", "app", app_id, d, &err);
		json_decref(d);
	}
	rc = store_end(c, rc, &err);
	if (rc != 0) {
		pg_error("app", "upstream sync of application %lld failed: %s", (long long)app_id,
		         err.message);
	} else {
		pg_info("app", "application %lld: upstreams changed, %zu nginx task(s) queued",
		        (long long)app_id, json_array_size(ids));
		json_array_foreach (nodes, i, n)
			cluster_wake(a->cluster, json_integer_value(json_object_get(n, "nodeId")));
		free(pg_map_del(a->pending, app_id));
	}
	json_decref(ids);
out:
	json_decref(ingresses);
	json_decref(sites);
	json_decref(rel);
	json_decref(nodes);
}

void app_upstream_sync(struct app *a)
{
	struct pg_err err = {0};
	struct store_conn *c = store_conn_get(a->store, &err);
	json_t *apps = json_array();
	if (c && app_store_list(c, 0, 100000, apps, &err) == 0) {
		size_t i;
		json_t *app;
		json_array_foreach (apps, i, app)
			if (strcmp(json_string_value(json_object_get(app, "type")),
			           "ReverseProxy") == 0)
				sync_app(a, app);
	}
	json_decref(apps);
}

static void free_pending(int64_t key, void *v, void *arg)
{
	free(v);
}

void app_upstream_free(struct app *a)
{
	pg_map_each(a->pending, free_pending, NULL);
}
