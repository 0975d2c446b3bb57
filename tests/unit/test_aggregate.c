/* test_aggregate.c - unit tests of aggregate.c: the bucket window, each of
 * the 14 methods on hand-computed data, empty buckets, counter streams, the
 * output cap and the cost of long windows. Doubles are compared exactly;
 * the data is chosen so that every expected value is exact in binary. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <float.h>
#include <stdlib.h>

#include "mirror/aggregate.h"

#define G(t, val) { .t_ms = (t), .v = (val) }
#define C(t, rate, increase, dt) \
	{ .t_ms = (t), .v = (rate), .inc = (increase), .dt_ms = (dt) }
#define NELEM(a) (sizeof(a) / sizeof((a)[0]))
#define YEAR_MS INT64_C(31536000000)

/* check_exact: fails with both values printed in full when got != want. */
static void check_exact(double got, double want, const char *file, int line)
{
	if (got == want)
		return;
	print_error("got %.17g, want %.17g\n", got, want);
	_fail(file, line);
}
#define assert_exact(got, want) check_exact((got), (want), __FILE__, __LINE__)

/* agg: aggregate() that must succeed; returns the bucket count, the buckets
 * in *out (the caller frees them) and the partial flag in *partial. */
static size_t agg(const struct point *p, size_t n, int counter,
		  enum agg_method m, int64_t start, int64_t end, int64_t b,
		  size_t max_out, struct agg_point **out, int *partial)
{
	size_t n_out = 12345;
	int part = 7;

	*out = NULL;
	assert_int_equal(aggregate(p, n, counter, m, start, end, b, max_out,
				   out, &n_out, &part), OK);
	assert_true(part == 0 || part == 1);
	if (partial)
		*partial = part;
	return n_out;
}

/* one: the value of a window that must give exactly one bucket. */
static double one(const struct point *p, size_t n, int counter,
		  enum agg_method m, int64_t start, int64_t end, int64_t b)
{
	struct agg_point *out;
	double v;

	assert_int_equal(agg(p, n, counter, m, start, end, b, 100, &out, NULL),
			 1);
	v = out[0].v;
	free(out);
	return v;
}

/* window_ok: agg_window must give exactly this read-from and count. */
static void window_ok(int64_t start, int64_t end, int64_t b, int64_t from,
		      uint64_t count)
{
	int64_t got_from = 0;
	uint64_t got_count = 0;

	assert_int_equal(agg_window(start, end, b, &got_from, &got_count), OK);
	assert_int_equal(got_count, count);
	assert_int_equal(got_from, from);
}

/* window_bad: agg_window must refuse and leave its outputs alone. */
static void window_bad(int64_t start, int64_t end, int64_t b)
{
	int64_t from = 42;
	uint64_t count = 42;

	assert_int_equal(agg_window(start, end, b, &from, &count),
			 ERR_BAD_REQUEST);
	assert_int_equal(from, 42);
	assert_int_equal(count, 42);
}

static void test_aggregate_method_names_are_case_insensitive(void **state)
{
	enum agg_method m = AGG_MEAN;

	(void)state;
	assert_int_equal(agg_method_parse("percentile_99", &m), OK);
	assert_int_equal(m, AGG_PERCENTILE_99);
	assert_int_equal(agg_method_parse("Event_Count_No_Zeros", &m), OK);
	assert_int_equal(m, AGG_EVENT_COUNT_NO_ZEROS);
	assert_int_equal(agg_method_parse("MEDIAN", &m), ERR_BAD_REQUEST);
	assert_int_equal(m, AGG_EVENT_COUNT_NO_ZEROS);
	assert_string_equal(agg_method_name(AGG_SUM_NO_ZEROS), "SUM_NO_ZEROS");
}

static void test_aggregate_window_starts_on_a_boundary(void **state)
{
	(void)state;
	/* 1000 < (k+1)*1000 <= 4000: k = 1, 2, 3 */
	window_ok(1000, 4000, 1000, 1000, 3);
	/* the first bucket begins before a start that is not on a boundary */
	window_ok(1500, 4000, 1000, 1000, 3);
	window_ok(999, 4000, 1000, 0, 4);
}

static void test_aggregate_window_ends_on_a_boundary(void **state)
{
	(void)state;
	window_ok(1000, 4000, 1000, 1000, 3);
	window_ok(1000, 4999, 1000, 1000, 3);   /* [4000, 5000) incomplete */
	window_ok(1000, 3999, 1000, 1000, 2);
}

static void test_aggregate_window_of_one_instant_is_empty(void **state)
{
	(void)state;
	window_ok(2000, 2000, 1000, 2000, 0);
	window_ok(2500, 2500, 1000, 2000, 0);
}

static void test_aggregate_window_shorter_than_a_bucket(void **state)
{
	(void)state;
	window_ok(1100, 1900, 1000, 1000, 0);
	/* short, but the end is a bucket end: that bucket is complete */
	window_ok(1900, 2000, 1000, 1000, 1);
}

static void test_aggregate_window_uses_floor_for_negative_times(void **state)
{
	(void)state;
	/* buckets [-3000, -2000) and [-2000, -1000) */
	window_ok(-2500, -500, 1000, -3000, 2);
	window_ok(-3000, -1000, 1000, -3000, 2);
	window_ok(-1, 1, 1, -1, 2);
}

static void test_aggregate_window_at_the_int64_limits(void **state)
{
	(void)state;
	window_ok(INT64_MAX - 5000, INT64_MAX, 1000,
		  INT64_C(9223372036854770000), 5);
	window_ok(INT64_MIN, INT64_MAX, 1, INT64_MIN, UINT64_MAX);
	window_ok(0, INT64_MAX, INT64_MAX, 0, 1);
	window_ok(-1, INT64_MAX, INT64_MAX, -INT64_MAX, 2);
}

static void test_aggregate_window_rejects_a_start_below_int64_min(void **state)
{
	(void)state;
	/* the first bucket would start before INT64_MIN */
	window_bad(INT64_MIN, 0, 1000);
	window_bad(INT64_MIN, INT64_MAX, INT64_MAX);
	window_bad(INT64_MIN + 1, INT64_MAX, INT64_MAX - 1);
}

static void test_aggregate_window_rejects_a_bucket_that_is_not_positive(void **state)
{
	struct agg_point *out = (struct agg_point *)1;
	size_t n = 5;
	int partial = 5;

	(void)state;
	window_bad(0, 1000, 0);
	window_bad(0, 1000, -1000);
	assert_int_equal(aggregate(NULL, 0, 0, AGG_SUM, 0, 1000, 0, 10, &out,
				   &n, &partial), ERR_BAD_REQUEST);
	assert_int_equal(aggregate(NULL, 0, 0, AGG__COUNT, 0, 1000, 10, 10,
				   &out, &n, &partial), ERR_BAD_REQUEST);
	assert_ptr_equal(out, (struct agg_point *)1);
	assert_int_equal(n, 5);
	assert_int_equal(partial, 5);
}

/* One bucket [0, 1000) holding 20, 0, 40, 0, 10, 50 in this time order.
 * Sorted: 0 0 10 20 40 50, so percentile p has rank 5p: 25 -> 1.25 gives
 * 0 + 10 * .25; 50 -> 2.5 gives 10 + 10 * .5; 75 -> 3.75 gives
 * 20 + 20 * .75; 90 -> 4.5, 95 -> 4.75, 98 -> 4.9, 99 -> 4.95 all lie
 * between 40 and 50. */
static const struct point mixed[] = { G(100, 20), G(200, 0), G(300, 40),
				      G(400, 0), G(500, 10), G(600, 50) };

static const struct {
	enum agg_method m;
	double want;
} mixed_want[] = {
	{ AGG_MEAN, 20.0 },             /* 120 / 6 */
	{ AGG_MIN, 0.0 },
	{ AGG_MAX, 50.0 },
	{ AGG_SUM, 120.0 },
	{ AGG_EVENT_COUNT, 6.0 },
	{ AGG_PERCENTILE_25, 2.5 },
	{ AGG_PERCENTILE_50, 15.0 },
	{ AGG_PERCENTILE_75, 35.0 },
	{ AGG_PERCENTILE_90, 45.0 },
	{ AGG_PERCENTILE_95, 47.5 },
	{ AGG_PERCENTILE_98, 49.0 },
	{ AGG_PERCENTILE_99, 49.5 },
	{ AGG_SUM_NO_ZEROS, 120.0 },
	{ AGG_EVENT_COUNT_NO_ZEROS, 4.0 },
};

static void test_aggregate_every_method_on_one_bucket(void **state)
{
	struct agg_point *out;
	size_t i;

	(void)state;
	assert_int_equal(NELEM(mixed_want), AGG__COUNT);
	for (i = 0; i < NELEM(mixed_want); i++) {
		print_message("%s\n", agg_method_name(mixed_want[i].m));
		assert_int_equal(agg(mixed, NELEM(mixed), 0, mixed_want[i].m,
				     0, 1000, 1000, 10, &out, NULL), 1);
		assert_exact(out[0].v, mixed_want[i].want);
		assert_int_equal(out[0].start_ms, 0);
		assert_int_equal(out[0].end_ms, 1000);
		free(out);
	}
}

static const enum agg_method percentiles[] = {
	AGG_PERCENTILE_25, AGG_PERCENTILE_50, AGG_PERCENTILE_75,
	AGG_PERCENTILE_90, AGG_PERCENTILE_95, AGG_PERCENTILE_98,
	AGG_PERCENTILE_99,
};

static void test_aggregate_percentile_of_one_value_is_that_value(void **state)
{
	const struct point p[] = { G(10, 7.25) };
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(percentiles); i++)
		assert_exact(one(p, 1, 0, percentiles[i], 0, 1000, 1000), 7.25);
}

static void test_aggregate_percentile_interpolates_between_two(void **state)
{
	/* rank p * 1 between 100 and 200: 100 + 100 p */
	const struct point p[] = { G(10, 200), G(20, 100) };
	const double want[] = { 125, 150, 175, 190, 195, 198, 199 };
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(percentiles); i++)
		assert_exact(one(p, 2, 0, percentiles[i], 0, 1000, 1000),
			     want[i]);
}

static void test_aggregate_percentile_interpolates_between_five(void **state)
{
	/* sorted 10 20 30 40 50, rank 4p: 1, 2, 3, 3.6, 3.8, 3.92, 3.96 */
	const struct point p[] = { G(10, 50), G(20, 10), G(30, 40), G(40, 30),
				   G(50, 20) };
	const double want[] = { 20, 30, 40, 46, 48, 49.2, 49.6 };
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(percentiles); i++)
		assert_exact(one(p, 5, 0, percentiles[i], 0, 1000, 1000),
			     want[i]);
}

static void test_aggregate_percentile_of_equal_values_follows_prometheus_arithmetic(void **state)
{
	/* 0.9 is not exact in binary: at rank 3.6 Prometheus' weighted form
	 * 0.9 * 0.4 + 0.9 * 0.6 gives 0.9000000000000001, and the spec makes
	 * quantile_over_time the reference, so that is the expected value */
	const struct point p[] = { G(10, 0.9), G(20, 0.9), G(30, 0.9),
				   G(40, 0.9), G(50, 0.9) };
	/* what quantile_over_time's v[lo]*(1-w) + v[hi]*w gives for these */
	const double want[] = { 0.9, 0.9, 0.9, 0.9000000000000001, 0.9, 0.9, 0.9 };
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(percentiles); i++)
		assert_exact(one(p, 5, 0, percentiles[i], 0, 1000, 1000), want[i]);
}

static void test_aggregate_percentile_of_extremes_stays_finite(void **state)
{
	/* hi - lo overflows; the answer between them does not */
	const struct point p[] = { G(10, -DBL_MAX), G(20, DBL_MAX) };

	(void)state;
	assert_exact(one(p, 2, 0, AGG_PERCENTILE_50, 0, 1000, 1000), 0.0);
}

static void test_aggregate_empty_buckets_are_zero_or_left_out(void **state)
{
	/* three buckets; points only in the middle one */
	const struct point p[] = { G(1500, 4), G(1600, 2) };
	struct agg_point *out;
	size_t n;
	int m;

	(void)state;
	for (m = 0; m < AGG__COUNT; m++) {
		print_message("%s\n", agg_method_name((enum agg_method)m));
		n = agg(p, NELEM(p), 0, (enum agg_method)m, 0, 3000, 1000, 10,
			&out, NULL);
		if (m == AGG_SUM || m == AGG_EVENT_COUNT) {
			assert_int_equal(n, 3);
			assert_exact(out[0].v, 0.0);
			assert_int_equal(out[0].start_ms, 0);
			assert_exact(out[2].v, 0.0);
			assert_int_equal(out[2].end_ms, 3000);
			assert_int_equal(out[1].start_ms, 1000);
		} else {
			assert_int_equal(n, 1);
			assert_int_equal(out[0].start_ms, 1000);
			assert_int_equal(out[0].end_ms, 2000);
		}
		free(out);
	}
}

static void test_aggregate_no_points_at_all(void **state)
{
	struct agg_point *out;
	int partial = 1;

	(void)state;
	assert_int_equal(agg(NULL, 0, 0, AGG_MEAN, 0, 5000, 1000, 10, &out,
			     &partial), 0);
	assert_null(out);
	assert_int_equal(partial, 0);
	assert_int_equal(agg(NULL, 0, 0, AGG_EVENT_COUNT, 0, 5000, 1000, 10,
			     &out, &partial), 5);
	assert_exact(out[4].v, 0.0);
	assert_int_equal(partial, 0);
	free(out);
}

static void test_aggregate_no_zeros_leave_out_a_bucket_of_zeros(void **state)
{
	const struct point p[] = { G(100, 0), G(200, 0), G(1100, 3),
				   G(1200, 0) };
	struct agg_point *out;

	(void)state;
	assert_int_equal(agg(p, NELEM(p), 0, AGG_SUM_NO_ZEROS, 0, 2000, 1000,
			     10, &out, NULL), 1);
	assert_int_equal(out[0].start_ms, 1000);
	assert_exact(out[0].v, 3.0);
	free(out);
	assert_int_equal(agg(p, NELEM(p), 0, AGG_EVENT_COUNT_NO_ZEROS, 0, 2000,
			     1000, 10, &out, NULL), 1);
	assert_int_equal(out[0].start_ms, 1000);
	assert_exact(out[0].v, 1.0);
	free(out);
	/* the plain methods do see the zeros */
	assert_int_equal(agg(p, NELEM(p), 0, AGG_EVENT_COUNT, 0, 2000, 1000,
			     10, &out, NULL), 2);
	assert_exact(out[0].v, 2.0);
	free(out);
	assert_exact(one(p, 2, 0, AGG_SUM, 0, 1000, 1000), 0.0);
	assert_exact(one(p, 2, 0, AGG_MEAN, 0, 1000, 1000), 0.0);
}

/* A counter sampled every 15 s, look-back at -10 s: 100, then 130, 190,
 * a reset to 15, then 30. Increments 30, 60, 15, 15 (120 in all) over
 * 15 + 15 + 15 + 15 s, rates 2, 4, 1, 1. */
static const struct point counter_raw[] = { G(-10000, 100), G(5000, 130),
					    G(20000, 190), G(35000, 15),
					    G(50000, 30) };

static void test_aggregate_counter_sum_is_the_increase_across_a_reset(void **state)
{
	struct point *r = NULL;
	size_t n = 0;

	(void)state;
	assert_int_equal(points_counter_rates(counter_raw, NELEM(counter_raw),
					      0, &r, &n), OK);
	assert_int_equal(n, 4);
	assert_exact(one(r, n, 1, AGG_SUM, 0, 60000, 60000), 120.0);
	assert_exact(one(r, n, 1, AGG_SUM_NO_ZEROS, 0, 60000, 60000), 120.0);
	/* read as a gauge, the same points sum their rates */
	assert_exact(one(r, n, 0, AGG_SUM, 0, 60000, 60000), 8.0);
	free(r);
}

static void test_aggregate_counter_mean_is_the_time_weighted_rate(void **state)
{
	/* 100 -> 140 in 10 s (rate 4), then a reset to 30 in 30 s (rate 1):
	 * 70 over 40 s is 1.75, where the plain mean of the rates is 2.5 */
	const struct point raw[] = { G(-5000, 100), G(5000, 140),
				     G(35000, 30) };
	struct point *r = NULL;
	size_t n = 0;

	(void)state;
	assert_int_equal(points_counter_rates(raw, NELEM(raw), 0, &r, &n), OK);
	assert_int_equal(n, 2);
	assert_exact(one(r, n, 1, AGG_MEAN, 0, 60000, 60000), 1.75);
	assert_exact(one(r, n, 1, AGG_SUM, 0, 60000, 60000), 70.0);
	assert_exact(one(r, n, 0, AGG_MEAN, 0, 60000, 60000), 2.5);
	free(r);
}

static void test_aggregate_counter_other_methods_read_the_rates(void **state)
{
	/* rates 2, 4, 1, 1 and a zero rate; increments differ from rates */
	const struct point p[] = { C(5000, 2, 30, 15000), C(20000, 4, 60, 15000),
				   C(35000, 1, 15, 15000), C(50000, 1, 15, 15000),
				   C(55000, 0, 0, 5000) };

	(void)state;
	assert_exact(one(p, 5, 1, AGG_MIN, 0, 60000, 60000), 0.0);
	assert_exact(one(p, 5, 1, AGG_MAX, 0, 60000, 60000), 4.0);
	assert_exact(one(p, 5, 1, AGG_EVENT_COUNT, 0, 60000, 60000), 5.0);
	assert_exact(one(p, 5, 1, AGG_EVENT_COUNT_NO_ZEROS, 0, 60000, 60000),
		     4.0);
	assert_exact(one(p, 5, 1, AGG_PERCENTILE_50, 0, 60000, 60000), 1.0);
	assert_exact(one(p, 5, 1, AGG_SUM_NO_ZEROS, 0, 60000, 60000), 120.0);
	assert_exact(one(p, 5, 1, AGG_MEAN, 0, 60000, 60000), 120.0 / 65.0);
}

static void test_aggregate_point_on_a_boundary_joins_the_later_bucket(void **state)
{
	/* 999 before read_from: ignored; 3000 is the end of the last
	 * bucket: ignored; 1000 and 2000 open their buckets */
	const struct point p[] = { G(999, 100), G(1000, 1), G(1999, 2),
				   G(2000, 4), G(3000, 100) };
	struct agg_point *out;

	(void)state;
	assert_int_equal(agg(p, NELEM(p), 0, AGG_SUM, 1000, 3500, 1000, 10,
			     &out, NULL), 2);
	assert_int_equal(out[0].start_ms, 1000);
	assert_int_equal(out[0].end_ms, 2000);
	assert_exact(out[0].v, 3.0);
	assert_int_equal(out[1].start_ms, 2000);
	assert_exact(out[1].v, 4.0);
	free(out);
}

static void test_aggregate_buckets_before_the_epoch(void **state)
{
	const struct point p[] = { G(-2500, 1), G(-1500, 2), G(-1000, 4),
				   G(-1, 8) };
	struct agg_point *out;

	(void)state;
	assert_int_equal(agg(p, NELEM(p), 0, AGG_MAX, -2500, 0, 1000, 10, &out,
			     NULL), 3);
	assert_int_equal(out[0].start_ms, -3000);
	assert_exact(out[0].v, 1.0);
	assert_int_equal(out[1].start_ms, -2000);
	assert_exact(out[1].v, 2.0);
	assert_int_equal(out[2].start_ms, -1000);
	assert_int_equal(out[2].end_ms, 0);
	assert_exact(out[2].v, 8.0);
	free(out);
}

static void test_aggregate_non_finite_results_are_left_out(void **state)
{
	const struct point p[] = { G(100, DBL_MAX), G(200, DBL_MAX),
				   G(1100, 1) };
	struct agg_point *out;

	(void)state;
	/* the sum overflows: left out, even for a method that fills 0 */
	assert_int_equal(agg(p, NELEM(p), 0, AGG_SUM, 0, 2000, 1000, 10, &out,
			     NULL), 1);
	assert_int_equal(out[0].start_ms, 1000);
	free(out);
	assert_int_equal(agg(p, NELEM(p), 0, AGG_MEAN, 0, 2000, 1000, 10, &out,
			     NULL), 1);
	assert_int_equal(out[0].start_ms, 1000);
	free(out);
	assert_exact(one(p, 2, 0, AGG_MAX, 0, 1000, 1000), DBL_MAX);
}

static void test_aggregate_cap_sets_partial_when_more_follow(void **state)
{
	const struct point p[] = { G(500, 1), G(4500, 2), G(8500, 3) };
	struct agg_point *out;
	int partial = 0;

	(void)state;
	/* SUM: ten buckets, three fit */
	assert_int_equal(agg(p, NELEM(p), 0, AGG_SUM, 0, 10000, 1000, 3, &out,
			     &partial), 3);
	assert_int_equal(partial, 1);
	assert_int_equal(out[2].end_ms, 3000);
	free(out);
	assert_int_equal(agg(p, NELEM(p), 0, AGG_SUM, 0, 10000, 1000, 10, &out,
			     &partial), 10);
	assert_int_equal(partial, 0);
	free(out);
	/* MAX: only the three emitted buckets count against the cap */
	assert_int_equal(agg(p, NELEM(p), 0, AGG_MAX, 0, 10000, 1000, 3, &out,
			     &partial), 3);
	assert_int_equal(partial, 0);
	free(out);
	assert_int_equal(agg(p, NELEM(p), 0, AGG_MAX, 0, 10000, 1000, 2, &out,
			     &partial), 2);
	assert_int_equal(partial, 1);
	assert_int_equal(out[1].start_ms, 4000);
	free(out);
	assert_int_equal(agg(p, NELEM(p), 0, AGG_MAX, 0, 10000, 1000, 0, &out,
			     &partial), 0);
	assert_int_equal(partial, 1);
	assert_null(out);
	/* nothing to emit: a cap of 0 is not partial */
	assert_int_equal(agg(p, NELEM(p), 0, AGG_MAX, 10000, 20000, 1000, 0,
			     &out, &partial), 0);
	assert_int_equal(partial, 0);
}

static void test_aggregate_tiny_buckets_over_a_year_stop_at_the_cap(void **state)
{
	const struct point p[] = { G(5, 1), G(YEAR_MS / 2, 2),
				   G(YEAR_MS - 7, 3) };
	struct agg_point *out;
	int partial = 0;

	(void)state;
	/* 3e10 buckets; walking them all would not finish in time */
	assert_int_equal(agg(p, NELEM(p), 0, AGG_SUM, 0, YEAR_MS, 1, 1000,
			     &out, &partial), 1000);
	assert_int_equal(partial, 1);
	assert_exact(out[5].v, 1.0);
	assert_exact(out[999].v, 0.0);
	assert_int_equal(out[999].start_ms, 999);
	free(out);
}

static void test_aggregate_tiny_buckets_over_a_year_skip_empty_ones(void **state)
{
	const struct point p[] = { G(5, 1), G(YEAR_MS / 2, 2),
				   G(YEAR_MS - 7, 3) };
	struct agg_point *out;
	int partial = 1;
	int m;

	(void)state;
	for (m = 0; m < AGG__COUNT; m++) {
		if (m == AGG_SUM || m == AGG_EVENT_COUNT)
			continue;
		assert_int_equal(agg(p, NELEM(p), 0, (enum agg_method)m, 0,
				     YEAR_MS, 1, 1000000, &out, &partial), 3);
		assert_int_equal(partial, 0);
		assert_int_equal(out[1].start_ms, YEAR_MS / 2);
		assert_int_equal(out[1].end_ms, YEAR_MS / 2 + 1);
		assert_int_equal(out[2].start_ms, YEAR_MS - 7);
		free(out);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_aggregate_method_names_are_case_insensitive),
		cmocka_unit_test(test_aggregate_window_starts_on_a_boundary),
		cmocka_unit_test(test_aggregate_window_ends_on_a_boundary),
		cmocka_unit_test(test_aggregate_window_of_one_instant_is_empty),
		cmocka_unit_test(test_aggregate_window_shorter_than_a_bucket),
		cmocka_unit_test(test_aggregate_window_uses_floor_for_negative_times),
		cmocka_unit_test(test_aggregate_window_at_the_int64_limits),
		cmocka_unit_test(test_aggregate_window_rejects_a_start_below_int64_min),
		cmocka_unit_test(test_aggregate_window_rejects_a_bucket_that_is_not_positive),
		cmocka_unit_test(test_aggregate_every_method_on_one_bucket),
		cmocka_unit_test(test_aggregate_percentile_of_one_value_is_that_value),
		cmocka_unit_test(test_aggregate_percentile_interpolates_between_two),
		cmocka_unit_test(test_aggregate_percentile_interpolates_between_five),
		cmocka_unit_test(test_aggregate_percentile_of_equal_values_follows_prometheus_arithmetic),
		cmocka_unit_test(test_aggregate_percentile_of_extremes_stays_finite),
		cmocka_unit_test(test_aggregate_empty_buckets_are_zero_or_left_out),
		cmocka_unit_test(test_aggregate_no_points_at_all),
		cmocka_unit_test(test_aggregate_no_zeros_leave_out_a_bucket_of_zeros),
		cmocka_unit_test(test_aggregate_counter_sum_is_the_increase_across_a_reset),
		cmocka_unit_test(test_aggregate_counter_mean_is_the_time_weighted_rate),
		cmocka_unit_test(test_aggregate_counter_other_methods_read_the_rates),
		cmocka_unit_test(test_aggregate_point_on_a_boundary_joins_the_later_bucket),
		cmocka_unit_test(test_aggregate_buckets_before_the_epoch),
		cmocka_unit_test(test_aggregate_non_finite_results_are_left_out),
		cmocka_unit_test(test_aggregate_cap_sets_partial_when_more_follow),
		cmocka_unit_test(test_aggregate_tiny_buckets_over_a_year_stop_at_the_cap),
		cmocka_unit_test(test_aggregate_tiny_buckets_over_a_year_skip_empty_ones),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
