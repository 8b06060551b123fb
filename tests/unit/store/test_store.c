/* Both stores: migrations, $N parameters, uniqueness as conflict, rollback
 * leaves nothing behind, per-thread connections. SQLite always; PostgreSQL
 * too when PAGODA_TEST_PG_URL names a server (a fresh database each test). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/store.h"

static char dir[64], target[512], pg_db[64];
static const char *pg_base; /* NULL: the SQLite run */

static int psql(const char *sql)
{
	char cmd[1024];
	snprintf(cmd, sizeof(cmd), "psql -X -q -d '%s' -c '%s' >/dev/null", pg_base, sql);
	return system(cmd);
}

static int setup(void **state)
{
	if (pg_base) {
		char sql[128];
		snprintf(pg_db, sizeof(pg_db), "u_%d_%ld", (int)getpid(), random() % 1000000);
		snprintf(sql, sizeof(sql), "CREATE DATABASE %s", pg_db);
		assert_int_equal(psql(sql), 0);
		snprintf(target, sizeof(target), "%.*s/%s", (int)(strrchr(pg_base, '/') - pg_base),
		         pg_base, pg_db);
	} else {
		snprintf(dir, sizeof(dir), "/tmp/pagoda-store-XXXXXX");
		assert_non_null(mkdtemp(dir));
		snprintf(target, sizeof(target), "%s/t.db", dir);
	}
	struct pg_err err = {0};
	struct store *s = NULL;
	assert_int_equal(store_open(target, &s, &err), 0);
	*state = s;
	return 0;
}

static int teardown(void **state)
{
	store_free(*state);
	char cmd[128];
	if (pg_base) {
		snprintf(cmd, sizeof(cmd), "DROP DATABASE %s", pg_db);
		return psql(cmd);
	}
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd);
}

static void migrations_applied_once(void **state)
{
	struct store *s = *state;
	assert_true(store_schema_version(s) >= 1);
	int v = store_schema_version(s);
	assert_string_equal(store_driver_name(s), pg_base ? "postgres" : "sqlite");
	store_free(s);
	struct pg_err err = {0};
	assert_int_equal(store_open(target, &s, &err), 0);
	assert_int_equal(store_schema_version(s), v);
	*state = s;
}

static void params_and_returning(void **state)
{
	struct pg_err err = {0};
	struct store_conn *c = store_conn_get(*state, &err);
	assert_non_null(c);
	struct store_stmt *st;
	/* $2 before $1 and a repeated $1: numbered, not positional. */
	static const char sql[] = "SELECT CAST($2 AS TEXT) || '-' || CAST($1 AS TEXT) || '-' || $1";
	assert_int_equal(store_prepare(c, sql, &st, &err), 0);
	store_bind_text(st, 1, "a");
	store_bind_text(st, 2, "b");
	assert_int_equal(store_step(st, &err), 1);
	assert_string_equal(store_col_text(st, 0), "b-a-a");
	store_done(st);
	static const char ins[] = "INSERT INTO cluster_node (name, ip, created_at, updated_at)"
	                          " VALUES ($1, '10.0.0.1', 1, 1) RETURNING id";
	assert_int_equal(store_prepare(c, ins, &st, &err), 0);
	store_bind_text(st, 1, "n1");
	assert_int_equal(store_step(st, &err), 1);
	assert_true(store_col_i64(st, 0) > 0);
	store_done(st);
	store_bind_text(st, 1, "n1");
	assert_int_equal(store_step(st, &err), PG_ECONFLICT);
	store_done(st);
}

static void rollback_discards(void **state)
{
	struct pg_err err = {0};
	struct store_conn *c = store_conn_get(*state, &err);
	assert_int_equal(store_begin(c, STORE_TX_WRITE, &err), 0);
	assert_int_equal(store_exec(c,
	                            "INSERT INTO cluster_node (name, ip, created_at, updated_at)"
	                            " VALUES ('gone', '10.0.0.2', 1, 1)",
	                            &err),
	                 1);
	store_rollback(c);
	struct store_stmt *st;
	static const char q[] = "SELECT COUNT(*) FROM cluster_node WHERE name = 'gone'";
	assert_int_equal(store_prepare(c, q, &st, &err), 0);
	assert_int_equal(store_step(st, &err), 1);
	assert_int_equal(store_col_i64(st, 0), 0);
	store_done(st);
}

static void *other_thread(void *arg)
{
	struct pg_err err = {0};
	return store_conn_get(arg, &err);
}

static void connection_per_thread(void **state)
{
	struct pg_err err = {0};
	struct store_conn *mine = store_conn_get(*state, &err);
	assert_ptr_equal(mine, store_conn_get(*state, &err));
	pthread_t t;
	void *theirs = NULL;
	pthread_create(&t, NULL, other_thread, *state);
	pthread_join(t, &theirs);
	assert_non_null(theirs);
	assert_ptr_not_equal(theirs, mine);
}

static int64_t count_named(struct store_conn *c, const char *name)
{
	struct pg_err err = {0};
	struct store_stmt *st;
	assert_int_equal(
	        store_prepare(c, "SELECT COUNT(*) FROM cluster_node WHERE name = $1", &st, &err),
	        0);
	store_bind_text(st, 1, name);
	assert_int_equal(store_step(st, &err), 1);
	int64_t n = store_col_i64(st, 0);
	store_done(st);
	return n;
}

static void job(struct store_conn *c, const char *name, bool commit)
{
	struct pg_err err = {0};
	struct store_stmt *st;
	/* one static text: statements are cached by the DAO's string */
	static const char ins[] =
	        "INSERT INTO cluster_node (name, ip, created_at, updated_at) VALUES ($1, $1, 1, 1)";
	assert_int_equal(store_begin(c, STORE_TX_WRITE, &err), 0);
	assert_int_equal(store_prepare(c, ins, &st, &err), 0);
	store_bind_text(st, 1, name);
	assert_int_equal(store_step(st, &err), 0);
	store_done(st);
	if (commit)
		assert_int_equal(store_commit(c, &err), 0);
	else
		store_rollback(c);
}

struct after_count {
	int ran, freed;
};

static void after_ran(void *arg)
{
	((struct after_count *)arg)->ran++;
}

static void after_freed(void *arg)
{
	((struct after_count *)arg)->freed++;
}

static void *count_a_elsewhere(void *arg)
{
	struct pg_err err = {0};
	return (void *)(intptr_t)count_named(store_conn_get(arg, &err), "a");
}

/* Group commit, on both stores: jobs are savepoints of one transaction,
 * nothing is visible to others nor any after-commit callback run before
 * the end; a rolled back job leaves nothing; a rolled back group drops its
 * work and its callbacks. */
static void group_commit(void **state)
{
	struct pg_err err = {0};
	struct store_conn *c = store_conn_get(*state, &err);
	struct after_count n = {0};
	assert_int_equal(store_group_begin(c, &err), 0);
	job(c, "a", true);
	job(c, "b", false);
	job(c, "c", true);
	store_after_commit(c, after_ran, after_freed, &n);
	pthread_t t;
	void *seen = NULL;
	pthread_create(&t, NULL, count_a_elsewhere, *state);
	pthread_join(t, &seen);
	/* both stores: nothing is seen elsewhere, nor run, before the group ends */
	assert_int_equal((intptr_t)seen, 0);
	assert_int_equal(n.ran, 0);
	assert_int_equal(store_group_end(c, true, &err), 0);
	assert_int_equal(n.ran, 1);
	assert_int_equal(n.freed, 1);
	assert_int_equal(count_named(c, "a") + count_named(c, "c"), 2);
	assert_int_equal(count_named(c, "b"), 0);

	assert_int_equal(store_group_begin(c, &err), 0);
	job(c, "d", true);
	store_after_commit(c, after_ran, after_freed, &n);
	assert_int_equal(store_group_end(c, false, &err), 0);
	assert_int_equal(n.ran, 1);
	assert_int_equal(n.freed, 2);
	assert_int_equal(count_named(c, "d"), 0);
}

static int run(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(migrations_applied_once, setup, teardown),
	        cmocka_unit_test_setup_teardown(params_and_returning, setup, teardown),
	        cmocka_unit_test_setup_teardown(rollback_discards, setup, teardown),
	        cmocka_unit_test_setup_teardown(connection_per_thread, setup, teardown),
	        cmocka_unit_test_setup_teardown(group_commit, setup, teardown),
	};
	return cmocka_run_group_tests_name(pg_base ? "postgres" : "sqlite", tests, NULL, NULL);
}

int main(void)
{
	int failed = run();
	pg_base = getenv("PAGODA_TEST_PG_URL");
	if (pg_base && *pg_base)
		failed += run();
	return failed;
}
