/* pg_path: the one definition of a node path that both pagodad and the agent
 * accept: absolute, printable, normalised (no empty, "." or ".." parts, no
 * trailing "/"), at most PG_PATH_MAX bytes, each part at most 255. */
#ifndef PG_PATH_H
#define PG_PATH_H

/* The longest path accepted anywhere (tasks, agent state, drift): one
 * limit, so a task's path can always be reported back. */
#define PG_PATH_MAX 1024

#include <stdbool.h>
#include <stddef.h>

/* NULL when p is acceptable, else why not (a static string). */
const char *pg_path_problem(const char *p);
/* The same for a path relative to a directory (an archive's entries, an
 * artifact's dest): not absolute, normalised, so it cannot leave it. */
const char *pg_relpath_problem(const char *p);
/* True when p equals root or lies below it (root has no trailing "/"). */
bool pg_path_under(const char *p, const char *root);

#endif
