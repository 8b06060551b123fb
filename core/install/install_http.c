/* install: GET /install/agent.sh and /install/agent.deb, public like
 * /ca.pem: what they serve is no secret, and the script pins the CA and
 * checks the join token before it changes anything. */
#include "install/install.h"
#include "common/pg_embed.h"
#include "pagodad.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

extern const struct pg_embedded install_scripts[];

static bool word_ok(const char *s, size_t max)
{
	size_t n = strlen(s);
	return n && n <= max && strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789.+~-") == n;
}

int install_agent_package(const char *dir, const char *arch, const char *version, char *path, size_t path_len,
			  char *found_version, size_t version_len, struct pg_err *err)
{
	if (!dir)
		return pg_err_set(err, PG_ENOTFOUND, "arch",
				  "pagodad serves no agent packages: set packages-dir (the package's default is "
				  "/usr/share/pagoda/packages)");
	if (!word_ok(arch, 32))
		return pg_err_set(err, PG_EINVAL, "arch", "arch must be a Debian architecture (amd64, arm64, ...)");
	if (version && !word_ok(version, 64))
		return pg_err_set(err, PG_EINVAL, "version", "version must be a package version (0.2.0, ...)");
	DIR *d = opendir(dir);
	if (!d)
		return pg_err_set(err, PG_ENOTFOUND, "arch", "cannot read packages-dir %s", dir);
	char best[128] = "", suffix[48];
	snprintf(suffix, sizeof(suffix), "_%s.deb", arch);
	for (struct dirent *e; (e = readdir(d));) {
		size_t n = strlen(e->d_name), sl = strlen(suffix);
		if (n <= 13 + sl || strncmp(e->d_name, "pagoda-agent_", 13) != 0 || strcmp(e->d_name + n - sl, suffix) != 0)
			continue;
		char v[128];
		snprintf(v, sizeof(v), "%.*s", (int)(n - 13 - sl), e->d_name + 13);
		if (!word_ok(v, 64) || (version && strcmp(v, version) != 0))
			continue;
		if (!*best || strverscmp(v, best) > 0)
			snprintf(best, sizeof(best), "%s", v);
	}
	closedir(d);
	if (!*best)
		return pg_err_set(err, PG_ENOTFOUND, version ? "version" : "arch",
				  "no pagoda-agent package %s%sfor %s in %s (put pagoda-agent_VERSION_%s.deb there)",
				  version ? version : "", version ? " " : "", arch, dir, arch);
	snprintf(path, path_len, "%s/pagoda-agent_%s_%s.deb", dir, best, arch);
	snprintf(found_version, version_len, "%s", best);
	return 0;
}

static void agent_sh(struct http_req *req)
{
	static struct http_static s;
	s = (struct http_static){.data = install_scripts[0].data, .len = install_scripts[0].size,
				 .content_type = "text/x-shellscript; charset=utf-8"};
	http_reply_static(req, 200, &s);
}

static void agent_deb(struct http_req *req)
{
	const struct pagodad *app = req->app;
	const char *arch = http_query(req, "arch"), *version = http_query(req, "version");
	char path[1200], v[128];
	struct pg_err err = {0};
	if (!arch) {
		http_reply_error(req, PG_EINVAL, "arch", "give ?arch= (dpkg --print-architecture)");
		return;
	}
	if (install_agent_package(app->packages_dir, arch, version, path, sizeof(path), v, sizeof(v), &err) != 0) {
		http_reply_err(req, &err);
		return;
	}
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0) {
		if (fd >= 0)
			close(fd);
		http_reply_error(req, PG_EINTERNAL, "", "cannot read %s", path);
		return;
	}
	char disp[200];
	snprintf(disp, sizeof(disp), "attachment; filename=\"pagoda-agent_%s_%s.deb\"", v, arch);
	http_reply_file(req, 200, fd, (size_t)st.st_size, "application/vnd.debian.binary-package");
	http_reply_header(req, "Content-Disposition", disp);
	http_reply_header(req, "X-Pagoda-Agent-Version", v);
}

const struct http_route install_routes[] = {
	{.method = "GET", .path = "/install/agent.sh", .auth = HTTP_AUTH_NONE, .fn = agent_sh},
	{.method = "GET", .path = "/install/agent.deb", .auth = HTTP_AUTH_NONE, .fn = agent_deb},
	{0},
};
