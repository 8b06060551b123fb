/* The actual state of what this agent manages, reported to POST /agent/state
 * so pagodad can see drift (design.md 4.1, 11.2). What is managed comes from the
 * tasks that succeeded here (kept in STATE/watch.json across restarts); the
 * report carries hashes and states, never contents. Files are hashed again
 * only when their stat changes. The report is sent when it differs from the
 * last one sent and at least every STATE_REFRESH_MS anyway. */
#include "agent.h"
#include "common/pg_crypto.h"
#include "common/pg_file.h"
#include "common/pg_log.h"
#include "common/pg_proc.h"
#include "common/pg_time.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define STATE_REFRESH_MS (5 * 60 * 1000)

static json_t *section(json_t *watch, const char *key)
{
	json_t *s = json_object_get(watch, key);
	if (!json_is_object(s))
		json_object_set_new(watch, key, s = json_object());
	return s;
}

void agent_state_init(struct agent *a)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/watch.json", a->state_dir);
	pthread_mutex_init(&a->st_lock, NULL);
	pthread_cond_init(&a->st_cond, NULL);
	a->watch = json_load_file(path, 0, NULL);
	if (!json_is_object(a->watch)) {
		json_decref(a->watch);
		a->watch = json_object();
	}
	a->st_dirty = true;
}

static void watch_file(json_t *watch, const char *path)
{
	if (path)
		json_object_set_new(section(watch, "files"), path, json_object());
}

void agent_state_note(struct agent *a, const char *type, json_t *p, json_t *art)
{
	size_t i;
	json_t *f;
	pthread_mutex_lock(&a->st_lock);
	json_t *w = a->watch;
	if (strcmp(type, "ApplyConfigFiles") == 0) {
		json_array_foreach (json_object_get(art, "files"), i, f)
			watch_file(w, json_string_value(json_object_get(f, "path")));
	} else if (strcmp(type, "SystemdInstallUnit") == 0 || strcmp(type, "SystemdControl") == 0) {
		watch_file(w, json_string_value(json_object_get(art, "path")));
		const char *unit = json_string_value(json_object_get(p, "unitName"));
		if (unit)
			json_object_set_new(section(w, "units"), unit, json_object());
	} else if (strcmp(type, "RenderAndDeployNginx") == 0) {
		watch_file(w, json_string_value(json_object_get(art, "path")));
		json_object_set_new(w, "nginx", json_true());
	} else if (strcmp(type, "FetchArtifact") == 0) {
		const char *path = json_string_value(json_object_get(art, "path"));
		if (path)
			json_object_set_new(section(w, "trees"), path, json_object());
	} else if (strcmp(type, "DeployCertificate") == 0) {
		watch_file(w, json_string_value(json_object_get(p, "certPath")));
		watch_file(w, json_string_value(json_object_get(p, "keyPath")));
		json_t *v = json_object_get(p, "verify");
		const char *sni = json_string_value(json_object_get(v, "serverName"));
		if (sni && json_object_get(art, "servedSha256")) {
			char key[300];
			json_int_t port = json_object_get(v, "port")
			                          ? json_integer_value(json_object_get(v, "port"))
			                          : 443;
			snprintf(key, sizeof(key), "%lld:%s", (long long)port, sni);
			json_object_set_new(
			        section(w, "certs"), key,
			        json_pack("{s:I, s:s}", "port", port, "serverName", sni));
		}
		if (json_is_true(json_object_get(p, "reload")))
			json_object_set_new(w, "nginx", json_true());
	}
	struct pg_err err = {0};
	if (agent_state_save(a, "watch.json", w, &err) != 0)
		pg_warn("agent", "%s", err.message);
	a->st_dirty = true;
	a->st_force = true;
	pthread_cond_signal(&a->st_cond);
	pthread_mutex_unlock(&a->st_lock);
}

void agent_state_wake(struct agent *a)
{
	pthread_mutex_lock(&a->st_lock);
	pthread_cond_broadcast(&a->st_cond);
	pthread_mutex_unlock(&a->st_lock);
}

int agent_nginx_config_sha(char out[65])
{
	char *argv[] = {"nginx", "-T", NULL}, *o = NULL, *e = NULL, why[128];
	int rc = pg_run(argv, NULL, 30000, 32u << 20, &o, &e, why, sizeof(why));
	if (rc == 0 && o)
		pg_sha256_hex(o, strlen(o), out);
	free(o);
	free(e);
	return rc == 0 ? 0 : -1;
}

/* A file's hash, from cache while its stat is unchanged. */
static json_t *file_state(struct agent *a, json_t *cache, const char *path)
{
	char real[4200], sig[128];
	struct stat st;
	snprintf(real, sizeof(real), "%s%s", agent_paths_prefix(a->paths), path);
	if (lstat(real, &st) != 0 || !S_ISREG(st.st_mode)) {
		json_object_del(cache, path);
		return json_pack("{s:b}", "missing", 1);
	}
	snprintf(sig, sizeof(sig), "%llu:%llu:%lld:%lld.%09ld:%o", (unsigned long long)st.st_dev,
	         (unsigned long long)st.st_ino, (long long)st.st_size, (long long)st.st_mtim.tv_sec,
	         st.st_mtim.tv_nsec, (unsigned)st.st_mode);
	json_t *c = json_object_get(cache, path);
	if (c && strcmp(json_string_value(json_object_get(c, "sig")), sig) == 0)
		return json_pack("{s:O}", "sha256", json_object_get(c, "sha256"));
	char *data = NULL, sha[65];
	size_t len = 0;
	struct pg_err err = {0};
	if (pg_file_read(real, 64u << 20, &data, &len, &err) != 0)
		return json_pack("{s:s}", "error", err.message);
	pg_sha256_hex(data, len, sha);
	explicit_bzero(data, len); /* may be a private key */
	free(data);
	json_object_set_new(cache, path, json_pack("{s:s, s:s}", "sig", sig, "sha256", sha));
	return json_pack("{s:s}", "sha256", sha);
}

/* The fingerprint of the tree a `current` link points at (agent_tree.c). */
static json_t *tree_state(struct agent *a, json_t *cache, const char *path)
{
	char real[4200];
	snprintf(real, sizeof(real), "%s%s", agent_paths_prefix(a->paths), path);
	int fd = open(real, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return json_pack("{s:b}", "missing", 1);
	char sha[65];
	struct pg_err err = {0};
	int rc = agent_tree_sha(fd, cache, real, sha, &err);
	close(fd);
	return rc == 0 ? json_pack("{s:s}", "sha256", sha)
	               : json_pack("{s:s}", "error", err.message);
}

/* ActiveState and UnitFileState of each unit, in one systemctl call. */
static void unit_states(json_t *units, json_t *out)
{
	size_t n = json_object_size(units), i = 0;
	if (n == 0 || access("/run/systemd/system", F_OK) != 0)
		return;
	char **argv = calloc(n + 5, sizeof(*argv));
	const char *name;
	json_t *v;
	argv[i++] = "systemctl";
	argv[i++] = "show";
	argv[i++] = "-p";
	argv[i++] = "Id,ActiveState,UnitFileState";
	json_object_foreach (units, name, v)
		argv[i++] = (char *)name;
	char *o = NULL, *e = NULL, why[64];
	if (pg_run(argv, NULL, 10000, 1u << 20, &o, &e, why, sizeof(why)) == 0 && o) {
		/* one block per unit, in the order asked, separated by blank lines */
		json_t *cur = NULL;
		const char *id = NULL;
		for (char *save = NULL, *line = strtok_r(o, "\n", &save); line;
		     line = strtok_r(NULL, "\n", &save)) {
			char *eq = strchr(line, '=');
			if (!eq)
				continue;
			*eq = '\0';
			if (strcmp(line, "Id") == 0) {
				id = eq + 1;
				cur = json_object();
				json_object_set_new(out, id, cur);
			} else if (cur) {
				json_object_set_new(cur,
				                    strcmp(line, "ActiveState") == 0 ? "active"
				                                                     : "enabled",
				                    json_string(eq + 1));
			}
		}
	}
	free(o);
	free(e);
	free(argv);
}

static json_t *measure(struct agent *a, json_t *cache)
{
	pthread_mutex_lock(&a->st_lock);
	json_t *w = json_deep_copy(a->watch);
	pthread_mutex_unlock(&a->st_lock);
	json_t *files = json_object(), *units = json_object(), *certs = json_object(), *v;
	const char *k;
	json_object_foreach (json_object_get(w, "files"), k, v)
		json_object_set_new(files, k, file_state(a, cache, k));
	json_t *trees = json_object();
	json_object_foreach (json_object_get(w, "trees"), k, v)
		json_object_set_new(trees, k, tree_state(a, cache, k));
	bool commands = !(a->root && *a->root);
	if (commands)
		unit_states(json_object_get(w, "units"), units);
	json_object_foreach (json_object_get(w, "certs"), k, v) {
		char got[65];
		struct pg_err err = {0};
		if (agent_tls_served_fingerprint(
		            (int)json_integer_value(json_object_get(v, "port")),
		            json_string_value(json_object_get(v, "serverName")), 2000, got,
		            &err) == 0)
			json_object_set_new(certs, k, json_pack("{s:s}", "sha256", got));
		else
			json_object_set_new(certs, k, json_pack("{s:s}", "error", err.message));
	}
	json_t *r = json_pack("{s:I, s:o, s:o, s:o, s:o}", "nodeId", (json_int_t)a->node_id,
	                      "files", files, "units", units, "certs", certs, "trees", trees);
	char sha[65];
	if (commands && json_is_true(json_object_get(w, "nginx")) &&
	    agent_nginx_config_sha(sha) == 0)
		json_object_set_new(r, "nginx", json_pack("{s:s}", "configSha256", sha));
	json_decref(w);
	return r;
}

void *agent_state_main(void *arg)
{
	struct agent *a = arg;
	json_t *cache = json_object(), *sent = NULL;
	int64_t sent_at = 0;
	int failures = 0;
	while (!a->stopping) {
		pthread_mutex_lock(&a->st_lock);
		bool force = a->st_force;
		a->st_dirty = a->st_force = false;
		pthread_mutex_unlock(&a->st_lock);
		json_t *r = measure(a, cache);
		int64_t now = pg_time_mono_ms();
		/* after a task, always: pagodad compares against what the task
		 * recorded, and only a report received after it counts */
		if (force || !sent || !json_equal(r, sent) || now - sent_at >= STATE_REFRESH_MS) {
			json_t *out = NULL;
			long status = 0;
			struct pg_err err = {0};
			int rc = agent_link_post(a, "/agent/state", r, NULL, 30000, &out, &status,
			                         &err);
			if (rc == 0 && status == 200) {
				json_decref(sent);
				sent = json_incref(r);
				sent_at = now;
				failures = 0;
				/* the refresh is planned: the long poll ends in time for it */
				agent_link_due(a, AGENT_DUE_STATE, now + STATE_REFRESH_MS);
			} else {
				pthread_mutex_lock(&a->st_lock);
				a->st_force = a->st_force || force; /* try again */
				pthread_mutex_unlock(&a->st_lock);
				if (failures++ % 10 == 0)
					pg_warn("agent", "state report failed (%ld): %s", status,
					        rc ? err.message
					           : json_string_value(json_object_get(
					                     json_object_get(out, "error"),
					                     "message")));
			}
			json_decref(out);
		}
		json_decref(r);
		/* sleep until the interval passes or a task changed something */
		pthread_mutex_lock(&a->st_lock);
		if (!a->st_dirty && !a->stopping) {
			int64_t ms =
			        failures ? agent_backoff_ms(failures, a->state_ms) : a->state_ms;
			struct timespec until;
			pg_time_after(CLOCK_REALTIME, ms, &until);
			pthread_cond_timedwait(&a->st_cond, &a->st_lock, &until);
		}
		pthread_mutex_unlock(&a->st_lock);
	}
	json_decref(cache);
	json_decref(sent);
	return NULL;
}
