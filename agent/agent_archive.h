/* agent_archive: safe unpacking of artifacts (agent_archive.c). */
#ifndef AGENT_ARCHIVE_H
#define AGENT_ARCHIVE_H

#include <stdint.h>

struct agent_unpack {
	const char *root;   /* the directory nothing may leave (real path) */
	const char *dest;   /* inside root, relative ("" for root itself) */
	const char *format; /* "tar.gz", "tar.xz" or "zip" */
	int strip;          /* leading path parts dropped from each name */
	int64_t max_bytes;
	/* out */
	int64_t bytes, written, entries;
	char error[1024];
};

/* Unpacks archive_path under root/dest; -1 with u->error on any refusal. */
int agent_unpack_file(struct agent_unpack *u, const char *archive_path);

#endif
