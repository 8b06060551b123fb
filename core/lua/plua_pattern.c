/* A worst-case cost for Lua's pattern matcher, checked before find, match,
 * gmatch and gsub run. The matcher backtracks in C, where the instruction
 * budget cannot reach it: string.rep("a", 400):find(".-.-.-b") runs for
 * seconds. Each quantified item may be retried once per character of the
 * longest run of the subject it can match, nested items multiply, and an
 * unanchored pattern is tried at every position; shipped policies and
 * templates stay many orders of magnitude below the limit. */
#include "lua/plua_int.h"

#include <ctype.h>
#include <lauxlib.h>
#include <stdio.h>
#include <string.h>

static bool class_match(unsigned char c, unsigned char cl)
{
	bool r;
	switch (tolower(cl)) {
	case 'a': r = isalpha(c); break;
	case 'c': r = iscntrl(c); break;
	case 'd': r = isdigit(c); break;
	case 'g': r = isgraph(c); break;
	case 'l': r = islower(c); break;
	case 'p': r = ispunct(c); break;
	case 's': r = isspace(c); break;
	case 'u': r = isupper(c); break;
	case 'w': r = isalnum(c); break;
	case 'x': r = isxdigit(c); break;
	default: return cl == c; /* %. %% %[ ...: the character itself */
	}
	return isupper(cl) ? !r : r;
}

/* p: after '['; ep: at the closing ']'. */
static bool set_match(unsigned char c, const char *p, const char *ep)
{
	bool neg = *p == '^', found = false;
	if (neg)
		p++;
	while (p < ep && !found) {
		if (*p == '%' && p + 1 < ep) {
			found = class_match(c, (unsigned char)p[1]);
			p += 2;
		} else if (p + 2 < ep && p[1] == '-') {
			found = (unsigned char)p[0] <= c && c <= (unsigned char)p[2];
			p += 3;
		} else {
			found = (unsigned char)*p++ == c;
		}
	}
	return found != neg;
}

/* The end of the single-character item at p, or NULL when malformed (the
 * real matcher then raises its own error). Lua's rules: a set's first
 * character, even ']', is taken literally. */
static const char *item_end(const char *p, const char *end)
{
	if (*p == '%')
		return p + 2 <= end ? p + 2 : NULL;
	if (*p != '[')
		return p + 1;
	const char *q = p + 1;
	if (q < end && *q == '^')
		q++;
	do {
		if (q >= end)
			return NULL;
		if (*q++ == '%') {
			if (q >= end)
				return NULL;
			q++;
		}
	} while (q < end && *q != ']');
	return q < end ? q + 1 : NULL;
}

static bool item_match(unsigned char c, const char *p, const char *ep)
{
	switch (*p) {
	case '.': return true;
	case '%': return class_match(c, (unsigned char)p[1]);
	case '[': return set_match(c, p + 1, ep - 1);
	default: return (unsigned char)*p == c;
	}
}

static double longest_run(const char *s, size_t len, const char *p, const char *ep)
{
	size_t best = 0, run = 0;
	for (size_t i = 0; i < len; i++) {
		run = item_match((unsigned char)s[i], p, ep) ? run + 1 : 0;
		best = run > best ? run : best;
	}
	return (double)best;
}

double plua_pattern_cost(const char *s, size_t len, const char *p, size_t plen)
{
	const char *end = p + plen;
	double cost = 1;
	if (p < end && *p == '^')
		p++;
	else
		cost = (double)len + 1; /* tried at every position */
	while (p < end) {
		if (*p == '(' || *p == ')' || (*p == '$' && p + 1 == end)) {
			p++;
			continue;
		}
		if (*p == '%' && p + 1 < end && p[1] == 'b') {
			cost *= (double)len + 1; /* a balanced match scans ahead */
			p = end - p > 4 ? p + 4 : end;
			continue;
		}
		if (*p == '%' && p + 1 < end && p[1] == 'f') {
			p += 2;
			if (p < end && !(p = item_end(p, end)))
				break;
			continue;
		}
		if (*p == '%' && p + 1 < end && isdigit((unsigned char)p[1])) {
			p += 2;
			continue;
		}
		const char *ep = item_end(p, end);
		if (!ep)
			break;
		if (ep < end && (*ep == '*' || *ep == '+' || *ep == '-')) {
			cost *= longest_run(s, len, p, ep) + 1;
			ep++;
		} else if (ep < end && *ep == '?') {
			cost *= 2;
			ep++;
		}
		p = ep;
	}
	return cost;
}

/* A wrapper of string.find/match/gmatch/gsub (upvalue 1, its name in
 * upvalue 2) that refuses a pattern too costly for its subject. */
static int l_guarded(lua_State *L)
{
	size_t ls, lp;
	const char *s = luaL_checklstring(L, 1, &ls), *p = luaL_checklstring(L, 2, &lp);
	const char *name = lua_tostring(L, lua_upvalueindex(2));
	bool plain = strcmp(name, "find") == 0 && lua_toboolean(L, 4);
	double cost = plain ? 0 : plua_pattern_cost(s, ls, p, lp);
	if (cost > PLUA_PATTERN_LIMIT) {
		char msg[600]; /* luaL_error knows no %g */
		snprintf(msg, sizeof(msg),
		         "string.%s: the pattern '%.200s' could backtrack about %.3g times on this "
		         "%zu-byte "
		         "subject (the limit is %.3g): anchor it, use fewer nested repetitions, or "
		         "split the subject",
		         name, p, cost, ls, PLUA_PATTERN_LIMIT);
		return luaL_error(L, "%s", msg);
	}
	lua_pushvalue(L, lua_upvalueindex(1));
	lua_insert(L, 1);
	lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
	return lua_gettop(L);
}

void plua_pattern_guard(lua_State *L, int string_table)
{
	static const char *const fns[] = {"find", "match", "gmatch", "gsub", NULL};
	for (int i = 0; fns[i]; i++) {
		lua_getfield(L, string_table, fns[i]);
		lua_pushstring(L, fns[i]);
		lua_pushcclosure(L, l_guarded, 2);
		lua_setfield(L, string_table, fns[i]);
	}
}
