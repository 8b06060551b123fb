/* pagoda nodes ...: list, show, cordon, tokens, one task, joining and
 * agent upgrades. */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct cli_col node_cols[] = {{"ID", "id", 0},
                                           {"NAME", "name", 0},
                                           {"IP", "ip", 0},
                                           {"STATUS", "status", 0},
                                           {"AGENT", "agentVersion", 0},
                                           {"LABELS", "labels", 0},
                                           {"LAST HEARTBEAT", "lastHeartbeatAt", 0},
                                           {0}};

int cli_nodes_ls(struct cli *c, const struct cli_args *a)
{
	char path[1024] = "/admin/nodes?limit=1000";
	cli_query_add(path, sizeof(path), "selector", cli_opt(a, "--selector"));
	cli_query_add(path, sizeof(path), "status", cli_opt(a, "--status"));
	return cli_get_list(c, path, node_cols);
}

int cli_nodes_show(struct cli *c, const struct cli_args *a)
{
	char path[96];
	int rc = cli_id_path(c, cli_resolve_node, a->pos[0], "/admin/nodes/%s", path, sizeof(path));
	if (rc != CLI_OK || c->json)
		return rc == CLI_OK ? cli_call_print(c, "GET", path, NULL) : rc;
	json_t *node;
	if ((rc = cli_call(c, "GET", path, NULL, &node)) != CLI_OK)
		return rc;
	json_t *facts = json_incref(json_object_get(node, "facts"));
	json_object_del(node, "facts");
	cli_print_object(c, node);
	cli_print_facts(facts);
	json_decref(facts);
	json_decref(node);
	strcat(path, "/status");
	printf("\n");
	return cli_call_print(c, "GET", path, NULL);
}

int cli_nodes_cordon(struct cli *c, const struct cli_args *a)
{
	char fmt[64], path[96];
	snprintf(fmt, sizeof(fmt), "/admin/nodes/%%s/%s", a->cmd->verb);
	int rc = cli_id_path(c, cli_resolve_node, a->pos[0], fmt, path, sizeof(path));
	return rc == CLI_OK ? cli_call_print(c, "POST", path, NULL) : rc;
}

int cli_nodes_rotate_token(struct cli *c, const struct cli_args *a)
{
	char path[96];
	int rc = cli_id_path(c, cli_resolve_node, a->pos[0], "/admin/nodes/%s/token/rotate", path,
	                     sizeof(path));
	if (rc != CLI_OK)
		return rc;
	const char *grace = cli_opt(a, "--grace");
	return cli_call_print(c, "POST", path,
	                      grace ? json_pack("{s:I}", "graceSec", (json_int_t)atoll(grace))
	                            : json_object());
}

int cli_nodes_run(struct cli *c, const struct cli_args *a)
{
	json_t *payload = json_loads(a->pos[2], JSON_REJECT_DUPLICATES, NULL);
	if (!payload) {
		fprintf(stderr, "pagoda: the payload is not JSON\n");
		return CLI_USAGE;
	}
	char path[96];
	int rc = cli_id_path(c, cli_resolve_node, a->pos[0], "/admin/nodes/%s/tasks", path,
	                     sizeof(path));
	if (rc != CLI_OK) {
		json_decref(payload);
		return rc;
	}
	json_t *body = json_pack("{s:s, s:o}", "type", a->pos[1], "payload", payload);
	if (cli_opt(a, "--timeout"))
		json_object_set_new(body, "timeoutSec",
		                    json_integer(atoll(cli_opt(a, "--timeout"))));
	return cli_call_print(c, "POST", path, body);
}

/* --label k=v (repeatable) and --labels k=v,k2=v2 as a JSON object;
 * NULL with a message when one has no '='. */
static json_t *labels_of(const struct cli_args *a)
{
	json_t *labels = json_object();
	for (int i = 0; i < a->nopt; i++) {
		bool many = strcmp(a->key[i], "--labels") == 0;
		if (!many && strcmp(a->key[i], "--label") != 0)
			continue;
		for (const char *p = a->val[i]; *p;) {
			size_t n = many ? strcspn(p, ",") : strlen(p);
			const char *eq = memchr(p, '=', n);
			if (!eq || eq == p) {
				fprintf(stderr, "pagoda: %s takes k=v, not '%.*s'\n", a->key[i],
				        (int)n, p);
				json_decref(labels);
				return NULL;
			}
			char k[128];
			snprintf(k, sizeof(k), "%.*s", (int)(eq - p), p);
			json_object_set_new(labels, k,
			                    json_stringn(eq + 1, (size_t)(p + n - eq - 1)));
			p += n + (p[n] == ',');
		}
	}
	return labels;
}

int cli_nodes_join(struct cli *c, const struct cli_args *a)
{
	json_t *labels = labels_of(a);
	if (!labels)
		return CLI_USAGE;
	json_t *body = json_pack("{s:s, s:o}", "name", a->pos[0], "labels", labels);
	if (cli_opt(a, "--ttl"))
		json_object_set_new(body, "ttlSec", json_integer(atoll(cli_opt(a, "--ttl"))));
	if (strcmp(a->cmd->verb, "join-command") == 0)
		return cli_join_command(c, body, cli_opt(a, "--server"));
	return cli_call_print(c, "POST", "/admin/join-tokens", body);
}

int cli_nodes_upgrade(struct cli *c, const struct cli_args *a)
{
	const char *to = cli_need(a, "--to");
	if (!to)
		return CLI_USAGE;
	json_t *body = json_pack("{s:s}", "to", to);
	if (cli_opt(a, "--selector"))
		json_object_set_new(body, "selector", json_string(cli_opt(a, "--selector")));
	if (cli_opt(a, "--deadline"))
		json_object_set_new(body, "deadlineSec",
		                    json_integer(atoll(cli_opt(a, "--deadline"))));
	if (cli_opt(a, "--batch-size"))
		json_object_set_new(body, "strategy",
		                    json_pack("{s:I}", "batchSize",
		                              (json_int_t)atoll(cli_opt(a, "--batch-size"))));
	const char *w = cli_opt(a, "--wait");
	return cli_upgrade(c, body, !w || strcmp(w, "false") != 0);
}

int cli_nodes_upgrades(struct cli *c, const struct cli_args *a)
{
	static const struct cli_col cols[] = {{"ID", "id", 0},
	                                      {"TO", "to", 0},
	                                      {"STATUS", "status", 0},
	                                      {"SELECTOR", "selector", 0},
	                                      {"CREATED", "createdAt", 0},
	                                      {"ERROR", "error", 0},
	                                      {0}};
	if (!a->npos)
		return cli_get_list(c, "/admin/agent-upgrades", cols);
	if (!cli_is_id(a->pos[0])) {
		fprintf(stderr, "pagoda: an agent upgrade is an id, not '%s'\n", a->pos[0]);
		return CLI_USAGE;
	}
	char path[96];
	snprintf(path, sizeof(path), "/admin/agent-upgrades/%s", a->pos[0]);
	return cli_call_print(c, "GET", path, NULL);
}
