/* test_jsonw.c - shortest round-trip numbers and JSON string escaping. */
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

#include <jansson.h>

#include "common/jsonw.h"

static const char *dbl(double v)
{
	static char out[64];
	struct buf b;

	buf_init(&b, 64);
	assert_int_equal(jsonw_double(&b, v), OK);
	snprintf(out, sizeof(out), "%s", buf_cstr(&b));
	buf_free(&b);
	return out;
}

static void test_jsonw_writes_the_shortest_decimal_that_reads_back(void **state)
{
	(void)state;
	assert_string_equal(dbl(0.2), "0.2");
	assert_string_equal(dbl(0.1 + 0.2), "0.30000000000000004");
	assert_string_equal(dbl(1.0 / 3.0), "0.3333333333333333");
	assert_string_equal(dbl(2.5), "2.5");
	assert_string_equal(dbl(-0.25), "-0.25");
	assert_string_equal(dbl(123456.789), "123456.789");
	assert_string_equal(dbl(5e-324), "5e-324");
	assert_string_equal(dbl(DBL_MAX), "1.7976931348623157e+308");
	assert_string_equal(dbl(1e-7), "1e-07");
}

static void test_jsonw_marks_integral_values_as_reals(void **state)
{
	(void)state;
	assert_string_equal(dbl(1.0), "1.0");
	assert_string_equal(dbl(0.0), "0.0");
	assert_string_equal(dbl(-0.0), "-0.0");
	assert_string_equal(dbl(1555408501000.0), "1555408501000.0");
	assert_string_equal(dbl(1e20), "1e+20");
}

static void test_jsonw_every_number_reads_back_exactly(void **state)
{
	unsigned i;

	(void)state;
	srand(7);
	for (i = 0; i < 20000; i++) {
		double v = ((double)rand() / RAND_MAX - 0.5) * pow(10, (int)(rand() % 40) - 20);
		char out[FMT_DOUBLE_MAX];

		fmt_double(v, out);
		assert_true(strtod(out, NULL) == v);
	}
}

static void test_jsonw_spells_non_finite_values_like_prometheus(void **state)
{
	char out[FMT_DOUBLE_MAX];
	struct buf b;

	(void)state;
	assert_string_equal(fmt_double(NAN, out), "NaN");
	assert_string_equal(fmt_double(INFINITY, out), "+Inf");
	assert_string_equal(fmt_double(-INFINITY, out), "-Inf");
	assert_string_equal(fmt_double(1.0, out), "1");
	/* JSON has no NaN: a caller bug becomes null, never invalid JSON */
	buf_init(&b, 16);
	assert_int_equal(jsonw_double(&b, NAN), OK);
	assert_string_equal(buf_cstr(&b), "null");
	buf_free(&b);
}

static void test_jsonw_escapes_quotes_backslashes_and_control_bytes(void **state)
{
	static const char in[] = "a\"b\\c\nd\te\x01" "f\x1f" "Gr\xc3\xbc\xc3\x9f" "e";
	struct buf b;
	json_t *back;

	(void)state;
	buf_init(&b, 256);
	assert_int_equal(jsonw_string(&b, in, sizeof(in) - 1), OK);
	assert_string_equal(buf_cstr(&b),
			    "\"a\\\"b\\\\c\\nd\\te\\u0001f\\u001fGr\xc3\xbc\xc3\x9f" "e\"");
	back = json_loads(buf_cstr(&b), JSON_DECODE_ANY, NULL);
	assert_non_null(back);
	assert_string_equal(json_string_value(back), in);
	json_decref(back);
	buf_free(&b);
}

static void test_jsonw_writes_64_bit_integers(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 64);
	jsonw_int(&b, INT64_MIN);
	buf_puts(&b, " ");
	jsonw_int(&b, 1555408501000);
	assert_string_equal(buf_cstr(&b), "-9223372036854775808 1555408501000");
	buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_jsonw_writes_the_shortest_decimal_that_reads_back),
		cmocka_unit_test(test_jsonw_marks_integral_values_as_reals),
		cmocka_unit_test(test_jsonw_every_number_reads_back_exactly),
		cmocka_unit_test(test_jsonw_spells_non_finite_values_like_prometheus),
		cmocka_unit_test(test_jsonw_escapes_quotes_backslashes_and_control_bytes),
		cmocka_unit_test(test_jsonw_writes_64_bit_integers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
