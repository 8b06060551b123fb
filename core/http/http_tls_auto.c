#include "http/http_tls_auto.h"
#include "common/pg_crypto.h"
#include "common/pg_file.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define DAY 86400L

static int write_whole(const char *path, BIO *bio, struct pg_err *err)
{
	char *data;
	long len = BIO_get_mem_data(bio, &data);
	return pg_file_write(path, data, (size_t)len, 0600, err);
}

static int save(const char *path, X509 *x, EVP_PKEY *k, struct pg_err *err)
{
	BIO *b = BIO_new(BIO_s_mem());
	int ok = b && (x ? PEM_write_bio_X509(b, x)
	                 : PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL));
	int rc = ok ? write_whole(path, b, err)
	            : pg_err_set(err, PG_EINTERNAL, "tls", "cannot encode %s", path);
	BIO_free(b);
	return rc;
}

static X509 *load_cert(const char *path)
{
	FILE *f = fopen(path, "r");
	X509 *x = f ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;
	if (f)
		fclose(f);
	return x;
}

static EVP_PKEY *load_key(const char *path)
{
	FILE *f = fopen(path, "r");
	EVP_PKEY *k = f ? PEM_read_PrivateKey(f, NULL, NULL, NULL) : NULL;
	if (f)
		fclose(f);
	return k;
}

static bool add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
	X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	bool ok = e && X509_add_ext(x, e, -1);
	X509_EXTENSION_free(e);
	return ok;
}

/* A certificate for key, signed by issuer_key (issuer NULL: self-signed). */
static X509 *make_cert(EVP_PKEY *key, const char *cn, long days, X509 *issuer, EVP_PKEY *issuer_key,
                       const char *san)
{
	X509 *x = X509_new();
	unsigned char serial[16];
	BIGNUM *bn = NULL;
	bool ok = x && RAND_bytes(serial, sizeof(serial)) == 1;
	if (ok) {
		serial[0] &= 0x7f; /* positive */
		bn = BN_bin2bn(serial, sizeof(serial), NULL);
		ok = bn && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) &&
		     X509_set_version(x, 2) && X509_gmtime_adj(X509_getm_notBefore(x), -3600) &&
		     X509_gmtime_adj(X509_getm_notAfter(x), days * DAY) &&
		     X509_set_pubkey(x, key) &&
		     X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_UTF8,
		                                (const unsigned char *)cn, -1, -1, 0) &&
		     X509_set_issuer_name(x, X509_get_subject_name(issuer ? issuer : x));
	}
	X509 *signer = issuer ? issuer : x;
	if (ok && !issuer)
		ok = add_ext(x, signer, NID_basic_constraints, "critical,CA:TRUE,pathlen:0") &&
		     add_ext(x, signer, NID_key_usage, "critical,keyCertSign,cRLSign") &&
		     add_ext(x, signer, NID_subject_key_identifier, "hash");
	if (ok && issuer)
		ok = add_ext(x, signer, NID_basic_constraints, "critical,CA:FALSE") &&
		     add_ext(x, signer, NID_key_usage, "critical,digitalSignature") &&
		     add_ext(x, signer, NID_ext_key_usage, "serverAuth") &&
		     add_ext(x, signer, NID_authority_key_identifier, "keyid:always") &&
		     add_ext(x, signer, NID_subject_alt_name, san);
	ok = ok && X509_sign(x, issuer_key ? issuer_key : key, EVP_sha256()) > 0;
	BN_free(bn);
	if (!ok) {
		X509_free(x);
		return NULL;
	}
	return x;
}

/* Whether x (signed by ca) names every entry and lives 30 more days. */
static bool server_cert_ok(X509 *x, X509 *ca, EVP_PKEY *key, const char *const *names, size_t n)
{
	EVP_PKEY *ca_key = X509_get0_pubkey(ca);
	if (!x || !key || X509_verify(x, ca_key) != 1 || X509_check_private_key(x, key) != 1 ||
	    X509_cmp_time(X509_get0_notAfter(x), &(time_t){time(NULL) + 30 * DAY}) <= 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char buf[16];
		bool ip = inet_pton(AF_INET, names[i], buf) == 1 ||
		          inet_pton(AF_INET6, names[i], buf) == 1;
		if ((ip ? X509_check_ip_asc(x, names[i], 0)
		        : X509_check_host(x, names[i], 0, 0, NULL)) != 1)
			return false;
	}
	return true;
}

int http_tls_auto(const char *dir, const char *const *names, size_t nnames,
                  struct http_tls_files *out, struct pg_err *err)
{
	char tlsdir[480], ca_key_path[600];
	snprintf(tlsdir, sizeof(tlsdir), "%s/tls", dir);
	if (mkdir(tlsdir, 0700) != 0 && errno != EEXIST)
		return pg_err_set(err, PG_EINTERNAL, "tls", "cannot create %s: %s", tlsdir,
		                  strerror(errno));
	snprintf(out->ca, sizeof(out->ca), "%s/ca.crt", tlsdir);
	snprintf(ca_key_path, sizeof(ca_key_path), "%s/ca.key", tlsdir);
	snprintf(out->cert, sizeof(out->cert), "%s/server.crt", tlsdir);
	snprintf(out->key, sizeof(out->key), "%s/server.key", tlsdir);
	int rc = 0;
	X509 *ca = load_cert(out->ca), *srv = NULL;
	EVP_PKEY *ca_key = load_key(ca_key_path), *key = NULL;
	if (!ca || !ca_key || X509_check_private_key(ca, ca_key) != 1) {
		X509_free(ca);
		EVP_PKEY_free(ca_key);
		char cn[64];
		unsigned char r[4];
		RAND_bytes(r, sizeof(r));
		snprintf(cn, sizeof(cn), "Pagoda CA %02x%02x%02x%02x", r[0], r[1], r[2], r[3]);
		ca_key = EVP_EC_gen("P-256");
		ca = ca_key ? make_cert(ca_key, cn, 3650, NULL, NULL, NULL) : NULL;
		if (!ca)
			rc = pg_err_set(err, PG_EINTERNAL, "tls",
			                "cannot create the CA certificate");
		if (rc == 0)
			rc = save(ca_key_path, NULL, ca_key, err);
		if (rc == 0)
			rc = save(out->ca, ca, NULL, err);
	}
	if (rc == 0) {
		srv = load_cert(out->cert);
		key = load_key(out->key);
	}
	if (rc == 0 && !server_cert_ok(srv, ca, key, names, nnames)) {
		X509_free(srv);
		EVP_PKEY_free(key);
		char san[2048] = "", *p = san;
		for (size_t i = 0; i < nnames; i++) {
			unsigned char buf[16];
			bool ip = inet_pton(AF_INET, names[i], buf) == 1 ||
			          inet_pton(AF_INET6, names[i], buf) == 1;
			p += snprintf(p, (size_t)(san + sizeof(san) - p), "%s%s:%s", i ? "," : "",
			              ip ? "IP" : "DNS", names[i]);
			if (p >= san + sizeof(san)) {
				rc = pg_err_set(err, PG_EINVAL, "tls-san",
				                "too many names for the certificate");
				break;
			}
		}
		key = rc == 0 ? EVP_EC_gen("P-256") : NULL;
		srv = key ? make_cert(key, nnames ? names[0] : "pagodad", 365, ca, ca_key, san)
		          : NULL;
		if (!srv && rc == 0)
			rc = pg_err_set(err, PG_EINTERNAL, "tls",
			                "cannot create the server certificate (names: %s)", san);
		if (rc == 0)
			rc = save(out->key, NULL, key, err);
		if (rc == 0)
			rc = save(out->cert, srv, NULL, err);
	}
	if (rc == 0) {
		unsigned char md[32];
		unsigned int n = 0;
		X509_digest(ca, EVP_sha256(), md, &n);
		pg_hex_encode(md, n, out->fingerprint);
	}
	X509_free(ca);
	X509_free(srv);
	EVP_PKEY_free(ca_key);
	EVP_PKEY_free(key);
	return rc;
}
