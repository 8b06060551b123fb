/* app_rollout: the release state machine. Advances a running release from
 * stored state only, so a restarted pagodad continues where it stopped.
 * Tasks carry idempotency keys (release, node, step), so redoing a step
 * after a crash finds the tasks queued the first time instead of queuing
 * them again. */
#include "application/app_int.h"
#include "application/app_state.h"
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

static struct pg_call release_call(json_t *rel, char *actor, size_t len)
{
	snprintf(actor, len, "release:%lld",
	         (long long)json_integer_value(json_object_get(rel, "id")));
	return (struct pg_call){actor, json_string_value(json_object_get(rel, "traceId")), NULL};
}

/* Queues one task; *id its id (an existing one for a repeated key). */
int app_task_queue(struct app *a, struct store_conn *c, const struct pg_call *call,
                   const char *owner, int64_t node, const char *type, json_t *payload,
                   const int64_t *deps, size_t ndeps, const char *key, int64_t timeout, json_t *ids,
                   struct pg_err *err)
{
	struct cluster_task_spec spec = {.node_id = node,
	                                 .type = type,
	                                 .payload = payload,
	                                 .timeout_sec = timeout,
	                                 .max_retries = 2,
	                                 .depends_on = deps,
	                                 .ndeps = ndeps,
	                                 .idempotency_key = key,
	                                 .owner = owner};
	int64_t id = 0;
	bool existed;
	int rc = cluster_task_insert(a->cluster, c, call, &spec, &id, &existed, err);
	json_decref(payload);
	if (rc == 0)
		json_array_append_new(ids, json_integer(id));
	return rc;
}

/* Whether what the process is made of changed: its unit, its artifacts,
 * whether it should run. */
static bool unit_changed(json_t *old, json_t *new)
{
	if (!old ||
	    !json_equal(json_object_get(old, "desiredState"),
	                json_object_get(new, "desiredState")) ||
	    !json_equal(json_object_get(json_object_get(old, "unit"), "sha256"),
	                json_object_get(json_object_get(new, "unit"), "sha256")))
		return true;
	json_t *of = json_object_get(json_object_get(old, "fetch"), "release"),
	       *nf = json_object_get(json_object_get(new, "fetch"), "release");
	return (of || nf) && !json_equal(of, nf); /* json_equal(NULL, NULL) is false */
}

/* How much a config file's onChange asks for: none < signal < reload < restart. */
static int on_change_rank(const char *v)
{
	return !v || !strcmp(v, "restart") ? 3
	       : !strcmp(v, "reload")      ? 2
	       : !strncmp(v, "signal:", 7) ? 1
	                                   : 0;
}

const char *app_control_of(json_t *old, json_t *new, const char **sig)
{
	*sig = NULL;
	if (unit_changed(old, new))
		return "restart";
	int best = -1;
	const char *best_v = NULL;
	size_t i, j;
	json_t *nc, *oc;
	json_array_foreach (json_object_get(new, "configs"), i, nc) {
		bool same = false;
		json_array_foreach (json_object_get(old, "configs"), j, oc)
			same = same || json_equal(oc, nc);
		const char *v = json_string_value(json_object_get(nc, "onChange"));
		if (!same && on_change_rank(v) > best) {
			best = on_change_rank(v);
			best_v = v;
		}
	}
	/* a file that went away changes what the process reads too */
	if (json_array_size(json_object_get(old, "configs")) >
	            json_array_size(json_object_get(new, "configs")) &&
	    best < 3)
		return "restart";
	if (best == 3)
		return "restart";
	if (best == 2)
		return "reload";
	if (best == 1) {
		*sig = best_v + 7;
		return "kill";
	}
	return "start";
}

/* Whether sites (a release's artifacts.sites) has one named name. */
static bool has_site(json_t *sites, const char *name)
{
	size_t i;
	json_t *s;
	json_array_foreach (sites, i, s)
		if (strcmp(json_string_value(json_object_get(s, "siteName")), name) == 0)
			return true;
	return false;
}

/* A ReverseProxy node: its static files (FetchArtifact), each site after the
 * files and certificate it uses, and a blank file for each site the
 * previous release had and this one has not (a deleted ingress). */
static int queue_sites(struct app *a, struct store_conn *c, const struct pg_call *call,
                       const char *owner, json_t *rel, json_t *prev_art, int64_t node, bool running,
                       json_t *ids, struct pg_err *err)
{
	json_t *art = json_object_get(rel, "artifacts"), *sites = json_object_get(art, "sites");
	int64_t rid = json_integer_value(json_object_get(rel, "id")), fetch = 0;
	char key[160];
	int rc = 0;
	if (running && json_object_get(art, "fetch")) {
		snprintf(key, sizeof(key), "r%lld-n%lld-fetch", (long long)rid, (long long)node);
		rc = app_task_queue(a, c, call, owner, node, "FetchArtifact",
		                    json_deep_copy(json_object_get(art, "fetch")), NULL, 0, key,
		                    1800, ids, err);
		if (rc == 0)
			fetch = json_integer_value(json_array_get(ids, json_array_size(ids) - 1));
	}
	json_t *all = json_deep_copy(sites), *site;
	size_t i;
	json_array_foreach (json_object_get(prev_art, "sites"), i, site)
		if (!has_site(sites, json_string_value(json_object_get(site, "siteName"))))
			json_array_append_new(all, json_pack("{s:O, s:s, s:b}", "siteName",
			                                     json_object_get(site, "siteName"),
			                                     "content",
			                                     "# removed by Pagoda: the ingress was "
			                                     "deleted\n",
			                                     "removed", 1));
	json_array_foreach (all, i, site) {
		if (rc != 0)
			break;
		const char *name = json_string_value(json_object_get(site, "siteName"));
		bool live = running || json_is_true(json_object_get(site, "removed"));
		snprintf(key, sizeof(key), "r%lld-n%lld-site-%s", (long long)rid, (long long)node,
		         name);
		json_t *p = json_pack("{s:s, s:s}", "siteName", name, "content",
		                      live ? json_string_value(json_object_get(site, "content"))
		                           : "# disabled by Pagoda: the application is stopped\n");
		int64_t deps[2];
		size_t nd = 0;
		if (fetch)
			deps[nd++] = fetch;
		/* the certificate lands before the site that names it */
		int64_t cert = json_integer_value(json_object_get(site, "certificateId"));
		if (running && cert > 0) {
			char once[192];
			snprintf(once, sizeof(once), "%s-cert%lld", key, (long long)cert);
			rc = a->certs.deploy ? a->certs.deploy(a->certs.arg, c, call, cert, node,
			                                       once, &deps[nd], err)
			                     : pg_err_set(err, PG_EUNAVAIL, NULL,
			                                  "the certificate center is not running");
			if (rc == 0)
				json_array_append_new(ids, json_integer(deps[nd++]));
		}
		if (rc == 0)
			rc = app_task_queue(a, c, call, owner, node, "RenderAndDeployNginx", p,
			                    deps, nd, key, 120, ids, err);
		else
			json_decref(p);
	}
	json_decref(all);
	return rc;
}

/* A scheduled job's timer, installed and (re)started after the service and
 * files it runs (deps): the next event uses the new release. No probe: a
 * job's health is its runs (InspectUnit runs, the job_failed alert). */
static int queue_timer(struct app *a, struct store_conn *c, const struct pg_call *call,
                       const char *owner, int64_t rid, int64_t node, json_t *timer, int64_t *deps,
                       size_t nd, json_t *ids, struct pg_err *err, int rc)
{
	const char *name = json_string_value(json_object_get(timer, "name"));
	char key[160];
	if (rc == 0) {
		snprintf(key, sizeof(key), "r%lld-n%lld-timer", (long long)rid, (long long)node);
		rc = app_task_queue(a, c, call, owner, node, "SystemdInstallUnit",
		                    json_pack("{s:s, s:O, s:b}", "unitName", name, "content",
		                              json_object_get(timer, "content"), "enable", 1),
		                    NULL, 0, key, 120, ids, err);
		if (rc == 0)
			deps[nd++] =
			        json_integer_value(json_array_get(ids, json_array_size(ids) - 1));
	}
	if (rc == 0) {
		snprintf(key, sizeof(key), "r%lld-n%lld-control", (long long)rid, (long long)node);
		rc = app_task_queue(a, c, call, owner, node, "SystemdControl",
		                    json_pack("{s:s, s:s}", "unitName", name, "action", "restart"),
		                    deps, nd, key, 120, ids, err);
	}
	return rc;
}

/* The ordered, dependent tasks for one node (design.md 7.3 step 4). */
static int queue_node(struct app *a, struct store_conn *c, json_t *rel, json_t *app,
                      json_t *prev_art, int64_t node, json_t *ids, struct pg_err *err)
{
	char actor[48], key[160], owner[32];
	struct pg_call call = release_call(rel, actor, sizeof(actor));
	app_owner(json_integer_value(json_object_get(rel, "appId")), owner);
	json_t *art = json_object_get(rel, "artifacts");
	int64_t rid = json_integer_value(json_object_get(rel, "id"));
	bool running =
	        strcmp(json_string_value(json_object_get(art, "desiredState")), "Running") == 0;
	const char *type = json_string_value(json_object_get(art, "type"));
	int rc = 0;
	if (strcmp(type, "ReverseProxy") == 0)
		return queue_sites(a, c, &call, owner, rel, prev_art, node, running, ids, err);
	json_t *unit = json_object_get(art, "unit"), *svc = json_object_get(art, "service");
	json_t *timer = json_object_get(art, "timer"); /* a scheduled job */
	const char *unit_name = json_string_value(json_object_get(unit, "name"));
	if (!running) {
		snprintf(key, sizeof(key), "r%lld-n%lld-stop", (long long)rid, (long long)node);
		/* a job stops running when its timer stops: a run in progress ends */
		json_t *p = json_pack("{s:s, s:s}", "unitName",
		                      timer ? json_string_value(json_object_get(timer, "name"))
		                            : unit_name,
		                      "action", "stop");
		if (svc)
			json_object_set_new(p, "deregister",
			                    json_pack("[O]", json_object_get(svc, "name")));
		return app_task_queue(a, c, &call, owner, node, "SystemdControl", p, NULL, 0, key,
		                      120, ids, err);
	}
	int64_t deps[4];
	size_t nd = 0;
	/* a rolling restart changes nothing on the node but the process */
	bool restart_only = json_is_true(json_object_get(art, "restart"));
	json_t *files = json_array();
	size_t i;
	json_t *f;
	json_array_foreach (restart_only ? NULL : json_object_get(art, "configs"), i, f) {
		char *text = NULL;
		int64_t used;
		json_t *app_vars = json_pack("{s:O, s:O}", "name", json_object_get(app, "name"),
		                             "labels", json_object_get(app, "labels"));
		rc = config_render(a->config, json_integer_value(json_object_get(f, "configId")),
		                   json_integer_value(json_object_get(f, "version")), node,
		                   app_vars, NULL, &text, &used, err);
		json_decref(app_vars);
		if (rc != 0)
			break;
		json_t *file = json_pack("{s:O, s:s, s:O}", "path", json_object_get(f, "path"),
		                         "content", text, "secret", json_object_get(f, "secret"));
		const char *opt[] = {"mode", "owner", "group"};
		for (int k = 0; k < 3; k++)
			if (json_object_get(f, opt[k]))
				json_object_set(file, opt[k], json_object_get(f, opt[k]));
		explicit_bzero(text, strlen(text));
		free(text);
		json_array_append_new(files, file);
	}
	if (rc == 0 && json_array_size(files) > 0) {
		snprintf(key, sizeof(key), "r%lld-n%lld-files", (long long)rid, (long long)node);
		rc = app_task_queue(a, c, &call, owner, node, "ApplyConfigFiles",
		                    json_pack("{s:O}", "files", files), NULL, 0, key, 120, ids,
		                    err);
		if (rc == 0)
			deps[nd++] =
			        json_integer_value(json_array_get(ids, json_array_size(ids) - 1));
	}
	json_decref(files);
	json_t *fetch = json_object_get(art, "fetch");
	if (rc == 0 && fetch && !restart_only) {
		/* a download can take a while: minutes, not the two of a file */
		snprintf(key, sizeof(key), "r%lld-n%lld-fetch", (long long)rid, (long long)node);
		rc = app_task_queue(a, c, &call, owner, node, "FetchArtifact",
		                    json_deep_copy(fetch), NULL, 0, key, 1800, ids, err);
		if (rc == 0)
			deps[nd++] =
			        json_integer_value(json_array_get(ids, json_array_size(ids) - 1));
	}
	if (rc == 0 && !restart_only) {
		snprintf(key, sizeof(key), "r%lld-n%lld-unit", (long long)rid, (long long)node);
		/* a job's service is started by its timer, never at boot */
		rc = app_task_queue(a, c, &call, owner, node, "SystemdInstallUnit",
		                    json_pack("{s:s, s:O, s:b}", "unitName", unit_name, "content",
		                              json_object_get(unit, "content"), "enable", !timer),
		                    NULL, 0, key, 120, ids, err);
		if (rc == 0)
			deps[nd++] =
			        json_integer_value(json_array_get(ids, json_array_size(ids) - 1));
	}
	if (timer)
		return queue_timer(a, c, &call, owner, rid, node, timer, deps, nd, ids, err, rc);
	/* Restart only when something it depends on changed (design.md 14.1). A
	 * rollback always restarts: the node runs the failed release's process,
	 * whatever the application's current release says. */
	int64_t control = 0;
	const char *sig = NULL;
	const char *action = restart_only || strcmp(json_string_value(json_object_get(rel, "kind")),
	                                            "rollback") == 0
	                             ? "restart"
	                             : app_control_of(prev_art, art, &sig);
	if (rc == 0) {
		snprintf(key, sizeof(key), "r%lld-n%lld-control", (long long)rid, (long long)node);
		json_t *p = json_pack("{s:s, s:s}", "unitName", unit_name, "action", action);
		if (sig)
			json_object_set_new(p, "signal", json_string(sig));
		rc = app_task_queue(a, c, &call, owner, node, "SystemdControl", p, deps, nd, key,
		                    120, ids, err);
		control = json_integer_value(json_array_get(ids, json_array_size(ids) - 1));
	}
	json_t *hc = json_object_get(art, "healthCheck");
	json_int_t port = json_integer_value(json_object_get(art, "listenPort"));
	if (rc == 0 && (hc || port)) {
		const char *kind = hc ? json_string_value(json_object_get(hc, "type")) : "tcp";
		json_t *p = json_pack(
		        "{s:s, s:I, s:I, s:I}", "kind", kind, "retries",
		        (json_int_t)(json_object_get(hc, "retries")
		                             ? json_integer_value(json_object_get(hc, "retries"))
		                             : 20),
		        "intervalSec",
		        (json_int_t)(json_object_get(hc, "intervalSec")
		                             ? json_integer_value(
		                                       json_object_get(hc, "intervalSec"))
		                             : 1),
		        "timeoutSec",
		        (json_int_t)(json_object_get(hc, "timeoutSec")
		                             ? json_integer_value(json_object_get(hc, "timeoutSec"))
		                             : 2));
		if (strcmp(kind, "http") == 0) {
			char url[1200];
			snprintf(url, sizeof(url), "http://127.0.0.1:%lld%s", (long long)port,
			         json_string_value(json_object_get(hc, "path")));
			json_object_set_new(p, "url", json_string(url));
			if (json_object_get(hc, "expectStatus"))
				json_object_set(p, "expectStatus",
				                json_object_get(hc, "expectStatus"));
		} else if (strcmp(kind, "tcp") == 0) {
			json_object_set_new(p, "port", json_integer(port));
		} else {
			json_object_set_new(p, "unitName", json_string(unit_name));
		}
		if (svc && port) {
			char ver[32];
			snprintf(ver, sizeof(ver), "r%lld",
			         (long long)json_integer_value(json_object_get(rel, "version")));
			json_object_set_new(p, "register",
			                    json_pack("{s:O, s:I, s:s}", "service",
			                              json_object_get(svc, "name"), "port", port,
			                              "version", ver));
		}
		snprintf(key, sizeof(key), "r%lld-n%lld-probe", (long long)rid, (long long)node);
		rc = app_task_queue(a, c, &call, owner, node, "HealthProbe", p, &control, 1, key,
		                    300, ids, err);
	}
	return rc;
}

/* Final states of a node's tasks: "" while any runs, else succeeded/failed. */
/* A running node's outcome from its tasks: failed (with why in error) once
 * one failed or was cancelled, succeeded once all did, else still running. */
static enum app_node_status node_outcome(struct app *a, json_t *tasks, char *error, size_t len)
{
	size_t i;
	json_t *t;
	bool all_done = true;
	json_array_foreach (tasks, i, t) {
		struct pg_err err = {0};
		json_t *task = cluster_task_get(a->cluster, json_integer_value(t), false, &err);
		const char *st = json_string_value(json_object_get(task, "status"));
		if (!st) {
			snprintf(error, len, "task %lld: %s", (long long)json_integer_value(t),
			         err.message);
			json_decref(task);
			return APP_NODE_FAILED;
		}
		if (strcmp(st, "failed") == 0 || strcmp(st, "cancelled") == 0) {
			snprintf(error, len, "task %lld (%s) %s: %s",
			         (long long)json_integer_value(t),
			         json_string_value(json_object_get(task, "type")), st,
			         json_string_value(json_object_get(task, "errorMessage")));
			json_decref(task);
			return APP_NODE_FAILED;
		}
		all_done = all_done && strcmp(st, "succeeded") == 0;
		json_decref(task);
	}
	return all_done ? APP_NODE_SUCCEEDED : APP_NODE_RUNNING;
}

static json_t *node_get(struct app *a, int64_t id)
{
	struct pg_err err = {0};
	json_t *n = NULL;
	if (cluster_node_get(a->cluster, id, &n, &err) != 0)
		n = json_pack("{s:I, s:s, s:s}", "id", (json_int_t)id, "name", "", "status",
		              "offline");
	return n;
}

/* Plans batches for a release that has none yet. */
static int plan_release(struct app *a, struct store_conn *c, json_t *rel, json_t *app,
                        struct pg_err *err)
{
	json_t *targets = NULL, *explicit_nodes = json_object_get(rel, "targetNodes");
	int rc = 0;
	if (json_is_array(explicit_nodes)) {
		targets = json_array();
		size_t i;
		json_t *v;
		json_array_foreach (explicit_nodes, i, v)
			json_array_append_new(targets, node_get(a, json_integer_value(v)));
	} else {
		rc = app_targets(a, app, &targets, err);
	}
	json_t *nodes = json_array(), *plan = NULL, *unready = json_array();
	size_t i;
	json_t *n;
	char why[512];
	json_array_foreach (targets, i, n)
		if (app_node_unready(app, n, why, sizeof(why)))
			json_array_append_new(unready,
			                      json_pack("{s:O, s:s}", "nodeId",
			                                json_object_get(n, "id"), "reason", why));
		else
			json_array_append_new(nodes,
			                      json_pack("{s:O, s:O, s:O?, s:O}", "id",
			                                json_object_get(n, "id"), "name",
			                                json_object_get(n, "name"), "labels",
			                                json_object_get(n, "labels"), "status",
			                                json_object_get(n, "status")));
	json_decref(targets);
	if (rc == 0) {
		json_t *ctx = json_pack("{s:{s:O, s:O}, s:O, s:O}", "release", "id",
		                        json_object_get(rel, "id"), "version",
		                        json_object_get(rel, "version"), "nodes", nodes, "strategy",
		                        json_object_get(app, "strategy"));
		rc = plua_batch_plan(a->lua, ctx, &plan, err);
		json_decref(ctx);
	}
	json_decref(nodes);
	int64_t rid = json_integer_value(json_object_get(rel, "id"));
	if (rc == 0)
		rc = app_release_set_plan(c, rid, plan, err);
	json_t *b;
	json_array_foreach (json_object_get(plan, "batches"), i, b) {
		if (rc == 0)
			rc = app_batch_insert(c, rid, (int64_t)i + 1, b, err);
		size_t j;
		json_t *id;
		json_array_foreach (json_object_get(b, "nodes"), j, id)
			if (rc == 0)
				rc = app_node_insert(c, rid, json_integer_value(id), (int64_t)i + 1,
				                     APP_NODE_PENDING, NULL, err);
	}
	/* nodes that cannot run it are listed with why, never given tasks */
	json_array_extend(unready, json_object_get(plan, "skipped"));
	json_array_foreach (unready, i, b)
		if (rc == 0)
			rc = app_node_insert(c, rid,
			                     json_integer_value(json_object_get(b, "nodeId")), 0,
			                     APP_NODE_SKIPPED,
			                     json_string_value(json_object_get(b, "reason")), err);
	json_decref(unready);
	json_decref(plan);
	return rc;
}

static const struct pg_metric_family m_release_duration = {
        "pagoda_release_duration_seconds",
        "Time from a release's execution to its final state, by kind and outcome",
        PG_METRIC_HISTOGRAM,
        {"kind", "status"},
        pg_metrics_duration_buckets};

/* Moves rel to status and audits it; details (may be NULL) is stolen. */
static int set_release(struct store_conn *c, json_t *rel, enum app_release_status to,
                       const char *error, const char *action, json_t *details, struct pg_err *err)
{
	const char *status = app_release_status_name(to);
	char actor[48];
	struct pg_call call = release_call(rel, actor, sizeof(actor));
	call.actor = "system";
	int64_t rid = json_integer_value(json_object_get(rel, "id"));
	int rc = app_release_set_status(c, rid, to, error, err);
	json_t *d = details ? details : json_object();
	if (rc == 0) {
		json_object_set_new(d, "from", json_incref(json_object_get(rel, "status")));
		if (error && !json_object_get(d, "reason"))
			json_object_set_new(d, "reason", json_string(error));
		rc = audit_record(c, &call, action, "release", rid, d, err);
	}
	json_decref(d);
	if (rc == 0)
		pg_info("app", "release %lld: %s%s%s", (long long)rid, status, error ? ": " : "",
		        error ? error : "");
	int64_t started = 0;
	const char *at = json_string_value(json_object_get(rel, "startedAt"));
	if (rc == 0 && app_release_status_final(to) && at && pg_time_parse(at, &started) == 0)
		pg_metrics_observe(&m_release_duration,
		                   (double)(pg_time_now_ms() - started) / 1000.0,
		                   json_string_value(json_object_get(rel, "kind")), status, NULL);
	return rc;
}

static int succeed(struct app *a, struct store_conn *c, json_t *rel, struct pg_err *err)
{
	int64_t rid = json_integer_value(json_object_get(rel, "id"));
	int64_t app_id = json_integer_value(json_object_get(rel, "appId"));
	int rc = set_release(c, rel, APP_REL_SUCCEEDED, NULL, "release.succeed", NULL, err);
	if (rc == 0)
		rc = app_store_set_current(c, app_id, rid, err);
	int64_t of = json_integer_value(json_object_get(rel, "rollbackOf"));
	if (rc == 0 && of) {
		json_t *orig = NULL;
		rc = app_release_get(c, of, false, &orig, err);
		if (rc == 0)
			rc = set_release(c, orig, APP_REL_ROLLED_BACK, NULL, "release.rolled_back",
			                 json_pack("{s:I}", "byRelease", (json_int_t)rid), err);
		json_decref(orig);
	}
	/* the upstream sync starts from what this release deployed */
	json_t *sites = json_object_get(json_object_get(rel, "artifacts"), "sites");
	if (rc == 0 && sites) {
		char sha[65];
		app_sites_sha(sites, sha);
		rc = app_site_put(c, app_id, sha, registry_index(a->registry), err);
	}
	return rc;
}

/* Starts a rollback to target on the nodes the failed release changed. */
static int start_rollback(struct app *a, json_t *rel, json_t *nodes, int64_t target,
                          struct pg_err *err)
{
	json_t *changed = app_nodes_touched(nodes), *out = NULL;
	char actor[48];
	struct pg_call call = release_call(rel, actor, sizeof(actor));
	call.actor = "system";
	int rc = app_release_create(a, &call, json_integer_value(json_object_get(rel, "appId")),
	                            "rollback", json_integer_value(json_object_get(rel, "id")),
	                            target, changed, "automatic rollback", &out, err);
	json_decref(changed);
	if (rc == 0) {
		struct store_conn *c = store_conn_get(a->store, err);
		rc = c && store_begin(c, STORE_TX_WRITE, err) == 0 ? 0 : err->code;
		if (rc == 0) {
			rc = set_release(
			        c, out, APP_REL_RUNNING, NULL, "release.execute",
			        json_pack("{s:O}", "rollbackOf", json_object_get(rel, "id")), err);
			rc = store_end(c, rc, err);
		}
	}
	json_decref(out);
	return rc;
}

/* What rollback.lua answers after a batch. */
enum decision { DECIDE_CONTINUE, DECIDE_PAUSE, DECIDE_FAIL, DECIDE_ROLLBACK };

static enum decision decision_of(const char *action)
{
	static const char *const names[] = {"continue", "pause", "fail", "rollback"};
	for (int i = 0; action && i < 4; i++)
		if (strcmp(action, names[i]) == 0)
			return (enum decision)i;
	return DECIDE_FAIL; /* the policy's answer is validated: not reached */
}

/* After a batch: ask rollback.lua, then act on its answer. */
static int decide(struct app *a, struct store_conn *c, const struct app_release_view *rel,
                  json_t *app, const struct app_batch_view *batch, size_t nbatches, json_t *nodes,
                  int64_t *rollback_to, struct pg_err *err)
{
	json_t *bn = json_array();
	size_t i;
	json_t *n;
	json_array_foreach (nodes, i, n) {
		struct app_node_view nv;
		app_node_view_of(n, &nv);
		if (nv.batch == batch->index)
			json_array_append_new(bn, json_pack("{s:I, s:s}", "nodeId",
			                                    (json_int_t)nv.node_id, "status",
			                                    app_node_status_name(nv.status)));
	}
	json_t *ctx = json_pack(
	        "{s:{s:I, s:O}, s:{s:s}, s:{s:I, s:I, s:O, s:O, s:o}, s:O}", "release", "id",
	        (json_int_t)rel->id, "previousReleaseId",
	        rel->rollback ? json_null() : json_object_get(rel->row, "previousReleaseId"), "app",
	        "rollback", json_string_value(json_object_get(app, "rollback")), "batch", "index",
	        (json_int_t)batch->index, "total", (json_int_t)nbatches, "canary",
	        json_object_get(batch->row, "canary"), "failureThreshold",
	        json_object_get(batch->row, "failureThreshold"), "nodes", bn, "strategy",
	        json_object_get(app, "strategy"));
	json_t *d = NULL;
	int rc = plua_rollback_decide(a->lua, ctx, &d, err);
	json_decref(ctx);
	if (rc != 0) {
		/* a broken policy fails the release loudly rather than guessing */
		d = json_pack("{s:s, s:s}", "action", "fail", "reason", err->message);
		rc = 0;
	}
	enum decision action = decision_of(json_string_value(json_object_get(d, "action")));
	const char *reason = json_string_value(json_object_get(d, "reason"));
	rc = app_batch_set(c, rel->id, batch->index, APP_BATCH_DONE, d, 0, err);
	if (rc == 0 && action == DECIDE_CONTINUE && batch->index < (int64_t)nbatches)
		rc = app_batch_set(c, rel->id, batch->index + 1, APP_BATCH_PENDING, NULL,
		                   pg_time_now_ms() + batch->pause_after_sec * 1000, err);
	if (rc == 0 && action == DECIDE_PAUSE)
		rc = set_release(c, rel->row, APP_REL_PAUSED, reason, "release.pause",
		                 json_deep_copy(d), err);
	if (rc == 0 && (action == DECIDE_FAIL || action == DECIDE_ROLLBACK))
		rc = set_release(c, rel->row, APP_REL_FAILED, reason, "release.fail",
		                 json_deep_copy(d), err);
	if (rc == 0 && action == DECIDE_ROLLBACK)
		*rollback_to = json_integer_value(json_object_get(d, "targetReleaseId"));
	json_decref(d);
	return rc;
}

/* Settles the running nodes of the batch whose tasks ended (or whose time
 * ran out); *running counts those still at it. */
static int settle_running(struct app *a, struct store_conn *c, const struct app_release_view *rel,
                          const struct app_batch_view *batch, json_t *nodes, bool timed_out,
                          int64_t *running, struct pg_err *err)
{
	size_t i;
	json_t *n;
	int rc = 0;
	json_array_foreach (nodes, i, n) {
		struct app_node_view nv;
		app_node_view_of(n, &nv);
		if (rc != 0 || nv.batch != batch->index || nv.status != APP_NODE_RUNNING)
			continue;
		char error[600] = "";
		enum app_node_status out = node_outcome(a, nv.tasks, error, sizeof(error));
		if (out == APP_NODE_RUNNING && timed_out) {
			out = APP_NODE_TIMEOUT;
			snprintf(error, sizeof(error), "batch timeout passed");
			size_t j;
			json_t *t;
			struct pg_call call = {
			        "system", json_string_value(json_object_get(rel->row, "traceId")),
			        NULL};
			json_array_foreach (nv.tasks, j, t)
				if (rc == 0)
					rc = cluster_task_cancel_in(c, &call, json_integer_value(t),
					                            err);
		}
		if (out == APP_NODE_RUNNING) {
			(*running)++;
			continue;
		}
		if (rc == 0)
			rc = app_node_set(c, rel->id, nv.node_id, out, NULL, *error ? error : NULL,
			                  err);
		json_object_set_new(n, "status", json_string(app_node_status_name(out)));
	}
	return rc;
}

/* One step of one running release; all in one transaction. */
int app_rollout_advance(struct app *a, int64_t rid, struct pg_err *err)
{
	struct store_conn *c = store_conn_get(a->store, err);
	if (!c || store_begin(c, STORE_TX_WRITE, err) != 0)
		return err->code;
	json_t *row = NULL, *app = NULL, *batches = json_array(), *nodes = json_array(),
	       *prev = NULL;
	json_t *wake = json_array();
	struct app_release_view rel = {0};
	struct app_batch_view batch = {0};
	int64_t rollback_to = 0;
	int rc = app_release_get(c, rid, true, &row, err);
	if (rc == 0)
		app_release_view_of(row, &rel);
	if (rc == 0 && rel.status != APP_REL_RUNNING)
		goto out; /* paused or cancelled meanwhile */
	if (rc == 0)
		rc = app_store_get(c, rel.app_id, &app, err);
	if (rc == 0 && json_is_null(json_object_get(row, "plan")))
		rc = plan_release(a, c, row, app, err);
	if (rc == 0)
		rc = app_batch_list(c, rid, batches, err);
	if (rc == 0)
		rc = app_node_list(c, rid, nodes, err);
	if (rc != 0)
		goto out;
	if (json_array_size(batches) == 0) {
		rc = set_release(c, row, APP_REL_FAILED, "no target node is online and uncordoned",
		                 "release.fail", NULL, err);
		goto out;
	}
	size_t i;
	json_t *b;
	json_array_foreach (batches, i, b) {
		app_batch_view_of(b, &batch);
		if (batch.status != APP_BATCH_DONE)
			break;
		batch.row = NULL;
	}
	if (!batch.row) {
		rc = succeed(a, c, row, err);
		goto out;
	}
	int64_t now = pg_time_now_ms();
	if (batch.status == APP_BATCH_PENDING) {
		if (now < batch.not_before_ms)
			goto out;
		rc = app_batch_set(c, rid, batch.index, APP_BATCH_RUNNING, NULL, 0, err);
		batch.started_ms = now; /* for the timeout below */
	}
	if (rc == 0 && rel.previous_id)
		rc = app_release_get(c, rel.previous_id, true, &prev, err);
	int64_t started = batch.started_ms ? batch.started_ms : now, running = 0;
	bool timed_out = now > started + batch.timeout_sec * 1000, all_done = true;
	/* finished tasks first, so freed parallel slots are reused at once */
	if (rc == 0)
		rc = settle_running(a, c, &rel, &batch, nodes, timed_out, &running, err);
	json_t *n;
	json_array_foreach (nodes, i, n) {
		struct app_node_view nv;
		app_node_view_of(n, &nv);
		if (rc != 0 || nv.batch != batch.index)
			continue;
		if (nv.status == APP_NODE_PENDING && timed_out) {
			rc = app_node_set(c, rid, nv.node_id, APP_NODE_TIMEOUT, NULL,
			                  "batch timeout passed before it started", err);
			json_object_set_new(n, "status",
			                    json_string(app_node_status_name(APP_NODE_TIMEOUT)));
		} else if (nv.status == APP_NODE_PENDING && running < batch.max_parallel) {
			json_t *ids = json_array();
			rc = queue_node(a, c, row, app, json_object_get(prev, "artifacts"),
			                nv.node_id, ids, err);
			if (rc == 0)
				rc = app_node_set(c, rid, nv.node_id, APP_NODE_RUNNING, ids, NULL,
				                  err);
			json_decref(ids);
			json_array_append_new(wake, json_integer(nv.node_id));
			running++;
			all_done = false;
		} else if (nv.status == APP_NODE_PENDING || nv.status == APP_NODE_RUNNING) {
			all_done = false;
		}
	}
	if (rc == 0 && all_done) {
		rc = decide(a, c, &rel, app, &batch, json_array_size(batches), nodes, &rollback_to,
		            err);
		app_kick(a); /* the next batch (or the end) at once, not a tick later */
	}
out:
	rc = store_end(c, rc, err);
	size_t k;
	json_t *w;
	json_array_foreach (wake, k, w)
		if (rc == 0)
			cluster_wake(a->cluster, json_integer_value(w));
	if (rc == 0 && rollback_to) {
		struct pg_err rerr = {0};
		if (start_rollback(a, row, nodes, rollback_to, &rerr) != 0)
			pg_error("app", "release %lld: cannot start its rollback: %s",
			         (long long)rid, rerr.message);
	}
	json_decref(row);
	json_decref(app);
	json_decref(prev);
	json_decref(batches);
	json_decref(nodes);
	json_decref(wake);
	return rc;
}

/* ---- upstream sync for ReverseProxy applications (design.md 7.4, 15.2) ---- */
