/* Stored DNS providers: a plugin, its credentials (sealed) and its DNS-01
 * settings, for the zones it serves. A certificate names one
 * (dns.provider), or gets the one whose zones hold all its domains when it
 * says nothing about the challenge: there DNS-01 becomes the default.
 * Renewals read the provider as it is then, so rotating a token is one
 * PUT. */
#include "audit/audit.h"
#include "common/pg_json.h"
#include "common/pg_secret.h"
#include "ssl/ssl.h"
#include "ssl/ssl_int.h"
#include "store/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ZONES 50

static void provider_context(const char *name, char ctx[160])
{
	snprintf(ctx, 160, "ssl-dns-provider:%s", name);
}

/* What the API shows of a row: the spec without its sealed part. */
static json_t *view(json_t *row)
{
	json_t *out = json_deep_copy(row);
	json_object_del(json_object_get(out, "spec"), "configSealed");
	json_t *spec = json_object_get(out, "spec");
	json_object_update(out, spec);
	json_object_del(out, "spec");
	return out;
}

static int check_zones(json_t *zones, struct pg_err *err)
{
	size_t i;
	json_t *z;
	if (!json_is_array(zones) || json_array_size(zones) == 0 ||
	    json_array_size(zones) > MAX_ZONES)
		return pg_err_set(err, PG_EINVAL, "zones",
		                  "zones lists the 1 to %d zones this provider serves", MAX_ZONES);
	json_array_foreach (zones, i, z)
		if (!json_is_string(z) || !ssl_domain_ok(json_string_value(z)) ||
		    json_string_value(z)[0] == '*')
			return pg_err_set(err, PG_EINVAL, "zones",
			                  "zones[%zu] is not a lowercase DNS name", i);
	return 0;
}

int ssl_dns_provider_put(struct ssl *s, const struct pg_call *call, const char *name, json_t *body,
                         json_t **out, struct pg_err *err)
{
	if (!pg_str_is_name(name, 64))
		return pg_err_set(err, PG_EINVAL, "name",
		                  "a provider name is 1-64 of a-z, 0-9, '-' and '_'");
	json_t *dns = json_deep_copy(body), *spec = NULL;
	json_t *zones = json_incref(json_object_get(dns, "zones"));
	json_object_del(dns, "zones");
	int rc = check_zones(zones, err);
	if (rc == 0 && json_object_get(dns, "zone"))
		rc = pg_err_set(err, PG_EINVAL, "zone",
		                "a provider serves zones (the list); zone belongs to a request");
	if (rc == 0)
		rc = ssl_dns_request_parse(s, dns, &spec, err);
	char ctx[160];
	provider_context(name, ctx);
	if (rc == 0)
		rc = ssl_dns_seal(s, ctx, spec, err);
	struct store_conn *c = rc == 0 ? store_conn_get(s->store, err) : NULL;
	rc = rc != 0 ? rc : c ? store_begin(c, STORE_TX_WRITE, err) : err->code;
	if (rc == 0) {
		rc = ssl_provider_store_put(c, name,
		                            json_string_value(json_object_get(spec, "plugin")),
		                            zones, spec, err);
		if (rc == 0) {
			json_t *d = json_pack("{s:s, s:O, s:O}", "name", name, "plugin",
			                      json_object_get(spec, "plugin"), "zones", zones);
			rc = audit_record_new(c, call, "ssl.dns_provider.put", "dns_provider", 0, d,
			                      err);
		}
		rc = store_end(c, rc, err);
	}
	json_t *row = NULL;
	if (rc == 0)
		rc = ssl_provider_store_get(c, name, &row, err);
	if (rc == 0)
		*out = view(row);
	json_decref(row);
	json_decref(spec);
	json_decref(zones);
	json_decref(dns);
	return rc;
}

int ssl_dns_provider_list(struct ssl *s, json_t **out, struct pg_err *err)
{
	struct store_conn *c = store_conn_get(s->store, err);
	json_t *rows = json_array(), *row;
	size_t i;
	int rc = c ? ssl_provider_store_list(c, rows, err) : err->code;
	*out = json_array();
	json_array_foreach (rows, i, row)
		json_array_append_new(*out, view(row));
	json_decref(rows);
	return rc;
}

int ssl_dns_provider_get(struct ssl *s, const char *name, json_t **out, struct pg_err *err)
{
	struct store_conn *c = store_conn_get(s->store, err);
	json_t *row = NULL;
	int rc = c ? ssl_provider_store_get(c, name, &row, err) : err->code;
	if (rc == 0)
		*out = view(row);
	json_decref(row);
	return rc;
}

/* The certificates whose request names the provider, as "a, b" in by. */
static void users(struct store_conn *c, const char *name, char *by, size_t n)
{
	struct pg_err e = {0};
	json_t *certs = json_array(), *cert;
	size_t i, used = 0;
	by[0] = '\0';
	if (ssl_store_list(c, certs, &e) == 0)
		json_array_foreach (certs, i, cert) {
			json_t *dns = json_object_get(json_object_get(cert, "request"), "dns");
			const char *p = json_string_value(json_object_get(dns, "provider"));
			if (p && strcmp(p, name) == 0 && used + 4 < n)
				used += (size_t)snprintf(
				        by + used, n - used, "%s%s", used ? ", " : "",
				        json_string_value(json_object_get(cert, "name")));
		}
	json_decref(certs);
}

int ssl_dns_provider_delete(struct ssl *s, const struct pg_call *call, const char *name,
                            struct pg_err *err)
{
	struct store_conn *c = store_conn_get(s->store, err);
	json_t *row = NULL;
	char by[400];
	int rc = c ? store_begin(c, STORE_TX_WRITE, err) : err->code;
	if (rc == 0) {
		rc = ssl_provider_store_get(c, name, &row, err);
		if (rc == 0)
			users(c, name, by, sizeof(by));
		if (rc == 0 && by[0])
			rc = pg_err_set(
			        err, PG_ECONFLICT, "name",
			        "DNS provider %s is used by the certificates %s: point them "
			        "elsewhere or delete them first",
			        name, by);
		if (rc == 0)
			rc = ssl_provider_store_delete(c, name, err);
		if (rc == 0)
			rc = audit_record_new(c, call, "ssl.dns_provider.delete", "dns_provider", 0,
			                      json_pack("{s:s}", "name", name), err);
		rc = store_end(c, rc, err);
	}
	json_decref(row);
	return rc;
}

int ssl_dns_provider_resolve(struct ssl *s, struct store_conn *c, json_t *dns, struct pg_err *err)
{
	const char *name = json_string_value(json_object_get(dns, "provider"));
	json_t *row = NULL;
	if (!name)
		return 0;
	int rc = ssl_provider_store_get(c, name, &row, err);
	if (rc == PG_ENOTFOUND)
		rc = pg_err_set(err, PG_EPRECOND, "dns.provider",
		                "the DNS provider %s does not exist (any more)", name);
	char ctx[160];
	provider_context(name, ctx);
	json_t *spec = json_object_get(row, "spec");
	if (rc == 0)
		rc = ssl_dns_open(s, ctx, spec, err);
	if (rc == 0)
		json_object_update(dns, spec);
	json_decref(row);
	return rc;
}

/* Whether domain (a wildcard counts as its base) is zone or under it. */
static bool in_zone(const char *domain, const char *zone)
{
	if (strncmp(domain, "*.", 2) == 0)
		domain += 2;
	size_t d = strlen(domain), z = strlen(zone);
	return d == z ? strcmp(domain, zone) == 0
	              : d > z && domain[d - z - 1] == '.' && strcmp(domain + d - z, zone) == 0;
}

int ssl_dns_provider_match(struct ssl *s, json_t *domains, char name[65], struct pg_err *err)
{
	struct store_conn *c = store_conn_get(s->store, err);
	json_t *rows = json_array(), *row, *z, *d;
	size_t i, j, k;
	name[0] = '\0';
	int rc = c ? ssl_provider_store_list(c, rows, err) : err->code;
	json_array_foreach (rows, i, row) {
		bool all = true;
		json_array_foreach (domains, j, d) {
			bool here = false;
			json_array_foreach (json_object_get(row, "zones"), k, z)
				here = here || in_zone(json_string_value(d), json_string_value(z));
			all = all && here;
		}
		if (all && !name[0])
			snprintf(name, 65, "%s", json_string_value(json_object_get(row, "name")));
	}
	json_decref(rows);
	return rc;
}
