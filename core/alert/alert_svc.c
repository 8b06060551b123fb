/* Alerts: evaluates the rules over a snapshot of facts, fires and resolves
 * alerts (each audited), and delivers them to notify plugins with retries. */
#include "alert/alert_int.h"
#include "audit/audit.h"
#include "cluster/cluster.h"
#include "common/pg_json.h"
#include "common/pg_log.h"
#include "common/pg_secret.h"
#include "common/pg_ticker.h"
#include "common/pg_time.h"
#include "drift/drift.h"
#include "lua/plua.h"
#include "store/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define RETRY_CAP_MS (10 * 60 * 1000LL)

static void alert_main(void *arg);

int alert_new(struct store *s, struct cluster *cl, struct drift *d, struct plua *lua,
              const struct pg_secret_key *key, const struct alert_opts *o, struct alert **out,
              struct pg_err *err)
{
	struct alert *a = calloc(1, sizeof(*a));
	if (!a)
		return pg_err_set(err, PG_EINTERNAL, NULL, "out of memory");
	a->store = s;
	a->cluster = cl;
	a->drift = d;
	a->lua = lua;
	a->key = *key;
	a->opts = *o;
	if (a->opts.interval_ms <= 0)
		a->opts.interval_ms = 5000;
	if (a->opts.retry_base_ms <= 0)
		a->opts.retry_base_ms = 5000;
	if (a->opts.max_attempts <= 0)
		a->opts.max_attempts = 10;
	pthread_mutex_init(&a->tick_lock, NULL);
	if (pg_ticker_start(a->opts.interval_ms, false, alert_main, a, &a->ticker, err) != 0) {
		free(a);
		return err->code;
	}
	*out = a;
	return 0;
}

void alert_free(struct alert *a)
{
	if (!a)
		return;
	a->stopping = true; /* cuts a long delivery batch short */
	pg_ticker_stop(a->ticker);
	explicit_bzero(&a->key, sizeof(a->key));
	free(a);
}

/* ---- notify channels, sealed at rest ---- */

static void rule_context(const char *name, char ctx[96])
{
	snprintf(ctx, 96, "alert-rule:%s", name);
}

/* The notify list of a rule row (opened when sealed). New reference. */
static json_t *rule_notify(struct alert *a, json_t *rule)
{
	const char *text = json_string_value(json_object_get(rule, "notifySealed"));
	char ctx[96], *plain = NULL;
	size_t len;
	struct pg_err err = {0};
	if (!text || strncmp(text, "v1:", 3) != 0)
		return text ? pg_json_load_text(text) : json_array();
	rule_context(json_string_value(json_object_get(rule, "name")), ctx);
	if (pg_secret_open(&a->key, text, ctx, &plain, &len, &err) != 0) {
		pg_error("alert", "rule %s: cannot open its notify channels: %s",
		         json_string_value(json_object_get(rule, "name")), err.message);
		return json_array();
	}
	json_t *v = pg_json_load_text(plain);
	explicit_bzero(plain, len);
	free(plain);
	return json_is_array(v) ? v : (json_decref(v), json_array());
}

/* The notify list as the API shows it: secrets masked. */
static json_t *masked(json_t *notify)
{
	json_t *out = json_deep_copy(notify), *ch;
	size_t i;
	json_array_foreach (out, i, ch)
		if (json_object_get(ch, "config"))
			json_object_set_new(ch, "config",
			                    pg_secret_masked(json_object_get(ch, "config")));
	return out;
}

/* ---- evaluation ---- */

/* Offline nodes with their silence and name: the live map first (cheap
 * with ten thousand nodes), names only for the few that are silent. */
static json_t *node_facts(struct alert *a)
{
	json_t *silent = cluster_nodes_silent(a->cluster), *n;
	size_t i;
	json_array_foreach (silent, i, n) {
		json_t *node = NULL;
		struct pg_err err = {0};
		json_object_set_new(n, "online", json_false());
		if (cluster_node_get(a->cluster, json_integer_value(json_object_get(n, "id")),
		                     &node, &err) == 0)
			json_object_set(n, "name", json_object_get(node, "name"));
		json_decref(node);
	}
	return silent;
}

static json_t *source(int (*fn)(void *, json_t **, struct pg_err *), void *arg, const char *what)
{
	json_t *v = NULL;
	struct pg_err err = {0};
	if (fn && fn(arg, &v, &err) != 0)
		pg_warn("alert", "%s: %s", what, err.message);
	return v ? v : json_null();
}

/* Each scheduled job's unit on each of its nodes, as the node last reported
 * it: a run that failed leaves the oneshot service "failed" until a later
 * run succeeds. Each node's report is read once, whatever its jobs. */
static json_t *job_facts(struct alert *a)
{
	json_t *jobs = source(a->opts.sources.jobs, a->opts.sources.arg, "jobs"), *j, *n;
	json_t *out = json_array(), *reports = json_object();
	size_t i, k;
	json_array_foreach (a->drift ? jobs : NULL, i, j) {
		json_array_foreach (json_object_get(j, "nodes"), k, n) {
			char key[24];
			snprintf(key, sizeof(key), "%lld", (long long)json_integer_value(n));
			json_t *units = json_object_get(reports, key);
			struct pg_err err = {0};
			if (!units) {
				if (drift_node_units(a->drift, json_integer_value(n), &units,
				                     &err) != 0) {
					pg_warn("alert", "node %s's units: %s", key, err.message);
					continue;
				}
				json_object_set_new(reports, key, units);
			}
			const char *unit = json_string_value(json_object_get(j, "unit"));
			const char *state = json_string_value(
			        json_object_get(json_object_get(units, unit), "active"));
			json_array_append_new(out, json_pack("{s:O, s:O, s:O, s:O, s:s}", "appId",
			                                     json_object_get(j, "appId"), "appName",
			                                     json_object_get(j, "appName"), "unit",
			                                     json_object_get(j, "unit"), "nodeId",
			                                     n, "state", state ? state : ""));
		}
	}
	json_decref(reports);
	json_decref(jobs);
	return out;
}

static json_t *gather(struct alert *a)
{
	json_t *drifted = NULL;
	struct pg_err err = {0};
	if (a->drift && drift_verdicts(a->drift, "drifted", &drifted, &err) != 0)
		pg_warn("alert", "drift: %s", err.message);
	return json_pack("{s:o, s:o, s:o, s:o, s:o, s:o}", "nodes", node_facts(a), "certs",
	                 source(a->opts.sources.certs, a->opts.sources.arg, "certificates"),
	                 "releases",
	                 source(a->opts.sources.releases, a->opts.sources.arg, "releases"), "drift",
	                 drifted ? drifted : json_array(), "policies", plua_status(a->lua), "jobs",
	                 job_facts(a));
}

static bool subject_in(json_t *list, const char *subject)
{
	size_t i;
	json_t *x;
	json_array_foreach (list, i, x)
		if (strcmp(json_string_value(json_object_get(x, "subject")), subject) == 0)
			return true;
	return false;
}

/* Whether channel ch takes alerts of severity: all, unless it lists some. */
static bool routed(json_t *ch, const char *severity)
{
	json_t *only = json_object_get(ch, "severities"), *s;
	size_t i;
	if (!json_is_array(only))
		return true;
	json_array_foreach (only, i, s)
		if (severity && json_is_string(s) && strcmp(json_string_value(s), severity) == 0)
			return true;
	return false;
}

static int queue_deliveries(struct store_conn *c, json_t *notify, int64_t id, const char *event,
                            const char *severity, struct pg_err *err)
{
	size_t i;
	json_t *ch;
	int rc = 0;
	json_array_foreach (notify, i, ch)
		if (rc == 0 && routed(ch, severity))
			rc = alert_delivery_insert(c, id, event, (int64_t)i,
			                           json_string_value(json_object_get(ch, "plugin")),
			                           err);
	return rc;
}

/* Fires what holds and is not firing; resolves what fires and no longer holds. */
static int settle_rule(struct alert *a, struct store_conn *c, json_t *rule, json_t *conds,
                       struct pg_err *err)
{
	static const struct pg_call sys = {"system:alerts", NULL, NULL};
	const char *name = json_string_value(json_object_get(rule, "name"));
	/* channels are opened (unsealed, named ones read) only when something
	 * fires or resolves: most evaluations change nothing */
	json_t *firing = json_array(), *notify = NULL, *x;
	size_t i;
	int rc = alert_store_firing(c, name, firing, err);
	if (rc == 0)
		rc = store_begin(c, STORE_TX_WRITE, err);
	json_array_foreach (conds, i, x) {
		const char *subject = json_string_value(json_object_get(x, "subject"));
		int64_t id = 0;
		if (rc != 0 || subject_in(firing, subject))
			continue;
		rc = alert_store_insert(c, name, x, &id, err);
		json_t *d = json_pack("{s:s, s:s, s:O}", "rule", name, "subject", subject,
		                      "summary", json_object_get(x, "summary"));
		if (rc == 0)
			rc = audit_record(c, &sys, "alert.fire", "alert", id, d, err);
		json_decref(d);
		if (rc == 0 && !notify)
			notify = alert_channels_expand(a, c, rule_notify(a, rule));
		if (rc == 0)
			rc = queue_deliveries(c, notify, id, "firing",
			                      json_string_value(json_object_get(x, "severity")),
			                      err);
		pg_info("alert", "firing: %s", json_string_value(json_object_get(x, "summary")));
	}
	json_array_foreach (firing, i, x) {
		const char *subject = json_string_value(json_object_get(x, "subject"));
		int64_t id = json_integer_value(json_object_get(x, "id"));
		if (rc != 0 || subject_in(conds, subject))
			continue;
		rc = alert_store_resolve(c, id, err);
		json_t *d = json_pack("{s:s, s:s}", "rule", name, "subject", subject);
		if (rc == 0)
			rc = audit_record(c, &sys, "alert.resolve", "alert", id, d, err);
		json_decref(d);
		if (rc == 0 && !notify)
			notify = alert_channels_expand(a, c, rule_notify(a, rule));
		if (rc == 0)
			rc = queue_deliveries(c, notify, id, "resolved",
			                      json_string_value(json_object_get(x, "severity")),
			                      err);
		pg_info("alert", "resolved: %s %s", name, subject);
	}
	rc = store_end(c, rc, err);
	json_decref(firing);
	json_decref(notify);
	return rc;
}

static void evaluate(struct alert *a, struct store_conn *c)
{
	struct pg_err err = {0};
	json_t *rules = json_array(), *facts = gather(a), *rule;
	size_t i;
	if (alert_store_rules(c, rules, &err) != 0)
		pg_error("alert", "rules: %s", err.message);
	json_array_foreach (rules, i, rule) {
		json_t *conds = json_array();
		if (json_is_true(json_object_get(rule, "enabled")))
			alert_rule_eval(json_string_value(json_object_get(rule, "name")),
			                json_object_get(rule, "params"), facts, pg_time_now_ms(),
			                conds);
		pg_err_clear(&err);
		if (settle_rule(a, c, rule, conds, &err) != 0)
			pg_error("alert", "rule %s: %s",
			         json_string_value(json_object_get(rule, "name")), err.message);
		json_decref(conds);
	}
	json_decref(rules);
	json_decref(facts);
}

/* ---- delivery ---- */

/* Sends one message through channel ch (of index idx): the message comes
 * from the channel's template (templates/alert_message.lua unless the
 * channel names another), then the plugin's send gets it with the alert.
 * *res: what the plugin answered. */
int alert_notify_send(struct alert *a, json_t *ch, size_t idx, const char *event, json_t *al,
                      json_t **res, struct pg_err *err)
{
	char rel[160], tpl[160];
	json_t *cfg = json_object_get(ch, "config"), *msg = NULL;
	const char *tname = json_string_value(json_object_get(ch, "template"));
	snprintf(tpl, sizeof(tpl), "templates/%s.lua", tname ? tname : "alert_message");
	snprintf(rel, sizeof(rel), "plugins/notify/%s.lua",
	         json_string_value(json_object_get(ch, "plugin")));
	json_t *in = json_pack("{s:s, s:O, s:{s:O, s:I}, s:O*, s:O*}", "event", event, "alert", al,
	                       "channel", "plugin", json_object_get(ch, "plugin"), "index",
	                       (json_int_t)idx, "prefix", json_object_get(cfg, "prefix"), "link",
	                       json_object_get(cfg, "link"));
	json_t *rargs = json_pack("[o]", in);
	int rc = plua_call(a->lua, tpl, "render", rargs, &msg, err);
	json_decref(rargs);
	if (rc == 0 && (!json_is_string(json_object_get(msg, "text")) ||
	                !json_is_string(json_object_get(msg, "title"))))
		rc = pg_err_set(err, PG_EPRECOND, "template",
		                "%s: render must return {title, text}", tpl);
	if (rc != 0) {
		json_decref(msg);
		return rc;
	}
	json_t *args = json_pack("[O, {s:s, s:s, s:O, s:o}]", cfg ? cfg : json_object(), "source",
	                         "pagoda", "event", event, "alert", al, "message", msg);
	rc = plua_call(a->lua, rel, "send", args, res, err);
	json_decref(args);
	return rc;
}

static int send_one(struct alert *a, struct store_conn *c, json_t *dlv, struct pg_err *err)
{
	json_t *rules = json_array(), *rule, *notify = NULL, *al = NULL, *out = NULL;
	size_t i;
	int rc = alert_store_rules(c, rules, err);
	json_array_foreach (rules, i, rule)
		if (json_equal(json_object_get(rule, "name"), json_object_get(dlv, "rule")))
			notify = alert_channels_expand(a, c, rule_notify(a, rule));
	json_t *ch =
	        json_array_get(notify, (size_t)json_integer_value(json_object_get(dlv, "channel")));
	if (rc == 0 && !json_equal(json_object_get(ch, "plugin"), json_object_get(dlv, "plugin")))
		rc = pg_err_set(err, PG_ENOTFOUND, NULL,
		                "the rule no longer has this notify channel");
	if (rc == 0)
		rc = alert_store_get(c, json_integer_value(json_object_get(dlv, "alertId")), &al,
		                     err);
	if (rc == 0)
		rc = alert_notify_send(
		        a, ch, (size_t)json_integer_value(json_object_get(dlv, "channel")),
		        json_string_value(json_object_get(dlv, "event")), al, &out, err);
	json_decref(out);
	json_decref(al);
	json_decref(notify);
	json_decref(rules);
	return rc;
}

static void deliver(struct alert *a, struct store_conn *c)
{
	json_t *due = json_array(), *d;
	struct pg_err err = {0};
	size_t i;
	if (alert_delivery_due(c, pg_time_now_ms(), due, &err) != 0)
		pg_error("alert", "deliveries: %s", err.message);
	json_array_foreach (due, i, d) {
		if (a->stopping)
			break;
		struct pg_err e = {0};
		int64_t attempts = json_integer_value(json_object_get(d, "attempts")) + 1, next = 0;
		const char *status = "sent";
		if (send_one(a, c, d, &e) != 0) {
			status = attempts >= a->opts.max_attempts || e.code == PG_ENOTFOUND
			                 ? "failed"
			                 : "pending";
			int64_t delay = a->opts.retry_base_ms
			                << (attempts - 1 < 20 ? attempts - 1 : 20);
			next = pg_time_now_ms() + (delay < RETRY_CAP_MS ? delay : RETRY_CAP_MS);
			pg_warn("alert",
			        "delivery %lld of alert %lld through %s, attempt %lld: %s%s",
			        (long long)json_integer_value(json_object_get(d, "id")),
			        (long long)json_integer_value(json_object_get(d, "alertId")),
			        json_string_value(json_object_get(d, "plugin")),
			        (long long)attempts, e.message,
			        strcmp(status, "failed") == 0 ? "; giving up" : "");
		}
		pg_err_clear(&err);
		if (store_begin(c, STORE_TX_WRITE, &err) != 0 ||
		    alert_delivery_set(c, json_integer_value(json_object_get(d, "id")), status,
		                       attempts, next, strcmp(status, "sent") ? e.message : NULL,
		                       &err) != 0 ||
		    store_commit(c, &err) != 0) {
			store_rollback(c);
			pg_error("alert", "delivery state: %s", err.message);
		}
	}
	json_decref(due);
}

void alert_tick(struct alert *a)
{
	struct pg_err err = {0};
	struct store_conn *c = store_conn_get(a->store, &err);
	if (!c) {
		pg_error("alert", "%s", err.message);
		return;
	}
	pthread_mutex_lock(&a->tick_lock);
	evaluate(a, c);
	deliver(a, c);
	pthread_mutex_unlock(&a->tick_lock);
}

static void alert_main(void *arg)
{
	struct alert *a = arg;
	if (store_leader(a->store, STORE_ROLE_ALERTS))
		alert_tick(a);
}

/* ---- the API ---- */

static struct store_conn *conn(struct alert *a, struct pg_err *err)
{
	return store_conn_get(a->store, err);
}

int alert_list(struct alert *a, const char *status, const char *rule, int64_t before, int64_t limit,
               json_t **items, int64_t *next, struct pg_err *err)
{
	struct store_conn *c = conn(a, err);
	if (!c)
		return err->code;
	*items = json_array();
	int rc = alert_store_list(c, status, rule, before > 0 ? before : INT64_MAX, limit + 1,
	                          *items, err);
	*next = 0;
	if (rc == 0 && (int64_t)json_array_size(*items) > limit) {
		json_array_remove(*items, (size_t)limit);
		*next = json_integer_value(
		        json_object_get(json_array_get(*items, (size_t)limit - 1), "id"));
	}
	if (rc != 0) {
		json_decref(*items);
		*items = NULL;
	}
	return rc;
}

int alert_get(struct alert *a, int64_t id, json_t **out, struct pg_err *err)
{
	struct store_conn *c = conn(a, err);
	if (!c)
		return err->code;
	json_t *dl = json_array();
	int rc = alert_store_get(c, id, out, err);
	if (rc == 0)
		rc = alert_delivery_of(c, id, dl, err);
	if (rc == 0)
		json_object_set(*out, "deliveries", dl);
	json_decref(dl);
	return rc;
}

int alert_ack(struct alert *a, const struct pg_call *call, int64_t id, json_t **out,
              struct pg_err *err)
{
	struct store_conn *c = conn(a, err);
	if (!c)
		return err->code;
	json_t *al = NULL;
	int rc = store_begin(c, STORE_TX_WRITE, err);
	if (rc == 0)
		rc = alert_store_get(c, id, &al, err);
	if (rc == 0)
		rc = alert_store_ack(c, id, call->actor, err);
	json_t *d = json_pack("{s:O, s:O}", "rule", json_object_get(al, "rule"), "subject",
	                      json_object_get(al, "subject"));
	if (rc == 0)
		rc = audit_record(c, call, "alert.ack", "alert", id, d, err);
	json_decref(d);
	json_decref(al);
	rc = store_end(c, rc, err);
	if (rc != 0)
		return rc;
	return alert_store_get(c, id, out, err);
}

static json_t *rule_view(struct alert *a, json_t *rule)
{
	json_t *notify = rule_notify(a, rule);
	json_t *v = json_pack("{s:O, s:O, s:O, s:o, s:O}", "name", json_object_get(rule, "name"),
	                      "enabled", json_object_get(rule, "enabled"), "params",
	                      json_object_get(rule, "params"), "notify", masked(notify),
	                      "updatedAt", json_object_get(rule, "updatedAt"));
	json_decref(notify);
	return v;
}

int alert_rules_list(struct alert *a, json_t **out, struct pg_err *err)
{
	struct store_conn *c = conn(a, err);
	if (!c)
		return err->code;
	json_t *rules = json_array(), *r;
	size_t i;
	int rc = alert_store_rules(c, rules, err);
	*out = json_array();
	json_array_foreach (rules, i, r)
		json_array_append_new(*out, rule_view(a, r));
	json_decref(rules);
	return rc;
}

/* A channel's own template: a plain name whose script renders. */
static bool template_ok(struct alert *a, const char *name)
{
	char rel[96];
	bool has = false;
	struct pg_err e = {0};
	for (const char *p = name; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_'))
			return false;
	snprintf(rel, sizeof(rel), "templates/%s.lua", name);
	return plua_has_function(a->lua, rel, "render", &has, &e) == 0 && has;
}

int alert_channel_check(struct alert *a, json_t *ch, struct pg_err *err)
{
	static const char *const fields[] = {"plugin", "config", "severities", "template", NULL};
	static const char *const levels[] = {"info", "warning", "critical", NULL};
	const char *plugin = NULL, *tpl = NULL;
	json_t *cfg = NULL, *lv, *p;
	size_t k;
	int rc = json_is_object(ch)
	                 ? pg_json_only(ch, fields, err)
	                 : pg_err_set(err, PG_EINVAL, "", "a channel is {plugin, config}");
	if (rc == 0)
		rc = pg_json_str(ch, "plugin", true, 64, &plugin, err);
	if (rc == 0)
		rc = pg_json_obj(ch, "config", false, &cfg, err);
	json_t *only = rc == 0 ? json_object_get(ch, "severities") : NULL;
	if (only && (!json_is_array(only) || json_array_size(only) == 0))
		rc = pg_err_set(err, PG_EINVAL, "severities",
		                "severities is a list of info, warning or critical");
	json_array_foreach (rc == 0 ? only : NULL, k, lv) {
		bool ok = false;
		for (int l = 0; levels[l]; l++)
			ok |= json_is_string(lv) && strcmp(json_string_value(lv), levels[l]) == 0;
		if (!ok) {
			rc = pg_err_set(err, PG_EINVAL, "severities",
			                "severities is a list of info, warning or critical");
			break;
		}
	}
	if (rc == 0)
		rc = pg_json_str(ch, "template", false, 64, &tpl, err);
	if (rc == 0 && tpl && !template_ok(a, tpl))
		rc = pg_err_set(err, PG_EINVAL, "template",
		                "no template %s with a render function (templates/%s.lua)", tpl,
		                tpl);
	json_t *plugins = rc == 0 ? plua_plugins(a->lua, "notify") : NULL;
	bool known = false;
	json_array_foreach (plugins, k, p)
		known |= json_equal(json_object_get(p, "name"), json_object_get(ch, "plugin"));
	json_decref(plugins);
	if (rc == 0 && !known)
		rc = pg_err_set(err, PG_EINVAL, "plugin", "no notify plugin named %s", plugin);
	return rc;
}

/* A rule's notify list: inline channels, or {channel: NAME} of a named one. */
static int check_notify(struct alert *a, struct store_conn *c, json_t *notify, struct pg_err *err)
{
	static const char *const ref_fields[] = {"channel", NULL};
	json_t *ch, *found = NULL;
	size_t i;
	int rc = json_array_size(notify) > 10
	                 ? pg_err_set(err, PG_EINVAL, "notify", "at most 10 notify channels")
	                 : 0;
	json_array_foreach (notify, i, ch) {
		const char *name = NULL;
		if (rc == 0 && json_is_object(ch) && json_object_get(ch, "channel")) {
			rc = pg_json_only(ch, ref_fields, err);
			if (rc == 0)
				rc = pg_json_str(ch, "channel", true, 64, &name, err);
			if (rc == 0 &&
			    (rc = alert_channel_store_get(c, name, &found, err)) == PG_ENOTFOUND)
				rc = pg_err_set(err, PG_EINVAL, "channel",
				                "no alert channel %s (GET /admin/alert-channels)",
				                name);
			json_decref(found);
			found = NULL;
		} else if (rc == 0) {
			rc = alert_channel_check(a, ch, err);
		}
		if (rc != 0) {
			char pre[32];
			snprintf(pre, sizeof(pre), "notify[%zu]", i);
			pg_err_prefix_field(err, pre);
			break;
		}
	}
	return rc;
}

json_t *alert_test_alert(const char *rule)
{
	char now[40];
	pg_time_format(pg_time_now_ms(), now, sizeof(now));
	/* what a real one carries, marked as a test; sent at once, not queued */
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "rule", rule, "subject", "test",
	                 "severity", "info", "summary",
	                 "a test message from Pagoda: this channel works", "status", "firing",
	                 "firedAt", now);
}

json_t *alert_test_send(struct alert *a, json_t *ch, size_t idx, json_t *al)
{
	struct pg_err e = {0};
	json_t *res = NULL;
	int sent = alert_notify_send(a, ch, idx, "test", al, &res, &e);
	json_t *row = json_pack("{s:I, s:O, s:b}", "channel", (json_int_t)idx, "plugin",
	                        json_object_get(ch, "plugin"), "ok", sent == 0);
	if (json_object_get(ch, "channel"))
		json_object_set(row, "name", json_object_get(ch, "channel"));
	if (sent == 0 && res)
		json_object_set(row, "answer", res);
	else if (sent != 0)
		json_object_set_new(row, "error", json_string(e.message));
	json_decref(res);
	return row;
}

json_t *alert_rule_channels(struct alert *a, json_t *rule)
{
	return rule_notify(a, rule);
}

int alert_rule_test(struct alert *a, const struct pg_call *call, const char *name, json_t **out,
                    struct pg_err *err)
{
	struct store_conn *c = conn(a, err);
	if (!c)
		return err->code;
	json_t *rules = json_array(), *rule = NULL, *r, *notify = NULL, *ch;
	size_t i;
	int rc = alert_store_rules(c, rules, err);
	json_array_foreach (rules, i, r)
		if (strcmp(json_string_value(json_object_get(r, "name")), name) == 0)
			rule = r;
	if (rc == 0 && !rule)
		rc = pg_err_set(err, PG_ENOTFOUND, "name", "no alert rule named %s", name);
	if (rc == 0)
		notify = alert_channels_expand(a, c, rule_notify(a, rule));
	if (rc == 0 && json_array_size(notify) == 0)
		rc = pg_err_set(err, PG_EPRECOND, "notify", "rule %s has no notify channel", name);
	*out = NULL;
	json_t *results = json_array();
	json_t *al = alert_test_alert(name);
	json_array_foreach (rc == 0 ? notify : NULL, i, ch)
		json_array_append_new(results, alert_test_send(a, ch, i, al));
	json_decref(al);
	if (rc == 0 && store_begin(c, STORE_TX_WRITE, err) == 0) {
		json_t *d = json_pack("{s:s, s:O}", "rule", name, "results", results);
		rc = audit_record(c, call, "alert.test", "alert_rule", 0, d, err);
		json_decref(d);
		rc = store_end(c, rc, err);
	} else if (rc == 0) {
		rc = err->code;
	}
	if (rc == 0)
		*out = json_pack("{s:s, s:O}", "rule", name, "results", results);
	json_decref(results);
	json_decref(notify);
	json_decref(rules);
	return rc;
}

int alert_rule_update(struct alert *a, const struct pg_call *call, const char *name, json_t *body,
                      json_t **out, struct pg_err *err)
{
	static const char *const fields[] = {"enabled", "params", "notify", NULL};
	bool known = false;
	for (int i = 0; alert_rule_names[i]; i++)
		known |= strcmp(alert_rule_names[i], name) == 0;
	if (!known)
		return pg_err_set(err, PG_ENOTFOUND, "name", "no alert rule named %s", name);
	struct store_conn *c = conn(a, err);
	if (!c)
		return err->code;
	json_t *rules = json_array(), *rule = NULL, *r, *params = NULL, *notify = NULL,
	       *cur_notify = NULL;
	size_t i;
	bool enabled = true;
	char *sealed = NULL, *text = NULL, ctx[96];
	int rc = pg_json_only(body, fields, err);
	if (rc == 0)
		rc = pg_json_obj(body, "params", false, &params, err);
	if (rc == 0)
		rc = pg_json_arr(body, "notify", false, 10, &notify, err);
	if (rc == 0 && params)
		rc = alert_rule_check_params(name, params, err);
	if (rc == 0 && notify)
		rc = check_notify(a, c, notify, err);
	if (rc == 0)
		rc = alert_store_rules(c, rules, err);
	json_array_foreach (rules, i, r)
		if (strcmp(json_string_value(json_object_get(r, "name")), name) == 0)
			rule = r;
	if (rc == 0 && !rule)
		rc = pg_err_set(err, PG_ENOTFOUND, "name", "no alert rule named %s", name);
	if (rc == 0) {
		enabled = json_is_true(json_object_get(rule, "enabled"));
		rc = pg_json_bool(body, "enabled", false, &enabled, err);
	}
	if (rc == 0) {
		cur_notify = notify ? json_incref(notify) : rule_notify(a, rule);
		text = pg_json_dump(cur_notify);
		rule_context(name, ctx);
		rc = pg_secret_seal(&a->key, text, strlen(text), ctx, &sealed, err);
		explicit_bzero(text, strlen(text));
	}
	if (rc == 0)
		rc = store_begin(c, STORE_TX_WRITE, err);
	if (rc == 0)
		rc = alert_store_rule_put(c, name, enabled,
		                          params ? params : json_object_get(rule, "params"), sealed,
		                          err);
	if (rc == 0) {
		json_t *plugins = json_array(), *ch;
		json_array_foreach (cur_notify, i, ch)
			json_array_append(plugins, json_object_get(ch, "plugin"));
		json_t *d = json_pack("{s:s, s:b, s:O, s:o}", "rule", name, "enabled", enabled,
		                      "params", params ? params : json_object_get(rule, "params"),
		                      "plugins", plugins);
		rc = audit_record(c, call, "alert_rule.update", "alert_rule", 0, d, err);
		json_decref(d);
	}
	rc = store_end(c, rc, err);
	free(text);
	free(sealed);
	json_decref(cur_notify);
	json_decref(rules);
	if (rc != 0)
		return rc;
	json_t *all = NULL;
	*out = NULL;
	rc = alert_rules_list(a, &all, err);
	json_array_foreach (all, i, r)
		if (!*out && strcmp(json_string_value(json_object_get(r, "name")), name) == 0)
			*out = json_incref(r);
	json_decref(all);
	return rc;
}
