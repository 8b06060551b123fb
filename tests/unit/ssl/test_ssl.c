/* Certificate center pieces: the renewal window, base64url, key PEM round
 * trip, certificate parsing and the import checks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include "ssl/ssl_acme.h"
#include "ssl/ssl_int.h"

#define DAY 86400000LL

static void renewal_window(void **state)
{
	/* 90 days: the last third (30 days) and 30 days agree */
	assert_int_equal(ssl_renew_at(0, 90 * DAY), 60 * DAY);
	/* a year: 30 days before the end comes later than the last third */
	assert_int_equal(ssl_renew_at(0, 365 * DAY), 365 * DAY - 365 * DAY / 3);
	/* 6 days (short-lived): 30 days before the end is before the start, so
	 * half its life, never a renewal loop */
	assert_int_equal(ssl_renew_at(0, 6 * DAY), 3 * DAY);
	assert_int_equal(ssl_renew_at(100 * DAY, 106 * DAY), 103 * DAY);
}

static void dns_servers(void **state)
{
	struct sockaddr_in sa;
	assert_int_equal(ssl_dns_parse_server("127.0.0.1:8053", &sa), 0);
	assert_int_equal(ntohs(sa.sin_port), 8053);
	assert_int_equal(ntohl(sa.sin_addr.s_addr), 0x7f000001);
	assert_int_equal(ssl_dns_parse_server("10.0.0.2", &sa), 0);
	assert_int_equal(ntohs(sa.sin_port), 53);
	const char *bad[] = {"",    ":53",       "nope",      "1.2.3.4:0", "1.2.3.4:65536",
	                     "::1", "1.2.3.4.5", "a.b.c.d:53"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(ssl_dns_parse_server(bad[i], &sa), -1);
}

static void b64url(void **state)
{
	char *s = ssl_b64url((const unsigned char *)"\xfb\xff", 2);
	assert_string_equal(s, "-_8");
	free(s);
	s = ssl_b64url((const unsigned char *)"abc", 3);
	assert_string_equal(s, "YWJj");
	free(s);
}

static void keys_and_certificates(void **state)
{
	EVP_PKEY *k = ssl_key_new("ec256");
	assert_non_null(k);
	char *pem = ssl_key_pem(k);
	assert_non_null(strstr(pem, "PRIVATE KEY"));
	EVP_PKEY *back = ssl_key_from_pem(pem);
	assert_non_null(back);
	assert_int_equal(EVP_PKEY_eq(k, back), 1);
	EVP_PKEY_free(back);
	EVP_PKEY_free(k);
	free(pem);
	assert_int_equal(
	        system("cd /tmp && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 "
	               "-nodes "
	               "-keyout pg-ssl-test.key -out pg-ssl-test.crt -days 3 -subj /CN=a.test "
	               "-addext subjectAltName=DNS:a.test,DNS:b.test >/dev/null 2>&1"),
	        0);
	FILE *f = fopen("/tmp/pg-ssl-test.crt", "r");
	char crt[8192] = "", key[4096] = "";
	size_t n = fread(crt, 1, sizeof(crt) - 1, f);
	crt[n] = '\0';
	fclose(f);
	f = fopen("/tmp/pg-ssl-test.key", "r");
	n = fread(key, 1, sizeof(key) - 1, f);
	key[n] = '\0';
	fclose(f);
	struct ssl_cert_info info;
	struct pg_err err = {0};
	assert_int_equal(ssl_cert_parse(crt, &info, &err), 0);
	assert_int_equal(json_array_size(info.sans), 2);
	assert_string_equal(json_string_value(json_array_get(info.sans, 1)), "b.test");
	assert_string_equal(info.key_type, "ec256");
	assert_int_equal(strlen(info.fingerprint), 64);
	assert_true(info.not_after - info.not_before >= 3 * DAY - 1000);
	ssl_cert_info_free(&info);
	assert_int_equal(ssl_cert_check(crt, key, &err), 0);
	EVP_PKEY *other = ssl_key_new("ec256");
	char *opem = ssl_key_pem(other);
	assert_int_equal(ssl_cert_check(crt, opem, &err), PG_EINVAL);
	assert_string_equal(err.field, "keyPem");
	assert_int_equal(ssl_cert_parse("not a certificate", &info, &err), PG_EINVAL);
	free(opem);
	EVP_PKEY_free(other);
	remove("/tmp/pg-ssl-test.crt");
	remove("/tmp/pg-ssl-test.key");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(renewal_window),
	        cmocka_unit_test(b64url),
	        cmocka_unit_test(dns_servers),
	        cmocka_unit_test(keys_and_certificates),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
