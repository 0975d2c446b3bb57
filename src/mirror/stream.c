/* stream.c - reading the stream of a metric query from Prometheus (spec
 * 4.2): which PromQL is sent for each kind, which series are kept, and the
 * counter rates and NaN rules applied to what comes back. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "mirror/prom.h"
#include "mirror/stream.h"

/* How far before the window a counter's previous sample is looked for. */
#define COUNTER_LOOKBACK_MS (5 * 60 * 1000)

/* A range selector is a Go duration (int64 nanoseconds, about 292 years):
 * longer windows are read in pieces of at most 250 years, and at most 4 of
 * them, so that one request cannot fan out into many upstream calls. */
#define RANGE_PIECE_MS ((int64_t)250 * 36525 * 864000)
#define RANGE_MAX_PIECES 4

void stream_free(struct stream *s)
{
	if (!s)
		return;
	free(s->pts);
	s->pts = NULL;
	s->n = 0;
}

enum err stream_too_many(const struct series_set *set, struct errinfo *ei)
{
	const char *key;
	json_t *value;
	size_t i, len, listed = 0, room = sizeof(ei->details);
	int cut = 0;
	json_t *seen = json_object();

	err_set(ei, ERR_TOO_MANY, "%zu series match; labels whose values differ:", set->n);
	len = strlen(ei->details);
	/* a label differs when some series lacks it or has another value;
	 * names are added while they fit, keeping room for a closing ", ..." */
	for (i = 0; i < set->n && seen && !cut; i++) {
		json_object_foreach(set->items[i].labels, key, value) {
			size_t j, klen = strlen(key);
			int differs = 0;

			if (json_object_get(seen, key))
				continue;
			json_object_set_new(seen, key, json_true());
			for (j = 0; j < set->n && !differs; j++) {
				json_t *other = json_object_get(set->items[j].labels, key);

				differs = !other || !json_equal(other, value);
			}
			if (!differs)
				continue;
			if (len + 2 + klen + 5 >= room) {
				cut = 1;
				break;
			}
			snprintf(ei->details + len, room - len, "%s %s", listed ? "," : "", key);
			len = strlen(ei->details);
			listed++;
		}
	}
	json_decref(seen);
	if (cut)
		snprintf(ei->details + len, room - len, ", ...");
	return ERR_TOO_MANY;
}

/* keep_one: the one series of set that has a point in [from, to], with
 * its points from there on. 0 such series: ERR_NO_SERIES with metric =
 * promql; several: ERR_TOO_MANY. On OK *first indexes the first point at or
 * after from_ms (earlier points stay available for the counter look-back). */
static enum err keep_one(struct series_set *set, const char *promql,
			 int64_t from_ms, int64_t to_ms, struct series **one,
			 struct errinfo *ei)
{
	struct series_set hits = { 0 };
	struct series *found = NULL;
	size_t i, first, count, n_hits = 0;
	enum err rc = OK;

	for (i = 0; i < set->n; i++) {
		points_between(set->items[i].pts, set->items[i].n, from_ms, to_ms,
			       &first, &count);
		if (!count)
			continue;
		n_hits++;
		if (!found)
			found = &set->items[i];
	}
	if (n_hits == 0) {
		err_set(ei, ERR_NO_SERIES, "no series matched in the requested time range");
		snprintf(ei->metric, sizeof(ei->metric), "%s", promql);
		return ERR_NO_SERIES;
	}
	if (n_hits > 1) {
		/* name the differing labels among the series that have points */
		hits.items = calloc(n_hits, sizeof(*hits.items));
		if (!hits.items)
			return ERR_NOMEM;
		for (i = 0; i < set->n; i++) {
			points_between(set->items[i].pts, set->items[i].n, from_ms,
				       to_ms, &first, &count);
			if (count)
				hits.items[hits.n++] = set->items[i];
		}
		rc = stream_too_many(&hits, ei);
		free(hits.items);
		return rc;
	}
	*one = found;
	return OK;
}

/* range_expr: selector + "[Nms]" reading [from_ms - 1, to_ms] at to_ms, one
 * millisecond more than needed so that Prometheus 2 (closed on the left) and
 * 3 (open on the left) return the same samples; the caller filters. */
static enum err range_expr(struct buf *out, const char *selector,
			   int64_t from_ms, int64_t to_ms)
{
	buf_reset(out);
	return buf_printf(out, "%s[%" PRId64 "ms]", selector, to_ms - from_ms + 1);
}

/* trim_set: keeps only the points with from <= t <= to in every series. */
static void trim_set(struct series_set *set, int64_t from_ms, int64_t to_ms)
{
	size_t i, first, count;

	for (i = 0; i < set->n; i++) {
		struct series *s = &set->items[i];

		points_between(s->pts, s->n, from_ms, to_ms, &first, &count);
		if (count && first)
			memmove(s->pts, s->pts + first, count * sizeof(*s->pts));
		s->n = count;
	}
}

/* read_range: the raw samples of selector with from <= t <= to, as one
 * range query when the window fits a range selector, else as consecutive
 * pieces (trimmed to their own span, so none overlaps) joined per series. */
static enum err read_range(struct upstream *u, const struct conn *c,
			   const char *selector, int64_t from_ms, int64_t to_ms,
			   struct series_set *out, struct errinfo *ei)
{
	struct series_set parts[RANGE_MAX_PIECES];
	struct buf expr;
	size_t n = 0, i;
	int64_t a;
	enum err rc = OK;

	/* refused before any call is made */
	if ((to_ms - from_ms) / RANGE_PIECE_MS >= RANGE_MAX_PIECES)
		return err_set(ei, ERR_BAD_REQUEST, "query.startTime/endTime: the "
			       "window is longer than %d x 250 years", RANGE_MAX_PIECES);
	memset(parts, 0, sizeof(parts));
	buf_init(&expr, strlen(selector) + 64);
	for (a = from_ms; n < RANGE_MAX_PIECES;) {
		int64_t b = to_ms - a >= RANGE_PIECE_MS ? a + RANGE_PIECE_MS - 1 : to_ms;

		rc = range_expr(&expr, selector, a, b);
		if (!rc)
			rc = prom_query_matrix(u, c, buf_cstr(&expr), b, &parts[n], ei);
		if (rc)
			break;
		trim_set(&parts[n++], a, b);
		if (b == to_ms)
			break;
		a = b + 1;
	}
	if (!rc && n == 1) {
		*out = parts[0];
		memset(&parts[0], 0, sizeof(parts[0]));
	} else if (!rc) {
		rc = prom_join_series(parts, n, out, ei);
	}
	for (i = 0; i < RANGE_MAX_PIECES; i++)
		series_set_free(&parts[i]);
	buf_free(&expr);
	return rc;
}

/* copy_points: the points of s with from <= t <= to, malloc'd. */
static enum err copy_points(const struct series *s, int64_t from_ms,
			    int64_t to_ms, struct point **out, size_t *n_out)
{
	size_t first, count;
	struct point *p = NULL;

	points_between(s->pts, s->n, from_ms, to_ms, &first, &count);
	if (count) {
		p = malloc(count * sizeof(*p));
		if (!p)
			return ERR_NOMEM;
		memcpy(p, s->pts + first, count * sizeof(*p));
	}
	*out = p;
	*n_out = count;
	return OK;
}

/* floor_div / ceil_div for a positive divisor, right for negative times. */
static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	return (a % b != 0 && a < 0) ? q - 1 : q;
}

static int64_t ceil_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	return (a % b != 0 && a > 0) ? q + 1 : q;
}

enum err stream_read(struct upstream *u, const struct request *req,
		     enum metric_kind kind, const char *text, int64_t from_ms,
		     int64_t to_ms, struct stream *out, struct errinfo *ei)
{
	const struct conn *c = &req->conn;
	struct series_set set = { 0 };
	struct series *one = NULL;
	struct buf selector;
	struct point *pts = NULL;
	size_t n = 0;
	int64_t read_from = from_ms, step = c->step_ms;
	enum err rc;

	buf_init(&selector, 1 << 20);
	if (kind == METRIC_EXPR) {
		/* the grid: multiples of the step since the epoch */
		int64_t first = ceil_div(from_ms, step), last = floor_div(to_ms, step);

		if (first > last ||
		    __builtin_mul_overflow(first, step, &first) ||
		    __builtin_mul_overflow(last, step, &last)) {
			rc = err_set(ei, ERR_NO_SERIES,
				     "no step of %" PRId64 " ms falls inside the time range", step);
			snprintf(ei->metric, sizeof(ei->metric), "%s", text);
			goto out;
		}
		rc = prom_query_range(u, c, text, first, last, step, &set, ei);
		if (rc)
			goto out;
		rc = keep_one(&set, text, from_ms, to_ms, &one, ei);
		if (rc)
			goto out;
		rc = copy_points(one, from_ms, to_ms, &pts, &n);
		if (rc)
			goto out;
	} else {
		rc = promql_selector(text, req->q.conds, req->q.n_conds, &selector, ei);
		if (rc)
			goto out;
		if (kind == METRIC_COUNTER &&
		    __builtin_sub_overflow(from_ms, COUNTER_LOOKBACK_MS, &read_from)) {
			rc = err_set(ei, ERR_BAD_REQUEST, "query.startTime: out of range");
			goto out;
		}
		rc = read_range(u, c, buf_cstr(&selector), read_from, to_ms, &set, ei);
		if (rc)
			goto out;
		rc = keep_one(&set, buf_cstr(&selector), from_ms, to_ms, &one, ei);
		if (rc)
			goto out;
		if (kind == METRIC_COUNTER) {
			size_t first, count;

			/* rates need the raw samples from the look-back on */
			points_between(one->pts, one->n, read_from, to_ms, &first, &count);
			/* keep_one guarantees points, so one->pts is not NULL */
			rc = points_counter_rates(one->pts + first, count, from_ms, &pts, &n);
		} else {
			rc = copy_points(one, from_ms, to_ms, &pts, &n);
		}
		if (rc)
			goto out;
	}
	n = points_apply_nan(pts, n, c->nan == NAN_ZERO);
	out->kind = kind;
	out->pts = pts;
	out->n = n;
	pts = NULL;
out:
	free(pts);
	series_set_free(&set);
	buf_free(&selector);
	if (rc == ERR_NOMEM || rc == ERR_TOO_LARGE)
		rc = err_set(ei, ERR_NOMEM, "out of memory building the query");
	return rc;
}
