/* auth: API tokens. Admin tokens carry permission codes; agent tokens belong
 * to one node. Secrets are random, shown once, stored as SHA-256 only. */
#ifndef AUTH_H
#define AUTH_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/pg_call.h"
#include "common/pg_err.h"
#include "common/pg_principal.h"

struct store;
struct store_conn;

#define AUTH_SECRET_LEN 69 /* "pga_" + 64 hex + NUL */

/* Permission codes known to this build; bit i of auth_perms is codes[i]. */
extern const char *const auth_perm_codes[];
/* Bit of a code, or -1 when unknown. */
int auth_perm_bit(const char *code);
bool auth_has_perm(const struct auth_principal *p, const char *code);
/* Whether p covers a token with perms that expires at expires_at (0:
 * never): every permission, and a lifetime no longer than its own. A token
 * mints and revokes only tokens it covers. Fills err (403) when not. */
int auth_covers(const struct auth_principal *p, auth_perms perms, int64_t expires_at,
                struct pg_err *err);
auth_perms auth_perms_all(void);
/* ["admin:node:read", ...] or ["*"] when every permission is held. */
json_t *auth_perms_to_json(auth_perms perms);
/* Parses an array of codes ("*" means all); err names the bad entry. */
int auth_perms_from_json(json_t *arr, const char *field, auth_perms *out, struct pg_err *err);

/* Looks up a presented secret. 0 and *out filled, or PG_EUNAUTH. */
int auth_verify(struct store_conn *c, const char *secret, struct auth_principal *out,
                struct pg_err *err);

/* Creates the bootstrap admin token on first start: when the store holds no
 * admin token, writes a new one to path (mode 0600) and prints it once. */
int auth_bootstrap(struct store *s, const char *path, struct pg_err *err);

/* Creates an admin token inside the caller's transaction; scope NULL or
 * "config:5" (auth_principal.scope). */
int auth_admin_token_create(struct store_conn *c, const char *name, auth_perms perms,
                            const char *scope, int64_t created_by, int64_t expires_at,
                            char secret[AUTH_SECRET_LEN], int64_t *id, struct pg_err *err);
/* The /admin/tokens use cases (auth_tokens.c): create from {name,
 * permissions, expiresAt?}; list a page; revoke one (within what who's own
 * token covers, or itself). */
int auth_token_create(struct store *st, const struct pg_call *call,
                      const struct auth_principal *who, json_t *body, json_t **out,
                      struct pg_err *err);
int auth_token_list(struct store *st, int64_t cursor, int64_t limit, json_t **items, int64_t *next,
                    struct pg_err *err);
int auth_token_revoke(struct store *st, const struct pg_call *call,
                      const struct auth_principal *who, int64_t id, struct pg_err *err);
/* Mints an admin token inside the caller's transaction from body's "name"
 * and optional "expiresAt" (RFC 3339, future), with perms and scope (NULL
 * or "config:5"): no stronger or longer-lived than who, audited as
 * token.create. *out is the token as listed plus its one-time "token". */
int auth_token_mint(struct store_conn *c, const struct pg_call *call,
                    const struct auth_principal *who, json_t *body, auth_perms perms,
                    const char *scope, json_t **out, struct pg_err *err);
/* Revokes the live tokens scoped to scope ("config:5") inside the caller's
 * transaction; *n receives how many. */
int auth_revoke_scope(struct store_conn *c, const char *scope, int64_t *n, struct pg_err *err);
/* Issues a node's agent token inside the caller's transaction; the node's
 * previous ones are revoked, or expire after grace_ms when it is positive
 * (rotation with an overlap). secret receives the one-time value. */
int auth_agent_token_issue(struct store_conn *c, int64_t node_id, int64_t grace_ms,
                           char secret[AUTH_SECRET_LEN], int64_t *token_id, struct pg_err *err);
/* One-time join tokens: an agent trades one for its node and agent token
 * (POST /agent/join). Each call works inside the caller's transaction. */
#define AUTH_JOIN_TTL_MAX_MS (7 * 86400 * 1000LL)
/* labels_json: what the node that joins gets (the agent cannot choose). */
int auth_join_create(struct store_conn *c, const char *name, const char *labels_json,
                     int64_t ttl_ms, int64_t created_by, char secret[AUTH_SECRET_LEN], json_t **out,
                     struct pg_err *err);
/* Uses up a join token for node_id (created in the same transaction):
 * exactly once, before it expires, unless revoked. PG_EUNAUTH otherwise
 * (field joinToken); *labels_json (owned by the caller) is what it carries. */
int auth_join_consume(struct store_conn *c, const char *secret, char **labels_json, int64_t *id,
                      struct pg_err *err);
/* Whether secret is a join token that can still be used (nothing changes). */
int auth_join_check(struct store_conn *c, const char *secret, struct pg_err *err);
int auth_join_bind(struct store_conn *c, int64_t id, int64_t node_id, struct pg_err *err);
/* Every join token, newest first, without secrets. */
int auth_join_list(struct store_conn *c, json_t *items, struct pg_err *err);
int auth_join_revoke(struct store_conn *c, int64_t id, struct pg_err *err);

/* Revokes every token of a node (inside the caller's transaction). */
int auth_agent_tokens_revoke(struct store_conn *c, int64_t node_id, struct pg_err *err);

#endif
