/* plua: the embedded Lua host. Every operator-changeable behaviour (policies,
 * templates, plugins) is a Lua script that C calls through here, with plain
 * JSON-shaped values in and out.
 *
 * Each script runs in its own lua_State: a sandbox (no io, os.execute, debug,
 * package, binary chunks; unknown globals are errors), a memory cap and an
 * instruction budget per call. A file under --lua-dir (or --plugin-dir)
 * replaces the bundled file of the same relative path; bundled files are
 * compiled into the binary. Changed files are reloaded before use; a version
 * that fails to load or pass its self-check never replaces the last good one. */
#ifndef PLUA_H
#define PLUA_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/pg_call.h"
#include "common/pg_err.h"

struct plua;
struct store;

struct plua_opts {
	const char *lua_dir;    /* overrides of lua/ files, or NULL */
	const char *plugin_dir; /* overrides and additions to plugins/, or NULL */
	/* JSON file of the operator's plugin settings, {"dns": {"exec": {...}}},
	 * or NULL. Plugins read theirs with pagoda.settings(); API requests
	 * never reach it, so what a plugin runs or calls is the operator's. */
	const char *plugin_settings;
	size_t mem_limit;    /* bytes per script state; 0: 64 MiB */
	uint64_t budget;     /* Lua instructions per call; 0: 50 million */
	int64_t deadline_ms; /* wall clock per policy or template call; 0: 2000
	                      * (plugins, which wait on the network: 10 min) */
	struct store *store; /* audit of reloads; NULL in tests */
};

int plua_new(const struct plua_opts *o, struct plua **out, struct pg_err *err);
void plua_free(struct plua *h);

/* Calls the function fn of the module that script rel returns, with the
 * elements of args (a JSON array, borrowed) as arguments. *out receives the
 * first result as JSON (a new reference). Errors name the script. A call
 * waits at most PLUA_WAIT_MS for another caller of the same script (then
 * PG_EUNAVAIL), so a slow script never holds every thread. */
#define PLUA_WAIT_MS 2000
int plua_call(struct plua *h, const char *rel, const char *fn, json_t *args, json_t **out,
              struct pg_err *err);

/* *has: whether the loadable version of script rel has function fn (false
 * when there is no such script). Fails only when the script stays busy. */
int plua_has_function(struct plua *h, const char *rel, const char *fn, bool *has,
                      struct pg_err *err);
/* *on: whether the module's field flag is the boolean true (a plugin's
 * declaration, such as a DNS plugin's uses_zone). */
int plua_has_flag(struct plua *h, const char *rel, const char *flag, bool *on, struct pg_err *err);

/* Reloads every script whose files changed (all when force); audited. */
void plua_reload(struct plua *h, const struct pg_call *call, int force);
/* Reads --plugin-settings again (SIGHUP); a bad file keeps the last good. */
void plua_reload_settings(struct plua *h);
/* One object per script: path, origin, hash, loadedAt, lastError, calls... */
json_t *plua_status(struct plua *h);

/* Plugins of a kind ("dns", "notify"): [{name, version, path, origin}]. */
json_t *plua_plugins(struct plua *h, const char *kind);

/* Reads a resolved file (override first, then bundled): for template tests
 * and the render preview. *data is owned by the caller. */
int plua_read_file(struct plua *h, const char *rel, char **data, size_t *len, struct pg_err *err);

/* Runs the test file at path (a table of name -> function) in a sandbox
 * with module(rel) and, when helpers names a file, T from it. Prints one
 * line per test; counts into *passed and *failed. */
int plua_run_tests(struct plua *h, const char *path, const char *helpers, int *passed, int *failed,
                   struct pg_err *err);

#endif
