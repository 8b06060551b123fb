/* pagoda: the global flags (anywhere on the line), help and version, then
 * the line checked against the command table and run. */
#include "cli.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int read_token(struct cli *c, const char *file, bool quiet);

static int load_token(struct cli *c, const char *file)
{
	return read_token(c, file, false);
}

/* For completion: a token if one is at hand, without a word otherwise. */
static int load_token_quiet(struct cli *c, const char *file)
{
	return read_token(c, file, true);
}

static int read_token(struct cli *c, const char *file, bool quiet)
{
	const char *env = getenv("PAGODA_TOKEN");
	if (!file && env) {
		snprintf(c->token, sizeof(c->token), "%s", env);
		return 0;
	}
	if (!file)
		file = getenv("PAGODA_TOKEN_FILE");
	if (!file) {
		if (!quiet)
			fprintf(stderr,
			        "pagoda: give --token-file (or PAGODA_TOKEN_FILE, PAGODA_TOKEN)\n");
		return CLI_USAGE;
	}
	FILE *f = fopen(file, "r");
	if (!f || !fgets(c->token, sizeof(c->token), f)) {
		if (!quiet)
			fprintf(stderr, "pagoda: cannot read the token from %s\n", file);
		if (f)
			fclose(f);
		return CLI_USAGE;
	}
	fclose(f);
	c->token[strcspn(c->token, "\r\n \t")] = '\0';
	return 0;
}

/* A global flag with a value (anywhere on the line): its name's length
 * when argv[i] is one, 0 otherwise. */
static size_t global_flag(const char *a)
{
	static const char *const names[] = {"--addr", "--token-file", "--ca-file", "-o", NULL};
	for (int k = 0; names[k]; k++) {
		size_t n = strlen(names[k]);
		if (strncmp(a, names[k], n) == 0 && (a[n] == '\0' || a[n] == '='))
			return n;
	}
	return 0;
}

/* pagoda __complete WORDS...: the shell asks for the last word's
 * candidates; the words' own --addr, --token-file and --ca-file are used
 * to ask pagodad for names, and no error is ever printed. */
static int complete(struct cli *c, int argc, char **argv)
{
	const char *token_file = NULL;
	for (int i = 0; i + 2 < argc; i++) { /* not the word being completed */
		if (strcmp(argv[i], "--addr") == 0)
			c->addr = argv[i + 1];
		else if (strcmp(argv[i], "--token-file") == 0)
			token_file = argv[i + 1];
		else if (strcmp(argv[i], "--ca-file") == 0)
			c->ca_file = argv[i + 1];
	}
	if (!c->addr)
		c->addr = "http://127.0.0.1:8080";
	bool can_call = load_token_quiet(c, token_file) == 0;
	if (can_call)
		curl_global_init(CURL_GLOBAL_DEFAULT);
	freopen("/dev/null", "w", stderr);
	int rc = cli_complete(c, argc, argv, can_call);
	if (c->curl)
		curl_easy_cleanup(c->curl);
	explicit_bzero(c->token, sizeof(c->token));
	return rc;
}

int main(int argc, char **argv)
{
	struct cli c = {.addr = getenv("PAGODA_ADDR"), .ca_file = getenv("PAGODA_CA_FILE")};
	const char *token_file = NULL, *output = NULL;
	if (argc > 1 && strcmp(argv[1], "__complete") == 0)
		return complete(&c, argc - 2, argv + 2);
	char **rest = calloc((size_t)argc + 1, sizeof(*rest));
	int nrest = 0;
	bool help = false;
	if (!rest)
		return CLI_UNAVAIL;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		size_t n = global_flag(a);
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0 ||
		    (strcmp(a, "help") == 0 && nrest <= 2)) {
			help = true;
		} else if (strcmp(a, "--version") == 0 && nrest == 0) {
			printf("pagoda %s\n", PAGODA_VERSION);
			free(rest);
			return CLI_OK;
		} else if (n) {
			const char *v = a[n] == '=' ? a + n + 1 : i + 1 < argc ? argv[++i] : NULL;
			if (!v) {
				fprintf(stderr, "pagoda: %s needs a value\n", a);
				free(rest);
				return CLI_USAGE;
			}
			if (a[1] == 'o')
				output = v;
			else if (a[2] == 'a')
				c.addr = v;
			else if (a[2] == 't')
				token_file = v;
			else
				c.ca_file = v;
		} else {
			rest[nrest++] = argv[i];
		}
	}
	if (output && strcmp(output, "json") != 0 && strcmp(output, "table") != 0) {
		fprintf(stderr, "pagoda: -o takes table or json, not %s\n", output);
		free(rest);
		return CLI_USAGE;
	}
	c.json = output && strcmp(output, "json") == 0;
	if (!c.addr)
		c.addr = "http://127.0.0.1:8080";
	struct cli_args line;
	int rc = nrest ? CLI_OK : CLI_USAGE;
	/* help needs no token, and neither does a line that is wrong */
	if (help || !nrest) {
		const struct cli_command *one = NULL;
		for (const struct cli_command *k = cli_commands; nrest && k->noun; k++)
			if (strcmp(k->noun, rest[0]) == 0 &&
			    (!k->verb || (nrest > 1 && strcmp(k->verb, rest[1]) == 0)))
				one = k;
		if (one)
			cli_help_command(one, stdout);
		else
			cli_help(nrest ? rest[0] : NULL, help ? stdout : stderr);
		free(rest);
		return help ? CLI_OK : rc;
	}
	rc = cli_check(nrest, rest, &line);
	bool offline = rc == CLI_OK && line.cmd->run == cli_completion; /* needs no pagodad */
	if (rc == CLI_OK && !offline)
		rc = load_token(&c, token_file);
	if (rc == CLI_OK && offline) {
		rc = line.cmd->run(&c, &line);
	} else if (rc == CLI_OK) {
		curl_global_init(CURL_GLOBAL_DEFAULT);
		rc = line.cmd->run(&c, &line);
		if (c.curl)
			curl_easy_cleanup(c.curl);
		curl_global_cleanup();
	}
	explicit_bzero(c.token, sizeof(c.token));
	free(rest);
	return rc;
}
