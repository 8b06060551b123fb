/* alert: rules over the state of the fleet (design.md 11.2). Every few seconds
 * each enabled rule lists the subjects its condition holds for; an alert
 * fires once per rule and subject, resolves when the condition clears, and
 * is delivered to the rule's notify plugins (notify/webhook.lua ships) with
 * retries. Operators list, read and acknowledge alerts. */
#ifndef ALERT_H
#define ALERT_H

#include <jansson.h>
#include <stdint.h>

#include "common/pg_call.h"
#include "common/pg_err.h"

struct store;
struct cluster;
struct plua;
struct drift;
struct alert;
struct pg_secret_key;

/* Facts from components alert does not link (set by the composition root). */
struct alert_sources {
	void *arg;
	/* Certificates as the API lists them. */
	int (*certs)(void *arg, json_t **out, struct pg_err *err);
	/* {byStatus, lastFinished: [{appId, appName, releaseId, status, ...}]}. */
	int (*releases)(void *arg, json_t **out, struct pg_err *err);
	/* Scheduled jobs: [{appId, appName, unit, nodes: [ids]}]. */
	int (*jobs)(void *arg, json_t **out, struct pg_err *err);
};

struct alert_opts {
	int64_t interval_ms;   /* how often rules are evaluated (default 5000) */
	int64_t retry_base_ms; /* first delivery retry, doubled (default 5000) */
	int64_t max_attempts;  /* deliveries given up after (default 10) */
	struct alert_sources sources;
};

int alert_new(struct store *s, struct cluster *cl, struct drift *d, struct plua *lua,
              const struct pg_secret_key *key, const struct alert_opts *o, struct alert **out,
              struct pg_err *err);
void alert_free(struct alert *a);
/* Evaluates the rules and sends due deliveries now (tests, shutdown). */
void alert_tick(struct alert *a);

/* ---- the API (alert_http.c) ---- */
int alert_list(struct alert *a, const char *status, const char *rule, int64_t before, int64_t limit,
               json_t **items, int64_t *next, struct pg_err *err);
int alert_get(struct alert *a, int64_t id, json_t **out, struct pg_err *err);
int alert_ack(struct alert *a, const struct pg_call *call, int64_t id, json_t **out,
              struct pg_err *err);
int alert_rules_list(struct alert *a, json_t **out, struct pg_err *err);
/* Sends a test message through every notify channel of rule name, at once;
 * *out {rule, results: [{channel, plugin, ok, answer | error}]} (audited). */
int alert_rule_test(struct alert *a, const struct pg_call *call, const char *name, json_t **out,
                    struct pg_err *err);
int alert_rule_update(struct alert *a, const struct pg_call *call, const char *name, json_t *body,
                      json_t **out, struct pg_err *err);

/* Named channels (/admin/alert-channels): put creates or replaces
 * {plugin, config, severities?, template?} (config sealed); delete refuses
 * while a rule names it; test sends a test message through it, *out
 * {channel, results: [one row]} (audited alert.test). */
int alert_channel_put(struct alert *a, const struct pg_call *call, const char *name, json_t *body,
                      json_t **out, struct pg_err *err);
int alert_channel_list(struct alert *a, json_t **out, struct pg_err *err);
int alert_channel_get(struct alert *a, const char *name, json_t **out, struct pg_err *err);
int alert_channel_delete(struct alert *a, const struct pg_call *call, const char *name,
                         struct pg_err *err);
int alert_channel_test(struct alert *a, const struct pg_call *call, const char *name, json_t **out,
                       struct pg_err *err);

/* ---- the rules (alert_rules.c), pure, exposed for tests ---- */
/* Names of the rules, NULL-terminated. */
extern const char *const alert_rule_names[];
/* Checks a rule's params; err->field names the bad one. */
int alert_rule_check_params(const char *rule, json_t *params, struct pg_err *err);
/* The subjects rule holds for, given facts {certs, nodes, releases, drift,
 * policies}: appends {subject, severity, summary, details} to out. */
void alert_rule_eval(const char *rule, json_t *params, json_t *facts, int64_t now_ms, json_t *out);

#endif
