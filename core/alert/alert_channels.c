/* Named notify channels: {plugin, config, severities?, template?} defined
 * once, its config sealed, referenced from any rule's notify list as
 * {channel: NAME} and tested on its own. A rule reads the channel as it is
 * when a message goes out, so changing an address is one PUT. */
#include "alert/alert_int.h"
#include "audit/audit.h"
#include "common/pg_json.h"
#include "common/pg_log.h"
#include "store/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void channel_context(const char *name, char ctx[96])
{
	snprintf(ctx, 96, "alert-channel:%s", name);
}

static json_t *view(json_t *row)
{
	json_t *out = json_pack("{s:O}", "name", json_object_get(row, "name"));
	json_object_update(out, json_object_get(row, "spec"));
	json_object_del(out, "configSealed");
	json_object_set(out, "createdAt", json_object_get(row, "createdAt"));
	json_object_set(out, "updatedAt", json_object_get(row, "updatedAt"));
	return out;
}

/* The channel a rule sends through: the row's spec with its config opened. */
static json_t *opened(struct alert *a, json_t *row)
{
	const char *name = json_string_value(json_object_get(row, "name"));
	json_t *ch = json_deep_copy(json_object_get(row, "spec"));
	const char *sealed = json_string_value(json_object_get(ch, "configSealed"));
	char ctx[96], *plain = NULL;
	size_t len;
	struct pg_err e = {0};
	channel_context(name, ctx);
	if (sealed && pg_secret_open(&a->key, sealed, ctx, &plain, &len, &e) == 0) {
		json_object_set_new(ch, "config", pg_json_load_text(plain));
		pg_secret_free(plain);
	} else if (sealed) {
		pg_error("alert", "channel %s: cannot open its config: %s", name, e.message);
	}
	json_object_del(ch, "configSealed");
	json_object_set_new(ch, "channel", json_string(name));
	return ch;
}

json_t *alert_channels_expand(struct alert *a, struct store_conn *c, json_t *notify)
{
	json_t *out = json_array(), *ch;
	size_t i;
	json_array_foreach (notify, i, ch) {
		const char *name = json_string_value(json_object_get(ch, "channel"));
		json_t *row = NULL;
		struct pg_err e = {0};
		if (!name) {
			json_array_append(out, ch);
		} else if (alert_channel_store_get(c, name, &row, &e) == 0) {
			json_array_append_new(out, opened(a, row));
		} else {
			/* gone (deleted after the check): kept in place, never routed */
			pg_warn("alert", "notify channel %s: %s", name, e.message);
			json_array_append_new(out, json_pack("{s:s, s:s, s:[]}", "channel", name,
			                                     "plugin", "missing", "severities"));
		}
		json_decref(row);
	}
	json_decref(notify);
	return out;
}

int alert_channel_put(struct alert *a, const struct pg_call *call, const char *name, json_t *body,
                      json_t **out, struct pg_err *err)
{
	if (!pg_str_is_name(name, 64))
		return pg_err_set(err, PG_EINVAL, "name",
		                  "a channel name is 1-64 of a-z, 0-9, '-' and '_'");
	int rc = alert_channel_check(a, body, err);
	if (rc != 0)
		return rc;
	struct store_conn *c = store_conn_get(a->store, err);
	json_t *spec = json_deep_copy(body), *cfg = json_object_get(body, "config"), *row = NULL;
	char ctx[96], *text = pg_json_dump(cfg ? cfg : json_object()), *sealed = NULL;
	channel_context(name, ctx);
	rc = c ? pg_secret_seal(&a->key, text, strlen(text), ctx, &sealed, err) : err->code;
	pg_secret_free(text);
	if (rc == 0) {
		json_object_set_new(spec, "config", pg_secret_masked(cfg));
		json_object_set_new(spec, "configSealed", json_string(sealed));
		rc = store_begin(c, STORE_TX_WRITE, err);
	}
	if (rc == 0) {
		rc = alert_channel_store_put(c, name, spec, err);
		if (rc == 0)
			rc = audit_record_new(c, call, "alert_channel.put", "alert_channel", 0,
			                      json_pack("{s:s, s:O}", "name", name, "plugin",
			                                json_object_get(body, "plugin")),
			                      err);
		rc = store_end(c, rc, err);
	}
	if (rc == 0)
		rc = alert_channel_store_get(c, name, &row, err);
	if (rc == 0)
		*out = view(row);
	json_decref(row);
	json_decref(spec);
	free(sealed);
	return rc;
}

int alert_channel_list(struct alert *a, json_t **out, struct pg_err *err)
{
	struct store_conn *c = store_conn_get(a->store, err);
	json_t *rows = json_array(), *row;
	size_t i;
	int rc = c ? alert_channel_store_list(c, rows, err) : err->code;
	*out = json_array();
	json_array_foreach (rows, i, row)
		json_array_append_new(*out, view(row));
	json_decref(rows);
	return rc;
}

int alert_channel_get(struct alert *a, const char *name, json_t **out, struct pg_err *err)
{
	struct store_conn *c = store_conn_get(a->store, err);
	json_t *row = NULL;
	int rc = c ? alert_channel_store_get(c, name, &row, err) : err->code;
	if (rc == 0)
		*out = view(row);
	json_decref(row);
	return rc;
}

/* The rules whose notify list names the channel, as "a, b" in by. */
static void users(struct alert *a, struct store_conn *c, const char *name, char *by, size_t n)
{
	struct pg_err e = {0};
	json_t *rules = json_array(), *rule, *ch;
	size_t i, j, used = 0;
	by[0] = '\0';
	if (alert_store_rules(c, rules, &e) == 0)
		json_array_foreach (rules, i, rule) {
			json_t *notify = alert_rule_channels(a, rule);
			bool uses = false;
			json_array_foreach (notify, j, ch) {
				const char *ref = json_string_value(json_object_get(ch, "channel"));
				uses = uses || (ref && strcmp(ref, name) == 0);
			}
			if (uses && used + 4 < n)
				used += (size_t)snprintf(
				        by + used, n - used, "%s%s", used ? ", " : "",
				        json_string_value(json_object_get(rule, "name")));
			json_decref(notify);
		}
	json_decref(rules);
}

int alert_channel_delete(struct alert *a, const struct pg_call *call, const char *name,
                         struct pg_err *err)
{
	struct store_conn *c = store_conn_get(a->store, err);
	json_t *row = NULL;
	char by[300];
	int rc = c ? store_begin(c, STORE_TX_WRITE, err) : err->code;
	if (rc == 0) {
		rc = alert_channel_store_get(c, name, &row, err);
		if (rc == 0)
			users(a, c, name, by, sizeof(by));
		if (rc == 0 && by[0])
			rc = pg_err_set(err, PG_ECONFLICT, "name",
			                "alert channel %s is used by the rules %s: take it out of "
			                "their notify lists first",
			                name, by);
		if (rc == 0)
			rc = alert_channel_store_delete(c, name, err);
		if (rc == 0)
			rc = audit_record_new(c, call, "alert_channel.delete", "alert_channel", 0,
			                      json_pack("{s:s}", "name", name), err);
		rc = store_end(c, rc, err);
	}
	json_decref(row);
	return rc;
}

int alert_channel_test(struct alert *a, const struct pg_call *call, const char *name, json_t **out,
                       struct pg_err *err)
{
	struct store_conn *c = store_conn_get(a->store, err);
	json_t *row = NULL;
	*out = NULL;
	int rc = c ? alert_channel_store_get(c, name, &row, err) : err->code;
	if (rc != 0)
		return rc;
	json_t *ch = opened(a, row), *al = alert_test_alert("test");
	json_t *results = json_pack("[o]", alert_test_send(a, ch, 0, al));
	if ((rc = store_begin(c, STORE_TX_WRITE, err)) == 0) {
		rc = audit_record_new(c, call, "alert.test", "alert_channel", 0,
		                      json_pack("{s:s, s:O}", "channel", name, "results", results),
		                      err);
		rc = store_end(c, rc, err);
	}
	if (rc == 0)
		*out = json_pack("{s:s, s:O}", "channel", name, "results", results);
	json_decref(results);
	json_decref(al);
	json_decref(ch);
	json_decref(row);
	return rc;
}
