/* RunCommand: argv through pg_run, only on agents started with --allow-exec. */
#include "agent.h"
#include "common/pg_proc.h"

#include <stdio.h>
#include <stdlib.h>

int agent_exec_run(struct agent *a, json_t *payload, int64_t timeout_sec, struct agent_result *r)
{
	if (!a->allow_exec) {
		snprintf(r->error, sizeof(r->error),
		         "RunCommand is disabled on this agent; start pagoda-agent with "
		         "--allow-exec");
		return -1;
	}
	json_t *argv_j = json_object_get(payload, "argv");
	size_t n = json_array_size(argv_j);
	if (n == 0) {
		snprintf(r->error, sizeof(r->error), "payload.argv must name a program");
		return -1;
	}
	char **argv = calloc(n + 1, sizeof(char *));
	if (!argv) {
		snprintf(r->error, sizeof(r->error), "out of memory");
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		argv[i] = (char *)json_string_value(json_array_get(argv_j, i));
	char why[256] = "";
	int st =
	        pg_run(argv, json_string_value(json_object_get(payload, "cwd")), timeout_sec * 1000,
	               AGENT_OUTPUT_MAX, &r->out, &r->errout, why, sizeof(why));
	free(argv);
	if (st < 0) {
		snprintf(r->error, sizeof(r->error), "%s", why);
		return -1;
	}
	r->exit_code = st;
	if (st != 0) {
		snprintf(r->error, sizeof(r->error), "%s exited with status %d",
		         json_string_value(json_array_get(argv_j, 0)), st);
		return -1;
	}
	r->ok = true;
	return 0;
}
