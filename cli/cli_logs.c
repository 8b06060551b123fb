/* `pagoda logs APP [--lines N] [--since T] [-f]` reads the server-sent
 * events of GET /admin/apps/:id/logs and prints each line tagged with its
 * node (and site); -f follows until interrupted. `pagoda apps status APP`
 * queues InspectUnit on the application's nodes (POST .../inspect), waits
 * for the answers and prints the unit's state from systemd. */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Waits (up to 30 s) for each task of out["tasks"] to finish; fills
 * task["answer"] with the task as GET /admin/tasks/:id gives it. */
static int wait_tasks(struct cli *c, json_t *tasks)
{
	size_t i, done = 0;
	json_t *t;
	for (int round = 0; round < 120 && done < json_array_size(tasks); round++) {
		done = 0;
		json_array_foreach (tasks, i, t) {
			if (json_object_get(t, "answer")) {
				done++;
				continue;
			}
			char path[64];
			json_t *task = NULL;
			snprintf(path, sizeof(path), "/admin/tasks/%lld",
			         (long long)json_integer_value(json_object_get(t, "taskId")));
			int rc = cli_call(c, "GET", path, NULL, &task);
			if (rc != CLI_OK)
				return rc;
			const char *st = json_string_value(json_object_get(task, "status"));
			if (st && (!strcmp(st, "succeeded") || !strcmp(st, "failed") ||
			           !strcmp(st, "cancelled"))) {
				json_object_set_new(t, "answer", task);
				done++;
			} else {
				json_decref(task);
			}
		}
		if (done < json_array_size(tasks))
			usleep(250 * 1000);
	}
	return CLI_OK;
}

static int inspect(struct cli *c, const char *app, json_t *body, json_t **tasks)
{
	char path[96];
	json_t *out = NULL;
	snprintf(path, sizeof(path), "/admin/apps/%s/inspect", app);
	int rc = cli_call(c, "POST", path, body, &out);
	if (rc == CLI_OK) {
		*tasks = json_incref(json_object_get(out, "tasks"));
		rc = wait_tasks(c, *tasks);
	}
	json_decref(out);
	return rc;
}

int cli_parse_since(const char *s, long long now, long long *out)
{
	char unit[2] = "", rest;
	long long n;
	struct tm tm = {0};
	int used = 0;
	if (sscanf(s, "%lld%1[smhd]%c", &n, unit, &rest) == 2 && n >= 0) {
		static const char units[] = "smhd";
		static const long long secs[] = {1, 60, 3600, 86400};
		*out = now - n * secs[strchr(units, unit[0]) - units];
		return *out > 0 ? 0 : -1;
	}
	if (sscanf(s, "%lld%c", &n, &rest) == 1 && n > 0) {
		*out = n;
		return 0;
	}
	if (sscanf(s, "%d-%d-%d%*1[ T]%d:%d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
	           &tm.tm_min, &used) == 5 &&
	    (s[used] == '\0' || sscanf(s + used, ":%d%c", &tm.tm_sec, &rest) == 1)) {
		tm.tm_year -= 1900;
		tm.tm_mon -= 1;
		tm.tm_isdst = -1;
		time_t t = mktime(&tm);
		*out = (long long)t;
		return t > 0 ? 0 : -1;
	}
	return -1;
}

struct logs_out {
	bool ended;
	int errors;
};

static bool on_log_event(void *arg, const char *event, json_t *d)
{
	struct logs_out *o = arg;
	const char *node = json_string_value(json_object_get(d, "node"));
	const char *site = json_string_value(json_object_get(d, "site"));
	char tag[300];
	snprintf(tag, sizeof(tag), "[%s%s%s]", node ? node : "?", site ? " " : "",
	         site ? site : "");
	if (strcmp(event, "line") == 0) {
		printf("%s %s\n", tag, json_string_value(json_object_get(d, "line")));
		fflush(stdout);
	} else if (strcmp(event, "error") == 0) {
		fprintf(stderr, "%s %s\n", tag, json_string_value(json_object_get(d, "message")));
		o->errors++;
	} else if (strcmp(event, "end") == 0) {
		o->ended = true;
		return false;
	}
	return true;
}

int cli_logs(struct cli *c, const char *app, const char *node, int lines, long long since,
             bool follow)
{
	char path[240];
	struct logs_out o = {0};
	snprintf(path, sizeof(path), "/admin/apps/%s/logs?lines=%d&since=%lld%s%s%s", app, lines,
	         since, node ? "&node=" : "", node ? node : "", follow ? "&follow=true" : "");
	int rc = cli_stream(c, path, on_log_event, &o);
	if (rc == CLI_OK && !follow && !o.ended) {
		fprintf(stderr, "pagoda: the log stream ended before every node answered\n");
		rc = CLI_UNAVAIL;
	}
	return rc;
}

/* A scheduled job's runs on each node, newest first. */
static void print_runs(struct cli *c, json_t *tasks)
{
	json_t *rows = json_array(), *t, *run;
	size_t i, k;
	json_array_foreach (tasks, i, t) {
		json_t *res = json_object_get(json_object_get(t, "answer"), "result");
		json_array_foreach (json_object_get(res, "runs"), k, run) {
			json_t *row = json_deep_copy(run);
			json_object_set(row, "node", json_object_get(t, "nodeName"));
			time_t at =
			        (time_t)(json_integer_value(json_object_get(run, "startedAtMs")) /
			                 1000);
			char when[32], dur[32];
			strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", localtime(&at));
			json_object_set_new(row, "started", json_string(when));
			if (json_object_get(run, "durationMs")) {
				snprintf(dur, sizeof(dur), "%.1f s",
				         (double)json_integer_value(
				                 json_object_get(run, "durationMs")) /
				                 1000.0);
				json_object_set_new(row, "duration", json_string(dur));
			}
			json_array_append_new(rows, row);
		}
	}
	static const struct cli_col cols[] = {{"NODE", "node", 0},
	                                      {"STARTED", "started", 0},
	                                      {"DURATION", "duration", 0},
	                                      {"RESULT", "result", 0},
	                                      {"EXIT", "exitStatus", 0},
	                                      {"WHY", "unitResult", 0},
	                                      {0}};
	if (!c->json)
		printf("\nruns:\n");
	cli_print_list(c, rows, cols);
	json_decref(rows);
}

int cli_app_status(struct cli *c, const char *app, int runs)
{
	json_t *tasks = NULL, *t, *body = json_pack("{s:i}", "lines", 1), *rows = json_array();
	if (runs > 0)
		json_object_set_new(body, "runs", json_integer(runs));
	int rc = inspect(c, app, body, &tasks);
	json_decref(body);
	size_t i;
	json_array_foreach (tasks, i, t) {
		json_t *ans = json_object_get(t, "answer");
		json_t *u = json_object_get(json_object_get(ans, "result"), "unit");
		json_t *row = u ? json_deep_copy(u) : json_object();
		json_object_set(row, "node", json_object_get(t, "nodeName"));
		if (!u)
			json_object_set_new(row, "activeState",
			                    json_string(ans ? json_string_value(json_object_get(
			                                              ans, "errorMessage"))
			                                    : "no answer"));
		json_int_t mem = json_integer_value(json_object_get(u, "memoryBytes"));
		if (mem) {
			char m[32];
			snprintf(m, sizeof(m), "%.1f MiB", (double)mem / 1048576.0);
			json_object_set_new(row, "memory", json_string(m));
		}
		json_int_t cpu = json_integer_value(json_object_get(u, "cpuNsec"));
		if (cpu) {
			char s[32];
			snprintf(s, sizeof(s), "%.2f s", (double)cpu / 1e9);
			json_object_set_new(row, "cpu", json_string(s));
		}
		json_array_append_new(rows, row);
	}
	static const struct cli_col cols[] = {{"NODE", "node", 0},
	                                      {"ACTIVE", "activeState", 0},
	                                      {"SUB", "subState", 0},
	                                      {"PID", "mainPid", 0},
	                                      {"SINCE", "since", 0},
	                                      {"RESTARTS", "restarts", 0},
	                                      {"MEMORY", "memory", 0},
	                                      {"CPU", "cpu", 0},
	                                      {0}};
	if (rc == CLI_OK)
		cli_print_list(c, rows, cols);
	if (rc == CLI_OK && runs > 0)
		print_runs(c, tasks);
	json_decref(rows);
	json_decref(tasks);
	return rc;
}

int cli_logs_cmd(struct cli *c, const struct cli_args *a)
{
	const char *n = cli_opt(a, "--lines"), *since = cli_opt(a, "--since");
	const char *node = cli_opt(a, "--node");
	long long from = 0;
	if (n && (!cli_is_id(n) || atoi(n) < 1 || atoi(n) > 1000)) {
		fprintf(stderr, "pagoda: --lines takes 1 to 1000, not '%s'\n", n);
		return CLI_USAGE;
	}
	if (since && cli_parse_since(since, time(NULL), &from) != 0) {
		fprintf(stderr,
		        "pagoda: --since takes 10m, 2h, 1d, 'YYYY-MM-DD HH:MM[:SS]' or Unix "
		        "seconds, not '%s'\n",
		        since);
		return CLI_USAGE;
	}
	char app[32], node_id[32];
	int rc = cli_resolve_app(c, a->pos[0], app);
	if (rc == CLI_OK && node)
		rc = cli_resolve_node(c, node, node_id);
	if (rc != CLI_OK)
		return rc;
	return cli_logs(c, app, node ? node_id : NULL, n ? atoi(n) : 100, from,
	                cli_switch(a, "-f") || cli_switch(a, "--follow"));
}
