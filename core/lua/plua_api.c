/* The `pagoda` table: the narrow C API scripts get. Every script: log,
 * sha256, hmac_sha256, hmac_sha1, base64, now_ms. Plugins also: http
 * (libcurl, with timeouts and a size cap), exec (argv only, never a shell),
 * smtp, dns_exchange and settings (the operator's, from --plugin-settings). */
#include "common/pg_buf.h"
#include "common/pg_crypto.h"
#include "common/pg_log.h"
#include "common/pg_proc.h"
#include "common/pg_time.h"
#include "lua/plua_int.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <lauxlib.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdlib.h>
#include <string.h>

#define HTTP_MAX_BODY (4u << 20)

static int l_log(lua_State *L)
{
	const char *level = luaL_checkstring(L, 1), *msg = luaL_checkstring(L, 2);
	lua_Debug ar;
	const char *where =
	        lua_getstack(L, 1, &ar) && lua_getinfo(L, "S", &ar) ? ar.short_src : "lua";
	enum pg_log_level lv = strcmp(level, "error") == 0   ? PG_LOG_ERROR
	                       : strcmp(level, "warn") == 0  ? PG_LOG_WARN
	                       : strcmp(level, "debug") == 0 ? PG_LOG_DEBUG
	                                                     : PG_LOG_INFO;
	pg_log(lv, "lua", "%s: %s", where, msg);
	return 0;
}

static int l_sha256(lua_State *L)
{
	size_t len;
	const char *s = luaL_checklstring(L, 1, &len);
	char hex[65];
	pg_sha256_hex(s, len, hex);
	lua_pushstring(L, hex);
	return 1;
}

/* hmac_sha256 / hmac_sha1(key, msg [, "raw"]) -> hex (or raw bytes); the
 * digest is the closure's upvalue, so one function serves both. */
static int l_hmac(lua_State *L)
{
	size_t klen, mlen;
	const char *k = luaL_checklstring(L, 1, &klen), *m = luaL_checklstring(L, 2, &mlen);
	const EVP_MD *md_type = lua_touserdata(L, lua_upvalueindex(1));
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	HMAC(md_type, k, (int)klen, (const unsigned char *)m, mlen, md, &mdlen);
	if (lua_isstring(L, 3) && strcmp(lua_tostring(L, 3), "raw") == 0) {
		lua_pushlstring(L, (const char *)md, mdlen);
	} else {
		char hex[2 * EVP_MAX_MD_SIZE + 1];
		pg_hex_encode(md, mdlen, hex);
		lua_pushstring(L, hex);
	}
	return 1;
}

static void set_hmac(lua_State *L, const char *name, const EVP_MD *md)
{
	lua_pushlightuserdata(L, (void *)md);
	lua_pushcclosure(L, l_hmac, 1);
	lua_setfield(L, -2, name);
}

static int l_base64_encode(lua_State *L)
{
	size_t len;
	const char *s = luaL_checklstring(L, 1, &len);
	luaL_Buffer b;
	char *out = luaL_buffinitsize(L, &b, 4 * ((len + 2) / 3) + 1);
	int n = EVP_EncodeBlock((unsigned char *)out, (const unsigned char *)s, (int)len);
	luaL_pushresultsize(&b, (size_t)n);
	return 1;
}

/* base64_decode(s [, "url"]) -> bytes, or nil and a message */
static int l_base64_decode(lua_State *L)
{
	size_t len;
	const char *s = luaL_checklstring(L, 1, &len);
	bool url = lua_isstring(L, 2) && strcmp(lua_tostring(L, 2), "url") == 0;
	luaL_Buffer tb;
	char *t = luaL_buffinitsize(L, &tb, len + 4);
	size_t n = 0;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (c == '\n' || c == '\r')
			continue;
		t[n++] = url && c == '-' ? '+' : url && c == '_' ? '/' : c;
	}
	while (n % 4)
		t[n++] = '=';
	luaL_Buffer b;
	unsigned char *out = (unsigned char *)luaL_buffinitsize(L, &b, n / 4 * 3 + 1);
	int m = EVP_DecodeBlock(out, (const unsigned char *)t, (int)n);
	if (m < 0) {
		lua_pushnil(L);
		lua_pushstring(L, "invalid base64");
		return 2;
	}
	int pad = (n >= 1 && t[n - 1] == '=') + (n >= 2 && t[n - 2] == '=');
	luaL_pushresultsize(&b, (size_t)(m - pad));
	return 1;
}

static int l_now_ms(lua_State *L)
{
	lua_pushinteger(L, pg_time_now_ms());
	return 1;
}

/* pagoda.ip_family(s) -> 4, 6 or nil: inet_pton's strict parse (no leading
 * zeros, no zone ids), and a tenth of the time of a Lua pattern per address
 * when an upstream lists thousands. */
static int l_ip_family(lua_State *L)
{
	size_t len;
	const char *s = lua_tolstring(L, 1, &len);
	unsigned char buf[sizeof(struct in6_addr)];
	if (s && lua_type(L, 1) == LUA_TSTRING && len <= INET6_ADDRSTRLEN) {
		if (inet_pton(AF_INET, s, buf) == 1) {
			lua_pushinteger(L, 4);
			return 1;
		}
		if (inet_pton(AF_INET6, s, buf) == 1) {
			lua_pushinteger(L, 6);
			return 1;
		}
	}
	lua_pushnil(L);
	return 1;
}

CURL *plua_curl_new(const char *url, const char *protocols, long timeout, const char *ca)
{
	CURL *c = curl_easy_init();
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, protocols);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, timeout);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	if (ca)
		curl_easy_setopt(c, CURLOPT_CAINFO, ca);
	return c;
}

/* http{method=, url=, headers={k=v}, body=, timeout=sec, caFile=}
 * -> {status=, body=} or nil, message */
static int l_http(lua_State *L)
{
	luaL_checktype(L, 1, LUA_TTABLE);
	lua_getfield(L, 1, "url");
	lua_getfield(L, 1, "method");
	lua_getfield(L, 1, "body");
	lua_getfield(L, 1, "timeout");
	lua_getfield(L, 1, "caFile");
	const char *url = luaL_checkstring(L, 2), *method = luaL_optstring(L, 3, "GET");
	size_t blen = 0;
	const char *body = lua_isstring(L, 4) ? lua_tolstring(L, 4, &blen) : NULL;
	lua_Integer timeout = luaL_optinteger(L, 5, 10);
	const char *ca = lua_isstring(L, 6) ? lua_tostring(L, 6) : NULL;
	if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0)
		return luaL_error(L, "http: only http:// and https:// URLs");
	if (timeout < 1 || timeout > 120)
		return luaL_error(L, "http: timeout must be 1..120 seconds");
	CURL *c = plua_curl_new(url, "http,https", (long)timeout, ca);
	struct curl_slist *hdrs = NULL;
	if (lua_getfield(L, 1, "headers") == LUA_TTABLE) {
		lua_pushnil(L);
		while (lua_next(L, -2)) {
			if (lua_type(L, -2) == LUA_TSTRING && lua_isstring(L, -1)) {
				const char *k = lua_tostring(L, -2), *v = lua_tostring(L, -1);
				if (!strpbrk(k, "\r\n:") && !strpbrk(v, "\r\n")) {
					lua_pushfstring(L, "%s: %s", k, v);
					hdrs = curl_slist_append(hdrs, lua_tostring(L, -1));
					lua_pop(L, 1);
				}
			}
			lua_pop(L, 1);
		}
	}
	lua_pop(L, 1);
	struct pg_buf b = {.max = HTTP_MAX_BODY};
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, pg_buf_curl_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	if (body) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)blen);
	}
	CURLcode cc = curl_easy_perform(c);
	long status = 0;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(c);
	if (cc != CURLE_OK) {
		free(b.data);
		lua_pushnil(L);
		lua_pushfstring(L, "%s: %s", url,
		                b.too_big ? "answer larger than 4 MiB" : curl_easy_strerror(cc));
		return 2;
	}
	lua_createtable(L, 0, 2);
	lua_pushinteger(L, status);
	lua_setfield(L, -2, "status");
	lua_pushlstring(L, b.data ? b.data : "", b.len);
	lua_setfield(L, -2, "body");
	free(b.data);
	return 1;
}

/* exec(argv [, {timeout=sec, cwd=}]) -> {status=, stdout=, stderr=} or nil, message */
static int l_exec(lua_State *L)
{
	luaL_checktype(L, 1, LUA_TTABLE);
	lua_Integer n = (lua_Integer)lua_rawlen(L, 1), timeout = 30;
	const char *cwd = NULL;
	if (n < 1 || n > 256)
		return luaL_error(L, "exec: argv must list 1 to 256 strings");
	if (lua_istable(L, 2)) {
		lua_getfield(L, 2, "timeout");
		timeout = luaL_optinteger(L, -1, 30);
		lua_getfield(L, 2, "cwd");
		cwd = lua_isstring(L, -1) ? lua_tostring(L, -1) : NULL;
	}
	if (timeout < 1 || timeout > 600)
		return luaL_error(L, "exec: timeout must be 1..600 seconds");
	char **argv = lua_newuserdatauv(L, (size_t)(n + 1) * sizeof(char *), 0);
	for (lua_Integer i = 1; i <= n; i++) {
		lua_rawgeti(L, 1, i);
		if (lua_type(L, -1) != LUA_TSTRING)
			return luaL_error(L, "exec: argv[%d] is not a string", (int)i);
		argv[i - 1] = (char *)lua_tostring(L, -1);
		lua_pop(L, 1); /* still referenced by the argv table */
	}
	argv[n] = NULL;
	char *out = NULL, *errout = NULL, why[256] = "";
	int st = pg_run(argv, cwd, timeout * 1000, 64 * 1024, &out, &errout, why, sizeof(why));
	if (st < 0) {
		free(out);
		free(errout);
		lua_pushnil(L);
		lua_pushstring(L, why);
		return 2;
	}
	lua_createtable(L, 0, 3);
	lua_pushinteger(L, st);
	lua_setfield(L, -2, "status");
	lua_pushstring(L, out ? out : "");
	lua_setfield(L, -2, "stdout");
	lua_pushstring(L, errout ? errout : "");
	lua_setfield(L, -2, "stderr");
	free(out);
	free(errout);
	return 1;
}

/* settings() -> the operator's settings of this plugin (--plugin-settings),
 * a fresh table each call; empty when the operator gave none. */
static int l_settings(lua_State *L)
{
	void *ud;
	lua_getallocf(L, &ud);
	struct plua_state *s = ud;
	lua_getfield(L, LUA_REGISTRYINDEX, "pagoda.host");
	struct plua *h = lua_touserdata(L, -1);
	lua_pop(L, 1);
	json_t *v = plua_plugin_settings(h, s->script ? s->script->rel : "");
	plua_push_json(L, v, 0);
	json_decref(v);
	return 1;
}

void plua_api_open(lua_State *L, bool plugin)
{
	static const luaL_Reg common[] = {
	        {"log", l_log},
	        {"sha256", l_sha256},
	        {"base64_encode", l_base64_encode},
	        {"base64_decode", l_base64_decode},
	        {"now_ms", l_now_ms},
	        {"ip_family", l_ip_family},
	        {NULL, NULL},
	};
	static const luaL_Reg plugins[] = {{"http", l_http},
	                                   {"exec", l_exec},
	                                   {"settings", l_settings},
	                                   {"smtp", plua_smtp},
	                                   {"dns_exchange", plua_dns_exchange},
	                                   {NULL, NULL}};
	luaL_newlib(L, common);
	set_hmac(L, "hmac_sha256", EVP_sha256());
	set_hmac(L, "hmac_sha1", EVP_sha1());
	if (plugin)
		luaL_setfuncs(L, plugins, 0);
}
