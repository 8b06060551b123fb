/* The agent's HTTP client: libcurl, JSON bodies, bearer token re-read from
 * its file on every call so a rotated token is picked up without restart. */
#include "agent.h"
#include "common/pg_buf.h"
#include "common/pg_crypto.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct agent_http {
	struct agent *agent;
	bool anonymous, unverified; /* agent_http_set */
	CURL *curl;
	struct pg_buf body; /* the last answer */
	/* while set, an answer goes here instead of body (downloads) */
	size_t (*sink)(char *data, size_t size, size_t n, void *arg);
	void *sink_arg;
	/* set around one download (agent_http_fetch) */
	const char *range, *url, *url_ca;
	int64_t max_rate;
};

struct agent_http *agent_http_new(struct agent *a)
{
	struct agent_http *h = calloc(1, sizeof(*h));
	if (!h)
		return NULL;
	h->agent = a;
	h->body.max = 16u << 20; /* an answer this large is not from pagodad */
	h->curl = curl_easy_init();
	if (!h->curl) {
		free(h);
		return NULL;
	}
	return h;
}

void agent_http_set(struct agent_http *h, struct agent_http_flags f)
{
	h->anonymous = f.anonymous;
	h->unverified = f.unverified;
}

void agent_http_free(struct agent_http *h)
{
	if (!h)
		return;
	curl_easy_cleanup(h->curl);
	pg_buf_reset(&h->body);
	free(h);
}

static int read_token(const char *file, char *tok, size_t len, struct pg_err *err)
{
	FILE *f = fopen(file, "r");
	if (!f)
		return pg_err_set(err, PG_EUNAUTH, "token-file", "cannot read token file %s", file);
	if (!fgets(tok, (int)len, f))
		tok[0] = '\0';
	fclose(f);
	tok[strcspn(tok, "\r\n \t")] = '\0';
	if (!tok[0])
		return pg_err_set(err, PG_EUNAUTH, "token-file", "token file %s is empty", file);
	return 0;
}

/* Aborts a transfer (a long poll, say) as soon as the agent is told to stop. */
static int on_progress(void *arg, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
	return ((struct agent_http *)arg)->agent->stopping ? 1 : 0;
}

/* One exchange; the answer lands in h->body. Plain HTTP only where
 * agent_server_check allowed it; TLS verified against --ca-file (or the
 * system's CAs) unless h->unverified (the fingerprint bootstrap, which
 * checks what it fetched itself). */
static int request(struct agent_http *h, const char *method, const char *path,
                   struct curl_slist *hdrs, const char *text, long timeout_ms, long *status,
                   struct pg_err *err)
{
	struct agent *a = h->agent;
	char url[2048];
	snprintf(url, sizeof(url), "%s%s", h->url ? h->url : a->server, h->url ? "" : path);
	pg_buf_reset(&h->body);
	CURL *c = h->curl;
	curl_easy_reset(c);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	if (hdrs)
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	if (text)
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, text);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, h->sink ? h->sink : pg_buf_curl_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, h->sink ? h->sink_arg : (void *)&h->body);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(c, CURLOPT_XFERINFODATA, h);
	/* pagodad's CA is for pagodad: another server is checked against the
	 * system's CAs or the caFile its artifact names */
	if (h->url ? h->url_ca != NULL : a->ca_file != NULL)
		curl_easy_setopt(c, CURLOPT_CAINFO, h->url ? h->url_ca : a->ca_file);
	if (h->url) {
		curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https");
		curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L); /* mirrors redirect */
		curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "https");
		curl_easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
	}
	if (h->range)
		curl_easy_setopt(c, CURLOPT_RANGE, h->range);
	if (h->max_rate > 0)
		curl_easy_setopt(c, CURLOPT_MAX_RECV_SPEED_LARGE, (curl_off_t)h->max_rate);
	if (h->unverified) {
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	CURLcode cc = curl_easy_perform(c);
	if (cc != CURLE_OK)
		return pg_err_set(err, PG_EUNAVAIL, "", "%s: %s", url, curl_easy_strerror(cc));
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
	return 0;
}

int agent_http_post(struct agent_http *h, const char *path, json_t *body, const char *trace,
                    long timeout_ms, json_t **out, long *status, struct pg_err *err)
{
	struct agent *a = h->agent;
	char tok[256], auth[300];
	*out = NULL;
	*status = 0;
	struct curl_slist *hdrs = curl_slist_append(NULL, "Content-Type: application/json");
	if (!h->anonymous) {
		int rc = read_token(a->token_file, tok, sizeof(tok), err);
		if (rc != 0) {
			curl_slist_free_all(hdrs);
			return rc;
		}
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s", tok);
		explicit_bzero(tok, sizeof(tok));
		hdrs = curl_slist_append(hdrs, auth);
		explicit_bzero(auth, sizeof(auth));
	}
	if (trace) {
		char th[128];
		snprintf(th, sizeof(th), "X-Trace-Id: %.64s", trace);
		hdrs = curl_slist_append(hdrs, th);
	}
	char *text = json_dumps(body, JSON_COMPACT);
	int rc = request(h, "POST", path, hdrs, text, timeout_ms, status, err);
	curl_slist_free_all(hdrs);
	if (text)
		explicit_bzero(text, strlen(text)); /* a join token travels in it */
	free(text);
	if (rc != 0)
		return rc;
	*out = h->body.len ? json_loadb(h->body.data, h->body.len, 0, NULL) : json_object();
	if (!*out)
		return pg_err_set(err, PG_EUNAVAIL, "",
		                  "%s%s answered %ld with a body that is not JSON", a->server, path,
		                  *status);
	return 0;
}

int agent_http_get(struct agent_http *h, const char *path, char **text, size_t *len, long *status,
                   struct pg_err *err)
{
	*text = NULL;
	int rc = request(h, "GET", path, NULL, NULL, 10000, status, err);
	if (rc == 0 && !(*text = malloc(h->body.len + 1)))
		rc = pg_err_set(err, PG_EINTERNAL, "", "out of memory");
	if (rc == 0) {
		memcpy(*text, h->body.data ? h->body.data : "", h->body.len);
		(*text)[h->body.len] = '\0';
		*len = h->body.len;
	}
	return rc;
}

struct download {
	int fd;
	CURL *curl;
	struct pg_sha256 *md;
	int64_t size, max, resumed; /* resumed: bytes kept from an earlier try */
	bool failed, checked;
};

/* Restarts the hash and the file when a server answers a resume with the
 * whole body (200, not 206). */
static bool download_restart(struct download *d)
{
	pg_sha256_free(d->md);
	d->md = pg_sha256_new();
	d->size = d->resumed = 0;
	return d->md && ftruncate(d->fd, 0) == 0 && lseek(d->fd, 0, SEEK_SET) == 0;
}

static size_t download_write(char *data, size_t size, size_t n, void *arg)
{
	struct download *d = arg;
	size_t len = size * n;
	if (!d->checked) {
		long status = 0;
		curl_easy_getinfo(d->curl, CURLINFO_RESPONSE_CODE, &status);
		d->checked = true;
		if (status != 200 && status != 206)
			return 0; /* an error answer is not the file */
		if (status == 200 && d->resumed && !download_restart(d)) {
			d->failed = true;
			return 0;
		}
	}
	d->size += (int64_t)len;
	if (d->size > d->max) {
		d->failed = true;
		return 0;
	}
	pg_sha256_update(d->md, data, len);
	for (size_t off = 0; off < len;) {
		ssize_t w = write(d->fd, data + off, len - off);
		if (w <= 0) {
			d->failed = true;
			return 0;
		}
		off += (size_t)w;
	}
	return len;
}

/* Opens file.part for appending, hashing what an earlier try left. */
static int download_open(const char *tmp, bool resume, struct download *d, struct pg_err *err)
{
	d->md = pg_sha256_new();
	d->fd = open(tmp, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | (resume ? 0 : O_TRUNC), 0600);
	if (d->fd < 0 || !d->md)
		return pg_err_set(err, PG_EINTERNAL, "", "cannot write %s: %s", tmp,
		                  strerror(errno));
	char buf[65536];
	ssize_t n;
	while ((n = read(d->fd, buf, sizeof(buf))) > 0) {
		pg_sha256_update(d->md, buf, (size_t)n);
		d->size += n;
	}
	d->resumed = d->size;
	return n < 0 ? pg_err_set(err, PG_EINTERNAL, "", "cannot read %s: %s", tmp, strerror(errno))
	             : 0;
}

int agent_http_fetch(struct agent_http *h, struct agent_fetch *f, const char *file, char sha256[65],
                     struct pg_err *err)
{
	char tmp[4200], range[32], tok[256], auth[300];
	snprintf(tmp, sizeof(tmp), "%s.part", file);
	struct download d = {.fd = -1, .curl = h->curl, .max = f->max};
	int rc = download_open(tmp, f->resume, &d, err);
	struct curl_slist *hdrs = NULL;
	if (rc == 0 && f->token) {
		rc = read_token(h->agent->token_file, tok, sizeof(tok), err);
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s", tok);
		explicit_bzero(tok, sizeof(tok));
		hdrs = curl_slist_append(NULL, auth);
		explicit_bzero(auth, sizeof(auth));
	}
	if (rc != 0) {
		if (d.fd >= 0)
			close(d.fd);
		pg_sha256_free(d.md);
		return rc;
	}
	h->sink = download_write;
	h->sink_arg = &d;
	h->range = NULL;
	if (d.resumed > 0) {
		snprintf(range, sizeof(range), "%lld-", (long long)d.resumed);
		h->range = range;
	}
	h->url = f->url;
	h->url_ca = f->ca_file;
	h->max_rate = f->max_rate;
	long status = 0;
	rc = request(h, "GET", f->path ? f->path : "", hdrs, NULL, f->timeout_ms, &status, err);
	h->sink = NULL;
	h->sink_arg = NULL;
	h->range = h->url = h->url_ca = NULL;
	h->max_rate = 0;
	curl_slist_free_all(hdrs);
	f->status = status;
	f->resumed_from = d.resumed;
	f->received = d.size - d.resumed;
	/* a range past the end: what is here is all there is */
	bool whole = rc == 0 && status == 416 && d.resumed > 0;
	bool ok = (rc == 0 && (status == 200 || status == 206 || whole) && !d.failed) &&
	          fsync(d.fd) == 0;
	ok = close(d.fd) == 0 && ok;
	if (ok) {
		pg_sha256_final(d.md, sha256);
		d.md = NULL;
		if (rename(tmp, file) == 0)
			return 0;
		rc = pg_err_set(err, PG_EINTERNAL, "", "cannot rename %s: %s", tmp,
		                strerror(errno));
	}
	pg_sha256_free(d.md);
	/* an interrupted transfer keeps its part to resume; anything else
	 * (too large, refused, unwritable) starts over next time */
	bool interrupted = rc != 0 && !d.failed;
	if (!interrupted)
		unlink(tmp);
	if (rc)
		return rc;
	const char *where = f->url ? f->url : h->agent->server;
	return pg_err_set(err, status == 403 || status == 404 ? PG_ENOTFOUND : PG_EUNAVAIL, "",
	                  "%s%s: %s", where, f->url ? "" : f->path,
	                  d.failed ? "the download was too large or could not be written"
	                  : status == 200 || status == 206 ? "cannot write the file"
	                                                   : "refused or not found");
}

int agent_http_download(struct agent_http *h, const char *path, const char *file, int64_t max,
                        char sha256[65], struct pg_err *err)
{
	struct agent_fetch f = {.path = path, .max = max, .timeout_ms = 600000};
	return agent_http_fetch(h, &f, file, sha256, err);
}

bool agent_sleep(struct agent *a, int64_t ms)
{
	while (ms > 0 && !a->stopping) {
		int64_t step = ms > 200 ? 200 : ms;
		struct timespec ts = {step / 1000, (step % 1000) * 1000000L};
		nanosleep(&ts, NULL);
		ms -= step;
	}
	return !a->stopping;
}

int64_t agent_backoff_ms(int n, int64_t cap_ms)
{
	int64_t d = 500;
	for (int i = 0; i < n && d < cap_ms; i++)
		d *= 2;
	if (d > cap_ms)
		d = cap_ms;
	uint32_t r = 0;
	pg_random_bytes(&r, sizeof(r));
	/* Full jitter in [d/2, d): a fleet that lost the server does not come
	 * back in one synchronized wave. */
	return d / 2 + (int64_t)(r % (uint32_t)(d / 2 + 1));
}
