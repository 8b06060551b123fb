/* Unpacking an artifact (tar.gz, tar.xz, zip) with libarchive into a
 * directory it may not leave. Every entry is checked before it is written:
 * no absolute name, no "..", no symlink whose target leaves the release
 * directory, no hard link to a name outside it, no device, FIFO or socket,
 * no setuid/setgid bits, and a cap on the bytes unpacked. libarchive's
 * secure flags are kept on as a second line. */
#include "agent_archive.h"
#include "common/pg_path.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* name without leading "./" and trailing "/", minus its first strip parts;
 * "" when nothing is left (the entry is skipped). */
static const char *clean(const char *name, int strip, char *buf, size_t len)
{
	while (name[0] == '.' && name[1] == '/')
		name += 2;
	snprintf(buf, len, "%s", name);
	size_t n = strlen(buf);
	while (n > 0 && buf[n - 1] == '/')
		buf[--n] = '\0';
	if (!strcmp(buf, "."))
		buf[0] = '\0';
	char *p = buf;
	for (int i = 0; i < strip && *p; i++) {
		char *s = strchr(p, '/');
		p = s ? s + 1 : p + strlen(p);
	}
	return p;
}

/* How many directories deep rel's parent lies below the release root. */
static int depth_of_parent(const char *rel)
{
	int d = 0;
	for (const char *s = rel; *s; s++)
		d += *s == '/';
	return d;
}

/* Whether a symlink at rel (depth base below the root) pointing at target
 * stays inside the root, following ".." lexically. */
static bool link_inside(const char *target, int depth)
{
	if (target[0] == '/' || !target[0])
		return false;
	for (const char *s = target; *s;) {
		const char *e = strchrnul(s, '/');
		size_t n = (size_t)(e - s);
		if (n == 2 && s[0] == '.' && s[1] == '.')
			depth--;
		else if (n > 0 && !(n == 1 && s[0] == '.'))
			depth++;
		if (depth < 0)
			return false;
		s = *e ? e + 1 : e;
	}
	return true;
}

static int refuse(struct agent_unpack *u, const char *fmt, const char *name, const char *more)
{
	snprintf(u->error, sizeof(u->error), fmt, name, more ? more : "");
	return -1;
}

static int check_entry(struct agent_unpack *u, struct archive_entry *e, char *rel, size_t len)
{
	const char *raw = archive_entry_pathname(e);
	if (!raw)
		return refuse(u, "an archive entry has no name%s%s", "", NULL);
	if (raw[0] == '/')
		return refuse(u, "archive entry '%s' has an absolute name%s", raw, NULL);
	char buf[PG_PATH_MAX + 1];
	const char *name = clean(raw, u->strip, buf, sizeof(buf));
	if (!*name) {
		rel[0] = '\0';
		return 0;
	}
	snprintf(rel, len, "%s%s%s", u->dest, *u->dest ? "/" : "", name);
	const char *why = pg_relpath_problem(rel);
	if (why)
		return refuse(u,
		              "archive entry '%s' escapes the release directory or is not a plain "
		              "name (%s)",
		              raw, why);
	mode_t type = archive_entry_filetype(e);
	const char *hard = archive_entry_hardlink(e);
	if (hard) {
		char hb[PG_PATH_MAX + 1], hrel[PG_PATH_MAX + 8];
		const char *h = clean(hard, u->strip, hb, sizeof(hb));
		snprintf(hrel, sizeof(hrel), "%s%s%s", u->dest, *u->dest ? "/" : "", h);
		if (hard[0] == '/' || !*h || pg_relpath_problem(hrel))
			return refuse(
			        u,
			        "archive entry '%s' is a hard link to '%s' outside the release "
			        "directory",
			        raw, hard);
		char full[8400];
		snprintf(full, sizeof(full), "%s/%s", u->root, hrel);
		archive_entry_set_hardlink(e, full);
	} else if (type == AE_IFLNK) {
		const char *t = archive_entry_symlink(e);
		if (!t || !link_inside(t, depth_of_parent(rel)))
			return refuse(
			        u,
			        "archive entry '%s' is a symlink pointing outside the release "
			        "directory (to '%s')",
			        raw, t ? t : "");
	} else if (type != AE_IFREG && type != AE_IFDIR) {
		return refuse(u, "archive entry '%s' is a device, FIFO or socket%s", raw, NULL);
	}
	if (archive_entry_size_is_set(e) && archive_entry_size(e) > 0) {
		u->bytes += archive_entry_size(e);
		if (u->bytes > u->max_bytes)
			return refuse(u, "the archive unpacks to more than the limit (at '%s')%s",
			              raw, NULL);
	}
	if (++u->entries > 1000000)
		return refuse(u, "the archive has more than a million entries (at '%s')%s", raw,
		              NULL);
	mode_t perm = archive_entry_perm(e) & 0777;
	archive_entry_set_perm(e, type == AE_IFDIR ? perm | 0700 : perm);
	char full[8400];
	snprintf(full, sizeof(full), "%s/%s", u->root, rel);
	archive_entry_set_pathname(e, full);
	return 0;
}

static int copy_data(struct archive *in, struct archive *out, struct agent_unpack *u)
{
	const void *buf;
	size_t size;
	la_int64_t off;
	for (;;) {
		int r = archive_read_data_block(in, &buf, &size, &off);
		if (r == ARCHIVE_EOF)
			return 0;
		if (r != ARCHIVE_OK)
			return refuse(u, "cannot read the archive: %s%s", archive_error_string(in),
			              NULL);
		/* what is written counts, whatever the headers said */
		u->written += (int64_t)size;
		if (u->written > u->max_bytes)
			return refuse(u, "the archive unpacks to more than the limit%s%s", "",
			              NULL);
		if (archive_write_data_block(out, buf, size, off) != ARCHIVE_OK)
			return refuse(u, "cannot write: %s%s", archive_error_string(out), NULL);
	}
}

int agent_unpack_file(struct agent_unpack *u, const char *archive_path)
{
	struct archive *in = archive_read_new(), *out = archive_write_disk_new();
	int rc = 0;
	if (!strcmp(u->format, "zip")) {
		archive_read_support_format_zip(in);
	} else {
		archive_read_support_format_tar(in);
		if (!strcmp(u->format, "tar.gz"))
			archive_read_support_filter_gzip(in);
		else
			archive_read_support_filter_xz(in);
	}
	archive_write_disk_set_options(
	        out, ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_SECURE_NODOTDOT |
	                     ARCHIVE_EXTRACT_SECURE_SYMLINKS | ARCHIVE_EXTRACT_UNLINK);
	if (archive_read_open_filename(in, archive_path, 65536) != ARCHIVE_OK)
		rc = refuse(u, "not a %s archive: %s", u->format, archive_error_string(in));
	struct archive_entry *e;
	int r;
	while (rc == 0 && (r = archive_read_next_header(in, &e)) != ARCHIVE_EOF) {
		char rel[PG_PATH_MAX + 8];
		if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
			rc = refuse(u, "cannot read the archive: %s%s", archive_error_string(in),
			            NULL);
			break;
		}
		rc = check_entry(u, e, rel, sizeof(rel));
		if (rc != 0 || !rel[0])
			continue;
		if (archive_write_header(out, e) != ARCHIVE_OK)
			rc = refuse(u, "cannot unpack '%.400s': %.400s", rel,
			            archive_error_string(out));
		else if (archive_entry_size(e) > 0 && !archive_entry_hardlink(e))
			rc = copy_data(in, out, u);
		if (rc == 0 && archive_write_finish_entry(out) != ARCHIVE_OK)
			rc = refuse(u, "cannot unpack '%.400s': %.400s", rel,
			            archive_error_string(out));
	}
	if (rc == 0 && u->entries == 0)
		rc = refuse(u, "the %s archive is empty%s", u->format, NULL);
	archive_read_free(in);
	archive_write_free(out);
	return rc;
}
