/* http: the REST front door on libmicrohttpd. Components export route
 * tables; the server matches, authenticates, parses the JSON body and calls
 * one handler per request. A handler answers with http_reply* or suspends
 * the connection (long polls) and is called again after http_resume. */
#ifndef HTTP_H
#define HTTP_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/pg_call.h"
#include "common/pg_principal.h"
#include "common/pg_err.h"

struct MHD_Connection;
struct http_req;

typedef void (*http_handler)(struct http_req *req);

enum http_auth {
	HTTP_AUTH_NONE,  /* public */
	HTTP_AUTH_ADMIN, /* admin token holding .perm */
	HTTP_AUTH_AGENT, /* a node's agent token */
};

struct http_route {
	const char *method;
	const char *path; /* "/admin/nodes/:id/cordon" */
	enum http_auth auth;
	const char *perm; /* admin permission code; NULL when none is needed */
	http_handler fn;
	bool grouped;   /* runs on the writer thread, its writes grouped (http_writer.h) */
	bool no_fields; /* a POST that takes no fields: a body with any is refused */
	bool upload;    /* the body is streamed to a file (req->upload), never parsed */
	/* "config:id": a token scoped to config N (auth_principal.scope) may
	 * call this route for :id N. A scoped token may call nothing else. */
	const char *scope;
};

/* The body of an .upload route, spooled to a file in the server's
 * spool_dir while it arrives, hashed on the way. The handler takes the file
 * by renaming path and then clearing path[0]; otherwise it is removed. */
struct http_upload {
	char path[4096];
	int64_t size;
	char sha256[65]; /* set once the body is complete */
	/* internal */
	int fd;
	bool failed;
	struct pg_sha256 *md;
};

#define HTTP_MAX_PARAMS 4
#define HTTP_TRACE_MAX 64

struct http_req {
	void *app;
	const struct http_route *route;
	struct MHD_Connection *conn;
	char *method;
	char *path;
	int nparams;
	const char *param_names[HTTP_MAX_PARAMS];
	char params[HTTP_MAX_PARAMS][128];
	json_t *body;               /* parsed request body, an object; NULL for GET */
	struct http_upload *upload; /* .upload routes */
	struct auth_principal who;
	char trace_id[HTTP_TRACE_MAX + 1];
	char source_ip[64];
	int resumes;        /* how many times this request was resumed */
	void *suspend_data; /* owned by the handler across suspensions */
	void (*suspend_data_free)(void *);

	/* internal to the server */
	void *server;
	bool on_writer, no_writer;
	char *buf;
	size_t buf_len, buf_cap;
	size_t reserved;         /* bytes of the server's body budget held */
	struct http_conn *hconn; /* its connection's deadlines (http_conns.h) */
	bool too_large, over_budget, suspended, answered;
	int status;
	char *reply_text;
	const struct http_static *reply_static;
	int reply_fd; /* a file answered by http_reply_file, 0 when none */
	size_t reply_fd_len, reply_fd_off;
	struct http_stream *reply_stream; /* http_reply_stream */
	char headers[4][2][96];
	int nheaders;
	int64_t started_ms;
};

/* The caller of this request, for audit events and tasks. */
struct pg_call http_call(const struct http_req *req);

/* Answers with status and body (stolen; NULL for an empty body). */
void http_reply(struct http_req *req, int status, json_t *body);
/* Answers a text body (copied) with its content type. */
void http_reply_text(struct http_req *req, int status, const char *text, const char *content_type);
/* Bytes that outlive every request (assets compiled into the binary) and
 * the headers they are served with. */
struct http_static {
	const char *data;
	size_t len;
	const char *content_type;
	const char *etag;           /* quoted, or NULL */
	const char *const *headers; /* name, value, ...; NULL ends; may be NULL */
};
/* Answers s without copying it; a 304 carries its headers but no body. A
 * Cache-Control among s->headers replaces the default no-store. */
void http_reply_static(struct http_req *req, int status, const struct http_static *s);
/* Answers the open file fd (taken: closed once sent) of len bytes, streamed
 * from the file, never read into memory. */
void http_reply_file(struct http_req *req, int status, int fd, size_t len,
                     const char *content_type);
/* Like http_reply_file for a file of size bytes, honouring a single
 * "Range: bytes=..." of the request (206 with Content-Range, or 416), so an
 * interrupted download resumes. */
void http_reply_file_range(struct http_req *req, int fd, size_t size, const char *content_type);
/* Adds a response header (at most 4; name and value up to 95 bytes). */
void http_reply_header(struct http_req *req, const char *name, const char *value);

/* The usual ending of a handler: rc 0 answers out (stolen) with status,
 * anything else answers err (and frees out). */
void http_answer(struct http_req *req, int rc, int status, json_t *out, const struct pg_err *err);

/* Answers with the error shape of DESIGN.md and the status of err->code. */
void http_reply_err(struct http_req *req, const struct pg_err *err);
void http_reply_error(struct http_req *req, int code, const char *field, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));

/* Path parameter by name, or NULL. */
const char *http_param(const struct http_req *req, const char *name);
/* Path parameter as a positive id; on failure answers 400 and returns false. */
bool http_param_id(struct http_req *req, const char *name, int64_t *out);
/* Query string argument, or NULL. */
const char *http_query(const struct http_req *req, const char *key);
/* Query argument as an integer in [min,max] (def when absent); on failure
 * answers 400 and returns false. */
bool http_query_int(struct http_req *req, const char *key, int64_t min, int64_t max, int64_t def,
                    int64_t *out);
const char *http_header(const struct http_req *req, const char *name);

/* Long polls: suspend the connection after the handler returns; the handler
 * is called again (req->resumes incremented) once http_resume is called. */
void http_suspend(struct http_req *req);
void http_resume(struct http_req *req);
/* Moves the request to the writer thread (http_writer.h): the handler is
 * called again there, its writes grouped with other requests' into one
 * commit, and must answer (it cannot wait there). False when there is no
 * writer: carry on here. Routes marked .grouped start there. */
bool http_group(struct http_req *req);
/* For routes that authenticate by other means (a join token): whether the
 * source address is refused for too many failures (then answered 429), and
 * counting one more failure. */
bool http_auth_blocked(struct http_req *req);
void http_auth_failed(struct http_req *req);
/* Whether the handler runs on the writer thread. */
bool http_grouped(const struct http_req *req);

/* Route matching, exposed for tests. Fills req params; returns the route,
 * or NULL with *method_mismatch telling 405 from 404. */
const struct http_route *http_route_match(const struct http_route *const *tables,
                                          const char *method, const char *path,
                                          struct http_req *req, bool *method_mismatch);
/* The methods routes of path answer, as an Allow header value ("GET, HEAD, PUT"). */
void http_route_allowed(const struct http_route *const *tables, const char *path, char *out,
                        size_t len);

struct http_server;

/* What 0 means in the options below. */
#define HTTP_DEFAULT_MAX_BODIES (128u << 20)
#define HTTP_DEFAULT_HEADER_MS 10000
#define HTTP_DEFAULT_BODY_MS 60000
#define HTTP_DEFAULT_CONNS_PER_IP 256

struct http_server_opts {
	const char *listen; /* HOST:PORT */
	const char *tls_cert_file, *tls_key_file;
	unsigned threads;
	size_t max_body;
	size_t max_bodies; /* bytes of request bodies held at once; at least max_body + 1 */
	const struct http_route *const *tables; /* NULL-terminated list */
	struct store *store;                    /* for token checks */
	int auth_fail_limit; /* failed authentications per address and minute; 0: none */
	/* Connections without a valid token yet: headers within header_ms of
	 * accept or of the last answer, the body within body_ms; per_ip of them
	 * per address. */
	int64_t header_ms, body_ms;
	unsigned conns_per_ip;
	void *app;
	/* Bodies of .upload routes: spooled in spool_dir, at most max_upload
	 * bytes (413 past it). */
	const char *spool_dir;
	int64_t max_upload;
	/* Who a bearer token is (0, or PG_EUNAUTH for a bad token, another code
	 * for the server's own failure), and whether who holds perm: wired in
	 * main.c to auth/, which the HTTP layer does not know. */
	int (*authenticate)(void *arg, const char *token, struct auth_principal *who,
	                    struct pg_err *err);
	bool (*authorize)(const struct auth_principal *who, const char *perm);
	void *auth_arg;
};

int http_server_start(const struct http_server_opts *opts, struct http_server **out,
                      struct pg_err *err);
/* The port actually bound (useful with port 0). */
unsigned http_server_port(const struct http_server *srv);
void http_server_stop(struct http_server *srv);
/* Reads the TLS certificate and key files again (SIGHUP): new connections
 * get them, open ones go on; on failure the old ones stay served. */
int http_server_reload_tls(struct http_server *srv, struct pg_err *err);

#endif
