/* pg_metrics: process-wide counters and histograms in the Prometheus text
 * format. Families are declared once (pg_metrics_family); series are made
 * on first use from their label values. Cheap enough for every request: one
 * mutex, one hash lookup. Gauges that are read from the store at scrape
 * time are rendered by the caller with pg_metrics_text_* helpers. */
#ifndef PG_METRICS_H
#define PG_METRICS_H

#include <stddef.h>

enum pg_metric_type { PG_METRIC_COUNTER, PG_METRIC_GAUGE, PG_METRIC_HISTOGRAM };

#define PG_METRICS_MAX_LABELS 3
#define PG_METRICS_MAX_BUCKETS 16

struct pg_metric_family {
	const char *name, *help;
	enum pg_metric_type type;
	const char *labels[PG_METRICS_MAX_LABELS]; /* label names, NULL-terminated early */
	const double *buckets;                     /* histograms: ascending, ends with 0 */
};

/* Adds v to the counter (or sets the gauge) with these label values. */
void pg_metrics_add(const struct pg_metric_family *f, double v, const char *l1, const char *l2,
                    const char *l3);
/* Records one observation of a histogram. */
void pg_metrics_observe(const struct pg_metric_family *f, double v, const char *l1, const char *l2,
                        const char *l3);
/* Appends every family used so far, in the text format. */
void pg_metrics_render(char **buf, size_t *len, size_t *cap);
/* Forgets every series (tests). */
void pg_metrics_reset(void);

/* ---- writing the text format ---- */
void pg_metrics_text_printf(char **buf, size_t *len, size_t *cap, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));
/* "# HELP name help" and "# TYPE name type". */
void pg_metrics_text_header(char **buf, size_t *len, size_t *cap, const char *name,
                            const char *help, const char *type);
/* name{k1="v1",...} value, with label values escaped; keys/values are
 * NULL-terminated pairs. */
void pg_metrics_text_sample(char **buf, size_t *len, size_t *cap, const char *name, double value,
                            const char *const *kv);

/* Buckets in seconds for request and task latencies. */
extern const double pg_metrics_latency_buckets[];
extern const double pg_metrics_duration_buckets[];

#endif
