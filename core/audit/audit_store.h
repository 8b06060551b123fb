/* Private to audit/: the DAO's query interface. */
#ifndef AUDIT_STORE_H
#define AUDIT_STORE_H

#include <jansson.h>
#include <stdint.h>

#include "common/pg_err.h"

struct store_conn;

struct audit_filter {
	const char *actor, *action, *target_type, *target_id, *trace_id;
	const char *action_prefix; /* "release." for ?action=release.* */
	int64_t since_ms, until_ms;
	int64_t before_id; /* cursor: events older than this id */
	int64_t limit;
};

/* Appends matching events, newest first, to items; *next is the cursor for
 * the following page or 0 when there is none. */
int audit_store_list(struct store_conn *c, const struct audit_filter *f, json_t *items,
                     int64_t *next, struct pg_err *err);

#endif
