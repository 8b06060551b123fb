/* SystemdInstallUnit and SystemdControl: the unit file through the confined
 * atomic writer, then systemctl. Never with --root: the commands would act
 * on the machine the agent runs on, not on the prefixed tree. */
#include "agent.h"
#include "common/pg_proc.h"
#include "common/pg_time.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Runs argv; on failure fills r->error with what and the command's stderr. */
int agent_cmd(struct agent_result *r, int64_t timeout_ms, char *const argv[], char **out)
{
	char *o = NULL, *e = NULL, why[256] = "";
	int st = pg_run(argv, NULL, timeout_ms, 16 * 1024, &o, &e, why, sizeof(why));
	if (st != 0) {
		const char *msg = st < 0 ? why : (e && *e ? e : (o ? o : ""));
		snprintf(r->error, sizeof(r->error), "%s %s failed (%d): %.*s", argv[0],
		         argv[1] ? argv[1] : "", st, 700, msg);
		size_t n = strlen(r->error);
		while (n && (r->error[n - 1] == '\n' || r->error[n - 1] == ' '))
			r->error[--n] = '\0';
	}
	if (out)
		*out = o;
	else
		free(o);
	free(e);
	return st;
}

bool agent_can_run_commands(struct agent *a, struct agent_result *r, const char *what)
{
	if (a->root && *a->root) {
		snprintf(r->error, sizeof(r->error),
		         "%s is not run on agents started with --root: its commands would act on "
		         "this "
		         "machine, not on the prefixed tree",
		         what);
		return false;
	}
	return true;
}

static bool systemd_running(struct agent_result *r)
{
	if (access("/run/systemd/system", F_OK) == 0)
		return true;
	snprintf(r->error, sizeof(r->error), "systemd is not running on this node");
	return false;
}

int agent_exec_unit_install(struct agent *a, json_t *p, int64_t timeout_sec, struct agent_result *r)
{
	const char *unit = json_string_value(json_object_get(p, "unitName"));
	const char *path = json_string_value(json_object_get(p, "unitPath"));
	json_t *content = json_object_get(p, "content");
	char def[512], sha[65];
	bool changed = false, enable = json_is_true(json_object_get(p, "enable"));
	struct pg_err err = {0};
	if (!agent_can_run_commands(a, r, "SystemdInstallUnit") || !systemd_running(r))
		return -1;
	if (!path) {
		snprintf(def, sizeof(def), "/etc/systemd/system/%s", unit);
		path = def;
	}
	if (agent_paths_write(a->paths, path, json_string_value(content),
	                      json_string_length(content), 0644, NULL, NULL, &changed, sha,
	                      &err) != 0) {
		snprintf(r->error, sizeof(r->error), "%.400s: %.500s", path, err.message);
		return -1;
	}
	char *reload[] = {"systemctl", "daemon-reload", NULL};
	char *en[] = {"systemctl", "enable", (char *)unit, NULL};
	if ((changed && agent_cmd(r, 60000, reload, NULL) != 0) ||
	    (enable && agent_cmd(r, 60000, en, NULL) != 0))
		return -1;
	r->artifacts = json_pack("{s:s, s:s, s:b, s:b}", "path", path, "sha256", sha, "changed",
	                         changed, "enabled", enable);
	r->ok = true;
	return 0;
}

/* What systemd says of a unit (systemctl show), into obj. */
static void unit_state(const char *unit, json_t *obj)
{
	static const struct {
		const char *prop, *key;
		bool number;
	} props[] = {
	        {"ActiveState", "activeState", false},
	        {"SubState", "subState", false},
	        {"MainPID", "mainPid", true},
	        {"NRestarts", "restarts", true},
	        {"ActiveEnterTimestamp", "since", false},
	        {"MemoryCurrent", "memoryBytes", true},
	        {"CPUUsageNSec", "cpuNsec", true},
	        {"Result", "result", false},
	};
	char *argv[] = {"systemctl",
	                "show",
	                "-p",
	                "ActiveState,SubState,MainPID,NRestarts,ActiveEnterTimestamp,"
	                "MemoryCurrent,CPUUsageNSec,Result",
	                (char *)unit,
	                NULL};
	char *out = NULL, *e = NULL, why[64];
	if (pg_run(argv, NULL, 10000, 4096, &out, &e, why, sizeof(why)) == 0 && out) {
		for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n")) {
			char *eq = strchr(line, '=');
			if (!eq)
				continue;
			*eq = '\0';
			for (size_t i = 0; i < sizeof(props) / sizeof(props[0]); i++) {
				if (strcmp(line, props[i].prop) != 0)
					continue;
				/* "[not set]" and empty values say nothing */
				char *end = NULL;
				long long v = props[i].number ? strtoll(eq + 1, &end, 10) : 0;
				if (props[i].number && end != eq + 1 && *end == '\0')
					json_object_set_new(obj, props[i].key, json_integer(v));
				else if (!props[i].number && eq[1])
					json_object_set_new(obj, props[i].key, json_string(eq + 1));
			}
		}
	}
	free(out);
	free(e);
}

/* InspectUnit: a unit's state from systemd and the last lines of its
 * journal (after a cursor, for following), capped at AGENT_OUTPUT_MAX. */
int agent_exec_inspect(struct agent *a, json_t *p, int64_t timeout_sec, struct agent_result *r)
{
	(void)timeout_sec;
	const char *unit = json_string_value(json_object_get(p, "unitName"));
	const char *after = json_string_value(json_object_get(p, "afterCursor"));
	json_int_t lines = json_integer_value(json_object_get(p, "lines"));
	if (json_object_get(p, "siteName"))
		return agent_site_logs(a, p, r);
	if (!agent_can_run_commands(a, r, "InspectUnit") || !systemd_running(r))
		return -1;
	json_t *st = json_object();
	unit_state(unit, st);
	json_int_t since = json_integer_value(json_object_get(p, "since"));
	char n[24], cur[600], from[40];
	snprintf(n, sizeof(n), "%lld", (long long)(lines > 0 ? lines : 100));
	snprintf(cur, sizeof(cur), "--after-cursor=%.550s", after ? after : "");
	snprintf(from, sizeof(from), "--since=@%lld", (long long)since);
	char *argv[] = {"journalctl",
	                "-u",
	                (char *)unit,
	                "-n",
	                n,
	                "--no-pager",
	                "-o",
	                "short-iso",
	                "--show-cursor",
	                after       ? cur
	                : since > 0 ? from
	                            : NULL,
	                after && since > 0 ? from : NULL,
	                NULL};
	char *out = NULL, *err = NULL, why[128];
	int rc = pg_run(argv, NULL, 20000, AGENT_OUTPUT_MAX, &out, &err, why, sizeof(why));
	/* nothing matched (after a cursor, since a time): exit 1, nothing said */
	if (rc == 1 && (!err || !*err))
		rc = 0;
	if (rc != 0) {
		snprintf(r->error, sizeof(r->error), "journalctl failed: %.900s",
		         rc < 0 ? why
		         : err  ? err
		                : "no output");
		free(out);
		free(err);
		json_decref(st);
		return -1;
	}
	free(err);
	/* the last line is "-- cursor: ..."; a capped output starts mid-line */
	char *c = out ? strstr(out, "-- cursor: ") : NULL;
	json_t *cursor = NULL;
	if (c) {
		cursor = json_string(strtok(c + 11, "\n"));
		*c = '\0';
	}
	if (out && strlen(out) + 1 >= AGENT_OUTPUT_MAX) {
		char *nl = strchr(out, '\n');
		if (nl)
			memmove(out, nl + 1, strlen(nl + 1) + 1);
	}
	r->out = out;
	r->artifacts = json_pack("{s:o, s:o*}", "unit", st, "cursor", cursor);
	json_int_t runs = json_integer_value(json_object_get(p, "runs"));
	json_t *list = NULL;
	char why2[400] = "";
	if (runs > 0 && agent_unit_runs(unit, (int)runs, &list, why2, sizeof(why2)) != 0)
		json_object_set_new(r->artifacts, "runsError", json_string(why2));
	if (list)
		json_object_set_new(r->artifacts, "runs", list);
	r->ok = true;
	return 0;
}

int agent_exec_unit_control(struct agent *a, json_t *p, int64_t timeout_sec, struct agent_result *r)
{
	const char *unit = json_string_value(json_object_get(p, "unitName"));
	const char *action = json_string_value(json_object_get(p, "action"));
	if (!agent_can_run_commands(a, r, "SystemdControl") || !systemd_running(r))
		return -1;
	const char *sig = json_string_value(json_object_get(p, "signal"));
	if (strcmp(action, "kill") == 0) {
		/* a config change the process picks up on a signal (onChange signal:HUP) */
		char s[16];
		snprintf(s, sizeof(s), "SIG%.8s", sig ? sig : "HUP");
		char *argv[] = {"systemctl",  "kill", "--kill-whom=main", "-s", s,
		                (char *)unit, NULL};
		if (agent_cmd(r, 120000, argv, NULL) != 0)
			return -1;
	} else if (strcmp(action, "run") == 0) {
		/* a job's run now: its outcome shows in its runs, as a timer's would */
		char *argv[] = {"systemctl", "start", "--no-block", (char *)unit, NULL};
		if (agent_cmd(r, 120000, argv, NULL) != 0)
			return -1;
	} else if (strcmp(action, "status") != 0) {
		char *argv[] = {"systemctl", (char *)action, (char *)unit, NULL};
		if (agent_cmd(r, 120000, argv, NULL) != 0)
			return -1;
	}
	json_t *st = json_object();
	/* A unit that dies right after start shows it within a moment: watch
	 * it briefly rather than report "active" for a crash loop. */
	bool want_active = strcmp(action, "start") == 0 || strcmp(action, "restart") == 0 ||
	                   strcmp(action, "reload") == 0 || strcmp(action, "kill") == 0;
	int64_t until = pg_time_mono_ms() + (want_active ? 1500 : 0);
	for (;;) {
		json_object_clear(st);
		unit_state(unit, st);
		const char *as = json_string_value(json_object_get(st, "activeState"));
		if (!want_active || pg_time_mono_ms() >= until || (as && strcmp(as, "failed") == 0))
			break;
		usleep(250 * 1000);
	}
	json_t *dereg = json_object_get(p, "deregister");
	if (dereg)
		agent_endpoints_forget(a, dereg);
	r->artifacts = st;
	const char *as = json_string_value(json_object_get(st, "activeState"));
	if (want_active && (!as || strcmp(as, "active") != 0)) {
		snprintf(r->error, sizeof(r->error), "%s is %s after %s", unit, as ? as : "unknown",
		         action);
		return -1;
	}
	r->ok = true;
	return 0;
}
