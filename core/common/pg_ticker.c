#include "common/pg_ticker.h"
#include "common/pg_time.h"

#include <pthread.h>
#include <stdlib.h>

struct pg_ticker {
	int64_t interval_ms;
	bool run_first, stopping, kicked;
	void (*fn)(void *);
	void *arg;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
};

static void *ticker_main(void *p)
{
	struct pg_ticker *t = p;
	pthread_mutex_lock(&t->lock);
	bool run = t->run_first;
	while (!t->stopping) {
		if (run) {
			t->kicked = false;
			pthread_mutex_unlock(&t->lock);
			t->fn(t->arg);
			pthread_mutex_lock(&t->lock);
		}
		if (!t->stopping && !t->kicked) {
			struct timespec ts;
			pg_time_after(CLOCK_REALTIME, t->interval_ms, &ts);
			pthread_cond_timedwait(&t->wake, &t->lock, &ts);
		}
		run = true;
	}
	pthread_mutex_unlock(&t->lock);
	return NULL;
}

int pg_ticker_start(int64_t interval_ms, bool run_first, void (*fn)(void *arg), void *arg,
                    struct pg_ticker **out, struct pg_err *err)
{
	struct pg_ticker *t = calloc(1, sizeof(*t));
	if (!t)
		return pg_err_set(err, PG_EINTERNAL, NULL, "out of memory");
	t->interval_ms = interval_ms;
	t->run_first = run_first;
	t->fn = fn;
	t->arg = arg;
	pthread_mutex_init(&t->lock, NULL);
	pthread_cond_init(&t->wake, NULL);
	if (pthread_create(&t->thread, NULL, ticker_main, t) != 0) {
		pthread_cond_destroy(&t->wake);
		pthread_mutex_destroy(&t->lock);
		free(t);
		return pg_err_set(err, PG_EINTERNAL, NULL, "cannot start a worker thread");
	}
	*out = t;
	return 0;
}

void pg_ticker_kick(struct pg_ticker *t)
{
	pthread_mutex_lock(&t->lock);
	t->kicked = true;
	pthread_cond_signal(&t->wake);
	pthread_mutex_unlock(&t->lock);
}

void pg_ticker_stop(struct pg_ticker *t)
{
	if (!t)
		return;
	pthread_mutex_lock(&t->lock);
	t->stopping = true;
	pthread_cond_signal(&t->wake);
	pthread_mutex_unlock(&t->lock);
	pthread_join(t->thread, NULL);
	pthread_cond_destroy(&t->wake);
	pthread_mutex_destroy(&t->lock);
	free(t);
}
