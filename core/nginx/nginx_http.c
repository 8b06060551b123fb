/* Controller for /admin/nginx/sites/...: render previews (design.md 9.5). */
#include "nginx/nginx_http.h"
#include "cluster/cluster.h"
#include "common/pg_diff.h"
#include "common/pg_json.h"
#include "nginx/nginx.h"
#include "pagodad.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* POST /admin/nginx/sites/render {site, nodeId?} -> the rendering, its hash,
 * and with nodeId the diff against the site's last deployment there. */
static void site_render(struct http_req *req)
{
	static const char *const fields[] = {"site", "nodeId", NULL};
	struct pagodad *app = req->app;
	struct pg_err err = {0};
	json_t *site = NULL, *deployed = NULL;
	int64_t node_id = 0;
	char *text = NULL, sha[65];
	int rc = pg_json_only(req->body, fields, &err);
	if (rc == 0)
		rc = pg_json_obj(req->body, "site", true, &site, &err);
	if (rc == 0)
		rc = pg_json_int(req->body, "nodeId", false, 1, INT64_MAX, &node_id, &err);
	if (rc == 0) {
		rc = nginx_site_render(app->lua, site, &text, sha, &err);
		if (rc == PG_EINVAL)
			pg_err_prefix_field(&err, "site");
	}
	const char *name = json_string_value(json_object_get(site, "name"));
	if (rc == 0 && node_id)
		rc = cluster_task_last_payload(app->cluster, node_id, "RenderAndDeployNginx",
		                               "siteName", name, &deployed, &err);
	if (rc != 0) {
		free(text);
		http_reply_err(req, &err);
		return;
	}
	json_t *out =
	        json_pack("{s:s, s:s, s:s}", "siteName", name, "content", text, "sha256", sha);
	if (node_id) {
		const char *old = json_string_value(
		        json_object_get(json_object_get(deployed, "payload"), "content"));
		char label_a[160], label_b[160];
		snprintf(label_a, sizeof(label_a), "node %lld: %s (deployed)", (long long)node_id,
		         name);
		snprintf(label_b, sizeof(label_b), "node %lld: %s (rendered)", (long long)node_id,
		         name);
		char *diff = pg_diff_unified(old ? old : "", text, label_a, label_b, 3);
		json_object_set_new(out, "deployed",
		                    deployed ? json_pack("{s:O, s:b}", "taskId",
		                                         json_object_get(deployed, "taskId"),
		                                         "same", old && strcmp(old, text) == 0)
		                             : json_null());
		json_object_set_new(out, "diff", diff ? json_string(diff) : json_null());
		free(diff);
	}
	json_decref(deployed);
	free(text);
	http_reply(req, 200, out);
}

/* POST /admin/nginx/sites/deploy {site, nodeIds} renders a site and queues
 * RenderAndDeployNginx on each node (design.md 9.5): for operators outside
 * releases. */
static void site_deploy(struct http_req *req)
{
	static const char *const fields[] = {"site", "nodeIds", NULL};
	struct pagodad *app = req->app;
	struct pg_err err = {0};
	struct pg_call call = http_call(req);
	json_t *site = NULL, *ids = NULL, *tasks = json_array();
	char *text = NULL, sha[65];
	int rc = pg_json_only(req->body, fields, &err);
	if (rc == 0)
		rc = pg_json_obj(req->body, "site", true, &site, &err);
	if (rc == 0)
		rc = pg_json_arr(req->body, "nodeIds", true, 1000, &ids, &err);
	if (rc == 0 && json_array_size(ids) == 0)
		rc = pg_err_set(&err, PG_EINVAL, "nodeIds", "name at least one node");
	size_t i;
	json_t *v;
	json_array_foreach (ids, i, v)
		if (rc == 0 && (!json_is_integer(v) || json_integer_value(v) < 1))
			rc = pg_err_set(&err, PG_EINVAL, "nodeIds",
			                "nodeIds[%zu] must be a node id", i);
	if (rc == 0 && (rc = nginx_site_render(app->lua, site, &text, sha, &err)) == PG_EINVAL)
		pg_err_prefix_field(&err, "site");
	json_array_foreach (ids, i, v) {
		if (rc != 0)
			break;
		json_t *payload = json_pack("{s:O, s:s}", "siteName", json_object_get(site, "name"),
		                            "content", text);
		struct cluster_task_spec spec = {.node_id = json_integer_value(v),
		                                 .type = "RenderAndDeployNginx",
		                                 .payload = payload,
		                                 .max_retries = 2};
		int64_t id = 0;
		bool existed;
		rc = cluster_task_queue(app->cluster, &call, &spec, &id, &existed, &err);
		json_decref(payload);
		if (rc == PG_ENOTFOUND)
			pg_err_set(&err, PG_ENOTFOUND, "nodeIds", "no node %lld",
			           (long long)json_integer_value(v));
		if (rc == 0)
			json_array_append_new(tasks, json_pack("{s:O, s:I}", "nodeId", v, "taskId",
			                                       (json_int_t)id));
	}
	json_t *out =
	        rc == 0 ? json_pack("{s:O, s:s, s:O}", "siteName", json_object_get(site, "name"),
	                            "sha256", sha, "tasks", tasks)
	                : NULL;
	json_decref(tasks);
	free(text);
	http_answer(req, rc, 202, out, &err);
}

const struct http_route nginx_routes[] = {
        {.method = "POST",
         .path = "/admin/nginx/sites/deploy",
         .auth = HTTP_AUTH_ADMIN,
         .perm = "admin:nginx:deploy",
         .fn = site_deploy},
        {.method = "POST",
         .path = "/admin/nginx/sites/render",
         .auth = HTTP_AUTH_ADMIN,
         .perm = "admin:nginx:deploy",
         .fn = site_render},
        {0},
};
