/* DAO for auth_token. */
#include "auth/auth_store.h"
#include "common/pg_json.h"
#include "common/pg_time.h"
#include "store/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int auth_store_find_by_hash(struct store_conn *c, const char *hash, struct auth_token_row *out,
                            struct pg_err *err)
{
	static const char sql[] =
	        "SELECT id, kind, COALESCE(node_id, 0), name, permissions, COALESCE(expires_at, 0),"
	        " COALESCE(revoked_at, 0), secret_hash, COALESCE(scope, '') FROM auth_token"
	        " WHERE secret_hash = $1";
	struct store_stmt *st;
	int rc = store_query(c, sql, &st, err, ST(hash));
	if (rc > 0) {
		out->id = store_col_i64(st, 0);
		snprintf(out->kind, sizeof(out->kind), "%s", store_col_text(st, 1));
		out->node_id = store_col_i64(st, 2);
		snprintf(out->name, sizeof(out->name), "%s", store_col_text(st, 3));
		out->permissions = strdup(store_col_text(st, 4));
		out->expires_at = store_col_i64(st, 5);
		out->revoked_at = store_col_i64(st, 6);
		snprintf(out->secret_hash, sizeof(out->secret_hash), "%s", store_col_text(st, 7));
		snprintf(out->scope, sizeof(out->scope), "%s", store_col_text(st, 8));
	}
	store_done(st);
	if (rc == 0)
		return pg_err_set(err, PG_EUNAUTH, "Authorization", "unknown token");
	return rc < 0 ? rc : 0;
}

int auth_store_insert(struct store_conn *c, const char *name, const char *kind, int64_t node_id,
                      const char *hash, const char *perms_json, const char *scope,
                      int64_t created_by, int64_t expires_at, int64_t *id, struct pg_err *err)
{
	static const char sql[] =
	        "INSERT INTO auth_token (name, kind, node_id, secret_hash, permissions, created_by,"
	        " created_at, expires_at, scope) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
	        " RETURNING id";
	struct store_stmt *st;
	int rc = store_query(c, sql, &st, err, ST(name), ST(kind), SIN(node_id), ST(hash),
	                     ST(perms_json), SIN(created_by), SI(pg_time_now_ms()), SIN(expires_at),
	                     ST(scope));
	if (rc > 0)
		*id = store_col_i64(st, 0);
	store_done(st);
	return rc < 0 ? rc : 0;
}

int auth_store_revoke(struct store_conn *c, int64_t id, struct pg_err *err)
{
	static const char sql[] = "UPDATE auth_token SET revoked_at = $1"
	                          " WHERE id = $2 AND kind = 'admin' AND revoked_at IS NULL";
	int rc = store_run(c, sql, err, SI(pg_time_now_ms()), SI(id));
	if (rc == 0)
		return pg_err_set(err, PG_ENOTFOUND, "id", "no live admin token %lld",
		                  (long long)id);
	return rc < 0 ? rc : 0;
}

int auth_store_revoke_node(struct store_conn *c, int64_t node_id, struct pg_err *err)
{
	static const char sql[] = "UPDATE auth_token SET revoked_at = $1"
	                          " WHERE node_id = $2 AND revoked_at IS NULL";
	int rc = store_run(c, sql, err, SI(pg_time_now_ms()), SI(node_id));
	return rc < 0 ? rc : 0;
}

int auth_store_expire_node(struct store_conn *c, int64_t node_id, int64_t at, struct pg_err *err)
{
	static const char sql[] =
	        "UPDATE auth_token SET expires_at = $1 WHERE node_id = $2 AND revoked_at IS NULL"
	        " AND (expires_at IS NULL OR expires_at > $1)";
	int rc = store_run(c, sql, err, SI(at), SI(node_id));
	return rc < 0 ? rc : 0;
}

int auth_store_count_admin(struct store_conn *c, int64_t *n, struct pg_err *err)
{
	static const char sql[] = "SELECT COUNT(*) FROM auth_token WHERE kind = 'admin'";
	struct store_stmt *st;
	int rc = store_query(c, sql, &st, err);
	*n = rc > 0 ? store_col_i64(st, 0) : 0;
	store_done(st);
	return rc < 0 ? rc : 0;
}

#define TOKEN_COLS "id, name, permissions, created_by, created_at, expires_at, revoked_at, scope"

static json_t *token_row(struct store_stmt *st)
{
	json_t *t = json_object();
	json_object_set_new(t, "id", json_integer(store_col_i64(st, 0)));
	json_object_set_new(t, "name", json_string(store_col_text(st, 1)));
	json_object_set_new(t, "permissions", pg_json_load_text(store_col_text(st, 2)));
	json_object_set_new(t, "createdBy",
	                    store_col_null(st, 3) ? json_null()
	                                          : json_integer(store_col_i64(st, 3)));
	pg_json_set_time(t, "createdAt", store_col_i64(st, 4));
	pg_json_set_time(t, "expiresAt", store_col_i64(st, 5));
	pg_json_set_time(t, "revokedAt", store_col_i64(st, 6));
	if (!store_col_null(st, 7))
		json_object_set_new(t, "scope", json_string(store_col_text(st, 7)));
	return t;
}

int auth_store_list(struct store_conn *c, int64_t after, int64_t limit, json_t *items,
                    int64_t *next, struct pg_err *err)
{
	static const char sql[] = "SELECT " TOKEN_COLS " FROM auth_token"
	                          " WHERE kind = 'admin' AND id > $1 ORDER BY id LIMIT $2";
	struct store_stmt *st;
	int64_t last = 0;
	int rc;
	*next = 0;
	for (rc = store_query(c, sql, &st, err, SI(after), SI(limit + 1)); rc > 0;
	     rc = store_step(st, err)) {
		if ((int64_t)json_array_size(items) == limit) {
			*next = last;
			break;
		}
		last = store_col_i64(st, 0);
		json_array_append_new(items, token_row(st));
	}
	store_done(st);
	return rc < 0 ? rc : 0;
}

int auth_store_get(struct store_conn *c, int64_t id, json_t **out, struct pg_err *err)
{
	static const char sql[] =
	        "SELECT " TOKEN_COLS " FROM auth_token WHERE kind = 'admin' AND id = $1";
	struct store_stmt *st;
	int rc = store_query(c, sql, &st, err, SI(id));
	if (rc > 0)
		*out = token_row(st);
	store_done(st);
	if (rc == 0)
		return pg_err_set(err, PG_ENOTFOUND, "id", "no admin token %lld", (long long)id);
	return rc < 0 ? rc : 0;
}

int auth_revoke_scope(struct store_conn *c, const char *scope, int64_t *n, struct pg_err *err)
{
	static const char sql[] =
	        "UPDATE auth_token SET revoked_at = $1 WHERE scope = $2 AND revoked_at IS NULL";
	int rc = store_run(c, sql, err, SI(pg_time_now_ms()), ST(scope));
	*n = rc > 0 ? rc : 0;
	return rc < 0 ? rc : 0;
}
