/* Tokens: permission sets, hashing at rest, verification, revocation,
 * expiry, agent tokens bound to a node. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "auth/auth.h"
#include "common/pg_time.h"
#include "store/store.h"

static char dir[64];

static int setup(void **state)
{
	snprintf(dir, sizeof(dir), "/tmp/pagoda-auth-XXXXXX");
	assert_non_null(mkdtemp(dir));
	char path[128];
	snprintf(path, sizeof(path), "%s/t.db", dir);
	struct store *s = NULL;
	assert_int_equal(store_open(path, &s, NULL), 0);
	*state = s;
	return 0;
}

static int teardown(void **state)
{
	store_free(*state);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd);
}

static void perms_roundtrip(void **state)
{
	json_t *a = json_loads("[\"admin:node:read\",\"admin:audit:read\"]", 0, NULL);
	auth_perms p = 0;
	assert_int_equal(auth_perms_from_json(a, "permissions", &p, NULL), 0);
	json_t *back = auth_perms_to_json(p);
	assert_true(json_equal(a, back));
	json_decref(a);
	json_decref(back);
	json_t *star = json_loads("[\"*\"]", 0, NULL);
	assert_int_equal(auth_perms_from_json(star, "permissions", &p, NULL), 0);
	assert_true(p == auth_perms_all());
	json_decref(star);
	struct pg_err err = {0};
	json_t *bad = json_loads("[\"admin:node:read\",\"admin:everything\"]", 0, NULL);
	assert_int_equal(auth_perms_from_json(bad, "permissions", &p, &err), PG_EINVAL);
	assert_non_null(strstr(err.message, "permissions[1]"));
	json_decref(bad);
	json_t *empty = json_array();
	assert_int_equal(auth_perms_from_json(empty, "permissions", &p, &err), PG_EINVAL);
	json_decref(empty);
}

static void bootstrap_once_and_verify(void **state)
{
	struct store *s = *state;
	char path[128], secret[AUTH_SECRET_LEN];
	snprintf(path, sizeof(path), "%s/admin.token", dir);
	assert_int_equal(auth_bootstrap(s, path, NULL), 0);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	FILE *f = fopen(path, "r");
	assert_non_null(fgets(secret, sizeof(secret), f));
	fclose(f);
	secret[strcspn(secret, "\n")] = '\0';
	assert_int_equal(strlen(secret), AUTH_SECRET_LEN - 1);
	/* A second start keeps the first token. */
	unlink(path);
	assert_int_equal(auth_bootstrap(s, path, NULL), 0);
	assert_int_not_equal(access(path, F_OK), 0);

	struct pg_err err = {0};
	struct store_conn *c = store_conn_get(s, &err);
	struct auth_principal p;
	assert_int_equal(auth_verify(c, secret, &p, &err), 0);
	assert_int_equal(p.kind, AUTH_ADMIN);
	assert_true(auth_has_perm(&p, "admin:node:manage"));
	/* Only the hash is stored. */
	struct store_stmt *q;
	static const char sql[] = "SELECT COUNT(*) FROM auth_token WHERE secret_hash = $1";
	assert_int_equal(store_prepare(c, sql, &q, &err), 0);
	store_bind_text(q, 1, secret);
	assert_int_equal(store_step(q, &err), 1);
	assert_int_equal(store_col_i64(q, 0), 0);
	store_done(q);
	secret[10] ^= 1;
	assert_int_equal(auth_verify(c, secret, &p, &err), PG_EUNAUTH);
	assert_int_equal(auth_verify(c, "short", &p, &err), PG_EUNAUTH);
}

static void narrow_expired_and_agent_tokens(void **state)
{
	struct pg_err err = {0};
	struct store_conn *c = store_conn_get(*state, &err);
	char narrow[AUTH_SECRET_LEN], old[AUTH_SECRET_LEN], agent[AUTH_SECRET_LEN],
	        agent2[AUTH_SECRET_LEN];
	int64_t id;
	auth_perms read = (auth_perms)1 << auth_perm_bit("admin:node:read");
	assert_int_equal(auth_admin_token_create(c, "ro", read, NULL, 0, 0, narrow, &id, &err), 0);
	assert_int_equal(auth_admin_token_create(c, "old", read, NULL, 0, pg_time_now_ms() - 1, old,
	                                         &id, &err),
	                 0);
	struct auth_principal p;
	assert_int_equal(auth_verify(c, narrow, &p, &err), 0);
	assert_true(auth_has_perm(&p, "admin:node:read"));
	assert_false(auth_has_perm(&p, "admin:node:manage"));
	assert_int_equal(auth_verify(c, old, &p, &err), PG_EUNAUTH);
	assert_non_null(strstr(err.message, "expired"));

	assert_int_equal(
	        store_exec(c,
	                   "INSERT INTO cluster_node (id, name, ip, created_at, updated_at)"
	                   " VALUES (7, 'n7', '10.0.0.7', 1, 1)",
	                   &err),
	        1);
	assert_int_equal(auth_agent_token_issue(c, 7, 0, agent, &id, &err), 0);
	assert_int_equal(auth_verify(c, agent, &p, &err), 0);
	assert_int_equal(p.kind, AUTH_AGENT);
	assert_int_equal(p.node_id, 7);
	assert_false(auth_has_perm(&p, "admin:node:read"));
	/* Rotation with an overlap: both work until the grace period ends. */
	char agent3[AUTH_SECRET_LEN];
	assert_int_equal(auth_agent_token_issue(c, 7, 60000, agent3, &id, &err), 0);
	assert_int_equal(auth_verify(c, agent, &p, &err), 0);
	assert_int_equal(auth_verify(c, agent3, &p, &err), 0);
	assert_int_equal(store_exec(c,
	                            "UPDATE auth_token SET expires_at = 1 WHERE node_id = 7 AND "
	                            "expires_at IS NOT NULL",
	                            &err),
	                 1);
	assert_int_equal(auth_verify(c, agent, &p, &err), PG_EUNAUTH);
	assert_non_null(strstr(err.message, "expired"));
	/* Rotation without one revokes the previous agent tokens at once. */
	assert_int_equal(auth_agent_token_issue(c, 7, 0, agent2, &id, &err), 0);
	assert_int_equal(auth_verify(c, agent3, &p, &err), PG_EUNAUTH);
	assert_non_null(strstr(err.message, "revoked"));
	assert_int_equal(auth_verify(c, agent2, &p, &err), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(perms_roundtrip),
	        cmocka_unit_test_setup_teardown(bootstrap_once_and_verify, setup, teardown),
	        cmocka_unit_test_setup_teardown(narrow_expired_and_agent_tokens, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
