/* FetchArtifact: download an application's artifacts into a
 * content-addressed cache, verify each digest before anything uses it,
 * unpack them into APPS/<app>/releases/<digest>/ (built in a temp directory
 * and renamed, so a release directory is complete or absent), switch the
 * `current` symlink by renaming a new one over it, and keep the last N
 * releases so a rollback switches back without downloading. Failure at any
 * step leaves `current` as it was. */
#include "agent.h"
#include "agent_archive.h"
#include "common/pg_crypto.h"
#include "common/pg_path.h"
#include "common/pg_time.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define APPS "/var/lib/pagoda/apps"
#define ARTIFACT_MAX (64LL << 30)
#define UNPACKED_MAX (64LL << 30)

static bool hex64(const char *s)
{
	return s && strlen(s) == 64 && strspn(s, "0123456789abcdef") == 64;
}

static int fail(struct agent_result *r, bool retry, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
static int fail(struct agent_result *r, bool retry, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->error, sizeof(r->error), fmt, ap);
	va_end(ap);
	r->retryable = retry;
	return -1;
}

static int file_sha(const char *path, char out[65])
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
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
	return 0;
}

struct fetch_stats {
	int downloads;
	int64_t bytes, resumed_from;
};

/* The verified bytes of artifact f in the cache: there already, or
 * downloaded now (resuming a part an earlier try left). */
static int cached(struct agent *a, struct agent_http *h, json_t *f, char *file, size_t len,
                  struct fetch_stats *st, struct agent_result *r)
{
	const char *sha = json_string_value(json_object_get(f, "sha256"));
	const char *url = json_string_value(json_object_get(f, "url"));
	char dir[4200], got[65], path[128];
	snprintf(dir, sizeof(dir), "%s/cache", a->state_dir);
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return fail(r, false, "cannot create %.900s: %s", dir, strerror(errno));
	snprintf(file, len, "%s/%s", dir, sha);
	if (file_sha(file, got) == 0 && !strcmp(got, sha))
		return 0;
	unlink(file);
	snprintf(path, sizeof(path), "/agent/blobs/%s", sha);
	struct agent_fetch fe = {.url = url,
	                         .ca_file = json_string_value(json_object_get(f, "caFile")),
	                         .path = url ? NULL : path,
	                         .token = !url,
	                         .resume = true,
	                         .max = ARTIFACT_MAX,
	                         .max_rate = a->download_max_rate,
	                         .timeout_ms = 1800000};
	struct pg_err err = {0};
	int rc = agent_http_fetch(h, &fe, file, got, &err);
	st->downloads++;
	st->bytes += fe.received;
	if (fe.resumed_from > st->resumed_from)
		st->resumed_from = fe.resumed_from;
	if (rc != 0)
		return fail(r, err.code != PG_ENOTFOUND, "cannot download %.300s: %.600s",
		            url ? url : sha, err.message);
	if (strcmp(got, sha) != 0) {
		unlink(file);
		return fail(r, false,
		            "digest mismatch for %.300s: expected sha256:%s, the download has "
		            "sha256:%s; nothing was unpacked",
		            url ? url : "the blob", sha, got);
	}
	return 0;
}

/* Creates root/dest's parent directories (dest is checked: relative and
 * normalised, inside a fresh temp directory). */
static int make_parents(const char *root, const char *dest, bool self, struct agent_result *r)
{
	char path[8400];
	snprintf(path, sizeof(path), "%.7000s/%.1100s%s", root, dest, self ? "/" : "");
	for (char *s = path + strlen(root) + 1; *s; s++)
		if (*s == '/') {
			*s = '\0';
			if (mkdir(path, 0755) != 0 && errno != EEXIST)
				return fail(r, false, "cannot create %.900s: %s", path,
				            strerror(errno));
			*s = '/';
		}
	return 0;
}

/* Copies a verified cached file to root/dest with mode (no unpacking). */
static int place_file(const char *src, const char *root, const char *dest, unsigned mode,
                      struct agent_result *r)
{
	char path[8400], buf[65536];
	snprintf(path, sizeof(path), "%.7000s/%.1100s", root, dest);
	if (make_parents(root, dest, false, r) != 0)
		return -1;
	int in = open(src, O_RDONLY | O_CLOEXEC),
	    out = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	ssize_t n = 0;
	bool ok = in >= 0 && out >= 0;
	while (ok && (n = read(in, buf, sizeof(buf))) > 0)
		ok = write(out, buf, (size_t)n) == n;
	ok = ok && n == 0 && fchmod(out, mode) == 0;
	if (in >= 0)
		close(in);
	if (out >= 0 && close(out) != 0)
		ok = false;
	return ok ? 0 : fail(r, false, "cannot write %.900s: %s", path, strerror(errno));
}

static unsigned mode_of(json_t *f)
{
	const char *m = json_string_value(json_object_get(f, "mode"));
	return m ? (unsigned)strtoul(m, NULL, 8) : 0644;
}

/* Builds releases/<digest> from the artifacts: .tmp-<digest> first, then
 * renamed. */
static int build(struct agent *a, int rfd, const char *rdir, const char *digest, json_t *arts,
                 struct fetch_stats *st, struct agent_result *r)
{
	struct agent_http *h = agent_http_new(a);
	char tmp[100], root[8400], files[16][4300];
	snprintf(tmp, sizeof(tmp), ".tmp-%s", digest);
	snprintf(root, sizeof(root), "%.8000s/%s", rdir, tmp);
	size_t i, n = json_array_size(arts);
	json_t *f;
	int rc = h ? 0 : fail(r, true, "out of memory");
	json_array_foreach (arts, i, f)
		if (rc == 0 && i < 16)
			rc = cached(a, h, f, files[i], sizeof(files[i]), st, r);
	agent_http_free(h);
	if (rc != 0)
		return rc;
	agent_tree_remove(rfd, tmp); /* an earlier try's */
	if (mkdirat(rfd, tmp, 0755) != 0)
		return fail(r, false, "cannot create %.900s: %s", root, strerror(errno));
	json_array_foreach (arts, i, f) {
		const char *unpack = json_string_value(json_object_get(f, "unpack"));
		const char *dest = json_string_value(json_object_get(f, "dest"));
		if (rc != 0 || i >= n)
			break;
		if (!strcmp(unpack, "none")) {
			rc = place_file(files[i], root, dest, mode_of(f), r);
			continue;
		}
		if (dest)
			rc = make_parents(root, dest, true, r);
		struct agent_unpack u = {
		        .root = root,
		        .dest = dest ? dest : "",
		        .format = unpack,
		        .strip = (int)json_integer_value(json_object_get(f, "stripComponents")),
		        .max_bytes = UNPACKED_MAX};
		if (rc == 0 && agent_unpack_file(&u, files[i]) != 0)
			rc = fail(r, false, "artifact %zu (%.20s...): %s", i,
			          json_string_value(json_object_get(f, "sha256")), u.error);
	}
	if (rc == 0 && (syncfs(rfd) != 0 || renameat(rfd, tmp, rfd, digest) != 0))
		rc = fail(r, false, "cannot move the release into place: %s", strerror(errno));
	if (rc != 0) {
		agent_tree_remove(rfd, tmp);
		return rc;
	}
	fsync(rfd);
	/* unpacked: the cache only served an interrupted download */
	for (i = 0; i < n && i < 16; i++)
		unlink(files[i]);
	return 0;
}

/* Points `current` at releases/<digest> with one rename. */
static int switch_current(int bfd, const char *digest, bool *switched, struct agent_result *r)
{
	char want[100], have[200], tmp[64];
	snprintf(want, sizeof(want), "releases/%s", digest);
	ssize_t n = readlinkat(bfd, "current", have, sizeof(have) - 1);
	have[n > 0 ? n : 0] = '\0';
	*switched = strcmp(have, want) != 0;
	if (!*switched)
		return 0;
	unsigned char rnd[4];
	char hex[9];
	pg_random_bytes(rnd, sizeof(rnd));
	pg_hex_encode(rnd, sizeof(rnd), hex);
	snprintf(tmp, sizeof(tmp), ".current-%s", hex);
	if (symlinkat(want, bfd, tmp) != 0 || renameat(bfd, tmp, bfd, "current") != 0) {
		unlinkat(bfd, tmp, 0);
		return fail(r, false, "cannot switch current: %s", strerror(errno));
	}
	fsync(bfd);
	return 0;
}

/* Keeps the keep most recently used releases (digest among them). */
static void prune(int rfd, json_t *known, const char *digest, int keep)
{
	const char *k;
	json_t *v, *tmp;
	for (int kept = 1; json_object_size(known) > (size_t)keep && kept;) {
		const char *oldest = NULL;
		int64_t at = INT64_MAX;
		json_object_foreach (known, k, v) {
			int64_t used = json_integer_value(json_object_get(v, "usedAt"));
			if (strcmp(k, digest) && used < at) {
				at = used;
				oldest = k;
			}
		}
		kept = oldest != NULL;
		if (oldest) {
			agent_tree_remove(rfd, oldest);
			json_object_del(known, oldest);
		}
	}
	(void)tmp;
}

int agent_exec_artifact(struct agent *a, json_t *p, int64_t timeout_sec, struct agent_result *r)
{
	(void)timeout_sec;
	const char *app = json_string_value(json_object_get(p, "app"));
	const char *digest = json_string_value(json_object_get(p, "release"));
	json_t *arts = json_object_get(p, "artifacts"), *f;
	size_t i;
	if (!app || !*app || strspn(app, "abcdefghijklmnopqrstuvwxyz0123456789-") != strlen(app) ||
	    strlen(app) > 64 || !hex64(digest) || !json_is_array(arts) ||
	    json_array_size(arts) == 0 || json_array_size(arts) > 16)
		return fail(r, false, "malformed FetchArtifact payload");
	json_array_foreach (arts, i, f) {
		const char *dest = json_string_value(json_object_get(f, "dest"));
		const char *unpack = json_string_value(json_object_get(f, "unpack"));
		if (!hex64(json_string_value(json_object_get(f, "sha256"))) || !unpack ||
		    (dest && pg_relpath_problem(dest)) || (!dest && !strcmp(unpack, "none")))
			return fail(r, false, "malformed artifact %zu", i);
	}
	char base[PG_PATH_MAX], rel[PG_PATH_MAX + 16], rdir[8400], manifest[200];
	snprintf(base, sizeof(base), APPS "/%s", app);
	snprintf(rel, sizeof(rel), "%s/releases", base);
	snprintf(rdir, sizeof(rdir), "%s%s", agent_paths_prefix(a->paths), rel);
	snprintf(manifest, sizeof(manifest), "artifacts/%s.json", app);
	struct pg_err err = {0};
	int bfd = agent_paths_opendir(a->paths, base, &err), rfd = -1;
	if (bfd >= 0)
		rfd = agent_paths_opendir(a->paths, rel, &err);
	if (rfd < 0) {
		if (bfd >= 0)
			close(bfd);
		return fail(r, false, "%.900s", err.message);
	}
	char mdir[4200], mpath[4400];
	snprintf(mdir, sizeof(mdir), "%s/artifacts", a->state_dir);
	mkdir(mdir, 0700);
	snprintf(mpath, sizeof(mpath), "%s/%s", a->state_dir, manifest);
	json_t *m = json_load_file(mpath, 0, NULL);
	if (!json_is_object(m)) {
		json_decref(m);
		m = json_object();
	}
	/* a release directory is reused only while its tree is what was built */
	char tree[65] = "";
	struct fetch_stats st = {0};
	int rc = 0, dfd = openat(rfd, digest, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	const char *known =
	        json_string_value(json_object_get(json_object_get(m, digest), "treeSha256"));
	bool reuse = dfd >= 0 && known && agent_tree_sha(dfd, NULL, "", tree, &err) == 0 &&
	             !strcmp(tree, known);
	if (dfd >= 0)
		close(dfd);
	if (!reuse) {
		agent_tree_remove(rfd, digest);
		rc = build(a, rfd, rdir, digest, arts, &st, r);
		dfd = rc == 0 ? openat(rfd, digest, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
		              : -1;
		if (rc == 0 && (dfd < 0 || agent_tree_sha(dfd, NULL, "", tree, &err) != 0))
			rc = fail(r, false, "cannot read the unpacked release: %.800s",
			          err.message);
		if (dfd >= 0)
			close(dfd);
	}
	bool switched = false;
	if (rc == 0)
		rc = switch_current(bfd, digest, &switched, r);
	if (rc == 0) {
		json_object_set_new(m, digest,
		                    json_pack("{s:s, s:I}", "treeSha256", tree, "usedAt",
		                              (json_int_t)pg_time_now_ms()));
		prune(rfd, m, digest, a->artifacts_keep > 0 ? a->artifacts_keep : 3);
		if (agent_state_save(a, manifest, m, &err) != 0)
			rc = fail(r, true, "%.900s", err.message);
	}
	if (rc == 0) {
		char cur[PG_PATH_MAX + 16], msg[300];
		snprintf(cur, sizeof(cur), "%s/current", base);
		r->artifacts =
		        json_pack("{s:s, s:s, s:s, s:b, s:b, s:i, s:I, s:I}", "path", cur,
		                  "release", digest, "treeSha256", tree, "switched", switched,
		                  "reused", reuse, "downloads", st.downloads, "downloadedBytes",
		                  (json_int_t)st.bytes, "resumedFrom", (json_int_t)st.resumed_from);
		snprintf(msg, sizeof(msg), "release %.12s %s%s (%d downloads, %lld bytes)\n",
		         digest, reuse ? "kept" : "unpacked", switched ? ", current switched" : "",
		         st.downloads, (long long)st.bytes);
		r->out = strdup(msg);
		r->ok = true;
	}
	json_decref(m);
	close(rfd);
	close(bfd);
	return rc;
}
