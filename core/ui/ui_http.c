/* Serves the console's compiled-in assets: public (they hold no secrets; the
 * API they call needs a token), revalidated by ETag, under a CSP that allows
 * nothing but this origin. */
#include "ui/ui.h"
#include "common/pg_crypto.h"
#include "common/pg_embed.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern const struct pg_embedded ui_assets[];

/* No inline script or style, no framing, no third party: a token typed into
 * the console can only travel to this origin. */
static const char *const ui_headers[] = {
        "Content-Security-Policy",
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; "
        "frame-ancestors 'none'",
        "Cache-Control",
        "no-cache",
        "Referrer-Policy",
        "no-referrer",
        "X-Frame-Options",
        "DENY",
        NULL,
};

struct ui_asset {
	char etag[68];
	struct http_static st;
};

/* Built once on first use and kept for the life of the process, like the
 * compiled-in bytes it points into. */
static struct ui_asset *assets;
static size_t nassets;
static pthread_once_t assets_once = PTHREAD_ONCE_INIT;

static const char *content_type(const char *path)
{
	static const char *const types[][2] = {
	        {".html", "text/html; charset=utf-8"}, {".js", "text/javascript; charset=utf-8"},
	        {".css", "text/css; charset=utf-8"},   {".svg", "image/svg+xml"},
	        {".json", "application/json"},
	};
	const char *dot = strrchr(path, '.');
	for (size_t i = 0; dot && i < sizeof(types) / sizeof(types[0]); i++)
		if (strcmp(dot, types[i][0]) == 0)
			return types[i][1];
	return "application/octet-stream";
}

static void assets_load(void)
{
	while (ui_assets[nassets].path)
		nassets++;
	assets = calloc(nassets ? nassets : 1, sizeof(*assets));
	if (!assets) {
		nassets = 0;
		return;
	}
	for (size_t i = 0; i < nassets; i++) {
		const struct pg_embedded *e = &ui_assets[i];
		char hex[65];
		pg_sha256_hex(e->data, e->size, hex);
		snprintf(assets[i].etag, sizeof(assets[i].etag), "\"%.32s\"", hex);
		assets[i].st = (struct http_static){e->data, e->size, content_type(e->path),
		                                    assets[i].etag, ui_headers};
	}
}

static const struct ui_asset *asset_find(const char *name)
{
	pthread_once(&assets_once, assets_load);
	for (size_t i = 0; i < nassets; i++)
		if (strcmp(ui_assets[i].path, name) == 0)
			return &assets[i];
	return NULL;
}

static void serve(struct http_req *req, const char *name)
{
	const struct ui_asset *a = asset_find(name);
	if (!a) {
		http_reply_error(req, PG_ENOTFOUND, "path", "the console has no file %s", name);
		return;
	}
	const char *inm = http_header(req, "If-None-Match");
	http_reply_static(req, inm && strcmp(inm, a->etag) == 0 ? 304 : 200, &a->st);
}

static void ui_redirect(struct http_req *req)
{
	http_reply_header(req, "Location", "/ui/");
	http_reply(req, 308, NULL);
}

static void ui_index(struct http_req *req)
{
	serve(req, "index.html");
}

static void ui_asset(struct http_req *req)
{
	serve(req, http_param(req, "asset"));
}

const struct http_route ui_routes[] = {
        {.method = "GET", .path = "/ui", .auth = HTTP_AUTH_NONE, .fn = ui_redirect},
        {.method = "GET", .path = "/ui/", .auth = HTTP_AUTH_NONE, .fn = ui_index},
        {.method = "GET", .path = "/ui/:asset", .auth = HTTP_AUTH_NONE, .fn = ui_asset},
        {0},
};
