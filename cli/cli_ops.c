/* The day-to-day lists and one-call commands: the registry, policies,
 * alerts, tasks and the audit log. */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cli_registry_services(struct cli *c, const struct cli_args *a)
{
	static const struct cli_col cols[] = {{"NAME", "name", 0},
	                                      {"PORT", "port", 0},
	                                      {"PROTOCOL", "protocol", 0},
	                                      {"ENDPOINTS", "endpointCount", 0},
	                                      {0}};
	(void)a;
	return cli_get_list(c, "/admin/registry/services", cols);
}

int cli_registry_endpoints(struct cli *c, const struct cli_args *a)
{
	static const struct cli_col cols[] = {{"ID", "id", 0},
	                                      {"NODE", "nodeId", 0},
	                                      {"IP", "ip", 0},
	                                      {"PORT", "port", 0},
	                                      {"HEALTH", "health", 0},
	                                      {"SOURCE", "source", 0},
	                                      {0}};
	char path[512];
	snprintf(path, sizeof(path), "/api/registry/services/%s/endpoints", a->pos[0]);
	return cli_get_list(c, path, cols);
}

int cli_policies(struct cli *c, const struct cli_args *a)
{
	static const struct cli_col cols[] = {{"PATH", "path", 0},
	                                      {"ORIGIN", "origin", 0},
	                                      {"LOADED", "loaded", 0},
	                                      {"CALLS", "calls", 0},
	                                      {"ERRORS", "errors", 0},
	                                      {"LAST ERROR", "lastError", 0},
	                                      {0}};
	bool ls = strcmp(a->cmd->verb, "ls") == 0;
	json_t *out;
	int rc = cli_call(c, ls ? "GET" : "POST", ls ? "/admin/policies" : "/admin/policies/reload",
	                  NULL, &out);
	if (rc == CLI_OK)
		cli_print_list(c, json_object_get(out, "items"), cols);
	json_decref(out);
	return rc;
}

int cli_alerts_ls(struct cli *c, const struct cli_args *a)
{
	static const struct cli_col cols[] = {{"ID", "id", 0},
	                                      {"RULE", "rule", 0},
	                                      {"SUBJECT", "subject", 0},
	                                      {"STATUS", "status", 0},
	                                      {"FIRED", "firedAt", 0},
	                                      {"MESSAGE", "message", 0},
	                                      {0}};
	char path[256] = "/admin/alerts";
	cli_query_add(path, sizeof(path), "status", cli_opt(a, "--status"));
	return cli_get_list(c, path, cols);
}

/* The first word must be an id (what names the kind); CLI_USAGE if not. */
static int need_id(const struct cli_args *a, const char *what)
{
	if (cli_is_id(a->pos[0]))
		return CLI_OK;
	fprintf(stderr, "pagoda: %s is a numeric id, not '%s'\n", what, a->pos[0]);
	return CLI_USAGE;
}

int cli_alerts_ack(struct cli *c, const struct cli_args *a)
{
	char path[96];
	if (need_id(a, "an alert") != CLI_OK)
		return CLI_USAGE;
	snprintf(path, sizeof(path), "/admin/alerts/%s/ack", a->pos[0]);
	return cli_call_print(c, "POST", path, NULL);
}

int cli_alerts_channels(struct cli *c, const struct cli_args *a)
{
	static const struct cli_col cols[] = {{"NAME", "name", 0},
	                                      {"PLUGIN", "plugin", 0},
	                                      {"SEVERITIES", "severities", 0},
	                                      {"TEMPLATE", "template", 0},
	                                      {"UPDATED", "updatedAt", 0},
	                                      {0}};
	(void)a;
	return cli_get_list(c, "/admin/alert-channels", cols);
}

int cli_alerts_test(struct cli *c, const struct cli_args *a)
{
	static const struct cli_col cols[] = {{"CHANNEL", "channel", 0},
	                                      {"PLUGIN", "plugin", 0},
	                                      {"OK", "ok", 0},
	                                      {"ERROR", "error", 0},
	                                      {0}};
	/* NAME is a named channel, or else a rule */
	json_t *chans = json_array(), *ch, *out = NULL;
	size_t k;
	bool channel = false;
	int rc = cli_list_all(c, "/admin/alert-channels", chans, NULL);
	json_array_foreach (chans, k, ch)
		channel = channel ||
		          strcmp(json_string_value(json_object_get(ch, "name")), a->pos[0]) == 0;
	json_decref(chans);
	if (rc != CLI_OK)
		return rc;
	char path[512];
	snprintf(path, sizeof(path), "/admin/%s/%s/test",
	         channel ? "alert-channels" : "alert-rules", a->pos[0]);
	rc = cli_call(c, "POST", path, NULL, &out);
	json_t *res = json_object_get(out, "results"), *x;
	size_t i;
	bool all = true;
	json_array_foreach (res, i, x)
		all = all && json_is_true(json_object_get(x, "ok"));
	if (rc == CLI_OK)
		cli_print_list(c, res, cols);
	json_decref(out);
	return rc == CLI_OK && !all ? CLI_FAILED : rc;
}

int cli_tasks_ls(struct cli *c, const struct cli_args *a)
{
	static const struct cli_col cols[] = {{"ID", "id", 0},
	                                      {"NODE", "nodeId", 0},
	                                      {"TYPE", "type", 0},
	                                      {"STATUS", "status", 0},
	                                      {"ATTEMPT", "attempt", 0},
	                                      {"CREATED", "createdAt", 0},
	                                      {"ERROR", "errorMessage", 0},
	                                      {0}};
	char path[512] = "/admin/tasks?limit=200", node[32];
	const char *n = cli_opt(a, "--node");
	int rc = n ? cli_resolve_node(c, n, node) : CLI_OK;
	if (rc != CLI_OK)
		return rc;
	cli_query_add(path, sizeof(path), "nodeId", n ? node : NULL);
	cli_query_add(path, sizeof(path), "status", cli_opt(a, "--status"));
	return cli_get_list(c, path, cols);
}

int cli_tasks_one(struct cli *c, const struct cli_args *a)
{
	char path[96];
	bool cancel = strcmp(a->cmd->verb, "cancel") == 0;
	if (need_id(a, "a task") != CLI_OK)
		return CLI_USAGE;
	snprintf(path, sizeof(path), "/admin/tasks/%s%s", a->pos[0], cancel ? "/cancel" : "");
	return cli_call_print(c, cancel ? "POST" : "GET", path, NULL);
}

int cli_audit(struct cli *c, const struct cli_args *a)
{
	static const char *const keys[][2] = {
	        {"--action", "action"},      {"--actor", "actor"}, {"--target-type", "targetType"},
	        {"--target-id", "targetId"}, {"--since", "since"}, {"--until", "until"},
	        {"--trace", "traceId"},      {"--limit", "limit"}};
	static const struct cli_col cols[] = {{"AT", "at", 0},
	                                      {"ACTOR", "actor", 0},
	                                      {"ACTION", "action", 0},
	                                      {"TARGET", "targetType", 0},
	                                      {"ID", "targetId", 0},
	                                      {"DETAILS", "details", 0},
	                                      {0}};
	char path[1024] = "/admin/audit";
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		cli_query_add(path, sizeof(path), keys[i][1], cli_opt(a, keys[i][0]));
	return cli_get_list(c, path, cols);
}
