/* ssl: the certificate center (design.md 7.5, 9.4, 16). pagodad does ACME;
 * agents only store files and reload. Certificates have versions (each
 * issuance, renewal or import is one); private keys are sealed with the
 * master key and never leave the store except inside DeployCertificate
 * tasks. */
#ifndef SSL_H
#define SSL_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/pg_err.h"
#include "common/pg_secret.h"

struct store;
struct plua;
struct cluster;
struct ssl;
struct store_conn;
struct pg_call;

struct ssl_opts {
	int64_t scan_ms;           /* how often due certificates are looked at */
	int64_t retry_base_ms;     /* first retry after a failure, doubled, capped at a day */
	bool allow_http_directory; /* http:// ACME directories (test CAs); else https:// only */
	/* Whether an ingress uses a certificate (by names what), for delete. */
	bool (*in_use)(void *arg, int64_t cert_id, char *by, size_t len);
	/* Appends to node_ids the nodes whose ingresses use a certificate: a
	 * renewal is deployed there too. */
	int (*nodes_using)(void *arg, struct store_conn *c, int64_t cert_id, json_t *node_ids,
	                   struct pg_err *err);
	void *in_use_arg;
};

int ssl_new(struct store *s, const struct pg_secret_key *key, struct plua *lua, struct cluster *cl,
            const struct ssl_opts *o, struct ssl **out, struct pg_err *err);
void ssl_free(struct ssl *ssl);

/* When a certificate of lifetime (not_before..not_after, ms) is due for
 * renewal: the start of its last third or 30 days before it ends, whichever
 * comes first, but never within the first half of its life (a short-lived
 * certificate would otherwise renew in a loop). */
int64_t ssl_renew_at(int64_t not_before, int64_t not_after);

/* Every certificate as GET /admin/ssl/certificates shows it (no keys). */
int ssl_list(struct ssl *s, json_t **out, struct pg_err *err);
/* One certificate; its versions ([{version, serial, ...}]); the public
 * chain PEM of a version (*chain malloc'd); the key authorization an
 * HTTP-01 token is answered with (*key_auth malloc'd). */
int ssl_cert_get(struct ssl *s, int64_t id, json_t **out, struct pg_err *err);
int ssl_cert_versions(struct ssl *s, int64_t id, json_t **out, struct pg_err *err);
int ssl_cert_chain(struct ssl *s, int64_t id, int64_t version, char **chain, struct pg_err *err);
int ssl_challenge_answer(struct ssl *s, const char *token, char **key_auth, struct pg_err *err);

/* Stored DNS providers (/admin/dns-providers): put creates or replaces
 * {plugin, config, zones, and the DNS-01 settings of a request's dns}. */
int ssl_dns_provider_put(struct ssl *s, const struct pg_call *call, const char *name, json_t *body,
                         json_t **out, struct pg_err *err);
int ssl_dns_provider_list(struct ssl *s, json_t **out, struct pg_err *err);
int ssl_dns_provider_get(struct ssl *s, const char *name, json_t **out, struct pg_err *err);
int ssl_dns_provider_delete(struct ssl *s, const struct pg_call *call, const char *name,
                            struct pg_err *err);

/* Where a certificate named name lands on a node by default. */
void ssl_default_paths(const char *name, char cert_path[300], char key_path[300]);
/* The default paths of certificate id (for an ingress naming it). */
int ssl_cert_paths(struct ssl *s, int64_t id, char cert_path[300], char key_path[300],
                   struct pg_err *err);
/* Queues DeployCertificate of id's current version to node inside c's
 * transaction (a release's step); once prefixes its idempotency key. */
int ssl_deploy_node(struct ssl *s, struct store_conn *c, const struct pg_call *call, int64_t id,
                    int64_t node, const char *once, int64_t *task_id, struct pg_err *err);

#endif
