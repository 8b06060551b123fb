/* The agent's confined writes: roots, traversal, symlink escapes, atomic
 * replacement with mode, idempotent rewrite. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent.h"
#include "common/pg_file.h"

static char dir[64];

static int setup(void **state)
{
	snprintf(dir, sizeof(dir), "/tmp/pagoda-paths-XXXXXX");
	assert_non_null(mkdtemp(dir));
	const char *roots[] = {"/etc/pagoda", "/etc/nginx"};
	struct agent_paths *p = NULL;
	assert_int_equal(agent_paths_new(dir, roots, 2, &p, NULL), 0);
	*state = p;
	return 0;
}

static int teardown(void **state)
{
	agent_paths_free(*state);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd);
}

static int write_file(struct agent_paths *p, const char *path, const char *content, unsigned mode,
                      bool *changed, struct pg_err *err)
{
	char sha[65];
	return agent_paths_write(p, path, content, strlen(content), mode, NULL, NULL, changed, sha,
	                         err);
}

static void writes_with_mode_and_is_idempotent(void **state)
{
	struct pg_err err = {0};
	bool changed = false;
	assert_int_equal(
	        write_file(*state, "/etc/pagoda/app/sub/a.conf", "v1\n", 0640, &changed, &err), 0);
	assert_true(changed);
	char real[256];
	snprintf(real, sizeof(real), "%s/etc/pagoda/app/sub/a.conf", dir);
	struct stat st;
	assert_int_equal(stat(real, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0640);
	assert_int_equal(st.st_size, 3);
	assert_int_equal(
	        write_file(*state, "/etc/pagoda/app/sub/a.conf", "v1\n", 0640, &changed, &err), 0);
	assert_false(changed);
	assert_int_equal(
	        write_file(*state, "/etc/pagoda/app/sub/a.conf", "v1\n", 0600, &changed, &err), 0);
	assert_true(changed);
	assert_int_equal(write_file(*state, "/etc/pagoda/app/sub/a.conf", "v2 longer\n", 0600,
	                            &changed, &err),
	                 0);
	assert_int_equal(stat(real, &st), 0);
	assert_int_equal(st.st_size, 10);
	/* No temp files are left beside it. */
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "test $(ls -A %s/etc/pagoda/app/sub | wc -l) -eq 1", dir);
	assert_int_equal(system(cmd), 0);
}

/* A FIFO planted at the target blocked the task thread for ever; an owner
 * of (uid_t)-1 was "written" without any chown. */
static void refuses_fifos_and_unusable_owners(void **state)
{
	struct pg_err err = {0};
	bool changed = false;
	assert_int_equal(write_file(*state, "/etc/pagoda/app/x.conf", "v1\n", 0640, &changed, &err),
	                 0);
	char real[256];
	snprintf(real, sizeof(real), "%s/etc/pagoda/app/fifo.conf", dir);
	assert_int_equal(mkfifo(real, 0600), 0);
	assert_int_not_equal(
	        write_file(*state, "/etc/pagoda/app/fifo.conf", "v1\n", 0640, &changed, &err), 0);
	assert_non_null(strstr(err.message, "FIFO"));
	char *data = NULL;
	size_t len;
	assert_int_not_equal(pg_file_read(real, 100, &data, &len, &err), 0);
	assert_non_null(strstr(err.message, "not a regular file"));
	char sha[65];
	const char *owners[] = {"4294967295", "-1", "99999999999999999999"};
	for (int i = 0; i < 3; i++) {
		assert_int_not_equal(agent_paths_write(*state, "/etc/pagoda/app/x.conf", "v2\n", 3,
		                                       0640, owners[i], NULL, &changed, sha, &err),
		                     0);
		assert_string_equal(err.field, "owner");
	}
}

static void refuses_outside_roots(void **state)
{
	struct pg_err err = {0};
	bool changed;
	const char *bad[] = {"/etc/passwd",
	                     "/etc/pagoda",
	                     "/etc/pagodaevil/x",
	                     "/etc/pagoda/../passwd",
	                     "relative/x",
	                     "/etc/pagoda//x",
	                     NULL};
	for (int i = 0; bad[i]; i++) {
		assert_int_not_equal(write_file(*state, bad[i], "x", 0644, &changed, &err), 0);
		assert_string_equal(err.field, "path");
	}
	char passwd[256];
	snprintf(passwd, sizeof(passwd), "%s/etc/passwd", dir);
	assert_int_not_equal(access(passwd, F_OK), 0);
}

static void refuses_symlink_escape(void **state)
{
	struct pg_err err = {0};
	bool changed;
	char outside[128], link[256], cmd[512];
	snprintf(outside, sizeof(outside), "%s/outside", dir);
	mkdir(outside, 0755);
	assert_int_equal(write_file(*state, "/etc/nginx/conf.d/ok.conf", "x", 0644, &changed, &err),
	                 0);
	snprintf(link, sizeof(link), "%s/etc/nginx/evil", dir);
	assert_int_equal(symlink(outside, link), 0);
	assert_int_equal(
	        write_file(*state, "/etc/nginx/evil/x.conf", "pwned", 0644, &changed, &err),
	        PG_EFORBIDDEN);
	assert_non_null(strstr(err.message, "symlink"));
	snprintf(cmd, sizeof(cmd), "test -z \"$(ls -A %s)\"", outside);
	assert_int_equal(system(cmd), 0);
	/* A symlink as the final name is replaced, never written through. */
	char target[256], lastlink[256];
	snprintf(target, sizeof(target), "%s/target", outside);
	snprintf(lastlink, sizeof(lastlink), "%s/etc/nginx/conf.d/last.conf", dir);
	assert_int_equal(symlink(target, lastlink), 0);
	assert_int_equal(
	        write_file(*state, "/etc/nginx/conf.d/last.conf", "new", 0644, &changed, &err), 0);
	assert_int_not_equal(access(target, F_OK), 0);
	struct stat st;
	assert_int_equal(lstat(lastlink, &st), 0);
	assert_true(S_ISREG(st.st_mode));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(writes_with_mode_and_is_idempotent, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(refuses_outside_roots, setup, teardown),
	        cmocka_unit_test_setup_teardown(refuses_fifos_and_unusable_owners, setup, teardown),
	        cmocka_unit_test_setup_teardown(refuses_symlink_escape, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
