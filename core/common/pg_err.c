#include "common/pg_err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int pg_err_set(struct pg_err *err, int code, const char *field, const char *fmt, ...)
{
	if (!err)
		return code;
	err->code = code;
	snprintf(err->field, sizeof(err->field), "%s", field ? field : "");
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
	return code;
}

void pg_err_clear(struct pg_err *err)
{
	if (err)
		memset(err, 0, sizeof(*err));
}

void pg_err_prefix_field(struct pg_err *err, const char *prefix)
{
	if (!err || !prefix || !*prefix)
		return;
	char tmp[2 * sizeof(err->field)];
	if (err->field[0] == '\0')
		snprintf(tmp, sizeof(tmp), "%s", prefix);
	else if (err->field[0] == '[')
		snprintf(tmp, sizeof(tmp), "%s%s", prefix, err->field);
	else
		snprintf(tmp, sizeof(tmp), "%s.%s", prefix, err->field);
	snprintf(err->field, sizeof(err->field), "%.*s", (int)sizeof(err->field) - 1, tmp);
}

static const struct {
	int code;
	const char *name;
	int status;
} codes[] = {
        {PG_OK, "ok", 200},
        {PG_EINVAL, "invalid_argument", 400},
        {PG_ENOTFOUND, "not_found", 404},
        {PG_ECONFLICT, "conflict", 409},
        {PG_EUNAUTH, "unauthenticated", 401},
        {PG_EFORBIDDEN, "permission_denied", 403},
        {PG_ETOOLARGE, "payload_too_large", 413},
        {PG_EPRECOND, "failed_precondition", 422},
        {PG_EINTERNAL, "internal", 500},
        {PG_EUNAVAIL, "unavailable", 503},
        {PG_ERATELIMIT, "rate_limited", 429},
        {PG_ERANGE, "range_not_satisfiable", 416},
};

const char *pg_err_code_name(int code)
{
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
		if (codes[i].code == code)
			return codes[i].name;
	return "internal";
}

int pg_err_http_status(int code)
{
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
		if (codes[i].code == code)
			return codes[i].status;
	return 500;
}
