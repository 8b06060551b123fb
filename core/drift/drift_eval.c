/* What a succeeded task puts on a node, and how a state report compares
 * with it. Pure functions: no store, no clock. */
#include "common/pg_crypto.h"
#include "drift/drift.h"

#include <stdio.h>
#include <string.h>

static void add(json_t *items, const char *kind, const char *key, json_t *expect)
{
	char item[1100];
	snprintf(item, sizeof(item), "%s%s%s", kind, key ? ":" : "", key ? key : "");
	json_array_append_new(items, json_pack("{s:s, s:o}", "item", item, "expect", expect));
}

static void add_file(json_t *items, const char *path, const char *sha)
{
	if (path && sha)
		add(items, "file", path, json_pack("{s:s}", "sha256", sha));
}

static void add_nginx(json_t *items, json_t *artifacts)
{
	const char *sha = json_string_value(json_object_get(artifacts, "nginxConfigSha256"));
	if (sha)
		add(items, "nginx", NULL, json_pack("{s:s}", "sha256", sha));
}

json_t *drift_items_of_task(const char *type, json_t *payload, json_t *artifacts)
{
	json_t *items = json_array();
	size_t i;
	json_t *f;
	if (strcmp(type, "ApplyConfigFiles") == 0) {
		json_array_foreach (json_object_get(artifacts, "files"), i, f)
			add_file(items, json_string_value(json_object_get(f, "path")),
			         json_string_value(json_object_get(f, "sha256")));
	} else if (strcmp(type, "SystemdInstallUnit") == 0) {
		const char *unit = json_string_value(json_object_get(payload, "unitName"));
		add_file(items, json_string_value(json_object_get(artifacts, "path")),
		         json_string_value(json_object_get(artifacts, "sha256")));
		if (unit && json_is_true(json_object_get(payload, "enable")))
			add(items, "unit-enabled", unit, json_pack("{s:b}", "enabled", 1));
	} else if (strcmp(type, "SystemdControl") == 0) {
		const char *unit = json_string_value(json_object_get(payload, "unitName"));
		const char *action = json_string_value(json_object_get(payload, "action"));
		bool up = action && (!strcmp(action, "start") || !strcmp(action, "restart") ||
		                     !strcmp(action, "reload"));
		if (unit && action && (up || !strcmp(action, "stop")))
			add(items, "unit-active", unit, json_pack("{s:b}", "active", up));
	} else if (strcmp(type, "RenderAndDeployNginx") == 0) {
		add_file(items, json_string_value(json_object_get(artifacts, "path")),
		         json_string_value(json_object_get(artifacts, "sha256")));
		add_nginx(items, artifacts);
	} else if (strcmp(type, "FetchArtifact") == 0) {
		const char *path = json_string_value(json_object_get(artifacts, "path"));
		const char *tree = json_string_value(json_object_get(artifacts, "treeSha256"));
		if (path && tree)
			add(items, "tree", path, json_pack("{s:s}", "sha256", tree));
	} else if (strcmp(type, "DeployCertificate") == 0) {
		add_file(items, json_string_value(json_object_get(payload, "certPath")),
		         json_string_value(json_object_get(artifacts, "certSha256")));
		add_file(items, json_string_value(json_object_get(payload, "keyPath")),
		         json_string_value(json_object_get(artifacts, "keySha256")));
		json_t *v = json_object_get(payload, "verify");
		const char *served = json_string_value(json_object_get(artifacts, "servedSha256"));
		const char *sni = json_string_value(json_object_get(v, "serverName"));
		if (served && sni) {
			char key[300];
			json_int_t port = json_object_get(v, "port")
			                          ? json_integer_value(json_object_get(v, "port"))
			                          : 443;
			snprintf(key, sizeof(key), "%lld:%s", (long long)port, sni);
			add(items, "cert", key,
			    json_pack("{s:s, s:I, s:s}", "sha256", served, "port", port,
			              "serverName", sni));
		}
		add_nginx(items, artifacts);
	}
	return items;
}

static void differ(json_t *out, const char *item, const char *kind, const char *reason,
                   json_t *expected, json_t *actual)
{
	json_array_append_new(out,
	                      json_pack("{s:s, s:s, s:s, s:O?, s:O?}", "item", item, "kind", kind,
	                                "reason", reason, "expected", expected, "actual", actual));
}

/* A unit's reported state: "active"/"inactive"/"failed"...; enabled state. */
static bool unit_enabled(const char *s)
{
	return s &&
	       (!strcmp(s, "enabled") || !strcmp(s, "enabled-runtime") || !strcmp(s, "static"));
}

json_t *drift_compare(json_t *desired, json_t *report, int *unreported)
{
	json_t *out = json_array(), *d;
	size_t i;
	*unreported = 0;
	json_array_foreach (desired, i, d) {
		const char *item = json_string_value(json_object_get(d, "item"));
		json_t *expect = json_object_get(d, "expect");
		const char *colon = strchr(item, ':'), *key = colon ? colon + 1 : "";
		bool tree = strncmp(item, "tree:", 5) == 0;
		if (tree || strncmp(item, "file:", 5) == 0) {
			const char *kind = tree ? "tree" : "file";
			json_t *r = json_object_get(
			        json_object_get(report, tree ? "trees" : "files"), key);
			if (!r)
				(*unreported)++;
			else if (json_is_true(json_object_get(r, "missing")))
				differ(out, item, kind, "missing",
				       json_object_get(expect, "sha256"), NULL);
			else if (!json_equal(json_object_get(r, "sha256"),
			                     json_object_get(expect, "sha256")))
				differ(out, item, kind, "changed",
				       json_object_get(expect, "sha256"),
				       json_object_get(r, "sha256"));
		} else if (strncmp(item, "unit-active:", 12) == 0 ||
		           strncmp(item, "unit-enabled:", 13) == 0) {
			json_t *r = json_object_get(json_object_get(report, "units"), key);
			bool active_item = item[5] == 'a';
			const char *state = json_string_value(
			        json_object_get(r, active_item ? "active" : "enabled"));
			if (!state) {
				(*unreported)++;
				continue;
			}
			bool want = json_is_true(
			        json_object_get(expect, active_item ? "active" : "enabled"));
			bool have = active_item ? !strcmp(state, "active") ||
			                                  !strcmp(state, "reloading") ||
			                                  !strcmp(state, "activating")
			                        : unit_enabled(state);
			if (want != have) {
				json_t *e = json_string(active_item ? (want ? "active" : "inactive")
				                                    : "enabled");
				differ(out, item, "unit",
				       active_item ? (want ? "stopped" : "running") : "disabled", e,
				       json_object_get(r, active_item ? "active" : "enabled"));
				json_decref(e);
			}
		} else if (strncmp(item, "cert:", 5) == 0) {
			json_t *r = json_object_get(json_object_get(report, "certs"), key);
			if (!r)
				(*unreported)++;
			else if (!json_equal(json_object_get(r, "sha256"),
			                     json_object_get(expect, "sha256")))
				differ(out, item, "certificate", "mismatch",
				       json_object_get(expect, "sha256"),
				       json_object_get(r, "sha256") ? json_object_get(r, "sha256")
				                                    : json_object_get(r, "error"));
		} else if (strcmp(item, "nginx") == 0) {
			json_t *r =
			        json_object_get(json_object_get(report, "nginx"), "configSha256");
			if (!r)
				(*unreported)++;
			else if (!json_equal(r, json_object_get(expect, "sha256")))
				differ(out, item, "nginx", "changed",
				       json_object_get(expect, "sha256"), r);
		}
	}
	return out;
}
