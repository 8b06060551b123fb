/* The rollout's decisions that need no store: what a node's unit gets
 * after a release (restart, reload, a signal, or only start), and a
 * batch's outcome from its nodes (a failed node never reads as done). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "application/app_int.h"

static const char *control(const char *old, const char *new, const char **sig)
{
	json_t *o = old ? json_loads(old, 0, NULL) : NULL, *n = json_loads(new, 0, NULL);
	assert_non_null(n);
	static char sigbuf[32];
	const char *r = app_control_of(o, n, sig);
	if (*sig) { /* it points into n */
		snprintf(sigbuf, sizeof(sigbuf), "%s", *sig);
		*sig = sigbuf;
	}
	json_decref(o);
	json_decref(n);
	return r;
}

#define BASE "\"desiredState\": \"Running\", \"unit\": {\"sha256\": \"u1\"}"

static void control_actions(void **state)
{
	const char *sig = NULL;
	/* the first release, a changed unit or desired state: restart */
	assert_string_equal(control(NULL, "{" BASE "}", &sig), "restart");
	assert_string_equal(
	        control("{" BASE "}",
	                "{\"desiredState\": \"Running\", \"unit\": {\"sha256\": \"u2\"}}", &sig),
	        "restart");
	assert_string_equal(
	        control("{" BASE "}",
	                "{\"desiredState\": \"Stopped\", \"unit\": {\"sha256\": \"u1\"}}", &sig),
	        "restart");
	/* nothing changed: start only makes sure it runs */
	assert_string_equal(control("{" BASE "}", "{" BASE "}", &sig), "start");
	assert_null(sig);
	/* a new program fetched: restart */
	assert_string_equal(control("{" BASE ", \"fetch\": {\"release\": \"r1\"}}",
	                            "{" BASE ", \"fetch\": {\"release\": \"r2\"}}", &sig),
	                    "restart");
	/* changed config files: the strongest onChange of those that changed */
	static const char old[] =
	        "{" BASE ", \"configs\": ["
	        "{\"path\": \"/a\", \"version\": 1, \"onChange\": \"signal:HUP\"},"
	        "{\"path\": \"/b\", \"version\": 1, \"onChange\": \"reload\"}]}";
	assert_string_equal(
	        control(old,
	                "{" BASE ", \"configs\": ["
	                "{\"path\": \"/a\", \"version\": 2, \"onChange\": \"signal:HUP\"},"
	                "{\"path\": \"/b\", \"version\": 1, \"onChange\": \"reload\"}]}",
	                &sig),
	        "kill");
	assert_string_equal(sig, "HUP");
	assert_string_equal(
	        control(old,
	                "{" BASE ", \"configs\": ["
	                "{\"path\": \"/a\", \"version\": 2, \"onChange\": \"signal:HUP\"},"
	                "{\"path\": \"/b\", \"version\": 2, \"onChange\": \"reload\"}]}",
	                &sig),
	        "reload");
	/* no onChange means restart; a file that went away too */
	assert_string_equal(
	        control(old,
	                "{" BASE ", \"configs\": ["
	                "{\"path\": \"/a\", \"version\": 2},"
	                "{\"path\": \"/b\", \"version\": 1, \"onChange\": \"reload\"}]}",
	                &sig),
	        "restart");
	assert_string_equal(
	        control(old,
	                "{" BASE ", \"configs\": ["
	                "{\"path\": \"/a\", \"version\": 1, \"onChange\": \"signal:HUP\"}]}",
	                &sig),
	        "restart");
}

static void batch_outcomes(void **state)
{
	json_t *batches = json_loads("[{\"index\": 0, \"status\": \"done\"},"
	                             " {\"index\": 1, \"status\": \"done\"},"
	                             " {\"index\": 2, \"status\": \"running\"}]",
	                             0, NULL);
	json_t *nodes = json_loads("[{\"batch\": 0, \"status\": \"succeeded\"},"
	                           " {\"batch\": 1, \"status\": \"succeeded\"},"
	                           " {\"batch\": 1, \"status\": \"timeout\"},"
	                           " {\"batch\": 2, \"status\": \"failed\"}]",
	                           0, NULL);
	app_batch_outcomes(batches, nodes);
	json_t *b0 = json_array_get(batches, 0), *b1 = json_array_get(batches, 1),
	       *b2 = json_array_get(batches, 2);
	assert_string_equal(json_string_value(json_object_get(b0, "outcome")), "succeeded");
	assert_string_equal(json_string_value(json_object_get(b1, "outcome")), "failed");
	assert_int_equal(json_integer_value(json_object_get(b1, "failedNodes")), 1);
	assert_true(json_is_null(json_object_get(b2, "outcome"))); /* not finished */
	assert_int_equal(json_integer_value(json_object_get(b2, "failedNodes")), 1);
	json_decref(batches);
	json_decref(nodes);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(control_actions),
	        cmocka_unit_test(batch_outcomes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
