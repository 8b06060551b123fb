/* Long-poll waiters. A waiting agent is a suspended connection listed here,
 * not a blocked thread. Each node has a generation counter bumped by every
 * wake: a poll that found no task registers only if no wake happened since it
 * looked, so a task queued in between is never missed. */
#include "cluster/cluster_int.h"
#include "http/http.h"

#include <stdlib.h>

struct waiter {
	struct http_req *req;
	int64_t node_id, deadline;
	struct waiter *prev, *next;         /* all waiters, for deadlines */
	struct waiter *node_prev, *node_next; /* waiters of one node */
};

struct poll_node {
	uint64_t gen;
	struct waiter *waiters;
};

struct cluster_poll {
	pthread_mutex_t lock;
	struct pg_map *nodes; /* node id -> struct poll_node */
	struct waiter *all;
	bool stopping;
};

struct cluster_poll *cluster_poll_new(void)
{
	struct cluster_poll *p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	pthread_mutex_init(&p->lock, NULL);
	p->nodes = pg_map_new();
	if (!p->nodes) {
		free(p);
		return NULL;
	}
	return p;
}

static void free_node(int64_t key, void *value, void *arg)
{
	free(value);
}

void cluster_poll_free(struct cluster_poll *p)
{
	if (!p)
		return;
	pg_map_each(p->nodes, free_node, NULL);
	pg_map_free(p->nodes);
	pthread_mutex_destroy(&p->lock);
	free(p);
}

static struct poll_node *node_of(struct cluster_poll *p, int64_t id)
{
	struct poll_node *n = pg_map_get(p->nodes, id);
	if (!n && (n = calloc(1, sizeof(*n))) && pg_map_put(p->nodes, id, n) != 0) {
		free(n);
		n = NULL;
	}
	return n;
}

uint64_t cluster_poll_gen(struct cluster_poll *p, int64_t node_id)
{
	pthread_mutex_lock(&p->lock);
	struct poll_node *n = node_of(p, node_id);
	uint64_t g = n ? n->gen : 0;
	pthread_mutex_unlock(&p->lock);
	return g;
}

/* Unlinks w; the caller holds the lock and resumes or frees it. */
static void unlink_waiter(struct cluster_poll *p, struct waiter *w)
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
}

bool cluster_poll_wait(struct cluster_poll *p, int64_t node_id, uint64_t gen,
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
	http_suspend(req);
	pthread_mutex_unlock(&p->lock);
	return true;
}

void cluster_poll_wake(struct cluster_poll *p, int64_t node_id)
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

void cluster_poll_expire(struct cluster_poll *p, int64_t now_mono)
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

void cluster_poll_shutdown(struct cluster_poll *p)
{
	pthread_mutex_lock(&p->lock);
	p->stopping = true;
	pthread_mutex_unlock(&p->lock);
	cluster_poll_expire(p, 0);
}

bool cluster_poll_stopping(struct cluster_poll *p)
{
	pthread_mutex_lock(&p->lock);
	bool s = p->stopping;
	pthread_mutex_unlock(&p->lock);
	return s;
}

