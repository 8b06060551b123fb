/* pagoda releases watch ID: the release's batches and nodes, live. On a
 * terminal a progress bar per batch is redrawn in place; otherwise (a log,
 * a pipe) one line per change. Exits when the release is final. */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static bool final(const char *s, int *code)
{
	if (strcmp(s, "succeeded") == 0)
		return *code = CLI_OK, true;
	if (strcmp(s, "failed") == 0 || strcmp(s, "rolled_back") == 0 ||
	    strcmp(s, "cancelled") == 0)
		return *code = CLI_FAILED, true;
	return false;
}

/* The lines describing rel now: one for the release, one per batch. */
static char *render(json_t *rel, bool tty)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	fprintf(f, "release %lld (v%lld, %s): %s\n",
	        (long long)json_integer_value(json_object_get(rel, "id")),
	        (long long)json_integer_value(json_object_get(rel, "version")),
	        json_string_value(json_object_get(rel, "kind")),
	        json_string_value(json_object_get(rel, "status")));
	size_t i, j;
	json_t *b, *n;
	json_array_foreach (json_object_get(rel, "batches"), i, b) {
		int64_t idx = json_integer_value(json_object_get(b, "index"));
		int total = 0, ok = 0, bad = 0, running = 0;
		char failed[256] = "";
		json_array_foreach (json_object_get(rel, "nodes"), j, n) {
			if (json_integer_value(json_object_get(n, "batch")) != idx)
				continue;
			const char *s = json_string_value(json_object_get(n, "status"));
			total++;
			if (strcmp(s, "succeeded") == 0)
				ok++;
			else if (strcmp(s, "failed") == 0 || strcmp(s, "timeout") == 0) {
				bad++;
				size_t l = strlen(failed);
				snprintf(
				        failed + l, sizeof(failed) - l, " node %lld %s",
				        (long long)json_integer_value(json_object_get(n, "nodeId")),
				        s);
			} else if (strcmp(s, "running") == 0)
				running++;
		}
		char bar[24] = "";
		if (tty) {
			int filled = total ? (ok + bad) * 20 / total : 0;
			bar[0] = '[';
			for (int k = 0; k < 20; k++)
				bar[k + 1] = k < filled ? '#' : '.';
			strcpy(bar + 21, "] ");
		}
		/* a done batch with a failed node is failed, not "done" */
		const char *outcome = json_string_value(json_object_get(b, "outcome"));
		fprintf(f, "  batch %lld %s%d/%d succeeded, %d running, %d failed  %s%s\n",
		        (long long)idx, bar, ok, total, running, bad,
		        outcome ? outcome : json_string_value(json_object_get(b, "status")),
		        failed);
	}
	fclose(f);
	return text;
}

/* Why each node failed (its error, or its failed task's), and one line
 * for the release. */
static void print_failures(json_t *rel)
{
	size_t i, j;
	json_t *n, *t;
	char first[600] = "";
	json_array_foreach (json_object_get(rel, "nodes"), i, n) {
		const char *st = json_string_value(json_object_get(n, "status"));
		if (!st || (strcmp(st, "failed") != 0 && strcmp(st, "timeout") != 0))
			continue;
		char why[512] = "";
		json_array_foreach (json_object_get(n, "tasks"), j, t) {
			const char *ts = json_string_value(json_object_get(t, "status"));
			const char *msg = json_string_value(json_object_get(t, "errorMessage"));
			if (ts && strcmp(ts, "succeeded") != 0 && msg && !why[0])
				snprintf(why, sizeof(why), "%s (task %lld): %s",
				         json_string_value(json_object_get(t, "type")),
				         (long long)json_integer_value(json_object_get(t, "id")),
				         msg);
		}
		const char *err = json_string_value(json_object_get(n, "error"));
		if (!why[0])
			snprintf(why, sizeof(why), "%s", err ? err : st);
		fprintf(stderr, "  node %lld %s: %s\n",
		        (long long)json_integer_value(json_object_get(n, "nodeId")), st, why);
		if (!first[0])
			snprintf(first, sizeof(first), "node %lld %s: %s",
			         (long long)json_integer_value(json_object_get(n, "nodeId")), st,
			         why);
	}
	fprintf(stderr, "pagoda: release %lld %s%s%s\n",
	        (long long)json_integer_value(json_object_get(rel, "id")),
	        json_string_value(json_object_get(rel, "status")), first[0] ? ": " : "", first);
}

int cli_watch_release(struct cli *c, int64_t id, int interval_ms)
{
	char path[64], *last = NULL;
	snprintf(path, sizeof(path), "/admin/releases/%lld", (long long)id);
	bool tty = !c->json && isatty(STDOUT_FILENO);
	int lines = 0, code = CLI_OK, failures = 0;
	for (;;) {
		json_t *rel;
		int rc = cli_call(c, "GET", path, NULL, &rel);
		if (rc == CLI_REFUSED) {
			free(last);
			return rc;
		}
		if (rc != CLI_OK) { /* pagodad restarting: keep watching a while */
			if (++failures > 30) {
				free(last);
				return rc;
			}
			usleep(1000 * 1000);
			continue;
		}
		failures = 0;
		bool done = final(json_string_value(json_object_get(rel, "status")), &code);
		if (c->json) {
			if (done)
				cli_print_object(c, rel);
		} else {
			char *now = render(rel, tty);
			if (!last || strcmp(now, last) != 0) {
				if (tty && lines)
					printf("\033[%dA\033[J", lines); /* redraw in place */
				fputs(now, stdout);
				fflush(stdout);
				lines = 0;
				for (char *p = now; *p; p++)
					lines += *p == '\n';
			}
			free(last);
			last = now;
		}
		if (done && code != CLI_OK)
			print_failures(rel);
		json_decref(rel);
		if (done)
			break;
		usleep((useconds_t)interval_ms * 1000);
	}
	free(last);
	return code;
}
