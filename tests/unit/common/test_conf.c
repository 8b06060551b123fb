/* pg_conf: precedence flag > environment > file > default, and every
 * refusal naming where the bad value came from. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/pg_conf.h"

struct s {
	const char *config, *listen, *store, *mode;
	long long threads, keep;
	bool public_, help;
	struct pg_conf_list san;
};

static bool valid_mode(const char *v)
{
	return strcmp(v, "a") == 0 || strcmp(v, "b") == 0;
}

#define O(f) offsetof(struct s, f)
static const struct pg_conf_opt opts[] = {
        {"config", PG_CONF_STR, O(config), .flags = PG_CONF_FLAG_ONLY, .help = "file"},
        {"listen", PG_CONF_STR, O(listen), .help = "x"},
        {"store", PG_CONF_STR, O(store), .flags = PG_CONF_SECRET, .help = "x"},
        {"mode", PG_CONF_STR, O(mode), .valid = valid_mode, .help = "x"},
        {"http-threads", PG_CONF_INT, O(threads), 1, 16, .help = "x"},
        {"public", PG_CONF_BOOL, O(public_), .help = "x"},
        {"san", PG_CONF_LIST, O(san), .help = "x"},
        {"backup.keep", PG_CONF_INT, O(keep), 1, 9, .help = "x"},
        {"help", PG_CONF_BOOL, O(help), .flags = PG_CONF_FLAG_ONLY, .help = "x"},
        {0},
};
static const struct pg_conf_src src = {.prog = "t", .env = "PGCONF_T_", .file_key = "config"};

static char file[64];

static void write_file(const char *text)
{
	strcpy(file, "/tmp/pg_conf_test_XXXXXX");
	int fd = mkstemp(file);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static int load(struct s *v, struct pg_conf **c, struct pg_err *err, int argc, char **argv)
{
	*v = (struct s){.listen = "default:1", .threads = 4, .keep = 7};
	return pg_conf_load(opts, &src, argc, argv, v, c, err);
}

static void precedence(void **state)
{
	write_file("; comment\nlisten = file:1\nhttp-threads = 8\nsan = a.example, b.example\n"
	           "[backup]\nkeep = 3\n");
	setenv("PGCONF_T_HTTP_THREADS", "9", 1);
	setenv("PGCONF_T_CONFIG", file, 1);
	char *argv[] = {"t", "--san", "c.example", "--san=d.example", "--public", NULL};
	struct s v;
	struct pg_conf *c = NULL;
	struct pg_err err = {0};
	assert_int_equal(load(&v, &c, &err, 5, argv), 0);
	assert_string_equal(v.listen, "file:1");
	assert_string_equal(pg_conf_source(c, "listen"), "file");
	assert_int_equal(v.threads, 9); /* environment over file */
	assert_string_equal(pg_conf_source(c, "http-threads"), "environment");
	assert_int_equal(v.keep, 3);
	assert_true(v.public_);
	/* a flag list replaces the file's */
	assert_int_equal(v.san.n, 2);
	assert_string_equal(v.san.v[0], "c.example");
	assert_string_equal(v.san.v[1], "d.example");
	assert_string_equal(pg_conf_source(c, "store"), "default");
	pg_conf_free(c);

	char *argv2[] = {"t", "--http-threads", "2", "--listen", "flag:1", NULL};
	assert_int_equal(load(&v, &c, &err, 5, argv2), 0);
	assert_int_equal(v.threads, 2);
	assert_string_equal(v.listen, "flag:1");
	assert_int_equal(v.san.n, 2); /* from the file, comma-separated */
	assert_string_equal(v.san.v[1], "b.example");
	pg_conf_free(c);
	unsetenv("PGCONF_T_HTTP_THREADS");
	unsetenv("PGCONF_T_CONFIG");
	unlink(file);
}

/* Each refusal names its origin and leaves a message a human can act on. */
static void refusals(void **state)
{
	static const struct {
		const char *file, *argv1, *argv2, *want;
	} cases[] = {
	        {"listen = a\nlissten = b\n", NULL, NULL, ":2: unknown key 'lissten'"},
	        {"http-threads = 99\n", NULL, NULL,
	         ":1: key 'http-threads': expected an integer from 1 to 16"},
	        {"http-threads = 4x\n", NULL, NULL, "bad value '4x'"},
	        {"mode = c\n", NULL, NULL, "bad value 'c'"},
	        {"public = maybe\n", NULL, NULL, "expected true or false"},
	        {"listen = a\nlisten = b\n", NULL, NULL, ":2: key 'listen' is set twice"},
	        {"help = true\n", NULL, NULL, ":1: key 'help' is a command-line flag only"},
	        {"config = /x\n", NULL, NULL, "unknown key 'config'"},
	        {"[backup]\nkeeep = 1\n", NULL, NULL, ":2: unknown key 'backup.keeep'"},
	        {"just words\n", NULL, NULL, ":1: not an INI line"},
	        {"", "--bogus", NULL, "unknown flag --bogus"},
	        {"", "--listen", NULL, "--listen needs a value"},
	        {"", "--http-threads", "0", "bad value '0' for --http-threads"},
	        {"", "--public=perhaps", NULL, "bad value 'perhaps' for --public"},
	        {"", "stray", NULL, "unexpected argument 'stray'"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		write_file(cases[i].file);
		char cfg[80];
		snprintf(cfg, sizeof(cfg), "--config=%s", file);
		char *argv[] = {"t", cfg, (char *)cases[i].argv1, (char *)cases[i].argv2, NULL};
		int argc = 2 + (cases[i].argv1 != NULL) + (cases[i].argv2 != NULL);
		struct s v;
		struct pg_conf *c = NULL;
		struct pg_err err = {0};
		assert_int_equal(load(&v, &c, &err, argc, argv), PG_EINVAL);
		if (!strstr(err.message, cases[i].want))
			fail_msg("case %zu: '%s' lacks '%s'", i, err.message, cases[i].want);
		pg_conf_free(c);
		unlink(file);
	}
	char *argv[] = {"t", "--config", "/nonexistent/t.conf", NULL};
	struct s v;
	struct pg_conf *c = NULL;
	struct pg_err err = {0};
	assert_int_equal(load(&v, &c, &err, 3, argv), PG_EINVAL);
	assert_non_null(strstr(err.message, "cannot read the config file /nonexistent/t.conf"));
	pg_conf_free(c);
	setenv("PGCONF_T_HTTP_THREADS", "many", 1);
	char *argv0[] = {"t", NULL};
	assert_int_equal(load(&v, &c, &err, 1, argv0), PG_EINVAL);
	assert_non_null(strstr(err.message, "for PGCONF_T_HTTP_THREADS"));
	unsetenv("PGCONF_T_HTTP_THREADS");
	pg_conf_free(c);
}

static void print_masks(void **state)
{
	char *argv[] = {"t", "--store", "postgres://pagoda:hunter2@db/pagoda", "--backup-keep",
	                "2", NULL};
	struct s v;
	struct pg_conf *c = NULL;
	struct pg_err err = {0};
	assert_int_equal(load(&v, &c, &err, 5, argv), 0);
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	pg_conf_print(c, &v, f);
	fclose(f);
	assert_null(strstr(text, "hunter2"));
	assert_non_null(strstr(text, "store = postgres://pagoda:****@db/pagoda    ; flag"));
	assert_non_null(strstr(text, "[backup]\nkeep = 2    ; flag"));
	assert_non_null(strstr(text, "; mode =     ; unset"));
	assert_null(strstr(text, "help"));
	free(text);
	pg_conf_free(c);
	char buf[64];
	assert_string_equal(pg_conf_mask("plain-secret", buf, sizeof(buf)), "****");
	assert_string_equal(pg_conf_mask("postgres://db/x", buf, sizeof(buf)), "postgres://db/x");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(precedence),
	        cmocka_unit_test(refusals),
	        cmocka_unit_test(print_masks),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
