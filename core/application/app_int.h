/* Private to application/. */
#ifndef APP_INT_H
#define APP_INT_H

#include <pthread.h>
#include <stdbool.h>

#include "application/application.h"
#include "application/app_state.h"

struct store_conn;

struct app {
	struct store *store;
	struct cluster *cluster;
	struct registry *registry;
	struct config *config;
	struct plua *lua;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	bool stopping, running, kicked;
	int followers;       /* log streams open (app_logs.c) */
	pthread_cond_t idle; /* signalled when one ends */
	int64_t debounce_ms;
	struct pg_map *pending; /* app id -> rendering waiting out its debounce */
	struct app_certs certs;
};

/* An ingress's tls as the nginx_site template takes it: a certificateId
 * becomes the certificate's paths on the node. *out is new (NULL: no tls). */
int app_ingress_tls(struct app *a, json_t *tls, json_t **out, struct pg_err *err);

/* ---- DAO (app_store.c); rows come out as API-shaped JSON ---- */
int app_store_insert(struct store_conn *c, json_t *app, int64_t *id, struct pg_err *err);
int app_store_update(struct store_conn *c, int64_t id, json_t *app, struct pg_err *err);
int app_store_get(struct store_conn *c, int64_t id, json_t **out, struct pg_err *err);
int app_store_list(struct store_conn *c, int64_t after, int64_t limit, json_t *items,
                   struct pg_err *err);
/* The scheduled jobs that have a current release. */
int app_store_list_jobs(struct store_conn *c, json_t *items, struct pg_err *err);
int app_store_delete(struct store_conn *c, int64_t id, struct pg_err *err);
int app_store_set_current(struct store_conn *c, int64_t app_id, int64_t release_id,
                          struct pg_err *err);

int app_ingress_insert(struct store_conn *c, int64_t app_id, json_t *spec, const char *site,
                       int64_t *id, struct pg_err *err);
int app_ingress_update(struct store_conn *c, int64_t id, json_t *spec, struct pg_err *err);
int app_ingress_get(struct store_conn *c, int64_t id, json_t **out, struct pg_err *err);
int app_ingress_delete(struct store_conn *c, int64_t id, struct pg_err *err);
int app_ingress_list(struct store_conn *c, int64_t app_id, json_t *items, struct pg_err *err);

struct rel_in {
	int64_t app_id, version, previous, rollback_of;
	const char *kind, *status, *artifacts, *diff, *diff_text, *target_nodes, *note, *trace_id,
	        *created_by;
};
int app_release_insert(struct store_conn *c, const struct rel_in *in, int64_t *id,
                       struct pg_err *err);
int app_release_next_version(struct store_conn *c, int64_t app_id, int64_t *v, struct pg_err *err);
/* full: artifacts, diff text and plan too. */
int app_release_get(struct store_conn *c, int64_t id, bool full, json_t **out, struct pg_err *err);
int app_release_list(struct store_conn *c, int64_t app_id, json_t *items, struct pg_err *err);
/* The application's newest release {id, kind, status}; *out NULL when none. */
int app_release_newest(struct store_conn *c, int64_t app_id, json_t **out, struct pg_err *err);
int app_release_set_status(struct store_conn *c, int64_t id, enum app_release_status status,
                           const char *error, struct pg_err *err);
int app_release_set_approved(struct store_conn *c, int64_t id, const char *by, struct pg_err *err);
int app_release_set_plan(struct store_conn *c, int64_t id, json_t *plan, struct pg_err *err);
/* Releases in status (e.g. "running"): ids into items. */
int app_release_ids(struct store_conn *c, const char *status, json_t *items, struct pg_err *err);
/* Any release of the app still in flight (created, approved, running, paused). */
int app_release_active(struct store_conn *c, int64_t app_id, int64_t *id, struct pg_err *err);

int app_batch_insert(struct store_conn *c, int64_t rel, int64_t idx, json_t *spec,
                     struct pg_err *err);
int app_batch_list(struct store_conn *c, int64_t rel, json_t *items, struct pg_err *err);
int app_batch_set(struct store_conn *c, int64_t rel, int64_t idx, enum app_batch_status status,
                  json_t *decision, int64_t not_before, struct pg_err *err);
int app_node_insert(struct store_conn *c, int64_t rel, int64_t node, int64_t batch,
                    enum app_node_status status, const char *error, struct pg_err *err);
int app_node_list(struct store_conn *c, int64_t rel, json_t *items, struct pg_err *err);
int app_node_set(struct store_conn *c, int64_t rel, int64_t node, enum app_node_status status,
                 json_t *tasks, const char *error, struct pg_err *err);

/* Releases by status into counts {status: n}; newest finished release of
 * each application into items. */
int app_release_counts(struct store_conn *c, json_t *counts, struct pg_err *err);
int app_release_last_finished(struct store_conn *c, json_t *items, struct pg_err *err);

int app_site_get(struct store_conn *c, int64_t app_id, char sha[65], struct pg_err *err);
int app_site_put(struct store_conn *c, int64_t app_id, const char *sha, int64_t idx,
                 struct pg_err *err);

/* ---- releases (app_release.c) ---- */
int app_release_create(struct app *a, const struct pg_call *call, int64_t app_id, const char *kind,
                       int64_t rollback_of, int64_t target_release, json_t *target_nodes,
                       const char *note, json_t **out, struct pg_err *err);
/* A rolling restart: a release of the current artifacts that only
 * restarts each node's unit (health-gated, in the batch policy's batches),
 * started at once. */
int app_restart(struct app *a, const struct pg_call *call, int64_t app_id, const char *note,
                json_t **out, struct pg_err *err);
/* Whether an application (as the API shows it) is a scheduled job: a
 * SystemdService whose spec has a schedule. */
bool app_is_job(json_t *app);
/* Runs a scheduled job now on each node of its current release. */
int app_job_run(struct app *a, const struct pg_call *call, int64_t app_id, json_t **out,
                struct pg_err *err);

/* Each batch's outcome once done: failed when a node of it failed or
 * timed out, else succeeded (null before); and failedNodes. */
void app_batch_outcomes(json_t *batches, json_t *nodes);
/* The control action a node's unit gets once a release's files are in
 * place, from the previous release's artifacts (old, NULL for the first)
 * and this one's (design.md 14.1): "restart" when the unit, its desired
 * state or the fetched artifacts changed or a config file went away, else
 * the strongest onChange of the files that changed ("reload", or "kill"
 * with *sig the signal of signal:NAME), or "start" when nothing did. */
const char *app_control_of(json_t *old, json_t *new, const char **sig);

/* ---- InspectUnit on an application's nodes (app_inspect.c) ---- */
struct app_inspect_opts {
	int64_t lines, runs, since; /* since: Unix seconds, 0 none */
	int64_t node_id;            /* one node of the application's, 0 all */
	json_t *after;              /* key -> journal cursor (borrowed) */
};
/* What is inspected: targets [{nodeId, nodeName, key, site?}], one per
 * node, or per node and site of a reverse proxy (key "NODE" or
 * "NODE:SITE", the key of the cursors). */
struct app_inspect_set {
	json_t *targets, *sites; /* sites: NULL unless a reverse proxy */
	char unit[80];
};
/* Checks the body of POST /admin/apps/:id/inspect into o. */
int app_inspect_parse(json_t *body, struct app_inspect_opts *o, struct pg_err *err);
int app_inspect_set(struct app *a, int64_t app_id, const struct app_inspect_opts *o,
                    struct app_inspect_set *set, struct pg_err *err);
void app_inspect_set_clear(struct app_inspect_set *set);
/* Queues InspectUnit for one target (after its cursor in o->after). */
int app_inspect_queue(struct app *a, const struct pg_call *call, const struct app_inspect_set *set,
                      json_t *target, const struct app_inspect_opts *o, int64_t *task_id,
                      struct pg_err *err);
/* Where a log stream goes: write(event, data) sends one event (event NULL:
 * a keepalive) and returns false once the reader has gone, which gone
 * tells without writing; close ends it. */
struct app_logs_sink {
	bool (*write)(void *arg, const char *event, json_t *data);
	bool (*gone)(void *arg);
	void (*close)(void *arg);
	void *arg;
};
/* Streams the application's log lines to sink from a thread of its own
 * (query as app_inspect's body, without afterCursor and runs), ending once
 * each node answered, or with follow when the reader goes. On success the
 * stream owns sink and closes it; on failure the caller still does. */
int app_logs_stream(struct app *a, const struct pg_call *call, int64_t app_id, json_t *body,
                    bool follow, const struct app_logs_sink *sink, struct pg_err *err);
/* Queues InspectUnit (state and journal lines of the unit) on each node
 * the application targets; *out lists the tasks to read the answers from. */
int app_inspect(struct app *a, const struct pg_call *call, int64_t app_id, json_t *body,
                json_t **out, struct pg_err *err);
/* The ids of the nodes (app_node_list rows) a release touched: what a
 * rollback of it must put back. */
json_t *app_nodes_touched(json_t *nodes);
/* The nodes an application targets now: [{id, name, labels, status, ip}]. */
int app_targets(struct app *a, json_t *app, json_t **nodes, struct pg_err *err);
/* Queues one task for owner (payload stolen); appends its id (an existing
 * one for a repeated key) to ids. */
int app_task_queue(struct app *a, struct store_conn *c, const struct pg_call *call,
                   const char *owner, int64_t node, const char *type, json_t *payload,
                   const int64_t *deps, size_t ndeps, const char *key, int64_t timeout, json_t *ids,
                   struct pg_err *err);
/* One step of running release rid (app_rollout.c). */
int app_rollout_advance(struct app *a, int64_t rid, struct pg_err *err);
/* Upstreams following endpoint health (app_upstream.c); _free drops what
 * is still waiting out its debounce. */
void app_upstream_sync(struct app *a);
void app_upstream_free(struct app *a);
/* Why node cannot run what app needs (its agent's reported capabilities:
 * systemd, nginx, --root), in buf; NULL when it can or has not said. */
const char *app_node_unready(const json_t *app, const json_t *node, char *buf, size_t len);

/* ---- applications (app_svc.c) ---- */
int app_create(struct app *a, const struct pg_call *call, json_t *body, json_t **out,
               struct pg_err *err);
int app_update(struct app *a, const struct pg_call *call, int64_t id, json_t *body, json_t **out,
               struct pg_err *err);
int app_get(struct app *a, int64_t id, json_t **out, struct pg_err *err);
/* A page of applications (next: the cursor of the following page, 0 at
 * the end). */
int app_list(struct app *a, int64_t cursor, int64_t limit, json_t **items, int64_t *next,
             struct pg_err *err);
/* DELETE /admin/apps/:id (app_delete.c). */
int app_delete(struct app *a, const struct pg_call *call, int64_t id, bool forced,
               struct pg_err *err);
/* Release use cases (app_release_ops.c): the releases of an application;
 * one release with batches, nodes and tasks in brief; an operator's move
 * (approve, execute, pause, resume, cancel: a table says from where to
 * where);
 * a rollback ({targetReleaseId?}) as a new running release. */
int app_releases_of(struct app *a, int64_t app_id, json_t **items, struct pg_err *err);
int app_release_view(struct app *a, int64_t id, json_t **out, struct pg_err *err);
int app_release_act(struct app *a, const struct pg_call *call, int64_t id, const char *action,
                    json_t **out, struct pg_err *err);
int app_release_rollback(struct app *a, const struct pg_call *call, int64_t id, json_t *body,
                         json_t **out, struct pg_err *err);
int app_ingress_find(struct app *a, int64_t id, json_t **out, struct pg_err *err);
/* Deletes an ingress; its site leaves the nodes with the app's next release. */
int app_ingress_remove(struct app *a, const struct pg_call *call, int64_t id, struct pg_err *err);
int app_ingress_put(struct app *a, const struct pg_call *call, int64_t app_id, int64_t ingress_id,
                    json_t *spec, json_t **out, struct pg_err *err);
json_t *app_service_of(json_t *app);
/* One hash over the sites' hashes: what the upstream sync compares. */
void app_sites_sha(json_t *sites, char sha[65]);
/* The nginx_site input for ingress ing of app app_name as site `site`;
 * resolve false gives each service an unavailable upstream (validation). */
int app_ingress_site_input(struct app *a, const char *app_name, const char *site, json_t *ing,
                           bool resolve, json_t **out, struct pg_err *err);
int app_ingress_render(struct app *a, json_t *in, char **text, char sha[65], struct pg_err *err);
int app_render_sites(struct app *a, const char *app_name, json_t *ingresses, json_t **sites,
                     char sha[65], struct pg_err *err);

/* ---- artifacts (app_artifacts.c) ---- */
#define APP_ROOT "/var/lib/pagoda/apps"
/* APP_ROOT/name/current: the release the unit runs. */
void app_current_dir(const char *name, char *buf, size_t len);
/* spec.artifacts as a FetchArtifact payload {app, release, artifacts},
 * checked as the agent will; with c, each blob must exist. */
int app_artifacts_freeze(struct store_conn *c, const char *name, json_t *spec_arts, json_t **out,
                         struct pg_err *err);
/* The release's references to the blobs it uses (so they stay). */
int app_artifacts_ref(struct store_conn *c, int64_t release_id, json_t *fetch, struct pg_err *err);
/* The unit of a SystemdService app; relative paths mean the current release. */
int app_render_unit(struct app *a, const char *name, json_t *spec, char **text, struct pg_err *err);
/* The timer of a scheduled job (spec.schedule), through templates/systemd_timer.lua. */
int app_render_timer(struct app *a, const char *name, json_t *spec, char **text,
                     struct pg_err *err);

/* ---- the reconciler (app_reconciler.c) ---- */
void app_reconcile_once(struct app *a);
void app_kick(struct app *a);

#endif
