/* Config center pieces: format checks with line/column, masking of secret
 * values, and the secret envelope. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/pg_secret.h"
#include "config/config_int.h"

static void expect_invalid(const char *format, const char *content, const char *where)
{
	struct pg_err err = {0};
	assert_int_equal(config_validate(format, content, &err), PG_EINVAL);
	assert_string_equal(err.field, "content");
	if (!strstr(err.message, where))
		fail_msg("%s: '%s' not in '%s'", format, where, err.message);
}

static void formats(void **state)
{
	struct pg_err err = {0};
	assert_int_equal(config_validate("json", "{\"a\": [1, 2]}", &err), 0);
	assert_int_equal(config_validate("yaml", "a:\n  - 1\n  - 2\nb: {c: d}\n", &err), 0);
	assert_int_equal(config_validate("ini", "[db]\nhost = x\n; note\n", &err), 0);
	assert_int_equal(config_validate("env", "# c\nA=1\nexport B_2=two words\n\n", &err), 0);
	assert_int_equal(config_validate("text", "anything at all {", &err), 0);
	expect_invalid("json", "{\"a\": 1,\n \"b\": }", "line 2 column");
	expect_invalid("json", "{\"a\": 1, \"a\": 2}", "duplicate");
	expect_invalid("yaml", "a: [1, 2\nb: 3\n", "line 2 column");
	expect_invalid("yaml", "a: 1\n\tb: 2\n", "line 2 column");
	expect_invalid("ini", "[db]\nhost = x\nthis line is wrong\n", "line 3");
	expect_invalid("env", "A=1\n1BAD=2\n", "line 2 column 1");
	expect_invalid("env", "A=1\nexport NOEQUALS\n", "line 2");
	assert_int_equal(config_validate("xml", "", &err), PG_EINVAL);
	assert_string_equal(err.field, "format");
}

static void masking(void **state)
{
	char *m = config_mask("DB_PASS=hunter2\npassword: x\n\nonlyvalue\n", false);
	assert_string_equal(m, "DB_PASS=********\npassword:********\n\n********\n");
	free(m);
	m = config_mask("--- a v1\n+++ a v2\n@@ -1,2 +1,2 @@\n-K=old\n+K=new\n N=same\n", true);
	assert_string_equal(
	        m, "--- a v1\n+++ a v2\n@@ -1,2 +1,2 @@\n-K=********\n+K=********\n N=********\n");
	free(m);
}

static void secrets(void **state)
{
	char dir[] = "/tmp/pagoda-secret-XXXXXX";
	assert_non_null(mkdtemp(dir));
	struct pg_secret_key k1, k1again, k2;
	struct pg_err err = {0};
	assert_int_equal(pg_secret_key_load(dir, &k1, &err), 0);
	assert_int_equal(pg_secret_key_load(dir, &k1again, &err), 0);
	assert_memory_equal(k1.key, k1again.key, 32);
	char path[128];
	snprintf(path, sizeof(path), "%s/master.key", dir);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);

	char *sealed = NULL, *plain = NULL;
	size_t len = 0;
	assert_int_equal(pg_secret_seal(&k1, "hunter2", 7, "config:a:1", &sealed, &err), 0);
	assert_null(strstr(sealed, "hunter2"));
	assert_int_equal(strncmp(sealed, "v1:", 3), 0);
	assert_int_equal(pg_secret_open(&k1, sealed, "config:a:1", &plain, &len, &err), 0);
	assert_string_equal(plain, "hunter2");
	assert_int_equal(len, 7);
	free(plain);
	/* another context (a value moved elsewhere) or key does not open */
	assert_int_not_equal(pg_secret_open(&k1, sealed, "config:a:2", &plain, &len, &err), 0);
	char other[] = "/tmp/pagoda-secret2-XXXXXX";
	assert_non_null(mkdtemp(other));
	assert_int_equal(pg_secret_key_load(other, &k2, &err), 0);
	assert_int_not_equal(pg_secret_open(&k2, sealed, "config:a:1", &plain, &len, &err), 0);
	/* tampering is detected */
	sealed[10] = sealed[10] == 'A' ? 'B' : 'A';
	assert_int_not_equal(pg_secret_open(&k1, sealed, "config:a:1", &plain, &len, &err), 0);
	free(sealed);
	/* a key readable by others is refused */
	chmod(path, 0644);
	assert_int_equal(pg_secret_key_load(dir, &k1, &err), PG_EINVAL);
	assert_non_null(strstr(err.message, "0600"));
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s %s", dir, other);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(formats),
	        cmocka_unit_test(masking),
	        cmocka_unit_test(secrets),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
