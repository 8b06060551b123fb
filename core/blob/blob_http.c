/* blob_http: /admin/blobs (upload streamed, list, get, delete) and
 * /agent/blobs/:sha256 (the bytes, with ranges). */
#include "blob/blob.h"
#include "pagodad.h"

#define BLOB_READ .auth = HTTP_AUTH_ADMIN, .perm = "admin:app:read"
#define BLOB_WRITE .auth = HTTP_AUTH_ADMIN, .perm = "admin:blob:write"

static struct blob *bl(struct http_req *req)
{
	return ((struct pagodad *)req->app)->blob;
}

static void upload(struct http_req *req)
{
	struct pg_err err = {0};
	struct pg_call call = http_call(req);
	json_t *out = NULL;
	bool created = false;
	int rc = blob_put(bl(req), &call, req->upload, http_query(req, "sha256"),
	                  http_query(req, "name"), &out, &created, &err);
	http_answer(req, rc, created ? 201 : 200, out, &err);
}

static void list(struct http_req *req)
{
	struct pg_err err = {0};
	json_t *items = json_array();
	int rc = blob_list(bl(req), items, &err);
	http_answer(req, rc, 200,
	            rc == 0 ? json_pack("{s:o}", "items", items) : (json_decref(items), NULL),
	            &err);
}

static void get(struct http_req *req)
{
	struct pg_err err = {0};
	json_t *out = NULL;
	int rc = blob_get(bl(req), http_param(req, "sha256"), &out, &err);
	http_answer(req, rc, 200, out, &err);
}

static void del(struct http_req *req)
{
	struct pg_err err = {0};
	struct pg_call call = http_call(req);
	int rc = blob_delete(bl(req), &call, http_param(req, "sha256"), &err);
	http_answer(req, rc, 204, NULL, &err);
}

static void fetch(struct http_req *req)
{
	struct pg_err err = {0};
	int fd = -1;
	int64_t size = 0;
	if (blob_open(bl(req), req->who.node_id, http_param(req, "sha256"), &fd, &size, &err) !=
	    0) {
		http_reply_err(req, &err);
		return;
	}
	http_reply_file_range(req, fd, (size_t)size, "application/octet-stream");
}

const struct http_route blob_routes[] = {
        {.method = "POST", .path = "/admin/blobs", BLOB_WRITE, .fn = upload, .upload = true},
        {.method = "GET", .path = "/admin/blobs", BLOB_READ, .fn = list},
        {.method = "GET", .path = "/admin/blobs/:sha256", BLOB_READ, .fn = get},
        {.method = "DELETE", .path = "/admin/blobs/:sha256", BLOB_WRITE, .fn = del},
        {.method = "GET", .path = "/agent/blobs/:sha256", .auth = HTTP_AUTH_AGENT, .fn = fetch},
        {0},
};
