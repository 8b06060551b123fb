/* Request helpers: typed getters, unknown fields, times, paths, errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>

#include "common/pg_buf.h"
#include "common/pg_json.h"
#include "common/pg_path.h"
#include "common/pg_time.h"

static void getters(void **state)
{
	json_t *o = json_loads("{\"s\":\"x\",\"i\":5,\"b\":true,\"n\":null,\"big\":99999999999}", 0,
	                       NULL);
	struct pg_err err = {0};
	const char *s = NULL;
	int64_t i = 0;
	bool b = false;
	assert_int_equal(pg_json_str(o, "s", true, 10, &s, &err), 0);
	assert_string_equal(s, "x");
	assert_int_equal(pg_json_str(o, "i", true, 10, &s, &err), PG_EINVAL);
	assert_string_equal(err.field, "i");
	assert_int_equal(pg_json_str(o, "missing", true, 10, &s, &err), PG_EINVAL);
	assert_string_equal(err.field, "missing");
	assert_int_equal(pg_json_str(o, "n", false, 10, &s, &err), 0);
	assert_int_equal(pg_json_int(o, "i", true, 0, 10, &i, &err), 0);
	assert_int_equal(i, 5);
	assert_int_equal(pg_json_int(o, "big", true, 0, 1000, &i, &err), PG_EINVAL);
	assert_int_equal(pg_json_bool(o, "b", true, &b, &err), 0);
	assert_true(b);
	assert_int_equal(pg_json_bool(o, "s", true, &b, &err), PG_EINVAL);
	static const char *const allowed[] = {"s", "i", "b", "n", NULL};
	assert_int_equal(pg_json_only(o, allowed, &err), PG_EINVAL);
	assert_string_equal(err.field, "big");
	json_decref(o);
}

static void string_maps(void **state)
{
	struct pg_err err = {0};
	json_t *ok = json_loads("{\"env\":\"prod\",\"team/a\":\"x\"}", 0, NULL);
	json_t *bad = json_loads("{\"env\":\"a\\nb\"}", 0, NULL);
	json_t *badkey = json_loads("{\"e v\":\"a\"}", 0, NULL);
	assert_int_equal(pg_json_string_map(ok, "labels", 64, &err), 0);
	assert_int_equal(pg_json_string_map(bad, "labels", 64, &err), PG_EINVAL);
	assert_string_equal(err.field, "labels.env");
	assert_int_equal(pg_json_string_map(badkey, "labels", 64, &err), PG_EINVAL);
	json_decref(ok);
	json_decref(bad);
	json_decref(badkey);
}

static void times(void **state)
{
	int64_t ms = 0;
	char buf[40];
	assert_int_equal(pg_time_parse("2026-11-26T07:22:03.123Z", &ms), 0);
	pg_time_format(ms, buf, sizeof(buf));
	assert_string_equal(buf, "2026-11-26T07:22:03.123Z");
	int64_t ms2 = 0;
	assert_int_equal(pg_time_parse("2026-11-26T09:22:03.123+02:00", &ms2), 0);
	assert_int_equal(ms, ms2);
	assert_int_equal(pg_time_parse("2026-11-26", &ms), PG_EINVAL);
	assert_int_equal(pg_time_parse("2026-11-26T07:22:03Zjunk", &ms), PG_EINVAL);
	assert_int_equal(pg_time_parse("2026-11-26T07:22:03.Z", &ms), PG_EINVAL);
	/* no silent roll-over into the next month */
	assert_int_equal(pg_time_parse("2030-02-30T00:00:00Z", &ms), PG_EINVAL);
	assert_int_equal(pg_time_parse("2030-04-31T00:00:00Z", &ms), PG_EINVAL);
	assert_int_equal(pg_time_parse("2028-02-29T00:00:00Z", &ms), 0);
}

static void strict_integers(void **state)
{
	int64_t v = 0;
	assert_true(pg_parse_i64("1", &v) && v == 1);
	assert_true(pg_parse_i64("0", &v) && v == 0);
	assert_true(pg_parse_i64("-42", &v) && v == -42);
	assert_true(pg_parse_i64("9223372036854775807", &v) && v == INT64_MAX);
	const char *bad[] = {"",     " 1", "+1", "01", "1 ", "1x", "-", "99999999999999999999",
	                     "0x10", "--1"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (pg_parse_i64(bad[i], &v))
			fail_msg("'%s' was accepted", bad[i]);
	char longp[PG_PATH_MAX + 8];
	memset(longp, 'a', sizeof(longp) - 1);
	longp[sizeof(longp) - 1] = '\0';
	for (size_t i = 0; i < sizeof(longp) - 1; i += 100)
		longp[i] = '/';
	assert_non_null(pg_path_problem(longp));
	longp[PG_PATH_MAX] = '\0';
	assert_null(pg_path_problem(longp));
}

static void paths(void **state)
{
	assert_null(pg_path_problem("/etc/nginx/conf.d/a.conf"));
	assert_non_null(pg_path_problem("etc"));
	assert_non_null(pg_path_problem("/etc/../x"));
	assert_non_null(pg_path_problem("/etc/./x"));
	assert_non_null(pg_path_problem("/etc//x"));
	assert_non_null(pg_path_problem("/etc/"));
	assert_non_null(pg_path_problem("/etc/\x01"));
	assert_true(pg_path_under("/etc/nginx/a", "/etc/nginx"));
	assert_true(pg_path_under("/etc/nginx", "/etc/nginx"));
	assert_false(pg_path_under("/etc/nginxevil/a", "/etc/nginx"));
	assert_false(pg_path_under("/etc", "/etc/nginx"));
}

static void error_fields(void **state)
{
	struct pg_err err = {0};
	pg_err_set(&err, PG_EINVAL, "path", "bad");
	pg_err_prefix_field(&err, "files[2]");
	pg_err_prefix_field(&err, "payload");
	assert_string_equal(err.field, "payload.files[2].path");
	assert_string_equal(pg_err_code_name(PG_ECONFLICT), "conflict");
	assert_int_equal(pg_err_http_status(PG_ETOOLARGE), 413);
	assert_int_equal(pg_err_http_status(PG_EFORBIDDEN), 403);
}

/* The buffer that collects network answers: grows, stays NUL-terminated,
 * refuses (and says so) what would pass its cap, and curl's callback
 * reports a refusal as a short write. */
static void buffers(void **state)
{
	(void)state;
	struct pg_buf b = {.max = 10};
	assert_true(pg_buf_append(&b, "hello", 5));
	assert_true(pg_buf_append(&b, " you", 4));
	assert_string_equal(b.data, "hello you");
	assert_int_equal(b.len, 9);
	assert_false(pg_buf_append(&b, "!!", 2));
	assert_true(b.too_big);
	assert_string_equal(b.data, "hello you");
	assert_true(pg_buf_append(&b, "!", 1));
	assert_int_equal(b.len, 10);
	assert_false(pg_buf_append(&b, "x", (size_t)-1)); /* no overflow of len + n */
	char chunk[4] = "abcd";
	pg_buf_reset(&b);
	assert_null(b.data);
	assert_false(b.too_big);
	assert_int_equal(pg_buf_curl_write(chunk, 2, 2, &b), 4);
	assert_int_equal(pg_buf_curl_write(chunk, 1, 4, &b), 4);
	assert_int_equal(pg_buf_curl_write(chunk, 1, 4, &b), 0);
	assert_memory_equal(b.data, "abcdabcd", 9);
	pg_buf_reset(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(getters),         cmocka_unit_test(string_maps),
	        cmocka_unit_test(times),           cmocka_unit_test(paths),
	        cmocka_unit_test(strict_integers), cmocka_unit_test(error_fields),
	        cmocka_unit_test(buffers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
