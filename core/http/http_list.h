/* The list shape of the API: {"items": [...], "next": "<cursor>"|null}. */
#ifndef HTTP_LIST_H
#define HTTP_LIST_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

struct http_req;

#define HTTP_LIST_DEFAULT 100
#define HTTP_LIST_MAX 1000

/* Reads ?limit= (1..1000, default 100) and ?cursor= (an opaque id, 0 when
 * absent); answers 400 and returns false on bad values. */
bool http_list_params(struct http_req *req, int64_t *limit, int64_t *cursor);
/* Answers 200 with items (stolen) and the cursor next (0: no more pages). */
void http_reply_list(struct http_req *req, json_t *items, int64_t next);

#endif
