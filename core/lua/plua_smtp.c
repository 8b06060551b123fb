/* pagoda.smtp for notify plugins: one plain-text message through libcurl's
 * SMTP, with STARTTLS required (smtp://) or TLS from the first byte
 * (smtps://), AUTH when a user is given, several recipients. Every header
 * value is checked for CR and LF (no header injection); a subject that is
 * not ASCII is encoded as RFC 2047 base64 UTF-8. */
#include "common/pg_crypto.h"
#include "lua/plua_int.h"

#include <curl/curl.h>
#include <lauxlib.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct upload {
	const char *data;
	size_t len, off;
};

static size_t read_cb(char *out, size_t size, size_t n, void *arg)
{
	struct upload *u = arg;
	size_t left = u->len - u->off, want = size * n < left ? size * n : left;
	memcpy(out, u->data + u->off, want);
	u->off += want;
	return want;
}

static bool one_line(const char *s)
{
	return s && !strpbrk(s, "\r\n");
}

static bool ascii(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s >= 0x80)
			return false;
	return true;
}

/* The message: headers, a blank line, the body with CRLF line ends (a lone
 * "." line doubled, as SMTP's transparency asks; libcurl does it too, but
 * only when it sees CRLF). */
static void message(luaL_Buffer *b, const char *from, const char *to_list, const char *subject,
                    const char *body)
{
	char date[64], id[80];
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
	unsigned char rnd[12];
	char hex[25];
	pg_random_bytes(rnd, sizeof(rnd));
	pg_hex_encode(rnd, sizeof(rnd), hex);
	const char *at = strchr(from, '@');
	snprintf(id, sizeof(id), "<%s@%s>", hex, at ? at + 1 : "pagoda");
	luaL_addstring(b, "Date: ");
	luaL_addstring(b, date);
	luaL_addstring(b, "\r\nFrom: ");
	luaL_addstring(b, from);
	luaL_addstring(b, "\r\nTo: ");
	luaL_addstring(b, to_list);
	luaL_addstring(b, "\r\nMessage-ID: ");
	luaL_addstring(b, id);
	luaL_addstring(b, "\r\nSubject: ");
	if (ascii(subject)) {
		luaL_addstring(b, subject);
	} else {
		size_t n = strlen(subject);
		char *enc = malloc(4 * ((n + 2) / 3) + 1);
		if (enc) {
			EVP_EncodeBlock((unsigned char *)enc, (const unsigned char *)subject,
			                (int)n);
			luaL_addstring(b, "=?UTF-8?B?");
			luaL_addstring(b, enc);
			luaL_addstring(b, "?=");
			free(enc);
		}
	}
	luaL_addstring(b, "\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
	                  "Content-Transfer-Encoding: 8bit\r\nX-Mailer: pagoda\r\n\r\n");
	for (const char *l = body; *l;) {
		const char *e = strchr(l, '\n');
		size_t n = e ? (size_t)(e - l) : strlen(l);
		if (n && l[n - 1] == '\r')
			n--;
		if (n == 1 && l[0] == '.')
			luaL_addchar(b, '.');
		luaL_addlstring(b, l, n);
		luaL_addstring(b, "\r\n");
		l = e ? e + 1 : l + strlen(l);
	}
}

/* smtp{url, from, to = {...}, subject, body, user?, password?, caFile?,
 *      timeout?} -> true, or nil and why */
int plua_smtp(lua_State *L)
{
	luaL_checktype(L, 1, LUA_TTABLE);
	lua_getfield(L, 1, "url");
	lua_getfield(L, 1, "from");
	lua_getfield(L, 1, "subject");
	lua_getfield(L, 1, "body");
	lua_getfield(L, 1, "user");
	lua_getfield(L, 1, "password");
	lua_getfield(L, 1, "caFile");
	lua_getfield(L, 1, "timeout");
	const char *url = luaL_checkstring(L, 2), *from = luaL_checkstring(L, 3);
	const char *subject = luaL_checkstring(L, 4), *body = luaL_checkstring(L, 5);
	const char *user = luaL_optstring(L, 6, NULL), *password = luaL_optstring(L, 7, NULL);
	const char *ca = luaL_optstring(L, 8, NULL);
	lua_Integer timeout = luaL_optinteger(L, 9, 20);
	bool implicit = strncmp(url, "smtps://", 8) == 0;
	if (!implicit && strncmp(url, "smtp://", 7) != 0)
		return luaL_error(L, "smtp: url must be smtp://HOST:PORT (STARTTLS) or smtps://");
	if (timeout < 1 || timeout > 120)
		return luaL_error(L, "smtp: timeout must be 1..120 seconds");
	if (!one_line(from) || !one_line(subject))
		return luaL_error(L, "smtp: from and subject must be one line each");
	struct curl_slist *rcpt = NULL;
	char to_list[4096] = "", env[512];
	lua_getfield(L, 1, "to");
	if (!lua_istable(L, -1) || lua_rawlen(L, -1) == 0)
		return luaL_error(L, "smtp: to must be a list of addresses");
	lua_Integer nrcpt = (lua_Integer)lua_rawlen(L, -1);
	for (lua_Integer i = 1; i <= nrcpt; i++) {
		lua_rawgeti(L, -1, i);
		const char *addr = lua_tostring(L, -1);
		size_t used = strlen(to_list);
		if (!addr || !one_line(addr) || strpbrk(addr, "<>,") || !strchr(addr, '@') ||
		    strlen(addr) > 320 || used + strlen(addr) + 3 >= sizeof(to_list)) {
			curl_slist_free_all(rcpt);
			return luaL_error(L, "smtp: to[%d] is not an address (or too many)",
			                  (int)i);
		}
		snprintf(env, sizeof(env), "<%.320s>", addr);
		rcpt = curl_slist_append(rcpt, env);
		snprintf(to_list + used, sizeof(to_list) - used, "%s%s", used ? ", " : "", addr);
		lua_pop(L, 1);
	}
	lua_pop(L, 1); /* the to table */
	luaL_Buffer msg;
	luaL_buffinit(L, &msg);
	message(&msg, from, to_list, subject, body);
	luaL_pushresult(&msg);
	size_t len;
	const char *text = lua_tolstring(L, -1, &len);
	struct upload up = {text, len, 0};
	const char *at = strchr(from, '<');
	char mail_from[512];
	snprintf(mail_from, sizeof(mail_from), "<%.*s>",
	         at ? (int)strcspn(at + 1, ">") : (int)strlen(from), at ? at + 1 : from);
	CURL *c = plua_curl_new(url, "smtp,smtps", (long)timeout, ca);
	/* no plain-text mail: STARTTLS or TLS from the start */
	curl_easy_setopt(c, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
	curl_easy_setopt(c, CURLOPT_MAIL_FROM, mail_from);
	curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt);
	curl_easy_setopt(c, CURLOPT_READFUNCTION, read_cb);
	curl_easy_setopt(c, CURLOPT_READDATA, &up);
	curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
	if (user)
		curl_easy_setopt(c, CURLOPT_USERNAME, user);
	if (password)
		curl_easy_setopt(c, CURLOPT_PASSWORD, password);
	CURLcode cc = curl_easy_perform(c);
	long code = 0;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	curl_slist_free_all(rcpt);
	curl_easy_cleanup(c);
	if (cc != CURLE_OK) {
		lua_pushnil(L);
		lua_pushfstring(L, "%s: %s (server said %d)", url, curl_easy_strerror(cc),
		                (int)code);
		return 2;
	}
	lua_pushboolean(L, 1);
	return 1;
}
