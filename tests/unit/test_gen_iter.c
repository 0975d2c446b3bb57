/* test_gen_iter.c - value programs: every iterator with exact values, random
 * determinism, random access against sequential reading, the clock inside
 * join and loop, and every check iter_build makes with its exact message. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "generator/iter.h"

#define ROOT "$.series[1].program"

/* cmocka 1.1 compares floats only: doubles within eps. */
#define assert_near(a, b, eps) assert_near_at((a), (b), (eps), __FILE__, __LINE__)
static void assert_near_at(double a, double b, double eps, const char *file, int line)
{
	if (!(fabs(a - b) <= eps))
		fail_msg("%s:%d: %.17g is not within %g of %.17g", file, line, a, eps, b);
}

/* Compiles a program for a series of the given type; fails the test with
 * the message when it does not compile. */
static struct iter *build_typed(const char *json, const char *type, uint64_t seed)
{
	json_error_t jerr;
	json_t *j = json_loads(json, 0, &jerr);
	struct iter *it = NULL;
	struct errinfo ei;
	enum err rc;

	memset(&ei, 0, sizeof(ei));
	if (!j)
		fail_msg("bad test JSON: %s: %s", jerr.text, json);
	rc = iter_build(j, ROOT, type, seed, &it, &ei);
	json_decref(j);
	if (rc)
		fail_msg("iter_build: %s", ei.details);
	return it;
}

static struct iter *build(const char *json)
{
	return build_typed(json, "gauge", 0);
}

/* Asserts that the program fails to compile with exactly this message. */
static void build_fails_typed(const char *json, const char *type, const char *msg)
{
	json_error_t jerr;
	json_t *j = json_loads(json, JSON_DECODE_ANY, &jerr);
	struct iter *it = NULL;
	struct errinfo ei;

	memset(&ei, 0, sizeof(ei));
	if (!j)
		fail_msg("bad test JSON: %s: %s", jerr.text, json);
	assert_int_equal(iter_build(j, ROOT, type, 0, &it, &ei), ERR_BAD_REQUEST);
	assert_null(it);
	assert_string_equal(ei.details, msg);
	json_decref(j);
}

static void build_fails(const char *json, const char *msg)
{
	build_fails_typed(json, "gauge", msg);
}

/* Reads ticks 0.. with t = k seconds and compares them with `want`, a space
 * separated list: a number is a value, "_" a void tick, "R" a reset, "."
 * the end (checked at that tick and a few after). */
static void expect_ticks(const struct iter *it, const char *want)
{
	const char *p = want;
	uint64_t k = 0;
	double v;

	for (;; k++) {
		char tok[64];
		size_t n;
		enum iter_tick r;

		while (*p == ' ')
			p++;
		if (!*p)
			break;
		n = strcspn(p, " ");
		assert_true(n < sizeof(tok));
		memcpy(tok, p, n);
		tok[n] = '\0';
		p += n;
		r = iter_at(it, k, (double)k, &v);
		if (strcmp(tok, "_") == 0) {
			assert_int_equal(r, ITER_VOID);
		} else if (strcmp(tok, "R") == 0) {
			assert_int_equal(r, ITER_RESET);
		} else if (strcmp(tok, ".") == 0) {
			assert_int_equal(r, ITER_END);
			assert_int_equal(iter_at(it, k + 1, (double)k + 1, &v), ITER_END);
			assert_int_equal(iter_at(it, k + 100, (double)k + 100, &v), ITER_END);
			assert_int_equal(iter_length(it), k);
		} else {
			if (r != ITER_VALUE)
				fail_msg("tick %llu: want %s, got kind %d", (unsigned long long)k, tok, r);
			if (v != strtod(tok, NULL))
				fail_msg("tick %llu: want %s, got %.17g", (unsigned long long)k, tok, v);
		}
	}
}

/* ---- discrete iterators ------------------------------------------------ */

static void test_gen_iter_linear_is_evenly_spaced_with_both_ends(void **state)
{
	struct iter *it;

	(void)state;
	it = build("{\"linear\": {\"from\": 10, \"to\": 20, \"ticks\": 11}}");
	expect_ticks(it, "10 11 12 13 14 15 16 17 18 19 20 .");
	iter_free(it);
	it = build("{\"linear\": {\"from\": 5, \"to\": -5, \"ticks\": 5}}");
	expect_ticks(it, "5 2.5 0 -2.5 -5 .");
	iter_free(it);
	it = build("{\"linear\": {\"from\": 0, \"to\": 1, \"ticks\": 5}}");
	expect_ticks(it, "0 0.25 0.5 0.75 1 .");
	iter_free(it);
}

static void test_gen_iter_linear_ends_are_exact_with_inexact_steps(void **state)
{
	struct iter *it;
	double v;

	(void)state;
	it = build("{\"linear\": {\"from\": 0.1, \"to\": 0.7, \"ticks\": 7}}");
	assert_int_equal(iter_at(it, 0, 0, &v), ITER_VALUE);
	assert_true(v == 0.1);
	assert_int_equal(iter_at(it, 6, 0, &v), ITER_VALUE);
	assert_true(v == 0.7);
	assert_int_equal(iter_at(it, 3, 0, &v), ITER_VALUE);
	assert_near(v, 0.4, 1e-15);
	iter_free(it);
	/* the whole double range: to - from overflows, the ends stay exact */
	it = build("{\"linear\": {\"from\": -1e308, \"to\": 1e308, \"ticks\": 3}}");
	expect_ticks(it, "-1e308 0 1e308 .");
	iter_free(it);
}

static void test_gen_iter_linear_with_one_tick_gives_from(void **state)
{
	struct iter *it;

	(void)state;
	it = build("{\"linear\": {\"from\": 7, \"to\": 9, \"ticks\": 1}}");
	expect_ticks(it, "7 .");
	iter_free(it);
}

static void test_gen_iter_values_one_per_tick(void **state)
{
	struct iter *it;

	(void)state;
	it = build("{\"values\": [1, 2.5, -3, 0, 1e300]}");
	expect_ticks(it, "1 2.5 -3 0 1e300 .");
	iter_free(it);
}

static void test_gen_iter_void_gives_gaps_and_may_be_empty(void **state)
{
	struct iter *it;

	(void)state;
	it = build("{\"void\": 3}");
	expect_ticks(it, "_ _ _ .");
	iter_free(it);
	it = build("{\"void\": 0}");
	expect_ticks(it, ".");
	iter_free(it);
}

static void test_gen_iter_join_runs_children_in_order(void **state)
{
	struct iter *it;

	(void)state;
	/* the spec's gauge */
	it = build("{\"join\": [ {\"linear\": {\"from\": 10, \"to\": 20, \"ticks\": 11}},"
		   " {\"void\": 4},"
		   " {\"loop\": {\"times\": 2, \"body\": {\"values\": [1, 2, 3]}}} ]}");
	expect_ticks(it, "10 11 12 13 14 15 16 17 18 19 20 _ _ _ _ 1 2 3 1 2 3 .");
	iter_free(it);
	/* empty children are skipped */
	it = build("{\"join\": [{\"void\": 0}, {\"values\": [1]}, {\"void\": 0},"
		   " {\"values\": [2]}, {\"void\": 0}]}");
	expect_ticks(it, "1 2 .");
	iter_free(it);
	/* a child that never ends hides the ones after it */
	it = build("{\"join\": [{\"values\": [1]}, {\"constant\": 5}, {\"values\": [9]}]}");
	expect_ticks(it, "1 5 5 5");
	assert_int_equal(iter_length(it), UINT64_MAX);
	iter_free(it);
}

static void test_gen_iter_loop_repeats_its_body(void **state)
{
	struct iter *it;
	double v;

	(void)state;
	it = build("{\"loop\": {\"times\": 3, \"body\": {\"join\": [{\"values\": [1, 2]}, {\"void\": 1}]}}}");
	expect_ticks(it, "1 2 _ 1 2 _ 1 2 _ .");
	iter_free(it);
	/* no times: forever, and far ticks are found directly */
	it = build("{\"loop\": {\"body\": {\"values\": [1, 2, 3]}}}");
	expect_ticks(it, "1 2 3 1 2 3 1");
	assert_int_equal(iter_length(it), UINT64_MAX);
	assert_int_equal(iter_at(it, 1000000000001ULL, 0, &v), ITER_VALUE);
	assert_true(v == 3);            /* 1000000000001 % 3 == 2 */
	assert_int_equal(iter_at(it, UINT64_MAX - 1, 0, &v), ITER_VALUE);
	iter_free(it);
}

static void test_gen_iter_loop_of_a_body_that_never_ends_is_one_run(void **state)
{
	struct iter *it;

	(void)state;
	it = build("{\"loop\": {\"times\": 3, \"body\": {\"join\": [{\"values\": [4]}, {\"constant\": 2}]}}}");
	expect_ticks(it, "4 2 2 2 2 2");
	assert_int_equal(iter_length(it), UINT64_MAX);
	iter_free(it);
}

static void test_gen_iter_reset_gives_reset_ticks_in_a_counter(void **state)
{
	struct iter *it;

	(void)state;
	it = build_typed("{\"join\": [{\"values\": [5, 5, 5]}, {\"reset\": 1}, {\"constant\": 2}]}",
			 "counter", 0);
	expect_ticks(it, "5 5 5 R 2 2 2");
	iter_free(it);
	it = build_typed("{\"join\": [{\"reset\": 2}, {\"reset\": 0}, {\"values\": [1]}]}", "counter", 0);
	expect_ticks(it, "R R 1 .");
	iter_free(it);
}

/* ---- arithmetic -------------------------------------------------------- */

static void test_gen_iter_arithmetic_tick_by_tick(void **state)
{
	struct iter *it;

	(void)state;
	it = build("{\"add\": [{\"values\": [1, 2, 3]}, {\"values\": [10, 20, 30]}]}");
	expect_ticks(it, "11 22 33 .");
	iter_free(it);
	it = build("{\"sub\": [{\"values\": [1, 2, 3]}, {\"values\": [10, 20, 30]}]}");
	expect_ticks(it, "-9 -18 -27 .");
	iter_free(it);
	it = build("{\"mul\": [{\"values\": [1.5, -2, 3]}, {\"constant\": 4}]}");
	expect_ticks(it, "6 -8 12 .");
	iter_free(it);
	it = build("{\"div\": [{\"values\": [1, 3, -7]}, {\"constant\": 4}]}");
	expect_ticks(it, "0.25 0.75 -1.75 .");
	iter_free(it);
}

static void test_gen_iter_division_by_zero_gives_ieee_results(void **state)
{
	struct iter *it;
	double v;

	(void)state;
	it = build("{\"div\": [{\"values\": [1, -1, 0, 2]}, {\"values\": [0, 0, 0, -0.0]}]}");
	assert_int_equal(iter_at(it, 0, 0, &v), ITER_VALUE);
	assert_true(isinf(v) && v > 0);
	assert_int_equal(iter_at(it, 1, 0, &v), ITER_VALUE);
	assert_true(isinf(v) && v < 0);
	assert_int_equal(iter_at(it, 2, 0, &v), ITER_VALUE);
	assert_true(isnan(v));
	assert_int_equal(iter_at(it, 3, 0, &v), ITER_VALUE);
	assert_true(isinf(v) && v < 0);
	iter_free(it);
	/* NaN and Inf flow on through further arithmetic */
	it = build("{\"mul\": [{\"div\": [{\"values\": [0, 1]}, {\"constant\": 0}]}, {\"constant\": 0}]}");
	assert_int_equal(iter_at(it, 0, 0, &v), ITER_VALUE);
	assert_true(isnan(v));
	assert_int_equal(iter_at(it, 1, 0, &v), ITER_VALUE);
	assert_true(isnan(v));          /* Inf * 0 */
	iter_free(it);
}

static void test_gen_iter_arithmetic_ends_with_the_shorter_side(void **state)
{
	struct iter *it;

	(void)state;
	it = build("{\"add\": [{\"values\": [1, 2, 3, 4]}, {\"values\": [10, 20]}]}");
	expect_ticks(it, "11 22 .");
	iter_free(it);
	it = build("{\"add\": [{\"constant\": 1}, {\"values\": [1, 2]}]}");
	expect_ticks(it, "2 3 .");
	iter_free(it);
	it = build("{\"add\": [{\"constant\": 1}, {\"constant\": 2}]}");
	expect_ticks(it, "3 3 3");
	assert_int_equal(iter_length(it), UINT64_MAX);
	iter_free(it);
}

static void test_gen_iter_void_on_either_side_is_void(void **state)
{
	struct iter *it;

	(void)state;
	it = build("{\"add\": [{\"join\": [{\"values\": [1]}, {\"void\": 1}, {\"values\": [3, 4]}]},"
		   " {\"join\": [{\"values\": [10, 20, 30]}, {\"void\": 1}]}]}");
	expect_ticks(it, "11 _ 33 _ .");
	iter_free(it);
}

/* ---- random ------------------------------------------------------------ */

/* Reads n ticks of a program into out. */
static void read_ticks(const struct iter *it, size_t n, double *out)
{
	size_t k;

	for (k = 0; k < n; k++)
		assert_int_equal(iter_at(it, k, (double)k, &out[k]), ITER_VALUE);
}

static void test_gen_iter_random_same_seed_same_values(void **state)
{
	static const char prog[] = "{\"random\": {\"min\": -2, \"max\": 3}}";
	struct iter *a, *b, *c;
	double va[64], vb[64], vc[64];
	size_t k, same = 0;

	(void)state;
	a = build_typed(prog, "gauge", 42);
	b = build_typed(prog, "gauge", 42);
	c = build_typed(prog, "gauge", 43);
	read_ticks(a, 64, va);
	read_ticks(b, 64, vb);
	read_ticks(c, 64, vc);
	assert_memory_equal(va, vb, sizeof(va));
	for (k = 0; k < 64; k++) {
		assert_true(va[k] >= -2 && va[k] <= 3);
		same += va[k] == vc[k];
		if (k)
			assert_true(va[k] != va[k - 1]);
	}
	assert_int_equal(same, 0);
	assert_int_equal(iter_length(a), UINT64_MAX);
	iter_free(a);
	iter_free(b);
	iter_free(c);
}

static void test_gen_iter_random_is_roughly_uniform(void **state)
{
	struct iter *it;
	size_t k, bins[10] = { 0 };
	double v, sum = 0;

	(void)state;
	it = build_typed("{\"random\": {\"min\": 0, \"max\": 10}}", "gauge", 7);
	for (k = 0; k < 100000; k++) {
		assert_int_equal(iter_at(it, k, 0, &v), ITER_VALUE);
		assert_true(v >= 0 && v < 10);
		bins[(size_t)v]++;
		sum += v;
	}
	for (k = 0; k < 10; k++)
		assert_in_range(bins[k], 9500, 10500);
	assert_near(sum / 100000, 5.0, 0.05);
	iter_free(it);
}

static void test_gen_iter_random_with_min_equal_max_is_constant(void **state)
{
	struct iter *it;

	(void)state;
	it = build_typed("{\"random\": {\"min\": 2.5, \"max\": 2.5, \"ticks\": 4}}", "gauge", 9);
	expect_ticks(it, "2.5 2.5 2.5 2.5 .");
	iter_free(it);
}

static void test_gen_iter_random_depends_on_the_node_position(void **state)
{
	struct iter *it;
	double v[4];

	(void)state;
	/* the same node twice in a join: different positions, different values */
	it = build_typed("{\"join\": [{\"random\": {\"min\": 0, \"max\": 1, \"ticks\": 2}},"
			 " {\"random\": {\"min\": 0, \"max\": 1, \"ticks\": 2}}]}", "gauge", 1);
	read_ticks(it, 4, v);
	assert_true(v[0] != v[2] && v[1] != v[3]);
	iter_free(it);
}

static void test_gen_iter_random_repeats_inside_a_loop(void **state)
{
	struct iter *it;
	double v[9];

	(void)state;
	/* the tick index is node-local: each run of the body draws the same */
	it = build_typed("{\"loop\": {\"times\": 3, \"body\": {\"random\": {\"min\": 0, \"max\": 1, \"ticks\": 3}}}}",
			 "gauge", 5);
	read_ticks(it, 9, v);
	assert_memory_equal(v, v + 3, 3 * sizeof(double));
	assert_memory_equal(v, v + 6, 3 * sizeof(double));
	assert_true(v[0] != v[1] && v[1] != v[2]);
	iter_free(it);
}

static void test_gen_iter_seed_id_mixes_seed_and_id(void **state)
{
	(void)state;
	assert_true(iter_seed_id(42, "a") == iter_seed_id(42, "a"));
	assert_true(iter_seed_id(42, "a") != iter_seed_id(42, "b"));
	assert_true(iter_seed_id(42, "a") != iter_seed_id(43, "a"));
	assert_true(iter_seed_id(0, "") != iter_seed_id(1, ""));
}

/* ---- continuous iterators ---------------------------------------------- */

static void test_gen_iter_constant_never_ends(void **state)
{
	struct iter *it;
	double v;

	(void)state;
	it = build("{\"constant\": -1.5}");
	expect_ticks(it, "-1.5 -1.5 -1.5");
	assert_int_equal(iter_at(it, UINT64_MAX - 1, 1e12, &v), ITER_VALUE);
	assert_true(v == -1.5);
	assert_int_equal(iter_length(it), UINT64_MAX);
	iter_free(it);
}

static void test_gen_iter_sin_and_cos_follow_the_formula(void **state)
{
	struct iter *it;
	double v;

	(void)state;
	/* defaults: amplitude 1, phase 0, offset 0; period as a number */
	it = build("{\"sin\": {\"period\": 4}}");
	assert_int_equal(iter_at(it, 0, 0, &v), ITER_VALUE);
	assert_true(v == 0);
	assert_int_equal(iter_at(it, 0, 1, &v), ITER_VALUE);
	assert_true(v == 1);            /* sin(π/2) */
	assert_int_equal(iter_at(it, 0, 3, &v), ITER_VALUE);
	assert_true(v == -1);
	assert_int_equal(iter_at(it, 0, 2, &v), ITER_VALUE);
	assert_near(v, 0, 1e-15);
	iter_free(it);

	it = build("{\"cos\": {\"amplitude\": 2, \"period\": \"1m\", \"offset\": 10}}");
	assert_int_equal(iter_at(it, 0, 0, &v), ITER_VALUE);
	assert_true(v == 12);
	assert_int_equal(iter_at(it, 0, 30, &v), ITER_VALUE);
	assert_true(v == 8);
	assert_int_equal(iter_at(it, 0, 15, &v), ITER_VALUE);
	assert_near(v, 10, 1e-14);
	iter_free(it);

	/* phase shifts the wave right: at t = phase it starts from 0 */
	it = build("{\"sin\": {\"amplitude\": 3, \"period\": \"10m\", \"phase\": \"150s\"}}");
	assert_int_equal(iter_at(it, 0, 150, &v), ITER_VALUE);
	assert_true(v == 0);
	assert_int_equal(iter_at(it, 0, 300, &v), ITER_VALUE);
	assert_true(v == 3);
	assert_int_equal(iter_at(it, 0, 0, &v), ITER_VALUE);
	assert_true(v == -3);
	iter_free(it);

	/* phase as a number of seconds, negative allowed; fractions of periods */
	it = build("{\"sin\": {\"period\": 0.5, \"phase\": -0.125}}");
	assert_int_equal(iter_at(it, 0, 0, &v), ITER_VALUE);
	assert_true(v == 1);
	iter_free(it);
	it = build("{\"sin\": {\"period\": 8, \"phase\": \"0s\"}}");
	assert_int_equal(iter_at(it, 0, 2, &v), ITER_VALUE);
	assert_true(v == 1);
	iter_free(it);
}

static void test_gen_iter_continuous_reads_the_clock_inside_join_and_loop(void **state)
{
	struct iter *it;
	double v;

	(void)state;
	/* after two void ticks the sine is at t = 2, not at its own tick 0 */
	it = build("{\"join\": [{\"void\": 2}, {\"sin\": {\"period\": 8}}]}");
	assert_int_equal(iter_at(it, 2, 2, &v), ITER_VALUE);
	assert_true(v == 1);
	iter_free(it);
	/* in the third run of a loop the clock is still the series' clock */
	it = build("{\"loop\": {\"body\": {\"add\": [{\"values\": [0, 0]}, {\"sin\": {\"period\": 4}}]}}}");
	assert_int_equal(iter_at(it, 5, 5, &v), ITER_VALUE);
	assert_true(v == 1);            /* sin(2π·5/4) = sin(5π/2) */
	assert_int_equal(iter_at(it, 3, 3, &v), ITER_VALUE);
	assert_true(v == -1);
	iter_free(it);
	/* the spec's histogram program */
	it = build("{\"add\": [{\"sin\": {\"amplitude\": 0.2, \"period\": \"10m\"}}, {\"constant\": 0.4}]}");
	assert_int_equal(iter_at(it, 10, 150, &v), ITER_VALUE);
	assert_near(v, 0.6, 1e-15);
	assert_int_equal(iter_at(it, 30, 450, &v), ITER_VALUE);
	assert_near(v, 0.2, 1e-15);
	iter_free(it);
}

/* ---- random access ----------------------------------------------------- */

static void test_gen_iter_random_access_equals_sequential_in_deep_trees(void **state)
{
	static const char prog[] =
		"{\"join\": ["
		" {\"loop\": {\"times\": 3, \"body\": {\"join\": ["
		"   {\"values\": [1, 2]},"
		"   {\"loop\": {\"times\": 2, \"body\": {\"join\": ["
		"     {\"random\": {\"min\": 0, \"max\": 100, \"ticks\": 3}},"
		"     {\"void\": 1},"
		"     {\"linear\": {\"from\": 0, \"to\": 1, \"ticks\": 3}} ]}}},"
		"   {\"add\": [{\"random\": {\"min\": 0, \"max\": 1, \"ticks\": 2}},"
		"             {\"sin\": {\"period\": 7}}]},"
		"   {\"void\": 0} ]}}},"
		" {\"div\": [{\"values\": [1, 0, -1]}, {\"values\": [0, 0, 0]}]},"
		" {\"loop\": {\"body\": {\"join\": [{\"random\": {\"min\": 5, \"max\": 6, \"ticks\": 2}},"
		"                                {\"void\": 2},"
		"                                {\"cos\": {\"period\": 3}}]}}} ]}";
	enum { N = 300 };
	struct iter *it = build_typed(prog, "gauge", 1234);
	double seq[N], v;
	enum iter_tick kind[N];
	size_t order[N], i, j, tmp;

	(void)state;
	for (i = 0; i < N; i++) {
		seq[i] = 0;
		kind[i] = iter_at(it, i, (double)i * 15, &seq[i]);
	}
	assert_int_equal(kind[0], ITER_VALUE);
	assert_int_equal(kind[5], ITER_VOID);
	/* a fixed shuffle, then backwards, compared bit for bit (NaN too) */
	for (i = 0; i < N; i++)
		order[i] = i;
	srand(99);
	for (i = N - 1; i > 0; i--) {
		j = (size_t)rand() % (i + 1);
		tmp = order[i];
		order[i] = order[j];
		order[j] = tmp;
	}
	for (i = 0; i < N; i++) {
		size_t k = order[i];

		v = 0;
		assert_int_equal(iter_at(it, k, (double)k * 15, &v), kind[k]);
		if (kind[k] == ITER_VALUE)
			assert_memory_equal(&v, &seq[k], sizeof(v));
	}
	for (i = N; i-- > 0;) {
		v = 0;
		assert_int_equal(iter_at(it, i, (double)i * 15, &v), kind[i]);
		if (kind[i] == ITER_VALUE)
			assert_memory_equal(&v, &seq[i], sizeof(v));
	}
	iter_free(it);
}

static void test_gen_iter_lengths_add_up(void **state)
{
	struct iter *it;

	(void)state;
	it = build("{\"join\": [{\"loop\": {\"times\": 4, \"body\": {\"join\": [{\"void\": 2},"
		   " {\"linear\": {\"from\": 0, \"to\": 1, \"ticks\": 5}}]}}}, {\"values\": [1, 2, 3]}]}");
	assert_int_equal(iter_length(it), 4 * 7 + 3);
	iter_free(it);
	/* a very long loop saturates to "never ends" instead of wrapping */
	it = build("{\"loop\": {\"times\": 9223372036854775807, \"body\": {\"values\": [1, 2, 3]}}}");
	assert_int_equal(iter_length(it), UINT64_MAX);
	iter_free(it);
}

/* ---- checks ------------------------------------------------------------ */

static void test_gen_iter_rejects_linear_ticks_below_one(void **state)
{
	(void)state;
	/* the spec's own example */
	build_fails("{\"join\": [{\"linear\": {\"from\": 1, \"to\": 2, \"ticks\": -3}}]}",
		    ROOT ".join[0].linear.ticks: expected an integer >= 1, got -3");
	build_fails("{\"linear\": {\"from\": 1, \"to\": 2, \"ticks\": 0}}",
		    ROOT ".linear.ticks: expected an integer >= 1, got 0");
	build_fails("{\"linear\": {\"from\": 1, \"to\": 2, \"ticks\": 2.5}}",
		    ROOT ".linear.ticks: expected an integer >= 1, got 2.5");
	build_fails("{\"linear\": {\"from\": 1, \"to\": 2, \"ticks\": 3.0}}",
		    ROOT ".linear.ticks: expected an integer >= 1, got 3.0");
	build_fails("{\"linear\": {\"from\": 1, \"to\": 2, \"ticks\": \"3\"}}",
		    ROOT ".linear.ticks: expected an integer >= 1, got \"3\"");
	build_fails("{\"linear\": {\"from\": 1, \"to\": 2}}",
		    ROOT ".linear.ticks: expected an integer >= 1, got nothing");
	build_fails("{\"linear\": {\"from\": \"1\", \"to\": 2, \"ticks\": 2}}",
		    ROOT ".linear.from: expected a number, got \"1\"");
	build_fails("{\"linear\": {\"from\": 1, \"ticks\": 2}}",
		    ROOT ".linear.to: expected a number, got nothing");
	build_fails("{\"linear\": [1, 2, 3]}",
		    ROOT ".linear: expected an object {from, to, ticks}, got [1,2,3]");
}

static void test_gen_iter_rejects_unknown_keys(void **state)
{
	(void)state;
	build_fails("{\"linear\": {\"from\": 1, \"to\": 2, \"tick\": 3}}",
		    ROOT ".linear.tick: expected one of from, to, ticks, got unknown key \"tick\"");
	build_fails("{\"random\": {\"min\": 1, \"max\": 2, \"seed\": 3}}",
		    ROOT ".random.seed: expected one of min, max, ticks, got unknown key \"seed\"");
	build_fails("{\"loop\": {\"time\": 2, \"body\": {\"constant\": 1}}}",
		    ROOT ".loop.time: expected one of times, body, got unknown key \"time\"");
	build_fails("{\"sin\": {\"period\": 60, \"amplitud\": 2}}",
		    ROOT ".sin.amplitud: expected one of amplitude, period, phase, offset,"
		    " got unknown key \"amplitud\"");
	/* a key that is no identifier is written in brackets, escaped */
	build_fails("{\"linear\": {\"from\": 1, \"to\": 2, \"ticks\": 3, \"a \\\"b\": 1}}",
		    ROOT ".linear[\"a \\\"b\"]: expected one of from, to, ticks,"
		    " got unknown key \"a \\\"b\"");
	build_fails("{\"lineer\": {\"from\": 1}}",
		    ROOT ".lineer: expected one of linear, values, random, void, join, loop,"
		    " add, sub, mul, div, constant, sin, cos, reset, got unknown key \"lineer\"");
}

static void test_gen_iter_rejects_a_node_without_exactly_one_key(void **state)
{
	(void)state;
	build_fails("{}", ROOT ": expected an object with one iterator key, got {}");
	build_fails("{\"values\": [1], \"void\": 2}",
		    ROOT ": expected an object with one iterator key, got {\"values\":[1],\"void\":2}");
	build_fails("{\"join\": [{\"values\": [1]}, 5]}",
		    ROOT ".join[1]: expected an object with one iterator key, got 5");
	build_fails("[{\"values\": [1]}]",
		    ROOT ": expected an object with one iterator key, got [{\"values\":[1]}]");
}

static void test_gen_iter_rejects_a_missing_program(void **state)
{
	struct iter *it = NULL;
	struct errinfo ei;

	(void)state;
	memset(&ei, 0, sizeof(ei));
	assert_int_equal(iter_build(NULL, ROOT, "gauge", 0, &it, &ei), ERR_BAD_REQUEST);
	assert_null(it);
	assert_string_equal(ei.details,
			    ROOT ": expected a program (an object with one iterator key), got nothing");
}

static void test_gen_iter_rejects_empty_values_and_join(void **state)
{
	(void)state;
	build_fails("{\"values\": []}", ROOT ".values: expected a non-empty array of numbers, got []");
	build_fails("{\"values\": 3}", ROOT ".values: expected a non-empty array of numbers, got 3");
	build_fails("{\"values\": [1, \"x\", 3]}", ROOT ".values[1]: expected a number, got \"x\"");
	build_fails("{\"values\": [1, null]}", ROOT ".values[1]: expected a number, got null");
	build_fails("{\"join\": []}", ROOT ".join: expected a non-empty array of iterators, got []");
	build_fails("{\"join\": {\"values\": [1]}}",
		    ROOT ".join: expected a non-empty array of iterators, got {\"values\":[1]}");
}

static void test_gen_iter_rejects_a_loop_body_without_ticks(void **state)
{
	(void)state;
	build_fails("{\"loop\": {\"times\": 2, \"body\": {\"void\": 0}}}",
		    ROOT ".loop.body: expected an iterator that yields at least one tick,"
		    " got {\"void\":0}");
	build_fails("{\"loop\": {\"body\": {\"join\": [{\"void\": 0}, {\"void\": 0}]}}}",
		    ROOT ".loop.body: expected an iterator that yields at least one tick,"
		    " got {\"join\":[{\"void\":0},{\"void\":0}]}");
	build_fails("{\"loop\": {\"times\": 2}}",
		    ROOT ".loop.body: expected an iterator, got nothing");
	build_fails("{\"loop\": {\"times\": 0, \"body\": {\"values\": [1]}}}",
		    ROOT ".loop.times: expected an integer >= 1, got 0");
	build_fails("{\"loop\": {\"body\": {\"join\": [{\"values\": [1]}, {\"values\": []}]}}}",
		    ROOT ".loop.body.join[1].values: expected a non-empty array of numbers, got []");
	/* a body of voids only does yield ticks: gaps */
	iter_free(build("{\"loop\": {\"body\": {\"void\": 1}}}"));
}

static void test_gen_iter_rejects_reset_outside_a_counter(void **state)
{
	(void)state;
	build_fails("{\"join\": [{\"values\": [1]}, {\"reset\": 1}]}",
		    ROOT ".join[1].reset: expected reset only in a counter's program"
		    " (this series is a gauge), got 1");
	build_fails_typed("{\"reset\": 1}", "histogram",
			  ROOT ".reset: expected reset only in a counter's program"
			  " (this series is a histogram), got 1");
	build_fails_typed("{\"add\": [{\"constant\": 1}, {\"join\": [{\"values\": [1]}, {\"reset\": 1}]}]}",
			  "counter",
			  ROOT ".add[1].join[1].reset: expected reset only outside add, sub, mul"
			  " and div, got 1");
	build_fails_typed("{\"reset\": -1}", "counter",
			  ROOT ".reset: expected an integer >= 0, got -1");
}

static void test_gen_iter_rejects_negative_void(void **state)
{
	(void)state;
	build_fails("{\"void\": -1}", ROOT ".void: expected an integer >= 0, got -1");
	build_fails("{\"void\": 1.5}", ROOT ".void: expected an integer >= 0, got 1.5");
	build_fails("{\"void\": \"2\"}", ROOT ".void: expected an integer >= 0, got \"2\"");
}

static void test_gen_iter_rejects_bad_arithmetic_and_constants(void **state)
{
	(void)state;
	build_fails("{\"add\": [{\"constant\": 1}]}",
		    ROOT ".add: expected an array of two iterators, got [{\"constant\":1}]");
	build_fails("{\"div\": [{\"constant\": 1}, {\"constant\": 2}, {\"constant\": 3}]}",
		    ROOT ".div: expected an array of two iterators,"
		    " got [{\"constant\":1},{\"constant\":2},{\"cons...");
	build_fails("{\"mul\": [{\"constant\": 1}, {\"values\": [true]}]}",
		    ROOT ".mul[1].values[0]: expected a number, got true");
	build_fails("{\"constant\": \"5\"}", ROOT ".constant: expected a number, got \"5\"");
	/* reals inside a shown value read as written, not with 17 digits */
	build_fails("{\"add\": [{\"constant\": 0.1}]}",
		    ROOT ".add: expected an array of two iterators, got [{\"constant\":0.1}]");
}

static void test_gen_iter_rejects_bad_random(void **state)
{
	(void)state;
	build_fails("{\"random\": {\"min\": 1, \"max\": 0}}",
		    ROOT ".random.max: expected a number >= min, got 0");
	build_fails("{\"random\": {\"max\": 1}}", ROOT ".random.min: expected a number, got nothing");
	build_fails("{\"random\": {\"min\": 0, \"max\": 1, \"ticks\": 0}}",
		    ROOT ".random.ticks: expected an integer >= 1, got 0");
}

static void test_gen_iter_rejects_bad_durations_in_waves(void **state)
{
	(void)state;
	build_fails("{\"sin\": {\"amplitude\": 2}}", ROOT ".sin.period: expected a duration > 0"
		    " (\"10m\", \"1h30m\" or seconds as a number), got nothing");
	build_fails("{\"sin\": {\"period\": \"1x\"}}", ROOT ".sin.period: expected a duration > 0"
		    " (\"10m\", \"1h30m\" or seconds as a number), got \"1x\"");
	build_fails("{\"cos\": {\"period\": 0}}", ROOT ".cos.period: expected a duration > 0"
		    " (\"10m\", \"1h30m\" or seconds as a number), got 0");
	build_fails("{\"cos\": {\"period\": \"-5s\"}}", ROOT ".cos.period: expected a duration > 0"
		    " (\"10m\", \"1h30m\" or seconds as a number), got \"-5s\"");
	build_fails("{\"sin\": {\"period\": \"1m\", \"phase\": \"1m1h\"}}",
		    ROOT ".sin.phase: expected a duration (\"30s\") or seconds as a number,"
		    " got \"1m1h\"");
	build_fails("{\"sin\": {\"period\": \"1m\", \"offset\": \"1\"}}",
		    ROOT ".sin.offset: expected a number, got \"1\"");
}

static void test_gen_iter_cuts_long_values_in_messages(void **state)
{
	(void)state;
	build_fails("{\"values\": [\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"]}",
		    ROOT ".values[0]: expected a number, got \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...");
	/* never in the middle of a UTF-8 character */
	build_fails("{\"values\": [\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\\u00e9\\u00e9\\u00e9\\u00e9\"]}",
		    ROOT ".values[0]: expected a number, got \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\xc3\xa9...");
}

static void test_gen_iter_rejects_programs_nested_too_deep(void **state)
{
	char *json = malloc(100 * 40 + 64), *p = json;
	int i;

	(void)state;
	assert_non_null(json);
	for (i = 0; i < 100; i++)
		p += snprintf(p, 40, "{\"loop\": {\"body\": ");
	p += snprintf(p, 40, "{\"values\": [1]}");
	for (i = 0; i < 100; i++)
		p += snprintf(p, 40, "}}");
	{
		json_error_t jerr;
		json_t *j = json_loads(json, 0, &jerr);
		struct iter *it = NULL;
		struct errinfo ei;

		assert_non_null(j);
		memset(&ei, 0, sizeof(ei));
		assert_int_equal(iter_build(j, "$", "gauge", 0, &it, &ei), ERR_BAD_REQUEST);
		assert_non_null(strstr(ei.details, "expected a program nested at most 64 deep"));
		assert_int_equal(strncmp(ei.details, "$.loop.body.loop.body.", 22), 0);
		json_decref(j);
	}
	free(json);
}

static void test_gen_iter_path_helpers_escape_and_cut(void **state)
{
	struct iter_path p;
	size_t a, b;
	char key[600];

	(void)state;
	iter_path_init(&p, "$");
	a = iter_path_key(&p, "series");
	b = iter_path_index(&p, 12);
	iter_path_key(&p, "a\nb");
	assert_string_equal(p.s, "$.series[12][\"a\\u000ab\"]");
	iter_path_pop(&p, b);
	assert_string_equal(p.s, "$.series");
	iter_path_pop(&p, a);
	assert_string_equal(p.s, "$");
	memset(key, 'k', sizeof(key) - 1);
	key[sizeof(key) - 1] = '\0';
	iter_path_key(&p, key);
	assert_int_equal(strlen(p.s), ITER_PATH_MAX - 1);
	iter_path_pop(&p, a);
	assert_string_equal(p.s, "$");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gen_iter_linear_is_evenly_spaced_with_both_ends),
		cmocka_unit_test(test_gen_iter_linear_ends_are_exact_with_inexact_steps),
		cmocka_unit_test(test_gen_iter_linear_with_one_tick_gives_from),
		cmocka_unit_test(test_gen_iter_values_one_per_tick),
		cmocka_unit_test(test_gen_iter_void_gives_gaps_and_may_be_empty),
		cmocka_unit_test(test_gen_iter_join_runs_children_in_order),
		cmocka_unit_test(test_gen_iter_loop_repeats_its_body),
		cmocka_unit_test(test_gen_iter_loop_of_a_body_that_never_ends_is_one_run),
		cmocka_unit_test(test_gen_iter_reset_gives_reset_ticks_in_a_counter),
		cmocka_unit_test(test_gen_iter_arithmetic_tick_by_tick),
		cmocka_unit_test(test_gen_iter_division_by_zero_gives_ieee_results),
		cmocka_unit_test(test_gen_iter_arithmetic_ends_with_the_shorter_side),
		cmocka_unit_test(test_gen_iter_void_on_either_side_is_void),
		cmocka_unit_test(test_gen_iter_random_same_seed_same_values),
		cmocka_unit_test(test_gen_iter_random_is_roughly_uniform),
		cmocka_unit_test(test_gen_iter_random_with_min_equal_max_is_constant),
		cmocka_unit_test(test_gen_iter_random_depends_on_the_node_position),
		cmocka_unit_test(test_gen_iter_random_repeats_inside_a_loop),
		cmocka_unit_test(test_gen_iter_seed_id_mixes_seed_and_id),
		cmocka_unit_test(test_gen_iter_constant_never_ends),
		cmocka_unit_test(test_gen_iter_sin_and_cos_follow_the_formula),
		cmocka_unit_test(test_gen_iter_continuous_reads_the_clock_inside_join_and_loop),
		cmocka_unit_test(test_gen_iter_random_access_equals_sequential_in_deep_trees),
		cmocka_unit_test(test_gen_iter_lengths_add_up),
		cmocka_unit_test(test_gen_iter_rejects_linear_ticks_below_one),
		cmocka_unit_test(test_gen_iter_rejects_unknown_keys),
		cmocka_unit_test(test_gen_iter_rejects_a_node_without_exactly_one_key),
		cmocka_unit_test(test_gen_iter_rejects_a_missing_program),
		cmocka_unit_test(test_gen_iter_rejects_empty_values_and_join),
		cmocka_unit_test(test_gen_iter_rejects_a_loop_body_without_ticks),
		cmocka_unit_test(test_gen_iter_rejects_reset_outside_a_counter),
		cmocka_unit_test(test_gen_iter_rejects_negative_void),
		cmocka_unit_test(test_gen_iter_rejects_bad_arithmetic_and_constants),
		cmocka_unit_test(test_gen_iter_rejects_bad_random),
		cmocka_unit_test(test_gen_iter_rejects_bad_durations_in_waves),
		cmocka_unit_test(test_gen_iter_cuts_long_values_in_messages),
		cmocka_unit_test(test_gen_iter_rejects_programs_nested_too_deep),
		cmocka_unit_test(test_gen_iter_path_helpers_escape_and_cut),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
