/* Streaming answers: libmicrohttpd asks stream_read for bytes whenever the
 * socket has room; with none buffered the reader suspends the connection
 * and returns 0 (the pattern microhttpd.h prescribes), and the next write
 * resumes it. */
#include "http/http_stream.h"

#include <microhttpd.h>
#include <stdio.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct http_stream {
	struct http_stream *prev, *next; /* the streams being sent (all_streams) */
	pthread_mutex_t mu;
	int refs;
	char *buf;
	size_t head, len, cap;       /* unsent bytes: buf[head, head + len) */
	struct MHD_Connection *conn; /* NULL before the reply and once it is over */
	bool waiting;                /* the connection is suspended for bytes */
	bool closed, gone;
};

/* The streams a connection is sending: libmicrohttpd refuses to stop
 * while a connection is suspended, so stopping ends them all first. */
static pthread_mutex_t all_mu = PTHREAD_MUTEX_INITIALIZER;
static struct http_stream *all_streams;
static bool all_ending; /* a stream begun now ends at once */

struct http_stream *http_stream_new(size_t cap)
{
	struct http_stream *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->buf = malloc(cap);
	if (!s->buf) {
		free(s);
		return NULL;
	}
	s->cap = cap;
	s->refs = 1; /* the creator's; http_reply_stream adds the connection's */
	pthread_mutex_init(&s->mu, NULL);
	return s;
}

void http_stream_release(struct http_stream *s)
{
	pthread_mutex_lock(&s->mu);
	bool last = --s->refs == 0;
	pthread_mutex_unlock(&s->mu);
	if (!last)
		return;
	pthread_mutex_destroy(&s->mu);
	free(s->buf);
	free(s);
}

/* Called with s->mu held: wakes the connection if it waits for bytes. */
static void wake(struct http_stream *s)
{
	if (s->waiting && s->conn) {
		s->waiting = false;
		MHD_resume_connection(s->conn);
	}
}

static ssize_t stream_read(void *cls, uint64_t pos, char *out, size_t max)
{
	(void)pos;
	struct http_stream *s = cls;
	pthread_mutex_lock(&s->mu);
	ssize_t n = 0;
	if (s->len) {
		n = (ssize_t)(s->len < max ? s->len : max);
		memcpy(out, s->buf + s->head, (size_t)n);
		s->len -= (size_t)n;
		s->head = s->len ? s->head + (size_t)n : 0;
	} else if (s->closed) {
		n = MHD_CONTENT_READER_END_OF_STREAM;
	} else if (s->gone) {
		n = MHD_CONTENT_READER_END_WITH_ERROR; /* a slow client, cut off */
	} else {
		s->waiting = true;
		MHD_suspend_connection(s->conn);
	}
	pthread_mutex_unlock(&s->mu);
	return n;
}

/* The response is destroyed: the connection is over, whatever ended it. */
static void stream_done(void *cls)
{
	struct http_stream *s = cls;
	pthread_mutex_lock(&all_mu);
	if (s->prev || all_streams == s) {
		*(s->prev ? &s->prev->next : &all_streams) = s->next;
		if (s->next)
			s->next->prev = s->prev;
		s->prev = s->next = NULL;
	}
	pthread_mutex_unlock(&all_mu);
	pthread_mutex_lock(&s->mu);
	s->gone = true;
	s->conn = NULL;
	s->waiting = false;
	pthread_mutex_unlock(&s->mu);
	http_stream_release(s);
}

void http_stream_hold(struct http_stream *s)
{
	pthread_mutex_lock(&s->mu);
	s->refs++;
	pthread_mutex_unlock(&s->mu);
}

struct MHD_Response *http_stream_response(struct http_stream *s, struct MHD_Connection *conn)
{
	pthread_mutex_lock(&all_mu);
	s->next = all_streams;
	if (all_streams)
		all_streams->prev = s;
	all_streams = s;
	pthread_mutex_lock(&s->mu);
	s->conn = conn;
	s->closed = s->closed || all_ending;
	pthread_mutex_unlock(&s->mu);
	pthread_mutex_unlock(&all_mu);
	struct MHD_Response *r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16384,
	                                                           stream_read, s, stream_done);
	if (!r)
		stream_done(s);
	return r;
}

void http_stream_abandon(struct http_stream *s)
{
	stream_done(s);
}

bool http_stream_write(struct http_stream *s, const char *data, size_t len)
{
	pthread_mutex_lock(&s->mu);
	bool ok = !s->gone && !s->closed;
	if (ok && s->head + s->len + len > s->cap) {
		memmove(s->buf, s->buf + s->head, s->len);
		s->head = 0;
	}
	if (ok && s->len + len > s->cap) {
		s->gone = true; /* the client does not keep up: cut it off */
		ok = false;
	}
	if (ok) {
		memcpy(s->buf + s->head + s->len, data, len);
		s->len += len;
	}
	wake(s);
	pthread_mutex_unlock(&s->mu);
	return ok;
}

bool http_stream_event(struct http_stream *s, const char *event, json_t *data)
{
	if (!event)
		return http_stream_write(s, ": keepalive\n\n", 13);
	/* compact JSON has no newline: one data line */
	char *d = json_dumps(data, JSON_COMPACT | JSON_ENCODE_ANY);
	char *text = NULL;
	int n = d ? asprintf(&text, "event: %s\ndata: %s\n\n", event, d) : -1;
	bool ok = n > 0 && http_stream_write(s, text, (size_t)n);
	free(d);
	free(text);
	return ok;
}

/* A suspended connection is not watched by libmicrohttpd: a reader that
 * hung up would only be noticed at the next write. Its socket says so at
 * once (the peer's FIN, or a reset). */
static bool peer_closed(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci =
	        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	if (!ci || ci->connect_fd < 0)
		return false;
	struct pollfd p = {.fd = ci->connect_fd, .events = POLLRDHUP};
	return poll(&p, 1, 0) == 1 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR));
}

bool http_stream_gone(struct http_stream *s)
{
	pthread_mutex_lock(&s->mu);
	if (!s->gone && s->conn && s->waiting && peer_closed(s->conn)) {
		s->gone = true;
		wake(s); /* the reader's END_WITH_ERROR closes the connection */
	}
	bool gone = s->gone;
	pthread_mutex_unlock(&s->mu);
	return gone;
}

void http_stream_close(struct http_stream *s)
{
	pthread_mutex_lock(&s->mu);
	s->closed = true;
	wake(s);
	pthread_mutex_unlock(&s->mu);
	http_stream_release(s);
}

void http_stream_end_all(int64_t wait_ms)
{
	pthread_mutex_lock(&all_mu);
	all_ending = true;
	for (struct http_stream *s = all_streams; s; s = s->next) {
		pthread_mutex_lock(&s->mu);
		s->closed = true; /* what is buffered goes, then the end */
		wake(s);
		pthread_mutex_unlock(&s->mu);
	}
	pthread_mutex_unlock(&all_mu);
	for (int64_t waited = 0; waited < wait_ms; waited += 10) {
		pthread_mutex_lock(&all_mu);
		bool left = all_streams != NULL;
		pthread_mutex_unlock(&all_mu);
		if (!left)
			return;
		usleep(10 * 1000);
	}
}
