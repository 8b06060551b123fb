/* config: the configuration center. Items keyed by (namespace, name) with
 * immutable numbered versions, publish/rollback records, secrets sealed at
 * rest, content checked with the format's own parser, and rendering of
 * template items per node. */
#ifndef CONFIG_H
#define CONFIG_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/pg_call.h"
#include "common/pg_err.h"
#include "common/pg_wake.h"
#include "common/pg_secret.h"

struct store;
struct plua;
struct cluster;
struct config;

/* wake: tells the watchers of an item (key: its id) that it changed. */
int config_new(struct store *s, struct plua *lua, struct cluster *cl,
               const struct pg_secret_key *key, const struct pg_wake *wake, struct config **out,
               struct pg_err *err);
void config_free(struct config *cfg);
/* Called after a publish or rollback of item_id to version committed
 * (applications that follow it release it: autoRelease); wired in main.c. */
typedef void (*config_on_publish)(void *arg, const struct pg_call *call, int64_t item_id,
                                  int64_t version);
void config_set_on_publish(struct config *cfg, config_on_publish fn, void *arg);

/* Checks content in a format ("text", "json", "yaml", "ini", "env"); a
 * broken file is PG_EINVAL with the parser's line (and column when the
 * parser gives one) in the message and field "content". */
int config_validate(const char *format, const char *content, struct pg_err *err);

/* Renders version (0: the released one, else the latest) of item for a node
 * (node_id 0: no node) with app and values (may be NULL). *text is malloc'd
 * plain text (a secret's too: the caller must not log it). */
int config_render(struct config *cfg, int64_t item_id, int64_t version, int64_t node_id,
                  json_t *app, json_t *values, char **text, int64_t *used_version,
                  struct pg_err *err);

/* The version render would use (0: released, else latest) and whether the
 * item is secret. */
int config_resolve(struct config *cfg, int64_t item_id, int64_t version, int64_t *used,
                   bool *secret, struct pg_err *err);

#endif
