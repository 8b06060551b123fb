/* GET /metrics: the in-process counters and histograms (pg_metrics), plus
 * gauges read at scrape time from the components: nodes, tasks, releases,
 * long polls, Lua scripts, certificates, alerts and drift, and the build
 * and process. */
#include "alert/alert.h"
#include "application/application.h"
#include "cluster/cluster.h"
#include "http/http_waitset.h"
#include "common/pg_metrics.h"
#include "drift/drift.h"
#include "lua/plua.h"
#include "metrics/metrics_http.h"
#include "pagodad.h"
#include "ssl/ssl.h"

#include "common/pg_time.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

struct out {
	char *buf;
	size_t len, cap;
};

static void header(struct out *o, const char *name, const char *help, const char *type)
{
	pg_metrics_text_header(&o->buf, &o->len, &o->cap, name, help, type);
}

static void sample(struct out *o, const char *name, double v, const char *k1, const char *v1,
                   const char *k2, const char *v2)
{
	const char *kv[] = {k1, v1, k2, v2, NULL};
	pg_metrics_text_sample(&o->buf, &o->len, &o->cap, name, v, kv);
}

static void nodes(struct out *o, struct pagodad *app)
{
	json_t *n = NULL;
	struct pg_err err = {0};
	if (cluster_node_counts(app->cluster, &n, &err) != 0)
		return;
	header(o, "pagoda_nodes", "Nodes by agent status", "gauge");
	sample(o, "pagoda_nodes", (double)json_integer_value(json_object_get(n, "online")),
	       "status", "online", NULL, NULL);
	sample(o, "pagoda_nodes", (double)json_integer_value(json_object_get(n, "offline")),
	       "status", "offline", NULL, NULL);
	json_decref(n);
	header(o, "pagoda_agent_polls_waiting", "Agent long polls held open right now", "gauge");
	sample(o, "pagoda_agent_polls_waiting", (double)http_waitset_count(app->polls), NULL, NULL,
	       NULL, NULL);
}

static void tasks(struct out *o, struct pagodad *app)
{
	json_t *rows = NULL, *r;
	struct pg_err err = {0};
	size_t i;
	if (cluster_task_counts(app->cluster, &rows, &err) != 0)
		return;
	header(o, "pagoda_tasks", "Tasks in the queue by type and status", "gauge");
	json_array_foreach (rows, i, r)
		sample(o, "pagoda_tasks", (double)json_integer_value(json_object_get(r, "count")),
		       "type", json_string_value(json_object_get(r, "type")), "status",
		       json_string_value(json_object_get(r, "status")));
	json_decref(rows);
}

static void releases(struct out *o, struct pagodad *app)
{
	json_t *s = NULL, *v;
	struct pg_err err = {0};
	const char *k;
	if (!app->application || app_release_summary(app->application, &s, &err) != 0)
		return;
	header(o, "pagoda_releases", "Releases by status", "gauge");
	json_object_foreach (json_object_get(s, "byStatus"), k, v)
		sample(o, "pagoda_releases", (double)json_integer_value(v), "status", k, NULL,
		       NULL);
	json_decref(s);
}

static void scripts(struct out *o, struct pagodad *app)
{
	json_t *st = plua_status(app->lua), *x;
	size_t i;
	static const char *const names[][2] = {
	        {"pagoda_lua_calls_total", "Calls of each Lua policy, template or plugin"},
	        {"pagoda_lua_errors_total",
	         "Failed calls of each Lua script (errors, budget, bad answers)"},
	        {"pagoda_lua_load_failing",
	         "1 while the newest files of a script fail to load (the last good one runs)"},
	};
	static const char *const keys[] = {"calls", "errors", "loadFailing"};
	for (int m = 0; m < 3; m++) {
		header(o, names[m][0], names[m][1], m < 2 ? "counter" : "gauge");
		json_array_foreach (st, i, x) {
			json_t *v = json_object_get(x, keys[m]);
			sample(o, names[m][0],
			       json_is_boolean(v) ? json_is_true(v) : (double)json_integer_value(v),
			       "script", json_string_value(json_object_get(x, "path")), NULL, NULL);
		}
	}
	json_decref(st);
}

static void certificates(struct out *o, struct pagodad *app)
{
	json_t *certs = NULL, *c;
	struct pg_err err = {0};
	size_t i;
	if (!app->ssl || ssl_list(app->ssl, &certs, &err) != 0)
		return;
	/* a timestamp in seconds, Prometheus's base unit: alert on
	 * pagoda_certificate_expiry_timestamp_seconds - time() < 21 * 86400 */
	header(o, "pagoda_certificate_expiry_timestamp_seconds",
	       "When each certificate's current version expires (Unix time)", "gauge");
	json_array_foreach (certs, i, c) {
		int64_t ms = 0;
		const char *after = json_string_value(
		        json_object_get(json_object_get(c, "current"), "notAfter"));
		if (after && pg_time_parse(after, &ms) == 0)
			sample(o, "pagoda_certificate_expiry_timestamp_seconds",
			       (double)ms / 1000.0, "certificate",
			       json_string_value(json_object_get(c, "name")), NULL, NULL);
	}
	json_decref(certs);
}

/* The build, and the process as Prometheus's client libraries describe
 * theirs (process_*), read from /proc at scrape time. */
static void process(struct out *o)
{
	header(o, "pagoda_build_info", "pagodad's version (always 1)", "gauge");
	sample(o, "pagoda_build_info", 1, "version", PAGODA_VERSION, NULL, NULL);
	struct rusage ru;
	if (getrusage(RUSAGE_SELF, &ru) == 0) {
		header(o, "process_cpu_seconds_total", "User and system CPU time spent", "counter");
		sample(o, "process_cpu_seconds_total",
		       (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
		               (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6,
		       NULL, NULL, NULL, NULL);
	}
	long page = sysconf(_SC_PAGESIZE);
	unsigned long long size = 0, resident = 0;
	FILE *f = fopen("/proc/self/statm", "r");
	if (f && fscanf(f, "%llu %llu", &size, &resident) == 2) {
		header(o, "process_resident_memory_bytes", "Resident memory size", "gauge");
		sample(o, "process_resident_memory_bytes", (double)resident * (double)page, NULL,
		       NULL, NULL, NULL);
		header(o, "process_virtual_memory_bytes", "Virtual memory size", "gauge");
		sample(o, "process_virtual_memory_bytes", (double)size * (double)page, NULL, NULL,
		       NULL, NULL);
	}
	if (f)
		fclose(f);
	/* field 22 of /proc/self/stat: the start, in clock ticks after boot */
	char buf[1024];
	unsigned long long start = 0, btime = 0;
	f = fopen("/proc/self/stat", "r");
	size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
	if (f)
		fclose(f);
	buf[n] = '\0';
	const char *p = strrchr(buf, ')');
	for (int field = 2; p && field < 22; field++)
		p = strchr(p + 1, ' ');
	if (p)
		start = strtoull(p + 1, NULL, 10);
	f = fopen("/proc/stat", "r");
	while (f && fgets(buf, sizeof(buf), f))
		if (sscanf(buf, "btime %llu", &btime) == 1)
			break;
	if (f)
		fclose(f);
	if (start && btime) {
		header(o, "process_start_time_seconds", "Start time since the Unix epoch", "gauge");
		sample(o, "process_start_time_seconds",
		       (double)btime + (double)start / (double)sysconf(_SC_CLK_TCK), NULL, NULL,
		       NULL, NULL);
	}
	DIR *d = opendir("/proc/self/fd");
	if (d) {
		long fds = -1; /* the directory's own descriptor is not one of ours */
		for (struct dirent *e; (e = readdir(d));)
			fds += e->d_name[0] != '.';
		closedir(d);
		header(o, "process_open_fds", "Open file descriptors", "gauge");
		sample(o, "process_open_fds", (double)fds, NULL, NULL, NULL, NULL);
	}
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		header(o, "process_max_fds", "The limit of open file descriptors", "gauge");
		sample(o, "process_max_fds", (double)rl.rlim_cur, NULL, NULL, NULL, NULL);
	}
}

static void alerts_and_drift(struct out *o, struct pagodad *app)
{
	json_t *items = NULL, *x;
	int64_t next;
	size_t i;
	struct pg_err err = {0};
	if (app->alert &&
	    alert_list(app->alert, "firing", NULL, 0, 1000, &items, &next, &err) == 0) {
		json_t *by = json_object();
		const char *k;
		json_array_foreach (items, i, x) {
			const char *rule = json_string_value(json_object_get(x, "rule"));
			json_object_set_new(
			        by, rule,
			        json_integer(json_integer_value(json_object_get(by, rule)) + 1));
		}
		header(o, "pagoda_alerts_firing", "Alerts firing, by rule", "gauge");
		for (int r = 0; alert_rule_names[r]; r++)
			sample(o, "pagoda_alerts_firing",
			       (double)json_integer_value(json_object_get(by, alert_rule_names[r])),
			       "rule", alert_rule_names[r], NULL, NULL);
		(void)k;
		json_decref(by);
	}
	json_decref(items);
	items = NULL;
	if (app->drift && drift_verdicts(app->drift, "drifted", &items, &err) == 0) {
		header(o, "pagoda_drifted",
		       "Node and owner pairs whose actual state differs from the desired", "gauge");
		sample(o, "pagoda_drifted", (double)json_array_size(items), NULL, NULL, NULL, NULL);
	}
	json_decref(items);
}

static void metrics(struct http_req *req)
{
	struct pagodad *app = req->app;
	struct out o = {0};
	nodes(&o, app);
	tasks(&o, app);
	releases(&o, app);
	scripts(&o, app);
	certificates(&o, app);
	alerts_and_drift(&o, app);
	process(&o);
	pg_metrics_render(&o.buf, &o.len, &o.cap);
	http_reply_text(req, 200, o.buf ? o.buf : "", "text/plain; version=0.0.4; charset=utf-8");
	free(o.buf);
}

const struct http_route metrics_routes[] = {
        {.method = "GET",
         .path = "/metrics",
         .auth = HTTP_AUTH_ADMIN,
         .perm = "admin:metrics:read",
         .fn = metrics},
        {0},
};

const struct http_route metrics_public_routes[] = {
        {.method = "GET", .path = "/metrics", .auth = HTTP_AUTH_NONE, .fn = metrics},
        {0},
};
