/* One-time join tokens (auth_join_token): DAO and rules in one place. */
#include "auth/auth.h"
#include "auth/auth_store.h"
#include "common/pg_crypto.h"
#include "common/pg_json.h"
#include "common/pg_time.h"
#include "store/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JOIN_COLS                                                                                  \
	"id, name, labels, created_by, created_at, expires_at, revoked_at, used_at, node_id"

static json_t *join_row(struct store_stmt *st)
{
	json_t *t = json_object();
	json_object_set_new(t, "id", json_integer(store_col_i64(st, 0)));
	json_object_set_new(t, "name", json_string(store_col_text(st, 1)));
	json_object_set_new(t, "labels", pg_json_load_text(store_col_text(st, 2)));
	json_object_set_new(t, "createdBy",
	                    store_col_null(st, 3) ? json_null()
	                                          : json_integer(store_col_i64(st, 3)));
	pg_json_set_time(t, "createdAt", store_col_i64(st, 4));
	pg_json_set_time(t, "expiresAt", store_col_i64(st, 5));
	pg_json_set_time(t, "revokedAt", store_col_i64(st, 6));
	pg_json_set_time(t, "usedAt", store_col_i64(st, 7));
	json_object_set_new(t, "nodeId",
	                    store_col_null(st, 8) ? json_null()
	                                          : json_integer(store_col_i64(st, 8)));
	int64_t now = pg_time_now_ms();
	const char *state = !store_col_null(st, 7)        ? "used"
	                    : !store_col_null(st, 6)      ? "revoked"
	                    : store_col_i64(st, 5) <= now ? "expired"
	                                                  : "valid";
	json_object_set_new(t, "state", json_string(state));
	return t;
}

static int get(struct store_conn *c, int64_t id, json_t **out, struct pg_err *err)
{
	static const char sql[] = "SELECT " JOIN_COLS " FROM auth_join_token WHERE id = $1";
	struct store_stmt *st;
	int rc = store_query(c, sql, &st, err, SI(id));
	if (rc > 0)
		*out = join_row(st);
	store_done(st);
	if (rc == 0)
		return pg_err_set(err, PG_ENOTFOUND, "id", "no join token %lld", (long long)id);
	return rc < 0 ? rc : 0;
}

int auth_join_create(struct store_conn *c, const char *name, const char *labels_json,
                     int64_t ttl_ms, int64_t created_by, char secret[AUTH_SECRET_LEN], json_t **out,
                     struct pg_err *err)
{
	static const char sql[] =
	        "INSERT INTO auth_join_token (name, secret_hash, labels, created_by, created_at,"
	        " expires_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id";
	char hash[65];
	int rc = auth_secret_new("pgj_", secret, hash, err);
	if (rc != 0)
		return rc;
	int64_t now = pg_time_now_ms(), id = 0;
	struct store_stmt *st;
	rc = store_query(c, sql, &st, err, ST(name), ST(hash), ST(labels_json), SIN(created_by),
	                 SI(now), SI(now + ttl_ms));
	if (rc > 0)
		id = store_col_i64(st, 0);
	store_done(st);
	if (rc < 0)
		return rc;
	return get(c, id, out, err);
}

/* The token behind secret when it can still be used: unknown, used,
 * revoked and expired tokens are EUNAUTH, each with its reason. */
static int join_find(struct store_conn *c, const char *secret, int64_t *id, char **labels_json,
                     struct pg_err *err)
{
	static const char find[] =
	        "SELECT id, labels, secret_hash, used_at, revoked_at, expires_at, node_id"
	        " FROM auth_join_token WHERE secret_hash = $1";
	*labels_json = NULL;
	if (strlen(secret) != AUTH_SECRET_LEN - 1 || strncmp(secret, "pgj_", 4) != 0)
		return pg_err_set(err, PG_EUNAUTH, "joinToken", "malformed join token");
	char hash[65], stored[65] = "";
	pg_sha256_hex(secret, strlen(secret), hash);
	struct store_stmt *st;
	int rc = store_query(c, find, &st, err, ST(hash));
	bool used = false, revoked = false, expired = false;
	int64_t node = 0;
	if (rc > 0) {
		*id = store_col_i64(st, 0);
		*labels_json = strdup(store_col_text(st, 1));
		snprintf(stored, sizeof(stored), "%s", store_col_text(st, 2));
		used = !store_col_null(st, 3);
		revoked = !store_col_null(st, 4);
		expired = store_col_i64(st, 5) <= pg_time_now_ms();
		node = store_col_null(st, 6) ? 0 : store_col_i64(st, 6);
	}
	store_done(st);
	if (rc < 0)
		return rc;
	if (rc == 0 || !pg_secure_streq(hash, stored))
		rc = pg_err_set(err, PG_EUNAUTH, "joinToken", "unknown join token");
	else if (used)
		rc = pg_err_set(err, PG_EUNAUTH, "joinToken",
		                "join token already used (by node %lld): make a new one",
		                (long long)node);
	else if (revoked)
		rc = pg_err_set(err, PG_EUNAUTH, "joinToken", "join token revoked");
	else if (expired)
		rc = pg_err_set(err, PG_EUNAUTH, "joinToken", "join token expired: make a new one");
	else
		rc = *labels_json ? 0 : pg_err_set(err, PG_EINTERNAL, "", "out of memory");
	if (rc != 0) {
		free(*labels_json);
		*labels_json = NULL;
	}
	return rc;
}

int auth_join_check(struct store_conn *c, const char *secret, struct pg_err *err)
{
	int64_t id;
	char *labels = NULL;
	int rc = join_find(c, secret, &id, &labels, err);
	free(labels);
	return rc;
}

int auth_join_consume(struct store_conn *c, const char *secret, char **labels_json, int64_t *id,
                      struct pg_err *err)
{
	/* the conditions again in the update: two agents presenting the same
	 * token at once, one wins */
	static const char use[] =
	        "UPDATE auth_join_token SET used_at = $1 WHERE id = $2 AND used_at IS NULL"
	        " AND revoked_at IS NULL AND expires_at > $1";
	int rc = join_find(c, secret, id, labels_json, err);
	if (rc == 0 && (rc = store_run(c, use, err, SI(pg_time_now_ms()), SI(*id))) == 0)
		rc = pg_err_set(err, PG_EUNAUTH, "joinToken",
		                "join token already used, revoked or expired");
	if (rc > 0)
		rc = 0;
	if (rc != 0) {
		free(*labels_json);
		*labels_json = NULL;
	}
	return rc;
}

int auth_join_bind(struct store_conn *c, int64_t id, int64_t node_id, struct pg_err *err)
{
	static const char sql[] = "UPDATE auth_join_token SET node_id = $1 WHERE id = $2";
	int rc = store_run(c, sql, err, SI(node_id), SI(id));
	return rc < 0 ? rc : 0;
}

int auth_join_list(struct store_conn *c, json_t *items, struct pg_err *err)
{
	static const char sql[] =
	        "SELECT " JOIN_COLS " FROM auth_join_token ORDER BY id DESC LIMIT 1000";
	struct store_stmt *st;
	int rc;
	for (rc = store_query(c, sql, &st, err); rc > 0; rc = store_step(st, err))
		json_array_append_new(items, join_row(st));
	store_done(st);
	return rc < 0 ? rc : 0;
}

int auth_join_revoke(struct store_conn *c, int64_t id, struct pg_err *err)
{
	static const char sql[] =
	        "UPDATE auth_join_token SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL"
	        " AND used_at IS NULL";
	int rc = store_run(c, sql, err, SI(pg_time_now_ms()), SI(id));
	if (rc == 0)
		return pg_err_set(err, PG_ENOTFOUND, "id", "no unused join token %lld",
		                  (long long)id);
	return rc < 0 ? rc : 0;
}
