/* What an ACME server sends back: header lines and a (problem) document.
 * Input: header lines separated by '\n', then a NUL, then the body. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ssl/ssl_acme.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct acme_resp r;
	memset(&r, 0, sizeof(r));
	const uint8_t *nul = memchr(data, 0, size);
	size_t hlen = nul ? (size_t)(nul - data) : size;
	for (size_t i = 0; i < hlen;) {
		const uint8_t *nl = memchr(data + i, '\n', hlen - i);
		size_t n = nl ? (size_t)(nl - (data + i)) + 1 : hlen - i;
		acme_resp_header(&r, (const char *)data + i, n);
		i += n;
	}
	if (strnlen(r.location, sizeof(r.location)) == sizeof(r.location) ||
	    strnlen(r.nonce, sizeof(r.nonce)) == sizeof(r.nonce) || r.retry_after < 0)
		abort();
	if (nul) {
		r.body.max = size;
		pg_buf_append(&r.body, nul + 1, size - hlen - 1);
	}
	r.status = 400;
	struct pg_err err = {0};
	json_t *doc = NULL;
	if (acme_resp_problem(&r, "fuzz", &doc, &err) == 0)
		abort(); /* an answer handed to problem() is always an error */
	json_decref(doc);
	acme_resp_free(&r);
	return 0;
}
