/* pg_file: reading a whole file. */
#ifndef PG_FILE_H
#define PG_FILE_H

#include <stddef.h>

#include "common/pg_err.h"

/* Reads path (at most max bytes) into *data, NUL-terminated, owned by the
 * caller; *len gets the size. */
int pg_file_read(const char *path, size_t max, char **data, size_t *len, struct pg_err *err);

#endif
