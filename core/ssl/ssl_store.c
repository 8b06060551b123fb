/* DAO for the certificate center. */
#include "common/pg_json.h"
#include "common/pg_time.h"
#include "ssl/ssl_int.h"
#include "store/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int ssl_store_insert(struct store_conn *c, const char *name, json_t *domains, const char *source,
                     const char *status, json_t *request, int64_t *id, struct pg_err *err)
{
	static const char sql[] = "INSERT INTO ssl_certificate (name, domains, source, status, "
	                          "request, due, created_at, updated_at)"
	                          " VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id";
	char *d = pg_json_dump(domains), *r = pg_json_dump(request);
	struct store_stmt *st;
	int rc = store_query(c, sql, &st, err, ST(name), ST(d), ST(source), ST(status), ST(r),
	                     SI(strcmp(status, "pending") == 0), SI(pg_time_now_ms()));
	if (rc > 0)
		*id = store_col_i64(st, 0);
	store_done(st);
	free(d);
	free(r);
	if (rc == PG_ECONFLICT)
		return pg_err_set(err, PG_ECONFLICT, "name",
		                  "a certificate named '%s' exists already", name);
	return store_ok(rc);
}

#define CERT_COLS                                                                                  \
	"c.id, c.name, c.domains, c.source, c.status, c.request, c.deploy, c.current_version, "    \
	"c.failures,"                                                                              \
	" c.next_attempt_at, c.last_error, c.last_problem, c.created_at, c.updated_at, v.serial,"  \
	" v.not_before, v.not_after, v.fingerprint, v.issuer, v.sans, v.key_type, c.ari, "         \
	"c.renew_after"

static json_t *cert_row(struct store_stmt *st)
{
	json_t *o = json_object();
	json_object_set_new(o, "id", json_integer(store_col_i64(st, 0)));
	json_object_set_new(o, "name", json_string(store_col_text(st, 1)));
	json_object_set_new(o, "domains", pg_json_load_text(store_col_text(st, 2)));
	json_object_set_new(o, "source", json_string(store_col_text(st, 3)));
	json_object_set_new(o, "status", json_string(store_col_text(st, 4)));
	json_object_set_new(o, "request", pg_json_load_text(store_col_text(st, 5)));
	json_object_set_new(o, "deploy", pg_json_load_text(store_col_text(st, 6)));
	json_object_set_new(o, "currentVersion", json_integer(store_col_i64(st, 7)));
	json_object_set_new(o, "failures", json_integer(store_col_i64(st, 8)));
	pg_json_set_time(o, "nextAttemptAt", store_col_i64(st, 9));
	json_object_set_new(o, "lastError",
	                    store_col_null(st, 10) ? json_null()
	                                           : json_string(store_col_text(st, 10)));
	json_object_set_new(o, "lastProblem",
	                    store_col_null(st, 11) ? json_null()
	                                           : pg_json_load_text(store_col_text(st, 11)));
	pg_json_set_time(o, "createdAt", store_col_i64(st, 12));
	pg_json_set_time(o, "updatedAt", store_col_i64(st, 13));
	if (!store_col_null(st, 14)) {
		json_t *cur = json_pack("{s:s, s:s, s:s, s:o, s:s}", "serial",
		                        store_col_text(st, 14), "fingerprint",
		                        store_col_text(st, 17), "issuer", store_col_text(st, 18),
		                        "sans", pg_json_load_text(store_col_text(st, 19)),
		                        "keyType", store_col_text(st, 20));
		pg_json_set_time(cur, "notBefore", store_col_i64(st, 15));
		pg_json_set_time(cur, "notAfter", store_col_i64(st, 16));
		int64_t left = (store_col_i64(st, 16) - pg_time_now_ms()) / 86400000;
		json_object_set_new(cur, "daysLeft", json_integer(left));
		json_object_set_new(o, "current", cur);
		if (!store_col_null(st, 21)) {
			json_t *ari = pg_json_load_text(store_col_text(st, 21));
			json_t *w = json_object();
			pg_json_set_time(w, "start",
			                 json_integer_value(json_object_get(ari, "start")));
			pg_json_set_time(w, "end", json_integer_value(json_object_get(ari, "end")));
			if (json_object_get(ari, "explanationURL"))
				json_object_set(w, "explanationURL",
				                json_object_get(ari, "explanationURL"));
			if (!store_col_null(st, 22))
				pg_json_set_time(w, "renewAfter", store_col_i64(st, 22));
			json_object_set_new(o, "renewalInfo", w);
			json_decref(ari);
		}
	} else {
		json_object_set_new(o, "current", json_null());
	}
	return o;
}

int ssl_store_get(struct store_conn *c, int64_t id, json_t **out, struct pg_err *err)
{
	static const char sql[] =
	        "SELECT " CERT_COLS " FROM ssl_certificate c LEFT JOIN ssl_cert_version v"
	        " ON v.cert_id = c.id AND v.version = c.current_version WHERE c.id = $1";
	struct store_stmt *st;
	int rc = store_query(c, sql, &st, err, SI(id));
	if (rc > 0)
		*out = cert_row(st);
	store_done(st);
	if (rc == 0)
		return pg_err_set(err, PG_ENOTFOUND, "id", "no certificate %lld", (long long)id);
	return store_ok(rc);
}

int ssl_store_list(struct store_conn *c, json_t *items, struct pg_err *err)
{
	static const char sql[] =
	        "SELECT " CERT_COLS " FROM ssl_certificate c LEFT JOIN ssl_cert_version v"
	        " ON v.cert_id = c.id AND v.version = c.current_version ORDER BY c.id";
	struct store_stmt *st;
	int rc;
	for (rc = store_query(c, sql, &st, err); rc > 0; rc = store_step(st, err))
		json_array_append_new(items, cert_row(st));
	store_done(st);
	return store_ok(rc);
}

int ssl_store_delete(struct store_conn *c, int64_t id, struct pg_err *err)
{
	static const char sql[] = "DELETE FROM ssl_certificate WHERE id = $1";
	return store_ok(store_run(c, sql, err, SI(id)));
}

int ssl_store_attempt(struct store_conn *c, int64_t id, const char *status, int64_t version,
                      int64_t failures, int64_t next_at, bool due, const char *error,
                      json_t *problem, struct pg_err *err)
{
	static const char sql[] =
	        "UPDATE ssl_certificate SET status = $1, current_version = $2, failures = $3, "
	        "next_attempt_at = $4,"
	        " due = $5, last_error = $6, last_problem = $7, updated_at = $8 WHERE id = $9";
	char *p = problem ? pg_json_dump(problem) : NULL;
	int rc = store_run(c, sql, err, ST(status), SI(version), SI(failures), SI(next_at), SI(due),
	                   ST(error), ST(p), SI(pg_time_now_ms()), SI(id));
	free(p);
	return store_ok(rc);
}

int ssl_store_set_deploy(struct store_conn *c, int64_t id, json_t *deploy, struct pg_err *err)
{
	static const char sql[] =
	        "UPDATE ssl_certificate SET deploy = $1, updated_at = $2 WHERE id = $3";
	char *d = pg_json_dump(deploy);
	int rc = store_run(c, sql, err, ST(d), SI(pg_time_now_ms()), SI(id));
	free(d);
	return store_ok(rc);
}

int ssl_store_due(struct store_conn *c, int64_t now, json_t *ids, struct pg_err *err)
{
	static const char sql[] = "SELECT id FROM ssl_certificate WHERE due = 1 AND "
	                          "next_attempt_at <= $1 ORDER BY id";
	struct store_stmt *st;
	int rc;
	for (rc = store_query(c, sql, &st, err, SI(now)); rc > 0; rc = store_step(st, err))
		json_array_append_new(ids, json_integer(store_col_i64(st, 0)));
	store_done(st);
	return store_ok(rc);
}

int ssl_store_mark_due(struct store_conn *c, int64_t id, struct pg_err *err)
{
	static const char sql[] = "UPDATE ssl_certificate SET due = 1, next_attempt_at = 0, "
	                          "updated_at = $1 WHERE id = $2";
	return store_ok(store_run(c, sql, err, SI(pg_time_now_ms()), SI(id)));
}

int ssl_store_renewable(struct store_conn *c, json_t *rows, struct pg_err *err)
{
	static const char sql[] = "SELECT c.id, v.not_before, v.not_after, c.renew_after FROM "
	                          "ssl_certificate c JOIN ssl_cert_version v"
	                          " ON v.cert_id = c.id AND v.version = c.current_version WHERE "
	                          "c.source = 'acme' AND c.due = 0";
	struct store_stmt *st;
	int rc;
	for (rc = store_query(c, sql, &st, err); rc > 0; rc = store_step(st, err))
		json_array_append_new(
		        rows,
		        json_pack("{s:I, s:I, s:I, s:I}", "id", (json_int_t)store_col_i64(st, 0),
		                  "notBefore", (json_int_t)store_col_i64(st, 1), "notAfter",
		                  (json_int_t)store_col_i64(st, 2), "renewAfter",
		                  (json_int_t)(store_col_null(st, 3) ? 0 : store_col_i64(st, 3))));
	store_done(st);
	return store_ok(rc);
}

int ssl_store_ari_due(struct store_conn *c, int64_t now, json_t *items, struct pg_err *err)
{
	static const char sql[] =
	        "SELECT c.id, c.request, v.chain_pem, c.ari, c.renew_after FROM ssl_certificate c "
	        "JOIN ssl_cert_version v"
	        " ON v.cert_id = c.id AND v.version = c.current_version"
	        " WHERE c.source = 'acme' AND c.due = 0 AND c.ari_check_at <= $1 ORDER BY c.id";
	struct store_stmt *st;
	int rc;
	for (rc = store_query(c, sql, &st, err, SI(now)); rc > 0; rc = store_step(st, err))
		json_array_append_new(
		        items,
		        json_pack("{s:I, s:o, s:s, s:o, s:o}", "id",
		                  (json_int_t)store_col_i64(st, 0), "request",
		                  pg_json_load_text(store_col_text(st, 1)), "chainPem",
		                  store_col_text(st, 2), "ari",
		                  store_col_null(st, 3) ? json_null()
		                                        : pg_json_load_text(store_col_text(st, 3)),
		                  "renewAfter",
		                  store_col_null(st, 4) ? json_null()
		                                        : json_integer(store_col_i64(st, 4))));
	store_done(st);
	return store_ok(rc);
}

int ssl_store_set_ari(struct store_conn *c, int64_t id, json_t *ari, int64_t renew_after,
                      int64_t check_at, struct pg_err *err)
{
	static const char sql[] = "UPDATE ssl_certificate SET ari = $1, renew_after = $2, "
	                          "ari_check_at = $3 WHERE id = $4";
	char *a = ari ? pg_json_dump(ari) : NULL;
	int rc = store_run(c, sql, err, ST(a), SIN(renew_after), SI(check_at), SI(id));
	free(a);
	return store_ok(rc);
}

int ssl_version_insert(struct store_conn *c, int64_t cert, int64_t version, const char *chain,
                       const char *key_sealed, const struct ssl_cert_info *i, struct pg_err *err)
{
	static const char sql[] = "INSERT INTO ssl_cert_version (cert_id, version, chain_pem, "
	                          "key_sealed, serial, not_before, not_after,"
	                          " fingerprint, issuer, sans, key_type, created_at) VALUES ($1, "
	                          "$2, $3, $4, $5, $6, $7, $8, $9, $10,"
	                          " $11, $12)";
	char *sans = pg_json_dump(i->sans);
	int rc = store_run(c, sql, err, SI(cert), SI(version), ST(chain), ST(key_sealed),
	                   ST(i->serial), SI(i->not_before), SI(i->not_after), ST(i->fingerprint),
	                   ST(i->issuer), ST(sans), ST(i->key_type), SI(pg_time_now_ms()));
	free(sans);
	return store_ok(rc);
}

int ssl_version_list(struct store_conn *c, int64_t cert, json_t *items, struct pg_err *err)
{
	static const char sql[] =
	        "SELECT version, serial, not_before, not_after, fingerprint, issuer, sans,"
	        " key_type, created_at FROM ssl_cert_version WHERE cert_id = $1 ORDER BY version "
	        "DESC";
	struct store_stmt *st;
	int rc;
	for (rc = store_query(c, sql, &st, err, SI(cert)); rc > 0; rc = store_step(st, err)) {
		json_t *v = json_pack("{s:I, s:s, s:s, s:s, s:o, s:s}", "version",
		                      (json_int_t)store_col_i64(st, 0), "serial",
		                      store_col_text(st, 1), "fingerprint", store_col_text(st, 4),
		                      "issuer", store_col_text(st, 5), "sans",
		                      pg_json_load_text(store_col_text(st, 6)), "keyType",
		                      store_col_text(st, 7));
		pg_json_set_time(v, "notBefore", store_col_i64(st, 2));
		pg_json_set_time(v, "notAfter", store_col_i64(st, 3));
		pg_json_set_time(v, "createdAt", store_col_i64(st, 8));
		json_array_append_new(items, v);
	}
	store_done(st);
	return store_ok(rc);
}

int ssl_version_material(struct store_conn *c, int64_t cert, int64_t version, char **chain,
                         char **key_sealed, struct pg_err *err)
{
	static const char sql[] = "SELECT chain_pem, key_sealed FROM ssl_cert_version WHERE "
	                          "cert_id = $1 AND version = $2";
	struct store_stmt *st;
	int rc = store_query(c, sql, &st, err, SI(cert), SI(version));
	if (rc > 0) {
		*chain = strdup(store_col_text(st, 0));
		*key_sealed = strdup(store_col_text(st, 1));
	}
	store_done(st);
	if (rc == 0)
		return pg_err_set(err, PG_EPRECOND, "id",
		                  "certificate %lld has no version %lld yet", (long long)cert,
		                  (long long)version);
	return store_ok(rc);
}

int ssl_account_get(struct store_conn *c, const char *dir, const char *email, int64_t *id,
                    char **key_sealed, char **kid, struct pg_err *err)
{
	static const char sql[] =
	        "SELECT id, key_sealed, kid FROM ssl_account WHERE directory = $1 AND email = $2";
	struct store_stmt *st;
	int rc = store_query(c, sql, &st, err, ST(dir), ST(email));
	*id = 0;
	if (rc > 0) {
		*id = store_col_i64(st, 0);
		*key_sealed = strdup(store_col_text(st, 1));
		*kid = store_col_null(st, 2) ? NULL : strdup(store_col_text(st, 2));
	}
	store_done(st);
	return store_ok(rc);
}

int ssl_account_put(struct store_conn *c, const char *dir, const char *email,
                    const char *key_sealed, const char *kid, struct pg_err *err)
{
	static const char sql[] =
	        "INSERT INTO ssl_account (directory, email, key_sealed, kid, created_at) VALUES "
	        "($1, $2, $3, $4, $5)"
	        " ON CONFLICT (namespace, directory, email) DO UPDATE SET kid = $4";
	return store_ok(store_run(c, sql, err, ST(dir), ST(email), ST(key_sealed), ST(kid),
	                          SI(pg_time_now_ms())));
}

int ssl_challenge_put(struct store_conn *c, const char *token, const char *key_auth,
                      int64_t expires, struct pg_err *err)
{
	static const char sql[] =
	        "INSERT INTO ssl_http_challenge (token, key_auth, expires_at) VALUES ($1, $2, $3)"
	        " ON CONFLICT (token) DO UPDATE SET key_auth = $2, expires_at = $3";
	return store_ok(store_run(c, sql, err, ST(token), ST(key_auth), SI(expires)));
}

int ssl_challenge_get(struct store_conn *c, const char *token, int64_t now, char **key_auth,
                      struct pg_err *err)
{
	static const char sql[] =
	        "SELECT key_auth FROM ssl_http_challenge WHERE token = $1 AND expires_at > $2";
	struct store_stmt *st;
	int rc = store_query(c, sql, &st, err, ST(token), SI(now));
	*key_auth = rc > 0 ? strdup(store_col_text(st, 0)) : NULL;
	store_done(st);
	if (rc == 0)
		return pg_err_set(err, PG_ENOTFOUND, "token", "no such challenge");
	return store_ok(rc);
}

#define PROVIDER_COLS "name, plugin, zones, spec, created_at, updated_at"

static json_t *provider_row(struct store_stmt *st)
{
	json_t *o =
	        json_pack("{s:s, s:s, s:o, s:o}", "name", store_col_text(st, 0), "plugin",
	                  store_col_text(st, 1), "zones", pg_json_load_text(store_col_text(st, 2)),
	                  "spec", pg_json_load_text(store_col_text(st, 3)));
	pg_json_set_time(o, "createdAt", store_col_i64(st, 4));
	pg_json_set_time(o, "updatedAt", store_col_i64(st, 5));
	return o;
}

int ssl_provider_store_put(struct store_conn *c, const char *name, const char *plugin,
                           json_t *zones, json_t *spec, struct pg_err *err)
{
	static const char sql[] =
	        "INSERT INTO ssl_dns_provider (name, plugin, zones, spec, created_at, updated_at)"
	        " VALUES ($1, $2, $3, $4, $5, $5) ON CONFLICT (namespace, name) DO UPDATE SET"
	        " plugin = $2, zones = $3, spec = $4, updated_at = $5";
	char *z = pg_json_dump(zones), *sp = pg_json_dump(spec);
	int rc = store_run(c, sql, err, ST(name), ST(plugin), ST(z), ST(sp), SI(pg_time_now_ms()));
	free(z);
	free(sp);
	return store_ok(rc);
}

int ssl_provider_store_get(struct store_conn *c, const char *name, json_t **out, struct pg_err *err)
{
	static const char sql[] = "SELECT " PROVIDER_COLS " FROM ssl_dns_provider WHERE name = $1";
	struct store_stmt *st;
	int rc = store_query(c, sql, &st, err, ST(name));
	if (rc > 0)
		*out = provider_row(st);
	store_done(st);
	if (rc == 0)
		return pg_err_set(err, PG_ENOTFOUND, "name", "no DNS provider %s", name);
	return store_ok(rc);
}

int ssl_provider_store_list(struct store_conn *c, json_t *items, struct pg_err *err)
{
	static const char sql[] = "SELECT " PROVIDER_COLS " FROM ssl_dns_provider ORDER BY name";
	struct store_stmt *st;
	int rc;
	for (rc = store_query(c, sql, &st, err); rc > 0; rc = store_step(st, err))
		json_array_append_new(items, provider_row(st));
	store_done(st);
	return store_ok(rc);
}

int ssl_provider_store_delete(struct store_conn *c, const char *name, struct pg_err *err)
{
	static const char sql[] = "DELETE FROM ssl_dns_provider WHERE name = $1";
	return store_ok(store_run(c, sql, err, ST(name)));
}
