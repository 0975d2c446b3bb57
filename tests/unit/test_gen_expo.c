/* test_gen_expo.c - the text outputs: Go's shortest number format, the
 * Prometheus text format 0.0.4 and OpenMetrics with timestamps. Series and
 * states are filled by hand, so these tests need no iterator or config. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "generator/expo.h"

static const char *fl(double v)
{
	static char out[EXPO_FLOAT_MAX];

	return expo_float(v, out);
}

static void test_gen_expo_float_writes_what_go_writes(void **state)
{
	/* strconv.FormatFloat(v, 'g', -1, 64) on each input */
	static const struct {
		double v;
		const char *want;
	} cases[] = {
		{ 1, "1" },
		{ 0.1, "0.1" },
		{ 100000, "100000" },
		{ 1e6, "1e+06" },
		{ 1234567, "1.234567e+06" },
		{ 123456789, "1.23456789e+08" },
		{ 0.0001, "0.0001" },
		{ 0.00001, "1e-05" },
		{ 1.5e-07, "1.5e-07" },
		{ -2.5, "-2.5" },
		{ 0, "0" },
		{ -0.0, "-0" },
		{ 5e-324, "5e-324" },
		{ 1.7976931348623157e+308, "1.7976931348623157e+308" },
		{ 1e21, "1e+21" },
		{ 0.1 + 0.2, "0.30000000000000004" },
		{ 123456.789, "123456.789" },
		{ 999999, "999999" },
		{ 0.00012345, "0.00012345" },
		{ 12.5, "12.5" },
		{ 1e100, "1e+100" },
		{ 2.2250738585072014e-308, "2.2250738585072014e-308" },
		{ 9007199254740992.0, "9.007199254740992e+15" },
		/* 2^-44: its lower neighbour is closer, so the correctly
		 * rounded 16 digits do not read back; 16 digits above do */
		{ 5.684341886080802e-14, "5.684341886080802e-14" },
		{ -1e-300, "-1e-300" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_string_equal(fl(cases[i].v), cases[i].want);
}

static void test_gen_expo_float_spells_specials_as_prometheus(void **state)
{
	(void)state;
	assert_string_equal(fl(NAN), "NaN");
	assert_string_equal(fl(INFINITY), "+Inf");
	assert_string_equal(fl(-INFINITY), "-Inf");
}

/* Every power of two (the lopsided rounding intervals) and random bit
 * patterns read back exactly and take no more than 17 digits. */
static void test_gen_expo_float_reads_back_exactly(void **state)
{
	unsigned long long x = 88172645463325252ULL;
	int i;

	(void)state;
	for (i = -1074; i < 1024; i++) {
		double v = ldexp(1, i);

		assert_true(strtod(fl(v), NULL) == v);
	}
	for (i = 0; i < 200000; i++) {
		double v;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		memcpy(&v, &x, sizeof(v));
		if (!isfinite(v))
			continue;
		assert_true(strtod(fl(v), NULL) == v);
		assert_true(strlen(fl(v)) < EXPO_FLOAT_MAX);
	}
}

/* The series' strings are char * (the core owns and frees them); these
 * tests only read them, so literals are cast. */
#define S(lit) ((char *)(lit))

/* A gauge, a counter and a histogram filled by hand. */
static struct glabel lab_a[] = {
	{ .name = S("job"), .value = S("a") },
	{ .name = S("room"), .value = S("q\"b\\s\nn") },
};
static struct glabel lab_b[] = {
	{ .name = S("job"), .value = S("b") },
};
static double bounds[] = { 0.1, 0.5, 1 };
static uint64_t counts[] = { 1, 3, 4 };

static struct gseries gauge_a = {
	.name = S("demo_temp"), .type = GSERIES_GAUGE,
	.help = S("Temp \\ in\nC \"x\"."), .labels = lab_a, .n_labels = 2,
};
static struct gseries gauge_b = {
	.name = S("demo_temp"), .type = GSERIES_GAUGE,
	.help = S("Temp \\ in\nC \"x\"."), .labels = lab_b, .n_labels = 1,
};
static struct gseries counter = {
	.name = S("demo_requests_total"), .type = GSERIES_COUNTER,
	.help = S("Requests."),
};
static struct gseries hist = {
	.name = S("demo_latency_seconds"), .type = GSERIES_HISTOGRAM,
	.labels = lab_b, .n_labels = 1,
	.buckets = bounds, .n_buckets = 3,
};

static struct gstate st_gauge_a = { .wrote = 1, .value = 20.5 };
static struct gstate st_gauge_b = { .wrote = 1, .value = 1e6 };
static struct gstate st_counter = { .wrote = 1, .value = 15 };
static struct gstate st_hist = {
	.wrote = 1, .sum = 2.25, .count = 5, .bucket_counts = counts,
};
static struct gstate st_void = { .wrote = 0, .value = 3 };
static struct gstate st_ended = { .wrote = 1, .ended = 1, .value = 3 };

static void test_gen_expo_text_groups_names_and_escapes(void **state)
{
	const struct gseries *s[] = { &gauge_a, &counter, &gauge_b, &hist };
	const struct gstate *st[] = {
		&st_gauge_a, &st_counter, &st_gauge_b, &st_hist,
	};
	struct buf b;

	(void)state;
	buf_init(&b, 1 << 16);
	assert_int_equal(expo_text(&b, s, st, 4), OK);
	assert_string_equal(buf_cstr(&b),
		"# HELP demo_temp Temp \\\\ in\\nC \"x\".\n"
		"# TYPE demo_temp gauge\n"
		"demo_temp{job=\"a\",room=\"q\\\"b\\\\s\\nn\"} 20.5\n"
		"demo_temp{job=\"b\"} 1e+06\n"
		"# HELP demo_requests_total Requests.\n"
		"# TYPE demo_requests_total counter\n"
		"demo_requests_total 15\n"
		"# TYPE demo_latency_seconds histogram\n"
		"demo_latency_seconds_bucket{job=\"b\",le=\"0.1\"} 1\n"
		"demo_latency_seconds_bucket{job=\"b\",le=\"0.5\"} 3\n"
		"demo_latency_seconds_bucket{job=\"b\",le=\"1\"} 4\n"
		"demo_latency_seconds_bucket{job=\"b\",le=\"+Inf\"} 5\n"
		"demo_latency_seconds_sum{job=\"b\"} 2.25\n"
		"demo_latency_seconds_count{job=\"b\"} 5\n");
	buf_free(&b);
}

static void test_gen_expo_text_leaves_out_void_and_ended_series(void **state)
{
	const struct gseries *s[] = { &gauge_a, &counter, &gauge_b };
	const struct gstate *st[] = { &st_void, &st_ended, &st_gauge_b };
	struct buf b;

	(void)state;
	buf_init(&b, 1 << 16);
	assert_int_equal(expo_text(&b, s, st, 3), OK);
	/* the group's HELP comes from the first series that is exposed */
	assert_string_equal(buf_cstr(&b),
		"# HELP demo_temp Temp \\\\ in\\nC \"x\".\n"
		"# TYPE demo_temp gauge\n"
		"demo_temp{job=\"b\"} 1e+06\n");
	buf_reset(&b);
	assert_int_equal(expo_text(&b, s, st, 2), OK);
	assert_string_equal(buf_cstr(&b), "");
	assert_int_equal(expo_text(&b, s, st, 0), OK);
	assert_string_equal(buf_cstr(&b), "");
	buf_free(&b);
}

static void test_gen_expo_text_writes_specials_and_histogram_without_labels(void **state)
{
	static double one[] = { 1 };
	static uint64_t c1[] = { 0 };
	struct gseries h = {
		.name = S("h"), .type = GSERIES_HISTOGRAM,
		.buckets = one, .n_buckets = 1,
	};
	struct gseries g = { .name = S("g"), .type = GSERIES_GAUGE };
	struct gstate sh = { .wrote = 1, .sum = NAN, .count = 1,
			     .bucket_counts = c1 };
	struct gstate sg = { .wrote = 1, .value = -INFINITY };
	const struct gseries *s[] = { &h, &g };
	const struct gstate *st[] = { &sh, &sg };
	struct buf b;

	(void)state;
	buf_init(&b, 1 << 16);
	assert_int_equal(expo_text(&b, s, st, 2), OK);
	assert_string_equal(buf_cstr(&b),
		"# TYPE h histogram\n"
		"h_bucket{le=\"1\"} 0\n"
		"h_bucket{le=\"+Inf\"} 1\n"
		"h_sum NaN\n"
		"h_count 1\n"
		"# TYPE g gauge\n"
		"g -Inf\n");
	buf_free(&b);
}

static void test_gen_expo_text_reports_a_full_buffer(void **state)
{
	const struct gseries *s[] = { &gauge_a };
	const struct gstate *st[] = { &st_gauge_a };
	struct buf b;

	(void)state;
	buf_init(&b, 20);
	assert_int_equal(expo_text(&b, s, st, 1), ERR_TOO_LARGE);
	buf_free(&b);
}

static void test_gen_expo_om_writes_families_samples_and_eof(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 1 << 16);
	assert_int_equal(expo_om_family(&b, &counter), OK);
	assert_int_equal(expo_om_samples(&b, &counter, &st_counter,
					 1767225600000LL), OK);
	assert_int_equal(expo_om_family(&b, &gauge_a), OK);
	assert_int_equal(expo_om_samples(&b, &gauge_a, &st_gauge_a,
					 1767225600500LL), OK);
	assert_int_equal(expo_om_family(&b, &hist), OK);
	assert_int_equal(expo_om_samples(&b, &hist, &st_hist,
					 1767225600120LL), OK);
	/* a void tick writes nothing */
	assert_int_equal(expo_om_samples(&b, &gauge_a, &st_void,
					 1767225615000LL), OK);
	assert_int_equal(expo_om_eof(&b), OK);
	assert_string_equal(buf_cstr(&b),
		"# TYPE demo_requests counter\n"
		"# HELP demo_requests Requests.\n"
		"demo_requests_total 15 1767225600\n"
		"# TYPE demo_temp gauge\n"
		"# HELP demo_temp Temp \\\\ in\\nC \\\"x\\\".\n"
		"demo_temp{job=\"a\",room=\"q\\\"b\\\\s\\nn\"} 20.5 1767225600.5\n"
		"# TYPE demo_latency_seconds histogram\n"
		"demo_latency_seconds_bucket{job=\"b\",le=\"0.1\"} 1 1767225600.12\n"
		"demo_latency_seconds_bucket{job=\"b\",le=\"0.5\"} 3 1767225600.12\n"
		"demo_latency_seconds_bucket{job=\"b\",le=\"1\"} 4 1767225600.12\n"
		"demo_latency_seconds_bucket{job=\"b\",le=\"+Inf\"} 5 1767225600.12\n"
		"demo_latency_seconds_count{job=\"b\"} 5 1767225600.12\n"
		"demo_latency_seconds_sum{job=\"b\"} 2.25 1767225600.12\n"
		"# EOF\n");
	buf_free(&b);
}

static void test_gen_expo_om_timestamps_are_exact_milliseconds(void **state)
{
	static const struct {
		int64_t ms;
		const char *want;
	} cases[] = {
		{ 0, "g 1 0\n" },
		{ 1, "g 1 0.001\n" },
		{ 10, "g 1 0.01\n" },
		{ 999, "g 1 0.999\n" },
		{ 1767225600001LL, "g 1 1767225600.001\n" },
		{ 1767225600010LL, "g 1 1767225600.01\n" },
		{ 1767225600100LL, "g 1 1767225600.1\n" },
		{ -1500, "g 1 -1.5\n" },
		{ -1000, "g 1 -1\n" },
		{ INT64_MAX, "g 1 9223372036854775.807\n" },
		{ INT64_MIN, "g 1 -9223372036854775.808\n" },
	};
	struct gseries g = { .name = S("g"), .type = GSERIES_GAUGE };
	struct gstate st = { .wrote = 1, .value = 1 };
	struct buf b;
	size_t i;

	(void)state;
	buf_init(&b, 1 << 16);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		buf_reset(&b);
		assert_int_equal(expo_om_samples(&b, &g, &st, cases[i].ms), OK);
		assert_string_equal(buf_cstr(&b), cases[i].want);
	}
	buf_free(&b);
}

static void test_gen_expo_om_counter_without_total_gets_it(void **state)
{
	struct gseries c = { .name = S("jobs"), .type = GSERIES_COUNTER };
	struct gstate st = { .wrote = 1, .value = 2 };
	struct buf b;

	(void)state;
	buf_init(&b, 1 << 16);
	assert_int_equal(expo_om_family(&b, &c), OK);
	assert_int_equal(expo_om_samples(&b, &c, &st, 1000), OK);
	assert_string_equal(buf_cstr(&b),
			    "# TYPE jobs counter\njobs_total 2 1\n");
	buf_free(&b);
}

static void test_gen_expo_om_ended_series_writes_nothing(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 1 << 16);
	assert_int_equal(expo_om_samples(&b, &gauge_a, &st_ended, 0), OK);
	assert_int_equal(expo_om_samples(&b, &gauge_a, NULL, 0), OK);
	assert_string_equal(buf_cstr(&b), "");
	buf_free(&b);
}

static void test_gen_expo_failure_leaves_the_output_as_it_was(void **state)
{
	struct gseries h = hist;
	struct gstate st = st_hist;
	const struct gseries *s[] = { &counter, &h };
	const struct gstate *sts[] = { &st_counter, &st };
	struct buf b;

	(void)state;
	st.bucket_counts = NULL;
	buf_init(&b, 1 << 16);
	assert_int_equal(buf_puts(&b, "kept\n"), OK);
	assert_int_equal(expo_text(&b, s, sts, 2), ERR_INTERNAL);
	assert_string_equal(buf_cstr(&b), "kept\n");
	assert_int_equal(expo_om_samples(&b, &h, &st, 0), ERR_INTERNAL);
	assert_string_equal(buf_cstr(&b), "kept\n");
	buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gen_expo_float_writes_what_go_writes),
		cmocka_unit_test(test_gen_expo_float_spells_specials_as_prometheus),
		cmocka_unit_test(test_gen_expo_float_reads_back_exactly),
		cmocka_unit_test(test_gen_expo_text_groups_names_and_escapes),
		cmocka_unit_test(test_gen_expo_text_leaves_out_void_and_ended_series),
		cmocka_unit_test(test_gen_expo_text_writes_specials_and_histogram_without_labels),
		cmocka_unit_test(test_gen_expo_text_reports_a_full_buffer),
		cmocka_unit_test(test_gen_expo_om_writes_families_samples_and_eof),
		cmocka_unit_test(test_gen_expo_om_timestamps_are_exact_milliseconds),
		cmocka_unit_test(test_gen_expo_om_counter_without_total_gets_it),
		cmocka_unit_test(test_gen_expo_om_ended_series_writes_nothing),
		cmocka_unit_test(test_gen_expo_failure_leaves_the_output_as_it_was),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
