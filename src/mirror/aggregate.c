/* aggregate.c - epoch-aligned buckets and the aggregation methods of spec
 * 4.3; see aggregate.h. Each method is one row of a table: a reducer over
 * a bucket's points plus the flags that make the methods differ. */
#include <math.h>
#include <stdlib.h>
#include <strings.h>

#include "mirror/aggregate.h"

/* The points of one bucket and what the method's row says about them. */
struct bucket {
	const struct point *p;  /* ascending, at least one point */
	size_t n;
	int counter;            /* the points are rates of a counter */
	int drop_zeros;         /* points with v == 0 do not count */
	double pct;             /* percentile as a fraction, else 0 */
	double *scratch;        /* room for n values when pct > 0 */
};

/* A reducer returns how many points of the bucket it used (0 when the row
 * drops every one of them) and, only when that is not 0, the value in *out.
 * Sums run over the points in ascending time, plainly (no compensated
 * summation), so small integers and anything else a caller adds up in the
 * same order come out exactly the same. */
typedef size_t (*reduce_fn)(const struct bucket *b, double *out);

static int counts(const struct bucket *b, size_t i)
{
	return !(b->drop_zeros && b->p[i].v == 0.0);
}

/* reduce_mean: gauges give the arithmetic mean; counters the time-weighted
 * rate, the increase divided by the time it took, which is what a mean of
 * the rates would be if every interval weighed the same. */
static size_t reduce_mean(const struct bucket *b, double *out)
{
	double sum = 0.0, ms = 0.0;
	size_t i, used = 0;

	for (i = 0; i < b->n; i++) {
		if (!counts(b, i))
			continue;
		if (b->counter) {
			sum += b->p[i].inc;
			ms += (double)b->p[i].dt_ms;
		} else {
			sum += b->p[i].v;
		}
		used++;
	}
	if (used)
		*out = b->counter ? sum / (ms / 1000.0) : sum / (double)used;
	return used;
}

/* extreme: the smallest (want_max 0) or largest counted value. The stream
 * holds no NaN (the NaN rules ran before), so the comparisons are total. */
static size_t extreme(const struct bucket *b, double *out, int want_max)
{
	size_t i, used = 0;
	double v = 0.0;

	for (i = 0; i < b->n; i++) {
		double x = b->p[i].v;

		if (!counts(b, i))
			continue;
		if (!used || (want_max ? x > v : x < v))
			v = x;
		used++;
	}
	if (used)
		*out = v;
	return used;
}

static size_t reduce_min(const struct bucket *b, double *out)
{
	return extreme(b, out, 0);
}

static size_t reduce_max(const struct bucket *b, double *out)
{
	return extreme(b, out, 1);
}

/* reduce_sum: a counter's SUM is its increase inside the bucket, so the
 * increments are added, not the rates. */
static size_t reduce_sum(const struct bucket *b, double *out)
{
	size_t i, used = 0;
	double sum = 0.0;

	for (i = 0; i < b->n; i++) {
		if (!counts(b, i))
			continue;
		sum += b->counter ? b->p[i].inc : b->p[i].v;
		used++;
	}
	if (used)
		*out = sum;
	return used;
}

static size_t reduce_count(const struct bucket *b, double *out)
{
	size_t i, used = 0;

	for (i = 0; i < b->n; i++)
		used += (size_t)counts(b, i);
	if (used)
		*out = (double)used;
	return used;
}

/* cmp_double: a total order for qsort even if a NaN slipped through (NaN
 * sorts last), since qsort with an inconsistent comparator may misbehave. */
static int cmp_double(const void *pa, const void *pb)
{
	double a = *(const double *)pa, b = *(const double *)pb;

	if (isnan(a) || isnan(b))
		return isnan(a) - isnan(b);
	return (a > b) - (a < b);
}

/* lerp: lo*(1-w) + hi*w, the very arithmetic of Prometheus'
 * quantile_over_time, so that a percentile pushed down into PromQL gives the
 * same double to the last bit (five values of 0.9 at rank 3.6 give
 * 0.9000000000000001 there, and so here). */
static double lerp(double lo, double hi, double w)
{
	return lo * (1.0 - w) + hi * w;
}

/* reduce_percentile: Prometheus' quantile_over_time: sort, take rank
 * p*(n-1) and interpolate linearly between the two values around it. */
static size_t reduce_percentile(const struct bucket *b, double *out)
{
	size_t i, m = 0, lo, hi;
	double rank;

	for (i = 0; i < b->n; i++)
		if (counts(b, i))
			b->scratch[m++] = b->p[i].v;
	if (!m)
		return 0;
	qsort(b->scratch, m, sizeof(*b->scratch), cmp_double);
	rank = b->pct * (double)(m - 1);
	lo = (size_t)floor(rank);
	if (lo > m - 1)
		lo = m - 1;
	hi = lo + 1 < m ? lo + 1 : m - 1;
	*out = lerp(b->scratch[lo], b->scratch[hi], rank - (double)lo);
	return m;
}

/* One row per method; adding a method is adding a row here.
 * empty_is_zero: a bucket without (counted) points gives 0 instead of being
 * left out. drop_zeros: points with value 0 are removed before reducing, so
 * a bucket of zeros is empty. */
static const struct method {
	const char *name;
	reduce_fn reduce;
	double pct;
	int empty_is_zero;
	int drop_zeros;
} methods[AGG__COUNT] = {
	[AGG_MEAN] = { "MEAN", reduce_mean, 0, 0, 0 },
	[AGG_MIN] = { "MIN", reduce_min, 0, 0, 0 },
	[AGG_MAX] = { "MAX", reduce_max, 0, 0, 0 },
	[AGG_SUM] = { "SUM", reduce_sum, 0, 1, 0 },
	[AGG_EVENT_COUNT] = { "EVENT_COUNT", reduce_count, 0, 1, 0 },
	[AGG_PERCENTILE_25] = { "PERCENTILE_25", reduce_percentile, 0.25, 0, 0 },
	[AGG_PERCENTILE_50] = { "PERCENTILE_50", reduce_percentile, 0.50, 0, 0 },
	[AGG_PERCENTILE_75] = { "PERCENTILE_75", reduce_percentile, 0.75, 0, 0 },
	[AGG_PERCENTILE_90] = { "PERCENTILE_90", reduce_percentile, 0.90, 0, 0 },
	[AGG_PERCENTILE_95] = { "PERCENTILE_95", reduce_percentile, 0.95, 0, 0 },
	[AGG_PERCENTILE_98] = { "PERCENTILE_98", reduce_percentile, 0.98, 0, 0 },
	[AGG_PERCENTILE_99] = { "PERCENTILE_99", reduce_percentile, 0.99, 0, 0 },
	[AGG_SUM_NO_ZEROS] = { "SUM_NO_ZEROS", reduce_sum, 0, 0, 1 },
	[AGG_EVENT_COUNT_NO_ZEROS] = { "EVENT_COUNT_NO_ZEROS", reduce_count, 0, 0, 1 },
};

enum err agg_method_parse(const char *name, enum agg_method *out)
{
	int i;

	for (i = 0; i < AGG__COUNT; i++) {
		if (strcasecmp(name, methods[i].name) == 0) {
			*out = (enum agg_method)i;
			return OK;
		}
	}
	return ERR_BAD_REQUEST;
}

const char *agg_method_name(enum agg_method m)
{
	if ((unsigned)m >= AGG__COUNT)
		return "UNKNOWN";
	return methods[m].name;
}

/* floor_div: a / b rounded towards minus infinity, for b > 0, so that
 * times before the epoch fall into the bucket that holds them. Cannot
 * overflow: only INT64_MIN / -1 could, and b > 0. */
static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	if (a % b < 0)
		q--;
	return q;
}

/* window: the bucket indexes k with start < (k+1)B <= end: first_k .. last_k
 * and their count *n (0 when none; *last_k is then meaningless). The count
 * is computed in unsigned arithmetic, where a difference of two int64 that
 * is known to be positive always fits. Returns OK, or ERR_BAD_REQUEST for a
 * bucket size that is not positive. */
static enum err window(int64_t start, int64_t end, int64_t b,
		       int64_t *first_k, int64_t *last_k, uint64_t *n)
{
	int64_t first, past;

	if (b <= 0)
		return ERR_BAD_REQUEST;
	first = floor_div(start, b);
	past = floor_div(end, b);       /* past * b <= end: first k too late */
	*first_k = first;
	if (past > first) {
		*last_k = past - 1;
		*n = (uint64_t)past - (uint64_t)first;
	} else {
		*last_k = first;
		*n = 0;
	}
	return OK;
}

/* edge: k * b, the start of bucket k. ERR_BAD_REQUEST when it is not an
 * int64 (only the first bucket of a window that starts within one bucket
 * of INT64_MIN can be there). */
static enum err edge(int64_t k, int64_t b, int64_t *t)
{
	if (__builtin_mul_overflow(k, b, t))
		return ERR_BAD_REQUEST;
	return OK;
}

enum err agg_window(int64_t start_ms, int64_t end_ms, int64_t bucket_ms,
		    int64_t *read_from_ms, uint64_t *n_buckets)
{
	int64_t first_k, last_k, from;
	uint64_t n;
	enum err rc;

	rc = window(start_ms, end_ms, bucket_ms, &first_k, &last_k, &n);
	if (rc)
		goto out;
	rc = edge(first_k, bucket_ms, &from);
	if (rc)
		goto out;
	*read_from_ms = from;
	*n_buckets = n;
out:
	return rc;
}

/* The buckets emitted so far; grows by doubling. */
struct agg_out {
	struct agg_point *a;
	size_t n, cap;
};

/* emit: appends one bucket. ERR_NOMEM leaves o as it was (the caller frees
 * it). */
static enum err emit(struct agg_out *o, double v, int64_t start, int64_t end)
{
	struct agg_point *a;
	size_t cap = o->cap ? o->cap : 64, bytes;

	if (o->n == o->cap) {
		if (o->cap && __builtin_mul_overflow(o->cap, (size_t)2, &cap))
			return ERR_NOMEM;
		if (__builtin_mul_overflow(cap, sizeof(*a), &bytes))
			return ERR_NOMEM;
		a = realloc(o->a, bytes);
		if (!a)
			return ERR_NOMEM;
		o->a = a;
		o->cap = cap;
	}
	o->a[o->n++] = (struct agg_point){ .v = v, .start_ms = start,
					   .end_ms = end };
	return OK;
}

/* aggregate: one pass over the points in the window. Methods that give 0
 * for an empty bucket walk bucket by bucket, but stop as soon as max_out
 * buckets are out, so a tiny bucket over a long window costs max_out steps
 * at most; the others jump from one point's bucket to the next, so they
 * cost O(points) whatever the window. Points are expected ascending;
 * unsorted input gives wrong buckets but never loops or reads out of
 * bounds, because k only increases. */
enum err aggregate(const struct point *pts, size_t n, int counter,
		   enum agg_method m, int64_t start_ms, int64_t end_ms,
		   int64_t bucket_ms, size_t max_out, struct agg_point **out,
		   size_t *n_out, int *partial)
{
	const struct method *row;
	struct agg_out o = { 0 };
	struct bucket bk = { 0 };
	int64_t first_k, last_k, k, pk, from, to, k_start, k_end;
	uint64_t nb;
	size_t i, j, end_i, cnt, used, bytes;
	int more = 0;
	double v;
	enum err rc;

	if ((unsigned)m >= AGG__COUNT)
		return ERR_BAD_REQUEST;
	row = &methods[m];
	rc = window(start_ms, end_ms, bucket_ms, &first_k, &last_k, &nb);
	if (rc)
		goto out;
	if (nb == 0)
		goto done;
	rc = edge(first_k, bucket_ms, &from);
	if (rc)
		goto out;
	rc = edge(last_k + 1, bucket_ms, &to);  /* <= end_ms, cannot fail */
	if (rc)
		goto out;
	points_between(pts, n, from, to - 1, &i, &cnt);
	end_i = i + cnt;

	bk.counter = counter;
	bk.drop_zeros = row->drop_zeros;
	bk.pct = row->pct;
	if (row->pct > 0 && cnt) {
		/* one scratch array as large as the largest possible bucket */
		rc = ERR_NOMEM;
		if (__builtin_mul_overflow(cnt, sizeof(double), &bytes))
			goto out;
		bk.scratch = malloc(bytes);
		if (!bk.scratch)
			goto out;
		rc = OK;
	}

	/* last_k <= INT64_MAX - 1 (its end is <= end_ms), so k++ is safe */
	for (k = first_k; k <= last_k; k++) {
		if (!row->empty_is_zero) {
			if (i == end_i)
				break;
			pk = floor_div(pts[i].t_ms, bucket_ms);
			if (pk > last_k)
				break;  /* only unsorted input gets here */
			if (pk > k)
				k = pk;
		}
		rc = edge(k, bucket_ms, &k_start);
		if (rc)
			goto out;
		rc = edge(k + 1, bucket_ms, &k_end);
		if (rc)
			goto out;
		for (j = i; j < end_i && pts[j].t_ms < k_end; j++)
			;
		bk.n = j - i;
		bk.p = bk.n ? pts + i : NULL;   /* pts may be NULL when n == 0 */
		i = j;
		used = bk.n ? row->reduce(&bk, &v) : 0;
		if (!used) {
			if (!row->empty_is_zero)
				continue;
			v = 0.0;
		}
		if (!isfinite(v))
			continue;
		if (o.n == max_out) {
			more = 1;
			break;
		}
		rc = emit(&o, v, k_start, k_end);
		if (rc)
			goto out;
	}
done:
	*out = o.a;
	*n_out = o.n;
	*partial = more;
	o.a = NULL;
out:
	free(o.a);
	free(bk.scratch);
	return rc;
}
