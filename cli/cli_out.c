/* Tables for people, JSON for scripts. */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

json_t *cli_get_path(json_t *v, const char *dotted)
{
	char key[128];
	const char *p = dotted;
	while (v && *p) {
		size_t n = strcspn(p, ".");
		snprintf(key, sizeof(key), "%.*s", (int)n, p);
		v = json_object_get(v, key);
		p += n + (p[n] == '.');
	}
	return v;
}

static int64_t parse_time(const char *s)
{
	struct tm tm = {0};
	if (!s || !strptime(s, "%Y-%m-%dT%H:%M:%S", &tm))
		return 0;
	return (int64_t)timegm(&tm);
}

char *cli_cell(json_t *v)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	if (!f)
		return strdup("?");
	if (!v || json_is_null(v)) {
		fputs("-", f);
	} else if (json_is_string(v)) {
		fputs(json_string_value(v), f);
	} else if (json_is_object(v)) {
		const char *k;
		json_t *x;
		bool first = true;
		json_object_foreach (v, k, x) {
			char *c = cli_cell(x);
			fprintf(f, "%s%s=%s", first ? "" : ",", k, c);
			free(c);
			first = false;
		}
		if (first)
			fputs("-", f);
	} else if (json_is_array(v)) {
		size_t i;
		json_t *x;
		json_array_foreach (v, i, x) {
			char *c = cli_cell(x);
			fprintf(f, "%s%s", i ? "," : "", c);
			free(c);
		}
		if (json_array_size(v) == 0)
			fputs("-", f);
	} else {
		char *t = json_dumps(v, JSON_ENCODE_ANY);
		fputs(t ? t : "?", f);
		free(t);
	}
	fclose(f);
	return out;
}

static char *cell_of(json_t *item, const struct cli_col *col)
{
	json_t *v = cli_get_path(item, col->key);
	if (col->kind == CLI_COL_DAYS) {
		int64_t t = parse_time(json_string_value(v));
		char buf[32];
		if (!t)
			return strdup("-");
		snprintf(buf, sizeof(buf), "%lld", (long long)((t - (int64_t)time(NULL)) / 86400));
		return strdup(buf);
	}
	return cli_cell(v);
}

void cli_print_list(struct cli *c, json_t *items, const struct cli_col *cols)
{
	if (c->json) {
		char *t = json_dumps(items, JSON_INDENT(2));
		puts(t ? t : "[]");
		free(t);
		return;
	}
	size_t ncols = 0, n = json_array_size(items);
	while (cols[ncols].header)
		ncols++;
	char ***cells = calloc(n, sizeof(*cells));
	size_t *width = calloc(ncols, sizeof(*width));
	for (size_t j = 0; j < ncols; j++)
		width[j] = strlen(cols[j].header);
	for (size_t i = 0; i < n; i++) {
		cells[i] = calloc(ncols, sizeof(char *));
		for (size_t j = 0; j < ncols; j++) {
			cells[i][j] = cell_of(json_array_get(items, i), &cols[j]);
			size_t w = strlen(cells[i][j]);
			if (w > 60) { /* long values are cut in tables; -o json has them whole */
				strcpy(cells[i][j] + 57, "...");
				w = 60;
			}
			if (w > width[j])
				width[j] = w;
		}
	}
	/* the last column is not padded: no trailing blanks */
	for (size_t j = 0; j < ncols; j++)
		printf("%-*s%s", j + 1 < ncols ? (int)width[j] : 0, cols[j].header,
		       j + 1 < ncols ? "  " : "\n");
	for (size_t i = 0; i < n; i++) {
		for (size_t j = 0; j < ncols; j++) {
			printf("%-*s%s", j + 1 < ncols ? (int)width[j] : 0, cells[i][j],
			       j + 1 < ncols ? "  " : "\n");
			free(cells[i][j]);
		}
		free(cells[i]);
	}
	free(cells);
	free(width);
}

static bool scalar(json_t *v)
{
	return !json_is_object(v) && !json_is_array(v);
}

static bool scalar_list(json_t *v)
{
	size_t i;
	json_t *x;
	json_array_foreach (v, i, x)
		if (!scalar(x))
			return false;
	return true;
}

/* One object as indented sections (kubectl describe's way): scalars as
 * aligned "key  value" lines, nested objects under "key:", lists of plain
 * values joined, lists of objects as "- " items. */
static void print_indented(json_t *obj, int indent)
{
	const char *k;
	json_t *v;
	size_t w = 0;
	json_object_foreach (obj, k, v)
		if (strlen(k) > w && (scalar(v) || (json_is_array(v) && scalar_list(v))))
			w = strlen(k);
	json_object_foreach (obj, k, v) {
		if (scalar(v) || (json_is_array(v) && scalar_list(v)) ||
		    (json_is_object(v) && json_object_size(v) == 0) ||
		    (json_is_array(v) && json_array_size(v) == 0)) {
			char *cell = json_is_array(v) && json_array_size(v) == 0 ? strdup("(none)")
			             : json_is_object(v)                         ? strdup("(none)")
			                                                         : cli_cell(v);
			printf("%*s%-*s  %s\n", indent, "", (int)w, k, cell ? cell : "");
			free(cell);
		} else if (json_is_object(v)) {
			printf("%*s%s:\n", indent, "", k);
			print_indented(v, indent + 2);
		} else {
			printf("%*s%s:\n", indent, "", k);
			size_t i;
			json_t *x;
			json_array_foreach (v, i, x) {
				printf("%*s- \n", indent + 2, "");
				print_indented(x, indent + 4);
			}
		}
	}
}

void cli_print_object(struct cli *c, json_t *obj)
{
	if (c->json || !json_is_object(obj)) {
		char *t = json_is_string(obj) ? strdup(json_string_value(obj))
		                              : json_dumps(obj, JSON_INDENT(2) | JSON_ENCODE_ANY);
		fputs(t ? t : "", stdout);
		if (t && *t && t[strlen(t) - 1] != '\n')
			putchar('\n');
		free(t);
		return;
	}
	print_indented(obj, 0);
}

void cli_section(struct cli *c, const char *title)
{
	if (!c->json)
		printf("\n%s:\n", title);
}

static void human_bytes(json_int_t n, char *out, size_t len)
{
	static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
	double v = (double)n;
	size_t i = 0;
	while (v >= 1024 && i < 5) {
		v /= 1024;
		i++;
	}
	snprintf(out, len, i ? "%.1f %s" : "%.0f %s", v, units[i]);
}

static const char *str_or(json_t *o, const char *key)
{
	const char *v = json_string_value(json_object_get(o, key));
	return v ? v : "?";
}

static int used_pct(json_int_t total, json_int_t free_bytes)
{
	return total > 0 ? (int)((total - free_bytes) * 100 / total) : 0;
}

void cli_print_facts(json_t *f)
{
	if (!json_is_object(f) || json_object_size(f) == 0) {
		puts("\nmachine   (no heartbeat with facts yet)");
		return;
	}
	json_t *load = json_object_get(f, "load");
	json_int_t up = json_integer_value(json_object_get(f, "uptimeSec"));
	json_int_t total = json_integer_value(json_object_get(f, "memTotalBytes"));
	json_t *avail = json_object_get(f, "memAvailableBytes");
	json_int_t free_mem =
	        json_integer_value(avail ? avail : json_object_get(f, "memFreeBytes"));
	char t[32], u[32];
	printf("\nmachine   %s, kernel %s (%s), host %s\n", str_or(f, "osName"),
	       str_or(f, "kernel"), str_or(f, "arch"), str_or(f, "hostname"));
	printf("cpu       %lld, load %.2f %.2f %.2f\n",
	       (long long)json_integer_value(json_object_get(f, "cpuCount")),
	       json_number_value(json_array_get(load, 0)),
	       json_number_value(json_array_get(load, 1)),
	       json_number_value(json_array_get(load, 2)));
	human_bytes(total - free_mem, u, sizeof(u));
	human_bytes(total, t, sizeof(t));
	printf("memory    %s of %s used (%d%%)\n", u, t, used_pct(total, free_mem));
	printf("uptime    %lldd %lldh %lldm\n", (long long)(up / 86400),
	       (long long)(up % 86400 / 3600), (long long)(up % 3600 / 60));
	const char *mount;
	json_t *d;
	json_object_foreach (json_object_get(f, "disk"), mount, d) {
		json_int_t dt = json_integer_value(json_object_get(d, "totalBytes"));
		json_int_t df = json_integer_value(json_object_get(d, "freeBytes"));
		human_bytes(dt - df, u, sizeof(u));
		human_bytes(dt, t, sizeof(t));
		printf("disk      %-20s %s of %s used (%d%%)\n", mount, u, t, used_pct(dt, df));
	}
}
