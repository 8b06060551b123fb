#include "common/pg_crypto.h"
#include "common/pg_err.h"

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <string.h>

int pg_random_bytes(void *buf, size_t len)
{
	return RAND_bytes(buf, (int)len) == 1 ? 0 : PG_EINTERNAL;
}

void pg_hex_encode(const void *data, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";
	const unsigned char *p = data;
	for (size_t i = 0; i < len; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[2 * len] = '\0';
}

void pg_sha256_hex(const void *data, size_t len, char out[65])
{
	unsigned char md[32];
	unsigned int mdlen = 0;
	EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL);
	pg_hex_encode(md, 32, out);
}

struct pg_sha256 *pg_sha256_new(void)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	if (md && EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) {
		EVP_MD_CTX_free(md);
		md = NULL;
	}
	return (struct pg_sha256 *)md;
}

void pg_sha256_update(struct pg_sha256 *h, const void *data, size_t len)
{
	EVP_DigestUpdate((EVP_MD_CTX *)h, data, len);
}

void pg_sha256_final(struct pg_sha256 *h, char out[65])
{
	unsigned char md[32];
	unsigned int mdlen = 0;
	EVP_DigestFinal_ex((EVP_MD_CTX *)h, md, &mdlen);
	pg_hex_encode(md, 32, out);
	EVP_MD_CTX_free((EVP_MD_CTX *)h);
}

void pg_sha256_free(struct pg_sha256 *h)
{
	EVP_MD_CTX_free((EVP_MD_CTX *)h);
}

bool pg_secure_streq(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la != lb)
		return false;
	return CRYPTO_memcmp(a, b, la) == 0;
}

bool pg_pem_fingerprint(const char *pem, size_t len, char out[65])
{
	BIO *b = BIO_new_mem_buf(pem, (int)len);
	X509 *x = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
	unsigned char md[32];
	unsigned int n = 0;
	bool ok = x && X509_digest(x, EVP_sha256(), md, &n) == 1 && n == 32;
	if (ok)
		pg_hex_encode(md, n, out);
	X509_free(x);
	BIO_free(b);
	return ok;
}
