/* Name tables of the release machine's statuses, and the typed row views. */
#include "application/app_state.h"
#include "common/pg_time.h"

#include <string.h>

#define APP_STATE_NAME(e, name) [e] = name,
static const char *const release_names[] = {APP_RELEASE_STATUSES(APP_STATE_NAME)};
static const char *const batch_names[] = {APP_BATCH_STATUSES(APP_STATE_NAME)};
static const char *const node_names[] = {APP_NODE_STATUSES(APP_STATE_NAME)};
#undef APP_STATE_NAME

static int lookup(const char *const *names, int n, const char *name)
{
	for (int i = 0; name && i < n; i++)
		if (strcmp(names[i], name) == 0)
			return i;
	return n;
}

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

enum app_release_status app_release_status_of(const char *name)
{
	return (enum app_release_status)lookup(release_names, N(release_names), name);
}

const char *app_release_status_name(enum app_release_status s)
{
	return (int)s < N(release_names) ? release_names[s] : "unknown";
}

enum app_batch_status app_batch_status_of(const char *name)
{
	return (enum app_batch_status)lookup(batch_names, N(batch_names), name);
}

const char *app_batch_status_name(enum app_batch_status s)
{
	return (int)s < N(batch_names) ? batch_names[s] : "unknown";
}

enum app_node_status app_node_status_of(const char *name)
{
	return (enum app_node_status)lookup(node_names, N(node_names), name);
}

const char *app_node_status_name(enum app_node_status s)
{
	return (int)s < N(node_names) ? node_names[s] : "unknown";
}

bool app_release_status_final(enum app_release_status s)
{
	return s == APP_REL_SUCCEEDED || s == APP_REL_FAILED || s == APP_REL_ROLLED_BACK ||
	       s == APP_REL_CANCELLED;
}

static int64_t int_of(json_t *o, const char *k)
{
	return json_integer_value(json_object_get(o, k));
}

void app_release_view_of(json_t *row, struct app_release_view *out)
{
	const char *kind = json_string_value(json_object_get(row, "kind"));
	*out = (struct app_release_view){
	        .id = int_of(row, "id"),
	        .app_id = int_of(row, "appId"),
	        .previous_id = int_of(row, "previousReleaseId"),
	        .rollback_of = int_of(row, "rollbackOf"),
	        .status = app_release_status_of(json_string_value(json_object_get(row, "status"))),
	        .rollback = kind && strcmp(kind, "rollback") == 0,
	        .row = row,
	};
}

void app_batch_view_of(json_t *row, struct app_batch_view *out)
{
	const char *started = json_string_value(json_object_get(row, "startedAt"));
	*out = (struct app_batch_view){
	        .index = int_of(row, "index"),
	        .not_before_ms = int_of(row, "notBeforeMs"),
	        .timeout_sec = int_of(row, "timeoutSec"),
	        .max_parallel = int_of(row, "maxParallel"),
	        .pause_after_sec = int_of(row, "pauseAfterSec"),
	        .status = app_batch_status_of(json_string_value(json_object_get(row, "status"))),
	        .row = row,
	};
	if (started)
		pg_time_parse(started, &out->started_ms);
}

void app_node_view_of(json_t *row, struct app_node_view *out)
{
	*out = (struct app_node_view){
	        .node_id = int_of(row, "nodeId"),
	        .batch = int_of(row, "batch"),
	        .status = app_node_status_of(json_string_value(json_object_get(row, "status"))),
	        .tasks = json_object_get(row, "tasks"),
	};
}
