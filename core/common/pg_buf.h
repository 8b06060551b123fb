/* pg_buf: a growing, NUL-terminated byte buffer with a size cap, for
 * answers read from the network (libcurl's write callback fills it). */
#ifndef PG_BUF_H
#define PG_BUF_H

#include <stdbool.h>
#include <stddef.h>

struct pg_buf {
	char *data; /* NUL-terminated when not NULL; owned */
	size_t len;
	size_t max; /* more than this is refused (too_big set) */
	bool too_big;
};

/* Appends n bytes; false when out of memory or over max (nothing added). */
bool pg_buf_append(struct pg_buf *b, const void *p, size_t n);
/* libcurl's CURLOPT_WRITEFUNCTION with a struct pg_buf as CURLOPT_WRITEDATA:
 * returning less than given makes curl stop with CURLE_WRITE_ERROR. */
size_t pg_buf_curl_write(char *p, size_t size, size_t n, void *buf);
/* Empties b, keeping max. */
void pg_buf_reset(struct pg_buf *b);

#endif
