/* The worst-case cost estimate that guards Lua's pattern functions: any
 * pattern and subject, each in a buffer of its exact size so a read past
 * either end is caught. Input: byte 0 is the pattern's length (mod the
 * input's), then the pattern, then the subject. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lua/plua_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	size_t plen = data[0] % size, slen = size - 1 - plen;
	char *p = malloc(plen ? plen : 1), *s = malloc(slen ? slen : 1);
	memcpy(p, data + 1, plen);
	memcpy(s, data + 1 + plen, slen);
	double cost = plua_pattern_cost(s, slen, p, plen);
	if (!(cost >= 1)) /* NaN or below one try: the estimate is broken */
		abort();
	free(p);
	free(s);
	return 0;
}
