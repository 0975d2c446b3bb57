/* jsonw.c - shortest round-trip numbers and escaped strings; see jsonw.h. */
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonw.h"

/* If k <= 15 significant digits identify a normal double v, rounding v to
 * 15 digits gives those k digits followed by zeros, which %g strips: so
 * %.15g is already the shortest form whenever one of 15 digits or fewer
 * exists, and only 16 and 17 remain to try. Subnormals carry fewer bits,
 * which breaks that argument, so they try every precision from 1. */
char *fmt_double(double v, char out[FMT_DOUBLE_MAX])
{
	int p;

	if (isnan(v)) {
		memcpy(out, "NaN", 4);
		return out;
	}
	if (isinf(v)) {
		memcpy(out, v > 0 ? "+Inf" : "-Inf", 5);
		return out;
	}
	for (p = fabs(v) < DBL_MIN ? 1 : 15; p <= 17; p++) {
		snprintf(out, FMT_DOUBLE_MAX, "%.*g", p, v);
		if (strtod(out, NULL) == v)
			break;
	}
	return out;
}

enum err jsonw_double(struct buf *b, double v)
{
	char tmp[FMT_DOUBLE_MAX + 2];
	size_t n;

	if (!isfinite(v))
		return buf_puts(b, "null");
	fmt_double(v, tmp);
	n = strlen(tmp);
	if (!strpbrk(tmp, ".eE")) {
		memcpy(tmp + n, ".0", 3);
		n += 2;
	}
	return buf_append(b, tmp, n);
}

enum err jsonw_int(struct buf *b, int64_t v)
{
	return buf_printf(b, "%" PRId64, v);
}

enum err jsonw_string(struct buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	enum err rc;
	size_t i, run = 0;

	rc = buf_append(b, "\"", 1);
	for (i = 0; !rc && i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		char esc[7];
		size_t elen = 2;

		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		/* flush the plain run before this byte */
		rc = buf_append(b, s + run, i - run);
		if (rc)
			break;
		esc[0] = '\\';
		switch (c) {
		case '"': esc[1] = '"'; break;
		case '\\': esc[1] = '\\'; break;
		case '\n': esc[1] = 'n'; break;
		case '\r': esc[1] = 'r'; break;
		case '\t': esc[1] = 't'; break;
		case '\b': esc[1] = 'b'; break;
		case '\f': esc[1] = 'f'; break;
		default:
			memcpy(esc + 1, "u00", 3);
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			elen = 6;
		}
		rc = buf_append(b, esc, elen);
		run = i + 1;
	}
	if (!rc)
		rc = buf_append(b, s + run, n - run);
	if (!rc)
		rc = buf_append(b, "\"", 1);
	return rc;
}

enum err jsonw_str(struct buf *b, const char *s)
{
	return jsonw_string(b, s, strlen(s));
}
