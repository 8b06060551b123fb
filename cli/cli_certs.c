/* pagoda certs ...: certificates by id or NAME; issue and import from a
 * JSON file, renew, deploy to nodes. */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct cli_col cert_cols[] = {{"ID", "id", 0},
                                           {"NAME", "name", 0},
                                           {"STATUS", "status", 0},
                                           {"SOURCE", "source", 0},
                                           {"DAYS LEFT", "current.notAfter", CLI_COL_DAYS},
                                           {"NOT AFTER", "current.notAfter", 0},
                                           {"DOMAINS", "domains", 0},
                                           {0}};

int cli_certs_ls(struct cli *c, const struct cli_args *a)
{
	(void)a;
	return cli_get_list(c, "/admin/certificates", cert_cols);
}

int cli_certs_show(struct cli *c, const struct cli_args *a)
{
	char path[96];
	int rc = cli_id_path(c, cli_resolve_cert, a->pos[0], "/admin/certificates/%s", path,
	                     sizeof(path));
	return rc == CLI_OK ? cli_call_print(c, "GET", path, NULL) : rc;
}

int cli_certs_renew(struct cli *c, const struct cli_args *a)
{
	char path[96];
	int rc = cli_id_path(c, cli_resolve_cert, a->pos[0], "/admin/certificates/%s/renew", path,
	                     sizeof(path));
	return rc == CLI_OK ? cli_call_print(c, "POST", path, NULL) : rc;
}

int cli_certs_add(struct cli *c, const struct cli_args *a)
{
	const char *file = cli_need(a, "-f");
	json_t *body = file ? cli_read_json(file) : NULL;
	if (!body)
		return CLI_USAGE;
	return cli_call_print(c, "POST",
	                      strcmp(a->cmd->verb, "issue") == 0 ? "/admin/certificates/acme"
	                                                         : "/admin/certificates",
	                      body);
}

int cli_certs_deploy(struct cli *c, const struct cli_args *a)
{
	const char *list = cli_need(a, "--nodes");
	char path[96];
	if (!list)
		return CLI_USAGE;
	int rc = cli_id_path(c, cli_resolve_cert, a->pos[0], "/admin/certificates/%s/deploy", path,
	                     sizeof(path));
	if (rc != CLI_OK)
		return rc;
	json_t *ids = json_array();
	for (const char *p = list; *p;) {
		char word[256], id[32];
		size_t n = strcspn(p, ",");
		snprintf(word, sizeof(word), "%.*s", (int)(n < 255 ? n : 255), p);
		if ((rc = cli_resolve_node(c, word, id)) != CLI_OK) {
			json_decref(ids);
			return rc;
		}
		json_array_append_new(ids, json_integer(atoll(id)));
		p += n + (p[n] == ',');
	}
	return cli_call_print(c, "POST", path, json_pack("{s:o}", "nodeIds", ids));
}
