/* Who asked for a change and under which trace id: every service call that
 * changes state takes one, so tasks and audit events can name their cause. */
#ifndef PG_CALL_H
#define PG_CALL_H

struct pg_call {
	const char *actor; /* "token:3:deploy-bot", "node:7", "system" */
	const char *trace_id;
	const char *source_ip; /* NULL for the daemon's own work */
};

#endif
