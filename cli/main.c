/* pagoda: flags, help, and the command dispatch. */
#include "cli.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
	const char *noun, *text;
} help[] = {
        {"nodes",
         "  nodes ls [--selector 'env=prod,!canary'] [--status online|offline|cordoned]\n"
         "  nodes show ID                     facts, capabilities, status and drift\n"
         "  nodes cordon ID | uncordon ID\n"
         "  nodes rotate-token ID [--grace SEC]\n"
         "  nodes run ID TYPE 'PAYLOAD-JSON' [--timeout SEC]\n"
         "  nodes join-token NAME [--ttl SEC] [--label k=v]...\n"
         "  nodes join-command NAME [--labels k=v,...] [--ttl SEC] [--server URL]\n"
         "                                    the line that installs the agent on a new\n"
         "                                    machine and enrols it as NAME\n"
         "  nodes upgrade --to VERSION [--selector S] [--deadline SEC] [--batch-size N]\n"
         "                                    roll a new agent out in batches and follow it;\n"
         "                                    exits 4 when a node failed (it is rolled back)\n"
         "  nodes upgrades [ID]\n"},
        {"apps",
         "  apply -f app.json                  create or update an application by name;\n"
         "                                     applying the same file again changes nothing\n"
         "  apps ls | show ID | delete ID [--force true]\n"
         "  apps restart ID [--note TEXT]      restart every node's unit in batches,\n"
         "                                     health-gated, and follow it like a release\n"
         "  apps status ID [--runs N]          the unit on each node as systemd sees it;\n"
         "                                     --runs: a scheduled job's last N runs\n"
         "  apps run ID                        run a scheduled job now on its nodes\n"
         "  logs ID [--node ID] [--lines N] [--since T] [-f]\n"
         "                                     the unit's journal (a proxy's nginx\n"
         "                                     logs) on each node, tagged; --since 10m,\n"
         "                                     2h, 1d or 'YYYY-MM-DD HH:MM'; -f follows it\n"},
        {"releases",
         "  releases ls APP-ID\n"
         "  releases create APP-ID [--note TEXT]   shows the diff it would roll out\n"
         "  releases show ID | execute ID | pause ID | resume ID | cancel ID | approve ID\n"
         "  releases rollback ID [--target RELEASE-ID]\n"
         "  releases watch ID                  live progress per batch and node; exits 0\n"
         "                                     when it succeeded, 4 when it did not\n"},
        {"configs", "  configs ls | show ID | versions ID\n"
                    "  configs edit ID -f FILE [--message TEXT]\n"
                    "  configs diff ID FROM TO\n"
                    "  configs publish ID [--version V] [--note TEXT] | rollback ID\n"},
        {"certs", "  certs ls                           with days left\n"
                  "  certs show ID | renew ID\n"
                  "  certs issue -f request.json | import -f cert.json\n"
                  "  certs deploy ID --nodes 1,2,3\n"},
        {"registry", "  registry services | endpoints SERVICE\n"},
        {"policies", "  policies ls | reload\n"},
        {"alerts", "  alerts ls [--status firing|acknowledged|resolved] | ack ID\n"},
        {"tasks", "  tasks ls [--node ID] [--status S] | show ID | cancel ID\n"},
        {"backup",
         "  backup create [--passphrase-file F] [--out FILE]   an encrypted backup of the\n"
         "                                     store, master.key and the private CA\n"
         "  backup ls | get NAME --out FILE | delete NAME\n"},
        {"audit", "  audit [--action 'release.*'] [--actor A] [--target-type T] [--target-id ID]\n"
                  "        [--since RFC3339] [--until RFC3339] [--trace ID] [--limit N]\n"},
};

void cli_help(const char *noun, void *fp)
{
	FILE *f = fp;
	bool known = false;
	for (size_t i = 0; noun && i < sizeof(help) / sizeof(help[0]); i++)
		if (strcmp(help[i].noun, noun) == 0 ||
		    (strcmp(noun, "apply") == 0 && strcmp(help[i].noun, "apps") == 0)) {
			fprintf(f, "usage: pagoda [global flags] %s ...\n%s", noun, help[i].text);
			known = true;
		}
	if (known)
		return;
	fprintf(f, "usage: pagoda [--addr URL] [--token-file F] [--ca-file F] [-o table|json] "
	           "COMMAND ...\n"
	           "  --addr URL        pagodad (env PAGODA_ADDR; default http://127.0.0.1:8080)\n"
	           "  --token-file F    admin token file (env PAGODA_TOKEN_FILE, or the token "
	           "itself in\n"
	           "                    PAGODA_TOKEN)\n"
	           "  --ca-file F       CA that signs pagodad's certificate (env PAGODA_CA_FILE)\n"
	           "  -o json           JSON for scripts instead of tables\n"
	           "exit codes: 0 done, 1 refused by the API (4xx), 2 bad command line,\n"
	           "            3 pagodad unreachable or failing (5xx), 4 a watched release did "
	           "not succeed\n"
	           "commands (pagoda COMMAND --help for one):\n");
	for (size_t i = 0; i < sizeof(help) / sizeof(help[0]); i++)
		fputs(help[i].text, f);
}

int cli_usage(const char *noun)
{
	cli_help(noun, stderr);
	return CLI_USAGE;
}

static int load_token(struct cli *c, const char *file)
{
	const char *env = getenv("PAGODA_TOKEN");
	if (!file && env) {
		snprintf(c->token, sizeof(c->token), "%s", env);
		return 0;
	}
	if (!file)
		file = getenv("PAGODA_TOKEN_FILE");
	if (!file) {
		fprintf(stderr, "pagoda: give --token-file (or PAGODA_TOKEN_FILE, PAGODA_TOKEN)\n");
		return CLI_USAGE;
	}
	FILE *f = fopen(file, "r");
	if (!f || !fgets(c->token, sizeof(c->token), f)) {
		fprintf(stderr, "pagoda: cannot read the token from %s\n", file);
		if (f)
			fclose(f);
		return CLI_USAGE;
	}
	fclose(f);
	c->token[strcspn(c->token, "\r\n \t")] = '\0';
	return 0;
}

int main(int argc, char **argv)
{
	struct cli c = {.addr = getenv("PAGODA_ADDR"), .ca_file = getenv("PAGODA_CA_FILE")};
	const char *token_file = NULL;
	int i = 1;
	while (i < argc && argv[i][0] == '-') {
		const char *f = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(f, "--help") == 0 || strcmp(f, "-h") == 0) {
			cli_help(NULL, stdout);
			return CLI_OK;
		}
		if (!v) {
			fprintf(stderr, "pagoda: %s needs a value\n", f);
			return CLI_USAGE;
		}
		if (strcmp(f, "--addr") == 0)
			c.addr = v;
		else if (strcmp(f, "--token-file") == 0)
			token_file = v;
		else if (strcmp(f, "--ca-file") == 0)
			c.ca_file = v;
		else if (strcmp(f, "-o") == 0 &&
		         (strcmp(v, "json") == 0 || strcmp(v, "table") == 0))
			c.json = strcmp(v, "json") == 0;
		else
			return cli_usage(NULL);
		i += 2; /* the flag and its value */
	}
	if (i >= argc)
		return cli_usage(NULL);
	if (!c.addr)
		c.addr = "http://127.0.0.1:8080";
	/* help needs no token */
	if (i + 1 < argc &&
	    (strcmp(argv[i + 1], "--help") == 0 || strcmp(argv[i + 1], "help") == 0)) {
		cli_help(argv[i], stdout);
		return CLI_OK;
	}
	int rc = load_token(&c, token_file);
	if (rc != 0)
		return rc;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	rc = cli_run(&c, argc - i, argv + i);
	if (c.curl)
		curl_easy_cleanup(c.curl);
	explicit_bzero(c.token, sizeof(c.token));
	curl_global_cleanup();
	return rc;
}
