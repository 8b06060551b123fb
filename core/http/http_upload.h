/* http_upload: the server's side of .upload routes (http_upload.c). */
#ifndef HTTP_UPLOAD_H
#define HTTP_UPLOAD_H

#include "http/http.h"

/* Creates the spool file in dir and hangs it on req->upload. */
int http_upload_open(struct http_req *req, const char *dir, struct pg_err *err);
/* Appends a chunk; a failed write marks the upload failed. */
void http_upload_write(struct http_upload *u, const char *data, size_t n);
/* After the last chunk: fsyncs and closes the file, sets sha256. */
int http_upload_finish(struct http_upload *u, struct pg_err *err);
/* A single "bytes=a-b", "bytes=a-" or "bytes=-n" against size: 1 and
 * [*off, *off+*len) for a satisfiable range, 0 to send everything (no
 * header, or a form ignored as RFC 9110 allows), -1 if unsatisfiable. */
int http_range_parse(const char *h, size_t size, size_t *off, size_t *len);
/* Closes and removes the spool file unless the handler took it. */
void http_upload_free(struct http_upload *u);

#endif
