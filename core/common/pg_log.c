#include "common/pg_log.h"
#include "common/pg_time.h"

#include <stdarg.h>
#include <stdio.h>

static enum pg_log_level min_level = PG_LOG_INFO;
static const char *level_names[] = {"debug", "info", "warn", "error"};

void pg_log_set_level(enum pg_log_level level)
{
	min_level = level;
}

void pg_log(enum pg_log_level level, const char *component, const char *fmt, ...)
{
	if (level < min_level)
		return;
	char ts[40], line[2048];
	pg_time_format(pg_time_now_ms(), ts, sizeof(ts));
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	/* One fprintf per line: stdio locks the stream, so lines never interleave. */
	fprintf(stderr, "%s %s [%s] %s\n", ts, level_names[level], component, line);
}
