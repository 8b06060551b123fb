/* Controller for the registry. */
#include "registry/registry_http.h"
#include "audit/audit.h"
#include "common/pg_json.h"
#include "common/pg_time.h"
#include "http/http_list.h"
#include "http/http_block.h"
#include "pagodad.h"
#include "registry/registry_int.h"
#include "store/store.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
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
	const char *name = http_param(req, "name"), *body_name = NULL;
	if (pg_json_str(req->body, "name", false, 63, &body_name, &err) == 0 && body_name &&
	    strcmp(body_name, name) != 0) {
		http_reply_error(req, PG_EINVAL, "name",
		                 "the name in the body differs from the path");
		return;
	}
	json_object_set_new(req->body, "name", json_string(name));
	struct store_conn *c = store_conn_get(reg_of(req)->store, &err);
	int64_t id;
	int rc = c ? reg_service_get(c, name, NULL, &id, &err) : err.code;
	if (rc == 0)
		rc = registry_service_put(reg_of(req), &call, req->body, false, &out, &err);
	http_answer(req, rc, 200, out, &err);
}

static void service_list(struct http_req *req)
{
	struct pg_err err = {0};
	struct store_conn *c = store_conn_get(reg_of(req)->store, &err);
	json_t *items = json_array();
	int rc = c ? reg_service_list(c, items, &err) : err.code;
	http_reply_list(req, rc, items, 0, &err);
}

static void service_get(struct http_req *req)
{
	struct pg_err err = {0};
	struct store_conn *c = store_conn_get(reg_of(req)->store, &err);
	json_t *out = NULL;
	int64_t id;
	int rc = c ? reg_service_get(c, http_param(req, "name"), &out, &id, &err) : err.code;
	http_answer(req, rc, 200, out, &err);
}

static void service_delete(struct http_req *req)
{
	struct registry *r = reg_of(req);
	struct pg_err err = {0};
	struct pg_call call = http_call(req);
	struct store_conn *c = store_conn_get(r->store, &err);
	int64_t id = 0, idx = 0;
	json_t *before = NULL;
	int rc = c ? store_begin(c, STORE_TX_WRITE, &err) : err.code;
	if (rc == 0) {
		rc = reg_service_get(c, http_param(req, "name"), &before, &id, &err);
		if (rc == 0)
			rc = reg_bump(c, &idx, &err);
		if (rc == 0)
			rc = reg_service_delete(c, id, &err);
		if (rc == 0)
			rc = audit_record(c, &call, "service.delete", "service", id, before, &err);
		rc = store_end(c, rc, &err);
		if (rc == 0)
			registry_changed(r, idx);
	}
	json_decref(before);
	http_answer(req, rc, 204, NULL, &err);
}

/* A static endpoint's fields from body over defaults (the old values on
 * update: a PUT changes only what it names). */
struct static_ep {
	const char *ip, *health, *version;
	int64_t port, weight;
	json_t *metadata; /* borrowed */
};

static int static_fields(json_t *b, bool create, struct static_ep *e, struct pg_err *err)
{
	static const char *const fields[] = {"ip",      "port",     "weight", "health",
	                                     "version", "metadata", NULL};
	int rc = pg_json_only(b, fields, err);
	if (rc == 0)
		rc = pg_json_str(b, "ip", create, 45, &e->ip, err);
	unsigned char buf[16];
	if (rc == 0 && inet_pton(AF_INET, e->ip, buf) != 1 && inet_pton(AF_INET6, e->ip, buf) != 1)
		rc = pg_err_set(err, PG_EINVAL, "ip", "ip must be an IPv4 or IPv6 address");
	if (rc == 0)
		rc = pg_json_int(b, "port", create, 1, 65535, &e->port, err);
	if (rc == 0)
		rc = pg_json_int(b, "weight", false, 1, 1000, &e->weight, err);
	if (rc == 0)
		rc = pg_json_str(b, "health", false, 16, &e->health, err);
	if (rc == 0 && strcmp(e->health, "healthy") && strcmp(e->health, "unhealthy") &&
	    strcmp(e->health, "unknown"))
		rc = pg_err_set(err, PG_EINVAL, "health",
		                "health must be healthy, unhealthy or unknown");
	if (rc == 0)
		rc = pg_json_str(b, "version", false, 128, &e->version, err);
	if (rc == 0)
		rc = pg_json_obj(b, "metadata", false, &e->metadata, err);
	if (rc == 0 && e->metadata)
		rc = pg_json_string_map(e->metadata, "metadata", 64, err);
	return rc;
}

/* Loads a static endpoint of the service in the path as defaults. */
static int static_old(struct store_conn *c, const char *service, int64_t eid, json_t **old,
                      struct static_ep *e, struct pg_err *err)
{
	int rc = reg_endpoint_get(c, eid, old, err);
	if (rc == 0 && strcmp(json_string_value(json_object_get(*old, "service")), service) != 0)
		rc = pg_err_set(err, PG_ENOTFOUND, "id", "no endpoint %lld in this service",
		                (long long)eid);
	if (rc == 0 && strcmp(json_string_value(json_object_get(*old, "source")), "static") != 0)
		rc = pg_err_set(err, PG_ECONFLICT, "id",
		                "endpoint %lld is reported by its node's agent; only static ones "
		                "are edited here",
		                (long long)eid);
	if (rc == 0) {
		e->ip = json_string_value(json_object_get(*old, "ip"));
		e->port = json_integer_value(json_object_get(*old, "port"));
		e->weight = json_integer_value(json_object_get(*old, "weight"));
		e->health = json_string_value(json_object_get(*old, "health"));
		e->version = json_string_value(json_object_get(*old, "version"));
		e->metadata = json_object_get(*old, "metadata");
	}
	return rc;
}

/* POST .../endpoints and PUT .../endpoints/:id for static endpoints. */
static void static_put(struct http_req *req, bool create)
{
	struct registry *r = reg_of(req);
	struct pg_err err = {0};
	struct pg_call call = http_call(req);
	const char *service = http_param(req, "name");
	struct static_ep e = {.ip = "", .health = "healthy", .weight = 1};
	int64_t sid = 0, eid = 0, idx = 0, taken = 0;
	json_t *old = NULL, *out = NULL;
	if (!create && !http_param_id(req, "id", &eid))
		return;
	struct store_conn *c = store_conn_get(r->store, &err);
	int rc = c ? store_begin(c, STORE_TX_WRITE, &err) : err.code;
	if (rc != 0) {
		http_reply_err(req, &err);
		return;
	}
	rc = reg_service_get(c, service, NULL, &sid, &err);
	if (rc == 0 && !create)
		rc = static_old(c, service, eid, &old, &e, &err);
	if (rc == 0)
		rc = static_fields(req->body, create, &e, &err);
	bool moved = !create && rc == 0 &&
	             (strcmp(e.ip, json_string_value(json_object_get(old, "ip"))) ||
	              e.port != json_integer_value(json_object_get(old, "port")));
	if (rc == 0 && (create || moved))
		rc = reg_endpoint_find(c, sid, e.ip, e.port, &taken, &err);
	if (rc == 0 && taken)
		rc = pg_err_set(&err, PG_ECONFLICT, "ip",
		                "%s:%lld is already an endpoint of this service", e.ip,
		                (long long)e.port);
	if (rc == 0)
		rc = reg_bump(c, &idx, &err);
	if (rc == 0 && moved)
		rc = reg_endpoint_delete(c, eid, &err); /* the address is the key: re-create */
	char *md = e.metadata && json_object_size(e.metadata) ? pg_json_dump(e.metadata)
	                                                      : strdup("{}");
	if (rc == 0) {
		struct reg_endpoint_in in = {.service_id = sid,
		                             .port = e.port,
		                             .weight = e.weight,
		                             .ip = e.ip,
		                             .health = e.health,
		                             .version = e.version,
		                             .source = "static",
		                             .metadata = md};
		bool changed;
		rc = reg_endpoint_put(c, &in, idx, &eid, &changed, &err);
	}
	free(md);
	if (rc == 0)
		rc = reg_endpoint_get(c, eid, &out, &err);
	if (rc == 0)
		rc = audit_record(c, &call, create ? "endpoint.create" : "endpoint.update",
		                  "endpoint", eid, out, &err);
	rc = store_end(c, rc, &err);
	if (rc == 0)
		registry_changed(r, idx);
	json_decref(old);
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
	struct registry *r = reg_of(req);
	struct pg_err err = {0};
	struct pg_call call = http_call(req);
	int64_t eid, idx = 0, sid;
	json_t *old = NULL;
	if (!http_param_id(req, "id", &eid))
		return;
	struct store_conn *c = store_conn_get(r->store, &err);
	int rc = c ? store_begin(c, STORE_TX_WRITE, &err) : err.code;
	if (rc == 0) {
		rc = reg_service_get(c, http_param(req, "name"), NULL, &sid, &err);
		if (rc == 0)
			rc = reg_endpoint_get(c, eid, &old, &err);
		if (rc == 0 && strcmp(json_string_value(json_object_get(old, "service")),
		                      http_param(req, "name")))
			rc = pg_err_set(&err, PG_ENOTFOUND, "id",
			                "no endpoint %lld in this service", (long long)eid);
		if (rc == 0)
			rc = reg_bump(c, &idx, &err);
		if (rc == 0)
			rc = reg_endpoint_delete(c, eid, &err);
		if (rc == 0)
			rc = audit_record(c, &call, "endpoint.delete", "endpoint", eid, old, &err);
		rc = store_end(c, rc, &err);
		if (rc == 0)
			registry_changed(r, idx);
	}
	json_decref(old);
	http_answer(req, rc, 204, NULL, &err);
}

static void blocking_read(struct http_req *req, http_block_read_fn read)
{
	http_blocking_read(req, reg_of(req)->waiters, 0, "X-Registry-Index", read);
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
	struct store_conn *c = store_conn_get(reg_of(req)->store, err);
	json_t *items = json_array();
	int rc = c ? reg_service_list(c, items, err) : err->code;
	if (rc == 0)
		rc = reg_index(c, index, err);
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
