/* Private to ssl/. */
#ifndef SSL_INT_H
#define SSL_INT_H

#include <pthread.h>

#include "common/pg_call.h"
#include "ssl/ssl.h"

struct store_conn;

struct ssl {
	struct store *store;
	struct pg_secret_key key;
	struct plua *lua;
	struct cluster *cluster;
	struct ssl_opts opts;
	struct pg_ticker *worker; /* issuance and renewal scans */
	volatile bool stopping;
	/* one account per (directory, email): its lookup or creation is done
	 * by one issuance at a time, the rest of issuances side by side */
	pthread_mutex_t account_mu;
};

/* What a certificate PEM says (ssl_x509.c). */
struct ssl_cert_info {
	char serial[128], fingerprint[65], issuer[512], key_type[16];
	int64_t not_before, not_after;
	json_t *sans; /* owned */
};
/* Reads the leaf (first) certificate of pem. */
int ssl_cert_parse(const char *pem, struct ssl_cert_info *out, struct pg_err *err);
void ssl_cert_info_free(struct ssl_cert_info *i);
/* Checks that key_pem belongs to the leaf of cert_pem and that the leaf
 * verifies up the chain in cert_pem (+ chain_pem) to its last certificate
 * or a system root. */
int ssl_cert_check(const char *cert_pem, const char *key_pem, struct pg_err *err);

/* ACME Renewal Information (ssl_ari.c). */
/* The certificate's ARI identifier: base64url(AKI key id) "." base64url(serial). */
int ssl_ari_cert_id(const char *pem, char **out, struct pg_err *err);
/* Asks the CA, for each certificate whose check is due, for its suggested
 * renewal window and picks a random moment in it (renew_after). */
void ssl_ari_scan(struct ssl *s, struct store_conn *c, int64_t now);

/* DNS-01 propagation (ssl_dns.c). */
struct sockaddr_in;
/* "a.b.c.d[:port]" (port 53 by default); -1 when it is not one. */
int ssl_dns_parse_server(const char *server, struct sockaddr_in *out);
/* Room for a DNS name in text (NS_MAXDNAME). */
#define SSL_DNS_NAME 1025

/* How long and how often a propagation check asks, and the port of the
 * zone's name servers (53 but in tests). */
struct ssl_dns_wait {
	int64_t timeout_ms;
	int interval_ms;
	int ns_port;
	volatile bool *stopping;
};
/* Polls every resolver (a JSON array of "a.b.c.d[:port]") until it answers
 * fqdn TXT with value; PG_EUNAVAIL after the timeout. */
int ssl_dns_wait_txt(const struct ssl_dns_wait *w, json_t *resolvers, const char *fqdn,
                     const char *value, struct pg_err *err);
/* Follows CNAMEs from fqdn into target (the name that gets the TXT) and walks
 * SOA answers up from it into zone (both SSL_DNS_NAME). resolver NULL: the
 * system's. */
int ssl_dns_find_zone(const struct sockaddr_in *resolver, const char *fqdn, char *zone,
                      char *target, struct pg_err *err);
/* Asks every name server of zone (its NS records, through resolver) until
 * each answers fqdn TXT with value. */
int ssl_dns_wait_authoritative(const struct ssl_dns_wait *w, const struct sockaddr_in *resolver,
                               const char *zone, const char *fqdn, const char *value,
                               struct pg_err *err);

/* A lowercase DNS name, or "*." and one. */
bool ssl_domain_ok(const char *d);

/* The dns object (ssl_dns_request.c). A plugin's config holds credentials
 * (a provider's API token): ssl_dns_seal seals it into configSealed under
 * the context ctx and leaves a masked copy in config for the API and the
 * audit log; ssl_dns_open puts it back, in the caller's copy. */
int ssl_dns_seal(struct ssl *s, const char *ctx, json_t *dns, struct pg_err *err);
int ssl_dns_open(struct ssl *s, const char *ctx, json_t *dns, struct pg_err *err);
/* The request's dns object, checked, with its defaults: *out is what is
 * kept (config still in clear: the caller seals it). */
int ssl_dns_request_parse(struct ssl *s, json_t *dns, json_t **out, struct pg_err *err);

/* Stored DNS providers (ssl_dns_provider.c). resolve: a dns object that
 * names a provider gets the provider's plugin, settings and opened config;
 * match: the first provider (by name) whose zones hold every domain, ""
 * when none does. */
int ssl_dns_provider_resolve(struct ssl *s, struct store_conn *c, json_t *dns, struct pg_err *err);
int ssl_dns_provider_match(struct ssl *s, json_t *domains, char name[65], struct pg_err *err);

/* DAO (ssl_store.c). */
/* DNS provider rows: {name, plugin, zones, spec, createdAt, updatedAt}. */
int ssl_provider_store_put(struct store_conn *c, const char *name, const char *plugin,
                           json_t *zones, json_t *spec, struct pg_err *err);
int ssl_provider_store_get(struct store_conn *c, const char *name, json_t **out,
                           struct pg_err *err);
int ssl_provider_store_list(struct store_conn *c, json_t *items, struct pg_err *err);
int ssl_provider_store_delete(struct store_conn *c, const char *name, struct pg_err *err);
int ssl_store_insert(struct store_conn *c, const char *name, json_t *domains, const char *source,
                     const char *status, json_t *request, int64_t *id, struct pg_err *err);
int ssl_store_get(struct store_conn *c, int64_t id, json_t **out, struct pg_err *err);
int ssl_store_list(struct store_conn *c, json_t *items, struct pg_err *err);
int ssl_store_delete(struct store_conn *c, int64_t id, struct pg_err *err);
/* Outcome of an attempt: status, and failures/next attempt/error. */
int ssl_store_attempt(struct store_conn *c, int64_t id, const char *status, int64_t version,
                      int64_t failures, int64_t next_at, bool due, const char *error,
                      json_t *problem, struct pg_err *err);
int ssl_store_set_deploy(struct store_conn *c, int64_t id, json_t *deploy, struct pg_err *err);
/* ACME certificates whose ARI check is due: {id, request, chainPem, ari, renewAfter}. */
int ssl_store_ari_due(struct store_conn *c, int64_t now, json_t *items, struct pg_err *err);
/* ari NULL and renew_after 0: back to the default window. */
int ssl_store_set_ari(struct store_conn *c, int64_t id, json_t *ari, int64_t renew_after,
                      int64_t check_at, struct pg_err *err);
int ssl_store_due(struct store_conn *c, int64_t now, json_t *ids, struct pg_err *err);
int ssl_store_mark_due(struct store_conn *c, int64_t id, struct pg_err *err);
int ssl_version_insert(struct store_conn *c, int64_t cert, int64_t version, const char *chain,
                       const char *key_sealed, const struct ssl_cert_info *i, struct pg_err *err);
int ssl_version_list(struct store_conn *c, int64_t cert, json_t *items, struct pg_err *err);
/* The chain and sealed key of a version (owned). */
int ssl_version_material(struct store_conn *c, int64_t cert, int64_t version, char **chain,
                         char **key_sealed, struct pg_err *err);
/* Valid certificates whose current version is inside its renewal window. */
/* Current versions of ACME certificates not due yet: [{id, notBefore, notAfter,
 * renewAfter (0: none)}] in ms; the service decides which are due. */
int ssl_store_renewable(struct store_conn *c, json_t *rows, struct pg_err *err);
int ssl_account_get(struct store_conn *c, const char *dir, const char *email, int64_t *id,
                    char **key_sealed, char **kid, struct pg_err *err);
int ssl_account_put(struct store_conn *c, const char *dir, const char *email,
                    const char *key_sealed, const char *kid, struct pg_err *err);
int ssl_challenge_put(struct store_conn *c, const char *token, const char *key_auth,
                      int64_t expires, struct pg_err *err);
int ssl_challenge_get(struct store_conn *c, const char *token, int64_t now, char **key_auth,
                      struct pg_err *err);

/* Service (ssl_svc.c), for the controller. */
int ssl_request(struct ssl *s, const struct pg_call *call, json_t *body, json_t **out,
                struct pg_err *err);
int ssl_import(struct ssl *s, const struct pg_call *call, json_t *body, json_t **out,
               struct pg_err *err);
int ssl_deploy(struct ssl *s, const struct pg_call *call, int64_t id, json_t *body, json_t **out,
               struct pg_err *err);
int ssl_renew_now(struct ssl *s, const struct pg_call *call, int64_t id, struct pg_err *err);
int ssl_delete(struct ssl *s, const struct pg_call *call, int64_t id, struct pg_err *err);
void ssl_kick(struct ssl *s);

#endif
