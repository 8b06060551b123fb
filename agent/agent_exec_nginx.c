/* RenderAndDeployNginx and DeployCertificate. A site file is replaced
 * atomically; when `nginx -t` refuses the result, the previous file is put
 * back (or the new one removed) before anything reloads, so nginx keeps
 * serving the old configuration. */
#include "agent.h"
#include "common/pg_file.h"
#include "common/pg_proc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Tests the whole nginx configuration and reloads (starting nginx when it is
 * not running); fills r->error on failure. tested says whether the test
 * passed. */
static int test_and_reload(struct agent *a, json_t *p, struct agent_result *r, bool *tested)
{
	char *test[] = {"nginx", "-t", NULL};
	*tested = false;
	if (agent_cmd(r, 60000, test, NULL) != 0)
		return -1;
	*tested = true;
	const char *how = json_string_value(json_object_get(p, "reloadCommand"));
	bool systemd = access("/run/systemd/system", F_OK) == 0;
	if ((how && strcmp(how, "nginx -s reload") == 0) || (!how && !systemd)) {
		char *reload[] = {"nginx", "-s", "reload", NULL};
		char *start[] = {"nginx", NULL};
		struct agent_result probe = {0};
		/* not running yet: start it */
		if (agent_cmd(&probe, 30000, reload, NULL) != 0 &&
		    agent_cmd(r, 30000, start, NULL) != 0)
			return -1;
		agent_result_free(&probe);
		return 0;
	}
	char *reload[] = {"systemctl", "reload-or-restart", "nginx", NULL};
	return agent_cmd(r, 60000, reload, NULL) == 0 ? 0 : -1;
}

/* The configuration nginx now has, for drift detection. */
static void note_nginx_config(json_t *artifacts)
{
	char sha[65];
	if (agent_nginx_config_sha(sha) == 0)
		json_object_set_new(artifacts, "nginxConfigSha256", json_string(sha));
}

/* Puts old (NULL: nothing) back at path. */
static void restore(struct agent *a, const char *path, const char *old, size_t len)
{
	struct pg_err err = {0};
	char sha[65];
	bool changed;
	if (old)
		agent_paths_write(a->paths, path, old, len, 0644, NULL, NULL, &changed, sha, &err);
	else
		agent_paths_remove(a->paths, path, &err);
}

int agent_exec_nginx(struct agent *a, json_t *p, int64_t timeout_sec, struct agent_result *r)
{
	const char *site = json_string_value(json_object_get(p, "siteName"));
	const char *path = json_string_value(json_object_get(p, "targetPath"));
	json_t *content = json_object_get(p, "content");
	char def[512], sha[65], real[4096];
	char *old = NULL;
	size_t old_len = 0;
	bool changed = false, tested = false;
	struct pg_err err = {0};
	if (!agent_can_run_commands(a, r, "RenderAndDeployNginx"))
		return -1;
	if (!path) {
		snprintf(def, sizeof(def), "/etc/nginx/conf.d/%s.conf", site);
		path = def;
	}
	if (agent_paths_check(a->paths, path, &err) != 0) {
		snprintf(r->error, sizeof(r->error), "%s", err.message);
		return -1;
	}
	snprintf(real, sizeof(real), "%s", path);
	if (pg_file_read(real, 16 << 20, &old, &old_len, &err) != 0)
		old = NULL;
	if (agent_paths_write(a->paths, path, json_string_value(content),
	                      json_string_length(content), 0644, NULL, NULL, &changed, sha,
	                      &err) != 0) {
		snprintf(r->error, sizeof(r->error), "%.400s: %.500s", path, err.message);
		free(old);
		return -1;
	}
	int rc = 0;
	/* The same bytes: no test, no reload (design.md 15.2). */
	if (changed && (rc = test_and_reload(a, p, r, &tested)) != 0 && !tested) {
		restore(a, path, old, old_len);
		size_t n = strlen(r->error);
		snprintf(r->error + n, sizeof(r->error) - n, "; the previous %s was restored",
		         path);
	}
	free(old);
	if (rc != 0)
		return -1;
	r->artifacts = json_pack("{s:s, s:s, s:b, s:b}", "path", path, "sha256", sha, "changed",
	                         changed, "reloaded", changed);
	note_nginx_config(r->artifacts);
	r->ok = true;
	return 0;
}

/* Whether the running nginx configuration (nginx -T) names path as a
 * certificate: only then must nginx be serving it. */
static bool nginx_uses(const char *path)
{
	char *test[] = {"nginx", "-T", NULL}, *out = NULL, why[128];
	bool used = false;
	char *errout = NULL;
	if (pg_run(test, NULL, 30000, 32u << 20, &out, &errout, why, sizeof(why)) == 0 && out) {
		size_t n = strlen(path);
		for (const char *at = out; !used && (at = strstr(at, path)); at += n)
			used = (at[n] == ';' || at[n] == ' ' || at[n] == '"' || at[n] == '\'') &&
			       at > out && (at[-1] == ' ' || at[-1] == '"' || at[-1] == '\'');
	}
	free(out);
	free(errout);
	return used;
}

/* After the reload, nginx is asked for the certificate it serves to
 * verify.serverName until it is the deployed one or the time is up (a
 * reload replaces workers gradually). */
static int verify_served(json_t *p, const char *cert_path, json_t *cert, json_t *artifacts,
                         struct agent_result *r)
{
	json_t *v = json_object_get(p, "verify");
	const char *sni = json_string_value(json_object_get(v, "serverName"));
	int port = json_object_get(v, "port") ? (int)json_integer_value(json_object_get(v, "port"))
	                                      : 443;
	int64_t budget = json_object_get(v, "timeoutMs")
	                         ? json_integer_value(json_object_get(v, "timeoutMs"))
	                         : 10000;
	char want[65] = "", got[65] = "";
	struct pg_err err = {0};
	if (!sni)
		return 0;
	if (!nginx_uses(cert_path)) {
		json_object_set_new(
		        artifacts, "verified",
		        json_string("skipped: no nginx server uses this certificate yet"));
		return 0;
	}
	if (agent_tls_pem_fingerprint(json_string_value(cert), json_string_length(cert), want,
	                              &err) != 0) {
		snprintf(r->error, sizeof(r->error), "%s", err.message);
		return -1;
	}
	struct timespec t0, now;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		pg_err_clear(&err);
		got[0] = '\0';
		if (agent_tls_served_fingerprint(port, sni, 2000, got, &err) == 0 &&
		    strcmp(got, want) == 0)
			break;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if ((now.tv_sec - t0.tv_sec) * 1000 + (now.tv_nsec - t0.tv_nsec) / 1000000 >=
		    budget) {
			snprintf(r->error, sizeof(r->error),
			         "nginx on port %d serves %s for %s, not the deployed certificate "
			         "%s",
			         port, got[0] ? got : err.message, sni, want);
			r->retryable = true;
			return -1;
		}
		usleep(200 * 1000);
	}
	json_object_set_new(artifacts, "servedSha256", json_string(got));
	json_object_set_new(artifacts, "verified", json_true());
	return 0;
}

int agent_exec_certificate(struct agent *a, json_t *p, int64_t timeout_sec, struct agent_result *r)
{
	const char *cert_path = json_string_value(json_object_get(p, "certPath"));
	const char *key_path = json_string_value(json_object_get(p, "keyPath"));
	const char *owner = json_string_value(json_object_get(p, "owner"));
	const char *group = json_string_value(json_object_get(p, "group"));
	const char *mode_s = json_string_value(json_object_get(p, "certMode"));
	json_t *cert = json_object_get(p, "certPem"), *key = json_object_get(p, "keyPem");
	unsigned mode = mode_s ? (unsigned)strtoul(mode_s, NULL, 8) & 0777 : 0644;
	char csha[65], ksha[65];
	bool cchanged = false, kchanged = false, tested;
	struct pg_err err = {0};
	if (agent_paths_check(a->paths, cert_path, &err) != 0 ||
	    agent_paths_check(a->paths, key_path, &err) != 0) {
		snprintf(r->error, sizeof(r->error), "%s", err.message);
		return -1;
	}
	/* The key first, and only ever 0600: never a window with a readable key. */
	if (agent_paths_write(a->paths, key_path, json_string_value(key), json_string_length(key),
	                      0600, owner, group, &kchanged, ksha, &err) != 0 ||
	    agent_paths_write(a->paths, cert_path, json_string_value(cert),
	                      json_string_length(cert), mode, owner, group, &cchanged, csha,
	                      &err) != 0) {
		snprintf(r->error, sizeof(r->error), "%s", err.message);
		return -1;
	}
	bool reload = json_is_true(json_object_get(p, "reload")) && (cchanged || kchanged);
	if (reload && (!agent_can_run_commands(a, r, "reloading nginx") ||
	               test_and_reload(a, p, r, &tested) != 0))
		return -1;
	r->artifacts = json_pack("{s:s, s:s, s:b, s:b}", "certSha256", csha, "keySha256", ksha,
	                         "changed", cchanged || kchanged, "reloaded", reload);
	if (json_is_true(json_object_get(p, "reload")) && !(a->root && *a->root) &&
	    verify_served(p, cert_path, cert, r->artifacts, r) != 0)
		return -1;
	if (json_is_true(json_object_get(p, "reload")) && !(a->root && *a->root))
		note_nginx_config(r->artifacts);
	r->ok = true;
	return 0;
}
