/* pg_conf: settings from flags, environment and an INI file (inih). */
#include "common/pg_conf.h"
#include "common/pg_json.h"

#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum src { SRC_DEFAULT, SRC_FILE, SRC_ENV, SRC_FLAG };
static const char *const src_names[] = {"default", "file", "environment", "flag"};

struct pg_conf {
	const struct pg_conf_opt *opts;
	size_t nopts;
	unsigned char *from; /* enum src of each entry */
	char **owned;        /* copies the settings point into */
	size_t nowned, capowned;
	const char *file;
	int line; /* of the file, while it is read */
	struct pg_err *err;
};

static void *field(void *settings, const struct pg_conf_opt *o)
{
	return (char *)settings + o->offset;
}

static const char *keep(struct pg_conf *c, const char *s, size_t n)
{
	if (c->nowned == c->capowned) {
		size_t cap = c->capowned ? c->capowned * 2 : 16;
		char **o = realloc(c->owned, cap * sizeof(*o));
		if (!o)
			return NULL;
		c->owned = o;
		c->capowned = cap;
	}
	char *copy = strndup(s, n);
	if (copy)
		c->owned[c->nowned++] = copy;
	return copy;
}

static const struct pg_conf_opt *find_key(const struct pg_conf *c, const char *key)
{
	for (size_t i = 0; i < c->nopts; i++)
		if (strcmp(c->opts[i].key, key) == 0)
			return &c->opts[i];
	return NULL;
}

/* The flag name of a key, "backup.interval" -> "backup-interval". */
static void flag_name(const char *key, char *buf, size_t len)
{
	snprintf(buf, len, "%s", key);
	for (char *p = buf; *p; p++)
		if (*p == '.')
			*p = '-';
}

static void env_name(const char *prefix, const char *key, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s%s", prefix, key);
	for (char *p = buf + strlen(prefix); n > 0 && *p; p++)
		*p = (*p == '.' || *p == '-') ? '_' : (char)toupper((unsigned char)*p);
}

/* Where a value came from, for messages: "--listen", "PAGODA_LISTEN",
 * "/etc/pagoda/pagodad.conf:3: key 'listen'". */
static void origin(const struct pg_conf *c, const struct pg_conf_src *s,
                   const struct pg_conf_opt *o, enum src from, char *buf, size_t len)
{
	char name[128];
	if (from == SRC_FLAG) {
		flag_name(o->key, name, sizeof(name));
		snprintf(buf, len, "--%s", name);
	} else if (from == SRC_ENV) {
		env_name(s->env, o->key, buf, len);
	} else {
		snprintf(buf, len, "%s:%d: key '%s'", c->file, c->line, o->key);
	}
}

static const char *range_text(const struct pg_conf_opt *o, char *buf, size_t len)
{
	switch (o->type) {
	case PG_CONF_BOOL: return "true or false";
	case PG_CONF_INT:
		snprintf(buf, len, "an integer from %lld to %lld", o->min, o->max);
		return buf;
	default: return "a valid value (see --help)";
	}
}

/* Sets one entry from one source. A list set by a source replaces what a
 * lower source gave, and grows with each further value from the same one. */
static int set(struct pg_conf *c, const struct pg_conf_src *s, const struct pg_conf_opt *o,
               enum src from, const char *value, void *settings)
{
	size_t i = (size_t)(o - c->opts);
	char where[700], range[96];
	origin(c, s, o, from, where, sizeof(where));
	if (from != SRC_FLAG && (o->flags & PG_CONF_FLAG_ONLY) && strcmp(o->key, s->file_key) != 0)
		return pg_err_set(c->err, PG_EINVAL, o->key, "%s: %s is a command-line flag only",
		                  s->prog, where);
	if (from == SRC_FILE && c->from[i] == SRC_FILE && o->type != PG_CONF_LIST)
		return pg_err_set(c->err, PG_EINVAL, o->key, "%s: %s is set twice in the file",
		                  s->prog, where);
	bool ok = true;
	switch (o->type) {
	case PG_CONF_STR: {
		const char *v = from == SRC_FLAG ? value : keep(c, value, strlen(value));
		ok = v && *v && (!o->valid || o->valid(v));
		if (ok)
			*(const char **)field(settings, o) = v;
		break;
	}
	case PG_CONF_BOOL:
		if (!value || strcmp(value, "true") == 0 || strcmp(value, "yes") == 0 ||
		    strcmp(value, "1") == 0)
			*(bool *)field(settings, o) = true;
		else if (strcmp(value, "false") == 0 || strcmp(value, "no") == 0 ||
		         strcmp(value, "0") == 0)
			*(bool *)field(settings, o) = false;
		else
			ok = false;
		break;
	case PG_CONF_INT: {
		int64_t v;
		ok = pg_parse_i64(value, &v) && v >= o->min && v <= o->max;
		if (ok)
			*(long long *)field(settings, o) = v;
		break;
	}
	case PG_CONF_LIST: {
		struct pg_conf_list *l = field(settings, o);
		if (c->from[i] != from)
			l->n = 0;
		/* flags repeat; a file line or a variable holds a comma-separated list */
		for (const char *p = value; ok && *p;) {
			size_t n = from == SRC_FLAG ? strlen(p) : strcspn(p, ",");
			const char *b = p, *e = p + n;
			while (b < e && isspace((unsigned char)*b))
				b++;
			while (e > b && isspace((unsigned char)e[-1]))
				e--;
			const char *v = b < e ? keep(c, b, (size_t)(e - b)) : NULL;
			if (!v || l->n == PG_CONF_LIST_MAX || (o->valid && !o->valid(v))) {
				if (l->n == PG_CONF_LIST_MAX)
					return pg_err_set(c->err, PG_EINVAL, o->key,
					                  "%s: %s: at most %d values", s->prog,
					                  where, PG_CONF_LIST_MAX);
				ok = false;
				break;
			}
			l->v[l->n++] = v;
			p += n;
			if (*p == ',')
				p++;
		}
		ok = ok && l->n > 0;
		break;
	}
	}
	if (!ok)
		return pg_err_set(c->err, PG_EINVAL, o->key,
		                  "%s: bad value '%s' for %s: expected %s", s->prog,
		                  value ? value : "", where, range_text(o, range, sizeof(range)));
	c->from[i] = (unsigned char)from;
	return 0;
}

struct file_ctx {
	struct pg_conf *c;
	const struct pg_conf_src *s;
	void *settings;
	FILE *f;
	int rc;
};

/* inih's reader, counting lines so errors can name theirs. */
static char *read_line(char *buf, int size, void *arg)
{
	struct file_ctx *x = arg;
	char *r = fgets(buf, size, x->f);
	if (r)
		x->c->line++;
	return r;
}

static int on_key(void *arg, const char *section, const char *name, const char *value)
{
	struct file_ctx *x = arg;
	char key[256];
	snprintf(key, sizeof(key), "%s%s%s", section, *section ? "." : "", name);
	const struct pg_conf_opt *o = find_key(x->c, key);
	if (!o || strcmp(o->key, x->s->file_key) == 0) {
		x->rc = pg_err_set(
		        x->c->err, PG_EINVAL, key, "%s: %s:%d: unknown key '%s'%s", x->s->prog,
		        x->c->file, x->c->line, key,
		        *section ? "" : " (see --help for the keys; a [section] prefixes them)");
		return 0;
	}
	x->rc = set(x->c, x->s, o, SRC_FILE, value, x->settings);
	return x->rc == 0;
}

static int load_file(struct pg_conf *c, const struct pg_conf_src *s, const char *path,
                     void *settings)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return pg_err_set(c->err, PG_EINVAL, s->file_key,
		                  "%s: cannot read the config file %s: %s", s->prog, path,
		                  strerror(errno));
	c->file = path;
	c->line = 0;
	struct file_ctx x = {.c = c, .s = s, .settings = settings, .f = f};
	int r = ini_parse_stream(read_line, &x, on_key, &x);
	fclose(f);
	if (x.rc)
		return x.rc;
	if (r != 0)
		return pg_err_set(c->err, PG_EINVAL, s->file_key,
		                  "%s: %s:%d: not an INI line (key = value or [section])", s->prog,
		                  path, r);
	return 0;
}

/* One pass over argv: with only_key, sets just that entry (the file's
 * name must be known before the file is read). */
static int load_flags(struct pg_conf *c, const struct pg_conf_src *s, int argc, char **argv,
                      const char *only_key, void *settings)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strncmp(a, "--", 2) != 0 || !a[2])
			return pg_err_set(c->err, PG_EINVAL, "",
			                  "%s: unexpected argument '%s' (settings are --flags)",
			                  s->prog, a);
		char name[128];
		const char *eq = strchr(a + 2, '=');
		size_t n = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
		const struct pg_conf_opt *o = NULL;
		for (size_t k = 0; k < c->nopts && !o; k++) {
			flag_name(c->opts[k].key, name, sizeof(name));
			if (strlen(name) == n && strncmp(name, a + 2, n) == 0)
				o = &c->opts[k];
		}
		if (!o)
			return pg_err_set(c->err, PG_EINVAL, "",
			                  "%s: unknown flag %.*s (see --help)", s->prog,
			                  (int)(n + 2), a);
		const char *value = eq ? eq + 1 : NULL;
		if (!value && o->type != PG_CONF_BOOL) {
			if (i + 1 == argc)
				return pg_err_set(c->err, PG_EINVAL, o->key,
				                  "%s: --%s needs a value", s->prog, name);
			value = argv[++i];
		}
		if (only_key && strcmp(o->key, only_key) != 0)
			continue;
		int rc = set(c, s, o, SRC_FLAG, value, settings);
		if (rc)
			return rc;
	}
	return 0;
}

static int load_env(struct pg_conf *c, const struct pg_conf_src *s, const char *only_key,
                    void *settings)
{
	for (size_t i = 0; i < c->nopts; i++) {
		const struct pg_conf_opt *o = &c->opts[i];
		bool is_file = strcmp(o->key, s->file_key) == 0;
		if ((only_key && strcmp(o->key, only_key) != 0) ||
		    ((o->flags & PG_CONF_FLAG_ONLY) && !is_file))
			continue;
		char name[160];
		env_name(s->env, o->key, name, sizeof(name));
		const char *v = getenv(name);
		int rc = v ? set(c, s, o, SRC_ENV, v, settings) : 0;
		if (rc)
			return rc;
	}
	return 0;
}

int pg_conf_load(const struct pg_conf_opt *opts, const struct pg_conf_src *src, int argc,
                 char **argv, void *settings, struct pg_conf **out, struct pg_err *err)
{
	struct pg_conf *c = calloc(1, sizeof(*c));
	size_t n = 0;
	while (opts[n].key)
		n++;
	if (!c || !(c->from = calloc(n ? n : 1, 1))) {
		free(c);
		return pg_err_set(err, PG_EINTERNAL, "", "out of memory");
	}
	c->opts = opts;
	c->nopts = n;
	c->err = err;
	*out = c;
	const struct pg_conf_opt *fo = find_key(c, src->file_key);
	int rc = 0;
	if (fo) {
		/* the file's name: flag over environment, then the file itself */
		rc = load_env(c, src, src->file_key, settings);
		if (rc == 0)
			rc = load_flags(c, src, argc, argv, src->file_key, settings);
		const char *path = *(const char **)field(settings, fo);
		if (rc == 0 && path)
			rc = load_file(c, src, path, settings);
	}
	if (rc == 0)
		rc = load_env(c, src, NULL, settings);
	if (rc == 0)
		rc = load_flags(c, src, argc, argv, NULL, settings);
	c->err = NULL;
	return rc;
}

void pg_conf_free(struct pg_conf *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->nowned; i++)
		free(c->owned[i]);
	free(c->owned);
	free(c->from);
	free(c);
}

const char *pg_conf_source(const struct pg_conf *c, const char *key)
{
	const struct pg_conf_opt *o = find_key(c, key);
	return o ? src_names[c->from[o - c->opts]] : NULL;
}

const char *pg_conf_mask(const char *value, char *buf, size_t len)
{
	const char *scheme = strstr(value, "://");
	const char *at = scheme ? strchr(scheme + 3, '@') : NULL;
	const char *colon = at ? memchr(scheme + 3, ':', (size_t)(at - scheme - 3)) : NULL;
	if (colon)
		snprintf(buf, len, "%.*s:****%s", (int)(colon - value), value, at);
	else if (scheme)
		snprintf(buf, len, "%s", value); /* a URL without a password holds no secret */
	else
		snprintf(buf, len, "****");
	return buf;
}

static void print_value(const struct pg_conf_opt *o, const void *settings, FILE *f)
{
	const void *p = (const char *)settings + o->offset;
	char masked[1024];
	switch (o->type) {
	case PG_CONF_STR: {
		const char *v = *(const char *const *)p;
		fputs(!v                            ? ""
		      : (o->flags & PG_CONF_SECRET) ? pg_conf_mask(v, masked, sizeof(masked))
		                                    : v,
		      f);
		break;
	}
	case PG_CONF_BOOL: fputs(*(const bool *)p ? "true" : "false", f); break;
	case PG_CONF_INT: fprintf(f, "%lld", *(const long long *)p); break;
	case PG_CONF_LIST: {
		const struct pg_conf_list *l = p;
		for (size_t i = 0; i < l->n; i++)
			fprintf(f, "%s%s", i ? ", " : "", l->v[i]);
		break;
	}
	}
}

void pg_conf_print(const struct pg_conf *c, const void *settings, FILE *f)
{
	char section[64] = "";
	fputs("; effective settings: flag > environment > file > default\n", f);
	for (size_t i = 0; i < c->nopts; i++) {
		const struct pg_conf_opt *o = &c->opts[i];
		if (o->flags & PG_CONF_FLAG_ONLY)
			continue;
		const char *dot = strchr(o->key, '.');
		size_t sl = dot ? (size_t)(dot - o->key) : 0;
		if (strlen(section) != sl || strncmp(section, o->key, sl) != 0) {
			snprintf(section, sizeof(section), "%.*s", (int)sl, o->key);
			fprintf(f, "\n[%s]\n", section);
		}
		const void *p = (const char *)settings + o->offset;
		bool unset = (o->type == PG_CONF_STR && !*(const char *const *)p) ||
		             (o->type == PG_CONF_LIST && ((const struct pg_conf_list *)p)->n == 0);
		fprintf(f, "%s%s = ", unset ? "; " : "", dot ? dot + 1 : o->key);
		print_value(o, settings, f);
		fprintf(f, "    ; %s\n", unset ? "unset" : src_names[c->from[i]]);
	}
}

void pg_conf_help(const struct pg_conf_opt *opts, FILE *f)
{
	for (const struct pg_conf_opt *o = opts; o->key; o++) {
		char name[128], head[200];
		flag_name(o->key, name, sizeof(name));
		snprintf(head, sizeof(head), "--%s%s%s", name, o->arg ? " " : "",
		         o->arg ? o->arg : "");
		fprintf(f, "  %-28s", head);
		if (strlen(head) > 28)
			fprintf(f, "\n  %-28s", "");
		for (const char *h = o->help; *h;) {
			size_t n = strcspn(h, "\n");
			fprintf(f, "%.*s\n", (int)n, h);
			h += n;
			if (*h == '\n' && *++h)
				fprintf(f, "  %-28s", "");
		}
	}
}
