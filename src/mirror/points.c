/* points.c - growable series of (time, value) points, and the pure steps of
 * spec 4.2 that turn raw Prometheus samples into a Mirror stream: counter
 * rates, the NaN/Inf rules, and the search for a time range. */
#include <math.h>
#include <stdlib.h>

#include "mirror/points.h"

/* grow_cap: the capacity to move to from cap so that one more element of
 * size elem fits, doubling for amortised O(1) appends. Returns OK and sets
 * *bytes to the allocation size, or ERR_NOMEM when the size would not fit
 * in a size_t (the caller's array is then left as it was). */
static enum err grow_cap(size_t cap, size_t elem, size_t *new_cap,
			 size_t *bytes)
{
	size_t c = cap ? cap : 16;

	if (cap && __builtin_mul_overflow(cap, (size_t)2, &c))
		return ERR_NOMEM;
	if (__builtin_mul_overflow(c, elem, bytes))
		return ERR_NOMEM;
	*new_cap = c;
	return OK;
}

enum err series_push(struct series *s, int64_t t_ms, double v)
{
	struct point *p;
	size_t cap, bytes;
	enum err rc;

	if (s->n == s->cap) {
		rc = grow_cap(s->cap, sizeof(*s->pts), &cap, &bytes);
		if (rc)
			return rc;
		p = realloc(s->pts, bytes);
		if (!p)
			return ERR_NOMEM;
		s->pts = p;
		s->cap = cap;
	}
	s->pts[s->n++] = (struct point){ .t_ms = t_ms, .v = v };
	return OK;
}

/* series_set_add: the returned pointer points into set->items, so it is
 * valid only until the next series_set_add (which may move the array).
 * The set owns the new labels reference; on failure none is taken. */
enum err series_set_add(struct series_set *set, json_t *labels,
			struct series **out)
{
	struct series *items, *s;
	size_t cap, bytes;
	enum err rc;

	if (set->n == set->cap) {
		rc = grow_cap(set->cap, sizeof(*set->items), &cap, &bytes);
		if (rc)
			return rc;
		items = realloc(set->items, bytes);
		if (!items)
			return ERR_NOMEM;
		set->items = items;
		set->cap = cap;
	}
	s = &set->items[set->n++];
	*s = (struct series){ .labels = json_incref(labels) };
	*out = s;
	return OK;
}

/* series_set_free: the set itself is usually on the caller's stack, so it
 * is not freed but left empty and reusable. */
void series_set_free(struct series_set *set)
{
	size_t i;

	if (!set)
		return;
	for (i = 0; i < set->n; i++) {
		json_decref(set->items[i].labels);
		free(set->items[i].pts);
	}
	free(set->items);
	*set = (struct series_set){ 0 };
}

/* lower_bound: the index of the first point with t >= t_ms (n when none);
 * the array is ascending, so this is a binary search. */
static size_t lower_bound(const struct point *p, size_t n, int64_t t_ms)
{
	size_t lo = 0, hi = n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (p[mid].t_ms < t_ms)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* points_counter_rates: a sample whose time is not after its predecessor's
 * (a duplicate or out-of-order timestamp from a misbehaving upstream) gives
 * no point, because a rate over zero or negative time means nothing; the
 * next sample is still measured against it. NaN samples
 * are kept and give NaN v and inc, so the NaN rule of the connection decides
 * about them later. */
enum err points_counter_rates(const struct point *raw, size_t n,
			      int64_t from_ms, struct point **out,
			      size_t *n_out)
{
	struct point *res = NULL;
	size_t i, first, m = 0, bytes;
	double inc;
	int64_t dt;

	first = lower_bound(raw, n, from_ms);
	if (first == 0)
		first = 1;      /* the very first sample has no predecessor */
	if (first < n) {
		if (__builtin_mul_overflow(n - first, sizeof(*res), &bytes))
			return ERR_NOMEM;
		res = malloc(bytes);
		if (!res)
			return ERR_NOMEM;
	}
	for (i = first; i < n; i++) {
		if (__builtin_sub_overflow(raw[i].t_ms, raw[i - 1].t_ms, &dt) ||
		    dt <= 0)
			continue;
		if (raw[i].v < raw[i - 1].v)
			inc = raw[i].v;         /* reset: counted up from 0 */
		else
			inc = raw[i].v - raw[i - 1].v;
		res[m++] = (struct point){
			.t_ms = raw[i].t_ms,
			.v = inc / ((double)dt / 1000.0),
			.inc = inc,
			.dt_ms = dt,
		};
	}
	if (m == 0) {
		free(res);
		res = NULL;
	}
	*out = res;
	*n_out = m;
	return OK;
}

/* points_apply_nan: returns the number of points kept at the front of p[].
 * The value v decides: NaN is zeroed (v and inc) or dropped, +-Inf is
 * dropped. A point whose v is finite but whose inc is not is dropped as well:
 * points_counter_rates cannot make one (a non-finite increase gives a
 * non-finite rate), and keeping it would turn a whole counter bucket's SUM
 * into Inf/NaN and so remove the bucket, where dropping loses one point. */
size_t points_apply_nan(struct point *p, size_t n, int zero_nan)
{
	size_t i, kept = 0;
	struct point q;

	for (i = 0; i < n; i++) {
		q = p[i];
		if (isnan(q.v)) {
			if (!zero_nan)
				continue;
			q.v = 0.0;
			q.inc = 0.0;
		} else if (!isfinite(q.v) || !isfinite(q.inc)) {
			continue;
		}
		p[kept++] = q;
	}
	return kept;
}

/* points_between: when no point is in range, *count is 0 and *first is
 * where such a point would be inserted; from_ms > to_ms gives 0 points. */
void points_between(const struct point *p, size_t n, int64_t from_ms,
		    int64_t to_ms, size_t *first, size_t *count)
{
	size_t lo, hi;

	lo = lower_bound(p, n, from_ms);
	if (to_ms < from_ms) {
		hi = lo;
	} else if (to_ms == INT64_MAX) {
		hi = n;
	} else {
		hi = lower_bound(p, n, to_ms + 1);
		if (hi < lo)
			hi = lo;
	}
	*first = lo;
	*count = hi - lo;
}
