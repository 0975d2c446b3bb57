/* test_gen_pbwrite.c - the hand-encoded remote-write WriteRequest, byte for
 * byte against messages worked out by hand. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <math.h>
#include <string.h>

#include "generator/pbwrite.h"

/* Encodes series[0..n) into a fresh buffer and compares with want. */
static void check(const struct pb_series *series, size_t n,
		  const unsigned char *want, size_t want_len)
{
	struct buf b;

	buf_init(&b, 1 << 20);
	assert_int_equal(pbwrite_request(&b, series, n), OK);
	assert_int_equal(b.len, want_len);
	if (want_len)
		assert_memory_equal(b.data, want, want_len);
	buf_free(&b);
}

static void test_gen_pbwrite_encodes_a_hand_worked_request(void **state)
{
	static const struct pb_label labels[] = {
		{ "__name__", "up" },
		{ "job", "a" },
	};
	static const struct pb_sample samples[] = {
		{ .value = 1.0, .timestamp_ms = 1000 },
	};
	static const struct pb_series series = {
		labels, 2, samples, 1,
	};
	static const unsigned char want[] = {
		0x0a, 0x28,             /* WriteRequest.timeseries (1, LEN), 40 bytes */
		0x0a, 0x0e,             /*  TimeSeries.labels (1, LEN), 14 bytes */
		0x0a, 0x08,             /*   Label.name (1, LEN), 8 bytes */
		'_', '_', 'n', 'a', 'm', 'e', '_', '_',
		0x12, 0x02,             /*   Label.value (2, LEN), 2 bytes */
		'u', 'p',
		0x0a, 0x08,             /*  TimeSeries.labels, 8 bytes */
		0x0a, 0x03, 'j', 'o', 'b', /* name "job" */
		0x12, 0x01, 'a',        /*   value "a" */
		0x12, 0x0c,             /*  TimeSeries.samples (2, LEN), 12 bytes */
		0x09,                   /*   Sample.value (1, I64) */
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xf0, 0x3f, /* 1.0, little-endian */
		0x10,                   /*   Sample.timestamp (2, VARINT) */
		0xe8, 0x07,             /*   1000 = 0x68 | 0x80, then 1000 >> 7 = 7 */
	};

	(void)state;
	check(&series, 1, want, sizeof(want));
}

static void test_gen_pbwrite_empty_request_is_empty(void **state)
{
	(void)state;
	check(NULL, 0, NULL, 0);
}

static void test_gen_pbwrite_writes_empty_strings_and_series(void **state)
{
	static const struct pb_label labels[] = { { "", "" } };
	static const struct pb_series series[] = {
		{ labels, 1, NULL, 0 },
		{ NULL, 0, NULL, 0 },
	};
	static const unsigned char want[] = {
		0x0a, 0x06,             /* timeseries, 6 bytes */
		0x0a, 0x04,             /*  labels, 4 bytes */
		0x0a, 0x00,             /*   name "" */
		0x12, 0x00,             /*   value "" */
		0x0a, 0x00,             /* timeseries, empty */
	};

	(void)state;
	check(series, 2, want, sizeof(want));
}

static void test_gen_pbwrite_long_strings_take_multi_byte_lengths(void **state)
{
	static char value[301];
	struct pb_label labels[] = { { "a", value } };
	struct pb_series series = { labels, 1, NULL, 0 };
	unsigned char want[312];
	size_t n = 0;

	(void)state;
	memset(value, 'x', 300);
	/* label: 1 + 1 + 1 ("a") + 1 + 2 + 300 = 306 = 0b10_0110010 */
	/* series: 1 + 2 + 306 = 309 = 0b10_0110101 */
	want[n++] = 0x0a;
	want[n++] = 0x80 | (309 & 0x7f);        /* 0xb5 */
	want[n++] = 309 >> 7;                   /* 0x02 */
	want[n++] = 0x0a;
	want[n++] = 0x80 | (306 & 0x7f);        /* 0xb2 */
	want[n++] = 306 >> 7;                   /* 0x02 */
	want[n++] = 0x0a;
	want[n++] = 0x01;
	want[n++] = 'a';
	want[n++] = 0x12;
	want[n++] = 0x80 | (300 & 0x7f);        /* 0xac */
	want[n++] = 300 >> 7;                   /* 0x02 */
	memset(want + n, 'x', 300);
	n += 300;
	assert_int_equal(want[1], 0xb5);
	assert_int_equal(want[4], 0xb2);
	assert_int_equal(want[10], 0xac);
	check(&series, 1, want, n);
}

static void test_gen_pbwrite_negative_timestamp_takes_ten_bytes(void **state)
{
	static const struct pb_sample samples[] = {
		{ .value = -2.5, .timestamp_ms = -1 },
	};
	static const struct pb_series series = { NULL, 0, samples, 1 };
	static const unsigned char want[] = {
		0x0a, 0x16,             /* timeseries, 22 bytes */
		0x12, 0x14,             /*  samples, 20 bytes */
		0x09,                   /*   value: -2.5 = 0xc004000000000000 */
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0xc0,
		0x10,                   /*   timestamp: -1 as 2^64 - 1, 64 bits */
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		0x01,                   /*   in nine 7-bit groups and a last 1 */
	};

	(void)state;
	check(&series, 1, want, sizeof(want));
}

static void test_gen_pbwrite_keeps_the_stale_nan_bits(void **state)
{
	uint64_t bits = PB_STALE_NAN_BITS;
	struct pb_sample samples[2];
	struct pb_series series = { NULL, 0, samples, 2 };
	static const unsigned char want[] = {
		0x0a, 0x1b,             /* timeseries, 27 bytes */
		0x12, 0x0c,             /*  samples, 12 bytes */
		0x09, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0xf0, 0x7f,
		0x10, 0x80, 0x01,       /*   timestamp 128 */
		0x12, 0x0b,             /*  samples, 11 bytes */
		0x09, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x80, /* -0.0 */
		0x10, 0x00,             /*   timestamp 0, written all the same */
	};

	(void)state;
	memcpy(&samples[0].value, &bits, sizeof(bits));
	samples[0].timestamp_ms = 128;
	samples[1].value = -0.0;
	samples[1].timestamp_ms = 0;
	assert_true(isnan(samples[0].value));
	check(&series, 1, want, sizeof(want));
}

static void test_gen_pbwrite_large_timestamps_and_many_series(void **state)
{
	static const struct pb_sample s1[] = {
		{ .value = 0, .timestamp_ms = INT64_MAX },
	};
	struct pb_series series[200];
	struct buf b;
	size_t i;

	(void)state;
	for (i = 0; i < 200; i++) {
		series[i] = (struct pb_series){ NULL, 0, s1, 1 };
	}
	buf_init(&b, 1 << 20);
	assert_int_equal(pbwrite_request(&b, series, 200), OK);
	/* each: 0a 15 | 12 13 | 09 + 8 | 10 + 9-byte varint of 2^63 - 1,
	 * eight 0xff then 0x7f */
	assert_int_equal(b.len, 200 * 23);
	assert_int_equal((unsigned char)b.data[1], 0x15);
	assert_int_equal((unsigned char)b.data[14], 0xff);
	assert_int_equal((unsigned char)b.data[22], 0x7f);
	buf_free(&b);
}

static void test_gen_pbwrite_reports_a_full_buffer(void **state)
{
	static const struct pb_label labels[] = { { "__name__", "up" } };
	static const struct pb_series series = { labels, 1, NULL, 0 };
	struct buf b;

	(void)state;
	buf_init(&b, 8);
	assert_int_equal(pbwrite_request(&b, &series, 1), ERR_TOO_LARGE);
	assert_int_equal(b.len, 0);
	buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gen_pbwrite_encodes_a_hand_worked_request),
		cmocka_unit_test(test_gen_pbwrite_empty_request_is_empty),
		cmocka_unit_test(test_gen_pbwrite_writes_empty_strings_and_series),
		cmocka_unit_test(test_gen_pbwrite_long_strings_take_multi_byte_lengths),
		cmocka_unit_test(test_gen_pbwrite_negative_timestamp_takes_ten_bytes),
		cmocka_unit_test(test_gen_pbwrite_keeps_the_stale_nan_bits),
		cmocka_unit_test(test_gen_pbwrite_large_timestamps_and_many_series),
		cmocka_unit_test(test_gen_pbwrite_reports_a_full_buffer),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
