/* Payload checks per task type (design.md 13.4). The control plane refuses what
 * no agent should ever see; the agent checks paths again against its roots. */
#include "cluster/cluster.h"
#include "common/pg_task_types.h"
#include "common/pg_json.h"
#include "common/pg_path.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#define MAX_CONTENT (4u << 20)

#define TASK_NAME(name, validator, executor) #name,
const char *const cluster_task_types[] = {PG_TASK_TYPES(TASK_NAME) NULL};
#undef TASK_NAME

/* A node path as pg_path defines it. */
static int check_path(json_t *obj, const char *key, bool required, const char **out,
                      struct pg_err *err)
{
	const char *p = NULL;
	int rc = pg_json_str(obj, key, required, PG_PATH_MAX + 1, &p, err);
	if (rc != 0 || !p)
		return rc;
	const char *why = pg_path_problem(p);
	if (why)
		return pg_err_set(err, PG_EINVAL, key, "%s %s", key, why);
	if (out)
		*out = p;
	return 0;
}

static int check_mode(json_t *obj, const char *key, struct pg_err *err)
{
	const char *m = NULL;
	int rc = pg_json_str(obj, key, false, 8, &m, err);
	if (rc != 0 || !m)
		return rc;
	size_t n = strlen(m);
	bool ok = (n == 3 || (n == 4 && m[0] == '0'));
	for (size_t i = 0; ok && i < n; i++)
		ok = m[i] >= '0' && m[i] <= '7';
	if (!ok)
		return pg_err_set(
		        err, PG_EINVAL, key,
		        "%s must be octal permission bits like \"0640\" (no setuid/setgid/sticky)",
		        key);
	return 0;
}

/* A user or group: a POSIX-portable name or a number. */
static int check_account(json_t *obj, const char *key, struct pg_err *err)
{
	const char *a = NULL;
	int rc = pg_json_str(obj, key, false, 32, &a, err);
	if (rc != 0 || !a)
		return rc;
	bool ok = *a != '\0' && *a != '-';
	for (const char *p = a; ok && *p; p++)
		ok = strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.",
		            *p) != NULL;
	if (!ok)
		return pg_err_set(err, PG_EINVAL, key, "%s must be a user/group name or number",
		                  key);
	return 0;
}

static int check_unit_name(json_t *obj, struct pg_err *err)
{
	const char *u = NULL;
	int rc = pg_json_str(obj, "unitName", true, 255, &u, err);
	if (rc != 0)
		return rc;
	const char *dot = strrchr(u, '.');
	static const char *const suffixes[] = {".service", ".socket", ".timer", ".target",
	                                       ".path",    ".mount",  NULL};
	bool ok = dot && dot != u && u[0] != '-' && u[0] != '.';
	for (const char *p = u; ok && *p; p++)
		ok = strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789:_.@-\\",
		            *p) != NULL;
	bool suffix = false;
	for (int i = 0; ok && suffixes[i]; i++)
		suffix |= strcmp(dot, suffixes[i]) == 0;
	if (!ok || !suffix)
		return pg_err_set(err, PG_EINVAL, "unitName",
		                  "unitName must be a systemd unit name like myapp.service");
	return 0;
}

static int check_enum(json_t *obj, const char *key, bool required, const char *const values[],
                      struct pg_err *err)
{
	const char *v = NULL;
	int rc = pg_json_str(obj, key, required, 64, &v, err);
	if (rc != 0 || !v)
		return rc;
	for (int i = 0; values[i]; i++)
		if (strcmp(v, values[i]) == 0)
			return 0;
	char list[256] = "";
	for (int i = 0; values[i]; i++)
		snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s", i ? ", " : "",
		         values[i]);
	return pg_err_set(err, PG_EINVAL, key, "%s must be one of: %s", key, list);
}

static int v_apply_config_files(json_t *p, struct pg_err *err)
{
	static const char *const top[] = {"files", NULL};
	static const char *const fields[] = {"path",  "content", "mode", "owner",
	                                     "group", "secret",  NULL};
	json_t *files = NULL;
	bool secret;
	int rc = pg_json_only(p, top, err);
	if (rc == 0)
		rc = pg_json_arr(p, "files", true, 256, &files, err);
	if (rc != 0)
		return rc;
	if (json_array_size(files) == 0)
		return pg_err_set(err, PG_EINVAL, "files", "files must list at least one file");
	size_t i;
	json_t *f;
	json_array_foreach (files, i, f) {
		const char *content;
		if (!json_is_object(f))
			rc = pg_err_set(err, PG_EINVAL, "", "each file must be an object");
		else if ((rc = pg_json_only(f, fields, err)) == 0 &&
		         (rc = check_path(f, "path", true, NULL, err)) == 0 &&
		         (rc = pg_json_str(f, "content", true, MAX_CONTENT, &content, err)) == 0 &&
		         (rc = check_mode(f, "mode", err)) == 0 &&
		         (rc = check_account(f, "owner", err)) == 0 &&
		         (rc = check_account(f, "group", err)) == 0)
			rc = pg_json_bool(f, "secret", false, &secret, err);
		if (rc != 0) {
			char prefix[32];
			snprintf(prefix, sizeof(prefix), "files[%zu]", i);
			pg_err_prefix_field(err, prefix);
			return rc;
		}
	}
	return 0;
}

static int v_systemd_install_unit(json_t *p, struct pg_err *err)
{
	static const char *const fields[] = {"unitName", "unitPath", "content", "enable", NULL};
	const char *content;
	bool enable;
	int rc = pg_json_only(p, fields, err);
	if (rc == 0)
		rc = check_unit_name(p, err);
	if (rc == 0)
		rc = check_path(p, "unitPath", false, NULL, err);
	if (rc == 0)
		rc = pg_json_str(p, "content", true, MAX_CONTENT, &content, err);
	if (rc == 0)
		rc = pg_json_bool(p, "enable", false, &enable, err);
	return rc;
}

/* A registry service name as the registry accepts it. */
static bool service_name_ok(json_t *v)
{
	const char *s = json_string_value(v);
	if (!s || !*s || strlen(s) > 63 || s[0] == '-' || s[0] == '.')
		return false;
	for (; *s; s++)
		if (!strchr("abcdefghijklmnopqrstuvwxyz0123456789-._", *s))
			return false;
	return true;
}

const char *const cluster_signals[] = {"HUP", "USR1", "USR2", "INT", "TERM", "QUIT", "WINCH", NULL};

static int v_systemd_control(json_t *p, struct pg_err *err)
{
	static const char *const fields[] = {"unitName", "action", "deregister", "signal", NULL};
	/* run: start without waiting (a scheduled job run now) */
	static const char *const actions[] = {"start",  "stop", "restart", "reload",
	                                      "status", "kill", "run",     NULL};
	json_t *dereg = NULL;
	int rc = pg_json_only(p, fields, err);
	if (rc == 0)
		rc = check_unit_name(p, err);
	if (rc == 0)
		rc = check_enum(p, "action", true, actions, err);
	bool kill = rc == 0 && !strcmp(json_string_value(json_object_get(p, "action")), "kill");
	if (rc == 0 && (kill || json_object_get(p, "signal")))
		rc = check_enum(p, "signal", true, cluster_signals, err);
	if (rc == 0 && !kill && json_object_get(p, "signal"))
		rc = pg_err_set(err, PG_EINVAL, "signal", "signal goes with action kill");
	if (rc == 0)
		rc = pg_json_arr(p, "deregister", false, 32, &dereg, err);
	size_t i;
	json_t *v;
	json_array_foreach (dereg, i, v)
		if (rc == 0 && !service_name_ok(v))
			rc = pg_err_set(err, PG_EINVAL, "deregister",
			                "deregister[%zu] must be a service name", i);
	return rc;
}

/* siteName: a file name under conf.d and the logs (letters, digits, . _ -). */
static int check_site_name(json_t *p, bool required, struct pg_err *err)
{
	const char *site = NULL;
	int rc = pg_json_str(p, "siteName", required, 128, &site, err);
	if (rc != 0 || !site)
		return rc;
	bool ok = *site != '\0' && *site != '.';
	for (const char *s = site; ok && *s; s++)
		ok = strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-",
		            *s) != NULL;
	return ok ? 0
	          : pg_err_set(err, PG_EINVAL, "siteName",
	                       "siteName may hold only letters, digits and . _ -");
}

static int v_nginx(json_t *p, struct pg_err *err)
{
	static const char *const fields[] = {"siteName",    "targetPath",    "content",
	                                     "testCommand", "reloadCommand", NULL};
	/* Commands are chosen from a fixed list: a deploy permission must not
	 * become a way to run anything on a node. */
	static const char *const tests[] = {"nginx -t", NULL};
	static const char *const reloads[] = {"nginx -s reload", "systemctl reload nginx", NULL};
	const char *content;
	int rc = pg_json_only(p, fields, err);
	if (rc == 0)
		rc = check_site_name(p, true, err);
	if (rc == 0)
		rc = check_path(p, "targetPath", false, NULL, err);
	if (rc == 0)
		rc = pg_json_str(p, "content", true, MAX_CONTENT, &content, err);
	if (rc == 0)
		rc = check_enum(p, "testCommand", false, tests, err);
	if (rc == 0)
		rc = check_enum(p, "reloadCommand", false, reloads, err);
	return rc;
}

/* verify: after the reload the agent asks its own nginx, with serverName as
 * SNI, which certificate it serves. */
static int check_tls_verify(json_t *v, struct pg_err *err)
{
	static const char *const fields[] = {"serverName", "port", "timeoutMs", NULL};
	const char *sni = NULL;
	int64_t n;
	int rc = pg_json_only(v, fields, err);
	if (rc == 0)
		rc = pg_json_str(v, "serverName", true, 253, &sni, err);
	for (const char *c = sni; rc == 0 && *c; c++)
		if (!(isalnum((unsigned char)*c) || *c == '-' || *c == '.'))
			rc = pg_err_set(err, PG_EINVAL, "verify.serverName",
			                "verify.serverName must be a host name");
	if (rc == 0)
		rc = pg_json_int(v, "port", false, 1, 65535, &n, err);
	if (rc == 0)
		rc = pg_json_int(v, "timeoutMs", false, 100, 120000, &n, err);
	if (rc != 0 && strncmp(err->field, "verify.", 7) != 0)
		pg_err_prefix_field(err, "verify");
	return rc;
}

static int v_certificate(json_t *p, struct pg_err *err)
{
	static const char *const fields[] = {"certPath",     "keyPath",     "certPem",  "keyPem",
	                                     "owner",        "group",       "certMode", "reload",
	                                     "keyPemSealed", "sealContext", "verify",   NULL};
	const char *cert, *key;
	bool reload;
	json_t *verify = NULL;
	int rc = pg_json_only(p, fields, err);
	if (rc == 0)
		rc = check_path(p, "certPath", true, NULL, err);
	if (rc == 0)
		rc = check_path(p, "keyPath", true, NULL, err);
	if (rc == 0)
		rc = pg_json_str(p, "certPem", true, 1u << 20, &cert, err);
	if (rc == 0 && !strstr(cert, "-----BEGIN CERTIFICATE-----"))
		rc = pg_err_set(err, PG_EINVAL, "certPem", "certPem must hold a PEM certificate");
	/* The key comes plain, or sealed by pagodad (opened only on delivery). */
	bool sealed = json_is_string(json_object_get(p, "keyPemSealed"));
	if (rc == 0 && sealed)
		rc = pg_json_str(p, "sealContext", true, 128, &key, err);
	if (rc == 0 && !sealed)
		rc = pg_json_str(p, "keyPem", true, 1u << 20, &key, err);
	if (rc == 0 && !sealed && !strstr(key, "PRIVATE KEY-----"))
		rc = pg_err_set(err, PG_EINVAL, "keyPem", "keyPem must hold a PEM private key");
	if (rc == 0)
		rc = check_account(p, "owner", err);
	if (rc == 0)
		rc = check_account(p, "group", err);
	if (rc == 0)
		rc = check_mode(p, "certMode", err);
	if (rc == 0)
		rc = pg_json_bool(p, "reload", false, &reload, err);
	if (rc == 0)
		rc = pg_json_obj(p, "verify", false, &verify, err);
	if (rc == 0 && verify)
		rc = check_tls_verify(verify, err);
	return rc;
}

static bool package_word(const char *s, size_t max)
{
	size_t n = strlen(s);
	return n && n <= max && strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789.+~-") == n;
}

/* The agent fetches /install/agent.deb?arch=A&version=V itself and checks
 * it against sha256[A]: nothing here names a URL or a path. */
static int v_upgrade_agent(json_t *p, struct pg_err *err)
{
	static const char *const fields[] = {"version", "sha256", "deadlineSec", NULL};
	const char *version = NULL;
	int64_t n;
	int rc = pg_json_only(p, fields, err);
	if (rc == 0)
		rc = pg_json_str(p, "version", true, 64, &version, err);
	if (rc == 0 && !package_word(version, 64))
		return pg_err_set(err, PG_EINVAL, "version",
		                  "version must be a package version (0.2.1, ...)");
	if (rc == 0)
		rc = pg_json_int(p, "deadlineSec", true, 10, 3600, &n, err);
	json_t *sums = json_object_get(p, "sha256"), *v;
	const char *arch;
	if (rc == 0 && (!json_is_object(sums) || !json_object_size(sums)))
		return pg_err_set(err, PG_EINVAL, "sha256",
		                  "sha256 must map architectures to package digests");
	json_object_foreach (sums, arch, v) {
		const char *hex = json_string_value(v);
		if (rc == 0 && (!package_word(arch, 32) || !hex || strlen(hex) != 64 ||
		                strspn(hex, "0123456789abcdef") != 64))
			rc = pg_err_set(err, PG_EINVAL, "sha256",
			                "sha256 maps an architecture to 64 lowercase hex digits");
	}
	return rc;
}

static bool hex64(const char *s)
{
	return s && strlen(s) == 64 && strspn(s, "0123456789abcdef") == 64;
}

/* One artifact of a FetchArtifact: a blob of pagodad (no url) or an
 * https:// download, checked against sha256 before anything uses it. */
static int check_artifact(json_t *f, struct pg_err *err)
{
	static const char *const fields[] = {"sha256", "url",  "caFile",          "dest",
	                                     "unpack", "mode", "stripComponents", NULL};
	static const char *const unpacks[] = {"tar.gz", "tar.xz", "zip", "none", NULL};
	const char *sha = NULL, *url = NULL, *dest = NULL, *unpack = NULL, *why;
	int64_t n;
	int rc = json_is_object(f) ? pg_json_only(f, fields, err)
	                           : pg_err_set(err, PG_EINVAL, "", "must be an object");
	if (rc == 0)
		rc = pg_json_str(f, "sha256", true, 64, &sha, err);
	if (rc == 0 && !hex64(sha))
		return pg_err_set(err, PG_EINVAL, "sha256",
		                  "sha256 must be 64 lowercase hex digits");
	if (rc == 0)
		rc = pg_json_str(f, "url", false, 2048, &url, err);
	if (rc == 0 && url &&
	    (strncmp(url, "https://", 8) != 0 || strlen(url) < 9 || strpbrk(url, " \"\\<>") ||
	     !pg_str_is_printable(url)))
		return pg_err_set(err, PG_EINVAL, "url", "url must be an https:// URL");
	if (rc == 0)
		rc = check_path(f, "caFile", false, NULL, err);
	if (rc == 0 && json_object_get(f, "caFile") && !url)
		return pg_err_set(err, PG_EINVAL, "caFile", "caFile goes with an https:// url");
	if (rc == 0)
		rc = check_enum(f, "unpack", true, unpacks, err);
	unpack = json_string_value(json_object_get(f, "unpack"));
	if (rc == 0)
		rc = pg_json_str(f, "dest", false, PG_PATH_MAX, &dest, err);
	if (rc == 0 && dest && (why = pg_relpath_problem(dest)))
		return pg_err_set(err, PG_EINVAL, "dest", "dest %s (inside the release directory)",
		                  why);
	if (rc == 0 && !dest && strcmp(unpack, "none") == 0)
		return pg_err_set(err, PG_EINVAL, "dest",
		                  "an artifact that is not unpacked needs dest (its file name)");
	if (rc == 0)
		rc = check_mode(f, "mode", err);
	if (rc == 0 && json_object_get(f, "mode") && strcmp(unpack, "none") != 0)
		return pg_err_set(err, PG_EINVAL, "mode",
		                  "mode applies to a file that is not unpacked (archives keep "
		                  "their own modes)");
	if (rc == 0)
		rc = pg_json_int(f, "stripComponents", false, 0, 16, &n, err);
	if (rc == 0 && json_object_get(f, "stripComponents") && strcmp(unpack, "none") == 0)
		return pg_err_set(err, PG_EINVAL, "stripComponents",
		                  "stripComponents applies to archives");
	return rc;
}

static int v_fetch_artifact(json_t *p, struct pg_err *err)
{
	static const char *const fields[] = {"app", "release", "artifacts", "keep", NULL};
	const char *app = NULL, *rel = NULL;
	json_t *arts = NULL, *f;
	int64_t n;
	size_t i;
	int rc = pg_json_only(p, fields, err);
	if (rc == 0)
		rc = pg_json_str(p, "app", true, 64, &app, err);
	if (rc == 0 &&
	    (!*app || strspn(app, "abcdefghijklmnopqrstuvwxyz0123456789-") != strlen(app)))
		return pg_err_set(err, PG_EINVAL, "app",
		                  "app must be an application name (lowercase letters, digits, -)");
	if (rc == 0)
		rc = pg_json_str(p, "release", true, 64, &rel, err);
	if (rc == 0 && !hex64(rel))
		return pg_err_set(err, PG_EINVAL, "release",
		                  "release must be the 64-hex digest of the artifacts");
	if (rc == 0)
		rc = pg_json_int(p, "keep", false, 1, 100, &n, err);
	if (rc == 0)
		rc = pg_json_arr(p, "artifacts", true, 16, &arts, err);
	if (rc == 0 && json_array_size(arts) == 0)
		return pg_err_set(err, PG_EINVAL, "artifacts", "give at least one artifact");
	json_array_foreach (arts, i, f) {
		if (rc == 0 && (rc = check_artifact(f, err)) != 0) {
			char prefix[32];
			snprintf(prefix, sizeof(prefix), "artifacts[%zu]", i);
			pg_err_prefix_field(err, prefix);
		}
	}
	return rc;
}

/* A unit's state and journal lines (logs; the cursor is journalctl's own),
 * or with siteName the access and error logs of a site Pagoda manages. */
static int v_inspect_unit(json_t *p, struct pg_err *err)
{
	static const char *const fields[] = {"unitName", "siteName", "lines", "afterCursor",
	                                     "runs",     "since",    NULL};
	const char *cur = NULL;
	int64_t n;
	int rc = pg_json_only(p, fields, err);
	bool site = json_object_get(p, "siteName") != NULL;
	if (rc == 0 && site && json_object_get(p, "unitName"))
		rc = pg_err_set(err, PG_EINVAL, "siteName", "give unitName or siteName, not both");
	if (rc == 0)
		rc = site ? check_site_name(p, true, err) : check_unit_name(p, err);
	if (rc == 0)
		rc = pg_json_int(p, "lines", false, 1, 1000, &n, err);
	if (rc == 0) /* a job's last runs, from systemd's own journal entries */
		rc = pg_json_int(p, "runs", false, 0, 100, &n, err);
	if (rc == 0) /* lines from then on (Unix seconds) */
		rc = pg_json_int(p, "since", false, 0, INT64_C(1) << 40, &n, err);
	if (rc == 0)
		rc = pg_json_str(p, "afterCursor", false, 512, &cur, err);
	if (rc == 0 && cur && (!pg_str_is_printable(cur) || strchr(cur, '\n')))
		rc = pg_err_set(err, PG_EINVAL, "afterCursor",
		                "afterCursor must be a journal cursor");
	return rc;
}

static int v_health_probe(json_t *p, struct pg_err *err)
{
	static const char *const fields[] = {"kind",        "unitName",     "host",       "port",
	                                     "url",         "expectStatus", "timeoutSec", "retries",
	                                     "intervalSec", "register",     NULL};
	static const char *const reg_fields[] = {"service", "port", "weight", "version", NULL};
	json_t *reg = NULL;
	static const char *const kinds[] = {"process", "tcp", "http", NULL};
	int64_t n;
	const char *kind = NULL, *s = NULL;
	int rc = pg_json_only(p, fields, err);
	if (rc == 0)
		rc = check_enum(p, "kind", true, kinds, err);
	if (rc != 0)
		return rc;
	kind = json_string_value(json_object_get(p, "kind"));
	if (strcmp(kind, "process") == 0)
		rc = check_unit_name(p, err);
	else if (strcmp(kind, "tcp") == 0)
		rc = pg_json_int(p, "port", true, 1, 65535, &n, err);
	else if ((rc = pg_json_str(p, "url", true, 2048, &s, err)) == 0 &&
	         strncmp(s, "http://", 7) != 0 && strncmp(s, "https://", 8) != 0)
		rc = pg_err_set(err, PG_EINVAL, "url", "url must start with http:// or https://");
	if (rc == 0)
		rc = pg_json_str(p, "host", false, 255, &s, err);
	if (rc == 0)
		rc = pg_json_int(p, "expectStatus", false, 100, 599, &n, err);
	if (rc == 0)
		rc = pg_json_int(p, "timeoutSec", false, 1, 3600, &n, err);
	if (rc == 0)
		rc = pg_json_int(p, "retries", false, 0, 1000, &n, err);
	if (rc == 0)
		rc = pg_json_int(p, "intervalSec", false, 1, 3600, &n, err);
	if (rc == 0)
		rc = pg_json_obj(p, "register", false, &reg, err);
	if (rc == 0 && reg) {
		rc = pg_json_only(reg, reg_fields, err);
		if (rc == 0 && !service_name_ok(json_object_get(reg, "service")))
			rc = pg_err_set(err, PG_EINVAL, "service",
			                "service must be a registry service name");
		if (rc == 0)
			rc = pg_json_int(reg, "port", true, 1, 65535, &n, err);
		if (rc == 0)
			rc = pg_json_int(reg, "weight", false, 1, 1000, &n, err);
		if (rc == 0)
			rc = pg_json_str(reg, "version", false, 128, &s, err);
		if (rc != 0)
			pg_err_prefix_field(err, "register");
	}
	return rc;
}

static int v_run_command(json_t *p, struct pg_err *err)
{
	static const char *const fields[] = {"argv", "cwd", NULL};
	json_t *argv = NULL;
	int rc = pg_json_only(p, fields, err);
	if (rc == 0)
		rc = pg_json_arr(p, "argv", true, 256, &argv, err);
	if (rc == 0)
		rc = check_path(p, "cwd", false, NULL, err);
	if (rc != 0)
		return rc;
	if (json_array_size(argv) == 0)
		return pg_err_set(err, PG_EINVAL, "argv", "argv must name a program");
	size_t i;
	json_t *a;
	json_array_foreach (argv, i, a) {
		if (!json_is_string(a) || json_string_length(a) > 65536 ||
		    strlen(json_string_value(a)) != json_string_length(a) ||
		    (i == 0 && json_string_length(a) == 0))
			return pg_err_set(err, PG_EINVAL, "argv",
			                  "argv[%zu] must be a string without NUL", i);
	}
	return 0;
}

static const struct {
	const char *type;
	int (*fn)(json_t *, struct pg_err *);
} validators[] = {
#define VALIDATOR(name, validator, executor) {#name, validator},
        PG_TASK_TYPES(VALIDATOR)
#undef VALIDATOR
};

int cluster_task_validate(const char *type, json_t *payload, struct pg_err *err)
{
	for (size_t i = 0; i < sizeof(validators) / sizeof(validators[0]); i++) {
		if (strcmp(type, validators[i].type) != 0)
			continue;
		if (!json_is_object(payload))
			return pg_err_set(err, PG_EINVAL, "payload", "payload must be an object");
		int rc = validators[i].fn(payload, err);
		if (rc != 0)
			pg_err_prefix_field(err, "payload");
		return rc;
	}
	return pg_err_set(err, PG_EINVAL, "type",
	                  "unknown task type '%s' (known: ApplyConfigFiles, SystemdInstallUnit, "
	                  "SystemdControl, RenderAndDeployNginx, DeployCertificate, HealthProbe, "
	                  "RunCommand, UpgradeAgent, FetchArtifact, InspectUnit)",
	                  type);
}
