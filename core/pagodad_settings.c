/* pagodad's settings table. */
#include "pagodad_settings.h"
#include "blob/blob.h"
#include "cluster/cluster.h"
#include "common/pg_log.h"
#include "http/http.h"
#include "store/store.h"

#include <stddef.h>
#include <string.h>

#define S(field) offsetof(struct pagodad_settings, field)

static bool valid_store(const char *v)
{
	return strcmp(v, "sqlite") == 0 || store_is_postgres(v);
}

static bool valid_tls(const char *v)
{
	return strcmp(v, "auto") == 0 || strcmp(v, "off") == 0;
}

static bool valid_san(const char *v)
{
	return strlen(v) <= 253 &&
	       strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:") ==
	               strlen(v);
}

/* Sectionless keys first, then each section's together (pg_conf_print
 * writes a [section] header where the prefix changes). */
static const struct pg_conf_opt opts[] = {
        {"config", PG_CONF_STR, S(config), .flags = PG_CONF_FLAG_ONLY, .arg = "FILE",
         .help = "settings file (INI; PAGODA_CONFIG too); flags and PAGODA_* variables\n"
                 "override it (the packaged unit reads /etc/pagoda/pagodad.conf)"},
        {"listen", PG_CONF_STR, S(listen), .arg = "HOST:PORT",
         .help = "address of the REST API (e.g. 127.0.0.1:8080)"},
        {"data-dir", PG_CONF_STR, S(data_dir), .arg = "DIR",
         .help = "database, admin token and keys (created 0700)"},
        {"store", PG_CONF_STR, S(store), .flags = PG_CONF_SECRET, .arg = "sqlite|URL",
         .valid = valid_store,
         .help = "sqlite (default: DIR/pagoda.db) or postgres://...\n"
                 "(replicas share one database and DIR/master.key)"},
        {"lua-dir", PG_CONF_STR, S(lua_dir), .arg = "DIR",
         .help = "overrides of bundled Lua files, same relative paths\n(policies/batch.lua, "
                 "templates/nginx_site.tpl, ...)"},
        {"plugin-dir", PG_CONF_STR, S(plugin_dir), .arg = "DIR",
         .help = "operator Lua plugins (dns/NAME.lua, notify/NAME.lua)"},
        {"plugin-settings", PG_CONF_STR, S(plugin_settings), .arg = "FILE",
         .help = "JSON settings of plugins, {\"dns\": {\"exec\": {\"command\": [...]}}}:\n"
                 "what only the operator may choose (re-read on SIGHUP)"},
        {"packages-dir", PG_CONF_STR, S(packages_dir), .arg = "DIR",
         .help = "agent packages served to joining machines at /install/\n"
                 "(pagoda-agent_VERSION_ARCH.deb; packaged: /usr/share/pagoda/packages)"},
        {"acme-allow-http", PG_CONF_BOOL, S(acme_allow_http),
         .help = "admit http:// ACME directories (test CAs only)"},
        {"tls", PG_CONF_STR, S(tls), .arg = "auto|off", .valid = valid_tls,
         .help = "auto: serve HTTPS with a private CA made on first start (DIR/tls/);\n"
                 "prints the CA fingerprint for agents"},
        {"tls-cert", PG_CONF_STR, S(tls_cert), .arg = "FILE",
         .help = "serve HTTPS with this certificate (and --tls-key)"},
        {"tls-key", PG_CONF_STR, S(tls_key), .arg = "FILE", .help = "the key of --tls-cert"},
        {"tls-san", PG_CONF_LIST, S(tls_san), .arg = "NAME", .valid = valid_san,
         .help = "another DNS name or IP address for --tls auto's server certificate\n"
                 "(repeatable; a comma-separated list in the file; localhost, the loopback\n"
                 "addresses, the host name and the listen address are always in)"},
        {"heartbeat-interval", PG_CONF_INT, S(heartbeat_interval), 1, 3600, .arg = "SEC",
         .help = "agent heartbeat interval (default 10);\na node is offline after 2.5 intervals "
                 "without one"},
        {"poll-wait", PG_CONF_INT, S(poll_wait), 1, 300, .arg = "SEC",
         .help = "longest agent long poll (default 30)"},
        {"lease-grace", PG_CONF_INT, S(lease_grace), 0, 3600, .arg = "SEC",
         .help = "added to a task's timeout for its lease (default 30)"},
        {"retry-backoff", PG_CONF_INT, S(retry_backoff), 1, 3600000, .arg = "MS",
         .help = "first retry delay, doubled per attempt (default 2000)"},
        {"http-threads", PG_CONF_INT, S(threads), 1, 256, .arg = "N",
         .help = "HTTP worker threads (default 4)"},
        {"max-body", PG_CONF_INT, S(max_body), 1024, 1LL << 30, .arg = "BYTES",
         .help = "largest request body (default 8388608; 65536 on routes without a token)"},
        {"max-bodies", PG_CONF_INT, S(max_bodies), 1024, 1LL << 34, .arg = "BYTES",
         .help = "request bodies held in memory at once, all connections together\n(default "
                 "134217728); past it 503"},
        {"header-timeout", PG_CONF_INT, S(header_timeout), 1, 3600, .arg = "SEC",
         .help = "a connection without a valid token sends its request headers within\n"
                 "this of accept or of its last answer (default 10), however slowly"},
        {"body-timeout", PG_CONF_INT, S(body_timeout), 1, 3600, .arg = "SEC",
         .help = "... and its body within this of the headers (default 60)"},
        {"max-conns-per-ip", PG_CONF_INT, S(conns_per_ip), 1, 1000000, .arg = "N",
         .help = "connections without a valid token per address (default 256);\n"
                 "half of all connections stay for agents and admins"},
        {"auth-fail-limit", PG_CONF_INT, S(auth_fail_limit), 0, 1000000, .arg = "N",
         .help = "failed authentications per address and minute before it is refused\nfor a minute "
                 "(default 20; 0: off)"},
        {"log-level", PG_CONF_STR, S(log_level), .arg = "LEVEL", .valid = pg_log_level_ok,
         .help = "debug, info, warn or error (default info)"},
        {"log-format", PG_CONF_STR, S(log_format), .arg = "FORMAT", .valid = pg_log_format_ok,
         .help = "json (one object per line, default) or text"},
        {"cert-scan", PG_CONF_INT, S(cert_scan), 100, 86400000, .arg = "MS",
         .help = "how often certificates due for issuance or renewal are looked at\n(default "
                 "60000)"},
        {"cert-retry", PG_CONF_INT, S(cert_retry), 100, 86400000, .arg = "MS",
         .help = "first retry after a failed issuance, doubled up to a day (default 60000)"},
        {"upstream-debounce", PG_CONF_INT, S(upstream_debounce), 0, 600000, .arg = "MS",
         .help = "how long a new upstream rendering must hold before nginx is updated\n(default "
                 "2000)"},
        {"alert-interval", PG_CONF_INT, S(alert_interval), 100, 3600000, .arg = "MS",
         .help = "how often alert rules are evaluated (default 5000)"},
        {"alert-retry", PG_CONF_INT, S(alert_retry), 100, 3600000, .arg = "MS",
         .help = "first retry of a failed alert delivery, doubled up to 10 minutes,\n10 attempts "
                 "(default 5000)"},
        {"metrics-public", PG_CONF_BOOL, S(metrics_public),
         .help = "serve GET /metrics without a token (default: it needs admin:metrics:read)"},
        {"backup.interval", PG_CONF_INT, S(backup_interval), 0, 365LL * 86400, .arg = "SEC",
         .help = "take an encrypted backup this often (default 0: never; needs\n"
                 "--backup-passphrase-file); the leader replica takes it"},
        {"backup.keep", PG_CONF_INT, S(backup_keep), 1, 10000, .arg = "N",
         .help = "scheduled backups kept, oldest removed first (default 7)"},
        {"backup.dir", PG_CONF_STR, S(backup_dir), .arg = "DIR",
         .help = "where backups go (default DATA-DIR/backups)"},
        {"backup.passphrase-file", PG_CONF_STR, S(backup_passphrase_file), .arg = "FILE",
         .help = "the passphrase of scheduled backups (first line; mode 0600)"},
        {"blob.dir", PG_CONF_STR, S(blob_dir), .arg = "DIR",
         .help = "where uploaded blobs live (default DATA-DIR/blobs); with several\n"
                 "replicas, one directory they all share"},
        {"blob.max-size", PG_CONF_INT, S(blob_max_size), 1, 1LL << 40, .arg = "BYTES",
         .help = "largest blob upload (default 4294967296)"},
        {"routes", PG_CONF_BOOL, S(routes), .flags = PG_CONF_FLAG_ONLY,
         .help = "print the API's routes and permission codes (JSON)"},
        {"print-config", PG_CONF_BOOL, S(print_config), .flags = PG_CONF_FLAG_ONLY,
         .help = "print the effective settings (secrets masked) and where each came from"},
        {"version", PG_CONF_BOOL, S(version), .flags = PG_CONF_FLAG_ONLY,
         .help = "print the version"},
        {"help", PG_CONF_BOOL, S(help), .flags = PG_CONF_FLAG_ONLY, .help = "this text"},
        {0},
};

void pagodad_settings_help(FILE *f)
{
	fputs("usage: pagodad --listen HOST:PORT --data-dir DIR [options]\n"
	      "       pagodad restore --from FILE --data-dir DIR [--passphrase-file F]\n"
	      "Every option is also a key of the --config file ([backup] interval for\n"
	      "--backup-interval) and a variable (PAGODA_BACKUP_INTERVAL).\n",
	      f);
	pg_conf_help(opts, f);
}

static const struct pg_conf_src src = {.prog = "pagodad", .env = "PAGODA_", .file_key = "config"};

int pagodad_settings_load(int argc, char **argv, struct pagodad_settings *s, struct pg_conf **conf,
                          struct pg_err *err)
{
	struct cluster_opts c;
	cluster_opts_default(&c);
	*s = (struct pagodad_settings){
	        .store = "sqlite",
	        .tls = "off",
	        .heartbeat_interval = c.heartbeat_interval_ms / 1000,
	        .poll_wait = c.poll_wait_max_ms / 1000,
	        .lease_grace = c.lease_grace_ms / 1000,
	        .retry_backoff = c.retry_backoff_ms,
	        .threads = 4,
	        .max_body = 8 << 20,
	        .max_bodies = HTTP_DEFAULT_MAX_BODIES,
	        .header_timeout = HTTP_DEFAULT_HEADER_MS / 1000,
	        .body_timeout = HTTP_DEFAULT_BODY_MS / 1000,
	        .conns_per_ip = HTTP_DEFAULT_CONNS_PER_IP,
	        .auth_fail_limit = 20,
	        .log_level = "info",
	        .log_format = "json",
	        .cert_scan = 60000,
	        .cert_retry = 60000,
	        .upstream_debounce = 2000,
	        .alert_interval = 5000,
	        .alert_retry = 5000,
	        .backup_keep = 7,
	        .blob_max_size = BLOB_DEFAULT_MAX_SIZE,
	};
	int rc = pg_conf_load(opts, &src, argc, argv, s, conf, err);
	if (rc || s->help || s->version || s->routes)
		return rc;
	s->tls_auto = strcmp(s->tls, "auto") == 0;
	if (!s->listen || !s->data_dir)
		return pg_err_set(
		        err, PG_EINVAL, !s->listen ? "listen" : "data-dir",
		        "pagodad: --listen and --data-dir are required (flags, PAGODA_LISTEN and "
		        "PAGODA_DATA_DIR, or listen and data-dir in the --config file)");
	if (!s->tls_cert != !s->tls_key || (s->tls_auto && s->tls_cert))
		return pg_err_set(
		        err, PG_EINVAL, "tls-cert",
		        "pagodad: --tls-cert and --tls-key go together, and not with --tls auto");
	if (s->backup_interval && !s->backup_passphrase_file)
		return pg_err_set(
		        err, PG_EINVAL, "backup.interval",
		        "pagodad: scheduled backups (backup.interval) need backup.passphrase-file");
	return 0;
}
