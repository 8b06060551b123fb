/* upgrade_svc: planning an agent upgrade and moving it on, batch by batch. */
#include "audit/audit.h"
#include "cluster/cluster.h"
#include "common/pg_json.h"
#include "common/pg_log.h"
#include "common/pg_ticker.h"
#include "common/pg_time.h"
#include "install/install.h"
#include "lua/plua_policy.h"
#include "store/store.h"
#include "upgrade/upgrade_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* After its deadline the guard rolls a node back; this much more and the
 * rollout gives up on it. */
#define GRACE_MS 10000

struct upgrade {
	struct store *store;
	struct cluster *cluster;
	struct plua *lua;
	const char *packages_dir;
	struct pg_ticker *ticker;
};

static const struct pg_call system_call = {"system:agent-upgrade", NULL, NULL};

int upgrade_create(struct upgrade *u, const struct pg_call *call, json_t *body, json_t **out,
                   struct pg_err *err)
{
	static const char *const fields[] = {"to", "selector", "deadlineSec", "strategy", NULL};
	const char *to = NULL, *selector = NULL;
	int64_t deadline = 120;
	json_t *sums = json_object(), *nodes = NULL, *plan = NULL;
	int rc = pg_json_only(body, fields, err);
	if (rc == 0)
		rc = pg_json_str(body, "to", true, 64, &to, err);
	if (rc == 0)
		rc = pg_json_str(body, "selector", false, 1024, &selector, err);
	if (rc == 0)
		rc = pg_json_int(body, "deadlineSec", false, 10, 3600, &deadline, err);
	json_t *strategy = json_object_get(body, "strategy");
	if (rc == 0 && strategy && !json_is_object(strategy))
		rc = pg_err_set(err, PG_EINVAL, "strategy",
		                "strategy must be an object ({batchSize, ...})");
	if (rc == 0)
		rc = install_agent_digests(u->packages_dir, to, sums, err);
	if (rc == 0)
		rc = cluster_nodes_select(u->cluster, selector && *selector ? selector : NULL,
		                          &nodes, err);
	/* nodes at the version already are left out; the rest go to the batch policy */
	json_t *plan_nodes = json_array(), *current = json_array(), *n;
	size_t i;
	json_array_foreach (nodes, i, n) {
		const char *v = json_string_value(json_object_get(n, "agentVersion"));
		json_array_append_new(v && strcmp(v, to) == 0 ? current : plan_nodes,
		                      json_pack("{s:O, s:O, s:O?, s:O}", "id",
		                                json_object_get(n, "id"), "name",
		                                json_object_get(n, "name"), "labels",
		                                json_object_get(n, "labels"), "status",
		                                json_object_get(n, "status")));
	}
	if (rc == 0 && !json_array_size(plan_nodes))
		rc = pg_err_set(err, PG_EPRECOND, "selector", "no node to upgrade: %s",
		                json_array_size(current)
		                        ? "every selected node runs that version already"
		                        : "the selector matches no node");
	if (rc == 0) {
		json_t *ctx = json_pack("{s:{s:i, s:i}, s:O, s:O}", "release", "id", 0, "version",
		                        0, "nodes", plan_nodes, "strategy",
		                        strategy ? strategy : json_object());
		rc = plua_batch_plan(u->lua, ctx, &plan, err);
		json_decref(ctx);
	}
	struct store_conn *c = rc == 0 ? store_conn_get(u->store, err) : NULL;
	if (rc == 0 && !c)
		rc = err->code;
	int64_t id = 0;
	if (rc == 0 && (rc = store_begin(c, STORE_TX_WRITE, err)) == 0) {
		char *sum_text = pg_json_dump(sums);
		rc = upgrade_store_insert(c, to, selector, sum_text, deadline, call->actor, &id,
		                          err);
		free(sum_text);
		json_t *b, *nid;
		size_t j;
		json_array_foreach (json_object_get(plan, "batches"), i, b)
			json_array_foreach (json_object_get(b, "nodes"), j, nid)
				if (rc == 0)
					rc = upgrade_store_node_insert(
					        c, id, json_integer_value(nid), (int64_t)i + 1,
					        "pending", NULL, NULL, err);
		json_array_foreach (json_object_get(plan, "skipped"), i, b)
			if (rc == 0)
				rc = upgrade_store_node_insert(
				        c, id, json_integer_value(json_object_get(b, "nodeId")), 0,
				        "skipped", NULL,
				        json_string_value(json_object_get(b, "reason")), err);
		json_array_foreach (current, i, b)
			if (rc == 0)
				rc = upgrade_store_node_insert(
				        c, id, json_integer_value(json_object_get(b, "id")), 0,
				        "skipped", to, "runs that version already", err);
		if (rc == 0)
			rc = audit_record_new(c, call, "agent_upgrade.create", "agent_upgrade", id,
			                      json_pack("{s:s, s:s?, s:I, s:O}", "to", to,
			                                "selector", selector, "deadlineSec",
			                                (json_int_t)deadline, "sha256", sums),
			                      err);
		rc = store_end(c, rc, err);
	}
	if (rc == 0)
		rc = upgrade_get(u, id, out, err);
	json_decref(sums);
	json_decref(nodes);
	json_decref(plan_nodes);
	json_decref(current);
	json_decref(plan);
	return rc;
}

int upgrade_get(struct upgrade *u, int64_t id, json_t **out, struct pg_err *err)
{
	struct store_conn *c = store_conn_get(u->store, err);
	return c ? upgrade_store_get(c, id, out, err) : err->code;
}

int upgrade_list(struct upgrade *u, json_t *items, struct pg_err *err)
{
	struct store_conn *c = store_conn_get(u->store, err);
	return c ? upgrade_store_list(c, items, err) : err->code;
}

/* Moves one node of the current batch on; *failed gets why it failed. */
static int step_node(struct upgrade *u, struct store_conn *c, json_t *up, json_t *n, char *failed,
                     size_t len, struct pg_err *err)
{
	int64_t id = json_integer_value(json_object_get(up, "id"));
	int64_t node = json_integer_value(json_object_get(n, "nodeId"));
	const char *status = json_string_value(json_object_get(n, "status"));
	const char *to = json_string_value(json_object_get(up, "to"));
	json_int_t deadline = json_integer_value(json_object_get(up, "deadlineSec"));
	json_t *info = NULL;
	struct pg_err ignored = {0};
	if (cluster_node_get(u->cluster, node, &info, &ignored) != 0)
		info = NULL;
	const char *version = json_string_value(json_object_get(info, "agentVersion"));
	bool online = info && strcmp(json_string_value(json_object_get(info, "status")) ?: "",
	                             "online") == 0;
	int rc = 0;
	if (strcmp(status, "pending") == 0) {
		char key[96], owner[64];
		snprintf(key, sizeof(key), "upgrade:%lld:%lld", (long long)id, (long long)node);
		snprintf(owner, sizeof(owner), "upgrade:%lld", (long long)id);
		json_t *payload = json_pack("{s:s, s:O, s:I}", "version", to, "sha256",
		                            json_object_get(up, "sha256"), "deadlineSec", deadline);
		struct cluster_task_spec spec = {.node_id = node,
		                                 .type = "UpgradeAgent",
		                                 .payload = payload,
		                                 .timeout_sec = 600,
		                                 .max_retries = 3,
		                                 .idempotency_key = key,
		                                 .owner = owner};
		int64_t task = 0;
		bool existed;
		rc = cluster_task_insert(u->cluster, c, &system_call, &spec, &task, &existed, err);
		json_decref(payload);
		if (rc == 0)
			rc = upgrade_store_node_set(c, id, node, "upgrading", task, NULL, err);
		if (rc == 0)
			cluster_wake_after(u->cluster, c, node);
	} else if (strcmp(status, "upgrading") == 0) {
		json_t *task = cluster_task_get(u->cluster,
		                                json_integer_value(json_object_get(n, "taskId")),
		                                false, &ignored);
		const char *ts = json_string_value(json_object_get(task, "status"));
		int64_t started = 0;
		const char *st = json_string_value(json_object_get(n, "startedAt"));
		if (!st || pg_time_parse(st, &started) != 0)
			started = 0;
		if (version && strcmp(version, to) == 0 && online)
			rc = upgrade_store_node_set(c, id, node, "upgraded", 0, NULL, err);
		else if (ts && (strcmp(ts, "failed") == 0 || strcmp(ts, "cancelled") == 0))
			snprintf(failed, len, "node %lld: UpgradeAgent %s: %s", (long long)node, ts,
			         json_string_value(json_object_get(task, "errorMessage"))
			                 ?: "no reason given");
		else if (started > 0 && pg_time_now_ms() > started + deadline * 1000 + GRACE_MS)
			snprintf(failed, len,
			         "node %lld did not heartbeat as pagoda-agent %s within %llds (it "
			         "runs %s): its guard "
			         "rolls it back to the package it had",
			         (long long)node, to, (long long)deadline, version ? version : "?");
		if (*failed)
			rc = upgrade_store_node_set(c, id, node, "failed", 0, failed, err);
		json_decref(task);
	}
	json_decref(info);
	return rc;
}

static int step(struct upgrade *u, int64_t id, struct pg_err *err)
{
	struct store_conn *c = store_conn_get(u->store, err);
	json_t *up = NULL;
	if (!c || upgrade_store_get(c, id, &up, err) != 0)
		return c ? err->code : err->code;
	/* the current batch: the lowest with a node not done yet */
	json_int_t batch = 0;
	size_t i;
	json_t *n;
	json_array_foreach (json_object_get(up, "nodes"), i, n) {
		const char *s = json_string_value(json_object_get(n, "status"));
		json_int_t b = json_integer_value(json_object_get(n, "batch"));
		if (b > 0 && (strcmp(s, "pending") == 0 || strcmp(s, "upgrading") == 0) &&
		    (!batch || b < batch))
			batch = b;
	}
	char failed[1024] = "";
	int rc = store_begin(c, STORE_TX_WRITE, err);
	json_array_foreach (json_object_get(up, "nodes"), i, n) {
		if (rc != 0 || *failed || json_integer_value(json_object_get(n, "batch")) != batch)
			continue;
		rc = step_node(u, c, up, n, failed, sizeof(failed), err);
	}
	if (rc == 0 && (*failed || !batch)) {
		rc = upgrade_store_finish(c, id, *failed ? "failed" : "succeeded",
		                          *failed ? failed : NULL, err);
		if (rc == 0)
			rc = audit_record_new(
			        c, &system_call,
			        *failed ? "agent_upgrade.fail" : "agent_upgrade.succeed",
			        "agent_upgrade", id,
			        json_pack("{s:s?}", "reason", *failed ? failed : NULL), err);
		if (rc == 0)
			pg_info("upgrade", "agent upgrade %lld to %s %s%s%s", (long long)id,
			        json_string_value(json_object_get(up, "to")),
			        *failed ? "failed: " : "succeeded", failed, "");
	}
	rc = store_end(c, rc, err);
	json_decref(up);
	return rc;
}

static void tick(void *arg)
{
	struct upgrade *u = arg;
	if (!store_leader(u->store, STORE_ROLE_RELEASES))
		return;
	int64_t ids[64];
	size_t n = 0;
	struct pg_err err = {0};
	struct store_conn *c = store_conn_get(u->store, &err);
	if (!c || upgrade_store_running(c, ids, 64, &n, &err) != 0) {
		pg_warn("upgrade", "cannot read running agent upgrades: %s", err.message);
		return;
	}
	for (size_t i = 0; i < n; i++)
		if (step(u, ids[i], &err) != 0)
			pg_warn("upgrade", "agent upgrade %lld: %s", (long long)ids[i],
			        err.message);
}

int upgrade_new(struct store *s, struct cluster *cl, struct plua *lua, const char *packages_dir,
                struct upgrade **out, struct pg_err *err)
{
	struct upgrade *u = calloc(1, sizeof(*u));
	if (!u)
		return pg_err_set(err, PG_EINTERNAL, "", "out of memory");
	*u = (struct upgrade){.store = s, .cluster = cl, .lua = lua, .packages_dir = packages_dir};
	if (pg_ticker_start(1000, false, tick, u, &u->ticker, err) != 0) {
		free(u);
		return err->code;
	}
	*out = u;
	return 0;
}

void upgrade_free(struct upgrade *u)
{
	if (!u)
		return;
	pg_ticker_stop(u->ticker);
	free(u);
}
