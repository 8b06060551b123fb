/* The application component's lifecycle: the reconciler thread that, on
 * the replica leading releases, advances running releases (app_rollout.c)
 * and keeps upstreams in sync (app_upstream.c). */
#include "application/app_int.h"
#include "audit/audit.h"
#include "cluster/cluster.h"
#include "common/pg_json.h"
#include "common/pg_log.h"
#include "common/pg_metrics.h"
#include "common/pg_map.h"
#include "common/pg_time.h"
#include "config/config.h"
#include "lua/plua_policy.h"
#include "registry/registry.h"
#include "store/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define TICK_MS 200

void app_reconcile_once(struct app *a)
{
	struct pg_err err = {0};
	struct store_conn *c = store_conn_get(a->store, &err);
	json_t *ids = json_array();
	if (c && app_release_ids(c, "running", ids, &err) == 0) {
		size_t i;
		json_t *id;
		json_array_foreach (ids, i, id) {
			struct pg_err e = {0};
			if (app_rollout_advance(a, json_integer_value(id), &e) != 0)
				pg_error("app", "release %lld: %s",
				         (long long)json_integer_value(id), e.message);
		}
	}
	json_decref(ids);
}

static void *reconciler_main(void *arg)
{
	struct app *a = arg;
	int64_t next_sync = 0;
	pthread_mutex_lock(&a->lock);
	while (!a->stopping) {
		struct timespec ts;
		pg_time_after(CLOCK_REALTIME, TICK_MS, &ts);
		if (!a->kicked) /* a kick while the last pass ran counts too */
			pthread_cond_timedwait(&a->wake, &a->lock, &ts);
		a->kicked = false;
		if (a->stopping)
			break;
		pthread_mutex_unlock(&a->lock);
		/* one replica advances releases and syncs upstreams */
		if (store_leader(a->store, STORE_ROLE_RELEASES)) {
			app_reconcile_once(a);
			if (pg_time_mono_ms() >= next_sync) {
				next_sync = pg_time_mono_ms() + 500;
				app_upstream_sync(a);
			}
		}
		pthread_mutex_lock(&a->lock);
	}
	pthread_mutex_unlock(&a->lock);
	return NULL;
}

void app_kick(struct app *a)
{
	pthread_mutex_lock(&a->lock);
	a->kicked = true;
	pthread_cond_signal(&a->wake);
	pthread_mutex_unlock(&a->lock);
}

static void on_release_notice(void *arg, const char *payload)
{
	(void)payload;
	app_kick(arg);
}

void app_kick_everywhere(struct app *a)
{
	app_kick(a);
	/* the task may have settled on a replica that does not lead releases:
	 * without this the leader sees it at its next tick, up to 200 ms a batch */
	if (store_shared(a->store))
		store_notify(a->store, "pagoda_releases", "");
}

int app_new(struct store *s, struct cluster *cl, struct registry *reg, struct config *cfg,
            struct plua *lua, int64_t debounce_ms, struct app **out, struct pg_err *err)
{
	struct app *a = calloc(1, sizeof(*a));
	if (!a || !(a->pending = pg_map_new())) {
		free(a);
		return pg_err_set(err, PG_EINTERNAL, "", "out of memory");
	}
	a->store = s;
	a->cluster = cl;
	a->registry = reg;
	a->config = cfg;
	a->lua = lua;
	a->debounce_ms = debounce_ms;
	pthread_mutex_init(&a->lock, NULL);
	pthread_cond_init(&a->wake, NULL);
	pthread_cond_init(&a->idle, NULL);
	if (pthread_create(&a->thread, NULL, reconciler_main, a) != 0) {
		app_free(a);
		return pg_err_set(err, PG_EINTERNAL, "", "cannot start the release reconciler");
	}
	a->running = true;
	if (store_listen(s, "pagoda_releases", on_release_notice, a, err) != 0) {
		app_free(a);
		return err->code;
	}
	*out = a;
	return 0;
}

void app_free(struct app *a)
{
	if (!a)
		return;
	store_unlisten(a->store, a);
	pthread_mutex_lock(&a->lock);
	a->stopping = true;
	pthread_cond_signal(&a->wake);
	while (a->followers > 0) /* they see stopping within a step */
		pthread_cond_wait(&a->idle, &a->lock);
	pthread_mutex_unlock(&a->lock);
	if (a->running)
		pthread_join(a->thread, NULL);
	if (a->pending) {
		app_upstream_free(a);
		pg_map_free(a->pending);
	}
	pthread_cond_destroy(&a->wake);
	pthread_cond_destroy(&a->idle);
	pthread_mutex_destroy(&a->lock);
	free(a);
}
