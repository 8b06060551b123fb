/* pagoda backup: encrypted backups of the control plane. */
#include "cli.h"
#include "common/pg_file.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
        "pagoda backup create [--passphrase-file F] [--out FILE] | ls | get NAME --out FILE | "
        "delete NAME";

/* Flags of the form --name VALUE after the verb; positional words in pos. */
static int flags(int argc, char **argv, const char **pass_file, const char **out, const char **pos)
{
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--passphrase-file") == 0 && i + 1 < argc)
			*pass_file = argv[++i];
		else if (strcmp(argv[i], "--out") == 0 && i + 1 < argc)
			*out = argv[++i];
		else if (argv[i][0] != '-' && !*pos)
			*pos = argv[i];
		else {
			fprintf(stderr,
			        "pagoda: unknown or incomplete flag %s for 'backup'\nusage: %s\n",
			        argv[i], usage);
			return -1;
		}
	}
	return 0;
}

int cli_backup(struct cli *c, int argc, char **argv)
{
	const char *verb = argc ? argv[0] : "", *pass_file = NULL, *out = NULL, *name = NULL;
	if (flags(argc - 1, argv + 1, &pass_file, &out, &name) != 0)
		return CLI_USAGE;
	char path[512];
	json_t *res = NULL;
	int rc;
	if (strcmp(verb, "ls") == 0) {
		static const struct cli_col cols[] = {{"NAME", "name", 0},
		                                      {"SIZE", "size", 0},
		                                      {"SCHEDULED", "scheduled", 0},
		                                      {"CREATED", "createdAt", 0},
		                                      {0}};
		rc = cli_call(c, "GET", "/admin/backups", NULL, &res);
		if (rc == CLI_OK)
			cli_print_list(c, json_object_get(res, "items"), cols);
		json_decref(res);
		return rc;
	}
	if (strcmp(verb, "create") == 0) {
		json_t *body = json_object();
		if (pass_file) {
			char *text = NULL;
			size_t n;
			struct pg_err err = {0};
			if (pg_file_read(pass_file, 4096, &text, &n, &err) != 0) {
				fprintf(stderr, "pagoda: %s\n", err.message);
				json_decref(body);
				return CLI_USAGE;
			}
			text[strcspn(text, "\r\n")] = '\0';
			json_object_set_new(body, "passphrase", json_string(text));
			explicit_bzero(text, n);
			free(text);
		}
		rc = cli_call(c, "POST", "/admin/backups", body, &res);
		json_decref(body);
		const char *made = json_string_value(json_object_get(res, "name"));
		if (rc == CLI_OK && out && made) {
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
	if ((strcmp(verb, "get") == 0 && name && out) || (strcmp(verb, "delete") == 0 && name)) {
		snprintf(path, sizeof(path), "/admin/backups/%s", name);
		if (verb[0] == 'g')
			return cli_download(c, path, out);
		rc = cli_call(c, "DELETE", path, NULL, &res);
		json_decref(res);
		return rc;
	}
	fprintf(stderr, "usage: %s\n", usage);
	return CLI_USAGE;
}
