#include "http/http_conns.h"
#include "common/pg_map.h"
#include "common/pg_time.h"

#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct http_conn {
	int fd;
	int64_t key, since_ms;
	enum http_conn_phase phase;
	_Atomic bool proven; /* read without the lock on the request path */
	struct http_conn *prev, *next;
};

struct http_conns {
	struct http_conns_opts opts;
	pthread_mutex_t lock;
	struct http_conn *list;
	struct pg_map *unproven_by_ip; /* address key -> count, as a pointer */
	unsigned unproven;
};

/* An address as a map key: IPv4 as it is, IPv6 hashed (FNV-1a); a
 * collision only makes two addresses share a cap. */
static int64_t addr_key(const struct sockaddr *sa)
{
	if (sa && sa->sa_family == AF_INET)
		return (int64_t)ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr) + 1;
	uint64_t h = 1469598103934665603ULL;
	if (sa && sa->sa_family == AF_INET6) {
		const unsigned char *b = ((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr;
		for (int i = 0; i < 16; i++)
			h = (h ^ b[i]) * 1099511628211ULL;
	}
	return (int64_t)(h | (1ULL << 62));
}

struct http_conns *http_conns_new(const struct http_conns_opts *o)
{
	struct http_conns *cs = calloc(1, sizeof(*cs));
	if (!cs || !(cs->unproven_by_ip = pg_map_new())) {
		free(cs);
		return NULL;
	}
	cs->opts = *o;
	pthread_mutex_init(&cs->lock, NULL);
	return cs;
}

void http_conns_free(struct http_conns *cs)
{
	if (!cs)
		return;
	for (struct http_conn *c = cs->list, *next; c; c = next) {
		next = c->next;
		free(c);
	}
	pg_map_free(cs->unproven_by_ip);
	pthread_mutex_destroy(&cs->lock);
	free(cs);
}

static uintptr_t count_of(struct http_conns *cs, int64_t key)
{
	return (uintptr_t)pg_map_get(cs->unproven_by_ip, key);
}

static void count_add(struct http_conns *cs, int64_t key, int d)
{
	uintptr_t n = count_of(cs, key) + (uintptr_t)(intptr_t)d;
	if (n == 0)
		pg_map_del(cs->unproven_by_ip, key);
	else
		pg_map_put(cs->unproven_by_ip, key, (void *)n);
	cs->unproven += (unsigned)d;
}

bool http_conns_admit(struct http_conns *cs, const struct sockaddr *sa)
{
	pthread_mutex_lock(&cs->lock);
	bool ok = cs->unproven < cs->opts.max_unproven &&
	          count_of(cs, addr_key(sa)) < cs->opts.per_ip;
	pthread_mutex_unlock(&cs->lock);
	return ok;
}

struct http_conn *http_conns_open(struct http_conns *cs, const struct sockaddr *sa, int fd)
{
	struct http_conn *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->fd = fd;
	c->key = addr_key(sa);
	c->since_ms = pg_time_mono_ms();
	pthread_mutex_lock(&cs->lock);
	c->next = cs->list;
	if (cs->list)
		cs->list->prev = c;
	cs->list = c;
	count_add(cs, c->key, 1);
	pthread_mutex_unlock(&cs->lock);
	return c;
}

void http_conns_close(struct http_conns *cs, struct http_conn *c)
{
	if (!c)
		return;
	pthread_mutex_lock(&cs->lock);
	if (c->prev)
		c->prev->next = c->next;
	else
		cs->list = c->next;
	if (c->next)
		c->next->prev = c->prev;
	if (!c->proven)
		count_add(cs, c->key, -1);
	pthread_mutex_unlock(&cs->lock);
	free(c);
}

void http_conns_phase(struct http_conns *cs, struct http_conn *c, enum http_conn_phase p)
{
	/* a proven connection has no deadlines: agents' requests take no lock */
	if (!c || atomic_load(&c->proven))
		return;
	pthread_mutex_lock(&cs->lock);
	c->phase = p;
	c->since_ms = pg_time_mono_ms();
	pthread_mutex_unlock(&cs->lock);
}

void http_conns_prove(struct http_conns *cs, struct http_conn *c)
{
	if (!c || atomic_load(&c->proven))
		return;
	pthread_mutex_lock(&cs->lock);
	if (!c->proven)
		count_add(cs, c->key, -1);
	c->proven = true;
	pthread_mutex_unlock(&cs->lock);
}

unsigned http_conns_sweep(struct http_conns *cs, int64_t now_ms)
{
	unsigned n = 0;
	pthread_mutex_lock(&cs->lock);
	for (struct http_conn *c = cs->list; c; c = c->next) {
		int64_t limit = c->phase == HTTP_CONN_HEADERS ? cs->opts.header_ms
		                : c->phase == HTTP_CONN_BODY  ? cs->opts.body_ms
		                                              : 0;
		if (!c->proven && limit && now_ms - c->since_ms > limit && c->fd >= 0) {
			/* libmicrohttpd sees the end of the stream and closes it
			 * itself; the descriptor stays open until then, and
			 * closing calls http_conns_close under this lock */
			shutdown(c->fd, SHUT_RDWR);
			c->fd = -1;
			n++;
		}
	}
	pthread_mutex_unlock(&cs->lock);
	return n;
}
