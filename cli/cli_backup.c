/* pagoda backup ...: encrypted backups of the control plane. */
#include "cli.h"
#include "common/pg_file.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cli_backup_ls(struct cli *c, const struct cli_args *a)
{
	static const struct cli_col cols[] = {{"NAME", "name", 0},
	                                      {"SIZE", "size", 0},
	                                      {"SCHEDULED", "scheduled", 0},
	                                      {"CREATED", "createdAt", 0},
	                                      {0}};
	(void)a;
	json_t *res = NULL;
	int rc = cli_call(c, "GET", "/admin/backups", NULL, &res);
	if (rc == CLI_OK && !c->json && !json_array_size(json_object_get(res, "items")))
		printf("no backups\n");
	else if (rc == CLI_OK)
		cli_print_list(c, json_object_get(res, "items"), cols);
	json_decref(res);
	return rc;
}

/* The passphrase from file, its line end cut, into body; -1 when unread. */
static int passphrase(const char *file, json_t *body)
{
	char *text = NULL;
	size_t n;
	struct pg_err err = {0};
	if (pg_file_read(file, 4096, &text, &n, &err) != 0) {
		fprintf(stderr, "pagoda: %s\n", err.message);
		return -1;
	}
	text[strcspn(text, "\r\n")] = '\0';
	json_object_set_new(body, "passphrase", json_string(text));
	explicit_bzero(text, n);
	free(text);
	return 0;
}

int cli_backup_create(struct cli *c, const struct cli_args *a)
{
	const char *pass_file = cli_opt(a, "--passphrase-file"), *out = cli_opt(a, "--out");
	json_t *body = json_object(), *res = NULL;
	if (pass_file && passphrase(pass_file, body) != 0) {
		json_decref(body);
		return CLI_USAGE;
	}
	int rc = cli_call(c, "POST", "/admin/backups", body, &res);
	json_decref(body);
	const char *made = json_string_value(json_object_get(res, "name"));
	if (rc == CLI_OK && out && made) {
		char path[512];
		snprintf(path, sizeof(path), "/admin/backups/%s", made);
		rc = cli_download(c, path, out);
		if (rc == CLI_OK)
			fprintf(stderr, "pagoda: %s saved as %s\n", made, out);
	}
	if (rc == CLI_OK)
		cli_print_object(c, res);
	json_decref(res);
	return rc;
}

int cli_backup_get(struct cli *c, const struct cli_args *a)
{
	const char *out = cli_need(a, "--out");
	char path[512];
	if (!out)
		return CLI_USAGE;
	snprintf(path, sizeof(path), "/admin/backups/%s", a->pos[0]);
	return cli_download(c, path, out);
}

int cli_backup_delete(struct cli *c, const struct cli_args *a)
{
	char path[512];
	json_t *res = NULL;
	snprintf(path, sizeof(path), "/admin/backups/%s", a->pos[0]);
	int rc = cli_call(c, "DELETE", path, NULL, &res);
	json_decref(res);
	return rc;
}
