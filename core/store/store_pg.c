/* The PostgreSQL store (libpq): one connection per thread, statements
 * prepared once per connection and cached by the address of their SQL text,
 * results read whole (DAO queries are bounded). Write transactions take one
 * transaction-scoped advisory lock first, so writers are serialised across
 * threads and replicas exactly as SQLite's BEGIN IMMEDIATE serialises them:
 * DAO code written for one store is correct on the other. */
#include "common/pg_log.h"
#include "common/pg_time.h"
#include "store/store_int.h"

#include <libpq-fe.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define STMT_CACHE 128
#define MAX_PARAMS 32
/* pg_advisory_xact_lock key of write transactions; 0x7061676f = "pago" */
#define WRITE_LOCK_KEY "1885431663"
#define MIGRATE_LOCK_KEY "1885431664"
/* leadership of role r: session advisory lock LEAD_KEY_BASE + r */
#define LEAD_KEY_BASE 1885431700LL
#define LEAD_CHECK_MS 1000

struct pq_stmt {
	struct store_stmt base;
	struct pq_conn *conn;
	char name[16];
	int nparams;
	char *vals[MAX_PARAMS];
	char nums[MAX_PARAMS][24];
	PGresult *res;
	int row, nrows;
	bool ran;
};

struct pq_conn {
	struct store_conn base;
	struct pq_store *store;
	PGconn *db;
	struct pq_stmt cache[STMT_CACHE];
	int ncache;
	bool in_tx;
	int64_t changes;
	struct pq_conn *next;
};

struct pq_listener {
	char channel[64];
	void (*fn)(void *arg, const char *payload);
	void *arg;
	struct pq_listener *next;
};

struct pq_store {
	struct store base;
	char *url;
	pthread_key_t key;
	pthread_mutex_t lock;
	struct pq_conn *conns;
	/* leadership: one session holds the advisory locks of the roles led */
	pthread_mutex_t coord_lock;
	PGconn *lead;
	unsigned held;
	int64_t lead_checked_ms;
	/* notifications: a thread LISTENing on its own session */
	struct pq_listener *listeners; /* under coord_lock */
	bool listen_dirty, listen_started;
	volatile bool listen_stop;
	pthread_t listen_thread;
};

static const struct store_driver pg_driver;

#define PQ_STORE(s) ((struct pq_store *)(s))
#define PQ_CONN(c) ((struct pq_conn *)(c))
#define PQ_STMT(st) ((struct pq_stmt *)(st))

/* The error code of a failed result: SQLSTATE classes that callers act on. */
static int pq_error(PGconn *db, const PGresult *res, struct pg_err *err, const char *what)
{
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	int code = PG_EINTERNAL;
	if (state && (strcmp(state, "23505") == 0 || strcmp(state, "23503") == 0 ||
	              strcmp(state, "23514") == 0))
		code = PG_ECONFLICT; /* unique, foreign key, check: as SQLite's CONSTRAINT */
	else if (state && (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0 ||
	                   strncmp(state, "08", 2) == 0))
		code = PG_EUNAVAIL;
	const char *msg = res ? PQresultErrorMessage(res) : PQerrorMessage(db);
	char clean[400];
	snprintf(clean, sizeof(clean), "%s", msg && *msg ? msg : PQerrorMessage(db));
	for (char *p = clean; *p; p++)
		if (*p == '\n')
			*p = ' ';
	return pg_err_set(err, code, "", "%s: %s", what, clean);
}

static void stmt_clear(struct pq_stmt *st)
{
	PQclear(st->res);
	st->res = NULL;
	st->ran = false;
	st->row = st->nrows = 0;
	for (int i = 0; i < st->nparams && i < MAX_PARAMS; i++) {
		if (st->vals[i] != st->nums[i])
			free(st->vals[i]);
		st->vals[i] = NULL;
	}
}

static void conn_close(struct pq_conn *c)
{
	for (int i = 0; i < c->ncache; i++)
		stmt_clear(&c->cache[i]);
	PQfinish(c->db);
	free(c);
}

static void conn_thread_exit(void *p)
{
	struct pq_conn *c = p;
	struct pq_store *s = c->store;
	pthread_mutex_lock(&s->lock);
	for (struct pq_conn **pp = &s->conns; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	pthread_mutex_unlock(&s->lock);
	conn_close(c);
}

static int exec_simple(PGconn *db, const char *sql, struct pg_err *err, const char *what)
{
	PGresult *r = PQexec(db, sql);
	ExecStatusType st = PQresultStatus(r);
	int rc = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK ? 0 : pq_error(db, r, err, what);
	PQclear(r);
	return rc;
}

static int conn_open(struct pq_store *s, struct pq_conn **out, struct pg_err *err)
{
	struct pq_conn *c = calloc(1, sizeof(*c));
	if (!c)
		return pg_err_set(err, PG_EINTERNAL, "", "out of memory");
	c->base.drv = &pg_driver;
	c->store = s;
	c->db = PQconnectdb(s->url);
	if (PQstatus(c->db) != CONNECTION_OK) {
		/* libpq's message names host and reason, never the password */
		int r = pg_err_set(err, PG_EUNAVAIL, "", "cannot connect to PostgreSQL: %s",
		                   PQerrorMessage(c->db));
		PQfinish(c->db);
		free(c);
		return r;
	}
	/* Times are milliseconds in BIGINT columns; the session's zone and
	 * notices do not matter. Commits wait for the WAL flush (the default),
	 * so an acknowledged write survives a crash of the database host. */
	if (exec_simple(c->db, "SET client_min_messages = warning; SET synchronous_commit = on",
	                err, "configure") != 0) {
		conn_close(c);
		return err->code;
	}
	pthread_mutex_lock(&s->lock);
	c->next = s->conns;
	s->conns = c;
	pthread_mutex_unlock(&s->lock);
	*out = c;
	return 0;
}

/* A connection that broke (server restart, failover) is reset before use;
 * cached statements died with it. */
static bool conn_usable(struct pq_conn *c, struct pg_err *err)
{
	if (PQstatus(c->db) == CONNECTION_OK)
		return true;
	for (int i = 0; i < c->ncache; i++)
		stmt_clear(&c->cache[i]);
	c->ncache = 0;
	c->in_tx = false;
	PQreset(c->db);
	if (PQstatus(c->db) == CONNECTION_OK)
		return true;
	pg_err_set(err, PG_EUNAVAIL, "", "PostgreSQL connection lost: %s", PQerrorMessage(c->db));
	return false;
}

static struct store_conn *pq_conn_get(struct store *base, struct pg_err *err)
{
	struct pq_store *s = PQ_STORE(base);
	struct pq_conn *c = pthread_getspecific(s->key);
	if (c)
		return conn_usable(c, err) ? &c->base : NULL;
	if (conn_open(s, &c, err) != 0)
		return NULL;
	pthread_setspecific(s->key, c);
	return &c->base;
}

/* Like SQLite's: each migration file in its own transaction with its
 * version row; a session advisory lock keeps replicas starting together
 * from migrating twice. */
static int migrate(struct pq_store *s, struct pg_err *err)
{
	struct store_conn *bc = pq_conn_get(&s->base, err);
	if (!bc)
		return err->code;
	PGconn *db = PQ_CONN(bc)->db;
	int rc = exec_simple(db, "SELECT pg_advisory_lock(" MIGRATE_LOCK_KEY ")", err,
	                     "migration lock");
	if (rc != 0)
		return rc;
	rc = exec_simple(
	        db,
	        "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY,"
	        " name TEXT NOT NULL, applied_at BIGINT NOT NULL)",
	        err, "schema_migrations");
	PGresult *r =
	        rc == 0 ? PQexec(db, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations")
	                : NULL;
	int current = r && PQresultStatus(r) == PGRES_TUPLES_OK ? atoi(PQgetvalue(r, 0, 0)) : 0;
	PQclear(r);
	s->base.version = current;
	for (const struct pg_embedded *m = store_migrations_postgres; rc == 0 && m->path; m++) {
		const char *name = strrchr(m->path, '/');
		name = name ? name + 1 : m->path;
		int v = atoi(name);
		if (v <= current)
			continue;
		if (v != s->base.version + 1) {
			rc = pg_err_set(err, PG_EINTERNAL, "", "migration %s is out of sequence",
			                name);
			break;
		}
		char *sql = malloc(strlen(m->data) + 512);
		if (!sql) {
			rc = pg_err_set(err, PG_EINTERNAL, "", "out of memory");
			break;
		}
		sprintf(sql,
		        "BEGIN; %s;\nINSERT INTO schema_migrations VALUES (%d, '%s', %lld); "
		        "COMMIT;",
		        m->data, v, name, (long long)pg_time_now_ms());
		rc = exec_simple(db, sql, err, name);
		free(sql);
		if (rc != 0) {
			exec_simple(db, "ROLLBACK", NULL, "rollback");
			break;
		}
		pg_info("store", "applied migration %s (postgres)", name);
		s->base.version = v;
	}
	exec_simple(db, "SELECT pg_advisory_unlock(" MIGRATE_LOCK_KEY ")", NULL,
	            "migration unlock");
	return rc;
}

static void pq_free(struct store *base)
{
	struct pq_store *s = PQ_STORE(base);
	if (s->listen_started) {
		s->listen_stop = true;
		pthread_join(s->listen_thread, NULL);
	}
	while (s->listeners) {
		struct pq_listener *n = s->listeners->next;
		free(s->listeners);
		s->listeners = n;
	}
	PQfinish(s->lead);
	pthread_mutex_destroy(&s->coord_lock);
	pthread_setspecific(s->key, NULL);
	pthread_key_delete(s->key);
	pthread_mutex_lock(&s->lock);
	struct pq_conn *c = s->conns;
	s->conns = NULL;
	pthread_mutex_unlock(&s->lock);
	while (c) {
		struct pq_conn *next = c->next;
		conn_close(c);
		c = next;
	}
	pthread_mutex_destroy(&s->lock);
	free(s->url);
	free(s);
}

int store_pg_open(const char *url, struct store **out, struct pg_err *err)
{
	struct pq_store *s = calloc(1, sizeof(*s));
	if (!s || !(s->url = strdup(url))) {
		free(s);
		return pg_err_set(err, PG_EINTERNAL, "", "out of memory");
	}
	s->base.drv = &pg_driver;
	pthread_mutex_init(&s->lock, NULL);
	pthread_mutex_init(&s->coord_lock, NULL);
	pthread_key_create(&s->key, conn_thread_exit);
	int rc = migrate(s, err);
	if (rc != 0) {
		pq_free(&s->base);
		return rc;
	}
	*out = &s->base;
	return 0;
}

/* A write: serialised with every other write, on every replica. */
#define WRITE_BEGIN "BEGIN; SELECT pg_advisory_xact_lock(" WRITE_LOCK_KEY ")"

/* Runs a BEGIN statement; a failed one leaves no transaction open. */
static int begin_as(struct pq_conn *c, const char *sql, struct pg_err *err)
{
	int rc = exec_simple(c->db, sql, err, "begin");
	if (rc != 0)
		exec_simple(c->db, "ROLLBACK", NULL, "rollback");
	return rc;
}

static int pq_begin(struct store_conn *bc, enum store_tx mode, struct pg_err *err)
{
	struct pq_conn *c = PQ_CONN(bc);
	if (bc->grouped) { /* one job of a group commit: the group holds the lock */
		int rc = exec_simple(c->db, "SAVEPOINT pagoda_job", err, "savepoint");
		c->in_tx = rc == 0;
		return rc;
	}
	/* Reads see one snapshot (as a SQLite read transaction does); writes
	 * queue behind each other on one lock. */
	int rc = begin_as(c,
	                  mode == STORE_TX_WRITE  ? WRITE_BEGIN
	                  : mode == STORE_TX_ROWS ? "BEGIN"
	                                          : "BEGIN ISOLATION LEVEL REPEATABLE READ",
	                  err);
	c->in_tx = rc == 0;
	return rc;
}

static void pq_rollback(struct store_conn *bc)
{
	struct pq_conn *c = PQ_CONN(bc);
	if (!c->in_tx)
		return;
	exec_simple(c->db, bc->grouped ? "ROLLBACK TO pagoda_job; RELEASE pagoda_job" : "ROLLBACK",
	            NULL, "rollback");
	c->in_tx = false;
}

static int pq_commit(struct store_conn *bc, struct pg_err *err)
{
	struct pq_conn *c = PQ_CONN(bc);
	int rc = exec_simple(c->db, bc->grouped ? "RELEASE pagoda_job" : "COMMIT", err, "commit");
	if (rc != 0)
		pq_rollback(bc);
	c->in_tx = false;
	return rc;
}

/* The writer thread's group commit, as on SQLite: one transaction (and one
 * turn of the write lock, one WAL flush) for a group of requests, each a
 * savepoint of its own. */
static int pq_group_begin(struct store_conn *bc, struct pg_err *err)
{
	return begin_as(PQ_CONN(bc), WRITE_BEGIN, err);
}

static int pq_group_end(struct store_conn *bc, bool commit, struct pg_err *err)
{
	struct pq_conn *c = PQ_CONN(bc);
	c->in_tx = false;
	int rc = commit ? exec_simple(c->db, "COMMIT", err, "commit") : 0;
	if (!commit || rc != 0)
		exec_simple(c->db, "ROLLBACK", NULL, "rollback");
	return rc;
}

static int pq_prepare(struct store_conn *bc, const char *sql, struct store_stmt **out,
                      struct pg_err *err)
{
	struct pq_conn *c = PQ_CONN(bc);
	for (int i = 0; i < c->ncache; i++)
		if (c->cache[i].base.key == sql) {
			*out = &c->cache[i].base;
			return 0;
		}
	if (c->ncache == STMT_CACHE)
		return pg_err_set(err, PG_EINTERNAL, "", "statement cache full");
	struct pq_stmt *e = &c->cache[c->ncache];
	memset(e, 0, sizeof(*e));
	snprintf(e->name, sizeof(e->name), "s%d", c->ncache);
	PGresult *r = PQprepare(c->db, e->name, sql, 0, NULL);
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		int rc = pq_error(c->db, r, err, "prepare");
		pg_error("store", "prepare failed: %s in: %s", err->message, sql);
		PQclear(r);
		/* a failed statement inside a transaction aborts it */
		return rc;
	}
	PQclear(r);
	r = PQdescribePrepared(c->db, e->name);
	e->nparams = PQresultStatus(r) == PGRES_COMMAND_OK ? PQnparams(r) : 0;
	PQclear(r);
	if (e->nparams > MAX_PARAMS)
		return pg_err_set(err, PG_EINTERNAL, "", "too many parameters in: %s", sql);
	e->base.drv = &pg_driver;
	e->base.key = sql;
	e->conn = c;
	c->ncache++;
	*out = &e->base;
	return 0;
}

static int pq_param_count(struct store_stmt *st)
{
	return PQ_STMT(st)->nparams;
}

static void pq_bind_i64(struct store_stmt *bst, int idx, int64_t v)
{
	struct pq_stmt *st = PQ_STMT(bst);
	snprintf(st->nums[idx - 1], sizeof(st->nums[0]), "%lld", (long long)v);
	st->vals[idx - 1] = st->nums[idx - 1];
}

static void pq_bind_text(struct store_stmt *bst, int idx, const char *v)
{
	struct pq_stmt *st = PQ_STMT(bst);
	st->vals[idx - 1] = v ? strdup(v) : NULL;
}

static void pq_bind_null(struct store_stmt *bst, int idx)
{
	PQ_STMT(bst)->vals[idx - 1] = NULL;
}

static int pq_step(struct store_stmt *bst, struct pg_err *err)
{
	struct pq_stmt *st = PQ_STMT(bst);
	if (!st->ran) {
		st->ran = true;
		st->res = PQexecPrepared(st->conn->db, st->name, st->nparams,
		                         (const char *const *)st->vals, NULL, NULL, 0);
		ExecStatusType s = PQresultStatus(st->res);
		if (s != PGRES_TUPLES_OK && s != PGRES_COMMAND_OK)
			return pq_error(st->conn->db, st->res, err, "query");
		const char *n = PQcmdTuples(st->res);
		st->conn->changes = n && *n ? strtoll(n, NULL, 10) : 0;
		st->nrows = PQntuples(st->res);
		st->row = -1;
	}
	if (st->row + 1 < st->nrows) {
		st->row++;
		return 1;
	}
	return 0;
}

static int64_t pq_col_i64(struct store_stmt *bst, int col)
{
	struct pq_stmt *st = PQ_STMT(bst);
	const char *v = PQgetvalue(st->res, st->row, col);
	if (v[0] == 't' && v[1] == '\0') /* a boolean expression */
		return 1;
	return strtoll(v, NULL, 10);
}

static const char *pq_col_text(struct store_stmt *bst, int col)
{
	struct pq_stmt *st = PQ_STMT(bst);
	return PQgetisnull(st->res, st->row, col) ? NULL : PQgetvalue(st->res, st->row, col);
}

static bool pq_col_null(struct store_stmt *bst, int col)
{
	struct pq_stmt *st = PQ_STMT(bst);
	return PQgetisnull(st->res, st->row, col);
}

static void pq_done(struct store_stmt *bst)
{
	stmt_clear(PQ_STMT(bst));
}

static int64_t pq_changes(struct store_conn *c)
{
	return PQ_CONN(c)->changes;
}

/* ---- coordination between replicas ---- */

static PGconn *session(struct pq_store *s)
{
	PGconn *c = PQconnectdb(s->url);
	if (PQstatus(c) == CONNECTION_OK)
		return c;
	pg_warn("store", "cannot open a coordination session: %s", PQerrorMessage(c));
	PQfinish(c);
	return NULL;
}

static bool query_true(PGconn *c, const char *sql)
{
	PGresult *r = PQexec(c, sql);
	bool ok = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 &&
	          strcmp(PQgetvalue(r, 0, 0), "t") == 0;
	PQclear(r);
	return ok;
}

static bool pq_leader(struct store *base, enum store_role role)
{
	struct pq_store *s = PQ_STORE(base);
	unsigned bit = 1u << role;
	int64_t now = pg_time_mono_ms();
	pthread_mutex_lock(&s->coord_lock);
	/* A session that broke took its locks with it: start over. */
	if (s->lead && (PQstatus(s->lead) != CONNECTION_OK ||
	                (s->held && now - s->lead_checked_ms >= LEAD_CHECK_MS &&
	                 !query_true(s->lead, "SELECT true")))) {
		PQfinish(s->lead);
		s->lead = NULL;
		s->held = 0;
	}
	if (s->lead && s->held)
		s->lead_checked_ms = now;
	if (!s->lead)
		s->lead = session(s);
	if (s->lead && !(s->held & bit)) {
		char sql[80];
		snprintf(sql, sizeof(sql), "SELECT pg_try_advisory_lock(%lld)",
		         LEAD_KEY_BASE + role);
		if (query_true(s->lead, sql)) {
			s->held |= bit;
			s->lead_checked_ms = now;
		}
	}
	bool lead = s->held & bit;
	pthread_mutex_unlock(&s->coord_lock);
	return lead;
}

static void pq_notify(struct store *base, const char *channel, const char *payload)
{
	struct pg_err err = {0};
	struct store_conn *c = pq_conn_get(base, &err);
	if (!c) {
		pg_warn("store", "notify %s: %s", channel, err.message);
		return;
	}
	const char *params[] = {channel, payload ? payload : ""};
	PGresult *r = PQexecParams(PQ_CONN(c)->db, "SELECT pg_notify($1, $2)", 2, NULL, params,
	                           NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		pg_warn("store", "notify %s: %s", channel, PQresultErrorMessage(r));
	PQclear(r);
}

/* Calls every listener of channel (every listener when channel is NULL).
 * The lock is held throughout, so store_unlisten returning means no call of
 * that listener is running or will run. */
static void dispatch(struct pq_store *s, const char *channel, const char *payload)
{
	pthread_mutex_lock(&s->coord_lock);
	for (struct pq_listener *l = s->listeners; l; l = l->next)
		if (l->fn && (!channel || strcmp(channel, l->channel) == 0))
			l->fn(l->arg, payload);
	pthread_mutex_unlock(&s->coord_lock);
}

static void pq_unlisten(struct store *base, void *arg)
{
	struct pq_store *s = PQ_STORE(base);
	pthread_mutex_lock(&s->coord_lock);
	for (struct pq_listener *l = s->listeners; l; l = l->next)
		if (l->arg == arg)
			l->fn = NULL;
	pthread_mutex_unlock(&s->coord_lock);
}

static void *listen_main(void *arg)
{
	struct pq_store *s = arg;
	PGconn *c = NULL;
	bool connected_before = false;
	while (!s->listen_stop) {
		if (!c || PQstatus(c) != CONNECTION_OK) {
			PQfinish(c);
			if (!(c = session(s))) {
				usleep(500 * 1000);
				continue;
			}
			pthread_mutex_lock(&s->coord_lock);
			s->listen_dirty = true;
			pthread_mutex_unlock(&s->coord_lock);
			if (connected_before)
				dispatch(
				        s, NULL,
				        NULL); /* whatever was sent meanwhile is lost: look again */
			connected_before = true;
		}
		pthread_mutex_lock(&s->coord_lock);
		bool dirty = s->listen_dirty;
		s->listen_dirty = false;
		struct pq_listener *ls = s->listeners;
		pthread_mutex_unlock(&s->coord_lock);
		for (struct pq_listener *l = ls; dirty && l; l = l->next) {
			char sql[96];
			snprintf(sql, sizeof(sql), "LISTEN \"%s\"", l->channel);
			PQclear(PQexec(c, sql));
		}
		struct pollfd pfd = {.fd = PQsocket(c), .events = POLLIN};
		if (poll(&pfd, 1, 250) < 0 || !PQconsumeInput(c))
			continue; /* a broken session shows in PQstatus next round */
		PGnotify *n;
		while ((n = PQnotifies(c))) {
			dispatch(s, n->relname, n->extra);
			PQfreemem(n);
		}
	}
	PQfinish(c);
	return NULL;
}

static int pq_listen(struct store *base, const char *channel, void (*fn)(void *, const char *),
                     void *arg, struct pg_err *err)
{
	struct pq_store *s = PQ_STORE(base);
	struct pq_listener *l = calloc(1, sizeof(*l));
	if (!l)
		return pg_err_set(err, PG_EINTERNAL, "", "out of memory");
	for (const char *p = channel; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || *p == '_'))
			return free(l),
			       pg_err_set(err, PG_EINTERNAL, "", "bad channel name %s", channel);
	snprintf(l->channel, sizeof(l->channel), "%s", channel);
	l->fn = fn;
	l->arg = arg;
	pthread_mutex_lock(&s->coord_lock);
	l->next = s->listeners;
	s->listeners = l;
	s->listen_dirty = true;
	bool start = !s->listen_started;
	s->listen_started = true;
	pthread_mutex_unlock(&s->coord_lock);
	if (start && pthread_create(&s->listen_thread, NULL, listen_main, s) != 0) {
		s->listen_started = false;
		return pg_err_set(err, PG_EINTERNAL, "", "cannot start the notification listener");
	}
	return 0;
}

static const struct store_driver pg_driver = {
        .name = "postgres",
        .free = pq_free,
        .conn_get = pq_conn_get,
        .begin = pq_begin,
        .commit = pq_commit,
        .rollback = pq_rollback,
        .group_begin = pq_group_begin,
        .group_end = pq_group_end,
        .prepare = pq_prepare,
        .param_count = pq_param_count,
        .bind_i64 = pq_bind_i64,
        .bind_text = pq_bind_text,
        .bind_null = pq_bind_null,
        .step = pq_step,
        .col_i64 = pq_col_i64,
        .col_text = pq_col_text,
        .col_null = pq_col_null,
        .done = pq_done,
        .changes = pq_changes,
        .leader = pq_leader,
        .notify = pq_notify,
        .listen = pq_listen,
        .unlisten = pq_unlisten,
};
