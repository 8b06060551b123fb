/* The cluster's lifecycle and its timer thread: poll deadlines, liveness,
 * task leases, scheduled wakeups and the heartbeat flush. */
#include "cluster/cluster_int.h"
#include "common/pg_log.h"
#include "common/pg_time.h"
#include "store/store.h"

#include <stdlib.h>
#include <time.h>

#define TICK_MS 100

void cluster_opts_default(struct cluster_opts *o)
{
	o->heartbeat_interval_ms = 10000;
	o->poll_wait_max_ms = 30000;
	o->lease_grace_ms = 30000;
	o->retry_backoff_ms = 2000;
	o->retry_backoff_max_ms = 300000;
	o->heartbeat_flush_ms = 5000;
}

static void *timer_main(void *arg)
{
	struct cluster *cl = arg;
	int64_t next_second = 0, next_flush = pg_time_mono_ms() + cl->opts.heartbeat_flush_ms;
	pthread_mutex_lock(&cl->timer_lock);
	while (!cl->stopping) {
		struct timespec ts;
		pg_time_after(CLOCK_MONOTONIC, TICK_MS, &ts);
		pthread_cond_timedwait(&cl->timer_cond, &cl->timer_lock, &ts);
		if (cl->stopping)
			break;
		pthread_mutex_unlock(&cl->timer_lock);
		int64_t now = pg_time_mono_ms();
		cluster_wake_due(cl);
		if (now >= next_second) {
			next_second = now + 1000;
			if (store_shared(cl->store))
				cluster_live_sync(cl);
			/* one replica decides who is offline and whose lease ran out */
			if (store_leader(cl->store, STORE_ROLE_LIVENESS)) {
				cluster_live_tick(cl);
				cluster_task_reap(cl);
			}
		}
		if (now >= next_flush) {
			next_flush = now + cl->opts.heartbeat_flush_ms;
			cluster_live_flush(cl);
		}
		pthread_mutex_lock(&cl->timer_lock);
	}
	pthread_mutex_unlock(&cl->timer_lock);
	return NULL;
}

int64_t cluster_offline_after_ms(const struct cluster *cl)
{
	int64_t t = cl->opts.heartbeat_interval_ms * 5 / 2;
	return store_shared(cl->store) ? t + cl->opts.heartbeat_flush_ms + 1000 : t;
}

int cluster_new(struct store *s, const struct cluster_opts *o, struct cluster **out,
                struct pg_err *err)
{
	struct cluster *cl = calloc(1, sizeof(*cl));
	if (!cl)
		return pg_err_set(err, PG_EINTERNAL, "", "out of memory");
	cl->store = s;
	cl->opts = *o;
	/* Replicas learn each other's heartbeats from the store: flush them
	 * twice per interval; the offline check allows for that lag and the
	 * one-second sync (cluster_offline_after_ms). */
	if (store_shared(s) && cl->opts.heartbeat_flush_ms > cl->opts.heartbeat_interval_ms / 2)
		cl->opts.heartbeat_flush_ms = cl->opts.heartbeat_interval_ms / 2;
	pthread_mutex_init(&cl->lock, NULL);
	pthread_mutex_init(&cl->timer_lock, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&cl->timer_cond, &ca);
	pthread_condattr_destroy(&ca);
	cl->nodes = pg_map_new();
	int rc = cl->nodes ? cluster_live_load(cl, err)
	                   : pg_err_set(err, PG_EINTERNAL, "", "out of memory");
	if (rc == 0)
		rc = store_listen(s, "pagoda_wake", cluster_on_wake_notice, cl, err);
	if (rc == 0 && pthread_create(&cl->timer, NULL, timer_main, cl) != 0)
		rc = pg_err_set(err, PG_EINTERNAL, "", "cannot start the cluster timer thread");
	if (rc != 0) {
		cl->stopping = true;
		cluster_free(cl);
		return rc;
	}
	*out = cl;
	return 0;
}

void cluster_free(struct cluster *cl)
{
	if (!cl)
		return;
	store_unlisten(cl->store, cl);
	pthread_mutex_lock(&cl->timer_lock);
	bool started = !cl->stopping;
	cl->stopping = true;
	pthread_cond_signal(&cl->timer_cond);
	pthread_mutex_unlock(&cl->timer_lock);
	if (started) {
		pthread_join(cl->timer, NULL);
		cluster_live_flush(cl);
	}
	if (cl->nodes) {
		cluster_live_free_all(cl);
		pg_map_free(cl->nodes);
	}
	free(cl->wakeups);
	pthread_cond_destroy(&cl->timer_cond);
	pthread_mutex_destroy(&cl->timer_lock);
	pthread_mutex_destroy(&cl->lock);
	free(cl);
}
