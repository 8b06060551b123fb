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
/* Closes and removes the spool file unless the handler took it. */
void http_upload_free(struct http_upload *u);

#endif
