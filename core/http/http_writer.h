/* http_writer: one thread that runs the handlers of routes marked .grouped
 * (agent reports) off the connection threads, many of them in one store
 * transaction. A connection thread never waits on a commit's fsync, so the
 * heartbeats and polls it also serves keep their latency; and a hundred
 * reports arriving together cost one fsync instead of a hundred. */
#ifndef HTTP_WRITER_H
#define HTTP_WRITER_H

#include <stdbool.h>

struct http_req;
struct store;

struct http_writer;

struct http_writer *http_writer_new(struct store *s);
/* Runs what is queued, then stops the thread; later pushes are refused
 * (the connection thread runs the handler itself). */
void http_writer_stop(struct http_writer *w);
/* Stops it if needed and frees it: only once no connection thread can
 * push any more (after the daemon stopped). */
void http_writer_free(struct http_writer *w);
/* Takes a suspended request: its handler runs on the writer, then the
 * connection is resumed with the answer. False when the writer is stopping
 * (the caller runs the handler itself). */
bool http_writer_push(struct http_writer *w, struct http_req *req);

#endif
