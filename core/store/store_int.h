/* Private to store/: the driver interface. store.c dispatches every store.h
 * call to the driver of the store, connection or statement at hand; each
 * driver's structs begin with the matching base struct below. */
#ifndef STORE_INT_H
#define STORE_INT_H

#include "common/pg_embed.h"
#include "store/store.h"

struct store_driver {
	const char *name;
	void (*free)(struct store *s);
	struct store_conn *(*conn_get)(struct store *s, struct pg_err *err);
	int (*begin)(struct store_conn *c, enum store_tx mode, struct pg_err *err);
	int (*commit)(struct store_conn *c, struct pg_err *err);
	void (*rollback)(struct store_conn *c);
	/* group commit (NULL: each transaction commits on its own): while
	 * c->grouped, begin/commit/rollback are savepoints of one transaction */
	int (*group_begin)(struct store_conn *c, struct pg_err *err);
	int (*group_end)(struct store_conn *c, bool commit, struct pg_err *err);
	int (*prepare)(struct store_conn *c, const char *sql, struct store_stmt **out,
	               struct pg_err *err);
	int (*param_count)(struct store_stmt *st);
	void (*bind_i64)(struct store_stmt *st, int idx, int64_t v);
	void (*bind_text)(struct store_stmt *st, int idx, const char *v);
	void (*bind_null)(struct store_stmt *st, int idx);
	int (*step)(struct store_stmt *st, struct pg_err *err);
	int64_t (*col_i64)(struct store_stmt *st, int col);
	const char *(*col_text)(struct store_stmt *st, int col);
	bool (*col_null)(struct store_stmt *st, int col);
	void (*done)(struct store_stmt *st);
	int64_t (*changes)(struct store_conn *c);
	/* coordination (NULL on single-process stores) */
	bool (*leader)(struct store *s, enum store_role role);
	void (*notify)(struct store *s, const char *channel, const char *payload);
	int (*listen)(struct store *s, const char *channel, void (*fn)(void *, const char *),
	              void *arg, struct pg_err *err);
	void (*unlisten)(struct store *s, void *arg);
};

struct store {
	const struct store_driver *drv;
	int version;
	unsigned led; /* roles led, as last seen by store_leader */
};

struct store_after;

struct store_conn {
	const struct store_driver *drv;
	bool grouped;              /* inside store_group_begin/end */
	struct store_after *after; /* store_after_commit callbacks of the group */
};

struct store_stmt {
	const struct store_driver *drv;
	const char *key; /* the SQL text as the DAO wrote it */
};

int store_sqlite_open(const char *path, struct store **out, struct pg_err *err);
int store_pg_open(const char *url, struct store **out, struct pg_err *err);

/* The migration files of a driver: NNNN_name.sql, in order. */
extern const struct pg_embedded store_migrations_sqlite[];
extern const struct pg_embedded store_migrations_postgres[];

#endif
