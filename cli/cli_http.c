/* The CLI's HTTP: libcurl, bearer token, JSON both ways, errors printed as
 * the API gave them (status, code, field, message). */
#include "cli.h"
#include "common/pg_buf.h"
#include "common/pg_json.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void print_error(long status, json_t *out, const char *raw)
{
	if (status == 401)
		fprintf(stderr,
		        "pagoda: the token was refused (unknown, revoked or expired): "
		        "check --token-file, PAGODA_TOKEN_FILE or PAGODA_TOKEN (the "
		        "first admin token is DATA-DIR/admin.token on the control plane)\n");
	json_t *e = json_object_get(out, "error");
	const char *code = json_string_value(json_object_get(e, "code"));
	const char *field = json_string_value(json_object_get(e, "field"));
	const char *msg = json_string_value(json_object_get(e, "message"));
	if (msg)
		fprintf(stderr, "pagoda: %ld %s%s%s: %s\n", status, code ? code : "error",
		        field && *field ? " " : "", field && *field ? field : "", msg);
	else
		fprintf(stderr, "pagoda: %ld: %.300s\n", status, raw ? raw : "");
}

/* A transfer that failed, said with what to do about it: libcurl's own
 * words name the symptom, not the fix. */
static void print_transport_error(struct cli *c, const char *url, CURLcode cc)
{
	bool https = strncmp(c->addr, "https://", 8) == 0;
	const char *hint = NULL;
	switch (cc) {
	case CURLE_COULDNT_CONNECT:
		hint = "nothing answers there: is pagodad running, and are the host and port "
		       "right? (--addr, PAGODA_ADDR)";
		break;
	case CURLE_COULDNT_RESOLVE_HOST:
		hint = "the host name does not resolve (--addr, PAGODA_ADDR)";
		break;
	case CURLE_PEER_FAILED_VERIFICATION:
#if CURLE_SSL_CACERT != CURLE_PEER_FAILED_VERIFICATION
	case CURLE_SSL_CACERT:
#endif
	case CURLE_SSL_CACERT_BADFILE:
		hint = c->ca_file ? "pagodad's certificate is not signed by --ca-file's CA (or "
		                    "not for this host name): is it the control plane's "
		                    "DATA-DIR/tls/ca.crt?"
		                  : "pagodad's certificate is not trusted: give --ca-file "
		                    "DATA-DIR/tls/ca.crt (the control plane's private CA; or "
		                    "PAGODA_CA_FILE)";
		break;
	case CURLE_SSL_CONNECT_ERROR:
		hint = "the TLS handshake failed: does pagodad speak plain HTTP there? (then "
		       "--addr http://...)";
		break;
	case CURLE_GOT_NOTHING:
	case CURLE_RECV_ERROR:
		hint = https ? NULL
		             : "the server closed the connection: does it speak HTTPS? (then "
		               "--addr https://... --ca-file DATA-DIR/tls/ca.crt)";
		break;
	case CURLE_OPERATION_TIMEDOUT:
		hint = "no answer in time: is the address right, and is pagodad overloaded?";
		break;
	default: break;
	}
	fprintf(stderr, "pagoda: %s: %s\n", url, curl_easy_strerror(cc));
	if (hint)
		fprintf(stderr, "pagoda: %s\n", hint);
}

/* The handle set up for method on path with the token: *hdrs to free
 * after the transfer. NULL when out of memory. */
static CURL *prepare(struct cli *c, const char *method, const char *path, char *url, size_t url_len,
                     struct curl_slist **hdrs)
{
	CURL *h = c->curl;
	if (!h && !(h = c->curl = curl_easy_init())) {
		fprintf(stderr, "pagoda: out of memory\n");
		return NULL;
	}
	char auth[320];
	snprintf(url, url_len, "%s%s", c->addr, path);
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", c->token);
	*hdrs = curl_slist_append(NULL, auth);
	explicit_bzero(auth, sizeof(auth));
	*hdrs = curl_slist_append(*hdrs, "Content-Type: application/json");
	curl_easy_reset(h);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, *hdrs);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 60000L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	if (c->ca_file)
		curl_easy_setopt(h, CURLOPT_CAINFO, c->ca_file);
	return h;
}

int cli_download(struct cli *c, const char *path, const char *file)
{
	char url[4096], tmp[4200];
	struct curl_slist *hdrs = NULL;
	CURL *h = prepare(c, "GET", path, url, sizeof(url), &hdrs);
	snprintf(tmp, sizeof(tmp), "%s.part", file);
	int fd = h ? open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600) : -1;
	FILE *f = fd >= 0 ? fdopen(fd, "wb") : NULL;
	if (!f) {
		if (h)
			fprintf(stderr, "pagoda: cannot write %s: %s\n", tmp, strerror(errno));
		curl_slist_free_all(hdrs);
		return CLI_USAGE;
	}
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 0L);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, f);
	CURLcode cc = curl_easy_perform(h);
	curl_slist_free_all(hdrs);
	long status = 0;
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	bool ok = fflush(f) == 0 && fsync(fileno(f)) == 0;
	ok = fclose(f) == 0 && ok;
	if (cc != CURLE_OK || status != 200 || !ok || rename(tmp, file) != 0) {
		if (cc != CURLE_OK)
			print_transport_error(c, url, cc);
		else
			fprintf(stderr, "pagoda: %s: %ld%s\n", url, status,
			        ok ? "" : " (cannot write the file)");
		unlink(tmp);
		return cc != CURLE_OK || status >= 500 ? CLI_UNAVAIL : CLI_REFUSED;
	}
	return CLI_OK;
}

int cli_call(struct cli *c, const char *method, const char *path, json_t *body, json_t **out)
{
	*out = NULL;
	char url[4096];
	struct curl_slist *hdrs = NULL;
	CURL *h = prepare(c, method, path, url, sizeof(url), &hdrs);
	if (!h)
		return CLI_UNAVAIL;
	char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
	struct pg_buf b = {.max = 64u << 20};
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, pg_buf_curl_write);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
	if (text)
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, text);
	else if (strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0)
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, "{}");
	CURLcode cc = curl_easy_perform(h);
	curl_slist_free_all(hdrs);
	free(text);
	if (cc != CURLE_OK) {
		print_transport_error(c, url, cc);
		free(b.data);
		return CLI_UNAVAIL;
	}
	long status = 0;
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	json_t *j = b.len ? json_loadb(b.data, b.len, 0, NULL) : json_object();
	int rc = CLI_OK;
	if (status >= 400) {
		print_error(status, j, b.data);
		rc = status >= 500 ? CLI_UNAVAIL : CLI_REFUSED;
		json_decref(j);
	} else if (!j) {
		/* text answers (a chain PEM, /metrics) pass through as a string */
		j = json_string(b.data ? b.data : "");
		*out = j;
	} else {
		*out = j;
	}
	free(b.data);
	return rc;
}

/* Server-sent events: lines gathered until a blank one ends an event;
 * an error answer (status >= 400) is kept whole for print_error. */
struct sse {
	CURL *h;
	cli_event_fn fn;
	void *arg;
	char line[70000];
	size_t len;
	char event[64];
	json_t *data;
	struct pg_buf error;
	bool stop;
};

static void sse_line(struct sse *s)
{
	s->line[s->len] = '\0';
	s->len = 0;
	if (!s->line[0]) {
		if (s->data && !s->stop)
			s->stop = !s->fn(s->arg, s->event[0] ? s->event : "message", s->data);
		json_decref(s->data);
		s->data = NULL;
		s->event[0] = '\0';
	} else if (strncmp(s->line, "event: ", 7) == 0) {
		snprintf(s->event, sizeof(s->event), "%s", s->line + 7);
	} else if (strncmp(s->line, "data: ", 6) == 0) {
		json_decref(s->data);
		s->data = json_loads(s->line + 6, 0, NULL);
	} /* ":" comments (keepalives) and other fields are skipped */
}

static size_t sse_write(char *p, size_t size, size_t n, void *arg)
{
	struct sse *s = arg;
	long status = 0;
	curl_easy_getinfo(s->h, CURLINFO_RESPONSE_CODE, &status);
	if (status >= 400)
		return pg_buf_curl_write(p, size, n, &s->error);
	for (size_t i = 0; i < size * n; i++) {
		if (p[i] == '\n')
			sse_line(s);
		else if (p[i] != '\r' && s->len < sizeof(s->line) - 1)
			s->line[s->len++] = p[i];
	}
	return s->stop ? 0 : size * n; /* 0 ends the transfer */
}

int cli_stream(struct cli *c, const char *path, cli_event_fn fn, void *arg)
{
	char url[4096];
	struct curl_slist *hdrs = NULL;
	CURL *h = prepare(c, "GET", path, url, sizeof(url), &hdrs);
	if (!h)
		return CLI_UNAVAIL;
	struct sse *s = calloc(1, sizeof(*s));
	if (!s) {
		curl_slist_free_all(hdrs);
		return CLI_UNAVAIL;
	}
	*s = (struct sse){.h = h, .fn = fn, .arg = arg, .error = {.max = 1 << 20}};
	hdrs = curl_slist_append(hdrs, "Accept: text/event-stream");
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 0L);
	/* the server says it is alive every 15 s: silence past a minute is a dead link */
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, 60L);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, sse_write);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, s);
	CURLcode cc = curl_easy_perform(h);
	curl_slist_free_all(hdrs);
	long status = 0;
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	int rc = CLI_OK;
	if (status >= 400) {
		json_t *j = s->error.len ? json_loadb(s->error.data, s->error.len, 0, NULL) : NULL;
		print_error(status, j, s->error.data);
		json_decref(j);
		rc = status >= 500 ? CLI_UNAVAIL : CLI_REFUSED;
	} else if (cc != CURLE_OK && !(cc == CURLE_WRITE_ERROR && s->stop)) {
		print_transport_error(c, url, cc);
		rc = CLI_UNAVAIL;
	}
	json_decref(s->data);
	free(s->error.data);
	free(s);
	return rc;
}

int cli_list_all(struct cli *c, const char *path, json_t *all, bool *more)
{
	json_t *page = NULL;
	char url[2048];
	const char *next = NULL;
	int rc = CLI_OK;
	do {
		snprintf(url, sizeof(url), "%s%s", path,
		         next ? (strchr(path, '?') ? "&" : "?") : "");
		if (next) { /* cursors are opaque: percent-encoded */
			size_t l = strlen(url);
			l += (size_t)snprintf(url + l, sizeof(url) - l, "cursor=");
			for (const char *p = next; *p && l + 4 < sizeof(url); p++)
				l += (size_t)(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
				                     "0123456789-._~",
				                     *p)
				                      ? snprintf(url + l, sizeof(url) - l, "%c", *p)
				                      : snprintf(url + l, sizeof(url) - l, "%%%02X",
				                                 (unsigned char)*p));
		}
		json_decref(page);
		page = NULL;
		if ((rc = cli_call(c, "GET", url, NULL, &page)) != CLI_OK)
			break;
		json_array_extend(all, json_is_array(page) ? page : json_object_get(page, "items"));
		next = json_string_value(json_object_get(page, "next"));
	} while (next && json_array_size(all) < CLI_LIST_MAX);
	if (more)
		*more = rc == CLI_OK && next;
	json_decref(page);
	return rc;
}

json_t *cli_read_json(const char *file)
{
	struct pg_err err = {0};
	json_t *v = pg_json_read_file(file, JSON_REJECT_DUPLICATES, &err);
	if (!v)
		fprintf(stderr, "pagoda: %s\n", err.message);
	return v;
}
