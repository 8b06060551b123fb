/* pagoda nodes join-command: one line that enrols a new machine. */
#include "cli.h"
#include "common/pg_crypto.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* GETs a text answer (the CA, the installer) into *text (owned by json). */
static int get_text(struct cli *c, const char *path, json_t **out, const char **text)
{
	int rc = cli_call(c, "GET", path, NULL, out);
	*text = rc == CLI_OK ? json_string_value(*out) : NULL;
	if (rc == CLI_OK && !*text) {
		fprintf(stderr, "pagoda: %s%s did not answer text\n", c->addr, path);
		rc = CLI_UNAVAIL;
	}
	return rc;
}

int cli_join_command(struct cli *c, json_t *body, const char *server)
{
	json_t *ca = NULL, *script = NULL, *tok = NULL;
	const char *pem = NULL, *sh = NULL;
	char fp[65] = "", digest[65];
	server = server ? server : c->addr;
	bool https = strncmp(server, "https://", 8) == 0;
	if (!https && strncmp(server, "http://127.", 11) != 0 &&
	    strncmp(server, "http://localhost", 16) != 0 &&
	    strncmp(server, "http://[::1]", 12) != 0) {
		fprintf(stderr,
		        "pagoda: --server %s: joining machines need https:// (plain http is for "
		        "loopback only)\n",
		        server);
		json_decref(body);
		return CLI_USAGE;
	}
	int rc = get_text(c, "/install/agent.sh", &script, &sh);
	if (rc == CLI_OK && https && (rc = get_text(c, "/ca.pem", &ca, &pem)) == CLI_OK &&
	    !pg_pem_fingerprint(pem, strlen(pem), fp)) {
		fprintf(stderr, "pagoda: %s/ca.pem is not a certificate\n", c->addr);
		rc = CLI_UNAVAIL;
	}
	if (rc == CLI_OK)
		rc = cli_call(c, "POST", "/admin/join-tokens", body, &tok);
	const char *token = json_string_value(json_object_get(tok, "token"));
	if (rc == CLI_OK && !token) {
		fprintf(stderr, "pagoda: POST /admin/join-tokens answered no token\n");
		rc = CLI_UNAVAIL;
	}
	if (rc == CLI_OK) {
		pg_sha256_hex(sh, strlen(sh), digest);
		const char *name = json_string_value(json_object_get(body, "name"));
		char line[2048];
		/* the installer is fetched without trust and run only if it is the
		 * one seen here; it then pins the CA itself */
		if (https)
			snprintf(line, sizeof(line),
			         "(f=$(mktemp) && curl -fsSko \"$f\" %s/install/agent.sh && echo "
			         "\"%s  $f\" | sha256sum -c "
			         "--quiet && sh \"$f\" --server %s --token %s --ca-fingerprint "
			         "sha256:%s --name %s; "
			         "r=$?; rm -f \"$f\"; exit $r)",
			         server, digest, server, token, fp, name);
		else
			snprintf(line, sizeof(line),
			         "curl -fsS %s/install/agent.sh | sh -s -- --server %s --token %s "
			         "--name %s --insecure-http",
			         server, server, token, name);
		if (c->json) {
			json_t *o = json_pack("{s:s, s:s, s:s, s:O}", "command", line, "token",
			                      token, "caFingerprint", fp, "expiresAt",
			                      json_object_get(tok, "expiresAt"));
			char *t = json_dumps(o, JSON_INDENT(2));
			puts(t);
			free(t);
			json_decref(o);
		} else {
			printf("# on the new machine, as root (the join token is single-use; "
			       "expires %s):\n%s\n",
			       json_string_value(json_object_get(tok, "expiresAt")), line);
		}
	}
	json_decref(body);
	json_decref(ca);
	json_decref(script);
	json_decref(tok);
	return rc;
}
