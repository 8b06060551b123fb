/* Route matching: literals, parameters, 404 versus 405. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>

#include "http/http.h"

static void h(struct http_req *req)
{
	(void)req;
}
static void h2(struct http_req *req)
{
	(void)req;
}

static const struct http_route t1[] = {
        {.method = "GET", .path = "/admin/nodes", .fn = h},
        {.method = "POST", .path = "/admin/nodes", .fn = h2},
        {.method = "GET", .path = "/admin/nodes/:id", .fn = h},
        {.method = "POST", .path = "/admin/nodes/:id/cordon", .fn = h2},
        {0},
};
static const struct http_route t2[] = {
        {.method = "GET", .path = "/api/registry/services/:name/endpoints", .fn = h},
        {.method = "GET", .path = "/healthz", .fn = h},
        {0},
};
static const struct http_route *const tables[] = {t1, t2, NULL};

static void matches_literal_and_method(void **state)
{
	struct http_req req = {0};
	bool mm;
	const struct http_route *r = http_route_match(tables, "POST", "/admin/nodes", &req, &mm);
	assert_non_null(r);
	assert_ptr_equal(r->fn, h2);
	assert_int_equal(req.nparams, 0);
	r = http_route_match(tables, "GET", "/healthz", &req, &mm);
	assert_non_null(r);
}

static void extracts_params(void **state)
{
	struct http_req req = {0};
	bool mm;
	const struct http_route *r =
	        http_route_match(tables, "POST", "/admin/nodes/42/cordon", &req, &mm);
	assert_non_null(r);
	assert_string_equal(http_param(&req, "id"), "42");
	r = http_route_match(tables, "GET", "/api/registry/services/web/endpoints", &req, &mm);
	assert_non_null(r);
	assert_string_equal(http_param(&req, "name"), "web");
	assert_null(http_param(&req, "nam"));
	assert_null(http_param(&req, "id"));
}

static void not_found_versus_method_mismatch(void **state)
{
	struct http_req req = {0};
	bool mm;
	assert_null(http_route_match(tables, "DELETE", "/admin/nodes/7/cordon", &req, &mm));
	assert_true(mm);
	assert_null(http_route_match(tables, "GET", "/admin/nodes/7/drain", &req, &mm));
	assert_false(mm);
	assert_null(http_route_match(tables, "GET", "/admin/nodes/", &req, &mm));
	assert_false(mm);
	assert_null(http_route_match(tables, "GET", "/admin/nodes//cordon", &req, &mm));
	assert_null(http_route_match(tables, "GET", "/admin", &req, &mm));
	assert_null(http_route_match(tables, "GET", "", &req, &mm));
	assert_null(http_route_match(tables, "GET", "/healthz/", &req, &mm));
}

static void rejects_oversized_param(void **state)
{
	struct http_req req = {0};
	bool mm;
	char path[400] = "/admin/nodes/";
	memset(path + strlen(path), '9', 200);
	assert_null(http_route_match(tables, "GET", path, &req, &mm));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(matches_literal_and_method),
	        cmocka_unit_test(extracts_params),
	        cmocka_unit_test(not_found_versus_method_mismatch),
	        cmocka_unit_test(rejects_oversized_param),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
