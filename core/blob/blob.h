/* blob: artifacts uploaded to pagodad, stored content-addressed (SHA-256)
 * in a directory and recorded in the store. Releases that use a blob hold a
 * reference to it, so it cannot be deleted under them; agents fetch blobs
 * their releases name, with ranges so a download resumes.
 *
 * With several replicas on PostgreSQL the directory must be shared (NFS,
 * CephFS, a cluster filesystem): the row says a blob exists, the bytes are
 * read from the directory by whichever replica an agent reaches. */
#ifndef BLOB_H
#define BLOB_H

#include "common/pg_call.h"
#include "common/pg_err.h"
#include "http/http.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#define BLOB_DEFAULT_MAX_SIZE (4LL << 30)

struct store;
struct store_conn;
struct blob;

struct blob_opts {
	struct store *store;
	const char *dir; /* DATA-DIR/blobs by default */
	int64_t max_size;
};
int blob_new(const struct blob_opts *opts, struct blob **out, struct pg_err *err);
void blob_free(struct blob *b);
/* Where uploads are spooled (inside dir, so taking one is a rename). */
const char *blob_spool_dir(const struct blob *b);
int64_t blob_max_size(const struct blob *b);

/* Whether node may fetch sha256: wired in main.c to the application
 * component, which knows which releases a node is part of. */
typedef int (*blob_fetch_check)(void *arg, struct store_conn *c, int64_t node, const char *sha256,
                                struct pg_err *err);
void blob_set_fetch_check(struct blob *b, blob_fetch_check fn, void *arg);

/* Takes the spooled upload up into the store; expect (NULL: any) is the
 * digest the uploader announced. *created tells a new blob from a repeat. */
int blob_put(struct blob *b, const struct pg_call *call, struct http_upload *up, const char *expect,
             const char *name, json_t **out, bool *created, struct pg_err *err);
int blob_get(struct blob *b, const char *sha256, json_t **out, struct pg_err *err);
int blob_list(struct blob *b, json_t *items, struct pg_err *err);
/* Refused (409) while a release or an application uses it. */
int blob_delete(struct blob *b, const struct pg_call *call, const char *sha256, struct pg_err *err);
/* Opens the bytes of sha256 for node (0: an admin) after the checks. */
int blob_open(struct blob *b, int64_t node, const char *sha256, int *fd, int64_t *size,
              struct pg_err *err);

/* In the caller's transaction: the size of an existing blob (404 naming
 * field otherwise), and a reference from a release. */
int blob_exists(struct store_conn *c, const char *sha256, const char *field, int64_t *size,
                struct pg_err *err);
int blob_ref_add(struct store_conn *c, int64_t release_id, const char *sha256, struct pg_err *err);
bool blob_sha_ok(const char *s);

extern const struct http_route blob_routes[];

#endif
