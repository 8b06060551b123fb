/* pg_path: the one definition of a node path that both pagodad and the agent
 * accept: absolute, printable, normalised (no empty, "." or ".." parts, no
 * trailing "/"), each part at most 255 bytes. */
#ifndef PG_PATH_H
#define PG_PATH_H

#include <stdbool.h>
#include <stddef.h>

/* NULL when p is acceptable, else why not (a static string). */
const char *pg_path_problem(const char *p);
/* True when p equals root or lies below it (root has no trailing "/"). */
bool pg_path_under(const char *p, const char *root);

#endif
