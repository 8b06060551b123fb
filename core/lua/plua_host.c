/* The Lua host: sandboxed states, budgets, calls, reloads. */
#include "audit/audit.h"
#include "common/pg_json.h"
#include "common/pg_log.h"
#include "common/pg_time.h"
#include "lua/plua_int.h"
#include "store/store.h"

#include <lauxlib.h>
#include <lualib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int luaopen_cjson_safe(lua_State *L);

/* The count hook fires every HOOK_STEP instructions. Measured on the 2-core
 * test machine: a tight loop spends the default 50 million in about 0.15 s,
 * while planning 1,000 nodes with the bundled batch.lua takes under 10 ms;
 * so a runaway script is cut off quickly and a real one never is. */
#define HOOK_STEP 1000
#define DEFAULT_BUDGET 50000000ULL
#define DEFAULT_MEM (64u << 20)
#define DEFAULT_WALL_MS 2000
#define PLUGIN_WALL_MS (10 * 60 * 1000)

static const char *const safe_globals[] = {
        "assert",   "error",        "ipairs",       "next",     "pairs",    "pcall",  "select",
        "tonumber", "tostring",     "type",         "xpcall",   "rawequal", "rawget", "rawlen",
        "rawset",   "setmetatable", "getmetatable", "_VERSION", NULL,
};
static const char *const safe_libs[] = {"string", "table", "math", "utf8", NULL};

/* ---- accounting: memory cap and instruction budget ---- */

static void *plua_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
	struct plua_state *s = ud;
	size_t old = ptr ? osize : 0;
	if (nsize == 0) {
		free(ptr);
		s->mem_used -= old;
		return NULL;
	}
	if (nsize > old && s->mem_used + (nsize - old) > s->mem_limit)
		return NULL; /* Lua raises "not enough memory" */
	void *p = realloc(ptr, nsize);
	if (p)
		s->mem_used = s->mem_used - old + nsize;
	return p;
}

static struct plua_state *state_of(lua_State *L)
{
	void *ud;
	lua_getallocf(L, &ud);
	return ud;
}

static void budget_hook(lua_State *L, lua_Debug *ar)
{
	struct plua_state *s = state_of(L);
	s->used += HOOK_STEP;
	if (s->used <= s->budget && pg_time_mono_ms() > s->deadline_ms) {
		lua_sethook(L, budget_hook, LUA_MASKCOUNT, 1);
		luaL_error(L, "wall-clock limit of %I ms exceeded", (lua_Integer)s->wall_ms);
	}
	if (s->used > s->budget) {
		/* From now on every instruction fails, so a pcall inside the
		 * script cannot swallow the error and carry on. */
		lua_sethook(L, budget_hook, LUA_MASKCOUNT, 1);
		luaL_error(L, "instruction budget of %I exceeded", (lua_Integer)s->budget);
	}
}

static void budget_start(struct plua_state *s)
{
	s->used = 0;
	s->deadline_ms = pg_time_mono_ms() + s->wall_ms;
	lua_sethook(s->L, budget_hook, LUA_MASKCOUNT, HOOK_STEP);
}

/* Error objects may be strings or {field = ..., message = ...} tables (from
 * lib/check.lua): the field is kept for the API's error answer. */
static int traceback(lua_State *L)
{
	struct plua_state *s = state_of(L);
	s->err_field[0] = '\0';
	if (lua_istable(L, 1)) {
		if (lua_getfield(L, 1, "field") == LUA_TSTRING)
			snprintf(s->err_field, sizeof(s->err_field), "%s", lua_tostring(L, -1));
		lua_getfield(L, 1, "message");
		lua_replace(L, 1);
		lua_settop(L, 1);
		if (s->err_field[0]) /* an input error: no traceback needed */
			return 1;
	}
	const char *msg = lua_tostring(L, 1);
	luaL_traceback(L, L, msg ? msg : "(error object is not a string)", 1);
	return 1;
}

/* Runs the function below nargs arguments on the stack, protected and
 * budgeted; leaves one result. On error fills err with the message (first
 * line of the traceback kept whole, the rest trimmed). */
int plua_pcall(struct plua_state *s, int nargs, const char *what, struct pg_err *err)
{
	lua_State *L = s->L;
	int base = lua_gettop(L) - nargs;
	lua_pushcfunction(L, traceback);
	lua_insert(L, base);
	budget_start(s);
	int rc = lua_pcall(L, nargs, 1, base);
	lua_sethook(L, NULL, 0, 0);
	lua_remove(L, base);
	if (rc == LUA_OK)
		return 0;
	const char *msg = lua_tostring(L, -1);
	pg_err_set(err, PG_EPRECOND, s->err_field, "%s: %s", what,
	           rc == LUA_ERRMEM ? "memory limit exceeded"
	           : msg            ? msg
	                            : "error");
	lua_pop(L, 1);
	return PG_EPRECOND;
}

/* ---- the sandbox ---- */

static void add_dep(struct plua_state *s, const struct plua_file *f)
{
	for (int i = 0; i < s->ndeps; i++)
		if (strcmp(s->deps[i].rel, f->rel) == 0)
			return;
	if (s->ndeps < PLUA_MAX_DEPS)
		s->deps[s->ndeps++] = *f;
}

/* Reads rel through the host, recording it as a dependency of the script. */
static char *read_dep(lua_State *L, const char *rel, size_t *len)
{
	struct plua_state *s = state_of(L);
	struct plua *h = NULL;
	lua_getfield(L, LUA_REGISTRYINDEX, "pagoda.host");
	h = lua_touserdata(L, -1);
	lua_pop(L, 1);
	struct plua_file meta;
	struct pg_err err = {0};
	char *data = NULL;
	if (plua_file_read(h, rel, &data, len, &meta, &err) != 0) {
		lua_pushstring(L, err.message);
		return NULL;
	}
	add_dep(s, &meta);
	return data;
}

/* load(text [, chunkname]): text chunks only, always in the sandbox. */
static int l_load(lua_State *L)
{
	size_t len;
	const char *text = luaL_checklstring(L, 1, &len);
	const char *name = luaL_optstring(L, 2, "=(load)");
	if (luaL_loadbufferx(L, text, len, name, "t") != LUA_OK) {
		lua_pushnil(L);
		lua_insert(L, -2);
		return 2;
	}
	lua_pushvalue(L, lua_upvalueindex(1)); /* the sandbox env */
	lua_setupvalue(L, -2, 1);
	return 1;
}

/* require(name): only lib/<name>.lua, resolved like every script file. */
static int l_require(lua_State *L)
{
	const char *name = luaL_checkstring(L, 1);
	for (const char *p = name; *p; p++)
		if (!strchr("abcdefghijklmnopqrstuvwxyz0123456789_", *p))
			return luaL_error(L, "require: '%s' is not a bundled library name", name);
	lua_getfield(L, LUA_REGISTRYINDEX, "pagoda.loaded");
	if (lua_getfield(L, -1, name) != LUA_TNIL)
		return 1;
	lua_pop(L, 1);
	char rel[128];
	snprintf(rel, sizeof(rel), "lib/%s.lua", name);
	size_t len;
	char *src = read_dep(L, rel, &len);
	if (!src)
		return luaL_error(L, "require '%s': %s", name, lua_tostring(L, -1));
	char chunk[140];
	snprintf(chunk, sizeof(chunk), "@%s", rel);
	int rc = luaL_loadbufferx(L, src, len, chunk, "t");
	free(src);
	if (rc != LUA_OK)
		return lua_error(L);
	lua_pushvalue(L, lua_upvalueindex(1));
	lua_setupvalue(L, -2, 1);
	lua_call(L, 0, 1);
	if (lua_isnil(L, -1)) {
		lua_pop(L, 1);
		lua_pushboolean(L, 1);
	}
	lua_pushvalue(L, -1);
	lua_setfield(L, -3, name);
	return 1;
}

/* resource(rel): the text of a template under templates/. */
static int l_resource(lua_State *L)
{
	const char *rel = luaL_checkstring(L, 1);
	if (strncmp(rel, "templates/", 10) != 0 || strstr(rel, "..") || strlen(rel) > 120)
		return luaL_error(L, "resource: '%s' is not a template path", rel);
	size_t len;
	char *data = read_dep(L, rel, &len);
	if (!data)
		return luaL_error(L, "resource '%s': %s", rel, lua_tostring(L, -1));
	lua_pushlstring(L, data, len);
	free(data);
	return 1;
}

static int l_strict_index(lua_State *L)
{
	return luaL_error(L, "unknown global '%s'", lua_tostring(L, 2));
}

static int l_strict_newindex(lua_State *L)
{
	return luaL_error(L, "assignment to global '%s' (declare it local)", lua_tostring(L, 2));
}

/* setmetatable without finalizers: a __gc runs when the collector decides,
 * outside any call's budget and deadline (an endless one wedged every
 * thread waiting on the script). */
static int l_setmetatable(lua_State *L)
{
	lua_settop(L, 2);
	if (lua_istable(L, 2) && (lua_pushliteral(L, "__gc"), lua_rawget(L, 2)) != LUA_TNIL)
		return luaL_error(
		        L, "setmetatable: __gc finalizers are not allowed in Pagoda scripts");
	lua_settop(L, 2);
	lua_pushvalue(L, lua_upvalueindex(1));
	lua_insert(L, 1);
	lua_call(L, 2, 1);
	return 1;
}

/* Builds the sandbox env table and leaves it on the stack. */
static void push_sandbox(lua_State *L, bool plugin)
{
	luaL_openlibs(L); /* into the real _G, which scripts never see */
	/* Strings share the real string table as their metatable's __index:
	 * take string.dump out of it rather than out of a copy. */
	lua_getglobal(L, "string");
	lua_pushnil(L);
	lua_setfield(L, -2, "dump");
	plua_pattern_guard(L, lua_gettop(L));
	lua_pop(L, 1);
	lua_newtable(L);
	int env = lua_gettop(L);
	for (int i = 0; safe_globals[i]; i++) {
		lua_getglobal(L, safe_globals[i]);
		lua_setfield(L, env, safe_globals[i]);
	}
	for (int i = 0; safe_libs[i]; i++) {
		lua_getglobal(L, safe_libs[i]);
		lua_setfield(L, env, safe_libs[i]);
	}
	lua_getglobal(L, "setmetatable");
	lua_pushcclosure(L, l_setmetatable, 1);
	lua_setfield(L, env, "setmetatable");
	lua_newtable(L); /* os: time and clock only */
	lua_getglobal(L, "os");
	lua_getfield(L, -1, "time");
	lua_setfield(L, -3, "time");
	lua_getfield(L, -1, "clock");
	lua_setfield(L, -3, "clock");
	lua_getfield(L, -1, "date");
	lua_setfield(L, -3, "date");
	lua_pop(L, 1);
	lua_setfield(L, env, "os");
	luaL_requiref(L, "cjson", luaopen_cjson_safe, 0);
	lua_setfield(L, env, "json");
	plua_api_open(L, plugin);
	lua_setfield(L, env, "pagoda");
	lua_pushvalue(L, env);
	lua_pushcclosure(L, l_load, 1);
	lua_setfield(L, env, "load");
	lua_pushvalue(L, env);
	lua_pushcclosure(L, l_require, 1);
	lua_setfield(L, env, "require");
	lua_pushcfunction(L, l_resource);
	lua_setfield(L, env, "resource");
	lua_newtable(L);
	lua_setfield(L, LUA_REGISTRYINDEX, "pagoda.loaded");
	lua_pushvalue(L, env);
	lua_setfield(L, LUA_REGISTRYINDEX, "pagoda.env");
	/* Unknown globals are errors, reads and writes alike. */
	lua_newtable(L);
	lua_pushcfunction(L, l_strict_index);
	lua_setfield(L, -2, "__index");
	lua_pushcfunction(L, l_strict_newindex);
	lua_setfield(L, -2, "__newindex");
	lua_pushboolean(L, 0);
	lua_setfield(L, -2, "__metatable");
	lua_setmetatable(L, env);
}

static void state_free(struct plua_state *s)
{
	if (!s)
		return;
	if (s->L)
		lua_close(s->L);
	free(s);
}

/* Required functions per kind of script: the self-check of a new version. */
static const char *const *required_fns(const char *rel)
{
	static const char *const batch[] = {"plan", NULL}, *const upstream[] = {"filter", NULL},
	                         *const rollback[] = {"decide", NULL},
	                         *const drift[] = {"decide", NULL}, *const tpl[] = {"render", NULL},
	                         *const dns[] = {"present", "cleanup", NULL},
	                         *const notify[] = {"send", NULL}, *const none[] = {NULL};
	if (strcmp(rel, "policies/batch.lua") == 0)
		return batch;
	if (strcmp(rel, "policies/upstream.lua") == 0)
		return upstream;
	if (strcmp(rel, "policies/rollback.lua") == 0)
		return rollback;
	if (strcmp(rel, "policies/drift.lua") == 0)
		return drift;
	if (strncmp(rel, "templates/", 10) == 0)
		return tpl;
	if (strncmp(rel, "plugins/dns/", 12) == 0)
		return dns;
	if (strncmp(rel, "plugins/notify/", 15) == 0)
		return notify;
	return none;
}

struct plua_state *plua_sandbox_new(struct plua *h, struct script *sc, bool plugin,
                                    struct pg_err *err)
{
	struct plua_state *s = calloc(1, sizeof(*s));
	if (!s) {
		pg_err_set(err, PG_EINTERNAL, "", "out of memory");
		return NULL;
	}
	s->script = sc;
	s->mem_limit = h->opts.mem_limit ? h->opts.mem_limit : DEFAULT_MEM;
	s->budget = h->opts.budget ? h->opts.budget : DEFAULT_BUDGET;
	s->wall_ms = plugin                ? PLUGIN_WALL_MS
	             : h->opts.deadline_ms ? h->opts.deadline_ms
	                                   : DEFAULT_WALL_MS;
	s->L = lua_newstate(plua_alloc, s);
	if (!s->L) {
		free(s);
		pg_err_set(err, PG_EINTERNAL, "",
		           "cannot create a Lua state (memory limit too low?)");
		return NULL;
	}
	lua_pushlightuserdata(s->L, h);
	lua_setfield(s->L, LUA_REGISTRYINDEX, "pagoda.host");
	push_sandbox(s->L, plugin);
	lua_settop(s->L, 0);
	return s;
}

void plua_sandbox_free(struct plua_state *s)
{
	state_free(s);
}

int plua_load_chunk(struct plua_state *s, const char *rel, struct pg_err *err)
{
	struct plua *h;
	lua_State *L = s->L;
	lua_getfield(L, LUA_REGISTRYINDEX, "pagoda.host");
	h = lua_touserdata(L, -1);
	lua_pop(L, 1);
	char *src = NULL;
	size_t len = 0;
	struct plua_file meta;
	int rc = plua_file_read(h, rel, &src, &len, &meta, err);
	if (rc != 0)
		return rc;
	add_dep(s, &meta);
	char chunk[170];
	snprintf(chunk, sizeof(chunk), "@%s", rel);
	if (luaL_loadbufferx(L, src, len, chunk, "t") != LUA_OK) {
		free(src);
		rc = pg_err_set(err, PG_EPRECOND, "", "%s", lua_tostring(L, -1));
		lua_pop(L, 1);
		return rc;
	}
	free(src);
	lua_getfield(L, LUA_REGISTRYINDEX, "pagoda.env");
	lua_setupvalue(L, -2, 1);
	return 0;
}

/* Compiles, runs and self-checks a fresh version of sc; on success *out
 * holds the state with the module table at registry ref *ref. */
static int state_load(struct plua *h, struct script *sc, struct plua_state **out, int *ref,
                      struct plua_file *deps, int *ndeps, struct pg_err *err)
{
	int rc = 0;
	struct plua_state *s = plua_sandbox_new(h, sc, strncmp(sc->rel, "plugins/", 8) == 0, err);
	if (!s)
		return err->code;
	lua_State *L = s->L;
	rc = plua_load_chunk(s, sc->rel, err);
	if (rc != 0)
		goto out;
	rc = plua_pcall(s, 0, "loading", err);
	if (rc != 0)
		goto out;
	if (!lua_istable(L, -1)) {
		rc = pg_err_set(err, PG_EPRECOND, "",
		                "the script must return a table of functions");
		goto out;
	}
	for (const char *const *fn = required_fns(sc->rel); *fn; fn++) {
		if (lua_getfield(L, -1, *fn) != LUA_TFUNCTION)
			rc = pg_err_set(err, PG_EPRECOND, "", "the module has no function '%s'",
			                *fn);
		lua_pop(L, 1);
		if (rc)
			goto out;
	}
	if (lua_getfield(L, -1, "selftest") == LUA_TFUNCTION) {
		rc = plua_pcall(s, 0, "selftest", err);
		if (rc != 0)
			goto out;
	}
	lua_pop(L, 1);
	*ref = luaL_ref(L, LUA_REGISTRYINDEX);
	lua_settop(L, 0);
	lua_gc(L, LUA_GCCOLLECT);
out:
	memcpy(deps, s->deps, sizeof(s->deps));
	*ndeps = s->ndeps;
	if (rc != 0) {
		state_free(s);
		return rc;
	}
	*out = s;
	return 0;
}

static bool deps_changed(struct plua *h, const struct plua_file *deps, int n)
{
	for (int i = 0; i < n; i++)
		if (plua_file_changed(h, &deps[i]))
			return true;
	return false;
}

static void queue_event(struct plua *h, const char *action, const char *rel, const char *error)
{
	struct plua_event *e = calloc(1, sizeof(*e));
	if (!e)
		return;
	snprintf(e->action, sizeof(e->action), "%s", action);
	snprintf(e->rel, sizeof(e->rel), "%s", rel);
	snprintf(e->error, sizeof(e->error), "%s", error ? error : "");
	pthread_mutex_lock(&h->lock);
	e->next = h->events;
	h->events = e;
	pthread_mutex_unlock(&h->lock);
}

/* Loads a new version if the files changed (or force); sc->lock held.
 * Returns true when a reload was attempted. */
static bool refresh(struct plua *h, struct script *sc, bool force)
{
	if (sc->good && !force && !deps_changed(h, sc->good->deps, sc->good->ndeps))
		return false;
	if (!force && sc->nfailed && !deps_changed(h, sc->failed, sc->nfailed))
		return false; /* the same broken files: do not retry on every call */
	struct plua_state *s = NULL;
	struct plua_file deps[PLUA_MAX_DEPS];
	int ndeps = 0, ref = LUA_NOREF;
	struct pg_err err = {0};
	if (state_load(h, sc, &s, &ref, deps, &ndeps, &err) != 0) {
		memcpy(sc->failed, deps, sizeof(deps));
		sc->nfailed = ndeps > 0 ? ndeps : 0;
		sc->load_failing = true;
		snprintf(sc->last_error, sizeof(sc->last_error), "%s", err.message);
		sc->last_error_at = pg_time_now_ms();
		pg_error("lua", "%s: %s; %s", sc->rel, err.message,
		         sc->good ? "keeping the last good version" : "no version is loaded");
		queue_event(h, "policy.reload_failed", sc->rel, err.message);
		return true;
	}
	bool first = sc->good == NULL;
	state_free(sc->good);
	sc->good = s;
	sc->module_ref = ref;
	sc->nfailed = 0;
	sc->load_failing = false;
	sc->loaded_at = pg_time_now_ms();
	pg_info("lua", "%s loaded (%s, sha256 %.12s)", sc->rel, s->deps[0].origin, s->deps[0].hash);
	if (!first)
		queue_event(h, "policy.reload", sc->rel, NULL);
	return true;
}

static struct script *find(struct plua *h, const char *rel)
{
	pthread_mutex_lock(&h->lock);
	struct script *sc = h->scripts;
	while (sc && strcmp(sc->rel, rel) != 0)
		sc = sc->next;
	pthread_mutex_unlock(&h->lock);
	return sc;
}

static void add_script(const char *rel, void *arg)
{
	struct plua *h = arg;
	if (find(h, rel))
		return;
	struct script *sc = calloc(1, sizeof(*sc));
	if (!sc)
		return;
	snprintf(sc->rel, sizeof(sc->rel), "%s", rel);
	pthread_mutex_init(&sc->lock, NULL);
	sc->module_ref = LUA_NOREF;
	pthread_mutex_lock(&h->lock);
	/* keep the list sorted for stable listings */
	struct script **pp = &h->scripts;
	while (*pp && strcmp((*pp)->rel, rel) < 0)
		pp = &(*pp)->next;
	sc->next = *pp;
	*pp = sc;
	pthread_mutex_unlock(&h->lock);
}

static void discover(struct plua *h)
{
	static const char *const dirs[] = {"policies", "templates", "plugins/dns", "plugins/notify",
	                                   NULL};
	for (int i = 0; dirs[i]; i++)
		plua_file_each(h, dirs[i], add_script, h);
}

/* The script rel, locked (waiting at most PLUA_WAIT_MS for another
 * caller) and refreshed; NULL with err filled when there is none or it is
 * busy. The caller unlocks sc->lock. */
static struct script *script_lock(struct plua *h, const char *rel, struct pg_err *err)
{
	struct script *sc = find(h, rel);
	if (!sc) {
		discover(h); /* a plugin dropped into --plugin-dir since the last look */
		if (!(sc = find(h, rel))) {
			pg_err_set(err, PG_ENOTFOUND, "", "no script %s", rel);
			return NULL;
		}
	}
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += PLUA_WAIT_MS / 1000;
	if (pthread_mutex_timedlock(&sc->lock, &until) != 0) {
		pg_err_set(err, PG_EUNAVAIL, "",
		           "%s is busy with another call for over %d ms; retry", rel, PLUA_WAIT_MS);
		return NULL;
	}
	refresh(h, sc, false);
	return sc;
}

int plua_call(struct plua *h, const char *rel, const char *fn, json_t *args, json_t **out,
              struct pg_err *err)
{
	*out = NULL;
	struct script *sc = script_lock(h, rel, err);
	if (!sc)
		return err->code;
	int rc = 0;
	if (!sc->good) {
		rc = pg_err_set(err, PG_EPRECOND, "", "%s has no loadable version: %s", rel,
		                sc->last_error);
		goto out;
	}
	struct plua_state *s = sc->good;
	lua_State *L = s->L;
	lua_rawgeti(L, LUA_REGISTRYINDEX, sc->module_ref);
	if (lua_getfield(L, -1, fn) != LUA_TFUNCTION) {
		lua_settop(L, 0);
		rc = pg_err_set(err, PG_EPRECOND, "", "%s has no function %s", rel, fn);
		goto out;
	}
	lua_remove(L, -2);
	size_t i, n = json_array_size(args);
	json_t *a;
	luaL_checkstack(L, (int)n + 4, "arguments");
	json_array_foreach (args, i, a)
		plua_push_json(L, a, 0);
	char what[220];
	snprintf(what, sizeof(what), "%s %s()", rel, fn);
	sc->calls++;
	rc = plua_pcall(s, (int)n, what, err);
	if (rc == 0) {
		char path[64] = "";
		*out = plua_to_json(L, -1, path, err);
		if (!*out) {
			char msg[sizeof(err->message)];
			snprintf(msg, sizeof(msg), "%s", err->message);
			rc = pg_err_set(err, PG_EPRECOND, err->field, "%s returned a bad value: %s",
			                what, msg);
		}
	}
	lua_settop(L, 0);
	if (rc != 0) {
		sc->errors++;
		snprintf(sc->last_error, sizeof(sc->last_error), "%s", err->message);
		sc->last_error_at = pg_time_now_ms();
	}
	/* Return garbage made by this call now, not at some later caller's cost. */
	lua_gc(L, LUA_GCSTEP, 0);
out:
	pthread_mutex_unlock(&sc->lock);
	return rc;
}

/* The Lua type of the good version's module field (LUA_TNIL when the
 * script is missing or has no good version), and its truth. */
static int module_field(struct plua *h, const char *rel, const char *field, int *type, bool *truth,
                        struct pg_err *err)
{
	*type = LUA_TNIL;
	*truth = false;
	struct script *sc = script_lock(h, rel, err);
	if (!sc)
		return err->code == PG_ENOTFOUND ? 0 : err->code;
	if (sc->good) {
		lua_State *L = sc->good->L;
		lua_rawgeti(L, LUA_REGISTRYINDEX, sc->module_ref);
		*type = lua_getfield(L, -1, field);
		*truth = lua_toboolean(L, -1);
		lua_settop(L, 0);
	}
	pthread_mutex_unlock(&sc->lock);
	return 0;
}

int plua_has_function(struct plua *h, const char *rel, const char *fn, bool *has,
                      struct pg_err *err)
{
	int type;
	bool truth;
	int rc = module_field(h, rel, fn, &type, &truth, err);
	*has = type == LUA_TFUNCTION;
	return rc;
}

int plua_has_flag(struct plua *h, const char *rel, const char *flag, bool *on, struct pg_err *err)
{
	int type;
	int rc = module_field(h, rel, flag, &type, on, err);
	*on = *on && type == LUA_TBOOLEAN;
	return rc;
}

static void flush_events(struct plua *h, const struct pg_call *call)
{
	pthread_mutex_lock(&h->lock);
	struct plua_event *e = h->events;
	h->events = NULL;
	pthread_mutex_unlock(&h->lock);
	struct pg_err err = {0};
	struct store_conn *c = h->opts.store ? store_conn_get(h->opts.store, &err) : NULL;
	while (e) {
		struct plua_event *next = e->next;
		if (c && store_begin(c, STORE_TX_WRITE, &err) == 0) {
			json_t *d = json_pack("{s:s}", "path", e->rel);
			if (e->error[0])
				json_object_set_new(d, "error", json_string(e->error));
			int rc = audit_record(c, call, e->action, "policy", 0, d, &err);
			json_decref(d);
			store_end(c, rc, &err);
		}
		free(e);
		e = next;
	}
}

void plua_reload(struct plua *h, const struct pg_call *call, int force)
{
	discover(h);
	pthread_mutex_lock(&h->lock);
	struct script *list = h->scripts;
	pthread_mutex_unlock(&h->lock);
	for (struct script *sc = list; sc; sc = sc->next) {
		pthread_mutex_lock(&sc->lock);
		refresh(h, sc, force);
		pthread_mutex_unlock(&sc->lock);
	}
	flush_events(h, call);
}

json_t *plua_status(struct plua *h)
{
	json_t *items = json_array();
	pthread_mutex_lock(&h->lock);
	struct script *list = h->scripts;
	pthread_mutex_unlock(&h->lock);
	for (struct script *sc = list; sc; sc = sc->next) {
		pthread_mutex_lock(&sc->lock);
		json_t *o = json_pack("{s:s, s:b, s:I, s:I}", "path", sc->rel, "loaded",
		                      sc->good != NULL, "calls", (json_int_t)sc->calls, "errors",
		                      (json_int_t)sc->errors);
		if (sc->good) {
			json_object_set_new(o, "origin", json_string(sc->good->deps[0].origin));
			json_object_set_new(o, "sha256", json_string(sc->good->deps[0].hash));
			json_t *deps = json_array();
			for (int i = 1; i < sc->good->ndeps; i++)
				json_array_append_new(deps,
				                      json_pack("{s:s, s:s, s:s}", "path",
				                                sc->good->deps[i].rel, "origin",
				                                sc->good->deps[i].origin, "sha256",
				                                sc->good->deps[i].hash));
			json_object_set_new(o, "uses", deps);
			json_object_set_new(o, "memoryBytes",
			                    json_integer((json_int_t)sc->good->mem_used));
		}
		pg_json_set_time(o, "loadedAt", sc->loaded_at);
		json_object_set_new(o, "lastError",
		                    sc->last_error[0] ? json_string(sc->last_error) : json_null());
		json_object_set_new(o, "loadFailing", json_boolean(sc->load_failing));
		pg_json_set_time(o, "lastErrorAt", sc->last_error_at);
		pthread_mutex_unlock(&sc->lock);
		json_array_append_new(items, o);
	}
	return items;
}

json_t *plua_plugins(struct plua *h, const char *kind)
{
	char prefix[64];
	snprintf(prefix, sizeof(prefix), "plugins/%s/", kind);
	json_t *out = json_array();
	pthread_mutex_lock(&h->lock);
	struct script *list = h->scripts;
	pthread_mutex_unlock(&h->lock);
	for (struct script *sc = list; sc; sc = sc->next) {
		if (strncmp(sc->rel, prefix, strlen(prefix)) != 0)
			continue;
		pthread_mutex_lock(&sc->lock);
		if (sc->good) {
			lua_State *L = sc->good->L;
			lua_rawgeti(L, LUA_REGISTRYINDEX, sc->module_ref);
			lua_getfield(L, -1, "name");
			lua_getfield(L, -2, "version");
			json_array_append_new(
			        out,
			        json_pack("{s:s, s:s, s:s, s:s}", "name",
			                  lua_isstring(L, -2) ? lua_tostring(L, -2) : "?",
			                  "version",
			                  lua_isstring(L, -1) ? lua_tostring(L, -1) : "?", "path",
			                  sc->rel, "origin", sc->good->deps[0].origin));
			lua_settop(L, 0);
		}
		pthread_mutex_unlock(&sc->lock);
	}
	return out;
}

int plua_read_file(struct plua *h, const char *rel, char **data, size_t *len, struct pg_err *err)
{
	struct plua_file meta;
	return plua_file_read(h, rel, data, len, &meta, err);
}

/* Picks up edited files within seconds even when nothing calls them. */
static void *watch_main(void *arg)
{
	struct plua *h = arg;
	static const struct pg_call call = {"system", NULL, NULL};
	pthread_mutex_lock(&h->stop_lock);
	while (!h->stopping) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += 2;
		pthread_cond_timedwait(&h->stop_cond, &h->stop_lock, &ts);
		if (h->stopping)
			break;
		pthread_mutex_unlock(&h->stop_lock);
		plua_reload(h, &call, 0);
		pthread_mutex_lock(&h->stop_lock);
	}
	pthread_mutex_unlock(&h->stop_lock);
	return NULL;
}

/* Reads --plugin-settings: {"KIND": {"NAME": {...}}} with objects only. */
static int settings_load(struct plua *h, struct pg_err *err)
{
	if (!h->opts.plugin_settings)
		return 0;
	json_t *all = pg_json_read_file(h->opts.plugin_settings, 0, err), *kind, *one;
	if (!all)
		return err->code;
	const char *k, *n;
	int rc = json_is_object(all) ? 0 : PG_EINVAL;
	json_object_foreach (all, k, kind) {
		if (rc == 0 && strcmp(k, "dns") && strcmp(k, "notify"))
			rc = PG_EINVAL;
		if (rc == 0 && !json_is_object(kind))
			rc = PG_EINVAL;
		json_object_foreach (kind, n, one)
			if (rc == 0 && !json_is_object(one))
				rc = PG_EINVAL;
	}
	if (rc != 0) {
		json_decref(all);
		return pg_err_set(err, PG_EINVAL, "plugin-settings",
		                  "%s must be a JSON object {\"dns\"|\"notify\": {\"PLUGIN\": "
		                  "{...settings}}}",
		                  h->opts.plugin_settings);
	}
	pthread_mutex_lock(&h->lock);
	json_decref(h->settings);
	h->settings = all;
	pthread_mutex_unlock(&h->lock);
	return 0;
}

json_t *plua_plugin_settings(struct plua *h, const char *rel)
{
	char kind[16] = "", name[128] = "";
	json_t *out = NULL;
	if (sscanf(rel, "plugins/%15[a-z]/%127[^.].lua", kind, name) == 2) {
		pthread_mutex_lock(&h->lock);
		out = json_deep_copy(json_object_get(json_object_get(h->settings, kind), name));
		pthread_mutex_unlock(&h->lock);
	}
	return out ? out : json_object();
}

void plua_reload_settings(struct plua *h)
{
	struct pg_err err = {0};
	if (settings_load(h, &err) != 0)
		pg_error("lua", "%s; keeping the plugin settings read before", err.message);
}

int plua_new(const struct plua_opts *o, struct plua **out, struct pg_err *err)
{
	struct plua *h = calloc(1, sizeof(*h));
	if (!h)
		return pg_err_set(err, PG_EINTERNAL, "", "out of memory");
	h->opts = *o;
	h->lua_dir = o->lua_dir ? strdup(o->lua_dir) : NULL;
	h->plugin_dir = o->plugin_dir ? strdup(o->plugin_dir) : NULL;
	pthread_mutex_init(&h->lock, NULL);
	pthread_mutex_init(&h->stop_lock, NULL);
	pthread_cond_init(&h->stop_cond, NULL);
	if (settings_load(h, err) != 0) {
		plua_free(h);
		return err->code;
	}
	static const struct pg_call call = {"system", NULL, NULL};
	plua_reload(h, &call, 1);
	if (o->store) {
		h->watching = pthread_create(&h->watcher, NULL, watch_main, h) == 0;
		if (!h->watching) {
			plua_free(h);
			return pg_err_set(err, PG_EINTERNAL, "",
			                  "cannot start the Lua watcher thread");
		}
	}
	*out = h;
	return 0;
}

void plua_free(struct plua *h)
{
	if (!h)
		return;
	if (h->watching) {
		pthread_mutex_lock(&h->stop_lock);
		h->stopping = true;
		pthread_cond_signal(&h->stop_cond);
		pthread_mutex_unlock(&h->stop_lock);
		pthread_join(h->watcher, NULL);
	}
	for (struct script *sc = h->scripts, *next; sc; sc = next) {
		next = sc->next;
		state_free(sc->good);
		pthread_mutex_destroy(&sc->lock);
		free(sc);
	}
	for (struct plua_event *e = h->events, *next; e; e = next) {
		next = e->next;
		free(e);
	}
	pthread_cond_destroy(&h->stop_cond);
	pthread_mutex_destroy(&h->stop_lock);
	pthread_mutex_destroy(&h->lock);
	json_decref(h->settings);
	free(h->lua_dir);
	free(h->plugin_dir);
	free(h);
}
