/* DAO for config_item, config_version and config_release. */
#include "common/pg_json.h"
#include "common/pg_time.h"
#include "config/config_int.h"
#include "store/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cfg_item_insert(struct store_conn *c, const struct cfg_item *it, int64_t *id,
                    struct pg_err *err)
{
	static const char sql[] =
	        "INSERT INTO config_item (namespace, name, format, secret, template, description,"
	        " latest_version, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, 0, $7, "
	        "$7)"
	        " RETURNING id";
	struct store_stmt *st;
	int rc = store_query(c, sql, &st, err, ST(it->ns), ST(it->name), ST(it->format),
	                     SI((int64_t)it->secret), SI((int64_t)it->is_template),
	                     ST(it->description), SI(pg_time_now_ms()));
	if (rc > 0)
		*id = store_col_i64(st, 0);
	store_done(st);
	if (rc == PG_ECONFLICT)
		return pg_err_set(err, PG_ECONFLICT, "name", "%s/%s exists already", it->ns,
		                  it->name);
	return store_ok(rc);
}

#define ITEM_COLS                                                                                  \
	"id, namespace, name, format, secret, template, description, latest_version,"              \
	" COALESCE(released_version, 0), created_at, updated_at"

static void item_row(struct store_stmt *st, struct cfg_item *it)
{
	memset(it, 0, sizeof(*it));
	it->id = store_col_i64(st, 0);
	snprintf(it->ns, sizeof(it->ns), "%s", store_col_text(st, 1));
	snprintf(it->name, sizeof(it->name), "%s", store_col_text(st, 2));
	snprintf(it->format, sizeof(it->format), "%s", store_col_text(st, 3));
	it->secret = store_col_i64(st, 4) != 0;
	it->is_template = store_col_i64(st, 5) != 0;
	snprintf(it->description, sizeof(it->description), "%s", store_col_text(st, 6));
	it->latest = store_col_i64(st, 7);
	it->released = store_col_i64(st, 8);
	it->created_at = store_col_i64(st, 9);
	it->updated_at = store_col_i64(st, 10);
}

int cfg_item_get(struct store_conn *c, int64_t id, struct cfg_item *out, struct pg_err *err)
{
	static const char sql[] = "SELECT " ITEM_COLS " FROM config_item WHERE id = $1";
	struct store_stmt *st;
	int rc = store_query(c, sql, &st, err, SI(id));
	if (rc > 0)
		item_row(st, out);
	store_done(st);
	if (rc == 0)
		return pg_err_set(err, PG_ENOTFOUND, "id", "no config item %lld", (long long)id);
	return store_ok(rc);
}

int cfg_item_set(struct store_conn *c, int64_t id, int64_t latest, int64_t released,
                 const char *description, struct pg_err *err)
{
	static const char sql[] =
	        "UPDATE config_item SET latest_version = $1, released_version = $2,"
	        " description = $3, updated_at = $4 WHERE id = $5";
	return store_ok(store_run(c, sql, err, SI(latest), SIN(released), ST(description),
	                          SI(pg_time_now_ms()), SI(id)));
}

int cfg_item_delete(struct store_conn *c, int64_t id, struct pg_err *err)
{
	static const char sql[] = "DELETE FROM config_item WHERE id = $1";
	return store_ok(store_run(c, sql, err, SI(id)));
}

int cfg_item_list(struct store_conn *c, const char *ns, int64_t after, int64_t limit,
                  void (*fn)(const struct cfg_item *it, void *arg), void *arg, struct pg_err *err)
{
	static const char sql[] =
	        "SELECT " ITEM_COLS " FROM config_item WHERE id > $1"
	        " AND (CAST($2 AS TEXT) IS NULL OR namespace = $2) ORDER BY id LIMIT $3";
	struct store_stmt *st;
	int rc;
	for (rc = store_query(c, sql, &st, err, SI(after), ST(ns), SI(limit)); rc > 0;
	     rc = store_step(st, err)) {
		struct cfg_item it;
		item_row(st, &it);
		fn(&it, arg);
	}
	store_done(st);
	return store_ok(rc);
}

int cfg_version_insert(struct store_conn *c, int64_t item_id, int64_t version, const char *content,
                       const char *sha256, int64_t size, const char *author, const char *message,
                       struct pg_err *err)
{
	static const char sql[] = "INSERT INTO config_version (item_id, version, content, sha256, "
	                          "size, author, message,"
	                          " created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
	return store_ok(store_run(c, sql, err, SI(item_id), SI(version), ST(content), ST(sha256),
	                          SI(size), ST(author), ST(message), SI(pg_time_now_ms())));
}

int cfg_version_get(struct store_conn *c, int64_t item_id, int64_t version, struct cfg_version *out,
                    struct pg_err *err)
{
	static const char sql[] =
	        "SELECT version, size, created_at, sha256, author, content, message"
	        " FROM config_version WHERE item_id = $1 AND version = $2";
	struct store_stmt *st;
	int rc = store_query(c, sql, &st, err, SI(item_id), SI(version));
	if (rc > 0) {
		out->version = store_col_i64(st, 0);
		out->size = store_col_i64(st, 1);
		out->created_at = store_col_i64(st, 2);
		snprintf(out->sha256, sizeof(out->sha256), "%s", store_col_text(st, 3));
		snprintf(out->author, sizeof(out->author), "%s", store_col_text(st, 4));
		out->content = strdup(store_col_text(st, 5));
		out->message = strdup(store_col_text(st, 6));
	}
	store_done(st);
	if (rc == 0)
		return pg_err_set(err, PG_ENOTFOUND, "version",
		                  "no version %lld of config item %lld", (long long)version,
		                  (long long)item_id);
	return store_ok(rc);
}

void cfg_version_free(struct cfg_version *v)
{
	if (v->content) {
		explicit_bzero(v->content, strlen(v->content));
		free(v->content);
	}
	free(v->message);
	v->content = v->message = NULL;
}

int cfg_version_list(struct store_conn *c, int64_t item_id, json_t *items, struct pg_err *err)
{
	static const char sql[] = "SELECT version, sha256, size, author, message, created_at"
	                          " FROM config_version WHERE item_id = $1 ORDER BY version DESC";
	struct store_stmt *st;
	int rc;
	for (rc = store_query(c, sql, &st, err, SI(item_id)); rc > 0; rc = store_step(st, err)) {
		json_t *v = json_pack(
		        "{s:I, s:s, s:I, s:s, s:s}", "version", (json_int_t)store_col_i64(st, 0),
		        "sha256", store_col_text(st, 1), "size", (json_int_t)store_col_i64(st, 2),
		        "author", store_col_text(st, 3), "message", store_col_text(st, 4));
		pg_json_set_time(v, "createdAt", store_col_i64(st, 5));
		json_array_append_new(items, v);
	}
	store_done(st);
	return store_ok(rc);
}

int cfg_release_insert(struct store_conn *c, int64_t item_id, int64_t version, const char *kind,
                       const char *note, const char *by, int64_t *id, struct pg_err *err)
{
	static const char sql[] = "INSERT INTO config_release (item_id, version, kind, note, "
	                          "released_by, released_at)"
	                          " VALUES ($1, $2, $3, $4, $5, $6) RETURNING id";
	struct store_stmt *st;
	int rc = store_query(c, sql, &st, err, SI(item_id), SI(version), ST(kind), ST(note), ST(by),
	                     SI(pg_time_now_ms()));
	if (rc > 0)
		*id = store_col_i64(st, 0);
	store_done(st);
	return store_ok(rc);
}

int cfg_release_list(struct store_conn *c, int64_t item_id, json_t *items, struct pg_err *err)
{
	static const char sql[] = "SELECT id, version, kind, note, released_by, released_at"
	                          " FROM config_release WHERE item_id = $1 ORDER BY id DESC";
	struct store_stmt *st;
	int rc;
	for (rc = store_query(c, sql, &st, err, SI(item_id)); rc > 0; rc = store_step(st, err)) {
		json_t *r = json_pack(
		        "{s:I, s:I, s:s, s:s, s:s}", "id", (json_int_t)store_col_i64(st, 0),
		        "version", (json_int_t)store_col_i64(st, 1), "kind", store_col_text(st, 2),
		        "note", store_col_text(st, 3), "releasedBy", store_col_text(st, 4));
		pg_json_set_time(r, "releasedAt", store_col_i64(st, 5));
		json_array_append_new(items, r);
	}
	store_done(st);
	return store_ok(rc);
}

int cfg_release_last(struct store_conn *c, int64_t item_id, int64_t *id, struct pg_err *err)
{
	static const char sql[] =
	        "SELECT COALESCE(MAX(id), 0) FROM config_release WHERE item_id = $1";
	struct store_stmt *st;
	int rc = store_query(c, sql, &st, err, SI(item_id));
	*id = rc > 0 ? store_col_i64(st, 0) : 0;
	store_done(st);
	return store_ok(rc);
}

int cfg_release_previous(struct store_conn *c, int64_t item_id, int64_t *version,
                         struct pg_err *err)
{
	/* The newest release whose version differs from the current one. */
	static const char sql[] =
	        "SELECT version FROM config_release WHERE item_id = $1 AND version <>"
	        " (SELECT version FROM config_release WHERE item_id = $1 ORDER BY id DESC LIMIT 1)"
	        " ORDER BY id DESC LIMIT 1";
	struct store_stmt *st;
	int rc = store_query(c, sql, &st, err, SI(item_id));
	*version = rc > 0 ? store_col_i64(st, 0) : 0;
	store_done(st);
	return store_ok(rc);
}
