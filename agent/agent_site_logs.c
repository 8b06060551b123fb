/* The access and error logs of a site Pagoda manages (nginx_site.tpl writes
 * /var/log/nginx/pagoda-SITE.{access,error}.log): the last lines, or the
 * lines after a cursor ("a=INODE:OFFSET;e=INODE:OFFSET") for following. A
 * rotated file (another inode, or shorter) is read from its start. Only
 * these two files of a checked site name are ever opened. */
#include "agent.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define LOG_READ_MAX (AGENT_OUTPUT_MAX / 2) /* per file */

static bool site_ok(const char *s)
{
	if (!s || !*s || *s == '.' || strlen(s) > 128)
		return false;
	for (; *s; s++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-",
		            *s))
			return false;
	return true;
}

/* The last `lines` lines of buf (len bytes; a first partial line dropped
 * when the read did not start at the file's start). */
static const char *tail(const char *buf, size_t len, long lines, bool partial)
{
	const char *p = buf + len;
	if (p > buf && p[-1] == '\n')
		p--;
	long n = 0;
	while (p > buf) {
		if (p[-1] == '\n' && ++n == lines)
			return p;
		p--;
	}
	if (partial) {
		const char *nl = memchr(buf, '\n', len);
		return nl ? nl + 1 : buf + len;
	}
	return buf;
}

/* When a line of either log was written: "[03/Dec/2026:15:40:17 +0000]"
 * (access, the combined format) or "2026/12/03 15:40:17" (error, local
 * time); 0 when neither. */
static time_t line_time(const char *l, size_t n)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	char line[160], mon[4] = "";
	struct tm tm = {0};
	int off = 0;
	snprintf(line, sizeof(line), "%.*s", (int)(n < sizeof(line) ? n : sizeof(line) - 1), l);
	const char *b = strchr(line, '[');
	if (b && sscanf(b, "[%d/%3[A-Za-z]/%d:%d:%d:%d %d]", &tm.tm_mday, mon, &tm.tm_year,
	                &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &off) == 7) {
		const char *m = strstr(months, mon);
		if (!m || strlen(mon) != 3)
			return 0;
		tm.tm_mon = (int)(m - months) / 3;
		tm.tm_year -= 1900;
		int secs = (abs(off) / 100 * 60 + abs(off) % 100) * 60;
		return timegm(&tm) - (off < 0 ? -secs : secs);
	}
	if (sscanf(line, "%d/%d/%d %d:%d:%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
	           &tm.tm_min, &tm.tm_sec) == 6) {
		tm.tm_year -= 1900;
		tm.tm_mon -= 1;
		tm.tm_isdst = -1;
		return mktime(&tm);
	}
	return 0;
}

/* Appends the new lines of one log to out (each prefixed tag; those
 * written before since left out), and its cursor part to cur. */
static void read_log(const char *path, const char *tag, unsigned long long ino, long long off,
                     long lines, time_t since, FILE *out, char *cur, size_t cur_len)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		if (fd >= 0)
			close(fd);
		snprintf(cur + strlen(cur), cur_len - strlen(cur), "%s%c=0:0", *cur ? ";" : "",
		         tag[0]);
		return;
	}
	bool follow = off >= 0 && ino == (unsigned long long)st.st_ino && off <= st.st_size;
	long long from = follow ? off : 0;
	if (st.st_size - from > LOG_READ_MAX)
		from = st.st_size - LOG_READ_MAX;
	size_t len = (size_t)(st.st_size - from);
	char *buf = malloc(len + 1);
	ssize_t got = buf && len ? pread(fd, buf, len, from) : 0;
	close(fd);
	if (got > 0) {
		bool partial = from > (follow ? off : 0);
		const char *start =
		        follow && !partial ? buf : tail(buf, (size_t)got, lines, partial);
		for (const char *l = start; l < buf + got;) {
			const char *e = memchr(l, '\n', (size_t)(buf + got - l));
			size_t n = e ? (size_t)(e - l) : (size_t)(buf + got - l);
			time_t at = since > 0 ? line_time(l, n) : 0;
			if (!at || at >= since)
				fprintf(out, "%s: %.*s\n", tag, (int)n, l);
			l += n + 1;
		}
	}
	free(buf);
	snprintf(cur + strlen(cur), cur_len - strlen(cur), "%s%c=%llu:%lld", *cur ? ";" : "",
	         tag[0], (unsigned long long)st.st_ino, (long long)(from + (got > 0 ? got : 0)));
}

/* The inode and offset the cursor gives for tag ('a' or 'e'); off -1: none. */
static void cursor_of(const char *cursor, char tag, unsigned long long *ino, long long *off)
{
	*ino = 0;
	*off = -1;
	for (const char *p = cursor; p && *p; p = strchr(p, ';') ? strchr(p, ';') + 1 : NULL)
		if (p[0] == tag && p[1] == '=' && sscanf(p + 2, "%llu:%lld", ino, off) != 2)
			*off = -1;
}

int agent_site_logs(struct agent *a, json_t *p, struct agent_result *r)
{
	const char *site = json_string_value(json_object_get(p, "siteName"));
	const char *after = json_string_value(json_object_get(p, "afterCursor"));
	json_int_t lines = json_integer_value(json_object_get(p, "lines"));
	time_t since = (time_t)json_integer_value(json_object_get(p, "since"));
	if (!agent_can_run_commands(a, r, "InspectUnit of a site"))
		return -1;
	if (!site_ok(site)) {
		snprintf(r->error, sizeof(r->error), "siteName must be letters, digits and . _ -");
		return -1;
	}
	static const char *const kinds[] = {"access", "error"};
	char *text = NULL, cur[200] = "";
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	if (!out) {
		snprintf(r->error, sizeof(r->error), "out of memory");
		return -1;
	}
	for (int k = 0; k < 2; k++) {
		char path[300];
		unsigned long long ino;
		long long off;
		snprintf(path, sizeof(path), "/var/log/nginx/pagoda-%s.%s.log", site, kinds[k]);
		cursor_of(after, kinds[k][0], &ino, &off);
		read_log(path, kinds[k], ino, off, lines > 0 ? (long)lines : 100, since, out, cur,
		         sizeof(cur));
	}
	fclose(out);
	r->out = text;
	r->artifacts = json_pack("{s:s, s:s}", "site", site, "cursor", cur);
	r->ok = true;
	return 0;
}
