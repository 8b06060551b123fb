/* The embedded SQLite store: WAL, synchronous=FULL (an acknowledged write
 * survives power loss, not only a process crash), one connection per thread. */
#include "store/store.h"
#include "common/pg_embed.h"
#include "common/pg_log.h"
#include "common/pg_time.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern const struct pg_embedded store_migrations_sqlite[];

#define STMT_CACHE 96

struct store_stmt {
	const char *key;
	sqlite3_stmt *st;
	struct store_conn *conn;
};

struct store_conn {
	struct store *store;
	sqlite3 *db;
	struct store_stmt cache[STMT_CACHE];
	int ncache;
	bool in_tx;
	struct store_conn *next; /* in store->conns */
};

struct store {
	char *path;
	pthread_key_t key;
	pthread_mutex_t lock;
	struct store_conn *conns;
	int version;
};

static void conn_close(struct store_conn *c)
{
	for (int i = 0; i < c->ncache; i++)
		sqlite3_finalize(c->cache[i].st);
	sqlite3_close(c->db);
	free(c);
}

static void conn_unlink(struct store *s, struct store_conn *c)
{
	pthread_mutex_lock(&s->lock);
	for (struct store_conn **pp = &s->conns; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	pthread_mutex_unlock(&s->lock);
}

static void conn_thread_exit(void *p)
{
	struct store_conn *c = p;
	conn_unlink(c->store, c);
	conn_close(c);
}

static int db_error(sqlite3 *db, int rc, struct pg_err *err, const char *what)
{
	int code = PG_EINTERNAL;
	if (rc == SQLITE_CONSTRAINT || (rc & 0xff) == SQLITE_CONSTRAINT)
		code = PG_ECONFLICT;
	else if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
		code = PG_EUNAVAIL;
	return pg_err_set(err, code, "", "%s: %s", what, db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
}

static int conn_open(struct store *s, struct store_conn **out, struct pg_err *err)
{
	struct store_conn *c = calloc(1, sizeof(*c));
	if (!c)
		return pg_err_set(err, PG_EINTERNAL, "", "out of memory");
	c->store = s;
	int rc = sqlite3_open_v2(s->path, &c->db,
				 SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		int r = pg_err_set(err, PG_EINTERNAL, "", "cannot open database %s: %s", s->path,
				   c->db ? sqlite3_errmsg(c->db) : sqlite3_errstr(rc));
		sqlite3_close(c->db);
		free(c);
		return r;
	}
	sqlite3_busy_timeout(c->db, 10000);
	char *msg = NULL;
	rc = sqlite3_exec(c->db,
			  "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;",
			  NULL, NULL, &msg);
	if (rc != SQLITE_OK) {
		int r = pg_err_set(err, PG_EINTERNAL, "", "cannot configure %s: %s", s->path,
				   msg ? msg : sqlite3_errstr(rc));
		sqlite3_free(msg);
		conn_close(c);
		return r;
	}
	pthread_mutex_lock(&s->lock);
	c->next = s->conns;
	s->conns = c;
	pthread_mutex_unlock(&s->lock);
	*out = c;
	return 0;
}

struct store_conn *store_conn_get(struct store *s, struct pg_err *err)
{
	struct store_conn *c = pthread_getspecific(s->key);
	if (c)
		return c;
	if (conn_open(s, &c, err) != 0)
		return NULL;
	pthread_setspecific(s->key, c);
	return c;
}

int store_exec(struct store_conn *c, const char *sql, struct pg_err *err)
{
	return store_run_args(c, sql, err, NULL, 0);
}

static int exec_script(struct store_conn *c, const char *sql, struct pg_err *err)
{
	char *msg = NULL;
	int rc = sqlite3_exec(c->db, sql, NULL, NULL, &msg);
	if (rc != SQLITE_OK) {
		pg_err_set(err, PG_EINTERNAL, "", "%s", msg ? msg : sqlite3_errstr(rc));
		sqlite3_free(msg);
		return PG_EINTERNAL;
	}
	return 0;
}

/* Migrations are files NNNN_name.sql; each runs in its own transaction with
 * its version row, so a crash mid-migration leaves the previous version. */
static int migrate(struct store *s, struct pg_err *err)
{
	struct store_conn *c = store_conn_get(s, err);
	if (!c)
		return err->code;
	int rc = exec_script(c,
			     "CREATE TABLE IF NOT EXISTS schema_migrations ("
			     " version INTEGER PRIMARY KEY, name TEXT NOT NULL,"
			     " applied_at INTEGER NOT NULL)",
			     err);
	if (rc != 0)
		return rc;
	sqlite3_stmt *q;
	sqlite3_prepare_v2(c->db, "SELECT COALESCE(MAX(version),0) FROM schema_migrations", -1, &q, NULL);
	int current = sqlite3_step(q) == SQLITE_ROW ? sqlite3_column_int(q, 0) : 0;
	sqlite3_finalize(q);
	s->version = current;
	for (const struct pg_embedded *m = store_migrations_sqlite; m->path; m++) {
		const char *base = strrchr(m->path, '/');
		base = base ? base + 1 : m->path;
		int v = atoi(base);
		if (v <= current)
			continue;
		if (v != s->version + 1)
			return pg_err_set(err, PG_EINTERNAL, "", "migration %s is out of sequence", base);
		char *sql = sqlite3_mprintf("BEGIN IMMEDIATE; %s; INSERT INTO schema_migrations"
					    " VALUES(%d, %Q, %lld); COMMIT;",
					    m->data, v, base, (long long)pg_time_now_ms());
		rc = exec_script(c, sql, err);
		sqlite3_free(sql);
		if (rc != 0) {
			sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
			char msg[sizeof(err->message)];
			snprintf(msg, sizeof(msg), "%s", err->message);
			return pg_err_set(err, PG_EINTERNAL, "", "migration %s failed: %s", base, msg);
		}
		pg_info("store", "applied migration %s", base);
		s->version = v;
	}
	return 0;
}

int store_open(const char *path, struct store **out, struct pg_err *err)
{
	struct store *s = calloc(1, sizeof(*s));
	if (!s || !(s->path = strdup(path))) {
		free(s);
		return pg_err_set(err, PG_EINTERNAL, "", "out of memory");
	}
	pthread_mutex_init(&s->lock, NULL);
	pthread_key_create(&s->key, conn_thread_exit);
	int rc = migrate(s, err);
	if (rc != 0) {
		store_free(s);
		return rc;
	}
	*out = s;
	return 0;
}

int store_schema_version(struct store *s)
{
	return s->version;
}

void store_free(struct store *s)
{
	if (!s)
		return;
	/* Threads still alive lose their connection here; their destructor
	 * must not run on a freed store, so drop the key first. */
	pthread_setspecific(s->key, NULL);
	pthread_key_delete(s->key);
	pthread_mutex_lock(&s->lock);
	struct store_conn *c = s->conns;
	s->conns = NULL;
	pthread_mutex_unlock(&s->lock);
	while (c) {
		struct store_conn *next = c->next;
		conn_close(c);
		c = next;
	}
	pthread_mutex_destroy(&s->lock);
	free(s->path);
	free(s);
}

int store_begin(struct store_conn *c, enum store_tx mode, struct pg_err *err)
{
	/* IMMEDIATE takes the write lock up front: two writers never deadlock
	 * upgrading from a read, they wait on busy_timeout instead. */
	int rc = sqlite3_exec(c->db, mode == STORE_TX_WRITE ? "BEGIN IMMEDIATE" : "BEGIN",
			      NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		return db_error(c->db, rc, err, "begin");
	c->in_tx = true;
	return 0;
}

int store_commit(struct store_conn *c, struct pg_err *err)
{
	int rc = sqlite3_exec(c->db, "COMMIT", NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		int r = db_error(c->db, rc, err, "commit");
		store_rollback(c);
		return r;
	}
	c->in_tx = false;
	return 0;
}

void store_rollback(struct store_conn *c)
{
	if (!c->in_tx)
		return;
	sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
	c->in_tx = false;
}

/* $N parameters become ?N, SQLite's numbered form; everything else is kept.
 * String literals are copied as they are. */
static char *translate(const char *sql)
{
	size_t n = strlen(sql);
	char *out = malloc(n + 1);
	if (!out)
		return NULL;
	char *o = out;
	bool in_str = false;
	for (const char *p = sql; *p; p++) {
		if (*p == '\'')
			in_str = !in_str;
		if (!in_str && *p == '$' && p[1] >= '0' && p[1] <= '9')
			*o++ = '?';
		else
			*o++ = *p;
	}
	*o = '\0';
	return out;
}

int store_prepare(struct store_conn *c, const char *sql, struct store_stmt **out,
		  struct pg_err *err)
{
	for (int i = 0; i < c->ncache; i++)
		if (c->cache[i].key == sql) {
			*out = &c->cache[i];
			return 0;
		}
	if (c->ncache == STMT_CACHE)
		return pg_err_set(err, PG_EINTERNAL, "", "statement cache full");
	char *text = translate(sql);
	if (!text)
		return pg_err_set(err, PG_EINTERNAL, "", "out of memory");
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v3(c->db, text, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL);
	free(text);
	if (rc != SQLITE_OK) {
		pg_error("store", "prepare failed: %s in: %s", sqlite3_errmsg(c->db), sql);
		return db_error(c->db, rc, err, "prepare");
	}
	struct store_stmt *e = &c->cache[c->ncache++];
	e->key = sql;
	e->st = st;
	e->conn = c;
	*out = e;
	return 0;
}

void store_bind_i64(struct store_stmt *st, int idx, int64_t v)
{
	sqlite3_bind_int64(st->st, idx, v);
}

void store_bind_text(struct store_stmt *st, int idx, const char *v)
{
	if (v)
		sqlite3_bind_text(st->st, idx, v, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st->st, idx);
}

void store_bind_null(struct store_stmt *st, int idx)
{
	sqlite3_bind_null(st->st, idx);
}

int store_step(struct store_stmt *st, struct pg_err *err)
{
	int rc = sqlite3_step(st->st);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	return db_error(st->conn->db, rc, err, "query");
}

int64_t store_col_i64(struct store_stmt *st, int col)
{
	return sqlite3_column_int64(st->st, col);
}

const char *store_col_text(struct store_stmt *st, int col)
{
	return (const char *)sqlite3_column_text(st->st, col);
}

bool store_col_null(struct store_stmt *st, int col)
{
	return sqlite3_column_type(st->st, col) == SQLITE_NULL;
}

void store_done(struct store_stmt *st)
{
	if (!st->st)
		return;
	sqlite3_reset(st->st);
	sqlite3_clear_bindings(st->st);
}

int64_t store_changes(struct store_conn *c)
{
	return sqlite3_changes64(c->db);
}

/* Binds args; a count that differs from the statement's parameters is a
 * programming error, reported instead of binding garbage. */
static int bind_args(struct store_stmt *st, const struct store_arg *args, size_t n, struct pg_err *err)
{
	int want = sqlite3_bind_parameter_count(st->st);
	if ((size_t)want != n) {
		pg_error("store", "bug: %d parameters but %zu arguments in: %s", want, n, st->key);
		return pg_err_set(err, PG_EINTERNAL, "", "internal error: statement parameters mismatch");
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
	store_done(st);
	return rc < 0 ? rc : (int)store_changes(c);
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
