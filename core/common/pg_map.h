/* pg_map: an open-addressing hash map from int64 keys to pointers.
 * Not thread-safe: the owner holds its own lock. Values are not owned. */
#ifndef PG_MAP_H
#define PG_MAP_H

#include <stddef.h>
#include <stdint.h>

struct pg_map;

struct pg_map *pg_map_new(void);
void pg_map_free(struct pg_map *m);
void *pg_map_get(const struct pg_map *m, int64_t key);
/* Inserts or replaces; returns 0 or PG_EINTERNAL when out of memory. */
int pg_map_put(struct pg_map *m, int64_t key, void *value);
/* Removes key and returns its value (NULL when absent). */
void *pg_map_del(struct pg_map *m, int64_t key);
size_t pg_map_count(const struct pg_map *m);
/* Calls fn for each entry; fn must not modify the map. */
void pg_map_each(const struct pg_map *m, void (*fn)(int64_t key, void *value, void *arg),
                 void *arg);

#endif
