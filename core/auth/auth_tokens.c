/* The /admin/tokens use cases: mint, list and revoke admin tokens, each
 * within what the caller's own token covers. */
#include "audit/audit.h"
#include "auth/auth.h"
#include "auth/auth_store.h"
#include "common/pg_json.h"
#include "common/pg_time.h"
#include "store/store.h"

int auth_token_create(struct store *st, const struct pg_call *call,
                      const struct auth_principal *who, json_t *body, json_t **out,
                      struct pg_err *err)
{
	static const char *const fields[] = {"name", "permissions", "expiresAt", NULL};
	json_t *perms_json = NULL;
	auth_perms perms = 0;
	struct store_conn *c = NULL;
	int rc = pg_json_only(body, fields, err);
	if (rc == 0)
		rc = pg_json_arr(body, "permissions", true, 64, &perms_json, err);
	if (rc == 0)
		rc = auth_perms_from_json(perms_json, "permissions", &perms, err);
	if (rc == 0 && !(c = store_conn_get(st, err)))
		rc = err->code;
	if (rc == 0 && (rc = store_begin(c, STORE_TX_WRITE, err)) == 0)
		rc = store_end(c, auth_token_mint(c, call, who, body, perms, NULL, out, err), err);
	return rc;
}

int auth_token_list(struct store *st, int64_t cursor, int64_t limit, json_t **items, int64_t *next,
                    struct pg_err *err)
{
	struct store_conn *c = store_conn_get(st, err);
	*items = json_array();
	return c ? auth_store_list(c, cursor, limit, *items, next, err) : err->code;
}

int auth_token_revoke(struct store *st, const struct pg_call *call,
                      const struct auth_principal *who, int64_t id, struct pg_err *err)
{
	struct store_conn *c = store_conn_get(st, err);
	int rc = c ? store_begin(c, STORE_TX_WRITE, err) : err->code;
	if (rc != 0)
		return rc;
	json_t *tok = NULL;
	rc = auth_store_get(c, id, &tok, err);
	auth_perms perms = 0;
	int64_t expires_at = 0;
	const char *exp = json_string_value(json_object_get(tok, "expiresAt"));
	if (rc == 0 && (auth_perms_from_json(json_object_get(tok, "permissions"), "permissions",
	                                     &perms, err) != 0 ||
	                (exp && pg_time_parse(exp, &expires_at) != 0)))
		rc = pg_err_set(err, PG_EINTERNAL, "", "token %lld has unreadable permissions",
		                (long long)id);
	if (rc == 0 && id != who->token_id) /* revoking itself is always allowed */
		rc = auth_covers(who, perms, expires_at, err);
	json_decref(tok);
	if (rc == 0)
		rc = auth_store_revoke(c, id, err);
	if (rc == 0)
		rc = audit_record(c, call, "token.revoke", "token", id, NULL, err);
	return store_end(c, rc, err);
}
