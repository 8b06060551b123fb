/* Confined, atomic file writes. Every path must lie under an allow-listed
 * root; below the root, each directory is opened with O_NOFOLLOW, so a
 * symlink planted anywhere under a root cannot redirect a write outside it
 * (no check-then-use window). Files are written to a temp file in the same
 * directory, fsynced, renamed over the target, and the directory fsynced. */
#include "agent.h"
#include "common/pg_crypto.h"
#include "common/pg_path.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct agent_paths {
	char *prefix; /* --root, "" for none */
	char **roots; /* node paths, e.g. /etc/nginx */
	size_t n;
};

void agent_paths_free(struct agent_paths *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n; i++)
		free(p->roots[i]);
	free(p->roots);
	free(p->prefix);
	free(p);
}

int agent_paths_new(const char *prefix, const char *const *roots, size_t nroots,
                    struct agent_paths **out, struct pg_err *err)
{
	struct agent_paths *p = calloc(1, sizeof(*p));
	if (!p || !(p->roots = calloc(nroots, sizeof(char *))) ||
	    !(p->prefix = strdup(prefix ? prefix : ""))) {
		agent_paths_free(p);
		return pg_err_set(err, PG_EINTERNAL, "", "out of memory");
	}
	size_t plen = strlen(p->prefix);
	while (plen > 0 && p->prefix[plen - 1] == '/')
		p->prefix[--plen] = '\0';
	for (size_t i = 0; i < nroots; i++) {
		const char *why = pg_path_problem(roots[i]);
		if (why || strcmp(roots[i], "/") == 0) {
			agent_paths_free(p);
			return pg_err_set(err, PG_EINVAL, "allow-root", "allowed root '%s' %s",
			                  roots[i], why ? why : "must not be / itself");
		}
		p->roots[p->n++] = strdup(roots[i]);
	}
	*out = p;
	return 0;
}

int agent_paths_check(struct agent_paths *p, const char *path, struct pg_err *err)
{
	const char *why = pg_path_problem(path);
	if (why)
		return pg_err_set(err, PG_EINVAL, "path", "path '%s' %s", path, why);
	for (size_t i = 0; i < p->n; i++)
		if (pg_path_under(path, p->roots[i]) && strcmp(path, p->roots[i]) != 0)
			return 0;
	return pg_err_set(err, PG_EFORBIDDEN, "path",
	                  "path '%s' is outside the agent's allowed roots (add --allow-root)",
	                  path);
}

/* Opens (creating as needed, 0755) the directory holding path; returns an fd
 * or -1 with err filled. *base points at the file name inside path. */
static int open_parent(struct agent_paths *p, const char *path, const char **base,
                       struct pg_err *err)
{
	const char *root = NULL;
	for (size_t i = 0; i < p->n && !root; i++)
		if (pg_path_under(path, p->roots[i]))
			root = p->roots[i];
	/* The root itself is trusted operator configuration: create it plainly. */
	char top[4096];
	snprintf(top, sizeof(top), "%s%s", p->prefix, root);
	for (char *s = top + 1; *s; s++)
		if (*s == '/') {
			*s = '\0';
			mkdir(top, 0755);
			*s = '/';
		}
	mkdir(top, 0755);
	int fd = open(top, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		pg_err_set(err, PG_EINTERNAL, "path", "cannot open root %s: %s", top,
		           strerror(errno));
		return -1;
	}
	const char *rest = path + strlen(root) + 1;
	for (;;) {
		const char *slash = strchr(rest, '/');
		if (!slash)
			break;
		char part[256];
		size_t n = (size_t)(slash - rest);
		memcpy(part, rest, n);
		part[n] = '\0';
		if (mkdirat(fd, part, 0755) != 0 && errno != EEXIST) {
			pg_err_set(err, PG_EINTERNAL, "path", "cannot create directory %.*s: %s",
			           (int)(slash - path), path, strerror(errno));
			close(fd);
			return -1;
		}
		int next = openat(fd, part, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (next < 0) {
			int e = errno;
			pg_err_set(err, PG_EFORBIDDEN, "path", "%.*s is %s", (int)(slash - path),
			           path,
			           e == ELOOP || e == ENOTDIR
			                   ? "a symlink or not a directory; refusing to follow it"
			                   : strerror(e));
			close(fd);
			return -1;
		}
		close(fd);
		fd = next;
		rest = slash + 1;
	}
	*base = rest;
	return fd;
}

static int resolve_id(const char *name, bool user, long *out, struct pg_err *err)
{
	char *end;
	errno = 0;
	long v = strtol(name, &end, 10);
	if (*name && !*end) {
		/* (uid_t)-1 means "leave unchanged" to fchown: not an owner */
		if (errno || v < 0 || v >= 4294967295L)
			return pg_err_set(err, PG_EINVAL, user ? "owner" : "group",
			                  "%s id %s is out of range (0..4294967294)",
			                  user ? "user" : "group", name);
		*out = v;
		return 0;
	}
	char buf[4096];
	if (user) {
		struct passwd pw, *r = NULL;
		if (getpwnam_r(name, &pw, buf, sizeof(buf), &r) == 0 && r) {
			*out = (long)pw.pw_uid;
			return 0;
		}
	} else {
		struct group gr, *r = NULL;
		if (getgrnam_r(name, &gr, buf, sizeof(buf), &r) == 0 && r) {
			*out = (long)gr.gr_gid;
			return 0;
		}
	}
	return pg_err_set(err, PG_EINVAL, user ? "owner" : "group", "no such %s '%s' on this node",
	                  user ? "user" : "group", name);
}

/* True when the existing file already has these bytes and attributes. */
/* Temp files of an earlier write of base that a kill -9 interrupted: only
 * this agent makes them, one write at a time, so any left is stale. */
static void drop_stale_temps(int dfd, const char *base)
{
	char prefix[300];
	int n = snprintf(prefix, sizeof(prefix), ".%.200s.pagoda-", base);
	int fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	if (!d) {
		if (fd >= 0)
			close(fd);
		return;
	}
	struct dirent *e;
	while ((e = readdir(d)))
		if (strncmp(e->d_name, prefix, (size_t)n) == 0 &&
		    strlen(e->d_name) == (size_t)n + 12)
			unlinkat(dfd, e->d_name, 0);
	closedir(d);
}

static bool same_file(int dfd, const char *base, const char *content, size_t len, unsigned mode,
                      long uid, long gid)
{
	/* O_NONBLOCK: a FIFO planted here must not block the task thread */
	int fd = openat(dfd, base, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return false;
	struct stat st;
	bool same = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (size_t)st.st_size == len &&
	            (st.st_mode & 07777) == mode && (uid < 0 || st.st_uid == (uid_t)uid) &&
	            (gid < 0 || st.st_gid == (gid_t)gid);
	char buf[65536];
	for (size_t off = 0; same && off < len;) {
		ssize_t n = read(fd, buf, sizeof(buf));
		same = n > 0 && memcmp(buf, content + off, (size_t)n) == 0;
		off += n > 0 ? (size_t)n : 0;
	}
	close(fd);
	return same;
}

int agent_paths_write(struct agent_paths *p, const char *path, const char *content, size_t len,
                      unsigned mode, const char *owner, const char *group, bool *changed,
                      char sha256[65], struct pg_err *err)
{
	long uid = -1, gid = -1;
	int rc = agent_paths_check(p, path, err);
	if (rc == 0 && owner)
		rc = resolve_id(owner, true, &uid, err);
	if (rc == 0 && group)
		rc = resolve_id(group, false, &gid, err);
	if (rc != 0)
		return rc;
	pg_sha256_hex(content, len, sha256);
	const char *base;
	int dfd = open_parent(p, path, &base, err);
	if (dfd < 0)
		return err->code;
	struct stat st;
	if (fstatat(dfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISREG(st.st_mode) &&
	    !S_ISLNK(st.st_mode)) {
		close(dfd);
		return pg_err_set(err, PG_EINVAL, "path",
		                  "%s exists and is not a regular file (a %s)", path,
		                  S_ISDIR(st.st_mode)    ? "directory"
		                  : S_ISFIFO(st.st_mode) ? "FIFO"
		                                         : "device or socket");
	}
	*changed = !same_file(dfd, base, content, len, mode, uid, gid);
	if (!*changed) {
		close(dfd);
		return 0;
	}
	drop_stale_temps(dfd, base);
	char tmp[300];
	unsigned char rnd[6];
	char hex[13];
	pg_random_bytes(rnd, sizeof(rnd));
	pg_hex_encode(rnd, sizeof(rnd), hex);
	snprintf(tmp, sizeof(tmp), ".%.200s.pagoda-%s", base, hex);
	int fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		rc = pg_err_set(err, PG_EINTERNAL, "path",
		                "cannot create a temp file beside %s: %s", path, strerror(errno));
		close(dfd);
		return rc;
	}
	const char *what = NULL;
	for (size_t off = 0; !what && off < len;) {
		ssize_t n = write(fd, content + off, len - off);
		if (n < 0)
			what = "write";
		else
			off += (size_t)n;
	}
	if (!what && (uid >= 0 || gid >= 0) && fchown(fd, (uid_t)uid, (gid_t)gid) != 0)
		what = "chown";
	if (!what && fchmod(fd, mode) != 0)
		what = "chmod";
	if (!what && fsync(fd) != 0)
		what = "fsync";
	if (close(fd) != 0 && !what)
		what = "close";
	if (!what && renameat(dfd, tmp, dfd, base) != 0)
		what = "rename";
	if (what) {
		rc = pg_err_set(err, PG_EINTERNAL, "path", "%s of %s failed: %s", what, path,
		                strerror(errno));
		unlinkat(dfd, tmp, 0);
	} else {
		fsync(dfd);
	}
	close(dfd);
	return rc;
}

int agent_paths_remove(struct agent_paths *p, const char *path, struct pg_err *err)
{
	int rc = agent_paths_check(p, path, err);
	if (rc != 0)
		return rc;
	const char *base;
	int dfd = open_parent(p, path, &base, err);
	if (dfd < 0)
		return err->code;
	rc = unlinkat(dfd, base, 0) == 0 || errno == ENOENT
	             ? 0
	             : pg_err_set(err, PG_EINTERNAL, "path", "cannot remove %s: %s", path,
	                          strerror(errno));
	if (rc == 0)
		fsync(dfd);
	close(dfd);
	return rc;
}

int agent_paths_opendir(struct agent_paths *p, const char *dir, struct pg_err *err)
{
	char probe[PG_PATH_MAX + 8];
	snprintf(probe, sizeof(probe), "%s/x", dir);
	int rc = agent_paths_check(p, probe, err);
	if (rc != 0)
		return -1;
	const char *base;
	return open_parent(p, probe, &base, err);
}

const char *agent_paths_prefix(const struct agent_paths *p)
{
	return p->prefix;
}
