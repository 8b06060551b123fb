/* backup_svc: taking, listing and expiring backups; the schedule. */
#include "audit/audit.h"
#include "backup/backup.h"
#include "common/pg_file.h"
#include "common/pg_log.h"
#include "common/pg_ticker.h"
#include "common/pg_time.h"
#include "store/store.h"

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PREFIX "pagoda-backup-"
#define AUTO "auto-"
#define SUFFIX ".pgbk"

struct backup {
	struct backup_opts o;
	char dir[2048];
	pthread_mutex_t lock; /* one backup at a time */
	struct pg_ticker *ticker;
};

static int read_passphrase(const char *file, char *buf, size_t len, struct pg_err *err)
{
	char *text = NULL;
	size_t n;
	struct stat st;
	if (stat(file, &st) == 0 && (st.st_mode & 077))
		return pg_err_set(err, PG_EPRECOND, "passphrase",
		                  "%s is open to other users: chmod 600 %s", file, file);
	int rc = pg_file_read(file, 4096, &text, &n, err);
	if (rc)
		return rc;
	snprintf(buf, len, "%.*s", (int)strcspn(text, "\r\n"), text);
	explicit_bzero(text, n);
	free(text);
	return 0;
}

static bool name_ok(const char *name)
{
	size_t n = strlen(name), p = strlen(PREFIX), s = strlen(SUFFIX);
	return n > p + s && n < 128 && strncmp(name, PREFIX, p) == 0 &&
	       strcmp(name + n - s, SUFFIX) == 0 &&
	       strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789-.TZ") == n;
}

/* Scheduled backups beyond keep, oldest first (names sort by time). */
static void expire(struct backup *b)
{
	DIR *d = opendir(b->dir);
	if (!d)
		return;
	char *names[4096];
	size_t n = 0;
	for (struct dirent *e; (e = readdir(d)) && n < 4096;)
		if (name_ok(e->d_name) &&
		    strncmp(e->d_name + strlen(PREFIX), AUTO, strlen(AUTO)) == 0)
			names[n++] = strdup(e->d_name);
	closedir(d);
	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; j < n; j++)
			if (names[i] && names[j] && strcmp(names[i], names[j]) > 0) {
				char *t = names[i];
				names[i] = names[j];
				names[j] = t;
			}
	for (size_t i = 0; i < n; i++) {
		if (names[i] && i + (size_t)b->o.keep < n) {
			char path[2400];
			snprintf(path, sizeof(path), "%s/%s", b->dir, names[i]);
			if (unlink(path) == 0)
				pg_info("backup", "removed %s (backup.keep = %d)", names[i],
				        b->o.keep);
		}
		free(names[i]);
	}
}

static json_t *describe(const char *dir, const char *name)
{
	char path[2400];
	struct stat st;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (stat(path, &st) != 0)
		return NULL;
	json_t *o = json_pack("{s:s, s:I, s:b}", "name", name, "size", (json_int_t)st.st_size,
	                      "scheduled", strncmp(name + strlen(PREFIX), AUTO, strlen(AUTO)) == 0);
	char ts[40];
	pg_time_format((int64_t)st.st_mtim.tv_sec * 1000 + st.st_mtim.tv_nsec / 1000000, ts,
	               sizeof(ts));
	json_object_set_new(o, "createdAt", json_string(ts));
	return o;
}

static int take(struct backup *b, const char *passphrase, bool scheduled, json_t **out,
                struct pg_err *err)
{
	char snap[2400], name[128], path[2400], key[2400], ca_crt[2400], ca_key[2400], stamp[40];
	int64_t now = pg_time_now_ms();
	time_t sec = (time_t)(now / 1000);
	struct tm tm;
	gmtime_r(&sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%S", &tm);
	snprintf(name, sizeof(name), PREFIX "%s%s%03dZ" SUFFIX, scheduled ? AUTO : "", stamp,
	         (int)(now % 1000));
	snprintf(path, sizeof(path), "%s/%s", b->dir, name);
	snprintf(snap, sizeof(snap), "%s/.backup-snapshot.db", b->o.data_dir);
	snprintf(key, sizeof(key), "%s/master.key", b->o.data_dir);
	snprintf(ca_crt, sizeof(ca_crt), "%s/tls/ca.crt", b->o.data_dir);
	snprintf(ca_key, sizeof(ca_key), "%s/tls/ca.key", b->o.data_dir);
	struct backup_part parts[4] = {{"master.key", key}};
	size_t n = 1;
	bool shared = store_shared(b->o.store);
	unlink(snap);
	int rc = shared ? 0 : store_snapshot(b->o.store, snap, err);
	if (rc == 0 && !shared)
		parts[n++] = (struct backup_part){"pagoda.db", snap};
	/* the private CA of --tls auto: agents pin it, so a restore elsewhere
	 * keeps them connecting */
	if (access(ca_key, R_OK) == 0 && access(ca_crt, R_OK) == 0) {
		parts[n++] = (struct backup_part){"tls/ca.crt", ca_crt};
		parts[n++] = (struct backup_part){"tls/ca.key", ca_key};
	}
	json_t *meta = json_pack("{s:s, s:s, s:i, s:s}", "pagodad", b->o.version, "store",
	                         store_driver_name(b->o.store), "schemaVersion",
	                         store_schema_version(b->o.store), "createdAt", "");
	char ts[40];
	pg_time_format(now, ts, sizeof(ts));
	json_object_set_new(meta, "createdAt", json_string(ts));
	if (rc == 0)
		rc = backup_file_write(path, passphrase, parts, n, meta, err);
	unlink(snap);
	json_decref(meta);
	if (rc == 0) {
		*out = describe(b->dir, name);
		json_object_set_new(*out, "database",
		                    json_string(shared ? "not included: back PostgreSQL up with "
		                                         "pg_dump or pgBackRest"
		                                       : "included"));
		pg_info("backup", "%s backup %s (%lld bytes)",
		        scheduled ? "scheduled" : "requested", name,
		        (long long)json_integer_value(json_object_get(*out, "size")));
	}
	return rc;
}

int backup_create(struct backup *b, const struct pg_call *call, const char *passphrase,
                  bool scheduled, json_t **out, struct pg_err *err)
{
	char file_pass[1024];
	*out = NULL;
	if (!passphrase) {
		if (!b->o.passphrase_file)
			return pg_err_set(err, PG_EINVAL, "passphrase",
			                  "give a passphrase (or set backup.passphrase-file)");
		int rc = read_passphrase(b->o.passphrase_file, file_pass, sizeof(file_pass), err);
		if (rc)
			return rc;
		passphrase = file_pass;
	}
	if (strlen(passphrase) < BACKUP_PASSPHRASE_MIN) {
		explicit_bzero(file_pass, sizeof(file_pass));
		return pg_err_set(err, PG_EINVAL, "passphrase",
		                  "the passphrase needs at least %d characters",
		                  BACKUP_PASSPHRASE_MIN);
	}
	pthread_mutex_lock(&b->lock);
	int rc = take(b, passphrase, scheduled, out, err);
	if (rc == 0 && scheduled)
		expire(b);
	pthread_mutex_unlock(&b->lock);
	explicit_bzero(file_pass, sizeof(file_pass));
	struct store_conn *c = rc == 0 ? store_conn_get(b->o.store, err) : NULL;
	if (c && store_begin(c, STORE_TX_WRITE, err) == 0) {
		if (audit_record(c, call, "backup.create", "backup", 0, *out, err) == 0)
			store_commit(c, err);
		else
			store_rollback(c);
	}
	return rc;
}

int backup_list(struct backup *b, json_t *items, struct pg_err *err)
{
	DIR *d = opendir(b->dir);
	if (!d)
		return errno == ENOENT ? 0
		                       : pg_err_set(err, PG_EINTERNAL, "", "cannot read %s: %s",
		                                    b->dir, strerror(errno));
	for (struct dirent *e; (e = readdir(d));) {
		json_t *o = name_ok(e->d_name) ? describe(b->dir, e->d_name) : NULL;
		if (o)
			json_array_append_new(items, o);
	}
	closedir(d);
	return 0;
}

int backup_path(struct backup *b, const char *name, char *path, size_t len, struct pg_err *err)
{
	if (!name_ok(name))
		return pg_err_set(err, PG_EINVAL, "name",
		                  "not a backup name (pagoda-backup-....pgbk)");
	snprintf(path, len, "%s/%s", b->dir, name);
	if (access(path, R_OK) != 0)
		return pg_err_set(err, PG_ENOTFOUND, "name", "no backup %s", name);
	return 0;
}

int backup_delete(struct backup *b, const struct pg_call *call, const char *name,
                  struct pg_err *err)
{
	char path[2400];
	int rc = backup_path(b, name, path, sizeof(path), err);
	if (rc)
		return rc;
	struct store_conn *c = store_conn_get(b->o.store, err);
	if (!c || (rc = store_begin(c, STORE_TX_WRITE, err)) != 0)
		return c ? rc : err->code;
	rc = audit_record_new(c, call, "backup.delete", "backup", 0,
	                      json_pack("{s:s}", "name", name), err);
	if (rc == 0 && unlink(path) != 0)
		rc = pg_err_set(err, PG_EINTERNAL, "", "cannot remove %s: %s", path,
		                strerror(errno));
	return store_end(c, rc, err);
}

static void tick(void *arg)
{
	struct backup *b = arg;
	if (!store_leader(b->o.store, STORE_ROLE_BACKUPS))
		return;
	static const struct pg_call call = {"system:backup", NULL, NULL};
	json_t *out = NULL;
	struct pg_err err = {0};
	if (backup_create(b, &call, NULL, true, &out, &err) != 0)
		pg_error("backup", "scheduled backup failed: %s", err.message);
	json_decref(out);
}

int backup_new(const struct backup_opts *opts, struct backup **out, struct pg_err *err)
{
	struct backup *b = calloc(1, sizeof(*b));
	if (!b)
		return pg_err_set(err, PG_EINTERNAL, "", "out of memory");
	b->o = *opts;
	if (b->o.keep <= 0)
		b->o.keep = 7;
	if (opts->dir)
		snprintf(b->dir, sizeof(b->dir), "%s", opts->dir);
	else
		snprintf(b->dir, sizeof(b->dir), "%s/backups", opts->data_dir);
	pthread_mutex_init(&b->lock, NULL);
	if (mkdir(b->dir, 0700) != 0 && errno != EEXIST) {
		int rc = pg_err_set(err, PG_EINTERNAL, "backup.dir", "cannot create %s: %s", b->dir,
		                    strerror(errno));
		backup_free(b);
		return rc;
	}
	if (opts->interval_ms > 0 &&
	    pg_ticker_start(opts->interval_ms, false, tick, b, &b->ticker, err) != 0) {
		backup_free(b);
		return err->code;
	}
	*out = b;
	return 0;
}

void backup_free(struct backup *b)
{
	if (!b)
		return;
	pg_ticker_stop(b->ticker);
	pthread_mutex_destroy(&b->lock);
	free(b);
}
