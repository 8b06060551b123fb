/* install: what a new machine fetches to join (the installer script and
 * the agent package for its architecture) and the agent packages that
 * upgrades roll out, all from pagodad's packages dir. */
#ifndef INSTALL_H
#define INSTALL_H

#include "common/pg_err.h"
#include "http/http.h"

#include <jansson.h>
#include <stddef.h>

/* The newest pagoda-agent_VERSION_ARCH.deb in dir (or exactly version when
 * not NULL): its path and version. PG_ENOTFOUND with a message saying what
 * to put there. */
int install_agent_package(const char *dir, const char *arch, const char *version, char *path,
                          size_t path_len, char *found_version, size_t version_len,
                          struct pg_err *err);

/* {arch: sha256} of every pagoda-agent_VERSION_ARCH.deb in dir; PG_EPRECOND
 * when there is none of that version. */
int install_agent_digests(const char *dir, const char *version, json_t *out, struct pg_err *err);

extern const struct http_route install_routes[];

#endif
