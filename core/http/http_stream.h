/* A response written while it is sent (server-sent events): a producer on
 * any thread appends with http_stream_write; the connection sends what is
 * buffered, chunked, and is suspended while there is nothing to send, so a
 * quiet stream holds no thread. Whoever uses it holds a reference; the
 * stream is freed when the last one is let go. */
#ifndef HTTP_STREAM_H
#define HTTP_STREAM_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct http_req;
struct http_stream;

/* A stream buffering at most cap bytes not yet sent, with one reference
 * (the caller's); NULL when out of memory. */
struct http_stream *http_stream_new(size_t cap);
/* Another reference (for a producer on another thread), and letting one go. */
void http_stream_hold(struct http_stream *s);
void http_stream_release(struct http_stream *s);
/* Answers req with status and the stream's bytes as they come (the
 * connection takes a reference of its own). A later http_reply replaces it. */
void http_reply_stream(struct http_req *req, int status, const char *content_type,
                       struct http_stream *s);
/* Appends len bytes. False, and nothing appended, once the client has gone
 * or when a slow client let more than cap bytes pile up (the producer
 * should then stop: the connection is closed). */
bool http_stream_write(struct http_stream *s, const char *data, size_t len);
/* One server-sent event: "event: EVENT" and data as one line of JSON;
 * event NULL sends a keepalive comment. As http_stream_write. */
bool http_stream_event(struct http_stream *s, const char *event, json_t *data);
/* Whether the client has gone, also while nothing is being sent (the
 * producer should stop). */
bool http_stream_gone(struct http_stream *s);
/* Ends the stream after what is buffered and lets the caller's reference go. */
void http_stream_close(struct http_stream *s);

/* For the server: the response that sends s on conn (taking the
 * connection's reference, also on failure), or dropping that reference
 * when the answer never goes out. */
struct MHD_Connection;
struct MHD_Response;
struct MHD_Response *http_stream_response(struct http_stream *s, struct MHD_Connection *conn);
void http_stream_abandon(struct http_stream *s);
/* Ends every stream being sent and waits (up to wait_ms) for their
 * connections to finish: none may be suspended when the server stops. */
void http_stream_end_all(int64_t wait_ms);

#endif
