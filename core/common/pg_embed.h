/* Files compiled into a binary by cmake/embed.cmake. */
#ifndef PG_EMBED_H
#define PG_EMBED_H

#include <stddef.h>

struct pg_embedded {
	const char *path; /* relative to the embedding base dir; NULL ends a table */
	const char *data; /* NUL-terminated */
	size_t size;
};

#endif
