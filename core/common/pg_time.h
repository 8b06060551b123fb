/* pg_time: wall-clock milliseconds and RFC 3339 text, the API's time format. */
#ifndef PG_TIME_H
#define PG_TIME_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

int64_t pg_time_now_ms(void);
/* Monotonic milliseconds, for deadlines and durations. */
int64_t pg_time_mono_ms(void);
/* *ts = now on clock + ms: the deadline of a timed condition wait. */
void pg_time_after(clockid_t clock, int64_t ms, struct timespec *ts);
/* "2026-11-26T07:22:03.123Z"; buf needs 25 bytes. */
void pg_time_format(int64_t ms, char *buf, size_t len);
/* Parses RFC 3339 (Z or +hh:mm offset, optional fraction); 0 or PG_EINVAL. */
int pg_time_parse(const char *s, int64_t *out_ms);

#endif
