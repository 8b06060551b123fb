/* The journal: one small JSON file per task under STATE/journal, written
 * atomically. It makes taskId the idempotency key across restarts. */
#include "agent.h"
#include "common/pg_file.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define JOURNAL_KEEP_SEC (14 * 24 * 3600)

static void journal_path(struct agent *a, int64_t id, char *buf, size_t len)
{
	snprintf(buf, len, "%s/journal/%lld.json", a->state_dir, (long long)id);
}

int agent_journal_init(struct agent *a, struct pg_err *err)
{
	char dir[4096];
	snprintf(dir, sizeof(dir), "%s/journal", a->state_dir);
	if ((mkdir(a->state_dir, 0700) != 0 && errno != EEXIST) ||
	    (mkdir(dir, 0700) != 0 && errno != EEXIST))
		return pg_err_set(err, PG_EINTERNAL, "state-dir", "cannot create %s: %s", dir,
		                  strerror(errno));
	/* Forget finished tasks after two weeks; the server will not redeliver
	 * anything that old. */
	DIR *d = opendir(dir);
	if (!d)
		return pg_err_set(err, PG_EINTERNAL, "state-dir", "cannot read %s: %s", dir,
		                  strerror(errno));
	time_t limit = time(NULL) - JOURNAL_KEEP_SEC;
	struct dirent *e;
	while ((e = readdir(d))) {
		struct stat st;
		if (e->d_name[0] != '.' && fstatat(dirfd(d), e->d_name, &st, 0) == 0 &&
		    st.st_mtime < limit)
			unlinkat(dirfd(d), e->d_name, 0);
	}
	closedir(d);
	return 0;
}

json_t *agent_journal_get(struct agent *a, int64_t task_id)
{
	char path[4096];
	journal_path(a, task_id, path, sizeof(path));
	return json_load_file(path, 0, NULL);
}

int agent_journal_put(struct agent *a, int64_t task_id, json_t *record, struct pg_err *err)
{
	char name[64];
	snprintf(name, sizeof(name), "journal/%lld.json", (long long)task_id);
	return agent_state_save(a, name, record, err);
}

int agent_state_save(struct agent *a, const char *name, json_t *v, struct pg_err *err)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", a->state_dir, name);
	char *text = json_dumps(v, JSON_COMPACT);
	if (!text)
		return pg_err_set(err, PG_EINTERNAL, "", "out of memory");
	int rc = pg_file_write(path, text, strlen(text), 0600, err);
	free(text);
	return rc;
}
