/* Propagation check for DNS-01: ask the named resolvers for the TXT record
 * until each of them answers with the value, so the CA is only told to
 * validate once the record can be seen. */
#include "ssl/ssl_int.h"

#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <netinet/in.h>
#include <resolv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int ssl_dns_parse_server(const char *server, struct sockaddr_in *out)
{
	char host[64];
	const char *colon = strchr(server, ':');
	size_t n = colon ? (size_t)(colon - server) : strlen(server);
	long port = colon ? strtol(colon + 1, NULL, 10) : 53;
	if (n == 0 || n >= sizeof(host) || port < 1 || port > 65535)
		return -1;
	memcpy(host, server, n);
	host[n] = '\0';
	*out = (struct sockaddr_in){.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	return inet_pton(AF_INET, host, &out->sin_addr) == 1 ? 0 : -1;
}

/* Whether server answers fqdn TXT with value (one of the TXT records). */
static bool txt_seen(const struct sockaddr_in *server, const char *fqdn, const char *value)
{
	struct __res_state st;
	unsigned char ans[4096];
	bool seen = false;
	memset(&st, 0, sizeof(st));
	if (res_ninit(&st) != 0)
		return false;
	st.nsaddr_list[0] = *server;
	st.nscount = 1;
	st.retrans = 1;
	st.retry = 1;
	st.options &= ~(unsigned long)(RES_DNSRCH | RES_DEFNAMES);
	int n = res_nquery(&st, fqdn, ns_c_in, ns_t_txt, ans, sizeof(ans));
	ns_msg msg;
	if (n > 0 && ns_initparse(ans, n, &msg) == 0) {
		for (int i = 0; !seen && i < ns_msg_count(msg, ns_s_an); i++) {
			ns_rr rr;
			if (ns_parserr(&msg, ns_s_an, i, &rr) != 0 || ns_rr_type(rr) != ns_t_txt)
				continue;
			/* a TXT record is character-strings, each length-prefixed */
			const unsigned char *p = ns_rr_rdata(rr), *end = p + ns_rr_rdlen(rr);
			char txt[1024];
			size_t len = 0;
			while (p < end && p + 1 + *p <= end && len + *p < sizeof(txt)) {
				memcpy(txt + len, p + 1, *p);
				len += *p;
				p += 1 + *p;
			}
			seen = len == strlen(value) && memcmp(txt, value, len) == 0;
		}
	}
	res_nclose(&st);
	return seen;
}

int ssl_dns_wait_txt(json_t *resolvers, const char *fqdn, const char *value, int64_t timeout_ms,
                     volatile bool *stopping, struct pg_err *err)
{
	struct timespec t0, now;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	size_t i;
	json_t *r;
	json_array_foreach (resolvers, i, r) {
		struct sockaddr_in sa;
		const char *name = json_string_value(r);
		if (!name || ssl_dns_parse_server(name, &sa) != 0)
			return pg_err_set(err, PG_EINVAL, "dns.resolvers",
			                  "resolvers[%zu] must be IPv4[:port]", i);
		while (!txt_seen(&sa, fqdn, value)) {
			clock_gettime(CLOCK_MONOTONIC, &now);
			int64_t spent = (now.tv_sec - t0.tv_sec) * 1000 +
			                (now.tv_nsec - t0.tv_nsec) / 1000000;
			if (spent >= timeout_ms || (stopping && *stopping))
				return pg_err_set(
				        err, PG_EUNAVAIL, "dns",
				        "the TXT record %s is not visible at %s after %lld s", fqdn,
				        name, (long long)spent / 1000);
			usleep(500 * 1000);
		}
	}
	return 0;
}
