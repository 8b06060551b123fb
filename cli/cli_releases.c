/* pagoda releases ...: an application's releases, and one release (by id
 * or APP@vN) created, shown, driven, rolled back or watched. */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct cli_col rel_cols[] = {{"ID", "id", 0},
                                          {"VERSION", "version", 0},
                                          {"KIND", "kind", 0},
                                          {"STATUS", "status", 0},
                                          {"BY", "createdBy", 0},
                                          {"CREATED", "createdAt", 0},
                                          {"FINISHED", "finishedAt", 0},
                                          {0}};

int cli_releases_ls(struct cli *c, const struct cli_args *a)
{
	char id[32], path[96];
	int rc = cli_resolve_app(c, a->pos[0], id);
	if (rc != CLI_OK)
		return rc;
	snprintf(path, sizeof(path), "/admin/apps/%s/releases", id);
	return cli_get_list(c, path, rel_cols);
}

int cli_releases_create(struct cli *c, const struct cli_args *a)
{
	char id[32], path[96];
	int rc = cli_resolve_app(c, a->pos[0], id);
	if (rc != CLI_OK)
		return rc;
	snprintf(path, sizeof(path), "/admin/apps/%s/releases", id);
	const char *note = cli_opt(a, "--note");
	json_t *body = note ? json_pack("{s:s}", "note", note) : json_object(), *out;
	rc = cli_call(c, "POST", path, body, &out);
	json_decref(body);
	if (rc == CLI_OK && c->json) {
		cli_print_object(c, out);
	} else if (rc == CLI_OK) {
		/* the diff first: what this release would change */
		const char *diff = json_string_value(json_object_get(out, "diffText"));
		printf("release %lld (version %lld) of application %s: %s\n",
		       (long long)json_integer_value(json_object_get(out, "id")),
		       (long long)json_integer_value(json_object_get(out, "version")), id,
		       json_string_value(json_object_get(out, "status")));
		fputs(diff && *diff ? diff : "(no change in the rendered artifacts)\n", stdout);
	}
	json_decref(out);
	return rc;
}

int cli_releases_show(struct cli *c, const struct cli_args *a)
{
	char path[96];
	int rc = cli_id_path(c, cli_resolve_release, a->pos[0], "/admin/releases/%s", path,
	                     sizeof(path));
	return rc == CLI_OK ? cli_call_print(c, "GET", path, NULL) : rc;
}

int cli_releases_act(struct cli *c, const struct cli_args *a)
{
	char fmt[64], path[96];
	snprintf(fmt, sizeof(fmt), "/admin/releases/%%s/%s", a->cmd->verb);
	int rc = cli_id_path(c, cli_resolve_release, a->pos[0], fmt, path, sizeof(path));
	return rc == CLI_OK ? cli_call_print(c, "POST", path, NULL) : rc;
}

int cli_releases_rollback(struct cli *c, const struct cli_args *a)
{
	char path[96];
	int rc = cli_id_path(c, cli_resolve_release, a->pos[0], "/admin/releases/%s/rollback", path,
	                     sizeof(path));
	if (rc != CLI_OK)
		return rc;
	const char *target = cli_opt(a, "--target");
	return cli_call_print(
	        c, "POST", path,
	        target ? json_pack("{s:I}", "targetReleaseId", (json_int_t)atoll(target))
	               : json_object());
}

int cli_releases_watch(struct cli *c, const struct cli_args *a)
{
	char id[32];
	int rc = cli_resolve_release(c, a->pos[0], id);
	return rc == CLI_OK ? cli_watch_release(c, atoll(id), 500) : rc;
}
