#include "common/pg_tune.h"

#include <malloc.h>
#include <sys/resource.h>

/* Renderings of large upstreams allocate and free tens of MiB per call;
 * with glibc's default 128 KiB trim threshold every call faulted that
 * memory in again (a third of a 10,000-endpoint rendering, measured with
 * perf). Keeping up to 64 MiB of free heap costs no RSS beyond the peak. */
#define PG_TUNE_TRIM_BYTES (64 * 1024 * 1024)

void pg_tune_process(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	mallopt(M_TRIM_THRESHOLD, PG_TUNE_TRIM_BYTES);
	mallopt(M_MMAP_THRESHOLD, 32 * 1024 * 1024);
}
