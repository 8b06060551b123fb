/* nginx: site configurations as objects: rendering through the Lua
 * template, previews with a diff against what a node runs. Deployment is a
 * RenderAndDeployNginx task queued by the caller (application/ or the
 * deploy route). */
#ifndef NGINX_H
#define NGINX_H

#include <jansson.h>

#include "common/pg_err.h"

struct plua;

/* Renders site (see lua/templates/nginx_site.lua) into *text (malloc'd) and
 * its SHA-256 into sha256. Input problems are PG_EINVAL naming the field. */
int nginx_site_render(struct plua *lua, json_t *site, char **text, char sha256[65],
                      struct pg_err *err);

#endif
