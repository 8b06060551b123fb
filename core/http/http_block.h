/* Blocking queries (?index=N&wait=30s, as Consul's): the handler answers once
 * the index of what it reads passes N, or when the wait (default 30 s, at
 * most 5 min) runs out; at once without N. Waiting requests are suspended on
 * a waitset key, not a thread each. */
#ifndef HTTP_BLOCK_H
#define HTTP_BLOCK_H

#include <jansson.h>
#include <stdint.h>

#include "common/pg_err.h"

struct http_req;
struct http_waitset;

/* One read: the answer and the index it is at. */
typedef int (*http_block_read_fn)(struct http_req *req, json_t **out, int64_t *index,
                                  struct pg_err *err);

/* Serves req as a blocking query woken by key of ws; the answer carries the
 * index in header index_header too. */
void http_blocking_read(struct http_req *req, struct http_waitset *ws, int64_t key,
                        const char *index_header, http_block_read_fn read);

#endif
