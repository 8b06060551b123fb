/* The list shape of the API: {"items": [...], "next": "<cursor>"|null}. */
#ifndef HTTP_LIST_H
#define HTTP_LIST_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/pg_err.h"

struct http_req;

#define HTTP_LIST_DEFAULT 100
#define HTTP_LIST_MAX 1000

/* Reads ?limit= (1..1000, default 100) and ?cursor= (an opaque id, 0 when
 * absent); answers 400 and returns false on bad values. */
bool http_list_params(struct http_req *req, int64_t *limit, int64_t *cursor);
/* rc 0 answers 200 with items (stolen) and the cursor next (0: no more
 * pages); anything else answers err and frees items. */
void http_reply_list(struct http_req *req, int rc, json_t *items, int64_t next,
                     const struct pg_err *err);

#endif
