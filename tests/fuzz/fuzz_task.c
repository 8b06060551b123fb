/* Task payload validation (what POST /admin/nodes/:id/tasks accepts): any
 * JSON body, any type. Input: the request body. */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/cluster_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *body = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
	if (!body)
		return 0;
	const char *type = json_string_value(json_object_get(body, "type"));
	struct pg_err err = {0};
	if (type && cluster_task_validate(type, json_object_get(body, "payload"), &err) != 0 &&
	    (err.code >= 0 || !err.message[0]))
		abort(); /* a refusal always says why */
	json_decref(body);
	return 0;
}
