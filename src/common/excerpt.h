/* excerpt.h - a short, printable, secret-free excerpt of text that came from
 * elsewhere (an upstream's error answer, STS's message), for error details
 * and logs. */
#ifndef COMMON_EXCERPT_H
#define COMMON_EXCERPT_H

#include <stddef.h>

/* excerpt_text: writes into out (outsz bytes, always NUL-terminated; empty
 * when outsz < 8 or memory runs out) at most max bytes of s[0..n) (s may be
 * NULL when n is 0): every occurrence of secrets[i][0..lens[i]) (i < n_secrets;
 * found in the whole text first, one that straddles the cut included)
 * replaced by "***", control bytes and runs of blanks as one space (none
 * leading or trailing), invalid UTF-8 as '?', "..." when cut. */
void excerpt_text(const char *const *secrets, const size_t *lens,
		  size_t n_secrets, const char *s, size_t n, size_t max,
		  char *out, size_t outsz);

/* excerpt_find: the first occurrence of needle[0..m) in hay[0..n), or NULL
 * (also when m is 0); what excerpt_text looks for secrets with. */
const char *excerpt_find(const char *hay, size_t n, const char *needle,
			 size_t m);

#endif
