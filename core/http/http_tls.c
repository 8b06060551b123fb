/* http_tls: reloadable server credentials for libmicrohttpd over GnuTLS. */
#include "http/http_tls.h"
#include "common/pg_file.h"

#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define MAX_CHAIN 8

struct creds {
	gnutls_pcert_st pcert[MAX_CHAIN];
	unsigned int n;
	gnutls_privkey_t key;
	struct creds *older; /* kept until the end: a handshake may still use them */
};

struct http_tls {
	char *cert_file, *key_file;
	pthread_mutex_t lock;
	struct creds *current;
};

static struct http_tls *served;

static void creds_free(struct creds *c)
{
	while (c) {
		struct creds *next = c->older;
		for (unsigned i = 0; i < c->n; i++)
			gnutls_pcert_deinit(&c->pcert[i]);
		gnutls_privkey_deinit(c->key);
		free(c);
		c = next;
	}
}

static int load(const struct http_tls *t, struct creds **out, struct pg_err *err)
{
	char *cert = NULL, *key = NULL;
	size_t clen, klen;
	struct creds *c = calloc(1, sizeof(*c));
	int rc = c ? pg_file_read(t->cert_file, 1 << 20, &cert, &clen, err)
	           : pg_err_set(err, PG_EINTERNAL, "", "out of memory");
	if (rc == 0)
		rc = pg_file_read(t->key_file, 1 << 20, &key, &klen, err);
	if (rc == 0) {
		gnutls_datum_t cd = {(unsigned char *)cert, (unsigned)clen},
		               kd = {(unsigned char *)key, (unsigned)klen};
		c->n = MAX_CHAIN;
		int g = gnutls_pcert_list_import_x509_raw(c->pcert, &c->n, &cd, GNUTLS_X509_FMT_PEM,
		                                          0);
		if (g < 0) {
			c->n = 0;
			rc = pg_err_set(err, PG_EINVAL, "tls-cert", "%s: %s", t->cert_file,
			                gnutls_strerror(g));
		} else if ((g = gnutls_privkey_init(&c->key)) < 0 ||
		           (g = gnutls_privkey_import_x509_raw(c->key, &kd, GNUTLS_X509_FMT_PEM,
		                                               NULL, 0)) < 0) {
			rc = pg_err_set(err, PG_EINVAL, "tls-key", "%s: %s", t->key_file,
			                gnutls_strerror(g));
		}
		explicit_bzero(key, klen);
	}
	free(cert);
	free(key);
	if (rc != 0) {
		creds_free(c);
		return rc;
	}
	*out = c;
	return 0;
}

static int retrieve(gnutls_session_t session, const gnutls_datum_t *req_ca_dn, int nreqs,
                    const gnutls_pk_algorithm_t *algos, int nalgos, gnutls_pcert_st **pcert,
                    unsigned int *n, gnutls_privkey_t *key)
{
	struct http_tls *t = __atomic_load_n(&served, __ATOMIC_ACQUIRE);
	if (!t)
		return -1;
	pthread_mutex_lock(&t->lock);
	struct creds *c = t->current;
	*pcert = c->pcert;
	*n = c->n;
	*key = c->key;
	pthread_mutex_unlock(&t->lock);
	return 0;
}

void *http_tls_callback(void)
{
	return (void *)(gnutls_certificate_retrieve_function2 *)retrieve;
}

int http_tls_new(const char *cert_file, const char *key_file, struct http_tls **out,
                 struct pg_err *err)
{
	struct http_tls *t = calloc(1, sizeof(*t));
	if (!t)
		return pg_err_set(err, PG_EINTERNAL, "", "out of memory");
	pthread_mutex_init(&t->lock, NULL);
	if (!(t->cert_file = strdup(cert_file)) || !(t->key_file = strdup(key_file))) {
		http_tls_free(t);
		return pg_err_set(err, PG_EINTERNAL, "", "out of memory");
	}
	int rc = load(t, &t->current, err);
	if (rc != 0) {
		http_tls_free(t);
		return rc;
	}
	__atomic_store_n(&served, t, __ATOMIC_RELEASE);
	*out = t;
	return 0;
}

int http_tls_reload(struct http_tls *t, struct pg_err *err)
{
	struct creds *c;
	int rc = load(t, &c, err);
	if (rc != 0)
		return rc;
	pthread_mutex_lock(&t->lock);
	c->older = t->current;
	t->current = c;
	pthread_mutex_unlock(&t->lock);
	return 0;
}

void http_tls_free(struct http_tls *t)
{
	if (!t)
		return;
	__atomic_compare_exchange_n(&served, &t, NULL, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
	creds_free(t->current);
	pthread_mutex_destroy(&t->lock);
	free(t->cert_file);
	free(t->key_file);
	free(t);
}
