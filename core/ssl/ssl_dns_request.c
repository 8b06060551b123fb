/* The dns object of a certificate request or a stored DNS provider: its
 * checks and defaults, and the sealing of the plugin's config. */
#include "common/pg_json.h"
#include "common/pg_secret.h"
#include "lua/plua.h"
#include "ssl/ssl_int.h"

#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool ssl_domain_ok(const char *d)
{
	const char *s = strncmp(d, "*.", 2) == 0 ? d + 2 : d;
	size_t n = strlen(s);
	if (n == 0 || n > 253 || s[0] == '.' || s[0] == '-' || s[n - 1] == '.' || strstr(s, ".."))
		return false;
	for (; *s; s++)
		if (!strchr("abcdefghijklmnopqrstuvwxyz0123456789-.", *s))
			return false;
	return true;
}

int ssl_dns_seal(struct ssl *s, const char *ctx, json_t *dns, struct pg_err *err)
{
	json_t *cfg = json_object_get(dns, "config");
	if (!dns || json_object_size(cfg) == 0)
		return 0;
	char *text = pg_json_dump(cfg), *sealed = NULL;
	int rc = text ? pg_secret_seal(&s->key, text, strlen(text), ctx, &sealed, err)
	              : pg_err_set(err, PG_EINTERNAL, "", "out of memory");
	pg_secret_free(text);
	if (rc == 0) {
		json_object_set_new(dns, "config", pg_secret_masked(cfg));
		json_object_set_new(dns, "configSealed", json_string(sealed));
	}
	free(sealed);
	return rc;
}

int ssl_dns_open(struct ssl *s, const char *ctx, json_t *dns, struct pg_err *err)
{
	const char *sealed = json_string_value(json_object_get(dns, "configSealed"));
	if (!sealed)
		return 0;
	char *plain = NULL;
	size_t len;
	int rc = pg_secret_open(&s->key, sealed, ctx, &plain, &len, err);
	json_t *cfg = rc == 0 ? pg_json_load_text(plain) : NULL;
	pg_secret_free(plain);
	if (rc == 0 && !json_is_object(cfg))
		rc = pg_err_set(err, PG_EINTERNAL, "dns.config",
		                "the sealed DNS plugin config does not parse");
	if (rc == 0)
		json_object_set(dns, "config", cfg);
	json_decref(cfg);
	json_object_del(dns, "configSealed");
	return rc;
}

/* The plugin must exist, and may look at the request's config before
 * anything is stored (check(config), optional): exec refuses any. */
static int dns_plugin_check(struct ssl *s, const char *plugin, json_t *cfg, struct pg_err *err)
{
	char rel[128];
	snprintf(rel, sizeof(rel), "plugins/dns/%s.lua", plugin);
	bool present = false, check = false;
	int rc = plua_has_function(s->lua, rel, "present", &present, err);
	if (rc == 0 && !present)
		return pg_err_set(err, PG_EINVAL, "plugin",
		                  "no loadable DNS plugin %s (GET /admin/policies lists them)",
		                  plugin);
	if (rc == 0)
		rc = plua_has_function(s->lua, rel, "check", &check, err);
	if (rc != 0 || !check)
		return rc;
	json_t *args = json_pack("[O]", cfg ? cfg : json_object()), *res = NULL;
	rc = plua_call(s->lua, rel, "check", args, &res, err);
	json_decref(args);
	json_decref(res);
	if (rc ==
	    PG_EPRECOND) /* check() refused: the request's fault, it names the plugin and config */
		rc = err->code = PG_EINVAL;
	return rc;
}

int ssl_dns_request_parse(struct ssl *s, json_t *dns, json_t **out, struct pg_err *err)
{
	static const char *const fields[] = {"plugin",
	                                     "config",
	                                     "zone",
	                                     "propagationSec",
	                                     "resolvers",
	                                     "propagationTimeoutSec",
	                                     "propagationIntervalSec",
	                                     "checkAuthoritative",
	                                     "nameserverPort",
	                                     NULL};
	const char *plugin = NULL, *zone = NULL;
	json_t *cfg = NULL, *resolvers = NULL;
	int64_t prop = 0, prop_timeout = 120, interval = 2, ns_port = 53;
	bool uses_zone = false, check_auth;
	int rc = pg_json_only(dns, fields, err);
	if (rc == 0)
		rc = pg_json_str(dns, "plugin", true, 64, &plugin, err);
	if (rc == 0 && strpbrk(plugin, "/.\\"))
		rc = pg_err_set(err, PG_EINVAL, "plugin", "plugin is a name like rfc2136");
	if (rc == 0)
		rc = pg_json_obj(dns, "config", false, &cfg, err);
	if (rc == 0)
		rc = pg_json_str(dns, "zone", false, 253, &zone, err);
	if (rc == 0 && zone && !ssl_domain_ok(zone))
		rc = pg_err_set(err, PG_EINVAL, "zone",
		                "zone is a lowercase DNS name like example.com");
	if (rc == 0)
		rc = pg_json_int(dns, "propagationSec", false, 0, 600, &prop, err);
	if (rc == 0)
		rc = pg_json_arr(dns, "resolvers", false, 8, &resolvers, err);
	size_t i;
	json_t *r;
	struct sockaddr_in sa;
	json_array_foreach (resolvers, i, r)
		if (rc == 0 &&
		    (!json_is_string(r) || ssl_dns_parse_server(json_string_value(r), &sa) != 0))
			rc = pg_err_set(
			        err, PG_EINVAL, "resolvers",
			        "resolvers[%zu] must be an IPv4 address with an optional :port", i);
	if (rc == 0)
		rc = pg_json_int(dns, "propagationTimeoutSec", false, 1, 3600, &prop_timeout, err);
	if (rc == 0)
		rc = pg_json_int(dns, "propagationIntervalSec", false, 1, 60, &interval, err);
	if (rc == 0)
		rc = pg_json_int(dns, "nameserverPort", false, 1, 65535, &ns_port, err);
	if (rc == 0)
		rc = dns_plugin_check(s, plugin, cfg, err);
	char rel[128];
	snprintf(rel, sizeof(rel), "plugins/dns/%s.lua", plugin ? plugin : "");
	if (rc == 0)
		rc = plua_has_flag(s->lua, rel, "uses_zone", &uses_zone, err);
	/* plugins that publish into a zone get the zone's own servers asked */
	check_auth = uses_zone;
	if (rc == 0 && json_object_get(dns, "checkAuthoritative")) {
		if (!json_is_boolean(json_object_get(dns, "checkAuthoritative")))
			rc = pg_err_set(err, PG_EINVAL, "checkAuthoritative",
			                "checkAuthoritative is true or false");
		check_auth = json_is_true(json_object_get(dns, "checkAuthoritative"));
	}
	if (rc != 0)
		return rc;
	*out = json_pack("{s:s, s:O?, s:s?, s:b, s:b, s:I, s:O?, s:I, s:I, s:I}", "plugin", plugin,
	                 "config", cfg, "zone", zone, "usesZone", uses_zone, "checkAuthoritative",
	                 check_auth, "propagationSec", (json_int_t)prop, "resolvers", resolvers,
	                 "propagationTimeoutSec", (json_int_t)prop_timeout,
	                 "propagationIntervalSec", (json_int_t)interval, "nameserverPort",
	                 (json_int_t)ns_port);
	return 0;
}
