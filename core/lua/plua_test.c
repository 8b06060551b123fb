/* Running Lua test files (tests/lua/NAME.test.lua and operators' own) in the
 * same sandbox scripts get, plus module(rel) to load any script and T, the
 * assertion helpers of the file named by helpers. */
#include "common/pg_file.h"
#include "common/pg_log.h"
#include "lua/plua_int.h"

#include <lauxlib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* module(rel): a fresh instance of a resolved script's module table. */
static int l_module(lua_State *L)
{
	const char *rel = luaL_checkstring(L, 1);
	void *ud;
	lua_getallocf(L, &ud);
	struct pg_err err = {0};
	if (plua_load_chunk(ud, rel, &err) != 0)
		return luaL_error(L, "module '%s': %s", rel, err.message);
	lua_call(L, 0, 1);
	return 1;
}

static int load_file(lua_State *L, const char *path)
{
	char *buf = NULL, name[512];
	size_t len = 0;
	struct pg_err err = {0};
	if (pg_file_read(path, 16 << 20, &buf, &len, &err) != 0) {
		lua_pushstring(L, err.message);
		return LUA_ERRFILE;
	}
	snprintf(name, sizeof(name), "@%s", path);
	int rc = luaL_loadbufferx(L, buf, len, name, "t");
	free(buf);
	if (rc == LUA_OK) {
		lua_getfield(L, LUA_REGISTRYINDEX, "pagoda.env");
		lua_setupvalue(L, -2, 1);
	}
	return rc;
}

int plua_run_tests(struct plua *h, const char *path, const char *helpers, int *passed, int *failed,
                   struct pg_err *err)
{
	*passed = *failed = 0;
	struct plua_state *s = plua_sandbox_new(h, NULL, true, err);
	if (!s)
		return err->code;
	lua_State *L = s->L;
	int rc = 0;
	lua_getfield(L, LUA_REGISTRYINDEX, "pagoda.env"); /* strict: set with rawset */
	lua_pushstring(L, "module");
	lua_pushcfunction(L, l_module);
	lua_rawset(L, -3);
	if (helpers) {
		if (load_file(L, helpers) != LUA_OK || plua_pcall(s, 0, "helpers", err) != 0) {
			rc = pg_err_set(err, PG_EINVAL, "", "%s: %s", helpers,
			                err->message[0] ? err->message : lua_tostring(L, -1));
			goto out;
		}
		lua_pushstring(L, "T");
		lua_insert(L, -2);
		lua_rawset(L, -3);
	}
	lua_pop(L, 1);
	if (load_file(L, path) != LUA_OK) {
		rc = pg_err_set(err, PG_EINVAL, "", "%s", lua_tostring(L, -1));
		goto out;
	}
	if ((rc = plua_pcall(s, 0, "loading tests", err)) != 0)
		goto out;
	if (!lua_istable(L, -1)) {
		rc = pg_err_set(err, PG_EINVAL, "", "%s must return a table of test functions",
		                path);
		goto out;
	}
	/* run in name order */
	int tests = lua_gettop(L);
	lua_newtable(L);
	int names = lua_gettop(L), n = 0;
	lua_pushnil(L);
	while (lua_next(L, tests)) {
		lua_pop(L, 1);
		if (lua_type(L, -1) == LUA_TSTRING) {
			lua_pushvalue(L, -1);
			lua_rawseti(L, names, ++n);
		}
	}
	lua_getfield(L, LUA_REGISTRYINDEX, "pagoda.env");
	lua_getfield(L, -1, "table");
	lua_getfield(L, -1, "sort");
	lua_pushvalue(L, names);
	lua_call(L, 1, 0);
	lua_pop(L, 2);
	for (int i = 1; i <= n; i++) {
		lua_rawgeti(L, names, i);
		const char *name = lua_tostring(L, -1); /* stays on the stack below */
		lua_pushvalue(L, -1);
		lua_gettable(L, tests);
		struct pg_err terr = {0};
		if (plua_pcall(s, 0, name, &terr) == 0) {
			(*passed)++;
			printf("ok   %s: %s\n", path, name);
		} else {
			(*failed)++;
			printf("FAIL %s\n", terr.message);
		}
		lua_settop(L, names);
	}
out:
	plua_sandbox_free(s);
	return rc;
}
