/* Configuration center logic. */
#include "audit/audit.h"
#include "auth/auth.h"
#include "cluster/cluster.h"
#include "common/pg_crypto.h"
#include "common/pg_diff.h"
#include "common/pg_json.h"
#include "common/pg_secret.h"
#include "common/pg_log.h"
#include "config/config_int.h"
#include "lua/plua_policy.h"
#include "store/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_CONTENT (4u << 20)

/* A publish on any replica (NULL: some may have been missed). */
static void on_notice(void *arg, const char *payload)
{
	struct config *cfg = arg;
	if (payload)
		pg_wake_one(&cfg->wake, strtoll(payload, NULL, 10));
	else
		pg_wake_all(&cfg->wake);
}

int config_new(struct store *s, struct plua *lua, struct cluster *cl,
               const struct pg_secret_key *key, const struct pg_wake *wake, struct config **out,
               struct pg_err *err)
{
	struct config *cfg = calloc(1, sizeof(*cfg));
	if (!cfg)
		return pg_err_set(err, PG_EINTERNAL, "", "out of memory");
	cfg->store = s;
	cfg->lua = lua;
	cfg->cluster = cl;
	cfg->key = *key;
	cfg->wake = *wake;
	int rc = 0;
	/* a watch may wait on another replica than the one that published */
	if (rc == 0 && store_shared(s))
		rc = store_listen(s, "pagoda_config", on_notice, cfg, err);
	if (rc != 0) {
		config_free(cfg);
		return rc;
	}
	*out = cfg;
	return 0;
}

void config_free(struct config *cfg)
{
	if (!cfg)
		return;
	store_unlisten(cfg->store, cfg);
	explicit_bzero(&cfg->key, sizeof(cfg->key));
	free(cfg);
}

/* Watchers of item id, here and (through the store) on other replicas. */
static void changed(struct config *cfg, int64_t id)
{
	pg_wake_one(&cfg->wake, id);
	if (store_shared(cfg->store)) {
		char v[24];
		snprintf(v, sizeof(v), "%lld", (long long)id);
		store_notify(cfg->store, "pagoda_config", v);
	}
}

/* The sealing context binds a secret to its item and version. */
static void context_of(const struct cfg_item *it, int64_t version, char *buf, size_t len)
{
	snprintf(buf, len, "config:%s/%s:%lld", it->ns, it->name, (long long)version);
}

/* The plain content of a stored version (opened when secret); owned. */
static int plain_content(struct config *cfg, const struct cfg_item *it, const struct cfg_version *v,
                         char **out, struct pg_err *err)
{
	if (!it->secret) {
		*out = strdup(v->content);
		return *out ? 0 : pg_err_set(err, PG_EINTERNAL, "", "out of memory");
	}
	char ctx[256];
	size_t len;
	context_of(it, v->version, ctx, sizeof(ctx));
	return pg_secret_open(&cfg->key, v->content, ctx, out, &len, err);
}

char *config_mask(const char *text, bool diff)
{
	size_t n = strlen(text);
	char *out = malloc(n * 2 + 16), *o = out;
	if (!out)
		return NULL;
	for (const char *p = text; *p;) {
		const char *nl = strchrnul(p, '\n');
		const char *body = p;
		bool header = diff && (strncmp(p, "--- ", 4) == 0 || strncmp(p, "+++ ", 4) == 0 ||
		                       strncmp(p, "@@", 2) == 0 || *p == '\\');
		if (diff && !header && body < nl)
			*o++ = *body++; /* the ' ', '-' or '+' of a diff line */
		if (header) {
			memcpy(o, p, (size_t)(nl - p));
			o += nl - p;
		} else if (body < nl) {
			const char *sep = body;
			while (sep < nl && *sep != '=' && *sep != ':')
				sep++;
			if (sep < nl) {
				memcpy(o, body, (size_t)(sep - body + 1));
				o += sep - body + 1;
			}
			memcpy(o, "********", 8);
			o += 8;
		}
		if (*nl)
			*o++ = '\n';
		p = *nl ? nl + 1 : nl;
	}
	*o = '\0';
	return out;
}

static json_t *item_json(const struct cfg_item *it)
{
	json_t *o = json_pack("{s:I, s:s, s:s, s:s, s:b, s:b, s:s, s:I}", "id", (json_int_t)it->id,
	                      "namespace", it->ns, "name", it->name, "format", it->format, "secret",
	                      it->secret, "template", it->is_template, "description",
	                      it->description, "latestVersion", (json_int_t)it->latest);
	json_object_set_new(o, "releasedVersion",
	                    it->released ? json_integer(it->released) : json_null());
	pg_json_set_time(o, "createdAt", it->created_at);
	pg_json_set_time(o, "updatedAt", it->updated_at);
	return o;
}

static json_t *version_json(const struct cfg_version *v)
{
	json_t *o = json_pack("{s:I, s:s, s:I, s:s, s:s}", "version", (json_int_t)v->version,
	                      "sha256", v->sha256, "size", (json_int_t)v->size, "author", v->author,
	                      "message", v->message ? v->message : "");
	pg_json_set_time(o, "createdAt", v->created_at);
	return o;
}

static bool name_ok(const char *s, const char *extra, size_t max)
{
	size_t n = strlen(s);
	if (n == 0 || n > max || s[0] == '.' || s[0] == '-' || s[0] == '/' || strstr(s, ".."))
		return false;
	for (; *s; s++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.",
		            *s) &&
		    !strchr(extra, *s))
			return false;
	return true;
}

static struct store_conn *begin(struct config *cfg, struct pg_err *err)
{
	struct store_conn *c = store_conn_get(cfg->store, err);
	if (c && store_begin(c, STORE_TX_WRITE, err) != 0)
		return NULL;
	return c;
}

/* Stores content as version v of it (sealed when secret). */
static int put_version(struct config *cfg, struct store_conn *c, const struct cfg_item *it,
                       int64_t v, const char *content, const char *author, const char *message,
                       char sha[65], struct pg_err *err)
{
	size_t len = strlen(content);
	pg_sha256_hex(content, len, sha);
	char *stored = NULL;
	if (it->secret) {
		char ctx[256];
		context_of(it, v, ctx, sizeof(ctx));
		int rc = pg_secret_seal(&cfg->key, content, len, ctx, &stored, err);
		if (rc != 0)
			return rc;
	}
	int rc = cfg_version_insert(c, it->id, v, stored ? stored : content, sha, (int64_t)len,
	                            author, message ? message : "", err);
	free(stored);
	return rc;
}

/* Content of a template item is checked after rendering, not before. */
static int check_content(const struct cfg_item *it, const char *content, struct pg_err *err)
{
	if (strlen(content) > MAX_CONTENT)
		return pg_err_set(err, PG_EINVAL, "content", "content is larger than %u bytes",
		                  MAX_CONTENT);
	return it->is_template ? 0 : config_validate(it->format, content, err);
}

int config_create(struct config *cfg, const struct pg_call *call, json_t *body, json_t **out,
                  struct pg_err *err)
{
	static const char *const fields[] = {"namespace",   "name",    "format",
	                                     "content",     "secret",  "template",
	                                     "description", "message", NULL};
	struct cfg_item it = {0};
	const char *ns = "default", *name = NULL, *format = "text", *content = NULL, *desc = "",
	           *message = NULL;
	bool secret = false, tpl = false;
	int rc = pg_json_only(body, fields, err);
	if (rc == 0)
		rc = pg_json_str(body, "namespace", false, 63, &ns, err);
	if (rc == 0 && !name_ok(ns, "", 63))
		rc = pg_err_set(err, PG_EINVAL, "namespace",
		                "namespace must be letters, digits and - _ .");
	if (rc == 0)
		rc = pg_json_str(body, "name", true, 128, &name, err);
	if (rc == 0 && !name_ok(name, "/", 128))
		rc = pg_err_set(err, PG_EINVAL, "name", "name must be letters, digits and - _ . /");
	if (rc == 0)
		rc = pg_json_str(body, "format", false, 8, &format, err);
	if (rc == 0 && strcmp(format, "text") && strcmp(format, "json") && strcmp(format, "yaml") &&
	    strcmp(format, "ini") && strcmp(format, "env"))
		rc = pg_err_set(err, PG_EINVAL, "format",
		                "format must be text, json, yaml, ini or env");
	if (rc == 0)
		rc = pg_json_str(body, "content", true, MAX_CONTENT, &content, err);
	if (rc == 0)
		rc = pg_json_bool(body, "secret", false, &secret, err);
	if (rc == 0)
		rc = pg_json_bool(body, "template", false, &tpl, err);
	if (rc == 0)
		rc = pg_json_str(body, "description", false, 500, &desc, err);
	if (rc == 0)
		rc = pg_json_str(body, "message", false, 1000, &message, err);
	if (rc != 0)
		return rc;
	snprintf(it.ns, sizeof(it.ns), "%s", ns);
	snprintf(it.name, sizeof(it.name), "%s", name);
	snprintf(it.format, sizeof(it.format), "%s", format);
	snprintf(it.description, sizeof(it.description), "%s", desc);
	it.secret = secret;
	it.is_template = tpl;
	if ((rc = check_content(&it, content, err)) != 0)
		return rc;
	struct store_conn *c = begin(cfg, err);
	if (!c)
		return err->code;
	char sha[65];
	rc = cfg_item_insert(c, &it, &it.id, err);
	if (rc == 0)
		rc = put_version(cfg, c, &it, 1, content, call->actor, message, sha, err);
	if (rc == 0)
		rc = cfg_item_set(c, it.id, 1, 0, desc, err);
	if (rc == 0) {
		/* a secret's digest is an offline oracle for a weak secret: not in audit */
		json_t *d = json_pack("{s:s, s:s, s:s, s:b, s:I, s:s?}", "namespace", ns, "name",
		                      name, "format", format, "secret", secret, "version",
		                      (json_int_t)1, "sha256", secret ? NULL : sha);
		rc = audit_record(c, call, "config.create", "config", it.id, d, err);
		json_decref(d);
	}
	rc = store_end(c, rc, err);
	return rc == 0 ? config_get(cfg, it.id, 0, false, out, err) : rc;
}

int config_update(struct config *cfg, const struct pg_call *call, int64_t id, json_t *body,
                  json_t **out, struct pg_err *err)
{
	static const char *const fields[] = {"content", "message", "description", NULL};
	const char *content = NULL, *message = NULL, *desc = NULL;
	int rc = pg_json_only(body, fields, err);
	if (rc == 0)
		rc = pg_json_str(body, "content", true, MAX_CONTENT, &content, err);
	if (rc == 0)
		rc = pg_json_str(body, "message", false, 1000, &message, err);
	if (rc == 0)
		rc = pg_json_str(body, "description", false, 500, &desc, err);
	if (rc != 0)
		return rc;
	struct store_conn *c = begin(cfg, err);
	if (!c)
		return err->code;
	struct cfg_item it;
	struct cfg_version latest = {0};
	char sha[65];
	bool unchanged = false;
	int64_t written = 0; /* the version this call answers, not whatever is latest after it */
	rc = cfg_item_get(c, id, &it, err);
	if (rc == 0)
		rc = check_content(&it, content, err);
	if (rc == 0)
		rc = cfg_version_get(c, id, it.latest, &latest, err);
	if (rc == 0) {
		pg_sha256_hex(content, strlen(content), sha);
		/* Saving the same bytes again is not a new version. */
		unchanged = strcmp(sha, latest.sha256) == 0 &&
		            (!desc || strcmp(desc, it.description) == 0);
	}
	if (rc == 0)
		written = it.latest;
	if (rc == 0 && !unchanged) {
		int64_t v = written = it.latest + (strcmp(sha, latest.sha256) != 0);
		if (v != it.latest)
			rc = put_version(cfg, c, &it, v, content, call->actor, message, sha, err);
		if (rc == 0)
			rc = cfg_item_set(c, id, v, it.released, desc ? desc : it.description, err);
		if (rc == 0) {
			json_t *d = json_pack("{s:I, s:s?, s:s?}", "version", (json_int_t)v,
			                      "sha256", it.secret ? NULL : sha, "message", message);
			rc = audit_record(c, call, "config.update", "config", id, d, err);
			json_decref(d);
		}
	}
	cfg_version_free(&latest);
	rc = store_end(c, rc, err);
	if (rc == 0 && (rc = config_get(cfg, id, written, false, out, err)) == 0 && unchanged)
		json_object_set_new(*out, "unchanged", json_true());
	return rc;
}

int config_delete(struct config *cfg, const struct pg_call *call, int64_t id, struct pg_err *err)
{
	struct store_conn *c = begin(cfg, err);
	if (!c)
		return err->code;
	struct cfg_item it;
	int rc = cfg_item_get(c, id, &it, err);
	if (rc == 0)
		rc = cfg_item_delete(c, id, err);
	char scope[32];
	snprintf(scope, sizeof(scope), "config:%lld", (long long)id);
	int64_t revoked = 0;
	if (rc == 0) /* a token for a deleted item must not read the next one with its id */
		rc = auth_revoke_scope(c, scope, &revoked, err);
	if (rc == 0) {
		json_t *d = json_pack("{s:s, s:s, s:I, s:I}", "namespace", it.ns, "name", it.name,
		                      "versions", (json_int_t)it.latest, "tokensRevoked",
		                      (json_int_t)revoked);
		rc = audit_record(c, call, "config.delete", "config", id, d, err);
		json_decref(d);
	}
	rc = store_end(c, rc, err);
	if (rc == 0)
		changed(cfg, id); /* its watchers answer 404 */
	return rc;
}

int config_get(struct config *cfg, int64_t id, int64_t version, bool reveal, json_t **out,
               struct pg_err *err)
{
	struct store_conn *c = store_conn_get(cfg->store, err);
	if (!c)
		return err->code;
	struct cfg_item it;
	struct cfg_version v = {0};
	char *plain = NULL;
	int rc = cfg_item_get(c, id, &it, err);
	if (rc == 0)
		rc = cfg_version_get(c, id, version ? version : it.latest, &v, err);
	if (rc == 0 && (!it.secret || reveal))
		rc = plain_content(cfg, &it, &v, &plain, err);
	if (rc == 0) {
		*out = item_json(&it);
		json_t *vj = version_json(&v);
		if (plain)
			json_object_set_new(vj, "content", json_string(plain));
		else
			json_object_set_new(vj, "content", json_null());
		if (it.secret && !reveal)
			json_object_set_new(vj, "contentHidden", json_true());
		json_object_set_new(*out, "current", vj);
	}
	pg_secret_free(plain);
	cfg_version_free(&v);
	return rc;
}

struct list_ctx {
	json_t *items;
	int64_t last;
};

static void add_item(const struct cfg_item *it, void *arg)
{
	struct list_ctx *l = arg;
	json_array_append_new(l->items, item_json(it));
	l->last = it->id;
}

int config_list(struct config *cfg, const char *ns, int64_t cursor, int64_t limit, json_t *items,
                int64_t *next, struct pg_err *err)
{
	struct store_conn *c = store_conn_get(cfg->store, err);
	if (!c)
		return err->code;
	struct list_ctx l = {items, 0};
	int rc = cfg_item_list(c, ns, cursor, limit + 1, add_item, &l, err);
	*next = 0;
	if (rc == 0 && (int64_t)json_array_size(items) > limit) {
		json_array_remove(items, json_array_size(items) - 1);
		*next = json_integer_value(
		        json_object_get(json_array_get(items, json_array_size(items) - 1), "id"));
	}
	return rc;
}

int config_versions(struct config *cfg, int64_t id, json_t **items, struct pg_err *err)
{
	struct store_conn *c = store_conn_get(cfg->store, err);
	struct cfg_item it;
	int rc = c ? cfg_item_get(c, id, &it, err) : err->code;
	*items = json_array();
	if (rc == 0)
		rc = cfg_version_list(c, id, *items, err);
	return rc;
}

int config_diff(struct config *cfg, int64_t id, int64_t from, int64_t to, bool reveal, json_t **out,
                struct pg_err *err)
{
	struct store_conn *c = store_conn_get(cfg->store, err);
	if (!c)
		return err->code;
	struct cfg_item it;
	struct cfg_version a = {0}, b = {0};
	char *pa = NULL, *pb = NULL, *diff = NULL;
	int rc = cfg_item_get(c, id, &it, err);
	if (rc == 0 && !from)
		from = it.latest > 1 ? it.latest - 1 : 1;
	if (rc == 0 && !to)
		to = it.latest;
	if (rc == 0 && (rc = cfg_version_get(c, id, from, &a, err)) != 0)
		pg_err_set(err, err->code, "from", "no version %lld", (long long)from);
	if (rc == 0 && (rc = cfg_version_get(c, id, to, &b, err)) != 0)
		pg_err_set(err, err->code, "to", "no version %lld", (long long)to);
	if (rc == 0)
		rc = plain_content(cfg, &it, &a, &pa, err);
	if (rc == 0)
		rc = plain_content(cfg, &it, &b, &pb, err);
	if (rc == 0) {
		char la[300], lb[300];
		snprintf(la, sizeof(la), "%s/%s v%lld", it.ns, it.name, (long long)from);
		snprintf(lb, sizeof(lb), "%s/%s v%lld", it.ns, it.name, (long long)to);
		diff = pg_diff_unified(pa, pb, la, lb, 3);
		if (!diff)
			rc = pg_err_set(err, PG_EINTERNAL, "", "out of memory");
	}
	if (rc == 0) {
		bool mask = it.secret && !reveal;
		char *shown = mask ? config_mask(diff, true) : NULL;
		*out = json_pack("{s:I, s:I, s:s, s:b}", "from", (json_int_t)from, "to",
		                 (json_int_t)to, "diff", shown ? shown : diff, "masked", mask);
		pg_secret_free(shown);
	}
	pg_secret_free(diff);
	pg_secret_free(pa);
	pg_secret_free(pb);
	cfg_version_free(&a);
	cfg_version_free(&b);
	return rc;
}

void config_set_on_publish(struct config *cfg, config_on_publish fn, void *arg)
{
	cfg->on_publish = fn;
	cfg->on_publish_arg = arg;
}

int config_release(struct config *cfg, const struct pg_call *call, int64_t id, json_t *body,
                   bool rollback, json_t **out, struct pg_err *err)
{
	static const char *const fields[] = {"version", "note", NULL};
	int64_t version = 0, rel_id = 0;
	const char *note = "";
	int rc = pg_json_only(body, fields, err);
	if (rc == 0)
		rc = pg_json_int(body, "version", false, 1, INT64_MAX, &version, err);
	if (rc == 0)
		rc = pg_json_str(body, "note", false, 1000, &note, err);
	if (rc != 0)
		return rc;
	struct store_conn *c = begin(cfg, err);
	if (!c)
		return err->code;
	struct cfg_item it;
	struct cfg_version v = {0};
	rc = cfg_item_get(c, id, &it, err);
	if (rc == 0 && !version) {
		if (rollback) {
			rc = cfg_release_previous(c, id, &version, err);
			if (rc == 0 && !version)
				rc = pg_err_set(err, PG_EPRECOND, "version",
				                "nothing to roll back to: no earlier release of a "
				                "different version");
		} else {
			version = it.latest;
		}
	}
	if (rc == 0)
		rc = cfg_version_get(c, id, version, &v, err);
	if (rc == 0 && rollback && version == it.released)
		rc = pg_err_set(err, PG_EPRECOND, "version", "version %lld is released already",
		                (long long)version);
	if (rc == 0)
		rc = cfg_release_insert(c, id, version, rollback ? "rollback" : "publish", note,
		                        call->actor, &rel_id, err);
	if (rc == 0)
		rc = cfg_item_set(c, id, it.latest, version, it.description, err);
	if (rc == 0) {
		json_t *d = json_pack("{s:I, s:I, s:s?, s:s}", "version", (json_int_t)version,
		                      "from", (json_int_t)it.released, "sha256",
		                      it.secret ? NULL : v.sha256, "note", note);
		rc = audit_record(c, call, rollback ? "config.rollback" : "config.publish",
		                  "config", id, d, err);
		json_decref(d);
	}
	cfg_version_free(&v);
	rc = store_end(c, rc, err);
	if (rc == 0)
		changed(cfg, id);
	if (rc == 0 && cfg->on_publish)
		cfg->on_publish(cfg->on_publish_arg, call, id, version);
	if (rc == 0)
		*out = json_pack("{s:I, s:I, s:I, s:s}", "id", (json_int_t)rel_id, "itemId",
		                 (json_int_t)id, "version", (json_int_t)version, "kind",
		                 rollback ? "rollback" : "publish");
	return rc;
}

int config_releases(struct config *cfg, int64_t id, json_t **items, struct pg_err *err)
{
	struct store_conn *c = store_conn_get(cfg->store, err);
	struct cfg_item it;
	int rc = c ? cfg_item_get(c, id, &it, err) : err->code;
	*items = json_array();
	if (rc == 0)
		rc = cfg_release_list(c, id, *items, err);
	return rc;
}

int config_render(struct config *cfg, int64_t item_id, int64_t version, int64_t node_id,
                  json_t *app, json_t *values, char **text, int64_t *used_version,
                  struct pg_err *err)
{
	struct store_conn *c = store_conn_get(cfg->store, err);
	if (!c)
		return err->code;
	struct cfg_item it;
	struct cfg_version v = {0};
	char *plain = NULL;
	json_t *node = NULL;
	int rc = cfg_item_get(c, item_id, &it, err);
	if (rc == 0 && !version)
		version = it.released ? it.released : it.latest;
	if (rc == 0)
		rc = cfg_version_get(c, item_id, version, &v, err);
	if (rc == 0)
		rc = plain_content(cfg, &it, &v, &plain, err);
	if (rc == 0 && node_id) {
		json_t *full = NULL;
		rc = cluster_node_get(cfg->cluster, node_id, &full, err);
		if (rc == 0)
			node = json_pack("{s:O, s:O, s:O, s:O}", "id", json_object_get(full, "id"),
			                 "name", json_object_get(full, "name"), "ip",
			                 json_object_get(full, "ip"), "labels",
			                 json_object_get(full, "labels"));
		json_decref(full);
		if (rc == PG_ENOTFOUND)
			pg_err_set(err, PG_ENOTFOUND, "nodeId", "no node %lld", (long long)node_id);
	}
	if (rc == 0 && it.is_template) {
		json_t *in =
		        json_pack("{s:s, s:o, s:O, s:O}", "template", plain, "node",
		                  node ? json_incref(node) : json_object(), "app",
		                  app ? app : json_null(), "values", values ? values : json_null());
		char *out = NULL;
		rc = plua_render(cfg->lua, "config_file", in, &out, err);
		json_decref(in);
		if (rc == 0) {
			pg_secret_free(plain);
			plain = out;
			/* A template's result must still be a valid file of its format. */
			rc = config_validate(it.format, plain, err);
			if (rc != 0)
				err->code = PG_EPRECOND;
		}
	}
	json_decref(node);
	cfg_version_free(&v);
	if (rc != 0) {
		pg_secret_free(plain);
		return rc;
	}
	*text = plain;
	*used_version = version;
	return 0;
}

int config_resolve(struct config *cfg, int64_t item_id, int64_t version, int64_t *used,
                   bool *secret, struct pg_err *err)
{
	struct store_conn *c = store_conn_get(cfg->store, err);
	struct cfg_item it;
	struct cfg_version v = {0};
	int rc = c ? cfg_item_get(c, item_id, &it, err) : err->code;
	if (rc == 0 && !version)
		version = it.released ? it.released : it.latest;
	if (rc == 0)
		rc = cfg_version_get(c, item_id, version, &v, err);
	cfg_version_free(&v);
	if (rc == 0) {
		*used = version;
		*secret = it.secret;
	}
	return rc;
}

int config_published(struct config *cfg, int64_t id, bool reveal, json_t **out, int64_t *index,
                     struct pg_err *err)
{
	struct store_conn *c = store_conn_get(cfg->store, err);
	struct cfg_item it;
	int rc = c ? cfg_item_get(c, id, &it, err) : err->code;
	if (rc == 0)
		rc = cfg_release_last(c, id, index, err);
	char *text = NULL;
	int64_t used = 0;
	if (rc == 0 && it.released && (!it.secret || reveal))
		rc = config_render(cfg, id, it.released, 0, NULL, NULL, &text, &used, err);
	if (rc != 0)
		return rc;
	*out = json_pack("{s:I, s:s, s:s, s:s, s:b, s:I}", "id", (json_int_t)id, "namespace", it.ns,
	                 "name", it.name, "format", it.format, "secret", it.secret, "index",
	                 (json_int_t)*index);
	json_object_set_new(*out, "version", it.released ? json_integer(it.released) : json_null());
	json_object_set_new(*out, "content", text ? json_string(text) : json_null());
	if (it.released && it.secret && !reveal)
		json_object_set_new(*out, "contentHidden", json_true());
	pg_secret_free(text);
	return 0;
}

int config_token_create(struct config *cfg, const struct pg_call *call,
                        const struct auth_principal *who, int64_t id, json_t *body, json_t **out,
                        struct pg_err *err)
{
	static const char *const fields[] = {"name", "expiresAt", NULL};
	int rc = pg_json_only(body, fields, err);
	if (rc != 0)
		return rc;
	struct store_conn *c = begin(cfg, err);
	if (!c)
		return err->code;
	struct cfg_item it;
	char scope[32];
	snprintf(scope, sizeof(scope), "config:%lld", (long long)id);
	rc = cfg_item_get(c, id, &it, err);
	if (rc == 0)
		rc = auth_token_mint(c, call, who, body,
		                     (auth_perms)1 << auth_perm_bit("admin:config:read"), scope,
		                     out, err);
	rc = store_end(c, rc, err);
	if (rc != 0) {
		json_decref(*out);
		*out = NULL;
	}
	return rc;
}
