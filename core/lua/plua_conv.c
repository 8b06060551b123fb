/* JSON values <-> Lua values. JSON null is json.null (a NULL light
 * userdata, as lua-cjson spells it). A Lua table becomes an array when its
 * keys are exactly 1..n, else an object with string keys; an empty table is
 * an empty array. */
#include "lua/plua_int.h"

#include <lauxlib.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

void plua_push_json(lua_State *L, json_t *v, int depth)
{
	luaL_checkstack(L, 4, "json nesting");
	if (depth > PLUA_MAX_DEPTH) {
		lua_pushlightuserdata(L, NULL);
		return;
	}
	switch (json_typeof(v)) {
	case JSON_OBJECT: {
		lua_createtable(L, 0, (int)json_object_size(v));
		const char *k;
		json_t *x;
		json_object_foreach (v, k, x) {
			plua_push_json(L, x, depth + 1);
			lua_setfield(L, -2, k);
		}
		break;
	}
	case JSON_ARRAY: {
		lua_createtable(L, (int)json_array_size(v), 0);
		size_t i;
		json_t *x;
		json_array_foreach (v, i, x) {
			plua_push_json(L, x, depth + 1);
			lua_rawseti(L, -2, (lua_Integer)i + 1);
		}
		break;
	}
	case JSON_STRING: lua_pushlstring(L, json_string_value(v), json_string_length(v)); break;
	case JSON_INTEGER: lua_pushinteger(L, json_integer_value(v)); break;
	case JSON_REAL: lua_pushnumber(L, json_real_value(v)); break;
	case JSON_TRUE: lua_pushboolean(L, 1); break;
	case JSON_FALSE: lua_pushboolean(L, 0); break;
	case JSON_NULL: lua_pushlightuserdata(L, NULL); break;
	}
}

/* Where the conversion is, kept as frames and formatted only for an error:
 * a large result converts without building a path string per value. */
struct conv_ctx {
	struct {
		const char *key; /* NULL: an array index */
		long long index;
	} fr[PLUA_MAX_DEPTH + 2];
	int n;
	char *path;
	size_t plen;
};

static const char *path_of(struct conv_ctx *c)
{
	size_t len = strlen(c->path);
	for (int i = 0; i < c->n && len + 1 < c->plen; i++) {
		if (c->fr[i].key)
			snprintf(c->path + len, c->plen - len, "%s%s", len ? "." : "",
			         c->fr[i].key);
		else
			snprintf(c->path + len, c->plen - len, "[%lld]", c->fr[i].index);
		len = strlen(c->path);
	}
	return c->path[0] ? c->path : "result";
}

static json_t *conv(lua_State *L, int idx, struct conv_ctx *c, int depth, struct pg_err *err);

static json_t *conv_table(lua_State *L, int idx, struct conv_ctx *c, int depth, struct pg_err *err)
{
	lua_Integer n = (lua_Integer)lua_rawlen(L, idx), count = 0;
	bool array = true;
	lua_pushnil(L);
	while (lua_next(L, idx)) {
		count++;
		if (!lua_isinteger(L, -2) || lua_tointeger(L, -2) < 1 || lua_tointeger(L, -2) > n)
			array = false;
		lua_pop(L, 1);
	}
	array = array && count == n;
	json_t *out = array ? json_array() : json_object();
	int f = c->n++;
	if (array) {
		for (lua_Integer i = 1; i <= n; i++) {
			c->fr[f].key = NULL;
			c->fr[f].index = (long long)(i - 1);
			lua_rawgeti(L, idx, i);
			json_t *x = conv(L, lua_gettop(L), c, depth + 1, err);
			lua_pop(L, 1);
			if (!x) {
				json_decref(out);
				return NULL;
			}
			json_array_append_new(out, x);
		}
	} else {
		lua_pushnil(L);
		while (lua_next(L, idx)) {
			if (lua_type(L, -2) != LUA_TSTRING) {
				c->n = f;
				const char *where = path_of(c);
				pg_err_set(err, PG_EINVAL, c->path,
				           "%s: a table mixes list and named keys, or has a "
				           "non-string key",
				           where);
				lua_pop(L, 2);
				json_decref(out);
				return NULL;
			}
			const char *k = lua_tostring(L, -2);
			c->fr[f].key = k;
			json_t *x = conv(L, lua_gettop(L), c, depth + 1, err);
			lua_pop(L, 1);
			if (!x) {
				lua_pop(L, 1);
				json_decref(out);
				return NULL;
			}
			json_object_set_new(out, k, x);
		}
	}
	c->n = f;
	return out;
}

static json_t *conv(lua_State *L, int idx, struct conv_ctx *c, int depth, struct pg_err *err)
{
	if (depth > PLUA_MAX_DEPTH) {
		const char *where = path_of(c);
		pg_err_set(err, PG_EINVAL, c->path, "%s: nested deeper than %d", where,
		           PLUA_MAX_DEPTH);
		return NULL;
	}
	switch (lua_type(L, idx)) {
	case LUA_TNIL: return json_null();
	case LUA_TBOOLEAN: return json_boolean(lua_toboolean(L, idx));
	case LUA_TNUMBER:
		if (lua_isinteger(L, idx))
			return json_integer(lua_tointeger(L, idx));
		if (!isfinite(lua_tonumber(L, idx))) {
			const char *where = path_of(c);
			pg_err_set(err, PG_EINVAL, c->path, "%s: not a finite number", where);
			return NULL;
		}
		return json_real(lua_tonumber(L, idx));
	case LUA_TSTRING: {
		size_t len;
		const char *s = lua_tolstring(L, idx, &len);
		if (memchr(s, '\0', len)) { /* C would read it only up to the NUL */
			pg_err_set(err, PG_EINVAL, c->path, "%s: contains a NUL byte", path_of(c));
			return NULL;
		}
		json_t *j = json_stringn(s, len);
		if (!j) {
			const char *where = path_of(c);
			pg_err_set(err, PG_EINVAL, c->path, "%s: not valid UTF-8", where);
		}
		return j;
	}
	case LUA_TLIGHTUSERDATA:
		if (!lua_touserdata(L, idx))
			return json_null();
		break;
	case LUA_TTABLE: return conv_table(L, idx, c, depth, err);
	}
	const char *where = path_of(c);
	pg_err_set(err, PG_EINVAL, c->path, "%s: a %s cannot be returned", where,
	           luaL_typename(L, idx));
	return NULL;
}

json_t *plua_to_json(lua_State *L, int idx, const char *path, struct pg_err *err)
{
	char buf[512];
	struct conv_ctx c = {.path = buf, .plen = sizeof(buf)};
	snprintf(buf, sizeof(buf), "%s", path);
	luaL_checkstack(L, PLUA_MAX_DEPTH * 3 + 10, "result nesting");
	return conv(L, lua_absindex(L, idx), &c, 0, err);
}
