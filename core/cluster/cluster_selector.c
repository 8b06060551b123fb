/* Label selectors in the Kubernetes spelling: k=v, k!=v, k (exists), !k. */
#include "cluster/cluster.h"

#include <stdlib.h>
#include <string.h>

enum sel_op { SEL_EQ, SEL_NE, SEL_EXISTS, SEL_ABSENT };

struct sel_term {
	enum sel_op op;
	char *key, *value;
};

struct cluster_selector {
	size_t n;
	struct sel_term terms[];
};

static bool key_ok(const char *k)
{
	if (!*k || strlen(k) > 63)
		return false;
	for (; *k; k++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./",
		            *k))
			return false;
	return true;
}

void cluster_selector_free(struct cluster_selector *sel)
{
	if (!sel)
		return;
	for (size_t i = 0; i < sel->n; i++)
		free(sel->terms[i].key); /* value points into the same allocation */
	free(sel);
}

int cluster_selector_parse(const char *text, struct cluster_selector **out, struct pg_err *err)
{
	if (!*text)
		return pg_err_set(err, PG_EINVAL, "selector", "selector is empty");
	size_t max = 1;
	for (const char *p = text; *p; p++)
		max += *p == ',';
	struct cluster_selector *sel = calloc(1, sizeof(*sel) + max * sizeof(struct sel_term));
	if (!sel)
		return pg_err_set(err, PG_EINTERNAL, "selector", "out of memory");
	const char *p = text;
	while (*p) {
		const char *end = strchrnul(p, ',');
		char *term = strndup(p, (size_t)(end - p));
		struct sel_term *t = &sel->terms[sel->n++];
		t->key = term;
		char *ne = strstr(term, "!="), *eq = strchr(term, '=');
		if (ne) {
			t->op = SEL_NE;
			*ne = '\0';
			t->value = ne + 2;
		} else if (eq) {
			t->op = SEL_EQ;
			*eq = '\0';
			t->value = eq + 1 + (eq[1] == '=');
		} else if (term[0] == '!') {
			t->op = SEL_ABSENT;
			memmove(term, term + 1, strlen(term));
		} else {
			t->op = SEL_EXISTS;
		}
		if (!key_ok(t->key) || (t->value && strpbrk(t->value, "=!,"))) {
			cluster_selector_free(sel);
			return pg_err_set(err, PG_EINVAL, "selector",
			                  "bad selector term '%.*s': use k=v, k!=v, k or !k",
			                  (int)(end - p), p);
		}
		p = *end ? end + 1 : end;
	}
	*out = sel;
	return 0;
}

bool cluster_selector_match(const struct cluster_selector *sel, json_t *labels)
{
	for (size_t i = 0; i < sel->n; i++) {
		const struct sel_term *t = &sel->terms[i];
		const char *v = json_string_value(json_object_get(labels, t->key));
		bool ok = false;
		switch (t->op) {
		case SEL_EQ: ok = v && strcmp(v, t->value) == 0; break;
		case SEL_NE: ok = !v || strcmp(v, t->value) != 0; break;
		case SEL_EXISTS: ok = v != NULL; break;
		case SEL_ABSENT: ok = v == NULL; break;
		}
		if (!ok)
			return false;
	}
	return true;
}
