/* Streamed request bodies (.upload routes): written to a spool file and
 * hashed as they arrive, so an upload of any size holds one chunk of memory,
 * and replies of a file range (resumable downloads). */
#include "http/http_upload.h"
#include "common/pg_crypto.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int http_upload_open(struct http_req *req, const char *dir, struct pg_err *err)
{
	struct http_upload *u = calloc(1, sizeof(*u));
	if (!u)
		return pg_err_set(err, PG_EINTERNAL, "", "out of memory");
	u->fd = -1;
	snprintf(u->path, sizeof(u->path), "%s/upload-XXXXXX", dir ? dir : "/tmp");
	u->md = pg_sha256_new();
	if (u->md)
		u->fd = mkostemp(u->path, O_CLOEXEC);
	if (u->fd < 0) {
		int rc = pg_err_set(err, PG_EUNAVAIL, "", "cannot spool the upload in %s: %s",
		                    dir ? dir : "/tmp", strerror(errno));
		u->path[0] = '\0';
		http_upload_free(u);
		return rc;
	}
	req->upload = u;
	return 0;
}

void http_upload_write(struct http_upload *u, const char *data, size_t n)
{
	if (u->failed)
		return;
	pg_sha256_update(u->md, data, n);
	for (size_t off = 0; off < n;) {
		ssize_t w = write(u->fd, data + off, n - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			u->failed = true;
			return;
		}
		off += (size_t)w;
	}
	u->size += (int64_t)n;
}

int http_upload_finish(struct http_upload *u, struct pg_err *err)
{
	bool ok = !u->failed && fsync(u->fd) == 0;
	ok = close(u->fd) == 0 && ok;
	u->fd = -1;
	pg_sha256_final(u->md, u->sha256);
	u->md = NULL;
	return ok ? 0
	          : pg_err_set(err, PG_EUNAVAIL, "", "cannot write the upload to disk: %s",
	                       strerror(errno ? errno : EIO));
}

void http_upload_free(struct http_upload *u)
{
	if (!u)
		return;
	if (u->fd >= 0)
		close(u->fd);
	if (u->path[0])
		unlink(u->path);
	pg_sha256_free(u->md);
	free(u);
}

int http_range_parse(const char *h, size_t size, size_t *off, size_t *len)
{
	if (!h || strncmp(h, "bytes=", 6) != 0 || strchr(h, ','))
		return 0;
	const char *p = h + 6;
	char *end;
	if (*p == '-') {
		errno = 0;
		unsigned long long n = strtoull(p + 1, &end, 10);
		if (errno || *end || end == p + 1)
			return 0;
		if (n == 0)
			return -1;
		*len = n > size ? size : (size_t)n;
		*off = size - *len;
		return size ? 1 : -1;
	}
	errno = 0;
	unsigned long long a = strtoull(p, &end, 10), b = size ? size - 1 : 0;
	if (errno || end == p || *end != '-')
		return 0;
	p = end + 1;
	if (*p) {
		b = strtoull(p, &end, 10);
		if (errno || *end || b < a)
			return 0;
		if (b >= size)
			b = size ? size - 1 : 0;
	}
	if (a >= size)
		return -1;
	*off = (size_t)a;
	*len = (size_t)(b - a + 1);
	return 1;
}

void http_reply_file_range(struct http_req *req, int fd, size_t size, const char *content_type)
{
	size_t off = 0, len = size;
	char cr[96];
	int r = http_range_parse(http_header(req, "Range"), size, &off, &len);
	if (r < 0) {
		close(fd);
		snprintf(cr, sizeof(cr), "bytes */%zu", size);
		http_reply_header(req, "Content-Range", cr);
		http_reply_error(req, PG_ERANGE, "Range", "the range is outside the %zu bytes",
		                 size);
		return;
	}
	http_reply_file(req, r ? 206 : 200, fd, len, content_type);
	req->reply_fd_off = off;
	http_reply_header(req, "Accept-Ranges", "bytes");
	if (r) {
		snprintf(cr, sizeof(cr), "bytes %zu-%zu/%zu", off, off + len - 1, size);
		http_reply_header(req, "Content-Range", cr);
	}
}
