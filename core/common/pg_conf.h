/* pg_conf: a daemon's settings from flags, environment and an INI file,
 * all three described by one table, so that help, the file's keys, the
 * environment names and --print-config cannot drift apart.
 *
 * Precedence: flag > environment > file > the default the caller put in
 * its settings struct before loading. A table entry's key is the INI key
 * ("listen", or "backup.interval" for `interval` in `[backup]`); its flag
 * is --key with '.' turned into '-' (--backup-interval); its environment
 * variable is the prefix and the key in capitals with '.' and '-' turned
 * into '_' (PAGODA_BACKUP_INTERVAL). */
#ifndef PG_CONF_H
#define PG_CONF_H

#include "common/pg_err.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define PG_CONF_LIST_MAX 32

enum pg_conf_type {
	PG_CONF_STR,  /* const char * */
	PG_CONF_BOOL, /* bool; a flag without a value sets it */
	PG_CONF_INT,  /* long long, within [min, max] */
	PG_CONF_LIST, /* struct pg_conf_list; repeated flag, or a comma-separated value */
};

enum {
	PG_CONF_SECRET = 1,    /* masked by --print-config */
	PG_CONF_FLAG_ONLY = 2, /* an action or --config itself: neither file nor environment */
};

struct pg_conf_list {
	const char *v[PG_CONF_LIST_MAX];
	size_t n;
};

struct pg_conf_opt {
	const char *key;
	enum pg_conf_type type;
	size_t offset; /* of the value in the caller's settings struct */
	long long min, max;
	unsigned flags;
	const char *arg;  /* the value's name in help, "HOST:PORT" */
	const char *help; /* lines after the first are indented */
	/* A further check of a STR or LIST value; NULL when any will do. */
	bool (*valid)(const char *value);
};

struct pg_conf_src {
	const char *prog;     /* "pagodad", in messages */
	const char *env;      /* "PAGODA_" */
	const char *file_key; /* the entry naming the config file, "config" */
};

struct pg_conf;

/* Fills settings from argv (argv[0] skipped), the environment and the file
 * that the file_key entry names (flag or environment), in that precedence.
 * A bad flag, variable or line fails with a message naming it (file and
 * line for the file). Strings in settings stay valid until pg_conf_free. */
int pg_conf_load(const struct pg_conf_opt *opts, const struct pg_conf_src *src, int argc,
                 char **argv, void *settings, struct pg_conf **out, struct pg_err *err);
void pg_conf_free(struct pg_conf *conf);
/* Where an entry's value came from: "default", "file", "environment", "flag". */
const char *pg_conf_source(const struct pg_conf *conf, const char *key);
/* The effective settings as an INI file, secrets masked, with where each
 * came from. */
void pg_conf_print(const struct pg_conf *conf, const void *settings, FILE *f);
/* The table as --help text. */
void pg_conf_help(const struct pg_conf_opt *opts, FILE *f);
/* A secret as --print-config shows it: a URL's password or the whole
 * value replaced by "****". Writes into buf. */
const char *pg_conf_mask(const char *value, char *buf, size_t len);

#endif
