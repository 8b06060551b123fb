/* ACME Renewal Information (RFC 9773): a CA that offers renewalInfo in its
 * directory suggests a window for renewing each certificate; the worker
 * renews at a random moment inside it instead of at the fixed window. */
#include "common/pg_crypto.h"
#include "common/pg_log.h"
#include "ssl/ssl_acme.h"
#include "ssl/ssl_int.h"
#include "store/store.h"

#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* RFC 3339 ("2026-11-26T09:00:00Z", fractions and offsets allowed) in ms;
 * -1 when it is not one. */
static int64_t rfc3339_ms(const char *s)
{
	struct tm tm = {0};
	const char *p = s ? strptime(s, "%Y-%m-%dT%H:%M:%S", &tm) : NULL;
	if (!p)
		return -1;
	int64_t ms = 0, frac = 100;
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9'; p++, frac /= 10)
			ms += (*p - '0') * frac;
	int64_t off = 0;
	if ((*p == '+' || *p == '-') && strlen(p) == 6 && p[3] == ':')
		off = (*p == '-' ? -1 : 1) *
		      ((p[1] - '0') * 600 + (p[2] - '0') * 60 + (p[4] - '0') * 10 + (p[5] - '0'));
	else if (strcmp(p, "Z") != 0 && strcmp(p, "z") != 0)
		return -1;
	return ((int64_t)timegm(&tm) - off * 60) * 1000 + ms;
}

int ssl_ari_cert_id(const char *pem, char **out, struct pg_err *err)
{
	BIO *b = BIO_new_mem_buf(pem, -1);
	X509 *x = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
	BIO_free(b);
	const ASN1_OCTET_STRING *aki = x ? X509_get0_authority_key_id(x) : NULL;
	unsigned char *der = NULL;
	int n = aki ? i2d_ASN1_INTEGER(X509_get0_serialNumber(x), &der) : -1;
	*out = NULL;
	/* the serial's content octets: past the tag and the (short) length */
	if (n > 2 && der[1] < 0x80) {
		char *k = ssl_b64url(ASN1_STRING_get0_data(aki), (size_t)ASN1_STRING_length(aki));
		char *v = ssl_b64url(der + 2, (size_t)n - 2);
		if (k && v && (*out = malloc(strlen(k) + strlen(v) + 2)))
			sprintf(*out, "%s.%s", k, v);
		free(k);
		free(v);
	}
	OPENSSL_free(der);
	X509_free(x);
	if (!*out)
		return pg_err_set(err, PG_EINVAL, "certPem",
		                  "the certificate has no authority key identifier");
	return 0;
}

static int ssl_ari_fetch(const char *directory, const char *ca_file, const char *pem,
                         json_t **window, int64_t *retry_after, struct pg_err *err)
{
	json_t *dir = NULL, *info = NULL;
	char *id = NULL, *url = NULL;
	*window = NULL;
	*retry_after = 0;
	int rc = acme_get_json(directory, ca_file, &dir, NULL, err);
	const char *base = json_string_value(json_object_get(dir, "renewalInfo"));
	if (rc == 0 && !base)
		rc = pg_err_set(err, PG_ENOTFOUND, "", "%s offers no renewalInfo", directory);
	if (rc == 0)
		rc = ssl_ari_cert_id(pem, &id, err);
	if (rc == 0 &&
	    asprintf(&url, "%s%s%s", base, base[strlen(base) - 1] == '/' ? "" : "/", id) < 0)
		rc = pg_err_set(err, PG_EINTERNAL, "", "out of memory");
	if (rc == 0)
		rc = acme_get_json(url, ca_file, &info, retry_after, err);
	json_t *sw = json_object_get(info, "suggestedWindow");
	int64_t start = rc == 0 ? rfc3339_ms(json_string_value(json_object_get(sw, "start"))) : -1;
	int64_t end = rc == 0 ? rfc3339_ms(json_string_value(json_object_get(sw, "end"))) : -1;
	if (rc == 0 && (start < 0 || end <= start))
		rc = pg_err_set(err, PG_EPRECOND, "acme",
		                "%s: suggestedWindow needs RFC 3339 start before end", url);
	if (rc == 0) {
		*window =
		        json_pack("{s:I, s:I}", "start", (json_int_t)start, "end", (json_int_t)end);
		if (json_is_string(json_object_get(info, "explanationURL")))
			json_object_set(*window, "explanationURL",
			                json_object_get(info, "explanationURL"));
	}
	json_decref(dir);
	json_decref(info);
	free(id);
	free(url);
	return rc;
}

static int64_t ssl_ari_pick(int64_t start, int64_t end)
{
	uint64_t r = 0;
	if (pg_random_bytes(&r, sizeof(r)) != 0)
		r = (uint64_t)time(NULL);
	return start + (int64_t)(r % (uint64_t)(end - start));
}

#define HOUR_MS 3600000LL

/* Asks the CA again after its Retry-After (6 hours without one, RFC 9773),
 * never more often than the scan and never less than daily. */
static int64_t next_check(const struct ssl *s, int64_t now, int64_t retry_after_s)
{
	int64_t d = retry_after_s > 0 ? retry_after_s * 1000 : 6 * HOUR_MS;
	if (d < s->opts.scan_ms)
		d = s->opts.scan_ms;
	return now + (d > 24 * HOUR_MS ? 24 * HOUR_MS : d);
}

void ssl_ari_scan(struct ssl *s, struct store_conn *c, int64_t now)
{
	struct pg_err err = {0};
	json_t *items = json_array(), *it;
	size_t i;
	if (ssl_store_ari_due(c, now, items, &err) != 0)
		pg_warn("ssl", "renewal information: %s", err.message);
	json_array_foreach (items, i, it) {
		if (s->stopping)
			break;
		int64_t id = json_integer_value(json_object_get(it, "id"));
		json_t *iss = json_object_get(json_object_get(it, "request"), "issuer"),
		       *old = json_object_get(it, "ari");
		json_t *w = NULL;
		int64_t retry = 0, at = json_integer_value(json_object_get(it, "renewAfter")), next;
		pg_err_clear(&err);
		int rc = ssl_ari_fetch(json_string_value(json_object_get(iss, "directoryUrl")),
		                       json_string_value(json_object_get(iss, "caFile")),
		                       json_string_value(json_object_get(it, "chainPem")), &w,
		                       &retry, &err);
		int64_t start = json_integer_value(json_object_get(w, "start")),
		        end = json_integer_value(json_object_get(w, "end"));
		if (rc == 0) {
			/* a moment once chosen stays while the window does */
			if (!at || start != json_integer_value(json_object_get(old, "start")) ||
			    end != json_integer_value(json_object_get(old, "end")))
				at = ssl_ari_pick(start, end);
			next = next_check(s, now, retry);
		} else if (rc == PG_ENOTFOUND) { /* the CA offers none: the fixed window, and a
			                            daily look */
			at = 0;
			next = now + 24 * HOUR_MS;
		} else {
			pg_warn("ssl", "certificate %lld: renewal information: %s", (long long)id,
			        err.message);
			w = json_incref(json_is_object(old) ? old : NULL);
			next = now + HOUR_MS;
		}
		if (store_begin(c, STORE_TX_WRITE, &err) == 0) {
			rc = ssl_store_set_ari(c, id, w, at, next, &err);
			store_end(c, rc, &err);
		}
		json_decref(w);
	}
	json_decref(items);
}
