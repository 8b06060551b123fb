/* Applications and ingresses: validation and storage. */
#include "application/app_int.h"
#include "nginx/nginx.h"
#include "audit/audit.h"
#include "cluster/cluster.h"
#include "common/pg_json.h"
#include "lua/plua_policy.h"
#include "registry/registry.h"
#include "store/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool app_name_ok(const char *n)
{
	size_t len = strlen(n);
	if (len == 0 || len > 40 || n[0] == '-' || n[len - 1] == '-')
		return false;
	for (; *n; n++)
		if (!strchr("abcdefghijklmnopqrstuvwxyz0123456789-", *n))
			return false;
	return true;
}

static int check_enum(json_t *o, const char *key, const char *const values[], const char **out,
                      struct pg_err *err)
{
	const char *v = NULL;
	int rc = pg_json_str(o, key, false, 32, &v, err);
	if (rc != 0 || !v)
		return rc;
	for (int i = 0; values[i]; i++)
		if (strcmp(v, values[i]) == 0) {
			*out = values[i];
			return 0;
		}
	return pg_err_set(err, PG_EINVAL, key, "%s is not one of the allowed values", key);
}

static int check_selector(json_t *sel, struct pg_err *err)
{
	static const char *const fields[] = {"labels", "nodes", NULL};
	const char *labels = NULL;
	json_t *nodes = NULL;
	int rc = pg_json_only(sel, fields, err);
	if (rc == 0)
		rc = pg_json_str(sel, "labels", false, 1024, &labels, err);
	if (rc == 0 && labels) {
		struct cluster_selector *s = NULL;
		rc = cluster_selector_parse(labels, &s, err);
		cluster_selector_free(s);
		if (rc != 0)
			pg_err_set(err, PG_EINVAL, "labels", "%s", err->message);
	}
	if (rc == 0)
		rc = pg_json_arr(sel, "nodes", false, 10000, &nodes, err);
	size_t i;
	json_t *v;
	json_array_foreach (nodes, i, v)
		if (rc == 0 && (!json_is_integer(v) || json_integer_value(v) < 1))
			rc = pg_err_set(err, PG_EINVAL, "nodes", "nodes[%zu] must be a node id", i);
	if (rc == 0 && !labels && !nodes)
		rc = pg_err_set(err, PG_EINVAL, "", "give labels (a selector) or nodes (ids)");
	if (rc != 0)
		pg_err_prefix_field(err, "selector");
	return rc;
}

static int check_strategy(json_t *s, struct pg_err *err)
{
	static const char *const fields[] = {"batchSize",
	                                     "batchPercent",
	                                     "canary",
	                                     "maxParallel",
	                                     "failureThreshold",
	                                     "batchTimeoutSec",
	                                     "pauseBetweenBatchesSec",
	                                     "pauseAfterCanary",
	                                     "upstreamStrategy",
	                                     "onDrift",
	                                     NULL};
	int64_t n;
	bool b;
	const char *us = NULL, *od = NULL;
	int rc = pg_json_only(s, fields, err);
	if (rc == 0)
		rc = pg_json_int(s, "batchSize", false, 1, 100000, &n, err);
	if (rc == 0)
		rc = pg_json_int(s, "batchPercent", false, 1, 100, &n, err);
	if (rc == 0 && json_is_boolean(json_object_get(s, "canary")))
		rc = pg_json_bool(s, "canary", false, &b, err);
	else if (rc == 0)
		rc = pg_json_int(s, "canary", false, 0, 100000, &n, err);
	if (rc == 0)
		rc = pg_json_int(s, "maxParallel", false, 1, 100000, &n, err);
	if (rc == 0)
		rc = pg_json_int(s, "failureThreshold", false, 0, 100000, &n, err);
	if (rc == 0)
		rc = pg_json_int(s, "batchTimeoutSec", false, 1, 86400, &n, err);
	if (rc == 0)
		rc = pg_json_int(s, "pauseBetweenBatchesSec", false, 0, 86400, &n, err);
	if (rc == 0)
		rc = pg_json_bool(s, "pauseAfterCanary", false, &b, err);
	if (rc == 0)
		rc = pg_json_str(s, "upstreamStrategy", false, 1, &us, err);
	if (rc == 0 && us && strcmp(us, "A") && strcmp(us, "B"))
		rc = pg_err_set(err, PG_EINVAL, "upstreamStrategy",
		                "upstreamStrategy must be A or B");
	if (rc == 0)
		rc = pg_json_str(s, "onDrift", false, 16, &od, err);
	if (rc == 0 && od && strcmp(od, "alert") && strcmp(od, "heal"))
		rc = pg_err_set(err, PG_EINVAL, "onDrift", "onDrift must be alert or heal");
	if (rc != 0)
		pg_err_prefix_field(err, "strategy");
	return rc;
}

static bool on_change_ok(const char *v)
{
	if (!strcmp(v, "restart") || !strcmp(v, "reload") || !strcmp(v, "none"))
		return true;
	for (int i = 0; !strncmp(v, "signal:", 7) && cluster_signals[i]; i++)
		if (!strcmp(v + 7, cluster_signals[i]))
			return true;
	return false;
}

/* spec.artifacts, checked as a release would freeze them (blobs are looked
 * up then). */
static int check_artifacts(const char *name, json_t *spec, struct pg_err *err)
{
	if (!json_object_get(spec, "artifacts"))
		return 0;
	json_t *fetch = NULL;
	int rc = app_artifacts_freeze(NULL, name, json_object_get(spec, "artifacts"), &fetch, err);
	json_decref(fetch);
	if (rc != 0)
		pg_err_prefix_field(err, "artifacts");
	return rc;
}

/* A ReverseProxy's spec holds only the artifacts its static locations serve. */
static int check_proxy_spec(const char *name, json_t *spec, struct pg_err *err)
{
	static const char *const fields[] = {"artifacts", NULL};
	int rc = pg_json_only(spec, fields, err);
	if (rc != 0)
		snprintf(
		        err->message, sizeof(err->message), "%s",
		        "a ReverseProxy's spec holds only artifacts (for static sites); the rest is "
		        "its ingresses");
	return rc == 0 ? check_artifacts(name, spec, err) : rc;
}

/* The unit of a SystemdService app, rendered to prove the spec renders. */
static int check_systemd_spec(struct app *a, const char *name, json_t *spec, struct pg_err *err)
{
	static const char *const fields[] = {"unit",    "configFiles", "listenPort", "healthCheck",
	                                     "service", "artifacts",   "schedule",   NULL};
	static const char *const file_fields[] = {"configId", "version",     "path",
	                                          "mode",     "owner",       "group",
	                                          "onChange", "autoRelease", NULL};
	json_t *unit = NULL, *files = NULL, *hc = NULL, *svc = NULL;
	int64_t port = 0, n;
	const char *s;
	int rc = pg_json_only(spec, fields, err);
	if (rc == 0)
		rc = pg_json_obj(spec, "unit", true, &unit, err);
	if (rc == 0)
		rc = check_artifacts(name, spec, err);
	if (rc == 0) {
		char *text = NULL;
		rc = app_render_unit(a, name, spec, &text, err);
		free(text);
	}
	if (rc == 0 && json_object_get(spec, "schedule")) {
		char *text = NULL;
		rc = app_render_timer(a, name, spec, &text, err);
		free(text);
		/* a job runs and exits: nothing listens, nothing to probe or register */
		static const char *const not_for_jobs[] = {"listenPort", "healthCheck", "service"};
		for (size_t k = 0; rc == 0 && k < 3; k++)
			if (json_object_get(spec, not_for_jobs[k]))
				rc = pg_err_set(
				        err, PG_EINVAL, not_for_jobs[k],
				        "a scheduled job (spec.schedule) runs and exits: it "
				        "takes no %s",
				        not_for_jobs[k]);
	}
	if (rc == 0)
		rc = pg_json_arr(spec, "configFiles", false, 64, &files, err);
	size_t i;
	json_t *f;
	json_array_foreach (files, i, f) {
		if (rc != 0)
			break;
		rc = json_is_object(f) ? pg_json_only(f, file_fields, err)
		                       : pg_err_set(err, PG_EINVAL, "", "must be an object");
		if (rc == 0)
			rc = pg_json_int(f, "configId", true, 1, INT64_MAX, &n, err);
		if (rc == 0)
			rc = pg_json_int(f, "version", false, 1, INT64_MAX, &n, err);
		if (rc == 0)
			rc = pg_json_str(f, "path", true, 4096, &s, err);
		const char *oc = NULL;
		bool ar = false;
		if (rc == 0)
			rc = pg_json_str(f, "onChange", false, 32, &oc, err);
		if (rc == 0 && oc && !on_change_ok(oc))
			rc = pg_err_set(
			        err, PG_EINVAL, "onChange",
			        "onChange must be restart, reload, none or signal:NAME (HUP, "
			        "USR1, USR2, INT, TERM, QUIT, WINCH)");
		if (rc == 0)
			rc = pg_json_bool(f, "autoRelease", false, &ar, err);
		if (rc == 0 && ar && json_object_get(f, "version"))
			rc = pg_err_set(
			        err, PG_EINVAL, "autoRelease",
			        "autoRelease follows published versions: it cannot go with a "
			        "pinned version");
		/* the payload checks (path, mode, owner) run again when queued */
		json_t *probe = rc == 0 ? json_pack("{s:[{s:O, s:s, s:O?, s:O?, s:O?}]}", "files",
		                                    "path", json_object_get(f, "path"), "content",
		                                    "", "mode", json_object_get(f, "mode"), "owner",
		                                    json_object_get(f, "owner"), "group",
		                                    json_object_get(f, "group"))
		                        : NULL;
		if (probe) {
			rc = cluster_task_validate("ApplyConfigFiles", probe, err);
			json_decref(probe);
			if (rc != 0) {
				const char *dot = strrchr(err->field, '.');
				memmove(err->field, dot ? dot + 1 : err->field,
				        strlen(dot ? dot + 1 : err->field) + 1);
			}
		}
		if (rc != 0) {
			char pre[48];
			snprintf(pre, sizeof(pre), "configFiles[%zu]", i);
			pg_err_prefix_field(err, pre);
		}
	}
	if (rc == 0)
		rc = pg_json_int(spec, "listenPort", false, 1, 65535, &port, err);
	if (rc == 0)
		rc = pg_json_obj(spec, "healthCheck", false, &hc, err);
	if (rc == 0 && hc) {
		static const char *const hc_fields[] = {"type",       "path",    "expectStatus",
		                                        "timeoutSec", "retries", "intervalSec",
		                                        NULL};
		static const char *const types[] = {"http", "tcp", "process", NULL};
		const char *type = "tcp";
		rc = pg_json_only(hc, hc_fields, err);
		if (rc == 0)
			rc = check_enum(hc, "type", types, &type, err);
		if (rc == 0)
			rc = pg_json_str(hc, "path", strcmp(type, "http") == 0, 1024, &s, err);
		if (rc == 0 && strcmp(type, "http") == 0 &&
		    (s[0] != '/' || !pg_str_is_printable(s) || strchr(s, ' ')))
			rc = pg_err_set(err, PG_EINVAL, "path", "path must be a URL path");
		if (rc == 0)
			rc = pg_json_int(hc, "expectStatus", false, 100, 599, &n, err);
		if (rc == 0)
			rc = pg_json_int(hc, "timeoutSec", false, 1, 60, &n, err);
		if (rc == 0)
			rc = pg_json_int(hc, "retries", false, 0, 600, &n, err);
		if (rc == 0)
			rc = pg_json_int(hc, "intervalSec", false, 1, 3600, &n, err);
		if (rc == 0 && strcmp(type, "process") != 0 && !port)
			rc = pg_err_set(err, PG_EINVAL, "type",
			                "http and tcp checks need listenPort");
		if (rc != 0)
			pg_err_prefix_field(err, "healthCheck");
	}
	if (rc == 0)
		rc = pg_json_obj(spec, "service", false, &svc, err);
	if (rc == 0 && svc) {
		static const char *const svc_fields[] = {"name", "protocol", NULL};
		rc = pg_json_only(svc, svc_fields, err);
		if (rc != 0)
			pg_err_prefix_field(err, "service");
	}
	if (rc != 0)
		pg_err_prefix_field(err, "spec");
	return rc;
}

/* Merges body over base (the stored app, or defaults) and validates the
 * result; *out is the application to store. */
static int merge_app(struct app *a, json_t *base, json_t *body, bool create, json_t **out,
                     struct pg_err *err)
{
	static const char *const fields[] = {
	        "name", "type",     "labels",   "selector",        "desiredState",
	        "spec", "strategy", "rollback", "requireApproval", NULL};
	static const char *const types[] = {"SystemdService", "ReverseProxy", NULL};
	static const char *const states[] = {"Running", "Stopped", NULL};
	static const char *const modes[] = {"auto", "manual", NULL};
	int rc = pg_json_only(body, fields, err);
	if (rc != 0)
		return rc;
	if (!create && (json_object_get(body, "name") || json_object_get(body, "type")))
		return pg_err_set(err, PG_EINVAL, json_object_get(body, "name") ? "name" : "type",
		                  "the name and type of an application do not change");
	json_t *app = json_deep_copy(base);
	const char *k;
	json_t *v;
	json_object_foreach (body, k, v)
		json_object_set(app, k, v);
	const char *name = NULL, *e = NULL;
	json_t *o = NULL;
	bool b;
	rc = pg_json_str(app, "name", true, 40, &name, err);
	if (rc == 0 && !app_name_ok(name))
		rc = pg_err_set(err, PG_EINVAL, "name",
		                "name must be 1-40 lowercase letters, digits and '-'");
	if (rc == 0 && !json_object_get(app, "type"))
		rc = pg_err_set(err, PG_EINVAL, "type",
		                "type is required (SystemdService or ReverseProxy)");
	if (rc == 0)
		rc = check_enum(app, "type", types, &e, err);
	if (rc == 0)
		rc = check_enum(app, "desiredState", states, &e, err);
	if (rc == 0)
		rc = check_enum(app, "rollback", modes, &e, err);
	if (rc == 0)
		rc = pg_json_bool(app, "requireApproval", false, &b, err);
	if (rc == 0 && (rc = pg_json_obj(app, "labels", false, &o, err)) == 0 && o)
		rc = pg_json_string_map(o, "labels", 64, err);
	if (rc == 0 && (rc = pg_json_obj(app, "selector", true, &o, err)) == 0)
		rc = check_selector(o, err);
	if (rc == 0 && (rc = pg_json_obj(app, "strategy", false, &o, err)) == 0 && o)
		rc = check_strategy(o, err);
	if (rc == 0)
		rc = pg_json_obj(app, "spec", false, &o, err);
	bool systemd = rc == 0 && strcmp(json_string_value(json_object_get(app, "type")),
	                                 "SystemdService") == 0;
	if (rc == 0 && systemd && !o)
		rc = pg_err_set(err, PG_EINVAL, "spec", "a SystemdService needs spec.unit");
	if (rc == 0 && systemd)
		rc = check_systemd_spec(a, name, o, err);
	if (rc == 0 && !systemd && o && (rc = check_proxy_spec(name, o, err)) != 0)
		pg_err_prefix_field(err, "spec");
	if (rc != 0) {
		json_decref(app);
		return rc;
	}
	static const char *const defaults[][2] = {{"desiredState", "Running"},
	                                          {"rollback", "manual"}};
	for (int i = 0; i < 2; i++)
		if (!json_object_get(app, defaults[i][0]))
			json_object_set_new(app, defaults[i][0], json_string(defaults[i][1]));
	const char *objs[] = {"labels", "spec", "strategy"};
	for (int i = 0; i < 3; i++)
		if (!json_object_get(app, objs[i]))
			json_object_set_new(app, objs[i], json_object());
	*out = app;
	return 0;
}

/* The registry service a SystemdService app with a port provides. */
json_t *app_service_of(json_t *app)
{
	json_t *spec = json_object_get(app, "spec"), *svc = json_object_get(spec, "service");
	json_t *port = json_object_get(spec, "listenPort");
	if (strcmp(json_string_value(json_object_get(app, "type")), "SystemdService") != 0 || !port)
		return NULL;
	const char *name = json_string_value(json_object_get(svc, "name"));
	const char *proto = json_string_value(json_object_get(svc, "protocol"));
	json_t *hc = json_object_get(spec, "healthCheck");
	json_t *rhc = json_pack("{s:s}", "type",
	                        hc ? json_string_value(json_object_get(hc, "type")) : "tcp");
	if (json_object_get(hc, "path"))
		json_object_set(rhc, "path", json_object_get(hc, "path"));
	if (json_object_get(hc, "intervalSec"))
		json_object_set(rhc, "intervalSec", json_object_get(hc, "intervalSec"));
	return json_pack("{s:s, s:s, s:O, s:o}", "name",
	                 name ? name : json_string_value(json_object_get(app, "name")), "protocol",
	                 proto ? proto : "http", "port", port, "healthCheck", rhc);
}

static struct store_conn *begin(struct app *a, struct pg_err *err)
{
	struct store_conn *c = store_conn_get(a->store, err);
	if (c && store_begin(c, STORE_TX_WRITE, err) != 0)
		return NULL;
	return c;
}

/* Registers (or updates) the app's service in the registry. */
static int sync_service(struct app *a, const struct pg_call *call, json_t *app, struct pg_err *err)
{
	json_t *svc = app_service_of(app), *out = NULL;
	if (!svc)
		return 0;
	int rc = registry_service_put(a->registry, call, svc, false, &out, err);
	if (rc != 0)
		pg_err_prefix_field(err, "spec.service");
	json_decref(svc);
	json_decref(out);
	return rc;
}

int app_create(struct app *a, const struct pg_call *call, json_t *body, json_t **out,
               struct pg_err *err)
{
	json_t *app = NULL, *base = json_object();
	int rc = merge_app(a, base, body, true, &app, err);
	json_decref(base);
	if (rc != 0)
		return rc;
	int64_t id = 0;
	struct store_conn *c = begin(a, err);
	rc = c ? app_store_insert(c, app, &id, err) : err->code;
	if (rc == 0)
		rc = audit_record(c, call, "app.create", "app", id, app, err);
	if (c)
		rc = store_end(c, rc, err);
	if (rc == 0)
		rc = sync_service(a, call, app, err);
	json_decref(app);
	if (rc == 0 && (c = store_conn_get(a->store, err)))
		rc = app_store_get(c, id, out, err);
	return rc;
}

int app_update(struct app *a, const struct pg_call *call, int64_t id, json_t *body, json_t **out,
               struct pg_err *err)
{
	struct store_conn *c = begin(a, err);
	if (!c)
		return err->code;
	json_t *base = NULL, *app = NULL;
	int rc = app_store_get(c, id, &base, err);
	if (rc == 0)
		rc = merge_app(a, base, body, false, &app, err);
	if (rc == 0)
		rc = app_store_update(c, id, app, err);
	if (rc == 0)
		rc = audit_record(c, call, "app.update", "app", id, body, err);
	rc = store_end(c, rc, err);
	if (rc == 0)
		rc = sync_service(a, call, app, err);
	if (rc == 0)
		rc = app_store_get(c, id, out, err);
	json_decref(base);
	json_decref(app);
	return rc;
}

int app_ingress_find(struct app *a, int64_t id, json_t **out, struct pg_err *err)
{
	struct store_conn *c = store_conn_get(a->store, err);
	return c ? app_ingress_get(c, id, out, err) : err->code;
}

int app_get(struct app *a, int64_t id, json_t **out, struct pg_err *err)
{
	struct store_conn *c = store_conn_get(a->store, err);
	if (!c)
		return err->code;
	json_t *ingresses = json_array();
	int rc = app_store_get(c, id, out, err);
	if (rc == 0)
		rc = app_ingress_list(c, id, ingresses, err);
	if (rc == 0)
		json_object_set(*out, "ingresses", ingresses);
	json_decref(ingresses);
	return rc;
}

/* Validates an ingress by rendering it with no backends. */
static int check_ingress(struct app *a, const char *app_name, json_t *spec, const char *site,
                         struct pg_err *err)
{
	static const char *const fields[] = {
	        "domains",       "paths",     "tls",     "upstreamStrategy", "clientMaxBodySize",
	        "acme",          "hsts",      "headers", "rateLimit",        "rewrites",
	        "proxyTimeouts", "balancing", NULL};
	int rc = pg_json_only(spec, fields, err);
	json_t *paths = NULL;
	if (rc == 0)
		rc = pg_json_arr(spec, "paths", true, 100, &paths, err);
	if (rc == 0 && json_array_size(paths) == 0)
		rc = pg_err_set(err, PG_EINVAL, "paths", "list at least one path rule");
	const char *us = NULL;
	if (rc == 0)
		rc = pg_json_str(spec, "upstreamStrategy", false, 1, &us, err);
	if (rc == 0 && us && strcmp(us, "A") && strcmp(us, "B"))
		rc = pg_err_set(err, PG_EINVAL, "upstreamStrategy",
		                "upstreamStrategy must be A or B");
	json_t *in = NULL;
	if (rc == 0)
		rc = app_ingress_site_input(a, app_name, site, spec, false, &in, err);
	char *text = NULL, sha[65];
	if (rc == 0)
		rc = app_ingress_render(a, in, &text, sha, err);
	free(text);
	json_decref(in);
	return rc;
}

/* The first of name, name-2, name-3, ... no ingress in list uses (a deleted
 * ingress leaves a gap a count would collide with). */
static void free_site_name(const char *name, json_t *list, char *site, size_t len)
{
	for (size_t n = 1;; n++) {
		if (n == 1)
			snprintf(site, len, "%s", name);
		else
			snprintf(site, len, "%s-%zu", name, n);
		bool used = false;
		size_t i;
		json_t *ing;
		json_array_foreach (list, i, ing)
			used = used ||
			       strcmp(json_string_value(json_object_get(ing, "nginxSiteName")),
			              site) == 0;
		if (!used)
			return;
	}
}

int app_ingress_remove(struct app *a, const struct pg_call *call, int64_t id, struct pg_err *err)
{
	struct store_conn *c = begin(a, err);
	if (!c)
		return err->code;
	json_t *old = NULL;
	int rc = app_ingress_get(c, id, &old, err);
	if (rc == 0)
		rc = app_ingress_delete(c, id, err);
	if (rc == 0)
		rc = audit_record(c, call, "ingress.delete", "ingress", id, old, err);
	json_decref(old);
	return store_end(c, rc, err);
}

int app_ingress_put(struct app *a, const struct pg_call *call, int64_t app_id, int64_t ingress_id,
                    json_t *spec, json_t **out, struct pg_err *err)
{
	struct store_conn *c = begin(a, err);
	if (!c)
		return err->code;
	json_t *app = NULL, *old = NULL, *list = json_array();
	char site[96];
	int rc = ingress_id ? app_ingress_get(c, ingress_id, &old, err) : 0;
	if (rc == 0 && old)
		app_id = json_integer_value(json_object_get(old, "appId"));
	if (rc == 0)
		rc = app_store_get(c, app_id, &app, err);
	if (rc == 0 && strcmp(json_string_value(json_object_get(app, "type")), "ReverseProxy") != 0)
		rc = pg_err_set(err, PG_EPRECOND, "type",
		                "ingresses belong to ReverseProxy applications");
	if (rc == 0)
		rc = app_ingress_list(c, app_id, list, err);
	if (rc == 0) {
		if (old)
			snprintf(site, sizeof(site), "%s",
			         json_string_value(json_object_get(old, "nginxSiteName")));
		else
			free_site_name(json_string_value(json_object_get(app, "name")), list, site,
			               sizeof(site));
		rc = check_ingress(a, json_string_value(json_object_get(app, "name")), spec, site,
		                   err);
	}
	if (rc == 0 && !ingress_id)
		rc = app_ingress_insert(c, app_id, spec, site, &ingress_id, err);
	else if (rc == 0)
		rc = app_ingress_update(c, ingress_id, spec, err);
	if (rc == 0)
		rc = audit_record(c, call, old ? "ingress.update" : "ingress.create", "ingress",
		                  ingress_id, spec, err);
	if (rc == 0)
		rc = app_ingress_get(c, ingress_id, out, err);
	json_decref(app);
	json_decref(old);
	json_decref(list);
	return store_end(c, rc, err);
}

void app_set_certs(struct app *a, const struct app_certs *certs)
{
	a->certs = *certs;
}

/* The applications (with their ingresses as "ingresses") whose ingress
 * uses certificate cert_id, read on c. */
static int apps_using(struct app *a, struct store_conn *c, int64_t cert_id, json_t *found,
                      struct pg_err *err)
{
	json_t *apps = json_array();
	int rc = app_store_list(c, 0, 100000, apps, err);
	size_t i, j;
	json_t *app, *ing;
	json_array_foreach (apps, i, app) {
		json_t *ings = json_array();
		if (rc == 0)
			rc = app_ingress_list(c, json_integer_value(json_object_get(app, "id")),
			                      ings, err);
		json_array_foreach (ings, j, ing)
			if (json_integer_value(json_object_get(json_object_get(ing, "tls"),
			                                       "certificateId")) == cert_id) {
				json_object_set_new(app, "ingressId",
				                    json_incref(json_object_get(ing, "id")));
				json_array_append(found, app);
				break;
			}
		json_decref(ings);
	}
	json_decref(apps);
	return rc;
}

bool app_certificate_in_use(struct app *a, int64_t cert_id, char *by, size_t len)
{
	struct pg_err err = {0};
	struct store_conn *c = store_conn_get(a->store, &err);
	json_t *found = json_array(), *app = NULL;
	if (c && apps_using(a, c, cert_id, found, &err) == 0 && (app = json_array_get(found, 0)))
		snprintf(by, len, "ingress %lld of application %s",
		         (long long)json_integer_value(json_object_get(app, "ingressId")),
		         json_string_value(json_object_get(app, "name")));
	json_decref(found);
	return app != NULL;
}

int app_certificate_nodes(struct app *a, struct store_conn *c, int64_t cert_id, json_t *node_ids,
                          struct pg_err *err)
{
	json_t *found = json_array(), *app;
	int rc = apps_using(a, c, cert_id, found, err);
	size_t i, j, k;
	json_array_foreach (found, i, app) {
		json_t *targets = NULL, *n, *have;
		if (rc == 0)
			rc = app_targets(a, app, &targets, err);
		json_array_foreach (targets, j, n) {
			bool dup = false;
			json_array_foreach (node_ids, k, have)
				dup = dup || json_equal(have, json_object_get(n, "id"));
			if (!dup)
				json_array_append(node_ids, json_object_get(n, "id"));
		}
		json_decref(targets);
	}
	json_decref(found);
	return rc;
}
