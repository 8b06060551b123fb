/* store: the database door. Services never see a driver type; DAO files
 * write portable SQL with $1..$N parameters and RETURNING, which both the
 * embedded SQLite store and the PostgreSQL store accept.
 *
 * Connections are per thread (store_conn_get); statements are cached per
 * connection, keyed by the address of their SQL text, so pass string
 * literals. A statement is used as: prepare, bind, step until 0, done. */
#ifndef STORE_H
#define STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/pg_err.h"

struct store;
struct store_conn;
struct store_stmt;

/* READ: one snapshot. WRITE: serialised with every other WRITE (on
 * PostgreSQL across replicas too), so read-then-write logic is safe.
 * ROWS: a write that relies on row locks alone (PostgreSQL), for bulk
 * updates that do not read first (heartbeat flushes); keep row order fixed
 * (by id) so two of them cannot deadlock. SQLite treats it as WRITE. */
enum store_tx { STORE_TX_READ, STORE_TX_WRITE, STORE_TX_ROWS };

/* Opens the store and applies pending migrations: target is a SQLite file
 * path (created if needed) or a PostgreSQL URL ("postgres://..."). The
 * caller frees *out with store_free. */
int store_open(const char *target, struct store **out, struct pg_err *err);
void store_free(struct store *s);
bool store_is_postgres(const char *target);
/* Schema version after migrations. */
int store_schema_version(struct store *s);
/* "sqlite" or "postgres". */
const char *store_driver_name(struct store *s);

/* The calling thread's connection, opened on first use and closed when the
 * thread exits or the store is freed. NULL with err filled on failure. */
struct store_conn *store_conn_get(struct store *s, struct pg_err *err);

int store_begin(struct store_conn *c, enum store_tx mode, struct pg_err *err);
int store_commit(struct store_conn *c, struct pg_err *err);
/* Safe to call when no transaction is open. */
void store_rollback(struct store_conn *c);
/* The one ending of a write transaction: commits when rc is 0, else rolls
 * back; returns rc, or the commit's error. */
int store_end(struct store_conn *c, int rc, struct pg_err *err);

/* Group commit: between store_group_begin and store_group_end, each
 * store_begin/commit/rollback on c is a savepoint of one transaction, so
 * many small independent writes (agent reports) cost one commit (one fsync)
 * and one failing rolls back only itself. store_group_end commits (or rolls
 * back all) and then runs the store_after_commit callbacks when committed.
 * Drivers without groups run each transaction on its own: store_group_begin
 * then does nothing. */
int store_group_begin(struct store_conn *c, struct pg_err *err);
int store_group_end(struct store_conn *c, bool commit, struct pg_err *err);
/* Whether c is inside a group (and so holds the write lock). */
bool store_grouped(const struct store_conn *c);
/* Runs fn(arg) once what c committed is durable and visible to others: now,
 * or at the end of the group. free_fn(arg) (may be NULL) runs either way,
 * after fn or when the group rolled back. */
void store_after_commit(struct store_conn *c, void (*fn)(void *), void (*free_fn)(void *),
                        void *arg);

int store_prepare(struct store_conn *c, const char *sql, struct store_stmt **out,
                  struct pg_err *err);
void store_bind_i64(struct store_stmt *st, int idx, int64_t v);
/* NULL binds SQL NULL. The text is copied. */
void store_bind_text(struct store_stmt *st, int idx, const char *v);
void store_bind_null(struct store_stmt *st, int idx);
/* 1 when a row is ready, 0 when done, negative with err filled on failure
 * (PG_ECONFLICT for a uniqueness violation). */
int store_step(struct store_stmt *st, struct pg_err *err);
int64_t store_col_i64(struct store_stmt *st, int col);
/* Valid until the next step or done; NULL for SQL NULL. */
const char *store_col_text(struct store_stmt *st, int col);
bool store_col_null(struct store_stmt *st, int col);
/* Resets the statement for its next use; always call after stepping. */
void store_done(struct store_stmt *st);
/* Rows changed by the last statement of this connection. */
int64_t store_changes(struct store_conn *c);

/* Runs a statement with no result rows; returns rows changed or negative. */
int store_exec(struct store_conn *c, const char *sql, struct pg_err *err);

/* The usual DAO call in one line, arguments typed so the compiler checks
 * them:  store_run(c, sql, err, SI(id), ST(name), SIN(optional_id))
 *   SI(int64)   an integer
 *   SIN(int64)  an integer, NULL when 0 (optional references)
 *   ST(text)    a text, NULL when NULL
 * store_run runs sql to completion and returns the rows changed, or negative.
 * store_query leaves *st on the first row: it returns 1 (row), 0 (none) or
 * negative; read the columns, step for more, and always end with store_done.
 * A count of arguments that differs from the statement's parameters is
 * reported as an internal error, never bound. */
struct store_arg {
	char type; /* 'i', 'I' or 't' */
	int64_t i;
	const char *t;
};
#define SI(v) ((struct store_arg){.type = 'i', .i = (v)})
#define SIN(v) ((struct store_arg){.type = 'I', .i = (v)})
#define ST(v) ((struct store_arg){.type = 't', .t = (v)})
#define STORE_ARGS(...)                                                                            \
	((const struct store_arg[]){__VA_ARGS__}),                                                 \
	        (sizeof((const struct store_arg[]){__VA_ARGS__}) / sizeof(struct store_arg))
#define store_run(c, sql, err, ...) store_run_args((c), (sql), (err), STORE_ARGS(__VA_ARGS__))
#define store_query(c, sql, st, err, ...)                                                          \
	store_query_args((c), (sql), (st), (err), STORE_ARGS(__VA_ARGS__))
/* 0 for a store_run/store_query result that is not an error (a count of
 * rows, a row ready), else the error: the usual last line of a DAO call. */
static inline int store_ok(int rc)
{
	return rc < 0 ? rc : 0;
}

int store_run_args(struct store_conn *c, const char *sql, struct pg_err *err,
                   const struct store_arg *args, size_t n);
int store_query_args(struct store_conn *c, const char *sql, struct store_stmt **st,
                     struct pg_err *err, const struct store_arg *args, size_t n);

/* A consistent copy of the whole store at path, taken while writes go on
 * (SQLite: VACUUM INTO). PG_EPRECOND on PostgreSQL, whose own tools
 * (pg_dump, pgBackRest, WAL archiving) back a shared database up. */
int store_snapshot(struct store *s, const char *path, struct pg_err *err);

/* ---- several pagodad replicas on one database ---- */

/* Whether other replicas may share this store (PostgreSQL). */
bool store_shared(struct store *s);

/* Background duties that must run on exactly one replica at a time. */
enum store_role {
	STORE_ROLE_LIVENESS, /* offline detection and task lease expiry */
	STORE_ROLE_RELEASES, /* the release reconciler and upstream sync */
	STORE_ROLE_CERTS,    /* certificate issuance and renewal */
	STORE_ROLE_ALERTS,   /* alert rules and deliveries */
	STORE_ROLE_DRIFT,    /* the drift sweep */
	STORE_ROLE_REGISTRY, /* agent endpoint expiry */
	STORE_ROLE_BACKUPS,  /* scheduled backups */
	STORE_ROLE_COUNT,
};
const char *store_role_name(enum store_role role);
/* Whether this process leads role now. The first replica to ask takes it
 * (a PostgreSQL session advisory lock); it moves to another replica within
 * one of that replica's ticks after this one's session ends (crash, kill,
 * network). Always true on SQLite. */
bool store_leader(struct store *s, enum store_role role);
/* The roles this process leads now, as a bit set (1 << role). */
unsigned store_leader_roles(struct store *s);

/* Tells every replica (this one too) payload on channel: PostgreSQL NOTIFY,
 * sent at commit when the calling thread is inside a transaction. Nothing on
 * SQLite, where the one process wakes its own waiters directly. */
void store_notify(struct store *s, const char *channel, const char *payload);
/* fn(arg, payload) runs on the store's listener thread for every
 * notification on channel; payload NULL means "the connection was lost and
 * notifications may be missing: look again". Listeners must not call
 * store_leader or store_listen. */
int store_listen(struct store *s, const char *channel, void (*fn)(void *arg, const char *payload),
                 void *arg, struct pg_err *err);

/* Stops calling the listeners registered with arg; none runs after this. */
void store_unlisten(struct store *s, void *arg);

#endif
