/* application: the unifying object (design.md 3): applications of type
 * SystemdService and ReverseProxy, their ingresses, and releases that roll
 * them out in batches through the other components' clients only. */
#ifndef APPLICATION_H
#define APPLICATION_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/pg_call.h"
#include "common/pg_err.h"

struct store;
struct cluster;
struct registry;
struct config;
struct plua;
struct app;
struct store_conn;

/* Starts the reconciler, which advances running releases from stored state
 * (so a restart resumes them) and keeps ReverseProxy upstreams in sync with
 * the registry. debounce_ms: how long a new upstream rendering must stay
 * the same before it is deployed. */
int app_new(struct store *s, struct cluster *cl, struct registry *reg, struct config *cfg,
            struct plua *lua, int64_t debounce_ms, struct app **out, struct pg_err *err);
void app_free(struct app *a);

/* Whether an ingress refers to certificate id; by names it. */
bool app_certificate_in_use(struct app *a, int64_t cert_id, char *by, size_t len);
/* Appends to node_ids the target nodes of every application whose ingress
 * uses certificate cert_id. */
int app_certificate_nodes(struct app *a, struct store_conn *c, int64_t cert_id, json_t *node_ids,
                          struct pg_err *err);

/* The certificate center as releases see it (set once, before the first
 * request): default paths of a certificate, and its deploy to one node as a
 * release step inside c's transaction. */
struct app_certs {
	void *arg;
	int (*paths)(void *arg, int64_t cert_id, char cert_path[300], char key_path[300],
	             struct pg_err *err);
	int (*deploy)(void *arg, struct store_conn *c, const struct pg_call *call, int64_t cert_id,
	              int64_t node, const char *once, int64_t *task_id, struct pg_err *err);
};
void app_set_certs(struct app *a, const struct app_certs *certs);

/* Wakes the reconciler now (a release task finished, a release started). */
void app_kick(struct app *a);
/* The same, and on a shared store the reconciler of the replica leading
 * releases too: a release task settled. */
void app_kick_everywhere(struct app *a);
/* config_on_publish: releases the applications whose config files follow
 * item_id with autoRelease (canary first, per their strategy). */
struct pg_call;
void app_config_published(void *arg, const struct pg_call *call, int64_t item_id, int64_t version);
/* blob_fetch_check: whether a release node is part of uses blob sha. */
int app_blob_fetch_allowed(void *arg, struct store_conn *c, int64_t node, const char *sha,
                           struct pg_err *err);
/* The owner tag of an application's tasks ("app:12"). */
void app_owner(int64_t app_id, char owner[32]);
/* What drift needs of an application: {app: {id, name, type, strategy,
 * currentReleaseId}, targets: [node ids], activeReleaseId, inFlight: [node
 * ids the active release has not finished]}. PG_ENOTFOUND when it is gone. */
int app_drift_view(struct app *a, int64_t app_id, json_t **out, struct pg_err *err);
/* {byStatus: {status: n}, lastFinished: [{appId, appName, releaseId,
 * version, kind, status, error, finishedAt}]} for alerts and metrics. */
int app_release_summary(struct app *a, json_t **out, struct pg_err *err);
/* Scheduled jobs with a release: [{appId, appName, unit, nodes: [ids]}]
 * (the nodes of the current release it reached). */
int app_jobs(struct app *a, json_t **out, struct pg_err *err);

#endif
