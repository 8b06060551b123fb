/* Directory trees the agent unpacked: their fingerprint (what drift
 * compares) and their removal. Both work on directory fds and never follow
 * a symlink, so a link planted in a tree cannot lead them outside it. */
#include "agent.h"
#include "common/pg_crypto.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define TREE_DEPTH_MAX 64
#define TREE_ENTRIES_MAX 1000000

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names in dfd, sorted (the fingerprint must not depend on readdir's
 * order); NULL on failure. */
static char **list_dir(int dfd, size_t *n)
{
	int fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	if (!d) {
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	size_t cap = 16;
	char **names = malloc(cap * sizeof(*names));
	struct dirent *e;
	*n = 0;
	while (names && (e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (*n == cap) {
			char **nn = realloc(names, (cap *= 2) * sizeof(*names));
			if (!nn)
				break;
			names = nn;
		}
		names[(*n)++] = strdup(e->d_name);
	}
	closedir(d);
	if (names)
		qsort(names, *n, sizeof(*names), by_name);
	return names;
}

static void free_list(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

/* A file's content hash, from cache (keyed by key) while its stat holds. */
static int content_sha(int dfd, const char *name, const struct stat *st, json_t *cache,
                       const char *key, char out[65])
{
	char sig[128];
	snprintf(sig, sizeof(sig), "%llu:%llu:%lld:%lld.%09ld:%o", (unsigned long long)st->st_dev,
	         (unsigned long long)st->st_ino, (long long)st->st_size,
	         (long long)st->st_mtim.tv_sec, st->st_mtim.tv_nsec, (unsigned)st->st_mode);
	json_t *c = cache ? json_object_get(cache, key) : NULL;
	if (c && !strcmp(json_string_value(json_object_get(c, "sig")), sig)) {
		snprintf(out, 65, "%s", json_string_value(json_object_get(c, "sha256")));
		return 0;
	}
	int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -1;
	struct pg_sha256 *h = pg_sha256_new();
	char buf[65536];
	ssize_t n;
	while (h && (n = read(fd, buf, sizeof(buf))) > 0)
		pg_sha256_update(h, buf, (size_t)n);
	close(fd);
	if (!h)
		return -1;
	pg_sha256_final(h, out);
	if (cache)
		json_object_set_new(cache, key, json_pack("{s:s, s:s}", "sig", sig, "sha256", out));
	return 0;
}

struct walk {
	struct pg_sha256 *h;
	json_t *cache;
	const char *cache_prefix;
	size_t entries;
};

static int walk(struct walk *w, int dfd, const char *rel, int depth)
{
	size_t n = 0;
	char **names = depth <= TREE_DEPTH_MAX ? list_dir(dfd, &n) : NULL;
	if (!names)
		return -1;
	/* on the heap: 64 levels of these would not fit a thread's stack */
	struct {
		char path[8192], line[12400], key[8400], target[4096];
	} *b = malloc(sizeof(*b));
	int rc = b ? 0 : -1;
	for (size_t i = 0; rc == 0 && i < n; i++) {
		char *path = b->path, *line = b->line, *key = b->key, *target = b->target;
		struct stat st;
		snprintf(path, sizeof(b->path), "%.7000s%s%s", rel, *rel ? "/" : "", names[i]);
		if (++w->entries > TREE_ENTRIES_MAX ||
		    fstatat(dfd, names[i], &st, AT_SYMLINK_NOFOLLOW))
			rc = -1;
		else if (S_ISDIR(st.st_mode)) {
			snprintf(line, sizeof(b->line), "d %s %o\n", path,
			         (unsigned)(st.st_mode & 07777));
			pg_sha256_update(w->h, line, strlen(line));
			int sub = openat(dfd, names[i],
			                 O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			rc = sub >= 0 ? walk(w, sub, path, depth + 1) : -1;
			if (sub >= 0)
				close(sub);
		} else if (S_ISREG(st.st_mode)) {
			char sha[65];
			snprintf(key, sizeof(b->key), "%s/%s", w->cache_prefix, path);
			rc = content_sha(dfd, names[i], &st, w->cache, key, sha);
			snprintf(line, sizeof(b->line), "f %s %o %lld %s\n", path,
			         (unsigned)(st.st_mode & 07777), (long long)st.st_size, sha);
			pg_sha256_update(w->h, line, strlen(line));
		} else if (S_ISLNK(st.st_mode)) {
			ssize_t len = readlinkat(dfd, names[i], target, sizeof(b->target) - 1);
			target[len > 0 ? len : 0] = '\0';
			snprintf(line, sizeof(b->line), "l %s %s\n", path, target);
			pg_sha256_update(w->h, line, strlen(line));
		} else {
			snprintf(line, sizeof(b->line), "o %s %o\n", path, (unsigned)st.st_mode);
			pg_sha256_update(w->h, line, strlen(line));
		}
	}
	free(b);
	free_list(names, n);
	return rc;
}

int agent_tree_sha(int dfd, json_t *cache, const char *cache_prefix, char out[65],
                   struct pg_err *err)
{
	struct walk w = {.h = pg_sha256_new(), .cache = cache, .cache_prefix = cache_prefix};
	if (!w.h)
		return pg_err_set(err, PG_EINTERNAL, "", "out of memory");
	if (walk(&w, dfd, "", 0) != 0) {
		pg_sha256_free(w.h);
		return pg_err_set(err, PG_EINTERNAL, "", "cannot read the tree (%s)",
		                  w.entries > TREE_ENTRIES_MAX ? "too many entries"
		                                               : strerror(errno ? errno : EIO));
	}
	pg_sha256_final(w.h, out);
	return 0;
}

static int remove_in(int dfd, int depth)
{
	size_t n = 0;
	char **names = depth <= TREE_DEPTH_MAX ? list_dir(dfd, &n) : NULL;
	if (!names)
		return -1;
	int rc = 0;
	for (size_t i = 0; i < n; i++) {
		struct stat st;
		if (fstatat(dfd, names[i], &st, AT_SYMLINK_NOFOLLOW) != 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			int sub = openat(dfd, names[i],
			                 O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub < 0 || remove_in(sub, depth + 1) != 0)
				rc = -1;
			if (sub >= 0)
				close(sub);
			if (unlinkat(dfd, names[i], AT_REMOVEDIR) != 0)
				rc = -1;
		} else if (unlinkat(dfd, names[i], 0) != 0) {
			rc = -1;
		}
	}
	free_list(names, n);
	return rc;
}

int agent_tree_remove(int parent, const char *name)
{
	int dfd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0)
		return errno == ENOENT ? 0 : unlinkat(parent, name, 0);
	int rc = remove_in(dfd, 0);
	close(dfd);
	return unlinkat(parent, name, AT_REMOVEDIR) == 0 && rc == 0 ? 0 : -1;
}
