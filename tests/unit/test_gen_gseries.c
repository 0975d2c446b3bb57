/* test_gen_gseries.c - a series' state from tick to tick: gauges, counters
 * (resets, the spec's example, the negative-increment error), histograms
 * (cumulative buckets, a value equal to a bound, +Inf), gaps and the end. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "generator/gconfig.h"
#include "generator/gseries.h"

/* A config of one series {"name": name, "type": type, extra..., "program":
 * program}; fails the test with the message when it does not load. */
static void load_one(struct gconfig *cfg, const char *name, const char *type,
		     const char *extra, const char *program)
{
	char text[2048];
	struct errinfo ei;
	int n;

	n = snprintf(text, sizeof(text),
		     "{\"series\": [{\"name\": \"%s\", \"type\": \"%s\", %s \"program\": %s}]}",
		     name, type, extra, program);
	assert_true(n > 0 && (size_t)n < sizeof(text));
	memset(&ei, 0, sizeof(ei));
	if (gconfig_parse(text, (size_t)n, "test.json", cfg, &ei))
		fail_msg("gconfig_parse: %s", ei.details);
}

/* Steps the series through len(want) ticks (t = 15 s per tick) and compares
 * each with `want`: a number is the written value (gauge, counter), "_" no
 * sample, "." ended. */
static void expect_steps(const struct gseries *s, struct gstate *st, const char *want)
{
	const char *p = want;
	struct errinfo ei;

	memset(&ei, 0, sizeof(ei));
	for (;;) {
		char tok[64];
		size_t n;
		uint64_t k = st->next_k;

		while (*p == ' ')
			p++;
		if (!*p)
			break;
		n = strcspn(p, " ");
		assert_true(n < sizeof(tok));
		memcpy(tok, p, n);
		tok[n] = '\0';
		p += n;
		if (gseries_step(s, st, (double)k * 15, &ei))
			fail_msg("tick %llu: %s", (unsigned long long)k, ei.details);
		if (strcmp(tok, "_") == 0) {
			assert_false(st->wrote);
			assert_false(st->ended);
		} else if (strcmp(tok, ".") == 0) {
			assert_false(st->wrote);
			assert_true(st->ended);
		} else {
			if (!st->wrote)
				fail_msg("tick %llu: want %s, got no sample", (unsigned long long)k, tok);
			if (st->value != strtod(tok, NULL))
				fail_msg("tick %llu: want %s, got %.17g", (unsigned long long)k,
					 tok, st->value);
		}
	}
}

static void test_gen_gseries_gauge_shows_the_program_value(void **state)
{
	struct gconfig cfg;
	struct gstate st;
	struct gsample out[2];

	(void)state;
	load_one(&cfg, "g", "gauge", "",
		 "{\"join\": [{\"values\": [1.5, -2]}, {\"void\": 2}, {\"values\": [7]}]}");
	assert_int_equal(gseries_state_init(&cfg.series[0], &st), OK);
	assert_null(st.bucket_counts);
	expect_steps(&cfg.series[0], &st, "1.5 -2 _ _ 7 . . .");
	/* a gap keeps the last value: outputs simply show nothing for it */
	assert_true(st.value == 7);
	assert_int_equal(st.next_k, 5);         /* an ended series no longer advances */
	assert_int_equal(gseries_samples(&cfg.series[0], &st, out, 2), 1);
	assert_string_equal(out[0].suffix, "");
	assert_true(out[0].value == 7);
	gseries_state_free(&st);
	gconfig_free(&cfg);
}

static void test_gen_gseries_gauge_writes_ieee_values(void **state)
{
	struct gconfig cfg;
	struct gstate st;
	struct errinfo ei;

	(void)state;
	load_one(&cfg, "g", "gauge", "", "{\"div\": [{\"values\": [1, 0]}, {\"constant\": 0}]}");
	assert_int_equal(gseries_state_init(&cfg.series[0], &st), OK);
	assert_int_equal(gseries_step(&cfg.series[0], &st, 0, &ei), OK);
	assert_true(st.wrote && isinf(st.value) && st.value > 0);
	assert_int_equal(gseries_step(&cfg.series[0], &st, 15, &ei), OK);
	assert_true(st.wrote && isnan(st.value));
	gseries_state_free(&st);
	gconfig_free(&cfg);
}

static void test_gen_gseries_counter_follows_the_spec_example(void **state)
{
	struct gconfig cfg;
	struct gstate st;

	(void)state;
	load_one(&cfg, "demo_requests_total", "counter", "",
		 "{\"join\": [{\"values\": [5, 5, 5]}, {\"reset\": 1}, {\"constant\": 2}]}");
	assert_int_equal(gseries_state_init(&cfg.series[0], &st), OK);
	expect_steps(&cfg.series[0], &st, "5 10 15 0 2 4 6 8");
	gseries_state_free(&st);
	gconfig_free(&cfg);
}

static void test_gen_gseries_counter_keeps_its_total_over_gaps_and_resets(void **state)
{
	struct gconfig cfg;
	struct gstate st;

	(void)state;
	load_one(&cfg, "c_total", "counter", "",
		 "{\"loop\": {\"times\": 2, \"body\": {\"join\": [{\"values\": [1, 2]}, {\"void\": 1},"
		 " {\"values\": [0.5]}, {\"reset\": 2}, {\"values\": [3]}]}}}");
	assert_int_equal(gseries_state_init(&cfg.series[0], &st), OK);
	expect_steps(&cfg.series[0], &st, "1 3 _ 3.5 0 0 3 4 6 _ 6.5 0 0 3 . .");
	gseries_state_free(&st);
	gconfig_free(&cfg);
}

static void test_gen_gseries_counter_refuses_a_negative_increment(void **state)
{
	struct gconfig cfg;
	struct gstate st;
	struct errinfo ei;
	size_t k;

	(void)state;
	load_one(&cfg, "jobs_total", "counter", "",
		 "{\"join\": [{\"values\": [1, 1, 1, 1, 1, 1, 1]}, {\"values\": [-1, 5]}]}");
	assert_int_equal(gseries_state_init(&cfg.series[0], &st), OK);
	memset(&ei, 0, sizeof(ei));
	for (k = 0; k < 7; k++)
		assert_int_equal(gseries_step(&cfg.series[0], &st, (double)k, &ei), OK);
	assert_true(st.value == 7);
	assert_int_equal(gseries_step(&cfg.series[0], &st, 7, &ei), ERR_INTERNAL);
	assert_string_equal(ei.details, "series jobs_total: negative increment -1 at tick 7");
	assert_true(st.ended);
	assert_false(st.wrote);
	assert_true(st.value == 7);
	/* nothing more, no further error */
	assert_int_equal(gseries_step(&cfg.series[0], &st, 8, &ei), OK);
	assert_false(st.wrote);
	gseries_state_free(&st);
	gconfig_free(&cfg);
}

static void test_gen_gseries_counter_refuses_minus_infinity(void **state)
{
	struct gconfig cfg;
	struct gstate st;
	struct errinfo ei;

	(void)state;
	load_one(&cfg, "x_total", "counter", "",
		 "{\"div\": [{\"values\": [2, -1]}, {\"values\": [4, 0]}]}");
	assert_int_equal(gseries_state_init(&cfg.series[0], &st), OK);
	assert_int_equal(gseries_step(&cfg.series[0], &st, 0, &ei), OK);
	assert_true(st.value == 0.5);
	assert_int_equal(gseries_step(&cfg.series[0], &st, 15, &ei), ERR_INTERNAL);
	assert_string_equal(ei.details, "series x_total: negative increment -Inf at tick 1");
	gseries_state_free(&st);
	gconfig_free(&cfg);
}

/* The histogram's samples as "suffix le value" lines for comparison. */
static void expect_histogram(const struct gseries *s, const struct gstate *st, const char *want)
{
	struct gsample out[16];
	char got[1024], *p = got;
	size_t n, i;

	n = gseries_samples(s, st, out, 16);
	assert_int_equal(n, s->n_buckets + 3);
	got[0] = '\0';
	for (i = 0; i < n; i++)
		p += snprintf(p, sizeof(got) - (size_t)(p - got), "%s%s %g %g", i ? ", " : "",
			      out[i].suffix, out[i].le, out[i].value);
	assert_string_equal(got, want);
}

static void test_gen_gseries_histogram_counts_cumulative_buckets(void **state)
{
	struct gconfig cfg;
	struct gstate st;
	struct errinfo ei;
	size_t k;

	(void)state;
	load_one(&cfg, "lat_seconds", "histogram", "\"buckets\": [0.25, 0.5, 1],",
		 "{\"join\": [{\"values\": [0.25, 0.5, 0.75]}, {\"void\": 1}, {\"values\": [1, 2, 0.125]}]}");
	assert_int_equal(gseries_state_init(&cfg.series[0], &st), OK);
	assert_non_null(st.bucket_counts);
	for (k = 0; k < 3; k++) {
		assert_int_equal(gseries_step(&cfg.series[0], &st, (double)k, &ei), OK);
		assert_true(st.wrote);
	}
	/* equal to a bound counts in that bucket */
	expect_histogram(&cfg.series[0], &st,
			 "_bucket 0.25 1, _bucket 0.5 2, _bucket 1 3, _bucket inf 3, _sum 0 1.5, _count 0 3");
	/* a gap leaves the state as it was */
	assert_int_equal(gseries_step(&cfg.series[0], &st, 3, &ei), OK);
	assert_false(st.wrote);
	expect_histogram(&cfg.series[0], &st,
			 "_bucket 0.25 1, _bucket 0.5 2, _bucket 1 3, _bucket inf 3, _sum 0 1.5, _count 0 3");
	for (k = 4; k < 7; k++)
		assert_int_equal(gseries_step(&cfg.series[0], &st, (double)k, &ei), OK);
	/* 2 is above every bound: only +Inf and the count */
	expect_histogram(&cfg.series[0], &st,
			 "_bucket 0.25 2, _bucket 0.5 3, _bucket 1 5, _bucket inf 6, _sum 0 4.625, _count 0 6");
	assert_int_equal(st.count, 6);
	assert_int_equal(gseries_step(&cfg.series[0], &st, 7, &ei), OK);
	assert_true(st.ended);
	gseries_state_free(&st);
	gconfig_free(&cfg);
}

static void test_gen_gseries_histogram_puts_nan_only_in_inf(void **state)
{
	struct gconfig cfg;
	struct gstate st;
	struct errinfo ei;

	(void)state;
	load_one(&cfg, "h", "histogram", "\"buckets\": [1],",
		 "{\"div\": [{\"values\": [0, -1]}, {\"values\": [0, 0]}]}");
	assert_int_equal(gseries_state_init(&cfg.series[0], &st), OK);
	assert_int_equal(gseries_step(&cfg.series[0], &st, 0, &ei), OK);
	assert_int_equal(gseries_step(&cfg.series[0], &st, 1, &ei), OK);
	assert_int_equal(st.bucket_counts[0], 1);       /* -Inf <= 1 */
	assert_int_equal(st.count, 2);
	assert_true(isnan(st.sum));
	gseries_state_free(&st);
	gconfig_free(&cfg);
}

static void test_gen_gseries_samples_respect_the_capacity(void **state)
{
	struct gconfig cfg;
	struct gstate st;
	struct gsample out[2];

	(void)state;
	load_one(&cfg, "h", "histogram", "\"buckets\": [1, 2, 3],", "{\"constant\": 1}");
	assert_int_equal(gseries_state_init(&cfg.series[0], &st), OK);
	memset(out, 0, sizeof(out));
	assert_int_equal(gseries_samples(&cfg.series[0], &st, out, 2), 6);
	assert_true(out[1].le == 2);
	assert_int_equal(gseries_samples(&cfg.series[0], &st, NULL, 0), 6);
	gseries_state_free(&st);
	gconfig_free(&cfg);
}

static void test_gen_gseries_spec_example_runs(void **state)
{
	static const char text[] =
		"{ \"interval\": \"15s\", \"start\": \"2026-03-01T00:00:00Z\", \"seed\": 42,"
		"  \"series\": ["
		"    { \"name\": \"demo_temperature_celsius\", \"type\": \"gauge\", \"help\": \"Room temperature.\","
		"      \"labels\": {\"room\": \"lab\"},"
		"      \"program\": {\"join\": [ {\"linear\": {\"from\": 10, \"to\": 20, \"ticks\": 11}},"
		"                            {\"void\": 4},"
		"                            {\"loop\": {\"times\": 2, \"body\": {\"values\": [1, 2, 3]}}} ]} },"
		"    { \"name\": \"demo_requests_total\", \"type\": \"counter\", \"help\": \"Requests.\","
		"      \"program\": {\"join\": [ {\"values\": [5, 5, 5]}, {\"reset\": 1}, {\"constant\": 2} ]} },"
		"    { \"name\": \"demo_latency_seconds\", \"type\": \"histogram\", \"help\": \"Latency.\","
		"      \"buckets\": [0.1, 0.5, 1],"
		"      \"program\": {\"add\": [ {\"sin\": {\"amplitude\": 0.2, \"period\": \"10m\"}}, {\"constant\": 0.4} ]} } ] }";
	struct gconfig cfg;
	struct gstate st[3];
	struct errinfo ei;
	size_t i, k;

	(void)state;
	memset(&ei, 0, sizeof(ei));
	if (gconfig_parse(text, sizeof(text) - 1, "spec.json", &cfg, &ei))
		fail_msg("%s", ei.details);
	assert_int_equal(gseries_state_init(&cfg.series[0], &st[0]), OK);
	expect_steps(&cfg.series[0], &st[0],
		     "10 11 12 13 14 15 16 17 18 19 20 _ _ _ _ 1 2 3 1 2 3 . .");
	assert_int_equal(gseries_state_init(&cfg.series[1], &st[1]), OK);
	expect_steps(&cfg.series[1], &st[1], "5 10 15 0 2 4 6");
	/* the histogram: 0.4 + 0.2 sin(2π t / 600 s), t = 15 s per tick;
	 * over one period (40 ticks) every value is in (0.2, 0.6] */
	assert_int_equal(gseries_state_init(&cfg.series[2], &st[2]), OK);
	for (k = 0; k < 40; k++)
		assert_int_equal(gseries_step(&cfg.series[2], &st[2], (double)k * 15, &ei), OK);
	assert_int_equal(st[2].count, 40);
	assert_int_equal(st[2].bucket_counts[0], 0);
	assert_true(st[2].bucket_counts[1] > 0 && st[2].bucket_counts[1] < 40);
	assert_int_equal(st[2].bucket_counts[2], 40);
	assert_true(fabs(st[2].sum - 16) < 1e-9);
	for (i = 0; i < 3; i++)
		gseries_state_free(&st[i]);
	gconfig_free(&cfg);
}

static void test_gen_gseries_free_and_names(void **state)
{
	(void)state;
	gseries_free(NULL);
	gseries_state_free(NULL);
	assert_string_equal(gseries_type_name(GSERIES_GAUGE), "gauge");
	assert_string_equal(gseries_type_name(GSERIES_COUNTER), "counter");
	assert_string_equal(gseries_type_name(GSERIES_HISTOGRAM), "histogram");
	assert_string_equal(gseries_type_name((enum gseries_type)9), "untyped");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gen_gseries_gauge_shows_the_program_value),
		cmocka_unit_test(test_gen_gseries_gauge_writes_ieee_values),
		cmocka_unit_test(test_gen_gseries_counter_follows_the_spec_example),
		cmocka_unit_test(test_gen_gseries_counter_keeps_its_total_over_gaps_and_resets),
		cmocka_unit_test(test_gen_gseries_counter_refuses_a_negative_increment),
		cmocka_unit_test(test_gen_gseries_counter_refuses_minus_infinity),
		cmocka_unit_test(test_gen_gseries_histogram_counts_cumulative_buckets),
		cmocka_unit_test(test_gen_gseries_histogram_puts_nan_only_in_inf),
		cmocka_unit_test(test_gen_gseries_samples_respect_the_capacity),
		cmocka_unit_test(test_gen_gseries_spec_example_runs),
		cmocka_unit_test(test_gen_gseries_free_and_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
