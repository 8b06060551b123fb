/* Waiting requests (agent long polls, registry blocking queries). A waiting
 * request is a suspended connection listed here, not a blocked thread. Each
 * key has a generation counter bumped by every wake: a request that found
 * nothing registers only if no wake happened since it looked, so a change
 * made in between is never missed. A ticker thread resumes requests whose
 * deadline passed. */
#include "http/http_waitset.h"
#include "common/pg_map.h"
#include "http/http.h"
#include "common/pg_time.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

struct waiter {
	struct http_req *req;
	int64_t node_id, deadline; /* node_id: the key */
	struct waiter *prev, *next;         /* all waiters, for deadlines */
	struct waiter *node_prev, *node_next; /* waiters of one node */
};

struct poll_node {
	uint64_t gen;
	struct waiter *waiters;
};

struct http_waitset {
	pthread_mutex_t lock;
	struct pg_map *nodes; /* key -> struct poll_node */
	struct waiter *all;
	size_t count;
	bool stopping, ticking;
	pthread_t ticker;
	pthread_cond_t stop;
};

static void *tick_main(void *arg)
{
	struct http_waitset *p = arg;
	pthread_mutex_lock(&p->lock);
	while (!p->stopping) {
		struct timespec ts;
		/* deadlines are met within 250 ms: a long poll's wait is seconds */
		pg_time_after(CLOCK_MONOTONIC, 250, &ts);
		pthread_cond_timedwait(&p->stop, &p->lock, &ts);
		pthread_mutex_unlock(&p->lock);
		http_waitset_expire(p, pg_time_mono_ms());
		pthread_mutex_lock(&p->lock);
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

struct http_waitset *http_waitset_new(void)
{
	struct http_waitset *p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	pthread_mutex_init(&p->lock, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&p->stop, &ca);
	pthread_condattr_destroy(&ca);
	p->nodes = pg_map_new();
	p->ticking = p->nodes && pthread_create(&p->ticker, NULL, tick_main, p) == 0;
	if (!p->ticking) {
		http_waitset_free(p);
		return NULL;
	}
	return p;
}

static void free_node(int64_t key, void *value, void *arg)
{
	free(value);
}

void http_waitset_free(struct http_waitset *p)
{
	if (!p)
		return;
	http_waitset_shutdown(p);
	if (p->ticking)
		pthread_join(p->ticker, NULL);
	if (p->nodes) {
		pg_map_each(p->nodes, free_node, NULL);
		pg_map_free(p->nodes);
	}
	pthread_cond_destroy(&p->stop);
	pthread_mutex_destroy(&p->lock);
	free(p);
}

static struct poll_node *node_of(struct http_waitset *p, int64_t id)
{
	struct poll_node *n = pg_map_get(p->nodes, id);
	if (!n && (n = calloc(1, sizeof(*n))) && pg_map_put(p->nodes, id, n) != 0) {
		free(n);
		n = NULL;
	}
	return n;
}

uint64_t http_waitset_gen(struct http_waitset *p, int64_t node_id)
{
	pthread_mutex_lock(&p->lock);
	struct poll_node *n = node_of(p, node_id);
	uint64_t g = n ? n->gen : 0;
	pthread_mutex_unlock(&p->lock);
	return g;
}

/* Unlinks w; the caller holds the lock and resumes or frees it. */
static void unlink_waiter(struct http_waitset *p, struct waiter *w)
{
	if (w->prev)
		w->prev->next = w->next;
	else
		p->all = w->next;
	if (w->next)
		w->next->prev = w->prev;
	struct poll_node *n = pg_map_get(p->nodes, w->node_id);
	if (w->node_prev)
		w->node_prev->node_next = w->node_next;
	else if (n)
		n->waiters = w->node_next;
	if (w->node_next)
		w->node_next->node_prev = w->node_prev;
	p->count--;
}

bool http_waitset_wait(struct http_waitset *p, int64_t node_id, uint64_t gen,
		       struct http_req *req, int64_t deadline_mono)
{
	pthread_mutex_lock(&p->lock);
	struct poll_node *n = node_of(p, node_id);
	struct waiter *w = n ? calloc(1, sizeof(*w)) : NULL;
	if (!w || p->stopping || n->gen != gen) {
		pthread_mutex_unlock(&p->lock);
		free(w);
		return false;
	}
	w->req = req;
	w->node_id = node_id;
	w->deadline = deadline_mono;
	w->next = p->all;
	if (p->all)
		p->all->prev = w;
	p->all = w;
	w->node_next = n->waiters;
	if (n->waiters)
		n->waiters->node_prev = w;
	n->waiters = w;
	p->count++;
	http_suspend(req);
	pthread_mutex_unlock(&p->lock);
	return true;
}

void http_waitset_wake(struct http_waitset *p, int64_t node_id)
{
	pthread_mutex_lock(&p->lock);
	struct poll_node *n = node_of(p, node_id);
	if (n) {
		n->gen++;
		while (n->waiters) {
			struct waiter *w = n->waiters;
			unlink_waiter(p, w);
			http_resume(w->req);
			free(w);
		}
	}
	pthread_mutex_unlock(&p->lock);
}

void http_waitset_wake_all(struct http_waitset *p)
{
	pthread_mutex_lock(&p->lock);
	for (struct waiter *w = p->all, *next; w; w = next) {
		next = w->next;
		unlink_waiter(p, w);
		http_resume(w->req);
		free(w);
	}
	pthread_mutex_unlock(&p->lock);
}

void http_waitset_expire(struct http_waitset *p, int64_t now_mono)
{
	pthread_mutex_lock(&p->lock);
	for (struct waiter *w = p->all, *next; w; w = next) {
		next = w->next;
		if (p->stopping || w->deadline <= now_mono) {
			unlink_waiter(p, w);
			http_resume(w->req);
			free(w);
		}
	}
	pthread_mutex_unlock(&p->lock);
}

void http_waitset_shutdown(struct http_waitset *p)
{
	pthread_mutex_lock(&p->lock);
	p->stopping = true;
	pthread_cond_signal(&p->stop);
	pthread_mutex_unlock(&p->lock);
	http_waitset_expire(p, 0);
}

size_t http_waitset_count(struct http_waitset *p)
{
	pthread_mutex_lock(&p->lock);
	size_t n = p->count;
	pthread_mutex_unlock(&p->lock);
	return n;
}

bool http_waitset_stopping(struct http_waitset *p)
{
	pthread_mutex_lock(&p->lock);
	bool s = p->stopping;
	pthread_mutex_unlock(&p->lock);
	return s;
}

