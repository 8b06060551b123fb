/* blob_store: the blob and blob_ref rows. */
#include "blob/blob_int.h"
#include "common/pg_json.h"
#include "common/pg_time.h"
#include "store/store.h"

#include <stdio.h>
#include <string.h>

static json_t *blob_row(struct store_stmt *st)
{
	json_t *b = json_pack("{s:s, s:I, s:s*, s:s}", "sha256", store_col_text(st, 0), "size",
	                      (json_int_t)store_col_i64(st, 1), "name",
	                      store_col_null(st, 2) ? NULL : store_col_text(st, 2), "createdBy",
	                      store_col_text(st, 3));
	pg_json_set_time(b, "createdAt", store_col_i64(st, 4));
	return b;
}

int blob_store_insert(struct store_conn *c, const char *sha, int64_t size, const char *name,
                      const char *by, bool *created, struct pg_err *err)
{
	static const char sql[] = "INSERT INTO blob (sha256, size, name, created_by, created_at) "
	                          "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (sha256) DO NOTHING";
	int rc = store_run(c, sql, err, ST(sha), SI(size), ST(name), ST(by), SI(pg_time_now_ms()));
	*created = rc > 0;
	return store_ok(rc);
}

int blob_store_get(struct store_conn *c, const char *sha, json_t **out, struct pg_err *err)
{
	static const char sql[] =
	        "SELECT sha256, size, name, created_by, created_at FROM blob WHERE sha256 = $1";
	static const char refs[] = "SELECT release_id FROM blob_ref WHERE sha256 = $1 ORDER BY "
	                           "release_id DESC LIMIT 100";
	struct store_stmt *st;
	int rc = store_query(c, sql, &st, err, ST(sha));
	if (rc > 0)
		*out = blob_row(st);
	store_done(st);
	if (rc == 0)
		return pg_err_set(err, PG_ENOTFOUND, "sha256", "no blob %s", sha);
	if (rc < 0)
		return rc;
	json_t *ids = json_array();
	rc = store_query(c, refs, &st, err, ST(sha));
	while (rc > 0) {
		json_array_append_new(ids, json_integer(store_col_i64(st, 0)));
		rc = store_step(st, err);
	}
	store_done(st);
	json_object_set_new(*out, "releases", ids);
	return store_ok(rc);
}

int blob_store_list(struct store_conn *c, json_t *items, struct pg_err *err)
{
	static const char sql[] = "SELECT sha256, size, name, created_by, created_at FROM blob "
	                          "ORDER BY created_at DESC, sha256 LIMIT 1000";
	struct store_stmt *st;
	int rc = store_query(c, sql, &st, err);
	while (rc > 0) {
		json_array_append_new(items, blob_row(st));
		rc = store_step(st, err);
	}
	store_done(st);
	return store_ok(rc);
}

int blob_store_user(struct store_conn *c, const char *sha, char *what, size_t len,
                    struct pg_err *err)
{
	static const char rel[] = "SELECT r.id, r.version, a.name FROM blob_ref b JOIN app_release "
	                          "r ON r.id = b.release_id JOIN app_application a ON a.id = "
	                          "r.app_id WHERE b.sha256 = $1 ORDER BY r.id DESC LIMIT 1";
	/* an application whose spec names it would fail its next release */
	static const char app[] = "SELECT name FROM app_application WHERE spec LIKE $1 LIMIT 1";
	struct store_stmt *st;
	*what = '\0';
	int rc = store_query(c, rel, &st, err, ST(sha));
	if (rc > 0)
		snprintf(what, len, "release %lld (version %lld of application %s)",
		         (long long)store_col_i64(st, 0), (long long)store_col_i64(st, 1),
		         store_col_text(st, 2));
	store_done(st);
	if (rc != 0)
		return store_ok(rc);
	char like[80];
	snprintf(like, sizeof(like), "%%%s%%", sha);
	rc = store_query(c, app, &st, err, ST(like));
	if (rc > 0)
		snprintf(what, len, "application %s (its spec names it)", store_col_text(st, 0));
	store_done(st);
	return store_ok(rc);
}

int blob_store_delete(struct store_conn *c, const char *sha, struct pg_err *err)
{
	return store_ok(store_run(c, "DELETE FROM blob WHERE sha256 = $1", err, ST(sha)));
}

int blob_exists(struct store_conn *c, const char *sha, const char *field, int64_t *size,
                struct pg_err *err)
{
	struct store_stmt *st;
	int rc = store_query(c, "SELECT size FROM blob WHERE sha256 = $1", &st, err, ST(sha));
	if (rc > 0 && size)
		*size = store_col_i64(st, 0);
	store_done(st);
	if (rc == 0)
		return pg_err_set(err, PG_ENOTFOUND, field,
		                  "no blob %s: upload it first (POST /admin/blobs)", sha);
	return store_ok(rc);
}

int blob_ref_add(struct store_conn *c, int64_t release_id, const char *sha, struct pg_err *err)
{
	static const char sql[] = "INSERT INTO blob_ref (sha256, release_id) VALUES ($1, $2) "
	                          "ON CONFLICT DO NOTHING";
	return store_ok(store_run(c, sql, err, ST(sha), SI(release_id)));
}
