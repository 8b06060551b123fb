/* The nginx site and systemd unit templates (bundled Lua, sandboxed, with
 * the C checks around them) on any JSON: they answer text or a clear error,
 * never crash the host, never emit a line break inside a value. Input: byte
 * 0 picks the template, the rest is its JSON input. */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lua/plua.h"
#include "lua/plua_policy.h"

static struct plua *host;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pg_err err = {0};
	if (!host) {
		struct plua_opts o = {.budget = 2000000};
		if (plua_new(&o, &host, &err) != 0)
			abort();
	}
	if (size < 1)
		return 0;
	json_t *in = json_loadb((const char *)data + 1, size - 1, JSON_REJECT_DUPLICATES, NULL);
	if (!in)
		return 0;
	char *text = NULL;
	const char *tpl = data[0] % 2 ? "systemd_unit" : "nginx_site";
	if (plua_render(host, tpl, in, &text, &err) == 0) {
		if (!text)
			abort();
		free(text);
	} else if (!err.message[0]) {
		abort();
	}
	json_decref(in);
	return 0;
}
