/* Health probes and the node's endpoints. A HealthProbe task may register
 * an endpoint ({service, port}): the agent then keeps probing it and reports
 * the node's full set to POST /agent/endpoints (design.md 14.2, option 1): on any
 * change at once, otherwise often enough to stay inside the TTL. The set is
 * kept in STATE/endpoints.json so a restarted agent goes on reporting. */
#include "agent.h"
#include "common/pg_json.h"
#include "common/pg_log.h"
#include "common/pg_proc.h"
#include "common/pg_time.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static size_t discard(char *p, size_t s, size_t n, void *arg)
{
	return s * n;
}

/* One probe attempt; false with why filled on failure. */
static bool probe_once(json_t *p, char *why, size_t len)
{
	const char *kind = json_string_value(json_object_get(p, "kind"));
	json_int_t timeout = json_integer_value(json_object_get(p, "timeoutSec"));
	if (timeout <= 0)
		timeout = 2;
	if (kind && strcmp(kind, "process") == 0) {
		char *argv[] = {"systemctl", "is-active", "--quiet",
		                (char *)json_string_value(json_object_get(p, "unitName")), NULL};
		char *o = NULL, *e = NULL, w[64];
		int st = pg_run(argv, NULL, timeout * 1000, 1024, &o, &e, w, sizeof(w));
		free(o);
		free(e);
		if (st != 0)
			snprintf(why, len, "unit is not active");
		return st == 0;
	}
	if (kind && strcmp(kind, "tcp") == 0) {
		const char *host = json_string_value(json_object_get(p, "host"));
		char port[8];
		snprintf(port, sizeof(port), "%lld",
		         (long long)json_integer_value(json_object_get(p, "port")));
		struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res = NULL;
		if (getaddrinfo(host ? host : "127.0.0.1", port, &hints, &res) != 0) {
			snprintf(why, len, "cannot resolve %s", host);
			return false;
		}
		int fd = socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		bool ok = false;
		if (fd >= 0 &&
		    (connect(fd, res->ai_addr, res->ai_addrlen) == 0 || errno == EINPROGRESS)) {
			struct pollfd pfd = {fd, POLLOUT, 0};
			int soerr = 0;
			socklen_t sl = sizeof(soerr);
			ok = poll(&pfd, 1, (int)timeout * 1000) == 1 &&
			     getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) == 0 && soerr == 0;
			if (!ok)
				snprintf(why, len, "tcp %s:%s: %s", host ? host : "127.0.0.1", port,
				         soerr ? strerror(soerr) : "timed out");
		} else {
			snprintf(why, len, "tcp %s:%s: %s", host ? host : "127.0.0.1", port,
			         strerror(errno));
		}
		if (fd >= 0)
			close(fd);
		freeaddrinfo(res);
		return ok;
	}
	const char *url = json_string_value(json_object_get(p, "url"));
	json_int_t expect = json_integer_value(json_object_get(p, "expectStatus"));
	CURL *c = curl_easy_init();
	long status = 0;
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, (long)timeout);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	CURLcode cc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(c);
	if (cc != CURLE_OK) {
		snprintf(why, len, "GET %s: %s", url, curl_easy_strerror(cc));
		return false;
	}
	if (status != (expect ? expect : 200)) {
		snprintf(why, len, "GET %s answered %ld, want %lld", url, status,
		         (long long)(expect ? expect : 200));
		return false;
	}
	return true;
}

static void save(struct agent *a)
{
	struct pg_err err = {0};
	if (agent_state_save(a, "endpoints.json", a->endpoints, &err) != 0)
		pg_warn("agent", "%s", err.message);
}

void agent_endpoints_init(struct agent *a)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/endpoints.json", a->state_dir);
	pthread_mutex_init(&a->ep_lock, NULL);
	a->endpoints = json_load_file(path, 0, NULL);
	if (!json_is_object(a->endpoints)) {
		json_decref(a->endpoints);
		a->endpoints = json_object();
	}
	a->ep_dirty = true; /* report what survived a restart at once */
}

static void set_register(struct agent *a, json_t *probe, json_t *reg, bool healthy)
{
	const char *svc = json_string_value(json_object_get(reg, "service"));
	json_t *p = json_deep_copy(probe);
	json_object_del(p, "register");
	json_t *e =
	        json_pack("{s:s, s:O, s:O?, s:O?, s:o, s:s, s:i, s:i, s:I}", "service", svc, "port",
	                  json_object_get(reg, "port"), "weight", json_object_get(reg, "weight"),
	                  "version", json_object_get(reg, "version"), "probe", p, "health",
	                  healthy ? "healthy" : "unhealthy", "ok", healthy ? 1 : 0, "fail",
	                  healthy ? 0 : 1, "nextAt", (json_int_t)0);
	pthread_mutex_lock(&a->ep_lock);
	json_object_set_new(a->endpoints, svc, e);
	a->ep_dirty = true;
	save(a);
	pthread_mutex_unlock(&a->ep_lock);
}

void agent_endpoints_forget(struct agent *a, json_t *services)
{
	size_t i;
	json_t *s;
	pthread_mutex_lock(&a->ep_lock);
	json_array_foreach (services, i, s)
		if (json_is_string(s))
			json_object_del(a->endpoints, json_string_value(s));
	a->ep_dirty = true;
	save(a);
	pthread_mutex_unlock(&a->ep_lock);
}

int agent_exec_probe(struct agent *a, json_t *p, int64_t timeout_sec, struct agent_result *r)
{
	json_int_t retries = json_integer_value(json_object_get(p, "retries"));
	json_int_t interval = json_integer_value(json_object_get(p, "intervalSec"));
	if (!json_object_get(p, "retries"))
		retries = 10;
	if (interval <= 0)
		interval = 1;
	char why[512] = "";
	int64_t t0 = pg_time_mono_ms();
	json_int_t attempt = 0;
	bool ok = false;
	while (!ok && attempt <= retries && !a->stopping) {
		if (attempt++ && !agent_sleep(a, interval * 1000))
			break;
		ok = probe_once(p, why, sizeof(why));
	}
	json_t *reg = json_object_get(p, "register");
	if (json_is_object(reg))
		set_register(a, p, reg, ok);
	r->artifacts = json_pack("{s:I, s:I, s:s}", "attempts", attempt, "elapsedMs",
	                         (json_int_t)(pg_time_mono_ms() - t0), "lastError", ok ? "" : why);
	if (!ok) {
		snprintf(r->error, sizeof(r->error),
		         "health probe failed after %lld attempt(s): %s", (long long)attempt, why);
		return -1;
	}
	r->ok = true;
	return 0;
}

/* Probes due endpoints; returns true when a health changed. Thresholds:
 * two failures in a row make an endpoint unhealthy, one success healthy. */
static bool probe_due(struct agent *a)
{
	bool flipped = false;
	int64_t now = pg_time_mono_ms();
	pthread_mutex_lock(&a->ep_lock);
	json_t *snapshot = json_deep_copy(a->endpoints);
	pthread_mutex_unlock(&a->ep_lock);
	const char *svc;
	json_t *e;
	json_object_foreach (snapshot, svc, e) {
		if (json_integer_value(json_object_get(e, "nextAt")) > now)
			continue;
		json_t *probe = json_object_get(e, "probe");
		json_int_t interval = json_integer_value(json_object_get(probe, "intervalSec"));
		char why[512] = "";
		bool ok = probe_once(probe, why, sizeof(why));
		pthread_mutex_lock(&a->ep_lock);
		json_t *cur = json_object_get(a->endpoints, svc);
		if (cur) {
			json_int_t oks =
			        ok ? json_integer_value(json_object_get(cur, "ok")) + 1 : 0;
			json_int_t fails =
			        ok ? 0 : json_integer_value(json_object_get(cur, "fail")) + 1;
			const char *was = json_string_value(json_object_get(cur, "health"));
			const char *now_h = ok && oks >= 1
			                            ? "healthy"
			                            : (!ok && fails >= 2 ? "unhealthy" : was);
			json_object_set_new(cur, "ok", json_integer(oks));
			json_object_set_new(cur, "fail", json_integer(fails));
			json_object_set_new(cur, "note", json_string(ok ? "" : why));
			json_object_set_new(
			        cur, "nextAt",
			        json_integer(now + (interval > 0 ? interval : 5) * 1000));
			if (strcmp(now_h, was) != 0) {
				json_object_set_new(cur, "health", json_string(now_h));
				pg_info("agent", "endpoint %s is %s%s%s", svc, now_h,
				        ok ? "" : ": ", ok ? "" : why);
				flipped = a->ep_dirty = true;
			}
		}
		pthread_mutex_unlock(&a->ep_lock);
	}
	json_decref(snapshot);
	return flipped;
}

/* POSTs the full set; true when pagodad took it. */
static bool report(struct agent *a, bool urgent)
{
	json_t *list = json_array();
	pthread_mutex_lock(&a->ep_lock);
	const char *svc;
	json_t *e;
	json_object_foreach (a->endpoints, svc, e) {
		json_int_t interval = json_integer_value(
		        json_object_get(json_object_get(e, "probe"), "intervalSec"));
		json_t *x = json_pack("{s:s, s:O, s:O, s:I}", "service", svc, "port",
		                      json_object_get(e, "port"), "health",
		                      json_object_get(e, "health"), "ttlSec",
		                      (json_int_t)(interval > 0 ? interval * 3 + 10 : 25));
		if (json_is_integer(json_object_get(e, "weight")))
			json_object_set(x, "weight", json_object_get(e, "weight"));
		if (json_is_string(json_object_get(e, "version")))
			json_object_set(x, "version", json_object_get(e, "version"));
		const char *note = json_string_value(json_object_get(e, "note"));
		if (note && *note)
			json_object_set_new(x, "note", json_string(note));
		json_array_append_new(list, x);
	}
	a->ep_dirty = false;
	pthread_mutex_unlock(&a->ep_lock);
	json_t *body = json_pack("{s:I, s:o}", "nodeId", (json_int_t)a->node_id, "endpoints", list),
	       *out = NULL;
	long status = 0;
	struct pg_err err = {0};
	/* a changed health is not held up by a long poll */
	int rc = urgent ? agent_link_post_urgent(a, "/agent/endpoints", body, 10000, &out, &status,
	                                         &err)
	                : agent_link_post(a, "/agent/endpoints", body, NULL, 10000, &out, &status,
	                                  &err);
	json_decref(body);
	bool ok = rc == 0 && status == 200;
	if (!ok) {
		pg_warn("agent", "endpoint report failed (%ld): %s", status,
		        rc ? err.message
		           : json_string_value(
		                     json_object_get(json_object_get(out, "error"), "message")));
		pthread_mutex_lock(&a->ep_lock);
		a->ep_dirty = true;
		pthread_mutex_unlock(&a->ep_lock);
	}
	json_decref(out);
	return ok;
}

void *agent_endpoints_main(void *arg)
{
	struct agent *a = arg;
	int64_t last = 0;
	while (!a->stopping) {
		probe_due(a);
		pthread_mutex_lock(&a->ep_lock);
		bool dirty = a->ep_dirty;
		size_t n = json_object_size(a->endpoints);
		pthread_mutex_unlock(&a->ep_lock);
		int64_t now = pg_time_mono_ms();
		/* refresh well inside the TTL, or at once on a change */
		if (dirty || (n && now - last > 8000)) {
			if (report(a, dirty))
				last = now;
		}
		/* the long poll ends by the next refresh */
		agent_link_due(a, AGENT_DUE_ENDPOINTS, n ? last + 8000 : 0);
		agent_sleep(a, 500);
	}
	return NULL;
}
