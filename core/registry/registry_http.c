/* Controller for the registry. */
#include "registry/registry_http.h"
#include "common/pg_json.h"
#include "http/http_list.h"
#include "http/http_block.h"
#include "pagodad.h"
#include "registry/registry_int.h"

#include <string.h>

static struct registry *reg_of(struct http_req *req)
{
	return ((struct pagodad *)req->app)->registry;
}

static void service_create(struct http_req *req)
{
	struct pg_err err = {0};
	struct pg_call call = http_call(req);
	json_t *out = NULL;
	int rc = registry_service_put(reg_of(req), &call, req->body, true, &out, &err);
	http_answer(req, rc, 201, out, &err);
}

static void service_update(struct http_req *req)
{
	struct pg_err err = {0};
	struct pg_call call = http_call(req);
	json_t *out = NULL;
	int rc = registry_service_update(reg_of(req), &call, http_param(req, "name"), req->body,
	                                 &out, &err);
	http_answer(req, rc, 200, out, &err);
}

static void service_list(struct http_req *req)
{
	struct pg_err err = {0};
	json_t *items = NULL;
	int rc = registry_service_list(reg_of(req), &items, NULL, &err);
	http_reply_list(req, rc, items, 0, &err);
}

static void service_get(struct http_req *req)
{
	struct pg_err err = {0};
	json_t *out = NULL;
	int rc = registry_service_get(reg_of(req), http_param(req, "name"), &out, &err);
	http_answer(req, rc, 200, out, &err);
}

static void service_delete(struct http_req *req)
{
	struct pg_err err = {0};
	struct pg_call call = http_call(req);
	int rc = registry_service_delete(reg_of(req), &call, http_param(req, "name"), &err);
	http_answer(req, rc, 204, NULL, &err);
}

/* POST .../endpoints and PUT .../endpoints/:id for static endpoints. */
static void static_put(struct http_req *req, bool create)
{
	struct pg_err err = {0};
	struct pg_call call = http_call(req);
	int64_t eid = 0;
	json_t *out = NULL;
	if (!create && !http_param_id(req, "id", &eid))
		return;
	int rc = registry_static_put(reg_of(req), &call, http_param(req, "name"), eid, req->body,
	                             &out, &err);
	http_answer(req, rc, create ? 201 : 200, out, &err);
}

static void static_create(struct http_req *req)
{
	static_put(req, true);
}

static void static_update(struct http_req *req)
{
	static_put(req, false);
}

static void endpoint_delete(struct http_req *req)
{
	struct pg_err err = {0};
	struct pg_call call = http_call(req);
	int64_t eid;
	if (!http_param_id(req, "id", &eid))
		return;
	int rc = registry_endpoint_delete(reg_of(req), &call, http_param(req, "name"), eid, &err);
	http_answer(req, rc, 204, NULL, &err);
}

static void blocking_read(struct http_req *req, http_block_read_fn read)
{
	http_blocking_read(req, ((struct pagodad *)req->app)->registry_watch, 0, "X-Registry-Index",
	                   read);
}

static int endpoints_of(struct http_req *req, json_t **out, int64_t *index, struct pg_err *err)
{
	const char *healthy = http_query(req, "healthy");
	if (healthy && strcmp(healthy, "true") && strcmp(healthy, "false"))
		return pg_err_set(err, PG_EINVAL, "healthy", "healthy must be true or false");
	json_t *items = NULL;
	int rc = registry_endpoints(reg_of(req), http_param(req, "name"),
	                            healthy && strcmp(healthy, "true") == 0, &items, index, err);
	if (rc == 0)
		*out = json_pack("{s:s, s:I, s:o}", "service", http_param(req, "name"), "index",
		                 (json_int_t)*index, "items", items);
	return rc;
}

static int services_of(struct http_req *req, json_t **out, int64_t *index, struct pg_err *err)
{
	json_t *items = NULL;
	int rc = registry_service_list(reg_of(req), &items, index, err);
	if (rc != 0) {
		json_decref(items);
		return rc;
	}
	*out = json_pack("{s:o, s:I}", "items", items, "index", (json_int_t)*index);
	return 0;
}

/* GET /api/registry/services/:name/endpoints?healthy=true&index=N&wait=30s */
static void endpoints_read(struct http_req *req)
{
	blocking_read(req, endpoints_of);
}

/* GET /api/registry/services?index=N&wait=30s */
static void services_read(struct http_req *req)
{
	blocking_read(req, services_of);
}

/* POST /agent/endpoints {nodeId, endpoints: [...]}: the node's full set. */
static void agent_endpoints(struct http_req *req)
{
	struct pg_err err = {0};
	struct pg_call call = http_call(req);
	int64_t node_id = 0;
	json_t *eps = NULL;
	int rc = pg_json_int(req->body, "nodeId", true, 1, INT64_MAX, &node_id, &err);
	if (rc == 0 && node_id != req->who.node_id)
		rc = pg_err_set(&err, PG_EFORBIDDEN, "nodeId",
		                "this agent token belongs to node %lld",
		                (long long)req->who.node_id);
	if (rc == 0)
		rc = pg_json_arr(req->body, "endpoints", true, 256, &eps, &err);
	if (rc == 0)
		rc = registry_agent_report(reg_of(req), &call, node_id, eps, &err);
	http_answer(req, rc, 200,
	            rc == 0 ? json_pack("{s:I}", "index", (json_int_t)registry_index(reg_of(req)))
	                    : NULL,
	            &err);
}

#define REG_READ .auth = HTTP_AUTH_ADMIN, .perm = "admin:registry:read"
#define REG_WRITE .auth = HTTP_AUTH_ADMIN, .perm = "admin:registry:write"

const struct http_route registry_routes[] = {
        {.method = "POST", .path = "/admin/registry/services", REG_WRITE, .fn = service_create},
        {.method = "GET", .path = "/admin/registry/services", REG_READ, .fn = service_list},
        {.method = "GET", .path = "/admin/registry/services/:name", REG_READ, .fn = service_get},
        {.method = "PUT",
         .path = "/admin/registry/services/:name",
         REG_WRITE,
         .fn = service_update},
        {.method = "DELETE",
         .path = "/admin/registry/services/:name",
         REG_WRITE,
         .fn = service_delete},
        {.method = "POST",
         .path = "/admin/registry/services/:name/endpoints",
         REG_WRITE,
         .fn = static_create},
        {.method = "PUT",
         .path = "/admin/registry/services/:name/endpoints/:id",
         REG_WRITE,
         .fn = static_update},
        {.method = "DELETE",
         .path = "/admin/registry/services/:name/endpoints/:id",
         REG_WRITE,
         .fn = endpoint_delete},
        {.method = "GET", .path = "/api/registry/services", REG_READ, .fn = services_read},
        {.method = "GET",
         .path = "/api/registry/services/:name/endpoints",
         REG_READ,
         .fn = endpoints_read},
        {.method = "POST",
         .path = "/agent/endpoints",
         .auth = HTTP_AUTH_AGENT,
         .fn = agent_endpoints},
        {0},
};
