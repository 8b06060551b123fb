#include "nginx/nginx.h"
#include "common/pg_crypto.h"
#include "lua/plua_policy.h"

#include <string.h>

int nginx_site_render(struct plua *lua, json_t *site, char **text, char sha256[65],
                      struct pg_err *err)
{
	int rc = plua_render(lua, "nginx_site", site, text, err);
	if (rc == 0)
		pg_sha256_hex(*text, strlen(*text), sha256);
	return rc;
}
