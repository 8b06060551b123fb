#include "common/pg_json.h"
#include "common/pg_time.h"

#include <stdio.h>
#include <string.h>
#include <errno.h>
#include <ctype.h>

static int missing(const char *key, struct pg_err *err)
{
	return pg_err_set(err, PG_EINVAL, key, "%s is required", key);
}

int pg_json_str(json_t *obj, const char *key, bool required, size_t maxlen, const char **out,
                struct pg_err *err)
{
	json_t *v = json_object_get(obj, key);
	if (!v || json_is_null(v))
		return required ? missing(key, err) : 0;
	if (!json_is_string(v))
		return pg_err_set(err, PG_EINVAL, key, "%s must be a string", key);
	if (json_string_length(v) > maxlen)
		return pg_err_set(err, PG_EINVAL, key, "%s is longer than %zu bytes", key, maxlen);
	if (strlen(json_string_value(v)) != json_string_length(v))
		return pg_err_set(err, PG_EINVAL, key, "%s contains a NUL byte", key);
	*out = json_string_value(v);
	return 0;
}

int pg_json_int(json_t *obj, const char *key, bool required, int64_t min, int64_t max, int64_t *out,
                struct pg_err *err)
{
	json_t *v = json_object_get(obj, key);
	if (!v || json_is_null(v))
		return required ? missing(key, err) : 0;
	if (!json_is_integer(v))
		return pg_err_set(err, PG_EINVAL, key, "%s must be an integer", key);
	json_int_t n = json_integer_value(v);
	if (n < min || n > max)
		return pg_err_set(err, PG_EINVAL, key, "%s must be between %lld and %lld", key,
		                  (long long)min, (long long)max);
	*out = n;
	return 0;
}

int pg_json_bool(json_t *obj, const char *key, bool required, bool *out, struct pg_err *err)
{
	json_t *v = json_object_get(obj, key);
	if (!v || json_is_null(v))
		return required ? missing(key, err) : 0;
	if (!json_is_boolean(v))
		return pg_err_set(err, PG_EINVAL, key, "%s must be true or false", key);
	*out = json_is_true(v);
	return 0;
}

int pg_json_obj(json_t *obj, const char *key, bool required, json_t **out, struct pg_err *err)
{
	json_t *v = json_object_get(obj, key);
	*out = NULL;
	if (!v || json_is_null(v))
		return required ? missing(key, err) : 0;
	if (!json_is_object(v))
		return pg_err_set(err, PG_EINVAL, key, "%s must be an object", key);
	*out = v;
	return 0;
}

int pg_json_arr(json_t *obj, const char *key, bool required, size_t maxlen, json_t **out,
                struct pg_err *err)
{
	json_t *v = json_object_get(obj, key);
	*out = NULL;
	if (!v || json_is_null(v))
		return required ? missing(key, err) : 0;
	if (!json_is_array(v))
		return pg_err_set(err, PG_EINVAL, key, "%s must be an array", key);
	if (json_array_size(v) > maxlen)
		return pg_err_set(err, PG_EINVAL, key, "%s has more than %zu entries", key, maxlen);
	*out = v;
	return 0;
}

int pg_json_only(json_t *obj, const char *const allowed[], struct pg_err *err)
{
	const char *key;
	json_t *v;
	json_object_foreach (obj, key, v) {
		bool ok = false;
		for (size_t i = 0; allowed[i] && !ok; i++)
			ok = strcmp(key, allowed[i]) == 0;
		if (!ok)
			return pg_err_set(err, PG_EINVAL, key, "unknown field %s", key);
	}
	return 0;
}

bool pg_str_is_printable(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return false;
	return true;
}

bool pg_str_is_name(const char *s, size_t max)
{
	size_t len = strlen(s);
	if (len == 0 || len > max || s[0] == '-')
		return false;
	for (; *s; s++)
		if (!strchr("abcdefghijklmnopqrstuvwxyz0123456789-_", *s))
			return false;
	return true;
}

int pg_json_string_map(json_t *v, const char *field, size_t max_entries, struct pg_err *err)
{
	if (!json_is_object(v))
		return pg_err_set(err, PG_EINVAL, field, "%s must be an object of strings", field);
	if (json_object_size(v) > max_entries)
		return pg_err_set(err, PG_EINVAL, field, "%s has more than %zu entries", field,
		                  max_entries);
	const char *key;
	json_t *val;
	json_object_foreach (v, key, val) {
		char f[96];
		snprintf(f, sizeof(f), "%s.%s", field, key);
		size_t klen = strlen(key);
		if (klen == 0 || klen > 63)
			return pg_err_set(err, PG_EINVAL, f, "keys must be 1 to 63 bytes");
		for (const char *p = key; *p; p++)
			if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
			            "-_./",
			            *p))
				return pg_err_set(err, PG_EINVAL, f,
				                  "keys may hold only letters, digits and - _ . /");
		if (!json_is_string(val))
			return pg_err_set(err, PG_EINVAL, f, "values must be strings");
		if (json_string_length(val) > 255 || !pg_str_is_printable(json_string_value(val)))
			return pg_err_set(err, PG_EINVAL, f,
			                  "values must be printable and at most 255 bytes");
	}
	return 0;
}

json_t *pg_json_load_text(const char *text)
{
	if (!text)
		return json_null();
	json_t *v = json_loads(text, JSON_DECODE_ANY, NULL);
	return v ? v : json_null();
}

char *pg_json_dump(const json_t *v)
{
	return json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
}

void pg_json_set_time(json_t *obj, const char *key, int64_t ms)
{
	if (ms <= 0) {
		json_object_set_new(obj, key, json_null());
		return;
	}
	char buf[40];
	pg_time_format(ms, buf, sizeof(buf));
	json_object_set_new(obj, key, json_string(buf));
}

json_t *pg_json_read_file(const char *path, size_t flags, struct pg_err *err)
{
	json_error_t je;
	json_t *v = strcmp(path, "-") == 0 ? json_loadf(stdin, flags, &je)
	                                   : json_load_file(path, flags, &je);
	if (!v)
		pg_err_set(err, PG_EINVAL, "", "%s:%d:%d: %s", path, je.line, je.column, je.text);
	return v;
}

bool pg_parse_i64(const char *s, int64_t *out)
{
	const char *d = *s == '-' ? s + 1 : s;
	if (!isdigit((unsigned char)*d) || (d[0] == '0' && d[1] != '\0'))
		return false;
	for (const char *p = d; *p; p++)
		if (!isdigit((unsigned char)*p))
			return false;
	errno = 0;
	long long v = strtoll(s, NULL, 10);
	if (errno == ERANGE)
		return false;
	*out = v;
	return true;
}
