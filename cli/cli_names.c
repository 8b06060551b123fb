/* Objects named the way operators name them (id, NAME, NAMESPACE/NAME,
 * APP@vN) turned into the ids the API takes, and the list and one-call
 * printing every command shares. */
#include "cli.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool cli_is_id(const char *s)
{
	if (!s || !*s)
		return false;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return false;
	return true;
}

void cli_query_add(char *q, size_t len, const char *key, const char *value)
{
	if (!value)
		return;
	size_t n = strlen(q);
	n += (size_t)snprintf(q + n, len - n, "%s%s=", strchr(q, '?') ? "&" : "?", key);
	for (const unsigned char *p = (const unsigned char *)value; *p && n + 4 < len; p++)
		n += (size_t)(isalnum(*p) || strchr("-_.~", *p)
		                      ? snprintf(q + n, len - n, "%c", *p)
		                      : snprintf(q + n, len - n, "%%%02X", *p));
}

/* What a list path lists, for "no applications". */
static const char *list_noun(const char *path)
{
	static const char *const names[][2] = {{"apps", "applications"},
	                                       {"configs", "configuration items"},
	                                       {"agent-upgrades", "agent upgrades"},
	                                       {"audit", "audit events"},
	                                       {"certificates", "certificates"},
	                                       {"alert-channels", "alert channels"},
	                                       {NULL, NULL}};
	char last[64];
	const char *q = strchr(path, '?'), *end = q ? q : path + strlen(path), *b = end;
	while (b > path && b[-1] != '/')
		b--;
	snprintf(last, sizeof(last), "%.*s", (int)(end - b), b);
	for (int i = 0; names[i][0]; i++)
		if (strcmp(last, names[i][0]) == 0)
			return names[i][1];
	static __thread char out[64];
	snprintf(out, sizeof(out), "%s", last);
	return out;
}

int cli_get_list(struct cli *c, const char *path, const struct cli_col *cols)
{
	json_t *all = json_array();
	bool more = false;
	int rc = cli_list_all(c, path, all, &more);
	if (rc == CLI_OK && !c->json && json_array_size(all) == 0)
		printf("no %s\n", list_noun(path));
	else if (rc == CLI_OK)
		cli_print_list(c, all, cols);
	if (more)
		fprintf(stderr,
		        "pagoda: %zu shown; there are more (narrow the list with its flags)\n",
		        json_array_size(all));
	json_decref(all);
	return rc;
}

int cli_resolve(struct cli *c, const char *path, const char *what, bool ns, const char *arg,
                char out[32])
{
	if (cli_is_id(arg)) {
		snprintf(out, 32, "%s", arg);
		return CLI_OK;
	}
	const char *slash = ns ? strchr(arg, '/') : NULL;
	json_t *all = json_array(), *x;
	int rc = cli_list_all(c, path, all, NULL), found = 0;
	size_t i;
	json_array_foreach (rc == CLI_OK ? all : NULL, i, x) {
		const char *space = json_string_value(json_object_get(x, "namespace"));
		const char *name = json_string_value(json_object_get(x, "name"));
		bool match = slash ? (space && strlen(space) == (size_t)(slash - arg) &&
		                      strncmp(space, arg, (size_t)(slash - arg)) == 0 &&
		                      strcmp(name, slash + 1) == 0)
		                   : name && strcmp(name, arg) == 0;
		if (match && found++ == 0)
			snprintf(out, 32, "%lld",
			         (long long)json_integer_value(json_object_get(x, "id")));
	}
	json_decref(all);
	if (rc == CLI_OK && found == 0) {
		fprintf(stderr, "pagoda: no %s named %s\n", what, arg);
		rc = CLI_REFUSED;
	} else if (rc == CLI_OK && found > 1) {
		fprintf(stderr, "pagoda: %d %ss are named %s: say which%s\n", found, what, arg,
		        ns ? " (NAMESPACE/NAME)" : " (by id)");
		rc = CLI_REFUSED;
	}
	return rc;
}

int cli_resolve_app(struct cli *c, const char *arg, char out[32])
{
	return cli_resolve(c, "/admin/apps?limit=1000", "application", true, arg, out);
}

int cli_resolve_node(struct cli *c, const char *arg, char out[32])
{
	return cli_resolve(c, "/admin/nodes?limit=1000", "node", false, arg, out);
}

int cli_resolve_release(struct cli *c, const char *arg, char out[32])
{
	const char *at = strrchr(arg, '@');
	if (cli_is_id(arg)) {
		snprintf(out, 32, "%s", arg);
		return CLI_OK;
	}
	if (!at || (at[1] != 'v' && at[1] != 'V') || !cli_is_id(at + 2)) {
		fprintf(stderr, "pagoda: a release is an id or APP@vN, not '%s'\n", arg);
		return CLI_USAGE;
	}
	char app_name[256], app[32], path[96];
	snprintf(app_name, sizeof(app_name), "%.*s", (int)(at - arg), arg);
	int rc = cli_resolve_app(c, app_name, app);
	if (rc != CLI_OK)
		return rc;
	snprintf(path, sizeof(path), "/admin/apps/%s/releases", app);
	json_t *all = json_array(), *x;
	rc = cli_list_all(c, path, all, NULL);
	size_t i;
	bool found = false;
	json_array_foreach (rc == CLI_OK ? all : NULL, i, x)
		if (json_integer_value(json_object_get(x, "version")) == atoll(at + 2) && !found) {
			found = true;
			snprintf(out, 32, "%lld",
			         (long long)json_integer_value(json_object_get(x, "id")));
		}
	json_decref(all);
	if (rc == CLI_OK && !found) {
		fprintf(stderr, "pagoda: %s has no release v%s\n", app_name, at + 2);
		rc = CLI_REFUSED;
	}
	return rc;
}

int cli_call_print(struct cli *c, const char *method, const char *path, json_t *body)
{
	json_t *out;
	int rc = cli_call(c, method, path, body, &out);
	json_decref(body);
	if (rc == CLI_OK)
		cli_print_object(c, out);
	json_decref(out);
	return rc;
}

int cli_resolve_config(struct cli *c, const char *arg, char out[32])
{
	/* names may hold '/' (hello/conf): matched whole, never as NAMESPACE/NAME */
	return cli_resolve(c, "/admin/configs?limit=1000", "configuration item", false, arg, out);
}

int cli_resolve_cert(struct cli *c, const char *arg, char out[32])
{
	return cli_resolve(c, "/admin/certificates", "certificate", false, arg, out);
}

int cli_id_path(struct cli *c, cli_resolver resolve, const char *arg, const char *fmt, char *path,
                size_t len)
{
	char id[32];
	int rc = resolve(c, arg, id);
	if (rc == CLI_OK)
		snprintf(path, len, fmt, id);
	return rc;
}
