/* pg_json: reading request bodies with jansson, one validating getter per
 * type, naming the offending key in err->field. When an optional key is
 * absent, the scalar getters (str, int, bool) leave *out untouched, so it
 * can hold a default, and the object and array getters set it to NULL. */
#ifndef PG_JSON_H
#define PG_JSON_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/pg_err.h"

int pg_json_str(json_t *obj, const char *key, bool required, size_t maxlen, const char **out,
                struct pg_err *err);
int pg_json_int(json_t *obj, const char *key, bool required, int64_t min, int64_t max, int64_t *out,
                struct pg_err *err);
int pg_json_bool(json_t *obj, const char *key, bool required, bool *out, struct pg_err *err);
int pg_json_obj(json_t *obj, const char *key, bool required, json_t **out, struct pg_err *err);
int pg_json_arr(json_t *obj, const char *key, bool required, size_t maxlen, json_t **out,
                struct pg_err *err);
/* Refuses keys of obj not in allowed (NULL-terminated): typos fail loudly. */
int pg_json_only(json_t *obj, const char *const allowed[], struct pg_err *err);
/* Checks that s has no control characters (newline, NUL, ...). */
bool pg_str_is_printable(const char *s);
/* A name of a stored object that goes into paths and audit records: 1 to
 * max of a-z, 0-9, '-' and '_', not starting with '-'. */
bool pg_str_is_name(const char *s, size_t max);
/* A strict decimal integer: an optional '-', then digits without a leading
 * zero (but "0"), nothing else, within int64 ("01", "+1", " 1" and
 * 99999999999999999999 are refused). */
bool pg_parse_i64(const char *s, int64_t *out);
/* A map of string -> string with bounded sizes (labels, env). */
int pg_json_string_map(json_t *v, const char *field, size_t max_entries, struct pg_err *err);
/* Decodes a text column holding JSON; returns a new reference or json null. */
json_t *pg_json_load_text(const char *text);
/* Reads a JSON file ("-" is standard input) with jansson's flags; NULL with
 * err saying where it is broken ("FILE:LINE:COLUMN: what"). For the tools. */
json_t *pg_json_read_file(const char *path, size_t flags, struct pg_err *err);
/* Compact dump; caller frees. */
char *pg_json_dump(const json_t *v);
/* Sets key to an RFC 3339 time, or null when ms is 0. */
void pg_json_set_time(json_t *obj, const char *key, int64_t ms);

#endif
