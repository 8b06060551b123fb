/* drift: what succeeded tasks put on a node, and how reports compare. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>

#include "drift/drift.h"

#define SHA_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define SHA_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"

static json_t *load(const char *text)
{
	json_error_t e;
	json_t *v = json_loads(text, 0, &e);
	assert_non_null(v);
	return v;
}

static const char *item(json_t *items, size_t i)
{
	return json_string_value(json_object_get(json_array_get(items, i), "item"));
}

static void test_items_of_tasks(void **state)
{
	(void)state;
	json_t *p = load("{\"files\": [{\"path\": \"/etc/a\", \"content\": \"x\"}]}");
	json_t *art = load("{\"files\": [{\"path\": \"/etc/a\", \"sha256\": \"" SHA_A "\"}]}");
	json_t *items = drift_items_of_task("ApplyConfigFiles", p, art);
	assert_int_equal(json_array_size(items), 1);
	assert_string_equal(item(items, 0), "file:/etc/a");
	json_decref(items);
	json_decref(p);
	json_decref(art);

	p = load("{\"unitName\": \"web.service\", \"content\": \"[Unit]\", \"enable\": true}");
	art = load("{\"path\": \"/etc/systemd/system/web.service\", \"sha256\": \"" SHA_A "\"}");
	items = drift_items_of_task("SystemdInstallUnit", p, art);
	assert_int_equal(json_array_size(items), 2);
	assert_string_equal(item(items, 1), "unit-enabled:web.service");
	json_decref(items);
	json_decref(p);
	json_decref(art);

	p = load("{\"unitName\": \"web.service\", \"action\": \"stop\"}");
	items = drift_items_of_task("SystemdControl", p, NULL);
	assert_string_equal(item(items, 0), "unit-active:web.service");
	assert_true(json_is_false(
	        json_object_get(json_object_get(json_array_get(items, 0), "expect"), "active")));
	json_decref(items);
	json_decref(p);

	/* a status query or a failed probe establishes nothing */
	p = load("{\"unitName\": \"web.service\", \"action\": \"status\"}");
	items = drift_items_of_task("SystemdControl", p, NULL);
	assert_int_equal(json_array_size(items), 0);
	json_decref(items);
	json_decref(p);

	p = load("{\"certPath\": \"/etc/ssl/pagoda/a.crt\", \"keyPath\": \"/etc/ssl/pagoda/a.key\","
	         " \"verify\": {\"serverName\": \"a.test\"}}");
	art = load("{\"certSha256\": \"" SHA_A "\", \"keySha256\": \"" SHA_B
	           "\", \"servedSha256\": \"" SHA_A "\", \"nginxConfigSha256\": \"" SHA_B "\"}");
	items = drift_items_of_task("DeployCertificate", p, art);
	assert_int_equal(json_array_size(items), 4);
	assert_string_equal(item(items, 2), "cert:443:a.test");
	assert_string_equal(item(items, 3), "nginx");
	json_decref(items);
	json_decref(p);
	json_decref(art);
}

static void test_compare(void **state)
{
	(void)state;
	json_t *desired =
	        load("["
	             "{\"item\": \"file:/etc/a\", \"expect\": {\"sha256\": \"" SHA_A "\"}},"
	             "{\"item\": \"file:/etc/b\", \"expect\": {\"sha256\": \"" SHA_A "\"}},"
	             "{\"item\": \"file:/etc/c\", \"expect\": {\"sha256\": \"" SHA_A "\"}},"
	             "{\"item\": \"unit-active:web.service\", \"expect\": {\"active\": true}},"
	             "{\"item\": \"unit-enabled:web.service\", \"expect\": {\"enabled\": true}},"
	             "{\"item\": \"cert:443:a.test\", \"expect\": {\"sha256\": \"" SHA_A "\"}},"
	             "{\"item\": \"nginx\", \"expect\": {\"sha256\": \"" SHA_A "\"}}]");
	json_t *same = load(
	        "{\"files\": {\"/etc/a\": {\"sha256\": \"" SHA_A
	        "\"}, \"/etc/b\": {\"sha256\": \"" SHA_A "\"}, \"/etc/c\": {\"sha256\": \"" SHA_A
	        "\"}},"
	        " \"units\": {\"web.service\": {\"active\": \"active\", \"enabled\": \"enabled\"}},"
	        " \"certs\": {\"443:a.test\": {\"sha256\": \"" SHA_A "\"}},"
	        " \"nginx\": {\"configSha256\": \"" SHA_A "\"}}");
	int unreported = -1;
	json_t *d = drift_compare(desired, same, &unreported);
	assert_int_equal(json_array_size(d), 0);
	assert_int_equal(unreported, 0);
	json_decref(d);

	json_t *bad = load("{\"files\": {\"/etc/a\": {\"sha256\": \"" SHA_B
	                   "\"}, \"/etc/b\": {\"missing\": true}},"
	                   " \"units\": {\"web.service\": {\"active\": \"failed\", \"enabled\": "
	                   "\"disabled\"}},"
	                   " \"certs\": {\"443:a.test\": {\"error\": \"connection refused\"}},"
	                   " \"nginx\": {\"configSha256\": \"" SHA_B "\"}}");
	d = drift_compare(desired, bad, &unreported);
	assert_int_equal(json_array_size(d), 6);
	assert_int_equal(unreported, 1); /* /etc/c is not in the report */
	const char *reasons[] = {"changed",  "missing",  "stopped",
	                         "disabled", "mismatch", "changed"};
	for (size_t i = 0; i < 6; i++)
		assert_string_equal(
		        json_string_value(json_object_get(json_array_get(d, i), "reason")),
		        reasons[i]);
	json_decref(d);

	/* a unit that should be stopped but runs */
	json_t *stop =
	        load("[{\"item\": \"unit-active:web.service\", \"expect\": {\"active\": false}}]");
	d = drift_compare(stop, same, &unreported);
	assert_string_equal(json_string_value(json_object_get(json_array_get(d, 0), "reason")),
	                    "running");
	json_decref(d);
	json_decref(stop);
	json_decref(desired);
	json_decref(same);
	json_decref(bad);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_items_of_tasks),
	        cmocka_unit_test(test_compare),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
