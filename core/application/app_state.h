/* The release machine's state, typed: the statuses of a release, of a
 * batch and of a node in a release as enums with one name table each (the
 * names are the store's and the API's words), and typed views of the rows
 * the DAO returns, so the rollout compares enums and reads fields instead
 * of strcmp on json_t bags. Private to application/. */
#ifndef APP_STATE_H
#define APP_STATE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#define APP_RELEASE_STATUSES(X)                                                                    \
	X(APP_REL_CREATED, "created")                                                              \
	X(APP_REL_APPROVED, "approved")                                                            \
	X(APP_REL_RUNNING, "running")                                                              \
	X(APP_REL_PAUSED, "paused")                                                                \
	X(APP_REL_SUCCEEDED, "succeeded")                                                          \
	X(APP_REL_FAILED, "failed")                                                                \
	X(APP_REL_ROLLED_BACK, "rolled_back")                                                      \
	X(APP_REL_CANCELLED, "cancelled")
#define APP_BATCH_STATUSES(X)                                                                      \
	X(APP_BATCH_PENDING, "pending")                                                            \
	X(APP_BATCH_RUNNING, "running")                                                            \
	X(APP_BATCH_DONE, "done")
#define APP_NODE_STATUSES(X)                                                                       \
	X(APP_NODE_PENDING, "pending")                                                             \
	X(APP_NODE_RUNNING, "running")                                                             \
	X(APP_NODE_SUCCEEDED, "succeeded")                                                         \
	X(APP_NODE_FAILED, "failed")                                                               \
	X(APP_NODE_TIMEOUT, "timeout")                                                             \
	X(APP_NODE_SKIPPED, "skipped")

#define APP_STATE_ENUM(e, name) e,
enum app_release_status { APP_RELEASE_STATUSES(APP_STATE_ENUM) APP_REL_UNKNOWN };
enum app_batch_status { APP_BATCH_STATUSES(APP_STATE_ENUM) APP_BATCH_UNKNOWN };
enum app_node_status { APP_NODE_STATUSES(APP_STATE_ENUM) APP_NODE_UNKNOWN };
#undef APP_STATE_ENUM

/* name -> status (..._UNKNOWN for NULL or another word) and back. */
enum app_release_status app_release_status_of(const char *name);
const char *app_release_status_name(enum app_release_status s);
enum app_batch_status app_batch_status_of(const char *name);
const char *app_batch_status_name(enum app_batch_status s);
enum app_node_status app_node_status_of(const char *name);
const char *app_node_status_name(enum app_node_status s);
/* A release that has ended (succeeded, failed, rolled back, cancelled). */
bool app_release_status_final(enum app_release_status s);

/* Typed views of rows from app_release_get / app_batch_list /
 * app_node_list; json fields stay borrowed from the row. */
struct app_release_view {
	int64_t id, app_id, previous_id, rollback_of;
	enum app_release_status status;
	bool rollback; /* kind "rollback" */
	json_t *row;
};
struct app_batch_view {
	int64_t index, not_before_ms, started_ms, timeout_sec, max_parallel, pause_after_sec;
	enum app_batch_status status;
	json_t *row; /* canary, failureThreshold: read by the rollback policy */
};
struct app_node_view {
	int64_t node_id, batch;
	enum app_node_status status;
	json_t *tasks;
};
void app_release_view_of(json_t *row, struct app_release_view *out);
void app_batch_view_of(json_t *row, struct app_batch_view *out);
void app_node_view_of(json_t *row, struct app_node_view *out);

#endif
