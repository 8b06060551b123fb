/* The router over pagodad's real route tables: any method and path. Input:
 * first byte picks the method, the rest is the path. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "application/app_http.h"
#include "audit/audit_http.h"
#include "auth/auth_http.h"
#include "common/pg_json.h"
#include "cluster/cluster_http.h"
#include "config/config_http.h"
#include "http/http.h"
#include "registry/registry_http.h"
#include "ssl/ssl_http.h"
#include "ui/ui.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const methods[] = {"GET", "POST", "PUT", "DELETE", "PATCH", "HEAD"};
	static const struct http_route *const tables[] = {
	        auth_routes,  cluster_admin_routes, cluster_agent_routes,
	        audit_routes, registry_routes,      config_routes,
	        app_routes,   ssl_routes,           ui_routes,
	        NULL,
	};
	if (size < 1)
		return 0;
	char *path = malloc(size);
	memcpy(path, data + 1, size - 1);
	path[size - 1] = '\0';
	struct http_req req;
	memset(&req, 0, sizeof(req));
	bool mismatch = false;
	const struct http_route *r =
	        http_route_match(tables, methods[data[0] % 6], path, &req, &mismatch);
	if (r) {
		/* every parameter is a terminated string that fits */
		for (int i = 0; i < req.nparams; i++) {
			int64_t id;
			if (strnlen(req.params[i], sizeof(req.params[i])) ==
			            sizeof(req.params[i]) ||
			    !req.param_names[i])
				abort();
			if (pg_parse_i64(req.params[i], &id) && strlen(req.params[i]) > 20)
				abort();
		}
	} else if (mismatch) {
		char allow[96];
		http_route_allowed(tables, path, allow, sizeof(allow));
		if (strnlen(allow, sizeof(allow)) == sizeof(allow) || !allow[0])
			abort();
	}
	free(path);
	return 0;
}
