/* blob internals: the rows (blob_store.c). */
#ifndef BLOB_INT_H
#define BLOB_INT_H

#include "blob/blob.h"

#include <stddef.h>

int blob_store_insert(struct store_conn *c, const char *sha, int64_t size, const char *name,
                      const char *by, bool *created, struct pg_err *err);
int blob_store_get(struct store_conn *c, const char *sha, json_t **out, struct pg_err *err);
int blob_store_list(struct store_conn *c, json_t *items, struct pg_err *err);
/* What uses sha (what[0] empty: nothing), for a refused delete. */
int blob_store_user(struct store_conn *c, const char *sha, char *what, size_t len,
                    struct pg_err *err);
int blob_store_delete(struct store_conn *c, const char *sha, struct pg_err *err);

#endif
