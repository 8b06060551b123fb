/* http_tls: the server's certificate and key, read from files and handed
 * to each TLS handshake by GnuTLS's certificate callback, so that a reload
 * (SIGHUP) serves new files to new connections while open ones go on. */
#ifndef HTTP_TLS_H
#define HTTP_TLS_H

#include "common/pg_err.h"

struct http_tls;

/* Reads cert_file (PEM chain) and key_file. One per process: GnuTLS's
 * callback has no argument, so the newest made is the one served. */
int http_tls_new(const char *cert_file, const char *key_file, struct http_tls **out,
                 struct pg_err *err);
/* Reads the files again; on failure the credentials served stay as they were. */
int http_tls_reload(struct http_tls *t, struct pg_err *err);
void http_tls_free(struct http_tls *t);
/* The callback for MHD_OPTION_HTTPS_CERT_CALLBACK. */
void *http_tls_callback(void);

#endif
