/* UpgradeAgent: fetch the new agent package, check its digest, keep the
 * running version's package, and hand the switch to a guard that runs as
 * its own systemd unit (dist/agent-upgrade.sh): it installs the package,
 * restarts the agent, and goes back to the old package unless the new
 * agent heartbeats within the deadline. Restarting the agent cannot end
 * the guard, and a new agent that never comes up cannot stop it. */
#include "agent.h"
#include "common/pg_file.h"
#include "common/pg_json.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef PAGODA_LIBEXECDIR
#define PAGODA_LIBEXECDIR "/usr/libexec"
#endif
#define GUARD PAGODA_LIBEXECDIR "/pagoda/agent-upgrade.sh"
#define PACKAGE_MAX (512 << 20)

static bool word_ok(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	return n && n <= 64 && strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789.+~-") == n;
}

void agent_upgrade_mark_running(struct agent *a)
{
	static bool done;
	if (done || (a->root && *a->root))
		return;
	char path[4200];
	struct pg_err err = {0};
	snprintf(path, sizeof(path), "%s/running-version", a->state_dir);
	if (pg_file_write(path, AGENT_VERSION "\n", strlen(AGENT_VERSION) + 1, 0600, &err) == 0)
		done = true;
}

/* The package of version for arch in dir/packages, fetched when missing;
 * want (may be NULL) is the digest it must have. */
static int fetch(struct agent *a, struct agent_http *h, const char *version, const char *arch,
                 const char *want, char *file, size_t len, struct agent_result *r)
{
	char dir[2048], path[512], got[65];
	struct pg_err err = {0};
	snprintf(dir, sizeof(dir), "%s/packages", a->state_dir);
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		snprintf(r->error, sizeof(r->error), "cannot create %.900s: %s", dir,
		         strerror(errno));
		return -1;
	}
	snprintf(file, len, "%s/pagoda-agent_%s_%s.deb", dir, version, arch);
	if (!want && access(file, R_OK) == 0)
		return 0;
	/* a query string's '+' is a space: versions like 0.2.0+1 are encoded */
	char q[200];
	size_t k = 0;
	for (const char *p = version; *p && k + 4 < sizeof(q); p++)
		k += (size_t)(*p == '+' ? snprintf(q + k, sizeof(q) - k, "%%2B")
		                        : snprintf(q + k, sizeof(q) - k, "%c", *p));
	q[k] = '\0';
	snprintf(path, sizeof(path), "/install/agent.deb?arch=%s&version=%s", arch, q);
	if (agent_http_download(h, path, file, PACKAGE_MAX, got, &err) != 0) {
		snprintf(r->error, sizeof(r->error), "cannot fetch pagoda-agent %s for %s: %s",
		         version, arch, err.message);
		r->retryable = true;
		return -1;
	}
	if (want && strcmp(got, want) != 0) {
		unlink(file);
		snprintf(r->error, sizeof(r->error),
		         "pagoda-agent %s for %s has digest sha256:%s, not sha256:%s: refused",
		         version, arch, got, want);
		return -1;
	}
	return 0;
}

int agent_exec_upgrade(struct agent *a, json_t *payload, int64_t timeout_sec,
                       struct agent_result *r)
{
	const char *version = json_string_value(json_object_get(payload, "version"));
	json_int_t deadline = json_integer_value(json_object_get(payload, "deadlineSec"));
	if (!word_ok(version) || deadline < 10 || deadline > 3600) {
		snprintf(r->error, sizeof(r->error),
		         "UpgradeAgent needs a version and deadlineSec (10-3600)");
		return -1;
	}
	if (strcmp(version, AGENT_VERSION) == 0) {
		/* a retry after the restart lands here: the upgrade is done */
		r->ok = true;
		r->out = strdup("pagoda-agent " AGENT_VERSION " is running\n");
		return 0;
	}
	if (!agent_can_run_commands(a, r, "UpgradeAgent"))
		return -1;
	char *arch = NULL;
	char *const dpkg[] = {"dpkg", "--print-architecture", NULL};
	if (agent_cmd(r, 10000, dpkg, &arch) != 0 || !arch) {
		free(arch);
		return -1;
	}
	arch[strcspn(arch, "\n")] = '\0';
	const char *want =
	        json_string_value(json_object_get(json_object_get(payload, "sha256"), arch));
	if (!want || !word_ok(arch)) {
		snprintf(r->error, sizeof(r->error),
		         "this upgrade has no pagoda-agent %s package for %s", version, arch);
		free(arch);
		return -1;
	}
	struct agent_http *h = agent_http_new(a);
	char new_deb[4200], old_deb[4200];
	int rc = h ? 0 : -1;
	if (rc == 0)
		rc = fetch(a, h, version, arch, want, new_deb, sizeof(new_deb), r);
	/* the running version's package, to go back to */
	if (rc == 0 && fetch(a, h, AGENT_VERSION, arch, NULL, old_deb, sizeof(old_deb), r) != 0) {
		char why[sizeof(r->error)];
		snprintf(why, sizeof(why), "%s", r->error);
		snprintf(r->error, sizeof(r->error),
		         "no package of the running version to roll back to: %.900s", why);
		rc = -1;
	}
	agent_http_free(h);
	free(arch);
	if (rc != 0)
		return rc;
	char deadline_s[24];
	snprintf(deadline_s, sizeof(deadline_s), "%lld", (long long)deadline);
	char *const run[] = {"systemd-run",
	                     "--unit",
	                     "pagoda-agent-upgrade",
	                     "--collect",
	                     "--quiet",
	                     "--description",
	                     "pagoda-agent upgrade guard",
	                     GUARD,
	                     new_deb,
	                     old_deb,
	                     (char *)version,
	                     deadline_s,
	                     (char *)a->state_dir,
	                     NULL};
	if (agent_cmd(r, 30000, run, NULL) != 0) {
		char why[sizeof(r->error)];
		snprintf(why, sizeof(why), "%s", r->error);
		snprintf(r->error, sizeof(r->error),
		         "cannot start the upgrade guard (an upgrade in progress?): %.900s", why);
		r->retryable = true; /* the last guard may still be finishing */
		return -1;
	}
	char msg[512];
	snprintf(msg, sizeof(msg),
	         "upgrade %s -> %s handed to the guard (unit pagoda-agent-upgrade): it installs "
	         "the package, restarts "
	         "the agent and goes back to %s unless %s heartbeats within %llds\n",
	         AGENT_VERSION, version, AGENT_VERSION, version, (long long)deadline);
	r->ok = true;
	r->out = strdup(msg);
	return 0;
}
