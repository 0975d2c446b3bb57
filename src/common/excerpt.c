/* excerpt.c - quoting text from elsewhere without its secrets, control
 * bytes or broken UTF-8 (see excerpt.h). */
#include <stdlib.h>
#include <string.h>

#include "common/excerpt.h"

const char *excerpt_find(const char *hay, size_t n, const char *needle,
			 size_t m)
{
	const char *p = hay, *end;

	if (!m || m > n)
		return NULL;
	end = hay + (n - m);
	while (p <= end) {
		p = memchr(p, needle[0], (size_t)(end - p) + 1);
		if (!p)
			return NULL;
		if (memcmp(p, needle, m) == 0)
			return p;
		p++;
	}
	return NULL;
}

/* utf8_len: the length of the valid UTF-8 sequence at p[0..n), or 0. */
static size_t utf8_len(const unsigned char *p, size_t n)
{
	size_t len, i;
	unsigned cp;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		len = 2, cp = p[0] & 0x1f;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		len = 3, cp = p[0] & 0x0f;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		len = 4, cp = p[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return len;
}

void excerpt_text(const char *const *secrets, const size_t *lens,
		  size_t n_secrets, const char *s, size_t n, size_t max,
		  char *out, size_t outsz)
{
	unsigned char *mask = NULL;
	const unsigned char *p = (const unsigned char *)s;
	size_t cut, window, i, k, o = 0, room, len, longest = 0;
	int space = 0;

	if (!outsz)
		return;
	out[0] = '\0';
	if (!s || !n)
		return;
	if (outsz < 8)
		return;
	room = outsz - 1 - 3;            /* keep room for "..." */
	cut = n < max ? n : max;
	for (k = 0; k < n_secrets; k++)
		if (lens[k] > longest)
			longest = lens[k];
	/* Secrets are found in the whole region that can reach into the
	 * excerpt, a secret that straddles the cut included. */
	window = cut;
	if (longest && n - cut > 0)
		window = n - cut < longest ? n : cut + longest;
	mask = calloc(window ? window : 1, 1);
	if (!mask)
		goto out;
	for (k = 0; k < n_secrets; k++) {
		const char *from = s, *hit;

		while ((size_t)(from - s) < cut &&
		       (hit = excerpt_find(from, window - (size_t)(from - s), secrets[k],
				   lens[k])) != NULL &&
		       (size_t)(hit - s) < cut) {
			memset(mask + (hit - s), 1, lens[k]);
			from = hit + 1;
		}
	}
	i = 0;
	while (i < cut) {
		if (mask[i]) {
			if (o + 3 > room)
				break;
			memcpy(out + o, "***", 3);
			o += 3;
			while (i < window && mask[i])
				i++;
			space = 0;
			continue;
		}
		if (p[i] < 0x20 || p[i] == 0x7f || p[i] == ' ') {
			/* control bytes and runs of blanks become one space,
			 * none at the start */
			if (!space && o > 0) {
				if (o + 1 > room)
					break;
				out[o++] = ' ';
			}
			space = 1;
			i++;
			continue;
		}
		space = 0;
		len = utf8_len(p + i, n - i);
		if (i + len > cut)
			break;           /* a character is not split at the cut */
		for (k = 1; k < len; k++)
			if (mask[i + k])
				len = 0;
		if (!len) {
			if (o + 1 > room)
				break;
			out[o++] = '?';
			i++;
			continue;
		}
		if (o + len > room)
			break;
		memcpy(out + o, p + i, len);
		o += len;
		i += len;
	}
	if (o > 0 && out[o - 1] == ' ')
		o--;                     /* nor at the end */
	if (i < n) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
out:
	free(mask);
}

