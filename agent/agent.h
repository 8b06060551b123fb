/* pagoda-agent: pulls tasks from pagodad, runs them in order, reports each. */
#ifndef AGENT_H
#define AGENT_H

#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/pg_err.h"

#define AGENT_VERSION PAGODA_VERSION
#define AGENT_OUTPUT_MAX (64 * 1024)

struct agent_paths;
struct agent_link;

struct agent {
	const char *server, *token_file, *state_dir, *ca_file, *root;
	int64_t node_id;
	bool allow_exec;
	struct agent_paths *paths;
	int64_t heartbeat_ms;
	struct agent_link *link;      /* the one connection to pagodad (agent_link.c) */
	_Atomic int64_t heartbeat_at; /* monotonic ms of the last heartbeat taken, 0 none */
	bool heartbeat_apart;         /* pagodad takes none in polls: the thread sends them */
	_Atomic bool poll_busy; /* the task loop runs tasks or waits out a failure: no poll soon */
	int64_t download_max_rate; /* bytes/s, 0: none */
	int artifacts_keep;        /* releases kept per application */
	volatile sig_atomic_t stopping;
	/* registered endpoints (agent_endpoints.c) */
	pthread_mutex_t ep_lock;
	json_t *endpoints; /* service -> {port, probe, health, ...} */
	bool ep_dirty;
	/* managed state reporting (agent_state.c) */
	int64_t state_ms;
	pthread_mutex_t st_lock;
	pthread_cond_t st_cond;
	json_t *watch; /* what this agent manages: files, units, certs, nginx */
	bool st_dirty; /* report soon: something was just deployed */
	bool st_force; /* report even if nothing differs: pagodad just recorded a task */
};

/* ---- HTTP client (agent_client.c): one per thread ---- */
/* ---- the connection to pagodad (agent_link.c) ---- */
/* Threads whose periodic sends the long poll must not hold up. */
enum agent_due { AGENT_DUE_STATE, AGENT_DUE_ENDPOINTS };
int agent_link_new(struct agent *a);
void agent_link_free(struct agent *a);
/* One exchange over the connection, once it is free (a poll gives way). */
int agent_link_post(struct agent *a, const char *path, json_t *body, const char *trace,
                    long timeout_ms, json_t **out, long *status, struct pg_err *err);
/* Over the connection if it is free, else over one of its own. */
int agent_link_post_urgent(struct agent *a, const char *path, json_t *body, long timeout_ms,
                           json_t **out, long *status, struct pg_err *err);
int agent_link_poll(struct agent *a, json_t *body, long timeout_ms, json_t **out, long *status,
                    struct pg_err *err);
/* When slot's thread sends next (monotonic ms, 0: nothing planned), and the
 * earliest of them (0: none). */
void agent_link_due(struct agent *a, enum agent_due slot, int64_t at_ms);
int64_t agent_link_next_due(struct agent *a);

struct agent_http;
struct agent_http *agent_http_new(struct agent *a);
void agent_http_free(struct agent_http *h);
/* Fields a caller may set after agent_http_new: anonymous sends no bearer
 * token (POST /agent/join); unverified skips TLS verification (only to
 * fetch a CA whose fingerprint the caller then checks). */
struct agent_http_flags {
	bool anonymous, unverified;
};
void agent_http_set(struct agent_http *h, struct agent_http_flags f);
/* GETs server+path as text (owned by the caller). */
int agent_http_get(struct agent_http *h, const char *path, char **text, size_t *len, long *status,
                   struct pg_err *err);
/* POSTs body to server+path under trace (NULL: the server makes one); *out
 * gets the JSON answer (any status), *status the HTTP status. Negative with
 * err on transport failure. */
int agent_http_post(struct agent_http *h, const char *path, json_t *body, const char *trace,
                    long timeout_ms, json_t **out, long *status, struct pg_err *err);
/* GETs server+path into file (via file.part, renamed when complete), at
 * most max bytes; sha256 gets the digest of what arrived. */
int agent_http_download(struct agent_http *h, const char *path, const char *file, int64_t max,
                        char sha256[65], struct pg_err *err);
/* A download with more say: from url (https://, checked against ca_file
 * or the system's CAs, never given the token) or pagodad's path (with the
 * agent's token when token), resuming a file.part an interrupted try left
 * (Range), at most max_rate bytes/s (0: no limit). The caller checks
 * sha256 against what it expects. */
struct agent_fetch {
	const char *url, *ca_file, *path;
	bool token, resume;
	int64_t max, max_rate;
	long timeout_ms;
	/* out */
	long status;
	int64_t resumed_from, received;
};
int agent_http_fetch(struct agent_http *h, struct agent_fetch *f, const char *file, char sha256[65],
                     struct pg_err *err);
/* Sleeps ms unless the agent is stopping; false when stopping. */
bool agent_sleep(struct agent *a, int64_t ms);
/* Capped exponential backoff with jitter: the delay before retry n (0-based). */
int64_t agent_backoff_ms(int n, int64_t cap_ms);

/* ---- enrolment (agent_enrol.c) ---- */
/* https:// always; http:// only with insecure_http and a loopback host. */
int agent_server_check(const char *server, bool insecure_http, struct pg_err *err);
/* Trusts the CA pagodad serves at /ca.pem when its SHA-256 matches
 * fingerprint ("sha256:HEX"), kept in STATE/ca.pem; sets a->ca_file. */
int agent_ca_pin(struct agent *a, const char *fingerprint, struct pg_err *err);
/* Makes sure the agent has a node id and a token: given, kept from an
 * earlier join (STATE/node-id), or obtained now with the one-time token in
 * join_file (written to a->token_file, 0600). name: the node's name (NULL:
 * the host name). */
int agent_join(struct agent *a, const char *join_file, const char *name, struct pg_err *err);

/* ---- journal (agent_journal.c): taskId is the idempotency key ---- */
int agent_journal_init(struct agent *a, struct pg_err *err);
/* The stored record of a task, or NULL. Caller decrefs. */
json_t *agent_journal_get(struct agent *a, int64_t task_id);
/* Stores record (borrowed) durably: temp file, fsync, rename. */
int agent_journal_put(struct agent *a, int64_t task_id, json_t *record, struct pg_err *err);

/* Stores v durably as STATE/name (temp file, fsync, rename, fsync of the
 * directory); name may name a subdirectory ("journal/12.json"). */
int agent_state_save(struct agent *a, const char *name, json_t *v, struct pg_err *err);

/* ---- paths (agent_paths.c): writes confined to allow-listed roots ---- */
int agent_paths_new(const char *prefix, const char *const *roots, size_t nroots,
                    struct agent_paths **out, struct pg_err *err);
void agent_paths_free(struct agent_paths *p);
/* Atomically writes content to path (a node path like /etc/pagoda/x.conf)
 * with mode/owner/group (owner/group may be NULL). *changed tells whether
 * anything differed. sha256 receives the content hash. */
int agent_paths_write(struct agent_paths *p, const char *path, const char *content, size_t len,
                      unsigned mode, const char *owner, const char *group, bool *changed,
                      char sha256[65], struct pg_err *err);
/* Removes path (a regular file or link) under the allowed roots. */
int agent_paths_remove(struct agent_paths *p, const char *path, struct pg_err *err);
/* Opens directory dir (created as needed, no symlink followed below its
 * root) as an fd; -1 with err on failure. */
int agent_paths_opendir(struct agent_paths *p, const char *dir, struct pg_err *err);
/* The --root prefix ("" for none). */
const char *agent_paths_prefix(const struct agent_paths *p);
/* Checks that path is absolute, normalised and under an allowed root. */
int agent_paths_check(struct agent_paths *p, const char *path, struct pg_err *err);

/* ---- executors (agent_exec*.c) ---- */
struct agent_result {
	bool ok;
	bool retryable;
	char error[1024];
	char *out, *errout; /* owned, may be NULL */
	int64_t exit_code;  /* INT64_MIN: none */
	json_t *artifacts;  /* owned, may be NULL */
};
void agent_result_free(struct agent_result *r);
/* Runs one delivered task; fills r. */
void agent_exec(struct agent *a, json_t *task, struct agent_result *r);
int agent_exec_files(struct agent *a, json_t *payload, int64_t timeout_sec, struct agent_result *r);
int agent_exec_run(struct agent *a, json_t *payload, int64_t timeout_sec, struct agent_result *r);

int agent_exec_unit_install(struct agent *a, json_t *payload, int64_t timeout_sec,
                            struct agent_result *r);
int agent_exec_unit_control(struct agent *a, json_t *payload, int64_t timeout_sec,
                            struct agent_result *r);
int agent_exec_nginx(struct agent *a, json_t *payload, int64_t timeout_sec, struct agent_result *r);
int agent_exec_certificate(struct agent *a, json_t *payload, int64_t timeout_sec,
                           struct agent_result *r);
int agent_exec_probe(struct agent *a, json_t *payload, int64_t timeout_sec, struct agent_result *r);
int agent_exec_upgrade(struct agent *a, json_t *payload, int64_t timeout_sec,
                       struct agent_result *r);
int agent_exec_inspect(struct agent *a, json_t *payload, int64_t timeout_sec,
                       struct agent_result *r);
int agent_exec_artifact(struct agent *a, json_t *payload, int64_t timeout_sec,
                        struct agent_result *r);

/* ---- unpacked trees (agent_tree.c) ---- */
/* Fingerprint of the tree under dfd: names, types, modes, sizes, contents
 * and link targets. cache (may be NULL) keeps content hashes by stat under
 * cache_prefix/name. */
int agent_tree_sha(int dfd, json_t *cache, const char *cache_prefix, char out[65],
                   struct pg_err *err);
/* Removes parent/name and all below it, following no symlink. */
int agent_tree_remove(int parent, const char *name);
/* After a heartbeat pagodad accepted: records the running version for the
 * upgrade guard (state-dir/running-version). */
void agent_upgrade_mark_running(struct agent *a);
/* Runs argv with a timeout; on failure fills r->error with the command's
 * stderr. *out (may be NULL) gets stdout. Returns the exit status. */
int agent_cmd(struct agent_result *r, int64_t timeout_ms, char *const argv[], char **out);
/* The last max runs of a oneshot unit (a scheduled job), newest first:
 * [{startedAtMs, endedAtMs?, durationMs?, result: running|succeeded|failed,
 * exitStatus?, exitCode?, unitResult?}], from systemd's journal entries. */
/* InspectUnit of a site: its access and error logs (payload siteName). */
int agent_site_logs(struct agent *a, json_t *p, struct agent_result *r);
int agent_unit_runs(const char *unit, int max, json_t **out, char *why, size_t why_len);
/* False (and r->error) for an agent with --root: commands would act on the
 * host, not on the prefixed tree. */
bool agent_can_run_commands(struct agent *a, struct agent_result *r, const char *what);

/* ---- served certificates (agent_tls.c) ---- */
/* SHA-256 (hex) of the first certificate in pem. */
int agent_tls_pem_fingerprint(const char *pem, size_t len, char out[65], struct pg_err *err);
/* SHA-256 (hex) of the certificate 127.0.0.1:port presents for sni. */
int agent_tls_served_fingerprint(int port, const char *sni, int timeout_ms, char out[65],
                                 struct pg_err *err);

/* ---- endpoints (agent_endpoints.c) ---- */
void agent_endpoints_init(struct agent *a);
/* Stops reporting the named services (a JSON array of names). */
void agent_endpoints_forget(struct agent *a, json_t *services);
void *agent_endpoints_main(void *arg);

/* ---- managed state (agent_state.c) ---- */
void agent_state_init(struct agent *a);
/* After a task succeeded: remembers what it put on the node. */
void agent_state_note(struct agent *a, const char *type, json_t *payload, json_t *artifacts);
/* Reports the managed state on change, every a->state_ms, and periodically. */
void *agent_state_main(void *arg);
/* Wakes the state thread (shutdown). */
void agent_state_wake(struct agent *a);
/* SHA-256 of `nginx -T` (the whole configuration nginx would load). */
int agent_nginx_config_sha(char out[65]);

/* ---- capabilities and facts (agent_caps.c) ---- */
json_t *agent_caps(const struct agent *a);
json_t *agent_facts(void);

#endif
