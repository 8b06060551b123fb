/* A scheduled job's last runs, read from the entries systemd (PID 1) writes
 * about its unit: each start job that began is a run; it ends finished
 * (success) or failed, with the main process's exit status and the unit's
 * result when systemd logged them. Message ids from systemd's catalog. */
#include "agent.h"
#include "common/pg_proc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MSG_STARTING "7d4958e842da4a758f6c1cdc7b36dcc5"  /* start job began */
#define MSG_STARTED "39f53479d3a045ac8e11786248231fbf"   /* start job finished */
#define MSG_FAILED "be02cf6855d2428ba40df7e9d022f03d"    /* start job failed */
#define MSG_EXIT "98e322203f7a4ed290d09fe03c09fe15"      /* main process exited */
#define MSG_UNIT_FAIL "d9b373ed55a64feb8242e02dbe79a49c" /* unit failed: its result */

/* __REALTIME_TIMESTAMP (µs, a string in journal JSON) in ms. */
static json_int_t when_ms(json_t *e)
{
	const char *s = json_string_value(json_object_get(e, "__REALTIME_TIMESTAMP"));
	return s ? (json_int_t)(strtoll(s, NULL, 10) / 1000) : 0;
}

static void finish(json_t *run, json_t *e, const char *result)
{
	json_int_t end = when_ms(e),
	           start = json_integer_value(json_object_get(run, "startedAtMs"));
	json_object_set_new(run, "result", json_string(result));
	json_object_set_new(run, "endedAtMs", json_integer(end));
	json_object_set_new(run, "durationMs", json_integer(end >= start ? end - start : 0));
}

/* Folds the entries (oldest first) into runs, newest first, at most max. */
static json_t *fold(char *lines, int max)
{
	json_t *runs = json_array(), *run = NULL;
	for (char *save = NULL, *line = strtok_r(lines, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		json_t *e = json_loads(line, 0, NULL);
		const char *id = json_string_value(json_object_get(e, "MESSAGE_ID"));
		if (!id) {
			json_decref(e);
			continue;
		}
		if (strcmp(id, MSG_STARTING) == 0) {
			run = json_pack("{s:I, s:s}", "startedAtMs", when_ms(e), "result",
			                "running");
			json_array_insert_new(runs, 0, run);
		} else if (run && strcmp(id, MSG_EXIT) == 0) {
			const char *st = json_string_value(json_object_get(e, "EXIT_STATUS"));
			const char *code = json_string_value(json_object_get(e, "EXIT_CODE"));
			if (st)
				json_object_set_new(run, "exitStatus", json_integer(atoi(st)));
			if (code)
				json_object_set_new(run, "exitCode", json_string(code));
		} else if (run && strcmp(id, MSG_UNIT_FAIL) == 0) {
			const char *res = json_string_value(json_object_get(e, "UNIT_RESULT"));
			json_object_set_new(run, "unitResult", json_string(res ? res : "failed"));
		} else if (run && strcmp(id, MSG_STARTED) == 0) {
			finish(run, e, "succeeded");
		} else if (run && strcmp(id, MSG_FAILED) == 0) {
			finish(run, e, "failed");
		}
		json_decref(e);
	}
	while ((int)json_array_size(runs) > max)
		json_array_remove(runs, json_array_size(runs) - 1);
	return runs;
}

int agent_unit_runs(const char *unit, int max, json_t **out, char *why, size_t why_len)
{
	char match[300], n[24];
	snprintf(match, sizeof(match), "UNIT=%s", unit);
	/* a run takes about five entries; a few spare for the oldest run's start */
	snprintf(n, sizeof(n), "%d", max * 6 + 6);
	char *argv[] = {"journalctl",
	                "--no-pager",
	                "-o",
	                "json",
	                "-n",
	                n,
	                "--output-fields=MESSAGE_ID,EXIT_CODE,EXIT_STATUS,UNIT_RESULT",
	                "_PID=1",
	                match,
	                NULL};
	char *o = NULL, *e = NULL;
	int rc = pg_run(argv, NULL, 20000, AGENT_OUTPUT_MAX * 4, &o, &e, why, why_len);
	if (rc != 0 && why_len && !why[0])
		snprintf(why, why_len, "journalctl failed (%d): %.300s", rc, e ? e : "");
	if (rc == 0)
		*out = fold(o ? o : (char[]){""}, max);
	free(o);
	free(e);
	return rc == 0 ? 0 : -1;
}
