/* Dispatch of a delivered task to its executor. */
#include "agent.h"

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
	if (strcmp(type, "ApplyConfigFiles") == 0)
		agent_exec_files(a, payload, r);
	else if (strcmp(type, "RunCommand") == 0)
		agent_exec_command(a, payload, timeout > 0 ? timeout : 300, r);
	else if (strcmp(type, "SystemdInstallUnit") == 0)
		agent_exec_unit_install(a, payload, r);
	else if (strcmp(type, "SystemdControl") == 0)
		agent_exec_unit_control(a, payload, r);
	else if (strcmp(type, "RenderAndDeployNginx") == 0)
		agent_exec_nginx(a, payload, r);
	else if (strcmp(type, "DeployCertificate") == 0)
		agent_exec_certificate(a, payload, r);
	else if (strcmp(type, "HealthProbe") == 0)
		agent_exec_probe(a, payload, r);
	else if (strcmp(type, "UpgradeAgent") == 0)
		agent_exec_upgrade(a, payload, r);
	else
		snprintf(r->error, sizeof(r->error),
		         "task type %s is not supported by pagoda-agent %s", type, AGENT_VERSION);
}
