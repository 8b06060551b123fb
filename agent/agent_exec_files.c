/* ApplyConfigFiles: write each file atomically under the allowed roots. All
 * paths are checked before the first byte is written. */
#include "agent.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int agent_exec_files(struct agent *a, json_t *payload, int64_t timeout_sec, struct agent_result *r)
{
	json_t *files = json_object_get(payload, "files");
	size_t i;
	json_t *f;
	struct pg_err err = {0};
	if (!json_is_array(files) || json_array_size(files) == 0) {
		snprintf(r->error, sizeof(r->error), "payload.files must be a non-empty array");
		return -1;
	}
	json_array_foreach (files, i, f) {
		const char *path = json_string_value(json_object_get(f, "path"));
		if (!path || !json_is_string(json_object_get(f, "content")) ||
		    agent_paths_check(a->paths, path, &err) != 0) {
			snprintf(r->error, sizeof(r->error), "files[%zu]: %s", i,
			         path ? err.message : "path and content are required");
			return -1;
		}
	}
	json_t *written = json_array();
	json_array_foreach (files, i, f) {
		const char *path = json_string_value(json_object_get(f, "path"));
		json_t *content = json_object_get(f, "content");
		const char *mode_s = json_string_value(json_object_get(f, "mode"));
		unsigned mode = mode_s ? (unsigned)strtoul(mode_s, NULL, 8) & 0777 : 0644;
		bool changed = false;
		char sha[65];
		if (agent_paths_write(a->paths, path, json_string_value(content),
		                      json_string_length(content), mode,
		                      json_string_value(json_object_get(f, "owner")),
		                      json_string_value(json_object_get(f, "group")), &changed, sha,
		                      &err) != 0) {
			snprintf(r->error, sizeof(r->error), "files[%zu] %s: %s", i, path,
			         err.message);
			r->artifacts = json_pack("{s:o}", "files", written);
			return -1;
		}
		json_array_append_new(written,
		                      json_pack("{s:s, s:s, s:I, s:b}", "path", path, "sha256", sha,
		                                "size", (json_int_t)json_string_length(content),
		                                "changed", changed));
	}
	r->artifacts = json_pack("{s:o}", "files", written);
	r->ok = true;
	return 0;
}
