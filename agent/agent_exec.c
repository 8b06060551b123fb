/* Dispatch of a delivered task to its executor. */
#include "agent.h"
#include "common/pg_task_types.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void agent_result_free(struct agent_result *r)
{
	free(r->out);
	free(r->errout);
	json_decref(r->artifacts);
	memset(r, 0, sizeof(*r));
}

/* One executor per task type, from the list the server validates with. */
static const struct {
	const char *type;
	int (*fn)(struct agent *a, json_t *payload, int64_t timeout_sec, struct agent_result *r);
} executors[] = {
#define EXECUTOR(name, validator, executor) {#name, executor},
        PG_TASK_TYPES(EXECUTOR)
#undef EXECUTOR
};

void agent_exec(struct agent *a, json_t *task, struct agent_result *r)
{
	const char *type = json_string_value(json_object_get(task, "type"));
	json_t *payload = json_object_get(task, "payload");
	json_int_t timeout = json_integer_value(json_object_get(task, "timeoutSec"));
	memset(r, 0, sizeof(*r));
	r->exit_code = INT64_MIN;
	if (!type || !json_is_object(payload)) {
		snprintf(r->error, sizeof(r->error), "malformed task: no type or payload");
		return;
	}
	for (size_t i = 0; i < sizeof(executors) / sizeof(executors[0]); i++)
		if (strcmp(type, executors[i].type) == 0) {
			executors[i].fn(a, payload, timeout > 0 ? timeout : 300, r);
			return;
		}
	snprintf(r->error, sizeof(r->error), "task type %s is not supported by pagoda-agent %s",
	         type, AGENT_VERSION);
}
