/* Content checks with the parsers Debian ships: jansson (JSON), libyaml
 * (YAML), inih (INI); .env files are simple enough to check by line. */
#include "config/config.h"

#include <ini.h>
#include <jansson.h>
#include <string.h>
#include <yaml.h>

static int check_json(const char *s, struct pg_err *err)
{
	json_error_t je;
	json_t *v = json_loads(s, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &je);
	if (!v)
		return pg_err_set(err, PG_EINVAL, "content",
		                  "invalid JSON at line %d column %d: %s", je.line, je.column,
		                  je.text);
	json_decref(v);
	return 0;
}

static int check_yaml(const char *s, struct pg_err *err)
{
	yaml_parser_t p;
	yaml_event_t e;
	int rc = 0;
	if (!yaml_parser_initialize(&p))
		return pg_err_set(err, PG_EINTERNAL, "", "cannot start the YAML parser");
	yaml_parser_set_input_string(&p, (const unsigned char *)s, strlen(s));
	for (;;) {
		if (!yaml_parser_parse(&p, &e)) {
			rc = pg_err_set(err, PG_EINVAL, "content",
			                "invalid YAML at line %zu column %zu: %s%s%s",
			                p.problem_mark.line + 1, p.problem_mark.column + 1,
			                p.problem ? p.problem : "syntax error",
			                p.context ? " " : "", p.context ? p.context : "");
			break;
		}
		yaml_event_type_t t = e.type;
		yaml_event_delete(&e);
		if (t == YAML_STREAM_END_EVENT)
			break;
	}
	yaml_parser_delete(&p);
	return rc;
}

static int ini_accept(void *user, const char *section, const char *name, const char *value)
{
	return 1;
}

static int check_ini(const char *s, struct pg_err *err)
{
	int line = ini_parse_string(s, ini_accept, NULL);
	if (line > 0)
		return pg_err_set(err, PG_EINVAL, "content",
		                  "invalid INI at line %d (inih reports lines, not columns)", line);
	if (line < 0)
		return pg_err_set(err, PG_EINTERNAL, "", "the INI parser failed (%d)", line);
	return 0;
}

/* KEY=VALUE lines, optional "export ", comments and blank lines. */
static int check_env(const char *s, struct pg_err *err)
{
	int line = 1;
	for (const char *p = s; *p; line++) {
		const char *nl = strchrnul(p, '\n');
		const char *q = p;
		while (q < nl && (*q == ' ' || *q == '\t'))
			q++;
		if (q < nl && *q != '#') {
			if (nl - q > 7 && strncmp(q, "export ", 7) == 0)
				q += 7;
			const char *k = q;
			while (q < nl &&
			       (*q == '_' || (*q >= 'A' && *q <= 'Z') || (*q >= 'a' && *q <= 'z') ||
			        (q > k && *q >= '0' && *q <= '9')))
				q++;
			if (q == k || q >= nl || *q != '=')
				return pg_err_set(err, PG_EINVAL, "content",
				                  "invalid env file at line %d column %d: expected "
				                  "NAME=value",
				                  line, (int)(q - p) + 1);
		}
		p = *nl ? nl + 1 : nl;
	}
	return 0;
}

int config_validate(const char *format, const char *content, struct pg_err *err)
{
	if (strcmp(format, "json") == 0)
		return check_json(content, err);
	if (strcmp(format, "yaml") == 0)
		return check_yaml(content, err);
	if (strcmp(format, "ini") == 0)
		return check_ini(content, err);
	if (strcmp(format, "env") == 0)
		return check_env(content, err);
	if (strcmp(format, "text") == 0)
		return 0;
	return pg_err_set(err, PG_EINVAL, "format", "format must be text, json, yaml, ini or env");
}
