/* pg_log: one line per event on stderr. JSON by default (one object per
 * line: ts, level, component, msg, trace), or text for people. The trace id
 * is per thread: set it while serving a request or running a task. */
#ifndef PG_LOG_H
#define PG_LOG_H

#include <stdbool.h>

enum pg_log_level { PG_LOG_DEBUG, PG_LOG_INFO, PG_LOG_WARN, PG_LOG_ERROR };
enum pg_log_format { PG_LOG_JSON, PG_LOG_TEXT };

void pg_log_set_level(enum pg_log_level level);
/* "debug", "info", "warn" or "error"; false for anything else. */
bool pg_log_parse_level(const char *name, enum pg_log_level *out);
void pg_log_set_format(enum pg_log_format format);
/* "json" or "text"; false for anything else. */
bool pg_log_parse_format(const char *name, enum pg_log_format *out);
/* The same as checks of a setting's value (pg_conf_opt.valid). */
bool pg_log_level_ok(const char *name);
bool pg_log_format_ok(const char *name);
/* The calling thread's trace id (NULL or "" clears it). */
void pg_log_set_trace(const char *trace);
void pg_log(enum pg_log_level level, const char *component, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

#define pg_info(comp, ...) pg_log(PG_LOG_INFO, comp, __VA_ARGS__)
#define pg_warn(comp, ...) pg_log(PG_LOG_WARN, comp, __VA_ARGS__)
#define pg_error(comp, ...) pg_log(PG_LOG_ERROR, comp, __VA_ARGS__)
#define pg_debug(comp, ...) pg_log(PG_LOG_DEBUG, comp, __VA_ARGS__)

/* Replaces, in place, each byte of s that is not part of valid UTF-8 with
 * '?': for text from scripts or peers that must go into JSON. */
void pg_utf8_clean(char *s);

#endif
