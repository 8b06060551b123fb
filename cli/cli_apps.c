/* pagoda apps ... and the one-word shortcuts (apply, plan, deploy): the
 * state of an application as its nodes tell it, a describe-style show, and
 * a release created, executed and watched in one go. */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct cli_col app_cols[] = {{"ID", "id", 0},
                                          {"NAME", "name", 0},
                                          {"TYPE", "type", 0},
                                          {"STATE", "state", 0},
                                          {"RELEASE", "currentReleaseId", 0},
                                          {"SELECTOR", "selector", 0},
                                          {0}};

/* "running (3/3)", "failed (0/2, last release failed)": GET .../status's state. */
static void state_text(json_t *st, char *out, size_t len)
{
	json_t *s = json_object_get(st, "state");
	const char *phase = json_string_value(json_object_get(s, "phase"));
	if (!phase) {
		snprintf(out, len, "?");
		return;
	}
	bool counted = strcmp(phase, "never_deployed") != 0 && strcmp(phase, "stopped") != 0;
	bool last_failed = json_is_true(json_object_get(s, "lastReleaseFailed")) &&
	                   strcmp(phase, "failed") != 0;
	char n[80] = "";
	json_int_t pending = json_integer_value(json_object_get(s, "pending"));
	if (counted)
		snprintf(n, sizeof(n), "%lld/%lld converged%s%.0lld%s",
		         (long long)json_integer_value(json_object_get(s, "healthy")),
		         (long long)json_integer_value(json_object_get(s, "total")),
		         pending ? ", " : "", (long long)pending,
		         pending ? " not reported yet" : "");
	snprintf(out, len, "%s%s%s%s%s", phase, counted || last_failed ? " (" : "", n,
	         last_failed ? (counted ? ", last release failed" : "last release failed") : "",
	         counted || last_failed ? ")" : "");
}

/* pagoda apps ls: each application with its state from its nodes. */
static int apps_list(struct cli *c)
{
	json_t *all = json_array(), *x;
	char path[96];
	int rc = cli_list_all(c, "/admin/apps?limit=1000", all, NULL);
	size_t i;
	json_array_foreach (rc == CLI_OK ? all : NULL, i, x) {
		json_t *st = NULL;
		char text[96];
		snprintf(path, sizeof(path), "/admin/apps/%lld/status",
		         (long long)json_integer_value(json_object_get(x, "id")));
		if (cli_call(c, "GET", path, NULL, &st) == CLI_OK) {
			state_text(st, text, sizeof(text));
			json_object_set_new(x, "state", json_string(text));
		}
		json_decref(st);
	}
	if (rc == CLI_OK && !c->json && !json_array_size(all))
		printf("no applications\n");
	else if (rc == CLI_OK)
		cli_print_list(c, all, app_cols);
	json_decref(all);
	return rc;
}

/* pagoda apps show APP, as kubectl describe: the application, its state,
 * each node, the last releases and the recent events (from the audit). */
static int app_show(struct cli *c, const char *id)
{
	char path[160], text[96];
	json_t *app = NULL, *st = NULL, *rels = json_array(), *events = NULL;
	snprintf(path, sizeof(path), "/admin/apps/%s", id);
	int rc = cli_call(c, "GET", path, NULL, &app);
	if (rc == CLI_OK) {
		snprintf(path, sizeof(path), "/admin/apps/%s/status", id);
		rc = cli_call(c, "GET", path, NULL, &st);
	}
	if (rc == CLI_OK) {
		snprintf(path, sizeof(path), "/admin/apps/%s/releases?limit=5", id);
		json_t *page = NULL;
		rc = cli_call(c, "GET", path, NULL, &page);
		json_array_extend(rels, json_object_get(page, "items"));
		json_decref(page);
	}
	if (rc == CLI_OK) {
		snprintf(path, sizeof(path), "/admin/audit?targetType=app&targetId=%s&limit=10",
		         id);
		if (cli_call(c, "GET", path, NULL, &events) != CLI_OK)
			events = NULL; /* a token without admin:audit:read still sees the rest */
	}
	if (rc == CLI_OK && c->json) {
		json_t *all =
		        json_pack("{s:O, s:O, s:O, s:O*}", "app", app, "status", st, "releases",
		                  rels, "events", json_object_get(events, "items"));
		cli_print_object(c, all);
		json_decref(all);
	} else if (rc == CLI_OK) {
		cli_print_object(c, app);
		state_text(st, text, sizeof(text));
		printf("\nstate  %s\n", text);
		static const struct cli_col app_node_cols[] = {{"NODE", "nodeId", 0},
		                                               {"STATUS", "status", 0},
		                                               {"ITEMS", "items", 0},
		                                               {"REASON", "reason", 0},
		                                               {0}};
		cli_section(c, "nodes");
		cli_print_list(c, json_object_get(st, "nodes"), app_node_cols);
		static const struct cli_col rel_cols5[] = {{"ID", "id", 0},
		                                           {"VERSION", "version", 0},
		                                           {"KIND", "kind", 0},
		                                           {"STATUS", "status", 0},
		                                           {"CREATED", "createdAt", 0},
		                                           {"ERROR", "error", 0},
		                                           {0}};
		cli_section(c, "releases (newest first)");
		if (json_array_size(rels))
			cli_print_list(c, rels, rel_cols5);
		else
			printf("none yet\n");
		static const struct cli_col ev_cols[] = {
		        {"AT", "at", 0}, {"ACTOR", "actor", 0}, {"ACTION", "action", 0}, {0}};
		if (events) {
			cli_section(c, "events");
			cli_print_list(c, json_object_get(events, "items"), ev_cols);
		}
	}
	json_decref(app);
	json_decref(st);
	json_decref(rels);
	json_decref(events);
	return rc;
}

/* pagoda apps deploy APP: a release created, executed and watched in one
 * go (a release that needs approval stops after creation and says so). */
static int deploy(struct cli *c, const char *app, const char *note)
{
	char path[96];
	json_t *out = NULL, *body = note ? json_pack("{s:s}", "note", note) : json_object();
	snprintf(path, sizeof(path), "/admin/apps/%s/releases", app);
	int rc = cli_call(c, "POST", path, body, &out);
	json_decref(body);
	if (rc != CLI_OK)
		return rc;
	json_int_t rel = json_integer_value(json_object_get(out, "id"));
	const char *diff = json_string_value(json_object_get(out, "diffText"));
	const char *status = json_string_value(json_object_get(out, "status"));
	if (!c->json) {
		printf("release %lld (version %lld) of application %s\n", (long long)rel,
		       (long long)json_integer_value(json_object_get(out, "version")), app);
		fputs(diff && *diff ? diff : "(no change in the rendered artifacts)\n", stdout);
	}
	bool waits = status && strcmp(status, "awaiting_approval") == 0;
	json_decref(out);
	if (waits) {
		fprintf(stderr,
		        "pagoda: release %lld awaits approval: pagoda releases approve %lld, then "
		        "pagoda releases execute %lld\n",
		        (long long)rel, (long long)rel, (long long)rel);
		return CLI_FAILED;
	}
	snprintf(path, sizeof(path), "/admin/releases/%lld/execute", (long long)rel);
	if ((rc = cli_call(c, "POST", path, NULL, &out)) != CLI_OK)
		return rc;
	json_decref(out);
	return cli_watch_release(c, rel, 500);
}

int cli_apply_cmd(struct cli *c, const struct cli_args *a)
{
	const char *file = cli_need(a, "-f");
	return file ? cli_apply(c, file,
	                        strcmp(a->cmd->noun, "plan") == 0 || cli_switch(a, "--dry-run"))
	            : CLI_USAGE;
}

int cli_apps_ls(struct cli *c, const struct cli_args *a)
{
	(void)a;
	return apps_list(c);
}

int cli_apps_show(struct cli *c, const struct cli_args *a)
{
	char id[32];
	int rc = cli_resolve_app(c, a->pos[0], id);
	return rc == CLI_OK ? app_show(c, id) : rc;
}

int cli_apps_deploy(struct cli *c, const struct cli_args *a)
{
	char id[32];
	int rc = cli_resolve_app(c, a->pos[0], id);
	return rc == CLI_OK ? deploy(c, id, cli_opt(a, "--note")) : rc;
}

int cli_apps_status(struct cli *c, const struct cli_args *a)
{
	char id[32];
	const char *runs = cli_opt(a, "--runs");
	int rc = cli_resolve_app(c, a->pos[0], id);
	return rc == CLI_OK ? cli_app_status(c, id, runs ? atoi(runs) : 0) : rc;
}

int cli_apps_run(struct cli *c, const struct cli_args *a)
{
	char path[96];
	int rc = cli_id_path(c, cli_resolve_app, a->pos[0], "/admin/apps/%s/run", path,
	                     sizeof(path));
	return rc == CLI_OK ? cli_call_print(c, "POST", path, NULL) : rc;
}

int cli_apps_delete(struct cli *c, const struct cli_args *a)
{
	char path[96];
	int rc = cli_id_path(c, cli_resolve_app, a->pos[0],
	                     cli_switch(a, "--force") ? "/admin/apps/%s?force=true"
	                                              : "/admin/apps/%s",
	                     path, sizeof(path));
	return rc == CLI_OK ? cli_call_print(c, "DELETE", path, NULL) : rc;
}

int cli_apps_restart(struct cli *c, const struct cli_args *a)
{
	char path[96];
	int rc = cli_id_path(c, cli_resolve_app, a->pos[0], "/admin/apps/%s/restart", path,
	                     sizeof(path));
	if (rc != CLI_OK)
		return rc;
	const char *note = cli_opt(a, "--note");
	json_t *body = note ? json_pack("{s:s}", "note", note) : json_object(), *out = NULL;
	rc = cli_call(c, "POST", path, body, &out);
	json_decref(body);
	if (rc == CLI_OK && c->json)
		cli_print_object(c, out);
	else if (rc == CLI_OK)
		rc = cli_watch_release(c, json_integer_value(json_object_get(out, "id")), 500);
	json_decref(out);
	return rc;
}
