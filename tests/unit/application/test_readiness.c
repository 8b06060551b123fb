/* app_node_unready: which nodes planning leaves out of a release, from what
 * their agents reported. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>

#include "application/app_int.h"

static const char *why(const char *app, const char *node, char *buf, size_t len)
{
	json_t *a = json_loads(app, 0, NULL), *n = json_loads(node, 0, NULL);
	assert_non_null(a);
	assert_non_null(n);
	const char *r = app_node_unready(a, n, buf, len);
	json_decref(a);
	json_decref(n);
	return r;
}

static void decisions(void **state)
{
	char buf[512];
	static const char svc[] = "{\"type\": \"SystemdService\"}",
	                  proxy[] = "{\"type\": \"ReverseProxy\"}";
	/* a node that has not reported is planned: its tasks will tell */
	assert_null(why(svc, "{\"name\": \"n\"}", buf, sizeof(buf)));
	assert_null(why(svc, "{\"name\": \"n\", \"capabilities\": null}", buf, sizeof(buf)));
	assert_null(why(
	        svc,
	        "{\"name\": \"n\", \"capabilities\": {\"systemd\": true, \"rootPrefix\": false}}",
	        buf, sizeof(buf)));
	const char *r = why(
	        svc,
	        "{\"name\": \"lab\", \"capabilities\": {\"systemd\": true, \"rootPrefix\": true}}",
	        buf, sizeof(buf));
	assert_non_null(r);
	assert_non_null(strstr(r, "node lab"));
	assert_non_null(strstr(r, "--root"));
	r = why(svc, "{\"name\": \"box\", \"capabilities\": {\"systemd\": false}}", buf,
	        sizeof(buf));
	assert_non_null(r);
	assert_non_null(strstr(r, "systemd is not running"));
	/* a proxy needs nginx, not systemd; a --root agent can still render sites */
	assert_null(why(proxy,
	                "{\"name\": \"e\", \"capabilities\": {\"nginx\": true, \"systemd\": false, "
	                "\"rootPrefix\": true}}",
	                buf, sizeof(buf)));
	r = why(proxy, "{\"name\": \"e\", \"capabilities\": {\"nginx\": false}}", buf, sizeof(buf));
	assert_non_null(r);
	assert_non_null(strstr(r, "nginx is not installed"));
	/* an app without a type is never refused here */
	assert_null(why("{}", "{\"name\": \"n\", \"capabilities\": {\"systemd\": false}}", buf,
	                sizeof(buf)));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(decisions),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
