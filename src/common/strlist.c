/* strlist.c - growable list of owned strings; see strlist.h. */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "strlist.h"

enum err strlist_push(struct strlist *l, const char *s, size_t len)
{
	char *copy;

	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		char **v;

		if (cap > ((size_t)-1) / sizeof(*v))
			return ERR_NOMEM;
		v = realloc(l->v, cap * sizeof(*v));
		if (!v)
			return ERR_NOMEM;
		l->v = v;
		l->cap = cap;
	}
	copy = malloc(len + 1);
	if (!copy)
		return ERR_NOMEM;
	memcpy(copy, s, len);
	copy[len] = '\0';
	l->v[l->n++] = copy;
	return OK;
}

static int cmp(const void *a, const void *b)
{
	/* strcmp compares as unsigned char: UTF-8 byte order is code point order */
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void strlist_sort_unique(struct strlist *l)
{
	size_t i, out = 0;

	if (l->n < 2)
		return;
	qsort(l->v, l->n, sizeof(*l->v), cmp);
	for (i = 0; i < l->n; i++) {
		if (out && strcmp(l->v[out - 1], l->v[i]) == 0) {
			free(l->v[i]);
			continue;
		}
		l->v[out++] = l->v[i];
	}
	l->n = out;
}

int strlist_contains(const struct strlist *l, const char *s)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (strcmp(l->v[i], s) == 0)
			return 1;
	return 0;
}

void strlist_wipe(struct strlist *l)
{
	size_t i;

	for (i = 0; l && i < l->n; i++)
		OPENSSL_cleanse(l->v[i], strlen(l->v[i]));
	strlist_free(l);
}

void strlist_free(struct strlist *l)
{
	size_t i;

	if (!l)
		return;
	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
	l->cap = 0;
}
