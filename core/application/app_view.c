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
	enum app_node_status s = app_node_status_of(status);
	return s == APP_NODE_PENDING || s == APP_NODE_RUNNING;
}

int app_drift_view(struct app *a, int64_t app_id, json_t **out, struct pg_err *err)
{
	struct store_conn *c = store_conn_get(a->store, err);
	if (!c)
		return err->code;
	json_t *app = NULL, *targets = NULL, *nodes = json_array(), *flight = json_array(),
	       *ids = json_array();
	int64_t active = 0;
	json_t *newest = NULL;
	int rc = app_store_get(c, app_id, &app, err);
	if (rc == 0)
		rc = app_release_active(c, app_id, &active, err);
	if (rc == 0) /* the newest release: what the state says of a failure */
		rc = app_release_newest(c, app_id, &newest, err);
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
		json_object_set_new(json_object_get(*out, "app"), "desiredState",
		                    json_incref(json_object_get(app, "desiredState")));
		json_object_set_new(*out, "lastRelease", newest ? newest : json_null());
		newest = NULL;
	}
	json_decref(newest);
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

void app_batch_outcomes(json_t *batches, json_t *nodes)
{
	size_t i, j;
	json_t *b, *n;
	json_array_foreach (batches, i, b) {
		struct app_batch_view bv;
		app_batch_view_of(b, &bv);
		int64_t failed = 0;
		json_array_foreach (nodes, j, n) {
			struct app_node_view nv;
			app_node_view_of(n, &nv);
			if (nv.batch == bv.index &&
			    (nv.status == APP_NODE_FAILED || nv.status == APP_NODE_TIMEOUT))
				failed++;
		}
		json_object_set_new(b, "outcome",
		                    bv.status != APP_BATCH_DONE ? json_null()
		                    : failed > 0                ? json_string("failed")
		                                                : json_string("succeeded"));
		json_object_set_new(b, "failedNodes", json_integer(failed));
	}
}
