/* The shipped policies and templates as typed C calls. Each validates the
 * script's answer; *out is a new reference the caller frees. */
#ifndef PLUA_POLICY_H
#define PLUA_POLICY_H

#include "lua/plua.h"

/* policies/batch.lua plan(ctx): every node of ctx.nodes appears exactly once,
 * in a batch or in skipped. */
int plua_batch_plan(struct plua *h, json_t *ctx, json_t **plan, struct pg_err *err);
/* policies/upstream.lua filter(service, endpoints, opts): servers are a
 * subset of endpoints. */
int plua_upstream_filter(struct plua *h, json_t *service, json_t *endpoints, json_t *opts,
                         json_t **result, struct pg_err *err);
/* policies/rollback.lua decide(ctx). */
int plua_rollback_decide(struct plua *h, json_t *ctx, json_t **decision, struct pg_err *err);
/* policies/drift.lua decide(ctx) -> {action = "heal"|"alert", reason}. */
int plua_drift_decide(struct plua *h, json_t *ctx, json_t **decision, struct pg_err *err);
/* templates/<name>.lua render(input) -> text (malloc'd). Input problems are
 * PG_EINVAL with err->field naming the input field. */
int plua_render(struct plua *h, const char *name, json_t *input, char **text, struct pg_err *err);

#endif
