#include "common/pg_path.h"
#include "common/pg_json.h"

#include <string.h>

const char *pg_path_problem(const char *p)
{
	if (p[0] != '/')
		return "must be an absolute path";
	if (!pg_str_is_printable(p))
		return "must not hold control characters";
	if (strlen(p) > PG_PATH_MAX)
		return "is longer than 1024 bytes (PG_PATH_MAX)";
	for (const char *s = p; *s;) {
		s++; /* past '/' */
		const char *e = strchrnul(s, '/');
		size_t n = (size_t)(e - s);
		if (n == 0 || (n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.'))
			return "must be normalised (no empty, '.' or '..' parts)";
		if (n > 255)
			return "has a part longer than 255 bytes";
		s = e;
	}
	return NULL;
}

const char *pg_relpath_problem(const char *p)
{
	if (p[0] == '/')
		return "must be a relative path";
	if (strlen(p) >= PG_PATH_MAX)
		return "is longer than 1024 bytes (PG_PATH_MAX)";
	char abs[PG_PATH_MAX + 2];
	abs[0] = '/';
	strcpy(abs + 1, p);
	return pg_path_problem(abs);
}

bool pg_path_under(const char *p, const char *root)
{
	size_t n = strlen(root);
	return strncmp(p, root, n) == 0 && (p[n] == '\0' || p[n] == '/');
}
