/* alert rules: which subjects each condition holds for. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>

#include "alert/alert.h"

static json_t *load(const char *text)
{
	json_error_t e;
	json_t *v = json_loads(text, 0, &e);
	assert_non_null(v);
	return v;
}

static json_t *eval(const char *rule, const char *params, const char *facts)
{
	json_t *p = load(params), *f = load(facts), *out = json_array();
	alert_rule_eval(rule, p, f, 0, out);
	json_decref(p);
	json_decref(f);
	return out;
}

static const char *subject(json_t *out, size_t i)
{
	return json_string_value(json_object_get(json_array_get(out, i), "subject"));
}

static void test_node_offline(void **state)
{
	(void)state;
	json_t *out =
	        eval("node_offline", "{\"seconds\": 60}",
	             "{\"nodes\": [{\"id\": 1, \"name\": \"a\", \"online\": false, \"silenceMs\": "
	             "61000},"
	             " {\"id\": 2, \"name\": \"b\", \"online\": false, \"silenceMs\": 59000},"
	             " {\"id\": 3, \"name\": \"c\", \"online\": true, \"silenceMs\": 99000},"
	             " {\"id\": 4, \"name\": \"never\", \"online\": false, \"silenceMs\": null}]}");
	assert_int_equal(json_array_size(out), 1);
	assert_string_equal(subject(out, 0), "node:1");
	json_decref(out);
}

static void test_certificates(void **state)
{
	(void)state;
	const char *facts = "{\"certs\": ["
	                    "{\"id\": 1, \"name\": \"a\", \"status\": \"valid\", \"failures\": 0, "
	                    "\"current\": {\"daysLeft\": 2}},"
	                    "{\"id\": 2, \"name\": \"b\", \"status\": \"valid\", \"failures\": 0, "
	                    "\"current\": {\"daysLeft\": 30}},"
	                    "{\"id\": 3, \"name\": \"c\", \"status\": \"valid\", \"failures\": 2, "
	                    "\"lastError\": \"x\","
	                    " \"current\": {\"daysLeft\": 20}},"
	                    "{\"id\": 4, \"name\": \"d\", \"status\": \"failed\", \"failures\": 1, "
	                    "\"current\": null}]}";
	json_t *out = eval("certificate_expiring", "{\"days\": 21}", facts);
	assert_int_equal(json_array_size(out), 2);
	assert_string_equal(subject(out, 0), "cert:1");
	assert_string_equal(json_string_value(json_object_get(json_array_get(out, 0), "severity")),
	                    "critical");
	assert_string_equal(json_string_value(json_object_get(json_array_get(out, 1), "severity")),
	                    "warning");
	json_decref(out);
	out = eval("certificate_renewal_failed", "{}", facts);
	assert_int_equal(json_array_size(out), 2);
	assert_string_equal(subject(out, 0), "cert:3");
	assert_non_null(strstr(
	        json_string_value(json_object_get(json_array_get(out, 1), "summary")), "issuance"));
	json_decref(out);
}

static void test_releases_drift_policies(void **state)
{
	(void)state;
	json_t *out =
	        eval("release_failed", "{}",
	             "{\"releases\": {\"lastFinished\": [{\"appId\": 1, \"status\": \"succeeded\"},"
	             " {\"appId\": 2, \"status\": \"rolled_back\"}, {\"appId\": 3, \"status\": "
	             "\"failed\"}]}}");
	assert_int_equal(json_array_size(out), 2);
	assert_string_equal(subject(out, 0), "app:2");
	json_decref(out);
	out = eval("drift_detected", "{}",
	           "{\"drift\": [{\"nodeId\": 5, \"owner\": \"app:2\", \"drift\": [{}]}]}");
	assert_string_equal(subject(out, 0), "node:5:app:2");
	json_decref(out);
	out = eval("policy_load_failed", "{}",
	           "{\"policies\": [{\"path\": \"policies/batch.lua\", \"loadFailing\": true, "
	           "\"loaded\": true},"
	           " {\"path\": \"policies/drift.lua\", \"loadFailing\": false}]}");
	assert_int_equal(json_array_size(out), 1);
	assert_string_equal(subject(out, 0), "lua:policies/batch.lua");
	json_decref(out);
}

static void test_jobs(void **state)
{
	(void)state;
	/* only a failed last run alerts; an inactive (succeeded) or unreported one does not */
	json_t *out = eval("job_failed", "{}",
	                   "{\"jobs\": [{\"appId\": 4, \"appName\": \"backup\", \"nodeId\": 7, "
	                   "\"unit\": \"backup.service\", \"state\": \"failed\"},"
	                   " {\"appId\": 4, \"nodeId\": 8, \"state\": \"inactive\"},"
	                   " {\"appId\": 4, \"nodeId\": 9, \"state\": \"\"}]}");
	assert_int_equal(json_array_size(out), 1);
	assert_string_equal(subject(out, 0), "app:4:node:7");
	assert_non_null(strstr(
	        json_string_value(json_object_get(json_array_get(out, 0), "summary")), "backup"));
	json_decref(out);
	out = eval("job_failed", "{}", "{\"jobs\": null}");
	assert_int_equal(json_array_size(out), 0);
	json_decref(out);
}

static void test_params(void **state)
{
	(void)state;
	struct pg_err err = {0};
	json_t *p = load("{\"days\": 0}");
	assert_int_equal(alert_rule_check_params("certificate_expiring", p, &err), PG_EINVAL);
	assert_string_equal(err.field, "params.days");
	json_decref(p);
	p = load("{\"seconds\": 30}");
	assert_int_equal(alert_rule_check_params("node_offline", p, &err), 0);
	assert_int_equal(alert_rule_check_params("release_failed", p, &err), PG_EINVAL);
	json_decref(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_node_offline),
	        cmocka_unit_test(test_certificates),
	        cmocka_unit_test(test_releases_drift_policies),
	        cmocka_unit_test(test_jobs),
	        cmocka_unit_test(test_params),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
