/* blob_svc: where blob bytes live (DIR/sha256/ab/abcd...), and the use
 * cases over them. A file is in place before its row is committed, so a
 * row never names missing bytes; a crash between the two leaves a file no
 * row names, which the next upload of the same bytes reuses. */
#include "audit/audit.h"
#include "blob/blob_int.h"
#include "common/pg_json.h"
#include "store/store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct blob {
	struct store *store;
	char dir[2048], spool[2100];
	int64_t max_size;
	blob_fetch_check fetch_check;
	void *fetch_arg;
};

bool blob_sha_ok(const char *s)
{
	return s && strlen(s) == 64 && strspn(s, "0123456789abcdef") == 64;
}

static int mkdir_private(const char *path, struct pg_err *err)
{
	if (mkdir(path, 0700) != 0 && errno != EEXIST)
		return pg_err_set(err, PG_EINTERNAL, "blob.dir", "cannot create %s: %s", path,
		                  strerror(errno));
	return 0;
}

/* Uploads a crash or kill interrupted. */
static void drop_spool(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	while (d && (e = readdir(d)))
		if (strncmp(e->d_name, "upload-", 7) == 0) {
			char p[2400];
			snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
			unlink(p);
		}
	if (d)
		closedir(d);
}

int blob_new(const struct blob_opts *opts, struct blob **out, struct pg_err *err)
{
	struct blob *b = calloc(1, sizeof(*b));
	if (!b)
		return pg_err_set(err, PG_EINTERNAL, "", "out of memory");
	b->store = opts->store;
	b->max_size = opts->max_size > 0 ? opts->max_size : BLOB_DEFAULT_MAX_SIZE;
	snprintf(b->dir, sizeof(b->dir), "%s", opts->dir);
	snprintf(b->spool, sizeof(b->spool), "%s/tmp", b->dir);
	char objects[2100];
	snprintf(objects, sizeof(objects), "%s/sha256", b->dir);
	int rc = mkdir_private(b->dir, err);
	if (rc == 0)
		rc = mkdir_private(b->spool, err);
	if (rc == 0)
		rc = mkdir_private(objects, err);
	if (rc != 0) {
		free(b);
		return rc;
	}
	drop_spool(b->spool);
	*out = b;
	return 0;
}

void blob_free(struct blob *b)
{
	free(b);
}

const char *blob_spool_dir(const struct blob *b)
{
	return b->spool;
}

int64_t blob_max_size(const struct blob *b)
{
	return b->max_size;
}

void blob_set_fetch_check(struct blob *b, blob_fetch_check fn, void *arg)
{
	b->fetch_check = fn;
	b->fetch_arg = arg;
}

static void blob_path(const struct blob *b, const char *sha, char *out, size_t len)
{
	snprintf(out, len, "%s/sha256/%.2s/%s", b->dir, sha, sha);
}

static void fsync_dir(const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
}

/* Moves the spooled file to its content address (or drops it when the
 * same bytes are there already). */
static int place(struct blob *b, struct http_upload *up, struct pg_err *err)
{
	char final[2400], dir[2400];
	blob_path(b, up->sha256, final, sizeof(final));
	snprintf(dir, sizeof(dir), "%s/sha256/%.2s", b->dir, up->sha256);
	int rc = mkdir_private(dir, err);
	if (rc != 0)
		return rc;
	struct stat st;
	if (stat(final, &st) == 0 && st.st_size == up->size)
		return 0; /* the spool file goes with the request */
	chmod(up->path, 0640);
	if (rename(up->path, final) != 0)
		return pg_err_set(err, PG_EINTERNAL, "", "cannot store the blob: %s",
		                  strerror(errno));
	up->path[0] = '\0';
	fsync_dir(dir);
	return 0;
}

int blob_put(struct blob *b, const struct pg_call *call, struct http_upload *up, const char *expect,
             const char *name, json_t **out, bool *created, struct pg_err *err)
{
	if (expect && !blob_sha_ok(expect))
		return pg_err_set(err, PG_EINVAL, "sha256",
		                  "sha256 must be 64 lowercase hex digits");
	if (expect && strcmp(expect, up->sha256) != 0)
		return pg_err_set(err, PG_EINVAL, "sha256",
		                  "the upload's SHA-256 is %s, not %s: nothing was stored",
		                  up->sha256, expect);
	if (name && (!*name || strlen(name) > 200 || !pg_str_is_printable(name)))
		return pg_err_set(err, PG_EINVAL, "name",
		                  "name must be 1-200 printable characters");
	if (up->size == 0)
		return pg_err_set(err, PG_EINVAL, "", "the upload is empty");
	int rc = place(b, up, err);
	struct store_conn *c = rc == 0 ? store_conn_get(b->store, err) : NULL;
	if (rc == 0 && !c)
		rc = err->code;
	if (rc == 0)
		rc = store_begin(c, STORE_TX_WRITE, err);
	if (rc != 0)
		return rc;
	rc = blob_store_insert(c, up->sha256, up->size, name, call->actor, created, err);
	if (rc == 0 && *created)
		rc = audit_record_new(c, call, "blob.upload", "blob", 0,
		                      json_pack("{s:s, s:I, s:s?}", "sha256", up->sha256, "size",
		                                (json_int_t)up->size, "name", name),
		                      err);
	rc = store_end(c, rc, err);
	if (rc == 0)
		rc = blob_get(b, up->sha256, out, err);
	return rc;
}

int blob_get(struct blob *b, const char *sha, json_t **out, struct pg_err *err)
{
	if (!blob_sha_ok(sha))
		return pg_err_set(err, PG_EINVAL, "sha256",
		                  "sha256 must be 64 lowercase hex digits");
	struct store_conn *c = store_conn_get(b->store, err);
	return c ? blob_store_get(c, sha, out, err) : err->code;
}

int blob_list(struct blob *b, json_t *items, struct pg_err *err)
{
	struct store_conn *c = store_conn_get(b->store, err);
	return c ? blob_store_list(c, items, err) : err->code;
}

int blob_delete(struct blob *b, const struct pg_call *call, const char *sha, struct pg_err *err)
{
	json_t *row = NULL;
	int rc = blob_get(b, sha, &row, err);
	struct store_conn *c = rc == 0 ? store_conn_get(b->store, err) : NULL;
	json_decref(row);
	if (rc == 0 && !c)
		rc = err->code;
	if (rc == 0)
		rc = store_begin(c, STORE_TX_WRITE, err);
	if (rc != 0)
		return rc;
	char what[200];
	rc = blob_store_user(c, sha, what, sizeof(what), err);
	if (rc == 0 && what[0])
		rc = pg_err_set(err, PG_ECONFLICT, "sha256", "blob %s is used by %s", sha, what);
	if (rc == 0)
		rc = blob_store_delete(c, sha, err);
	if (rc == 0)
		rc = audit_record_new(c, call, "blob.delete", "blob", 0,
		                      json_pack("{s:s}", "sha256", sha), err);
	rc = store_end(c, rc, err);
	if (rc == 0) {
		char path[2400];
		blob_path(b, sha, path, sizeof(path));
		unlink(path);
	}
	return rc;
}

int blob_open(struct blob *b, int64_t node, const char *sha, int *fd, int64_t *size,
              struct pg_err *err)
{
	if (!blob_sha_ok(sha))
		return pg_err_set(err, PG_EINVAL, "sha256",
		                  "sha256 must be 64 lowercase hex digits");
	struct store_conn *c = store_conn_get(b->store, err);
	if (!c)
		return err->code;
	int rc = blob_exists(c, sha, "sha256", size, err);
	if (rc == 0 && node > 0)
		rc = b->fetch_check ? b->fetch_check(b->fetch_arg, c, node, sha, err)
		                    : pg_err_set(err, PG_EFORBIDDEN, "sha256",
		                                 "no release of this node uses blob %s", sha);
	if (rc != 0)
		return rc;
	char path[2400];
	blob_path(b, sha, path, sizeof(path));
	struct stat st;
	*fd = open(path, O_RDONLY | O_CLOEXEC);
	if (*fd < 0 || fstat(*fd, &st) != 0 || st.st_size != *size) {
		if (*fd >= 0)
			close(*fd);
		/* the row is shared, the directory is not: a replica's setup */
		return pg_err_set(err, PG_EUNAVAIL, "sha256",
		                  "blob %s is recorded but its bytes are not in %s on this "
		                  "replica (with several replicas, blob.dir must be one shared "
		                  "directory)",
		                  sha, b->dir);
	}
	return 0;
}
