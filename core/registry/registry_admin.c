/* The registry's admin use cases: services and their static endpoints,
 * each change one transaction with its audit record and an index bump that
 * wakes blocking readers. */
#include "audit/audit.h"
#include "common/pg_json.h"
#include "registry/registry_int.h"
#include "store/store.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int registry_service_update(struct registry *r, const struct pg_call *call, const char *name,
                            json_t *body, json_t **out, struct pg_err *err)
{
	const char *body_name = NULL;
	if (pg_json_str(body, "name", false, 63, &body_name, err) == 0 && body_name &&
	    strcmp(body_name, name) != 0)
		return pg_err_set(err, PG_EINVAL, "name",
		                  "the name in the body differs from the path");
	json_object_set_new(body, "name", json_string(name));
	struct store_conn *c = store_conn_get(r->store, err);
	int64_t id;
	int rc = c ? reg_service_get(c, name, NULL, &id, err) : err->code;
	if (rc == 0)
		rc = registry_service_put(r, call, body, false, out, err);
	return rc;
}

int registry_service_list(struct registry *r, json_t **out, int64_t *index, struct pg_err *err)
{
	struct store_conn *c = store_conn_get(r->store, err);
	*out = json_array();
	int rc = c ? reg_service_list(c, *out, err) : err->code;
	if (rc == 0 && index)
		rc = reg_index(c, index, err);
	return rc;
}

int registry_service_get(struct registry *r, const char *name, json_t **out, struct pg_err *err)
{
	struct store_conn *c = store_conn_get(r->store, err);
	int64_t id;
	return c ? reg_service_get(c, name, out, &id, err) : err->code;
}

int registry_service_delete(struct registry *r, const struct pg_call *call, const char *name,
                            struct pg_err *err)
{
	struct store_conn *c = store_conn_get(r->store, err);
	int64_t id = 0, idx = 0;
	json_t *before = NULL;
	int rc = c ? store_begin(c, STORE_TX_WRITE, err) : err->code;
	if (rc == 0) {
		rc = reg_service_get(c, name, &before, &id, err);
		if (rc == 0)
			rc = reg_bump(c, &idx, err);
		if (rc == 0)
			rc = reg_service_delete(c, id, err);
		if (rc == 0)
			rc = audit_record(c, call, "service.delete", "service", id, before, err);
		rc = store_end(c, rc, err);
		if (rc == 0)
			registry_changed(r, idx);
	}
	json_decref(before);
	return rc;
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

int registry_static_put(struct registry *r, const struct pg_call *call, const char *service,
                        int64_t eid, json_t *body, json_t **out, struct pg_err *err)
{
	bool create = eid == 0;
	struct static_ep e = {.ip = "", .health = "healthy", .weight = 1};
	int64_t sid = 0, idx = 0, taken = 0;
	json_t *old = NULL;
	struct store_conn *c = store_conn_get(r->store, err);
	int rc = c ? store_begin(c, STORE_TX_WRITE, err) : err->code;
	if (rc != 0)
		return rc;
	rc = reg_service_get(c, service, NULL, &sid, err);
	if (rc == 0 && !create)
		rc = static_old(c, service, eid, &old, &e, err);
	if (rc == 0)
		rc = static_fields(body, create, &e, err);
	bool moved = !create && rc == 0 &&
	             (strcmp(e.ip, json_string_value(json_object_get(old, "ip"))) ||
	              e.port != json_integer_value(json_object_get(old, "port")));
	if (rc == 0 && (create || moved))
		rc = reg_endpoint_find(c, sid, e.ip, e.port, &taken, err);
	if (rc == 0 && taken)
		rc = pg_err_set(err, PG_ECONFLICT, "ip",
		                "%s:%lld is already an endpoint of this service", e.ip,
		                (long long)e.port);
	if (rc == 0)
		rc = reg_bump(c, &idx, err);
	if (rc == 0 && moved)
		rc = reg_endpoint_delete(c, eid, err); /* the address is the key: re-create */
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
		rc = reg_endpoint_put(c, &in, idx, &eid, &changed, err);
	}
	free(md);
	if (rc == 0)
		rc = reg_endpoint_get(c, eid, out, err);
	if (rc == 0)
		rc = audit_record(c, call, create ? "endpoint.create" : "endpoint.update",
		                  "endpoint", eid, *out, err);
	rc = store_end(c, rc, err);
	if (rc == 0)
		registry_changed(r, idx);
	json_decref(old);
	return rc;
}

int registry_endpoint_delete(struct registry *r, const struct pg_call *call, const char *service,
                             int64_t eid, struct pg_err *err)
{
	int64_t idx = 0, sid;
	json_t *old = NULL;
	struct store_conn *c = store_conn_get(r->store, err);
	int rc = c ? store_begin(c, STORE_TX_WRITE, err) : err->code;
	if (rc == 0) {
		rc = reg_service_get(c, service, NULL, &sid, err);
		if (rc == 0)
			rc = reg_endpoint_get(c, eid, &old, err);
		if (rc == 0 && strcmp(json_string_value(json_object_get(old, "service")), service))
			rc = pg_err_set(err, PG_ENOTFOUND, "id", "no endpoint %lld in this service",
			                (long long)eid);
		if (rc == 0)
			rc = reg_bump(c, &idx, err);
		if (rc == 0)
			rc = reg_endpoint_delete(c, eid, err);
		if (rc == 0)
			rc = audit_record(c, call, "endpoint.delete", "endpoint", eid, old, err);
		rc = store_end(c, rc, err);
		if (rc == 0)
			registry_changed(r, idx);
	}
	json_decref(old);
	return rc;
}
