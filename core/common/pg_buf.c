#include "common/pg_buf.h"

#include <stdlib.h>
#include <string.h>

bool pg_buf_append(struct pg_buf *b, const void *p, size_t n)
{
	if (n > b->max || b->len > b->max - n) {
		b->too_big = true;
		return false;
	}
	char *nd = realloc(b->data, b->len + n + 1);
	if (!nd)
		return false;
	memcpy(nd + b->len, p, n);
	b->data = nd;
	b->len += n;
	b->data[b->len] = '\0';
	return true;
}

size_t pg_buf_curl_write(char *p, size_t size, size_t n, void *buf)
{
	return pg_buf_append(buf, p, size * n) ? size * n : 0;
}

void pg_buf_reset(struct pg_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = 0;
	b->too_big = false;
}
