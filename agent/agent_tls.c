/* Which certificate a TLS server actually presents: after a certificate
 * deploy the agent asks its own nginx, so "deployed" means "served". */
#include "agent.h"
#include "common/pg_crypto.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

static void hex_digest(X509 *x, char out[65])
{
	unsigned char md[32];
	unsigned int n = 0;
	X509_digest(x, EVP_sha256(), md, &n);
	pg_hex_encode(md, n, out);
}

int agent_tls_pem_fingerprint(const char *pem, size_t len, char out[65], struct pg_err *err)
{
	BIO *b = BIO_new_mem_buf(pem, (int)len);
	X509 *x = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
	BIO_free(b);
	if (!x)
		return pg_err_set(err, PG_EINVAL, "certPem",
		                  "certPem holds no readable certificate");
	hex_digest(x, out);
	X509_free(x);
	return 0;
}

/* A TCP connection to 127.0.0.1:port within timeout_ms, reads and writes
 * bounded by the same timeout. */
static int connect_local(int port, int timeout_ms, struct pg_err *err)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		pg_err_set(err, PG_EUNAVAIL, NULL, "socket: %s", strerror(errno));
		return -1;
	}
	int rc = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	if (rc != 0 && errno == EINPROGRESS) {
		struct pollfd pfd = {.fd = fd, .events = POLLOUT};
		int soerr = 0;
		socklen_t sl = sizeof(soerr);
		rc = poll(&pfd, 1, timeout_ms) == 1 &&
		                     getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) == 0 &&
		                     soerr == 0
		             ? 0
		             : -1;
		errno = soerr ? soerr : ETIMEDOUT;
	}
	if (rc != 0) {
		pg_err_set(err, PG_EUNAVAIL, NULL, "connecting to 127.0.0.1:%d: %s", port,
		           strerror(errno));
		close(fd);
		return -1;
	}
	struct timeval tv = {.tv_sec = timeout_ms / 1000, .tv_usec = (timeout_ms % 1000) * 1000};
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	return fd;
}

int agent_tls_served_fingerprint(int port, const char *sni, int timeout_ms, char out[65],
                                 struct pg_err *err)
{
	int fd = connect_local(port, timeout_ms, err);
	if (fd < 0)
		return err->code;
	/* No chain check: the question is which bytes are served, not whether
	 * this node trusts them. */
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	SSL *ssl = ctx ? SSL_new(ctx) : NULL;
	X509 *peer = NULL;
	int rc = 0;
	if (!ssl || !SSL_set_tlsext_host_name(ssl, sni) || !SSL_set_fd(ssl, fd) ||
	    SSL_connect(ssl) != 1 || !(peer = SSL_get1_peer_certificate(ssl))) {
		unsigned long e = ERR_get_error();
		rc = pg_err_set(err, PG_EUNAVAIL, NULL,
		                "TLS handshake with 127.0.0.1:%d for %s failed: %s", port, sni,
		                e ? ERR_reason_error_string(e) : "no certificate presented");
	}
	ERR_clear_error();
	if (peer)
		hex_digest(peer, out);
	X509_free(peer);
	if (ssl)
		SSL_shutdown(ssl);
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	close(fd);
	return rc;
}
