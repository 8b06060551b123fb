/* Controller for /admin/alerts, /admin/alert-rules and /admin/alert-channels. */
#include "alert/alert.h"
#include "alert/alert_http.h"
#include "http/http.h"
#include "http/http_list.h"
#include "pagodad.h"

#include <string.h>

static struct alert *alert_of(struct http_req *req)
{
	return ((struct pagodad *)req->app)->alert;
}

static void alerts_list(struct http_req *req)
{
	const char *status = http_query(req, "status"), *rule = http_query(req, "rule");
	int64_t limit, cursor, next = 0;
	if (status && strcmp(status, "firing") && strcmp(status, "resolved")) {
		http_reply_error(req, PG_EINVAL, "status", "status must be firing or resolved");
		return;
	}
	if (!http_list_params(req, &limit, &cursor))
		return;
	struct pg_err err = {0};
	json_t *items = NULL;
	int rc = alert_list(alert_of(req), status, rule, cursor, limit, &items, &next, &err);
	http_reply_list(req, rc, items, next, &err);
}

static void alerts_get(struct http_req *req)
{
	int64_t id;
	if (!http_param_id(req, "id", &id))
		return;
	struct pg_err err = {0};
	json_t *out = NULL;
	int rc = alert_get(alert_of(req), id, &out, &err);
	http_answer(req, rc, 200, out, &err);
}

static void alerts_ack(struct http_req *req)
{
	int64_t id;
	if (!http_param_id(req, "id", &id))
		return;
	struct pg_err err = {0};
	struct pg_call call = http_call(req);
	json_t *out = NULL;
	int rc = alert_ack(alert_of(req), &call, id, &out, &err);
	http_answer(req, rc, 200, out, &err);
}

static void rules_list(struct http_req *req)
{
	struct pg_err err = {0};
	json_t *items = NULL;
	int rc = alert_rules_list(alert_of(req), &items, &err);
	http_reply_list(req, rc, items, 0, &err);
}

static void rules_update(struct http_req *req)
{
	struct pg_err err = {0};
	struct pg_call call = http_call(req);
	json_t *out = NULL;
	int rc = alert_rule_update(alert_of(req), &call, http_param(req, "name"), req->body, &out,
	                           &err);
	http_answer(req, rc, 200, out, &err);
}

static void rules_test(struct http_req *req)
{
	struct pg_err err = {0};
	struct pg_call call = http_call(req);
	json_t *out = NULL;
	int rc = alert_rule_test(alert_of(req), &call, http_param(req, "name"), &out, &err);
	http_answer(req, rc, 200, out, &err);
}

static void channel_list(struct http_req *req)
{
	struct pg_err err = {0};
	json_t *items = NULL;
	int rc = alert_channel_list(alert_of(req), &items, &err);
	http_reply_list(req, rc, items ? items : json_array(), 0, &err);
}

static void channel_get(struct http_req *req)
{
	struct pg_err err = {0};
	json_t *out = NULL;
	int rc = alert_channel_get(alert_of(req), http_param(req, "name"), &out, &err);
	http_answer(req, rc, 200, out, &err);
}

static void channel_put(struct http_req *req)
{
	struct pg_err err = {0};
	struct pg_call call = http_call(req);
	json_t *out = NULL;
	int rc = alert_channel_put(alert_of(req), &call, http_param(req, "name"), req->body, &out,
	                           &err);
	http_answer(req, rc, 200, out, &err);
}

static void channel_delete(struct http_req *req)
{
	struct pg_err err = {0};
	struct pg_call call = http_call(req);
	int rc = alert_channel_delete(alert_of(req), &call, http_param(req, "name"), &err);
	http_answer(req, rc, 204, NULL, &err);
}

static void channel_test(struct http_req *req)
{
	struct pg_err err = {0};
	struct pg_call call = http_call(req);
	json_t *out = NULL;
	int rc = alert_channel_test(alert_of(req), &call, http_param(req, "name"), &out, &err);
	http_answer(req, rc, 200, out, &err);
}

#define ALERT_READ .auth = HTTP_AUTH_ADMIN, .perm = "admin:alert:read"
#define ALERT_MANAGE .auth = HTTP_AUTH_ADMIN, .perm = "admin:alert:manage"

const struct http_route alert_routes[] = {
        {.method = "GET", .path = "/admin/alerts", ALERT_READ, .fn = alerts_list},
        {.method = "GET", .path = "/admin/alerts/:id", ALERT_READ, .fn = alerts_get},
        {.method = "POST",
         .path = "/admin/alerts/:id/ack",
         ALERT_MANAGE,
         .fn = alerts_ack,
         .no_fields = true},
        {.method = "GET", .path = "/admin/alert-rules", ALERT_READ, .fn = rules_list},
        {.method = "PUT", .path = "/admin/alert-rules/:name", ALERT_MANAGE, .fn = rules_update},
        {.method = "POST",
         .path = "/admin/alert-rules/:name/test",
         ALERT_MANAGE,
         .fn = rules_test,
         .no_fields = true},
        {.method = "GET", .path = "/admin/alert-channels", ALERT_READ, .fn = channel_list},
        {.method = "GET", .path = "/admin/alert-channels/:name", ALERT_READ, .fn = channel_get},
        {.method = "PUT", .path = "/admin/alert-channels/:name", ALERT_MANAGE, .fn = channel_put},
        {.method = "DELETE",
         .path = "/admin/alert-channels/:name",
         ALERT_MANAGE,
         .fn = channel_delete},
        {.method = "POST",
         .path = "/admin/alert-channels/:name/test",
         ALERT_MANAGE,
         .fn = channel_test,
         .no_fields = true},
        {0},
};
