/* Registry logic: validation, the change index, agent reports, TTL expiry
 * and offline propagation. */
#include "audit/audit.h"
#include "cluster/cluster.h"
#include "common/pg_json.h"
#include "common/pg_log.h"
#include "common/pg_ticker.h"
#include "common/pg_time.h"
#include "registry/registry_int.h"
#include "store/store.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DEFAULT_TTL_SEC 30

static const struct pg_call system_call = {"system", NULL, NULL};

int64_t registry_index(struct registry *r)
{
	pthread_mutex_lock(&r->lock);
	int64_t i = r->index;
	pthread_mutex_unlock(&r->lock);
	return i;
}

static void changed_here(struct registry *r, int64_t idx)
{
	pthread_mutex_lock(&r->lock);
	if (idx > r->index)
		r->index = idx;
	pthread_mutex_unlock(&r->lock);
	pg_wake_one(&r->wake, 0);
}

void registry_changed(struct registry *r, int64_t idx)
{
	changed_here(r, idx);
	if (store_shared(r->store)) { /* blocking queries may wait on another replica */
		char v[24];
		snprintf(v, sizeof(v), "%lld", (long long)idx);
		store_notify(r->store, "pagoda_registry", v);
	}
}

/* A change made through any replica (NULL: some may have been missed). */
static void on_notice(void *arg, const char *payload)
{
	struct registry *r = arg;
	if (payload) {
		changed_here(r, strtoll(payload, NULL, 10));
		return;
	}
	/* re-read the index later, on a store thread; wake the waiters now */
	pg_wake_one(&r->wake, 0);
}

static struct store_conn *begin(struct registry *r, struct pg_err *err)
{
	struct store_conn *c = store_conn_get(r->store, err);
	if (c && store_begin(c, STORE_TX_WRITE, err) != 0)
		return NULL;
	return c;
}

/* Commits (rc 0) or rolls back; after a commit that changed the index,
 * wakes the blocking queries. */
static int finish(struct registry *r, struct store_conn *c, int rc, int64_t idx, struct pg_err *err)
{
	rc = store_end(c, rc, err);
	if (rc == 0 && idx)
		registry_changed(r, idx);
	return rc;
}

static bool name_ok(const char *n)
{
	size_t len = strlen(n);
	if (len == 0 || len > 63 || n[0] == '-' || n[0] == '.')
		return false;
	for (; *n; n++)
		if (!strchr("abcdefghijklmnopqrstuvwxyz0123456789-._", *n))
			return false;
	return true;
}

/* Validates a health check and returns it normalised (defaults filled). */
static json_t *health_check(json_t *hc, struct pg_err *err)
{
	static const char *const fields[] = {"type",
	                                     "path",
	                                     "intervalSec",
	                                     "timeoutSec",
	                                     "healthyThreshold",
	                                     "unhealthyThreshold",
	                                     "expectStatus",
	                                     NULL};
	const char *type = "tcp", *path = NULL;
	int64_t interval = 10, timeout = 2, up = 1, down = 3, expect = 200;
	int rc = hc ? pg_json_only(hc, fields, err) : 0;
	if (rc == 0 && hc)
		rc = pg_json_str(hc, "type", false, 16, &type, err);
	if (rc == 0 && strcmp(type, "http") && strcmp(type, "tcp") && strcmp(type, "process"))
		rc = pg_err_set(err, PG_EINVAL, "type", "type must be http, tcp or process");
	if (rc == 0 && hc)
		rc = pg_json_str(hc, "path", strcmp(type, "http") == 0, 1024, &path, err);
	if (rc == 0 && path && (path[0] != '/' || !pg_str_is_printable(path) || strchr(path, ' ')))
		rc = pg_err_set(err, PG_EINVAL, "path", "path must be a URL path starting with /");
	if (rc == 0 && hc)
		rc = pg_json_int(hc, "intervalSec", false, 1, 3600, &interval, err);
	if (rc == 0 && hc)
		rc = pg_json_int(hc, "timeoutSec", false, 1, 60, &timeout, err);
	if (rc == 0 && hc)
		rc = pg_json_int(hc, "healthyThreshold", false, 1, 10, &up, err);
	if (rc == 0 && hc)
		rc = pg_json_int(hc, "unhealthyThreshold", false, 1, 10, &down, err);
	if (rc == 0 && hc)
		rc = pg_json_int(hc, "expectStatus", false, 100, 599, &expect, err);
	if (rc != 0) {
		pg_err_prefix_field(err, "healthCheck");
		return NULL;
	}
	json_t *out = json_pack("{s:s, s:I, s:I, s:I, s:I}", "type", type, "intervalSec",
	                        (json_int_t)interval, "timeoutSec", (json_int_t)timeout,
	                        "healthyThreshold", (json_int_t)up, "unhealthyThreshold",
	                        (json_int_t)down);
	if (path) {
		json_object_set_new(out, "path", json_string(path));
		json_object_set_new(out, "expectStatus", json_integer(expect));
	}
	return out;
}

int registry_service_put(struct registry *r, const struct pg_call *call, json_t *spec,
                         bool create_only, json_t **out, struct pg_err *err)
{
	static const char *const fields[] = {"name",        "protocol", "port",
	                                     "healthCheck", "metadata", NULL};
	const char *name = NULL, *protocol = "http";
	int64_t port = 0, id = 0, idx = 0;
	json_t *hc_in = NULL, *md = NULL, *hc = NULL;
	int rc = pg_json_only(spec, fields, err);
	if (rc == 0)
		rc = pg_json_str(spec, "name", true, 63, &name, err);
	if (rc == 0 && !name_ok(name))
		rc = pg_err_set(err, PG_EINVAL, "name",
		                "name must be 1-63 lowercase letters, digits, '-', '.', '_'");
	if (rc == 0)
		rc = pg_json_str(spec, "protocol", false, 8, &protocol, err);
	if (rc == 0 && strcmp(protocol, "http") && strcmp(protocol, "tcp"))
		rc = pg_err_set(err, PG_EINVAL, "protocol", "protocol must be http or tcp");
	if (rc == 0)
		rc = pg_json_int(spec, "port", true, 1, 65535, &port, err);
	if (rc == 0)
		rc = pg_json_obj(spec, "healthCheck", false, &hc_in, err);
	if (rc == 0 && !(hc = health_check(hc_in, err)))
		rc = err->code;
	if (rc == 0)
		rc = pg_json_obj(spec, "metadata", false, &md, err);
	if (rc == 0 && md)
		rc = pg_json_string_map(md, "metadata", 64, err);
	struct store_conn *c = rc == 0 ? begin(r, err) : NULL;
	if (rc == 0 && !c)
		rc = err->code;
	char *hc_text = hc ? pg_json_dump(hc) : NULL,
	     *md_text = md ? pg_json_dump(md) : strdup("{}");
	bool exists = false;
	if (rc == 0) {
		rc = reg_service_get(c, name, NULL, &id, err);
		exists = rc == 0;
		if (rc == PG_ENOTFOUND)
			rc = 0;
		if (rc == 0 && exists && create_only)
			rc = pg_err_set(err, PG_ECONFLICT, "name",
			                "a service named '%s' exists already", name);
	}
	if (rc == 0)
		rc = reg_bump(c, &idx, err);
	if (rc == 0)
		rc = exists ? reg_service_update(c, id, protocol, port, hc_text, md_text, idx, err)
		            : reg_service_insert(c, name, protocol, port, hc_text, md_text, idx,
		                                 &id, err);
	if (rc == 0) {
		json_t *d = json_pack("{s:s, s:s, s:I, s:O}", "name", name, "protocol", protocol,
		                      "port", (json_int_t)port, "healthCheck", hc);
		rc = audit_record(c, call, exists ? "service.update" : "service.create", "service",
		                  id, d, err);
		json_decref(d);
	}
	if (rc == 0)
		rc = reg_service_get(c, name, out, &id, err);
	if (c)
		rc = finish(r, c, rc, idx, err);
	free(hc_text);
	free(md_text);
	json_decref(hc);
	return rc;
}

int registry_endpoints(struct registry *r, const char *service, bool healthy_only, json_t **items,
                       int64_t *index, struct pg_err *err)
{
	struct store_conn *c = store_conn_get(r->store, err);
	if (!c || store_begin(c, STORE_TX_READ, err) != 0)
		return err->code;
	int64_t id;
	*items = json_array();
	int rc = reg_service_get(c, service, NULL, &id, err);
	if (rc == 0)
		rc = reg_index(c, index, err);
	if (rc == 0)
		rc = reg_endpoint_list(c, id, healthy_only, *items, err);
	store_rollback(c); /* read-only: nothing to keep */
	if (rc != 0) {
		json_decref(*items);
		*items = NULL;
	}
	return rc;
}

static bool health_ok(const char *h)
{
	return strcmp(h, "healthy") == 0 || strcmp(h, "unhealthy") == 0 ||
	       strcmp(h, "unknown") == 0;
}

int registry_agent_report(struct registry *r, const struct pg_call *call, int64_t node_id,
                          json_t *endpoints, struct pg_err *err)
{
	static const char *const fields[] = {"service", "port",   "health", "weight",
	                                     "version", "ttlSec", "note",   NULL};
	char ip[64];
	int rc = cluster_node_ip(r->cluster, node_id, ip, sizeof(ip), err);
	if (rc != 0)
		return rc;
	if (!json_is_array(endpoints) || json_array_size(endpoints) > 256)
		return pg_err_set(err, PG_EINVAL, "endpoints",
		                  "endpoints must be a list of at most 256");
	struct store_conn *c = begin(r, err);
	if (!c)
		return err->code;
	/* Writes are serialised (BEGIN IMMEDIATE), so the next index is
	 * current + 1; it is claimed only if something really changes. */
	int64_t idx = 0, cur = 0, now = pg_time_now_ms();
	bool any = false;
	json_t *kept = json_object(), *old = json_array();
	rc = reg_index(c, &cur, err);
	idx = cur + 1;
	size_t i;
	json_t *e;
	json_array_foreach (endpoints, i, e) {
		if (rc != 0)
			break;
		const char *svc = NULL, *health = "unknown", *version = NULL, *note = NULL;
		int64_t port = 0, weight = 1, ttl = DEFAULT_TTL_SEC, sid = 0, eid = 0;
		bool changed = false;
		if (!json_is_object(e))
			rc = pg_err_set(err, PG_EINVAL, "", "must be an object");
		if (rc == 0)
			rc = pg_json_only(e, fields, err);
		if (rc == 0)
			rc = pg_json_str(e, "service", true, 63, &svc, err);
		if (rc == 0)
			rc = pg_json_int(e, "port", true, 1, 65535, &port, err);
		if (rc == 0)
			rc = pg_json_str(e, "health", false, 16, &health, err);
		if (rc == 0 && !health_ok(health))
			rc = pg_err_set(err, PG_EINVAL, "health",
			                "health must be healthy, unhealthy or unknown");
		if (rc == 0)
			rc = pg_json_int(e, "weight", false, 1, 1000, &weight, err);
		if (rc == 0)
			rc = pg_json_str(e, "version", false, 128, &version, err);
		if (rc == 0)
			rc = pg_json_str(e, "note", false, 1024, &note, err);
		if (rc == 0)
			rc = pg_json_int(e, "ttlSec", false, 5, 86400, &ttl, err);
		if (rc == 0 && (rc = reg_service_get(c, svc, NULL, &sid, err)) == PG_ENOTFOUND)
			rc = pg_err_set(err, PG_EPRECOND, "service",
			                "no service '%s' is registered", svc);
		if (rc == 0) {
			struct reg_endpoint_in in = {
			        .service_id = sid,
			        .node_id = node_id,
			        .port = port,
			        .weight = weight,
			        .ttl_sec = ttl,
			        .last_seen = now,
			        .ip = ip,
			        .health = health,
			        .note = note,
			        .version = version,
			        .source = "agent",
			        .metadata = "{}",
			};
			rc = reg_endpoint_put(c, &in, idx, &eid, &changed, err);
		}
		if (rc != 0) {
			char f[32];
			snprintf(f, sizeof(f), "endpoints[%zu]", i);
			pg_err_prefix_field(err, f);
			break;
		}
		char key[24];
		snprintf(key, sizeof(key), "%lld", (long long)eid);
		json_object_set_new(kept, key, json_true());
		if (changed) {
			any = true;
			json_t *d = json_pack("{s:s, s:s, s:I, s:s}", "service", svc, "ip", ip,
			                      "port", (json_int_t)port, "health", health);
			rc = audit_record(c, call, "endpoint.report", "endpoint", eid, d, err);
			json_decref(d);
			if (rc != 0)
				break;
		}
	}
	/* Declarative: what the node no longer reports is gone. */
	if (rc == 0)
		rc = reg_node_endpoints(c, node_id, old, err);
	json_array_foreach (old, i, e) {
		if (rc != 0)
			break;
		char key[24];
		json_int_t eid = json_integer_value(json_object_get(e, "id"));
		snprintf(key, sizeof(key), "%lld", (long long)eid);
		if (json_object_get(kept, key))
			continue;
		rc = reg_endpoint_delete(c, eid, err);
		if (rc == 0)
			rc = audit_record(c, call, "endpoint.remove", "endpoint", eid, e, err);
		any = true;
	}
	json_decref(kept);
	json_decref(old);
	if (rc == 0 && any)
		rc = reg_bump(c, &idx, err);
	/* Only refreshed: last_seen moves, the index does not. */
	return finish(r, c, rc, any ? idx : 0, err);
}

void registry_node_status(struct registry *r, int64_t node_id, bool online)
{
	if (online)
		return; /* the node's next report restores the health it measures */
	struct pg_err err = {0};
	struct store_conn *c = begin(r, &err);
	if (!c)
		return;
	int64_t idx = 0;
	int rc = reg_bump(c, &idx, &err), n = 0;
	if (rc == 0)
		n = rc = reg_node_health(c, node_id, "unhealthy", "node offline", idx, &err);
	if (rc > 0) {
		json_t *d = json_pack("{s:I, s:i}", "nodeId", (json_int_t)node_id, "endpoints", n);
		rc = audit_record(c, &system_call, "endpoint.node_offline", "node", node_id, d,
		                  &err);
		json_decref(d);
	}
	if (rc >= 0 && n > 0) {
		finish(r, c, 0, idx, &err);
		pg_info("registry", "node %lld offline: %d endpoint(s) marked unhealthy",
		        (long long)node_id, n);
	} else {
		store_rollback(c);
	}
}

/* Drops agent endpoints whose TTL ran out. */
static void sweep(void *arg)
{
	struct registry *r = arg;
	struct pg_err err = {0};
	struct store_conn *c = store_conn_get(r->store, &err);
	int64_t idx = 0;
	/* a change notice lost with a broken session still shows up here */
	if (c && store_shared(r->store) && reg_index(c, &idx, &err) == 0 && idx > registry_index(r))
		changed_here(r, idx);
	if (!c || !store_leader(r->store, STORE_ROLE_REGISTRY))
		return;
	json_t *ids = json_array();
	if (!c || reg_expired(c, pg_time_now_ms(), ids, &err) != 0 || json_array_size(ids) == 0) {
		json_decref(ids);
		return;
	}
	if (store_begin(c, STORE_TX_WRITE, &err) != 0) {
		json_decref(ids);
		return;
	}
	int rc = reg_bump(c, &idx, &err);
	size_t i;
	json_t *v;
	json_array_foreach (ids, i, v) {
		json_t *ep = NULL;
		if (rc == 0)
			rc = reg_endpoint_get(c, json_integer_value(v), &ep, &err);
		if (rc == 0)
			rc = reg_endpoint_delete(c, json_integer_value(v), &err);
		if (rc == 0)
			rc = audit_record(c, &system_call, "endpoint.expire", "endpoint",
			                  json_integer_value(v), ep, &err);
		json_decref(ep);
	}
	finish(r, c, rc, idx, &err);
	if (rc == 0)
		pg_info("registry", "%zu agent endpoint(s) expired", json_array_size(ids));
	json_decref(ids);
}

int registry_new(struct store *s, struct cluster *cl, const struct pg_wake *wake,
                 struct registry **out, struct pg_err *err)
{
	struct registry *r = calloc(1, sizeof(*r));
	if (!r)
		return pg_err_set(err, PG_EINTERNAL, "", "out of memory");
	r->store = s;
	r->cluster = cl;
	r->wake = *wake;
	pthread_mutex_init(&r->lock, NULL);
	struct store_conn *c = store_conn_get(s, err);
	int rc = c ? reg_index(c, &r->index, err) : err->code;
	if (rc == 0)
		rc = store_listen(s, "pagoda_registry", on_notice, r, err);
	if (rc == 0)
		rc = pg_ticker_start(1000, false, sweep, r, &r->sweeper, err);
	if (rc != 0) {
		registry_free(r);
		return rc;
	}
	*out = r;
	return 0;
}

void registry_free(struct registry *r)
{
	if (!r)
		return;
	store_unlisten(r->store, r);
	pg_ticker_stop(r->sweeper);
	pthread_mutex_destroy(&r->lock);
	free(r);
}
