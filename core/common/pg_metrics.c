/* Counters and histograms in memory, rendered in the Prometheus text format
 * (version 0.0.4). */
#include "common/pg_metrics.h"

#include <math.h>
#include <stdbool.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const double pg_metrics_latency_buckets[] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                             0.25,  0.5,    1,     2.5,  5,     10,   0};
const double pg_metrics_duration_buckets[] = {0.1, 0.25, 0.5, 1,   2.5, 5,    10,
                                              30,  60,   120, 300, 600, 1800, 0};

#define NBUCKETS 512

struct series {
	const struct pg_metric_family *f;
	char *labels[PG_METRICS_MAX_LABELS];
	double value, sum;
	uint64_t count, bucket[PG_METRICS_MAX_BUCKETS];
	struct series *next, *order; /* hash chain; creation order */
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct series *table[NBUCKETS], *first, *last;

static uint64_t hash(const void *f, const char *const *l)
{
	uint64_t h = 1469598103934665603ULL ^ (uint64_t)(uintptr_t)f;
	for (int i = 0; i < PG_METRICS_MAX_LABELS; i++)
		for (const char *s = l[i] ? l[i] : "";; s++) {
			h = (h ^ (unsigned char)*s) * 1099511628211ULL;
			if (!*s)
				break;
		}
	return h;
}

static bool same(const struct series *s, const struct pg_metric_family *f, const char *const *l)
{
	if (s->f != f)
		return false;
	for (int i = 0; i < PG_METRICS_MAX_LABELS; i++)
		if (strcmp(s->labels[i] ? s->labels[i] : "", l[i] ? l[i] : "") != 0)
			return false;
	return true;
}

/* The series of f with labels l, made on first use; lock held. */
static struct series *find(const struct pg_metric_family *f, const char *const *l)
{
	uint64_t h = hash(f, l) % NBUCKETS;
	for (struct series *s = table[h]; s; s = s->next)
		if (same(s, f, l))
			return s;
	struct series *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->f = f;
	for (int i = 0; i < PG_METRICS_MAX_LABELS && f->labels[i]; i++)
		s->labels[i] = strdup(l[i] ? l[i] : "");
	s->next = table[h];
	table[h] = s;
	if (last)
		last->order = s;
	else
		first = s;
	last = s;
	return s;
}

void pg_metrics_add(const struct pg_metric_family *f, double v, const char *l1, const char *l2,
                    const char *l3)
{
	const char *l[] = {l1, l2, l3};
	pthread_mutex_lock(&lock);
	struct series *s = find(f, l);
	if (s)
		s->value = f->type == PG_METRIC_GAUGE ? v : s->value + v;
	pthread_mutex_unlock(&lock);
}

void pg_metrics_observe(const struct pg_metric_family *f, double v, const char *l1, const char *l2,
                        const char *l3)
{
	const char *l[] = {l1, l2, l3};
	pthread_mutex_lock(&lock);
	struct series *s = find(f, l);
	if (s) {
		s->sum += v;
		s->count++;
		for (int i = 0; i < PG_METRICS_MAX_BUCKETS && f->buckets[i] > 0; i++)
			if (v <= f->buckets[i])
				s->bucket[i]++;
	}
	pthread_mutex_unlock(&lock);
}

void pg_metrics_reset(void)
{
	pthread_mutex_lock(&lock);
	for (struct series *s = first, *n; s; s = n) {
		n = s->order;
		for (int i = 0; i < PG_METRICS_MAX_LABELS; i++)
			free(s->labels[i]);
		free(s);
	}
	memset(table, 0, sizeof(table));
	first = last = NULL;
	pthread_mutex_unlock(&lock);
}

void pg_metrics_text_printf(char **buf, size_t *len, size_t *cap, const char *fmt, ...)
{
	for (;;) {
		va_list ap;
		va_start(ap, fmt);
		int n = vsnprintf(*buf ? *buf + *len : NULL, *buf ? *cap - *len : 0, fmt, ap);
		va_end(ap);
		if (n < 0)
			return;
		if (*buf && *len + (size_t)n < *cap) {
			*len += (size_t)n;
			return;
		}
		size_t want = (*cap ? *cap * 2 : 4096) + (size_t)n;
		char *p = realloc(*buf, want);
		if (!p)
			return;
		*buf = p;
		*cap = want;
	}
}

void pg_metrics_text_header(char **buf, size_t *len, size_t *cap, const char *name,
                            const char *help, const char *type)
{
	pg_metrics_text_printf(buf, len, cap, "# HELP %s %s\n# TYPE %s %s\n", name, help, name,
	                       type);
}

static void escaped(char **buf, size_t *len, size_t *cap, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			pg_metrics_text_printf(buf, len, cap, "\\%c", *v);
		else if (*v == '\n')
			pg_metrics_text_printf(buf, len, cap, "\\n");
		else
			pg_metrics_text_printf(buf, len, cap, "%c", *v);
	}
}

static void value(char **buf, size_t *len, size_t *cap, double v)
{
	if (isinf(v))
		pg_metrics_text_printf(buf, len, cap, " %s\n", v > 0 ? "+Inf" : "-Inf");
	else if (v == floor(v) && fabs(v) < 1e15)
		pg_metrics_text_printf(buf, len, cap, " %.0f\n", v);
	else
		pg_metrics_text_printf(buf, len, cap, " %.9g\n", v);
}

void pg_metrics_text_sample(char **buf, size_t *len, size_t *cap, const char *name, double v,
                            const char *const *kv)
{
	pg_metrics_text_printf(buf, len, cap, "%s", name);
	for (int i = 0; kv && kv[i]; i += 2) {
		pg_metrics_text_printf(buf, len, cap, "%s%s=\"", i ? "," : "{", kv[i]);
		escaped(buf, len, cap, kv[i + 1] ? kv[i + 1] : "");
		pg_metrics_text_printf(buf, len, cap, "\"%s", kv[i + 2] ? "" : "}");
	}
	value(buf, len, cap, v);
}

static void render_series(char **buf, size_t *len, size_t *cap, const struct series *s)
{
	const struct pg_metric_family *f = s->f;
	const char *kv[2 * PG_METRICS_MAX_LABELS + 3] = {0};
	int n = 0;
	for (int i = 0; i < PG_METRICS_MAX_LABELS && f->labels[i]; i++) {
		kv[n++] = f->labels[i];
		kv[n++] = s->labels[i];
	}
	char name[160];
	if (f->type != PG_METRIC_HISTOGRAM) {
		pg_metrics_text_sample(buf, len, cap, f->name, s->value, kv);
		return;
	}
	snprintf(name, sizeof(name), "%s_bucket", f->name);
	char le[32];
	kv[n] = "le";
	kv[n + 1] = le;
	for (int i = 0; i < PG_METRICS_MAX_BUCKETS && f->buckets[i] > 0; i++) {
		snprintf(le, sizeof(le), "%g", f->buckets[i]);
		pg_metrics_text_sample(buf, len, cap, name, (double)s->bucket[i], kv);
	}
	snprintf(le, sizeof(le), "+Inf");
	pg_metrics_text_sample(buf, len, cap, name, (double)s->count, kv);
	kv[n] = NULL;
	snprintf(name, sizeof(name), "%s_sum", f->name);
	pg_metrics_text_sample(buf, len, cap, name, s->sum, kv);
	snprintf(name, sizeof(name), "%s_count", f->name);
	pg_metrics_text_sample(buf, len, cap, name, (double)s->count, kv);
}

void pg_metrics_render(char **buf, size_t *len, size_t *cap)
{
	static const char *const types[] = {"counter", "gauge", "histogram"};
	pthread_mutex_lock(&lock);
	/* group by family: each family's header once, then all its series */
	for (struct series *s = first; s; s = s->order) {
		bool seen = false;
		for (struct series *p = first; p != s && !seen; p = p->order)
			seen = p->f == s->f;
		if (seen)
			continue;
		pg_metrics_text_header(buf, len, cap, s->f->name, s->f->help, types[s->f->type]);
		for (struct series *t = s; t; t = t->order)
			if (t->f == s->f)
				render_series(buf, len, cap, t);
	}
	pthread_mutex_unlock(&lock);
}
