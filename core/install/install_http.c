/* install: GET /install/agent.sh and /install/agent.deb, public like
 * /ca.pem: what they serve is no secret, and the script pins the CA and
 * checks the join token before it changes anything. */
#include "install/install.h"
#include "common/pg_crypto.h"
#include "common/pg_embed.h"
#include "pagodad.h"

#include <dirent.h>
#include <fcntl.h>
#include <openssl/evp.h>
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

int install_agent_package(const char *dir, const char *arch, const char *version, char *path,
                          size_t path_len, char *found_version, size_t version_len,
                          struct pg_err *err)
{
	if (!dir)
		return pg_err_set(err, PG_ENOTFOUND, "arch",
		                  "pagodad serves no agent packages: set packages-dir (the "
		                  "package's default is "
		                  "/usr/share/pagoda/packages)");
	if (!word_ok(arch, 32))
		return pg_err_set(err, PG_EINVAL, "arch",
		                  "arch must be a Debian architecture (amd64, arm64, ...)");
	if (version && !word_ok(version, 64))
		return pg_err_set(err, PG_EINVAL, "version",
		                  "version must be a package version (0.2.0, ...)");
	DIR *d = opendir(dir);
	if (!d)
		return pg_err_set(err, PG_ENOTFOUND, "arch", "cannot read packages-dir %s", dir);
	char best[128] = "", suffix[48];
	snprintf(suffix, sizeof(suffix), "_%s.deb", arch);
	for (struct dirent *e; (e = readdir(d));) {
		size_t n = strlen(e->d_name), sl = strlen(suffix);
		if (n <= 13 + sl || strncmp(e->d_name, "pagoda-agent_", 13) != 0 ||
		    strcmp(e->d_name + n - sl, suffix) != 0)
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
		                  "no pagoda-agent package %s%sfor %s in %s (put "
		                  "pagoda-agent_VERSION_%s.deb there)",
		                  version ? version : "", version ? " " : "", arch, dir, arch);
	snprintf(path, path_len, "%s/pagoda-agent_%s_%s.deb", dir, best, arch);
	snprintf(found_version, version_len, "%s", best);
	return 0;
}

static int file_sha256(const char *path, char out[65])
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	bool ok = fd >= 0 && md && EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1;
	unsigned char buf[65536], d[32];
	unsigned int n = 0;
	ssize_t r;
	while (ok && (r = read(fd, buf, sizeof(buf))) > 0)
		ok = EVP_DigestUpdate(md, buf, (size_t)r) == 1;
	ok = ok && EVP_DigestFinal_ex(md, d, &n) == 1;
	if (ok)
		pg_hex_encode(d, n, out);
	EVP_MD_CTX_free(md);
	if (fd >= 0)
		close(fd);
	return ok ? 0 : -1;
}

int install_agent_digests(const char *dir, const char *version, json_t *out, struct pg_err *err)
{
	if (!dir)
		return pg_err_set(err, PG_EPRECOND, "to",
		                  "pagodad serves no agent packages: set packages-dir");
	if (!word_ok(version, 64))
		return pg_err_set(err, PG_EINVAL, "to",
		                  "to must be a package version (0.2.1, ...)");
	DIR *d = opendir(dir);
	if (!d)
		return pg_err_set(err, PG_EPRECOND, "to", "cannot read packages-dir %s", dir);
	char prefix[96];
	snprintf(prefix, sizeof(prefix), "pagoda-agent_%s_", version);
	int rc = 0;
	for (struct dirent *e; rc == 0 && (e = readdir(d));) {
		size_t n = strlen(e->d_name), pl = strlen(prefix);
		if (n <= pl + 4 || strncmp(e->d_name, prefix, pl) != 0 ||
		    strcmp(e->d_name + n - 4, ".deb") != 0)
			continue;
		char arch[64], path[1200], sum[65];
		snprintf(arch, sizeof(arch), "%.*s", (int)(n - pl - 4), e->d_name + pl);
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (!word_ok(arch, 32))
			continue;
		if (file_sha256(path, sum) != 0)
			rc = pg_err_set(err, PG_EINTERNAL, "", "cannot read %s", path);
		else
			json_object_set_new(out, arch, json_string(sum));
	}
	closedir(d);
	if (rc == 0 && !json_object_size(out))
		rc = pg_err_set(
		        err, PG_EPRECOND, "to",
		        "no pagoda-agent %s package in %s (put pagoda-agent_%s_ARCH.deb there)",
		        version, dir, version);
	return rc;
}

static void agent_sh(struct http_req *req)
{
	static struct http_static s;
	s = (struct http_static){.data = install_scripts[0].data,
	                         .len = install_scripts[0].size,
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
	if (install_agent_package(app->packages_dir, arch, version, path, sizeof(path), v,
	                          sizeof(v), &err) != 0) {
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
