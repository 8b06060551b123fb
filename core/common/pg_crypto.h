/* pg_crypto: randomness, hashing and comparison that secrets rely on. */
#ifndef PG_CRYPTO_H
#define PG_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>

/* Fills buf from the OS CSPRNG; 0 or PG_EINTERNAL. */
int pg_random_bytes(void *buf, size_t len);
/* Writes 2*len lowercase hex chars plus NUL into out. */
void pg_hex_encode(const void *data, size_t len, char *out);
/* SHA-256 of data as 64 hex chars plus NUL in out[65]. */
void pg_sha256_hex(const void *data, size_t len, char out[65]);
/* SHA-256 over data given in pieces (uploads, downloads, trees). */
struct pg_sha256;
struct pg_sha256 *pg_sha256_new(void);
void pg_sha256_update(struct pg_sha256 *h, const void *data, size_t len);
/* Writes the digest (64 hex chars plus NUL) and frees h. */
void pg_sha256_final(struct pg_sha256 *h, char out[65]);
void pg_sha256_free(struct pg_sha256 *h);
/* Compares two NUL-terminated strings in time independent of their content. */
bool pg_secure_streq(const char *a, const char *b);
/* SHA-256 of the first certificate of pem (its DER), hex, as `pagodad --tls
 * auto` prints a CA's fingerprint; false when pem holds none. */
bool pg_pem_fingerprint(const char *pem, size_t len, char out[65]);

#endif
