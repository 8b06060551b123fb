#include "http/http_authlimit.h"
#include "common/pg_map.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define WINDOW_MS 60000
#define BLOCK_MS 60000
#define MAX_TRACKED 100000

struct entry {
	char ip[64];
	int64_t window_start, blocked_until;
	int failures;
};

struct http_authlimit {
	int limit;
	pthread_mutex_t lock;
	struct pg_map *by_ip; /* FNV-1a of the address -> entry */
};

static int64_t key_of(const char *ip)
{
	uint64_t h = 1469598103934665603ULL;
	for (const unsigned char *p = (const unsigned char *)ip; *p; p++)
		h = (h ^ *p) * 1099511628211ULL;
	return (int64_t)(h >> 1);
}

struct http_authlimit *http_authlimit_new(int limit)
{
	struct http_authlimit *l = calloc(1, sizeof(*l));
	if (!l || !(l->by_ip = pg_map_new())) {
		free(l);
		return NULL;
	}
	l->limit = limit;
	pthread_mutex_init(&l->lock, NULL);
	return l;
}

static void free_entry(int64_t key, void *value, void *arg)
{
	(void)key;
	(void)arg;
	free(value);
}

void http_authlimit_free(struct http_authlimit *l)
{
	if (!l)
		return;
	pg_map_each(l->by_ip, free_entry, NULL);
	pg_map_free(l->by_ip);
	pthread_mutex_destroy(&l->lock);
	free(l);
}

struct stale {
	int64_t now, *keys;
	size_t n;
};

static void find_stale(int64_t key, void *value, void *arg)
{
	struct stale *st = arg;
	const struct entry *e = value;
	if (e->blocked_until <= st->now && st->now - e->window_start > WINDOW_MS)
		st->keys[st->n++] = key;
}

/* Forgets addresses whose window and block are over: a full table must
 * not stop the limiter from tracking new ones. */
static void evict(struct http_authlimit *l, int64_t now_ms)
{
	struct stale st = {now_ms, malloc(pg_map_count(l->by_ip) * sizeof(int64_t)), 0};
	if (!st.keys)
		return;
	pg_map_each(l->by_ip, find_stale, &st);
	for (size_t i = 0; i < st.n; i++)
		free(pg_map_del(l->by_ip, st.keys[i]));
	free(st.keys);
}

/* The entry of ip (a hash collision shares one: rare, and only ever stricter). */
static struct entry *entry_of(struct http_authlimit *l, const char *ip, bool create, int64_t now_ms)
{
	int64_t k = key_of(ip);
	struct entry *e = pg_map_get(l->by_ip, k);
	if (e || !create)
		return e;
	if (pg_map_count(l->by_ip) >= MAX_TRACKED)
		evict(l, now_ms);
	if (pg_map_count(l->by_ip) >= MAX_TRACKED)
		return NULL; /* a hundred thousand addresses failing within a minute */
	if ((e = calloc(1, sizeof(*e))) && pg_map_put(l->by_ip, k, e) != 0) {
		free(e);
		return NULL;
	}
	if (e)
		strncpy(e->ip, ip, sizeof(e->ip) - 1);
	return e;
}

int64_t http_authlimit_blocked(struct http_authlimit *l, const char *ip, int64_t now_ms)
{
	if (!l || l->limit <= 0)
		return 0;
	pthread_mutex_lock(&l->lock);
	struct entry *e = entry_of(l, ip, false, now_ms);
	int64_t wait =
	        e && e->blocked_until > now_ms ? (e->blocked_until - now_ms + 999) / 1000 : 0;
	pthread_mutex_unlock(&l->lock);
	return wait;
}

bool http_authlimit_fail(struct http_authlimit *l, const char *ip, int64_t now_ms)
{
	if (!l || l->limit <= 0)
		return false;
	bool started = false;
	pthread_mutex_lock(&l->lock);
	struct entry *e = entry_of(l, ip, true, now_ms);
	if (e) {
		if (now_ms - e->window_start > WINDOW_MS) {
			e->window_start = now_ms;
			e->failures = 0;
		}
		if (++e->failures >= l->limit && e->blocked_until <= now_ms) {
			e->blocked_until = now_ms + BLOCK_MS;
			e->failures = 0;
			e->window_start = now_ms;
			started = true;
		}
	}
	pthread_mutex_unlock(&l->lock);
	return started;
}
