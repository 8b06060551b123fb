/* The composition root: what pagodad's handlers reach through req->app. */
#ifndef PAGODAD_H
#define PAGODAD_H

struct store;
struct cluster;
struct plua;
struct registry;
struct config;
struct app;
struct ssl;
struct drift;
struct alert;
struct backup;
struct upgrade;
struct blob;

struct pagodad {
	struct store *store;
	struct cluster *cluster;
	struct plua *lua;
	struct registry *registry;
	struct config *config;
	struct app *application;
	struct ssl *ssl;
	struct drift *drift;
	struct alert *alert;
	struct backup *backup;
	struct upgrade *upgrade;
	struct blob *blob;
	/* held requests: agents' long polls (key: node id), configuration
	 * watches (key: item id), registry blocking reads (key 0) */
	struct http_waitset *polls, *config_watch, *registry_watch;
	const char *data_dir;
	const char *packages_dir; /* agent packages for /install/, or NULL */
};

#endif
