/* pg_file: reading and writing a whole file. */
#ifndef PG_FILE_H
#define PG_FILE_H

#include <stddef.h>

#include "common/pg_err.h"

/* Reads path (at most max bytes) into *data, NUL-terminated, owned by the
 * caller; *len gets the size. */
int pg_file_read(const char *path, size_t max, char **data, size_t *len, struct pg_err *err);

/* Writes path whole or not at all: a temporary file beside it, fsync,
 * rename, fsync of the directory (a crash leaves the old file or the new
 * one, never half of one). */
int pg_file_write(const char *path, const void *data, size_t len, unsigned mode,
                  struct pg_err *err);

#endif
