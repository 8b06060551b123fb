/* Releases: which nodes, frozen artifacts (what every node should run), and
 * the diff against the application's current release. */
#include "application/app_int.h"
#include "nginx/nginx.h"
#include "audit/audit.h"
#include "cluster/cluster.h"
#include "common/pg_crypto.h"
#include "common/pg_diff.h"
#include "common/pg_json.h"
#include "common/pg_log.h"
#include "config/config.h"
#include "lua/plua_policy.h"
#include "registry/registry.h"
#include "store/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *app_node_unready(const json_t *app, const json_t *node, char *buf, size_t len)
{
	const char *type = json_string_value(json_object_get(app, "type"));
	json_t *caps = json_object_get(node, "capabilities");
	const char *name = json_string_value(json_object_get(node, "name"));
	/* a node that has not reported yet is planned: its tasks will tell */
	if (!json_is_object(caps) || !type)
		return NULL;
	if (strcmp(type, "SystemdService") == 0 &&
	    json_is_true(json_object_get(caps, "rootPrefix")))
		snprintf(buf, len,
		         "node %s: its agent runs with --root, which runs no systemd task: run the "
		         "agent "
		         "without --root (the pagoda-agent package does) to deploy services there",
		         name);
	else if (strcmp(type, "SystemdService") == 0 &&
	         json_is_false(json_object_get(caps, "systemd")))
		snprintf(buf, len,
		         "node %s: systemd is not running there, and a SystemdService needs it",
		         name);
	else if (strcmp(type, "ReverseProxy") == 0 && json_is_false(json_object_get(caps, "nginx")))
		snprintf(buf, len,
		         "node %s: nginx is not installed there (apt-get install nginx), and a "
		         "ReverseProxy "
		         "needs it",
		         name);
	else
		return NULL;
	return buf;
}

int app_targets(struct app *a, json_t *app, json_t **nodes, struct pg_err *err)
{
	json_t *sel = json_object_get(app, "selector");
	const char *labels = json_string_value(json_object_get(sel, "labels"));
	json_t *ids = json_object_get(sel, "nodes");
	int rc = 0;
	if (labels || !ids) {
		rc = cluster_nodes_select(a->cluster, labels, nodes, err);
	} else {
		*nodes = json_array();
	}
	size_t i;
	json_t *v;
	json_array_foreach (ids, i, v) {
		if (rc != 0)
			break;
		bool have = false;
		size_t j;
		json_t *n;
		json_array_foreach (*nodes, j, n)
			have = have || json_equal(json_object_get(n, "id"), v);
		json_t *node = NULL;
		if (have)
			continue;
		rc = cluster_node_get(a->cluster, json_integer_value(v), &node, err);
		if (rc == PG_ENOTFOUND) { /* a listed node that is gone is skipped, not fatal */
			rc = 0;
			continue;
		}
		if (rc == 0)
			json_array_append_new(*nodes, node);
	}
	if (rc != 0) {
		json_decref(*nodes);
		*nodes = NULL;
	}
	return rc;
}

static const char *identifier_of(const char *s, char *buf, size_t len)
{
	size_t n = 0;
	for (; *s && n + 1 < len; s++)
		buf[n++] = (char)(strchr("abcdefghijklmnopqrstuvwxyz0123456789_", *s) ? *s : '_');
	buf[n] = '\0';
	return buf;
}

int app_ingress_tls(struct app *a, json_t *tls, json_t **out, struct pg_err *err)
{
	json_t *id = json_object_get(tls, "certificateId");
	*out = json_is_object(tls) ? json_deep_copy(tls) : json_incref(tls);
	if (!id)
		return 0;
	char cp[300], kp[300];
	int rc = 0;
	if (!json_is_integer(id) || json_integer_value(id) < 1)
		rc = pg_err_set(err, PG_EINVAL, "tls.certificateId",
		                "tls.certificateId must be a certificate id");
	else if (json_object_get(tls, "certPath") || json_object_get(tls, "keyPath"))
		rc = pg_err_set(err, PG_EINVAL, "tls.certificateId",
		                "give tls.certificateId or certPath/keyPath, not both");
	else if (!a->certs.paths)
		rc = pg_err_set(err, PG_EUNAVAIL, "tls.certificateId",
		                "the certificate center is not running");
	else
		rc = a->certs.paths(a->certs.arg, json_integer_value(id), cp, kp, err);
	if (rc != 0) {
		json_decref(*out);
		*out = NULL;
		return rc;
	}
	json_object_del(*out, "certificateId");
	json_object_set_new(*out, "certPath", json_string(cp));
	json_object_set_new(*out, "keyPath", json_string(kp));
	if (!json_object_get(*out, "enabled"))
		json_object_set_new(*out, "enabled", json_true());
	return 0;
}

/* The upstream of a service path: its registry endpoints filtered by
 * upstream.lua, or (resolve false: validation) an unavailable one. */
static int ingress_upstream(struct app *a, json_t *ing, const char *up, const char *svc,
                            bool resolve, json_t **out, struct pg_err *err)
{
	if (!resolve) {
		*out = json_pack("{s:s, s:s, s:[]}", "name", up, "status", "unavailable",
		                 "servers");
		return 0;
	}
	const char *strategy = json_string_value(json_object_get(ing, "upstreamStrategy"));
	json_t *eps = NULL, *res = NULL;
	int64_t index;
	int rc = registry_endpoints(a->registry, svc, false, &eps, &index, err);
	if (rc == PG_ENOTFOUND) { /* no such service yet: nothing to proxy to */
		rc = 0;
		eps = json_array();
	}
	if (rc == 0) {
		json_t *opts = json_pack("{s:s}", "strategy", strategy ? strategy : "B");
		json_t *service = json_pack("{s:s}", "name", svc);
		rc = plua_upstream_filter(a->lua, service, eps, opts, &res, err);
		json_decref(opts);
		json_decref(service);
	}
	json_decref(eps);
	if (rc == 0)
		*out = json_pack("{s:s, s:O, s:O}", "name", up, "status",
		                 json_object_get(res, "status"), "servers",
		                 json_object_get(res, "servers"));
	json_decref(res);
	return rc;
}

int app_ingress_site_input(struct app *a, const char *app_name, const char *site, json_t *ing,
                           bool resolve, json_t **out, struct pg_err *err)
{
	json_t *ups = json_array(), *locs = json_array();
	int rc = 0;
	size_t i;
	json_t *p;
	json_array_foreach (json_object_get(ing, "paths"), i, p) {
		const char *svc = json_string_value(json_object_get(p, "service"));
		json_t *st = json_object_get(p, "static");
		if (!json_is_object(p) || (!svc && !st)) {
			rc = pg_err_set(err, PG_EINVAL, "paths",
			                "paths[%zu] needs path and service or static", i);
			break;
		}
		json_t *loc = json_pack("{s:O?}", "path", json_object_get(p, "path"));
		json_array_append_new(locs, loc);
		if (st) { /* the template refuses service and static together */
			json_object_set(loc, "static", st);
			if (!svc)
				continue;
		}
		char up[160], id1[64], id2[64];
		snprintf(up, sizeof(up), "%s__%s", identifier_of(site, id1, sizeof(id1)),
		         identifier_of(svc, id2, sizeof(id2)));
		json_object_set_new(loc, "upstream", json_string(up));
		bool seen = false;
		size_t j;
		json_t *u, *res = NULL;
		json_array_foreach (ups, j, u)
			seen = seen ||
			       strcmp(json_string_value(json_object_get(u, "name")), up) == 0;
		if (seen)
			continue;
		if ((rc = ingress_upstream(a, ing, up, svc, resolve, &res, err)) != 0)
			break;
		json_array_append_new(ups, res);
	}
	char dir[300];
	snprintf(dir, sizeof(dir), "/var/lib/pagoda/apps/%s/current", app_name);
	json_t *in =
	        json_pack("{s:s, s:s, s:O?, s:o, s:o}", "name", site, "releaseDir", dir, "domains",
	                  json_object_get(ing, "domains"), "locations", locs, "upstreams", ups);
	/* the ingress fields the template takes as they are */
	static const char *const pass[] = {"acme",          "clientMaxBodySize", "hsts",
	                                   "headers",       "rateLimit",         "rewrites",
	                                   "proxyTimeouts", "balancing",         NULL};
	for (int k = 0; pass[k]; k++)
		if (json_object_get(ing, pass[k]))
			json_object_set(in, pass[k], json_object_get(ing, pass[k]));
	json_t *tls = NULL;
	if (rc == 0)
		rc = app_ingress_tls(a, json_object_get(ing, "tls"), &tls, err);
	if (tls)
		json_object_set_new(in, "tls", tls);
	if (rc != 0) {
		json_decref(in);
		return rc;
	}
	*out = in;
	return 0;
}

/* Renders a site input; a template error names the ingress's field (paths
 * where the template says locations). */
int app_ingress_render(struct app *a, json_t *in, char **text, char sha[65], struct pg_err *err)
{
	int rc = nginx_site_render(a->lua, in, text, sha, err);
	if (rc != 0 && strncmp(err->field, "locations", 9) == 0) {
		char tmp[sizeof(err->field)];
		snprintf(tmp, sizeof(tmp), "paths%s", err->field + 9);
		snprintf(err->field, sizeof(err->field), "%s", tmp);
		/* the message starts with the field name too */
		if (strncmp(err->message, "locations", 9) == 0) {
			char m[sizeof(err->message)];
			snprintf(m, sizeof(m), "paths%s", err->message + 9);
			snprintf(err->message, sizeof(err->message), "%s", m);
		}
	}
	return rc;
}

/* One site per ingress, upstreams from the registry through upstream.lua. */
static int render_ingress(struct app *a, const char *app_name, json_t *ing, json_t **site,
                          struct pg_err *err)
{
	const char *name = json_string_value(json_object_get(ing, "nginxSiteName"));
	json_t *in = NULL;
	char *text = NULL, sha[65];
	int rc = app_ingress_site_input(a, app_name, name, ing, true, &in, err);
	if (rc == 0)
		rc = app_ingress_render(a, in, &text, sha, err);
	json_decref(in);
	if (rc != 0)
		return rc;
	*site = json_pack("{s:s, s:s, s:s, s:O?}", "siteName", name, "content", text, "sha256", sha,
	                  "certificateId",
	                  json_object_get(json_object_get(ing, "tls"), "certificateId"));
	free(text);
	return 0;
}

void app_sites_sha(json_t *sites, char sha[65])
{
	char all[8192] = "";
	size_t i;
	json_t *s;
	json_array_foreach (sites, i, s)
		snprintf(all + strlen(all), sizeof(all) - strlen(all), "%s\n",
		         json_string_value(json_object_get(s, "sha256")));
	pg_sha256_hex(all, strlen(all), sha);
}

int app_render_sites(struct app *a, const char *app_name, json_t *ingresses, json_t **sites,
                     char sha[65], struct pg_err *err)
{
	*sites = json_array();
	size_t i;
	json_t *ing;
	json_array_foreach (ingresses, i, ing) {
		json_t *site = NULL;
		int rc = render_ingress(a, app_name, ing, &site, err);
		if (rc != 0) {
			json_decref(*sites);
			return rc;
		}
		json_array_append_new(*sites, site);
	}
	app_sites_sha(*sites, sha);
	return 0;
}

/* What every target node should run, frozen at release creation. */
static int build_artifacts(struct app *a, struct store_conn *c, json_t *app, json_t *ingresses,
                           json_t **out, struct pg_err *err)
{
	const char *type = json_string_value(json_object_get(app, "type"));
	const char *name = json_string_value(json_object_get(app, "name"));
	json_t *art = json_pack("{s:s, s:O}", "type", type, "desiredState",
	                        json_object_get(app, "desiredState"));
	int rc = 0;
	json_t *arts = json_object_get(json_object_get(app, "spec"), "artifacts");
	if (json_array_size(arts) > 0) {
		json_t *fetch = NULL;
		rc = app_artifacts_freeze(c, name, arts, &fetch, err);
		if (rc == 0)
			json_object_set_new(art, "fetch", fetch);
		else
			pg_err_prefix_field(err, "spec.artifacts");
	}
	if (rc == 0 && strcmp(type, "ReverseProxy") == 0) {
		json_t *sites = NULL;
		char sha[65];
		rc = app_render_sites(a, name, ingresses, &sites, sha, err);
		if (rc == 0)
			json_object_set_new(art, "sites", sites);
	} else if (rc == 0) {
		json_t *spec = json_object_get(app, "spec");
		char unit_name[64], *text = NULL, sha[65];
		snprintf(unit_name, sizeof(unit_name), "%s.service", name);
		rc = app_render_unit(a, name, spec, &text, err);
		if (rc != 0)
			pg_err_prefix_field(err, "spec");
		if (rc == 0) {
			pg_sha256_hex(text, strlen(text), sha);
			json_object_set_new(art, "unit",
			                    json_pack("{s:s, s:s, s:s}", "name", unit_name,
			                              "content", text, "sha256", sha));
		}
		free(text);
		text = NULL;
		if (rc == 0 && json_object_get(spec, "schedule")) {
			rc = app_render_timer(a, name, spec, &text, err);
			if (rc != 0)
				pg_err_prefix_field(err, "spec");
		}
		if (text) {
			snprintf(unit_name, sizeof(unit_name), "%s.timer", name);
			pg_sha256_hex(text, strlen(text), sha);
			json_object_set_new(art, "timer",
			                    json_pack("{s:s, s:s, s:s}", "name", unit_name,
			                              "content", text, "sha256", sha));
		}
		free(text);
		json_t *configs = json_array();
		size_t i;
		json_t *f;
		json_array_foreach (json_object_get(spec, "configFiles"), i, f) {
			int64_t used = 0;
			bool secret = false;
			if (rc == 0)
				rc = config_resolve(
				        a->config,
				        json_integer_value(json_object_get(f, "configId")),
				        json_integer_value(json_object_get(f, "version")), &used,
				        &secret, err);
			if (rc != 0) {
				char pre[64];
				snprintf(pre, sizeof(pre), "spec.configFiles[%zu]", i);
				pg_err_prefix_field(err, pre);
				break;
			}
			json_t *cf = json_deep_copy(f);
			json_object_set_new(cf, "version", json_integer(used));
			json_object_set_new(cf, "secret", json_boolean(secret));
			json_array_append_new(configs, cf);
		}
		json_object_set_new(art, "configs", configs);
		json_t *svc = app_service_of(app);
		if (svc)
			json_object_set_new(art, "service", svc);
		if (json_object_get(spec, "listenPort"))
			json_object_set(art, "listenPort", json_object_get(spec, "listenPort"));
		if (json_object_get(spec, "healthCheck"))
			json_object_set(art, "healthCheck", json_object_get(spec, "healthCheck"));
	}
	if (rc != 0) {
		json_decref(art);
		return rc;
	}
	*out = art;
	return 0;
}

static void text_diff(FILE *o, const char *label, const char *a, const char *b)
{
	char la[200], lb[200];
	snprintf(la, sizeof(la), "%s (current)", label);
	snprintf(lb, sizeof(lb), "%s (release)", label);
	char *d = pg_diff_unified(a ? a : "", b ? b : "", la, lb, 3);
	if (d)
		fputs(d, o);
	free(d);
}

/* The unit file under key ("unit", "timer") of old and new artifacts. */
static void diff_unit(FILE *o, json_t *summary, const char *key, json_t *old, json_t *new)
{
	json_t *ou = json_object_get(old, key), *nu = json_object_get(new, key);
	if (!nu && !ou)
		return;
	bool changed = !json_equal(json_object_get(ou, "sha256"), json_object_get(nu, "sha256"));
	json_object_set_new(summary, key, json_pack("{s:b}", "changed", changed));
	if (changed)
		text_diff(o, json_string_value(json_object_get(nu ? nu : ou, "name")),
		          json_string_value(json_object_get(ou, "content")),
		          json_string_value(json_object_get(nu, "content")));
}

/* A summary and readable diff of what changes from old to new artifacts. */
static void diff_artifacts(json_t *old, json_t *new, json_t *targets, json_t **summary, char **text)
{
	size_t len = 0;
	FILE *o = open_memstream(text, &len);
	json_t *s = json_object();
	json_object_set_new(s, "firstRelease", json_boolean(old == NULL));
	if (!json_equal(json_object_get(old, "desiredState"), json_object_get(new, "desiredState")))
		json_object_set_new(s, "desiredState",
		                    json_pack("{s:O?, s:O}", "from",
		                              json_object_get(old, "desiredState"), "to",
		                              json_object_get(new, "desiredState")));
	diff_unit(o, s, "unit", old, new);
	diff_unit(o, s, "timer", old, new); /* a scheduled job's */
	json_t *of = json_object_get(old, "fetch"), *nf = json_object_get(new, "fetch");
	if (of || nf) {
		bool changed =
		        !json_equal(json_object_get(of, "release"), json_object_get(nf, "release"));
		json_object_set_new(s, "artifacts",
		                    json_pack("{s:b, s:O?, s:O?}", "changed", changed, "from",
		                              json_object_get(of, "release"), "to",
		                              json_object_get(nf, "release")));
		if (changed) {
			char *ot = of ? json_dumps(json_object_get(of, "artifacts"),
			                           JSON_INDENT(2) | JSON_SORT_KEYS)
			              : NULL;
			char *nt = nf ? json_dumps(json_object_get(nf, "artifacts"),
			                           JSON_INDENT(2) | JSON_SORT_KEYS)
			              : NULL;
			text_diff(o, "artifacts", ot, nt);
			free(ot);
			free(nt);
		}
	}
	json_t *cfg = json_array();
	size_t i, j;
	json_t *nc, *oc;
	json_array_foreach (json_object_get(new, "configs"), i, nc) {
		json_t *from = NULL;
		json_array_foreach (json_object_get(old, "configs"), j, oc)
			if (json_equal(json_object_get(oc, "path"), json_object_get(nc, "path")))
				from = oc;
		if (!from ||
		    !json_equal(json_object_get(from, "version"), json_object_get(nc, "version")) ||
		    !json_equal(json_object_get(from, "configId"), json_object_get(nc, "configId")))
			json_array_append_new(
			        cfg,
			        json_pack("{s:O, s:O?, s:O}", "path", json_object_get(nc, "path"),
			                  "fromVersion", json_object_get(from, "version"),
			                  "toVersion", json_object_get(nc, "version")));
	}
	json_object_set_new(s, "configs", cfg);
	json_t *sites = json_array();
	json_array_foreach (json_object_get(new, "sites"), i, nc) {
		json_t *from = NULL;
		json_array_foreach (json_object_get(old, "sites"), j, oc)
			if (json_equal(json_object_get(oc, "siteName"),
			               json_object_get(nc, "siteName")))
				from = oc;
		bool changed = !from || !json_equal(json_object_get(from, "sha256"),
		                                    json_object_get(nc, "sha256"));
		json_array_append_new(sites, json_pack("{s:O, s:b}", "siteName",
		                                       json_object_get(nc, "siteName"), "changed",
		                                       changed));
		if (changed)
			text_diff(
			        o, json_string_value(json_object_get(nc, "siteName")),
			        json_string_value(json_object_get(
			                json_object_get(from, "content") ? from : NULL, "content")),
			        json_string_value(json_object_get(nc, "content")));
	}
	json_object_set_new(s, "sites", sites);
	json_t *on = json_array(), *skip = json_array();
	json_array_foreach (targets, i, nc) {
		const char *st = json_string_value(json_object_get(nc, "status"));
		json_array_append_new(strcmp(st, "online") == 0 ? on : skip,
		                      json_pack("{s:O, s:O, s:s}", "id", json_object_get(nc, "id"),
		                                "name", json_object_get(nc, "name"), "status", st));
	}
	json_object_set_new(s, "nodes", json_pack("{s:o, s:o}", "targets", on, "notReady", skip));
	fclose(o);
	*summary = s;
}

int app_release_create(struct app *a, const struct pg_call *call, int64_t app_id, const char *kind,
                       int64_t rollback_of, int64_t target_release, json_t *target_nodes,
                       const char *note, json_t **out, struct pg_err *err)
{
	struct store_conn *c = store_conn_get(a->store, err);
	if (!c)
		return err->code;
	bool restart = strcmp(kind, "restart") == 0;
	if (restart)
		kind = "deploy"; /* a restart is a deploy of what runs, marked restart */
	json_t *app = NULL, *ingresses = json_array(), *art = NULL, *prev = NULL, *target = NULL,
	       *targets = NULL, *summary = NULL;
	char *text = NULL;
	int rc = app_store_get(c, app_id, &app, err);
	if (rc == 0)
		rc = app_ingress_list(c, app_id, ingresses, err);
	int64_t prev_id = json_integer_value(json_object_get(app, "currentReleaseId"));
	if (rc == 0 && prev_id)
		rc = app_release_get(c, prev_id, true, &prev, err);
	if (rc == 0 && target_release) {
		rc = app_release_get(c, target_release, true, &target, err);
		if (rc == 0 && json_integer_value(json_object_get(target, "appId")) != app_id)
			rc = pg_err_set(err, PG_EINVAL, "targetReleaseId",
			                "release %lld is of another application",
			                (long long)target_release);
		if (rc == 0)
			art = json_deep_copy(json_object_get(target, "artifacts"));
		/* the same artifacts, every unit restarted in batches */
		if (rc == 0 && restart)
			json_object_set_new(art, "restart", json_true());
		else if (rc == 0)
			json_object_del(art, "restart");
	} else if (rc == 0) {
		rc = build_artifacts(a, c, app, ingresses, &art, err);
	}
	if (rc == 0)
		rc = app_targets(a, app, &targets, err);
	json_t *unready = json_array();
	size_t ti;
	json_t *tn;
	json_array_foreach (targets, ti, tn) {
		char why[512];
		if (app_node_unready(app, tn, why, sizeof(why)))
			json_array_append_new(unready,
			                      json_pack("{s:O, s:s}", "nodeId",
			                                json_object_get(tn, "id"), "reason", why));
	}
	if (rc == 0 && json_array_size(targets) &&
	    json_array_size(unready) == json_array_size(targets))
		rc = pg_err_set(
		        err, PG_EPRECOND, "selector", "no target node can run this release: %s",
		        json_string_value(json_object_get(json_array_get(unready, 0), "reason")));
	if (rc == 0) {
		diff_artifacts(json_object_get(prev, "artifacts"), art, targets, &summary, &text);
		if (json_array_size(unready))
			json_object_set(summary, "notReady", unready);
		if (restart)
			json_object_set_new(summary, "restart", json_true());
		if (target_nodes)
			json_object_set(summary, "rollbackNodes", target_nodes);
	}
	int64_t id = 0, version = 0;
	if (rc == 0 && store_begin(c, STORE_TX_WRITE, err) != 0)
		rc = err->code;
	else if (rc == 0) {
		char *art_text = pg_json_dump(art), *sum_text = pg_json_dump(summary),
		     *nodes_text = target_nodes ? pg_json_dump(target_nodes) : NULL;
		rc = app_release_next_version(c, app_id, &version, err);
		struct rel_in in = {.app_id = app_id,
		                    .version = version,
		                    .previous = prev_id,
		                    .rollback_of = rollback_of,
		                    .kind = kind,
		                    .status = "created",
		                    .artifacts = art_text,
		                    .diff = sum_text,
		                    .diff_text = text ? text : "",
		                    .target_nodes = nodes_text,
		                    .note = note,
		                    .trace_id = call->trace_id,
		                    .created_by = call->actor};
		if (rc == 0)
			rc = app_release_insert(c, &in, &id, err);
		if (rc == 0)
			rc = app_artifacts_ref(c, id, json_object_get(art, "fetch"), err);
		if (rc == 0) {
			json_t *d =
			        json_pack("{s:I, s:s, s:I, s:I}", "version", (json_int_t)version,
			                  "kind", kind, "previousReleaseId", (json_int_t)prev_id,
			                  "targetReleaseId", (json_int_t)target_release);
			rc = audit_record(c, call, "release.create", "release", id, d, err);
			json_decref(d);
		}
		rc = store_end(c, rc, err);
		free(art_text);
		free(sum_text);
		free(nodes_text);
	}
	if (rc == 0)
		rc = app_release_get(c, id, true, out, err);
	json_decref(app);
	json_decref(ingresses);
	json_decref(art);
	json_decref(prev);
	json_decref(target);
	json_decref(targets);
	json_decref(unready);
	json_decref(summary);
	free(text);
	return rc;
}

int app_restart(struct app *a, const struct pg_call *call, int64_t app_id, const char *note,
                json_t **out, struct pg_err *err)
{
	struct store_conn *c = store_conn_get(a->store, err);
	if (!c)
		return err->code;
	json_t *app = NULL;
	int64_t other = 0;
	int rc = app_store_get(c, app_id, &app, err);
	int64_t current = json_integer_value(json_object_get(app, "currentReleaseId"));
	if (rc == 0 && strcmp(json_string_value(json_object_get(app, "type")), "SystemdService"))
		rc = pg_err_set(err, PG_EPRECOND, "type",
		                "only SystemdService applications have units to restart");
	if (rc == 0 && !current)
		rc = pg_err_set(err, PG_EPRECOND, "currentReleaseId",
		                "the application has no release yet: there is nothing to restart");
	if (rc == 0 && app_is_job(app))
		rc = pg_err_set(err, PG_EPRECOND, "spec.schedule",
		                "a scheduled job has no process to restart: run it now with POST "
		                "/admin/apps/%lld/run",
		                (long long)app_id);
	if (rc == 0)
		rc = app_release_active(c, app_id, &other, err);
	if (rc == 0 && other)
		rc = pg_err_set(err, PG_ECONFLICT, "status",
		                "release %lld of this application is still in flight",
		                (long long)other);
	json_decref(app);
	if (rc == 0)
		rc = app_release_create(a, call, app_id, "restart", 0, current, NULL,
		                        note && *note ? note : "rolling restart", out, err);
	if (rc != 0)
		return rc;
	int64_t rid = json_integer_value(json_object_get(*out, "id"));
	rc = store_begin(c, STORE_TX_WRITE, err);
	if (rc == 0) {
		rc = app_release_set_status(c, rid, APP_REL_RUNNING, NULL, err);
		if (rc == 0)
			rc = audit_record_new(c, call, "app.restart", "app", app_id,
			                      json_pack("{s:I}", "releaseId", (json_int_t)rid),
			                      err);
		rc = store_end(c, rc, err);
	}
	if (rc == 0) {
		json_object_set_new(*out, "status", json_string("running"));
		app_kick(a);
	}
	return rc;
}

/* Whether app follows config item_id with autoRelease. */
static bool follows(json_t *app, int64_t item_id)
{
	size_t i;
	json_t *f;
	json_array_foreach (json_object_get(json_object_get(app, "spec"), "configFiles"), i, f)
		if (json_integer_value(json_object_get(f, "configId")) == item_id &&
		    json_is_true(json_object_get(f, "autoRelease")))
			return true;
	return false;
}

void app_config_published(void *arg, const struct pg_call *call, int64_t item_id, int64_t version)
{
	struct app *a = arg;
	struct pg_err err = {0};
	struct store_conn *c = store_conn_get(a->store, &err);
	json_t *apps = json_array(), *app;
	size_t i;
	if (!c || app_store_list(c, 0, 100000, apps, &err) != 0) {
		pg_warn("app", "config %lld published, applications not released: %s",
		        (long long)item_id, err.message);
		json_decref(apps);
		return;
	}
	json_array_foreach (apps, i, app) {
		int64_t id = json_integer_value(json_object_get(app, "id")), other = 0;
		if (!follows(app, item_id) ||
		    !json_integer_value(json_object_get(app, "currentReleaseId")))
			continue;
		char note[128];
		json_t *out = NULL;
		snprintf(note, sizeof(note), "config %lld version %lld published (autoRelease)",
		         (long long)item_id, (long long)version);
		pg_err_clear(&err);
		int rc = app_release_active(c, id, &other, &err);
		if (rc == 0 && other)
			rc = pg_err_set(&err, PG_ECONFLICT, "", "release %lld is in flight",
			                (long long)other);
		if (rc == 0)
			rc = app_release_create(a, call, id, "deploy", 0, 0, NULL, note, &out,
			                        &err);
		if (rc == 0 && (rc = store_begin(c, STORE_TX_WRITE, &err)) == 0) {
			int64_t rid = json_integer_value(json_object_get(out, "id"));
			rc = app_release_set_status(c, rid, APP_REL_RUNNING, NULL, &err);
			if (rc == 0)
				rc = audit_record_new(
				        c, call, "release.execute", "release", rid,
				        json_pack("{s:s, s:I, s:I}", "by", "autoRelease",
				                  "configId", (json_int_t)item_id, "configVersion",
				                  (json_int_t)version),
				        &err);
			rc = store_end(c, rc, &err);
		}
		if (rc != 0)
			pg_warn("app", "%s: not released after config %lld version %lld: %s",
			        json_string_value(json_object_get(app, "name")), (long long)item_id,
			        (long long)version, err.message);
		json_decref(out);
	}
	json_decref(apps);
	app_kick(a);
}

json_t *app_nodes_touched(json_t *nodes)
{
	json_t *ids = json_array(), *n;
	size_t i;
	json_array_foreach (nodes, i, n) {
		enum app_node_status st =
		        app_node_status_of(json_string_value(json_object_get(n, "status")));
		if (st != APP_NODE_PENDING && st != APP_NODE_SKIPPED)
			json_array_append(ids, json_object_get(n, "nodeId"));
	}
	return ids;
}
