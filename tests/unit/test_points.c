/* test_points.c - unit tests of points.c: growing series and sets, counter
 * rates (resets, the look-back sample, NaN), the NaN/Inf rules and the
 * search for a time range. Doubles are compared exactly: every expected
 * value is chosen so that it is exact in binary. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>

#include "mirror/points.h"

#define P(t, val) { .t_ms = (t), .v = (val) }
#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* check_exact: fails with both values printed in full when got != want. */
static void check_exact(double got, double want, const char *file, int line)
{
	if (got == want)
		return;
	print_error("got %.17g, want %.17g\n", got, want);
	_fail(file, line);
}
#define assert_exact(got, want) check_exact((got), (want), __FILE__, __LINE__)

static void test_points_push_grows_and_keeps_order(void **state)
{
	struct series s = { 0 };
	size_t i;

	(void)state;
	for (i = 0; i < 1000; i++)
		assert_int_equal(series_push(&s, (int64_t)i * 15000, (double)i), OK);
	assert_int_equal(s.n, 1000);
	assert_true(s.cap >= s.n);
	for (i = 0; i < 1000; i++) {
		assert_int_equal(s.pts[i].t_ms, (int64_t)i * 15000);
		assert_exact(s.pts[i].v, (double)i);
		assert_exact(s.pts[i].inc, 0.0);
		assert_int_equal(s.pts[i].dt_ms, 0);
	}
	free(s.pts);
}

static void test_points_set_add_takes_its_own_label_reference(void **state)
{
	struct series_set set = { 0 };
	struct series *s = NULL;
	json_t *labels = json_pack("{ss}", "job", "node");
	size_t i;

	(void)state;
	assert_non_null(labels);
	for (i = 0; i < 40; i++) {      /* more than one growth step */
		assert_int_equal(series_set_add(&set, labels, &s), OK);
		assert_ptr_equal(s, &set.items[i]);
		assert_ptr_equal(s->labels, labels);
		assert_int_equal(s->n, 0);
	}
	assert_int_equal(set.n, 40);
	assert_int_equal(labels->refcount, 41);
	assert_int_equal(series_push(&set.items[3], 1, 2.0), OK);
	series_set_free(&set);
	assert_int_equal(labels->refcount, 1);
	assert_null(set.items);
	assert_int_equal(set.n, 0);
	json_decref(labels);
}

static void test_points_set_free_accepts_null_and_empty_sets(void **state)
{
	struct series_set set = { 0 };

	(void)state;
	series_set_free(NULL);
	series_set_free(&set);
	series_set_free(&set);  /* a freed set is empty, freeing it again is fine */
	assert_int_equal(set.n, 0);
}

static void test_points_counter_rates_are_increase_per_second(void **state)
{
	const struct point raw[] = { P(0, 10), P(15000, 40), P(45000, 100) };
	struct point *r = NULL;
	size_t n = 99;

	(void)state;
	assert_int_equal(points_counter_rates(raw, NELEM(raw), 0, &r, &n), OK);
	assert_int_equal(n, 2);         /* the first sample has no predecessor */
	assert_int_equal(r[0].t_ms, 15000);
	assert_exact(r[0].v, 2.0);      /* 30 over 15 s */
	assert_exact(r[0].inc, 30.0);
	assert_int_equal(r[0].dt_ms, 15000);
	assert_int_equal(r[1].t_ms, 45000);
	assert_exact(r[1].v, 2.0);      /* 60 over 30 s */
	assert_exact(r[1].inc, 60.0);
	assert_int_equal(r[1].dt_ms, 30000);
	free(r);
}

static void test_points_counter_rates_count_a_reset_from_zero(void **state)
{
	const struct point raw[] = { P(0, 100), P(10000, 150), P(20000, 30),
				     P(30000, 30) };
	struct point *r = NULL;
	size_t n = 0;

	(void)state;
	assert_int_equal(points_counter_rates(raw, NELEM(raw), 0, &r, &n), OK);
	assert_int_equal(n, 3);
	assert_exact(r[0].inc, 50.0);
	assert_exact(r[1].inc, 30.0);   /* 150 -> 30: reset, increase is 30 */
	assert_exact(r[1].v, 3.0);
	assert_exact(r[2].inc, 0.0);    /* unchanged: no reset, rate 0 */
	assert_exact(r[2].v, 0.0);
	free(r);
}

static void test_points_counter_rates_use_the_lookback_sample(void **state)
{
	/* from_ms = 60000; the samples at 20000 and 50000 come before it */
	const struct point raw[] = { P(20000, 1), P(50000, 4), P(60000, 24),
				     P(70000, 44) };
	struct point *r = NULL;
	size_t n = 0;

	(void)state;
	assert_int_equal(points_counter_rates(raw, NELEM(raw), 60000, &r, &n),
			 OK);
	assert_int_equal(n, 2);
	assert_int_equal(r[0].t_ms, 60000);     /* from_ms itself is in */
	assert_exact(r[0].v, 2.0);              /* against the look-back */
	assert_int_equal(r[0].dt_ms, 10000);
	assert_int_equal(r[1].t_ms, 70000);
	free(r);
}

static void test_points_counter_rates_of_too_few_samples_are_empty(void **state)
{
	const struct point one[] = { P(5000, 3) };
	const struct point before[] = { P(1000, 3), P(2000, 4) };
	struct point *r = (struct point *)1;
	size_t n = 99;

	(void)state;
	assert_int_equal(points_counter_rates(NULL, 0, 0, &r, &n), OK);
	assert_null(r);
	assert_int_equal(n, 0);
	assert_int_equal(points_counter_rates(one, 1, 0, &r, &n), OK);
	assert_null(r);
	assert_int_equal(n, 0);
	/* all samples before from_ms: only look-back material, no point */
	assert_int_equal(points_counter_rates(before, 2, 3000, &r, &n), OK);
	assert_null(r);
	assert_int_equal(n, 0);
}

static void test_points_counter_rates_propagate_nan(void **state)
{
	const struct point raw[] = { P(0, 1), P(1000, NAN), P(2000, 5),
				     P(3000, 7) };
	struct point *r = NULL;
	size_t n = 0;

	(void)state;
	assert_int_equal(points_counter_rates(raw, NELEM(raw), 0, &r, &n), OK);
	assert_int_equal(n, 3);
	assert_true(isnan(r[0].v) && isnan(r[0].inc));  /* NaN sample */
	assert_true(isnan(r[1].v) && isnan(r[1].inc));  /* NaN predecessor */
	assert_exact(r[2].v, 2.0);
	free(r);
}

static void test_points_counter_rates_skip_a_repeated_timestamp(void **state)
{
	const struct point raw[] = { P(0, 1), P(1000, 3), P(1000, 4),
				     P(2000, 6) };
	struct point *r = NULL;
	size_t n = 0;

	(void)state;
	assert_int_equal(points_counter_rates(raw, NELEM(raw), 0, &r, &n), OK);
	assert_int_equal(n, 2);
	assert_int_equal(r[0].t_ms, 1000);
	assert_exact(r[0].v, 2.0);
	assert_int_equal(r[1].t_ms, 2000);
	assert_exact(r[1].inc, 2.0);    /* measured against the repeat */
	free(r);
}

static void test_points_nan_becomes_zero_when_interpreted_as_zero(void **state)
{
	struct point p[] = { P(1, 1), P(2, NAN), P(3, 3) };

	(void)state;
	p[1].inc = NAN;
	assert_int_equal(points_apply_nan(p, 3, 1), 3);
	assert_int_equal(p[1].t_ms, 2);
	assert_exact(p[1].v, 0.0);
	assert_exact(p[1].inc, 0.0);
	assert_exact(p[2].v, 3.0);
}

static void test_points_nan_is_dropped_when_interpreted_as_none(void **state)
{
	struct point p[] = { P(1, NAN), P(2, 2), P(3, NAN), P(4, 4) };

	(void)state;
	assert_int_equal(points_apply_nan(p, 4, 0), 2);
	assert_int_equal(p[0].t_ms, 2);
	assert_int_equal(p[1].t_ms, 4);
}

static void test_points_infinities_are_dropped_either_way(void **state)
{
	struct point a[] = { P(1, INFINITY), P(2, 2), P(3, -INFINITY) };
	struct point b[] = { P(1, INFINITY), P(2, 2), P(3, -INFINITY) };

	(void)state;
	assert_int_equal(points_apply_nan(a, 3, 1), 1);
	assert_int_equal(a[0].t_ms, 2);
	assert_int_equal(points_apply_nan(b, 3, 0), 1);
	assert_int_equal(b[0].t_ms, 2);
}

static void test_points_non_finite_increment_is_dropped(void **state)
{
	struct point p[] = { P(1, 1), P(2, 2) };

	(void)state;
	p[0].inc = INFINITY;
	assert_int_equal(points_apply_nan(p, 2, 1), 1);
	assert_int_equal(p[0].t_ms, 2);
	assert_int_equal(points_apply_nan(NULL, 0, 1), 0);
}

static const struct point grid[] = { P(10, 0), P(20, 0), P(20, 0), P(30, 0),
				     P(40, 0) };

/* between: runs points_between over grid and checks both outputs. */
static void between(int64_t from, int64_t to, size_t want_first,
		    size_t want_count)
{
	size_t first = 99, count = 99;

	points_between(grid, NELEM(grid), from, to, &first, &count);
	assert_int_equal(count, want_count);
	assert_int_equal(first, want_first);
}

static void test_points_between_includes_both_ends(void **state)
{
	(void)state;
	between(20, 30, 1, 3);
	between(10, 40, 0, 5);
	between(11, 39, 1, 3);
	between(40, 40, 4, 1);
}

static void test_points_between_handles_ranges_outside_the_data(void **state)
{
	(void)state;
	between(INT64_MIN, INT64_MAX, 0, 5);
	between(0, 9, 0, 0);
	between(41, 100, 5, 0);
	between(21, 29, 3, 0);          /* a gap: where it would be inserted */
	between(30, 20, 3, 0);          /* from after to */
	between(INT64_MAX, INT64_MAX, 5, 0);
}

static void test_points_between_of_nothing_is_empty(void **state)
{
	size_t first = 99, count = 99;

	(void)state;
	points_between(NULL, 0, 0, 100, &first, &count);
	assert_int_equal(first, 0);
	assert_int_equal(count, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_points_push_grows_and_keeps_order),
		cmocka_unit_test(test_points_set_add_takes_its_own_label_reference),
		cmocka_unit_test(test_points_set_free_accepts_null_and_empty_sets),
		cmocka_unit_test(test_points_counter_rates_are_increase_per_second),
		cmocka_unit_test(test_points_counter_rates_count_a_reset_from_zero),
		cmocka_unit_test(test_points_counter_rates_use_the_lookback_sample),
		cmocka_unit_test(test_points_counter_rates_of_too_few_samples_are_empty),
		cmocka_unit_test(test_points_counter_rates_propagate_nan),
		cmocka_unit_test(test_points_counter_rates_skip_a_repeated_timestamp),
		cmocka_unit_test(test_points_nan_becomes_zero_when_interpreted_as_zero),
		cmocka_unit_test(test_points_nan_is_dropped_when_interpreted_as_none),
		cmocka_unit_test(test_points_infinities_are_dropped_either_way),
		cmocka_unit_test(test_points_non_finite_increment_is_dropped),
		cmocka_unit_test(test_points_between_includes_both_ends),
		cmocka_unit_test(test_points_between_handles_ranges_outside_the_data),
		cmocka_unit_test(test_points_between_of_nothing_is_empty),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
