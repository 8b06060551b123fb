/* Private to ssl/: an RFC 8555 client on libcurl and OpenSSL. */
#ifndef SSL_ACME_H
#define SSL_ACME_H

#include "common/pg_buf.h"
#include <jansson.h>
#include <openssl/evp.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/pg_err.h"

struct acme;

/* How challenges are answered; arg is passed back. */
struct acme_hooks {
	void *arg;
	/* HTTP-01: serve key_auth at /.well-known/acme-challenge/<token>. */
	int (*http01)(void *arg, const char *token, const char *key_auth, struct pg_err *err);
	/* DNS-01: TXT value at fqdn (present, or cleanup when !present). */
	int (*dns01)(void *arg, bool present, const char *domain, const char *fqdn,
	             const char *value, struct pg_err *err);
	int64_t propagation_ms; /* wait after publishing TXT records */
};

/* Opens a session with a directory (ca_file may be NULL). key is the
 * account key (borrowed; ES256). When kid is NULL the account is created
 * (or found) with contact email (may be NULL). */
int acme_open(const char *directory, const char *ca_file, EVP_PKEY *key, const char *kid,
              const char *email, struct acme **out, struct pg_err *err);
void acme_free(struct acme *a);
/* The account URL (kid) of the session. */
const char *acme_kid(const struct acme *a);
/* Orders a certificate for domains ("http-01" or "dns-01"), signs a CSR with
 * cert_key and downloads the chain (*pem, malloc'd). A CA error is
 * PG_EPRECOND with the problem document's type and detail in the message
 * and the document itself in *problem (may be NULL). */
int acme_issue(struct acme *a, json_t *domains, const char *challenge,
               const struct acme_hooks *hooks, EVP_PKEY *cert_key, char **pem, json_t **problem,
               struct pg_err *err);

/* GETs a JSON object from an ACME server (the directory, renewalInfo);
 * *retry_after (may be NULL) gets its Retry-After in seconds, 0 if none. */
int acme_get_json(const char *url, const char *ca_file, json_t **out, int64_t *retry_after,
                  struct pg_err *err);

/* Helpers shared with the rest of ssl/. */
char *ssl_b64url(const unsigned char *data, size_t len);
EVP_PKEY *ssl_key_new(const char *type); /* "ec256" (default), "rsa2048", "rsa4096" */
char *ssl_key_pem(EVP_PKEY *key);        /* PKCS#8 PEM, malloc'd */
EVP_PKEY *ssl_key_from_pem(const char *pem);

/* One answer of an ACME server, as received (ssl_acme.c). The parsing of
 * headers and problem documents is exposed for the fuzzer. */
struct acme_resp {
	long status;
	struct pg_buf body;
	char location[2048], nonce[256], ctype[128];
	long retry_after; /* seconds, 0 to a week */
};
/* Takes one header line (as received, CRLF included or not). */
void acme_resp_header(struct acme_resp *r, const char *line, size_t n);
/* The answer as an error naming what was asked and the problem document's
 * type and detail (RFC 8555 6.7); *doc (when doc) receives the document. */
int acme_resp_problem(struct acme_resp *r, const char *what, json_t **doc, struct pg_err *err);
void acme_resp_free(struct acme_resp *r);

#endif
