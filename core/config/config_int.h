/* Private to config/. */
#ifndef CONFIG_INT_H
#define CONFIG_INT_H

#include <stdbool.h>

#include "common/pg_principal.h"
#include "config/config.h"

struct store_conn;

struct config {
	struct store *store;
	struct plua *lua;
	struct cluster *cluster;
	struct pg_secret_key key;
	config_on_publish on_publish;
	void *on_publish_arg;
	struct pg_wake wake; /* key: item id; watchers of its published version */
};

struct cfg_item {
	int64_t id, latest, released, created_at, updated_at;
	char ns[64], name[136], format[8], description[512];
	bool secret, is_template;
};

struct cfg_version {
	int64_t version, size, created_at;
	char sha256[65], author[100];
	char *content; /* as stored (sealed for secrets); owned */
	char *message; /* owned */
};

int cfg_item_insert(struct store_conn *c, const struct cfg_item *it, int64_t *id,
                    struct pg_err *err);
int cfg_item_get(struct store_conn *c, int64_t id, struct cfg_item *out, struct pg_err *err);
int cfg_item_set(struct store_conn *c, int64_t id, int64_t latest, int64_t released,
                 const char *description, struct pg_err *err);
int cfg_item_delete(struct store_conn *c, int64_t id, struct pg_err *err);
/* Items of ns (NULL: all) with id > after: struct cfg_item array via fn. */
int cfg_item_list(struct store_conn *c, const char *ns, int64_t after, int64_t limit,
                  void (*fn)(const struct cfg_item *it, void *arg), void *arg, struct pg_err *err);
int cfg_version_insert(struct store_conn *c, int64_t item_id, int64_t version, const char *content,
                       const char *sha256, int64_t size, const char *author, const char *message,
                       struct pg_err *err);
int cfg_version_get(struct store_conn *c, int64_t item_id, int64_t version, struct cfg_version *out,
                    struct pg_err *err);
void cfg_version_free(struct cfg_version *v);
int cfg_version_list(struct store_conn *c, int64_t item_id, json_t *items, struct pg_err *err);
int cfg_release_insert(struct store_conn *c, int64_t item_id, int64_t version, const char *kind,
                       const char *note, const char *by, int64_t *id, struct pg_err *err);
int cfg_release_list(struct store_conn *c, int64_t item_id, json_t *items, struct pg_err *err);
/* The id of the item's newest publish or rollback, 0 if none: the index a
 * watch waits on (it grows even when a rollback lowers the version). */
int cfg_release_last(struct store_conn *c, int64_t item_id, int64_t *id, struct pg_err *err);
/* The version released before the current release, or 0. */
int cfg_release_previous(struct store_conn *c, int64_t item_id, int64_t *version,
                         struct pg_err *err);

/* Service (config_svc.c), used by the controller. */
int config_create(struct config *cfg, const struct pg_call *call, json_t *body, json_t **out,
                  struct pg_err *err);
int config_update(struct config *cfg, const struct pg_call *call, int64_t id, json_t *body,
                  json_t **out, struct pg_err *err);
int config_delete(struct config *cfg, const struct pg_call *call, int64_t id, struct pg_err *err);
int config_get(struct config *cfg, int64_t id, int64_t version, bool reveal, json_t **out,
               struct pg_err *err);
int config_list(struct config *cfg, const char *ns, int64_t cursor, int64_t limit, json_t *items,
                int64_t *next, struct pg_err *err);
int config_versions(struct config *cfg, int64_t id, json_t **items, struct pg_err *err);
int config_diff(struct config *cfg, int64_t id, int64_t from, int64_t to, bool reveal, json_t **out,
                struct pg_err *err);
int config_release(struct config *cfg, const struct pg_call *call, int64_t id, json_t *body,
                   bool rollback, json_t **out, struct pg_err *err);
int config_releases(struct config *cfg, int64_t id, json_t **items, struct pg_err *err);
/* What a watcher of item id reads: its published version (content null
 * when nothing is published, or when it is secret and !reveal) and the index
 * it is at. */
int config_published(struct config *cfg, int64_t id, bool reveal, json_t **out, int64_t *index,
                     struct pg_err *err);
/* A token that reads only item id's watch (admin:config:read, scope
 * config:<id>), from body {name, expiresAt?}. */
int config_token_create(struct config *cfg, const struct pg_call *call,
                        const struct auth_principal *who, int64_t id, json_t *body, json_t **out,
                        struct pg_err *err);
/* Replaces every value in text (and diff lines) by asterisks, keeping keys. */
char *config_mask(const char *text, bool diff);

#endif
