/* The Range header of GET /agent/blobs/:sha256. Input: 4 bytes of file
 * size, then the header. A range it accepts must lie inside the file. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/http_upload.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 4)
		return 0;
	size_t file = (size_t)data[0] | (size_t)data[1] << 8 | (size_t)data[2] << 16 |
	              (size_t)data[3] << 24;
	char *h = malloc(size - 3);
	memcpy(h, data + 4, size - 4);
	h[size - 4] = '\0';
	size_t off = 0, len = 0;
	int r = http_range_parse(h, file, &off, &len);
	if (r == 1 && (len == 0 || off >= file || len > file - off))
		abort();
	free(h);
	return 0;
}
