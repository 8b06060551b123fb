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

_Static_assert(SSL_DNS_NAME == NS_MAXDNAME, "names fit");

/* One question to server (NULL: the system's resolvers) by res_nsend, which
 * unlike res_nquery hands back NXDOMAIN and empty answers too: the zone walk
 * needs their authority section. 0 and msg parsed, or -1. */
static int dns_ask(const struct sockaddr_in *server, const char *name, int type, unsigned char *buf,
                   size_t size, ns_msg *msg)
{
	struct __res_state st;
	memset(&st, 0, sizeof(st));
	if (res_ninit(&st) != 0)
		return -1;
	if (server) {
		st.nsaddr_list[0] = *server;
		st.nscount = 1;
	}
	st.retrans = 1;
	st.retry = 1;
	st.options &= ~(unsigned long)(RES_DNSRCH | RES_DEFNAMES);
	unsigned char q[NS_PACKETSZ];
	int qn = res_nmkquery(&st, ns_o_query, name, ns_c_in, type, NULL, 0, NULL, q, sizeof(q));
	int n = qn > 0 ? res_nsend(&st, q, qn, buf, (int)size) : -1;
	res_nclose(&st);
	return n > 0 && ns_initparse(buf, n, msg) == 0 ? 0 : -1;
}

static bool same_name(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	la -= la && a[la - 1] == '.';
	lb -= lb && b[lb - 1] == '.';
	return la == lb && strncasecmp(a, b, la) == 0;
}

/* Whether name is suffix or under it. */
static bool under(const char *name, const char *suffix)
{
	size_t ln = strlen(name), ls = strlen(suffix);
	ln -= ln && name[ln - 1] == '.';
	ls -= ls && suffix[ls - 1] == '.';
	return ls <= ln && strncasecmp(name + ln - ls, suffix, ls) == 0 &&
	       (ls == ln || name[ln - ls - 1] == '.');
}

/* The first record of type in section owned by owner (NULL: any owner):
 * its name into owner_out and, for names (CNAME, NS), the target into out. */
static bool find_rr(ns_msg *msg, ns_sect sect, int type, const char *owner, char *owner_out,
                    char *out, size_t n, int skip)
{
	for (int i = 0; i < ns_msg_count(*msg, sect); i++) {
		ns_rr rr;
		if (ns_parserr(msg, sect, i, &rr) != 0 || (int)ns_rr_type(rr) != type ||
		    (owner && !same_name(ns_rr_name(rr), owner)) || skip-- > 0)
			continue;
		if (owner_out)
			snprintf(owner_out, NS_MAXDNAME, "%s", ns_rr_name(rr));
		if (out && type == ns_t_a && ns_rr_rdlen(rr) == 4)
			return inet_ntop(AF_INET, ns_rr_rdata(rr), out, (socklen_t)n) != NULL;
		if (out && type != ns_t_a &&
		    ns_name_uncompress(ns_msg_base(*msg), ns_msg_end(*msg), ns_rr_rdata(rr), out,
		                       n) < 0)
			continue;
		return true;
	}
	return false;
}

int ssl_dns_find_zone(const struct sockaddr_in *resolver, const char *fqdn, char *zone,
                      char *target, struct pg_err *err)
{
	unsigned char buf[4096];
	ns_msg msg;
	char next[NS_MAXDNAME];
	snprintf(target, SSL_DNS_NAME, "%s", fqdn);
	/* _acme-challenge delegated by CNAME: the record goes where it points */
	for (int hop = 0;
	     hop < 8 && dns_ask(resolver, target, ns_t_cname, buf, sizeof(buf), &msg) == 0 &&
	     find_rr(&msg, ns_s_an, ns_t_cname, target, NULL, next, sizeof(next), 0);
	     hop++)
		snprintf(target, SSL_DNS_NAME, "%s", next);
	for (const char *name = target; name && *name;
	     name = strchr(name, '.') ? strchr(name, '.') + 1 : NULL) {
		if (dns_ask(resolver, name, ns_t_soa, buf, sizeof(buf), &msg) != 0)
			continue;
		int rcode = ns_msg_getflag(msg, ns_f_rcode);
		if (find_rr(&msg, ns_s_an, ns_t_soa, name, zone, NULL, 0, 0))
			return 0;
		/* NODATA or NXDOMAIN below a zone names that zone in its authority */
		if ((rcode == ns_r_noerror || rcode == ns_r_nxdomain) &&
		    find_rr(&msg, ns_s_ns, ns_t_soa, NULL, zone, NULL, 0, 0) && under(target, zone))
			return 0;
	}
	return pg_err_set(
	        err, PG_EUNAVAIL, "dns.zone",
	        "no zone found for %s: no SOA answer from the resolver for it or a parent "
	        "(set dns.zone, or dns.resolvers to a resolver that sees the zone)",
	        target);
}

/* Whether server answers fqdn TXT with value (one of the TXT records). */
static bool txt_seen(const struct sockaddr_in *server, const char *fqdn, const char *value)
{
	unsigned char ans[4096];
	ns_msg msg;
	bool seen = false;
	if (dns_ask(server, fqdn, ns_t_txt, ans, sizeof(ans), &msg) != 0)
		return false;
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
	return seen;
}

static int64_t since_ms(const struct timespec *t0)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - t0->tv_sec) * 1000 + (now.tv_nsec - t0->tv_nsec) / 1000000;
}

/* Polls server until it answers the value, within what is left of the wait. */
static int wait_one(const struct ssl_dns_wait *w, const struct timespec *t0,
                    const struct sockaddr_in *server, const char *label, const char *fqdn,
                    const char *value, struct pg_err *err)
{
	while (!txt_seen(server, fqdn, value)) {
		int64_t spent = since_ms(t0);
		if (spent >= w->timeout_ms || (w->stopping && *w->stopping))
			return pg_err_set(err, PG_EUNAVAIL, "dns",
			                  "the TXT record %s is not visible at %s after %lld s",
			                  fqdn, label, (long long)spent / 1000);
		usleep((useconds_t)w->interval_ms * 1000);
	}
	return 0;
}

int ssl_dns_wait_txt(const struct ssl_dns_wait *w, json_t *resolvers, const char *fqdn,
                     const char *value, struct pg_err *err)
{
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	size_t i;
	json_t *r;
	json_array_foreach (resolvers, i, r) {
		struct sockaddr_in sa;
		const char *name = json_string_value(r);
		if (!name || ssl_dns_parse_server(name, &sa) != 0)
			return pg_err_set(err, PG_EINVAL, "dns.resolvers",
			                  "resolvers[%zu] must be IPv4[:port]", i);
		int rc = wait_one(w, &t0, &sa, name, fqdn, value, err);
		if (rc != 0)
			return rc;
	}
	return 0;
}

int ssl_dns_wait_authoritative(const struct ssl_dns_wait *w, const struct sockaddr_in *resolver,
                               const char *zone, const char *fqdn, const char *value,
                               struct pg_err *err)
{
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	unsigned char buf[4096], abuf[1024];
	ns_msg msg, amsg;
	char ns[NS_MAXDNAME], addr[INET_ADDRSTRLEN], label[NS_MAXDNAME + 40];
	if (dns_ask(resolver, zone, ns_t_ns, buf, sizeof(buf), &msg) != 0 ||
	    !find_rr(&msg, ns_s_an, ns_t_ns, zone, NULL, ns, sizeof(ns), 0))
		return pg_err_set(
		        err, PG_EUNAVAIL, "dns",
		        "the zone %s has no NS records at the resolver: its authoritative "
		        "servers cannot be asked (set dns.checkAuthoritative false to skip)",
		        zone);
	for (int i = 0; find_rr(&msg, ns_s_an, ns_t_ns, zone, NULL, ns, sizeof(ns), i); i++) {
		/* glue first, then an A question: IPv4 only, like the resolvers list */
		if (!find_rr(&msg, ns_s_ar, ns_t_a, ns, NULL, addr, sizeof(addr), 0) &&
		    (dns_ask(resolver, ns, ns_t_a, abuf, sizeof(abuf), &amsg) != 0 ||
		     !find_rr(&amsg, ns_s_an, ns_t_a, NULL, NULL, addr, sizeof(addr), 0)))
			return pg_err_set(err, PG_EUNAVAIL, "dns",
			                  "the name server %s of %s has no IPv4 address", ns, zone);
		struct sockaddr_in sa = {.sin_family = AF_INET,
		                         .sin_port = htons((uint16_t)w->ns_port)};
		inet_pton(AF_INET, addr, &sa.sin_addr);
		snprintf(label, sizeof(label), "%s (%s:%d)", ns, addr, w->ns_port);
		int rc = wait_one(w, &t0, &sa, label, fqdn, value, err);
		if (rc != 0)
			return rc;
	}
	return 0;
}
