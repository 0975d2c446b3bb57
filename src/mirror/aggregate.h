/* aggregate.h - epoch-aligned buckets and the 14 aggregation methods of
 * spec 4.3, computed over a stream of points. */
#ifndef MIRROR_AGGREGATE_H
#define MIRROR_AGGREGATE_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "mirror/points.h"

enum agg_method {
	AGG_MEAN,
	AGG_MIN,
	AGG_MAX,
	AGG_SUM,
	AGG_EVENT_COUNT,
	AGG_PERCENTILE_25,
	AGG_PERCENTILE_50,
	AGG_PERCENTILE_75,
	AGG_PERCENTILE_90,
	AGG_PERCENTILE_95,
	AGG_PERCENTILE_98,
	AGG_PERCENTILE_99,
	AGG_SUM_NO_ZEROS,
	AGG_EVENT_COUNT_NO_ZEROS,
	AGG__COUNT
};

struct agg_point {
	double v;
	int64_t start_ms;       /* bucket start, kB */
	int64_t end_ms;         /* bucket end, (k+1)B */
};

/* agg_method_parse: case-insensitive name ("mean", "PERCENTILE_99") to
 * method. Returns OK or ERR_BAD_REQUEST. */
enum err agg_method_parse(const char *name, enum agg_method *out);

/* agg_method_name: the canonical upper-case name. */
const char *agg_method_name(enum agg_method m);

/* agg_window: the buckets [kB, (k+1)B) with start < (k+1)B <= end.
 * Sets *read_from_ms to the first bucket's start (where the stream must be
 * read from) and *n_buckets to their count (0 when none fits). B > 0;
 * negative times use floor division. Returns OK or ERR_BAD_REQUEST when the
 * arithmetic would overflow. */
enum err agg_window(int64_t start_ms, int64_t end_ms, int64_t bucket_ms,
		    int64_t *read_from_ms, uint64_t *n_buckets);

/* aggregate: applies method m to the points (ascending t, already past the
 * NaN/Inf rules) bucket by bucket. counter != 0 means the points are rates
 * of a counter stream (inc and dt_ms set): SUM/SUM_NO_ZEROS add increments,
 * MEAN is the time-weighted rate. Empty buckets: SUM and EVENT_COUNT give 0,
 * the others are left out, as is any non-finite result. At most max_out
 * buckets are returned, and *partial is set when more would follow.
 * *out is malloc'd (free() it), set only on OK. */
enum err aggregate(const struct point *pts, size_t n, int counter,
		   enum agg_method m, int64_t start_ms, int64_t end_ms,
		   int64_t bucket_ms, size_t max_out, struct agg_point **out,
		   size_t *n_out, int *partial);

#endif
