/* pagodad: flags, start-up, signal handling. */
#include "application/app_http.h"
#include "application/application.h"
#include "audit/audit_http.h"
#include "auth/auth.h"
#include "auth/auth_http.h"
#include "cluster/cluster.h"
#include "cluster/cluster_http.h"
#include "common/pg_log.h"
#include "common/pg_tune.h"
#include "http/http.h"
#include "http/http_tls_auto.h"
#include "common/pg_embed.h"
#include "common/pg_file.h"
#include "lua/plua.h"
#include "lua/plua_http.h"
#include "metrics/metrics_http.h"
#include "nginx/nginx_http.h"
#include "common/pg_secret.h"
#include "config/config.h"
#include "config/config_http.h"
#include "alert/alert.h"
#include "alert/alert_http.h"
#include "drift/drift.h"
#include "drift/drift_http.h"
#include "registry/registry.h"
#include "registry/registry_http.h"
#include "ssl/ssl.h"
#include "ui/ui.h"
#include "ssl/ssl_http.h"
#include "pagodad.h"
#include "common/pg_json.h"
#include "store/store.h"

#include <curl/curl.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PAGODA_VERSION "0.1.0"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: pagodad --listen HOST:PORT --data-dir DIR [options]\n"
		"  --listen HOST:PORT          address of the REST API (e.g. 127.0.0.1:8080)\n"
		"  --data-dir DIR              database, admin token and keys (created 0700)\n"
		"  --store sqlite|URL          sqlite (default: DIR/pagoda.db) or postgres://...\n"
		"                              (replicas share one database and DIR/master.key)\n"
		"  --lua-dir DIR               overrides of bundled Lua files, same relative paths\n"
		"                              (policies/batch.lua, templates/nginx_site.tpl, ...)\n"
		"  --plugin-dir DIR            operator Lua plugins (dns/NAME.lua, notify/NAME.lua)\n"
		"  --acme-allow-http           admit http:// ACME directories (test CAs only)\n"
		"  --plugin-settings FILE      JSON settings of plugins, {\"dns\": {\"exec\": {\"command\":\n"
		"                              [...]}}}: what only the operator may choose (re-read on SIGHUP)\n"
		"  --tls-cert FILE --tls-key FILE  serve HTTPS with this certificate\n"
		"  --tls auto                  serve HTTPS with a private CA made on first start\n"
		"                              (DIR/tls/); prints the CA fingerprint for agents\n"
		"  --tls-san NAME              another DNS name or IP address for --tls auto's\n"
		"                              server certificate (repeatable; localhost, the\n"
		"                              loopback addresses, the host name and the listen\n"
		"                              address are always in)\n"
		"  --heartbeat-interval SEC    agent heartbeat interval (default 10);\n"
		"                              a node is offline after 2.5 intervals without one\n"
		"  --poll-wait SEC             longest agent long poll (default 30)\n"
		"  --lease-grace SEC           added to a task's timeout for its lease (default 30)\n"
		"  --retry-backoff MS          first retry delay, doubled per attempt (default 2000)\n"
		"  --http-threads N            HTTP worker threads (default 4)\n"
		"  --max-body BYTES            largest request body (default 8388608; 65536 on\n"
		"                              routes without a token)\n"
		"  --max-bodies BYTES          request bodies held in memory at once, all\n"
		"                              connections together (default 134217728); past it 503\n"
		"  --header-timeout SEC        a connection without a valid token sends its request\n"
		"                              headers within this of accept or of its last answer\n"
		"                              (default 10), however slowly it trickles bytes\n"
		"  --body-timeout SEC          ... and its body within this of the headers (default 60)\n"
		"  --max-conns-per-ip N        connections without a valid token per address\n"
		"                              (default 256); half of all connections stay for\n"
		"                              agents and admins\n"
		"  --log-level LEVEL           debug, info, warn or error (default info)\n"
		"  --log-format FORMAT         json (one object per line, default) or text\n"
		"  --cert-scan MS              how often certificates due for issuance or renewal\n"
		"                              are looked at (default 60000)\n"
		"  --cert-retry MS             first retry after a failed issuance, doubled up to a\n"
		"                              day (default 60000)\n"
		"  --upstream-debounce MS      how long a new upstream rendering must hold before\n"
		"                              nginx is updated (default 2000)\n"
		"  --alert-interval MS         how often alert rules are evaluated (default 5000)\n"
		"  --alert-retry MS            first retry of a failed alert delivery, doubled up\n"
		"                              to 10 minutes, 10 attempts (default 5000)\n"
		"  --auth-fail-limit N         failed authentications per address and minute before\n"
		"                              it is refused for a minute (default 20; 0: off)\n"
		"  --metrics-public            serve GET /metrics without a token (default: it\n"
		"                              needs admin:metrics:read)\n"
		"  --routes                    print the API's routes and permission codes (JSON)\n"
		"  --version, --help\n");
}

static void health(struct http_req *req)
{
	struct pagodad *app = req->app;
	json_t *led = json_array();
	unsigned roles = store_leader_roles(app->store);
	for (int r = 0; r < STORE_ROLE_COUNT; r++)
		if (roles & (1u << r))
			json_array_append_new(led, json_string(store_role_name(r)));
	http_reply(req, 200, json_pack("{s:s, s:s, s:i, s:s, s:o}", "status", "ok", "version", PAGODA_VERSION,
				       "schemaVersion", store_schema_version(app->store), "store",
				       store_driver_name(app->store), "leads", led));
}

/* Node liveness reaches the registry through this hook: cluster/ does not
 * know the registry, and the registry does not read cluster tables. */
static void node_status(void *arg, int64_t node_id, bool online)
{
	struct pagodad *app = arg;
	if (app->registry)
		registry_node_status(app->registry, node_id, online);
}

/* Sealed task payloads (certificate keys) are opened at delivery with the
 * master key. */
static int unseal(void *arg, const char *sealed, const char *context, char **plain, struct pg_err *err)
{
	size_t len;
	return pg_secret_open(arg, sealed, context, plain, &len, err);
}

static int seal(void *arg, const char *plain, const char *context, char **sealed, struct pg_err *err)
{
	return pg_secret_seal(arg, plain, strlen(plain), context, sealed, err);
}

/* The store's key check (migration 0008): made with this key on first
 * start, opened on every later one, so a replica or a restore with another
 * master.key stops here instead of writing secrets nobody else can open. */
static int key_check(struct store *store, const struct pg_secret_key *key, const char *data_dir, struct pg_err *err)
{
	static const char ctx[] = "pagoda-store-key-check";
	char *sealed = NULL, *plain = NULL;
	size_t len;
	struct store_conn *c = store_conn_get(store, err);
	int rc = c ? pg_secret_seal(key, "pagoda", 6, ctx, &sealed, err) : err->code;
	if (rc == 0 && (rc = store_begin(c, STORE_TX_WRITE, err)) == 0) {
		rc = store_ok(store_run(c, "INSERT INTO store_key_check (id, sealed) VALUES (1, $1) ON CONFLICT (id) DO NOTHING",
					err, ST(sealed)));
		struct store_stmt *st = NULL;
		int got = rc == 0 ? store_query(c, "SELECT sealed FROM store_key_check WHERE id = 1", &st, err) : rc;
		if (got > 0 && pg_secret_open(key, store_col_text(st, 0), ctx, &plain, &len, err) != 0)
			rc = pg_err_set(err, PG_EPRECOND, "master.key",
					"%s/master.key does not open this store's secrets: it is not the key the store was "
					"made with (every replica, and a restore, needs that same master.key)",
					data_dir);
		else if (got <= 0)
			rc = got < 0 ? got : pg_err_set(err, PG_EINTERNAL, "", "the store has no key check");
		if (st)
			store_done(st);
		rc = rc == 0 ? store_commit(c, err) : (store_rollback(c), rc);
	}
	free(sealed);
	free(plain);
	return rc;
}

static bool cert_in_use(void *arg, int64_t id, char *by, size_t len)
{
	struct pagodad *app = arg;
	return app->application && app_certificate_in_use(app->application, id, by, len);
}

static int cert_nodes(void *arg, struct store_conn *c, int64_t id, json_t *node_ids, struct pg_err *err)
{
	struct pagodad *app = arg;
	return app->application ? app_certificate_nodes(app->application, c, id, node_ids, err) : 0;
}

/* Releases reach the certificate center through these: application/ does
 * not link ssl/. */
static int cert_paths(void *arg, int64_t id, char cp[300], char kp[300], struct pg_err *err)
{
	return ssl_cert_paths(arg, id, cp, kp, err);
}

static int cert_deploy(void *arg, struct store_conn *c, const struct pg_call *call, int64_t id, int64_t node,
		       const char *once, int64_t *task, struct pg_err *err)
{
	return ssl_deploy_node(arg, c, call, id, node, once, task, err);
}

/* Tasks report their outcome to drift, which records what succeeded ones
 * put on their node. */
static int task_done(void *arg, struct store_conn *c, const struct cluster_task_done *d, struct pg_err *err)
{
	struct pagodad *app = arg;
	return app->drift ? drift_task_done(app->drift, c, d, err) : 0;
}

/* A finished release task moves its release on without waiting for a tick. */
static void task_settled(void *arg, const char *owner)
{
	struct pagodad *app = arg;
	if (app->application && strncmp(owner, "app:", 4) == 0)
		app_kick(app->application);
}

/* Drift asks applications for their context: targets, releases in flight. */
static int owner_view(void *arg, const char *owner, json_t **view, struct pg_err *err)
{
	struct pagodad *app = arg;
	long long id;
	char rest;
	*view = NULL;
	if (sscanf(owner, "app:%lld%c", &id, &rest) == 1)
		return app->application ? app_drift_view(app->application, id, view, err) : 0;
	return 0;
}

/* Alerts read certificates and releases through these. */
static int alert_certs(void *arg, json_t **out, struct pg_err *err)
{
	struct pagodad *app = arg;
	return ssl_list(app->ssl, out, err);
}

static int alert_releases(void *arg, json_t **out, struct pg_err *err)
{
	struct pagodad *app = arg;
	return app_release_summary(app->application, out, err);
}

/* The CA of --tls auto, for agents that enrol by its fingerprint: public
 * by nature, and useless to an attacker who cannot forge the fingerprint. */
static void ca_pem(struct http_req *req)
{
	struct pagodad *app = req->app;
	char path[600], *pem = NULL;
	size_t len;
	struct pg_err err = {0};
	snprintf(path, sizeof(path), "%s/tls/ca.crt", app->data_dir);
	if (access(path, R_OK) != 0) {
		http_reply_error(req, PG_ENOTFOUND, "", "no private CA: pagodad runs without --tls auto");
		return;
	}
	if (pg_file_read(path, 1 << 16, &pem, &len, &err) != 0) {
		http_reply_err(req, &err);
		return;
	}
	http_reply_text(req, 200, pem, "application/x-pem-file");
	free(pem);
}

extern const struct pg_embedded pagodad_openapi[];

/* docs/openapi.yaml as JSON: public, like the API's shape it describes. */
static void openapi(struct http_req *req)
{
	http_reply_text(req, 200, pagodad_openapi[0].data, "application/json");
}

static const struct http_route main_routes[] = {
	{.method = "GET", .path = "/openapi.json", .auth = HTTP_AUTH_NONE, .fn = openapi},
	{.method = "GET", .path = "/healthz", .auth = HTTP_AUTH_NONE, .fn = health},
	{.method = "GET", .path = "/ca.pem", .auth = HTTP_AUTH_NONE, .fn = ca_pem},
	{0},
};

/* The last slot is /metrics, public or not as --metrics-public says. */
static const struct http_route *all_routes[] = {
	main_routes, auth_routes, cluster_admin_routes, cluster_agent_routes, audit_routes,
	plua_routes, nginx_routes, registry_routes, config_routes, app_routes, ssl_routes, drift_routes, alert_routes,
	ui_routes, metrics_routes, NULL,
};

/* `pagodad --routes`: the router table and the permission codes as JSON,
 * for the permission-matrix and bad-input tests and for API documentation
 * checks: what is served is what gets tested. */
static void print_routes(void)
{
	static const char *const auth[] = {"none", "admin", "agent"};
	json_t *routes = json_array(), *perms = json_array();
	for (size_t t = 0; all_routes[t]; t++)
		for (const struct http_route *r = all_routes[t]; r->method; r++)
			json_array_append_new(routes, json_pack("{s:s, s:s, s:s, s:s?}", "method", r->method, "path", r->path,
								"auth", auth[r->auth], "perm", r->perm));
	for (size_t i = 0; auth_perm_codes[i]; i++)
		json_array_append_new(perms, json_string(auth_perm_codes[i]));
	json_t *out = json_pack("{s:o, s:o}", "routes", routes, "permissions", perms);
	char *text = json_dumps(out, JSON_INDENT(1));
	puts(text);
	free(text);
	json_decref(out);
}

struct flags {
	const char *listen, *data_dir, *lua_dir, *plugin_dir, *plugin_settings, *tls_cert, *tls_key, *store;
	bool tls_auto;
	const char *tls_san[16];
	size_t ntls_san;
	long threads, max_body, max_bodies, auth_fail_limit, header_timeout, body_timeout, conns_per_ip;
	bool metrics_public, acme_allow_http;
	int64_t upstream_debounce_ms, cert_scan_ms, cert_retry_ms, alert_interval_ms, alert_retry_ms;
	struct cluster_opts cluster;
};

static bool num(const char *s, long min, long max, long *out)
{
	int64_t v;
	if (!pg_parse_i64(s, &v) || v < min || v > max)
		return false;
	*out = (long)v;
	return true;
}

static int parse_flags(int argc, char **argv, struct flags *f)
{
	enum { O_LISTEN = 256, O_DATA, O_LUA, O_PLUGIN, O_CERT, O_KEY, O_HB, O_WAIT, O_GRACE,
	       O_BACKOFF, O_THREADS, O_BODY, O_LOG, O_VERSION, O_HELP, O_DEBOUNCE, O_CSCAN, O_CRETRY,
	       O_AINTERVAL, O_ARETRY, O_MPUBLIC, O_LFORMAT, O_STORE, O_AUTHLIMIT, O_TLS, O_TLSSAN, O_ROUTES,
	       O_PSETTINGS, O_BODIES, O_HTIMEOUT, O_BTIMEOUT, O_PERIP, O_ACMEHTTP };
	static const struct option opts[] = {
		{"listen", 1, 0, O_LISTEN},	    {"data-dir", 1, 0, O_DATA},
		{"lua-dir", 1, 0, O_LUA},	    {"plugin-dir", 1, 0, O_PLUGIN},
		{"tls-cert", 1, 0, O_CERT},	    {"tls-key", 1, 0, O_KEY},
		{"heartbeat-interval", 1, 0, O_HB}, {"poll-wait", 1, 0, O_WAIT},
		{"lease-grace", 1, 0, O_GRACE},	    {"retry-backoff", 1, 0, O_BACKOFF},
		{"http-threads", 1, 0, O_THREADS},  {"max-body", 1, 0, O_BODY},
		{"log-level", 1, 0, O_LOG},	    {"version", 0, 0, O_VERSION},
		{"help", 0, 0, O_HELP},		    {"upstream-debounce", 1, 0, O_DEBOUNCE},
		{"cert-scan", 1, 0, O_CSCAN},	    {"cert-retry", 1, 0, O_CRETRY},
		{"alert-interval", 1, 0, O_AINTERVAL}, {"alert-retry", 1, 0, O_ARETRY},
		{"metrics-public", 0, 0, O_MPUBLIC},  {"log-format", 1, 0, O_LFORMAT},
		{"store", 1, 0, O_STORE},	    {"auth-fail-limit", 1, 0, O_AUTHLIMIT},
		{"tls", 1, 0, O_TLS},		    {"tls-san", 1, 0, O_TLSSAN},
		{"routes", 0, 0, O_ROUTES},	    {"plugin-settings", 1, 0, O_PSETTINGS},
		{"max-bodies", 1, 0, O_BODIES},	    {"header-timeout", 1, 0, O_HTIMEOUT},
		{"body-timeout", 1, 0, O_BTIMEOUT}, {"max-conns-per-ip", 1, 0, O_PERIP},
		{"acme-allow-http", 0, 0, O_ACMEHTTP},
		{0, 0, 0, 0},
	};
	cluster_opts_default(&f->cluster);
	f->threads = 4;
	f->auth_fail_limit = 20;
	f->upstream_debounce_ms = 2000;
	f->cert_scan_ms = 60000;
	f->cert_retry_ms = 60000;
	f->max_body = 8 << 20;
	int c;
	long v;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case O_LISTEN: f->listen = optarg; break;
		case O_DATA: f->data_dir = optarg; break;
		case O_LUA: f->lua_dir = optarg; break;
		case O_PLUGIN: f->plugin_dir = optarg; break;
		case O_PSETTINGS: f->plugin_settings = optarg; break;
		case O_ACMEHTTP: f->acme_allow_http = true; break;
		case O_HTIMEOUT:
			if (!num(optarg, 1, 3600, &f->header_timeout))
				goto bad;
			break;
		case O_BTIMEOUT:
			if (!num(optarg, 1, 3600, &f->body_timeout))
				goto bad;
			break;
		case O_PERIP:
			if (!num(optarg, 1, 1000000, &f->conns_per_ip))
				goto bad;
			break;
		case O_BODIES:
			if (!num(optarg, 1024, 1L << 34, &f->max_bodies))
				goto bad;
			break;
		case O_CERT: f->tls_cert = optarg; break;
		case O_KEY: f->tls_key = optarg; break;
		case O_HB:
			if (!num(optarg, 1, 3600, &v))
				goto bad;
			f->cluster.heartbeat_interval_ms = v * 1000;
			break;
		case O_WAIT:
			if (!num(optarg, 1, 300, &v))
				goto bad;
			f->cluster.poll_wait_max_ms = v * 1000;
			break;
		case O_GRACE:
			if (!num(optarg, 0, 3600, &v))
				goto bad;
			f->cluster.lease_grace_ms = v * 1000;
			break;
		case O_BACKOFF:
			if (!num(optarg, 1, 3600000, &v))
				goto bad;
			f->cluster.retry_backoff_ms = v;
			break;
		case O_THREADS:
			if (!num(optarg, 1, 256, &f->threads))
				goto bad;
			break;
		case O_BODY:
			if (!num(optarg, 1024, 1L << 30, &f->max_body))
				goto bad;
			break;
		case O_LOG: {
			enum pg_log_level l;
			if (!pg_log_parse_level(optarg, &l))
				goto bad;
			pg_log_set_level(l);
			break;
		}
		case O_LFORMAT: {
			enum pg_log_format lf;
			if (!pg_log_parse_format(optarg, &lf))
				goto bad;
			pg_log_set_format(lf);
			break;
		}
		case O_DEBOUNCE:
			if (!num(optarg, 0, 600000, &v))
				goto bad;
			f->upstream_debounce_ms = v;
			break;
		case O_CSCAN:
			if (!num(optarg, 100, 86400000, &v))
				goto bad;
			f->cert_scan_ms = v;
			break;
		case O_CRETRY:
			if (!num(optarg, 100, 86400000, &v))
				goto bad;
			f->cert_retry_ms = v;
			break;
		case O_AINTERVAL:
			if (!num(optarg, 100, 3600000, &v))
				goto bad;
			f->alert_interval_ms = v;
			break;
		case O_ARETRY:
			if (!num(optarg, 100, 3600000, &v))
				goto bad;
			f->alert_retry_ms = v;
			break;
		case O_MPUBLIC: f->metrics_public = true; break;
		case O_AUTHLIMIT:
			if (!num(optarg, 0, 1000000, &f->auth_fail_limit))
				goto bad;
			break;
		case O_TLS:
			if (strcmp(optarg, "auto") != 0)
				goto bad;
			f->tls_auto = true;
			break;
		case O_TLSSAN:
			if (f->ntls_san == sizeof(f->tls_san) / sizeof(f->tls_san[0]) || !*optarg ||
			    strlen(optarg) > 253 ||
			    strspn(optarg, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:") !=
				    strlen(optarg))
				goto bad;
			f->tls_san[f->ntls_san++] = optarg;
			break;
		case O_STORE:
			if (strcmp(optarg, "sqlite") != 0 && !store_is_postgres(optarg))
				goto bad;
			f->store = optarg;
			break;
		case O_VERSION: printf("pagodad %s\n", PAGODA_VERSION); return 1;
		case O_ROUTES: print_routes(); return 1;
		case O_HELP: usage(stdout); return 1;
		default: usage(stderr); return -1;
		}
		continue;
bad:
		fprintf(stderr, "pagodad: bad value '%s' for --%s\n", optarg, opts[c - O_LISTEN].name);
		return -1;
	}
	if (optind < argc || !f->listen || !f->data_dir || (!f->tls_cert != !f->tls_key) ||
	    (f->tls_auto && f->tls_cert)) {
		fprintf(stderr, "pagodad: --listen and --data-dir are required; --tls-cert and "
				"--tls-key go together, and not with --tls auto\n");
		usage(stderr);
		return -1;
	}
	return 0;
}

/* The names --tls auto's server certificate carries: the loopback ones,
 * this host's name, the listen address when it is a specific one, and
 * every --tls-san. */
static int tls_auto(const struct flags *f, struct http_tls_files *tls, struct pg_err *err)
{
	const char *names[32] = {"localhost", "127.0.0.1", "::1"};
	size_t n = 3;
	char host[256] = "", listen[256];
	if (gethostname(host, sizeof(host) - 1) == 0 && *host && strcmp(host, "localhost") != 0)
		names[n++] = host;
	snprintf(listen, sizeof(listen), "%s", f->listen);
	char *colon = strrchr(listen, ':'), *h = listen;
	if (colon)
		*colon = '\0';
	if (*h == '[' && h[strlen(h) - 1] == ']') {
		h[strlen(h) - 1] = '\0';
		h++;
	}
	bool any = !*h || strcmp(h, "0.0.0.0") == 0 || strcmp(h, "::") == 0;
	if (!any && strcmp(h, "localhost") && strcmp(h, "127.0.0.1") && strcmp(h, "::1") && strcmp(h, host))
		names[n++] = h;
	for (size_t i = 0; i < f->ntls_san; i++)
		names[n++] = f->tls_san[i];
	int rc = http_tls_auto(f->data_dir, names, n, tls, err);
	if (rc == 0) {
		fprintf(stderr,
			"pagodad: HTTPS with the private CA %s\n"
			"pagodad: CA fingerprint sha256:%s\n"
			"pagodad: agents trust it with --ca-file (a copy of that file) or --ca-fingerprint sha256:%s\n",
			tls->ca, tls->fingerprint, tls->fingerprint);
		pg_info("main", "TLS: private CA %s, fingerprint sha256:%s", tls->ca, tls->fingerprint);
	}
	return rc;
}

static int check_dir(const char *flag, const char *dir)
{
	struct stat st;
	if (dir && (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))) {
		fprintf(stderr, "pagodad: %s %s is not a directory\n", flag, dir);
		return -1;
	}
	return 0;
}

/* The data dir and what pagodad keeps in it hold every secret: refuse to
 * run on them when other users may read them (master.key is checked where
 * it is loaded). */
static int check_private(const char *dir)
{
	static const char *const names[] = {"", "pagoda.db", "admin.token", "tls/ca.key", "tls/server.key", NULL};
	for (int i = 0; names[i]; i++) {
		char path[4096];
		struct stat st;
		snprintf(path, sizeof(path), "%s%s%s", dir, *names[i] ? "/" : "", names[i]);
		if (stat(path, &st) == 0 && (st.st_mode & 077)) {
			fprintf(stderr, "pagodad: %s is open to other users (mode %04o): chmod %s %s\n", path,
				(unsigned)(st.st_mode & 07777), *names[i] ? "600" : "700", path);
			return -1;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct flags f = {0};
	int r = parse_flags(argc, argv, &f);
	if (r != 0)
		return r > 0 ? 0 : 2;
	umask(077); /* the database and keys are for pagodad's user alone */
	if (mkdir(f.data_dir, 0700) != 0 && errno != EEXIST) {
		fprintf(stderr, "pagodad: cannot create --data-dir %s: %s\n", f.data_dir, strerror(errno));
		return 1;
	}
	if (check_dir("--data-dir", f.data_dir) || check_dir("--lua-dir", f.lua_dir) ||
	    check_dir("--plugin-dir", f.plugin_dir) || check_private(f.data_dir))
		return 1;
	pg_tune_process();
	curl_global_init(CURL_GLOBAL_DEFAULT); /* before any thread: plugins use libcurl */

	/* Signals go to the main thread only, through sigwait below. */
	sigset_t sigs;
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);

	char path[4096];
	struct pg_err err = {0};
	struct pagodad app = {.data_dir = f.data_dir};
	struct http_server *srv = NULL;
	int status = 1;
	snprintf(path, sizeof(path), "%s/pagoda.db", f.data_dir);
	if (store_open(f.store && strcmp(f.store, "sqlite") != 0 ? f.store : path, &app.store, &err) != 0) {
		fprintf(stderr, "pagodad: %s\n", err.message);
		return 1;
	}
	snprintf(path, sizeof(path), "%s/admin.token", f.data_dir);
	struct plua_opts lopts = {.lua_dir = f.lua_dir, .plugin_dir = f.plugin_dir,
				  .plugin_settings = f.plugin_settings, .store = app.store};
	struct pg_secret_key key;
	f.cluster.on_node_status = node_status;
	f.cluster.on_node_status_arg = &app;
	f.cluster.unseal = unseal;
	f.cluster.unseal_arg = &key;
	f.cluster.seal = seal;
	f.cluster.on_task_done = task_done;
	f.cluster.on_task_done_arg = &app;
	f.cluster.on_task_settled = task_settled;
	f.cluster.on_task_settled_arg = &app;
	struct ssl_opts sopts = {.scan_ms = f.cert_scan_ms, .retry_base_ms = f.cert_retry_ms,
				 .allow_http_directory = f.acme_allow_http,
				 .in_use = cert_in_use, .nodes_using = cert_nodes, .in_use_arg = &app};
	if (pg_secret_key_load(f.data_dir, &key, &err) != 0 || key_check(app.store, &key, f.data_dir, &err) != 0 ||
	    auth_bootstrap(app.store, path, &err) != 0 ||
	    cluster_new(app.store, &f.cluster, &app.cluster, &err) != 0 ||
	    plua_new(&lopts, &app.lua, &err) != 0 ||
	    registry_new(app.store, app.cluster, &app.registry, &err) != 0 ||
	    config_new(app.store, app.lua, app.cluster, &key, &app.config, &err) != 0 ||
	    app_new(app.store, app.cluster, app.registry, app.config, app.lua, f.upstream_debounce_ms,
		    &app.application, &err) != 0 ||
	    ssl_new(app.store, &key, app.lua, app.cluster, &sopts, &app.ssl, &err) != 0 ||
	    drift_new(app.store, app.cluster, app.lua, &(struct drift_owners){.arg = &app, .view = owner_view}, 0,
		      &app.drift, &err) != 0 ||
	    alert_new(app.store, app.cluster, app.drift, app.lua, &key,
		      &(struct alert_opts){.interval_ms = f.alert_interval_ms,
					   .retry_base_ms = f.alert_retry_ms,
					   .sources = {.arg = &app, .certs = alert_certs, .releases = alert_releases}},
		      &app.alert, &err) != 0) {
		fprintf(stderr, "pagodad: %s\n", err.message);
		goto out;
	}
	app_set_certs(app.application, &(struct app_certs){.arg = app.ssl, .paths = cert_paths, .deploy = cert_deploy});
	if (f.metrics_public)
		all_routes[sizeof(all_routes) / sizeof(all_routes[0]) - 2] = metrics_public_routes;
	struct http_tls_files tls;
	if (f.tls_auto) {
		if (tls_auto(&f, &tls, &err) != 0) {
			fprintf(stderr, "pagodad: --tls auto: %s\n", err.message);
			goto out;
		}
		f.tls_cert = tls.cert;
		f.tls_key = tls.key;
	}
	struct http_server_opts hopts = {
		.listen = f.listen,
		.tls_cert_file = f.tls_cert,
		.tls_key_file = f.tls_key,
		.threads = (unsigned)f.threads,
		.max_body = (size_t)f.max_body,
		.max_bodies = (size_t)f.max_bodies,
		.auth_fail_limit = (int)f.auth_fail_limit,
		.header_ms = f.header_timeout * 1000,
		.body_ms = f.body_timeout * 1000,
		.conns_per_ip = (unsigned)f.conns_per_ip,
		.tables = all_routes,
		.store = app.store,
		.app = &app,
	};
	if (http_server_start(&hopts, &srv, &err) != 0) {
		fprintf(stderr, "pagodad: %s\n", err.message);
		goto out;
	}
	pg_info("main", "pagodad %s listening on %s (port %u), data in %s, %s store", PAGODA_VERSION, f.listen,
		http_server_port(srv), f.data_dir, store_driver_name(app.store));
	for (;;) {
		int sig = 0;
		sigwait(&sigs, &sig);
		if (sig == SIGHUP) {
			static const struct pg_call hup = {"system:SIGHUP", NULL, NULL};
			pg_info("main", "SIGHUP: reloading Lua policies, templates and plugins");
			plua_reload_settings(app.lua);
			plua_reload(app.lua, &hup, 1);
			continue;
		}
		pg_info("main", "signal %d: shutting down", sig);
		break;
	}
	status = 0;
out:
	cluster_shutdown(app.cluster);
	registry_shutdown(app.registry);
	if (srv) {
		usleep(200 * 1000); /* let answered long polls leave */
		http_server_stop(srv);
	}
	alert_free(app.alert);
	ssl_free(app.ssl);
	drift_free(app.drift);
	app_free(app.application);
	config_free(app.config);
	cluster_free(app.cluster);
	registry_free(app.registry);
	plua_free(app.lua);
	store_free(app.store);
	explicit_bzero(&key, sizeof(key));
	return status;
}
