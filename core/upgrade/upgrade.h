/* upgrade: agent upgrades rolled out from the control plane. Nodes go in
 * batches from policies/batch.lua; each gets an UpgradeAgent task (the
 * agent hands the switch to a guard unit that rolls back on its own), and
 * counts as upgraded only once it heartbeats with the new agentVersion.
 * A node that fails or does not come back within the deadline stops the
 * rollout. */
#ifndef UPGRADE_H
#define UPGRADE_H

#include "common/pg_call.h"
#include "common/pg_err.h"
#include "http/http.h"

#include <jansson.h>

struct store;
struct cluster;
struct plua;
struct upgrade;

int upgrade_new(struct store *s, struct cluster *cl, struct plua *lua, const char *packages_dir,
                struct upgrade **out, struct pg_err *err);
void upgrade_free(struct upgrade *u);
/* body: {to, selector?, deadlineSec?, strategy?}; *out the rollout. */
int upgrade_create(struct upgrade *u, const struct pg_call *call, json_t *body, json_t **out,
                   struct pg_err *err);
int upgrade_get(struct upgrade *u, int64_t id, json_t **out, struct pg_err *err);
int upgrade_list(struct upgrade *u, json_t *items, struct pg_err *err);

extern const struct http_route upgrade_routes[];

#endif
