/* pg_diff: line diffs in the unified format (`diff -u`), for previews of
 * rendered files and for configuration versions. */
#ifndef PG_DIFF_H
#define PG_DIFF_H

/* The unified diff from a to b with `context` lines around changes and
 * ---/+++ headers naming label_a/label_b; "" when the texts are equal; NULL
 * when out of memory. The caller frees it. */
char *pg_diff_unified(const char *a, const char *b, const char *label_a, const char *label_b,
                      int context);

#endif
