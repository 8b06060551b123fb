/* The embedded SQLite store: WAL, synchronous=FULL (an acknowledged write
 * survives power loss, not only a process crash), one connection per thread. */
#include "store/store_int.h"
#include "common/pg_embed.h"
#include "common/pg_log.h"
#include "common/pg_time.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STMT_CACHE 96

struct sq_stmt {
	struct store_stmt base;
	sqlite3_stmt *st;
	struct sq_conn *conn;
};

struct sq_conn {
	struct store_conn base;
	struct sq_store *store;
	sqlite3 *db;
	struct sq_stmt cache[STMT_CACHE];
	int ncache;
	bool in_tx;
	struct sq_conn *next; /* in store->conns */
};

struct sq_store {
	struct store base;
	char *path;
	pthread_key_t key;
	pthread_mutex_t lock;
	struct sq_conn *conns;
};

static const struct store_driver sqlite_driver;

#define SQ_STORE(s) ((struct sq_store *)(s))
#define SQ_CONN(c) ((struct sq_conn *)(c))
#define SQ_STMT(st) ((struct sq_stmt *)(st))

static void conn_close(struct sq_conn *c)
{
	for (int i = 0; i < c->ncache; i++)
		sqlite3_finalize(c->cache[i].st);
	sqlite3_close(c->db);
	free(c);
}

static void conn_unlink(struct sq_store *s, struct sq_conn *c)
{
	pthread_mutex_lock(&s->lock);
	for (struct sq_conn **pp = &s->conns; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	pthread_mutex_unlock(&s->lock);
}

static void conn_thread_exit(void *p)
{
	struct sq_conn *c = p;
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
	return pg_err_set(err, code, "", "%s: %s", what,
	                  db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
}

static int conn_open(struct sq_store *s, struct sq_conn **out, struct pg_err *err)
{
	struct sq_conn *c = calloc(1, sizeof(*c));
	if (!c)
		return pg_err_set(err, PG_EINTERNAL, "", "out of memory");
	c->base.drv = &sqlite_driver;
	c->store = s;
	int rc = sqlite3_open_v2(s->path, &c->db,
	                         SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
	                         NULL);
	if (rc != SQLITE_OK) {
		int r = pg_err_set(err, PG_EINTERNAL, "", "cannot open database %s: %s", s->path,
		                   c->db ? sqlite3_errmsg(c->db) : sqlite3_errstr(rc));
		sqlite3_close(c->db);
		free(c);
		return r;
	}
	sqlite3_busy_timeout(c->db, 10000);
	char *msg = NULL;
	rc = sqlite3_exec(
	        c->db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;",
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

static struct store_conn *sq_conn_get(struct store *base, struct pg_err *err)
{
	struct sq_store *s = SQ_STORE(base);
	struct sq_conn *c = pthread_getspecific(s->key);
	if (c)
		return &c->base;
	if (conn_open(s, &c, err) != 0)
		return NULL;
	pthread_setspecific(s->key, c);
	return &c->base;
}

static int exec_script(struct sq_conn *c, const char *sql, struct pg_err *err)
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
static int migrate(struct sq_store *s, struct pg_err *err)
{
	struct store_conn *bc = sq_conn_get(&s->base, err);
	if (!bc)
		return err->code;
	struct sq_conn *c = SQ_CONN(bc);
	int rc = exec_script(c,
	                     "CREATE TABLE IF NOT EXISTS schema_migrations ("
	                     " version INTEGER PRIMARY KEY, name TEXT NOT NULL,"
	                     " applied_at INTEGER NOT NULL)",
	                     err);
	if (rc != 0)
		return rc;
	sqlite3_stmt *q;
	sqlite3_prepare_v2(c->db, "SELECT COALESCE(MAX(version),0) FROM schema_migrations", -1, &q,
	                   NULL);
	int current = sqlite3_step(q) == SQLITE_ROW ? sqlite3_column_int(q, 0) : 0;
	sqlite3_finalize(q);
	s->base.version = current;
	for (const struct pg_embedded *m = store_migrations_sqlite; m->path; m++) {
		const char *base = strrchr(m->path, '/');
		base = base ? base + 1 : m->path;
		int v = atoi(base);
		if (v <= current)
			continue;
		if (v != s->base.version + 1)
			return pg_err_set(err, PG_EINTERNAL, "", "migration %s is out of sequence",
			                  base);
		char *sql = sqlite3_mprintf("BEGIN IMMEDIATE; %s; INSERT INTO schema_migrations"
		                            " VALUES(%d, %Q, %lld); COMMIT;",
		                            m->data, v, base, (long long)pg_time_now_ms());
		rc = exec_script(c, sql, err);
		sqlite3_free(sql);
		if (rc != 0) {
			sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
			char msg[sizeof(err->message)];
			snprintf(msg, sizeof(msg), "%s", err->message);
			return pg_err_set(err, PG_EINTERNAL, "", "migration %s failed: %s", base,
			                  msg);
		}
		pg_info("store", "applied migration %s", base);
		s->base.version = v;
	}
	return 0;
}

static void sq_free(struct store *base)
{
	struct sq_store *s = SQ_STORE(base);
	/* Threads still alive lose their connection here; their destructor
	 * must not run on a freed store, so drop the key first. */
	pthread_setspecific(s->key, NULL);
	pthread_key_delete(s->key);
	pthread_mutex_lock(&s->lock);
	struct sq_conn *c = s->conns;
	s->conns = NULL;
	pthread_mutex_unlock(&s->lock);
	while (c) {
		struct sq_conn *next = c->next;
		conn_close(c);
		c = next;
	}
	pthread_mutex_destroy(&s->lock);
	free(s->path);
	free(s);
}

int store_sqlite_open(const char *path, struct store **out, struct pg_err *err)
{
	struct sq_store *s = calloc(1, sizeof(*s));
	if (!s || !(s->path = strdup(path))) {
		free(s);
		return pg_err_set(err, PG_EINTERNAL, "", "out of memory");
	}
	s->base.drv = &sqlite_driver;
	pthread_mutex_init(&s->lock, NULL);
	pthread_key_create(&s->key, conn_thread_exit);
	int rc = migrate(s, err);
	if (rc != 0) {
		sq_free(&s->base);
		return rc;
	}
	*out = &s->base;
	return 0;
}

static int sq_exec(struct sq_conn *c, const char *sql, struct pg_err *err, const char *what)
{
	int rc = sqlite3_exec(c->db, sql, NULL, NULL, NULL);
	return rc == SQLITE_OK ? 0 : db_error(c->db, rc, err, what);
}

static int sq_begin(struct store_conn *bc, enum store_tx mode, struct pg_err *err)
{
	struct sq_conn *c = SQ_CONN(bc);
	if (bc->grouped) {
		int rc = sq_exec(c, "SAVEPOINT pagoda_job", err, "savepoint");
		c->in_tx = rc == 0;
		return rc;
	}
	/* IMMEDIATE takes the write lock up front: two writers never deadlock
	 * upgrading from a read, they wait on busy_timeout instead. */
	int rc = sqlite3_exec(c->db, mode == STORE_TX_READ ? "BEGIN" : "BEGIN IMMEDIATE", NULL,
	                      NULL, NULL);
	if (rc != SQLITE_OK)
		return db_error(c->db, rc, err, "begin");
	c->in_tx = true;
	return 0;
}

static void sq_rollback(struct store_conn *bc)
{
	struct sq_conn *c = SQ_CONN(bc);
	if (!c->in_tx)
		return;
	sqlite3_exec(c->db, bc->grouped ? "ROLLBACK TO pagoda_job; RELEASE pagoda_job" : "ROLLBACK",
	             NULL, NULL, NULL);
	c->in_tx = false;
}

static int sq_commit(struct store_conn *bc, struct pg_err *err)
{
	struct sq_conn *c = SQ_CONN(bc);
	int rc = sqlite3_exec(c->db, bc->grouped ? "RELEASE pagoda_job" : "COMMIT", NULL, NULL,
	                      NULL);
	if (rc != SQLITE_OK) {
		int r = db_error(c->db, rc, err, "commit");
		sq_rollback(bc);
		return r;
	}
	c->in_tx = false;
	return 0;
}

static int sq_group_begin(struct store_conn *bc, struct pg_err *err)
{
	return sq_exec(SQ_CONN(bc), "BEGIN IMMEDIATE", err, "begin");
}

static int sq_group_end(struct store_conn *bc, bool commit, struct pg_err *err)
{
	struct sq_conn *c = SQ_CONN(bc);
	c->in_tx = false;
	int rc = commit ? sq_exec(c, "COMMIT", err, "commit") : 0;
	if (!commit || rc != 0)
		sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
	return rc;
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

static int sq_prepare(struct store_conn *bc, const char *sql, struct store_stmt **out,
                      struct pg_err *err)
{
	struct sq_conn *c = SQ_CONN(bc);
	for (int i = 0; i < c->ncache; i++)
		if (c->cache[i].base.key == sql) {
			*out = &c->cache[i].base;
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
	struct sq_stmt *e = &c->cache[c->ncache++];
	e->base.drv = &sqlite_driver;
	e->base.key = sql;
	e->st = st;
	e->conn = c;
	*out = &e->base;
	return 0;
}

static int sq_param_count(struct store_stmt *st)
{
	return sqlite3_bind_parameter_count(SQ_STMT(st)->st);
}

static void sq_bind_i64(struct store_stmt *st, int idx, int64_t v)
{
	sqlite3_bind_int64(SQ_STMT(st)->st, idx, v);
}

static void sq_bind_text(struct store_stmt *st, int idx, const char *v)
{
	if (v)
		sqlite3_bind_text(SQ_STMT(st)->st, idx, v, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(SQ_STMT(st)->st, idx);
}

static void sq_bind_null(struct store_stmt *st, int idx)
{
	sqlite3_bind_null(SQ_STMT(st)->st, idx);
}

static int sq_step(struct store_stmt *st, struct pg_err *err)
{
	int rc = sqlite3_step(SQ_STMT(st)->st);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	return db_error(SQ_STMT(st)->conn->db, rc, err, "query");
}

static int64_t sq_col_i64(struct store_stmt *st, int col)
{
	return sqlite3_column_int64(SQ_STMT(st)->st, col);
}

static const char *sq_col_text(struct store_stmt *st, int col)
{
	return (const char *)sqlite3_column_text(SQ_STMT(st)->st, col);
}

static bool sq_col_null(struct store_stmt *st, int col)
{
	return sqlite3_column_type(SQ_STMT(st)->st, col) == SQLITE_NULL;
}

static void sq_done(struct store_stmt *st)
{
	sqlite3_reset(SQ_STMT(st)->st);
	sqlite3_clear_bindings(SQ_STMT(st)->st);
}

static int64_t sq_changes(struct store_conn *c)
{
	return sqlite3_changes64(SQ_CONN(c)->db);
}

static const struct store_driver sqlite_driver = {
        .name = "sqlite",
        .free = sq_free,
        .conn_get = sq_conn_get,
        .begin = sq_begin,
        .commit = sq_commit,
        .rollback = sq_rollback,
        .group_begin = sq_group_begin,
        .group_end = sq_group_end,
        .prepare = sq_prepare,
        .param_count = sq_param_count,
        .bind_i64 = sq_bind_i64,
        .bind_text = sq_bind_text,
        .bind_null = sq_bind_null,
        .step = sq_step,
        .col_i64 = sq_col_i64,
        .col_text = sq_col_text,
        .col_null = sq_col_null,
        .done = sq_done,
        .changes = sq_changes,
};
