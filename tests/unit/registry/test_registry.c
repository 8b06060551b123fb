/* The registry's admin use cases on a real SQLite store: services and
 * static endpoints, their refusals (field named, nothing changed), the
 * change index, and the wake hook blocking readers hang on. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/pg_call.h"
#include "registry/registry.h"
#include "store/store.h"

struct fixture {
	char dir[64];
	struct store *store;
	struct registry *reg;
	int wakes;
};

static void count_wake(void *arg, int64_t key)
{
	(void)key;
	((struct fixture *)arg)->wakes++;
}

static const struct pg_call who = {"test:registry", NULL, NULL};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct pg_err err = {0};
	char path[128];
	snprintf(f->dir, sizeof(f->dir), "/tmp/pagoda-reg-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(path, sizeof(path), "%s/pagoda.db", f->dir);
	assert_int_equal(store_open(path, &f->store, &err), 0);
	struct pg_wake wake = {count_wake, NULL, f};
	assert_int_equal(registry_new(f->store, NULL, &wake, &f->reg, &err), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[128];
	registry_free(f->reg);
	store_free(f->store);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

static json_t *service(struct fixture *f, const char *spec)
{
	struct pg_err err = {0};
	json_t *body = json_loads(spec, 0, NULL), *out = NULL;
	assert_int_equal(registry_service_put(f->reg, &who, body, true, &out, &err), 0);
	json_decref(body);
	return out;
}

/* A call that must fail with code on field, and change nothing. */
static void refused(struct fixture *f, int rc, int code, const struct pg_err *err,
                    const char *field)
{
	json_t *all = NULL;
	struct pg_err e = {0};
	assert_int_equal(rc, code);
	assert_string_equal(err->field, field);
	assert_int_equal(registry_service_list(f->reg, &all, NULL, &e), 0);
	assert_int_equal(json_array_size(all), 1);
	json_decref(all);
}

static void services_and_their_refusals(void **state)
{
	struct fixture *f = *state;
	struct pg_err err = {0};
	json_t *out = service(f, "{\"name\": \"api\", \"port\": 8080}"), *got = NULL;
	assert_string_equal(json_string_value(json_object_get(out, "name")), "api");
	json_decref(out);
	assert_int_equal(registry_service_get(f->reg, "api", &got, &err), 0);
	assert_int_equal(json_integer_value(json_object_get(got, "port")), 8080);
	json_decref(got);
	json_t *body = json_loads("{\"name\": \"other\", \"port\": 1}", 0, NULL);
	refused(f, registry_service_update(f->reg, &who, "api", body, &out, &err), PG_EINVAL, &err,
	        "name");
	json_decref(body);
	body = json_loads("{\"port\": 9090}", 0, NULL);
	refused(f, registry_service_update(f->reg, &who, "nope", body, &out, &err), PG_ENOTFOUND,
	        &err, "name");
	json_decref(body);
	body = json_loads("{\"port\": 9090}", 0, NULL);
	assert_int_equal(registry_service_update(f->reg, &who, "api", body, &out, &err), 0);
	assert_int_equal(json_integer_value(json_object_get(out, "port")), 9090);
	json_decref(out);
	json_decref(body);
	body = json_loads("{\"name\": \"Bad Name\"}", 0, NULL);
	refused(f, registry_service_put(f->reg, &who, body, true, &out, &err), PG_EINVAL, &err,
	        "name");
	json_decref(body);
}

static void static_endpoints_bump_the_index_and_wake(void **state)
{
	struct fixture *f = *state;
	struct pg_err err = {0};
	json_decref(service(f, "{\"name\": \"api\", \"port\": 8080}"));
	json_t *items = NULL, *out = NULL;
	int64_t i0 = 0, i1 = 0;
	assert_int_equal(registry_endpoints(f->reg, "api", false, &items, &i0, &err), 0);
	assert_int_equal(json_array_size(items), 0);
	json_decref(items);
	int wakes = f->wakes;
	json_t *ep = json_loads("{\"ip\": \"10.0.0.1\", \"port\": 80}", 0, NULL);
	assert_int_equal(registry_static_put(f->reg, &who, "api", 0, ep, &out, &err), 0);
	int64_t eid = json_integer_value(json_object_get(out, "id"));
	assert_string_equal(json_string_value(json_object_get(out, "source")), "static");
	json_decref(out);
	assert_true(f->wakes > wakes);
	assert_int_equal(registry_endpoints(f->reg, "api", true, &items, &i1, &err), 0);
	assert_true(i1 > i0);
	assert_int_equal(json_array_size(items), 1);
	json_decref(items);
	/* the same address twice, a bad address, a bad health: refused by field */
	refused(f, registry_static_put(f->reg, &who, "api", 0, ep, &out, &err), PG_ECONFLICT, &err,
	        "ip");
	json_t *bad = json_loads("{\"ip\": \"10.0.0.999\", \"port\": 80}", 0, NULL);
	refused(f, registry_static_put(f->reg, &who, "api", 0, bad, &out, &err), PG_EINVAL, &err,
	        "ip");
	json_decref(bad);
	bad = json_loads("{\"health\": \"great\"}", 0, NULL);
	refused(f, registry_static_put(f->reg, &who, "api", eid, bad, &out, &err), PG_EINVAL, &err,
	        "health");
	json_decref(bad);
	/* a PUT changes what it names only; an unhealthy endpoint leaves the healthy list */
	json_t *ch = json_loads("{\"health\": \"unhealthy\"}", 0, NULL);
	assert_int_equal(registry_static_put(f->reg, &who, "api", eid, ch, &out, &err), 0);
	assert_int_equal(json_integer_value(json_object_get(out, "port")), 80);
	json_decref(out);
	json_decref(ch);
	assert_int_equal(registry_endpoints(f->reg, "api", true, &items, &i1, &err), 0);
	assert_int_equal(json_array_size(items), 0);
	json_decref(items);
	/* deleted through another service's path: not found, still there */
	json_decref(service(f, "{\"name\": \"web\", \"port\": 80}"));
	assert_int_equal(registry_endpoint_delete(f->reg, &who, "web", eid, &err), PG_ENOTFOUND);
	assert_string_equal(err.field, "id");
	assert_int_equal(registry_endpoint_delete(f->reg, &who, "api", eid, &err), 0);
	assert_int_equal(registry_endpoints(f->reg, "api", false, &items, &i1, &err), 0);
	assert_int_equal(json_array_size(items), 0);
	json_decref(items);
	json_decref(ep);
	/* a service with endpoints goes with them */
	assert_int_equal(registry_service_delete(f->reg, &who, "api", &err), 0);
	assert_int_equal(registry_service_get(f->reg, "api", &out, &err), PG_ENOTFOUND);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(services_and_their_refusals, setup, teardown),
	        cmocka_unit_test_setup_teardown(static_endpoints_bump_the_index_and_wake, setup,
	                                        teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
