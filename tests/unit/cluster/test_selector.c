/* Label selectors: k=v, k==v, k!=v, k, !k, and bad terms. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "cluster/cluster.h"

static bool sel(const char *text, const char *labels)
{
	struct cluster_selector *s = NULL;
	assert_int_equal(cluster_selector_parse(text, &s, NULL), 0);
	json_t *l = json_loads(labels, 0, NULL);
	bool m = cluster_selector_match(s, l);
	json_decref(l);
	cluster_selector_free(s);
	return m;
}

static void matching(void **state)
{
	assert_true(sel("env=prod", "{\"env\":\"prod\"}"));
	assert_true(sel("env==prod", "{\"env\":\"prod\"}"));
	assert_false(sel("env=prod", "{\"env\":\"dev\"}"));
	assert_false(sel("env=prod", "{}"));
	assert_true(sel("env!=prod", "{}"));
	assert_true(sel("env!=prod", "{\"env\":\"dev\"}"));
	assert_false(sel("env!=prod", "{\"env\":\"prod\"}"));
	assert_true(sel("role", "{\"role\":\"web\"}"));
	assert_false(sel("!role", "{\"role\":\"web\"}"));
	assert_true(sel("env=prod,role,!canary", "{\"env\":\"prod\",\"role\":\"db\"}"));
	assert_false(sel("env=prod,role,!canary",
	                 "{\"env\":\"prod\",\"role\":\"db\",\"canary\":\"1\"}"));
	assert_true(sel("zone=", "{\"zone\":\"\"}"));
}

static void bad_terms(void **state)
{
	const char *bad[] = {"", ",", "a=b,,c", "=v", "!", "a b=c", "a=b=c", "k!=v!=w", NULL};
	for (int i = 0; bad[i]; i++) {
		struct cluster_selector *s = NULL;
		struct pg_err err = {0};
		assert_int_not_equal(cluster_selector_parse(bad[i], &s, &err), 0);
		assert_string_equal(err.field, "selector");
		assert_null(s);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(matching),
	        cmocka_unit_test(bad_terms),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
