/* How an agent comes to trust pagodad and to be known by it: the server URL
 * (HTTPS, or plain HTTP on loopback only when asked), the CA (a file, or
 * fetched once and checked against a pinned fingerprint), and the node
 * identity (given, or obtained once with a one-time join token). */
#include "agent.h"
#include "common/pg_crypto.h"
#include "common/pg_file.h"
#include "common/pg_log.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static bool loopback(const char *host)
{
	unsigned char buf[16];
	if (strcmp(host, "localhost") == 0)
		return true;
	if (inet_pton(AF_INET, host, buf) == 1)
		return buf[0] == 127;
	return inet_pton(AF_INET6, host, buf) == 1 && strcmp(host, "::1") == 0;
}

int agent_server_check(const char *server, bool insecure_http, struct pg_err *err)
{
	if (strncmp(server, "https://", 8) == 0)
		return 0;
	if (strncmp(server, "http://", 7) != 0)
		return pg_err_set(err, PG_EINVAL, "server",
		                  "--server must be https://HOST:PORT, not %s", server);
	char host[256];
	const char *h = server + 7, *end;
	if (*h == '[') {
		h++;
		end = strchr(h, ']');
	} else {
		end = h + strcspn(h, ":/");
	}
	if (!end || (size_t)(end - h) >= sizeof(host))
		return pg_err_set(err, PG_EINVAL, "server", "cannot read the host of %s", server);
	memcpy(host, h, (size_t)(end - h));
	host[end - h] = '\0';
	if (!insecure_http)
		return pg_err_set(
		        err, PG_EINVAL, "server",
		        "refusing plain HTTP to %s: serve HTTPS (pagodad --tls auto) and give "
		        "--ca-file or "
		        "--ca-fingerprint; on a loopback address, --insecure-http allows it",
		        server);
	if (!loopback(host))
		return pg_err_set(err, PG_EINVAL, "server",
		                  "--insecure-http is accepted only for loopback addresses, not "
		                  "%s: tokens would "
		                  "cross the network in the clear",
		                  host);
	return 0;
}

/* "sha256:HEX" or "HEX" (64 hex digits, any case) -> lowercase hex. */
static bool parse_fingerprint(const char *s, char out[65])
{
	if (strncmp(s, "sha256:", 7) == 0)
		s += 7;
	if (strlen(s) != 64)
		return false;
	for (int i = 0; i < 64; i++) {
		if (!isxdigit((unsigned char)s[i]))
			return false;
		out[i] = (char)tolower((unsigned char)s[i]);
	}
	out[64] = '\0';
	return true;
}

int agent_ca_pin(struct agent *a, const char *fingerprint, struct pg_err *err)
{
	static char path[4200];
	char want[65], got[65] = "";
	if (!parse_fingerprint(fingerprint, want))
		return pg_err_set(err, PG_EINVAL, "ca-fingerprint",
		                  "--ca-fingerprint wants sha256:<64 hex digits>");
	snprintf(path, sizeof(path), "%s/ca.pem", a->state_dir);
	char *pem = NULL;
	size_t len = 0;
	struct pg_err ignored = {0};
	if (pg_file_read(path, 1 << 16, &pem, &len, &ignored) == 0 &&
	    pg_pem_fingerprint(pem, len, got) && strcmp(got, want) == 0) {
		free(pem);
		a->ca_file = path; /* fetched and checked on an earlier start */
		return 0;
	}
	free(pem);
	pem = NULL;
	/* Fetched without verification: nothing in it is trusted until its
	 * fingerprint matches the pinned one, and then only it is. */
	struct agent_http *h = agent_http_new(a);
	long status = 0;
	int rc = h ? 0 : pg_err_set(err, PG_EINTERNAL, "", "out of memory");
	if (rc == 0) {
		agent_http_set(h, (struct agent_http_flags){.anonymous = true, .unverified = true});
		rc = agent_http_get(h, "/ca.pem", &pem, &len, &status, err);
	}
	agent_http_free(h);
	if (rc == 0 && status != 200)
		rc = pg_err_set(err, PG_EUNAVAIL, "ca-fingerprint",
		                "%s/ca.pem answered %ld (is pagodad running with --tls auto?)",
		                a->server, status);
	if (rc == 0 && !pg_pem_fingerprint(pem, len, got))
		rc = pg_err_set(err, PG_EUNAVAIL, "ca-fingerprint",
		                "%s/ca.pem is not a certificate", a->server);
	if (rc == 0 && strcmp(got, want) != 0)
		rc = pg_err_set(err, PG_EFORBIDDEN, "ca-fingerprint",
		                "the CA at %s has fingerprint sha256:%s, not the pinned sha256:%s: "
		                "refusing it",
		                a->server, got, want);
	if (rc == 0)
		rc = pg_file_write(path, pem, len, 0644, err);
	free(pem);
	if (rc == 0) {
		a->ca_file = path;
		pg_info("agent", "trusting the CA of %s (sha256:%s), kept in %s", a->server, got,
		        path);
	}
	return rc;
}

static int read_line(const char *path, char *buf, size_t len, struct pg_err *err)
{
	char *data = NULL;
	size_t n;
	int rc = pg_file_read(path, 4096, &data, &n, err);
	if (rc != 0)
		return rc;
	snprintf(buf, len, "%s", data);
	buf[strcspn(buf, "\r\n \t")] = '\0';
	explicit_bzero(data, n);
	free(data);
	return *buf ? 0 : pg_err_set(err, PG_EINVAL, "", "%s is empty", path);
}

int agent_join(struct agent *a, const char *join_file, const char *name, struct pg_err *err)
{
	char idpath[4200], line[256];
	snprintf(idpath, sizeof(idpath), "%s/node-id", a->state_dir);
	struct pg_err ignored = {0};
	if (a->node_id <= 0 && read_line(idpath, line, sizeof(line), &ignored) == 0)
		a->node_id = strtoll(line, NULL, 10);
	if (a->node_id > 0 && access(a->token_file, R_OK) == 0)
		return 0; /* known already: given, or joined on an earlier start */
	if (!join_file)
		return pg_err_set(err, PG_EINVAL, "",
		                  "give --node-id and --token-file, or --join-token-file");
	char token[128], host[256] = "";
	int rc = read_line(join_file, token, sizeof(token), err);
	if (rc != 0)
		return rc;
	if (!name) {
		gethostname(host, sizeof(host) - 1);
		for (char *p = host; *p; p++)
			*p = (char)tolower((unsigned char)*p);
		name = host;
	}
	struct agent_http *h = agent_http_new(a);
	if (!h)
		return pg_err_set(err, PG_EINTERNAL, "", "out of memory");
	agent_http_set(h, (struct agent_http_flags){.anonymous = true});
	json_t *body = json_pack("{s:s, s:s}", "joinToken", token, "name", name), *out = NULL;
	explicit_bzero(token, sizeof(token));
	long status = 0;
	/* pagodad may not be up yet: keep trying, but a refused token is final */
	for (int n = 0; !a->stopping; n++) {
		json_decref(out);
		out = NULL;
		rc = agent_http_post(h, "/agent/join", body, NULL, 15000, &out, &status, err);
		if (rc == 0 && status < 500)
			break;
		pg_warn("agent", "join: %s", rc ? err->message : "server error, retrying");
		agent_sleep(a, agent_backoff_ms(n, 30000));
	}
	json_t *b = json_object_get(body, "joinToken");
	if (b)
		explicit_bzero((char *)json_string_value(b), json_string_length(b));
	json_decref(body);
	agent_http_free(h);
	const char *secret = json_string_value(json_object_get(out, "token"));
	int64_t id = json_integer_value(json_object_get(out, "nodeId"));
	if (rc == 0 && (status != 201 || !secret || id <= 0)) {
		const char *msg = json_string_value(
		        json_object_get(json_object_get(out, "error"), "message"));
		rc = pg_err_set(err, PG_EUNAUTH, "join-token-file", "join refused (%ld): %s",
		                status, msg ? msg : "?");
	}
	if (rc == 0) {
		char text[160];
		int n = snprintf(text, sizeof(text), "%s\n", secret);
		rc = pg_file_write(a->token_file, text, (size_t)n, 0600, err);
		explicit_bzero(text, sizeof(text));
	}
	if (rc == 0) {
		int n = snprintf(line, sizeof(line), "%lld\n", (long long)id);
		rc = pg_file_write(idpath, line, (size_t)n, 0600, err);
	}
	if (rc == 0) {
		a->node_id = id;
		pg_info("agent", "joined as node %lld (%s); token in %s", (long long)id, name,
		        a->token_file);
	}
	json_decref(out);
	return rc;
}
