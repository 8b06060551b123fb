/* Certificates: requests, the issuing worker (issuance, renewal, backoff),
 * import, deploy. */
#include "audit/audit.h"
#include "cluster/cluster.h"
#include "common/pg_json.h"
#include "common/pg_secret.h"
#include "common/pg_log.h"
#include "common/pg_ticker.h"
#include "common/pg_time.h"
#include "lua/plua.h"
#include "lua/plua_policy.h"
#include "ssl/ssl_acme.h"
#include "ssl/ssl_int.h"
#include "store/store.h"

#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DAY_MS 86400000LL

static const struct pg_call system_call = {"system:certificates", NULL, NULL};

int64_t ssl_renew_at(int64_t not_before, int64_t not_after)
{
	int64_t life = not_after - not_before, third = not_after - life / 3,
	        month = not_after - 30 * DAY_MS;
	int64_t at = third < month ? third : month, half = not_before + life / 2;
	return at > half ? at : half;
}

/* dns: {provider: NAME}, a stored provider that must exist. */
static int provider_ref(struct ssl *s, json_t *dns, json_t **out, struct pg_err *err)
{
	static const char *const fields[] = {"provider", NULL};
	const char *name = NULL;
	json_t *found = NULL;
	int rc = pg_json_only(dns, fields, err);
	if (rc == 0)
		rc = pg_json_str(dns, "provider", true, 64, &name, err);
	if (rc == 0 && (rc = ssl_dns_provider_get(s, name, &found, err)) == PG_ENOTFOUND)
		rc = pg_err_set(err, PG_EINVAL, "provider",
		                "no DNS provider %s (GET /admin/dns-providers lists them)", name);
	json_decref(found);
	if (rc == 0)
		*out = json_pack("{s:s}", "provider", name);
	else
		pg_err_prefix_field(err, "dns");
	return rc;
}

int ssl_request(struct ssl *s, const struct pg_call *call, json_t *body, json_t **out,
                struct pg_err *err)
{
	static const char *const fields[] = {"name",   "domains", "challenge", "dns",
	                                     "issuer", "keyType", NULL};
	static const char *const issuer_fields[] = {"directoryUrl", "preset", "caFile", "email",
	                                            NULL};
	const char *name = NULL, *challenge = "http-01", *key_type = "ec256", *dir = NULL,
	           *preset = NULL, *ca = NULL, *email = NULL;
	json_t *domains = NULL, *issuer = NULL, *dns = NULL, *dns_req = NULL;
	int rc = pg_json_only(body, fields, err);
	if (rc == 0)
		rc = pg_json_arr(body, "domains", true, 100, &domains, err);
	if (rc == 0 && json_array_size(domains) == 0)
		rc = pg_err_set(err, PG_EINVAL, "domains", "list at least one domain");
	bool wildcard = false;
	size_t i;
	json_t *d;
	json_array_foreach (domains, i, d) {
		if (rc == 0 && (!json_is_string(d) || !ssl_domain_ok(json_string_value(d))))
			rc = pg_err_set(err, PG_EINVAL, "domains",
			                "domains[%zu] is not a lowercase DNS name", i);
		wildcard = wildcard || (json_is_string(d) && json_string_value(d)[0] == '*');
	}
	if (rc == 0)
		rc = pg_json_str(body, "name", false, 128, &name, err);
	/* a request that says how to publish TXT records means DNS-01 */
	if (rc == 0 && json_object_get(body, "dns") && !json_object_get(body, "challenge"))
		challenge = "dns-01";
	if (rc == 0)
		rc = pg_json_str(body, "challenge", false, 8, &challenge, err);
	if (rc == 0 && strcmp(challenge, "http-01") && strcmp(challenge, "dns-01"))
		rc = pg_err_set(err, PG_EINVAL, "challenge", "challenge must be http-01 or dns-01");
	if (rc == 0 && wildcard && strcmp(challenge, "dns-01"))
		rc = pg_err_set(err, PG_EINVAL, "challenge",
		                "wildcard names need the dns-01 challenge");
	if (rc == 0)
		rc = pg_json_str(body, "keyType", false, 8, &key_type, err);
	if (rc == 0 && strcmp(key_type, "ec256") && strcmp(key_type, "rsa2048") &&
	    strcmp(key_type, "rsa4096"))
		rc = pg_err_set(err, PG_EINVAL, "keyType",
		                "keyType must be ec256, rsa2048 or rsa4096");
	if (rc == 0)
		rc = pg_json_obj(body, "issuer", true, &issuer, err);
	if (rc == 0 && (rc = pg_json_only(issuer, issuer_fields, err)) == 0) {
		rc = pg_json_str(issuer, "directoryUrl", false, 1024, &dir, err);
		if (rc == 0)
			rc = pg_json_str(issuer, "preset", false, 32, &preset, err);
		if (rc == 0)
			rc = pg_json_str(issuer, "caFile", false, 1024, &ca, err);
		if (rc == 0)
			rc = pg_json_str(issuer, "email", false, 254, &email, err);
		if (rc == 0 && preset && !dir) {
			if (strcmp(preset, "letsencrypt") == 0)
				dir = "https://acme-v02.api.letsencrypt.org/directory";
			else if (strcmp(preset, "letsencrypt-staging") == 0)
				dir = "https://acme-staging-v02.api.letsencrypt.org/directory";
			else
				rc = pg_err_set(
				        err, PG_EINVAL, "preset",
				        "preset must be letsencrypt or letsencrypt-staging");
		}
		if (rc == 0 && !dir)
			rc = pg_err_set(err, PG_EINVAL, "directoryUrl",
			                "give directoryUrl (https://...) or a preset");
		/* plain http:// would make pagodad an oracle for what answers on an
		 * internal address; only a test CA gets it, when the operator says so */
		if (rc == 0 && strncmp(dir, "https://", 8) &&
		    !(s->opts.allow_http_directory && strncmp(dir, "http://", 7) == 0))
			rc = pg_err_set(err, PG_EINVAL, "directoryUrl",
			                "directoryUrl must be https:// (pagodad --acme-allow-http "
			                "admits http:// for a test CA)");
		if (rc == 0 && email && (!strchr(email, '@') || !pg_str_is_printable(email)))
			rc = pg_err_set(err, PG_EINVAL, "email", "email must be an address");
		if (rc != 0)
			pg_err_prefix_field(err, "issuer");
	}
	if (rc == 0)
		rc = pg_json_obj(body, "dns", strcmp(challenge, "dns-01") == 0, &dns, err);
	if (rc == 0 && dns && json_object_get(dns, "provider"))
		rc = provider_ref(s, dns, &dns_req, err);
	else if (rc == 0 && dns && (rc = ssl_dns_request_parse(s, dns, &dns_req, err)) != 0)
		pg_err_prefix_field(err, "dns");
	/* nothing said about the challenge: a provider serving every domain
	 * makes it DNS-01 through that provider */
	char provider[65] = "";
	if (rc == 0 && !dns && !json_object_get(body, "challenge"))
		rc = ssl_dns_provider_match(s, domains, provider, err);
	if (rc == 0 && provider[0]) {
		challenge = "dns-01";
		dns_req = json_pack("{s:s}", "provider", provider);
	}
	if (rc != 0) {
		json_decref(dns_req);
		return rc;
	}
	char def[140];
	const char *first = json_string_value(json_array_get(domains, 0));
	snprintf(def, sizeof(def), "%s", first[0] == '*' ? first + 2 : first);
	if (!name)
		name = def;
	if (!ssl_domain_ok(name)) {
		json_decref(dns_req);
		return pg_err_set(err, PG_EINVAL, "name",
		                  "name must be lowercase letters, digits, '-' and '.'");
	}
	json_t *req =
	        json_pack("{s:s, s:s, s:{s:s, s:s?, s:s?}}", "challenge", challenge, "keyType",
	                  key_type, "issuer", "directoryUrl", dir, "caFile", ca, "email", email);
	if (dns_req)
		json_object_set_new(req, "dns", dns_req);
	char ctx[160];
	snprintf(ctx, sizeof(ctx), "ssl-dns:%s", name);
	rc = ssl_dns_seal(s, ctx, json_object_get(req, "dns"), err);
	struct store_conn *c = rc == 0 ? store_conn_get(s->store, err) : NULL;
	int64_t id = 0;
	rc = rc != 0 ? rc : c ? store_begin(c, STORE_TX_WRITE, err) : err->code;
	if (rc == 0) {
		rc = ssl_store_insert(c, name, domains, "acme", "pending", req, &id, err);
		if (rc == 0)
			rc = audit_record(c, call, "ssl.request", "certificate", id, req, err);
		rc = store_end(c, rc, err);
	}
	json_decref(req);
	if (rc == 0)
		rc = ssl_store_get(c, id, out, err);
	if (rc == 0)
		ssl_kick(s);
	return rc;
}

struct hook_ctx {
	struct ssl *s;
	json_t *dns; /* {plugin, config} */
	/* the last zone walk: cleanup follows present for the same name, and
	 * the walk is DNS queries, so it is done once */
	char walked[SSL_DNS_NAME], zone[SSL_DNS_NAME], target[SSL_DNS_NAME];
};

static int http01(void *arg, const char *token, const char *key_auth, struct pg_err *err)
{
	struct hook_ctx *h = arg;
	struct store_conn *c = store_conn_get(h->s->store, err);
	return c ? ssl_challenge_put(c, token, key_auth, pg_time_now_ms() + 15 * 60000, err)
	         : err->code;
}

/* Where the TXT record goes: the zone (the request's, or found by an SOA
 * walk for plugins that publish into zones) and the name after CNAMEs. */
static int dns_where(struct hook_ctx *h, const struct sockaddr_in *resolver, const char *domain,
                     const char *fqdn, char *zone, char *target, struct pg_err *err)
{
	const char *given = json_string_value(json_object_get(h->dns, "zone"));
	snprintf(target, SSL_DNS_NAME, "%s", fqdn);
	snprintf(zone, SSL_DNS_NAME, "%s", given ? given : domain);
	if (given || !json_is_true(json_object_get(h->dns, "usesZone")))
		return 0;
	if (strcmp(h->walked, fqdn) == 0) {
		snprintf(zone, SSL_DNS_NAME, "%s", h->zone);
		snprintf(target, SSL_DNS_NAME, "%s", h->target);
		return 0;
	}
	int rc = ssl_dns_find_zone(resolver, fqdn, zone, target, err);
	if (rc == 0) {
		snprintf(h->walked, SSL_DNS_NAME, "%s", fqdn);
		snprintf(h->zone, SSL_DNS_NAME, "%s", zone);
		snprintf(h->target, SSL_DNS_NAME, "%s", target);
	}
	return rc;
}

static int dns01(void *arg, bool present, const char *domain, const char *fqdn, const char *value,
                 struct pg_err *err)
{
	struct hook_ctx *h = arg;
	char rel[128], zone[SSL_DNS_NAME], target[SSL_DNS_NAME];
	snprintf(rel, sizeof(rel), "plugins/dns/%s.lua",
	         json_string_value(json_object_get(h->dns, "plugin")));
	json_t *resolvers = json_object_get(h->dns, "resolvers");
	struct sockaddr_in first, *resolver = NULL;
	if (json_array_size(resolvers) &&
	    ssl_dns_parse_server(json_string_value(json_array_get(resolvers, 0)), &first) == 0)
		resolver = &first;
	int rc = dns_where(h, resolver, domain, fqdn, zone, target, err);
	if (rc != 0)
		return rc;
	json_t *cfg = json_object_get(h->dns, "config");
	json_t *args = json_pack("[O, s, s, s]", cfg ? cfg : json_object(), zone, target, value),
	       *out = NULL;
	rc = plua_call(h->s->lua, rel, present ? "present" : "cleanup", args, &out, err);
	json_decref(args);
	json_decref(out);
	if (rc != 0 || !present)
		return rc;
	struct ssl_dns_wait w = {
	        json_integer_value(json_object_get(h->dns, "propagationTimeoutSec")) * 1000,
	        (int)json_integer_value(json_object_get(h->dns, "propagationIntervalSec")) * 1000,
	        (int)json_integer_value(json_object_get(h->dns, "nameserverPort")),
	        &h->s->stopping};
	if (w.interval_ms <= 0) /* stored before the field existed */
		w.interval_ms = 500;
	if (w.ns_port <= 0)
		w.ns_port = 53;
	if (json_is_true(json_object_get(h->dns, "checkAuthoritative")))
		rc = ssl_dns_wait_authoritative(&w, resolver, zone, target, value, err);
	if (rc == 0 && resolvers)
		rc = ssl_dns_wait_txt(&w, resolvers, target, value, err);
	return rc;
}

/* An ES256 account key for (directory, email), created on first use. */
static int account(struct ssl *s, struct store_conn *c, const char *dir, const char *email,
                   EVP_PKEY **key, char **kid, struct pg_err *err)
{
	char *sealed = NULL, ctx[1400];
	int64_t id = 0;
	snprintf(ctx, sizeof(ctx), "ssl-account:%s:%s", dir, email);
	int rc = ssl_account_get(c, dir, email, &id, &sealed, kid, err);
	if (rc == 0 && id) {
		char *pem = NULL;
		size_t len;
		rc = pg_secret_open(&s->key, sealed, ctx, &pem, &len, err);
		if (rc == 0 && !(*key = ssl_key_from_pem(pem)))
			rc = pg_err_set(err, PG_EINTERNAL, "",
			                "the stored ACME account key does not load");
		pg_secret_free(pem);
	} else if (rc == 0) {
		*key = ssl_key_new("ec256");
		char *pem = *key ? ssl_key_pem(*key) : NULL;
		rc = pem ? pg_secret_seal(&s->key, pem, strlen(pem), ctx, &sealed, err)
		         : pg_err_set(err, PG_EINTERNAL, "", "cannot make an account key");
		if (rc == 0)
			rc = ssl_account_put(c, dir, email, sealed, NULL, err);
		pg_secret_free(pem);
	}
	free(sealed);
	return rc;
}

int ssl_deploy_tasks(struct ssl *s, struct store_conn *c, const struct pg_call *call, json_t *cert,
                     json_t *deploy, const char *once, json_t *tasks, struct pg_err *err);

/* A renewal goes where the certificate went before (the remembered deploy)
 * and to every node whose ingress uses it (default paths there). */
static int redeploy(struct ssl *s, struct store_conn *c, json_t *cert, int64_t version,
                    json_t *tasks, struct pg_err *err)
{
	int64_t id = json_integer_value(json_object_get(cert, "id"));
	json_t *deploy = json_object_get(cert, "deploy"), *fresh = NULL, *extra = json_array();
	json_t *remembered = json_object_get(deploy, "nodeIds");
	char once[64];
	snprintf(once, sizeof(once), "cert%lld-v%lld", (long long)id, (long long)version);
	int rc = s->opts.nodes_using ? s->opts.nodes_using(s->opts.in_use_arg, c, id, extra, err)
	                             : 0;
	size_t i, j;
	json_t *n, *m;
	json_array_foreach (remembered, i, n)
		json_array_foreach (extra, j, m)
			if (json_equal(n, m)) {
				json_array_remove(extra, j);
				break;
			}
	if (rc == 0 && (json_array_size(remembered) > 0 || json_array_size(extra) > 0))
		rc = ssl_store_get(c, id, &fresh, err);
	if (rc == 0 && json_array_size(remembered) > 0)
		rc = ssl_deploy_tasks(s, c, &system_call, fresh, deploy, once, tasks, err);
	if (rc == 0 && json_array_size(extra) > 0) {
		json_t *d = json_pack("{s:O}", "nodeIds", extra);
		rc = ssl_deploy_tasks(s, c, &system_call, fresh, d, once, tasks, err);
		json_decref(d);
	}
	json_decref(fresh);
	json_decref(extra);
	return rc;
}

/* The certificate's dns object made whole in its copy: the stored
 * provider it names, or its own config opened. */
static int dns_for_issue(struct ssl *s, struct store_conn *c, json_t *cert, struct pg_err *err)
{
	json_t *dns = json_object_get(json_object_get(cert, "request"), "dns");
	char ctx[160];
	if (json_object_get(dns, "provider"))
		return ssl_dns_provider_resolve(s, c, dns, err);
	snprintf(ctx, sizeof(ctx), "ssl-dns:%s", json_string_value(json_object_get(cert, "name")));
	return ssl_dns_open(s, ctx, dns, err);
}

/* One attempt at issuing (or renewing) certificate id. */
static void issue(struct ssl *s, int64_t id)
{
	struct pg_err err = {0};
	struct store_conn *c = store_conn_get(s->store, &err);
	json_t *cert = NULL, *problem = NULL;
	if (!c || ssl_store_get(c, id, &cert, &err) != 0)
		return;
	int sealed_rc = dns_for_issue(s, c, cert, &err);
	json_t *req = json_object_get(cert, "request"), *iss = json_object_get(req, "issuer");
	const char *dir = json_string_value(json_object_get(iss, "directoryUrl"));
	const char *email = json_string_value(json_object_get(iss, "email"));
	int64_t version = json_integer_value(json_object_get(cert, "currentVersion"));
	EVP_PKEY *akey = NULL, *ckey = NULL;
	char *kid = NULL, *chain = NULL, *key_pem = NULL, *sealed = NULL;
	struct acme *a = NULL;
	struct hook_ctx hc = {.s = s, .dns = json_object_get(req, "dns")};
	struct acme_hooks hooks = {&hc, http01, dns01,
	                           json_integer_value(json_object_get(hc.dns, "propagationSec")) *
	                                   1000};
	struct ssl_cert_info info = {0};
	pg_info("ssl", "certificate %lld: %s from %s", (long long)id,
	        version ? "renewing" : "issuing", dir);
	pthread_mutex_lock(&s->account_mu);
	int rc = sealed_rc ? sealed_rc : account(s, c, dir, email ? email : "", &akey, &kid, &err);
	if (rc == 0)
		rc = acme_open(dir, json_string_value(json_object_get(iss, "caFile")), akey, kid,
		               email, &a, &err);
	if (rc == 0 && !kid)
		rc = ssl_account_put(c, dir, email ? email : "", "", acme_kid(a), &err);
	pthread_mutex_unlock(&s->account_mu);
	if (rc == 0 && !(ckey = ssl_key_new(json_string_value(json_object_get(req, "keyType")))))
		rc = pg_err_set(&err, PG_EINTERNAL, "", "cannot make a certificate key");
	if (rc == 0)
		rc = acme_issue(a, json_object_get(cert, "domains"),
		                json_string_value(json_object_get(req, "challenge")), &hooks, ckey,
		                &chain, &problem, &err);
	if (rc == 0)
		rc = ssl_cert_parse(chain, &info, &err);
	char ctx[64];
	snprintf(ctx, sizeof(ctx), "ssl-cert:%lld:%lld", (long long)id, (long long)version + 1);
	if (rc == 0 && (key_pem = ssl_key_pem(ckey)))
		rc = pg_secret_seal(&s->key, key_pem, strlen(key_pem), ctx, &sealed, &err);
	json_t *tasks = json_array();
	if (rc == 0 && store_begin(c, STORE_TX_WRITE, &err) == 0) {
		rc = ssl_version_insert(c, id, version + 1, chain, sealed, &info, &err);
		if (rc == 0)
			rc = ssl_store_attempt(c, id, "valid", version + 1, 0, 0, false, NULL, NULL,
			                       &err);
		if (rc == 0) /* a new certificate: ask the CA afresh */
			rc = ssl_store_set_ari(c, id, NULL, 0, 0, &err);
		if (rc == 0) {
			json_t *d =
			        json_pack("{s:I, s:s, s:s, s:s}", "version",
			                  (json_int_t)version + 1, "serial", info.serial,
			                  "fingerprint", info.fingerprint, "issuer", info.issuer);
			rc = audit_record(c, &system_call, version ? "ssl.renew" : "ssl.issue",
			                  "certificate", id, d, &err);
			json_decref(d);
		}
		if (rc == 0)
			rc = redeploy(s, c, cert, version + 1, tasks, &err);
		rc = store_end(c, rc, &err);
		size_t i;
		json_t *t;
		json_array_foreach (tasks, i, t)
			if (rc == 0)
				cluster_wake(s->cluster,
				             json_integer_value(json_object_get(t, "nodeId")));
	}
	json_decref(tasks);
	if (rc == 0) {
		pg_info("ssl", "certificate %lld version %lld: serial %s, valid until %lld",
		        (long long)id, (long long)version + 1, info.serial,
		        (long long)info.not_after);
	} else {
		/* Backoff: a broken domain never hammers the CA. */
		int64_t failures = json_integer_value(json_object_get(cert, "failures")) + 1,
		        delay = s->opts.retry_base_ms;
		for (int64_t k = 1; k < failures && delay < DAY_MS; k++)
			delay *= 2;
		if (delay > DAY_MS)
			delay = DAY_MS;
		struct pg_err e2 = {0};
		if (store_begin(c, STORE_TX_WRITE, &e2) == 0) {
			int r2 = ssl_store_attempt(c, id, version ? "valid" : "failed", version,
			                           failures, pg_time_now_ms() + delay, true,
			                           err.message, problem, &e2);
			json_t *d = json_pack("{s:s, s:I, s:I, s:O?}", "error", err.message,
			                      "failures", (json_int_t)failures, "retryInMs",
			                      (json_int_t)delay, "problem", problem);
			if (r2 == 0)
				r2 = audit_record(c, &system_call, "ssl.issue_failed",
				                  "certificate", id, d, &e2);
			json_decref(d);
			store_end(c, r2, &e2);
		}
		pg_warn("ssl", "certificate %lld: %s (attempt %lld, next in %lld s)", (long long)id,
		        err.message, (long long)failures, (long long)delay / 1000);
	}
	ssl_cert_info_free(&info);
	acme_free(a);
	EVP_PKEY_free(akey);
	EVP_PKEY_free(ckey);
	free(kid);
	free(chain);
	pg_secret_free(key_pem);
	free(sealed);
	json_decref(problem);
	json_decref(cert);
}

/* Issuances side by side: an order spends its time waiting on the CA
 * (validation, DNS propagation, finalisation), not working. */
#define SSL_ISSUE_PARALLEL 8

struct issue_queue {
	struct ssl *s;
	json_t *ids;
	size_t next;
	pthread_mutex_t mu;
};

static void *issue_worker(void *arg)
{
	struct issue_queue *q = arg;
	for (;;) {
		pthread_mutex_lock(&q->mu);
		size_t i = q->next++;
		pthread_mutex_unlock(&q->mu);
		if (i >= json_array_size(q->ids) || q->s->stopping)
			return NULL;
		issue(q->s, json_integer_value(json_array_get(q->ids, i)));
	}
}

static void issue_all(struct ssl *s, json_t *ids)
{
	struct issue_queue q = {.s = s, .ids = ids};
	pthread_t th[SSL_ISSUE_PARALLEL];
	size_t n = json_array_size(ids) < SSL_ISSUE_PARALLEL ? json_array_size(ids)
	                                                     : SSL_ISSUE_PARALLEL,
	       started = 0;
	pthread_mutex_init(&q.mu, NULL);
	/* one on this thread: with one due there is nothing to start */
	for (size_t k = 1; k < n; k++)
		if (pthread_create(&th[started], NULL, issue_worker, &q) == 0)
			started++;
	issue_worker(&q);
	for (size_t k = 0; k < started; k++)
		pthread_join(th[k], NULL);
	pthread_mutex_destroy(&q.mu);
}

static void scan(struct ssl *s)
{
	if (!store_leader(s->store, STORE_ROLE_CERTS))
		return;
	struct pg_err err = {0};
	struct store_conn *c = store_conn_get(s->store, &err);
	json_t *renew = json_array(), *due = json_array();
	size_t i;
	json_t *id;
	if (c)
		ssl_ari_scan(s, c, pg_time_now_ms());
	int64_t now = pg_time_now_ms();
	if (c && ssl_store_renewable(c, renew, &err) == 0)
		json_array_foreach (renew, i, id) {
			/* the CA's suggestion wins while it lies before the expiry */
			int64_t after = json_integer_value(json_object_get(id, "notAfter"));
			int64_t at = ssl_renew_at(
			        json_integer_value(json_object_get(id, "notBefore")), after);
			int64_t ra = json_integer_value(json_object_get(id, "renewAfter"));
			if (ra > 0 && ra < after)
				at = ra;
			if (now >= at)
				ssl_store_mark_due(c, json_integer_value(json_object_get(id, "id")),
				                   &err);
		}
	if (c && ssl_store_due(c, pg_time_now_ms(), due, &err) == 0)
		issue_all(s, due);
	json_decref(renew);
	json_decref(due);
}

static void worker_main(void *arg)
{
	scan(arg);
}

/* A request through any replica wakes the one that leads certificates. */
static void on_kick_notice(void *arg, const char *payload)
{
	(void)payload;
	pg_ticker_kick(((struct ssl *)arg)->worker);
}

void ssl_kick(struct ssl *s)
{
	pg_ticker_kick(s->worker);
	if (store_shared(s->store))
		store_notify(s->store, "pagoda_certs", "");
}

int ssl_renew_now(struct ssl *s, const struct pg_call *call, int64_t id, struct pg_err *err)
{
	struct store_conn *c = store_conn_get(s->store, err);
	json_t *cert = NULL;
	int rc = c ? ssl_store_get(c, id, &cert, err) : err->code;
	if (rc == 0 && strcmp(json_string_value(json_object_get(cert, "source")), "acme") != 0)
		rc = pg_err_set(err, PG_EPRECOND, "id",
		                "an imported certificate is renewed by importing a new one");
	if (rc == 0 && store_begin(c, STORE_TX_WRITE, err) == 0) {
		rc = ssl_store_mark_due(c, id, err);
		if (rc == 0)
			rc = audit_record(c, call, "ssl.renew_request", "certificate", id, NULL,
			                  err);
		rc = store_end(c, rc, err);
	}
	json_decref(cert);
	if (rc == 0)
		ssl_kick(s);
	return rc;
}

/* What the agent checks after the reload: nginx serving this version to the
 * first SAN (a wildcard's "*" stands for a label of our own). NULL when the
 * deploy asked for no check. */
static json_t *ssl_verify_spec(json_t *cert, json_t *deploy)
{
	json_t *v = json_object_get(deploy, "verify");
	const char *san = json_string_value(
	        json_array_get(json_object_get(json_object_get(cert, "current"), "sans"), 0));
	if (json_is_false(v) || json_is_false(json_object_get(deploy, "reload")) || !san)
		return NULL;
	char sni[300];
	snprintf(sni, sizeof(sni), "%s%s", strncmp(san, "*.", 2) == 0 ? "pagoda-verify" : "",
	         san + (san[0] == '*'));
	json_t *spec = json_is_object(v) ? json_deep_copy(v) : json_object();
	json_object_set_new(spec, "serverName", json_string(sni));
	return spec;
}

/* The order nodes get a certificate in: the batch policy's batches of the
 * online nodes (*batches: arrays of node ids, deploy.strategy as the
 * policy's strategy), then the offline and cordoned ones (*loose), which
 * get it whenever they poll again. Nodes removed since are left out. */
static int deploy_plan(struct ssl *s, int64_t id, int64_t v, json_t *deploy, json_t **batches,
                       json_t **loose, struct pg_err *err)
{
	json_t *nodes = json_array(), *plan = NULL, *n;
	size_t i;
	json_array_foreach (json_object_get(deploy, "nodeIds"), i, n) {
		json_t *node = NULL;
		struct pg_err e2 = {0};
		if (cluster_node_get(s->cluster, json_integer_value(n), &node, &e2) == 0)
			json_array_append_new(nodes,
			                      json_pack("{s:O, s:O?, s:O?, s:O?}", "id", n, "name",
			                                json_object_get(node, "name"), "labels",
			                                json_object_get(node, "labels"), "status",
			                                json_object_get(node, "status")));
		json_decref(node);
	}
	json_t *ctx = json_pack("{s:{s:I, s:I}, s:o, s:O?}", "release", "id", (json_int_t)id,
	                        "version", (json_int_t)v, "nodes", nodes, "strategy",
	                        json_object_get(deploy, "strategy"));
	int rc = plua_batch_plan(s->lua, ctx, &plan, err);
	json_decref(ctx);
	if (rc != 0)
		return rc;
	*batches = json_array();
	*loose = json_array();
	json_array_foreach (json_object_get(plan, "batches"), i, n)
		json_array_append(*batches, json_object_get(n, "nodes"));
	json_array_foreach (json_object_get(plan, "skipped"), i, n)
		json_array_append(*loose, json_object_get(n, "nodeId"));
	json_decref(plan);
	return 0;
}

/* DeployCertificate (+ nginx reload) on each node of deploy.nodeIds, inside
 * c's transaction. once (NULL: none) prefixes an idempotency key per node, so
 * a step redone after a crash (a renewal, a release) queues nothing new;
 * without it every call deploys again. The key travels sealed; pagodad opens it only when the
 * task is handed to the agent. */
int ssl_deploy_tasks(struct ssl *s, struct store_conn *c, const struct pg_call *call, json_t *cert,
                     json_t *deploy, const char *once, json_t *tasks, struct pg_err *err)
{
	int64_t id = json_integer_value(json_object_get(cert, "id")),
	        v = json_integer_value(json_object_get(cert, "currentVersion"));
	const char *name = json_string_value(json_object_get(cert, "name"));
	char *chain = NULL, *sealed = NULL, cp[300], kp[300], ctx[64];
	ssl_default_paths(name, cp, kp);
	snprintf(ctx, sizeof(ctx), "ssl-cert:%lld:%lld", (long long)id, (long long)v);
	const char *cert_path = json_string_value(json_object_get(deploy, "certPath"));
	const char *key_path = json_string_value(json_object_get(deploy, "keyPath"));
	json_t *batches = NULL, *loose = NULL, *prev = json_array(), *p = NULL;
	int rc = ssl_version_material(c, id, v, &chain, &sealed, err);
	if (rc == 0)
		rc = deploy_plan(s, id, v, deploy, &batches, &loose, err);
	/* the same task for every node */
	if (rc == 0)
		p = json_pack("{s:s, s:s, s:s, s:s, s:s, s:b, s:o*}", "certPath",
		              cert_path ? cert_path : cp, "keyPath", key_path ? key_path : kp,
		              "certPem", chain, "keyPemSealed", sealed, "sealContext", ctx,
		              "reload", !json_is_false(json_object_get(deploy, "reload")), "verify",
		              ssl_verify_spec(cert, deploy));
	size_t nb = json_array_size(batches);
	for (size_t b = 0; rc == 0 && b <= nb; b++) {
		/* each batch waits for the whole one before it: a failure there
		 * fails the rest (the queue's cascade) */
		json_t *group = b < nb ? json_array_get(batches, b) : loose, *cur = json_array(),
		       *n;
		size_t nd = b < nb ? json_array_size(prev) : 0, i;
		int64_t *deps = calloc(nd + 1, sizeof(*deps));
		for (i = 0; i < nd; i++)
			deps[i] = json_integer_value(json_array_get(prev, i));
		json_array_foreach (group, i, n) {
			if (rc != 0)
				break;
			char key[128];
			snprintf(key, sizeof(key), "%.100s-n%lld", once ? once : "",
			         (long long)json_integer_value(n));
			char owner[32];
			snprintf(owner, sizeof(owner), "cert:%lld", (long long)id);
			struct cluster_task_spec spec = {.node_id = json_integer_value(n),
			                                 .type = "DeployCertificate",
			                                 .payload = p,
			                                 .max_retries = 2,
			                                 .depends_on = deps,
			                                 .ndeps = nd,
			                                 .idempotency_key = once ? key : NULL,
			                                 .owner = owner};
			int64_t tid = 0;
			bool existed;
			rc = cluster_task_insert(s->cluster, c, call, &spec, &tid, &existed, err);
			if (rc == 0) {
				json_array_append_new(cur, json_integer(tid));
				json_array_append_new(
				        tasks, json_pack("{s:O, s:I, s:o}", "nodeId", n, "taskId",
				                         (json_int_t)tid, "batch",
				                         b < nb ? json_integer((json_int_t)b + 1)
				                                : json_null()));
			}
		}
		free(deps);
		json_decref(prev);
		prev = cur;
	}
	json_decref(p);
	json_decref(prev);
	json_decref(batches);
	json_decref(loose);
	if (rc == 0)
		rc = audit_record_new(
		        c, call, "ssl.deploy", "certificate", id,
		        json_pack("{s:I, s:O}", "version", (json_int_t)v, "tasks", tasks), err);
	free(chain);
	free(sealed);
	return rc;
}

/* The batch policy's inputs that a certificate rollout uses: it has no
 * pauses or thresholds, a failure stops every later batch. */
static int check_strategy(json_t *st, struct pg_err *err)
{
	static const char *const fields[] = {"batchSize", "batchPercent", "canary", NULL};
	int64_t n;
	int rc = pg_json_only(st, fields, err);
	if (rc == 0)
		rc = pg_json_int(st, "batchSize", false, 1, 100000, &n, err);
	if (rc == 0)
		rc = pg_json_int(st, "batchPercent", false, 1, 100, &n, err);
	if (rc == 0)
		rc = pg_json_int(st, "canary", false, 0, 100000, &n, err);
	if (rc != 0)
		pg_err_prefix_field(err, "strategy");
	return rc;
}

int ssl_deploy(struct ssl *s, const struct pg_call *call, int64_t id, json_t *body, json_t **out,
               struct pg_err *err)
{
	static const char *const fields[] = {"nodeIds", "certPath", "keyPath", "reload",
	                                     "verify",  "strategy", NULL};
	json_t *ids = NULL, *cert = NULL, *tasks = json_array(),
	       *verify = json_object_get(body, "verify"), *strategy = NULL;
	const char *cp = NULL, *kp = NULL;
	bool reload = true;
	int rc = pg_json_only(body, fields, err);
	if (rc == 0)
		rc = pg_json_arr(body, "nodeIds", true, 1000, &ids, err);
	if (rc == 0 && json_array_size(ids) == 0)
		rc = pg_err_set(err, PG_EINVAL, "nodeIds", "name at least one node");
	size_t i;
	json_t *v;
	json_array_foreach (ids, i, v)
		if (rc == 0 && (!json_is_integer(v) || json_integer_value(v) < 1))
			rc = pg_err_set(err, PG_EINVAL, "nodeIds", "nodeIds[%zu] must be a node id",
			                i);
	if (rc == 0)
		rc = pg_json_str(body, "certPath", false, 4096, &cp, err);
	if (rc == 0)
		rc = pg_json_str(body, "keyPath", false, 4096, &kp, err);
	if (rc == 0)
		rc = pg_json_bool(body, "reload", false, &reload, err);
	if (rc == 0)
		rc = pg_json_obj(body, "strategy", false, &strategy, err);
	if (rc == 0 && strategy)
		rc = check_strategy(strategy, err);
	/* its fields are checked with the task payload */
	if (rc == 0 && verify && !json_is_boolean(verify) && !json_is_object(verify))
		rc = pg_err_set(err, PG_EINVAL, "verify",
		                "verify must be true, false or {port, timeoutMs}");
	struct store_conn *c = rc == 0 ? store_conn_get(s->store, err) : NULL;
	if (rc == 0 && (!c || store_begin(c, STORE_TX_WRITE, err) != 0))
		rc = err->code;
	else if (c) {
		json_t *deploy = json_pack("{s:O, s:s?, s:s?, s:b, s:O?, s:O?}", "nodeIds", ids,
		                           "certPath", cp, "keyPath", kp, "reload", reload,
		                           "verify", verify, "strategy", strategy);
		rc = ssl_store_get(c, id, &cert, err);
		json_array_foreach (ids, i, v) {
			json_t *node = NULL;
			if (rc == 0 && (rc = cluster_node_get(s->cluster, json_integer_value(v),
			                                      &node, err)) == PG_ENOTFOUND)
				pg_err_set(err, PG_ENOTFOUND, "nodeIds", "no node %lld",
				           (long long)json_integer_value(v));
			json_decref(node);
		}
		if (rc == 0 &&
		    (rc = ssl_deploy_tasks(s, c, call, cert, deploy, NULL, tasks, err)) != 0 &&
		    strncmp(err->field, "payload.verify", 14) ==
		            0) /* the body's verify became the payload's */
			memmove(err->field, err->field + 8, strlen(err->field + 8) + 1);
		if (rc == 0)
			rc = ssl_store_set_deploy(c, id, deploy, err);
		rc = store_end(c, rc, err);
		json_decref(deploy);
		json_array_foreach (tasks, i, v)
			if (rc == 0)
				cluster_wake(s->cluster,
				             json_integer_value(json_object_get(v, "nodeId")));
	}
	if (rc == 0)
		*out = json_pack("{s:I, s:O, s:O}", "certificateId", (json_int_t)id, "version",
		                 json_object_get(cert, "currentVersion"), "tasks", tasks);
	json_decref(cert);
	json_decref(tasks);
	return rc;
}

void ssl_default_paths(const char *name, char cert_path[300], char key_path[300])
{
	snprintf(cert_path, 300, "/etc/ssl/pagoda/%.250s.crt", name);
	snprintf(key_path, 300, "/etc/ssl/pagoda/%.250s.key", name);
}

int ssl_cert_paths(struct ssl *s, int64_t id, char cert_path[300], char key_path[300],
                   struct pg_err *err)
{
	json_t *cert = NULL;
	struct store_conn *c = store_conn_get(s->store, err);
	int rc = c ? ssl_store_get(c, id, &cert, err) : err->code;
	if (rc == PG_ENOTFOUND)
		pg_err_set(err, PG_EINVAL, "tls.certificateId", "no certificate %lld",
		           (long long)id);
	if (rc == 0)
		ssl_default_paths(json_string_value(json_object_get(cert, "name")), cert_path,
		                  key_path);
	json_decref(cert);
	return rc;
}

int ssl_deploy_node(struct ssl *s, struct store_conn *c, const struct pg_call *call, int64_t id,
                    int64_t node, const char *once, int64_t *task_id, struct pg_err *err)
{
	json_t *cert = NULL, *tasks = json_array(),
	       *deploy = json_pack("{s:[I]}", "nodeIds", (json_int_t)node);
	int rc = ssl_store_get(c, id, &cert, err);
	if (rc == 0 && json_integer_value(json_object_get(cert, "currentVersion")) < 1)
		rc = pg_err_set(err, PG_EPRECOND, "tls.certificateId",
		                "certificate %lld (%s) has no issued version yet", (long long)id,
		                json_string_value(json_object_get(cert, "name")));
	if (rc == 0)
		rc = ssl_deploy_tasks(s, c, call, cert, deploy, once, tasks, err);
	if (rc == 0)
		*task_id = json_integer_value(json_object_get(json_array_get(tasks, 0), "taskId"));
	json_decref(cert);
	json_decref(tasks);
	json_decref(deploy);
	return rc;
}

int ssl_import(struct ssl *s, const struct pg_call *call, json_t *body, json_t **out,
               struct pg_err *err)
{
	static const char *const fields[] = {"name", "certPem", "keyPem", "force", NULL};
	const char *name = NULL, *cert = NULL, *key = NULL;
	bool force = false;
	int rc = pg_json_only(body, fields, err);
	if (rc == 0)
		rc = pg_json_str(body, "name", true, 128, &name, err);
	if (rc == 0 && !ssl_domain_ok(name))
		rc = pg_err_set(err, PG_EINVAL, "name",
		                "name must be lowercase letters, digits, '-' and '.'");
	if (rc == 0)
		rc = pg_json_str(body, "certPem", true, 1u << 20, &cert, err);
	if (rc == 0)
		rc = pg_json_str(body, "keyPem", true, 1u << 20, &key, err);
	if (rc == 0)
		rc = pg_json_bool(body, "force", false, &force, err);
	if (rc == 0)
		rc = ssl_cert_check(cert, key, err);
	struct ssl_cert_info info = {0};
	if (rc == 0)
		rc = ssl_cert_parse(cert, &info, err);
	if (rc == 0 && info.not_after < pg_time_now_ms() && !force)
		rc = pg_err_set(err, PG_EPRECOND, "certPem",
		                "the certificate expired; import it with force: true");
	struct store_conn *c = rc == 0 ? store_conn_get(s->store, err) : NULL;
	int64_t id = 0;
	if (rc == 0 && c && store_begin(c, STORE_TX_WRITE, err) == 0) {
		json_t *req = json_object();
		char *sealed = NULL, ctx[64];
		rc = ssl_store_insert(c, name, info.sans, "import", "valid", req, &id, err);
		snprintf(ctx, sizeof(ctx), "ssl-cert:%lld:1", (long long)id);
		if (rc == 0)
			rc = pg_secret_seal(&s->key, key, strlen(key), ctx, &sealed, err);
		if (rc == 0)
			rc = ssl_version_insert(c, id, 1, cert, sealed, &info, err);
		if (rc == 0)
			rc = ssl_store_attempt(c, id, "valid", 1, 0, 0, false, NULL, NULL, err);
		if (rc == 0)
			rc = audit_record_new(c, call, "ssl.import", "certificate", id,
			                      json_pack("{s:s, s:s, s:O}", "serial", info.serial,
			                                "fingerprint", info.fingerprint, "sans",
			                                info.sans),
			                      err);
		rc = store_end(c, rc, err);
		free(sealed);
		json_decref(req);
	} else if (rc == 0) {
		rc = err->code;
	}
	ssl_cert_info_free(&info);
	if (rc == 0)
		rc = ssl_store_get(c, id, out, err);
	return rc;
}

int ssl_delete(struct ssl *s, const struct pg_call *call, int64_t id, struct pg_err *err)
{
	char by[200] = "";
	if (s->opts.in_use && s->opts.in_use(s->opts.in_use_arg, id, by, sizeof(by)))
		return pg_err_set(err, PG_ECONFLICT, "id", "certificate %lld is used by %s",
		                  (long long)id, by);
	struct store_conn *c = store_conn_get(s->store, err);
	json_t *cert = NULL;
	int rc = c ? store_begin(c, STORE_TX_WRITE, err) : err->code;
	if (rc == 0) {
		rc = ssl_store_get(c, id, &cert, err);
		if (rc == 0)
			rc = ssl_store_delete(c, id, err);
		if (rc == 0)
			rc = audit_record_new(
			        c, call, "ssl.delete", "certificate", id,
			        json_pack("{s:O}", "name", json_object_get(cert, "name")), err);
		rc = store_end(c, rc, err);
	}
	json_decref(cert);
	return rc;
}

int ssl_new(struct store *st, const struct pg_secret_key *key, struct plua *lua, struct cluster *cl,
            const struct ssl_opts *o, struct ssl **out, struct pg_err *err)
{
	struct ssl *s = calloc(1, sizeof(*s));
	if (!s)
		return pg_err_set(err, PG_EINTERNAL, "", "out of memory");
	s->store = st;
	s->key = *key;
	s->lua = lua;
	s->cluster = cl;
	s->opts = *o;
	pthread_mutex_init(&s->account_mu, NULL);
	if (s->opts.scan_ms <= 0)
		s->opts.scan_ms = 60000;
	if (s->opts.retry_base_ms <= 0)
		s->opts.retry_base_ms = 60000;
	if (pg_ticker_start(s->opts.scan_ms, true, worker_main, s, &s->worker, err) != 0) {
		free(s);
		return err->code;
	}
	if (store_listen(st, "pagoda_certs", on_kick_notice, s, err) != 0) {
		pg_ticker_stop(s->worker);
		free(s);
		return err->code;
	}
	*out = s;
	return 0;
}

void ssl_free(struct ssl *s)
{
	if (!s)
		return;
	s->stopping = true; /* cuts a DNS propagation wait short */
	store_unlisten(s->store, s);
	pg_ticker_stop(s->worker);
	pthread_mutex_destroy(&s->account_mu);
	explicit_bzero(&s->key, sizeof(s->key));
	free(s);
}
