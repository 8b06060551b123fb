/* Task payload validation: each type's required fields, bounds and the
 * field path in errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>

#include "cluster/cluster.h"

/* Validates type/payload; returns the error field ("" when valid). */
static const char *check(const char *type, const char *payload)
{
	static struct pg_err err;
	memset(&err, 0, sizeof(err));
	json_error_t je;
	json_t *p = json_loads(payload, 0, &je);
	assert_non_null(p);
	int rc = cluster_task_validate(type, p, &err);
	json_decref(p);
	if (rc == 0)
		return "";
	assert_int_equal(rc, PG_EINVAL);
	assert_true(err.message[0] != '\0');
	return err.field;
}

static void apply_config_files(void **state)
{
	assert_string_equal(check("ApplyConfigFiles",
	                          "{\"files\":[{\"path\":\"/etc/pagoda/a.conf\",\"content\":\"x\","
	                          "\"mode\":\"0640\",\"owner\":\"root\",\"group\":\"0\"}]}"),
	                    "");
	assert_string_equal(check("ApplyConfigFiles", "{\"files\":[]}"), "payload.files");
	assert_string_equal(check("ApplyConfigFiles", "{}"), "payload.files");
	assert_string_equal(
	        check("ApplyConfigFiles", "{\"files\":[{\"path\":\"/a/../b\",\"content\":\"\"}]}"),
	        "payload.files[0].path");
	assert_string_equal(check("ApplyConfigFiles",
	                          "{\"files\":[{\"path\":\"/"
	                          "a\",\"content\":\"\"},{\"path\":\"rel\",\"content\":\"\"}]}"),
	                    "payload.files[1].path");
	assert_string_equal(
	        check("ApplyConfigFiles", "{\"files\":[{\"path\":\"/a//b\",\"content\":\"\"}]}"),
	        "payload.files[0].path");
	assert_string_equal(
	        check("ApplyConfigFiles", "{\"files\":[{\"path\":\"/a/\",\"content\":\"\"}]}"),
	        "payload.files[0].path");
	assert_string_equal(
	        check("ApplyConfigFiles", "{\"files\":[{\"path\":\"/a/./b\",\"content\":\"\"}]}"),
	        "payload.files[0].path");
	assert_string_equal(
	        check("ApplyConfigFiles", "{\"files\":[{\"path\":\"/a\\nb\",\"content\":\"\"}]}"),
	        "payload.files[0].path");
	assert_string_equal(
	        check("ApplyConfigFiles", "{\"files\":[{\"path\":\"/a\",\"content\":5}]}"),
	        "payload.files[0].content");
	assert_string_equal(
	        check("ApplyConfigFiles",
	              "{\"files\":[{\"path\":\"/a\",\"content\":\"\",\"mode\":\"4755\"}]}"),
	        "payload.files[0].mode");
	assert_string_equal(
	        check("ApplyConfigFiles",
	              "{\"files\":[{\"path\":\"/a\",\"content\":\"\",\"mode\":\"0999\"}]}"),
	        "payload.files[0].mode");
	assert_string_equal(
	        check("ApplyConfigFiles",
	              "{\"files\":[{\"path\":\"/a\",\"content\":\"\",\"owner\":\"-rf\"}]}"),
	        "payload.files[0].owner");
	assert_string_equal(check("ApplyConfigFiles",
	                          "{\"files\":[{\"path\":\"/a\",\"content\":\"\",\"extra\":1}]}"),
	                    "payload.files[0].extra");
	assert_string_equal(check("ApplyConfigFiles", "{\"files\":[3]}"), "payload.files[0]");
}

static void systemd_and_nginx(void **state)
{
	assert_string_equal(
	        check("SystemdInstallUnit",
	              "{\"unitName\":\"app.service\",\"content\":\"[Unit]\\n\",\"enable\":true}"),
	        "");
	assert_string_equal(check("SystemdInstallUnit", "{\"unitName\":\"app\",\"content\":\"\"}"),
	                    "payload.unitName");
	assert_string_equal(
	        check("SystemdInstallUnit", "{\"unitName\":\"a b.service\",\"content\":\"\"}"),
	        "payload.unitName");
	assert_string_equal(
	        check("SystemdControl", "{\"unitName\":\"app.service\",\"action\":\"restart\"}"),
	        "");
	assert_string_equal(
	        check("SystemdControl", "{\"unitName\":\"app.service\",\"action\":\"explode\"}"),
	        "payload.action");
	/* kill sends one of a few signals, and a signal needs kill */
	assert_string_equal(
	        check("SystemdControl", "{\"unitName\":\"app.service\",\"action\":\"kill\"}"),
	        "payload.signal");
	assert_string_equal(check("SystemdControl", "{\"unitName\":\"app.service\",\"action\":"
	                                            "\"kill\",\"signal\":\"HUP\"}"),
	                    "");
	assert_string_equal(check("SystemdControl", "{\"unitName\":\"app.service\",\"action\":"
	                                            "\"kill\",\"signal\":\"KILL\"}"),
	                    "payload.signal");
	assert_string_equal(check("SystemdControl", "{\"unitName\":\"app.service\",\"action\":"
	                                            "\"start\",\"signal\":\"HUP\"}"),
	                    "payload.signal");
	assert_string_equal(
	        check("RenderAndDeployNginx", "{\"siteName\":\"app\",\"content\":\"server {}\"}"),
	        "");
	assert_string_equal(
	        check("RenderAndDeployNginx",
	              "{\"siteName\":\"app\",\"content\":\"\",\"reloadCommand\":\"rm -rf /\"}"),
	        "payload.reloadCommand");
	assert_string_equal(
	        check("RenderAndDeployNginx", "{\"siteName\":\"../x\",\"content\":\"\"}"),
	        "payload.siteName");
}

static void certificate_probe_command(void **state)
{
	assert_string_equal(check("DeployCertificate",
	                          "{\"certPath\":\"/etc/ssl/pagoda/a.crt\",\"keyPath\":\"/etc/ssl/"
	                          "pagoda/a.key\","
	                          "\"certPem\":\"-----BEGIN "
	                          "CERTIFICATE-----\",\"keyPem\":\"-----BEGIN PRIVATE KEY-----\"}"),
	                    "");
	assert_string_equal(check("DeployCertificate",
	                          "{\"certPath\":\"/a\",\"keyPath\":\"/"
	                          "b\",\"certPem\":\"nope\",\"keyPem\":\"x\"}"),
	                    "payload.certPem");
#define CERT_OK                                                                                    \
	"\"certPath\":\"/a\",\"keyPath\":\"/b\",\"certPem\":\"-----BEGIN "                         \
	"CERTIFICATE-----\",\"keyPem\":\"PRIVATE KEY-----\""
	assert_string_equal(check("DeployCertificate",
	                          "{" CERT_OK
	                          ",\"verify\":{\"serverName\":\"a.test\",\"port\":8443}}"),
	                    "");
	assert_string_equal(check("DeployCertificate", "{" CERT_OK ",\"verify\":{\"port\":443}}"),
	                    "payload.verify.serverName");
	assert_string_equal(
	        check("DeployCertificate", "{" CERT_OK ",\"verify\":{\"serverName\":\"a b\"}}"),
	        "payload.verify.serverName");
	assert_string_equal(check("DeployCertificate",
	                          "{" CERT_OK ",\"verify\":{\"serverName\":\"a\",\"port\":0}}"),
	                    "payload.verify.port");
	assert_string_equal(check("DeployCertificate",
	                          "{" CERT_OK
	                          ",\"verify\":{\"serverName\":\"a\",\"timeoutMs\":1}}"),
	                    "payload.verify.timeoutMs");
	assert_string_equal(check("DeployCertificate", "{" CERT_OK ",\"verify\":true}"),
	                    "payload.verify");
	assert_string_equal(check("HealthProbe", "{\"kind\":\"tcp\",\"port\":9000}"), "");
	assert_string_equal(check("HealthProbe", "{\"kind\":\"tcp\",\"port\":70000}"),
	                    "payload.port");
	assert_string_equal(check("HealthProbe", "{\"kind\":\"http\",\"url\":\"ftp://x\"}"),
	                    "payload.url");
	assert_string_equal(
	        check("HealthProbe", "{\"kind\":\"process\",\"unitName\":\"a.service\"}"), "");
	assert_string_equal(check("RunCommand", "{\"argv\":[\"true\"]}"), "");
	assert_string_equal(check("RunCommand", "{\"argv\":[]}"), "payload.argv");
	assert_string_equal(check("RunCommand", "{\"argv\":[1]}"), "payload.argv");
	assert_string_equal(check("RunCommand", "{\"argv\":\"rm -rf /\"}"), "payload.argv");
}

#define SHA "\"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\""

static const char *artifact(const char *fields)
{
	static char buf[1024];
	snprintf(buf, sizeof(buf),
	         "{\"app\":\"hello\",\"release\":" SHA ",\"artifacts\":[{\"sha256\":" SHA ",%s}]}",
	         fields);
	return check("FetchArtifact", buf);
}

static void fetch_artifact(void **state)
{
	(void)state;
	assert_string_equal(artifact("\"unpack\":\"tar.gz\",\"stripComponents\":1"), "");
	assert_string_equal(artifact("\"unpack\":\"none\",\"dest\":\"bin/app\",\"mode\":\"0755\""),
	                    "");
	assert_string_equal(artifact("\"unpack\":\"rar\""), "payload.artifacts[0].unpack");
	assert_string_equal(artifact("\"unpack\":\"none\""), "payload.artifacts[0].dest");
	assert_string_equal(artifact("\"unpack\":\"zip\",\"dest\":\"../x\""),
	                    "payload.artifacts[0].dest");
	assert_string_equal(artifact("\"unpack\":\"zip\",\"dest\":\"/etc\""),
	                    "payload.artifacts[0].dest");
	assert_string_equal(artifact("\"unpack\":\"zip\",\"mode\":\"0755\""),
	                    "payload.artifacts[0].mode");
	assert_string_equal(artifact("\"unpack\":\"zip\",\"url\":\"http://mirror/a.zip\""),
	                    "payload.artifacts[0].url");
	assert_string_equal(artifact("\"unpack\":\"zip\",\"caFile\":\"/etc/ca.pem\""),
	                    "payload.artifacts[0].caFile");
	assert_string_equal(artifact("\"unpack\":\"zip\",\"url\":\"https://m/a.zip\",\"caFile\":"
	                             "\"/etc/ca.pem\""),
	                    "");
	assert_string_equal(
	        check("FetchArtifact", "{\"app\":\"Hello\",\"release\":" SHA ",\"artifacts\":[]}"),
	        "payload.app");
}

static void unknown_type(void **state)
{
	struct pg_err err = {0};
	json_t *p = json_object();
	assert_int_equal(cluster_task_validate("Bogus", p, &err), PG_EINVAL);
	assert_string_equal(err.field, "type");
	json_decref(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(apply_config_files),
	        cmocka_unit_test(systemd_and_nginx),
	        cmocka_unit_test(certificate_probe_command),
	        cmocka_unit_test(fetch_artifact),
	        cmocka_unit_test(unknown_type),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
