/* pagoda apply -f app.json: declarative. The application is found by
 * name; missing, it is created; present, only the fields the file gives
 * are compared with what is stored, and a PUT is sent only when one
 * differs. Applying the same file twice sends nothing the second time (no
 * write, no audit event, no new version). */
#include "cli.h"

#include <stdio.h>
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

int cli_apply(struct cli *c, const char *file)
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
	json_t *list, *have = NULL, *out = NULL;
	int rc = cli_call(c, "GET", "/admin/apps?limit=1000", NULL, &list);
	size_t i;
	json_t *x;
	json_array_foreach (json_object_get(list, "items"), i, x)
		if (strcmp(json_string_value(json_object_get(x, "name")), name) == 0)
			have = x;
	char path[64];
	if (rc == CLI_OK && !have) {
		rc = cli_call(c, "POST", "/admin/apps", want, &out);
		if (rc == CLI_OK && !c->json)
			printf("app %s created (id %lld)\n", name,
			       (long long)json_integer_value(json_object_get(out, "id")));
	} else if (rc == CLI_OK) {
		int64_t id = json_integer_value(json_object_get(have, "id"));
		json_t *change = json_object();
		const char *k;
		json_t *v;
		json_object_foreach (want, k, v)
			if (strcmp(k, "name") != 0 && !covers(json_object_get(have, k), v))
				json_object_set(change, k, v);
		if (json_object_size(change) == 0) {
			if (!c->json)
				printf("app %s unchanged (id %lld)\n", name, (long long)id);
			out = json_incref(have);
		} else {
			snprintf(path, sizeof(path), "/admin/apps/%lld", (long long)id);
			rc = cli_call(c, "PUT", path, change, &out);
			if (rc == CLI_OK && !c->json) {
				printf("app %s updated (id %lld):", name, (long long)id);
				json_object_foreach (change, k, v)
					printf(" %s", k);
				printf("\n");
			}
		}
		json_decref(change);
	}
	if (rc == CLI_OK && c->json)
		cli_print_object(c, out);
	json_decref(out);
	json_decref(list);
	json_decref(want);
	return rc;
}
