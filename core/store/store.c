/* The store door: picks the driver from the target and dispatches. The
 * typed-argument helpers (store_run, store_query) live here once for all
 * drivers. */
#include "common/pg_log.h"
#include "store/store_int.h"

#include <stdlib.h>
#include <string.h>

bool store_is_postgres(const char *target)
{
	return strncmp(target, "postgres://", 11) == 0 || strncmp(target, "postgresql://", 13) == 0;
}

int store_open(const char *target, struct store **out, struct pg_err *err)
{
	return store_is_postgres(target) ? store_pg_open(target, out, err)
	                                 : store_sqlite_open(target, out, err);
}

void store_free(struct store *s)
{
	if (s)
		s->drv->free(s);
}

int store_schema_version(struct store *s)
{
	return s->version;
}

const char *store_driver_name(struct store *s)
{
	return s->drv->name;
}

struct store_conn *store_conn_get(struct store *s, struct pg_err *err)
{
	return s->drv->conn_get(s, err);
}

int store_begin(struct store_conn *c, enum store_tx mode, struct pg_err *err)
{
	return c->drv->begin(c, mode, err);
}

int store_commit(struct store_conn *c, struct pg_err *err)
{
	return c->drv->commit(c, err);
}

void store_rollback(struct store_conn *c)
{
	c->drv->rollback(c);
}

struct store_after {
	void (*fn)(void *);
	void (*free_fn)(void *);
	void *arg;
	struct store_after *next;
};

int store_group_begin(struct store_conn *c, struct pg_err *err)
{
	if (!c->drv->group_begin || c->grouped)
		return 0;
	int rc = c->drv->group_begin(c, err);
	if (rc == 0)
		c->grouped = true;
	return rc;
}

static void after_run(struct store_after *a, bool run)
{
	while (a) {
		struct store_after *next = a->next;
		if (run)
			a->fn(a->arg);
		if (a->free_fn)
			a->free_fn(a->arg);
		free(a);
		a = next;
	}
}

bool store_grouped(const struct store_conn *c)
{
	return c->grouped;
}

int store_group_end(struct store_conn *c, bool commit, struct pg_err *err)
{
	if (!c->grouped)
		return 0;
	int rc = c->drv->group_end(c, commit, err);
	c->grouped = false;
	/* callbacks were queued newest first: run them in commit order */
	struct store_after *a = c->after, *rev = NULL;
	c->after = NULL;
	while (a) {
		struct store_after *next = a->next;
		a->next = rev;
		rev = a;
		a = next;
	}
	after_run(rev, commit && rc == 0);
	return rc;
}

void store_after_commit(struct store_conn *c, void (*fn)(void *), void (*free_fn)(void *),
                        void *arg)
{
	struct store_after *a = c->grouped ? malloc(sizeof(*a)) : NULL;
	if (!a) {
		/* not grouped (or out of memory: then now rather than never) */
		fn(arg);
		if (free_fn)
			free_fn(arg);
		return;
	}
	*a = (struct store_after){fn, free_fn, arg, c->after};
	c->after = a;
}

int store_prepare(struct store_conn *c, const char *sql, struct store_stmt **out,
                  struct pg_err *err)
{
	return c->drv->prepare(c, sql, out, err);
}

void store_bind_i64(struct store_stmt *st, int idx, int64_t v)
{
	st->drv->bind_i64(st, idx, v);
}

void store_bind_text(struct store_stmt *st, int idx, const char *v)
{
	st->drv->bind_text(st, idx, v);
}

void store_bind_null(struct store_stmt *st, int idx)
{
	st->drv->bind_null(st, idx);
}

int store_step(struct store_stmt *st, struct pg_err *err)
{
	return st->drv->step(st, err);
}

int64_t store_col_i64(struct store_stmt *st, int col)
{
	return st->drv->col_i64(st, col);
}

const char *store_col_text(struct store_stmt *st, int col)
{
	return st->drv->col_text(st, col);
}

bool store_col_null(struct store_stmt *st, int col)
{
	return st->drv->col_null(st, col);
}

void store_done(struct store_stmt *st)
{
	if (st->drv) /* the placeholder of a failed prepare has none */
		st->drv->done(st);
}

int64_t store_changes(struct store_conn *c)
{
	return c->drv->changes(c);
}

int store_exec(struct store_conn *c, const char *sql, struct pg_err *err)
{
	return store_run_args(c, sql, err, NULL, 0);
}

/* Binds args; a count that differs from the statement's parameters is a
 * programming error, reported instead of binding garbage. */
static int bind_args(struct store_stmt *st, const struct store_arg *args, size_t n,
                     struct pg_err *err)
{
	int want = st->drv->param_count(st);
	if ((size_t)want != n) {
		pg_error("store", "bug: %d parameters but %zu arguments in: %s", want, n, st->key);
		return pg_err_set(err, PG_EINTERNAL, "",
		                  "internal error: statement parameters mismatch");
	}
	for (size_t i = 0; i < n; i++) {
		if (args[i].type == 't')
			store_bind_text(st, (int)i + 1, args[i].t);
		else if (args[i].type == 'I' && args[i].i == 0)
			store_bind_null(st, (int)i + 1);
		else
			store_bind_i64(st, (int)i + 1, args[i].i);
	}
	return 0;
}

int store_run_args(struct store_conn *c, const char *sql, struct pg_err *err,
                   const struct store_arg *args, size_t n)
{
	struct store_stmt *st;
	int rc = store_prepare(c, sql, &st, err);
	if (rc != 0)
		return rc;
	rc = bind_args(st, args, n, err);
	if (rc != 0)
		return rc;
	while ((rc = store_step(st, err)) > 0)
		;
	int64_t changed = rc < 0 ? 0 : store_changes(c);
	store_done(st);
	return rc < 0 ? rc : (int)changed;
}

int store_query_args(struct store_conn *c, const char *sql, struct store_stmt **st,
                     struct pg_err *err, const struct store_arg *args, size_t n)
{
	static struct store_stmt none; /* lets callers store_done even after a failed prepare */
	int rc = store_prepare(c, sql, st, err);
	if (rc != 0) {
		*st = &none;
		return rc;
	}
	rc = bind_args(*st, args, n, err);
	if (rc != 0)
		return rc;
	return store_step(*st, err);
}

bool store_shared(struct store *s)
{
	return s->drv->leader != NULL;
}

const char *store_role_name(enum store_role role)
{
	static const char *const names[] = {"liveness", "releases", "certs",  "alerts",
	                                    "drift",    "registry", "backups"};
	return role < STORE_ROLE_COUNT ? names[role] : "?";
}

bool store_leader(struct store *s, enum store_role role)
{
	bool lead = s->drv->leader ? s->drv->leader(s, role) : true;
	unsigned bit = 1u << role;
	unsigned was = __atomic_load_n(&s->led, __ATOMIC_RELAXED);
	if (lead != !!(was & bit)) {
		if (lead)
			__atomic_fetch_or(&s->led, bit, __ATOMIC_RELAXED);
		else
			__atomic_fetch_and(&s->led, ~bit, __ATOMIC_RELAXED);
		if (s->drv->leader)
			pg_info("store", "%s leadership of %s", lead ? "took" : "lost",
			        store_role_name(role));
	}
	return lead;
}

unsigned store_leader_roles(struct store *s)
{
	return __atomic_load_n(&s->led, __ATOMIC_RELAXED);
}

void store_notify(struct store *s, const char *channel, const char *payload)
{
	if (s->drv->notify)
		s->drv->notify(s, channel, payload);
}

int store_listen(struct store *s, const char *channel, void (*fn)(void *arg, const char *payload),
                 void *arg, struct pg_err *err)
{
	return s->drv->listen ? s->drv->listen(s, channel, fn, arg, err) : 0;
}

void store_unlisten(struct store *s, void *arg)
{
	if (s->drv->unlisten)
		s->drv->unlisten(s, arg);
}

int store_end(struct store_conn *c, int rc, struct pg_err *err)
{
	if (rc == 0)
		rc = store_commit(c, err);
	if (rc != 0)
		store_rollback(c);
	return rc;
}

int store_snapshot(struct store *s, const char *path, struct pg_err *err)
{
	if (store_shared(s))
		return pg_err_set(err, PG_EPRECOND, "",
		                  "a PostgreSQL store is backed up with PostgreSQL's tools "
		                  "(pg_dump, pgBackRest)");
	struct store_conn *c = store_conn_get(s, err);
	return c ? store_ok(store_run(c, "VACUUM INTO $1", err, ST(path))) : err->code;
}
