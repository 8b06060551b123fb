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
/* pagoda backup create | ls | get | delete (cli_backup.c); argv after the noun. */
int cli_backup(struct cli *c, int argc, char **argv);

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

/* ---- commands (cli_cmds.c, cli_apply.c, cli_watch.c) ---- */
/* argv starts at the noun: "nodes", "ls", ... */
int cli_run(struct cli *c, int argc, char **argv);
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
/* ---- the command table (cli_table.c) ---- */
struct cli_flag {
	const char *name, *arg; /* arg: what its value is; NULL: a switch */
	const char *help;
};
struct cli_command {
	const char *noun, *verb; /* verb NULL: the noun alone ("apply", "logs") */
	const char *args;        /* the words it takes, "ID FROM TO" */
	int min_pos, max_pos;
	const char *summary;
	const struct cli_flag *flags; /* ends with {0} */
};
extern const struct cli_command cli_commands[];
/* Checks argv (noun first, global flags taken out) against the table: an
 * unknown command or flag, a missing value or a wrong number of words is
 * said on stderr (with the nearest command or flag) and CLI_USAGE returned.
 * Otherwise *out (argc *out_argc, to free; its strings are argv's) is the
 * line as the handlers read it: noun [verb], then each flag with a value
 * (a switch "true"), and the words. */
int cli_check(int argc, char **argv, const struct cli_command **cmd, char ***out, int *out_argc);
/* Help for one noun (NULL or unknown: everything) to f, or one command;
 * cli_usage prints the noun's to stderr and returns CLI_USAGE. */
void cli_help(const char *noun, void *f);
void cli_help_command(const struct cli_command *c, FILE *f);
int cli_usage(const char *noun);
/* pagoda __complete WORDS...: the candidates for the last word, one a line
 * (commands, flags, and application names from pagodad when can_call). */
int cli_complete(struct cli *c, int argc, char **argv, bool can_call);
/* pagoda completion bash|zsh: the script that wires it into the shell. */
void cli_completion_script(const char *shell, FILE *f);

/* Reads a JSON file ("-" for stdin). NULL with a message printed. */
json_t *cli_read_json(const char *file);

#endif
