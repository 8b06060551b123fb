/* Reading certificates: the facts a certificate object shows, key match and
 * chain verification for imports. */
#include "common/pg_crypto.h"
#include "ssl/ssl_int.h"

#include <openssl/asn1.h>
#include <openssl/bn.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static int64_t asn1_ms(const ASN1_TIME *t)
{
	struct tm tm;
	if (!t || ASN1_TIME_to_tm(t, &tm) != 1)
		return 0;
	return (int64_t)timegm(&tm) * 1000;
}

static X509 *first_cert(const char *pem)
{
	BIO *b = BIO_new_mem_buf(pem, -1);
	X509 *x = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
	BIO_free(b);
	return x;
}

int ssl_cert_parse(const char *pem, struct ssl_cert_info *out, struct pg_err *err)
{
	memset(out, 0, sizeof(*out));
	X509 *x = first_cert(pem);
	if (!x)
		return pg_err_set(err, PG_EINVAL, "certPem", "no PEM certificate found");
	BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
	char *hex = bn ? BN_bn2hex(bn) : NULL;
	snprintf(out->serial, sizeof(out->serial), "%s", hex ? hex : "");
	OPENSSL_free(hex);
	BN_free(bn);
	unsigned char md[32];
	unsigned int n = 0;
	X509_digest(x, EVP_sha256(), md, &n);
	pg_hex_encode(md, n, out->fingerprint);
	X509_NAME_oneline(X509_get_issuer_name(x), out->issuer, sizeof(out->issuer));
	out->not_before = asn1_ms(X509_get0_notBefore(x));
	out->not_after = asn1_ms(X509_get0_notAfter(x));
	EVP_PKEY *pk = X509_get0_pubkey(x);
	int bits = pk ? EVP_PKEY_get_bits(pk) : 0;
	snprintf(out->key_type, sizeof(out->key_type), "%s%d",
	         pk && EVP_PKEY_is_a(pk, "EC") ? "ec" : "rsa", bits);
	out->sans = json_array();
	GENERAL_NAMES *names = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	for (int i = 0; names && i < sk_GENERAL_NAME_num(names); i++) {
		GENERAL_NAME *g = sk_GENERAL_NAME_value(names, i);
		if (g->type == GEN_DNS)
			json_array_append_new(
			        out->sans,
			        json_stringn((const char *)ASN1_STRING_get0_data(g->d.dNSName),
			                     (size_t)ASN1_STRING_length(g->d.dNSName)));
	}
	GENERAL_NAMES_free(names);
	X509_free(x);
	return 0;
}

void ssl_cert_info_free(struct ssl_cert_info *i)
{
	json_decref(i->sans);
	i->sans = NULL;
}

int ssl_cert_check(const char *cert_pem, const char *key_pem, struct pg_err *err)
{
	BIO *b = BIO_new_mem_buf(cert_pem, -1);
	X509 *leaf = PEM_read_bio_X509(b, NULL, NULL, NULL);
	STACK_OF(X509) *rest = sk_X509_new_null();
	X509 *x, *last = NULL;
	while (leaf && (x = PEM_read_bio_X509(b, NULL, NULL, NULL))) {
		sk_X509_push(rest, x);
		last = x;
	}
	BIO_free(b);
	BIO *kb = BIO_new_mem_buf(key_pem, -1);
	EVP_PKEY *key = PEM_read_bio_PrivateKey(kb, NULL, NULL, NULL);
	BIO_free(kb);
	int rc = 0;
	if (!leaf)
		rc = pg_err_set(err, PG_EINVAL, "certPem", "certPem holds no certificate");
	else if (!key)
		rc = pg_err_set(err, PG_EINVAL, "keyPem", "keyPem holds no private key");
	else if (X509_check_private_key(leaf, key) != 1)
		rc = pg_err_set(err, PG_EINVAL, "keyPem",
		                "the private key does not belong to the certificate");
	if (rc == 0) {
		/* Trust: the system roots, plus the chain's own last certificate
		 * when it is self-signed (a private CA brought along). */
		X509_STORE *store = X509_STORE_new();
		X509_STORE_set_default_paths(store);
		X509 *anchor = last ? last : leaf; /* a lone self-signed leaf anchors itself */
		if (X509_check_issued(anchor, anchor) == X509_V_OK)
			X509_STORE_add_cert(store, anchor);
		X509_STORE_CTX *ctx = X509_STORE_CTX_new();
		X509_STORE_CTX_init(ctx, store, leaf, rest);
		X509_VERIFY_PARAM_set_flags(X509_STORE_CTX_get0_param(ctx),
		                            X509_V_FLAG_NO_CHECK_TIME);
		if (X509_verify_cert(ctx) != 1)
			rc = pg_err_set(
			        err, PG_EINVAL, "certPem", "the chain does not verify: %s",
			        X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx)));
		X509_STORE_CTX_free(ctx);
		X509_STORE_free(store);
	}
	EVP_PKEY_free(key);
	X509_free(leaf);
	sk_X509_pop_free(rest, X509_free);
	return rc;
}
