/* strlist.h - a growable list of owned strings. */
#ifndef COMMON_STRLIST_H
#define COMMON_STRLIST_H

#include <stddef.h>

#include "err.h"

struct strlist {
	char **v;       /* v[0..n) owned by the list */
	size_t n;
	size_t cap;
};

/* strlist_push: appends a copy of s[0..len). ERR_NOMEM on failure (the list
 * keeps what it had). */
enum err strlist_push(struct strlist *l, const char *s, size_t len);

/* strlist_sort_unique: sorts by byte value (UTF-8 code point order) and
 * drops duplicates. */
void strlist_sort_unique(struct strlist *l);

/* strlist_contains: 1 if s is in the list (linear search), else 0. */
int strlist_contains(const struct strlist *l, const char *s);

/* strlist_wipe: strlist_free for strings that held secrets (signed header
 * lines with a session token): each is zeroed first; l may be NULL. */
void strlist_wipe(struct strlist *l);

/* strlist_free: frees every string and the array; l may be NULL. */
void strlist_free(struct strlist *l);

#endif
