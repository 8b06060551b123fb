/* pagodad's settings: one table for its flags, PAGODA_* variables and
 * pagodad.conf (see common/pg_conf.h). */
#ifndef PAGODAD_SETTINGS_H
#define PAGODAD_SETTINGS_H

#include "common/pg_conf.h"

#include <stdbool.h>
#include <stdio.h>

struct pagodad_settings {
	const char *config, *listen, *data_dir, *store, *lua_dir, *plugin_dir, *plugin_settings;
	const char *tls, *tls_cert, *tls_key, *log_level, *log_format, *packages_dir;
	struct pg_conf_list tls_san;
	long long heartbeat_interval, poll_wait, lease_grace, retry_backoff; /* s, s, s, ms */
	long long threads, max_body, max_bodies, header_timeout, body_timeout, conns_per_ip,
	        auth_fail_limit;
	long long cert_scan, cert_retry, upstream_debounce, alert_interval, alert_retry; /* ms */
	long long backup_interval, backup_keep; /* s, count */
	const char *backup_dir, *backup_passphrase_file, *blob_dir;
	long long blob_max_size;
	bool metrics_public, acme_allow_http, tls_auto;
	bool help, version, routes, print_config; /* actions */
};

/* Loads the settings (defaults, file, environment, flags) and checks what
 * goes together. Returns 0, or PG_EINVAL with a message to print. */
int pagodad_settings_load(int argc, char **argv, struct pagodad_settings *s, struct pg_conf **conf,
                          struct pg_err *err);
void pagodad_settings_help(FILE *f);

#endif
