/* pagoda.dns_exchange for DNS plugins: one raw DNS message to one server
 * and its answer, over UDP or TCP. Plugins build and read the messages
 * themselves (lua/lib/dns.lua), which keeps this side to sockets and
 * timeouts: RFC 2136 updates, TSIG and queries all live in Lua. */
#include "lua/plua_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <lauxlib.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define DNS_MAX_MSG 65535

/* "192.0.2.1", "192.0.2.1:5353", "[2001:db8::1]:53" */
static int parse_server(const char *s, struct sockaddr_storage *ss, socklen_t *len)
{
	char host[INET6_ADDRSTRLEN + 1];
	const char *port = NULL, *h = s, *end;
	if (*s == '[') {
		h = s + 1;
		if (!(end = strchr(h, ']')) || (end[1] && end[1] != ':'))
			return -1;
		port = end[1] ? end + 2 : NULL;
	} else if ((end = strchr(s, ':')) && !strchr(end + 1, ':')) {
		port = end + 1;
	} else {
		end = s + strlen(s);
	}
	if ((size_t)(end - h) >= sizeof(host) || end == h)
		return -1;
	memcpy(host, h, (size_t)(end - h));
	host[end - h] = '\0';
	char *stop = NULL;
	long p = port ? strtol(port, &stop, 10) : 53;
	if ((port && (*stop || stop == port)) || p < 1 || p > 65535)
		return -1;
	memset(ss, 0, sizeof(*ss));
	struct sockaddr_in *v4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)ss;
	if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
		v4->sin_family = AF_INET;
		v4->sin_port = htons((uint16_t)p);
		*len = sizeof(*v4);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
		v6->sin6_family = AF_INET6;
		v6->sin6_port = htons((uint16_t)p);
		*len = sizeof(*v6);
		return 0;
	}
	return -1;
}

static int64_t mono_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* Waits for fd to be ready for events until deadline: 0, or -1 with errno. */
static int wait_fd(int fd, short events, int64_t deadline)
{
	for (;;) {
		int64_t left = deadline - mono_ms();
		if (left <= 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		struct pollfd p = {fd, events, 0};
		int n = poll(&p, 1, (int)left);
		if (n > 0)
			return 0;
		if (n < 0 && errno != EINTR)
			return -1;
	}
}

static int io_all(int fd, unsigned char *buf, size_t len, bool out, int64_t deadline)
{
	size_t done = 0;
	while (done < len) {
		if (wait_fd(fd, out ? POLLOUT : POLLIN, deadline) != 0)
			return -1;
		ssize_t n = out ? send(fd, buf + done, len - done, MSG_NOSIGNAL)
		                : recv(fd, buf + done, len - done, 0);
		if (n == 0) {
			errno = ECONNRESET;
			return -1;
		}
		if (n < 0 && errno != EINTR && errno != EAGAIN)
			return -1;
		if (n > 0)
			done += (size_t)n;
	}
	return 0;
}

/* TCP (RFC 1035 4.2.2): each message behind a two-byte length. */
static ssize_t exchange_tcp(int fd, const unsigned char *q, size_t qlen, unsigned char *ans,
                            int64_t deadline)
{
	unsigned char hdr[2] = {(unsigned char)(qlen >> 8), (unsigned char)qlen};
	if (io_all(fd, hdr, 2, true, deadline) != 0 ||
	    io_all(fd, (unsigned char *)q, qlen, true, deadline) != 0 ||
	    io_all(fd, hdr, 2, false, deadline) != 0)
		return -1;
	size_t n = (size_t)hdr[0] << 8 | hdr[1];
	return io_all(fd, ans, n, false, deadline) == 0 ? (ssize_t)n : -1;
}

/* UDP: answers whose id is not the query's are someone else's, dropped. */
static ssize_t exchange_udp(int fd, const unsigned char *q, size_t qlen, unsigned char *ans,
                            int64_t deadline)
{
	if (send(fd, q, qlen, 0) != (ssize_t)qlen)
		return -1;
	for (;;) {
		if (wait_fd(fd, POLLIN, deadline) != 0)
			return -1;
		ssize_t n = recv(fd, ans, DNS_MAX_MSG, 0);
		if (n < 0 && errno != EINTR)
			return -1;
		if (n >= 12 && ans[0] == q[0] && ans[1] == q[1])
			return n;
	}
}

/* pagoda.dns_exchange(server, message [, {tcp = bool, timeout = s}])
 *   -> answer bytes, or nil and why */
int plua_dns_exchange(lua_State *L)
{
	const char *server = luaL_checkstring(L, 1);
	size_t qlen;
	const unsigned char *q = (const unsigned char *)luaL_checklstring(L, 2, &qlen);
	bool tcp = false;
	lua_Integer timeout = 5;
	if (lua_istable(L, 3)) {
		lua_getfield(L, 3, "tcp");
		tcp = lua_toboolean(L, -1);
		lua_getfield(L, 3, "timeout");
		timeout = luaL_optinteger(L, -1, 5);
		lua_pop(L, 2);
	}
	if (timeout < 1 || timeout > 60)
		return luaL_error(L, "dns_exchange: timeout must be 1..60 seconds");
	if (qlen < 12 || qlen > DNS_MAX_MSG)
		return luaL_error(L, "dns_exchange: a DNS message is 12 to 65535 bytes");
	struct sockaddr_storage ss;
	socklen_t sl;
	if (parse_server(server, &ss, &sl) != 0)
		return luaL_error(L,
		                  "dns_exchange: server must be IP, IP:PORT or [IPv6]:PORT, not %s",
		                  server);
	int fd = socket(ss.ss_family,
	                (tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	unsigned char *ans = malloc(DNS_MAX_MSG);
	int64_t deadline = mono_ms() + timeout * 1000;
	ssize_t n = -1;
	if (fd >= 0 && ans) {
		int rc = connect(fd, (struct sockaddr *)&ss, sl);
		if (rc != 0 && errno == EINPROGRESS && wait_fd(fd, POLLOUT, deadline) == 0) {
			int soerr = 0;
			socklen_t el = sizeof(soerr);
			getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &el);
			rc = soerr ? (errno = soerr, -1) : 0;
		}
		if (rc == 0)
			n = tcp ? exchange_tcp(fd, q, qlen, ans, deadline)
			        : exchange_udp(fd, q, qlen, ans, deadline);
	}
	int e = errno;
	if (fd >= 0)
		close(fd);
	if (n < 0) {
		free(ans);
		lua_pushnil(L);
		lua_pushfstring(L, "%s over %s: %s", server, tcp ? "tcp" : "udp",
		                e == ETIMEDOUT ? "no answer in time" : strerror(e));
		return 2;
	}
	lua_pushlstring(L, (const char *)ans, (size_t)n);
	free(ans);
	return 1;
}
