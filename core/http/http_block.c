/* Blocking queries shared by the registry and the configuration center. */
#include "http/http_block.h"
#include "common/pg_time.h"
#include "http/http.h"
#include "http/http_waitset.h"

#include <stdio.h>
#include <stdlib.h>

/* "30s", "2m", "45" (seconds): a blocking query's wait. */
static bool parse_wait(const char *s, int64_t *ms)
{
	char *end;
	long long v = strtoll(s, &end, 10);
	if (end == s || v < 0)
		return false;
	if (*end == 's' && !end[1])
		*ms = v * 1000;
	else if (*end == 'm' && !end[1])
		*ms = v * 60000;
	else if (!*end)
		*ms = v * 1000;
	else
		return false;
	if (*ms > 300000)
		*ms = 300000;
	return true;
}

struct block {
	int64_t after, deadline;
};

static void block_free(void *p)
{
	free(p);
}

void http_blocking_read(struct http_req *req, struct http_waitset *ws, int64_t key,
                        const char *index_header, http_block_read_fn read)
{
	struct pg_err err = {0};
	struct block *b = req->suspend_data;
	if (!b) {
		int64_t after = 0, wait_ms = 30000;
		const char *w = http_query(req, "wait");
		if (!http_query_int(req, "index", 0, INT64_MAX, 0, &after))
			return;
		if (w && !parse_wait(w, &wait_ms)) {
			http_reply_error(req, PG_EINVAL, "wait",
			                 "wait must look like 30s, 2m or 45");
			return;
		}
		if (!(b = calloc(1, sizeof(*b)))) {
			http_reply_error(req, PG_EINTERNAL, "", "out of memory");
			return;
		}
		/* no index: answer at once (an index of 0 is a real one: nothing yet) */
		b->after = http_query(req, "index") ? after : -1;
		b->deadline = pg_time_mono_ms() + wait_ms;
		req->suspend_data = b;
		req->suspend_data_free = block_free;
	}
	for (;;) {
		uint64_t gen = http_waitset_gen(ws, key);
		json_t *out = NULL;
		int64_t index = 0;
		if (read(req, &out, &index, &err) != 0) {
			http_reply_err(req, &err);
			return;
		}
		if (index > b->after || pg_time_mono_ms() >= b->deadline ||
		    http_waitset_stopping(ws)) {
			char ib[24];
			snprintf(ib, sizeof(ib), "%lld", (long long)index);
			http_reply_header(req, index_header, ib);
			http_reply(req, 200, out);
			return;
		}
		json_decref(out);
		if (http_waitset_wait(ws, key, gen, req, b->deadline))
			return;
	}
}
