/* Token logic: permission sets, verification, issuing. */
#include "auth/auth.h"
#include "audit/audit.h"
#include "auth/auth_store.h"
#include "common/pg_json.h"
#include "common/pg_crypto.h"
#include "common/pg_log.h"
#include "common/pg_time.h"
#include "store/store.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const char *const auth_perm_codes[] = {
        "admin:app:read",        "admin:app:write",
        "admin:release:execute", "admin:release:rollback",
        "admin:release:approve", "admin:node:read",
        "admin:node:manage",     "admin:node:exec",
        "admin:ssl:read",        "admin:ssl:issue",
        "admin:ssl:deploy",      "admin:nginx:deploy",
        "admin:config:read",     "admin:config:write",
        "admin:registry:read",   "admin:registry:write",
        "admin:token:manage",    "admin:audit:read",
        "admin:policy:manage",   "admin:metrics:read",
        "admin:alert:read",      "admin:alert:manage",
        "admin:backup:manage",   "admin:blob:write",
        "admin:node:logs",       NULL,
};

int auth_perm_bit(const char *code)
{
	for (int i = 0; auth_perm_codes[i]; i++)
		if (strcmp(auth_perm_codes[i], code) == 0)
			return i;
	return -1;
}

auth_perms auth_perms_all(void)
{
	auth_perms all = 0;
	for (int i = 0; auth_perm_codes[i]; i++)
		all |= (auth_perms)1 << i;
	return all;
}

bool auth_has_perm(const struct auth_principal *p, const char *code)
{
	int bit = auth_perm_bit(code);
	return p->kind == AUTH_ADMIN && bit >= 0 && (p->perms & ((auth_perms)1 << bit));
}

int auth_covers(const struct auth_principal *p, auth_perms perms, int64_t expires_at,
                struct pg_err *err)
{
	if (perms & ~p->perms) {
		json_t *extra = auth_perms_to_json(perms & ~p->perms);
		char *list = json_dumps(extra, JSON_COMPACT);
		pg_err_set(err, PG_EFORBIDDEN, "permissions",
		           "the calling token lacks permissions %s of that token",
		           list ? list : "");
		free(list);
		json_decref(extra);
		return PG_EFORBIDDEN;
	}
	if (p->expires_at && (!expires_at || expires_at > p->expires_at))
		return pg_err_set(err, PG_EFORBIDDEN, "expiresAt",
		                  "the calling token expires; it covers only tokens that expire no "
		                  "later than it does");
	return 0;
}

json_t *auth_perms_to_json(auth_perms perms)
{
	if (perms == auth_perms_all())
		return json_pack("[s]", "*");
	json_t *a = json_array();
	for (int i = 0; auth_perm_codes[i]; i++)
		if (perms & ((auth_perms)1 << i))
			json_array_append_new(a, json_string(auth_perm_codes[i]));
	return a;
}

int auth_perms_from_json(json_t *arr, const char *field, auth_perms *out, struct pg_err *err)
{
	if (!json_is_array(arr) || json_array_size(arr) == 0)
		return pg_err_set(err, PG_EINVAL, field,
		                  "%s must be a non-empty array of permission codes", field);
	auth_perms p = 0;
	size_t i;
	json_t *v;
	json_array_foreach (arr, i, v) {
		const char *code = json_string_value(v);
		if (code && strcmp(code, "*") == 0) {
			p |= auth_perms_all();
			continue;
		}
		int bit = code ? auth_perm_bit(code) : -1;
		if (bit < 0)
			return pg_err_set(err, PG_EINVAL, field,
			                  "%s[%zu]: unknown permission %s%s%s", field, i,
			                  code ? "'" : "", code ? code : "(not a string)",
			                  code ? "'" : "");
		p |= (auth_perms)1 << bit;
	}
	*out = p;
	return 0;
}

int auth_verify(struct store_conn *c, const char *secret, struct auth_principal *out,
                struct pg_err *err)
{
	if (strlen(secret) != AUTH_SECRET_LEN - 1)
		return pg_err_set(err, PG_EUNAUTH, "Authorization", "malformed token");
	char hash[65];
	pg_sha256_hex(secret, strlen(secret), hash);
	struct auth_token_row row = {0};
	int rc = auth_store_find_by_hash(c, hash, &row, err);
	if (rc != 0)
		return rc;
	/* The index lookup is not constant-time; the final word is. */
	rc = 0;
	if (!pg_secure_streq(hash, row.secret_hash))
		rc = pg_err_set(err, PG_EUNAUTH, "Authorization", "unknown token");
	else if (row.revoked_at)
		rc = pg_err_set(err, PG_EUNAUTH, "Authorization", "token revoked");
	else if (row.expires_at && row.expires_at <= pg_time_now_ms())
		rc = pg_err_set(err, PG_EUNAUTH, "Authorization", "token expired");
	if (rc == 0) {
		memset(out, 0, sizeof(*out));
		out->token_id = row.id;
		out->expires_at = row.expires_at;
		if (strcmp(row.kind, "agent") == 0) {
			out->kind = AUTH_AGENT;
			out->node_id = row.node_id;
			snprintf(out->actor, sizeof(out->actor), "node:%lld",
			         (long long)row.node_id);
		} else {
			out->kind = AUTH_ADMIN;
			json_t *p = json_loads(row.permissions, 0, NULL);
			if (!p || auth_perms_from_json(p, "permissions", &out->perms, NULL) != 0)
				out->perms = 0;
			json_decref(p);
			snprintf(out->actor, sizeof(out->actor), "token:%lld:%s", (long long)row.id,
			         row.name);
			snprintf(out->scope, sizeof(out->scope), "%s", row.scope);
		}
	}
	free(row.permissions);
	return rc;
}

int auth_secret_new(const char *prefix, char secret[AUTH_SECRET_LEN], char hash[65],
                    struct pg_err *err)
{
	unsigned char rnd[32];
	if (pg_random_bytes(rnd, sizeof(rnd)) != 0)
		return pg_err_set(err, PG_EINTERNAL, "", "no randomness available");
	memcpy(secret, prefix, 4);
	pg_hex_encode(rnd, sizeof(rnd), secret + 4);
	pg_sha256_hex(secret, strlen(secret), hash);
	return 0;
}

int auth_admin_token_create(struct store_conn *c, const char *name, auth_perms perms,
                            const char *scope, int64_t created_by, int64_t expires_at,
                            char secret[AUTH_SECRET_LEN], int64_t *id, struct pg_err *err)
{
	char hash[65];
	int rc = auth_secret_new("pga_", secret, hash, err);
	if (rc != 0)
		return rc;
	json_t *p = auth_perms_to_json(perms);
	char *pj = json_dumps(p, JSON_COMPACT);
	json_decref(p);
	rc = auth_store_insert(c, name, "admin", 0, hash, pj, scope, created_by, expires_at, id,
	                       err);
	free(pj);
	return rc;
}

int auth_token_mint(struct store_conn *c, const struct pg_call *call,
                    const struct auth_principal *who, json_t *body, auth_perms perms,
                    const char *scope, json_t **out, struct pg_err *err)
{
	const char *name = NULL, *expires = NULL;
	int64_t expires_at = 0, id = 0;
	int rc = pg_json_str(body, "name", true, 64, &name, err);
	if (rc == 0)
		rc = pg_json_str(body, "expiresAt", false, 64, &expires, err);
	if (rc == 0 && (!*name || !pg_str_is_printable(name)))
		rc = pg_err_set(err, PG_EINVAL, "name",
		                "name must be 1 to 64 printable characters");
	if (rc == 0 && expires &&
	    (pg_time_parse(expires, &expires_at) != 0 || expires_at <= pg_time_now_ms()))
		rc = pg_err_set(err, PG_EINVAL, "expiresAt",
		                "expiresAt must be an RFC 3339 time in the future");
	/* No token can mint one stronger or longer-lived than itself. */
	if (rc == 0)
		rc = auth_covers(who, perms, expires_at, err);
	char secret[AUTH_SECRET_LEN];
	if (rc == 0)
		rc = auth_admin_token_create(c, name, perms, scope, who->token_id, expires_at,
		                             secret, &id, err);
	if (rc == 0) {
		json_t *details = json_pack("{s:s, s:o, s:s?}", "name", name, "permissions",
		                            auth_perms_to_json(perms), "scope", scope);
		rc = audit_record(c, call, "token.create", "token", id, details, err);
		json_decref(details);
	}
	if (rc == 0)
		rc = auth_store_get(c, id, out, err);
	if (rc == 0)
		json_object_set_new(*out, "token", json_string(secret));
	explicit_bzero(secret, sizeof(secret));
	return rc;
}

int auth_agent_token_issue(struct store_conn *c, int64_t node_id, int64_t grace_ms,
                           char secret[AUTH_SECRET_LEN], int64_t *token_id, struct pg_err *err)
{
	char hash[65], name[40];
	int rc = auth_secret_new("pgn_", secret, hash, err);
	if (rc != 0)
		return rc;
	/* With a grace period the old token keeps working while the new one
	 * reaches the agent; without, it stops now. */
	rc = grace_ms > 0 ? auth_store_expire_node(c, node_id, pg_time_now_ms() + grace_ms, err)
	                  : auth_store_revoke_node(c, node_id, err);
	if (rc != 0)
		return rc;
	snprintf(name, sizeof(name), "agent-node-%lld", (long long)node_id);
	return auth_store_insert(c, name, "agent", node_id, hash, "[]", NULL, 0, 0, token_id, err);
}

int auth_agent_tokens_revoke(struct store_conn *c, int64_t node_id, struct pg_err *err)
{
	return auth_store_revoke_node(c, node_id, err);
}

/* Writes secret to path with mode 0600 through a temp file, so a crash never
 * leaves a truncated token file. */
static int write_secret_file(const char *path, const char *secret, struct pg_err *err)
{
	char tmp[4096];
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return pg_err_set(err, PG_EINTERNAL, "", "cannot create %s: %s", tmp,
		                  strerror(errno));
	size_t len = strlen(secret);
	bool ok = fchmod(fd, 0600) == 0 && write(fd, secret, len) == (ssize_t)len &&
	          write(fd, "\n", 1) == 1 && fsync(fd) == 0;
	ok = (close(fd) == 0) && ok;
	if (!ok || rename(tmp, path) != 0) {
		unlink(tmp);
		return pg_err_set(err, PG_EINTERNAL, "", "cannot write %s: %s", path,
		                  strerror(errno));
	}
	return 0;
}

int auth_bootstrap(struct store *s, const char *path, struct pg_err *err)
{
	struct store_conn *c = store_conn_get(s, err);
	if (!c)
		return err->code;
	int rc = store_begin(c, STORE_TX_WRITE, err);
	if (rc != 0)
		return rc;
	int64_t n = 0, id = 0;
	char secret[AUTH_SECRET_LEN];
	rc = auth_store_count_admin(c, &n, err);
	if (rc == 0 && n > 0) {
		store_rollback(c);
		return 0;
	}
	if (rc == 0)
		rc = auth_admin_token_create(c, "bootstrap", auth_perms_all(), NULL, 0, 0, secret,
		                             &id, err);
	/* The file is written before the commit: if it cannot be written the
	 * token never exists, and a crash in between leaves a token file whose
	 * token is unknown, so the next start makes a new one. */
	if (rc == 0)
		rc = write_secret_file(path, secret, err);
	rc = store_end(c, rc, err);
	if (rc != 0)
		return rc;
	/* stdout and stderr end in the journal: the secret goes to its file only */
	pg_info("auth",
	        "created the bootstrap admin token (id %lld): it is in %s (mode 0600) and nowhere "
	        "else",
	        (long long)id, path);
	explicit_bzero(secret, sizeof(secret));
	return 0;
}
