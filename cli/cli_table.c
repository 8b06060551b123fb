/* The CLI's commands as one table: each command's words, arguments and
 * flags. The help is printed from it and every command line is checked
 * against it before anything is sent, so help and behaviour cannot drift:
 * an unknown command or flag is refused (with the nearest one suggested),
 * flags go anywhere, and a checked line reaches the handlers in one shape
 * ("--flag value", a switch as "--flag true"). */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define F_SELECTOR                                                                                 \
	{                                                                                          \
		"--selector", "S", "label selector, e.g. 'env=prod,!canary'"                       \
	}
#define F_NOTE                                                                                     \
	{                                                                                          \
		"--note", "TEXT", "why, kept with the release"                                     \
	}
#define END                                                                                        \
	{                                                                                          \
		0                                                                                  \
	}

static const struct cli_flag f_none[] = {END};
static const struct cli_flag f_nodes_ls[] = {
        F_SELECTOR, {"--status", "S", "online, offline or cordoned"}, END};
static const struct cli_flag f_grace[] = {
        {"--grace", "SEC", "the old token keeps working this long"}, END};
static const struct cli_flag f_timeout[] = {{"--timeout", "SEC", "the task's timeout"}, END};
static const struct cli_flag f_join_token[] = {
        {"--ttl", "SEC", "how long the token can be used"},
        {"--label", "K=V", "a label of the node (repeatable)"},
        {"--labels", "K=V,...", "labels of the node"},
        END};
static const struct cli_flag f_join_command[] = {
        {"--ttl", "SEC", "how long the token can be used"},
        {"--label", "K=V", "a label of the node (repeatable)"},
        {"--labels", "K=V,...", "labels of the node"},
        {"--server", "URL", "pagodad as the new machine reaches it"},
        END};
static const struct cli_flag f_upgrade[] = {
        {"--to", "VERSION", "the agent version to roll out (required)"},
        F_SELECTOR,
        {"--deadline", "SEC", "a node that has not upgraded by then fails"},
        {"--batch-size", "N", "nodes per batch"},
        {"--wait", "true|false", "follow it until it ends (default true)"},
        END};
static const struct cli_flag f_file[] = {{"-f", "FILE", "the JSON file"}, END};
static const struct cli_flag f_apply[] = {
        {"-f", "FILE", "the application as JSON (namespace and name say which)"},
        {"--dry-run", NULL, "say what would change, change nothing (as pagoda plan)"},
        END};
static const struct cli_flag f_force[] = {
        {"--force", NULL, "delete also what its releases installed on the nodes"}, END};
static const struct cli_flag f_note[] = {F_NOTE, END};
static const struct cli_flag f_runs[] = {{"--runs", "N", "a scheduled job's last N runs too"}, END};
static const struct cli_flag f_logs[] = {
        {"--node", "NODE", "one node instead of all (id or name)"},
        {"--lines", "N", "the last N lines of each (1-1000, default 100)"},
        {"--since", "T", "10m, 2h, 1d, 'YYYY-MM-DD HH:MM[:SS]' or Unix seconds"},
        {"-f", NULL, "follow: print new lines as they come"},
        {"--follow", NULL, "the same as -f"},
        END};
static const struct cli_flag f_rollback[] = {
        {"--target", "RELEASE-ID", "the release to go back to (default: the one before)"}, END};
static const struct cli_flag f_config_edit[] = {{"-f", "FILE", "the new content (- for stdin)"},
                                                {"--message", "TEXT", "what changed"},
                                                END};
static const struct cli_flag f_publish[] = {
        {"--version", "V", "the version to publish (default: the latest)"}, F_NOTE, END};
static const struct cli_flag f_deploy[] = {
        {"--nodes", "NODE,...", "the nodes to deploy it to, ids or names (required)"}, END};
static const struct cli_flag f_alerts[] = {{"--status", "S", "firing, acknowledged or resolved"},
                                           END};
static const struct cli_flag f_tasks[] = {{"--node", "NODE", "one node's (id or name)"},
                                          {"--status", "S", "pending, running, ..."},
                                          END};
static const struct cli_flag f_backup_create[] = {
        {"--passphrase-file", "F", "encrypt with this passphrase (default: master.key)"},
        {"--out", "FILE", "also download it to FILE"},
        END};
static const struct cli_flag f_backup_get[] = {{"--out", "FILE", "where to write it"}, END};
static const struct cli_flag f_audit[] = {{"--action", "A", "e.g. 'release.*'"},
                                          {"--actor", "A", "e.g. token:1:bootstrap"},
                                          {"--target-type", "T", "node, app, release, ..."},
                                          {"--target-id", "ID", "with --target-type"},
                                          {"--since", "RFC3339", "from"},
                                          {"--until", "RFC3339", "to"},
                                          {"--trace", "ID", "one request's trace id"},
                                          {"--limit", "N", "at most N events"},
                                          END};

const struct cli_command cli_commands[] = {
        {"nodes", "ls", "", 0, 0, "the nodes, filtered", f_nodes_ls, cli_nodes_ls},
        {"nodes", "show", "NODE", 1, 1, "facts, capabilities, status and drift (NODE: id or name)",
         f_none, cli_nodes_show},
        {"nodes", "cordon", "NODE", 1, 1, "no new releases on it", f_none, cli_nodes_cordon},
        {"nodes", "uncordon", "NODE", 1, 1, "releases again", f_none, cli_nodes_cordon},
        {"nodes", "rotate-token", "NODE", 1, 1, "a new agent token", f_grace,
         cli_nodes_rotate_token},
        {"nodes", "run", "NODE TYPE 'PAYLOAD-JSON'", 3, 3, "queue one task", f_timeout,
         cli_nodes_run},
        {"nodes", "join-token", "NAME", 1, 1, "a one-use token a new machine joins with",
         f_join_token, cli_nodes_join},
        {"nodes", "join-command", "NAME", 1, 1,
         "the line that installs the agent on a new machine and enrols it as NAME", f_join_command,
         cli_nodes_join},
        {"nodes", "upgrade", "", 0, 0,
         "roll a new agent out in batches and follow it; exits 4 when a node failed (it is "
         "rolled back)",
         f_upgrade, cli_nodes_upgrade},
        {"nodes", "upgrades", "[ID]", 0, 1, "agent upgrades, or one", f_none, cli_nodes_upgrades},
        {"apply", NULL, "", 0, 0,
         "create or update an application by namespace and name; the same file again "
         "changes nothing",
         f_apply, cli_apply_cmd},
        {"plan", NULL, "", 0, 0, "what apply -f would change, path by path, changing nothing",
         f_file, cli_apply_cmd},
        {"apps", "ls", "", 0, 0, "the applications", f_none, cli_apps_ls},
        {"apps", "show", "APP", 1, 1, "one application (APP: id, NAME or NAMESPACE/NAME)", f_none,
         cli_apps_show},
        {"apps", "deploy", "APP", 1, 1,
         "create a release, execute it and watch it to the end (exits 4 when it fails)", f_note,
         cli_apps_deploy},
        {"apps", "apply", "", 0, 0, "the same as 'pagoda apply'", f_apply, cli_apply_cmd},
        {"apps", "create", "", 0, 0, "the same as 'pagoda apply'", f_apply, cli_apply_cmd},
        {"apps", "delete", "APP", 1, 1, "delete an application", f_force, cli_apps_delete},
        {"apps", "restart", "APP", 1, 1,
         "restart every node's unit in batches, health-gated, followed like a release", f_note,
         cli_apps_restart},
        {"apps", "status", "APP", 1, 1, "the unit on each node as systemd sees it", f_runs,
         cli_apps_status},
        {"apps", "run", "APP", 1, 1, "run a scheduled job now on its nodes", f_none, cli_apps_run},
        {"deploy", NULL, "APP", 1, 1, "the same as 'pagoda apps deploy APP'", f_note,
         cli_apps_deploy},
        {"logs", NULL, "APP", 1, 1,
         "the unit's journal (a proxy's nginx logs) on each node, tagged with the node", f_logs,
         cli_logs_cmd},
        {"releases", "ls", "APP", 1, 1, "an application's releases", f_none, cli_releases_ls},
        {"releases", "create", "APP", 1, 1, "a release, showing the diff it would roll out", f_note,
         cli_releases_create},
        {"releases", "show", "RELEASE", 1, 1,
         "batches, nodes and their tasks (RELEASE: id or APP@vN)", f_none, cli_releases_show},
        {"releases", "execute", "RELEASE", 1, 1, "start rolling it out", f_none, cli_releases_act},
        {"releases", "pause", "RELEASE", 1, 1, "stop after the running batch", f_none,
         cli_releases_act},
        {"releases", "resume", "RELEASE", 1, 1, "go on", f_none, cli_releases_act},
        {"releases", "cancel", "RELEASE", 1, 1, "stop it", f_none, cli_releases_act},
        {"releases", "approve", "RELEASE", 1, 1, "approve it (when the application asks for it)",
         f_none, cli_releases_act},
        {"releases", "rollback", "RELEASE", 1, 1, "go back to the release before it", f_rollback,
         cli_releases_rollback},
        {"releases", "watch", "RELEASE", 1, 1,
         "live progress per batch and node; exits 0 when it succeeded, 4 when it did not", f_none,
         cli_releases_watch},
        {"configs", "ls", "", 0, 0, "the configuration items", f_none, cli_configs_ls},
        {"configs", "show", "ID|NAME", 1, 1, "one item and its content", f_none, cli_configs_show},
        {"configs", "versions", "ID|NAME", 1, 1, "its versions", f_none, cli_configs_versions},
        {"configs", "edit", "ID|NAME", 1, 1, "a new version from a file", f_config_edit,
         cli_configs_edit},
        {"configs", "diff", "ID|NAME FROM TO", 3, 3, "two versions side by side", f_none,
         cli_configs_diff},
        {"configs", "publish", "ID|NAME", 1, 1, "publish a version", f_publish,
         cli_configs_publish},
        {"configs", "rollback", "ID|NAME", 1, 1, "publish an earlier version again", f_publish,
         cli_configs_publish},
        {"certs", "ls", "", 0, 0, "certificates with days left", f_none, cli_certs_ls},
        {"certs", "show", "ID|NAME", 1, 1, "one certificate", f_none, cli_certs_show},
        {"certs", "renew", "ID|NAME", 1, 1, "renew it now", f_none, cli_certs_renew},
        {"certs", "issue", "", 0, 0, "request a certificate from an ACME CA", f_file,
         cli_certs_add},
        {"certs", "import", "", 0, 0, "import a certificate and its key", f_file, cli_certs_add},
        {"certs", "deploy", "ID|NAME", 1, 1, "deploy it to nodes", f_deploy, cli_certs_deploy},
        {"registry", "services", "", 0, 0, "the services", f_none, cli_registry_services},
        {"registry", "endpoints", "SERVICE", 1, 1, "a service's endpoints", f_none,
         cli_registry_endpoints},
        {"policies", "ls", "", 0, 0, "Lua policies, templates and plugins, and their errors",
         f_none, cli_policies},
        {"policies", "reload", "", 0, 0, "load them again", f_none, cli_policies},
        {"alerts", "ls", "", 0, 0, "alerts", f_alerts, cli_alerts_ls},
        {"alerts", "ack", "ID", 1, 1, "acknowledge one", f_none, cli_alerts_ack},
        {"alerts", "channels", "", 0, 0, "the named notify channels", f_none, cli_alerts_channels},
        {"alerts", "test", "RULE|CHANNEL", 1, 1,
         "send a test message through a named channel, or each notify channel of RULE, and say "
         "what each answered",
         f_none, cli_alerts_test},
        {"tasks", "ls", "", 0, 0, "tasks, newest first", f_tasks, cli_tasks_ls},
        {"tasks", "show", "ID", 1, 1, "one task and its output", f_none, cli_tasks_one},
        {"tasks", "cancel", "ID", 1, 1, "cancel it", f_none, cli_tasks_one},
        {"backup", "create", "", 0, 0,
         "an encrypted backup of the store, master.key and the private CA", f_backup_create,
         cli_backup_create},
        {"backup", "ls", "", 0, 0, "the backups", f_none, cli_backup_ls},
        {"backup", "get", "NAME", 1, 1, "download one", f_backup_get, cli_backup_get},
        {"backup", "delete", "NAME", 1, 1, "delete one", f_none, cli_backup_delete},
        {"audit", NULL, "", 0, 0, "the audit log, newest first", f_audit, cli_audit},
        {"completion", NULL, "bash|zsh", 1, 1,
         "a completion script: eval \"$(pagoda completion bash)\" (names come from pagodad)",
         f_none, cli_completion},
        {0},
};

/* Levenshtein distance, capped: only small ones matter. */
static size_t distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la > 40 || lb > 40)
		return 99;
	size_t d[41][41];
	for (size_t i = 0; i <= la; i++)
		d[i][0] = i;
	for (size_t j = 0; j <= lb; j++)
		d[0][j] = j;
	for (size_t i = 1; i <= la; i++)
		for (size_t j = 1; j <= lb; j++) {
			size_t sub = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
			size_t del = d[i - 1][j] + 1, ins = d[i][j - 1] + 1;
			d[i][j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
		}
	return d[la][lb];
}

/* The nearest of words to w, or NULL when none is close. */
static const char *nearest(const char *w, const char *const *words, size_t n)
{
	const char *best = NULL;
	size_t bd = 3;
	for (size_t i = 0; i < n; i++) {
		size_t d = distance(w, words[i]);
		if (d < bd || (strncmp(w, words[i], strlen(w)) == 0 && strlen(w) >= 2 && d < 5)) {
			bd = d;
			best = words[i];
		}
	}
	return best;
}

static bool noun_known(const char *noun)
{
	for (const struct cli_command *c = cli_commands; c->noun; c++)
		if (strcmp(c->noun, noun) == 0)
			return true;
	return false;
}

static const struct cli_command *find(const char *noun, const char *verb)
{
	for (const struct cli_command *c = cli_commands; c->noun; c++)
		if (strcmp(c->noun, noun) == 0 &&
		    (!c->verb || (verb && strcmp(c->verb, verb) == 0)))
			return c;
	return NULL;
}

static void print_usage_line(const struct cli_command *c, FILE *f)
{
	fprintf(f, "pagoda %s%s%s%s%s", c->noun, c->verb ? " " : "", c->verb ? c->verb : "",
	        *c->args ? " " : "", c->args);
	for (const struct cli_flag *fl = c->flags; fl->name; fl++)
		fprintf(f, " [%s%s%s]", fl->name, fl->arg ? " " : "", fl->arg ? fl->arg : "");
}

void cli_help_command(const struct cli_command *c, FILE *f)
{
	fprintf(f, "usage: ");
	print_usage_line(c, f);
	fprintf(f, "\n  %s\n", c->summary);
	if (c->flags->name)
		fprintf(f, "flags:\n");
	for (const struct cli_flag *fl = c->flags; fl->name; fl++) {
		char left[64];
		snprintf(left, sizeof(left), "%s%s%s", fl->name, fl->arg ? " " : "",
		         fl->arg ? fl->arg : "");
		fprintf(f, "  %-22s %s\n", left, fl->help);
	}
	fprintf(f, "global flags (anywhere): --addr URL, --token-file F, --ca-file F, -o "
	           "table|json\n");
}

void cli_help(const char *noun, void *fp)
{
	FILE *f = fp;
	if (noun && noun_known(noun)) {
		fprintf(f, "%s commands:\n", noun);
		for (const struct cli_command *c = cli_commands; c->noun; c++)
			if (strcmp(c->noun, noun) == 0) {
				fprintf(f, "  ");
				print_usage_line(c, f);
				fprintf(f, "\n      %s\n", c->summary);
			}
		fprintf(f, "pagoda %s COMMAND --help for one\n", noun);
		return;
	}
	fprintf(f,
	        "usage: pagoda [--addr URL] [--token-file F] [--ca-file F] [-o table|json] "
	        "COMMAND ...\n"
	        "  --addr URL        pagodad (env PAGODA_ADDR; default http://127.0.0.1:8080)\n"
	        "  --token-file F    admin token file (env PAGODA_TOKEN_FILE, or the token itself "
	        "in\n"
	        "                    PAGODA_TOKEN)\n"
	        "  --ca-file F       CA that signs pagodad's certificate (env PAGODA_CA_FILE;\n"
	        "                    DATA-DIR/tls/ca.crt on the control plane)\n"
	        "  -o json           JSON for scripts instead of tables\n"
	        "  --version         the CLI's version\n"
	        "global flags go anywhere on the line.\n"
	        "exit codes: 0 done, 1 refused by the API (4xx), 2 bad command line,\n"
	        "            3 pagodad unreachable or failing (5xx), 4 a watched release did not "
	        "succeed\n"
	        "commands (pagoda COMMAND --help for one):\n");
	const char *last = NULL;
	for (const struct cli_command *c = cli_commands; c->noun; c++) {
		if (!last || strcmp(last, c->noun) != 0)
			fprintf(f, "  %-9s", c->noun);
		else
			fprintf(f, ",");
		if (c->verb) {
			fprintf(f, " %s", c->verb);
		} else { /* a noun alone: its whole line */
			fprintf(f, " ");
			print_usage_line(c, f);
		}
		if (!c[1].noun || strcmp(c[1].noun, c->noun) != 0)
			fprintf(f, "\n");
		last = c->noun;
	}
}

static int unknown_command(const char *noun, const char *verb)
{
	const char *words[128];
	size_t n = 0;
	if (!noun_known(noun)) {
		for (const struct cli_command *c = cli_commands; c->noun && n < 128; c++)
			if (!n || strcmp(words[n - 1], c->noun) != 0)
				words[n++] = c->noun;
		const char *near = nearest(noun, words, n);
		fprintf(stderr, "pagoda: unknown command '%s'", noun);
		if (near)
			fprintf(stderr, " (did you mean '%s'?)", near);
		fprintf(stderr, "\nrun 'pagoda --help' for the commands\n");
		return CLI_USAGE;
	}
	for (const struct cli_command *c = cli_commands; c->noun && n < 128; c++)
		if (strcmp(c->noun, noun) == 0 && c->verb)
			words[n++] = c->verb;
	if (!verb) {
		fprintf(stderr, "pagoda: '%s' needs a command:", noun);
		for (size_t i = 0; i < n; i++)
			fprintf(stderr, " %s", words[i]);
		fprintf(stderr, "\n");
		return CLI_USAGE;
	}
	const char *near = nearest(verb, words, n);
	fprintf(stderr, "pagoda: unknown command '%s %s'", noun, verb);
	if (near)
		fprintf(stderr, " (did you mean '%s %s'?)", noun, near);
	fprintf(stderr, "\nrun 'pagoda %s --help' for its commands\n", noun);
	return CLI_USAGE;
}

static const struct cli_flag *flag_of(const struct cli_command *c, const char *name, size_t len)
{
	for (const struct cli_flag *f = c->flags; f->name; f++)
		if (strlen(f->name) == len && strncmp(f->name, name, len) == 0)
			return f;
	return NULL;
}

static int unknown_flag(const struct cli_command *c, const char *flag)
{
	const char *words[32];
	size_t n = 0;
	for (const struct cli_flag *f = c->flags; f->name && n < 32; f++)
		words[n++] = f->name;
	const char *near = nearest(flag, words, n);
	fprintf(stderr, "pagoda: unknown flag %s for '%s%s%s'", flag, c->noun, c->verb ? " " : "",
	        c->verb ? c->verb : "");
	if (near)
		fprintf(stderr, " (did you mean %s?)", near);
	fprintf(stderr, "\nusage: ");
	print_usage_line(c, stderr);
	fprintf(stderr, "\n");
	return CLI_USAGE;
}

int cli_check(int argc, char **argv, struct cli_args *a)
{
	const char *noun = argv[0];
	const char *verb = argc > 1 && argv[1][0] != '-' ? argv[1] : NULL;
	const struct cli_command *c = find(noun, verb);
	if (!c)
		return unknown_command(noun, verb);
	memset(a, 0, sizeof(*a));
	a->cmd = c;
	for (int i = c->verb ? 2 : 1; i < argc; i++) {
		const char *w = argv[i];
		if (w[0] != '-' || !w[1] || (w[1] >= '0' && w[1] <= '9')) {
			if (a->npos < CLI_MAX_POS)
				a->pos[a->npos] = w;
			a->npos++;
			continue;
		}
		const char *eq = strchr(w, '=');
		size_t len = eq ? (size_t)(eq - w) : strlen(w);
		const struct cli_flag *f = flag_of(c, w, len);
		if (!f) {
			char name[64];
			snprintf(name, sizeof(name), "%.*s", (int)(len < 63 ? len : 63), w);
			return unknown_flag(c, name);
		}
		const char *v;
		if (!f->arg) { /* a switch; "--force true" as before is taken too */
			bool given = eq || (i + 1 < argc && (!strcmp(argv[i + 1], "true") ||
			                                     !strcmp(argv[i + 1], "false")));
			v = eq ? eq + 1 : given ? argv[++i] : "true";
		} else if (eq) {
			v = eq + 1;
		} else if (i + 1 < argc) {
			v = argv[++i];
		} else {
			fprintf(stderr, "pagoda: %s needs a value (%s)\nusage: ", f->name, f->help);
			print_usage_line(c, stderr);
			fprintf(stderr, "\n");
			return CLI_USAGE;
		}
		if (a->nopt == CLI_MAX_OPT) {
			fprintf(stderr, "pagoda: more than %d flags\n", CLI_MAX_OPT);
			return CLI_USAGE;
		}
		a->key[a->nopt] = f->name;
		a->val[a->nopt++] = v;
	}
	if (a->npos < c->min_pos || a->npos > c->max_pos) {
		fprintf(stderr, "pagoda: '%s%s%s' takes %s%s\nusage: ", c->noun, c->verb ? " " : "",
		        c->verb ? c->verb : "", *c->args ? c->args : "no arguments",
		        a->npos > c->max_pos ? " (too many words)" : "");
		print_usage_line(c, stderr);
		fprintf(stderr, "\n");
		return CLI_USAGE;
	}
	return CLI_OK;
}

const char *cli_opt(const struct cli_args *a, const char *key)
{
	for (int i = a->nopt - 1; i >= 0; i--)
		if (strcmp(a->key[i], key) == 0)
			return a->val[i];
	return NULL;
}

bool cli_switch(const struct cli_args *a, const char *key)
{
	const char *v = cli_opt(a, key);
	return v && strcmp(v, "true") == 0;
}

const char *cli_need(const struct cli_args *a, const char *key)
{
	const char *v = cli_opt(a, key);
	if (v)
		return v;
	const struct cli_command *c = a->cmd;
	fprintf(stderr, "pagoda: '%s%s%s' needs %s\nusage: ", c->noun, c->verb ? " " : "",
	        c->verb ? c->verb : "", key);
	print_usage_line(c, stderr);
	fprintf(stderr, "\n");
	return NULL;
}

/* ---- shell completion ---- */

static void print_if(const char *word, const char *prefix)
{
	if (strncmp(word, prefix, strlen(prefix)) == 0)
		printf("%s\n", word);
}

int cli_complete(struct cli *c, int argc, char **argv, bool can_call)
{
	/* argv: the words after "pagoda", the last one being completed */
	const char *cur = argc ? argv[argc - 1] : "";
	static const char *const globals[] = {"--addr", "--token-file", "--ca-file", "-o",
	                                      "--help", "--version",    NULL};
	char *words[64];
	int n = 0;
	for (int i = 0; i < argc - 1 && n < 64; i++) { /* global flags and their values out */
		size_t g = 0;
		for (int k = 0; globals[k] && k < 4; k++)
			if (strcmp(argv[i], globals[k]) == 0)
				g = 1;
		if (g) {
			i++;
			continue;
		}
		words[n++] = argv[i];
	}
	const char *prev = argc > 1 ? argv[argc - 2] : "";
	if (strcmp(prev, "-o") == 0) {
		print_if("table", cur);
		print_if("json", cur);
		return CLI_OK;
	}
	if (n == 0) {
		for (const struct cli_command *k = cli_commands; k->noun; k++)
			if (k == cli_commands || strcmp(k[-1].noun, k->noun) != 0)
				print_if(k->noun, cur);
		for (int k = 0; cur[0] == '-' && globals[k]; k++)
			print_if(globals[k], cur);
		return CLI_OK;
	}
	const struct cli_command *cmd = find(words[0], n > 1 ? words[1] : NULL);
	if (n == 1 && noun_known(words[0]) && !(cmd && !cmd->verb)) {
		for (const struct cli_command *k = cli_commands; k->noun; k++)
			if (strcmp(k->noun, words[0]) == 0 && k->verb)
				print_if(k->verb, cur);
		return CLI_OK;
	}
	if (!cmd)
		return CLI_OK;
	for (const struct cli_flag *f = cmd->flags; f->name; f++)
		if (strcmp(f->name, prev) == 0 && f->arg)
			return CLI_OK; /* a flag's value: nothing to offer */
	if (cur[0] == '-') {
		for (const struct cli_flag *f = cmd->flags; f->name; f++)
			print_if(f->name, cur);
		for (int k = 0; globals[k] && k < 4; k++)
			print_if(globals[k], cur);
		return CLI_OK;
	}
	/* an application argument: the names pagodad knows, when it can be asked */
	if (can_call && strncmp(cmd->args, "APP", 3) == 0 && n == (cmd->verb ? 2 : 1)) {
		json_t *out = NULL;
		if (cli_call(c, "GET", "/admin/apps?limit=1000", NULL, &out) == CLI_OK) {
			size_t i;
			json_t *x;
			json_array_foreach (json_object_get(out, "items"), i, x)
				print_if(json_string_value(json_object_get(x, "name")), cur);
		}
		json_decref(out);
	}
	return CLI_OK;
}

int cli_completion(struct cli *c, const struct cli_args *a)
{
	(void)c;
	const char *shell = a->pos[0];
	if (strcmp(shell, "bash") != 0 && strcmp(shell, "zsh") != 0) {
		fprintf(stderr, "pagoda: completion bash or zsh, not %s\n", shell);
		return CLI_USAGE;
	}
	/* zsh runs bash's completion functions through bashcompinit */
	if (strcmp(shell, "zsh") == 0)
		printf("autoload -U +X bashcompinit && bashcompinit\n");
	printf("_pagoda() {\n"
	       "  local IFS=$'\\n'\n"
	       "  COMPREPLY=($(\"${COMP_WORDS[0]}\" __complete \"${COMP_WORDS[@]:1:COMP_CWORD}\" "
	       "2>/dev/null))\n"
	       "}\n"
	       "complete -o default -F _pagoda pagoda\n");
	return CLI_OK;
}
