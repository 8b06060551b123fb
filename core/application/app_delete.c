/* Deleting an application: refused while a release is in flight or the
 * application still runs on nodes, unless forced, which stops its units
 * and blanks its sites there through tasks, then forgets it. */
#include "application/app_int.h"
#include "audit/audit.h"
#include "cluster/cluster.h"
#include "common/pg_json.h"
#include "store/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int app_delete(struct app *a, const struct pg_call *call, int64_t id, bool forced,
               struct pg_err *err)
{
	int64_t active = 0;
	struct store_conn *c = store_conn_get(a->store, err);
	json_t *app = NULL, *rel = NULL, *nodes = json_array(), *woken = json_array();
	int rc = c ? store_begin(c, STORE_TX_WRITE, err) : err->code;
	if (rc != 0)
		goto out;
	rc = app_store_get(c, id, &app, err);
	int64_t cur = json_integer_value(json_object_get(app, "currentReleaseId"));
	if (rc == 0)
		rc = app_release_active(c, id, &active, err);
	if (rc == 0 && active && !forced)
		rc = pg_err_set(err, PG_ECONFLICT, "id",
		                "release %lld is in flight; cancel it or use ?force=true",
		                (long long)active);
	if (rc == 0 && cur)
		rc = app_release_get(c, cur, true, &rel, err);
	bool live = rel && strcmp(json_string_value(json_object_get(
	                                  json_object_get(rel, "artifacts"), "desiredState")),
	                          "Running") == 0;
	if (rc == 0 && live && !forced)
		rc = pg_err_set(err, PG_ECONFLICT, "id",
		                "the application runs on nodes: release it with desiredState "
		                "Stopped first, "
		                "or delete with ?force=true");
	if (rc == 0 && live)
		rc = app_node_list(c, cur, nodes, err);
	size_t i;
	json_t *n;
	json_t *art = json_object_get(rel, "artifacts");
	json_array_foreach (nodes, i, n) {
		if (rc != 0 || app_node_status_of(json_string_value(
		                       json_object_get(n, "status"))) != APP_NODE_SUCCEEDED)
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
				rc = cluster_task_insert(a->cluster, c, call, &spec, &tid, &existed,
				                         err);
		}
		json_decref(payloads);
		json_array_append_new(woken, json_integer(node));
	}
	if (rc == 0)
		rc = app_store_delete(c, id, err);
	if (rc == 0)
		rc = audit_record_new(c, call, "app.delete", "app", id,
		                      json_pack("{s:O, s:b, s:I}", "name",
		                                json_object_get(app, "name"), "force", forced,
		                                "stopTasks", (json_int_t)json_array_size(woken)),
		                      err);
	rc = store_end(c, rc, err);
	json_array_foreach (woken, i, n)
		if (rc == 0)
			cluster_wake(a->cluster, json_integer_value(n));
out:
	json_decref(app);
	json_decref(rel);
	json_decref(nodes);
	json_decref(woken);
	return rc;
}
