/* http_waitset: requests waiting for a change of something identified by an
 * int64 key, held as suspended connections (no thread per waiter).
 *
 * The pattern in a handler:
 *   gen = http_waitset_gen(ws, key);
 *   look for the answer; if there is one, or the deadline passed, answer;
 *   else if (http_waitset_wait(ws, key, gen, req, deadline)) return;
 *   else look again (something changed meanwhile).
 * The handler is called again (req->resumes incremented) after a wake of
 * its key, at its deadline, or at shutdown. */
#ifndef HTTP_WAITSET_H
#define HTTP_WAITSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/pg_wake.h"

struct http_req;
struct http_waitset;

/* Starts the waitset and its deadline ticker; NULL when out of resources. */
struct http_waitset *http_waitset_new(void);
/* Answers every waiter, stops the ticker, frees. */
void http_waitset_free(struct http_waitset *ws);
uint64_t http_waitset_gen(struct http_waitset *ws, int64_t key);
bool http_waitset_wait(struct http_waitset *ws, int64_t key, uint64_t gen, struct http_req *req,
                       int64_t deadline_mono);
void http_waitset_wake(struct http_waitset *ws, int64_t key);
/* Resumes every waiter (they look again): after notifications may have been lost. */
void http_waitset_wake_all(struct http_waitset *ws);
void http_waitset_expire(struct http_waitset *ws, int64_t now_mono);
/* A pg_wake that wakes ws: what main.c hands a service. */
struct pg_wake http_waitset_hook(struct http_waitset *ws);
/* Resumes everyone and refuses new waiters; call before the server stops. */
void http_waitset_shutdown(struct http_waitset *ws);
bool http_waitset_stopping(struct http_waitset *ws);
size_t http_waitset_count(struct http_waitset *ws);

#endif
