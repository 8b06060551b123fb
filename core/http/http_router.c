/* Route matching: a route path is literal segments and `:name` segments. */
#include "http/http.h"

#include <stdio.h>
#include <string.h>

static bool match_path(const char *pattern, const char *path, struct http_req *req)
{
	int n = 0;
	const char *p = pattern, *u = path;
	while (*p && *u) {
		if (*p != '/' || *u != '/')
			return false;
		p++, u++;
		const char *pe = strchrnul(p, '/'), *ue = strchrnul(u, '/');
		size_t plen = (size_t)(pe - p), ulen = (size_t)(ue - u);
		if (*p == ':') {
			if (ulen == 0 || ulen >= sizeof(req->params[0]) || n == HTTP_MAX_PARAMS)
				return false;
			req->param_names[n] = p + 1;
			memcpy(req->params[n], u, ulen);
			req->params[n][ulen] = '\0';
			n++;
		} else if (plen != ulen || memcmp(p, u, plen) != 0) {
			return false;
		}
		p = pe, u = ue;
	}
	if (*p || *u)
		return false;
	req->nparams = n;
	return true;
}

const struct http_route *http_route_match(const struct http_route *const *tables,
                                          const char *method, const char *path,
                                          struct http_req *req, bool *method_mismatch)
{
	*method_mismatch = false;
	/* HEAD is GET without the body (RFC 9110 9.3.2); libmicrohttpd drops it */
	const char *m = strcmp(method, "HEAD") == 0 ? "GET" : method;
	for (; *tables; tables++)
		for (const struct http_route *r = *tables; r->method; r++) {
			if (!match_path(r->path, path, req))
				continue;
			if (strcmp(r->method, m) == 0)
				return r;
			*method_mismatch = true;
		}
	req->nparams = 0;
	return NULL;
}

void http_route_allowed(const struct http_route *const *tables, const char *path, char *out,
                        size_t len)
{
	struct http_req scratch;
	size_t o = 0;
	out[0] = '\0';
	for (; *tables; tables++)
		for (const struct http_route *r = *tables; r->method; r++) {
			if (!match_path(r->path, path, &scratch) || strstr(out, r->method))
				continue;
			bool get = strcmp(r->method, "GET") == 0;
			int n = snprintf(out + o, len - o, "%s%s%s", o ? ", " : "", r->method,
			                 get ? ", HEAD" : "");
			if (n < 0 || (size_t)n >= len - o)
				return;
			o += (size_t)n;
		}
}

const char *http_param(const struct http_req *req, const char *name)
{
	size_t len = strlen(name);
	for (int i = 0; i < req->nparams; i++) {
		const char *pn = req->param_names[i];
		if (strncmp(pn, name, len) == 0 && (pn[len] == '/' || pn[len] == '\0'))
			return req->params[i];
	}
	return NULL;
}
