/* http_conns: every open connection, for what libmicrohttpd does not do.
 * Its timeout is an idle one that each byte resets, so one byte every few
 * seconds held a connection for ever (slowloris). Here a connection that
 * has not shown a valid token must send its headers within header_ms of
 * being accepted (or of its last answer) and its body within body_ms of its
 * headers, whatever it trickles; at most per_ip such connections per
 * address and max_unproven in all, so agents and admins always find room. */
#ifndef HTTP_CONNS_H
#define HTTP_CONNS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

struct http_conns_opts {
	int64_t header_ms, body_ms;
	unsigned per_ip, max_unproven;
};

struct http_conns;
struct http_conn;

struct http_conns *http_conns_new(const struct http_conns_opts *o);
void http_conns_free(struct http_conns *cs);
/* Whether a new connection from sa may be accepted. */
bool http_conns_admit(struct http_conns *cs, const struct sockaddr *sa);
/* Tracks an accepted connection (NULL when out of memory: untracked). */
struct http_conn *http_conns_open(struct http_conns *cs, const struct sockaddr *sa, int fd);
void http_conns_close(struct http_conns *cs, struct http_conn *c);
/* A request's headers are in (its body may follow), its handler runs, or
 * its answer went out (the next request's headers are awaited). */
enum http_conn_phase { HTTP_CONN_HEADERS, HTTP_CONN_BODY, HTTP_CONN_HANDLER };
void http_conns_phase(struct http_conns *cs, struct http_conn *c, enum http_conn_phase p);
/* The connection carried a valid token: no deadlines, no per-address cap. */
void http_conns_prove(struct http_conns *cs, struct http_conn *c);
/* Shuts down the connections past their deadline; returns how many. */
unsigned http_conns_sweep(struct http_conns *cs, int64_t now_ms);

#endif
