/* pagoda-agent's settings table. */
#include "agent_settings.h"
#include "common/pg_log.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define S(field) offsetof(struct agent_settings, field)

static bool valid_abs(const char *v)
{
	return v[0] == '/';
}

static const struct pg_conf_opt opts[] = {
        {"config", PG_CONF_STR, S(config), .flags = PG_CONF_FLAG_ONLY, .arg = "FILE",
         .help = "settings file (INI; PAGODA_AGENT_CONFIG too); flags and PAGODA_AGENT_*\n"
                 "variables override it (the packaged unit reads /etc/pagoda/agent.conf)"},
        {"server", PG_CONF_STR, S(server), .arg = "URL",
         .help = "pagodad's address, e.g. https://pagoda.example:8443"},
        {"node-id", PG_CONF_INT, S(node_id), 1, INT64_MAX, .arg = "ID",
         .help = "this node's id (from POST /admin/nodes)"},
        {"token-file", PG_CONF_STR, S(token_file), .arg = "F",
         .help = "file holding this node's agent token (written by a join)"},
        {"join-token-file", PG_CONF_STR, S(join_token_file), .arg = "F",
         .help = "a one-time join token (POST /admin/join-tokens): traded for this\n"
                 "node's id and token on the first start"},
        {"node-name", PG_CONF_STR, S(node_name), .arg = "NAME",
         .help = "the name to join as (default: the host name)"},
        {"state-dir", PG_CONF_STR, S(state_dir), .arg = "DIR",
         .help = "journal of finished tasks, node id (created 0700)"},
        {"ca-file", PG_CONF_STR, S(ca_file), .arg = "F",
         .help = "CA bundle that signs pagodad's TLS certificate"},
        {"ca-fingerprint", PG_CONF_STR, S(ca_fingerprint), .arg = "sha256:HEX",
         .help = "trust the CA pagodad serves at /ca.pem when its SHA-256 is this\n(pagodad --tls "
                 "auto prints it)"},
        {"insecure-http", PG_CONF_BOOL, S(insecure_http),
         .help = "allow http:// (loopback addresses only)"},
        {"root", PG_CONF_STR, S(root), .arg = "DIR",
         .help = "prefix for every path the agent writes (tests, chroots); such an\n"
                 "agent runs no systemd task"},
        {"allow-root", PG_CONF_LIST, S(allow_root), .arg = "DIR", .valid = valid_abs,
         .help = "allow writes below DIR too (repeatable; comma-separated in the file);\n"
                 "always allowed: /etc/nginx /etc/systemd/system /etc/pagoda\n"
                 "/etc/ssl/pagoda /var/lib/pagoda/apps"},
        {"allow-exec", PG_CONF_BOOL, S(allow_exec), .help = "enable RunCommand tasks"},
        {"state-interval", PG_CONF_INT, S(state_interval), 1, 86400, .arg = "SEC",
         .help = "how often the managed state is measured and, when it changed,\n"
                 "reported for drift detection (default 30)"},
        {"download.max-rate", PG_CONF_INT, S(download_max_rate), 0, 1LL << 40, .arg = "BYTES",
         .help = "cap artifact downloads at BYTES per second (default 0: no cap), so a\n"
                 "rollout does not fill the node's link"},
        {"artifacts.keep", PG_CONF_INT, S(artifacts_keep), 1, 100, .arg = "N",
         .help = "releases of each application kept unpacked, the current one included,\n"
                 "so a rollback switches back without downloading (default 3)"},
        {"log-level", PG_CONF_STR, S(log_level), .arg = "LEVEL", .valid = pg_log_level_ok,
         .help = "debug, info, warn or error (default info)"},
        {"log-format", PG_CONF_STR, S(log_format), .arg = "FORMAT", .valid = pg_log_format_ok,
         .help = "json (one object per line, default) or text"},
        {"print-config", PG_CONF_BOOL, S(print_config), .flags = PG_CONF_FLAG_ONLY,
         .help = "print the effective settings and where each came from"},
        {"version", PG_CONF_BOOL, S(version), .flags = PG_CONF_FLAG_ONLY,
         .help = "print the version"},
        {"help", PG_CONF_BOOL, S(help), .flags = PG_CONF_FLAG_ONLY, .help = "this text"},
        {0},
};

void agent_settings_help(FILE *f)
{
	fputs("usage: pagoda-agent --server URL --token-file F --state-dir DIR\n"
	      "                    [--node-id ID | --join-token-file F] [options]\n"
	      "Every option is also a key of the --config file and a variable\n"
	      "(PAGODA_AGENT_SERVER for --server).\n",
	      f);
	pg_conf_help(opts, f);
}

static const struct pg_conf_src src = {
        .prog = "pagoda-agent", .env = "PAGODA_AGENT_", .file_key = "config"};

int agent_settings_load(int argc, char **argv, struct agent_settings *s, struct pg_conf **conf,
                        struct pg_err *err)
{
	*s = (struct agent_settings){.state_interval = 30,
	                             .artifacts_keep = 3,
	                             .log_level = "info",
	                             .log_format = "json"};
	int rc = pg_conf_load(opts, &src, argc, argv, s, conf, err);
	if (rc || s->help || s->version || s->print_config)
		return rc;
	if (!s->server || !s->token_file || !s->state_dir)
		return pg_err_set(
		        err, PG_EINVAL,
		        !s->server       ? "server"
		        : !s->token_file ? "token-file"
		                         : "state-dir",
		        "pagoda-agent: --server, --token-file and --state-dir are required (flags, "
		        "PAGODA_AGENT_* variables or the --config file)");
	if (s->ca_file && s->ca_fingerprint)
		return pg_err_set(err, PG_EINVAL, "ca-file",
		                  "pagoda-agent: --ca-file or --ca-fingerprint, not both");
	return 0;
}
