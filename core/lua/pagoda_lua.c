/* pagoda-lua: policy writers' tool. Runs Lua tests, renders templates and
 * calls policies offline, with the same host, sandbox and resolution as
 * pagodad (--lua-dir and --plugin-dir overrides included).
 *
 *   pagoda-lua [--lua-dir D] [--plugin-dir D] [--plugin-settings F] test [--helpers F] FILE...
 *   pagoda-lua [--lua-dir D] [--plugin-dir D] [--plugin-settings F] render TEMPLATE INPUT.json
 *   pagoda-lua [--lua-dir D] [--plugin-dir D] [--plugin-settings F] call SCRIPT FUNCTION ARGS.json
 */
#include "common/pg_json.h"
#include "common/pg_log.h"
#include "lua/plua.h"
#include "lua/plua_policy.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int usage(void)
{
	fprintf(stderr,
	        "usage: pagoda-lua [--lua-dir D] [--plugin-dir D] [--plugin-settings F] test "
	        "[--helpers F] FILE...\n"
	        "       pagoda-lua [--lua-dir D] [--plugin-dir D] [--plugin-settings F] render "
	        "TEMPLATE INPUT.json\n"
	        "       pagoda-lua [--lua-dir D] [--plugin-dir D] [--plugin-settings F] call "
	        "SCRIPT FUNCTION ARGS.json\n"
	        "       pagoda-lua [--lua-dir D] [--plugin-dir D] [--plugin-settings F] status\n");
	return 2;
}

static json_t *load_json(const char *path)
{
	struct pg_err err = {0};
	json_t *v = pg_json_read_file(path, JSON_DECODE_ANY, &err);
	if (!v)
		fprintf(stderr, "pagoda-lua: %s\n", err.message);
	return v;
}

int main(int argc, char **argv)
{
	struct plua_opts o = {0};
	int i = 1;
	for (; i + 1 < argc && strncmp(argv[i], "--", 2) == 0; i += 2) {
		if (strcmp(argv[i], "--lua-dir") == 0)
			o.lua_dir = argv[i + 1];
		else if (strcmp(argv[i], "--plugin-dir") == 0)
			o.plugin_dir = argv[i + 1];
		else if (strcmp(argv[i], "--plugin-settings") == 0)
			o.plugin_settings = argv[i + 1];
		else
			return usage();
	}
	if (i >= argc)
		return usage();
	pg_log_set_level(PG_LOG_WARN);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	struct plua *h = NULL;
	struct pg_err err = {0};
	if (plua_new(&o, &h, &err) != 0) {
		fprintf(stderr, "pagoda-lua: %s\n", err.message);
		return 1;
	}
	int status = 0;
	const char *cmd = argv[i++];
	if (strcmp(cmd, "test") == 0) {
		const char *helpers = NULL;
		if (i + 1 < argc && strcmp(argv[i], "--helpers") == 0) {
			helpers = argv[i + 1];
			i += 2;
		}
		int passed = 0, failed = 0;
		for (; i < argc; i++) {
			int p, f;
			if (plua_run_tests(h, argv[i], helpers, &p, &f, &err) != 0) {
				printf("FAIL %s: %s\n", argv[i], err.message);
				failed++;
			}
			passed += p;
			failed += f;
		}
		printf("%d passed, %d failed\n", passed, failed);
		status = failed ? 1 : 0;
	} else if (strcmp(cmd, "render") == 0 && i + 2 == argc) {
		json_t *in = load_json(argv[i + 1]);
		char *text = NULL;
		if (!in || plua_render(h, argv[i], in, &text, &err) != 0) {
			if (in)
				fprintf(stderr, "pagoda-lua: %s%s%s\n",
				        err.field[0] ? err.field : "", err.field[0] ? ": " : "",
				        err.message);
			status = 1;
		} else {
			fputs(text, stdout);
		}
		free(text);
		json_decref(in);
	} else if (strcmp(cmd, "call") == 0 && i + 3 == argc) {
		json_t *args = load_json(argv[i + 2]), *out = NULL;
		if (!args || !json_is_array(args) ||
		    plua_call(h, argv[i], argv[i + 1], args, &out, &err) != 0) {
			fprintf(stderr, "pagoda-lua: %s\n",
			        args && json_is_array(args) ? err.message
			                                    : "ARGS must be a JSON array");
			status = 1;
		} else {
			json_dumpf(out, stdout, JSON_INDENT(2) | JSON_ENCODE_ANY | JSON_SORT_KEYS);
			putchar('\n');
		}
		json_decref(out);
		json_decref(args);
	} else if (strcmp(cmd, "status") == 0 && i == argc) {
		json_t *st = plua_status(h);
		json_dumpf(st, stdout, JSON_INDENT(2));
		putchar('\n');
		json_decref(st);
	} else {
		status = usage();
	}
	plua_free(h);
	curl_global_cleanup();
	return status;
}
