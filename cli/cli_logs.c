/* `pagoda logs APP [--lines N] [-f]` and `pagoda apps status APP`: queue
 * InspectUnit on the application's nodes (POST /admin/apps/:id/inspect),
 * wait for the answers, print the journal lines tagged with the node, or
 * the unit's state from systemd. -f asks again every two seconds after the
 * journal cursor each node answered, until interrupted. */
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

static const char *node_of(json_t *t)
{
	return json_string_value(json_object_get(t, "nodeName"));
}

int cli_logs(struct cli *c, const char *app, int lines, bool follow)
{
	json_t *cursors = json_object();
	int rc = CLI_OK;
	for (bool first = true; rc == CLI_OK && (first || follow); first = false) {
		json_t *tasks = NULL, *t,
		       *body = json_pack("{s:i, s:O}", "lines", lines, "afterCursor", cursors);
		rc = inspect(c, app, body, &tasks);
		json_decref(body);
		size_t i;
		json_array_foreach (tasks, i, t) {
			json_t *ans = json_object_get(t, "answer");
			const char *out = json_string_value(json_object_get(ans, "stdout"));
			json_t *cur = json_object_get(json_object_get(ans, "result"), "cursor");
			/* the server names the cursor's key: a node, or a node's site */
			const char *key = json_string_value(json_object_get(t, "key"));
			if (json_is_string(cur) && key)
				json_object_set(cursors, key, cur);
			if (!ans) {
				fprintf(stderr,
				        "[%s] no answer within 30 s (is its agent online?)\n",
				        node_of(t));
				continue;
			}
			if (strcmp(json_string_value(json_object_get(ans, "status")),
			           "succeeded")) {
				fprintf(stderr, "[%s] %s\n", node_of(t),
				        json_string_value(json_object_get(ans, "errorMessage")));
				continue;
			}
			/* journalctl says "-- No entries --" when there are none */
			for (const char *l = out; l && *l;) {
				const char *e = strchrnul(l, '\n');
				const char *site = json_string_value(json_object_get(t, "site"));
				if (strncmp(l, "-- No entries --", 16) != 0)
					printf("[%s%s%s] %.*s\n", node_of(t), site ? " " : "",
					       site ? site : "", (int)(e - l), l);
				l = *e ? e + 1 : e;
			}
		}
		fflush(stdout);
		json_decref(tasks);
		if (follow)
			sleep(2);
	}
	json_decref(cursors);
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
