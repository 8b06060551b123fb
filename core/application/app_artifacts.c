/* An application's artifacts: the programs a release ships (spec.artifacts),
 * frozen into the FetchArtifact form with one digest that names the release
 * directory on the node, and the unit that runs them. */
#include "application/app_int.h"
#include "blob/blob.h"
#include "cluster/cluster.h"
#include "common/pg_crypto.h"
#include "common/pg_json.h"
#include "lua/plua_policy.h"
#include "store/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void app_current_dir(const char *name, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s/current", APP_ROOT, name);
}

/* spec artifact -> payload artifact: source "blob" or an https:// URL. */
static int to_payload(json_t *s, json_t **out, struct pg_err *err)
{
	static const char *const fields[] = {"source", "sha256",          "dest", "unpack", "mode",
	                                     "caFile", "stripComponents", NULL};
	const char *src = NULL;
	int rc = json_is_object(s) ? pg_json_only(s, fields, err)
	                           : pg_err_set(err, PG_EINVAL, "", "must be an object");
	if (rc == 0)
		rc = pg_json_str(s, "source", true, 2048, &src, err);
	if (rc == 0 && strcmp(src, "blob") != 0 && strncmp(src, "https://", 8) != 0)
		rc = pg_err_set(err, PG_EINVAL, "source",
		                "source must be \"blob\" (uploaded to pagodad) or an https:// URL");
	if (rc != 0)
		return rc;
	json_t *p = json_deep_copy(s);
	json_object_del(p, "source");
	if (strcmp(src, "blob") != 0)
		json_object_set_new(p, "url", json_string(src));
	if (!json_object_get(p, "unpack"))
		json_object_set_new(p, "unpack", json_string("none"));
	*out = p;
	return 0;
}

/* What names the release directory: the content, not where it comes from
 * (moving a mirror does not unpack again). */
static void digest_of(json_t *arts, char out[65])
{
	json_t *c = json_deep_copy(arts), *f;
	size_t i;
	json_array_foreach (c, i, f) {
		json_object_del(f, "url");
		json_object_del(f, "caFile");
	}
	char *text = json_dumps(c, JSON_COMPACT | JSON_SORT_KEYS);
	pg_sha256_hex(text, strlen(text), out);
	free(text);
	json_decref(c);
}

int app_artifacts_freeze(struct store_conn *c, const char *name, json_t *spec_arts, json_t **out,
                         struct pg_err *err)
{
	json_t *arts = json_array(), *s, *p = NULL;
	size_t i;
	int rc = json_is_array(spec_arts) && json_array_size(spec_arts) <= 16
	                 ? 0
	                 : pg_err_set(err, PG_EINVAL, "", "must be a list of at most 16 artifacts");
	json_array_foreach (spec_arts, i, s) {
		if (rc != 0)
			break;
		rc = to_payload(s, &p, err);
		if (rc == 0)
			json_array_append_new(arts, p);
		if (rc == 0 && c && !json_object_get(p, "url"))
			rc = blob_exists(c, json_string_value(json_object_get(p, "sha256")),
			                 "sha256", NULL, err);
		if (rc != 0) {
			char pre[32];
			snprintf(pre, sizeof(pre), "[%zu]", i);
			pg_err_prefix_field(err, pre);
		}
	}
	char digest[65];
	digest_of(arts, digest);
	json_t *task =
	        json_pack("{s:s, s:s, s:O}", "app", name, "release", digest, "artifacts", arts);
	if (rc == 0) {
		/* the agent's checks, now, so a bad spec never reaches a node */
		rc = cluster_task_validate("FetchArtifact", task, err);
		if (rc != 0) {
			/* "payload.artifacts[0].dest" -> "[0].dest" */
			const char *b = strchr(err->field, '[');
			memmove(err->field, b ? b : err->field, strlen(b ? b : err->field) + 1);
		}
	}
	json_decref(arts);
	if (rc != 0) {
		json_decref(task);
		return rc;
	}
	*out = task;
	return 0;
}

int app_artifacts_ref(struct store_conn *c, int64_t release_id, json_t *fetch, struct pg_err *err)
{
	size_t i;
	json_t *f;
	int rc = 0;
	json_array_foreach (json_object_get(fetch, "artifacts"), i, f)
		if (rc == 0 && !json_object_get(f, "url"))
			rc = blob_ref_add(c, release_id,
			                  json_string_value(json_object_get(f, "sha256")), err);
	return rc;
}

int app_blob_fetch_allowed(void *arg, struct store_conn *c, int64_t node, const char *sha,
                           struct pg_err *err)
{
	static const char sql[] =
	        "SELECT 1 FROM blob_ref b JOIN app_release_node n ON n.release_id = b.release_id "
	        "WHERE b.sha256 = $1 AND n.node_id = $2 LIMIT 1";
	(void)arg;
	struct store_stmt *st;
	int rc = store_query(c, sql, &st, err, ST(sha), SI(node));
	store_done(st);
	if (rc == 0)
		return pg_err_set(err, PG_EFORBIDDEN, "sha256",
		                  "no release of this node uses blob %s", sha);
	return store_ok(rc);
}

int app_render_unit(struct app *a, const char *name, json_t *spec, char **text, struct pg_err *err)
{
	json_t *unit = json_object_get(spec, "unit");
	if (json_object_get(unit, "currentDir"))
		return pg_err_set(err, PG_EINVAL, "unit.currentDir",
		                  "unit.currentDir is set by Pagoda (to the current release of "
		                  "the application's artifacts)");
	json_t *u = json_deep_copy(unit);
	char unit_name[64], cur[256];
	snprintf(unit_name, sizeof(unit_name), "%s.service", name);
	json_object_set_new(u, "name", json_string(unit_name));
	if (json_array_size(json_object_get(spec, "artifacts")) > 0) {
		app_current_dir(name, cur, sizeof(cur));
		json_object_set_new(u, "currentDir", json_string(cur));
	}
	if (json_object_get(spec, "schedule"))
		json_object_set_new(u, "job", json_true());
	int rc = plua_render(a->lua, "systemd_unit", u, text, err);
	json_decref(u);
	if (rc != 0)
		pg_err_prefix_field(err, "unit");
	return rc;
}

int app_render_timer(struct app *a, const char *name, json_t *spec, char **text, struct pg_err *err)
{
	json_t *sch = json_object_get(spec, "schedule");
	if (!json_is_object(sch))
		return pg_err_set(err, PG_EINVAL, "schedule",
		                  "schedule must be an object like {\"calendar\": \"daily\"}");
	if (json_object_get(sch, "name") || json_object_get(sch, "service"))
		return pg_err_set(err, PG_EINVAL, "schedule",
		                  "schedule names no units: Pagoda does");
	json_t *t = json_deep_copy(sch);
	char timer[64], service[64];
	snprintf(timer, sizeof(timer), "%s.timer", name);
	snprintf(service, sizeof(service), "%s.service", name);
	json_object_set_new(t, "name", json_string(timer));
	json_object_set_new(t, "service", json_string(service));
	int rc = plua_render(a->lua, "systemd_timer", t, text, err);
	json_decref(t);
	if (rc != 0)
		pg_err_prefix_field(err, "schedule");
	return rc;
}
