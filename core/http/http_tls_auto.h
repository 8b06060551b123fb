/* http_tls_auto: `pagodad --tls auto`. A private CA and a server
 * certificate signed by it, kept in DATA/tls/, so HTTPS works from the first
 * start and agents enrol by the CA's fingerprint (kubeadm's discovery hash
 * idea) instead of trusting whatever answers. */
#ifndef HTTP_TLS_AUTO_H
#define HTTP_TLS_AUTO_H

#include <stddef.h>

#include "common/pg_err.h"

struct http_tls_files {
	char ca[512], cert[512], key[512];
	char fingerprint[65]; /* SHA-256 of the CA certificate (DER), hex */
};

/* Creates what is missing under dir/tls: the CA (10 years, kept), and a
 * server certificate (1 year) for names (DNS names or IP addresses); the
 * server certificate is made again when it expires within 30 days, when a
 * name is missing from it, or when it was not signed by this CA. Keys are
 * P-256, files 0600, written whole (temporary file, fsync, rename). */
int http_tls_auto(const char *dir, const char *const *names, size_t nnames,
                  struct http_tls_files *out, struct pg_err *err);

#endif
