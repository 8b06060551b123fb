/* The task state machine (seed 8.3) and retry backoff. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "cluster/cluster.h"

static void pending_transitions(void **state)
{
	assert_string_equal(cluster_task_next_status("pending", TASK_EV_DELIVER), "running");
	assert_string_equal(cluster_task_next_status("pending", TASK_EV_CANCEL), "cancelled");
	assert_null(cluster_task_next_status("pending", TASK_EV_RUNNING));
}

static void running_transitions(void **state)
{
	assert_string_equal(cluster_task_next_status("running", TASK_EV_RUNNING), "running");
	assert_string_equal(cluster_task_next_status("running", TASK_EV_SUCCEEDED), "succeeded");
	assert_string_equal(cluster_task_next_status("running", TASK_EV_FAILED), "failed");
	assert_string_equal(cluster_task_next_status("running", TASK_EV_RETRY), "pending");
	assert_string_equal(cluster_task_next_status("running", TASK_EV_CANCEL), "cancelled");
	assert_string_equal(cluster_task_next_status("running", TASK_EV_DELIVER), "running");
}

static void terminal_states_are_final(void **state)
{
	const char *terminal[] = {"succeeded", "failed", "cancelled"};
	for (int i = 0; i < 3; i++)
		for (int ev = TASK_EV_DELIVER; ev <= TASK_EV_CANCEL; ev++)
			assert_null(
			        cluster_task_next_status(terminal[i], (enum cluster_task_event)ev));
}

static void backoff_doubles_and_caps(void **state)
{
	struct cluster_opts o;
	cluster_opts_default(&o);
	o.retry_backoff_ms = 1000;
	o.retry_backoff_max_ms = 10000;
	assert_int_equal(cluster_task_backoff_ms(&o, 1), 1000);
	assert_int_equal(cluster_task_backoff_ms(&o, 2), 2000);
	assert_int_equal(cluster_task_backoff_ms(&o, 4), 8000);
	assert_int_equal(cluster_task_backoff_ms(&o, 5), 10000);
	assert_int_equal(cluster_task_backoff_ms(&o, 60), 10000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(pending_transitions),
	        cmocka_unit_test(running_transitions),
	        cmocka_unit_test(terminal_states_are_final),
	        cmocka_unit_test(backoff_doubles_and_caps),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
