/* pg_wake: how a service says "what this key names has changed" without
 * knowing who waits for it. main.c wires it to the HTTP layer's waitsets
 * (held long polls and watches), so services stay below the HTTP layer. */
#ifndef PG_WAKE_H
#define PG_WAKE_H

#include <stdint.h>

struct pg_wake {
	void (*one)(void *arg, int64_t key); /* waiters of key look again */
	void (*all)(void *arg);              /* every waiter looks again */
	void *arg;
};

static inline void pg_wake_one(const struct pg_wake *w, int64_t key)
{
	if (w && w->one)
		w->one(w->arg, key);
}

static inline void pg_wake_all(const struct pg_wake *w)
{
	if (w && w->all)
		w->all(w->arg);
}

#endif
