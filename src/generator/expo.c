/* expo.c - the text outputs: Prometheus text format 0.0.4 for `serve`, and
 * OpenMetrics with timestamps for `backfill` (read by `promtool tsdb
 * create-blocks-from openmetrics`). Numbers as Go's strconv writes them. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "generator/expo.h"

/* Shortest decimal digits of a finite, positive double: v = 0.d[0..nd) *
 * 10^dp, so dp - 1 is the exponent of the first digit (Go's decimal). */
struct digits {
	char d[24];
	int nd;
	int dp;
};

/* Reads back the candidate d[0..nd) * 10^(dp - nd) and tells whether it is
 * exactly v (strtod rounds half to even, as Go's reader does). */
static int reads_back(const struct digits *g, double v)
{
	char tmp[48];
	int n;

	n = snprintf(tmp, sizeof(tmp), "%.*se%d", g->nd, g->d, g->dp - g->nd);
	if (n < 0 || (size_t)n >= sizeof(tmp))
		return 0;
	return strtod(tmp, NULL) == v;
}

/* Adds delta (+1 or -1) in the last place of g, carrying or borrowing, and
 * keeps the first digit non-zero. Returns 0 when the result is empty. */
static int nudge(struct digits *g, int delta)
{
	int i = g->nd - 1;

	while (i >= 0) {
		int c = g->d[i] - '0' + delta;

		if (c >= 0 && c <= 9) {
			g->d[i] = (char)('0' + c);
			break;
		}
		g->d[i] = delta > 0 ? '0' : '9';
		i--;
	}
	if (i < 0) {
		if (delta < 0)
			return 0;
		/* 99..9 + 1: one more leading digit */
		memmove(g->d + 1, g->d, (size_t)g->nd);
		g->d[0] = '1';
		g->nd++;
		g->dp++;
	}
	if (g->d[0] == '0') {
		memmove(g->d, g->d + 1, (size_t)g->nd - 1);
		g->nd--;
		g->dp--;
	}
	return g->nd > 0;
}

/* Parses "%.*e" output ("d.ddde+XX") of a positive number into g. */
static void parse_e(const char *s, struct digits *g)
{
	const char *e = strchr(s, 'e');

	g->nd = 0;
	for (; s < e; s++)
		if (*s != '.')
			g->d[g->nd++] = *s;
	g->dp = (int)strtol(e + 1, NULL, 10) + 1;
}

/* The shortest digits that read back as v (v finite and > 0), and of those
 * the closest to v, which is what Go's shortest formatting picks. The
 * correctly rounded p digits are the closest p-digit decimal; when they do
 * not read back but a p-digit decimal does, that one lies on the other
 * side, one unit away (the rounding interval of a power of two is lopsided),
 * so the neighbours are tried before adding a digit. */
static void shortest(double v, struct digits *out)
{
	char tmp[48];
	int p;

	for (p = 1; p <= 17; p++) {
		struct digits g, up, down;

		snprintf(tmp, sizeof(tmp), "%.*e", p - 1, v);
		parse_e(tmp, &g);
		if (p == 17 || reads_back(&g, v)) {
			*out = g;
			break;
		}
		up = g;
		down = g;
		if (nudge(&up, 1) && reads_back(&up, v)) {
			*out = up;
			break;
		}
		if (nudge(&down, -1) && reads_back(&down, v)) {
			*out = down;
			break;
		}
	}
	while (out->nd > 1 && out->d[out->nd - 1] == '0')
		out->nd--;
}

char *expo_float(double v, char out[EXPO_FLOAT_MAX])
{
	struct digits g;
	size_t n = 0;
	int e10, i;

	if (isnan(v)) {
		memcpy(out, "NaN", 4);
		return out;
	}
	if (isinf(v)) {
		memcpy(out, v > 0 ? "+Inf" : "-Inf", 5);
		return out;
	}
	if (signbit(v)) {
		out[n++] = '-';
		v = -v;
	}
	if (v == 0) {
		memcpy(out + n, "0", 2);
		return out;
	}
	shortest(v, &g);
	e10 = g.dp - 1;
	if (e10 < -4 || e10 >= 6) {
		/* %e: d[.ddd]e±XX, at least two exponent digits */
		out[n++] = g.d[0];
		if (g.nd > 1) {
			out[n++] = '.';
			memcpy(out + n, g.d + 1, (size_t)g.nd - 1);
			n += (size_t)g.nd - 1;
		}
		snprintf(out + n, EXPO_FLOAT_MAX - n, "e%c%02d",
			 e10 < 0 ? '-' : '+', e10 < 0 ? -e10 : e10);
		return out;
	}
	/* %f with just enough fraction digits: the integer part (or 0) ... */
	if (g.dp <= 0)
		out[n++] = '0';
	for (i = 0; i < g.dp; i++)
		out[n++] = i < g.nd ? g.d[i] : '0';
	/* ... then the digits after the point, zeros first when dp < 0 */
	if (g.nd > g.dp) {
		out[n++] = '.';
		for (i = g.dp < 0 ? g.dp : 0; i < 0; i++)
			out[n++] = '0';
		for (i = g.dp > 0 ? g.dp : 0; i < g.nd; i++)
			out[n++] = g.d[i];
	}
	out[n] = '\0';
	return out;
}

/* Escapes: for each byte that needs one, its replacement. The text format
 * 0.0.4 escapes backslash and newline in HELP, and also the double quote in
 * label values; OpenMetrics escapes all three in both. */
static const char *const esc_help_004[256] = {
	['\\'] = "\\\\", ['\n'] = "\\n",
};
static const char *const esc_quoted[256] = {
	['\\'] = "\\\\", ['\n'] = "\\n", ['"'] = "\\\"",
};

/* Appends s with the bytes the table names replaced. */
static enum err put_escaped(struct buf *b, const char *s,
			    const char *const tab[256])
{
	enum err rc = OK;
	size_t i, run = 0;

	for (i = 0; s[i]; i++) {
		const char *rep = tab[(unsigned char)s[i]];

		if (!rep)
			continue;
		rc = buf_append(b, s + run, i - run);
		if (rc)
			goto out;
		rc = buf_puts(b, rep);
		if (rc)
			goto out;
		run = i + 1;
	}
	rc = buf_append(b, s + run, i - run);
out:
	return rc;
}

static const char *const type_names[] = {
	[GSERIES_GAUGE] = "gauge",
	[GSERIES_COUNTER] = "counter",
	[GSERIES_HISTOGRAM] = "histogram",
};

/* Where a format differs: HELP escaping and the order of a histogram's
 * _sum and _count (0.0.4 as the Go client writes it; OpenMetrics as its
 * specification's examples). */
struct tail {
	const char *suffix;
	int is_sum;     /* the sum, else the count */
};

struct format {
	const char *const *help_esc;
	struct tail tail[2];
};

static const struct format fmt_004 = {
	.help_esc = esc_help_004,
	.tail = { { "_sum", 1 }, { "_count", 0 } },
};
static const struct format fmt_om = {
	.help_esc = esc_quoted,
	.tail = { { "_count", 0 }, { "_sum", 1 } },
};

/* Appends one sample line: name[0..name_len) suffix{labels[,le="..."]}
 * value[ timestamp]. le and ts_ms may be NULL. */
static enum err put_sample(struct buf *b, const char *name, size_t name_len,
			   const char *suffix, const struct gseries *s,
			   const double *le, double value, const int64_t *ts_ms)
{
	char num[EXPO_FLOAT_MAX];
	enum err rc;
	size_t i;

	rc = buf_append(b, name, name_len);
	if (rc)
		goto out;
	rc = buf_puts(b, suffix);
	if (rc)
		goto out;
	for (i = 0; i < s->n_labels; i++) {
		rc = buf_printf(b, "%c%s=\"", i ? ',' : '{', s->labels[i].name);
		if (rc)
			goto out;
		rc = put_escaped(b, s->labels[i].value, esc_quoted);
		if (rc)
			goto out;
		rc = buf_append(b, "\"", 1);
		if (rc)
			goto out;
	}
	if (le) {
		rc = buf_printf(b, "%sle=\"%s\"", s->n_labels ? "," : "{",
				expo_float(*le, num));
		if (rc)
			goto out;
	}
	if (le || s->n_labels) {
		rc = buf_append(b, "}", 1);
		if (rc)
			goto out;
	}
	rc = buf_printf(b, " %s", expo_float(value, num));
	if (rc)
		goto out;
	if (ts_ms) {
		/* seconds with up to three decimals, from the integer: no
		 * rounding through a double; magnitude as unsigned so that
		 * INT64_MIN is fine */
		uint64_t mag = *ts_ms < 0 ? (uint64_t)0 - (uint64_t)*ts_ms :
			(uint64_t)*ts_ms;
		unsigned frac = (unsigned)(mag % 1000);
		char fr[8] = "";
		size_t k;

		if (frac) {
			snprintf(fr, sizeof(fr), ".%03u", frac);
			for (k = strlen(fr); fr[k - 1] == '0'; k--)
				fr[k - 1] = '\0';
		}
		rc = buf_printf(b, " %s%" PRIu64 "%s", *ts_ms < 0 ? "-" : "",
				mag / 1000, fr);
		if (rc)
			goto out;
	}
	rc = buf_append(b, "\n", 1);
out:
	return rc;
}

/* Appends every sample of (s, st) in format f; ts_ms may be NULL. */
static enum err put_samples(struct buf *b, const struct gseries *s,
			    const struct gstate *st, const struct format *f,
			    const int64_t *ts_ms)
{
	size_t name_len = strlen(s->name);
	enum err rc = OK;
	size_t i;

	if (s->type != GSERIES_HISTOGRAM)
		return put_sample(b, s->name, name_len, "", s, NULL, st->value,
				  ts_ms);
	if (s->n_buckets && !st->bucket_counts)
		return ERR_INTERNAL;
	for (i = 0; i <= s->n_buckets; i++) {
		double le = i < s->n_buckets ? s->buckets[i] : INFINITY;
		uint64_t c = i < s->n_buckets ? st->bucket_counts[i] : st->count;

		rc = put_sample(b, s->name, name_len, "_bucket", s, &le,
				(double)c, ts_ms);
		if (rc)
			goto out;
	}
	for (i = 0; i < 2; i++) {
		const struct tail *t = &f->tail[i];

		rc = put_sample(b, s->name, name_len, t->suffix, s, NULL,
				t->is_sum ? st->sum : (double)st->count, ts_ms);
		if (rc)
			goto out;
	}
out:
	return rc;
}

/* Takes back what a failed call appended, so that out holds either the
 * whole output or what it held before (a buf whose append failed has
 * already emptied itself). */
static void undo(struct buf *b, size_t start)
{
	if (b->data && b->len > start) {
		b->len = start;
		b->data[start] = '\0';
	}
}

/* A series is exposed when its latest tick wrote a sample and it has not
 * ended: a void tick or an ended program leaves it out of /metrics. */
static int exposed(const struct gseries *s, const struct gstate *st)
{
	return s && st && st->wrote && !st->ended;
}

/* Appends the line "# KIND name[0..len) text" (text escaped with esc when
 * esc is not NULL). */
static enum err put_meta(struct buf *b, const char *kind, const char *name,
			 size_t len, const char *text,
			 const char *const *esc)
{
	enum err rc;

	rc = buf_printf(b, "# %s %.*s ", kind, (int)len, name);
	if (rc)
		goto out;
	rc = esc ? put_escaped(b, text, esc) : buf_puts(b, text);
	if (rc)
		goto out;
	rc = buf_append(b, "\n", 1);
out:
	return rc;
}

enum err expo_text(struct buf *out, const struct gseries *const *series,
		   const struct gstate *const *states, size_t n)
{
	unsigned char *done = NULL;
	size_t start = out->len;
	enum err rc = OK;
	size_t i, j;

	if (!n)
		return OK;
	done = calloc(n, 1);
	if (!done)
		return ERR_NOMEM;
	/* first-seen order of names; series of one name grouped under the
	 * HELP and TYPE of the first exposed one (the config forbids two
	 * types under one name) */
	for (i = 0; i < n; i++) {
		const struct gseries *s = series[i];
		size_t len;

		if (done[i] || !exposed(s, states[i]))
			continue;
		len = strlen(s->name);
		if (s->help) {
			rc = put_meta(out, "HELP", s->name, len, s->help,
				      esc_help_004);
			if (rc)
				goto out;
		}
		rc = put_meta(out, "TYPE", s->name, len, type_names[s->type],
			      NULL);
		if (rc)
			goto out;
		for (j = i; j < n; j++) {
			if (done[j] || !exposed(series[j], states[j]) ||
			    strcmp(series[j]->name, s->name) != 0)
				continue;
			done[j] = 1;
			rc = put_samples(out, series[j], states[j], &fmt_004,
					 NULL);
			if (rc)
				goto out;
		}
	}
out:
	if (rc)
		undo(out, start);
	free(done);
	return rc;
}

/* The OpenMetrics family of a series: a counter's name without _total. */
static size_t family_len(const struct gseries *s)
{
	size_t len = strlen(s->name);

	if (s->type == GSERIES_COUNTER && len > 6 &&
	    strcmp(s->name + len - 6, "_total") == 0)
		len -= 6;
	return len;
}

enum err expo_om_family(struct buf *out, const struct gseries *s)
{
	size_t len = family_len(s), start = out->len;
	enum err rc;

	rc = put_meta(out, "TYPE", s->name, len, type_names[s->type], NULL);
	if (rc)
		goto out;
	if (s->help)
		rc = put_meta(out, "HELP", s->name, len, s->help,
			      fmt_om.help_esc);
out:
	if (rc)
		undo(out, start);
	return rc;
}

enum err expo_om_samples(struct buf *out, const struct gseries *s,
			 const struct gstate *st, int64_t ts_ms)
{
	size_t start = out->len;
	enum err rc = OK;

	if (!exposed(s, st))
		goto out;
	if (s->type == GSERIES_HISTOGRAM) {
		rc = put_samples(out, s, st, &fmt_om, &ts_ms);
		goto out;
	}
	/* a counter whose name lacks _total still gets it, as OpenMetrics
	 * wants for counter samples */
	rc = put_sample(out, s->name, family_len(s),
			s->type == GSERIES_COUNTER ? "_total" : "", s, NULL,
			st->value, &ts_ms);
out:
	if (rc)
		undo(out, start);
	return rc;
}

enum err expo_om_eof(struct buf *out)
{
	return buf_puts(out, "# EOF\n");
}
