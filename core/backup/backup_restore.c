/* `pagodad restore`: a backup into an empty data dir, all or nothing. */
#include "backup/backup.h"
#include "common/pg_conf.h"
#include "common/pg_file.h"

#include <dirent.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

struct restore_settings {
	const char *from, *data_dir, *passphrase_file;
	bool help;
};

#define R(f) offsetof(struct restore_settings, f)
static const struct pg_conf_opt opts[] = {
        {"from", PG_CONF_STR, R(from), .flags = PG_CONF_FLAG_ONLY, .arg = "FILE",
         .help = "the backup (.pgbk)"},
        {"data-dir", PG_CONF_STR, R(data_dir), .flags = PG_CONF_FLAG_ONLY, .arg = "DIR",
         .help = "an empty or new directory: pagodad's --data-dir afterwards"},
        {"passphrase-file", PG_CONF_STR, R(passphrase_file), .flags = PG_CONF_FLAG_ONLY, .arg = "F",
         .help = "the passphrase's file (first line); else PAGODA_BACKUP_PASSPHRASE,\nelse asked "
                 "on the terminal"},
        {"help", PG_CONF_BOOL, R(help), .flags = PG_CONF_FLAG_ONLY, .help = "this text"},
        {0},
};

static bool dir_empty(const char *dir, bool *exists)
{
	DIR *d = opendir(dir);
	*exists = d != NULL;
	if (!d)
		return errno == ENOENT;
	bool empty = true;
	for (struct dirent *e; empty && (e = readdir(d));)
		empty = strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0;
	closedir(d);
	return empty;
}

static int ask(char *buf, size_t len)
{
	FILE *tty = fopen("/dev/tty", "r+");
	if (!tty)
		return -1;
	struct termios old, quiet;
	bool echo_off = tcgetattr(fileno(tty), &old) == 0;
	if (echo_off) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(fileno(tty), TCSAFLUSH, &quiet);
	}
	fputs("backup passphrase: ", tty);
	fflush(tty);
	bool ok = fgets(buf, (int)len, tty) != NULL;
	if (echo_off)
		tcsetattr(fileno(tty), TCSAFLUSH, &old);
	fputs("\n", tty);
	fclose(tty);
	buf[strcspn(buf, "\r\n")] = '\0';
	return ok ? 0 : -1;
}

static int passphrase(const struct restore_settings *s, char *buf, size_t len)
{
	const char *env = getenv("PAGODA_BACKUP_PASSPHRASE");
	if (s->passphrase_file) {
		char *text = NULL;
		size_t n;
		struct pg_err err = {0};
		if (pg_file_read(s->passphrase_file, 4096, &text, &n, &err) != 0) {
			fprintf(stderr, "pagodad restore: %s\n", err.message);
			return -1;
		}
		snprintf(buf, len, "%.*s", (int)strcspn(text, "\r\n"), text);
		explicit_bzero(text, n);
		free(text);
		return 0;
	}
	if (env) {
		snprintf(buf, len, "%s", env);
		return 0;
	}
	if (ask(buf, len) == 0)
		return 0;
	fprintf(stderr, "pagodad restore: give --passphrase-file or PAGODA_BACKUP_PASSPHRASE (no "
	                "terminal to ask on)\n");
	return -1;
}

int backup_restore_main(int argc, char **argv)
{
	static const struct pg_conf_src src = {
	        .prog = "pagodad restore", .env = "PAGODA_RESTORE_", .file_key = ""};
	struct restore_settings s = {0};
	struct pg_conf *conf = NULL;
	struct pg_err err = {0};
	int rc = pg_conf_load(opts, &src, argc, argv, &s, &conf, &err);
	if (rc == 0 && s.help) {
		fputs("usage: pagodad restore --from FILE --data-dir DIR [--passphrase-file F]\n",
		      stdout);
		pg_conf_help(opts, stdout);
		pg_conf_free(conf);
		return 0;
	}
	if (rc == 0 && (!s.from || !s.data_dir))
		rc = pg_err_set(&err, PG_EINVAL, "",
		                "pagodad restore: --from FILE and --data-dir DIR are required");
	if (rc) {
		fprintf(stderr, "%s\n", err.message);
		pg_conf_free(conf);
		return 2;
	}
	bool existed;
	if (!dir_empty(s.data_dir, &existed)) {
		fprintf(stderr,
		        "pagodad restore: %s is not empty: restore into an empty or new "
		        "directory\n",
		        s.data_dir);
		pg_conf_free(conf);
		return 1;
	}
	char pass[1024];
	if (passphrase(&s, pass, sizeof(pass)) != 0) {
		pg_conf_free(conf);
		return 2;
	}
	umask(077);
	if (!existed && mkdir(s.data_dir, 0700) != 0) {
		fprintf(stderr, "pagodad restore: cannot create %s: %s\n", s.data_dir,
		        strerror(errno));
		pg_conf_free(conf);
		return 1;
	}
	json_t *manifest = NULL;
	rc = backup_file_read(s.from, pass, s.data_dir, &manifest, &err);
	explicit_bzero(pass, sizeof(pass));
	if (rc) {
		if (!existed)
			rmdir(s.data_dir);
		fprintf(stderr, "pagodad restore: %s (nothing was written)\n", err.message);
		pg_conf_free(conf);
		return 1;
	}
	chmod(s.data_dir, 0700);
	printf("pagodad restore: backup of %s (pagodad %s, %s store, schema %lld) restored into "
	       "%s\n",
	       json_string_value(json_object_get(manifest, "createdAt")),
	       json_string_value(json_object_get(manifest, "pagodad")),
	       json_string_value(json_object_get(manifest, "store")),
	       (long long)json_integer_value(json_object_get(manifest, "schemaVersion")),
	       s.data_dir);
	if (strcmp(json_string_value(json_object_get(manifest, "store")) ?: "", "sqlite") != 0)
		printf("pagodad restore: the database was not in it: restore PostgreSQL with its "
		       "own tools, then start "
		       "pagodad with this data dir (its master.key opens the database's "
		       "secrets)\n");
	json_decref(manifest);
	pg_conf_free(conf);
	return 0;
}
