#include "common/pg_map.h"
#include "common/pg_err.h"

#include <stdbool.h>
#include <stdlib.h>

struct slot {
	int64_t key;
	void *value;
	unsigned char state; /* 0 empty, 1 used, 2 deleted */
};

struct pg_map {
	struct slot *slots;
	size_t cap, used, tombs;
};

static size_t hash64(int64_t key)
{
	uint64_t x = (uint64_t)key;
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	return (size_t)x;
}

struct pg_map *pg_map_new(void)
{
	struct pg_map *m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	m->cap = 16;
	m->slots = calloc(m->cap, sizeof(struct slot));
	if (!m->slots) {
		free(m);
		return NULL;
	}
	return m;
}

void pg_map_free(struct pg_map *m)
{
	if (!m)
		return;
	free(m->slots);
	free(m);
}

static struct slot *find(const struct pg_map *m, int64_t key)
{
	size_t mask = m->cap - 1;
	for (size_t i = hash64(key) & mask;; i = (i + 1) & mask) {
		struct slot *s = &m->slots[i];
		if (s->state == 0)
			return NULL;
		if (s->state == 1 && s->key == key)
			return s;
	}
}

static int grow(struct pg_map *m)
{
	/* Double when mostly live entries, else rehash in place to drop tombstones. */
	size_t ncap = (m->used + 1) * 2 > m->cap ? m->cap * 2 : m->cap;
	struct slot *old = m->slots;
	size_t ocap = m->cap;
	struct slot *ns = calloc(ncap, sizeof(struct slot));
	if (!ns)
		return PG_EINTERNAL;
	m->slots = ns;
	m->cap = ncap;
	m->used = 0;
	m->tombs = 0;
	for (size_t i = 0; i < ocap; i++)
		if (old[i].state == 1)
			pg_map_put(m, old[i].key, old[i].value);
	free(old);
	return 0;
}

int pg_map_put(struct pg_map *m, int64_t key, void *value)
{
	struct slot *s = find(m, key);
	if (s) {
		s->value = value;
		return 0;
	}
	if ((m->used + m->tombs + 1) * 4 > m->cap * 3 && grow(m) != 0)
		return PG_EINTERNAL;
	size_t mask = m->cap - 1;
	for (size_t i = hash64(key) & mask;; i = (i + 1) & mask) {
		s = &m->slots[i];
		if (s->state != 1) {
			if (s->state == 2)
				m->tombs--;
			s->state = 1;
			s->key = key;
			s->value = value;
			m->used++;
			return 0;
		}
	}
}

void *pg_map_get(const struct pg_map *m, int64_t key)
{
	struct slot *s = find(m, key);
	return s ? s->value : NULL;
}

void *pg_map_del(struct pg_map *m, int64_t key)
{
	struct slot *s = find(m, key);
	if (!s)
		return NULL;
	void *v = s->value;
	s->state = 2;
	s->value = NULL;
	m->used--;
	m->tombs++;
	return v;
}

size_t pg_map_count(const struct pg_map *m)
{
	return m->used;
}

void pg_map_each(const struct pg_map *m, void (*fn)(int64_t, void *, void *), void *arg)
{
	for (size_t i = 0; i < m->cap; i++)
		if (m->slots[i].state == 1)
			fn(m->slots[i].key, m->slots[i].value, arg);
}
