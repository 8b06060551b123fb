/* upgrade's DAO (upgrade_store.c). */
#ifndef UPGRADE_INT_H
#define UPGRADE_INT_H

#include "upgrade/upgrade.h"

#include <stddef.h>
#include <stdint.h>

struct store_conn;

int upgrade_store_insert(struct store_conn *c, const char *to, const char *selector,
                         const char *sha_json, int64_t deadline, const char *by, int64_t *id,
                         struct pg_err *err);
int upgrade_store_node_insert(struct store_conn *c, int64_t id, int64_t node, int64_t batch,
                              const char *status, const char *from, const char *error,
                              struct pg_err *err);
/* The rollout with its nodes. */
int upgrade_store_get(struct store_conn *c, int64_t id, json_t **out, struct pg_err *err);
int upgrade_store_list(struct store_conn *c, json_t *items, struct pg_err *err);
int upgrade_store_running(struct store_conn *c, int64_t *ids, size_t max, size_t *n,
                          struct pg_err *err);
/* task 0 and error NULL keep what the row has. */
int upgrade_store_node_set(struct store_conn *c, int64_t id, int64_t node, const char *status,
                           int64_t task, const char *error, struct pg_err *err);
/* Ends the rollout; nodes not started yet become cancelled. */
int upgrade_store_finish(struct store_conn *c, int64_t id, const char *status, const char *error,
                         struct pg_err *err);

#endif
