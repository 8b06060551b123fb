/* The alert rules: which subjects each condition holds for, from a snapshot
 * of facts. Pure: no store, no clock of its own. */
#include "alert/alert.h"
#include "common/pg_json.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *const alert_rule_names[] = {
        "certificate_expiring", "certificate_renewal_failed", "node_offline", "release_failed",
        "drift_detected",       "policy_load_failed",         "job_failed",   NULL,
};

int alert_rule_check_params(const char *rule, json_t *params, struct pg_err *err)
{
	static const char *const days[] = {"days", NULL}, *const seconds[] = {"seconds", NULL},
	                         *const none[] = {NULL};
	int64_t v;
	if (!json_is_object(params))
		return pg_err_set(err, PG_EINVAL, "params", "params must be an object");
	int rc;
	if (strcmp(rule, "certificate_expiring") == 0) {
		rc = pg_json_only(params, days, err);
		if (rc == 0)
			rc = pg_json_int(params, "days", true, 1, 365, &v, err);
	} else if (strcmp(rule, "node_offline") == 0) {
		rc = pg_json_only(params, seconds, err);
		if (rc == 0)
			rc = pg_json_int(params, "seconds", true, 1, 86400 * 7, &v, err);
	} else {
		rc = pg_json_only(params, none, err);
	}
	if (rc != 0)
		pg_err_prefix_field(err, "params");
	return rc;
}

static void hold(json_t *out, const char *subject, const char *severity, json_t *details,
                 const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void hold(json_t *out, const char *subject, const char *severity, json_t *details,
                 const char *fmt, ...)
{
	char summary[600];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(summary, sizeof(summary), fmt, ap);
	va_end(ap);
	json_array_append_new(out, json_pack("{s:s, s:s, s:s, s:o}", "subject", subject, "severity",
	                                     severity, "summary", summary, "details",
	                                     details ? details : json_object()));
}

static const char *str(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : "";
}

static json_int_t num(json_t *o, const char *key)
{
	return json_integer_value(json_object_get(o, key));
}

void alert_rule_eval(const char *rule, json_t *params, json_t *facts, int64_t now_ms, json_t *out)
{
	(void)now_ms;
	char subject[200];
	size_t i;
	json_t *x;
	if (strcmp(rule, "certificate_expiring") == 0) {
		json_int_t days = num(params, "days");
		json_array_foreach (json_object_get(facts, "certs"), i, x) {
			json_t *cur = json_object_get(x, "current");
			if (!json_is_object(cur) || num(cur, "daysLeft") >= days)
				continue;
			json_int_t left = num(cur, "daysLeft");
			snprintf(subject, sizeof(subject), "cert:%lld", (long long)num(x, "id"));
			hold(out, subject, left < 3 ? "critical" : "warning",
			     json_pack("{s:I, s:s, s:O, s:I, s:s}", "certificateId", num(x, "id"),
			               "name", str(x, "name"), "domains",
			               json_object_get(x, "domains"), "daysLeft", left, "notAfter",
			               str(cur, "notAfter")),
			     "certificate %s expires in %lld day(s) (%s)", str(x, "name"),
			     (long long)left, str(cur, "notAfter"));
		}
	} else if (strcmp(rule, "certificate_renewal_failed") == 0) {
		json_array_foreach (json_object_get(facts, "certs"), i, x) {
			if (strcmp(str(x, "status"), "failed") != 0 && num(x, "failures") == 0)
				continue;
			snprintf(subject, sizeof(subject), "cert:%lld", (long long)num(x, "id"));
			hold(out, subject, "warning",
			     json_pack("{s:I, s:s, s:I, s:s}", "certificateId", num(x, "id"),
			               "name", str(x, "name"), "failures", num(x, "failures"),
			               "lastError", str(x, "lastError")),
			     "certificate %s: %s failed %lld time(s): %s", str(x, "name"),
			     json_is_object(json_object_get(x, "current")) ? "renewal" : "issuance",
			     (long long)(num(x, "failures") ? num(x, "failures") : 1),
			     str(x, "lastError"));
		}
	} else if (strcmp(rule, "node_offline") == 0) {
		json_int_t limit = num(params, "seconds") * 1000;
		json_array_foreach (json_object_get(facts, "nodes"), i, x) {
			json_t *silence = json_object_get(x, "silenceMs");
			if (json_is_true(json_object_get(x, "online")) ||
			    !json_is_integer(silence) || json_integer_value(silence) < limit)
				continue;
			snprintf(subject, sizeof(subject), "node:%lld", (long long)num(x, "id"));
			hold(out, subject, "critical",
			     json_pack("{s:I, s:s, s:I}", "nodeId", num(x, "id"), "name",
			               str(x, "name"), "silentSec",
			               json_integer_value(silence) / 1000),
			     "node %s has been offline for %lld s", str(x, "name"),
			     (long long)(json_integer_value(silence) / 1000));
		}
	} else if (strcmp(rule, "release_failed") == 0) {
		json_array_foreach (
		        json_object_get(json_object_get(facts, "releases"), "lastFinished"), i, x) {
			const char *st = str(x, "status");
			if (strcmp(st, "failed") != 0 && strcmp(st, "rolled_back") != 0)
				continue;
			snprintf(subject, sizeof(subject), "app:%lld", (long long)num(x, "appId"));
			hold(out, subject, "warning",
			     json_pack("{s:I, s:s, s:I, s:I, s:s, s:s}", "appId", num(x, "appId"),
			               "app", str(x, "appName"), "releaseId", num(x, "releaseId"),
			               "version", num(x, "version"), "status", st, "error",
			               str(x, "error")),
			     "release v%lld of %s %s: %s", (long long)num(x, "version"),
			     str(x, "appName"),
			     strcmp(st, "failed") == 0 ? "failed" : "was rolled back",
			     str(x, "error"));
		}
	} else if (strcmp(rule, "drift_detected") == 0) {
		json_array_foreach (json_object_get(facts, "drift"), i, x) {
			const char *owner = str(x, "owner");
			snprintf(subject, sizeof(subject), "node:%lld:%s",
			         (long long)num(x, "nodeId"), owner[0] ? owner : "tasks");
			hold(out, subject, "warning",
			     json_pack("{s:I, s:s, s:O}", "nodeId", num(x, "nodeId"), "owner",
			               owner, "drift", json_object_get(x, "drift")),
			     "node %lld drifted from what %s deployed (%zu item(s))",
			     (long long)num(x, "nodeId"), owner[0] ? owner : "its tasks",
			     json_array_size(json_object_get(x, "drift")));
		}
	} else if (strcmp(rule, "job_failed") == 0) {
		json_array_foreach (json_object_get(facts, "jobs"), i, x) {
			if (strcmp(str(x, "state"), "failed") != 0)
				continue;
			snprintf(subject, sizeof(subject), "app:%lld:node:%lld",
			         (long long)num(x, "appId"), (long long)num(x, "nodeId"));
			hold(out, subject, "warning",
			     json_pack("{s:I, s:s, s:I, s:s}", "appId", num(x, "appId"), "app",
			               str(x, "appName"), "nodeId", num(x, "nodeId"), "unit",
			               str(x, "unit")),
			     "scheduled job %s failed its last run on node %lld (see pagoda apps "
			     "status %s --runs)",
			     str(x, "appName"), (long long)num(x, "nodeId"), str(x, "appName"));
		}
	} else if (strcmp(rule, "policy_load_failed") == 0) {
		json_array_foreach (json_object_get(facts, "policies"), i, x) {
			if (!json_is_true(json_object_get(x, "loadFailing")))
				continue;
			snprintf(subject, sizeof(subject), "lua:%.180s", str(x, "path"));
			hold(out, subject, "warning",
			     json_pack("{s:s, s:s, s:b}", "path", str(x, "path"), "error",
			               str(x, "lastError"), "lastGoodInUse",
			               json_is_true(json_object_get(x, "loaded"))),
			     "%s failed to load: %s", str(x, "path"), str(x, "lastError"));
		}
	}
}
