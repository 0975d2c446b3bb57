/* promql.c - Mirror conditions to PromQL selectors (spec 4.1). Every value a
 * request carries reaches the query only through promql_quote(), so no value
 * can close a string, a matcher or the selector; see promql.h. */
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/jsonw.h"
#include "mirror/promql.h"

/* The reserved keys, one row each: which stream a key asks for. */
static const struct {
	const char *key;
	enum metric_kind kind;
} reserved[] = {
	{ .key = "__gauge__", .kind = METRIC_GAUGE },
	{ .key = "__counter__", .kind = METRIC_COUNTER },
	{ .key = "~", .kind = METRIC_EXPR },
};

#define N_RESERVED (sizeof(reserved) / sizeof(reserved[0]))

/* Integral doubles below this magnitude are matched as "2|2.0" (spec 4.1);
 * beyond it a double no longer stands for one integer. */
#define EXACT_INT_LIMIT 9007199254740992.0 /* 2^53 */

/* reserved_row: the index of key in reserved[], or -1. */
static int reserved_row(const char *key)
{
	size_t i;

	if (!key)
		return -1;
	for (i = 0; i < N_RESERVED; i++)
		if (strcmp(key, reserved[i].key) == 0)
			return (int)i;
	return -1;
}

int promql_is_reserved(const char *key)
{
	return reserved_row(key) >= 0;
}

int promql_label_name_ok(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	if (!p || !*p)
		return 0;
	/* ASCII only, written out: isalpha() would follow the locale */
	if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || *p == '_'))
		return 0;
	for (p++; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '_'))
			return 0;
	return 1;
}

/* utf8_len: the length (2-4) of the well-formed UTF-8 sequence at s[0..n),
 * by the same rules as Go's decoder (no overlong forms, no surrogates,
 * nothing above U+10FFFF); 0 when s does not start one. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t len, i;

	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4;
	else
		return 0;
	if (n < len)
		return 0;
	/* the second byte's range is what rules out overlong and surrogate forms */
	if (s[0] == 0xe0)
		lo = 0xa0;
	else if (s[0] == 0xed)
		hi = 0x9f;
	else if (s[0] == 0xf0)
		lo = 0x90;
	else if (s[0] == 0xf4)
		hi = 0x8f;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return len;
}

/* Prometheus' lexer refuses a string holding the rune U+FFFD (it reads it as
 * a decoding error) or a byte that is not UTF-8, so both are written as
 * escapes; every other well-formed sequence passes through unchanged. */
enum err promql_quote(struct buf *out, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *u = (const unsigned char *)s;
	enum err rc;
	size_t i = 0, run = 0;

	if (!s) {
		s = "";
		u = (const unsigned char *)s;
		n = 0;
	}
	rc = buf_append(out, "\"", 1);
	while (!rc && i < n) {
		char esc[7] = { '\\' };
		size_t elen = 2, ulen = 0;
		unsigned char c = u[i];

		if (c >= 0x80) {
			ulen = utf8_len(u + i, n - i);
			if (ulen && !(ulen == 3 && c == 0xef && u[i + 1] == 0xbf &&
				      u[i + 2] == 0xbd)) {
				i += ulen;
				continue;
			}
		} else if (c >= 0x20 && c != 0x7f && c != '"' && c != '\\') {
			i++;
			continue;
		}
		rc = buf_append(out, s + run, i - run);
		if (rc)
			break;
		switch (c) {
		case '"': esc[1] = '"'; break;
		case '\\': esc[1] = '\\'; break;
		case '\n': esc[1] = 'n'; break;
		case '\r': esc[1] = 'r'; break;
		case '\t': esc[1] = 't'; break;
		default:
			if (ulen) {
				memcpy(esc + 1, "ufffd", 5);
				elen = 6;
			} else {
				esc[1] = 'x';
				esc[2] = hex[c >> 4];
				esc[3] = hex[c & 15];
				elen = 4;
			}
		}
		rc = buf_append(out, esc, elen);
		i += ulen ? ulen : 1;
		run = i;
	}
	if (!rc)
		rc = buf_append(out, s + run, n - run);
	if (!rc)
		rc = buf_append(out, "\"", 1);
	return rc;
}

/* Found-list for the ERR_METRIC_KEY text: "none", "~", "__gauge__ and ~",
 * "__gauge__, __counter__ and ~". Writes into out[0..size), truncating. */
static void found_list(const struct query *q, char *out, size_t size)
{
	size_t i, total = 0, seen = 0, pos = 0;

	for (i = 0; i < q->n_conds; i++)
		if (promql_is_reserved(q->conds[i].key))
			total++;
	out[0] = '\0';
	if (total == 0) {
		snprintf(out, size, "none");
		return;
	}
	for (i = 0; i < q->n_conds && pos < size; i++) {
		const char *sep = "";
		int w;

		if (!promql_is_reserved(q->conds[i].key))
			continue;
		if (seen > 0)
			sep = seen + 1 == total ? " and " : ", ";
		seen++;
		w = snprintf(out + pos, size - pos, "%s%s", sep, q->conds[i].key);
		if (w < 0)
			break;
		pos += (size_t)w;
	}
}

enum err promql_metric(const struct query *q, enum metric_kind *kind,
		       const char **text, struct errinfo *ei)
{
	const struct condition *found = NULL;
	size_t i, at = 0, count = 0;
	char list[256];
	int row;

	for (i = 0; i < q->n_conds; i++) {
		if (!promql_is_reserved(q->conds[i].key))
			continue;
		if (count++ == 0) {
			found = &q->conds[i];
			at = i;
		}
	}
	if (count != 1) {
		found_list(q, list, sizeof(list));
		if (ei)
			ei->metric[0] = '\0';
		return err_set(ei, ERR_METRIC_KEY,
			       "exactly one of __gauge__, __counter__ or ~ must be given; found %s",
			       list);
	}
	if (found->type != VALUE_STRING || !found->str || !found->str[0])
		return err_set(ei, ERR_BAD_REQUEST,
			       "query.conditions[%zu].value: %s needs a non-empty StringValue",
			       at, found->key);
	row = reserved_row(found->key);
	*kind = reserved[row].kind;
	*text = found->str;
	return OK;
}

/* The bytes RE2 gives a meaning outside a character class. */
static int regex_meta(unsigned char c)
{
	return c != '\0' && strchr("\\.+*?()|[]{}^$", c) != NULL;
}

/* regex_escape_into: appends s to re with every RE2 metacharacter
 * backslash-escaped, so the member matches only itself. */
static enum err regex_escape_into(struct buf *re, const char *s)
{
	size_t i, run = 0;
	enum err rc = OK;

	for (i = 0; !rc && s[i]; i++) {
		if (!regex_meta((unsigned char)s[i]))
			continue;
		rc = buf_append(re, s + run, i - run);
		if (!rc)
			rc = buf_append(re, "\\", 1);
		run = i;
	}
	if (!rc)
		rc = buf_puts(re, s + run);
	return rc;
}

static int cmp_str(const void *a, const void *b)
{
	/* strcmp orders by unsigned byte: UTF-8 code point order */
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* inset_regex: the regex a|b|c for a set: members sorted, duplicates
 * dropped, each escaped. Appends it to re (the caller's buffer). */
static enum err inset_regex(const struct condition *c, struct buf *re)
{
	const char **sorted = NULL;
	enum err rc = OK;
	size_t i, written = 0;

	if (c->n_set > SIZE_MAX / sizeof(*sorted))
		return ERR_NOMEM;
	sorted = malloc(c->n_set * sizeof(*sorted));
	if (!sorted)
		return ERR_NOMEM;
	for (i = 0; i < c->n_set; i++)
		sorted[i] = c->set[i] ? c->set[i] : "";
	qsort(sorted, c->n_set, sizeof(*sorted), cmp_str);
	for (i = 0; !rc && i < c->n_set; i++) {
		if (i > 0 && strcmp(sorted[i - 1], sorted[i]) == 0)
			continue;
		if (written++ > 0)
			rc = buf_append(re, "|", 1);
		if (!rc)
			rc = regex_escape_into(re, sorted[i]);
	}
	free(sorted);
	return rc;
}

/* write_matcher: appends `key="..."` or `key=~"..."` for one condition
 * whose key, type and set were already checked. */
static enum err write_matcher(const struct condition *c, struct buf *out)
{
	char num[FMT_DOUBLE_MAX];
	const char *op = "=", *text = "";
	size_t len;
	struct buf re;
	enum err rc = OK;

	buf_init(&re, out->max);
	switch (c->type) {
	case VALUE_STRING:
		text = c->str ? c->str : "";
		break;
	case VALUE_BOOLEAN:
		text = c->boolean ? "true" : "false";
		break;
	case VALUE_DOUBLE:
		if (floor(c->num) == c->num && fabs(c->num) < EXACT_INT_LIMIT) {
			/* exact in int64_t; -0.0 converts to 0 */
			int64_t v = (int64_t)c->num;

			rc = buf_printf(&re, "%" PRId64 "|%" PRId64 "\\.0", v, v);
			op = "=~";
		} else {
			text = fmt_double(c->num, num);
		}
		break;
	case VALUE_INSET:
		rc = inset_regex(c, &re);
		op = "=~";
		break;
	}
	if (rc)
		goto out;
	if (op[1] == '~') {
		text = buf_cstr(&re);
		len = re.len;
	} else {
		len = strlen(text);
	}
	rc = buf_printf(out, "%s%s", c->key, op);
	if (!rc)
		rc = promql_quote(out, text, len);
out:
	buf_free(&re);
	return rc;
}

/* check_condition: ERR_BAD_REQUEST (naming conditions[i]) when a
 * non-reserved condition cannot be written; OK otherwise. */
static enum err check_condition(const struct condition *c, size_t i,
				struct errinfo *ei)
{
	if (!promql_label_name_ok(c->key))
		return err_set(ei, ERR_BAD_REQUEST,
			       "query.conditions[%zu].key: not a valid label name", i);
	if ((unsigned)c->type > VALUE_INSET)
		return err_set(ei, ERR_INTERNAL,
			       "query.conditions[%zu].value: unknown value type", i);
	if (c->type == VALUE_INSET && c->n_set == 0)
		return err_set(ei, ERR_BAD_REQUEST,
			       "query.conditions[%zu].value: empty set", i);
	return OK;
}

/* Everything is checked before anything is written, so a refused
 * condition leaves out as it was. */
enum err promql_selector(const char *name, const struct condition *conds,
			 size_t n, struct buf *out, struct errinfo *ei)
{
	enum err rc = OK;
	size_t i, written = 0, max = out->max;

	for (i = 0; i < n; i++) {
		if (promql_is_reserved(conds[i].key))
			continue;
		rc = check_condition(&conds[i], i, ei);
		if (rc)
			return rc;
		written++;
	}
	if (!name && written == 0)
		return OK;
	written = 0;
	rc = buf_append(out, "{", 1);
	if (!rc && name) {
		rc = buf_puts(out, "__name__=");
		if (!rc)
			rc = promql_quote(out, name, strlen(name));
		written++;
	}
	for (i = 0; !rc && i < n; i++) {
		if (promql_is_reserved(conds[i].key))
			continue;
		if (written++ > 0)
			rc = buf_append(out, ",", 1);
		if (!rc)
			rc = write_matcher(&conds[i], out);
	}
	if (!rc)
		rc = buf_append(out, "}", 1);
	if (rc == ERR_TOO_LARGE)
		err_set(ei, rc, "query: the selector is longer than %zu bytes", max);
	else if (rc)
		err_set(ei, rc, "query: out of memory writing the selector");
	return rc;
}
