/* backup_http: /admin/backups. */
#include "backup/backup.h"
#include "common/pg_json.h"
#include "pagodad.h"

#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define BACKUP_MANAGE .auth = HTTP_AUTH_ADMIN, .perm = "admin:backup:manage"

static struct backup *bk(struct http_req *req)
{
	return ((struct pagodad *)req->app)->backup;
}

static void create(struct http_req *req)
{
	static const char *const fields[] = {"passphrase", NULL};
	struct pg_err err = {0};
	const char *pass = NULL;
	int rc = pg_json_only(req->body, fields, &err);
	if (rc == 0)
		rc = pg_json_str(req->body, "passphrase", false, 1024, &pass, &err);
	json_t *out = NULL;
	if (rc == 0) {
		struct pg_call call = http_call(req);
		rc = backup_create(bk(req), &call, pass && *pass ? pass : NULL, false, &out, &err);
	}
	http_answer(req, rc, 201, out, &err);
}

static void list(struct http_req *req)
{
	struct pg_err err = {0};
	json_t *items = json_array();
	int rc = backup_list(bk(req), items, &err);
	http_answer(req, rc, 200,
	            rc == 0 ? json_pack("{s:o}", "items", items) : (json_decref(items), NULL),
	            &err);
}

static void get(struct http_req *req)
{
	char path[2400];
	struct pg_err err = {0};
	struct stat st;
	if (backup_path(bk(req), http_param(req, "name"), path, sizeof(path), &err) != 0) {
		http_reply_err(req, &err);
		return;
	}
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) != 0) {
		if (fd >= 0)
			close(fd);
		http_reply_error(req, PG_EINTERNAL, "", "cannot read the backup");
		return;
	}
	http_reply_file(req, 200, fd, (size_t)st.st_size, "application/octet-stream");
}

static void del(struct http_req *req)
{
	struct pg_err err = {0};
	struct pg_call call = http_call(req);
	int rc = backup_delete(bk(req), &call, http_param(req, "name"), &err);
	http_answer(req, rc, 204, NULL, &err);
}

const struct http_route backup_routes[] = {
        {.method = "POST", .path = "/admin/backups", BACKUP_MANAGE, .fn = create},
        {.method = "GET", .path = "/admin/backups", BACKUP_MANAGE, .fn = list},
        {.method = "GET", .path = "/admin/backups/:name", BACKUP_MANAGE, .fn = get},
        {.method = "DELETE", .path = "/admin/backups/:name", BACKUP_MANAGE, .fn = del},
        {0},
};
