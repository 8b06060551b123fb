#include "http/http_writer.h"
#include "common/pg_log.h"
#include "http/http.h"
#include "store/store.h"

#include <pthread.h>
#include <stdlib.h>

/* Requests per transaction: enough to fold a batch of a release into a few
 * commits, few enough that one slow handler delays a bounded number. */
#define WRITER_GROUP_MAX 64

struct job {
	struct http_req *req;
	struct job *next;
};

struct http_writer {
	struct store *store;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct job *head, **tail;
	bool stopping, joined;
};

/* Runs one group: handlers in arrival order, one commit, then the answers. */
static void run_group(struct http_writer *w, struct job *jobs)
{
	struct pg_err err = {0};
	struct store_conn *c = store_conn_get(w->store, &err);
	bool grouped = c && store_group_begin(c, &err) == 0;
	if (c && !grouped)
		pg_warn("http", "grouped writes run one by one: %s", err.message);
	for (struct job *j = jobs; j; j = j->next) {
		struct http_req *req = j->req;
		if (!c) {
			http_reply_err(req, &err);
			continue;
		}
		pg_log_set_trace(req->trace_id);
		req->on_writer = true;
		req->route->fn(req);
		req->on_writer = false;
		pg_log_set_trace(NULL);
		if (!req->answered)
			http_reply_error(req, PG_EINTERNAL, "", "handler gave no answer");
	}
	if (grouped && store_group_end(c, true, &err) != 0) {
		pg_error("http", "cannot commit a group of writes: %s", err.message);
		for (struct job *j = jobs; j; j = j->next)
			if (j->req->status < 300)
				http_reply_error(j->req, PG_EUNAVAIL, "", "cannot commit: %s",
				                 err.message);
	}
	while (jobs) {
		struct job *next = jobs->next;
		http_resume(jobs->req);
		free(jobs);
		jobs = next;
	}
}

static void *writer_main(void *arg)
{
	struct http_writer *w = arg;
	pthread_setname_np(pthread_self(), "http-writer");
	pthread_mutex_lock(&w->lock);
	for (;;) {
		while (!w->head && !w->stopping)
			pthread_cond_wait(&w->cond, &w->lock);
		if (!w->head)
			break;
		struct job *jobs = w->head, *last = jobs;
		for (int n = 1; n < WRITER_GROUP_MAX && last->next; n++)
			last = last->next;
		w->head = last->next;
		if (!w->head)
			w->tail = &w->head;
		last->next = NULL;
		pthread_mutex_unlock(&w->lock);
		run_group(w, jobs);
		pthread_mutex_lock(&w->lock);
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

struct http_writer *http_writer_new(struct store *s)
{
	struct http_writer *w = calloc(1, sizeof(*w));
	if (!w)
		return NULL;
	w->store = s;
	w->tail = &w->head;
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->cond, NULL);
	if (pthread_create(&w->thread, NULL, writer_main, w) != 0) {
		pthread_mutex_destroy(&w->lock);
		pthread_cond_destroy(&w->cond);
		free(w);
		return NULL;
	}
	return w;
}

bool http_writer_push(struct http_writer *w, struct http_req *req)
{
	struct job *j = malloc(sizeof(*j));
	if (!j)
		return false;
	j->req = req;
	j->next = NULL;
	pthread_mutex_lock(&w->lock);
	bool ok = !w->stopping;
	if (ok) {
		*w->tail = j;
		w->tail = &j->next;
		pthread_cond_signal(&w->cond);
	}
	pthread_mutex_unlock(&w->lock);
	if (!ok)
		free(j);
	return ok;
}

void http_writer_stop(struct http_writer *w)
{
	if (!w)
		return;
	pthread_mutex_lock(&w->lock);
	bool joined = w->joined;
	w->stopping = true;
	w->joined = true;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);
	if (!joined)
		pthread_join(w->thread, NULL);
}

void http_writer_free(struct http_writer *w)
{
	if (!w)
		return;
	http_writer_stop(w);
	pthread_mutex_destroy(&w->lock);
	pthread_cond_destroy(&w->cond);
	free(w);
}
