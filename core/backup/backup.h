/* backup: encrypted, consistent snapshots of what a control plane cannot
 * lose (the store, master.key, the private CA), and their restore.
 *
 * A backup file is "PAGODABK", a format byte, scrypt's parameters (log2 N,
 * r, p), a 16-byte salt and a 12-byte nonce, then AES-256-GCM (key: scrypt
 * of the passphrase; those 32 header bytes as associated data) over a JSON
 * manifest line and the files' bytes in manifest order, then the 16-byte
 * tag. Nothing of a restore is kept unless the tag verifies. */
#ifndef BACKUP_H
#define BACKUP_H

#include "common/pg_call.h"
#include "common/pg_err.h"
#include "http/http.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#define BACKUP_PASSPHRASE_MIN 12

struct backup_part {
	const char *name; /* in the backup: "pagoda.db", "master.key", "tls/ca.key" */
	const char *path; /* where it is read from now */
};

/* Writes out_path (via out_path.tmp, fsynced, renamed) holding parts and
 * meta (merged into the manifest). */
int backup_file_write(const char *out_path, const char *passphrase, const struct backup_part *parts,
                      size_t nparts, json_t *meta, struct pg_err *err);
/* Decrypts in_path into the empty directory dir, each file under its
 * name; *manifest gets the manifest. On any failure (wrong passphrase,
 * truncated or altered file) dir is left empty. */
int backup_file_read(const char *in_path, const char *passphrase, const char *dir,
                     json_t **manifest, struct pg_err *err);

struct store;
struct backup;
struct backup_opts {
	struct store *store;
	const char *data_dir;
	const char *dir;             /* where backups go; NULL: data_dir/backups */
	const char *passphrase_file; /* of scheduled backups, and of requests without one */
	int64_t interval_ms;         /* scheduled backups; 0: none */
	int keep;                    /* scheduled backups kept */
	const char *version;         /* pagodad's, for the manifest */
};
int backup_new(const struct backup_opts *opts, struct backup **out, struct pg_err *err);
void backup_free(struct backup *b);
/* Takes a backup now (passphrase NULL: the configured file's); *out gets
 * its description. Audited. */
int backup_create(struct backup *b, const struct pg_call *call, const char *passphrase,
                  bool scheduled, json_t **out, struct pg_err *err);
int backup_list(struct backup *b, json_t *items, struct pg_err *err);
/* The path of backup name, after checking the name. */
int backup_path(struct backup *b, const char *name, char *path, size_t len, struct pg_err *err);
int backup_delete(struct backup *b, const struct pg_call *call, const char *name,
                  struct pg_err *err);

/* `pagodad restore --from FILE --data-dir DIR [--passphrase-file F]`:
 * argv starts after "restore". Returns the process's exit status. */
int backup_restore_main(int argc, char **argv);

extern const struct http_route backup_routes[];

#endif
