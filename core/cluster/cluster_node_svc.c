/* Nodes: registration, labels, cordon, agent tokens, and liveness kept in
 * memory (heartbeats touch the store only on a transition or a batch flush). */
#include "audit/audit.h"
#include "cluster/cluster_int.h"
#include "common/pg_json.h"
#include "common/pg_log.h"
#include "common/pg_time.h"
#include "store/store.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct pg_call system_call = {"system", NULL, NULL};

static bool node_name_ok(const char *n)
{
	size_t len = strlen(n);
	if (len == 0 || len > 63 || n[0] == '-' || n[0] == '.')
		return false;
	for (; *n; n++)
		if (!strchr("abcdefghijklmnopqrstuvwxyz0123456789-._", *n))
			return false;
	return true;
}

/* Validates the writable node fields; fills *labels_text (owned) when given. */
static int node_fields(json_t *body, bool create, const char **name, const char **ip,
                       char **labels_text, struct pg_err *err)
{
	static const char *const fields[] = {"name", "ip", "labels", NULL};
	json_t *labels = NULL;
	int rc = pg_json_only(body, fields, err);
	if (rc == 0)
		rc = pg_json_str(body, "name", create, 63, name, err);
	if (rc == 0 && **name && !node_name_ok(*name))
		rc = pg_err_set(err, PG_EINVAL, "name",
		                "name must be 1-63 lowercase letters, digits, '-', '.', '_'");
	if (rc == 0)
		rc = pg_json_str(body, "ip", create, 45, ip, err);
	if (rc == 0 && **ip) {
		unsigned char buf[16];
		if (inet_pton(AF_INET, *ip, buf) != 1 && inet_pton(AF_INET6, *ip, buf) != 1)
			rc = pg_err_set(err, PG_EINVAL, "ip", "ip must be an IPv4 or IPv6 address");
	}
	if (rc == 0)
		rc = pg_json_obj(body, "labels", false, &labels, err);
	if (rc == 0 && labels)
		rc = pg_json_string_map(labels, "labels", 64, err);
	if (rc == 0 && !create && !**name && !**ip && !labels)
		rc = pg_err_set(err, PG_EINVAL, "", "give at least one of name, ip, labels");
	if (rc == 0 && labels)
		*labels_text = pg_json_dump(labels);
	return rc;
}

/* Begins a write transaction on the calling thread's connection. */
static struct store_conn *begin_write(struct cluster *cl, struct pg_err *err)
{
	struct store_conn *c = store_conn_get(cl->store, err);
	if (c && store_begin(c, STORE_TX_WRITE, err) != 0)
		return NULL;
	return c;
}

/* Commits when rc is 0, else rolls back; returns the final code. */
/* A new node and its agent token, audited as action (inside c's
 * transaction); extra goes into the audit details. */
static int node_insert(struct store_conn *c, const struct pg_call *call, const char *action,
                       const char *name, const char *ip, const char *labels, json_t *extra,
                       int64_t *id, json_t **out, char secret[AUTH_SECRET_LEN], struct pg_err *err)
{
	int64_t token_id = 0;
	int rc = cluster_node_store_insert(c, name, ip, labels ? labels : "{}", id, err);
	if (rc == 0)
		rc = auth_agent_token_issue(c, *id, 0, secret, &token_id, err);
	if (rc == 0) {
		json_t *d = json_pack("{s:s, s:s, s:o}", "name", name, "ip", ip, "labels",
		                      pg_json_load_text(labels ? labels : "{}"));
		if (extra)
			json_object_update(d, extra);
		rc = audit_record(c, call, action, "node", *id, d, err);
		json_decref(d);
	}
	if (rc == 0)
		rc = cluster_node_store_get(c, *id, out, err);
	return rc;
}

int cluster_node_create(struct cluster *cl, const struct pg_call *call, json_t *body, json_t **out,
                        char secret[AUTH_SECRET_LEN], struct pg_err *err)
{
	const char *name = "", *ip = "";
	char *labels = NULL;
	int rc = node_fields(body, true, &name, &ip, &labels, err);
	struct store_conn *c = rc == 0 ? begin_write(cl, err) : NULL;
	if (rc == 0 && !c)
		rc = err->code;
	int64_t id = 0;
	if (rc == 0)
		rc = node_insert(c, call, "node.create", name, ip, labels, NULL, &id, out, secret,
		                 err);
	if (c)
		rc = store_end(c, rc, err);
	free(labels);
	if (rc == 0)
		cluster_live_add(cl, id);
	return rc;
}

int cluster_join_token_create(struct cluster *cl, const struct pg_call *call, int64_t created_by,
                              json_t *body, json_t **out, char secret[AUTH_SECRET_LEN],
                              struct pg_err *err)
{
	static const char *const fields[] = {"name", "labels", "ttlSec", NULL};
	const char *name = "";
	json_t *labels = NULL;
	int64_t ttl = 3600;
	int rc = pg_json_only(body, fields, err);
	if (rc == 0)
		rc = pg_json_str(body, "name", true, 63, &name, err);
	if (rc == 0 && !node_name_ok(name))
		rc = pg_err_set(err, PG_EINVAL, "name",
		                "name must be 1-63 lowercase letters, digits, '-', '.', '_'");
	if (rc == 0)
		rc = pg_json_obj(body, "labels", false, &labels, err);
	if (rc == 0 && labels)
		rc = pg_json_string_map(labels, "labels", 64, err);
	if (rc == 0)
		rc = pg_json_int(body, "ttlSec", false, 60, AUTH_JOIN_TTL_MAX_MS / 1000, &ttl, err);
	if (rc != 0)
		return rc;
	char *text = labels ? pg_json_dump(labels) : strdup("{}");
	struct store_conn *c = text ? begin_write(cl, err) : NULL;
	rc = !text ? pg_err_set(err, PG_EINTERNAL, "", "out of memory") : c ? 0 : err->code;
	if (rc == 0)
		rc = auth_join_create(c, name, text, ttl * 1000, created_by, secret, out, err);
	if (rc == 0) {
		json_t *d = json_pack("{s:s, s:O, s:O}", "name", name, "labels",
		                      json_object_get(*out, "labels"), "expiresAt",
		                      json_object_get(*out, "expiresAt"));
		rc = audit_record(c, call, "node.join_token.create", "join_token",
		                  json_integer_value(json_object_get(*out, "id")), d, err);
		json_decref(d);
	}
	if (c)
		rc = store_end(c, rc, err);
	free(text);
	return rc;
}

int cluster_join_token_list(struct cluster *cl, json_t *items, struct pg_err *err)
{
	struct store_conn *c = store_conn_get(cl->store, err);
	return c ? auth_join_list(c, items, err) : err->code;
}

int cluster_node_join_check(struct cluster *cl, json_t *body, struct pg_err *err)
{
	static const char *const fields[] = {"joinToken", NULL};
	const char *token = "";
	int rc = pg_json_only(body, fields, err);
	if (rc == 0)
		rc = pg_json_str(body, "joinToken", true, AUTH_SECRET_LEN, &token, err);
	struct store_conn *c = rc == 0 ? store_conn_get(cl->store, err) : NULL;
	return rc ? rc : c ? auth_join_check(c, token, err) : err->code;
}

int cluster_join_token_revoke(struct cluster *cl, const struct pg_call *call, int64_t id,
                              struct pg_err *err)
{
	struct store_conn *c = begin_write(cl, err);
	if (!c)
		return err->code;
	int rc = auth_join_revoke(c, id, err);
	if (rc == 0)
		rc = audit_record(c, call, "node.join_token.revoke", "join_token", id, NULL, err);
	return store_end(c, rc, err);
}

int cluster_node_join(struct cluster *cl, const struct pg_call *call, json_t *body,
                      const char *source_ip, json_t **out, char secret[AUTH_SECRET_LEN],
                      struct pg_err *err)
{
	static const char *const fields[] = {"joinToken", "name", "ip", NULL};
	const char *token = "", *name = "", *ip = "";
	int rc = pg_json_only(body, fields, err);
	if (rc == 0)
		rc = pg_json_str(body, "joinToken", true, AUTH_SECRET_LEN, &token, err);
	if (rc == 0)
		rc = pg_json_str(body, "name", true, 63, &name, err);
	if (rc == 0 && !node_name_ok(name))
		rc = pg_err_set(err, PG_EINVAL, "name",
		                "name must be 1-63 lowercase letters, digits, '-', '.', '_'");
	if (rc == 0)
		rc = pg_json_str(body, "ip", false, 45, &ip, err);
	if (rc == 0 && !*ip)
		ip = source_ip; /* where the agent is seen from */
	unsigned char buf[16];
	if (rc == 0 && inet_pton(AF_INET, ip, buf) != 1 && inet_pton(AF_INET6, ip, buf) != 1)
		rc = pg_err_set(err, PG_EINVAL, "ip", "ip must be an IPv4 or IPv6 address");
	if (rc != 0)
		return rc;
	struct store_conn *c = begin_write(cl, err);
	if (!c)
		return err->code;
	char *labels = NULL;
	int64_t join_id = 0, id = 0;
	rc = auth_join_consume(c, token, &labels, &join_id, err);
	if (rc == 0) {
		json_t *extra = json_pack("{s:I}", "joinTokenId", (json_int_t)join_id);
		rc = node_insert(c, call, "node.join", name, ip, labels, extra, &id, out, secret,
		                 err);
		json_decref(extra);
	}
	if (rc == 0)
		rc = auth_join_bind(c, join_id, id, err);
	rc = store_end(c, rc, err);
	free(labels);
	if (rc == 0)
		cluster_live_add(cl, id);
	return rc;
}

int cluster_node_update(struct cluster *cl, const struct pg_call *call, int64_t id, json_t *body,
                        json_t **out, struct pg_err *err)
{
	const char *name = "", *ip = "";
	char *labels = NULL;
	int rc = node_fields(body, false, &name, &ip, &labels, err);
	struct store_conn *c = rc == 0 ? begin_write(cl, err) : NULL;
	if (rc == 0 && !c)
		rc = err->code;
	json_t *before = NULL;
	if (rc == 0)
		rc = cluster_node_store_get(c, id, &before, err);
	if (rc == 0)
		rc = cluster_node_store_update(c, id, *name ? name : NULL, *ip ? ip : NULL, labels,
		                               err);
	if (rc == 0) {
		json_t *d = json_pack("{s:o, s:O}", "before",
		                      json_pack("{s:O, s:O, s:O}", "name",
		                                json_object_get(before, "name"), "ip",
		                                json_object_get(before, "ip"), "labels",
		                                json_object_get(before, "labels")),
		                      "change", body);
		rc = audit_record(c, call, "node.update", "node", id, d, err);
		json_decref(d);
	}
	if (rc == 0)
		rc = cluster_node_store_get(c, id, out, err);
	if (c)
		rc = store_end(c, rc, err);
	json_decref(before);
	free(labels);
	return rc;
}

int cluster_node_cordon(struct cluster *cl, const struct pg_call *call, int64_t id, bool cordon,
                        json_t **out, struct pg_err *err)
{
	struct store_conn *c = begin_write(cl, err);
	if (!c)
		return err->code;
	json_t *before = NULL;
	int rc = cluster_node_store_get(c, id, &before, err);
	bool was = rc == 0 && json_is_true(json_object_get(before, "cordoned"));
	if (rc == 0 && was != cordon) {
		rc = cluster_node_store_set_cordoned(c, id, cordon, err);
		if (rc == 0)
			rc = audit_record(c, call, cordon ? "node.cordon" : "node.uncordon", "node",
			                  id, NULL, err);
	}
	if (rc == 0)
		rc = cluster_node_store_get(c, id, out, err);
	json_decref(before);
	return store_end(c, rc, err);
}

int cluster_node_delete(struct cluster *cl, const struct pg_call *call, int64_t id,
                        struct pg_err *err)
{
	struct store_conn *c = begin_write(cl, err);
	if (!c)
		return err->code;
	json_t *before = NULL;
	int rc = cluster_node_store_get(c, id, &before, err);
	if (rc == 0)
		rc = cluster_task_cancel_node(c, call, id, err);
	if (rc == 0)
		rc = auth_agent_tokens_revoke(c, id, err);
	if (rc == 0)
		rc = cluster_node_store_delete(c, id, err);
	if (rc == 0)
		rc = cluster_history_forget(c, id, err);
	if (rc == 0) {
		json_t *d = json_pack("{s:O, s:O}", "name", json_object_get(before, "name"), "ip",
		                      json_object_get(before, "ip"));
		rc = audit_record(c, call, "node.delete", "node", id, d, err);
		json_decref(d);
	}
	json_decref(before);
	rc = store_end(c, rc, err);
	if (rc == 0) {
		cluster_live_forget(cl, id);
		cluster_wake(cl, id);
	}
	return rc;
}

int cluster_node_rotate(struct cluster *cl, const struct pg_call *call, int64_t id,
                        int64_t grace_ms, char secret[AUTH_SECRET_LEN], struct pg_err *err)
{
	struct store_conn *c = begin_write(cl, err);
	if (!c)
		return err->code;
	json_t *node = NULL;
	int64_t token_id = 0;
	int rc = cluster_node_store_get(c, id, &node, err);
	if (rc == 0)
		rc = auth_agent_token_issue(c, id, grace_ms, secret, &token_id, err);
	json_t *d = json_pack("{s:I}", "graceSec", (json_int_t)(grace_ms / 1000));
	if (rc == 0)
		rc = audit_record(c, call, "node.token.rotate", "node", id, d, err);
	json_decref(d);
	json_decref(node);
	return store_end(c, rc, err);
}

int cluster_node_get(struct cluster *cl, int64_t id, json_t **out, struct pg_err *err)
{
	struct store_conn *c = store_conn_get(cl->store, err);
	if (!c)
		return err->code;
	int rc = cluster_node_store_get(c, id, out, err);
	if (rc == 0)
		cluster_live_overlay(cl, id, *out);
	return rc;
}

int cluster_node_history(struct cluster *cl, int64_t id, const char *range, json_t **out,
                         struct pg_err *err)
{
	if (range && strcmp(range, "day") != 0 && strcmp(range, "week") != 0)
		return pg_err_set(err, PG_EINVAL, "range", "range is day or week, not %s", range);
	struct store_conn *c = store_conn_get(cl->store, err);
	json_t *node = NULL;
	int rc = c ? cluster_node_store_get(c, id, &node, err) : err->code;
	json_decref(node);
	if (rc == 0)
		rc = cluster_history_get(c, id, range && strcmp(range, "week") == 0, out, err);
	return rc;
}

int cluster_node_ip(struct cluster *cl, int64_t node_id, char *ip, size_t len, struct pg_err *err)
{
	json_t *node = NULL;
	int rc = cluster_node_get(cl, node_id, &node, err);
	if (rc == 0)
		snprintf(ip, len, "%s", json_string_value(json_object_get(node, "ip")));
	json_decref(node);
	return rc;
}

int cluster_nodes_select(struct cluster *cl, const char *selector, json_t **nodes,
                         struct pg_err *err)
{
	struct cluster_selector *sel = NULL;
	int rc = selector ? cluster_selector_parse(selector, &sel, err) : 0;
	*nodes = json_array();
	int64_t cursor = 0, next = 0;
	do {
		rc = rc ? rc : cluster_node_list(cl, cursor, 1000, NULL, sel, *nodes, &next, err);
		cursor = next;
	} while (rc == 0 && next);
	cluster_selector_free(sel);
	if (rc != 0) {
		json_decref(*nodes);
		*nodes = NULL;
	}
	return rc;
}

static void tell_status(struct cluster *cl, int64_t node_id, bool online)
{
	if (cl->opts.on_node_status)
		cl->opts.on_node_status(cl->opts.on_node_status_arg, node_id, online);
}

int cluster_node_list(struct cluster *cl, int64_t cursor, int64_t limit, const char *status,
                      const struct cluster_selector *sel, json_t *items, int64_t *next,
                      struct pg_err *err)
{
	struct store_conn *c = store_conn_get(cl->store, err);
	if (!c)
		return err->code;
	*next = 0;
	/* The selector runs here, not in SQL: scan in batches until the page fills. */
	int64_t after = cursor;
	for (;;) {
		json_t *batch = json_array();
		int rc = cluster_node_store_list(c, after, status, 256, batch, err);
		if (rc != 0) {
			json_decref(batch);
			return rc;
		}
		size_t i, n = json_array_size(batch);
		json_t *node;
		json_array_foreach (batch, i, node) {
			int64_t id = json_integer_value(json_object_get(node, "id"));
			if (sel && !cluster_selector_match(sel, json_object_get(node, "labels"))) {
				after = id;
				continue;
			}
			if ((int64_t)json_array_size(items) == limit) {
				*next = after;
				break;
			}
			cluster_live_overlay(cl, id, node);
			json_array_append(items, node);
			after = id;
		}
		json_decref(batch);
		if (*next || n < 256)
			return 0;
	}
}

/* ---- liveness ---- */

static void live_free(struct node_live *l)
{
	if (!l)
		return;
	free(l->facts);
	free(l->agent_version);
	free(l->capabilities);
	free(l);
}

static void load_one(int64_t id, bool online, int64_t last_hb, void *arg)
{
	struct cluster *cl = arg;
	struct node_live *l = calloc(1, sizeof(*l));
	if (!l)
		return;
	/* A node online before a restart gets a fresh grace period: its agent
	 * had no chance to reach a daemon that was down. */
	l->online = online;
	l->last_heartbeat_ms = online ? pg_time_now_ms() : last_hb;
	pg_map_put(cl->nodes, id, l);
}

int cluster_live_load(struct cluster *cl, struct pg_err *err)
{
	struct store_conn *c = store_conn_get(cl->store, err);
	if (!c)
		return err->code;
	pthread_mutex_lock(&cl->lock);
	int rc = cluster_node_store_scan(c, load_one, cl, err);
	pthread_mutex_unlock(&cl->lock);
	return rc;
}

void cluster_live_add(struct cluster *cl, int64_t node_id)
{
	pthread_mutex_lock(&cl->lock);
	if (!pg_map_get(cl->nodes, node_id)) {
		struct node_live *l = calloc(1, sizeof(*l));
		if (l && pg_map_put(cl->nodes, node_id, l) != 0)
			free(l);
	}
	pthread_mutex_unlock(&cl->lock);
}

void cluster_live_forget(struct cluster *cl, int64_t node_id)
{
	pthread_mutex_lock(&cl->lock);
	live_free(pg_map_del(cl->nodes, node_id));
	pthread_mutex_unlock(&cl->lock);
}

void cluster_live_overlay(struct cluster *cl, int64_t node_id, json_t *node)
{
	pthread_mutex_lock(&cl->lock);
	struct node_live *l = pg_map_get(cl->nodes, node_id);
	if (l && l->dirty) {
		pg_json_set_time(node, "lastHeartbeatAt", l->last_heartbeat_ms);
		if (l->facts)
			json_object_set_new(node, "facts", pg_json_load_text(l->facts));
		if (l->agent_version)
			json_object_set_new(node, "agentVersion", json_string(l->agent_version));
	}
	pthread_mutex_unlock(&cl->lock);
}

static void replace(char **slot, char *value)
{
	free(*slot);
	*slot = value;
}

/* Whether caps_text (may be NULL) differs from what l's agent said before. */
static bool caps_changed_of(const struct node_live *l, const char *caps_text)
{
	return caps_text && (!l->capabilities || strcmp(caps_text, l->capabilities) != 0);
}

bool cluster_live_heartbeat_writes(struct cluster *cl, int64_t node_id, json_t *caps)
{
	char *caps_text = caps ? pg_json_dump(caps) : NULL;
	pthread_mutex_lock(&cl->lock);
	struct node_live *l = pg_map_get(cl->nodes, node_id);
	bool writes = l && (!l->online || caps_changed_of(l, caps_text));
	pthread_mutex_unlock(&cl->lock);
	free(caps_text);
	return writes;
}

int cluster_live_heartbeat(struct cluster *cl, const struct pg_call *call, int64_t node_id,
                           const char *agent_version, json_t *caps, json_t *facts,
                           struct pg_err *err)
{
	int64_t now = pg_time_now_ms();
	char *caps_text = caps ? pg_json_dump(caps) : NULL;
	pthread_mutex_lock(&cl->lock);
	struct node_live *l = pg_map_get(cl->nodes, node_id);
	if (!l) {
		pthread_mutex_unlock(&cl->lock);
		free(caps_text);
		return pg_err_set(err, PG_ENOTFOUND, "nodeId", "node %lld no longer exists",
		                  (long long)node_id);
	}
	bool came_online = !l->online, caps_changed = caps_changed_of(l, caps_text);
	l->online = true;
	l->last_heartbeat_ms = now;
	l->dirty = true;
	if (facts)
		replace(&l->facts, pg_json_dump(facts));
	if (agent_version && (!l->agent_version || strcmp(l->agent_version, agent_version) != 0))
		replace(&l->agent_version, strdup(agent_version));
	if (caps_changed)
		replace(&l->capabilities, strdup(caps_text));
	pthread_mutex_unlock(&cl->lock);

	int rc = 0;
	if (came_online || caps_changed) {
		struct store_conn *c = begin_write(cl, err);
		rc = c ? 0 : err->code;
		int changed = 0;
		if (rc == 0 && came_online) {
			/* another replica may have written it already */
			changed = cluster_node_store_set_status(c, node_id, "online", now, err);
			rc = changed < 0 ? changed : 0;
			came_online = changed > 0;
		}
		if (rc == 0)
			rc = cluster_node_store_set_heartbeat(c, node_id, now, NULL, agent_version,
			                                      caps_changed ? caps_text : NULL, err);
		if (rc == 0 && came_online)
			rc = audit_record(c, call, "node.online", "node", node_id, NULL, err);
		if (c)
			rc = store_end(c, rc, err);
		if (rc != 0) {
			/* Let the next heartbeat try the transition again. */
			pthread_mutex_lock(&cl->lock);
			if ((l = pg_map_get(cl->nodes, node_id)) && came_online)
				l->online = false;
			pthread_mutex_unlock(&cl->lock);
		} else if (came_online) {
			pg_info("cluster", "node %lld is online", (long long)node_id);
			tell_status(cl, node_id, true);
		}
	}
	free(caps_text);
	return rc;
}

struct synced {
	struct {
		int64_t id, last;
		bool online;
	} * rows;
	size_t n, cap;
};

static void collect_synced(int64_t id, bool online, int64_t last_hb, void *arg)
{
	struct synced *y = arg;
	if (y->n == y->cap) {
		size_t cap = y->cap ? y->cap * 2 : 256;
		void *p = realloc(y->rows, cap * sizeof(*y->rows));
		if (!p)
			return;
		y->rows = p;
		y->cap = cap;
	}
	y->rows[y->n].id = id;
	y->rows[y->n].last = last_hb;
	y->rows[y->n++].online = online;
}

static void drop_unseen(int64_t id, void *value, void *arg)
{
	struct node_live *l = value;
	struct id_list *gone = arg;
	if (!l->seen)
		id_list_push(gone, id);
	l->seen = false;
}

/* With replicas, liveness is what the store says: the newest heartbeat any
 * replica flushed, the online/offline verdict the leader (or a replica that
 * saw a node come back) wrote, nodes created and deleted elsewhere. */
void cluster_live_sync(struct cluster *cl)
{
	struct pg_err err = {0};
	struct store_conn *c = store_conn_get(cl->store, &err);
	struct synced y = {0};
	if (!c || cluster_node_store_scan(c, collect_synced, &y, &err) != 0) {
		pg_warn("cluster", "liveness sync: %s", err.message);
		free(y.rows);
		return;
	}
	struct id_list gone = {0};
	pthread_mutex_lock(&cl->lock);
	for (size_t i = 0; i < y.n; i++) {
		struct node_live *l = pg_map_get(cl->nodes, y.rows[i].id);
		if (!l && (l = calloc(1, sizeof(*l))) &&
		    pg_map_put(cl->nodes, y.rows[i].id, l) != 0) {
			free(l);
			continue;
		}
		if (!l)
			continue;
		if (y.rows[i].last > l->last_heartbeat_ms)
			l->last_heartbeat_ms = y.rows[i].last;
		l->online = y.rows[i].online;
		l->seen = true;
	}
	pg_map_each(cl->nodes, drop_unseen, &gone);
	for (size_t i = 0; i < gone.n; i++)
		live_free(pg_map_del(cl->nodes, gone.v[i]));
	pthread_mutex_unlock(&cl->lock);
	id_list_free(&gone);
	free(y.rows);
}

struct expired {
	int64_t *ids, *last;
	size_t n, cap;
	int64_t limit_ms;
};

static void find_expired(int64_t id, void *value, void *arg)
{
	struct node_live *l = value;
	struct expired *e = arg;
	if (!l->online || l->last_heartbeat_ms > e->limit_ms || e->n == e->cap)
		return;
	l->online = false;
	e->ids[e->n] = id;
	e->last[e->n++] = l->last_heartbeat_ms;
}

void cluster_live_tick(struct cluster *cl)
{
	struct expired e = {0};
	e.limit_ms = pg_time_now_ms() - cluster_offline_after_ms(cl);
	pthread_mutex_lock(&cl->lock);
	e.cap = pg_map_count(cl->nodes);
	e.ids = malloc((e.cap + 1) * sizeof(int64_t));
	e.last = malloc((e.cap + 1) * sizeof(int64_t));
	if (e.ids && e.last)
		pg_map_each(cl->nodes, find_expired, &e);
	pthread_mutex_unlock(&cl->lock);
	if (e.n) {
		struct pg_err err = {0};
		struct store_conn *c = begin_write(cl, &err);
		int rc = c ? 0 : err.code;
		for (size_t i = 0; rc == 0 && i < e.n; i++) {
			char ts[40];
			pg_time_format(e.last[i], ts, sizeof(ts));
			json_t *d =
			        json_pack("{s:s, s:s, s:I, s:I}", "reason",
			                  "no heartbeat for 2.5 intervals", "lastHeartbeatAt", ts,
			                  "intervalMs", (json_int_t)cl->opts.heartbeat_interval_ms,
			                  "silentForMs", (json_int_t)cluster_offline_after_ms(cl));
			int changed =
			        cluster_node_store_set_status(c, e.ids[i], "offline", 0, &err);
			rc = changed < 0 ? changed : 0;
			if (rc == 0 && changed > 0)
				rc = audit_record(c, &system_call, "node.offline", "node", e.ids[i],
				                  d, &err);
			json_decref(d);
			pg_warn("cluster", "node %lld is offline (last heartbeat %s)",
			        (long long)e.ids[i], ts);
		}
		if (c)
			rc = store_end(c, rc, &err);
		for (size_t i = 0; rc == 0 && i < e.n; i++)
			tell_status(cl, e.ids[i], false);
		if (rc != 0) {
			pg_error("cluster", "cannot record offline nodes: %s", err.message);
			pthread_mutex_lock(&cl->lock);
			for (size_t i = 0; i < e.n; i++) {
				struct node_live *l = pg_map_get(cl->nodes, e.ids[i]);
				if (l)
					l->online = true; /* retried next tick */
			}
			pthread_mutex_unlock(&cl->lock);
		}
	}
	free(e.ids);
	free(e.last);
}

struct dirty {
	struct {
		int64_t id, last;
		char *facts, *version;
		bool sample; /* the first facts of a new minute: a point of history */
	} * rows;
	size_t n, cap;
};

static void collect_dirty(int64_t id, void *value, void *arg)
{
	struct node_live *l = value;
	struct dirty *d = arg;
	if (!l->dirty || d->n == d->cap)
		return;
	l->dirty = false;
	d->rows[d->n].id = id;
	d->rows[d->n].last = l->last_heartbeat_ms;
	/* taken, not copied (this runs under the lock heartbeats wait on): a
	 * node that is not dirty shows its facts from the store */
	d->rows[d->n].facts = l->facts;
	l->facts = NULL;
	d->rows[d->n].version = l->agent_version ? strdup(l->agent_version) : NULL;
	int64_t minute = l->last_heartbeat_ms / 60000;
	d->rows[d->n].sample = d->rows[d->n].facts && minute != l->sampled_minute;
	if (d->rows[d->n].sample)
		l->sampled_minute = minute;
	d->n++;
}

static int by_id(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b; /* id is the first member */
	return x < y ? -1 : x > y;
}

void cluster_live_flush(struct cluster *cl)
{
	struct dirty d = {0};
	pthread_mutex_lock(&cl->lock);
	d.cap = pg_map_count(cl->nodes);
	d.rows = calloc(d.cap + 1, sizeof(*d.rows));
	if (d.rows)
		pg_map_each(cl->nodes, collect_dirty, &d);
	pthread_mutex_unlock(&cl->lock);
	if (d.n) {
		struct pg_err err = {0};
		qsort(d.rows, d.n, sizeof(*d.rows),
		      by_id); /* row locks in one order: no deadlock */
		struct store_conn *c = store_conn_get(cl->store, &err);
		if (c && store_begin(c, STORE_TX_ROWS, &err) != 0)
			c = NULL;
		int rc = c ? 0 : err.code;
		for (size_t i = 0; rc == 0 && i < d.n; i++) {
			rc = cluster_node_store_set_heartbeat(c, d.rows[i].id, d.rows[i].last,
			                                      d.rows[i].facts, d.rows[i].version,
			                                      NULL, &err);
			if (rc == 0 && d.rows[i].sample)
				rc = cluster_history_record(c, d.rows[i].id, d.rows[i].last,
				                            d.rows[i].facts, &err);
		}
		/* one replica keeps the history to its windows */
		if (rc == 0 && store_leader(cl->store, STORE_ROLE_LIVENESS))
			rc = cluster_history_prune(c, pg_time_now_ms(), &err);
		if (c)
			rc = store_end(c, rc, &err);
		if (rc != 0)
			pg_error("cluster", "heartbeat flush failed: %s", err.message);
	}
	for (size_t i = 0; i < d.n; i++) {
		free(d.rows[i].facts);
		free(d.rows[i].version);
	}
	free(d.rows);
}

static void free_live(int64_t key, void *value, void *arg)
{
	live_free(value);
}

void cluster_live_free_all(struct cluster *cl)
{
	pg_map_each(cl->nodes, free_live, NULL);
}

static void count_live(int64_t id, void *value, void *arg)
{
	(void)id;
	int64_t *n = arg;
	n[((struct node_live *)value)->online ? 0 : 1]++;
}

int cluster_node_counts(struct cluster *cl, json_t **out, struct pg_err *err)
{
	int64_t n[2] = {0, 0};
	pthread_mutex_lock(&cl->lock);
	pg_map_each(cl->nodes, count_live, n);
	pthread_mutex_unlock(&cl->lock);
	(void)err;
	*out = json_pack("{s:I, s:I}", "online", (json_int_t)n[0], "offline", (json_int_t)n[1]);
	return 0;
}

/* Seconds since the node's last heartbeat and whether it is online; -1
 * when pagodad has not heard of the node. */
int64_t cluster_node_silence_ms(struct cluster *cl, int64_t node_id, bool *online)
{
	pthread_mutex_lock(&cl->lock);
	struct node_live *l = pg_map_get(cl->nodes, node_id);
	int64_t ms = -1;
	*online = false;
	if (l) {
		*online = l->online;
		ms = l->last_heartbeat_ms ? pg_time_now_ms() - l->last_heartbeat_ms : INT64_MAX;
	}
	pthread_mutex_unlock(&cl->lock);
	return ms;
}

static void collect_silent(int64_t id, void *value, void *arg)
{
	struct node_live *l = value;
	json_t *out = arg;
	if (!l->online && l->last_heartbeat_ms > 0)
		json_array_append_new(
		        out, json_pack("{s:I, s:I}", "id", (json_int_t)id, "silenceMs",
		                       (json_int_t)(pg_time_now_ms() - l->last_heartbeat_ms)));
}

json_t *cluster_nodes_silent(struct cluster *cl)
{
	json_t *out = json_array();
	pthread_mutex_lock(&cl->lock);
	pg_map_each(cl->nodes, collect_silent, out);
	pthread_mutex_unlock(&cl->lock);
	return out;
}
