/* A node's machine figures over time (CPU busy, load, memory, the fullest
 * disk), taken from its heartbeats' facts when the liveness flush writes
 * them: a point a minute kept a day, a point every ten minutes kept a
 * week. Bounded by those windows; the rows live in the store, so every
 * replica answers with the same history. */
#include "cluster/cluster_int.h"
#include "common/pg_json.h"
#include "common/pg_time.h"
#include "store/store.h"

#include <jansson.h>
#include <math.h>
#include <string.h>

#define MINUTE_MS 60000
#define DAY_MS (24 * 60 * MINUTE_MS)

/* [0] the day's points, [1] the week's */
static const struct {
	int64_t res_sec, keep_ms;
} resolutions[] = {{60, DAY_MS}, {600, 7 * DAY_MS}};

/* x as per mille of a whole, -1 when unknown */
static int64_t per_mille(double part, double whole)
{
	if (!(whole > 0) || part < 0)
		return -1;
	double f = part / whole;
	return (int64_t)lround((f > 1 ? 1 : f) * 1000);
}

/* A point's figures; -1 where the agent said nothing. */
struct sample {
	int64_t cpu_pm, load1_c, cpu_count, mem_pm, disk_pm;
};

/* What a heartbeat's facts give: CPU busy (facts.cpuBusy), 1-minute load,
 * CPU count, memory used, the fullest mount's use. */
static void sample_of_facts(json_t *facts, struct sample *s)
{
	*s = (struct sample){-1, -1, -1, -1, -1};
	json_t *cpu = json_object_get(facts, "cpuBusy");
	if (json_is_number(cpu))
		s->cpu_pm = per_mille(json_number_value(cpu), 1);
	json_t *load = json_array_get(json_object_get(facts, "load"), 0);
	if (json_is_number(load) && json_number_value(load) >= 0)
		s->load1_c = (int64_t)lround(json_number_value(load) * 100);
	json_t *n = json_object_get(facts, "cpuCount");
	if (json_is_integer(n) && json_integer_value(n) > 0)
		s->cpu_count = json_integer_value(n);
	json_t *total = json_object_get(facts, "memTotalBytes");
	json_t *avail = json_object_get(facts, "memAvailableBytes");
	if (!avail)
		avail = json_object_get(facts, "memFreeBytes");
	if (json_is_integer(total) && json_is_integer(avail))
		s->mem_pm =
		        per_mille((double)(json_integer_value(total) - json_integer_value(avail)),
		                  (double)json_integer_value(total));
	const char *mount;
	json_t *d;
	json_object_foreach (json_object_get(facts, "disk"), mount, d) {
		json_t *t = json_object_get(d, "totalBytes"), *f = json_object_get(d, "freeBytes");
		if (!json_is_integer(t) || !json_is_integer(f))
			continue;
		int64_t used = per_mille((double)(json_integer_value(t) - json_integer_value(f)),
		                         (double)json_integer_value(t));
		if (used > s->disk_pm)
			s->disk_pm = used;
	}
}

int cluster_history_record(struct store_conn *c, int64_t node_id, int64_t at_ms,
                           const char *facts_text, struct pg_err *err)
{
	json_t *facts = facts_text ? json_loads(facts_text, 0, NULL) : NULL;
	if (!json_is_object(facts)) {
		json_decref(facts);
		return 0; /* nothing to plot */
	}
	struct sample s;
	sample_of_facts(facts, &s);
	json_decref(facts);
	static const char sql[] =
	        "INSERT INTO node_sample (node_id, res, at, cpu_pm, load1_c, cpu_count, mem_pm,"
	        " disk_pm) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
	        " ON CONFLICT (node_id, res, at) DO NOTHING";
	int rc = 0;
	/* the first heartbeat of each minute (of each ten minutes) stands for it */
	for (size_t i = 0; rc == 0 && i < sizeof(resolutions) / sizeof(resolutions[0]); i++) {
		int64_t bucket = resolutions[i].res_sec * 1000;
		rc = store_ok(store_run(c, sql, err, SI(node_id), SI(resolutions[i].res_sec),
		                        SI(at_ms / bucket * bucket), SI(s.cpu_pm), SI(s.load1_c),
		                        SI(s.cpu_count), SI(s.mem_pm), SI(s.disk_pm)));
	}
	return rc;
}

int cluster_history_prune(struct store_conn *c, int64_t now_ms, struct pg_err *err)
{
	static const char sql[] = "DELETE FROM node_sample WHERE res = $1 AND at < $2";
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < sizeof(resolutions) / sizeof(resolutions[0]); i++)
		rc = store_ok(store_run(c, sql, err, SI(resolutions[i].res_sec),
		                        SI(now_ms - resolutions[i].keep_ms)));
	return rc;
}

int cluster_history_forget(struct store_conn *c, int64_t node_id, struct pg_err *err)
{
	return store_ok(
	        store_run(c, "DELETE FROM node_sample WHERE node_id = $1", err, SI(node_id)));
}

/* A per mille (or hundredths) column as a JSON number scaled by 1/div, or
 * null when unknown. */
static json_t *scaled(int64_t v, double div)
{
	return v < 0 ? json_null() : json_real((double)v / div);
}

int cluster_history_get(struct store_conn *c, int64_t node_id, bool week, json_t **out,
                        struct pg_err *err)
{
	int64_t res = resolutions[week].res_sec, keep = resolutions[week].keep_ms;
	static const char sql[] =
	        "SELECT at, cpu_pm, load1_c, cpu_count, mem_pm, disk_pm FROM node_sample"
	        " WHERE node_id = $1 AND res = $2 AND at >= $3 ORDER BY at";
	json_t *points = json_array();
	struct store_stmt *st;
	int rc;
	for (rc = store_query(c, sql, &st, err, SI(node_id), SI(res), SI(pg_time_now_ms() - keep));
	     rc > 0; rc = store_step(st, err)) {
		json_t *p = json_object();
		pg_json_set_time(p, "at", store_col_i64(st, 0));
		json_object_set_new(p, "cpuBusy", scaled(store_col_i64(st, 1), 1000));
		json_object_set_new(p, "load1", scaled(store_col_i64(st, 2), 100));
		int64_t cpus = store_col_i64(st, 3);
		json_object_set_new(p, "cpuCount", cpus < 0 ? json_null() : json_integer(cpus));
		json_object_set_new(p, "memUsed", scaled(store_col_i64(st, 4), 1000));
		json_object_set_new(p, "diskUsed", scaled(store_col_i64(st, 5), 1000));
		json_array_append_new(points, p);
	}
	store_done(st);
	if (rc < 0) {
		json_decref(points);
		return rc;
	}
	*out = json_pack("{s:I, s:o}", "resolutionSec", (json_int_t)res, "points", points);
	return 0;
}
