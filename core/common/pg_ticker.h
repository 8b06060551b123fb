/* pg_ticker: a thread that calls fn(arg) every interval and when kicked,
 * until stopped. The background workers (certificate scans, alert rules,
 * the drift sweep) are each one of these. */
#ifndef PG_TICKER_H
#define PG_TICKER_H

#include <stdbool.h>
#include <stdint.h>

#include "common/pg_err.h"

struct pg_ticker;

/* Starts the thread; the first call comes at once when run_first, else
 * after one interval. */
int pg_ticker_start(int64_t interval_ms, bool run_first, void (*fn)(void *arg), void *arg,
                    struct pg_ticker **out, struct pg_err *err);
/* Calls fn again as soon as the current call (if any) returns. */
void pg_ticker_kick(struct pg_ticker *t);
/* Waits for the current call to return, joins and frees (NULL is fine). */
void pg_ticker_stop(struct pg_ticker *t);

#endif
