/* render_bench: the upstream filter (policies/upstream.lua) and the nginx
 * site template (templates/nginx_site) for N endpoints, as a release or an
 * upstream sync runs them, through the same plua host pagodad uses. Prints
 * the time per rendering (median of R rounds) and the size of the site.
 *
 *   render_bench [ENDPOINTS=10000] [ROUNDS=20] [LUA_DIR]
 *
 * LUA_DIR: a lua/ tree to use instead of the bundled one (to measure a
 * change to a policy or a template without rebuilding). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/pg_tune.h"
#include "lua/plua.h"
#include "lua/plua_policy.h"

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 10000, rounds = argc > 2 ? atoi(argv[2]) : 20;
	pg_tune_process(); /* as pagodad does */
	struct plua_opts o = {.lua_dir = argc > 3 ? argv[3] : NULL};
	struct plua *h = NULL;
	struct pg_err err = {0};
	if (plua_new(&o, &h, &err) != 0) {
		fprintf(stderr, "render_bench: %s\n", err.message);
		return 1;
	}
	json_t *eps = json_array();
	for (int i = 0; i < n; i++) {
		char ip[32];
		snprintf(ip, sizeof(ip), "10.%d.%d.%d", (i >> 16) & 255, (i >> 8) & 255, i & 255);
		json_array_append_new(eps, json_pack("{s:i, s:s, s:i, s:i, s:s}", "nodeId", i + 1,
		                                     "ip", ip, "port", 9000, "weight", 1, "health",
		                                     i % 10 == 0 ? "unhealthy" : "healthy"));
	}
	json_t *service =
	        json_pack("{s:s, s:i, s:s}", "name", "shop", "port", 9000, "protocol", "http");
	json_t *opts = json_pack("{s:s}", "strategy", "B");
	double *filter_ms = calloc((size_t)rounds, sizeof(double)),
	       *render_ms = calloc((size_t)rounds, sizeof(double));
	size_t size = 0, servers = 0;
	for (int r = 0; r < rounds; r++) {
		json_t *res = NULL;
		char *text = NULL;
		double t0 = now_ms();
		if (plua_upstream_filter(h, service, eps, opts, &res, &err) != 0) {
			fprintf(stderr, "render_bench: %s\n", err.message);
			return 1;
		}
		double t1 = now_ms();
		json_t *in = json_pack(
		        "{s:s, s:[s], s:[{s:s, s:s}], s:[{s:s, s:O, s:O}]}", "name", "shop-site",
		        "domains", "shop.example.com", "locations", "path", "/", "upstream",
		        "shop_site__shop", "upstreams", "name", "shop_site__shop", "status",
		        json_object_get(res, "status"), "servers", json_object_get(res, "servers"));
		if (plua_render(h, "nginx_site", in, &text, &err) != 0) {
			fprintf(stderr, "render_bench: %s\n", err.message);
			return 1;
		}
		double t2 = now_ms();
		filter_ms[r] = t1 - t0;
		render_ms[r] = t2 - t0;
		size = strlen(text);
		servers = json_array_size(json_object_get(res, "servers"));
		free(text);
		json_decref(in);
		json_decref(res);
	}
	qsort(filter_ms, (size_t)rounds, sizeof(double), cmp);
	qsort(render_ms, (size_t)rounds, sizeof(double), cmp);
	printf("%d endpoints (%zu healthy servers), %d rounds: upstream filter %.1f ms, filter + "
	       "nginx template %.1f ms"
	       " (median; max %.1f ms), site %zu bytes\n",
	       n, servers, rounds, filter_ms[rounds / 2], render_ms[rounds / 2],
	       render_ms[rounds - 1], size);
	json_decref(eps);
	json_decref(service);
	json_decref(opts);
	free(filter_ms);
	free(render_ms);
	plua_free(h);
	return 0;
}
