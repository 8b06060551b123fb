/* pagoda-agent: flags, the task loop (its polls carry the heartbeat) and
 * the heartbeat thread that stands in while tasks run. */
#include "agent.h"
#include "agent_settings.h"
#include "common/pg_log.h"
#include "common/pg_notify.h"
#include "common/pg_time.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct agent *the_agent;

static void on_signal(int sig)
{
	if (the_agent)
		the_agent->stopping = 1;
}

static json_t *heartbeat_body(struct agent *a, json_t *caps)
{
	json_t *body = json_pack("{s:s, s:O, s:o}", "agentVersion", AGENT_VERSION, "capabilities",
	                         caps, "facts", agent_facts());
	char ts[40];
	pg_time_format(pg_time_now_ms(), ts, sizeof(ts));
	json_object_set_new(body, "timestamp", json_string(ts));
	return body;
}

/* pagodad took the heartbeat sent at sent_ms; answer is its reply. */
static void heartbeat_taken(struct agent *a, json_t *answer, int64_t sent_ms)
{
	a->heartbeat_at = sent_ms;
	agent_upgrade_mark_running(a);
	json_int_t ms = json_integer_value(json_object_get(answer, "nextPollIntervalMs"));
	if (ms >= 100 && ms <= 3600000)
		a->heartbeat_ms = ms;
}

/* POST /agent/heartbeat over the connection; 0 when pagodad took it. */
static int send_heartbeat(struct agent *a, json_t *caps, long *status, struct pg_err *err,
                          char *why, size_t why_len)
{
	json_t *body = heartbeat_body(a, caps), *out = NULL;
	json_object_set_new(body, "nodeId", json_integer(a->node_id));
	int64_t sent = pg_time_mono_ms();
	int rc = agent_link_post(a, "/agent/heartbeat", body, NULL, 10000, &out, status, err);
	json_decref(body);
	if (rc == 0 && *status == 200)
		heartbeat_taken(a, out, sent);
	else
		snprintf(why, why_len, "%s",
		         rc ? err->message
		            : json_string_value(json_object_get(json_object_get(out, "error"),
		                                                "message"))
		                      ?: "?");
	json_decref(out);
	return rc == 0 && *status == 200 ? 0 : -1;
}

/* The poll carries the heartbeat (task_loop); this thread sends one when
 * it is due and the poll thread cannot carry it soon: while tasks run, or
 * while it waits out a failed poll. */
static void *heartbeat_main(void *arg)
{
	struct agent *a = arg;
	json_t *caps = agent_caps(a);
	int failures = 0;
	int64_t started = pg_time_mono_ms();
	while (!a->stopping) {
		int64_t last = a->heartbeat_at ? a->heartbeat_at : started;
		int64_t due = last + a->heartbeat_ms - pg_time_mono_ms();
		if (due > 0) {
			agent_sleep(a, due < 1000 ? due : 1000);
			continue;
		}
		if (!a->poll_busy && !a->heartbeat_apart) {
			/* the poll thread is polling, or about to: its poll carries it */
			agent_sleep(a, 100);
			continue;
		}
		long status = 0;
		struct pg_err err = {0};
		char why[1100];
		if (send_heartbeat(a, caps, &status, &err, why, sizeof(why)) == 0) {
			if (failures)
				pg_info("agent", "heartbeat accepted again after %d failures",
				        failures);
			failures = 0;
		} else {
			if (failures++ % 10 == 0)
				pg_warn("agent", "heartbeat failed (%ld): %s", status, why);
			int64_t b = agent_backoff_ms(failures, 30000);
			agent_sleep(a, b < a->heartbeat_ms ? b : a->heartbeat_ms);
		}
	}
	json_decref(caps);
	return NULL;
}

/* Sends a report, under the task's trace id, until pagodad answers; 4xx
 * answers are final. A final report with "next" gets the node's next
 * ready tasks in its answer, appended to todo (may be NULL). */
static void report(struct agent *a, json_t *task, json_t *body, json_t *todo)
{
	const char *trace = json_string_value(json_object_get(task, "traceId"));
	for (int n = 0; !a->stopping; n++) {
		json_t *out = NULL;
		long status = 0;
		struct pg_err err = {0};
		int rc = agent_link_post(a, "/agent/tasks/report", body, trace, 30000, &out,
		                         &status, &err);
		if (rc == 0 && status < 500) {
			if (status >= 300)
				pg_warn("agent", "report of task %lld refused (%ld): %s",
				        (long long)json_integer_value(
				                json_object_get(body, "taskId")),
				        status,
				        json_string_value(json_object_get(
				                json_object_get(out, "error"), "message")));
			else if (todo)
				json_array_extend(todo, json_object_get(out, "tasks"));
			json_decref(out);
			return;
		}
		json_decref(out);
		if (n % 10 == 0)
			pg_warn("agent", "cannot report yet: %s",
			        rc ? err.message : "server error");
		agent_sleep(a, agent_backoff_ms(n, 30000));
	}
}

static json_t *final_report(struct agent *a, json_t *task, struct agent_result *r)
{
	json_t *b = json_pack("{s:I, s:O, s:O, s:s}", "nodeId", (json_int_t)a->node_id, "taskId",
	                      json_object_get(task, "taskId"), "attempt",
	                      json_object_get(task, "attempt"), "status",
	                      r->ok ? "succeeded" : "failed");
	if (!r->ok)
		json_object_set_new(b, "errorMessage", json_string(r->error));
	if (r->retryable)
		json_object_set_new(b, "retryable", json_true());
	if (r->out)
		json_object_set_new(b, "stdout", json_string(r->out));
	if (r->errout)
		json_object_set_new(b, "stderr", json_string(r->errout));
	if (r->exit_code != INT64_MIN)
		json_object_set_new(b, "exitCode", json_integer(r->exit_code));
	if (r->artifacts)
		json_object_set(b, "artifacts", r->artifacts);
	return b;
}

/* Runs one task under the journal's idempotency rules. With todo, the
 * final report asks for the node's next ready tasks and todo gets them:
 * a dependency chain moves on without a poll of its own. */
static void handle(struct agent *a, json_t *task, json_t *todo)
{
	json_int_t id = json_integer_value(json_object_get(task, "taskId"));
	json_int_t attempt = json_integer_value(json_object_get(task, "attempt"));
	pg_log_set_trace(json_string_value(json_object_get(task, "traceId")));
	const char *type = json_string_value(json_object_get(task, "type"));
	json_t *j = agent_journal_get(a, id);
	const char *state = json_string_value(json_object_get(j, "state"));
	json_int_t jattempt = json_integer_value(json_object_get(j, "attempt"));
	struct pg_err err = {0};
	if (state && (strcmp(state, "succeeded") == 0 ||
	              (strcmp(state, "failed") == 0 && jattempt == attempt))) {
		/* Finished before: report the same outcome again, do not run it. */
		pg_info("agent", "task %lld delivered again; replaying its %s report",
		        (long long)id, state);
		json_t *b = json_deep_copy(json_object_get(j, "report"));
		json_object_set_new(b, "attempt", json_integer(attempt));
		if (todo)
			json_object_set_new(b, "next", json_integer(5));
		report(a, task, b, todo);
		if (strcmp(state, "succeeded") == 0 && type)
			agent_state_note(a, type, json_object_get(task, "payload"),
			                 json_object_get(b, "artifacts"));
		json_decref(b);
		json_decref(j);
		return;
	}
	bool interrupted = state && strcmp(state, "started") == 0 && jattempt == attempt;
	json_decref(j);
	struct agent_result r = {0};
	if (interrupted && type && strcmp(type, "RunCommand") == 0) {
		/* A command may not be safe to run twice; let the server decide. */
		r.exit_code = INT64_MIN;
		r.retryable = true;
		snprintf(r.error, sizeof(r.error), "interrupted by an agent restart");
	} else {
		json_t *rec = json_pack("{s:s, s:I}", "state", "started", "attempt", attempt);
		if (agent_journal_put(a, id, rec, &err) != 0)
			pg_error("agent", "%s", err.message);
		json_decref(rec);
		json_t *running =
		        json_pack("{s:I, s:I, s:I, s:s}", "nodeId", (json_int_t)a->node_id,
		                  "taskId", id, "attempt", attempt, "status", "running");
		report(a, task, running, NULL);
		json_decref(running);
		pg_info("agent", "task %lld %s attempt %lld%s", (long long)id, type,
		        (long long)attempt, interrupted ? " (resumed after restart)" : "");
		agent_exec(a, task, &r);
	}
	json_t *b = final_report(a, task, &r);
	json_t *rec = json_pack("{s:s, s:I, s:O}", "state", r.ok ? "succeeded" : "failed",
	                        "attempt", attempt, "report", b);
	if (agent_journal_put(a, id, rec, &err) != 0)
		pg_error("agent", "%s", err.message);
	json_decref(rec);
	pg_info("agent", "task %lld %s%s%s", (long long)id,
	        r.ok ? "succeeded" : "failed: ", r.ok ? "" : "", r.ok ? "" : r.error);
	if (todo)
		json_object_set_new(b, "next", json_integer(5));
	report(a, task, b, todo);
	/* only now: the state report that follows must reach pagodad after the
	 * task's outcome, which is what it compares against */
	if (r.ok && type)
		agent_state_note(a, type, json_object_get(task, "payload"), r.artifacts);
	json_decref(b);
	agent_result_free(&r);
}

/* How long the next poll may wait (seconds), and whether it carries the
 * heartbeat: it ends by the time the next heartbeat or another thread's
 * periodic send is due. 0 s polls are not sent: *sleep_ms says how long to
 * wait before asking again instead. */
static int64_t poll_wait(struct agent *a, bool *carry, int64_t *sleep_ms)
{
	int64_t now = pg_time_mono_ms(), hb_due = a->heartbeat_at + a->heartbeat_ms;
	*carry = !a->heartbeat_apart && (!a->heartbeat_at || now >= hb_due);
	if (a->heartbeat_apart && hb_due < now + 1000)
		hb_due = now + 1000; /* the heartbeat thread's turn */
	int64_t until = *carry ? now + a->heartbeat_ms : hb_due, other = agent_link_next_due(a);
	/* one overdue (its thread is about to send, or failing) cuts polls to 1 s */
	if (other && other < until)
		until = other < now + 1000 ? now + 1000 : other;
	int64_t sec = (until - now) / 1000;
	*sleep_ms = 0;
	if (sec <= 0 && !*carry) /* a send falls due within the second */
		*sleep_ms = until - now < 100 ? 100 : until - now;
	return sec > 25 ? 25 : sec < 0 ? 0 : sec;
}

static void task_loop(struct agent *a)
{
	json_t *caps = agent_caps(a);
	int failures = 0;
	/* a heartbeat of its own first: its answer says how often pagodad wants
	 * them, which the first poll's wait must already respect */
	{
		long hb_status = 0;
		struct pg_err hb_err = {0};
		char why[1100];
		if (send_heartbeat(a, caps, &hb_status, &hb_err, why, sizeof(why)) != 0)
			pg_warn("agent", "heartbeat failed (%ld): %s", hb_status, why);
	}
	while (!a->stopping) {
		bool carry;
		int64_t pause, wait = poll_wait(a, &carry, &pause);
		if (pause) {
			agent_sleep(a, pause);
			continue;
		}
		json_t *body =
		        json_pack("{s:I, s:i, s:I, s:[]}", "nodeId", (json_int_t)a->node_id,
		                  "maxTasks", 5, "waitSec", (json_int_t)wait, "runningTaskIds");
		if (carry)
			json_object_set_new(body, "heartbeat", heartbeat_body(a, caps));
		json_t *out = NULL;
		long status = 0;
		struct pg_err err = {0};
		/* taken when it arrives, not when the poll ends: the heartbeat
		 * thread must not send another meanwhile */
		int64_t before = a->heartbeat_at, sent = pg_time_mono_ms();
		if (carry)
			a->heartbeat_at = sent;
		int rc = agent_link_poll(a, body, (wait + 15) * 1000, &out, &status, &err);
		json_decref(body);
		if (rc != 0 || status != 200) {
			if (carry)
				a->heartbeat_at = before;
			const char *msg = rc ? err.message
			                     : json_string_value(json_object_get(
			                               json_object_get(out, "error"), "message"));
			if (failures++ % 10 == 0)
				pg_warn("agent", "poll failed (%ld): %s", status, msg ? msg : "?");
			json_decref(out);
			a->poll_busy = true;
			agent_sleep(a, agent_backoff_ms(failures, 30000));
			a->poll_busy = false;
			continue;
		}
		if (failures)
			pg_info("agent", "poll answered again after %d failures", failures);
		failures = 0;
		if (carry && json_object_get(out, "heartbeat")) {
			heartbeat_taken(a, json_object_get(out, "heartbeat"), sent);
		} else if (carry) {
			/* a pagodad older than this agent: heartbeats of their own */
			pg_info("agent", "pagodad does not take heartbeats in polls: sending "
			                 "them apart");
			a->heartbeat_at = before;
			a->heartbeat_apart = true;
		}
		/* the poll's tasks in order; the last one's final report brings
		 * those that became ready meanwhile (its dependents) */
		json_t *todo = json_incref(json_object_get(out, "tasks"));
		a->poll_busy = json_array_size(todo) > 0;
		for (size_t i = 0; json_is_array(todo) && i < json_array_size(todo) && !a->stopping;
		     i++)
			handle(a, json_array_get(todo, i),
			       i + 1 == json_array_size(todo) ? todo : NULL);
		json_decref(todo);
		a->poll_busy = false;
		json_decref(out);
	}
	json_decref(caps);
}

/* Applies the settings to the agent; *roots gets the allowed write roots. */
static void apply_settings(const struct agent_settings *s, struct agent *a, const char **roots,
                           size_t *nroots)
{
	enum pg_log_level level;
	enum pg_log_format format;
	if (pg_log_parse_level(s->log_level, &level))
		pg_log_set_level(level);
	if (pg_log_parse_format(s->log_format, &format))
		pg_log_set_format(format);
	*a = (struct agent){.server = s->server,
	                    .token_file = s->token_file,
	                    .state_dir = s->state_dir,
	                    .ca_file = s->ca_file,
	                    .root = s->root,
	                    .node_id = s->node_id,
	                    .allow_exec = s->allow_exec,
	                    .heartbeat_ms = 10000,
	                    .download_max_rate = s->download_max_rate,
	                    .artifacts_keep = (int)s->artifacts_keep,
	                    .state_ms = s->state_interval * 1000};
	static const char *const always[] = {"/etc/nginx", "/etc/systemd/system", "/etc/pagoda",
	                                     "/etc/ssl/pagoda", "/var/lib/pagoda/apps"};
	*nroots = 0;
	for (size_t i = 0; i < sizeof(always) / sizeof(always[0]); i++)
		roots[(*nroots)++] = always[i];
	for (size_t i = 0; i < s->allow_root.n; i++)
		roots[(*nroots)++] = s->allow_root.v[i];
}

static int run(const struct agent_settings *s)
{
	const char *roots[PG_CONF_LIST_MAX + 8];
	size_t nroots;
	struct agent a;
	apply_settings(s, &a, roots, &nroots);
	const char *pin = s->ca_fingerprint, *join_file = s->join_token_file,
	           *node_name = s->node_name;
	bool insecure_http = s->insecure_http;
	struct pg_err err = {0};
	if (agent_server_check(a.server, insecure_http, &err) != 0 ||
	    agent_paths_new(a.root, roots, nroots, &a.paths, &err) != 0 ||
	    agent_journal_init(&a, &err) != 0) {
		pg_error("agent", "%s", err.message);
		agent_paths_free(a.paths);
		return 1;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	the_agent = &a;
	struct sigaction sa = {.sa_handler = on_signal};
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if ((pin && agent_ca_pin(&a, pin, &err) != 0) ||
	    agent_join(&a, join_file, node_name, &err) != 0) {
		pg_error("agent", "%s", err.message);
		agent_paths_free(a.paths);
		curl_global_cleanup();
		return 1;
	}
	pg_info("agent", "pagoda-agent %s for node %lld of %s%s", AGENT_VERSION,
	        (long long)a.node_id, a.server, a.allow_exec ? " (RunCommand enabled)" : "");
	pg_notify("READY=1"); /* enrolled: the node id and token are known */
	agent_endpoints_init(&a);
	agent_state_init(&a);
	if (agent_link_new(&a) != 0) {
		pg_error("agent", "out of memory");
		return 1;
	}
	pthread_t hb, ep, stt;
	if (pthread_create(&hb, NULL, heartbeat_main, &a) != 0 ||
	    pthread_create(&ep, NULL, agent_endpoints_main, &a) != 0 ||
	    pthread_create(&stt, NULL, agent_state_main, &a) != 0) {
		pg_error("agent", "cannot start its threads");
		return 1;
	}
	task_loop(&a);
	agent_state_wake(&a);
	pthread_join(hb, NULL);
	pthread_join(ep, NULL);
	pthread_join(stt, NULL);
	agent_link_free(&a);
	json_decref(a.endpoints);
	json_decref(a.watch);
	agent_paths_free(a.paths);
	curl_global_cleanup();
	pg_info("agent", "stopped");
	return 0;
}

int main(int argc, char **argv)
{
	struct agent_settings s;
	struct pg_conf *conf = NULL;
	struct pg_err err = {0};
	if (agent_settings_load(argc, argv, &s, &conf, &err) != 0) {
		fprintf(stderr, "%s\n", err.message);
		pg_conf_free(conf);
		return 2;
	}
	int rc = 0;
	if (s.help)
		agent_settings_help(stdout);
	else if (s.version)
		printf("pagoda-agent %s\n", AGENT_VERSION);
	else if (s.print_config)
		pg_conf_print(conf, &s, stdout);
	else
		rc = run(&s);
	pg_conf_free(conf);
	return rc;
}
