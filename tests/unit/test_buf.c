/* test_buf.c - the growable buffer: appending, the ceiling, failure frees. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"

static void test_buf_appends_and_stays_nul_terminated(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 100);
	assert_string_equal(buf_cstr(&b), "");
	assert_int_equal(buf_puts(&b, "abc"), OK);
	assert_int_equal(buf_printf(&b, "-%d-", 42), OK);
	assert_int_equal(buf_append(&b, "xyz", 2), OK);
	assert_string_equal(buf_cstr(&b), "abc-42-xy");
	assert_int_equal(b.len, 9);
	buf_free(&b);
}

static void test_buf_refuses_to_pass_its_ceiling_and_frees_itself(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 8);
	assert_int_equal(buf_puts(&b, "12345678"), OK);
	assert_int_equal(buf_puts(&b, "9"), ERR_TOO_LARGE);
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	/* a failed buffer stays failed */
	assert_int_equal(buf_puts(&b, "x"), ERR_TOO_LARGE);
	buf_free(&b);
}

static void test_buf_printf_checks_the_ceiling_too(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 4);
	assert_int_equal(buf_printf(&b, "%s", "12345"), ERR_TOO_LARGE);
	buf_free(&b);
}

static void test_buf_grows_across_many_appends(void **state)
{
	struct buf b;
	size_t i;

	(void)state;
	buf_init(&b, 1 << 20);
	for (i = 0; i < 100000; i++)
		assert_int_equal(buf_append(&b, "ab", 2), OK);
	assert_int_equal(b.len, 200000);
	assert_memory_equal(b.data + 199998, "ab", 3);
	buf_free(&b);
}

static void test_buf_steal_hands_over_the_string(void **state)
{
	struct buf b;
	char *s;

	(void)state;
	buf_init(&b, 10);
	s = buf_steal(&b);
	assert_string_equal(s, "");
	free(s);
	buf_puts(&b, "hi");
	s = buf_steal(&b);
	assert_string_equal(s, "hi");
	assert_null(b.data);
	free(s);
	buf_free(NULL);
}

static void test_buf_reset_keeps_memory(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 10);
	buf_puts(&b, "hello");
	buf_reset(&b);
	assert_string_equal(buf_cstr(&b), "");
	assert_int_equal(buf_puts(&b, "0123456789"), OK);
	buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_buf_appends_and_stays_nul_terminated),
		cmocka_unit_test(test_buf_refuses_to_pass_its_ceiling_and_frees_itself),
		cmocka_unit_test(test_buf_printf_checks_the_ceiling_too),
		cmocka_unit_test(test_buf_grows_across_many_appends),
		cmocka_unit_test(test_buf_steal_hands_over_the_string),
		cmocka_unit_test(test_buf_reset_keeps_memory),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
