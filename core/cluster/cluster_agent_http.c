/* Controller for the /agent endpoints: heartbeat, long-poll, report (design.md 13.2-13.3).
 * An agent token opens only its own node's endpoints. */
#include "cluster/cluster_http.h"
#include "cluster/cluster_int.h"
#include "http/http_waitset.h"
#include "common/pg_json.h"
#include "common/pg_time.h"
#include "http/http.h"
#include "pagodad.h"

#include <stdlib.h>
#include <string.h>

/* The held long polls, keyed by node id. */
static struct http_waitset *polls_of(struct http_req *req)
{
	return ((struct pagodad *)req->app)->polls;
}

static struct cluster *cl_of(struct http_req *req)
{
	return ((struct pagodad *)req->app)->cluster;
}

/* Checks body.nodeId against the token's node; answers and returns false on
 * mismatch. */
bool cluster_http_own_node(struct http_req *req)
{
	struct pg_err err = {0};
	int64_t node_id = 0;
	if (pg_json_int(req->body, "nodeId", true, 1, INT64_MAX, &node_id, &err) != 0) {
		http_reply_err(req, &err);
		return false;
	}
	if (node_id != req->who.node_id) {
		http_reply_error(req, PG_EFORBIDDEN, "nodeId",
		                 "this agent token belongs to node %lld, not node %lld",
		                 (long long)req->who.node_id, (long long)node_id);
		return false;
	}
	return true;
}

/* Records a heartbeat (the body of POST /agent/heartbeat, or the
 * "heartbeat" a poll carries) of the request's node. */
static int heartbeat_record(struct http_req *req, json_t *hb, struct pg_err *err)
{
	struct pg_call call = http_call(req);
	const char *version = NULL;
	json_t *caps = NULL, *facts = NULL;
	int rc = pg_json_str(hb, "agentVersion", false, 64, &version, err);
	if (rc == 0)
		rc = pg_json_obj(hb, "capabilities", false, &caps, err);
	if (rc == 0)
		rc = pg_json_obj(hb, "facts", false, &facts, err);
	if (rc == 0)
		rc = cluster_live_heartbeat(cl_of(req), &call, req->who.node_id, version, caps,
		                            facts, err);
	return rc;
}

static json_t *heartbeat_answer(struct cluster *cl, int64_t accepted_ms)
{
	json_t *out = json_object();
	pg_json_set_time(out, "serverTime", pg_time_now_ms());
	pg_json_set_time(out, "acceptedAt", accepted_ms);
	json_object_set_new(out, "nextPollIntervalMs",
	                    json_integer(cl->opts.heartbeat_interval_ms));
	json_object_set_new(out, "heartbeatIntervalMs",
	                    json_integer(cl->opts.heartbeat_interval_ms));
	return out;
}

/* A heartbeat that writes (see cluster_live_heartbeat_writes) is handed
 * to the writer thread, where it shares a commit with others instead of
 * holding an HTTP thread through an fsync of its own. True: suspended,
 * the handler runs again there. */
static bool heartbeat_grouped(struct http_req *req, json_t *hb)
{
	return json_is_object(hb) && !http_grouped(req) &&
	       cluster_live_heartbeat_writes(cl_of(req), req->who.node_id,
	                                     json_object_get(hb, "capabilities")) &&
	       http_group(req);
}

static void agent_heartbeat(struct http_req *req)
{
	struct pg_err err = {0};
	if (!cluster_http_own_node(req) || heartbeat_grouped(req, req->body))
		return;
	if (heartbeat_record(req, req->body, &err) != 0) {
		http_reply_err(req, &err);
		return;
	}
	http_reply(req, 200, heartbeat_answer(cl_of(req), pg_time_now_ms()));
}

/* What a suspended poll remembers between its handler calls. */
struct poll_state {
	int64_t max, deadline;
	json_t *running;
	int64_t heartbeat_ms; /* when the heartbeat it carried was recorded; 0 none */
};

static void poll_state_free(void *p)
{
	struct poll_state *s = p;
	if (s)
		json_decref(s->running);
	free(s);
}

static void agent_poll(struct http_req *req)
{
	struct cluster *cl = cl_of(req);
	struct pg_err err = {0};
	struct poll_state *s = req->suspend_data;
	if (!s) {
		int64_t wait_ms = cl->opts.poll_wait_max_ms, wait_sec = -1, max = 1, hb_ms = 0;
		json_t *running = NULL, *hb = NULL;
		if (!cluster_http_own_node(req) ||
		    heartbeat_grouped(req, json_object_get(req->body, "heartbeat")))
			return;
		int rc = pg_json_int(req->body, "maxTasks", false, 1, 20, &max, &err);
		if (rc == 0)
			rc = pg_json_int(req->body, "waitSec", false, 0, 3600, &wait_sec, &err);
		if (rc == 0)
			rc = pg_json_arr(req->body, "runningTaskIds", false, 1000, &running, &err);
		/* the agent's one connection: a poll carries the heartbeat when due */
		if (rc == 0)
			rc = pg_json_obj(req->body, "heartbeat", false, &hb, &err);
		if (rc == 0 && hb && (rc = heartbeat_record(req, hb, &err)) != 0)
			pg_err_prefix_field(&err, "heartbeat");
		if (rc == 0 && hb) {
			hb_ms = pg_time_now_ms();
			json_object_del(req->body, "heartbeat"); /* not held while it waits */
		}
		if (rc != 0) {
			http_reply_err(req, &err);
			return;
		}
		if (wait_sec >= 0 && wait_sec * 1000 < wait_ms)
			wait_ms = wait_sec * 1000;
		s = calloc(1, sizeof(*s));
		if (!s) {
			http_reply_error(req, PG_EINTERNAL, "", "out of memory");
			return;
		}
		s->max = max;
		s->heartbeat_ms = hb_ms;
		s->deadline = pg_time_mono_ms() + wait_ms;
		s->running = running ? json_incref(running) : json_array();
		req->suspend_data = s;
		req->suspend_data_free = poll_state_free;
	}
	for (;;) {
		uint64_t gen = http_waitset_gen(polls_of(req), req->who.node_id);
		/* a claim writes: done on the writer thread, with other claims and
		 * reports in one commit (a batch of a release wakes a hundred polls) */
		int ready = http_grouped(req)
		                    ? 1
		                    : cluster_task_ready(cl, req->who.node_id, s->running, &err);
		if (ready < 0) {
			http_reply_err(req, &err);
			return;
		}
		if (ready > 0 && http_group(req))
			return;
		json_t *tasks = json_array();
		/* nothing ready: the claim would only look again */
		if (ready > 0 && cluster_task_claim(cl, req->who.node_id, s->max, s->running, tasks,
		                                    &err) != 0) {
			json_decref(tasks);
			http_reply_err(req, &err);
			return;
		}
		if (json_array_size(tasks) > 0 || pg_time_mono_ms() >= s->deadline ||
		    http_waitset_stopping(polls_of(req)) || http_grouped(req)) {
			json_t *out = json_pack("{s:o}", "tasks", tasks);
			if (s->heartbeat_ms)
				json_object_set_new(out, "heartbeat",
				                    heartbeat_answer(cl, s->heartbeat_ms));
			http_reply(req, 200, out);
			return;
		}
		json_decref(tasks);
		if (http_waitset_wait(polls_of(req), req->who.node_id, gen, req, s->deadline))
			return; /* called again when woken or timed out */
	}
}

static void agent_report(struct http_req *req)
{
	struct pg_err err = {0};
	struct pg_call call = http_call(req);
	json_t *out = NULL;
	if (!cluster_http_own_node(req))
		return;
	if (cluster_task_report(cl_of(req), &call, req->who.node_id, req->body, &out, &err) != 0) {
		http_reply_err(req, &err);
		return;
	}
	http_reply(req, 200, out);
}

/* A new agent trades a one-time join token for its node and agent token.
 * Unauthenticated, so failures count against the source address like bad
 * bearer tokens do. */
static void agent_join(struct http_req *req)
{
	if (http_auth_blocked(req))
		return;
	struct pg_err err = {0};
	struct pg_call call = http_call(req);
	call.actor = "join-token";
	json_t *out = NULL;
	char secret[AUTH_SECRET_LEN];
	int rc =
	        cluster_node_join(cl_of(req), &call, req->body, req->source_ip, &out, secret, &err);
	if (rc == PG_EUNAUTH)
		http_auth_failed(req);
	if (rc == 0) {
		json_t *node = out;
		out = json_pack("{s:O, s:s, s:o}", "nodeId", json_object_get(node, "id"), "token",
		                secret, "node", node);
		explicit_bzero(secret, sizeof(secret));
	}
	http_answer(req, rc, 201, out, &err);
}

/* The join script asks this before it installs anything, so a used or
 * expired token stops it with nothing changed. Counted like a join. */
static void agent_join_check(struct http_req *req)
{
	if (http_auth_blocked(req))
		return;
	struct pg_err err = {0};
	int rc = cluster_node_join_check(cl_of(req), req->body, &err);
	if (rc == PG_EUNAUTH)
		http_auth_failed(req);
	http_answer(req, rc, 200, rc == 0 ? json_pack("{s:b}", "valid", 1) : NULL, &err);
}

const struct http_route cluster_agent_routes[] = {
        {.method = "POST", .path = "/agent/join", .auth = HTTP_AUTH_NONE, .fn = agent_join},
        {.method = "POST",
         .path = "/agent/join/check",
         .auth = HTTP_AUTH_NONE,
         .fn = agent_join_check},
        {.method = "POST",
         .path = "/agent/heartbeat",
         .auth = HTTP_AUTH_AGENT,
         .fn = agent_heartbeat},
        {.method = "POST", .path = "/agent/tasks/poll", .auth = HTTP_AUTH_AGENT, .fn = agent_poll},
        {.method = "POST",
         .path = "/agent/tasks/report",
         .auth = HTTP_AUTH_AGENT,
         .fn = agent_report,
         .grouped = true},
        {0},
};
