/* libmicrohttpd glue: request lifecycle, body limits, auth, access log. */
#include "http/http.h"
#include "common/pg_crypto.h"
#include "common/pg_file.h"
#include "common/pg_json.h"
#include "common/pg_log.h"
#include "common/pg_metrics.h"
#include "common/pg_time.h"
#include "http/http_authlimit.h"
#include "http/http_conns.h"
#include "http/http_stream.h"
#include "http/http_tls.h"
#include "http/http_upload.h"
#include "common/pg_ticker.h"
#include "http/http_writer.h"
#include "store/store.h"

#include <arpa/inet.h>
#include <stdatomic.h>
#include <microhttpd.h>
#include <errno.h>
#include <netdb.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct http_server {
	struct MHD_Daemon *daemon;
	struct http_server_opts opts;
	struct http_tls *tls;
	struct http_authlimit *authlimit;
	struct http_writer *writer;
	_Atomic size_t body_bytes; /* held by requests, against opts.max_bodies */
	struct http_conns *conns;
	struct pg_ticker *sweeper;
};

/* GnuTLS priorities: TLS 1.3, else 1.2, with forward-secret key exchange
 * and AEAD ciphers only (no CBC, no SHA-1 MACs), the server's order. */
#define HTTP_TLS_PRIORITIES                                                                        \
	"SECURE128:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:-CIPHER-ALL:+AES-256-GCM:+CHACHA20-"        \
	"POLY1305:"                                                                                \
	"+AES-128-GCM:-MAC-ALL:+AEAD:-KX-ALL:+ECDHE-ECDSA:+ECDHE-RSA:-SIGN-RSA-SHA1:-SIGN-ECDSA-"  \
	"SHA1:"                                                                                    \
	"-SIGN-DSA-SHA1:%SERVER_PRECEDENCE"

/* Bodies of routes anyone may call (join) are small: a flood of them
 * cannot hold the budget that authenticated callers need. */
#define HTTP_UNAUTH_MAX_BODY (64u * 1024)

struct pg_call http_call(const struct http_req *req)
{
	return (struct pg_call){req->who.actor, req->trace_id, req->source_ip};
}

void http_reply(struct http_req *req, int status, json_t *body)
{
	if (req->reply_stream) { /* an error after all */
		http_stream_abandon(req->reply_stream);
		req->reply_stream = NULL;
	}
	free(req->reply_text);
	req->reply_text = body ? json_dumps(body, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
	json_decref(body);
	req->status = status;
	req->answered = true;
}

void http_reply_err(struct http_req *req, const struct pg_err *err)
{
	/* messages may quote a script's output or a peer's bytes */
	char msg[sizeof(err->message)], field[sizeof(err->field)];
	snprintf(msg, sizeof(msg), "%s",
	         err->message[0] ? err->message : pg_err_code_name(err->code));
	snprintf(field, sizeof(field), "%s", err->field);
	pg_utf8_clean(msg);
	pg_utf8_clean(field);
	json_t *e = json_pack("{s:s, s:s}", "code", pg_err_code_name(err->code), "message", msg);
	if (field[0])
		json_object_set_new(e, "field", json_string(field));
	http_reply(req, pg_err_http_status(err->code), json_pack("{s:o}", "error", e));
}

void http_reply_text(struct http_req *req, int status, const char *text, const char *content_type)
{
	free(req->reply_text);
	req->reply_text = strdup(text);
	req->status = status;
	req->answered = true;
	http_reply_header(req, "Content-Type", content_type);
}

void http_reply_static(struct http_req *req, int status, const struct http_static *s)
{
	req->reply_static = s;
	req->status = status;
	req->answered = true;
}

void http_reply_file(struct http_req *req, int status, int fd, size_t len, const char *content_type)
{
	if (req->reply_fd > 0)
		close(req->reply_fd);
	req->reply_fd = fd;
	req->reply_fd_len = len;
	req->status = status;
	req->answered = true;
	http_reply_header(req, "Content-Type", content_type);
}

void http_reply_stream(struct http_req *req, int status, const char *content_type,
                       struct http_stream *s)
{
	if (req->reply_stream)
		http_stream_abandon(req->reply_stream);
	http_stream_hold(s);
	req->reply_stream = s;
	req->status = status;
	req->answered = true;
	http_reply_header(req, "Content-Type", content_type);
}

void http_reply_header(struct http_req *req, const char *name, const char *value)
{
	if (req->nheaders == 4)
		return;
	snprintf(req->headers[req->nheaders][0], 96, "%s", name);
	snprintf(req->headers[req->nheaders][1], 96, "%s", value);
	req->nheaders++;
}

void http_answer(struct http_req *req, int rc, int status, json_t *out, const struct pg_err *err)
{
	if (rc != 0) {
		json_decref(out);
		http_reply_err(req, err);
	} else {
		http_reply(req, status, out);
	}
}

void http_reply_error(struct http_req *req, int code, const char *field, const char *fmt, ...)
{
	struct pg_err err = {.code = code};
	snprintf(err.field, sizeof(err.field), "%s", field ? field : "");
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err.message, sizeof(err.message), fmt, ap);
	va_end(ap);
	http_reply_err(req, &err);
}

bool http_param_id(struct http_req *req, const char *name, int64_t *out)
{
	const char *v = http_param(req, name);
	int64_t n = 0;
	if (!v || !pg_parse_i64(v, &n) || n <= 0) {
		http_reply_error(req, PG_EINVAL, name, "%s must be a positive integer id", name);
		return false;
	}
	*out = n;
	return true;
}

const char *http_query(const struct http_req *req, const char *key)
{
	return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, key);
}

bool http_query_int(struct http_req *req, const char *key, int64_t min, int64_t max, int64_t def,
                    int64_t *out)
{
	const char *v = http_query(req, key);
	if (!v || !*v) {
		*out = def;
		return true;
	}
	int64_t n = 0;
	if (!pg_parse_i64(v, &n) || n < min || n > max) {
		http_reply_error(req, PG_EINVAL, key, "%s must be an integer between %lld and %lld",
		                 key, (long long)min, (long long)max);
		return false;
	}
	*out = n;
	return true;
}

const char *http_header(const struct http_req *req, const char *name)
{
	return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

void http_suspend(struct http_req *req)
{
	req->suspended = true;
	MHD_suspend_connection(req->conn);
}

void http_resume(struct http_req *req)
{
	MHD_resume_connection(req->conn);
}

bool http_group(struct http_req *req)
{
	struct http_server *srv = req->server;
	if (!srv->writer || req->on_writer || req->no_writer)
		return false;
	http_suspend(req);
	if (!http_writer_push(srv->writer, req)) {
		/* stopping: resumed at once, and the handler runs here */
		req->no_writer = true;
		http_resume(req);
	}
	return true;
}

bool http_grouped(const struct http_req *req)
{
	return req->on_writer;
}

static bool trace_id_ok(const char *t)
{
	size_t n = strlen(t);
	if (n == 0 || n > HTTP_TRACE_MAX)
		return false;
	for (; *t; t++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.:",
		            *t))
			return false;
	return true;
}

static struct http_req *req_new(struct http_server *srv, struct MHD_Connection *conn,
                                const char *url, const char *method)
{
	struct http_req *req = calloc(1, sizeof(*req));
	if (!req)
		return NULL;
	req->app = srv->opts.app;
	req->server = srv;
	req->conn = conn;
	req->method = strdup(method);
	req->path = strdup(url);
	req->started_ms = pg_time_mono_ms();
	const char *t = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Trace-Id");
	if (t && trace_id_ok(t)) {
		snprintf(req->trace_id, sizeof(req->trace_id), "%s", t);
	} else {
		unsigned char rnd[16];
		pg_random_bytes(rnd, sizeof(rnd));
		pg_hex_encode(rnd, sizeof(rnd), req->trace_id);
	}
	const union MHD_ConnectionInfo *ci =
	        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (ci && ci->client_addr) {
		const struct sockaddr *sa = ci->client_addr;
		if (sa->sa_family == AF_INET)
			inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr,
			          req->source_ip, sizeof(req->source_ip));
		else if (sa->sa_family == AF_INET6)
			inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr,
			          req->source_ip, sizeof(req->source_ip));
	}
	if (!req->method || !req->path) {
		free(req->method);
		free(req->path);
		free(req);
		return NULL;
	}
	return req;
}

static void req_free(struct http_req *req)
{
	if (!req)
		return;
	if (req->suspend_data_free)
		req->suspend_data_free(req->suspend_data);
	json_decref(req->body);
	http_upload_free(req->upload);
	free(req->buf);
	if (req->reserved)
		atomic_fetch_sub(&((struct http_server *)req->server)->body_bytes, req->reserved);
	free(req->reply_text);
	if (req->reply_fd > 0)
		close(req->reply_fd);
	if (req->reply_stream)
		http_stream_abandon(req->reply_stream);
	free(req->method);
	free(req->path);
	free(req);
}

static const struct pg_metric_family m_requests = {
        "pagoda_http_requests_total",
        "HTTP requests answered, by route pattern, method and status",
        PG_METRIC_COUNTER,
        {"route", "method", "status"},
        NULL};
static const struct pg_metric_family m_latency = {
        "pagoda_http_request_duration_seconds",
        "Time from request to answer (long polls included)",
        PG_METRIC_HISTOGRAM,
        {"route", "method"},
        pg_metrics_latency_buckets};

static void observe(struct http_req *req)
{
	char status[8];
	const char *route = req->route ? req->route->path : "unmatched";
	const char *method = req->route ? req->route->method : "other";
	snprintf(status, sizeof(status), "%d", req->status);
	pg_metrics_add(&m_requests, 1, route, method, status);
	pg_metrics_observe(&m_latency, (double)(pg_time_mono_ms() - req->started_ms) / 1000.0,
	                   route, method, NULL);
}

static void add_static_headers(struct MHD_Response *resp, const struct http_static *s,
                               bool *cache_set)
{
	MHD_add_response_header(resp, "Content-Type", s->content_type);
	if (s->etag)
		MHD_add_response_header(resp, "ETag", s->etag);
	for (const char *const *h = s->headers; h && h[0]; h += 2) {
		MHD_add_response_header(resp, h[0], h[1]);
		*cache_set = *cache_set || strcmp(h[0], "Cache-Control") == 0;
	}
}

static enum MHD_Result send_reply(struct http_req *req)
{
	const struct http_static *st = req->reply_static;
	const char *text = req->reply_text ? req->reply_text : "";
	size_t len = st                  ? (req->status == 304 ? 0 : st->len)
	             : req->reply_fd > 0 ? req->reply_fd_len
	                                 : strlen(text);
	struct MHD_Response *resp =
	        req->reply_stream ? http_stream_response(req->reply_stream, req->conn)
	        : st              ? MHD_create_response_from_buffer(len, (void *)st->data,
	                                                            MHD_RESPMEM_PERSISTENT)
	        : req->reply_fd > 0
	                ? MHD_create_response_from_fd_at_offset64(len, req->reply_fd,
	                                                          req->reply_fd_off)
	                : MHD_create_response_from_buffer(len, (void *)text, MHD_RESPMEM_MUST_COPY);
	if (!resp)
		return MHD_NO;
	if (req->reply_fd > 0)
		req->reply_fd = 0; /* the response closes it */
	req->reply_stream = NULL;  /* the response holds it now */
	bool typed = st != NULL, cache_set = false;
	if (st)
		add_static_headers(resp, st, &cache_set);
	for (int i = 0; i < req->nheaders; i++)
		typed = typed || strcmp(req->headers[i][0], "Content-Type") == 0;
	if (len && !typed)
		MHD_add_response_header(resp, "Content-Type", "application/json");
	MHD_add_response_header(resp, "X-Trace-Id", req->trace_id);
	if (!cache_set)
		MHD_add_response_header(resp, "Cache-Control", "no-store");
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	for (int i = 0; i < req->nheaders; i++)
		MHD_add_response_header(resp, req->headers[i][0], req->headers[i][1]);
	enum MHD_Result r = MHD_queue_response(req->conn, (unsigned)req->status, resp);
	MHD_destroy_response(resp);
	observe(req);
	pg_log_set_trace(req->trace_id);
	/* a fleet's heartbeats and polls are thousands a second: logged only
	 * at debug level unless they fail */
	bool routine = req->status < 400 && strncmp(req->path, "/agent/", 7) == 0;
	pg_log(routine ? PG_LOG_DEBUG : PG_LOG_INFO, "http", "%s %s %d %zuB %lldms ip=%s actor=%s",
	       req->method, req->path, req->status, len,
	       (long long)(pg_time_mono_ms() - req->started_ms), req->source_ip,
	       req->who.actor[0] ? req->who.actor : "-");
	return r;
}

static bool body_method(const char *m)
{
	return strcmp(m, "POST") == 0 || strcmp(m, "PUT") == 0 || strcmp(m, "PATCH") == 0;
}

bool http_auth_blocked(struct http_req *req)
{
	struct http_server *srv = req->server;
	int64_t wait = http_authlimit_blocked(srv->authlimit, req->source_ip, pg_time_now_ms());
	if (wait <= 0)
		return false;
	char after[24];
	snprintf(after, sizeof(after), "%lld", (long long)wait);
	http_reply_header(req, "Retry-After", after);
	http_reply_error(req, PG_ERATELIMIT, "Authorization",
	                 "too many failed authentications from %s; retry in %lld s", req->source_ip,
	                 (long long)wait);
	return true;
}

void http_auth_failed(struct http_req *req)
{
	struct http_server *srv = req->server;
	if (http_authlimit_fail(srv->authlimit, req->source_ip, pg_time_now_ms()))
		pg_warn("http", "%s: %d failed authentications within a minute; refused for 60 s",
		        req->source_ip, srv->opts.auth_fail_limit);
}

/* Whether route r's scope ("config:id") names the object the scoped token
 * belongs to ("config:5" with :id 5). */
static bool scope_allows(struct http_req *req, const struct http_route *r)
{
	const char *colon = r->scope ? strchr(r->scope, ':') : NULL;
	const char *id = colon ? http_param(req, colon + 1) : NULL;
	if (!id)
		return false;
	char want[sizeof(req->who.scope)];
	int n = snprintf(want, sizeof(want), "%.*s:%s", (int)(colon - r->scope), r->scope, id);
	return n > 0 && (size_t)n < sizeof(want) && strcmp(want, req->who.scope) == 0;
}

/* Authenticates and authorizes; answers and returns false when refused. */
static bool check_auth(struct http_server *srv, struct http_req *req)
{
	const struct http_route *r = req->route;
	if (r->auth == HTTP_AUTH_NONE)
		return true;
	if (http_auth_blocked(req))
		return false;
	const char *h = http_header(req, "Authorization");
	struct pg_err err = {0};
	bool guessed = false;
	if (!h || strncmp(h, "Bearer ", 7) != 0)
		pg_err_set(&err, PG_EUNAUTH, "Authorization",
		           "missing bearer token: send Authorization: Bearer <token>");
	else if (!srv->opts.authenticate)
		pg_err_set(&err, PG_EINTERNAL, "", "no authenticator");
	else
		guessed = srv->opts.authenticate(srv->opts.auth_arg, h + 7, &req->who, &err) ==
		          PG_EUNAUTH;
	if (err.code) {
		/* a store failure is ours, not the caller's; no token guesses nothing */
		if (guessed)
			http_auth_failed(req);
		http_reply_err(req, &err);
		return false;
	}
	http_conns_prove(srv->conns, req->hconn);
	if (r->auth == HTTP_AUTH_AGENT && req->who.kind != AUTH_AGENT) {
		http_reply_error(req, PG_EFORBIDDEN, "", "this endpoint is for node agents only");
		return false;
	}
	if (r->auth == HTTP_AUTH_ADMIN) {
		if (req->who.kind != AUTH_ADMIN) {
			http_reply_error(req, PG_EFORBIDDEN, "",
			                 "agent tokens cannot call admin endpoints");
			return false;
		}
		if (r->perm && !(srv->opts.authorize && srv->opts.authorize(&req->who, r->perm))) {
			http_reply_error(req, PG_EFORBIDDEN, "", "token lacks permission %s",
			                 r->perm);
			return false;
		}
		if (req->who.scope[0] && !scope_allows(req, r)) {
			http_reply_error(req, PG_EFORBIDDEN, "",
			                 "this token is scoped to %s and may read only that",
			                 req->who.scope);
			return false;
		}
	}
	return true;
}

static bool parse_body(struct http_req *req)
{
	if (!body_method(req->method))
		return true;
	if (req->buf_len == 0) {
		req->body = json_object();
		return true;
	}
	json_error_t jerr;
	req->body = json_loadb(req->buf, req->buf_len, JSON_REJECT_DUPLICATES, &jerr);
	if (!req->body) {
		http_reply_error(req, PG_EINVAL, "", "invalid JSON at line %d column %d: %s",
		                 jerr.line, jerr.column, jerr.text);
		return false;
	}
	if (!json_is_object(req->body)) {
		http_reply_error(req, PG_EINVAL, "", "the request body must be a JSON object");
		return false;
	}
	return true;
}

/* On the headers alone, before a byte of the body is read: the route and
 * the caller. False when answered (404, 405, 401, 403, 429). */
static bool admit(struct http_server *srv, struct http_req *req)
{
	bool mismatch;
	req->route = http_route_match(srv->opts.tables, req->method, req->path, req, &mismatch);
	if (!req->route) {
		if (mismatch) {
			char allow[96];
			http_route_allowed(srv->opts.tables, req->path, allow, sizeof(allow));
			http_reply_header(req, "Allow", allow);
			http_reply(req, 405,
			           json_pack("{s:{s:s,s:s}}", "error", "code", "method_not_allowed",
			                     "message", "method not allowed on this path"));
		} else
			http_reply_error(req, PG_ENOTFOUND, "", "no such endpoint: %s", req->path);
		return false;
	}
	return check_auth(srv, req);
}

static size_t body_limit(const struct http_server *srv, const struct http_req *req)
{
	if (req->route && req->route->upload)
		return srv->opts.max_upload > 0 ? (size_t)srv->opts.max_upload : 0;
	return req->route && req->route->auth == HTTP_AUTH_NONE &&
	                       srv->opts.max_body > HTTP_UNAUTH_MAX_BODY
	               ? HTTP_UNAUTH_MAX_BODY
	               : srv->opts.max_body;
}

/* Grows the body buffer to hold cap bytes, within the server's budget. */
static bool body_grow(struct http_server *srv, struct http_req *req, size_t cap)
{
	if (cap <= req->buf_cap)
		return true;
	size_t more = cap - req->buf_cap;
	if (atomic_fetch_add(&srv->body_bytes, more) + more > srv->opts.max_bodies) {
		atomic_fetch_sub(&srv->body_bytes, more);
		return false;
	}
	char *nb = realloc(req->buf, cap);
	if (!nb) {
		atomic_fetch_sub(&srv->body_bytes, more);
		return false;
	}
	req->reserved += more;
	req->buf = nb;
	req->buf_cap = cap;
	return true;
}

static void body_drop(struct http_server *srv, struct http_req *req)
{
	atomic_fetch_sub(&srv->body_bytes, req->reserved);
	req->reserved = 0;
	free(req->buf);
	req->buf = NULL;
	req->buf_len = req->buf_cap = 0;
}

static void dispatch(struct http_server *srv, struct http_req *req)
{
	if (req->too_large) {
		http_reply_error(req, PG_ETOOLARGE, "", "request body exceeds %zu bytes",
		                 body_limit(srv, req));
		return;
	}
	if (req->over_budget) {
		http_reply_header(req, "Retry-After", "1");
		http_reply_error(req, PG_EUNAVAIL, "",
		                 "too many request bodies in flight; retry shortly");
		return;
	}
	if (req->upload) {
		struct pg_err err = {0};
		if (http_upload_finish(req->upload, &err) != 0) {
			http_reply_err(req, &err);
			return;
		}
	} else if (!parse_body(req)) {
		return;
	} else {
		/* parsed: the raw bytes and their share of the budget are not
		 * held while a long poll waits */
		body_drop(srv, req);
	}
	if (req->route->no_fields && req->body && json_object_size(req->body) > 0) {
		const char *k = json_object_iter_key(json_object_iter(req->body));
		http_reply_error(req, PG_EINVAL, k,
		                 "unknown field %s: this endpoint takes no fields", k);
		return;
	}
	http_conns_phase(srv->conns, req->hconn, HTTP_CONN_HANDLER);
	if (req->route->grouped && http_group(req))
		return;
	pg_log_set_trace(req->trace_id);
	req->route->fn(req);
	pg_log_set_trace(NULL);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
	struct http_server *srv = cls;
	struct http_req *req = *con_cls;
	if (!req) {
		req = req_new(srv, conn, url, method);
		if (!req)
			return MHD_NO;
		*con_cls = req;
		const union MHD_ConnectionInfo *ci =
		        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
		req->hconn = ci ? ci->socket_context : NULL;
		http_conns_phase(srv->conns, req->hconn, HTTP_CONN_BODY);
		if (!admit(srv, req))
			return send_reply(req); /* the body, if any, is never read */
		const char *cl =
		        MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
		unsigned long long announced = cl ? strtoull(cl, NULL, 10) : 0;
		struct pg_err uerr = {0};
		if (announced > body_limit(srv, req))
			req->too_large = true; /* answered before a byte of it is read */
		else if (req->route->upload) {
			if (http_upload_open(req, srv->opts.spool_dir, &uerr) != 0) {
				http_reply_err(req, &uerr);
				return send_reply(req);
			}
		} else if (announced && !body_grow(srv, req, (size_t)announced + 1))
			req->over_budget = true;
		if (req->too_large || req->over_budget) {
			dispatch(srv, req);
			return send_reply(req);
		}
		return MHD_YES;
	}
	if (*upload_data_size) {
		size_t n = *upload_data_size;
		*upload_data_size = 0;
		if (req->too_large || req->over_budget || req->answered)
			return MHD_YES;
		if (req->upload) {
			if (req->upload->size + (int64_t)n > srv->opts.max_upload) {
				req->too_large = true;
				http_upload_free(req->upload);
				req->upload = NULL;
			} else
				http_upload_write(req->upload, upload_data, n);
			return MHD_YES;
		}
		size_t limit = body_limit(srv, req), need = req->buf_len + n + 1;
		if (need - 1 > limit) {
			req->too_large = true;
			body_drop(srv, req);
			return MHD_YES;
		}
		/* doubling, but never past the largest body allowed */
		if (need > req->buf_cap &&
		    !body_grow(srv, req, need > limit / 2 ? limit + 1 : need * 2)) {
			req->over_budget = true;
			body_drop(srv, req);
			return MHD_YES;
		}
		memcpy(req->buf + req->buf_len, upload_data, n);
		req->buf_len += n;
		return MHD_YES;
	}
	if (req->suspended) {
		req->suspended = false;
		if (req->answered)
			return send_reply(req); /* answered on the writer thread */
		req->resumes++;
		pg_log_set_trace(req->trace_id);
		req->route->fn(req);
		pg_log_set_trace(NULL);
	} else if (req->answered) {
		return MHD_YES; /* the early answer went out already */
	} else {
		dispatch(srv, req);
	}
	if (req->suspended)
		return MHD_YES;
	if (!req->answered)
		http_reply_error(req, PG_EINTERNAL, "", "handler gave no answer");
	return send_reply(req);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
	struct http_server *srv = cls;
	struct http_req *req = *con_cls;
	if (req)
		http_conns_phase(srv->conns, req->hconn, HTTP_CONN_HEADERS);
	req_free(*con_cls);
	*con_cls = NULL;
}

/* libmicrohttpd's own messages (bad requests, TLS failures: anyone can
 * cause them) go through our log, escaped, at most 10 a second. */
static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	static _Atomic int64_t window;
	static _Atomic int count;
	int64_t now = pg_time_mono_ms() / 1000;
	if (atomic_exchange(&window, now) != now)
		atomic_store(&count, 0);
	if (atomic_fetch_add(&count, 1) >= 10)
		return;
	char msg[512];
	vsnprintf(msg, sizeof(msg), fmt, ap);
	msg[strcspn(msg, "\n")] = '\0';
	pg_warn("http", "libmicrohttpd: %s", msg);
}

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode toe)
{
	struct http_server *srv = cls;
	if (toe == MHD_CONNECTION_NOTIFY_CLOSED) {
		http_conns_close(srv->conns, *socket_context);
		*socket_context = NULL;
		return;
	}
	const union MHD_ConnectionInfo *fd =
	        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	const union MHD_ConnectionInfo *ad =
	        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	*socket_context =
	        http_conns_open(srv->conns, ad ? ad->client_addr : NULL, fd ? fd->connect_fd : -1);
}

static enum MHD_Result on_accept(void *cls, const struct sockaddr *addr, socklen_t addrlen)
{
	struct http_server *srv = cls;
	return http_conns_admit(srv->conns, addr) ? MHD_YES : MHD_NO;
}

static void sweep(void *arg)
{
	struct http_server *srv = arg;
	unsigned n = http_conns_sweep(srv->conns, pg_time_mono_ms());
	if (n)
		pg_info("http", "closed %u connections that sent no complete request in time", n);
}

/* Connections the process can hold, keeping descriptors for the store,
 * files and outgoing calls. */
static unsigned conn_limit(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY)
		return 60000;
	rlim_t n = rl.rlim_cur > 256 ? rl.rlim_cur - 128 : rl.rlim_cur / 2;
	return n > 60000 ? 60000 : (unsigned)n;
}

static int parse_listen(const char *listen, struct sockaddr_storage *ss, struct pg_err *err)
{
	char host[256];
	const char *colon = strrchr(listen, ':');
	if (!colon || colon == listen || (size_t)(colon - listen) >= sizeof(host))
		return pg_err_set(err, PG_EINVAL, "listen", "--listen wants HOST:PORT, got '%s'",
		                  listen);
	memcpy(host, listen, (size_t)(colon - listen));
	host[colon - listen] = '\0';
	char *h = host;
	if (h[0] == '[' && h[strlen(h) - 1] == ']') {
		h[strlen(h) - 1] = '\0';
		h++;
	}
	struct addrinfo hints = {.ai_flags = AI_NUMERICSERV, .ai_socktype = SOCK_STREAM}, *res;
	if (getaddrinfo(h, colon + 1, &hints, &res) != 0)
		return pg_err_set(err, PG_EINVAL, "listen", "cannot resolve listen address '%s'",
		                  listen);
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	freeaddrinfo(res);
	return 0;
}

int http_server_reload_tls(struct http_server *srv, struct pg_err *err)
{
	return srv->tls ? http_tls_reload(srv->tls, err) : 0;
}

int http_server_start(const struct http_server_opts *opts, struct http_server **out,
                      struct pg_err *err)
{
	struct http_server *srv = calloc(1, sizeof(*srv));
	if (!srv)
		return pg_err_set(err, PG_EINTERNAL, "", "out of memory");
	srv->opts = *opts;
	/* at least one largest body fits */
	if (!srv->opts.max_bodies)
		srv->opts.max_bodies = HTTP_DEFAULT_MAX_BODIES;
	if (srv->opts.max_bodies <= srv->opts.max_body)
		srv->opts.max_bodies = srv->opts.max_body + 1;
	srv->authlimit = http_authlimit_new(opts->auth_fail_limit);
	unsigned limit = conn_limit();
	srv->conns = http_conns_new(&(struct http_conns_opts){
	        .header_ms = opts->header_ms ? opts->header_ms : HTTP_DEFAULT_HEADER_MS,
	        .body_ms = opts->body_ms ? opts->body_ms : HTTP_DEFAULT_BODY_MS,
	        .per_ip = opts->conns_per_ip ? opts->conns_per_ip : HTTP_DEFAULT_CONNS_PER_IP,
	        .max_unproven = limit / 2, /* the other half is kept for agents and admins */
	});
	struct sockaddr_storage ss;
	int rc = srv->conns ? parse_listen(opts->listen, &ss, err)
	                    : pg_err_set(err, PG_EINTERNAL, "", "out of memory");
	if (rc != 0)
		goto fail;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
	                 MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	if (opts->tls_cert_file) {
		if ((rc = http_tls_new(opts->tls_cert_file, opts->tls_key_file, &srv->tls, err)) !=
		    0)
			goto fail;
		flags |= MHD_USE_TLS;
	}
	/* the writer before the daemon: the first request may be grouped */
	srv->writer = opts->store ? http_writer_new(opts->store) : NULL;
	if (opts->store && !srv->writer) {
		rc = pg_err_set(err, PG_EINTERNAL, "", "cannot start the writer thread");
		goto fail;
	}
	/* Our own socket: SO_REUSEADDR so a restart binds through TIME_WAIT,
	 * and no SO_REUSEPORT, so a second daemon on the port fails loudly. */
	int one = 1, fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    bind(fd, (struct sockaddr *)&ss,
	         ss.ss_family == AF_INET6 ? sizeof(struct sockaddr_in6)
	                                  : sizeof(struct sockaddr_in)) != 0 ||
	    listen(fd, 4096) != 0) {
		rc = pg_err_set(err, PG_EUNAVAIL, "listen", "cannot listen on %s: %s", opts->listen,
		                strerror(errno));
		if (fd >= 0)
			close(fd);
		goto fail;
	}
	struct MHD_OptionItem tls_opts[] = {
	        /* each handshake asks for the credentials: a reload takes effect for new
	           connections */
	        {srv->tls ? MHD_OPTION_HTTPS_CERT_CALLBACK : MHD_OPTION_END, 0,
	         srv->tls ? http_tls_callback() : NULL},
	        {MHD_OPTION_HTTPS_PRIORITIES, 0, (void *)HTTP_TLS_PRIORITIES},
	        {MHD_OPTION_END, 0, NULL},
	};
	srv->daemon = MHD_start_daemon(
	        /* the logger first, or libmicrohttpd logs the options before it itself */
	        flags, 0, on_accept, srv, on_request, srv, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, srv,
	        MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_NOTIFY_CONNECTION, on_connection, srv,
	        MHD_OPTION_THREAD_POOL_SIZE, opts->threads, MHD_OPTION_NOTIFY_COMPLETED,
	        on_completed, srv, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)120,
	        /* 8 KiB per connection, not the default 32: ten thousand agents hold
	         * a long poll each; bodies go to our own buffer, not this pool */
	        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)8192, MHD_OPTION_CONNECTION_LIMIT,
	        limit, MHD_OPTION_ARRAY, tls_opts, MHD_OPTION_END);
	if (!srv->daemon) {
		close(fd);
		rc = pg_err_set(err, PG_EUNAVAIL, "listen", "cannot serve on %s (bad TLS files?)",
		                opts->listen);
		goto fail;
	}
	if (pg_ticker_start(1000, false, sweep, srv, &srv->sweeper, err) != 0) {
		MHD_stop_daemon(srv->daemon);
		rc = err->code;
		goto fail;
	}
	*out = srv;
	return 0;
fail:
	if (srv->writer) {
		http_writer_stop(srv->writer);
		http_writer_free(srv->writer);
	}
	http_conns_free(srv->conns);
	http_authlimit_free(srv->authlimit);
	http_tls_free(srv->tls);
	free(srv);
	return rc;
}

unsigned http_server_port(const struct http_server *srv)
{
	const union MHD_DaemonInfo *di =
	        MHD_get_daemon_info(srv->daemon, MHD_DAEMON_INFO_BIND_PORT);
	return di ? di->port : 0;
}

void http_server_stop(struct http_server *srv)
{
	if (!srv)
		return;
	http_writer_stop(srv->writer); /* answers what it holds first */
	pg_ticker_stop(srv->sweeper);
	http_stream_end_all(2000);
	MHD_stop_daemon(srv->daemon);
	http_writer_free(srv->writer);
	http_conns_free(srv->conns);
	http_authlimit_free(srv->authlimit);
	http_tls_free(srv->tls);
	free(srv);
}
