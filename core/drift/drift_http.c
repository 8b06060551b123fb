/* Controller for drift: agents' state reports and the status views. */
#include "cluster/cluster_http.h"
#include "drift/drift_http.h"
#include "drift/drift.h"
#include "http/http.h"
#include "pagodad.h"

#include <stdio.h>
#include <string.h>

static struct drift *drift_of(struct http_req *req)
{
	return ((struct pagodad *)req->app)->drift;
}

static void agent_state(struct http_req *req)
{
	struct pg_err err = {0};
	json_t *out = NULL;
	if (!cluster_http_own_node(req))
		return;
	struct pg_call call = http_call(req);
	int rc = drift_report(drift_of(req), &call, req->who.node_id, req->body, &out, &err);
	http_answer(req, rc, 200, out, &err);
}

static void node_status(struct http_req *req)
{
	struct pg_err err = {0};
	json_t *out = NULL;
	int64_t id;
	if (!http_param_id(req, "id", &id))
		return;
	int rc = drift_node_status(drift_of(req), id, &out, &err);
	http_answer(req, rc, 200, out, &err);
}

static void app_status(struct http_req *req)
{
	struct pg_err err = {0};
	json_t *out = NULL;
	int64_t id;
	char owner[32];
	if (!http_param_id(req, "id", &id))
		return;
	snprintf(owner, sizeof(owner), "app:%lld", (long long)id);
	int rc = drift_owner_status(drift_of(req), owner, NULL, &out, &err);
	if (rc == 0)
		json_object_set_new(out, "appId", json_integer(id));
	http_answer(req, rc, 200, out, &err);
}

static void drift_list(struct http_req *req)
{
	static const char *const statuses[] = {"drifted", "converged", "pending", "unknown", NULL};
	struct pg_err err = {0};
	const char *status = http_query(req, "status");
	json_t *out = NULL;
	bool ok = !status;
	for (int i = 0; status && statuses[i]; i++)
		ok |= strcmp(status, statuses[i]) == 0;
	if (!ok) {
		http_reply_error(req, PG_EINVAL, "status",
		                 "status must be drifted, converged, pending or unknown");
		return;
	}
	int rc = drift_verdicts(drift_of(req), status ? status : "drifted", &out, &err);
	http_answer(req, rc, 200, rc == 0 ? json_pack("{s:o}", "items", out) : NULL, &err);
}

const struct http_route drift_routes[] = {
        /* every agent sends one at start: grouped, so ten thousand after a
         * restart share commits instead of each holding an HTTP thread */
        {.method = "POST",
         .path = "/agent/state",
         .auth = HTTP_AUTH_AGENT,
         .fn = agent_state,
         .grouped = true},
        {.method = "GET",
         .path = "/admin/nodes/:id/status",
         .auth = HTTP_AUTH_ADMIN,
         .perm = "admin:node:read",
         .fn = node_status},
        {.method = "GET",
         .path = "/admin/apps/:id/status",
         .auth = HTTP_AUTH_ADMIN,
         .perm = "admin:app:read",
         .fn = app_status},
        {.method = "GET",
         .path = "/admin/drift",
         .auth = HTTP_AUTH_ADMIN,
         .perm = "admin:node:read",
         .fn = drift_list},
        {0},
};
