/* The rollout's decisions that need no store: what a node's unit gets
 * after a release (restart, reload, a signal, or only start), a batch's
 * outcome from its nodes (a failed node never reads as done), and the
 * typed statuses and row views the machine runs on. */
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

/* Every status round-trips through its name; other words are unknown. */
static void status_names(void **state)
{
	for (int s = 0; s < APP_REL_UNKNOWN; s++)
		assert_int_equal(app_release_status_of(app_release_status_name(s)), s);
	for (int s = 0; s < APP_BATCH_UNKNOWN; s++)
		assert_int_equal(app_batch_status_of(app_batch_status_name(s)), s);
	for (int s = 0; s < APP_NODE_UNKNOWN; s++)
		assert_int_equal(app_node_status_of(app_node_status_name(s)), s);
	assert_int_equal(app_release_status_of("Running"), APP_REL_UNKNOWN);
	assert_int_equal(app_release_status_of(NULL), APP_REL_UNKNOWN);
	assert_string_equal(app_release_status_name(APP_REL_ROLLED_BACK), "rolled_back");
	assert_true(app_release_status_final(APP_REL_CANCELLED));
	assert_false(app_release_status_final(APP_REL_PAUSED));
	struct app_batch_view b;
	json_t *row = json_loads("{\"index\": 2, \"status\": \"running\", \"maxParallel\": 3,"
	                         " \"timeoutSec\": 60, \"startedAt\": \"2026-12-03T10:00:00Z\"}",
	                         0, NULL);
	app_batch_view_of(row, &b);
	assert_int_equal(b.index, 2);
	assert_int_equal(b.status, APP_BATCH_RUNNING);
	assert_int_equal(b.max_parallel, 3);
	assert_int_equal(b.started_ms, 1796292000000LL);
	json_decref(row);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(control_actions),
	        cmocka_unit_test(batch_outcomes),
	        cmocka_unit_test(status_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
