/* Private to lua/: shared between the host, conversions and the C API. */
#ifndef PLUA_INT_H
#define PLUA_INT_H

#include <curl/curl.h>
#include <lua.h>
#include <pthread.h>
#include <stdbool.h>

#include "lua/plua.h"

#define PLUA_MAX_DEPS 24
#define PLUA_MAX_DEPTH 64

/* Where a file came from and what it was, to notice changes cheaply. */
struct plua_file {
	char rel[160];
	char origin[10]; /* "bundled" or "override" */
	int64_t mtime_ns;
	char hash[65];
};

/* One lua_State and its accounting; the allocator's userdata. */
struct plua_state {
	lua_State *L;
	struct script *script;
	size_t mem_used, mem_limit;
	uint64_t budget, used;
	int64_t wall_ms, deadline_ms; /* wall-clock limit of a call, its end */
	char err_field[96];           /* field named by the last error object, if any */
	struct plua_file deps[PLUA_MAX_DEPS];
	int ndeps;
};

struct script {
	char rel[160];
	pthread_mutex_t lock;
	struct plua_state *good; /* last good version, or NULL */
	int module_ref;
	int64_t loaded_at;
	/* the last failed attempt: not retried until its files change */
	struct plua_file failed[PLUA_MAX_DEPS];
	int nfailed;
	bool load_failing; /* the newest files did not load */
	char last_error[1024];
	int64_t last_error_at;
	uint64_t calls, errors;
	struct script *next;
};

struct plua_event {
	char action[32], rel[160], error[512];
	struct plua_event *next;
};

struct plua {
	struct plua_opts opts;
	char *lua_dir, *plugin_dir;
	struct script *scripts;
	pthread_mutex_t lock; /* guards scripts list and events */
	struct plua_event *events;
	json_t *settings; /* --plugin-settings, guarded by lock; NULL: none */
	pthread_t watcher;
	bool watching, stopping;
	pthread_mutex_t stop_lock;
	pthread_cond_t stop_cond;
};

/* States (plua_host.c): a sandboxed state as scripts get it, the loading of
 * a resolved file into it (the chunk is left on the stack, its _ENV set to
 * the sandbox, kept in the registry as "pagoda.env"), and a budgeted
 * protected call leaving one result. */
struct plua_state *plua_sandbox_new(struct plua *h, struct script *sc, bool plugin,
                                    struct pg_err *err);
void plua_sandbox_free(struct plua_state *s);
int plua_load_chunk(struct plua_state *s, const char *rel, struct pg_err *err);
int plua_pcall(struct plua_state *s, int nargs, const char *what, struct pg_err *err);

/* The operator's settings of plugin rel ("plugins/dns/exec.lua"): a new
 * reference to an object, empty when there are none. */
json_t *plua_plugin_settings(struct plua *h, const char *rel);

/* Pattern matching (plua_pattern.c): the worst-case backtracking of a Lua
 * pattern on a subject, and the guard installed on the string table at
 * index string_table that refuses a call above PLUA_PATTERN_LIMIT. */
#define PLUA_PATTERN_LIMIT 1e8
double plua_pattern_cost(const char *s, size_t len, const char *p, size_t plen);
void plua_pattern_guard(lua_State *L, int string_table);

/* Files (plua_files.c). */
int plua_file_read(struct plua *h, const char *rel, char **data, size_t *len,
                   struct plua_file *meta, struct pg_err *err);
/* True when rel now resolves differently from meta (edited, added, removed). */
bool plua_file_changed(struct plua *h, const struct plua_file *meta);
/* Calls fn for each bundled and override file under dir ("policies", "plugins/dns"). */
void plua_file_each(struct plua *h, const char *dir, void (*fn)(const char *rel, void *arg),
                    void *arg);

/* Conversions (plua_conv.c). */
void plua_push_json(lua_State *L, json_t *v, int depth);
/* Converts the value at idx; NULL with err naming path on failure. */
json_t *plua_to_json(lua_State *L, int idx, const char *path, struct pg_err *err);

/* The `pagoda` table scripts see (plua_api.c); plugins get http and exec. */
void plua_api_open(lua_State *L, bool plugin);
/* A libcurl handle for url limited to protocols, with pagoda's timeouts
 * (the whole exchange in timeout seconds, 10 s to connect) and ca as the
 * trusted roots when given: what pagoda.http and pagoda.smtp share. */
CURL *plua_curl_new(const char *url, const char *protocols, long timeout, const char *ca);

/* pagoda.smtp (plua_smtp.c), for notify plugins. */
int plua_smtp(lua_State *L);

/* pagoda.dns_exchange (plua_dns.c), for DNS plugins. */
int plua_dns_exchange(lua_State *L);

#endif
