/* pg_diff: unified diffs that `patch` applies to give back the new text,
 * on fixed cases and on many random ones. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/pg_diff.h"

static char dir[64];

static void write_file(const char *name, const char *text)
{
	char path[128];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static char *read_file(const char *name)
{
	char path[128];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	static char buf[1 << 16];
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* Diffs a -> b, applies the diff to a with patch(1), expects b. */
static void roundtrip(const char *a, const char *b)
{
	char *d = pg_diff_unified(a, b, "a/f", "b/f", 3);
	assert_non_null(d);
	if (strcmp(a, b) == 0) {
		assert_string_equal(d, "");
		free(d);
		return;
	}
	write_file("f", a);
	write_file("f.diff", d);
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "cd %s && patch -s --no-backup-if-mismatch f < f.diff", dir);
	if (system(cmd) != 0)
		fail_msg("patch refused:\n%s\nfrom:\n%s\nto:\n%s", d, a, b);
	if (strcmp(read_file("f"), b) != 0)
		fail_msg("patched text differs; diff was:\n%s", d);
	free(d);
}

static void fixed_cases(void **state)
{
	roundtrip("", "");
	roundtrip("a\n", "a\n");
	roundtrip("", "a\nb\n");
	roundtrip("a\nb\n", "");
	roundtrip("a\nb\nc\n", "a\nc\n");
	roundtrip("a\nb\nc\n", "a\nB\nc\n");
	roundtrip("a\nb", "a\nb\n");
	roundtrip("a\nb\n", "a\nb");
	roundtrip("1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n14\n15\n",
	          "1\nX\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\nY\n15\n");
	char *d = pg_diff_unified("a\nb\nc\n", "a\nB\nc\n", "old", "new", 3);
	assert_string_equal(d, "--- old\n+++ new\n@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n");
	free(d);
}

static void random_cases(void **state)
{
	srand(42);
	for (int t = 0; t < 300; t++) {
		char a[4096] = "", b[4096] = "";
		int na = rand() % 40, nb;
		for (int i = 0; i < na; i++)
			snprintf(a + strlen(a), sizeof(a) - strlen(a), "line %d\n", rand() % 8);
		/* b: a mutated copy, so the two share runs */
		nb = 0;
		const char *p = a;
		while (*p) {
			const char *nl = strchr(p, '\n');
			int r = rand() % 10;
			if (r == 0)
				snprintf(b + strlen(b), sizeof(b) - strlen(b), "new %d\n",
				         rand() % 5);
			if (r != 1)
				snprintf(b + strlen(b), sizeof(b) - strlen(b), "%.*s\n",
				         (int)(nl - p), p);
			p = nl + 1;
			nb++;
		}
		if (rand() % 5 == 0 && strlen(b) > 0)
			b[strlen(b) - 1] = '\0'; /* no newline at the end */
		roundtrip(a, b);
	}
}

static int setup(void **state)
{
	snprintf(dir, sizeof(dir), "/tmp/pagoda-diff-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(fixed_cases),
	        cmocka_unit_test(random_cases),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
