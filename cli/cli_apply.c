/* pagoda apply -f app.json: declarative. The application is found by
 * namespace (default "default") and name; missing, it is created; present,
 * only the fields the file gives are compared with what is stored, and a
 * PUT is sent only when one differs. Applying the same file twice sends
 * nothing the second time (no write, no audit event, no new version).
 * pagoda plan -f (or apply --dry-run) says what apply would do, path by
 * path, and sends nothing but reads. */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Whether want (from the file) is already what have (stored) says: objects
 * by the keys the file gives (the server may add defaults), arrays element
 * by element, everything else equal. */
static bool covers(json_t *have, json_t *want)
{
	if (json_is_object(want)) {
		if (!json_is_object(have))
			return false;
		const char *k;
		json_t *v;
		json_object_foreach (want, k, v)
			if (!covers(json_object_get(have, k), v))
				return false;
		return true;
	}
	if (json_is_array(want)) {
		if (!json_is_array(have) || json_array_size(have) != json_array_size(want))
			return false;
		size_t i;
		json_t *v;
		json_array_foreach (want, i, v)
			if (!covers(json_array_get(have, i), v))
				return false;
		return true;
	}
	if (json_is_integer(want) && json_is_real(have))
		return (double)json_integer_value(want) == json_real_value(have);
	return json_equal(have, want);
}

/* What differs, path by path ("~ spec.unit.args: [...] -> [...]"), as
 * covers sees it: the keys the file names, arrays as wholes. */
static void print_changes(json_t *have, json_t *want, const char *path)
{
	const char *k;
	json_t *v;
	json_object_foreach (want, k, v) {
		json_t *h = json_object_get(have, k);
		if (covers(h, v))
			continue;
		char sub[512];
		snprintf(sub, sizeof(sub), "%s%s%s", path, *path ? "." : "", k);
		if (json_is_object(v) && json_is_object(h)) {
			print_changes(h, v, sub);
			continue;
		}
		char *a = h ? json_dumps(h, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
		char *b = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
		printf("  ~ %s: %s -> %s\n", sub, a ? a : "(unset)", b ? b : "?");
		free(a);
		free(b);
	}
}

int cli_apply(struct cli *c, const char *file, bool dry_run)
{
	json_t *want = cli_read_json(file);
	if (!want)
		return CLI_USAGE;
	const char *name = json_string_value(json_object_get(want, "name"));
	if (!json_is_object(want) || !name) {
		fprintf(stderr, "pagoda: %s: an application object with a name\n", file);
		json_decref(want);
		return CLI_USAGE;
	}
	/* an application is NAMESPACE/NAME: another namespace is another one */
	json_t *ns_v = json_object_get(want, "namespace");
	if (ns_v && !json_is_string(ns_v)) {
		fprintf(stderr, "pagoda: %s: namespace must be a string\n", file);
		json_decref(want);
		return CLI_USAGE;
	}
	const char *ns = ns_v ? json_string_value(ns_v) : "default";
	if (strcmp(ns, "default") != 0) {
		/* refused here, before anything is sent: the file means another
		 * application than default/NAME, and must never change that one */
		fprintf(stderr,
		        "pagoda: %s: namespace %s: applications live in namespace default only for "
		        "now (their units and directories on nodes are named by the application's "
		        "name alone); drop namespace or give default\n",
		        file, ns);
		json_decref(want);
		return CLI_USAGE;
	}
	ns = "default";                     /* not the file's string: it goes with the field */
	json_object_del(want, "namespace"); /* default: the API takes no field for it */
	json_t *list = json_array(), *have = NULL, *out = NULL;
	int rc = cli_list_all(c, "/admin/apps?limit=1000", list, NULL);
	size_t i;
	json_t *x;
	json_array_foreach (list, i, x)
		if (strcmp(json_string_value(json_object_get(x, "name")), name) == 0 &&
		    strcmp(json_string_value(json_object_get(x, "namespace")), ns) == 0)
			have = x;
	char path[64];
	if (rc == CLI_OK && !have && dry_run) {
		printf("app %s/%s would be created\n", ns, name);
		print_changes(NULL, want, "");
	} else if (rc == CLI_OK && !have) {
		rc = cli_call(c, "POST", "/admin/apps", want, &out);
		if (rc == CLI_OK && !c->json)
			printf("app %s/%s created (id %lld)\n", ns, name,
			       (long long)json_integer_value(json_object_get(out, "id")));
	} else if (rc == CLI_OK) {
		int64_t id = json_integer_value(json_object_get(have, "id"));
		json_t *change = json_object();
		const char *k;
		json_t *v;
		json_object_foreach (want, k, v)
			if (strcmp(k, "name") != 0 && strcmp(k, "namespace") != 0 &&
			    !covers(json_object_get(have, k), v))
				json_object_set(change, k, v);
		if (json_object_size(change) == 0) {
			if (!c->json)
				printf("app %s/%s unchanged (id %lld)\n", ns, name, (long long)id);
			out = dry_run ? NULL : json_incref(have);
		} else if (dry_run) {
			printf("app %s/%s (id %lld) would change:\n", ns, name, (long long)id);
			print_changes(have, change, "");
		} else {
			snprintf(path, sizeof(path), "/admin/apps/%lld", (long long)id);
			rc = cli_call(c, "PUT", path, change, &out);
			if (rc == CLI_OK && !c->json) {
				printf("app %s/%s updated (id %lld):", ns, name, (long long)id);
				json_object_foreach (change, k, v)
					printf(" %s", k);
				printf("\n");
			}
		}
		json_decref(change);
	}
	if (rc == CLI_OK && c->json && out)
		cli_print_object(c, out);
	json_decref(out);
	json_decref(list);
	json_decref(want);
	return rc;
}
