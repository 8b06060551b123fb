/* fleet: N simulated agents against a running pagodad, on one epoll loop
 * (no thread per agent). Each agent does what pagoda-agent does: one
 * keep-alive connection (from one of several loopback source addresses),
 * a long poll of /agent/tasks/poll that waits until the next heartbeat is
 * due (every H seconds, +-10% jitter) and carries the heartbeat when it is
 * (version, capabilities, the machine's facts), the tasks it gets run one
 * after another as pagoda-agent runs them (a "running" report, the work for
 * --report-delay-ms, the final report, which asks for the node's next ready
 * tasks unless --no-claim-in-report), and a state report at start and every
 * five minutes. --heartbeats-apart sends heartbeat requests of their own
 * instead (agents before the one-connection agent), for comparison.
 * The simulator also queues tasks through the admin API at a steady rate and
 * measures how long each takes to reach its agent. At the end it stops K
 * agents and times how long pagodad takes to mark them offline.
 *
 *   fleet --url http://127.0.0.1:8080 --token-file DATA/admin.token --nodes 10000
 *         --heartbeat 10 --duration 600 [--sources 8] [--task-rate 20]
 *         [--report-delay-ms 50] [--stop 100] [--pid PAGODAD_PID] [--release 0]
 *         [--heartbeats-apart] [--no-claim-in-report] [--claims 0]
 *
 * With --release P the steady-state run is replaced by a release benchmark:
 * a SystemdService application with a config file on every node, released
 * once (install), then a config change released in batches of P percent:
 * the time from execute to succeeded. With --claims K, by a claim
 * benchmark: K tasks queued for every node while its agent is away, then
 * every agent back at once; tasks/s claimed and reported, and how many
 * were delivered twice (exactly once: none).
 *
 * --url may list several replicas (comma-separated): agent i talks to
 * replica i mod R; the admin calls go to the first. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int64_t now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int64_t wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- samples ---- */
struct samples {
	int64_t *v;
	size_t n, cap;
};

static void sample_add(struct samples *s, int64_t us)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 4096;
		s->v = realloc(s->v, s->cap * sizeof(*s->v));
	}
	s->v[s->n++] = us;
}

static int cmp64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

static void sample_print(const char *what, struct samples *s)
{
	if (!s->n) {
		printf("%-28s no samples\n", what);
		return;
	}
	qsort(s->v, s->n, sizeof(*s->v), cmp64);
	printf("%-28s n=%zu p50=%.2f ms p99=%.2f ms max=%.2f ms\n", what, s->n,
	       s->v[s->n / 2] / 1000.0, s->v[(size_t)(s->n * 0.99)] / 1000.0,
	       s->v[s->n - 1] / 1000.0);
}

/* ---- connections ---- */
enum req_kind { R_HEARTBEAT, R_POLL, R_RUNNING, R_REPORT, R_STATE, R_ADMIN };

struct req {
	enum req_kind kind;
	char *text; /* the whole request */
	size_t len;
	int64_t sent_us;
	bool carries_hb;      /* a poll carrying a heartbeat */
	int64_t sent_wall_ms; /* when it left (wall clock, as pagodad's acceptedAt) */
	struct req *next;
};

struct agent;

struct conn {
	int fd;
	struct agent *agent; /* NULL: the admin connection */
	struct req *queue, *inflight;
	char *in;
	size_t in_len, in_cap, out_off;
	bool connected, want_out;
};

struct agent {
	int64_t id;
	int port; /* the replica this agent talks to */
	char token[80];
	struct conn c;
	int64_t next_hb_us, next_state_us;
	/* delivered tasks, run in order: the head's running report, its work,
	 * its final report, then the next */
	int64_t q_id[64], q_attempt[64];
	int qn;
	bool stopped;
};

static struct {
	const char *host;
	int port, sources;
	int ports[8], nports;
	char admin[128];
	int epfd;
	struct samples hb_lat, hb_first, delivery, admin_lat;
	/* heartbeats sent before this (the first round, every agent starting
	 * at once) are counted apart: a long poll sent then is answered later */
	int64_t measure_from_us;
	uint64_t heartbeats, polls, reports, states, tasks_queued, tasks_delivered;
	bool apart; /* --heartbeats-apart: a heartbeat request of its own, as agents before 0.10 */
	bool claim_in_report; /* a final report asks for the node's next tasks */
	char hb_body[2048];
	uint64_t err_connect, err_http[6], err_parse, err_reset;
	int64_t report_delay_us, hb_us;
	struct conn admin_conn;
	/* task id -> queue time, small open table */
	int64_t *task_sent;
	size_t task_cap;
	uint8_t *task_deliveries; /* task id -> times delivered (exactly once: 1) */
	uint64_t duplicates;
} g;

static void die(const char *fmt, const char *arg)
{
	fprintf(stderr, "fleet: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n");
	exit(1);
}

static void conn_open(struct conn *c, int source)
{
	int port = c->agent ? c->agent->port : g.port;
	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		die("socket: %s", strerror(errno));
	int one = 1;
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	struct sockaddr_in src = {.sin_family = AF_INET};
	src.sin_addr.s_addr = htonl(0x7f000002u + (uint32_t)source); /* 127.0.0.2 + source */
	if (bind(c->fd, (struct sockaddr *)&src, sizeof(src)) != 0)
		die("bind a loopback source: %s", strerror(errno));
	struct sockaddr_in dst = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	inet_pton(AF_INET, g.host, &dst.sin_addr);
	if (connect(c->fd, (struct sockaddr *)&dst, sizeof(dst)) != 0 && errno != EINPROGRESS) {
		g.err_connect++;
		close(c->fd);
		c->fd = -1;
		return;
	}
	struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLET, .data.ptr = c};
	epoll_ctl(g.epfd, EPOLL_CTL_ADD, c->fd, &ev);
	c->connected = false;
}

static void conn_close(struct conn *c)
{
	if (c->fd >= 0) {
		epoll_ctl(g.epfd, EPOLL_CTL_DEL, c->fd, NULL);
		close(c->fd);
	}
	c->fd = -1;
	c->in_len = c->out_off = 0;
}

static void flush_out(struct conn *c);

static struct req *push(struct conn *c, enum req_kind kind, const char *method, const char *path,
                        const char *token, const char *body)
{
	struct req *r = calloc(1, sizeof(*r));
	size_t blen = body ? strlen(body) : 0;
	r->kind = kind;
	r->text = malloc(blen + 512);
	r->len = (size_t)sprintf(r->text,
	                         "%s %s HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\n"
	                         "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
	                         method, path, g.host, token, blen, body ? body : "");
	struct req **tail = &c->queue;
	while (*tail)
		tail = &(*tail)->next;
	*tail = r;
	if (!c->inflight)
		flush_out(c);
	return r;
}

static void flush_out(struct conn *c)
{
	if (c->fd < 0 || !c->connected)
		return;
	if (!c->inflight) {
		if (!c->queue)
			return;
		c->inflight = c->queue;
		c->queue = c->queue->next;
		c->inflight->sent_us = now_us();
		c->inflight->sent_wall_ms = wall_ms();
		c->out_off = 0;
	}
	struct req *r = c->inflight;
	while (c->out_off < r->len) {
		ssize_t n = send(c->fd, r->text + c->out_off, r->len - c->out_off, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EAGAIN)
				return;
			g.err_reset++;
			return;
		}
		c->out_off += (size_t)n;
	}
}

static void queue_poll(struct agent *a, bool carry);
static void on_response(struct conn *c, struct req *r, int status, const char *body);

/* Reads what arrived; hands each complete response to on_response. */
static void read_in(struct conn *c)
{
	for (;;) {
		if (c->in_cap - c->in_len < 4096) {
			c->in_cap = c->in_cap ? c->in_cap * 2 : 8192;
			c->in = realloc(c->in, c->in_cap);
		}
		ssize_t n = recv(c->fd, c->in + c->in_len, c->in_cap - c->in_len - 1, 0);
		if (n == 0 || (n < 0 && errno != EAGAIN)) {
			g.err_reset++;
			conn_close(c);
			return;
		}
		if (n < 0)
			break;
		c->in_len += (size_t)n;
	}
	for (;;) {
		c->in[c->in_len] = '\0';
		char *end = strstr(c->in, "\r\n\r\n");
		if (!end)
			return;
		int status = atoi(c->in + 9);
		char *cl = strcasestr(c->in, "\r\nContent-Length:");
		size_t blen = cl && cl < end ? strtoul(cl + 17, NULL, 10) : 0;
		size_t total = (size_t)(end + 4 - c->in) + blen;
		if (c->in_len < total)
			return;
		char save = c->in[total];
		c->in[total] = '\0';
		struct req *r = c->inflight;
		c->inflight = NULL;
		if (r)
			on_response(c, r, status, end + 4);
		if (r) {
			free(r->text);
			free(r);
		}
		c->in[total] = save;
		memmove(c->in, c->in + total, c->in_len - total);
		c->in_len -= total;
		flush_out(c);
	}
}

/* ---- agents ---- */
static struct agent *agents;
static size_t nagents;
static struct {
	struct agent *a;
	int64_t at_us; /* when the head task's work is done */
} * pending_reports;
static size_t npending, cappending;

/* What pagoda-agent sends in a heartbeat: its version, capabilities and
 * the machine's facts (about a kilobyte), the same for every node here. */
static void heartbeat_fields(void)
{
	snprintf(g.hb_body, sizeof(g.hb_body),
	         "\"agentVersion\":\"sim\",\"timestamp\":\"2026-01-01T00:00:00Z\","
	         "\"capabilities\":{\"taskTypes\":[\"ApplyConfigFiles\",\"RunCommand\","
	         "\"InstallSystemdUnit\",\"SystemdControl\",\"ApplyNginxSite\",\"ReloadNginx\","
	         "\"DeployCertificate\",\"HealthProbe\",\"UpgradeAgent\",\"InspectUnit\","
	         "\"FetchArtifact\"],\"nginx\":true,\"systemd\":true,\"runCommand\":false},"
	         "\"facts\":{\"hostname\":\"sim\",\"os\":\"Debian GNU/Linux 12 (bookworm)\","
	         "\"kernel\":\"6.1.0-28-amd64\",\"arch\":\"x86_64\",\"cpuCount\":4,"
	         "\"load\":[0.12,0.08,0.05],\"memTotalBytes\":8264765440,"
	         "\"memAvailableBytes\":6192623616,\"uptimeSec\":864000,\"disk\":{\"/\":"
	         "{\"totalBytes\":105089261568,\"freeBytes\":80089261568},\"/var\":"
	         "{\"totalBytes\":52544630784,\"freeBytes\":40044630784}}}");
}

static void queue_heartbeat(struct agent *a)
{
	char body[2200];
	snprintf(body, sizeof(body), "{\"nodeId\":%lld,%s}", (long long)a->id, g.hb_body);
	push(&a->c, R_HEARTBEAT, "POST", "/agent/heartbeat", a->token, body);
}

/* A long poll until the next heartbeat is due, carrying this one when it
 * is (pagoda-agent's pattern: one request per interval when idle). */
static void queue_poll(struct agent *a, bool carry)
{
	char body[2400];
	int64_t wait = (a->next_hb_us - now_us()) / 1000000;
	int n = snprintf(body, sizeof(body),
	                 "{\"nodeId\":%lld,\"waitSec\":%lld,\"maxTasks\":5,\"runningTaskIds\":[]",
	                 (long long)a->id,
	                 (long long)(wait < 1    ? 1
	                             : wait > 25 ? 25
	                                         : wait));
	if (carry)
		snprintf(body + n, sizeof(body) - (size_t)n, ",\"heartbeat\":{%s}}", g.hb_body);
	else
		snprintf(body + n, sizeof(body) - (size_t)n, "}");
	push(&a->c, R_POLL, "POST", "/agent/tasks/poll", a->token, body)->carries_hb = carry;
}

/* The agent's state report (nothing managed here): at start and every
 * five minutes, as pagoda-agent refreshes it. */
static void queue_state(struct agent *a)
{
	char body[160];
	snprintf(body, sizeof(body),
	         "{\"nodeId\":%lld,\"files\":{},\"units\":{},\"certs\":{},\"trees\":{}}",
	         (long long)a->id);
	push(&a->c, R_STATE, "POST", "/agent/state", a->token, body);
}

/* The head task's report: "running" before its work, the outcome after
 * (asking for the next ready tasks when it is the last one held). */
static void queue_report(struct agent *a, bool final)
{
	char body[200];
	bool last = final && a->qn == 1 && g.claim_in_report;
	snprintf(body, sizeof(body),
	         "{\"nodeId\":%lld,\"taskId\":%lld,\"attempt\":%lld,\"status\":\"%s\"%s}",
	         (long long)a->id, (long long)a->q_id[0], (long long)a->q_attempt[0],
	         final ? "succeeded" : "running", last ? ",\"next\":5" : "");
	push(&a->c, final ? R_REPORT : R_RUNNING, "POST", "/agent/tasks/report", a->token, body);
}

/* Tasks of an answer (a poll's, or a final report's) join the agent's
 * queue, and its head starts (the answer came when none was running). */
static void take_tasks(struct agent *a, json_t *answer, int64_t t)
{
	json_t *task;
	size_t i;
	json_array_foreach (json_object_get(answer, "tasks"), i, task) {
		int64_t id = json_integer_value(json_object_get(task, "taskId"));
		if (id > 0 && (size_t)id < g.task_cap && g.task_sent[id]) {
			sample_add(&g.delivery, t - g.task_sent[id]);
			g.task_sent[id] = 0;
		}
		if (id > 0 && (size_t)id < g.task_cap && g.task_deliveries[id]++)
			g.duplicates++;
		g.tasks_delivered++;
		if (a->qn == 64)
			continue; /* not held: delivered again by a later poll */
		a->q_id[a->qn] = id;
		a->q_attempt[a->qn++] = json_integer_value(json_object_get(task, "attempt"));
	}
	if (a->qn)
		queue_report(a, false);
}

/* The agent's next request once its connection is idle: a due heartbeat,
 * else a long poll until the next one is due. Not while tasks await their
 * report: like the real agent, it polls again after reporting. */
static void advance(struct agent *a)
{
	if (a->stopped || a->c.fd < 0 || a->c.inflight || a->c.queue || a->qn)
		return;
	int64_t t = now_us();
	if (t >= a->next_state_us) {
		queue_state(a);
		a->next_state_us = t + (int64_t)(300e6 * (0.9 + 0.2 * rand() / (double)RAND_MAX));
		return;
	}
	bool due = t >= a->next_hb_us;
	if (due)
		a->next_hb_us = t + (int64_t)(g.hb_us * (0.9 + 0.2 * rand() / (double)RAND_MAX));
	if (due && g.apart)
		queue_heartbeat(a);
	else
		queue_poll(a, due);
}

/* "acceptedAt":"2026-12-03T16:12:39.484Z" of a poll's answer, as Unix ms. */
static int64_t accepted_ms(const char *body)
{
	const char *p = strstr(body, "\"acceptedAt\":\"");
	struct tm tm = {0};
	int ms = 0;
	if (!p || sscanf(p + 14, "%d-%d-%dT%d:%d:%d.%dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
	                 &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &ms) != 7)
		return 0;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	return (int64_t)timegm(&tm) * 1000 + ms;
}

static void on_response(struct conn *c, struct req *r, int status, const char *body)
{
	int64_t t = now_us();
	if (status < 200 || status > 299)
		g.err_http[status >= 500 ? 5 : status >= 400 ? 4 : 0]++;
	switch (r->kind) {
	case R_HEARTBEAT:
		g.heartbeats++;
		sample_add(r->sent_us >= g.measure_from_us ? &g.hb_lat : &g.hb_first,
		           t - r->sent_us);
		break;
	case R_STATE: g.states++; break;
	case R_RUNNING: /* the work starts */
		if (npending == cappending) {
			cappending = cappending ? cappending * 2 : 1024;
			pending_reports =
			        realloc(pending_reports, cappending * sizeof(*pending_reports));
		}
		pending_reports[npending].a = c->agent;
		pending_reports[npending++].at_us = t + g.report_delay_us;
		break;
	case R_REPORT: {
		struct agent *a = c->agent;
		g.reports++;
		memmove(a->q_id, a->q_id + 1, (size_t)(a->qn - 1) * sizeof(a->q_id[0]));
		memmove(a->q_attempt, a->q_attempt + 1,
		        (size_t)(a->qn - 1) * sizeof(a->q_attempt[0]));
		a->qn--;
		json_t *j = json_loads(body, 0, NULL);
		take_tasks(a, j, t);
		json_decref(j);
		break;
	}
	case R_ADMIN: {
		sample_add(&g.admin_lat, t - r->sent_us);
		json_t *j = json_loads(body, 0, NULL);
		int64_t id = json_integer_value(json_object_get(j, "id"));
		if (id > 0 && (size_t)id < g.task_cap) {
			g.task_sent[id] = r->sent_us;
			g.tasks_queued++;
		}
		json_decref(j);
		break;
	}
	case R_POLL: {
		g.polls++;
		if (r->carries_hb) { /* the heartbeat it carried: recorded when? */
			int64_t at = accepted_ms(body);
			g.heartbeats++;
			if (at)
				sample_add(r->sent_us >= g.measure_from_us ? &g.hb_lat
				                                           : &g.hb_first,
				           (at - r->sent_wall_ms) * 1000);
			else
				g.err_parse++;
		}
		json_t *j = json_loads(body, 0, NULL);
		if (!j)
			g.err_parse++;
		take_tasks(c->agent, j, t);
		json_decref(j);
		break;
	}
	}
	if (c->agent)
		advance(c->agent);
}

static void on_event(struct conn *c, uint32_t ev)
{
	if (c->fd < 0)
		return;
	if (ev & (EPOLLERR | EPOLLHUP)) {
		g.err_reset++;
		conn_close(c);
		return;
	}
	if ((ev & EPOLLOUT) && !c->connected) {
		int e = 0;
		socklen_t l = sizeof(e);
		getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &e, &l);
		if (e) {
			g.err_connect++;
			conn_close(c);
			return;
		}
		c->connected = true;
	}
	if (ev & EPOLLOUT)
		flush_out(c);
	if (ev & EPOLLIN)
		read_in(c);
}

/* Reopens a connection that failed, keeping its queue. */
static void revive(struct conn *c, int source)
{
	if (c->fd >= 0)
		return;
	if (c->inflight) { /* lost with the connection: send again */
		c->inflight->next = c->queue;
		c->queue = c->inflight;
		c->inflight = NULL;
	}
	conn_open(c, source);
}

/* ---- blocking admin calls (set-up and tear-down) ---- */
static json_t *admin_call(const char *method, const char *path, const char *body)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in dst = {.sin_family = AF_INET, .sin_port = htons((uint16_t)g.port)};
	inet_pton(AF_INET, g.host, &dst.sin_addr);
	if (connect(fd, (struct sockaddr *)&dst, sizeof(dst)) != 0)
		die("cannot reach pagodad: %s", strerror(errno));
	char head[1024];
	size_t blen = body ? strlen(body) : 0;
	int hl = snprintf(head, sizeof(head),
	                  "%s %s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Type: "
	                  "application/json\r\n"
	                  "Content-Length: %zu\r\nConnection: close\r\n\r\n",
	                  method, path, g.admin, blen);
	if (write(fd, head, (size_t)hl) != hl || (blen && write(fd, body, blen) != (ssize_t)blen))
		die("write: %s", strerror(errno));
	size_t cap = 1 << 16, len = 0;
	char *buf = malloc(cap);
	ssize_t n;
	while ((n = read(fd, buf + len, cap - len - 1)) > 0) {
		len += (size_t)n;
		if (cap - len < 4096)
			buf = realloc(buf, cap *= 2);
	}
	close(fd);
	buf[len] = '\0';
	char *b = strstr(buf, "\r\n\r\n");
	json_t *j = b ? json_loads(b + 4, 0, NULL) : NULL;
	if (!j || atoi(buf + 9) >= 300) {
		fprintf(stderr, "fleet: %s %s -> %.300s\n", method, path, buf);
		exit(1);
	}
	free(buf);
	return j;
}

/* ---- /proc ---- */
static void proc_cpu(int pid, int64_t *ticks)
{
	char path[64], buf[2048];
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	FILE *f = fopen(path, "r");
	*ticks = 0;
	if (!f || !fgets(buf, sizeof(buf), f)) {
		if (f)
			fclose(f);
		return;
	}
	fclose(f);
	char *p = strrchr(buf, ')');
	unsigned long ut = 0, st = 0;
	/* fields after the name: state is 3rd; utime 14th, stime 15th */
	if (p &&
	    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) == 2)
		*ticks = (int64_t)(ut + st);
}

static long proc_kb(int pid, const char *field)
{
	char path[64], line[256];
	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	FILE *f = fopen(path, "r");
	long v = -1;
	while (f && fgets(line, sizeof(line), f))
		if (strncmp(line, field, strlen(field)) == 0)
			v = strtol(line + strlen(field) + 1, NULL, 10);
	if (f)
		fclose(f);
	return v;
}

/* ---- main loop ---- */
static void run_loop(int64_t until_us, double task_rate, bool heartbeats)
{
	struct epoll_event evs[512];
	int64_t next_task = now_us();
	while (now_us() < until_us) {
		int n = epoll_wait(g.epfd, evs, 512, 5);
		for (int i = 0; i < n; i++)
			on_event(evs[i].data.ptr, evs[i].events);
		int64_t t = now_us();
		for (size_t i = 0; heartbeats && i < nagents; i++) {
			struct agent *a = &agents[i];
			if (a->stopped)
				continue;
			if (a->c.fd < 0)
				revive(&a->c, (int)(i % (size_t)g.sources));
			if (a->c.connected)
				advance(a);
		}
		for (size_t i = 0; i < npending;) {
			if (pending_reports[i].at_us <= t) {
				queue_report(pending_reports[i].a, true);
				pending_reports[i] = pending_reports[--npending];
			} else {
				i++;
			}
		}
		while (task_rate > 0 && t >= next_task) {
			size_t pick = (size_t)rand() % nagents;
			while (agents[pick].stopped)
				pick = (size_t)rand() % nagents;
			char path[64], body[128];
			snprintf(path, sizeof(path), "/admin/nodes/%lld/tasks",
			         (long long)agents[pick].id);
			snprintf(body, sizeof(body),
			         "{\"type\":\"ApplyConfigFiles\",\"payload\":{\"files\":[{\"path\":"
			         "\"/etc/pagoda/b\",\"content\":\"x\"}]}}");
			if (g.admin_conn.fd < 0)
				revive(&g.admin_conn, g.sources);
			push(&g.admin_conn, R_ADMIN, "POST", path, g.admin, body);
			next_task += (int64_t)(1e6 / task_rate);
		}
	}
}

/* Runs agents until release id reaches a final state; its wall time. */
static double release_run(int64_t app, const char *what)
{
	char path[96];
	snprintf(path, sizeof(path), "/admin/apps/%lld/releases", (long long)app);
	json_t *rel = admin_call("POST", path, "{}");
	int64_t id = json_integer_value(json_object_get(rel, "id"));
	json_decref(rel);
	snprintf(path, sizeof(path), "/admin/releases/%lld/execute", (long long)id);
	int64_t t0 = now_us();
	json_decref(admin_call("POST", path, NULL));
	/* the release list is a summary: the agents' loop is not stalled by a
	 * thousand nodes' task details on every look */
	snprintf(path, sizeof(path), "/admin/apps/%lld/releases", (long long)app);
	const char *status = "running";
	char final[32] = "";
	while (strcmp(status, "running") == 0) {
		run_loop(now_us() + 20000, 0, true);
		json_t *r = admin_call("GET", path, NULL), *x;
		size_t i;
		status = "?";
		json_array_foreach (json_object_get(r, "items"), i, x)
			if (json_integer_value(json_object_get(x, "id")) == id)
				status = json_string_value(json_object_get(x, "status"));
		snprintf(final, sizeof(final), "%s", status ? status : "?");
		status = final;
		json_decref(r);
	}
	double s = (now_us() - t0) / 1e6;
	printf("%-28s release %lld %s in %.2f s\n", what, (long long)id, final, s);
	return s;
}

static void release_bench(long percent)
{
	char body[512];
	json_t *cfg = admin_call(
	        "POST", "/admin/configs",
	        "{\"name\":\"bench.conf\",\"format\":\"text\",\"content\":\"workers = 1\\n\"}");
	int64_t cid = json_integer_value(json_object_get(cfg, "id"));
	json_decref(cfg);
	char path[64];
	snprintf(path, sizeof(path), "/admin/configs/%lld/publish", (long long)cid);
	json_decref(admin_call("POST", path, "{}"));
	snprintf(body, sizeof(body),
	         "{\"name\":\"bench\",\"type\":\"SystemdService\",\"selector\":{\"labels\":\"fleet="
	         "sim\"},"
	         "\"strategy\":{\"batchPercent\":%ld},\"spec\":{\"unit\":{\"exec\":\"/bin/true\"},"
	         "\"configFiles\":[{\"configId\":%lld,\"path\":\"/etc/pagoda/bench.conf\"}]}}",
	         percent, (long long)cid);
	json_t *app = admin_call("POST", "/admin/apps", body);
	int64_t id = json_integer_value(json_object_get(app, "id"));
	json_decref(app);
	printf("\n== release to %zu nodes in batches of %ld%%\n", nagents, percent);
	release_run(id, "install (first release)");
	snprintf(path, sizeof(path), "/admin/configs/%lld", (long long)cid);
	json_decref(admin_call("PUT", path, "{\"content\":\"workers = 2\\n\"}"));
	snprintf(path, sizeof(path), "/admin/configs/%lld/publish", (long long)cid);
	json_decref(admin_call("POST", path, "{}"));
	release_run(id, "config change");
}

/* Claim throughput: every agent away, K tasks queued for each node, then
 * all of them back at once; the time until every task is reported, and
 * whether any was delivered twice. Agents talk to the replicas of --url in
 * turn, so 1 and 2 replicas on one database compare directly. */
static void claims_bench(long per_node)
{
	for (size_t i = 0; i < nagents; i++)
		conn_close(&agents[i].c);
	npending = 0;
	for (size_t i = 0; i < nagents; i++)
		agents[i].qn = 0;
	uint64_t want = (uint64_t)per_node * nagents, queued0 = g.tasks_queued;
	int64_t q0 = now_us();
	for (uint64_t k = 0; k < want; k++) {
		char path[64];
		snprintf(path, sizeof(path), "/admin/nodes/%lld/tasks",
		         (long long)agents[k % nagents].id);
		if (g.admin_conn.fd < 0)
			revive(&g.admin_conn, g.sources);
		push(&g.admin_conn, R_ADMIN, "POST", path, g.admin,
		     "{\"type\":\"ApplyConfigFiles\",\"payload\":{\"files\":[{\"path\":"
		     "\"/etc/pagoda/b\",\"content\":\"x\"}]}}");
		if (k % 256 == 255) /* answered in step: no unbounded pipeline */
			while (g.tasks_queued - queued0 < k - 128)
				run_loop(now_us() + 5000, 0, false);
	}
	while (g.tasks_queued - queued0 < want)
		run_loop(now_us() + 5000, 0, false);
	printf("\n== claims: %llu tasks queued for %zu away agents in %.1f s\n",
	       (unsigned long long)want, nagents, (now_us() - q0) / 1e6);
	uint64_t reports0 = g.reports, dup0 = g.duplicates;
	memset(g.task_sent, 0, g.task_cap * sizeof(*g.task_sent));
	int64_t t0 = now_us(), deadline = t0 + 600 * 1000000LL;
	for (size_t i = 0; i < nagents; i++)
		revive(&agents[i].c, (int)(i % (size_t)g.sources));
	while (g.reports - reports0 < want && now_us() < deadline)
		run_loop(now_us() + 20000, 0, true);
	double s = (now_us() - t0) / 1e6;
	printf("claimed and reported         %llu of %llu in %.2f s: %.0f tasks/s over %d "
	       "replica(s), %llu delivered twice\n",
	       (unsigned long long)(g.reports - reports0), (unsigned long long)want, s,
	       (double)(g.reports - reports0) / s, g.nports,
	       (unsigned long long)(g.duplicates - dup0));
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	        {"url", 1, 0, 'u'},
	        {"token-file", 1, 0, 't'},
	        {"nodes", 1, 0, 'n'},
	        {"heartbeat", 1, 0, 'h'},
	        {"duration", 1, 0, 'd'},
	        {"sources", 1, 0, 's'},
	        {"task-rate", 1, 0, 'r'},
	        {"report-delay-ms", 1, 0, 'D'},
	        {"stop", 1, 0, 'k'},
	        {"pid", 1, 0, 'p'},
	        {"release", 1, 0, 'R'},
	        {"heartbeats-apart", 0, 0, 'A'},
	        {"no-claim-in-report", 0, 0, 'N'},
	        {"claims", 1, 0, 'C'},
	        {0, 0, 0, 0},
	};
	const char *url = "http://127.0.0.1:8080", *token_file = NULL;
	long nodes = 1000, hb = 10, duration = 60, stop = 0, pid = 0, release = 0, claims = 0;
	double rate = 10;
	g.sources = 8;
	g.report_delay_us = 50000;
	g.claim_in_report = true;
	int c;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'u': url = optarg; break;
		case 't': token_file = optarg; break;
		case 'n': nodes = atol(optarg); break;
		case 'h': hb = atol(optarg); break;
		case 'd': duration = atol(optarg); break;
		case 's': g.sources = atoi(optarg); break;
		case 'r': rate = atof(optarg); break;
		case 'D': g.report_delay_us = atol(optarg) * 1000; break;
		case 'k': stop = atol(optarg); break;
		case 'p': pid = atol(optarg); break;
		case 'R': release = atol(optarg); break;
		case 'A': g.apart = true; break;
		case 'N': g.claim_in_report = false; break;
		case 'C': claims = atol(optarg); break;
		default:
			fprintf(stderr, "see the comment at the top of tests/bench/fleet.c\n");
			return 2;
		}
	}
	static char host[64];
	if (sscanf(url, "http://%63[^:]:%d", host, &g.port) != 2 || !token_file || nodes < 1 ||
	    g.sources < 1)
		die("%s", "--url http://HOST:PORT[,http://HOST:PORT2...], --token-file and --nodes "
		          "are required");
	g.host = host;
	for (const char *u = url; u && g.nports < 8; u = strchr(u, ',') ? strchr(u, ',') + 1 : NULL)
		if (sscanf(u, "http://%*[^:]:%d", &g.ports[g.nports]) == 1)
			g.nports++;
	g.hb_us = hb * 1000000;
	heartbeat_fields();
	FILE *tf = fopen(token_file, "r");
	if (!tf || !fgets(g.admin, sizeof(g.admin), tf))
		die("cannot read %s", token_file);
	fclose(tf);
	g.admin[strcspn(g.admin, "\r\n")] = '\0';
	struct rlimit rl = {.rlim_cur = 200000, .rlim_max = 200000};
	if (setrlimit(RLIMIT_NOFILE, &rl) != 0) {
		getrlimit(RLIMIT_NOFILE, &rl);
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	g.epfd = epoll_create1(EPOLL_CLOEXEC);
	g.task_cap = 4u << 20;
	g.task_sent = calloc(g.task_cap, sizeof(int64_t));
	g.task_deliveries = calloc(g.task_cap, 1);
	g.admin_conn.fd = -1;
	srand(42);

	/* enrol */
	int64_t t0 = now_us();
	nagents = (size_t)nodes;
	agents = calloc(nagents, sizeof(*agents));
	char suffix[16];
	snprintf(suffix, sizeof(suffix), "%04x", (unsigned)(now_us() & 0xffff));
	for (size_t i = 0; i < nagents; i++) {
		char body[160];
		snprintf(body, sizeof(body),
		         "{\"name\":\"sim-%s-%zu\",\"ip\":\"10.%zu.%zu.%zu\",\"labels\":{\"fleet\":"
		         "\"sim\"}}",
		         suffix, i, (i >> 16) & 255, (i >> 8) & 255, i & 255);
		json_t *n = admin_call("POST", "/admin/nodes", body);
		agents[i].id = json_integer_value(json_object_get(n, "id"));
		snprintf(agents[i].token, sizeof(agents[i].token), "%s",
		         json_string_value(json_object_get(n, "token")));
		agents[i].c.fd = -1;
		agents[i].c.agent = &agents[i];
		agents[i].port = g.ports[i % (size_t)g.nports];
		json_decref(n);
	}
	printf("enrolled %zu nodes in %.1f s\n", nagents, (now_us() - t0) / 1e6);
	fflush(stdout);

	/* connect and spread the first heartbeats over one interval */
	for (size_t i = 0; i < nagents; i++) {
		conn_open(&agents[i].c, (int)(i % (size_t)g.sources));
		agents[i].next_hb_us = now_us() + (int64_t)((double)rand() / RAND_MAX * hb * 1e6);
		/* the first state report at start, spread like the heartbeats */
		agents[i].next_state_us = agents[i].next_hb_us;
	}
	/* heartbeats: every hb s with +-10% jitter, scheduled in run_loop */
	g.measure_from_us = INT64_MAX;
	int64_t warm = now_us() + (int64_t)hb * 1000000 + 2000000;
	run_loop(warm, 0, true);
	g.measure_from_us = now_us();
	memset(g.err_http, 0, sizeof(g.err_http));
	g.heartbeats = g.states = 0;
	int64_t cpu0 = 0, cpu1 = 0;
	if (pid)
		proc_cpu((int)pid, &cpu0);
	int64_t start = now_us();
	bool steady = !release && !claims;
	if (steady)
		run_loop(start + duration * 1000000, rate, true);
	if (release)
		release_bench(release);
	if (claims)
		claims_bench(claims);
	double wall = (now_us() - start) / 1e6;
	if (pid)
		proc_cpu((int)pid, &cpu1);
	if (steady) {
		printf("\n== %zu agents, heartbeat %ld s, %.0f s measured\n", nagents, hb, wall);
		printf("pattern                      %s\n",
		       g.apart ? "heartbeat requests apart from polls"
		               : "heartbeats carried by polls (pagoda-agent's)");
		printf("heartbeats handled           %.1f /s, state reports %.1f /s\n",
		       g.heartbeats / wall, g.states / wall);
		sample_print(g.apart ? "heartbeat latency" : "heartbeat sent->recorded (1 ms res)",
		             &g.hb_lat);
		sample_print("  first round (all starting)", &g.hb_first);
		printf("tasks queued / delivered     %llu / %llu (%.1f /s)\n",
		       (unsigned long long)g.tasks_queued, (unsigned long long)g.tasks_delivered,
		       g.tasks_queued / wall);
		sample_print("task delivery (queued->poll)", &g.delivery);
		sample_print("admin POST task latency", &g.admin_lat);
		printf("errors                       connect %llu, reset %llu, http 4xx %llu, 5xx "
		       "%llu, parse %llu\n",
		       (unsigned long long)g.err_connect, (unsigned long long)g.err_reset,
		       (unsigned long long)g.err_http[4], (unsigned long long)g.err_http[5],
		       (unsigned long long)g.err_parse);
		if (pid)
			printf("pagodad CPU                  %.1f%% of one core (avg), peak RSS "
			       "%.1f MiB, RSS now %.1f MiB\n",
			       100.0 * (double)(cpu1 - cpu0) / (double)sysconf(_SC_CLK_TCK) / wall,
			       proc_kb((int)pid, "VmHWM:") / 1024.0,
			       proc_kb((int)pid, "VmRSS:") / 1024.0);
	}
	fflush(stdout);

	/* stop K agents and time the offline verdicts */
	if (stop > 0 && (size_t)stop <= nagents) {
		for (size_t i = 0; i < (size_t)stop; i++) {
			agents[i].stopped = true;
			conn_close(&agents[i].c);
		}
		int64_t s0 = now_us(), deadline = s0 + 120 * 1000000LL;
		long offline = 0;
		while (now_us() < deadline) {
			run_loop(now_us() + 500000, 0, true);
			offline = 0;
			int64_t cursor = 0;
			do {
				char path[96];
				int len = snprintf(path, sizeof(path),
				                   "/admin/nodes?status=offline&limit=1000");
				if (cursor)
					snprintf(path + len, sizeof(path) - (size_t)len,
					         "&cursor=%lld", (long long)cursor);
				json_t *l = admin_call("GET", path, NULL);
				offline += (long)json_array_size(json_object_get(l, "items"));
				const char *next = json_string_value(json_object_get(l, "next"));
				cursor = next ? strtoll(next, NULL, 10) : 0;
				json_decref(l);
			} while (cursor);
			if (offline >= stop)
				break;
		}
		printf("stopped %ld agents: %ld marked offline after %.1f s\n", stop, offline,
		       (now_us() - s0) / 1e6);
	}
	return 0;
}
