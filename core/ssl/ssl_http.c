/* Controller for /admin/certificates and GET /.well-known/acme-challenge/:token
 * (what every ingress node's nginx proxies HTTP-01 requests to). */
#include "ssl/ssl_http.h"
#include "http/http_list.h"
#include "pagodad.h"
#include "ssl/ssl_int.h"

#include <stdlib.h>
#include <string.h>

static struct ssl *ssl_of(struct http_req *req)
{
	return ((struct pagodad *)req->app)->ssl;
}

static void cert_acme(struct http_req *req)
{
	struct pg_err err = {0};
	struct pg_call call = http_call(req);
	json_t *out = NULL;
	int rc = ssl_request(ssl_of(req), &call, req->body, &out, &err);
	http_answer(req, rc, 202, out, &err);
}

static void cert_import(struct http_req *req)
{
	struct pg_err err = {0};
	struct pg_call call = http_call(req);
	json_t *out = NULL;
	int rc = ssl_import(ssl_of(req), &call, req->body, &out, &err);
	http_answer(req, rc, 201, out, &err);
}

static void cert_list(struct http_req *req)
{
	struct pg_err err = {0};
	json_t *items = NULL;
	int rc = ssl_list(ssl_of(req), &items, &err);
	http_reply_list(req, rc, items ? items : json_array(), 0, &err);
}

static void cert_get(struct http_req *req)
{
	struct pg_err err = {0};
	int64_t id;
	json_t *out = NULL;
	if (!http_param_id(req, "id", &id))
		return;
	int rc = ssl_cert_get(ssl_of(req), id, &out, &err);
	http_answer(req, rc, 200, out, &err);
}

static void cert_versions(struct http_req *req)
{
	struct pg_err err = {0};
	int64_t id;
	json_t *items = NULL;
	if (!http_param_id(req, "id", &id))
		return;
	int rc = ssl_cert_versions(ssl_of(req), id, &items, &err);
	http_reply_list(req, rc, items, 0, &err);
}

/* The public chain of a version, for checks and for operators. */
static void cert_chain(struct http_req *req)
{
	struct pg_err err = {0};
	int64_t id, v;
	char *chain = NULL;
	if (!http_param_id(req, "id", &id) || !http_param_id(req, "version", &v))
		return;
	int rc = ssl_cert_chain(ssl_of(req), id, v, &chain, &err);
	http_answer(req, rc, 200, rc == 0 ? json_pack("{s:s}", "chainPem", chain) : NULL, &err);
	free(chain);
}

static void cert_deploy(struct http_req *req)
{
	struct pg_err err = {0};
	struct pg_call call = http_call(req);
	int64_t id;
	json_t *out = NULL;
	if (!http_param_id(req, "id", &id))
		return;
	int rc = ssl_deploy(ssl_of(req), &call, id, req->body, &out, &err);
	http_answer(req, rc, 202, out, &err);
}

static void cert_renew(struct http_req *req)
{
	struct pg_err err = {0};
	struct pg_call call = http_call(req);
	int64_t id;
	json_t *out = NULL;
	if (!http_param_id(req, "id", &id))
		return;
	int rc = ssl_renew_now(ssl_of(req), &call, id, &err);
	if (rc == 0)
		rc = ssl_cert_get(ssl_of(req), id, &out, &err);
	http_answer(req, rc, 202, out, &err);
}

static void cert_delete(struct http_req *req)
{
	struct pg_err err = {0};
	struct pg_call call = http_call(req);
	int64_t id;
	if (!http_param_id(req, "id", &id))
		return;
	int rc = ssl_delete(ssl_of(req), &call, id, &err);
	http_answer(req, rc, 204, NULL, &err);
}

static void challenge(struct http_req *req)
{
	struct pg_err err = {0};
	const char *token = http_param(req, "token");
	char *ka = NULL;
	int rc = ssl_challenge_answer(ssl_of(req), token, &ka, &err);
	if (rc != 0) {
		http_reply_err(req, &err);
		return;
	}
	http_reply_text(req, 200, ka, "text/plain");
	free(ka);
}

static void provider_put(struct http_req *req)
{
	struct pg_err err = {0};
	struct pg_call call = http_call(req);
	json_t *out = NULL;
	int rc = ssl_dns_provider_put(ssl_of(req), &call, http_param(req, "name"), req->body, &out,
	                              &err);
	http_answer(req, rc, 200, out, &err);
}

static void provider_list(struct http_req *req)
{
	struct pg_err err = {0};
	json_t *items = NULL;
	int rc = ssl_dns_provider_list(ssl_of(req), &items, &err);
	http_reply_list(req, rc, items ? items : json_array(), 0, &err);
}

static void provider_get(struct http_req *req)
{
	struct pg_err err = {0};
	json_t *out = NULL;
	int rc = ssl_dns_provider_get(ssl_of(req), http_param(req, "name"), &out, &err);
	http_answer(req, rc, 200, out, &err);
}

static void provider_delete(struct http_req *req)
{
	struct pg_err err = {0};
	struct pg_call call = http_call(req);
	int rc = ssl_dns_provider_delete(ssl_of(req), &call, http_param(req, "name"), &err);
	http_answer(req, rc, 204, NULL, &err);
}

#define SSL_READ .auth = HTTP_AUTH_ADMIN, .perm = "admin:ssl:read"
#define SSL_ISSUE .auth = HTTP_AUTH_ADMIN, .perm = "admin:ssl:issue"
#define SSL_DEPLOY .auth = HTTP_AUTH_ADMIN, .perm = "admin:ssl:deploy"

const struct http_route ssl_routes[] = {
        {.method = "POST", .path = "/admin/certificates/acme", SSL_ISSUE, .fn = cert_acme},
        {.method = "POST", .path = "/admin/certificates", SSL_ISSUE, .fn = cert_import},
        {.method = "GET", .path = "/admin/certificates", SSL_READ, .fn = cert_list},
        {.method = "GET", .path = "/admin/certificates/:id", SSL_READ, .fn = cert_get},
        {.method = "GET",
         .path = "/admin/certificates/:id/versions",
         SSL_READ,
         .fn = cert_versions},
        {.method = "GET",
         .path = "/admin/certificates/:id/versions/:version/chain",
         SSL_READ,
         .fn = cert_chain},
        {.method = "POST",
         .path = "/admin/certificates/:id/renew",
         SSL_ISSUE,
         .fn = cert_renew,
         .no_fields = true},
        {.method = "POST", .path = "/admin/certificates/:id/deploy", SSL_DEPLOY, .fn = cert_deploy},
        {.method = "DELETE", .path = "/admin/certificates/:id", SSL_ISSUE, .fn = cert_delete},
        {.method = "GET", .path = "/admin/dns-providers", SSL_READ, .fn = provider_list},
        {.method = "GET", .path = "/admin/dns-providers/:name", SSL_READ, .fn = provider_get},
        {.method = "PUT", .path = "/admin/dns-providers/:name", SSL_ISSUE, .fn = provider_put},
        {.method = "DELETE",
         .path = "/admin/dns-providers/:name",
         SSL_ISSUE,
         .fn = provider_delete},
        {.method = "GET",
         .path = "/.well-known/acme-challenge/:token",
         .auth = HTTP_AUTH_NONE,
         .fn = challenge},
        {0},
};
