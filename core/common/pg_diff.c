/* Myers' O((N+M)D) greedy diff on lines. Beyond MAX_D differences the
 * texts are shown as all removed then all added: still a correct diff, and
 * a bounded cost for inputs that have little in common. */
#include "common/pg_diff.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_D 4000

struct lines {
	const char **p;
	size_t *len;
	int n;
	int no_eol; /* the last line has no trailing newline */
};

static int split(const char *s, struct lines *l)
{
	int cap = 16;
	l->n = 0;
	l->no_eol = 0;
	l->p = malloc(cap * sizeof(char *));
	l->len = malloc(cap * sizeof(size_t));
	if (!l->p || !l->len)
		return -1;
	while (*s) {
		const char *nl = strchr(s, '\n');
		size_t n = nl ? (size_t)(nl - s) : strlen(s);
		if (l->n == cap) {
			cap *= 2;
			const char **np = realloc(l->p, cap * sizeof(char *));
			size_t *nlen = np ? realloc(l->len, cap * sizeof(size_t)) : NULL;
			if (np)
				l->p = np;
			if (!nlen)
				return -1;
			l->len = nlen;
		}
		l->p[l->n] = s;
		l->len[l->n++] = n;
		if (!nl) {
			l->no_eol = 1;
			break;
		}
		s = nl + 1;
	}
	return 0;
}

/* Whether line i ends with a newline (only a last line may not). */
static int has_eol(const struct lines *l, int i)
{
	return !(i == l->n - 1 && l->no_eol);
}

static int same(const struct lines *a, int i, const struct lines *b, int j)
{
	return a->len[i] == b->len[j] && memcmp(a->p[i], b->p[j], a->len[i]) == 0 &&
	       has_eol(a, i) == has_eol(b, j);
}

/* ops: '=' keep, '-' remove, '+' add; in order. Returns the count or -1. */
static int script(const struct lines *a, const struct lines *b, char **ops_out)
{
	int n = a->n, m = b->n, max = n + m;
	char *ops = malloc((size_t)max + 1);
	if (!ops)
		return -1;
	int off = max + 1, width = 2 * max + 3, dlimit = max < MAX_D ? max : MAX_D;
	int *v = calloc((size_t)width, sizeof(int));
	int **trace = calloc((size_t)dlimit + 1, sizeof(int *));
	int found = -1;
	if (!v || !trace)
		goto fail;
	for (int d = 0; d <= dlimit && found < 0; d++) {
		if (!(trace[d] = malloc((size_t)width * sizeof(int))))
			goto fail;
		memcpy(trace[d], v, (size_t)width * sizeof(int));
		for (int k = -d; k <= d; k += 2) {
			int x = (k == -d || (k != d && v[off + k - 1] < v[off + k + 1]))
			                ? v[off + k + 1]
			                : v[off + k - 1] + 1;
			int y = x - k;
			while (x < n && y < m && same(a, x, b, y))
				x++, y++;
			v[off + k] = x;
			if (x >= n && y >= m) {
				found = d;
				break;
			}
		}
	}
	int count = 0;
	if (found < 0) {
		for (int i = 0; i < n; i++)
			ops[count++] = '-';
		for (int j = 0; j < m; j++)
			ops[count++] = '+';
	} else {
		/* Walk back from (n, m) through the saved frontiers. */
		int x = n, y = m;
		char *rev = malloc((size_t)max + 1);
		if (!rev)
			goto fail;
		for (int d = found; d > 0; d--) {
			int *pv = trace[d], k = x - y;
			int pk = (k == -d || (k != d && pv[off + k - 1] < pv[off + k + 1])) ? k + 1
			                                                                    : k - 1;
			int px = pv[off + pk], py = px - pk;
			while (x > px && y > py)
				rev[count++] = '=', x--, y--;
			rev[count++] = pk == k + 1 ? '+' : '-';
			x = px, y = py;
		}
		while (x > 0 && y > 0)
			rev[count++] = '=', x--, y--;
		for (int i = 0; i < count; i++)
			ops[i] = rev[count - 1 - i];
		free(rev);
	}
	for (int d = 0; d <= dlimit; d++)
		free(trace[d]);
	free(trace);
	free(v);
	*ops_out = ops;
	return count;
fail:
	if (trace)
		for (int d = 0; d <= dlimit; d++)
			free(trace[d]);
	free(trace);
	free(v);
	free(ops);
	return -1;
}

/* "-3,2", or "-3" for one line, as diff -u writes it. */
static void range(FILE *o, char sign, int start, int count)
{
	if (count == 1)
		fprintf(o, "%c%d ", sign, start);
	else
		fprintf(o, "%c%d,%d ", sign, start, count);
}

static void put_line(FILE *o, char tag, const struct lines *l, int i)
{
	fputc(tag, o);
	fwrite(l->p[i], 1, l->len[i], o);
	fputc('\n', o);
	if (!has_eol(l, i))
		fputs("\\ No newline at end of file\n", o);
}

char *pg_diff_unified(const char *a, const char *b, const char *label_a, const char *label_b,
                      int context)
{
	struct lines la = {0}, lb = {0};
	char *ops = NULL, *out = NULL;
	size_t outlen = 0;
	int nops = -1;
	if (split(a, &la) == 0 && split(b, &lb) == 0)
		nops = script(&la, &lb, &ops);
	FILE *o = nops >= 0 ? open_memstream(&out, &outlen) : NULL;
	if (!o)
		goto done;
	int changes = 0;
	for (int i = 0; i < nops; i++)
		changes += ops[i] != '=';
	if (changes == 0) {
		fclose(o); /* out is "" */
		goto done;
	}
	fprintf(o, "--- %s\n+++ %s\n", label_a, label_b);
	/* positions in a and b before each op */
	int *ai = malloc(((size_t)nops + 1) * sizeof(int)),
	    *bi = malloc(((size_t)nops + 1) * sizeof(int));
	if (!ai || !bi) {
		free(ai);
		free(bi);
		fclose(o);
		free(out);
		out = NULL;
		goto done;
	}
	ai[0] = bi[0] = 0;
	for (int i = 0; i < nops; i++) {
		ai[i + 1] = ai[i] + (ops[i] != '+');
		bi[i + 1] = bi[i] + (ops[i] != '-');
	}
	int i = 0;
	while (i < nops) {
		while (i < nops && ops[i] == '=')
			i++;
		if (i == nops)
			break;
		/* A hunk spans changes closer than 2*context equal lines apart. */
		int start = i - context < 0 ? 0 : i - context, end = i;
		for (;;) {
			while (end < nops && ops[end] != '=')
				end++;
			int eq = end;
			while (eq < nops && ops[eq] == '=')
				eq++;
			if (eq < nops && eq - end <= 2 * context) {
				end = eq;
				continue;
			}
			end = end + context < eq ? end + context : eq;
			break;
		}
		int acount = ai[end] - ai[start], bcount = bi[end] - bi[start];
		fputs("@@ ", o);
		range(o, '-', acount ? ai[start] + 1 : ai[start], acount);
		range(o, '+', bcount ? bi[start] + 1 : bi[start], bcount);
		fputs("@@\n", o);
		for (int k = start; k < end; k++) {
			if (ops[k] == '=')
				put_line(o, ' ', &la, ai[k]);
			else if (ops[k] == '-')
				put_line(o, '-', &la, ai[k]);
			else
				put_line(o, '+', &lb, bi[k]);
		}
		i = end;
	}
	free(ai);
	free(bi);
	fclose(o);
done:
	free(ops);
	free(la.p);
	free(la.len);
	free(lb.p);
	free(lb.len);
	return out;
}
