/* An application's logs as a stream: the last lines of its unit's journal
 * (or of its sites' nginx logs) on each node, one event per line tagged
 * with the node, then with follow the new lines as they come until the
 * reader goes. Each target (node, or node and site) is asked again two
 * seconds after it answered, after the cursor it gave, so a slow or offline
 * node holds up no other and never has more than one question queued. One
 * thread per reader, at most APP_LOGS_MAX at once. */
#include "application/app_int.h"
#include "cluster/cluster.h"
#include "common/pg_log.h"
#include "common/pg_time.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define APP_LOGS_MAX 32
#define APP_LOGS_STEP_MS 250
#define APP_LOGS_AGAIN_MS 2000
#define APP_LOGS_SILENT_MS 30000 /* a target this long without answering is said so */
#define APP_LOGS_PING_MS 15000   /* a quiet stream says it is alive */

struct follow {
	struct app *a;
	struct app_logs_sink sink;
	struct app_inspect_set set;
	struct app_inspect_opts o;
	json_t *cursors; /* key -> cursor, o.after */
	json_t *state;   /* key -> {taskId, askedMs, dueMs, warned} */
	bool follow;
	char actor[128], trace_id[80], source_ip[64];
};

static struct pg_call follow_call(const struct follow *f)
{
	return (struct pg_call){f->actor, f->trace_id, f->source_ip[0] ? f->source_ip : NULL};
}

static bool emit(struct follow *f, const char *event, json_t *target, const char *k, const char *v)
{
	json_t *d = json_pack("{s:O, s:O, s:O*, s:s}", "nodeId", json_object_get(target, "nodeId"),
	                      "node", json_object_get(target, "nodeName"), "site",
	                      json_object_get(target, "site"), k, v);
	bool ok = f->sink.write(f->sink.arg, event, d);
	json_decref(d);
	return ok;
}

/* One event per line of a finished task; false once the reader has gone. */
static bool emit_answer(struct follow *f, json_t *target, json_t *task)
{
	const char *status = json_string_value(json_object_get(task, "status"));
	if (!status || strcmp(status, "succeeded") != 0) {
		const char *why = json_string_value(json_object_get(task, "errorMessage"));
		return emit(f, "error", target, "message", why ? why : "the inspection failed");
	}
	json_t *cur = json_object_get(json_object_get(task, "result"), "cursor");
	if (json_is_string(cur))
		json_object_set(f->cursors, json_string_value(json_object_get(target, "key")), cur);
	const char *out = json_string_value(json_object_get(task, "stdout"));
	for (const char *l = out; l && *l;) {
		const char *e = strchrnul(l, '\n');
		char *line = strndup(l, (size_t)(e - l));
		/* journalctl says "-- No entries --" when there are none */
		bool ok = !line || strncmp(line, "-- No entries --", 16) == 0 ||
		          emit(f, "line", target, "line", line);
		free(line);
		if (!ok)
			return false;
		l = *e ? e + 1 : e;
	}
	return true;
}

static bool finished(const char *s)
{
	return s && (!strcmp(s, "succeeded") || !strcmp(s, "failed") || !strcmp(s, "cancelled"));
}

/* One pass over the targets: reads answers, asks those that are due.
 * Returns how many questions are still out, -1 once the reader has gone. */
static int step(struct follow *f, int64_t now)
{
	struct pg_call call = follow_call(f);
	json_t *t;
	size_t i;
	int out = 0;
	json_array_foreach (f->set.targets, i, t) {
		const char *key = json_string_value(json_object_get(t, "key"));
		json_t *st = json_object_get(f->state, key);
		int64_t id = json_integer_value(json_object_get(st, "taskId"));
		struct pg_err err = {0};
		if (id) {
			json_t *task = cluster_task_get(f->a->cluster, id, true, &err);
			bool done = task &&
			            finished(json_string_value(json_object_get(task, "status")));
			bool ok = true;
			if (done) {
				ok = emit_answer(f, t, task);
				json_object_set_new(st, "taskId", json_integer(0));
				json_object_set_new(st, "dueMs",
				                    json_integer(now + APP_LOGS_AGAIN_MS));
			} else if (!json_is_true(json_object_get(st, "warned")) &&
			           now - json_integer_value(json_object_get(st, "askedMs")) >
			                   APP_LOGS_SILENT_MS) {
				json_object_set_new(st, "warned", json_true());
				ok = emit(
				        f, "error", t, "message",
				        "no answer within 30 s (is its agent online?); still waiting");
			}
			json_decref(task);
			if (!ok)
				return -1;
			out += !done;
			continue;
		}
		if (!f->follow && st)
			continue; /* answered once: that was all */
		if (st && json_integer_value(json_object_get(st, "dueMs")) > now)
			continue;
		if (app_inspect_queue(f->a, &call, &f->set, t, &f->o, &id, &err) != 0) {
			if (!emit(f, "error", t, "message", err.message))
				return -1;
			id = 0;
		}
		json_object_set_new(f->state, key,
		                    json_pack("{s:I, s:I, s:I, s:b}", "taskId", (json_int_t)id,
		                              "askedMs", (json_int_t)now, "dueMs",
		                              (json_int_t)(now + APP_LOGS_AGAIN_MS), "warned", 0));
		out += id != 0;
	}
	return out;
}

static bool stopping(struct app *a)
{
	pthread_mutex_lock(&a->lock);
	bool s = a->stopping;
	pthread_mutex_unlock(&a->lock);
	return s;
}

static void follow_free(struct follow *f, bool close_sink)
{
	if (close_sink)
		f->sink.close(f->sink.arg);
	app_inspect_set_clear(&f->set);
	json_decref(f->cursors);
	json_decref(f->state);
	struct app *a = f->a;
	free(f);
	pthread_mutex_lock(&a->lock);
	a->followers--;
	pthread_cond_broadcast(&a->idle);
	pthread_mutex_unlock(&a->lock);
}

static void *follow_main(void *arg)
{
	struct follow *f = arg;
	int64_t last_write = pg_time_mono_ms();
	for (;;) {
		int64_t now = pg_time_mono_ms();
		int out = f->sink.gone(f->sink.arg) ? -1 : step(f, now);
		if (out < 0 || stopping(f->a))
			break;
		if (!f->follow && out == 0) {
			json_t *d = json_object();
			f->sink.write(f->sink.arg, "end", d);
			json_decref(d);
			break;
		}
		if (now - last_write > APP_LOGS_PING_MS) {
			if (!f->sink.write(f->sink.arg, NULL, NULL))
				break; /* gone: the keepalive is how a quiet stream finds out */
			last_write = now;
		}
		usleep(APP_LOGS_STEP_MS * 1000);
	}
	follow_free(f, true);
	return NULL;
}

int app_logs_stream(struct app *a, const struct pg_call *call, int64_t app_id, json_t *body,
                    bool follow, const struct app_logs_sink *sink, struct pg_err *err)
{
	struct follow *f = calloc(1, sizeof(*f));
	if (!f)
		return pg_err_set(err, PG_EINTERNAL, "", "out of memory");
	int rc = app_inspect_parse(body, &f->o, err);
	if (rc == 0 && f->o.after)
		rc = pg_err_set(err, PG_EINVAL, "afterCursor", "a stream keeps its own cursors");
	if (rc == 0 && f->o.runs)
		rc = pg_err_set(err, PG_EINVAL, "runs", "a stream carries lines, not runs");
	if (rc == 0)
		rc = app_inspect_set(a, app_id, &f->o, &f->set, err);
	pthread_mutex_lock(&a->lock);
	if (rc == 0 && a->followers >= APP_LOGS_MAX)
		rc = pg_err_set(err, PG_ERATELIMIT, "",
		                "%d log streams are open already; close one and ask again",
		                APP_LOGS_MAX);
	if (rc == 0)
		a->followers++;
	pthread_mutex_unlock(&a->lock);
	if (rc != 0) {
		app_inspect_set_clear(&f->set);
		free(f);
		return rc;
	}
	f->a = a;
	f->sink = *sink;
	f->follow = follow;
	f->cursors = json_object();
	f->state = json_object();
	f->o.after = f->cursors;
	snprintf(f->actor, sizeof(f->actor), "%s", call->actor ? call->actor : "system");
	snprintf(f->trace_id, sizeof(f->trace_id), "%s", call->trace_id ? call->trace_id : "");
	snprintf(f->source_ip, sizeof(f->source_ip), "%s", call->source_ip ? call->source_ip : "");
	pthread_t th;
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	rc = pthread_create(&th, &attr, follow_main, f);
	pthread_attr_destroy(&attr);
	if (rc != 0) {
		follow_free(f, false);
		return pg_err_set(err, PG_EUNAVAIL, "", "cannot start a log stream");
	}
	return 0;
}
