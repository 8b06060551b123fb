#include "common/pg_log.h"
#include "common/pg_time.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static enum pg_log_level min_level = PG_LOG_INFO;
static enum pg_log_format format = PG_LOG_JSON;
static const char *level_names[] = {"debug", "info", "warn", "error"};
static _Thread_local char trace_id[80];

void pg_log_set_level(enum pg_log_level level)
{
	min_level = level;
}

bool pg_log_parse_level(const char *name, enum pg_log_level *out)
{
	for (int i = 0; i < 4; i++)
		if (strcmp(name, level_names[i]) == 0) {
			*out = (enum pg_log_level)i;
			return true;
		}
	return false;
}

void pg_log_set_format(enum pg_log_format f)
{
	format = f;
}

bool pg_log_parse_format(const char *name, enum pg_log_format *out)
{
	if (strcmp(name, "json") == 0 || strcmp(name, "text") == 0) {
		*out = name[0] == 'j' ? PG_LOG_JSON : PG_LOG_TEXT;
		return true;
	}
	return false;
}

void pg_log_set_trace(const char *trace)
{
	snprintf(trace_id, sizeof(trace_id), "%s", trace ? trace : "");
}

/* Length of the valid UTF-8 sequence at s, or 0. */
static size_t utf8_len(const unsigned char *s)
{
	size_t n = s[0] >= 0xf0 && s[0] <= 0xf4  ? 4
	           : s[0] >= 0xe0                ? 3
	           : s[0] >= 0xc2 && s[0] < 0xe0 ? 2
	                                         : 0;
	for (size_t i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

void pg_utf8_clean(char *s)
{
	for (unsigned char *p = (unsigned char *)s; *p;) {
		size_t n = *p < 0x80 ? 1 : utf8_len(p);
		if (n == 0)
			*p++ = '?';
		else
			p += n;
	}
}

/* s as the body of a JSON string: controls escaped, invalid UTF-8 replaced. */
static void json_escape(const char *s, char *out, size_t cap)
{
	size_t o = 0;
	for (const unsigned char *p = (const unsigned char *)s; *p && o + 8 < cap;) {
		if (*p == '"' || *p == '\\') {
			out[o++] = '\\';
			out[o++] = (char)*p++;
		} else if (*p == '\n' || *p == '\t' || *p == '\r') {
			out[o++] = '\\';
			out[o++] = *p == '\n' ? 'n' : *p == '\t' ? 't' : 'r';
			p++;
		} else if (*p < 0x20 || *p == 0x7f) {
			o += (size_t)snprintf(out + o, cap - o, "\\u%04x", *p++);
		} else if (*p < 0x80) {
			out[o++] = (char)*p++;
		} else {
			size_t n = utf8_len(p);
			if (n == 0) {
				o += (size_t)snprintf(out + o, cap - o, "\\ufffd");
				p++;
			} else {
				for (size_t i = 0; i < n && o + 1 < cap; i++)
					out[o++] = (char)*p++;
			}
		}
	}
	out[o] = '\0';
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
	char msg[6 * sizeof(line)], comp[128], trace[sizeof(trace_id) * 2];
	/* escaped in text too: a newline or an escape sequence from a request
	 * must not forge a line or drive the operator's terminal */
	json_escape(line, msg, sizeof(msg));
	if (format == PG_LOG_TEXT) {
		fprintf(stderr, "%s %s [%s] %s\n", ts, level_names[level], component, msg);
		return;
	}
	json_escape(component, comp, sizeof(comp));
	json_escape(trace_id, trace, sizeof(trace));
	fprintf(stderr,
	        "{\"ts\":\"%s\",\"level\":\"%s\",\"component\":\"%s\",\"msg\":\"%s\"%s%s%s}\n", ts,
	        level_names[level], comp, msg, trace[0] ? ",\"trace\":\"" : "", trace,
	        trace[0] ? "\"" : "");
}

bool pg_log_level_ok(const char *name)
{
	enum pg_log_level l;
	return pg_log_parse_level(name, &l);
}

bool pg_log_format_ok(const char *name)
{
	enum pg_log_format f;
	return pg_log_parse_format(name, &f);
}
