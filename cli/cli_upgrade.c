/* pagoda nodes upgrade: roll a new agent out and follow it. */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void print_nodes(json_t *up, json_t *seen)
{
	size_t i;
	json_t *n;
	json_array_foreach (json_object_get(up, "nodes"), i, n) {
		char key[32];
		snprintf(key, sizeof(key), "%lld",
		         (long long)json_integer_value(json_object_get(n, "nodeId")));
		const char *st = json_string_value(json_object_get(n, "status"));
		const char *was = json_string_value(json_object_get(seen, key));
		if (was && strcmp(was, st) == 0)
			continue;
		const char *why = json_string_value(json_object_get(n, "error"));
		printf("node %s (batch %lld): %s%s%s\n", key,
		       (long long)json_integer_value(json_object_get(n, "batch")), st,
		       why ? ": " : "", why ? why : "");
		json_object_set_new(seen, key, json_string(st));
	}
	fflush(stdout);
}

int cli_upgrade(struct cli *c, json_t *body, bool wait)
{
	json_t *up = NULL;
	int rc = cli_call(c, "POST", "/admin/agent-upgrades", body, &up);
	json_decref(body);
	if (rc != CLI_OK || !wait || c->json) {
		if (rc == CLI_OK)
			cli_print_object(c, up);
		json_decref(up);
		return rc;
	}
	char path[96];
	snprintf(path, sizeof(path), "/admin/agent-upgrades/%lld",
	         (long long)json_integer_value(json_object_get(up, "id")));
	printf("agent upgrade %lld to %s\n",
	       (long long)json_integer_value(json_object_get(up, "id")),
	       json_string_value(json_object_get(up, "to")));
	json_t *seen = json_object();
	while (rc == CLI_OK) {
		print_nodes(up, seen);
		const char *st = json_string_value(json_object_get(up, "status"));
		if (st && strcmp(st, "running") != 0) {
			const char *why = json_string_value(json_object_get(up, "error"));
			printf("upgrade %s%s%s\n", st, why ? ": " : "", why ? why : "");
			rc = strcmp(st, "succeeded") == 0 ? CLI_OK : CLI_FAILED;
			break;
		}
		nanosleep(&(struct timespec){1, 0}, NULL);
		json_decref(up);
		up = NULL;
		rc = cli_call(c, "GET", path, NULL, &up);
	}
	json_decref(seen);
	json_decref(up);
	return rc;
}
