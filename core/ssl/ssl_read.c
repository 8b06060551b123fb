/* The read side of the certificate center: what the API and the metrics
 * show, and the HTTP-01 answers nginx proxies to pagodad. */
#include "common/pg_time.h"
#include "ssl/ssl.h"
#include "ssl/ssl_int.h"
#include "store/store.h"

#include <stdlib.h>

int ssl_list(struct ssl *s, json_t **out, struct pg_err *err)
{
	struct store_conn *c = store_conn_get(s->store, err);
	*out = json_array();
	int rc = c ? ssl_store_list(c, *out, err) : err->code;
	if (rc != 0) {
		json_decref(*out);
		*out = NULL;
	}
	return rc;
}

int ssl_cert_get(struct ssl *s, int64_t id, json_t **out, struct pg_err *err)
{
	struct store_conn *c = store_conn_get(s->store, err);
	return c ? ssl_store_get(c, id, out, err) : err->code;
}

int ssl_cert_versions(struct ssl *s, int64_t id, json_t **out, struct pg_err *err)
{
	struct store_conn *c = store_conn_get(s->store, err);
	json_t *cert = NULL;
	int rc = c ? ssl_store_get(c, id, &cert, err) : err->code;
	json_decref(cert);
	*out = json_array();
	if (rc == 0)
		rc = ssl_version_list(c, id, *out, err);
	return rc;
}

int ssl_cert_chain(struct ssl *s, int64_t id, int64_t version, char **chain, struct pg_err *err)
{
	struct store_conn *c = store_conn_get(s->store, err);
	char *sealed = NULL;
	*chain = NULL;
	int rc = c ? ssl_version_material(c, id, version, chain, &sealed, err) : err->code;
	free(sealed);
	if (rc == PG_EPRECOND) /* no such version: for the API, not found */
		rc = err->code = PG_ENOTFOUND;
	return rc;
}

int ssl_challenge_answer(struct ssl *s, const char *token, char **key_auth, struct pg_err *err)
{
	struct store_conn *c = store_conn_get(s->store, err);
	return c ? ssl_challenge_get(c, token, pg_time_now_ms(), key_auth, err) : err->code;
}
