/* ACME (RFC 8555): directory, nonces (badNonce retried), account, order,
 * authorizations, HTTP-01 and DNS-01 challenges, finalize with a CSR,
 * polling with Retry-After, and the certificate chain. */
#include "ssl/ssl_acme.h"
#include "common/pg_log.h"
#include "common/pg_time.h"

#include <curl/curl.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define POLL_LIMIT_MS 120000

struct acme {
	char *directory, *kid;
	const char *ca_file; /* the CA bundle of the directory: ca_copy, or the caller's */
	char *ca_copy;
	char *new_nonce, *new_account, *new_order;
	char nonce[256];
	EVP_PKEY *key;
	char thumbprint[64];
	json_t *jwk;
	CURL *curl;
};

/* Whether o's member key is the string want: the CA's answers are not
 * trusted to have the members they should. */
static bool str_is(json_t *o, const char *key, const char *want)
{
	const char *v = json_string_value(json_object_get(o, key));
	return v && strcmp(v, want) == 0;
}

char *ssl_b64url(const unsigned char *data, size_t len)
{
	char *out = malloc(4 * ((len + 2) / 3) + 1);
	if (!out)
		return NULL;
	int n = EVP_EncodeBlock((unsigned char *)out, data, (int)len);
	for (int i = 0; i < n; i++)
		out[i] = out[i] == '+' ? '-' : out[i] == '/' ? '_' : out[i];
	while (n > 0 && out[n - 1] == '=')
		n--;
	out[n] = '\0';
	return out;
}

EVP_PKEY *ssl_key_new(const char *type)
{
	if (type && strncmp(type, "rsa", 3) == 0)
		return EVP_RSA_gen(strcmp(type, "rsa4096") == 0 ? 4096 : 2048);
	return EVP_EC_gen("P-256");
}

char *ssl_key_pem(EVP_PKEY *key)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *out = NULL;
	if (b && PEM_write_bio_PrivateKey(b, key, NULL, NULL, 0, NULL, NULL) == 1) {
		char *p;
		long n = BIO_get_mem_data(b, &p);
		out = strndup(p, (size_t)n);
	}
	BIO_free(b);
	return out;
}

EVP_PKEY *ssl_key_from_pem(const char *pem)
{
	BIO *b = BIO_new_mem_buf(pem, -1);
	EVP_PKEY *k = b ? PEM_read_bio_PrivateKey(b, NULL, NULL, NULL) : NULL;
	BIO_free(b);
	return k;
}

/* The account key as a JWK, and its RFC 7638 thumbprint. */
static int make_jwk(struct acme *a, struct pg_err *err)
{
	BIGNUM *x = NULL, *y = NULL;
	unsigned char bx[32], by[32];
	if (!EVP_PKEY_get_bn_param(a->key, "qx", &x) || !EVP_PKEY_get_bn_param(a->key, "qy", &y) ||
	    BN_bn2binpad(x, bx, 32) != 32 || BN_bn2binpad(y, by, 32) != 32) {
		BN_free(x);
		BN_free(y);
		return pg_err_set(err, PG_EINTERNAL, "", "the ACME account key is not a P-256 key");
	}
	BN_free(x);
	BN_free(y);
	char *sx = ssl_b64url(bx, 32), *sy = ssl_b64url(by, 32);
	a->jwk = json_pack("{s:s, s:s, s:s, s:s}", "crv", "P-256", "kty", "EC", "x", sx, "y", sy);
	/* canonical: the required members in lexicographic order, no spaces */
	char canon[256];
	snprintf(canon, sizeof(canon),
	         "{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"%s\",\"y\":\"%s\"}", sx, sy);
	unsigned char md[32];
	unsigned int mdlen;
	EVP_Digest(canon, strlen(canon), md, &mdlen, EVP_sha256(), NULL);
	char *t = ssl_b64url(md, 32);
	snprintf(a->thumbprint, sizeof(a->thumbprint), "%s", t);
	free(t);
	free(sx);
	free(sy);
	return 0;
}

static void header_value(const char *line, size_t n, const char *name, char *out, size_t outlen)
{
	size_t k = strlen(name);
	if (n <= k + 1 || strncasecmp(line, name, k) != 0 || line[k] != ':')
		return;
	/* curl's header lines are not NUL-terminated: stay within n (found by
	 * fuzz_acme; tests/fuzz/corpus/acme/crash-header-spaces replays it) */
	const char *v = line + k + 1, *end = line + n;
	while (v < end && (*v == ' ' || *v == '\t'))
		v++;
	size_t len = (size_t)(end - v);
	while (len && (v[len - 1] == '\r' || v[len - 1] == '\n'))
		len--;
	snprintf(out, outlen, "%.*s", (int)len, v);
}

void acme_resp_header(struct acme_resp *r, const char *line, size_t n)
{
	char ra[32] = "";
	header_value(line, n, "Location", r->location, sizeof(r->location));
	header_value(line, n, "Replay-Nonce", r->nonce, sizeof(r->nonce));
	header_value(line, n, "Content-Type", r->ctype, sizeof(r->ctype));
	header_value(line, n, "Retry-After", ra, sizeof(ra));
	if (ra[0]) {
		long v = strtol(ra, NULL, 10);
		r->retry_after = v < 0 ? 0 : v > 86400 * 7 ? 86400 * 7 : v; /* a week at most */
	}
}

static size_t on_header(char *p, size_t s, size_t n, void *arg)
{
	acme_resp_header(arg, p, s * n);
	return s * n;
}

void acme_resp_free(struct acme_resp *r)
{
	pg_buf_reset(&r->body);
	memset(r, 0, sizeof(*r));
}

static int http(struct acme *a, const char *method, const char *url, const char *body,
                struct acme_resp *r, struct pg_err *err)
{
	memset(r, 0, sizeof(*r));
	r->body.max = 8u << 20;
	CURL *c = a->curl;
	curl_easy_reset(c);
	struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/jose+json");
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "pagoda-acme/0.1");
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https,http");
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, pg_buf_curl_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &r->body);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
	if (a->ca_file)
		curl_easy_setopt(c, CURLOPT_CAINFO, a->ca_file);
	if (strcmp(method, "HEAD") == 0)
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	if (body) {
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	}
	CURLcode cc = curl_easy_perform(c);
	curl_slist_free_all(h);
	if (cc != CURLE_OK) {
		acme_resp_free(r);
		return pg_err_set(err, PG_EUNAVAIL, "", "ACME %s %s: %s", method, url,
		                  curl_easy_strerror(cc));
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
	if (r->nonce[0])
		snprintf(a->nonce, sizeof(a->nonce), "%s", r->nonce);
	return 0;
}

/* ES256: ECDSA over SHA-256, the signature as raw R || S (32 bytes each). */
static char *sign(struct acme *a, const char *input)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char der[128];
	size_t dlen = sizeof(der);
	char *out = NULL;
	if (md && EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, a->key) == 1 &&
	    EVP_DigestSign(md, der, &dlen, (const unsigned char *)input, strlen(input)) == 1) {
		const unsigned char *p = der;
		ECDSA_SIG *sig = d2i_ECDSA_SIG(NULL, &p, (long)dlen);
		unsigned char raw[64];
		if (sig && BN_bn2binpad(ECDSA_SIG_get0_r(sig), raw, 32) == 32 &&
		    BN_bn2binpad(ECDSA_SIG_get0_s(sig), raw + 32, 32) == 32)
			out = ssl_b64url(raw, 64);
		ECDSA_SIG_free(sig);
	}
	EVP_MD_CTX_free(md);
	return out;
}

int acme_resp_problem(struct acme_resp *r, const char *what, json_t **doc, struct pg_err *err)
{
	json_t *p = r->body.data ? json_loads(r->body.data, 0, NULL) : NULL;
	const char *type = json_string_value(json_object_get(p, "type"));
	const char *detail = json_string_value(json_object_get(p, "detail"));
	int rc = pg_err_set(err, PG_EPRECOND, "acme", "%s: the CA answered %ld %s: %s", what,
	                    r->status, type ? type : "(no problem document)",
	                    detail ? detail : (r->body.data ? r->body.data : ""));
	if (doc && p)
		*doc = json_incref(p);
	json_decref(p);
	return rc;
}

int acme_get_json(const char *url, const char *ca_file, json_t **out, int64_t *retry_after,
                  struct pg_err *err)
{
	struct acme a = {.ca_file = ca_file, .curl = curl_easy_init()};
	struct acme_resp r;
	*out = NULL;
	int rc = a.curl ? http(&a, "GET", url, NULL, &r, err)
	                : pg_err_set(err, PG_EINTERNAL, "", "out of memory");
	if (rc == 0) {
		*out = r.status == 200 && r.body.data ? json_loads(r.body.data, 0, NULL) : NULL;
		if (!json_is_object(*out)) {
			json_decref(*out);
			*out = NULL;
			rc = acme_resp_problem(&r, url, NULL, err);
		}
		if (retry_after)
			*retry_after = r.retry_after;
		acme_resp_free(&r);
	}
	curl_easy_cleanup(a.curl);
	return rc;
}

/* A JWS POST (payload NULL: POST-as-GET), retried on badNonce. */
static int post(struct acme *a, const char *url, json_t *payload, struct acme_resp *r,
                struct pg_err *err)
{
	char *pl = payload ? json_dumps(payload, JSON_COMPACT) : strdup("");
	char *pl64 = ssl_b64url((const unsigned char *)pl, strlen(pl));
	free(pl);
	int rc = 0;
	for (int attempt = 0; attempt < 3; attempt++) {
		if (!a->nonce[0]) {
			struct acme_resp n;
			if ((rc = http(a, "HEAD", a->new_nonce, NULL, &n, err)) != 0)
				break;
			acme_resp_free(&n);
		}
		json_t *prot =
		        json_pack("{s:s, s:s, s:s}", "alg", "ES256", "nonce", a->nonce, "url", url);
		if (a->kid)
			json_object_set_new(prot, "kid", json_string(a->kid));
		else
			json_object_set(prot, "jwk", a->jwk);
		a->nonce[0] = '\0'; /* one use only */
		char *ps = json_dumps(prot, JSON_COMPACT);
		json_decref(prot);
		char *p64 = ssl_b64url((const unsigned char *)ps, strlen(ps));
		free(ps);
		size_t in_len = strlen(p64) + strlen(pl64) + 2;
		char *input = malloc(in_len);
		snprintf(input, in_len, "%s.%s", p64, pl64);
		char *sig = sign(a, input);
		free(input);
		json_t *jws = json_pack("{s:s, s:s, s:s}", "protected", p64, "payload", pl64,
		                        "signature", sig ? sig : "");
		char *body = json_dumps(jws, JSON_COMPACT);
		json_decref(jws);
		free(p64);
		free(sig);
		rc = http(a, "POST", url, body, r, err);
		free(body);
		if (rc != 0)
			break;
		if (r->status == 0 && attempt < 2) {
			/* no status line at all (a kept-alive connection the CA had
			 * closed): send again with a fresh nonce, not after the backoff */
			pg_info("acme", "no answer from %s; retrying with a fresh nonce", url);
			acme_resp_free(r);
			continue;
		}
		json_t *p =
		        r->status == 400 && r->body.data ? json_loads(r->body.data, 0, NULL) : NULL;
		bool bad_nonce = p && json_is_string(json_object_get(p, "type")) &&
		                 str_is(p, "type", "urn:ietf:params:acme:error:badNonce");
		json_decref(p);
		if (!bad_nonce)
			break;
		pg_info("acme", "badNonce from %s; retrying with a fresh nonce", url);
		acme_resp_free(r);
	}
	free(pl64);
	return rc;
}

/* POST-as-GET returning the JSON body. */
static int fetch(struct acme *a, const char *url, json_t **out, json_t **doc, struct pg_err *err)
{
	struct acme_resp r;
	int rc = post(a, url, NULL, &r, err);
	if (rc == 0 && r.status >= 300)
		rc = acme_resp_problem(&r, url, doc, err);
	if (rc == 0 && !(*out = json_loads(r.body.data ? r.body.data : "", 0, NULL)))
		rc = pg_err_set(err, PG_EPRECOND, "acme", "%s answered something that is not JSON",
		                url);
	acme_resp_free(&r);
	return rc;
}

int acme_open(const char *directory, const char *ca_file, EVP_PKEY *key, const char *kid,
              const char *email, struct acme **out, struct pg_err *err)
{
	struct acme *a = calloc(1, sizeof(*a));
	if (!a || !(a->curl = curl_easy_init())) {
		free(a);
		return pg_err_set(err, PG_EINTERNAL, "", "out of memory");
	}
	a->directory = strdup(directory);
	a->ca_file = a->ca_copy = ca_file ? strdup(ca_file) : NULL;
	a->key = key;
	struct acme_resp r;
	int rc = make_jwk(a, err);
	if (rc == 0)
		rc = http(a, "GET", directory, NULL, &r, err);
	if (rc == 0) {
		json_t *d =
		        r.status == 200 && r.body.data ? json_loads(r.body.data, 0, NULL) : NULL;
		const char *nn = json_string_value(json_object_get(d, "newNonce"));
		const char *na = json_string_value(json_object_get(d, "newAccount"));
		const char *no = json_string_value(json_object_get(d, "newOrder"));
		if (nn && na && no) {
			a->new_nonce = strdup(nn);
			a->new_account = strdup(na);
			a->new_order = strdup(no);
		} else {
			rc = pg_err_set(err, PG_EPRECOND, "acme",
			                "%s is not an ACME directory (HTTP %ld)", directory,
			                r.status);
		}
		json_decref(d);
		acme_resp_free(&r);
	}
	if (rc == 0 && kid) {
		a->kid = strdup(kid);
	} else if (rc == 0) {
		json_t *req = json_pack("{s:b}", "termsOfServiceAgreed", 1);
		if (email) {
			char mail[300];
			snprintf(mail, sizeof(mail), "mailto:%s", email);
			json_object_set_new(req, "contact", json_pack("[s]", mail));
		}
		rc = post(a, a->new_account, req, &r, err);
		json_decref(req);
		if (rc == 0 && (r.status == 200 || r.status == 201) && r.location[0])
			a->kid = strdup(r.location);
		else if (rc == 0)
			rc = acme_resp_problem(&r, "newAccount", NULL, err);
		acme_resp_free(&r);
	}
	if (rc != 0) {
		acme_free(a);
		return rc;
	}
	*out = a;
	return 0;
}

void acme_free(struct acme *a)
{
	if (!a)
		return;
	curl_easy_cleanup(a->curl);
	json_decref(a->jwk);
	free(a->directory);
	free(a->ca_copy);
	free(a->kid);
	free(a->new_nonce);
	free(a->new_account);
	free(a->new_order);
	free(a);
}

const char *acme_kid(const struct acme *a)
{
	return a->kid;
}

/* Polls url until its status is one of want (comma list) or a final one. */
static int poll_status(struct acme *a, const char *url, const char *want, json_t **out,
                       json_t **doc, struct pg_err *err)
{
	int64_t deadline = pg_time_mono_ms() + POLL_LIMIT_MS;
	/* soon at first (a CA often decides within a second), then less
	 * often; the CA's Retry-After wins */
	long backoff = 100;
	for (;;) {
		struct acme_resp r;
		int rc = post(a, url, NULL, &r, err);
		if (rc == 0 && r.status >= 300)
			rc = acme_resp_problem(&r, url, doc, err);
		json_t *o = rc == 0 ? json_loads(r.body.data ? r.body.data : "", 0, NULL) : NULL;
		long wait =
		        r.retry_after > 0 && r.retry_after < 10 ? r.retry_after * 1000 : backoff;
		backoff = backoff * 3 / 2 > 2000 ? 2000 : backoff * 3 / 2;
		acme_resp_free(&r);
		if (rc != 0)
			return rc;
		const char *st = json_string_value(json_object_get(o, "status"));
		if (st &&
		    (strstr(want, st) || strcmp(st, "invalid") == 0 || strcmp(st, "valid") == 0)) {
			*out = o;
			return 0;
		}
		json_decref(o);
		if (pg_time_mono_ms() > deadline)
			return pg_err_set(err, PG_EUNAVAIL, "acme", "%s stayed %s for %d s", url,
			                  st ? st : "?", POLL_LIMIT_MS / 1000);
		usleep((useconds_t)wait * 1000);
	}
}

static char *key_authorization(struct acme *a, const char *token)
{
	size_t n = strlen(token) + strlen(a->thumbprint) + 2;
	char *ka = malloc(n);
	snprintf(ka, n, "%s.%s", token, a->thumbprint);
	return ka;
}

/* Answers one authorization with the asked challenge type. */
static int authorize(struct acme *a, const char *url, const char *type, const struct acme_hooks *h,
                     json_t **doc, struct pg_err *err)
{
	json_t *authz = NULL, *done = NULL;
	int rc = fetch(a, url, &authz, doc, err);
	if (rc != 0)
		return rc;
	const char *domain =
	        json_string_value(json_object_get(json_object_get(authz, "identifier"), "value"));
	if (str_is(authz, "status", "valid")) {
		json_decref(authz);
		return 0; /* validated before (authorization reuse) */
	}
	json_t *ch = NULL;
	size_t i;
	json_t *c;
	json_array_foreach (json_object_get(authz, "challenges"), i, c)
		if (!ch && str_is(c, "type", type))
			ch = c;
	if (!ch) {
		json_decref(authz);
		return pg_err_set(err, PG_EPRECOND, "challenge",
		                  "the CA offers no %s challenge for %s", type, domain);
	}
	char *ka = key_authorization(a, json_string_value(json_object_get(ch, "token")));
	char fqdn[300], *txt = NULL;
	bool dns = strcmp(type, "dns-01") == 0;
	if (dns) {
		unsigned char md[32];
		unsigned int mdlen;
		EVP_Digest(ka, strlen(ka), md, &mdlen, EVP_sha256(), NULL);
		txt = ssl_b64url(md, 32);
		snprintf(fqdn, sizeof(fqdn), "_acme-challenge.%s", domain);
		rc = h->dns01(h->arg, true, domain, fqdn, txt, err);
		if (rc == 0 && h->propagation_ms > 0)
			usleep((useconds_t)h->propagation_ms * 1000);
	} else {
		rc = h->http01(h->arg, json_string_value(json_object_get(ch, "token")), ka, err);
	}
	struct acme_resp r;
	json_t *empty = json_object();
	if (rc == 0 &&
	    (rc = post(a, json_string_value(json_object_get(ch, "url")), empty, &r, err)) == 0) {
		if (r.status >= 300)
			rc = acme_resp_problem(&r, "challenge", doc, err);
		acme_resp_free(&r);
	}
	json_decref(empty);
	if (rc == 0)
		rc = poll_status(a, url, "valid", &done, doc, err);
	if (rc == 0 && !str_is(done, "status", "valid")) {
		json_t *cerr = NULL;
		json_array_foreach (json_object_get(done, "challenges"), i, c)
			if (json_object_get(c, "error"))
				cerr = json_object_get(c, "error");
		if (doc && cerr)
			*doc = json_incref(cerr);
		rc = pg_err_set(err, PG_EPRECOND, "acme", "%s validation of %s failed: %s: %s",
		                type, domain,
		                cerr ? json_string_value(json_object_get(cerr, "type")) : "invalid",
		                cerr ? json_string_value(json_object_get(cerr, "detail")) : "");
	}
	/* DNS records go away whatever happened */
	if (dns) {
		struct pg_err ignore = {0};
		h->dns01(h->arg, false, domain, fqdn, txt, &ignore);
	}
	free(txt);
	free(ka);
	json_decref(authz);
	json_decref(done);
	return rc;
}

static char *csr_b64(EVP_PKEY *key, json_t *domains)
{
	X509_REQ *req = X509_REQ_new();
	X509_NAME *name = X509_NAME_new();
	char *out = NULL;
	X509_NAME_add_entry_by_txt(
	        name, "CN", MBSTRING_UTF8,
	        (const unsigned char *)json_string_value(json_array_get(domains, 0)), -1, -1, 0);
	X509_REQ_set_subject_name(req, name);
	X509_REQ_set_pubkey(req, key);
	char san[8192] = "";
	size_t i;
	json_t *d;
	json_array_foreach (domains, i, d)
		snprintf(san + strlen(san), sizeof(san) - strlen(san), "%sDNS:%s", i ? "," : "",
		         json_string_value(d));
	STACK_OF(X509_EXTENSION) *exts = sk_X509_EXTENSION_new_null();
	X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, NULL, NID_subject_alt_name, san);
	if (ext)
		sk_X509_EXTENSION_push(exts, ext);
	X509_REQ_add_extensions(req, exts);
	if (X509_REQ_sign(req, key, EVP_sha256()) > 0) {
		unsigned char *der = NULL;
		int n = i2d_X509_REQ(req, &der);
		if (n > 0)
			out = ssl_b64url(der, (size_t)n);
		OPENSSL_free(der);
	}
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	X509_NAME_free(name);
	X509_REQ_free(req);
	return out;
}

int acme_issue(struct acme *a, json_t *domains, const char *challenge,
               const struct acme_hooks *hooks, EVP_PKEY *cert_key, char **pem, json_t **problem_doc,
               struct pg_err *err)
{
	json_t *ids = json_array(), *order = NULL, *done = NULL;
	size_t i;
	json_t *d;
	json_array_foreach (domains, i, d)
		json_array_append_new(ids, json_pack("{s:s, s:O}", "type", "dns", "value", d));
	json_t *req = json_pack("{s:o}", "identifiers", ids);
	struct acme_resp r;
	char order_url[2048] = "";
	int rc = post(a, a->new_order, req, &r, err);
	json_decref(req);
	if (rc == 0 && r.status != 201)
		rc = acme_resp_problem(&r, "newOrder", problem_doc, err);
	if (rc == 0) {
		snprintf(order_url, sizeof(order_url), "%s", r.location);
		order = json_loads(r.body.data ? r.body.data : "", 0, NULL);
	}
	acme_resp_free(&r);
	json_t *az;
	json_array_foreach (json_object_get(order, "authorizations"), i, az)
		if (rc == 0)
			rc = authorize(a, json_string_value(az), challenge, hooks, problem_doc,
			               err);
	if (rc == 0)
		rc = poll_status(a, order_url, "ready", &done, problem_doc, err);
	if (rc == 0 && str_is(done, "status", "ready")) {
		char *csr = csr_b64(cert_key, domains);
		json_t *fin = json_pack("{s:s}", "csr", csr ? csr : "");
		free(csr);
		rc = post(a, json_string_value(json_object_get(order, "finalize")), fin, &r, err);
		json_decref(fin);
		if (rc == 0 && r.status >= 300)
			rc = acme_resp_problem(&r, "finalize", problem_doc, err);
		acme_resp_free(&r);
		json_decref(done);
		done = NULL;
		if (rc == 0)
			rc = poll_status(a, order_url, "valid", &done, problem_doc, err);
	}
	const char *cert_url = json_string_value(json_object_get(done, "certificate"));
	if (rc == 0 && (!str_is(done, "status", "valid") || !cert_url))
		rc = pg_err_set(err, PG_EPRECOND, "acme", "the order ended %s",
		                json_string_value(json_object_get(done, "status")));
	if (rc == 0 && (rc = post(a, cert_url, NULL, &r, err)) == 0) {
		if (r.status != 200 || !r.body.data ||
		    !strstr(r.body.data, "-----BEGIN CERTIFICATE-----"))
			rc = acme_resp_problem(&r, "certificate", problem_doc, err);
		else
			*pem = strdup(r.body.data);
		acme_resp_free(&r);
	}
	json_decref(order);
	json_decref(done);
	return rc;
}
