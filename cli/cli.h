/* pagoda: the operator's command line over the REST API. */
#ifndef CLI_H
#define CLI_H

#include <jansson.h>
#include <stdio.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/pg_err.h"

/* Exit codes scripts can trust. */
enum cli_exit {
	CLI_OK = 0,
	CLI_REFUSED = 1, /* the API answered 4xx: bad input, not found, forbidden */
	CLI_USAGE = 2,   /* a bad command line; nothing was sent */
	CLI_UNAVAIL = 3, /* pagodad unreachable, or a 5xx */
	CLI_FAILED = 4,  /* what was watched ended badly (a release failed) */
};

struct cli {
	const char *addr, *ca_file;
	char token[256];
	bool json; /* -o json */
	void *curl;
};

/* One API call. *out gets the JSON answer (an empty object for 204);
 * returns a cli_exit code and prints the API's error when not CLI_OK. */
int cli_call(struct cli *c, const char *method, const char *path, json_t *body, json_t **out);
/* Every item of the paged list at path (up to CLI_LIST_MAX), appended to
 * all; *more (may be NULL) says whether the list went on past that. */
#define CLI_LIST_MAX 10000
int cli_list_all(struct cli *c, const char *path, json_t *all, bool *more);

/* POSTs an agent upgrade (body stolen) and, with wait, follows it to its
 * end: CLI_OK when it succeeded, CLI_FAILED when not. */
int cli_upgrade(struct cli *c, json_t *body, bool wait);
/* GETs path into file (via file.part, 0600, renamed when complete). */
int cli_download(struct cli *c, const char *path, const char *file);
/* Reads the server-sent events of GET path, calling fn for each (data
 * parsed as JSON) until the stream ends or fn returns false. */
typedef bool (*cli_event_fn)(void *arg, const char *event, json_t *data);
int cli_stream(struct cli *c, const char *path, cli_event_fn fn, void *arg);

/* ---- output (cli_out.c) ---- */
struct cli_col {
	const char *header;
	const char *key; /* dotted path into each item: "labels", "current.notAfter" */
	int kind;        /* CLI_COL_TEXT, CLI_COL_DAYS (days from now to a time) */
};
enum { CLI_COL_TEXT, CLI_COL_DAYS };
/* A table of items (JSON array) with those columns, or JSON with -o json. */
void cli_print_list(struct cli *c, json_t *items, const struct cli_col *cols);
/* One object: "key: value" lines, or JSON with -o json. */
void cli_print_object(struct cli *c, json_t *obj);
/* A node's machine facts for people: OS, kernel, CPUs and load, memory,
 * disk use per mount, uptime. */
void cli_print_facts(json_t *facts);
/* A blank line and "TITLE:" before a section of a show command (tables). */
void cli_section(struct cli *c, const char *title);
json_t *cli_get_path(json_t *v, const char *dotted);
/* A value as table text (strings bare, objects "k=v,k=v"). Owned by caller. */
char *cli_cell(json_t *v);

/* ---- the command table (cli_table.c) ---- */
struct cli_flag {
	const char *name, *arg; /* arg: what its value is; NULL: a switch */
	const char *help;
};
struct cli_args;
/* A command's handler: the line is checked, a->cmd is its entry. */
typedef int (*cli_handler)(struct cli *c, const struct cli_args *a);
struct cli_command {
	const char *noun, *verb; /* verb NULL: the noun alone ("apply", "logs") */
	const char *args;        /* the words it takes, "ID FROM TO" */
	int min_pos, max_pos;
	const char *summary;
	const struct cli_flag *flags; /* ends with {0} */
	cli_handler run;
};
extern const struct cli_command cli_commands[];

/* A command line checked against the table, as the handlers read it. */
#define CLI_MAX_POS 8
#define CLI_MAX_OPT 32
struct cli_args {
	const struct cli_command *cmd;
	const char *pos[CLI_MAX_POS]; /* the words after noun [verb] */
	int npos;
	const char *key[CLI_MAX_OPT], *val[CLI_MAX_OPT]; /* flags in order; a switch "true" */
	int nopt;
};
/* Checks argv (noun first, global flags taken out) against the table: an
 * unknown command or flag, a missing value or a wrong number of words is
 * said on stderr (with the nearest command or flag) and CLI_USAGE
 * returned; otherwise *a is filled (its strings are argv's). */
int cli_check(int argc, char **argv, struct cli_args *a);
/* The last value of flag key, or NULL; cli_switch: a switch is on. */
const char *cli_opt(const struct cli_args *a, const char *key);
bool cli_switch(const struct cli_args *a, const char *key);
/* A flag a command cannot do without: its value, or NULL after saying so. */
const char *cli_need(const struct cli_args *a, const char *key);
/* Help for one noun (NULL or unknown: everything) to f, or one command. */
void cli_help(const char *noun, void *f);
void cli_help_command(const struct cli_command *c, FILE *f);
/* pagoda __complete WORDS...: the candidates for the last word, one a line
 * (commands, flags, and application names from pagodad when can_call). */
int cli_complete(struct cli *c, int argc, char **argv, bool can_call);

/* ---- names and lists (cli_names.c) ---- */
bool cli_is_id(const char *s);
/* Appends &key=value (percent-encoded; nothing when value is NULL). */
void cli_query_add(char *q, size_t len, const char *key, const char *value);
/* Every page of list path printed as one table; "no applications" when
 * empty, and a word on stderr when there were more than shown. */
int cli_get_list(struct cli *c, const char *path, const struct cli_col *cols);
/* One call, its answer printed; body (may be NULL) is stolen. */
int cli_call_print(struct cli *c, const char *method, const char *path, json_t *body);
/* An object of list path named by id or name ("name"; with ns also an
 * application's NAMESPACE/NAME): its id in out. what names the kind. */
int cli_resolve(struct cli *c, const char *path, const char *what, bool ns, const char *arg,
                char out[32]);
int cli_resolve_app(struct cli *c, const char *arg, char out[32]);
int cli_resolve_node(struct cli *c, const char *arg, char out[32]);
/* A release by id or APP@vN (the application's version N). */
int cli_resolve_release(struct cli *c, const char *arg, char out[32]);
int cli_resolve_config(struct cli *c, const char *arg, char out[32]);
int cli_resolve_cert(struct cli *c, const char *arg, char out[32]);
/* fmt with the id of what arg names (resolve says of what kind) for %s. */
typedef int (*cli_resolver)(struct cli *c, const char *arg, char out[32]);
int cli_id_path(struct cli *c, cli_resolver resolve, const char *arg, const char *fmt, char *path,
                size_t len);

/* ---- what commands share (cli_apply.c, cli_watch.c, cli_logs.c) ---- */
int cli_apply(struct cli *c, const char *file, bool dry_run);
int cli_watch_release(struct cli *c, int64_t id, int interval_ms);
/* `pagoda logs APP` (cli_logs.c): the unit's journal on each node; follow
 * asks again every 2 s for what came after. */
int cli_logs(struct cli *c, const char *app, const char *node, int lines, long long since,
             bool follow);
/* A --since value as Unix seconds: "90s", "10m", "2h", "1d" before now, a
 * local "YYYY-MM-DD HH:MM[:SS]" (or with T), or Unix seconds. -1 when it
 * is none of these. */
int cli_parse_since(const char *s, long long now, long long *out);
/* `pagoda apps status APP`: the unit's state from systemd on each node. */
int cli_app_status(struct cli *c, const char *app, int runs);
/* Makes a join token from body (POST /admin/join-tokens) and prints the
 * line that joins a new machine with it: the installer's digest and the
 * CA's fingerprint pinned, for server (NULL: --addr) as that machine
 * reaches it. */
int cli_join_command(struct cli *c, json_t *body, const char *server);

/* ---- the handlers, one file a noun (cli_table.c lists them) ---- */
int cli_nodes_ls(struct cli *c, const struct cli_args *a);
int cli_nodes_show(struct cli *c, const struct cli_args *a);
int cli_nodes_cordon(struct cli *c, const struct cli_args *a); /* and uncordon */
int cli_nodes_rotate_token(struct cli *c, const struct cli_args *a);
int cli_nodes_run(struct cli *c, const struct cli_args *a);
int cli_nodes_join(struct cli *c, const struct cli_args *a); /* join-token, join-command */
int cli_nodes_upgrade(struct cli *c, const struct cli_args *a);
int cli_nodes_upgrades(struct cli *c, const struct cli_args *a);
int cli_apply_cmd(struct cli *c, const struct cli_args *a); /* apply, plan, apps apply */
int cli_apps_ls(struct cli *c, const struct cli_args *a);
int cli_apps_show(struct cli *c, const struct cli_args *a);
int cli_apps_deploy(struct cli *c, const struct cli_args *a); /* and pagoda deploy */
int cli_apps_delete(struct cli *c, const struct cli_args *a);
int cli_apps_restart(struct cli *c, const struct cli_args *a);
int cli_apps_status(struct cli *c, const struct cli_args *a);
int cli_apps_run(struct cli *c, const struct cli_args *a);
int cli_logs_cmd(struct cli *c, const struct cli_args *a);
int cli_releases_ls(struct cli *c, const struct cli_args *a);
int cli_releases_create(struct cli *c, const struct cli_args *a);
int cli_releases_show(struct cli *c, const struct cli_args *a);
int cli_releases_act(struct cli *c, const struct cli_args *a); /* execute, pause, ... */
int cli_releases_rollback(struct cli *c, const struct cli_args *a);
int cli_releases_watch(struct cli *c, const struct cli_args *a);
int cli_configs_ls(struct cli *c, const struct cli_args *a);
int cli_configs_show(struct cli *c, const struct cli_args *a);
int cli_configs_versions(struct cli *c, const struct cli_args *a);
int cli_configs_edit(struct cli *c, const struct cli_args *a);
int cli_configs_diff(struct cli *c, const struct cli_args *a);
int cli_configs_publish(struct cli *c, const struct cli_args *a); /* and rollback */
int cli_certs_ls(struct cli *c, const struct cli_args *a);
int cli_certs_show(struct cli *c, const struct cli_args *a);
int cli_certs_renew(struct cli *c, const struct cli_args *a);
int cli_certs_add(struct cli *c, const struct cli_args *a); /* issue, import */
int cli_certs_deploy(struct cli *c, const struct cli_args *a);
int cli_registry_services(struct cli *c, const struct cli_args *a);
int cli_registry_endpoints(struct cli *c, const struct cli_args *a);
int cli_policies(struct cli *c, const struct cli_args *a); /* ls, reload */
int cli_alerts_ls(struct cli *c, const struct cli_args *a);
int cli_alerts_ack(struct cli *c, const struct cli_args *a);
int cli_alerts_channels(struct cli *c, const struct cli_args *a);
int cli_alerts_test(struct cli *c, const struct cli_args *a);
int cli_tasks_ls(struct cli *c, const struct cli_args *a);
int cli_tasks_one(struct cli *c, const struct cli_args *a); /* show, cancel */
int cli_audit(struct cli *c, const struct cli_args *a);
int cli_backup_create(struct cli *c, const struct cli_args *a);
int cli_backup_ls(struct cli *c, const struct cli_args *a);
int cli_backup_get(struct cli *c, const struct cli_args *a);
int cli_backup_delete(struct cli *c, const struct cli_args *a);
int cli_completion(struct cli *c, const struct cli_args *a);

/* Reads a JSON file ("-" for stdin). NULL with a message printed. */
json_t *cli_read_json(const char *file);

#endif
