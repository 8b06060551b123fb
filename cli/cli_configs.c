/* pagoda configs ...: configuration items by id or NAME, their versions,
 * a new version from a file, diffs, publish and rollback. */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct cli_col cfg_cols[] = {{"ID", "id", 0},
                                          {"NAMESPACE", "namespace", 0},
                                          {"NAME", "name", 0},
                                          {"FORMAT", "format", 0},
                                          {"LATEST", "latestVersion", 0},
                                          {"RELEASED", "releasedVersion", 0},
                                          {"SECRET", "secret", 0},
                                          {0}};

static char *read_text(const char *file)
{
	FILE *f = strcmp(file, "-") == 0 ? stdin : fopen(file, "rb");
	if (!f) {
		perror(file);
		return NULL;
	}
	char *data = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&data, &len);
	char buf[8192];
	size_t n;
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		fwrite(buf, 1, n, m);
	fclose(m);
	if (f != stdin)
		fclose(f);
	return data;
}

int cli_configs_ls(struct cli *c, const struct cli_args *a)
{
	(void)a;
	return cli_get_list(c, "/admin/configs?limit=1000", cfg_cols);
}

/* The item's fmt (its id for %s) as text: field (a dotted path) of the
 * answer as it is, or the whole answer with -o json. */
static int print_text(struct cli *c, const char *item, const char *fmt, const char *field)
{
	char path[160];
	json_t *out;
	int rc = cli_id_path(c, cli_resolve_config, item, fmt, path, sizeof(path));
	if (rc == CLI_OK)
		rc = cli_call(c, "GET", path, NULL, &out);
	if (rc != CLI_OK)
		return rc;
	if (c->json)
		cli_print_object(c, out);
	else
		fputs(json_string_value(cli_get_path(out, field)) ?: "", stdout);
	json_decref(out);
	return rc;
}

int cli_configs_show(struct cli *c, const struct cli_args *a)
{
	return print_text(c, a->pos[0], "/admin/configs/%s", "current.content");
}

int cli_configs_versions(struct cli *c, const struct cli_args *a)
{
	static const struct cli_col cols[] = {{"VERSION", "version", 0},
	                                      {"AUTHOR", "author", 0},
	                                      {"MESSAGE", "message", 0},
	                                      {"AT", "createdAt", 0},
	                                      {0}};
	char path[96];
	int rc = cli_id_path(c, cli_resolve_config, a->pos[0],
	                     "/admin/configs/%s/versions?limit=1000", path, sizeof(path));
	return rc == CLI_OK ? cli_get_list(c, path, cols) : rc;
}

int cli_configs_edit(struct cli *c, const struct cli_args *a)
{
	const char *file = cli_need(a, "-f");
	char path[96];
	if (!file)
		return CLI_USAGE;
	int rc = cli_id_path(c, cli_resolve_config, a->pos[0], "/admin/configs/%s", path,
	                     sizeof(path));
	if (rc != CLI_OK)
		return rc;
	char *text = read_text(file);
	if (!text)
		return CLI_USAGE;
	json_t *body = json_pack("{s:s}", "content", text);
	free(text);
	if (cli_opt(a, "--message"))
		json_object_set_new(body, "message", json_string(cli_opt(a, "--message")));
	return cli_call_print(c, "PUT", path, body);
}

int cli_configs_diff(struct cli *c, const struct cli_args *a)
{
	char fmt[96];
	if (!cli_is_id(a->pos[1]) || !cli_is_id(a->pos[2])) {
		fprintf(stderr, "pagoda: FROM and TO are version numbers\n");
		return CLI_USAGE;
	}
	snprintf(fmt, sizeof(fmt), "/admin/configs/%%s/diff?from=%s&to=%s", a->pos[1], a->pos[2]);
	return print_text(c, a->pos[0], fmt, "diff");
}

int cli_configs_publish(struct cli *c, const struct cli_args *a)
{
	char fmt[64], path[96];
	snprintf(fmt, sizeof(fmt), "/admin/configs/%%s/%s", a->cmd->verb);
	int rc = cli_id_path(c, cli_resolve_config, a->pos[0], fmt, path, sizeof(path));
	if (rc != CLI_OK)
		return rc;
	json_t *body = json_object();
	if (cli_opt(a, "--version"))
		json_object_set_new(body, "version", json_integer(atoll(cli_opt(a, "--version"))));
	if (cli_opt(a, "--note"))
		json_object_set_new(body, "note", json_string(cli_opt(a, "--note")));
	return cli_call_print(c, "POST", path, body);
}
