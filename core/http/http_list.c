#include "http/http_list.h"
#include "http/http.h"

#include <stdio.h>

bool http_list_params(struct http_req *req, int64_t *limit, int64_t *cursor)
{
	return http_query_int(req, "limit", 1, HTTP_LIST_MAX, HTTP_LIST_DEFAULT, limit) &&
	       http_query_int(req, "cursor", 1, INT64_MAX, 0, cursor);
}

void http_reply_list(struct http_req *req, int rc, json_t *items, int64_t next,
                     const struct pg_err *err)
{
	if (rc != 0) {
		json_decref(items);
		http_reply_err(req, err);
		return;
	}
	json_t *out = json_object();
	json_object_set_new(out, "items", items);
	if (next > 0) {
		char buf[24];
		snprintf(buf, sizeof(buf), "%lld", (long long)next);
		json_object_set_new(out, "next", json_string(buf));
	} else {
		json_object_set_new(out, "next", json_null());
	}
	http_reply(req, 200, out);
}
