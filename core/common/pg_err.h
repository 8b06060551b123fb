/* pg_err: the one error vocabulary of Pagoda.
 * Store and service functions return 0 or a negative PG_E* code and fill a
 * struct pg_err; only the HTTP controller turns it into a status. */
#ifndef PG_ERR_H
#define PG_ERR_H

enum pg_code {
	PG_OK = 0,
	PG_EINVAL = -1,      /* invalid_argument, 400 */
	PG_ENOTFOUND = -2,   /* not_found, 404 */
	PG_ECONFLICT = -3,   /* conflict, 409 */
	PG_EUNAUTH = -4,     /* unauthenticated, 401 */
	PG_EFORBIDDEN = -5,  /* permission_denied, 403 */
	PG_ETOOLARGE = -6,   /* payload_too_large, 413 */
	PG_EPRECOND = -7,    /* failed_precondition, 422 */
	PG_EINTERNAL = -8,   /* internal, 500 */
	PG_EUNAVAIL = -9,    /* unavailable, 503 */
	PG_ERATELIMIT = -10, /* rate_limited, 429 */
	PG_ERANGE = -11,     /* range_not_satisfiable, 416 */
};

struct pg_err {
	int code;
	char field[96];
	char message[512];
};

/* Fills err (may be NULL) and returns code, so `return pg_err_set(...)` reads well. */
int pg_err_set(struct pg_err *err, int code, const char *field, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));
void pg_err_clear(struct pg_err *err);
/* Prefixes err->field with `prefix.` (for nested validation). */
void pg_err_prefix_field(struct pg_err *err, const char *prefix);
/* The API code string ("invalid_argument", ...) and the HTTP status of a code. */
const char *pg_err_code_name(int code);
int pg_err_http_status(int code);

#endif
