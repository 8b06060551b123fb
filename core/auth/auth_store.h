/* Private to auth/: the DAO for auth_token. */
#ifndef AUTH_STORE_H
#define AUTH_STORE_H

#include <jansson.h>
#include <stdint.h>

#include "auth/auth.h"
#include "common/pg_err.h"

struct store_conn;

struct auth_token_row {
	int64_t id, node_id, expires_at, revoked_at;
	char kind[8];
	char name[72];
	char secret_hash[65];
	char *permissions; /* JSON text, owned */
	char scope[32];    /* "" or "config:5" */
};

/* A new secret: prefix ("pga_" admin, "pgn_" node, "pgj_" join) and 32
 * random bytes in hex; hash receives its SHA-256 (what is stored). */
int auth_secret_new(const char *prefix, char secret[AUTH_SECRET_LEN], char hash[65],
                    struct pg_err *err);

int auth_store_find_by_hash(struct store_conn *c, const char *hash, struct auth_token_row *out,
                            struct pg_err *err);
/* scope: NULL or "config:5" (auth_principal.scope). */
int auth_store_insert(struct store_conn *c, const char *name, const char *kind, int64_t node_id,
                      const char *hash, const char *perms_json, const char *scope,
                      int64_t created_by, int64_t expires_at, int64_t *id, struct pg_err *err);
/* Revokes one admin token; PG_ENOTFOUND when no live admin token has id. */
int auth_store_revoke(struct store_conn *c, int64_t id, struct pg_err *err);
int auth_store_revoke_node(struct store_conn *c, int64_t node_id, struct pg_err *err);
/* The node's live tokens stop working at `at` (ms) unless they end sooner. */
int auth_store_expire_node(struct store_conn *c, int64_t node_id, int64_t at, struct pg_err *err);
/* Number of admin tokens ever created. */
int auth_store_count_admin(struct store_conn *c, int64_t *n, struct pg_err *err);
/* Admin tokens with id > after, oldest first, as API objects. */
int auth_store_list(struct store_conn *c, int64_t after, int64_t limit, json_t *items,
                    int64_t *next, struct pg_err *err);
int auth_store_get(struct store_conn *c, int64_t id, json_t **out, struct pg_err *err);

#endif
