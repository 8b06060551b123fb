/* pg_log: one line per event on stderr, `key=value` pairs after a message. */
#ifndef PG_LOG_H
#define PG_LOG_H

enum pg_log_level { PG_LOG_DEBUG, PG_LOG_INFO, PG_LOG_WARN, PG_LOG_ERROR };

void pg_log_set_level(enum pg_log_level level);
void pg_log(enum pg_log_level level, const char *component, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define pg_info(comp, ...) pg_log(PG_LOG_INFO, comp, __VA_ARGS__)
#define pg_warn(comp, ...) pg_log(PG_LOG_WARN, comp, __VA_ARGS__)
#define pg_error(comp, ...) pg_log(PG_LOG_ERROR, comp, __VA_ARGS__)
#define pg_debug(comp, ...) pg_log(PG_LOG_DEBUG, comp, __VA_ARGS__)

#endif
