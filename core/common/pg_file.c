#include "common/pg_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int pg_file_read(const char *path, size_t max, char **data, size_t *len, struct pg_err *err)
{
	/* O_NONBLOCK, then regular files only: opening a FIFO would block */
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	struct stat st;
	if (fd < 0)
		return pg_err_set(err, PG_EINVAL, "", "cannot read %s: %s", path, strerror(errno));
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return pg_err_set(err, PG_EINVAL, "", "cannot read %s: not a regular file", path);
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	FILE *f = fdopen(fd, "rb");
	if (!f) {
		close(fd);
		return pg_err_set(err, PG_EINTERNAL, "", "cannot read %s: %s", path,
		                  strerror(errno));
	}
	char *buf = NULL;
	size_t n = 0, cap = 0;
	int rc = 0;
	for (;;) {
		if (n + 4096 + 1 > cap) {
			cap = cap ? cap * 2 : 8192;
			char *nb = realloc(buf, cap);
			if (!nb) {
				rc = pg_err_set(err, PG_EINTERNAL, "", "out of memory reading %s",
				                path);
				break;
			}
			buf = nb;
		}
		size_t got = fread(buf + n, 1, 4096, f);
		n += got;
		if (n > max) {
			rc = pg_err_set(err, PG_EINVAL, "", "%s is larger than %zu bytes", path,
			                max);
			break;
		}
		if (got < 4096) {
			if (ferror(f))
				rc = pg_err_set(err, PG_EINVAL, "", "cannot read %s: %s", path,
				                strerror(errno));
			break;
		}
	}
	fclose(f);
	if (rc != 0) {
		free(buf);
		return rc;
	}
	buf[n] = '\0';
	*data = buf;
	*len = n;
	return 0;
}

int pg_file_write(const char *path, const void *data, size_t len, unsigned mode, struct pg_err *err)
{
	char tmp[4200], dir[4096];
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	bool ok = fd >= 0 && write(fd, data, len) == (ssize_t)len && fsync(fd) == 0;
	int saved = errno;
	if (fd >= 0)
		ok = close(fd) == 0 && ok;
	if (!ok || rename(tmp, path) != 0) {
		saved = ok ? errno : saved;
		unlink(tmp);
		return pg_err_set(err, PG_EINTERNAL, "", "cannot write %s: %s", path,
		                  strerror(saved));
	}
	/* the rename itself must survive a power loss too */
	snprintf(dir, sizeof(dir), "%s", path);
	char *slash = strrchr(dir, '/');
	if (slash) {
		*slash = '\0';
		int dfd = open(*dir ? dir : "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd >= 0) {
			fsync(dfd);
			close(dfd);
		}
	}
	return 0;
}
