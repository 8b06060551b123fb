/* pagodad: flags, start-up, signal handling. */
#include "application/app_http.h"
#include "application/application.h"
#include "audit/audit_http.h"
#include "auth/auth.h"
#include "backup/backup.h"
#include "blob/blob.h"
#include "upgrade/upgrade.h"
#include "auth/auth_http.h"
#include "cluster/cluster.h"
#include "cluster/cluster_http.h"
#include "common/pg_log.h"
#include "common/pg_notify.h"
#include "common/pg_tune.h"
#include "http/http.h"
#include "install/install.h"
#include "http/http_tls_auto.h"
#include "http/http_waitset.h"
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
#include "pagodad_settings.h"
#include "common/pg_json.h"
#include "store/store.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void health(struct http_req *req)
{
	struct pagodad *app = req->app;
	json_t *led = json_array();
	unsigned roles = store_leader_roles(app->store);
	for (int r = 0; r < STORE_ROLE_COUNT; r++)
		if (roles & (1u << r))
			json_array_append_new(led, json_string(store_role_name(r)));
	http_reply(req, 200,
	           json_pack("{s:s, s:s, s:i, s:s, s:o}", "status", "ok", "version", PAGODA_VERSION,
	                     "schemaVersion", store_schema_version(app->store), "store",
	                     store_driver_name(app->store), "leads", led));
}

/* The HTTP server asks auth/ who a token is through these: http/ does not
 * link auth/. */
static int authenticate(void *arg, const char *token, struct auth_principal *who,
                        struct pg_err *err)
{
	struct store_conn *c = store_conn_get(arg, err);
	return c ? auth_verify(c, token, who, err) : err->code;
}

static bool authorize(const struct auth_principal *who, const char *perm)
{
	return auth_has_perm(who, perm);
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
static int unseal(void *arg, const char *sealed, const char *context, char **plain,
                  struct pg_err *err)
{
	size_t len;
	return pg_secret_open(arg, sealed, context, plain, &len, err);
}

static int seal(void *arg, const char *plain, const char *context, char **sealed,
                struct pg_err *err)
{
	return pg_secret_seal(arg, plain, strlen(plain), context, sealed, err);
}

/* The store's key check (migration 0008): made with this key on first
 * start, opened on every later one, so a replica or a restore with another
 * master.key stops here instead of writing secrets nobody else can open. */
static int key_check(struct store *store, const struct pg_secret_key *key, const char *data_dir,
                     struct pg_err *err)
{
	static const char ctx[] = "pagoda-store-key-check";
	char *sealed = NULL, *plain = NULL;
	size_t len;
	struct store_conn *c = store_conn_get(store, err);
	int rc = c ? pg_secret_seal(key, "pagoda", 6, ctx, &sealed, err) : err->code;
	if (rc == 0 && (rc = store_begin(c, STORE_TX_WRITE, err)) == 0) {
		rc = store_ok(store_run(c,
		                        "INSERT INTO store_key_check (id, sealed) VALUES (1, $1) "
		                        "ON CONFLICT (id) DO NOTHING",
		                        err, ST(sealed)));
		struct store_stmt *st = NULL;
		int got =
		        rc == 0 ? store_query(c, "SELECT sealed FROM store_key_check WHERE id = 1",
		                              &st, err)
		                : rc;
		if (got > 0 &&
		    pg_secret_open(key, store_col_text(st, 0), ctx, &plain, &len, err) != 0)
			rc = pg_err_set(err, PG_EPRECOND, "master.key",
			                "%s/master.key does not open this store's secrets: it is "
			                "not the key the store was "
			                "made with (every replica, and a restore, needs that same "
			                "master.key)",
			                data_dir);
		else if (got <= 0)
			rc = got < 0 ? got
			             : pg_err_set(err, PG_EINTERNAL, "",
			                          "the store has no key check");
		if (st)
			store_done(st);
		rc = store_end(c, rc, err);
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

static int cert_nodes(void *arg, struct store_conn *c, int64_t id, json_t *node_ids,
                      struct pg_err *err)
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

static int cert_deploy(void *arg, struct store_conn *c, const struct pg_call *call, int64_t id,
                       int64_t node, const char *once, int64_t *task, struct pg_err *err)
{
	return ssl_deploy_node(arg, c, call, id, node, once, task, err);
}

/* Tasks report their outcome to drift, which records what succeeded ones
 * put on their node. */
static int task_done(void *arg, struct store_conn *c, const struct cluster_task_done *d,
                     struct pg_err *err)
{
	struct pagodad *app = arg;
	return app->drift ? drift_task_done(app->drift, c, d, err) : 0;
}

/* A finished release task moves its release on without waiting for a tick. */
static void task_settled(void *arg, const char *owner)
{
	struct pagodad *app = arg;
	if (app->application && strncmp(owner, "app:", 4) == 0)
		app_kick_everywhere(app->application);
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

static int alert_jobs(void *arg, json_t **out, struct pg_err *err)
{
	struct pagodad *app = arg;
	return app_jobs(app->application, out, err);
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
		http_reply_error(req, PG_ENOTFOUND, "",
		                 "no private CA: pagodad runs without --tls auto");
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
        main_routes,    auth_routes,    cluster_admin_routes, cluster_agent_routes,
        audit_routes,   plua_routes,    nginx_routes,         registry_routes,
        config_routes,  app_routes,     ssl_routes,           drift_routes,
        alert_routes,   install_routes, backup_routes,        blob_routes,
        upgrade_routes, ui_routes,      metrics_routes,       NULL,
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
			json_array_append_new(
			        routes, json_pack("{s:s, s:s, s:s, s:s?, s:b}", "method", r->method,
			                          "path", r->path, "auth", auth[r->auth], "perm",
			                          r->perm, "upload", r->upload));
	for (size_t i = 0; auth_perm_codes[i]; i++)
		json_array_append_new(perms, json_string(auth_perm_codes[i]));
	json_t *out = json_pack("{s:o, s:o}", "routes", routes, "permissions", perms);
	char *text = json_dumps(out, JSON_INDENT(1));
	puts(text);
	free(text);
	json_decref(out);
}

/* The names --tls auto's server certificate carries: the loopback ones,
 * this host's name, the listen address when it is a specific one (else
 * every address of this host's interfaces, so agents can dial any), and
 * every --tls-san. */
static int tls_auto(const struct pagodad_settings *f, struct http_tls_files *tls,
                    struct pg_err *err)
{
	enum { MAX_NAMES = 64 };
	const char *names[MAX_NAMES] = {"localhost", "127.0.0.1", "::1"};
	char addrs[32][INET6_ADDRSTRLEN];
	size_t n = 3, naddrs = 0;
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
	if (!any && strcmp(h, "localhost") && strcmp(h, "127.0.0.1") && strcmp(h, "::1") &&
	    strcmp(h, host))
		names[n++] = h;
	struct ifaddrs *ifs = NULL;
	if (any && getifaddrs(&ifs) == 0) {
		for (struct ifaddrs *i = ifs; i && naddrs < 32; i = i->ifa_next) {
			if (!i->ifa_addr || (i->ifa_flags & IFF_LOOPBACK))
				continue;
			int fam = i->ifa_addr->sa_family;
			const void *a =
			        fam == AF_INET
			                ? (void *)&((struct sockaddr_in *)i->ifa_addr)->sin_addr
			        : fam == AF_INET6
			                ? (void *)&((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr
			                : NULL;
			if (!a ||
			    (fam == AF_INET6 &&
			     IN6_IS_ADDR_LINKLOCAL((const struct in6_addr *)a)) ||
			    !inet_ntop(fam, a, addrs[naddrs], sizeof(addrs[0])))
				continue;
			names[n++] = addrs[naddrs++];
		}
		freeifaddrs(ifs);
	}
	for (size_t i = 0; i < f->tls_san.n && n < MAX_NAMES; i++)
		names[n++] = f->tls_san.v[i];
	int rc = http_tls_auto(f->data_dir, names, n, tls, err);
	if (rc == 0)
		pg_info("main",
		        "HTTPS with the private CA %s, CA fingerprint sha256:%s: agents trust it "
		        "with "
		        "--ca-file (a copy of that file) or --ca-fingerprint sha256:%s",
		        tls->ca, tls->fingerprint, tls->fingerprint);
	return rc;
}

static int check_dir(const char *flag, const char *dir)
{
	struct stat st;
	if (dir && (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))) {
		pg_error("main", "%s %s is not a directory", flag, dir);
		return -1;
	}
	return 0;
}

/* The data dir and what pagodad keeps in it hold every secret: refuse to
 * run on them when other users may read them (master.key is checked where
 * it is loaded). */
static int check_private(const char *dir)
{
	static const char *const names[] = {"",           "pagoda.db",      "admin.token",
	                                    "tls/ca.key", "tls/server.key", NULL};
	for (int i = 0; names[i]; i++) {
		char path[4096];
		struct stat st;
		snprintf(path, sizeof(path), "%s%s%s", dir, *names[i] ? "/" : "", names[i]);
		if (stat(path, &st) == 0 && (st.st_mode & 077)) {
			pg_error("main", "%s is open to other users (mode %04o): chmod %s %s", path,
			         (unsigned)(st.st_mode & 07777), *names[i] ? "600" : "700", path);
			return -1;
		}
	}
	return 0;
}

/* Applies the settings that are process-wide and spreads the rest into
 * the components' options. */
static void apply_settings(const struct pagodad_settings *f, struct cluster_opts *c)
{
	enum pg_log_level level;
	enum pg_log_format format;
	if (pg_log_parse_level(f->log_level, &level))
		pg_log_set_level(level);
	if (pg_log_parse_format(f->log_format, &format))
		pg_log_set_format(format);
	cluster_opts_default(c);
	c->heartbeat_interval_ms = f->heartbeat_interval * 1000;
	c->poll_wait_max_ms = f->poll_wait * 1000;
	c->lease_grace_ms = f->lease_grace * 1000;
	c->retry_backoff_ms = f->retry_backoff;
}

/* Runs pagodad until SIGINT or SIGTERM. */
static int serve(const struct pagodad_settings *f)
{
	struct cluster_opts copts;
	apply_settings(f, &copts);
	umask(077); /* the database and keys are for pagodad's user alone */
	if (mkdir(f->data_dir, 0700) != 0 && errno != EEXIST) {
		pg_error("main", "cannot create --data-dir %s: %s", f->data_dir, strerror(errno));
		return 1;
	}
	if (check_dir("--data-dir", f->data_dir) || check_dir("--lua-dir", f->lua_dir) ||
	    check_dir("--plugin-dir", f->plugin_dir) ||
	    check_dir("--packages-dir", f->packages_dir) || check_private(f->data_dir))
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
	struct pagodad app = {.data_dir = f->data_dir, .packages_dir = f->packages_dir};
	struct http_server *srv = NULL;
	int status = 1;
	snprintf(path, sizeof(path), "%s/pagoda.db", f->data_dir);
	if (store_open(strcmp(f->store, "sqlite") != 0 ? f->store : path, &app.store, &err) != 0) {
		pg_error("main", "%s", err.message);
		return 1;
	}
	app.polls = http_waitset_new();
	app.config_watch = http_waitset_new();
	app.registry_watch = http_waitset_new();
	if (!app.polls || !app.config_watch || !app.registry_watch) {
		pg_error("main", "cannot start the long-poll waitsets: out of resources");
		goto out;
	}
	snprintf(path, sizeof(path), "%s/admin.token", f->data_dir);
	struct plua_opts lopts = {.lua_dir = f->lua_dir,
	                          .plugin_dir = f->plugin_dir,
	                          .plugin_settings = f->plugin_settings,
	                          .store = app.store};
	struct pg_secret_key key;
	copts.on_node_status = node_status;
	copts.on_node_status_arg = &app;
	copts.unseal = unseal;
	copts.unseal_arg = &key;
	copts.seal = seal;
	copts.wake = http_waitset_hook(app.polls);
	struct pg_wake registry_wake = http_waitset_hook(app.registry_watch),
	               config_wake = http_waitset_hook(app.config_watch);
	copts.on_task_done = task_done;
	copts.on_task_done_arg = &app;
	copts.on_task_settled = task_settled;
	copts.on_task_settled_arg = &app;
	struct ssl_opts sopts = {.scan_ms = f->cert_scan,
	                         .retry_base_ms = f->cert_retry,
	                         .allow_http_directory = f->acme_allow_http,
	                         .in_use = cert_in_use,
	                         .nodes_using = cert_nodes,
	                         .in_use_arg = &app};
	if (pg_secret_key_load(f->data_dir, &key, &err) != 0 ||
	    key_check(app.store, &key, f->data_dir, &err) != 0 ||
	    auth_bootstrap(app.store, path, &err) != 0 ||
	    cluster_new(app.store, &copts, &app.cluster, &err) != 0 ||
	    plua_new(&lopts, &app.lua, &err) != 0 ||
	    registry_new(app.store, app.cluster, &registry_wake, &app.registry, &err) != 0 ||
	    config_new(app.store, app.lua, app.cluster, &key, &config_wake, &app.config, &err) !=
	            0 ||
	    app_new(app.store, app.cluster, app.registry, app.config, app.lua, f->upstream_debounce,
	            &app.application, &err) != 0 ||
	    ssl_new(app.store, &key, app.lua, app.cluster, &sopts, &app.ssl, &err) != 0 ||
	    drift_new(app.store, app.cluster, app.lua,
	              &(struct drift_owners){.arg = &app, .view = owner_view}, 0, &app.drift,
	              &err) != 0 ||
	    alert_new(app.store, app.cluster, app.drift, app.lua, &key,
	              &(struct alert_opts){.interval_ms = f->alert_interval,
	                                   .retry_base_ms = f->alert_retry,
	                                   .sources = {.arg = &app,
	                                               .certs = alert_certs,
	                                               .releases = alert_releases,
	                                               .jobs = alert_jobs}},
	              &app.alert, &err) != 0) {
		pg_error("main", "%s", err.message);
		goto out;
	}
	struct backup_opts bopts = {.store = app.store,
	                            .data_dir = f->data_dir,
	                            .dir = f->backup_dir,
	                            .passphrase_file = f->backup_passphrase_file,
	                            .interval_ms = f->backup_interval * 1000,
	                            .keep = (int)f->backup_keep,
	                            .version = PAGODA_VERSION};
	char blob_dir[4200];
	snprintf(blob_dir, sizeof(blob_dir), "%s/blobs", f->data_dir);
	struct blob_opts blopts = {.store = app.store,
	                           .dir = f->blob_dir ? f->blob_dir : blob_dir,
	                           .max_size = f->blob_max_size};
	if (backup_new(&bopts, &app.backup, &err) != 0 || blob_new(&blopts, &app.blob, &err) != 0 ||
	    upgrade_new(app.store, app.cluster, app.lua, f->packages_dir, &app.upgrade, &err) !=
	            0) {
		pg_error("main", "%s", err.message);
		goto out;
	}
	blob_set_fetch_check(app.blob, app_blob_fetch_allowed, app.application);
	config_set_on_publish(app.config, app_config_published, app.application);
	app_set_certs(
	        app.application,
	        &(struct app_certs){.arg = app.ssl, .paths = cert_paths, .deploy = cert_deploy});
	if (f->metrics_public)
		all_routes[sizeof(all_routes) / sizeof(all_routes[0]) - 2] = metrics_public_routes;
	struct http_tls_files tls;
	const char *tls_cert = f->tls_cert, *tls_key = f->tls_key;
	if (f->tls_auto) {
		if (tls_auto(f, &tls, &err) != 0) {
			pg_error("main", "--tls auto: %s", err.message);
			goto out;
		}
		tls_cert = tls.cert;
		tls_key = tls.key;
	}
	struct http_server_opts hopts = {
	        .listen = f->listen,
	        .tls_cert_file = tls_cert,
	        .tls_key_file = tls_key,
	        .threads = (unsigned)f->threads,
	        .max_body = (size_t)f->max_body,
	        .max_bodies = (size_t)f->max_bodies,
	        .auth_fail_limit = (int)f->auth_fail_limit,
	        .header_ms = f->header_timeout * 1000,
	        .body_ms = f->body_timeout * 1000,
	        .conns_per_ip = (unsigned)f->conns_per_ip,
	        .tables = all_routes,
	        .store = app.store,
	        .app = &app,
	        .authenticate = authenticate,
	        .authorize = authorize,
	        .auth_arg = app.store,
	        .spool_dir = blob_spool_dir(app.blob),
	        .max_upload = blob_max_size(app.blob),
	};
	if (http_server_start(&hopts, &srv, &err) != 0) {
		pg_error("main", "%s", err.message);
		goto out;
	}
	pg_info("main", "pagodad %s listening on %s (port %u), data in %s, %s store",
	        PAGODA_VERSION, f->listen, http_server_port(srv), f->data_dir,
	        store_driver_name(app.store));
	pg_notify("READY=1"); /* the store is open and the listener is up */
	for (;;) {
		int sig = 0;
		sigwait(&sigs, &sig);
		if (sig == SIGHUP) {
			static const struct pg_call hup = {"system:SIGHUP", NULL, NULL};
			pg_notify("RELOADING=1");
			pg_info("main",
			        "SIGHUP: reloading Lua policies, templates, plugins and TLS files");
			plua_reload_settings(app.lua);
			plua_reload(app.lua, &hup, 1);
			struct pg_err terr = {0};
			if (http_server_reload_tls(srv, &terr) != 0)
				pg_error("main",
				         "SIGHUP: TLS files not reloaded, the old ones stay "
				         "served: %s",
				         terr.message);
			else if (tls_cert)
				pg_info("main", "SIGHUP: reloaded the TLS certificate %s",
				        tls_cert);
			pg_notify("READY=1");
			continue;
		}
		pg_notify("STOPPING=1");
		pg_info("main", "signal %d: shutting down", sig);
		break;
	}
	status = 0;
out:
	/* held requests are answered before the server stops */
	http_waitset_shutdown(app.polls);
	http_waitset_shutdown(app.registry_watch);
	http_waitset_shutdown(app.config_watch);
	if (srv) {
		usleep(200 * 1000); /* let answered long polls leave */
		http_server_stop(srv);
	}
	upgrade_free(app.upgrade);
	backup_free(app.backup);
	blob_free(app.blob);
	alert_free(app.alert);
	ssl_free(app.ssl);
	drift_free(app.drift);
	app_free(app.application);
	config_free(app.config);
	cluster_free(app.cluster);
	registry_free(app.registry);
	plua_free(app.lua);
	store_free(app.store);
	http_waitset_free(app.polls);
	http_waitset_free(app.registry_watch);
	http_waitset_free(app.config_watch);
	explicit_bzero(&key, sizeof(key));
	return status;
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "restore") == 0)
		return backup_restore_main(argc - 1, argv + 1);
	struct pagodad_settings f;
	struct pg_conf *conf = NULL;
	struct pg_err err = {0};
	if (pagodad_settings_load(argc, argv, &f, &conf, &err) != 0) {
		fprintf(stderr, "%s\n", err.message);
		pg_conf_free(conf);
		return 2;
	}
	if (f.help || f.version || f.routes || f.print_config) {
		if (f.help)
			pagodad_settings_help(stdout);
		else if (f.version)
			printf("pagodad %s\n", PAGODA_VERSION);
		else if (f.routes)
			print_routes();
		else
			pg_conf_print(conf, &f, stdout);
		pg_conf_free(conf);
		return 0;
	}
	int rc = serve(&f);
	pg_conf_free(conf);
	return rc;
}
