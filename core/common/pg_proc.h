/* pg_proc: run a program by argv (no shell) with a deadline. */
#ifndef PG_PROC_H
#define PG_PROC_H

#include <stddef.h>
#include <stdint.h>

/* Runs argv in cwd (NULL: inherited) capturing stdout and stderr (their last
 * keep bytes, NUL-terminated, owned by the caller, NULL when empty). Returns
 * the exit status, 128+signal, or -1 with why filled (timeout: the process
 * group is killed). */
int pg_run(char *const argv[], const char *cwd, int64_t timeout_ms, size_t keep, char **out,
           char **errout, char *why, size_t whylen);

#endif
