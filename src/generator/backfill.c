/* backfill.c - `backfill`: every series is stepped from its tick 0, so that
 * counters and histograms carry their history into the window, and the
 * window's samples are written as OpenMetrics, family by family. A dry run
 * comes first: a run-time error must leave the output empty. */
#include <errno.h>
#include <string.h>

#include "common/buf.h"
#include "generator/backfill.h"
#include "generator/expo.h"

/* Write the buffer out once it holds this much. */
#define FLUSH_BYTES ((size_t)64 << 10)
/* Ceiling of the buffer: a flush point plus the largest tick (a histogram
 * with many buckets) must fit. */
#define BUF_MAX ((size_t)64 << 20)

enum err backfill_ticks(int64_t start_ms, int64_t interval_ms, int64_t from_ms,
			int64_t to_ms, uint64_t *first, uint64_t *last,
			struct errinfo *ei)
{
	int64_t lo, hi;
	uint64_t f, l;

	if (interval_ms <= 0)
		return err_set(ei, ERR_BAD_REQUEST, "the interval must be positive");
	if (from_ms > to_ms)
		return err_set(ei, ERR_BAD_REQUEST, "--from is after --to");
	if (to_ms < start_ms)
		return ERR_NO_SERIES;
	if (__builtin_sub_overflow(to_ms, start_ms, &hi))
		return err_set(ei, ERR_BAD_REQUEST, "the window is too far from start");
	l = (uint64_t)(hi / interval_ms);
	if (from_ms <= start_ms) {
		f = 0;
	} else {
		if (__builtin_sub_overflow(from_ms, start_ms, &lo))
			return err_set(ei, ERR_BAD_REQUEST,
				       "the window is too far from start");
		/* ceil(lo / interval) without overflow: lo > 0 */
		f = (uint64_t)(lo / interval_ms) + (lo % interval_ms != 0);
	}
	if (f > l)
		return ERR_NO_SERIES;
	*first = f;
	*last = l;
	return OK;
}

double backfill_tick_seconds(uint64_t k, int64_t interval_ms)
{
	uint64_t ms;

	/* past 2^63 ms the product is beyond any time a window can name */
	if (interval_ms <= 0 || __builtin_mul_overflow(k, (uint64_t)interval_ms, &ms))
		return (double)k * ((double)interval_ms / 1000.0);
	return (double)ms / 1000.0;
}

/* flush: writes out to f and empties out. */
static enum err flush(struct buf *out, FILE *f, struct errinfo *ei)
{
	if (out->len && fwrite(buf_cstr(out), 1, out->len, f) != out->len)
		return err_set(ei, ERR_INTERNAL, "cannot write the output: %s",
			       strerror(errno));
	buf_reset(out);
	return OK;
}

enum err backfill_series(const struct gseries *s, int64_t start_ms,
			 int64_t interval_ms, uint64_t first, uint64_t last,
			 struct buf *out, FILE *f, struct errinfo *ei)
{
	struct gstate st;
	enum err rc;
	uint64_t k;

	memset(&st, 0, sizeof(st));
	rc = gseries_state_init(s, &st);
	if (rc) {
		err_set(ei, rc, "out of memory");
		goto out;
	}
	/* last <= INT64_MAX (backfill_ticks), so k never wraps */
	for (k = 0; k <= last && !st.ended; k++) {
		int64_t ts_ms;

		rc = gseries_step(s, &st, backfill_tick_seconds(k, interval_ms), ei);
		if (rc)
			goto out;
		if (k < first || !f || !st.wrote || st.ended)
			continue;
		/* k <= last, and the time of `last` was computed without
		 * overflow by backfill_ticks */
		ts_ms = start_ms + (int64_t)k * interval_ms;
		rc = expo_om_samples(out, s, &st, ts_ms);
		if (rc) {
			err_set(ei, rc, "cannot hold the output of series %s", s->id);
			goto out;
		}
		if (out->len > FLUSH_BYTES) {
			rc = flush(out, f, ei);
			if (rc)
				goto out;
		}
	}
	if (f)
		rc = flush(out, f, ei);
out:
	gseries_state_free(&st);
	return rc;
}

/* family: the OpenMetrics family name of s (a counter's name without
 * _total) as a pointer and a length. */
static size_t family_len(const struct gseries *s)
{
	size_t n = strlen(s->name);

	if (s->type == GSERIES_COUNTER && n > 6 && strcmp(s->name + n - 6, "_total") == 0)
		n -= 6;
	return n;
}

static int same_family(const struct gseries *a, const struct gseries *b)
{
	size_t n = family_len(a);

	return n == family_len(b) && memcmp(a->name, b->name, n) == 0;
}

/* check_families: two series of one family must have one type, or the
 * family cannot be written (a gauge `x` beside a counter `x_total`). */
static enum err check_families(const struct gconfig *cfg, struct errinfo *ei)
{
	size_t i, j;

	for (i = 0; i < cfg->n_series; i++)
		for (j = i + 1; j < cfg->n_series; j++)
			if (same_family(&cfg->series[i], &cfg->series[j]) &&
			    cfg->series[i].type != cfg->series[j].type)
				return err_set(ei, ERR_INTERNAL,
					       "series %s and %s fall in one OpenMetrics "
					       "family with two types", cfg->series[i].id,
					       cfg->series[j].id);
	return OK;
}

enum err backfill_run(const struct gconfig *cfg, int64_t start_ms,
		      uint64_t first, uint64_t last, FILE *f,
		      struct errinfo *ei)
{
	struct buf out;
	enum err rc;
	size_t i, j;

	buf_init(&out, BUF_MAX);
	rc = check_families(cfg, ei);
	if (rc)
		goto out;
	for (i = 0; i < cfg->n_series; i++) {
		rc = backfill_series(&cfg->series[i], start_ms, cfg->interval_ms,
				     first, last, &out, NULL, ei);
		if (rc)
			goto out;
	}
	for (i = 0; i < cfg->n_series; i++) {
		const struct gseries *s = &cfg->series[i];

		for (j = 0; j < i && !same_family(&cfg->series[j], s); j++)
			;
		if (j < i)
			continue;       /* written with its family's first series */
		rc = expo_om_family(&out, s);
		if (rc) {
			err_set(ei, rc, "out of memory");
			goto out;
		}
		for (j = i; j < cfg->n_series; j++) {
			if (!same_family(&cfg->series[j], s))
				continue;
			rc = backfill_series(&cfg->series[j], start_ms, cfg->interval_ms,
					     first, last, &out, f, ei);
			if (rc)
				goto out;
		}
	}
	rc = expo_om_eof(&out);
	if (rc) {
		err_set(ei, rc, "out of memory");
		goto out;
	}
	rc = flush(&out, f, ei);
	if (rc)
		goto out;
	if (fflush(f) != 0 || ferror(f))
		rc = err_set(ei, ERR_INTERNAL, "cannot write the output: %s",
			     strerror(errno));
out:
	buf_free(&out);
	return rc;
}
