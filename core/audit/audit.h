/* audit: an append-only record of every state change, written in the same
 * transaction as the change itself so one never exists without the other. */
#ifndef AUDIT_H
#define AUDIT_H

#include <jansson.h>
#include <stdint.h>

#include "common/pg_call.h"
#include "common/pg_err.h"

struct store_conn;

/* Records action (e.g. "node.create") on target; details is borrowed and
 * must hold no secret. target_id 0 means none. */
int audit_record(struct store_conn *c, const struct pg_call *call, const char *action,
                 const char *target_type, int64_t target_id, json_t *details, struct pg_err *err);
/* The same, taking the reference to details (a json_pack made for it). */
int audit_record_new(struct store_conn *c, const struct pg_call *call, const char *action,
                     const char *target_type, int64_t target_id, json_t *details,
                     struct pg_err *err);

#endif
