/* pg_secret: the one envelope for secrets at rest (secret config items, and
 * later ACME account keys and certificate keys): AES-256-GCM under a master
 * key kept in the data dir. Each sealed value is bound to a context string
 * (AAD) naming where it belongs, so a ciphertext moved to another row does
 * not open. */
#ifndef PG_SECRET_H
#define PG_SECRET_H

#include <jansson.h>
#include <stddef.h>

#include "common/pg_err.h"

struct pg_secret_key {
	unsigned char key[32];
};

/* Loads DIR/master.key, creating it (0600, 32 random bytes) on first use.
 * Refuses a key file readable or writable by group or others. */
int pg_secret_key_load(const char *data_dir, struct pg_secret_key *out, struct pg_err *err);
/* Seals plain (len bytes) for context: "v1:" + base64(nonce | ciphertext | tag). */
int pg_secret_seal(const struct pg_secret_key *k, const void *plain, size_t len,
                   const char *context, char **sealed, struct pg_err *err);
/* Opens a sealed value for context; *plain is NUL-terminated, owned by the
 * caller (clear it with explicit_bzero before free). */
int pg_secret_open(const struct pg_secret_key *k, const char *sealed, const char *context,
                   char **plain, size_t *len, struct pg_err *err);

/* Clears and frees a NUL-terminated secret (NULL is fine). */
void pg_secret_free(char *s);

/* A copy of the object obj (NULL: an empty one) with the value of every key
 * that names a secret (secret, password, token, key, authorization, any
 * case, anywhere in the key, at any depth) replaced by "******": what the
 * API and the audit log show of a plugin's config. */
json_t *pg_secret_masked(json_t *obj);

#endif
