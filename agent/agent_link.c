/* The agent's one connection to pagodad. Every thread's exchange (the
 * poll, heartbeats, reports, state and endpoint reports) goes over it, one
 * at a time, so a fleet of N agents holds N connections in pagodad, not one
 * per thread. The long poll is the one long exchange: it gives way to any
 * exchange waiting, and the poller ends it by the time another thread's
 * periodic send falls due (agent_link_due). An urgent exchange that finds
 * the connection busy (an endpoint's health flipped during a poll) goes
 * over a connection of its own, closed after. */
#include "agent.h"

#include <stdlib.h>

enum { LINK_DUE_SLOTS = AGENT_DUE_ENDPOINTS + 1 };

struct agent_link {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct agent_http *h;
	bool busy;
	int waiters;                 /* exchanges waiting for the connection */
	int64_t due[LINK_DUE_SLOTS]; /* monotonic ms, 0: nothing due */
};

int agent_link_new(struct agent *a)
{
	struct agent_link *l = calloc(1, sizeof(*l));
	if (!l || !(l->h = agent_http_new(a))) {
		free(l);
		return -1;
	}
	pthread_mutex_init(&l->mu, NULL);
	pthread_cond_init(&l->cv, NULL);
	a->link = l;
	return 0;
}

void agent_link_free(struct agent *a)
{
	struct agent_link *l = a->link;
	if (!l)
		return;
	agent_http_free(l->h);
	pthread_cond_destroy(&l->cv);
	pthread_mutex_destroy(&l->mu);
	free(l);
	a->link = NULL;
}

/* Takes the connection; a poll also gives way to every waiting exchange. */
static void take(struct agent_link *l, bool poll)
{
	pthread_mutex_lock(&l->mu);
	if (!poll)
		l->waiters++;
	while (l->busy || (poll && l->waiters > 0))
		pthread_cond_wait(&l->cv, &l->mu);
	if (!poll)
		l->waiters--;
	l->busy = true;
	pthread_mutex_unlock(&l->mu);
}

static void give(struct agent_link *l)
{
	pthread_mutex_lock(&l->mu);
	l->busy = false;
	pthread_cond_broadcast(&l->cv);
	pthread_mutex_unlock(&l->mu);
}

static int exchange(struct agent *a, bool poll, bool urgent, const char *path, json_t *body,
                    const char *trace, long timeout_ms, json_t **out, long *status,
                    struct pg_err *err)
{
	struct agent_link *l = a->link;
	if (urgent) {
		pthread_mutex_lock(&l->mu);
		bool free_now = !l->busy;
		l->busy = l->busy || free_now;
		pthread_mutex_unlock(&l->mu);
		if (!free_now) {
			struct agent_http *h = agent_http_new(a);
			if (!h)
				return pg_err_set(err, PG_EINTERNAL, "", "out of memory");
			int rc =
			        agent_http_post(h, path, body, trace, timeout_ms, out, status, err);
			agent_http_free(h);
			return rc;
		}
	} else {
		take(l, poll);
	}
	int rc = agent_http_post(l->h, path, body, trace, timeout_ms, out, status, err);
	give(l);
	return rc;
}

int agent_link_post(struct agent *a, const char *path, json_t *body, const char *trace,
                    long timeout_ms, json_t **out, long *status, struct pg_err *err)
{
	return exchange(a, false, false, path, body, trace, timeout_ms, out, status, err);
}

int agent_link_post_urgent(struct agent *a, const char *path, json_t *body, long timeout_ms,
                           json_t **out, long *status, struct pg_err *err)
{
	return exchange(a, false, true, path, body, NULL, timeout_ms, out, status, err);
}

int agent_link_poll(struct agent *a, json_t *body, long timeout_ms, json_t **out, long *status,
                    struct pg_err *err)
{
	return exchange(a, true, false, "/agent/tasks/poll", body, NULL, timeout_ms, out, status,
	                err);
}

void agent_link_due(struct agent *a, enum agent_due slot, int64_t at_ms)
{
	struct agent_link *l = a->link;
	pthread_mutex_lock(&l->mu);
	l->due[slot] = at_ms;
	pthread_mutex_unlock(&l->mu);
}

int64_t agent_link_next_due(struct agent *a)
{
	struct agent_link *l = a->link;
	int64_t next = 0;
	pthread_mutex_lock(&l->mu);
	for (int i = 0; i < LINK_DUE_SLOTS; i++)
		if (l->due[i] && (!next || l->due[i] < next))
			next = l->due[i];
	pthread_mutex_unlock(&l->mu);
	return next;
}
