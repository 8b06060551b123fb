/* pagoda-agent's settings: one table for its flags, PAGODA_AGENT_*
 * variables and agent.conf (see common/pg_conf.h). */
#ifndef AGENT_SETTINGS_H
#define AGENT_SETTINGS_H

#include "common/pg_conf.h"

#include <stdbool.h>
#include <stdio.h>

struct agent_settings {
	const char *config, *server, *token_file, *join_token_file, *node_name, *state_dir;
	const char *ca_file, *ca_fingerprint, *root, *log_level, *log_format;
	struct pg_conf_list allow_root;
	long long node_id, state_interval, download_max_rate, artifacts_keep;
	bool insecure_http, allow_exec;
	bool help, version, print_config; /* actions */
};

int agent_settings_load(int argc, char **argv, struct agent_settings *s, struct pg_conf **conf,
                        struct pg_err *err);
void agent_settings_help(FILE *f);

#endif
