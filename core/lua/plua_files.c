/* Resolving script files: an override (--lua-dir, --plugin-dir) wins over
 * the bundled copy compiled into pagodad. */
#include "common/pg_crypto.h"
#include "common/pg_embed.h"
#include "common/pg_file.h"
#include "lua/plua_int.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

extern const struct pg_embedded plua_bundled_lua[];
extern const struct pg_embedded plua_bundled_plugins[];

/* Splits rel into its embedded table and the path inside it. */
static const struct pg_embedded *table_of(const char *rel, const char **inner)
{
	if (strncmp(rel, "plugins/", 8) == 0) {
		*inner = rel + 8;
		return plua_bundled_plugins;
	}
	*inner = rel;
	return plua_bundled_lua;
}

static bool override_path(struct plua *h, const char *rel, char *buf, size_t len)
{
	const char *inner;
	bool plugin = table_of(rel, &inner) == plua_bundled_plugins;
	const char *dir = plugin ? h->plugin_dir : h->lua_dir;
	if (!dir || strstr(rel, ".."))
		return false;
	snprintf(buf, len, "%s/%s", dir, inner);
	return true;
}

static const struct pg_embedded *bundled(const char *rel)
{
	const char *inner;
	for (const struct pg_embedded *e = table_of(rel, &inner); e->path; e++)
		if (strcmp(e->path, inner) == 0)
			return e;
	return NULL;
}

static int64_t mtime_of(const struct stat *st)
{
	return (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
}

int plua_file_read(struct plua *h, const char *rel, char **data, size_t *len,
                   struct plua_file *meta, struct pg_err *err)
{
	char path[4096];
	struct stat st;
	memset(meta, 0, sizeof(*meta));
	snprintf(meta->rel, sizeof(meta->rel), "%s", rel);
	if (override_path(h, rel, path, sizeof(path)) && stat(path, &st) == 0 &&
	    S_ISREG(st.st_mode)) {
		int rc = pg_file_read(path, 16 << 20, data, len, err);
		if (rc != 0)
			return rc;
		snprintf(meta->origin, sizeof(meta->origin), "override");
		meta->mtime_ns = mtime_of(&st);
	} else {
		const struct pg_embedded *e = bundled(rel);
		if (!e)
			return pg_err_set(err, PG_ENOTFOUND, rel,
			                  "no file %s (bundled or override)", rel);
		*data = malloc(e->size + 1);
		if (!*data)
			return pg_err_set(err, PG_EINTERNAL, rel, "out of memory");
		memcpy(*data, e->data, e->size + 1);
		*len = e->size;
		snprintf(meta->origin, sizeof(meta->origin), "bundled");
	}
	pg_sha256_hex(*data, *len, meta->hash);
	return 0;
}

bool plua_file_changed(struct plua *h, const struct plua_file *meta)
{
	char path[4096];
	struct stat st;
	bool has_override = override_path(h, meta->rel, path, sizeof(path)) &&
	                    stat(path, &st) == 0 && S_ISREG(st.st_mode);
	if (has_override != (strcmp(meta->origin, "override") == 0))
		return true;
	return has_override && mtime_of(&st) != meta->mtime_ns;
}

void plua_file_each(struct plua *h, const char *dir, void (*fn)(const char *rel, void *arg),
                    void *arg)
{
	char prefix[200], rel[400];
	snprintf(prefix, sizeof(prefix), "%s/", dir);
	const char *inner_prefix;
	const struct pg_embedded *t = table_of(prefix, &inner_prefix);
	size_t plen = strlen(inner_prefix);
	for (const struct pg_embedded *e = t; e->path; e++)
		if (strncmp(e->path, inner_prefix, plen) == 0 && !strchr(e->path + plen, '/') &&
		    strlen(e->path) > 4 && strcmp(e->path + strlen(e->path) - 4, ".lua") == 0) {
			snprintf(rel, sizeof(rel), "%.*s%s", (int)(strlen(prefix) - plen), prefix,
			         e->path);
			fn(rel, arg);
		}
	char path[4096];
	if (!override_path(h, prefix, path, sizeof(path)))
		return;
	DIR *d = opendir(path);
	struct dirent *de;
	while (d && (de = readdir(d))) {
		size_t n = strlen(de->d_name);
		if (de->d_name[0] == '.' || n < 5 || strcmp(de->d_name + n - 4, ".lua") != 0)
			continue;
		snprintf(rel, sizeof(rel), "%s%s", prefix, de->d_name);
		fn(rel, arg); /* duplicates of bundled names are ignored by the caller */
	}
	if (d)
		closedir(d);
}
