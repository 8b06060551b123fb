/* The command table: noun, verb, what it sends, what it prints. Most
 * commands are one API call; apply and watch have files of their own. */
#include "cli.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct args {
	const char *pos[8];
	int npos;
	const char *key[16], *val[16];
	int nopt;
};

static int parse_args(int argc, char **argv, struct args *a)
{
	memset(a, 0, sizeof(*a));
	for (int i = 0; i < argc; i++) {
		if (argv[i][0] == '-' && argv[i][1]) {
			if (i + 1 >= argc || a->nopt == 16) {
				fprintf(stderr, "pagoda: %s needs a value\n", argv[i]);
				return -1;
			}
			a->key[a->nopt] = argv[i];
			a->val[a->nopt++] = argv[++i];
		} else if (a->npos < 8) {
			a->pos[a->npos++] = argv[i];
		}
	}
	return 0;
}

static const char *opt(const struct args *a, const char *key)
{
	for (int i = a->nopt - 1; i >= 0; i--)
		if (strcmp(a->key[i], key) == 0)
			return a->val[i];
	return NULL;
}

static bool is_true(const char *v)
{
	return v && strcmp(v, "true") == 0;
}

static bool id_arg(const char *s)
{
	if (!s || !*s)
		return false;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return false;
	return true;
}

/* Appends &key=value (percent-encoded) to a query string. */
static void query_add(char *q, size_t len, const char *key, const char *value)
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

/* Every page of a list (up to CLI_LIST_MAX items), printed as one table;
 * what was left out, or that there is nothing, is said. */
static int get_list(struct cli *c, const char *path, const struct cli_col *cols)
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

/* An object of list path named by id or name (field "name"; with ns, an
 * application's NAMESPACE/NAME too): its id in out. what names the kind. */
static int resolve(struct cli *c, const char *path, const char *what, bool ns, const char *arg,
                   char out[32])
{
	if (id_arg(arg)) {
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

/* An application named by id, NAME or NAMESPACE/NAME: its id in out. */
static int resolve_app(struct cli *c, const char *arg, char out[32])
{
	return resolve(c, "/admin/apps?limit=1000", "application", true, arg, out);
}

static int resolve_node(struct cli *c, const char *arg, char out[32])
{
	return resolve(c, "/admin/nodes?limit=1000", "node", false, arg, out);
}

/* A release by id or APP@vN (the application's version N). */
static int resolve_release(struct cli *c, const char *arg, char out[32])
{
	const char *at = strrchr(arg, '@');
	if (!at || (at[1] != 'v' && at[1] != 'V') || !id_arg(at + 2)) {
		snprintf(out, 32, "%s", arg);
		return CLI_OK; /* NEED_ID says what is wrong with it */
	}
	char app_name[256], app[32], path[96];
	snprintf(app_name, sizeof(app_name), "%.*s", (int)(at - arg), arg);
	int rc = resolve_app(c, app_name, app);
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

static int call_print(struct cli *c, const char *method, const char *path, json_t *body)
{
	json_t *out;
	int rc = cli_call(c, method, path, body, &out);
	json_decref(body);
	if (rc == CLI_OK)
		cli_print_object(c, out);
	json_decref(out);
	return rc;
}

#define NEED(n, what)                                                                              \
	do {                                                                                       \
		if (a.npos < (n)) {                                                                \
			fprintf(stderr, "pagoda: %s\n", what);                                     \
			return CLI_USAGE;                                                          \
		}                                                                                  \
	} while (0)
#define NEED_ID(i, what)                                                                           \
	do {                                                                                       \
		if (!id_arg(a.pos[i])) {                                                           \
			fprintf(stderr, "pagoda: %s must be a numeric id\n", what);                \
			return CLI_USAGE;                                                          \
		}                                                                                  \
	} while (0)

/* --label k=v (repeatable) and --labels k=v,k2=v2 as a JSON object;
 * NULL with a message when one has no '='. */
static json_t *labels_of(const struct args *a)
{
	json_t *labels = json_object();
	for (int i = 0; i < a->nopt; i++) {
		if (strcmp(a->key[i], "--label") != 0 && strcmp(a->key[i], "--labels") != 0)
			continue;
		for (const char *p = a->val[i]; *p;) {
			size_t n = strcmp(a->key[i], "--labels") == 0 ? strcspn(p, ",") : strlen(p);
			const char *eq = memchr(p, '=', n);
			if (!eq || eq == p) {
				fprintf(stderr, "pagoda: %s takes k=v, not '%.*s'\n", a->key[i],
				        (int)n, p);
				json_decref(labels);
				return NULL;
			}
			char k[128];
			snprintf(k, sizeof(k), "%.*s", (int)(eq - p), p);
			json_object_set_new(labels, k,
			                    json_stringn(eq + 1, (size_t)(p + n - eq - 1)));
			p += n + (p[n] == ',');
		}
	}
	return labels;
}

static const struct cli_col node_cols[] = {{"ID", "id", 0},
                                           {"NAME", "name", 0},
                                           {"IP", "ip", 0},
                                           {"STATUS", "status", 0},
                                           {"AGENT", "agentVersion", 0},
                                           {"LABELS", "labels", 0},
                                           {"LAST HEARTBEAT", "lastHeartbeatAt", 0},
                                           {0}};

static int nodes(struct cli *c, const char *verb, int argc, char **argv)
{
	struct args a;
	char path[1024];
	if (parse_args(argc, argv, &a) != 0)
		return CLI_USAGE;
	if (strcmp(verb, "ls") == 0) {
		snprintf(path, sizeof(path), "/admin/nodes?limit=1000");
		query_add(path, sizeof(path), "selector", opt(&a, "--selector"));
		query_add(path, sizeof(path), "status", opt(&a, "--status"));
		return get_list(c, path, node_cols);
	}
	if (strcmp(verb, "join-token") == 0 || strcmp(verb, "join-command") == 0) {
		bool line = strcmp(verb, "join-command") == 0;
		NEED(1,
		     line ? "nodes join-command NAME [--labels k=v,...] [--ttl SEC] [--server URL]"
		          : "nodes join-token NAME [--ttl SEC] [--label k=v]...");
		json_t *labels = labels_of(&a);
		if (!labels)
			return CLI_USAGE;
		json_t *body = json_pack("{s:s, s:o}", "name", a.pos[0], "labels", labels);
		if (opt(&a, "--ttl"))
			json_object_set_new(body, "ttlSec", json_integer(atoll(opt(&a, "--ttl"))));
		if (line)
			return cli_join_command(c, body, opt(&a, "--server"));
		return call_print(c, "POST", "/admin/join-tokens", body);
	}
	if (strcmp(verb, "upgrade") == 0) {
		if (!opt(&a, "--to")) {
			fprintf(stderr, "pagoda: nodes upgrade --to VERSION [--selector S] "
			                "[--deadline SEC] "
			                "[--batch-size N] [--wait false]\n");
			return CLI_USAGE;
		}
		json_t *body = json_pack("{s:s}", "to", opt(&a, "--to"));
		if (opt(&a, "--selector"))
			json_object_set_new(body, "selector", json_string(opt(&a, "--selector")));
		if (opt(&a, "--deadline"))
			json_object_set_new(body, "deadlineSec",
			                    json_integer(atoll(opt(&a, "--deadline"))));
		if (opt(&a, "--batch-size"))
			json_object_set_new(body, "strategy",
			                    json_pack("{s:I}", "batchSize",
			                              (json_int_t)atoll(opt(&a, "--batch-size"))));
		const char *w = opt(&a, "--wait");
		return cli_upgrade(c, body, !w || strcmp(w, "false") != 0);
	}
	if (strcmp(verb, "upgrades") == 0) {
		static const struct cli_col cols[] = {{"ID", "id", 0},
		                                      {"TO", "to", 0},
		                                      {"STATUS", "status", 0},
		                                      {"SELECTOR", "selector", 0},
		                                      {"CREATED", "createdAt", 0},
		                                      {"ERROR", "error", 0},
		                                      {0}};
		if (a.npos) {
			snprintf(path, sizeof(path), "/admin/agent-upgrades/%s", a.pos[0]);
			return call_print(c, "GET", path, NULL);
		}
		return get_list(c, "/admin/agent-upgrades", cols);
	}
	NEED(1, "give the node (id or NAME)");
	char node_id[32];
	int resolved = resolve_node(c, a.pos[0], node_id);
	if (resolved != CLI_OK)
		return resolved;
	a.pos[0] = node_id;
	if (strcmp(verb, "show") == 0) {
		snprintf(path, sizeof(path), "/admin/nodes/%s", a.pos[0]);
		if (c->json)
			return call_print(c, "GET", path, NULL);
		json_t *node;
		int rc = cli_call(c, "GET", path, NULL, &node);
		if (rc == CLI_OK) {
			json_t *facts = json_incref(json_object_get(node, "facts"));
			json_object_del(node, "facts");
			cli_print_object(c, node);
			cli_print_facts(facts);
			json_decref(facts);
			json_decref(node);
		}
		if (rc == CLI_OK) {
			snprintf(path, sizeof(path), "/admin/nodes/%s/status", a.pos[0]);
			printf("\n");
			rc = call_print(c, "GET", path, NULL);
		}
		return rc;
	}
	if (strcmp(verb, "cordon") == 0 || strcmp(verb, "uncordon") == 0) {
		snprintf(path, sizeof(path), "/admin/nodes/%s/%s", a.pos[0], verb);
		return call_print(c, "POST", path, NULL);
	}
	if (strcmp(verb, "rotate-token") == 0) {
		snprintf(path, sizeof(path), "/admin/nodes/%s/token/rotate", a.pos[0]);
		json_t *body = opt(&a, "--grace") ? json_pack("{s:I}", "graceSec",
		                                              (json_int_t)atoll(opt(&a, "--grace")))
		                                  : json_object();
		return call_print(c, "POST", path, body);
	}
	if (strcmp(verb, "run") == 0) {
		NEED(3, "nodes run ID TYPE 'PAYLOAD-JSON' [--timeout SEC]");
		json_t *payload = json_loads(a.pos[2], JSON_REJECT_DUPLICATES, NULL);
		if (!payload) {
			fprintf(stderr, "pagoda: the payload is not JSON\n");
			return CLI_USAGE;
		}
		json_t *body = json_pack("{s:s, s:o}", "type", a.pos[1], "payload", payload);
		if (opt(&a, "--timeout"))
			json_object_set_new(body, "timeoutSec",
			                    json_integer(atoll(opt(&a, "--timeout"))));
		snprintf(path, sizeof(path), "/admin/nodes/%s/tasks", a.pos[0]);
		return call_print(c, "POST", path, body);
	}
	return cli_usage("nodes");
}

static const struct cli_col app_cols[] = {{"ID", "id", 0},
                                          {"NAME", "name", 0},
                                          {"TYPE", "type", 0},
                                          {"STATE", "state", 0},
                                          {"RELEASE", "currentReleaseId", 0},
                                          {"SELECTOR", "selector", 0},
                                          {0}};

/* "running (3/3)", "failed (0/2, last release failed)": GET .../status's state. */
static void state_text(json_t *st, char *out, size_t len)
{
	json_t *s = json_object_get(st, "state");
	const char *phase = json_string_value(json_object_get(s, "phase"));
	if (!phase) {
		snprintf(out, len, "?");
		return;
	}
	bool counted = strcmp(phase, "never_deployed") != 0 && strcmp(phase, "stopped") != 0;
	bool last_failed = json_is_true(json_object_get(s, "lastReleaseFailed")) &&
	                   strcmp(phase, "failed") != 0;
	char n[80] = "";
	json_int_t pending = json_integer_value(json_object_get(s, "pending"));
	if (counted)
		snprintf(n, sizeof(n), "%lld/%lld converged%s%.0lld%s",
		         (long long)json_integer_value(json_object_get(s, "healthy")),
		         (long long)json_integer_value(json_object_get(s, "total")),
		         pending ? ", " : "", (long long)pending,
		         pending ? " not reported yet" : "");
	snprintf(out, len, "%s%s%s%s%s", phase, counted || last_failed ? " (" : "", n,
	         last_failed ? (counted ? ", last release failed" : "last release failed") : "",
	         counted || last_failed ? ")" : "");
}

/* pagoda apps ls: each application with its state from its nodes. */
static int apps_list(struct cli *c)
{
	json_t *all = json_array(), *x;
	char path[96];
	int rc = cli_list_all(c, "/admin/apps?limit=1000", all, NULL);
	size_t i;
	json_array_foreach (rc == CLI_OK ? all : NULL, i, x) {
		json_t *st = NULL;
		char text[96];
		snprintf(path, sizeof(path), "/admin/apps/%lld/status",
		         (long long)json_integer_value(json_object_get(x, "id")));
		if (cli_call(c, "GET", path, NULL, &st) == CLI_OK) {
			state_text(st, text, sizeof(text));
			json_object_set_new(x, "state", json_string(text));
		}
		json_decref(st);
	}
	if (rc == CLI_OK && !c->json && !json_array_size(all))
		printf("no applications\n");
	else if (rc == CLI_OK)
		cli_print_list(c, all, app_cols);
	json_decref(all);
	return rc;
}

/* pagoda apps show APP, as kubectl describe: the application, its state,
 * each node, the last releases and the recent events (from the audit). */
static int app_show(struct cli *c, const char *id)
{
	char path[160], text[96];
	json_t *app = NULL, *st = NULL, *rels = json_array(), *events = NULL;
	snprintf(path, sizeof(path), "/admin/apps/%s", id);
	int rc = cli_call(c, "GET", path, NULL, &app);
	if (rc == CLI_OK) {
		snprintf(path, sizeof(path), "/admin/apps/%s/status", id);
		rc = cli_call(c, "GET", path, NULL, &st);
	}
	if (rc == CLI_OK) {
		snprintf(path, sizeof(path), "/admin/apps/%s/releases?limit=5", id);
		json_t *page = NULL;
		rc = cli_call(c, "GET", path, NULL, &page);
		json_array_extend(rels, json_object_get(page, "items"));
		json_decref(page);
	}
	if (rc == CLI_OK) {
		snprintf(path, sizeof(path), "/admin/audit?targetType=app&targetId=%s&limit=10",
		         id);
		if (cli_call(c, "GET", path, NULL, &events) != CLI_OK)
			events = NULL; /* a token without admin:audit:read still sees the rest */
	}
	if (rc == CLI_OK && c->json) {
		json_t *all =
		        json_pack("{s:O, s:O, s:O, s:O*}", "app", app, "status", st, "releases",
		                  rels, "events", json_object_get(events, "items"));
		cli_print_object(c, all);
		json_decref(all);
	} else if (rc == CLI_OK) {
		cli_print_object(c, app);
		state_text(st, text, sizeof(text));
		printf("\nstate  %s\n", text);
		static const struct cli_col app_node_cols[] = {{"NODE", "nodeId", 0},
		                                               {"STATUS", "status", 0},
		                                               {"ITEMS", "items", 0},
		                                               {"REASON", "reason", 0},
		                                               {0}};
		cli_section(c, "nodes");
		cli_print_list(c, json_object_get(st, "nodes"), app_node_cols);
		static const struct cli_col rel_cols5[] = {{"ID", "id", 0},
		                                           {"VERSION", "version", 0},
		                                           {"KIND", "kind", 0},
		                                           {"STATUS", "status", 0},
		                                           {"CREATED", "createdAt", 0},
		                                           {"ERROR", "error", 0},
		                                           {0}};
		cli_section(c, "releases (newest first)");
		if (json_array_size(rels))
			cli_print_list(c, rels, rel_cols5);
		else
			printf("none yet\n");
		static const struct cli_col ev_cols[] = {
		        {"AT", "at", 0}, {"ACTOR", "actor", 0}, {"ACTION", "action", 0}, {0}};
		if (events) {
			cli_section(c, "events");
			cli_print_list(c, json_object_get(events, "items"), ev_cols);
		}
	}
	json_decref(app);
	json_decref(st);
	json_decref(rels);
	json_decref(events);
	return rc;
}

/* pagoda apps deploy APP: a release created, executed and watched in one
 * go (a release that needs approval stops after creation and says so). */
static int deploy(struct cli *c, const char *app, const char *note)
{
	char path[96];
	json_t *out = NULL, *body = note ? json_pack("{s:s}", "note", note) : json_object();
	snprintf(path, sizeof(path), "/admin/apps/%s/releases", app);
	int rc = cli_call(c, "POST", path, body, &out);
	json_decref(body);
	if (rc != CLI_OK)
		return rc;
	json_int_t rel = json_integer_value(json_object_get(out, "id"));
	const char *diff = json_string_value(json_object_get(out, "diffText"));
	const char *status = json_string_value(json_object_get(out, "status"));
	if (!c->json) {
		printf("release %lld (version %lld) of application %s\n", (long long)rel,
		       (long long)json_integer_value(json_object_get(out, "version")), app);
		fputs(diff && *diff ? diff : "(no change in the rendered artifacts)\n", stdout);
	}
	bool waits = status && strcmp(status, "awaiting_approval") == 0;
	json_decref(out);
	if (waits) {
		fprintf(stderr,
		        "pagoda: release %lld awaits approval: pagoda releases approve %lld, then "
		        "pagoda releases execute %lld\n",
		        (long long)rel, (long long)rel, (long long)rel);
		return CLI_FAILED;
	}
	snprintf(path, sizeof(path), "/admin/releases/%lld/execute", (long long)rel);
	if ((rc = cli_call(c, "POST", path, NULL, &out)) != CLI_OK)
		return rc;
	json_decref(out);
	return cli_watch_release(c, rel, 500);
}

static int apps(struct cli *c, const char *verb, int argc, char **argv)
{
	struct args a;
	char path[256];
	if (parse_args(argc, argv, &a) != 0)
		return CLI_USAGE;
	if (strcmp(verb, "ls") == 0)
		return apps_list(c);
	if (strcmp(verb, "apply") == 0 || strcmp(verb, "create") == 0) {
		if (!opt(&a, "-f")) {
			fprintf(stderr, "pagoda: apps %s -f FILE\n", verb);
			return CLI_USAGE;
		}
		return cli_apply(c, opt(&a, "-f"), is_true(opt(&a, "--dry-run")));
	}
	NEED(1, "give the application (id, NAME or NAMESPACE/NAME)");
	char id[32];
	int resolved = resolve_app(c, a.pos[0], id);
	if (resolved != CLI_OK)
		return resolved;
	a.pos[0] = id;
	if (strcmp(verb, "deploy") == 0)
		return deploy(c, id, opt(&a, "--note"));
	if (strcmp(verb, "show") == 0)
		return app_show(c, a.pos[0]);
	if (strcmp(verb, "status") == 0)
		return cli_app_status(c, a.pos[0], opt(&a, "--runs") ? atoi(opt(&a, "--runs")) : 0);
	if (strcmp(verb, "run") == 0) {
		snprintf(path, sizeof(path), "/admin/apps/%s/run", a.pos[0]);
		return call_print(c, "POST", path, NULL);
	}
	if (strcmp(verb, "restart") == 0) {
		snprintf(path, sizeof(path), "/admin/apps/%s/restart", a.pos[0]);
		json_t *body = opt(&a, "--note") ? json_pack("{s:s}", "note", opt(&a, "--note"))
		                                 : json_object(),
		       *out = NULL;
		int rc = cli_call(c, "POST", path, body, &out);
		json_decref(body);
		if (rc == CLI_OK && c->json)
			cli_print_object(c, out);
		else if (rc == CLI_OK)
			rc = cli_watch_release(c, json_integer_value(json_object_get(out, "id")),
			                       500);
		json_decref(out);
		return rc;
	}
	if (strcmp(verb, "delete") == 0) {
		const char *force = opt(&a, "--force");
		snprintf(path, sizeof(path), "/admin/apps/%s%s", a.pos[0],
		         force && strcmp(force, "true") == 0 ? "?force=true" : "");
		return call_print(c, "DELETE", path, NULL);
	}
	return cli_usage("apps");
}

static const struct cli_col rel_cols[] = {{"ID", "id", 0},
                                          {"VERSION", "version", 0},
                                          {"KIND", "kind", 0},
                                          {"STATUS", "status", 0},
                                          {"BY", "createdBy", 0},
                                          {"CREATED", "createdAt", 0},
                                          {"FINISHED", "finishedAt", 0},
                                          {0}};

static int releases(struct cli *c, const char *verb, int argc, char **argv)
{
	struct args a;
	char path[256];
	if (parse_args(argc, argv, &a) != 0)
		return CLI_USAGE;
	NEED(1, "give the id (the application's for ls and create, the release's otherwise)");
	char id[32];
	if (strcmp(verb, "ls") == 0 || strcmp(verb, "create") == 0) {
		int resolved = resolve_app(c, a.pos[0], id);
		if (resolved != CLI_OK)
			return resolved;
		a.pos[0] = id;
	} else {
		int resolved = resolve_release(c, a.pos[0], id);
		if (resolved != CLI_OK)
			return resolved;
		a.pos[0] = id;
	}
	NEED_ID(0, "the release (id or APP@vN)");
	if (strcmp(verb, "ls") == 0) {
		snprintf(path, sizeof(path), "/admin/apps/%s/releases", a.pos[0]);
		return get_list(c, path, rel_cols);
	}
	if (strcmp(verb, "create") == 0) {
		snprintf(path, sizeof(path), "/admin/apps/%s/releases", a.pos[0]);
		json_t *body = opt(&a, "--note") ? json_pack("{s:s}", "note", opt(&a, "--note"))
		                                 : json_object(),
		       *out;
		int rc = cli_call(c, "POST", path, body, &out);
		json_decref(body);
		if (rc == CLI_OK && c->json) {
			cli_print_object(c, out);
		} else if (rc == CLI_OK) {
			/* the diff first: what this release would change */
			const char *diff = json_string_value(json_object_get(out, "diffText"));
			printf("release %lld (version %lld) of application %s: %s\n",
			       (long long)json_integer_value(json_object_get(out, "id")),
			       (long long)json_integer_value(json_object_get(out, "version")),
			       a.pos[0], json_string_value(json_object_get(out, "status")));
			fputs(diff && *diff ? diff : "(no change in the rendered artifacts)\n",
			      stdout);
		}
		json_decref(out);
		return rc;
	}
	if (strcmp(verb, "show") == 0) {
		snprintf(path, sizeof(path), "/admin/releases/%s", a.pos[0]);
		return call_print(c, "GET", path, NULL);
	}
	if (strcmp(verb, "watch") == 0)
		return cli_watch_release(c, atoll(a.pos[0]), 500);
	if (strcmp(verb, "rollback") == 0) {
		snprintf(path, sizeof(path), "/admin/releases/%s/rollback", a.pos[0]);
		json_t *body = opt(&a, "--target")
		                       ? json_pack("{s:I}", "targetReleaseId",
		                                   (json_int_t)atoll(opt(&a, "--target")))
		                       : json_object();
		return call_print(c, "POST", path, body);
	}
	static const char *const actions[] = {"execute", "pause",   "resume",
	                                      "cancel",  "approve", NULL};
	for (int i = 0; actions[i]; i++)
		if (strcmp(verb, actions[i]) == 0) {
			snprintf(path, sizeof(path), "/admin/releases/%s/%s", a.pos[0], verb);
			return call_print(c, "POST", path, NULL);
		}
	return cli_usage("releases");
}

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

static int configs(struct cli *c, const char *verb, int argc, char **argv)
{
	struct args a;
	char path[256];
	if (parse_args(argc, argv, &a) != 0)
		return CLI_USAGE;
	if (strcmp(verb, "ls") == 0)
		return get_list(c, "/admin/configs?limit=1000", cfg_cols);
	NEED(1, "give the config item (id or NAME)");
	char cfg_id[32];
	/* names may hold '/' (hello/conf): matched whole, never as NAMESPACE/NAME */
	int resolved = resolve(c, "/admin/configs?limit=1000", "configuration item", false,
	                       a.pos[0], cfg_id);
	if (resolved != CLI_OK)
		return resolved;
	a.pos[0] = cfg_id;
	if (strcmp(verb, "show") == 0) {
		snprintf(path, sizeof(path), "/admin/configs/%s", a.pos[0]);
		json_t *out;
		int rc = cli_call(c, "GET", path, NULL, &out);
		if (rc == CLI_OK && !c->json)
			fputs(json_string_value(cli_get_path(out, "current.content")) ?: "",
			      stdout);
		else if (rc == CLI_OK)
			cli_print_object(c, out);
		json_decref(out);
		return rc;
	}
	if (strcmp(verb, "edit") == 0) {
		if (!opt(&a, "-f")) {
			fprintf(stderr, "pagoda: configs edit ID -f FILE [--message M]\n");
			return CLI_USAGE;
		}
		char *text = read_text(opt(&a, "-f"));
		if (!text)
			return CLI_USAGE;
		json_t *body = json_pack("{s:s}", "content", text);
		free(text);
		if (opt(&a, "--message"))
			json_object_set_new(body, "message", json_string(opt(&a, "--message")));
		snprintf(path, sizeof(path), "/admin/configs/%s", a.pos[0]);
		return call_print(c, "PUT", path, body);
	}
	if (strcmp(verb, "diff") == 0) {
		NEED(3, "configs diff ID FROM TO");
		snprintf(path, sizeof(path), "/admin/configs/%s/diff?from=%d&to=%d", a.pos[0],
		         atoi(a.pos[1]), atoi(a.pos[2]));
		json_t *out;
		int rc = cli_call(c, "GET", path, NULL, &out);
		if (rc == CLI_OK)
			c->json ? cli_print_object(c, out)
			        : (void)fputs(json_string_value(json_object_get(out, "diff")) ?: "",
			                      stdout);
		json_decref(out);
		return rc;
	}
	if (strcmp(verb, "publish") == 0 || strcmp(verb, "rollback") == 0) {
		json_t *body = json_object();
		if (opt(&a, "--version"))
			json_object_set_new(body, "version",
			                    json_integer(atoll(opt(&a, "--version"))));
		if (opt(&a, "--note"))
			json_object_set_new(body, "note", json_string(opt(&a, "--note")));
		snprintf(path, sizeof(path), "/admin/configs/%s/%s", a.pos[0], verb);
		return call_print(c, "POST", path, body);
	}
	if (strcmp(verb, "versions") == 0) {
		static const struct cli_col cols[] = {{"VERSION", "version", 0},
		                                      {"AUTHOR", "author", 0},
		                                      {"MESSAGE", "message", 0},
		                                      {"AT", "createdAt", 0},
		                                      {0}};
		snprintf(path, sizeof(path), "/admin/configs/%s/versions?limit=1000", a.pos[0]);
		return get_list(c, path, cols);
	}
	return cli_usage("configs");
}

static const struct cli_col cert_cols[] = {{"ID", "id", 0},
                                           {"NAME", "name", 0},
                                           {"STATUS", "status", 0},
                                           {"SOURCE", "source", 0},
                                           {"DAYS LEFT", "current.notAfter", CLI_COL_DAYS},
                                           {"NOT AFTER", "current.notAfter", 0},
                                           {"DOMAINS", "domains", 0},
                                           {0}};

static int certs(struct cli *c, const char *verb, int argc, char **argv)
{
	struct args a;
	char path[256];
	if (parse_args(argc, argv, &a) != 0)
		return CLI_USAGE;
	if (strcmp(verb, "ls") == 0)
		return get_list(c, "/admin/certificates", cert_cols);
	if (strcmp(verb, "issue") == 0 || strcmp(verb, "import") == 0) {
		if (!opt(&a, "-f")) {
			fprintf(stderr, "pagoda: certs %s -f FILE.json\n", verb);
			return CLI_USAGE;
		}
		json_t *body = cli_read_json(opt(&a, "-f"));
		if (!body)
			return CLI_USAGE;
		return call_print(c, "POST",
		                  strcmp(verb, "issue") == 0 ? "/admin/certificates/acme"
		                                             : "/admin/certificates",
		                  body);
	}
	NEED(1, "give the certificate (id or NAME)");
	char cert_id[32];
	int resolved = resolve(c, "/admin/certificates", "certificate", false, a.pos[0], cert_id);
	if (resolved != CLI_OK)
		return resolved;
	a.pos[0] = cert_id;
	if (strcmp(verb, "show") == 0) {
		snprintf(path, sizeof(path), "/admin/certificates/%s", a.pos[0]);
		return call_print(c, "GET", path, NULL);
	}
	if (strcmp(verb, "renew") == 0) {
		snprintf(path, sizeof(path), "/admin/certificates/%s/renew", a.pos[0]);
		return call_print(c, "POST", path, NULL);
	}
	if (strcmp(verb, "deploy") == 0) {
		const char *list = opt(&a, "--nodes");
		if (!list) {
			fprintf(stderr, "pagoda: certs deploy ID --nodes 1,2,3\n");
			return CLI_USAGE;
		}
		json_t *ids = json_array();
		for (const char *p = list; *p;) {
			json_array_append_new(ids, json_integer(atoll(p)));
			p += strcspn(p, ",");
			p += *p == ',';
		}
		snprintf(path, sizeof(path), "/admin/certificates/%s/deploy", a.pos[0]);
		return call_print(c, "POST", path, json_pack("{s:o}", "nodeIds", ids));
	}
	return cli_usage("certs");
}

static int simple(struct cli *c, const char *noun, const char *verb, int argc, char **argv)
{
	struct args a;
	char path[1024];
	if (parse_args(argc, argv, &a) != 0)
		return CLI_USAGE;
	if (strcmp(noun, "registry") == 0 && strcmp(verb, "services") == 0) {
		static const struct cli_col cols[] = {{"NAME", "name", 0},
		                                      {"PORT", "port", 0},
		                                      {"PROTOCOL", "protocol", 0},
		                                      {"ENDPOINTS", "endpointCount", 0},
		                                      {0}};
		return get_list(c, "/admin/registry/services", cols);
	}
	if (strcmp(noun, "registry") == 0 && strcmp(verb, "endpoints") == 0) {
		NEED(1, "registry endpoints SERVICE");
		static const struct cli_col cols[] = {{"ID", "id", 0},
		                                      {"NODE", "nodeId", 0},
		                                      {"IP", "ip", 0},
		                                      {"PORT", "port", 0},
		                                      {"HEALTH", "health", 0},
		                                      {"SOURCE", "source", 0},
		                                      {0}};
		snprintf(path, sizeof(path), "/api/registry/services/%s/endpoints", a.pos[0]);
		return get_list(c, path, cols);
	}
	if (strcmp(noun, "policies") == 0 &&
	    (strcmp(verb, "ls") == 0 || strcmp(verb, "reload") == 0)) {
		static const struct cli_col cols[] = {{"PATH", "path", 0},
		                                      {"ORIGIN", "origin", 0},
		                                      {"LOADED", "loaded", 0},
		                                      {"CALLS", "calls", 0},
		                                      {"ERRORS", "errors", 0},
		                                      {"LAST ERROR", "lastError", 0},
		                                      {0}};
		json_t *out;
		int rc = cli_call(c, strcmp(verb, "ls") == 0 ? "GET" : "POST",
		                  strcmp(verb, "ls") == 0 ? "/admin/policies"
		                                          : "/admin/policies/reload",
		                  NULL, &out);
		if (rc == CLI_OK)
			cli_print_list(c, json_object_get(out, "items"), cols);
		json_decref(out);
		return rc;
	}
	if (strcmp(noun, "alerts") == 0 && strcmp(verb, "ls") == 0) {
		static const struct cli_col cols[] = {{"ID", "id", 0},
		                                      {"RULE", "rule", 0},
		                                      {"SUBJECT", "subject", 0},
		                                      {"STATUS", "status", 0},
		                                      {"FIRED", "firedAt", 0},
		                                      {"MESSAGE", "message", 0},
		                                      {0}};
		snprintf(path, sizeof(path), "/admin/alerts");
		query_add(path, sizeof(path), "status", opt(&a, "--status"));
		return get_list(c, path, cols);
	}
	if (strcmp(noun, "alerts") == 0 && strcmp(verb, "ack") == 0) {
		NEED(1, "alerts ack ID");
		NEED_ID(0, "the alert id");
		snprintf(path, sizeof(path), "/admin/alerts/%s/ack", a.pos[0]);
		return call_print(c, "POST", path, NULL);
	}
	if (strcmp(noun, "alerts") == 0 && strcmp(verb, "channels") == 0) {
		static const struct cli_col cols[] = {{"NAME", "name", 0},
		                                      {"PLUGIN", "plugin", 0},
		                                      {"SEVERITIES", "severities", 0},
		                                      {"TEMPLATE", "template", 0},
		                                      {"UPDATED", "updatedAt", 0},
		                                      {0}};
		return get_list(c, "/admin/alert-channels", cols);
	}
	if (strcmp(noun, "alerts") == 0 && strcmp(verb, "test") == 0) {
		static const struct cli_col cols[] = {{"CHANNEL", "channel", 0},
		                                      {"PLUGIN", "plugin", 0},
		                                      {"OK", "ok", 0},
		                                      {"ERROR", "error", 0},
		                                      {0}};
		/* NAME is a named channel, or else a rule */
		json_t *chans = json_array(), *ch, *out = NULL;
		size_t k;
		bool channel = false;
		int rc = cli_list_all(c, "/admin/alert-channels", chans, NULL);
		json_array_foreach (chans, k, ch)
			channel = channel || strcmp(json_string_value(json_object_get(ch, "name")),
			                            a.pos[0]) == 0;
		json_decref(chans);
		if (rc != CLI_OK)
			return rc;
		snprintf(path, sizeof(path), "/admin/%s/%s/test",
		         channel ? "alert-channels" : "alert-rules", a.pos[0]);
		rc = cli_call(c, "POST", path, NULL, &out);
		json_t *res = json_object_get(out, "results"), *x;
		size_t i;
		bool all = true;
		json_array_foreach (res, i, x)
			all = all && json_is_true(json_object_get(x, "ok"));
		if (rc == CLI_OK)
			cli_print_list(c, res, cols);
		json_decref(out);
		return rc == CLI_OK && !all ? CLI_FAILED : rc;
	}
	if (strcmp(noun, "tasks") == 0 && strcmp(verb, "ls") == 0) {
		static const struct cli_col cols[] = {{"ID", "id", 0},
		                                      {"NODE", "nodeId", 0},
		                                      {"TYPE", "type", 0},
		                                      {"STATUS", "status", 0},
		                                      {"ATTEMPT", "attempt", 0},
		                                      {"CREATED", "createdAt", 0},
		                                      {"ERROR", "errorMessage", 0},
		                                      {0}};
		snprintf(path, sizeof(path), "/admin/tasks?limit=200");
		query_add(path, sizeof(path), "nodeId", opt(&a, "--node"));
		query_add(path, sizeof(path), "status", opt(&a, "--status"));
		return get_list(c, path, cols);
	}
	if (strcmp(noun, "tasks") == 0 &&
	    (strcmp(verb, "show") == 0 || strcmp(verb, "cancel") == 0)) {
		NEED(1, "tasks show|cancel ID");
		NEED_ID(0, "the task id");
		snprintf(path, sizeof(path), "/admin/tasks/%s%s", a.pos[0],
		         strcmp(verb, "cancel") == 0 ? "/cancel" : "");
		return call_print(c, strcmp(verb, "cancel") == 0 ? "POST" : "GET", path, NULL);
	}
	return cli_usage(noun);
}

static int audit(struct cli *c, int argc, char **argv)
{
	struct args a;
	char path[1024] = "/admin/audit";
	if (parse_args(argc, argv, &a) != 0)
		return CLI_USAGE;
	static const char *const keys[][2] = {
	        {"--action", "action"},      {"--actor", "actor"}, {"--target-type", "targetType"},
	        {"--target-id", "targetId"}, {"--since", "since"}, {"--until", "until"},
	        {"--trace", "traceId"},      {"--limit", "limit"}};
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		query_add(path, sizeof(path), keys[i][1], opt(&a, keys[i][0]));
	static const struct cli_col cols[] = {{"AT", "at", 0},
	                                      {"ACTOR", "actor", 0},
	                                      {"ACTION", "action", 0},
	                                      {"TARGET", "targetType", 0},
	                                      {"ID", "targetId", 0},
	                                      {"DETAILS", "details", 0},
	                                      {0}};
	return get_list(c, path, cols);
}

int cli_run(struct cli *c, int argc, char **argv)
{
	const char *noun = argv[0], *verb = argc > 1 ? argv[1] : "";
	if (strcmp(noun, "apply") == 0 || strcmp(noun, "plan") == 0) {
		struct args a;
		if (parse_args(argc - 1, argv + 1, &a) != 0 || !opt(&a, "-f")) {
			fprintf(stderr, "pagoda: %s -f FILE\n", noun);
			return CLI_USAGE;
		}
		return cli_apply(c, opt(&a, "-f"), noun[0] == 'p' || is_true(opt(&a, "--dry-run")));
	}
	if (strcmp(noun, "audit") == 0)
		return audit(c, argc - 1, argv + 1);
	if (strcmp(noun, "deploy") == 0) { /* pagoda deploy APP: apps deploy APP */
		argv[0] = "deploy";
		return apps(c, "deploy", argc - 1, argv + 1);
	}
	if (strcmp(noun, "logs") == 0 && strcmp(verb, "--help") != 0 && strcmp(verb, "help") != 0) {
		struct args a;
		const char *n = NULL, *since = NULL, *node = NULL;
		long long from = 0;
		if (parse_args(argc - 1, argv + 1, &a) != 0)
			return CLI_USAGE;
		bool follow = (opt(&a, "-f") && !strcmp(opt(&a, "-f"), "true")) ||
		              (opt(&a, "--follow") && !strcmp(opt(&a, "--follow"), "true"));
		char app[32];
		int rc = a.npos == 1 ? resolve_app(c, a.pos[0], app) : CLI_OK;
		if (rc != CLI_OK)
			return rc;
		if (a.npos == 1)
			a.pos[0] = app;
		if (a.npos != 1 || !id_arg(a.pos[0]) ||
		    ((n = opt(&a, "--lines")) && (atoi(n) < 1 || atoi(n) > 1000)) ||
		    ((node = opt(&a, "--node")) && !id_arg(node)) ||
		    ((since = opt(&a, "--since")) &&
		     cli_parse_since(since, time(NULL), &from) != 0)) {
			fprintf(stderr,
			        "pagoda: logs APP-ID [--node NODE-ID] [--lines 1-1000] [--since "
			        "10m|2h|1d|'YYYY-MM-DD HH:MM[:SS]'|UNIX-SECONDS] [-f]\n");
			return CLI_USAGE;
		}
		return cli_logs(c, a.pos[0], node, n ? atoi(n) : 100, from, follow);
	}
	if (strcmp(noun, "backup") == 0 && strcmp(verb, "--help") != 0 && strcmp(verb, "help") != 0)
		return cli_backup(c, argc - 1, argv + 1);
	if (strcmp(verb, "--help") == 0 || strcmp(verb, "help") == 0) {
		cli_help(noun, stdout);
		return CLI_OK;
	}
	if (!*verb)
		return cli_usage(noun);
	argc -= 2;
	argv += 2;
	if (strcmp(noun, "nodes") == 0)
		return nodes(c, verb, argc, argv);
	if (strcmp(noun, "apps") == 0)
		return apps(c, verb, argc, argv);
	if (strcmp(noun, "releases") == 0)
		return releases(c, verb, argc, argv);
	if (strcmp(noun, "configs") == 0)
		return configs(c, verb, argc, argv);
	if (strcmp(noun, "certs") == 0)
		return certs(c, verb, argc, argv);
	if (strcmp(noun, "registry") == 0 || strcmp(noun, "policies") == 0 ||
	    strcmp(noun, "alerts") == 0 || strcmp(noun, "tasks") == 0)
		return simple(c, noun, verb, argc, argv);
	return cli_usage(NULL);
}
