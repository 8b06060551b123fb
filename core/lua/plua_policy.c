/* Typed calls of the shipped policies and templates: C validates the shape
 * of every answer, so a wrong override fails loudly with the script's name
 * and what was wrong instead of steering a release with garbage. */
#include "lua/plua_policy.h"
#include "common/pg_map.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int bad(struct pg_err *err, const char *script, const char *fmt, const char *detail)
{
	char msg[400];
	snprintf(msg, sizeof(msg), fmt, detail);
	return pg_err_set(err, PG_EPRECOND, "", "%s returned a bad value: %s", script, msg);
}

static int call1(struct plua *h, const char *rel, const char *fn, json_t *args, json_t **out,
                 struct pg_err *err)
{
	int rc = plua_call(h, rel, fn, args, out, err);
	json_decref(args);
	return rc;
}

static bool is_int(json_t *v, json_int_t min)
{
	return json_is_integer(v) && json_integer_value(v) >= min;
}

int plua_batch_plan(struct plua *h, json_t *ctx, json_t **plan, struct pg_err *err)
{
	static const char rel[] = "policies/batch.lua";
	json_t *out = NULL;
	int rc = call1(h, rel, "plan", json_pack("[O]", ctx), &out, err);
	if (rc != 0)
		return rc;
	json_t *batches = json_object_get(out, "batches"),
	       *skipped = json_object_get(out, "skipped");
	json_t *nodes = json_object_get(ctx, "nodes"), *seen = json_object();
	char key[32];
	size_t i, j;
	json_t *b, *n;
	if (!json_is_array(batches) || !json_is_array(skipped)) {
		rc = bad(err, rel, "%s", "want {batches = {...}, skipped = {...}}");
		goto out;
	}
	json_array_foreach (batches, i, b) {
		json_t *ids = json_object_get(b, "nodes");
		if (!json_is_array(ids) || json_array_size(ids) == 0 ||
		    json_integer_value(json_object_get(b, "index")) != (json_int_t)i + 1 ||
		    !is_int(json_object_get(b, "maxParallel"), 1) ||
		    !is_int(json_object_get(b, "failureThreshold"), 0) ||
		    !is_int(json_object_get(b, "timeoutSec"), 1) ||
		    !is_int(json_object_get(b, "pauseAfterSec"), 0) ||
		    !json_is_boolean(json_object_get(b, "canary"))) {
			snprintf(key, sizeof(key), "%zu", i + 1);
			rc = bad(err, rel,
			         "batch %s needs index (in order), a non-empty nodes list, canary, "
			         "maxParallel >= 1, failureThreshold >= 0, timeoutSec >= 1, "
			         "pauseAfterSec >= 0",
			         key);
			goto out;
		}
		json_array_foreach (ids, j, n) {
			snprintf(key, sizeof(key), "%lld", (long long)json_integer_value(n));
			if (!is_int(n, 1) || json_object_get(seen, key)) {
				rc = bad(err, rel, "node %s is not an id or is planned twice", key);
				goto out;
			}
			json_object_set_new(seen, key, json_true());
		}
	}
	json_array_foreach (skipped, i, b) {
		json_t *id = json_object_get(b, "nodeId");
		snprintf(key, sizeof(key), "%lld", (long long)json_integer_value(id));
		if (!is_int(id, 1) || !json_is_string(json_object_get(b, "reason")) ||
		    json_object_get(seen, key)) {
			rc = bad(err, rel, "skipped node %s needs nodeId and reason, once", key);
			goto out;
		}
		json_object_set_new(seen, key, json_true());
	}
	/* Every target node is accounted for, and nothing else is. */
	json_array_foreach (nodes, i, n) {
		snprintf(key, sizeof(key), "%lld",
		         (long long)json_integer_value(json_object_get(n, "id")));
		if (!json_object_get(seen, key)) {
			rc = bad(err, rel, "node %s is neither planned nor skipped", key);
			goto out;
		}
		json_object_del(seen, key);
	}
	if (json_object_size(seen) > 0) {
		rc = bad(err, rel, "%s", "it planned nodes that are not targets of the release");
		goto out;
	}
	*plan = json_incref(out);
out:
	json_decref(seen);
	json_decref(out);
	return rc;
}

/* FNV-1a of the address, mixed with the port */
static int64_t endpoint_key(const char *ip, json_int_t port)
{
	uint64_t h = 14695981039346656037ULL;
	for (const unsigned char *p = (const unsigned char *)ip; *p; p++)
		h = (h ^ *p) * 1099511628211ULL;
	return (int64_t)((h ^ (uint64_t)port) * 1099511628211ULL);
}

static bool same_endpoint(json_t *e, const char *ip, json_int_t port)
{
	const char *eip = json_string_value(json_object_get(e, "ip"));
	json_t *eport = json_object_get(e, "port");
	return eip && strcmp(eip, ip) == 0 && json_is_integer(eport) &&
	       json_integer_value(eport) == port;
}

/* Whether ip:port is one of endpoints. Two endpoints whose keys collide
 * keep only the last in the map: a miss falls back to a scan, so a
 * collision costs time, never a wrong answer. */
static bool is_endpoint(const struct pg_map *known, json_t *endpoints, const char *ip,
                        json_int_t port)
{
	json_t *e = pg_map_get(known, endpoint_key(ip, port));
	if (e && same_endpoint(e, ip, port))
		return true;
	size_t i;
	json_array_foreach (endpoints, i, e) {
		if (same_endpoint(e, ip, port))
			return true;
	}
	return false;
}

int plua_upstream_filter(struct plua *h, json_t *service, json_t *endpoints, json_t *opts,
                         json_t **result, struct pg_err *err)
{
	static const char rel[] = "policies/upstream.lua";
	json_t *out = NULL;
	int rc = call1(
	        h, rel, "filter",
	        json_pack("[O,O,o]", service, endpoints, opts ? json_incref(opts) : json_object()),
	        &out, err);
	if (rc != 0)
		return rc;
	const char *status = json_string_value(json_object_get(out, "status"));
	json_t *servers = json_object_get(out, "servers");
	struct pg_map *known = NULL;
	size_t i, j;
	json_t *s, *e;
	if (!status ||
	    (strcmp(status, "ok") && strcmp(status, "degraded") && strcmp(status, "unavailable")) ||
	    !json_is_array(servers)) {
		rc = bad(err, rel, "%s",
		         "want {status = ok|degraded|unavailable, servers = {...}}");
		goto out;
	}
	if (strcmp(status, "unavailable") == 0 ? json_array_size(servers) != 0
	                                       : json_array_size(servers) == 0) {
		rc = bad(err, rel, "%s", "status unavailable goes with no servers, and only then");
		goto out;
	}
	/* every endpoint by a hash of ip and port: one lookup per server, not a
	 * scan (10,000 endpoints would be 10^8 comparisons) */
	known = pg_map_new();
	if (!known) {
		rc = pg_err_set(err, PG_EINTERNAL, "", "out of memory");
		goto out;
	}
	json_array_foreach (endpoints, j, e) {
		const char *ip = json_string_value(json_object_get(e, "ip"));
		json_t *port = json_object_get(e, "port");
		if (ip && json_is_integer(port) &&
		    pg_map_put(known, endpoint_key(ip, json_integer_value(port)), e) != 0) {
			rc = pg_err_set(err, PG_EINTERNAL, "", "out of memory");
			goto out;
		}
	}
	json_array_foreach (servers, i, s) {
		const char *addr = json_string_value(json_object_get(s, "address"));
		json_t *port = json_object_get(s, "port"), *w = json_object_get(s, "weight");
		if (!addr || !json_is_integer(port) ||
		    !is_endpoint(known, endpoints, addr, json_integer_value(port)) ||
		    !is_int(w, 1) || json_integer_value(w) > 1000 ||
		    !json_is_boolean(json_object_get(s, "backup"))) {
			rc = bad(err, rel,
			         "server %s is not one of the endpoints, or lacks weight 1..1000 "
			         "and backup",
			         addr ? addr : "?");
			goto out;
		}
	}
	*result = json_incref(out);
out:
	pg_map_free(known);
	json_decref(out);
	return rc;
}

int plua_rollback_decide(struct plua *h, json_t *ctx, json_t **decision, struct pg_err *err)
{
	static const char rel[] = "policies/rollback.lua";
	json_t *out = NULL;
	int rc = call1(h, rel, "decide", json_pack("[O]", ctx), &out, err);
	if (rc != 0)
		return rc;
	const char *action = json_string_value(json_object_get(out, "action"));
	if (!action ||
	    (strcmp(action, "continue") && strcmp(action, "pause") && strcmp(action, "fail") &&
	     strcmp(action, "rollback")) ||
	    !json_is_string(json_object_get(out, "reason")))
		rc = bad(err, rel, "%s",
		         "want {action = continue|pause|fail|rollback, reason = text}");
	else if (strcmp(action, "rollback") == 0 &&
	         !is_int(json_object_get(out, "targetReleaseId"), 1))
		rc = bad(err, rel, "%s", "a rollback needs targetReleaseId");
	if (rc == 0)
		*decision = json_incref(out);
	json_decref(out);
	return rc;
}

int plua_render(struct plua *h, const char *name, json_t *input, char **text, struct pg_err *err)
{
	char rel[96];
	snprintf(rel, sizeof(rel), "templates/%s.lua", name);
	json_t *out = NULL;
	int rc = call1(h, rel, "render", json_pack("[O]", input), &out, err);
	if (rc != 0) {
		/* A check that names a field is a problem with the input. */
		if (err->field[0])
			err->code = PG_EINVAL;
		return err->code;
	}
	if (!json_is_string(out)) {
		json_decref(out);
		return bad(err, rel, "%s", "render must return the text");
	}
	*text = strdup(json_string_value(out));
	json_decref(out);
	return *text ? 0 : pg_err_set(err, PG_EINTERNAL, "", "out of memory");
}

int plua_drift_decide(struct plua *h, json_t *ctx, json_t **decision, struct pg_err *err)
{
	static const char rel[] = "policies/drift.lua";
	json_t *out = NULL;
	int rc = call1(h, rel, "decide", json_pack("[O]", ctx), &out, err);
	if (rc != 0)
		return rc;
	const char *action = json_string_value(json_object_get(out, "action"));
	if (!action || (strcmp(action, "heal") && strcmp(action, "alert")) ||
	    !json_is_string(json_object_get(out, "reason"))) {
		json_decref(out);
		return bad(err, rel, "%s", "want {action = \"heal\"|\"alert\", reason = \"...\"}");
	}
	*decision = out;
	return 0;
}
