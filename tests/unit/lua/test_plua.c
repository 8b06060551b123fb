/* The Lua host: override precedence, hot reload with last-good fallback,
 * the instruction budget (a script's own pcall cannot swallow it), the
 * memory cap, value conversion, and validation of policy answers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/pg_time.h"
#include "lua/plua.h"
#include "lua/plua_policy.h"

static char dir[64];

static void put(const char *rel, const char *text)
{
	char path[256], cmd[300];
	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	snprintf(cmd, sizeof(cmd), "mkdir -p $(dirname %s)", path);
	assert_int_equal(system(cmd), 0);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	/* make the mtime differ from any earlier version of the file */
	struct timespec ts[2] = {{0, UTIME_NOW}, {0, UTIME_NOW}};
	static long bump;
	clock_gettime(CLOCK_REALTIME, &ts[1]);
	ts[1].tv_sec += ++bump;
	utimensat(AT_FDCWD, path, ts, 0);
}

static struct plua *host(size_t mem, uint64_t budget)
{
	struct plua_opts o = {
	        .lua_dir = dir, .plugin_dir = dir, .mem_limit = mem, .budget = budget};
	struct plua *h = NULL;
	struct pg_err err = {0};
	assert_int_equal(plua_new(&o, &h, &err), 0);
	return h;
}

static json_t *status_of(struct plua *h, const char *rel)
{
	json_t *all = plua_status(h), *found = NULL;
	size_t i;
	json_t *s;
	json_array_foreach (all, i, s)
		if (strcmp(json_string_value(json_object_get(s, "path")), rel) == 0)
			found = json_incref(s);
	json_decref(all);
	return found;
}

static int setup(void **state)
{
	snprintf(dir, sizeof(dir), "/tmp/pagoda-lua-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd);
}

static int call_int(struct plua *h, const char *rel, const char *fn, json_t *args, int64_t *v,
                    struct pg_err *err)
{
	json_t *out = NULL;
	int rc = plua_call(h, rel, fn, args, &out, err);
	if (rc == 0)
		*v = json_integer_value(out);
	json_decref(out);
	return rc;
}

static void override_wins_and_removal_falls_back(void **state)
{
	struct plua *h = host(0, 0);
	json_t *st = status_of(h, "policies/batch.lua");
	assert_string_equal(json_string_value(json_object_get(st, "origin")), "bundled");
	json_decref(st);
	put("policies/batch.lua", "return { plan = function() return 42 end }");
	int64_t v = 0;
	struct pg_err err = {0};
	json_t *args = json_array();
	assert_int_equal(call_int(h, "policies/batch.lua", "plan", args, &v, &err), 0);
	assert_int_equal(v, 42); /* picked up before use, no reload call */
	st = status_of(h, "policies/batch.lua");
	assert_string_equal(json_string_value(json_object_get(st, "origin")), "override");
	json_decref(st);
	char path[256];
	snprintf(path, sizeof(path), "%s/policies/batch.lua", dir);
	unlink(path);
	json_t *out = NULL;
	json_t *ctxargs = json_pack("[{s:[]}]", "nodes");
	assert_int_equal(plua_call(h, "policies/batch.lua", "plan", ctxargs, &out, &err), 0);
	assert_true(json_is_object(out)); /* the bundled plan again */
	json_decref(out);
	json_decref(ctxargs);
	json_decref(args);
	plua_free(h);
}

static void bad_reload_keeps_last_good(void **state)
{
	put("policies/rollback.lua", "return { decide = function() return 1 end }");
	struct plua *h = host(0, 0);
	struct pg_err err = {0};
	int64_t v = 0;
	json_t *args = json_array();
	assert_int_equal(call_int(h, "policies/rollback.lua", "decide", args, &v, &err), 0);
	assert_int_equal(v, 1);
	const char *broken[] = {
	        "return { decide = function( end }", /* syntax */
	        "error('boom at load')",             /* runtime at load */
	        "return { decide = 5 }",             /* self-check: no function */
	        "return { decide = function() return 2 end, selftest = function() error('selftest says no') end }",
	        "while true do end",                                 /* endless at load */
	        "x = 1 return { decide = function() return 3 end }", /* global assignment */
	};
	for (size_t i = 0; i < sizeof(broken) / sizeof(broken[0]); i++) {
		put("policies/rollback.lua", broken[i]);
		assert_int_equal(call_int(h, "policies/rollback.lua", "decide", args, &v, &err), 0);
		assert_int_equal(v, 1); /* still the last good version */
		json_t *st = status_of(h, "policies/rollback.lua");
		assert_true(json_is_string(json_object_get(st, "lastError")));
		json_decref(st);
	}
	put("policies/rollback.lua", "return { decide = function() return 4 end }");
	assert_int_equal(call_int(h, "policies/rollback.lua", "decide", args, &v, &err), 0);
	assert_int_equal(v, 4);
	json_decref(args);
	plua_free(h);
}

static void budget_stops_runaway_calls(void **state)
{
	put("policies/upstream.lua",
	    "return { filter = function(mode)\n"
	    "  if mode == 'loop' then while true do end end\n"
	    "  if mode == 'swallow' then for i = 1, 100 do pcall(function() while true do end end) "
	    "end return 'escaped' end\n"
	    "  return 'fine' end }");
	struct plua *h = host(0, 2000000);
	struct pg_err err = {0};
	json_t *out = NULL;
	const char *modes[] = {"loop", "swallow"};
	for (int i = 0; i < 2; i++) {
		json_t *args = json_pack("[s]", modes[i]);
		int64_t t0 = pg_time_mono_ms();
		assert_int_not_equal(
		        plua_call(h, "policies/upstream.lua", "filter", args, &out, &err), 0);
		assert_non_null(strstr(err.message, "instruction budget"));
		assert_true(pg_time_mono_ms() - t0 < 5000);
		json_decref(args);
	}
	/* the state still serves the next call */
	json_t *args = json_pack("[s]", "ok");
	assert_int_equal(plua_call(h, "policies/upstream.lua", "filter", args, &out, &err), 0);
	assert_string_equal(json_string_value(out), "fine");
	json_decref(out);
	json_decref(args);
	json_t *st = status_of(h, "policies/upstream.lua");
	assert_int_equal(json_integer_value(json_object_get(st, "errors")), 2);
	json_decref(st);
	plua_free(h);
}

struct slow_call {
	struct plua *h;
	int rc;
};

static void *slow_call_main(void *arg)
{
	struct slow_call *sc = arg;
	struct pg_err err = {0};
	json_t *args = json_pack("[s]", "loop"), *out = NULL;
	sc->rc = plua_call(sc->h, "policies/upstream.lua", "filter", args, &out, &err);
	json_decref(args);
	json_decref(out);
	return NULL;
}

/* What the instruction budget cannot see: a __gc finalizer (runs inside
 * the collector), C-level pattern backtracking, and time; and a call that
 * holds a script never holds its next caller for longer than the wait. */
static void limits_beyond_the_instruction_budget(void **state)
{
	put("policies/upstream.lua",
	    "return { filter = function(mode)\n"
	    "  if mode == 'gc' then setmetatable({}, {__gc = function() while true do end end}) "
	    "return 'set' end\n"
	    "  if mode == 'pattern' then return string.rep('a', 400):find('.-.-.-b') end\n"
	    "  if mode == 'method' then return ('a'):rep(400):match('(.-)(.-)(.-)b') end\n"
	    "  if mode == 'loop' then while true do end end\n"
	    "  local s = string.rep('word ', 2000)\n"
	    "  local trimmed = ('  ' .. s .. '  '):match('^%s*(.-)%s*$')\n"
	    "  local n = select(2, s:gsub('%w+', ''))\n"
	    "  return #trimmed .. ':' .. n .. ':' .. tostring(s:find('.-.-.-b', 1, true)) end }");
	struct plua_opts o = {
	        .lua_dir = dir, .plugin_dir = dir, .budget = 1000000000000ULL, .deadline_ms = 300};
	struct plua *h = NULL;
	struct pg_err err = {0};
	assert_int_equal(plua_new(&o, &h, &err), 0);
	const char *modes[] = {"gc", "pattern", "method", "loop"};
	const char *why[] = {"__gc finalizers are not allowed", "could backtrack",
	                     "could backtrack", "wall-clock limit of 300 ms"};
	json_t *out = NULL;
	for (int i = 0; i < 4; i++) {
		json_t *args = json_pack("[s]", modes[i]);
		int64_t t0 = pg_time_mono_ms();
		assert_int_not_equal(
		        plua_call(h, "policies/upstream.lua", "filter", args, &out, &err), 0);
		if (!strstr(err.message, why[i]))
			fail_msg("%s: %s", modes[i], err.message);
		assert_true(pg_time_mono_ms() - t0 < 3000);
		json_decref(args);
	}
	/* patterns real scripts use still work on large subjects */
	json_t *args = json_pack("[s]", "fine");
	assert_int_equal(plua_call(h, "policies/upstream.lua", "filter", args, &out, &err), 0);
	assert_string_equal(json_string_value(out), "9999:2000:nil");
	json_decref(out);
	json_decref(args);
	plua_free(h);
	/* one caller stuck for its whole deadline: the next is told, not held */
	o.deadline_ms = 5000;
	assert_int_equal(plua_new(&o, &h, &err), 0);
	struct slow_call sc = {.h = h};
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, slow_call_main, &sc), 0);
	usleep(200 * 1000);
	args = json_pack("[s]", "fine");
	int64_t t0 = pg_time_mono_ms();
	assert_int_equal(plua_call(h, "policies/upstream.lua", "filter", args, &out, &err),
	                 PG_EUNAVAIL);
	assert_true(pg_time_mono_ms() - t0 < PLUA_WAIT_MS + 1000);
	assert_non_null(strstr(err.message, "busy"));
	json_decref(args);
	pthread_join(t, NULL);
	assert_int_not_equal(sc.rc, 0);
	plua_free(h);
}

/* A string with a NUL would be cut short by C: refused, not truncated. */
static void strings_with_nul_are_refused(void **state)
{
	put("policies/upstream.lua",
	    "return { filter = function() return { text = 'a\\0b' } end }");
	struct plua *h = host(0, 0);
	struct pg_err err = {0};
	json_t *args = json_array(), *out = NULL;
	assert_int_not_equal(plua_call(h, "policies/upstream.lua", "filter", args, &out, &err), 0);
	assert_non_null(strstr(err.message, "NUL"));
	json_decref(args);
	plua_free(h);
}

static void memory_cap_holds(void **state)
{
	put("policies/upstream.lua", "return { filter = function(n) local t = {} for i = 1, n do "
	                             "t[i] = string.rep('x', 1024) .. i end return #t end }");
	struct plua *h = host(8u << 20, 0);
	struct pg_err err = {0};
	json_t *out = NULL, *big = json_pack("[i]", 100000), *small = json_pack("[i]", 10);
	assert_int_not_equal(plua_call(h, "policies/upstream.lua", "filter", big, &out, &err), 0);
	assert_non_null(strstr(err.message, "memory"));
	assert_int_equal(plua_call(h, "policies/upstream.lua", "filter", small, &out, &err), 0);
	assert_int_equal(json_integer_value(out), 10);
	json_decref(out);
	json_decref(big);
	json_decref(small);
	plua_free(h);
}

static void conversions_round_trip(void **state)
{
	put("policies/drift.lua", "return { decide = function(...) return {...} end }");
	struct plua *h = host(0, 0);
	struct pg_err err = {0};
	json_t *in = json_loads("[{\"a\":[1,2.5,\"x\",true,null],\"b\":{}},[],\"\",-7]", 0, NULL),
	       *out = NULL;
	assert_int_equal(plua_call(h, "policies/drift.lua", "decide", in, &out, &err), 0);
	/* null survives as json.null; an empty object comes back as an empty
	 * array: Lua cannot tell them apart */
	json_t *want = json_loads("[{\"a\":[1,2.5,\"x\",true,null],\"b\":[]},[],\"\",-7]", 0, NULL);
	assert_true(json_equal(out, want));
	json_decref(out);
	json_decref(want);
	json_decref(in);
	put("policies/drift.lua",
	    "return { decide = function(k) if k == 1 then return {[1]='a', x='b'} "
	    "elseif k == 2 then return function() end else return 0/0 end end }");
	const char *wants[] = {"mixes list and named keys", "a function cannot be returned",
	                       "not a finite number"};
	for (int k = 1; k <= 3; k++) {
		json_t *args = json_pack("[i]", k);
		assert_int_not_equal(plua_call(h, "policies/drift.lua", "decide", args, &out, &err),
		                     0);
		assert_non_null(strstr(err.message, wants[k - 1]));
		json_decref(args);
	}
	plua_free(h);
}

static void policy_answers_are_validated(void **state)
{
	struct plua *h = host(0, 0);
	struct pg_err err = {0};
	json_t *ctx = json_loads("{\"nodes\":[{\"id\":1,\"status\":\"online\"},{\"id\":2,"
	                         "\"status\":\"offline\"}],"
	                         "\"strategy\":{\"batchSize\":1}}",
	                         0, NULL),
	       *plan = NULL;
	assert_int_equal(plua_batch_plan(h, ctx, &plan, &err), 0);
	json_decref(plan);
	const char *wrong[] = {
	        "return { plan = function() return { batches = {} , skipped = {} } end }",
	        "return { plan = function() return { batches = {{index=1, nodes={1,1}, "
	        "canary=false, maxParallel=1, failureThreshold=0, timeoutSec=1, pauseAfterSec=0}}, "
	        "skipped = {{nodeId=2, reason='offline'}} } end }",
	        "return { plan = function() return { batches = {{index=1, nodes={1,9}, "
	        "canary=false, maxParallel=1, failureThreshold=0, timeoutSec=1, pauseAfterSec=0}}, "
	        "skipped = {{nodeId=2, reason='offline'}} } end }",
	        "return { plan = function() return 'all at once' end }",
	};
	for (size_t i = 0; i < sizeof(wrong) / sizeof(wrong[0]); i++) {
		put("policies/batch.lua", wrong[i]);
		assert_int_not_equal(plua_batch_plan(h, ctx, &plan, &err), 0);
		assert_non_null(strstr(err.message, "policies/batch.lua returned a bad value"));
	}
	json_decref(ctx);

	json_t *svc = json_pack("{s:s}", "name", "s");
	json_t *eps = json_loads(
	        "[{\"nodeId\":1,\"ip\":\"10.0.0.1\",\"port\":80,\"health\":\"healthy\"}]", 0, NULL);
	json_t *res = NULL;
	assert_int_equal(plua_upstream_filter(h, svc, eps, NULL, &res, &err), 0);
	json_decref(res);
	put("policies/upstream.lua",
	    "return { filter = function() return { status = 'ok', servers = {{address='6.6.6.6', "
	    "port=80, weight=1, backup=false}} } end }");
	assert_int_not_equal(plua_upstream_filter(h, svc, eps, NULL, &res, &err), 0);
	assert_non_null(strstr(err.message, "not one of the endpoints"));
	json_decref(svc);
	json_decref(eps);

	json_t *rctx = json_loads("{\"batch\":{\"nodes\":[]}}", 0, NULL), *d = NULL;
	put("policies/rollback.lua",
	    "return { decide = function() return { action = 'rollback', reason = 'x' } end }");
	assert_int_not_equal(plua_rollback_decide(h, rctx, &d, &err), 0);
	assert_non_null(strstr(err.message, "targetReleaseId"));
	json_decref(rctx);
	plua_free(h);
}

static void render_errors_name_the_field(void **state)
{
	struct plua *h = host(0, 0);
	struct pg_err err = {0};
	char *text = NULL;
	json_t *site = json_loads(
	        "{\"name\":\"s\",\"domains\":[\"a.test;\"],\"locations\":[],\"upstreams\":[]}", 0,
	        NULL);
	assert_int_equal(plua_render(h, "nginx_site", site, &text, &err), PG_EINVAL);
	assert_string_equal(err.field, "domains[1]");
	json_decref(site);
	/* a template override is used too, and the .tpl is tracked for reload */
	put("templates/systemd_unit.tpl", "custom {{ unit.name }}\n");
	json_t *unit = json_pack("{s:s, s:s}", "name", "a.service", "exec", "/bin/true");
	assert_int_equal(plua_render(h, "systemd_unit", unit, &text, &err), 0);
	assert_string_equal(text, "custom a.service\n");
	free(text);
	json_decref(unit);
	plua_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(override_wins_and_removal_falls_back, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(bad_reload_keeps_last_good, setup, teardown),
	        cmocka_unit_test_setup_teardown(budget_stops_runaway_calls, setup, teardown),
	        cmocka_unit_test_setup_teardown(limits_beyond_the_instruction_budget, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(strings_with_nul_are_refused, setup, teardown),
	        cmocka_unit_test_setup_teardown(memory_cap_holds, setup, teardown),
	        cmocka_unit_test_setup_teardown(conversions_round_trip, setup, teardown),
	        cmocka_unit_test_setup_teardown(policy_answers_are_validated, setup, teardown),
	        cmocka_unit_test_setup_teardown(render_errors_name_the_field, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
