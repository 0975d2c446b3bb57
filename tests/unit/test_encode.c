/* test_encode.c - the success bodies of spec section 5: every answer is read
 * back with jansson and compared as a structure, and a few spots are checked
 * as exact text (the point format, shortest numbers, escapes, the ceiling). */
#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <setjmp.h>
#include <cmocka.h>

#include <jansson.h>

#include "common/strlist.h"
#include "mirror/encode.h"

/* ---- helpers ---- */

/* parse: the buffer as JSON; fails the test when it is not exactly one
 * valid JSON document without duplicate keys. The caller json_decref()s. */
static json_t *parse(const struct buf *b)
{
	json_error_t jerr;
	json_t *doc;

	doc = json_loadb(buf_cstr(b), b->len, JSON_REJECT_DUPLICATES, &jerr);
	if (!doc)
		print_error("not JSON: %s at byte %d in:\n%s\n", jerr.text,
			    jerr.position, buf_cstr(b));
	assert_non_null(doc);
	return doc;
}

/* assert_json_equal: fails with both documents shown when they differ.
 * Consumes the reference to want. */
static void assert_json_equal(json_t *got, json_t *want)
{
	assert_non_null(want);
	if (!json_equal(got, want)) {
		char *g = json_dumps(got, JSON_SORT_KEYS | JSON_ENCODE_ANY);
		char *w = json_dumps(want, JSON_SORT_KEYS | JSON_ENCODE_ANY);

		print_error("got:  %s\nwant: %s\n", g ? g : "?", w ? w : "?");
		free(g);
		free(w);
		json_decref(want);
		fail();
	}
	json_decref(want);
}

/* assert_contains: the body holds needle as written. */
static void assert_contains(const struct buf *b, const char *needle)
{
	if (!strstr(buf_cstr(b), needle)) {
		print_error("\"%s\" not found in:\n%s\n", needle, buf_cstr(b));
		fail();
	}
}

static void assert_lacks(const struct buf *b, const char *needle)
{
	if (strstr(buf_cstr(b), needle)) {
		print_error("\"%s\" unexpectedly found in:\n%s\n", needle,
			    buf_cstr(b));
		fail();
	}
}

/* raw_doc: the document a raw answer must be, with points given as an
 * array we build (reference consumed). */
static json_t *raw_doc(json_t *points, int partial)
{
	return json_pack("{s:s, s:{s:s, s:[s,s], s:o, s:b}}",
			 "_type", "MetricsResponse",
			 "telemetry",
			 "_type", "RawMetricTelemetry",
			 "dataFormat", "value", "timestamp",
			 "points", points,
			 "isPartial", partial);
}

static json_t *aggregated_doc(json_t *points, int partial)
{
	return json_pack("{s:s, s:{s:s, s:[s,s,s], s:o, s:b}}",
			 "_type", "MetricsResponse",
			 "telemetry",
			 "_type", "AggregatedMetricTelemetry",
			 "dataFormat", "value", "startTimestamp", "endTimestamp",
			 "points", points,
			 "isPartial", partial);
}

static json_t *names_doc(const char *const *names, size_t n, int partial)
{
	json_t *fields = json_array();
	size_t i;

	for (i = 0; i < n; i++)
		json_array_append_new(fields, json_pack(
			"{s:s, s:s, s:s, s:b}", "_type", "FieldDescriptor",
			"fieldName", names[i], "fieldType", "STRING",
			"classified", 0));
	return json_pack("{s:s, s:o, s:b}", "_type", "FieldNamesResponse",
			 "fields", fields, "isPartial", partial);
}

static json_t *values_doc(const char *const *values, size_t n, int partial)
{
	json_t *list = json_array();
	size_t i;

	for (i = 0; i < n; i++)
		json_array_append_new(list, json_pack(
			"{s:s, s:s}", "_type", "CompleteValue", "value", values[i]));
	return json_pack("{s:s, s:o, s:b}", "_type", "FieldValuesResponse",
			 "values", list, "isPartial", partial);
}

/* Hostile strings: JSON and PromQL metacharacters, every control byte
 * class, DEL, and multi-byte UTF-8 (2, 3 and 4 bytes). */
static const char *const hostile[] = {
	"plain",
	"",
	"quote\"inside",
	"back\\slash",
	"trailing\\",
	"\\\"",
	"new\nline",
	"cr\rlf\n",
	"tab\tand\bbs\fff",
	"\x01\x02\x1f",
	"del\x7f",
	"caf\xc3\xa9",
	"\xe4\xb8\xad\xe6\x96\x87",
	"emoji \xf0\x9f\x98\x80",
	"</script><script>alert(1)</script>",
	"{\"_type\": \"x\"}",
	"a\"}, {\"_type\": \"CompleteValue\", \"value\": \"b",
};
#define N_HOSTILE (sizeof(hostile) / sizeof(hostile[0]))

/* to_list: copies of src[0..n) in a list, as the handlers hand them over
 * (the encoders take char *const *). Free with strlist_free. */
static void to_list(const char *const *src, size_t n, struct strlist *out)
{
	size_t i;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < n; i++)
		assert_int_equal(strlist_push(out, src[i], strlen(src[i])), OK);
}

/* ---- raw ---- */

static void test_encode_raw_writes_the_spec_example_point(void **state)
{
	const struct point p[] = { { .t_ms = 1555408501000, .v = 1.0 } };
	struct buf b;
	json_t *doc;

	(void)state;
	buf_init(&b, 1 << 20);
	assert_int_equal(encode_raw(&b, p, 1, 0), OK);
	assert_contains(&b, "[[1.0, 1555408501000]]");
	doc = parse(&b);
	assert_json_equal(doc, raw_doc(json_pack("[[f,I]]", 1.0,
						 (json_int_t)1555408501000), 0));
	/* the value is a real, the timestamp an integer */
	assert_true(json_is_real(json_array_get(json_array_get(json_object_get(
		json_object_get(doc, "telemetry"), "points"), 0), 0)));
	assert_true(json_is_integer(json_array_get(json_array_get(json_object_get(
		json_object_get(doc, "telemetry"), "points"), 0), 1)));
	json_decref(doc);
	buf_free(&b);
}

static void test_encode_raw_writes_points_in_the_order_given(void **state)
{
	const struct point p[] = {
		{ .t_ms = 0, .v = 0.0 },
		{ .t_ms = 1000, .v = -3.5 },
		{ .t_ms = 2000, .v = 0.2 },
		{ .t_ms = 3000, .v = 1e20 },
		{ .t_ms = 9007199254740993LL, .v = 42.0 },
	};
	struct buf b;
	json_t *doc;

	(void)state;
	buf_init(&b, 1 << 20);
	assert_int_equal(encode_raw(&b, p, 5, 0), OK);
	doc = parse(&b);
	assert_json_equal(doc, raw_doc(json_pack(
		"[[f,I],[f,I],[f,I],[f,I],[f,I]]",
		0.0, (json_int_t)0, -3.5, (json_int_t)1000, 0.2,
		(json_int_t)2000, 1e20, (json_int_t)3000, 42.0,
		(json_int_t)9007199254740993LL), 0));
	json_decref(doc);
	/* timestamps are exact integers, even above 2^53 */
	assert_contains(&b, "[42.0, 9007199254740993]");
	buf_free(&b);
}

static void test_encode_raw_writes_shortest_numbers(void **state)
{
	static const struct {
		double v;
		const char *text;
	} cases[] = {
		{ 0.2, "[0.2, 1]" },
		{ 0.1 + 0.2, "[0.30000000000000004, 1]" },
		{ 1.0 / 3.0, "[0.3333333333333333, 1]" },
		{ 100.0, "[100.0, 1]" },
		{ -7.0, "[-7.0, 1]" },
		{ 0.25, "[0.25, 1]" },
		{ 1e21, "[1e+21, 1]" },
		{ 1.5e-7, "[1.5e-07, 1]" },
		{ 123456789012345.0, "[123456789012345.0, 1]" },
	};
	struct buf b;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct point p = { .t_ms = 1, .v = cases[i].v };

		buf_init(&b, 1 << 20);
		assert_int_equal(encode_raw(&b, &p, 1, 0), OK);
		assert_contains(&b, cases[i].text);
		/* never the 17-digit form %.17g would give */
		assert_lacks(&b, "0.20000000000000001");
		buf_free(&b);
	}
}

static void test_encode_raw_values_read_back_as_the_same_doubles(void **state)
{
	static const double values[] = {
		0.1, 0.2, 0.7, 1.0 / 3.0, 2.0 / 3.0, M_PI, -M_E, 1e-300,
		DBL_MAX, -DBL_MAX, DBL_MIN, 4.9406564584124654e-324,
		2.2250738585072009e-308, 9007199254740993.0, 1e15, 1e16,
		1e17, 123.456, 5e-324, 0.0,
	};
	const size_t n = sizeof(values) / sizeof(values[0]);
	struct point p[sizeof(values) / sizeof(values[0])];
	json_t *doc, *pts;
	struct buf b;
	size_t i;

	(void)state;
	for (i = 0; i < n; i++)
		p[i] = (struct point){ .t_ms = (int64_t)i, .v = values[i] };
	buf_init(&b, 1 << 20);
	assert_int_equal(encode_raw(&b, p, n, 0), OK);
	doc = parse(&b);
	pts = json_object_get(json_object_get(doc, "telemetry"), "points");
	assert_int_equal(json_array_size(pts), n);
	for (i = 0; i < n; i++) {
		double got = json_real_value(json_array_get(json_array_get(pts, i), 0));

		if (got != values[i]) {
			print_error("value %zu: wrote %.17g, read back %.17g\n",
				    i, values[i], got);
			fail();
		}
		assert_int_equal(json_integer_value(json_array_get(
			json_array_get(pts, i), 1)), (json_int_t)i);
	}
	json_decref(doc);
	buf_free(&b);
}

static void test_encode_raw_sets_is_partial_true_and_false(void **state)
{
	const struct point p[] = { { .t_ms = 5, .v = 2.0 } };
	struct buf b;
	json_t *doc;

	(void)state;
	buf_init(&b, 1 << 20);
	assert_int_equal(encode_raw(&b, p, 1, 1), OK);
	assert_contains(&b, "\"isPartial\": true");
	doc = parse(&b);
	assert_true(json_is_true(json_object_get(json_object_get(doc, "telemetry"),
						 "isPartial")));
	json_decref(doc);
	buf_free(&b);

	buf_init(&b, 1 << 20);
	assert_int_equal(encode_raw(&b, p, 1, 0), OK);
	assert_contains(&b, "\"isPartial\": false");
	doc = parse(&b);
	assert_true(json_is_false(json_object_get(json_object_get(doc, "telemetry"),
						  "isPartial")));
	json_decref(doc);
	buf_free(&b);
}

static void test_encode_raw_writes_an_empty_points_list(void **state)
{
	struct buf b;
	json_t *doc;

	(void)state;
	buf_init(&b, 1 << 20);
	assert_int_equal(encode_raw(&b, NULL, 0, 0), OK);
	assert_contains(&b, "\"points\": []");
	doc = parse(&b);
	assert_json_equal(doc, raw_doc(json_array(), 0));
	json_decref(doc);
	buf_free(&b);
}

/* ---- aggregated ---- */

static void test_encode_aggregated_writes_value_start_and_end(void **state)
{
	const struct agg_point p[] = {
		{ .v = 2.5, .start_ms = 1555408500000, .end_ms = 1555408560000 },
		{ .v = 0.2, .start_ms = 1555408560000, .end_ms = 1555408620000 },
		{ .v = -1.0, .start_ms = 1555408620000, .end_ms = 1555408680000 },
	};
	struct buf b;
	json_t *doc;

	(void)state;
	buf_init(&b, 1 << 20);
	assert_int_equal(encode_aggregated(&b, p, 3, 0), OK);
	assert_contains(&b, "[[2.5, 1555408500000, 1555408560000], "
			    "[0.2, 1555408560000, 1555408620000], "
			    "[-1.0, 1555408620000, 1555408680000]]");
	doc = parse(&b);
	assert_json_equal(doc, aggregated_doc(json_pack(
		"[[f,I,I],[f,I,I],[f,I,I]]",
		2.5, (json_int_t)1555408500000, (json_int_t)1555408560000,
		0.2, (json_int_t)1555408560000, (json_int_t)1555408620000,
		-1.0, (json_int_t)1555408620000, (json_int_t)1555408680000), 0));
	json_decref(doc);
	buf_free(&b);
}

static void test_encode_aggregated_writes_empty_list_and_partial(void **state)
{
	const struct agg_point p[] = { { .v = 3.0, .start_ms = 0, .end_ms = 10 } };
	struct buf b;
	json_t *doc;

	(void)state;
	buf_init(&b, 1 << 20);
	assert_int_equal(encode_aggregated(&b, NULL, 0, 0), OK);
	doc = parse(&b);
	assert_json_equal(doc, aggregated_doc(json_array(), 0));
	json_decref(doc);
	buf_free(&b);

	buf_init(&b, 1 << 20);
	assert_int_equal(encode_aggregated(&b, p, 1, 1), OK);
	assert_contains(&b, "\"isPartial\": true");
	doc = parse(&b);
	assert_json_equal(doc, aggregated_doc(json_pack(
		"[[f,I,I]]", 3.0, (json_int_t)0, (json_int_t)10), 1));
	json_decref(doc);
	buf_free(&b);
}

/* ---- field names ---- */

static void test_encode_field_names_round_trips_hostile_names(void **state)
{
	struct strlist l;
	struct buf b;
	json_t *doc;

	(void)state;
	to_list(hostile, N_HOSTILE, &l);
	buf_init(&b, 1 << 20);
	assert_int_equal(encode_field_names(&b, l.v, l.n, 0), OK);
	doc = parse(&b);
	assert_json_equal(doc, names_doc(hostile, N_HOSTILE, 0));
	json_decref(doc);
	/* escapes as JSON writes them; raw control bytes never appear */
	assert_contains(&b, "\"quote\\\"inside\"");
	assert_contains(&b, "\"back\\\\slash\"");
	assert_contains(&b, "\"new\\nline\"");
	assert_contains(&b, "\"\\u0001\\u0002\\u001f\"");
	assert_contains(&b, "\"caf\xc3\xa9\"");
	assert_lacks(&b, "\n");
	assert_lacks(&b, "\x01");
	assert_lacks(&b, "\x1f");
	buf_free(&b);
	strlist_free(&l);
}

static void test_encode_field_names_writes_only_count_names(void **state)
{
	static const char *const names[] = { "__counter__", "__gauge__", "~", "job" };
	struct strlist l;
	struct buf b;
	json_t *doc;

	(void)state;
	to_list(names, 4, &l);
	buf_init(&b, 1 << 20);
	assert_int_equal(encode_field_names(&b, l.v, 2, 1), OK);
	doc = parse(&b);
	assert_json_equal(doc, names_doc(names, 2, 1));
	json_decref(doc);
	assert_contains(&b, "{\"_type\": \"FieldDescriptor\", \"fieldName\": "
			    "\"__counter__\", \"fieldType\": \"STRING\", "
			    "\"classified\": false}");
	assert_contains(&b, "\"isPartial\": true}");
	assert_lacks(&b, "\"~\"");
	buf_free(&b);
	strlist_free(&l);
}

static void test_encode_field_names_writes_an_empty_list(void **state)
{
	struct buf b;
	json_t *doc;

	(void)state;
	buf_init(&b, 1 << 20);
	assert_int_equal(encode_field_names(&b, NULL, 0, 0), OK);
	assert_contains(&b, "\"fields\": []");
	doc = parse(&b);
	assert_json_equal(doc, names_doc(NULL, 0, 0));
	json_decref(doc);
	buf_free(&b);
}

/* ---- field values ---- */

static void test_encode_field_values_round_trips_hostile_values(void **state)
{
	struct strlist l;
	struct buf b;
	json_t *doc;

	(void)state;
	to_list(hostile, N_HOSTILE, &l);
	buf_init(&b, 1 << 20);
	assert_int_equal(encode_field_values(&b, l.v, l.n, 1), OK);
	doc = parse(&b);
	assert_json_equal(doc, values_doc(hostile, N_HOSTILE, 1));
	json_decref(doc);
	assert_contains(&b, "{\"_type\": \"CompleteValue\", \"value\": \"plain\"}");
	assert_contains(&b, "\"trailing\\\\\"");
	assert_contains(&b, "\"cr\\rlf\\n\"");
	assert_contains(&b, "\"emoji \xf0\x9f\x98\x80\"");
	assert_lacks(&b, "\r");
	assert_lacks(&b, "\t");
	buf_free(&b);
	strlist_free(&l);
}

static void test_encode_field_values_writes_an_empty_list(void **state)
{
	struct buf b;
	json_t *doc;

	(void)state;
	buf_init(&b, 1 << 20);
	assert_int_equal(encode_field_values(&b, NULL, 0, 0), OK);
	assert_contains(&b, "\"values\": []");
	assert_contains(&b, "\"isPartial\": false}");
	doc = parse(&b);
	assert_json_equal(doc, values_doc(NULL, 0, 0));
	json_decref(doc);
	buf_free(&b);
}

/* ---- the ceiling ---- */

/* One call of each encoder on the same small input, by number. */
static enum err encode_one(int which, struct buf *b)
{
	static const struct point p[] = {
		{ .t_ms = 1000, .v = 0.5 }, { .t_ms = 2000, .v = 1.5 },
	};
	static const struct agg_point a[] = {
		{ .v = 1.0, .start_ms = 0, .end_ms = 60000 },
	};
	static char s0[] = "alpha", s1[] = "be\"ta";
	char *const s[] = { s0, s1 };

	switch (which) {
	case 0:
		return encode_raw(b, p, 2, 0);
	case 1:
		return encode_aggregated(b, a, 1, 1);
	case 2:
		return encode_field_names(b, s, 2, 0);
	default:
		return encode_field_values(b, s, 2, 1);
	}
}

static void test_encode_fails_with_too_large_when_the_answer_passes_the_ceiling(void **state)
{
	struct buf b;
	size_t need;
	int which;

	(void)state;
	for (which = 0; which < 4; which++) {
		/* the exact size fits */
		buf_init(&b, 1 << 20);
		assert_int_equal(encode_one(which, &b), OK);
		need = b.len;
		buf_free(&b);
		buf_init(&b, need);
		assert_int_equal(encode_one(which, &b), OK);
		assert_int_equal(b.len, need);
		buf_free(&b);
		/* one byte less does not, and nothing half-written is left */
		buf_init(&b, need - 1);
		assert_int_equal(encode_one(which, &b), ERR_TOO_LARGE);
		assert_int_equal(b.len, 0);
		assert_string_equal(buf_cstr(&b), "");
		buf_free(&b);
		/* a tiny ceiling fails on the first write */
		buf_init(&b, 8);
		assert_int_equal(encode_one(which, &b), ERR_TOO_LARGE);
		assert_int_equal(b.len, 0);
		buf_free(&b);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_encode_raw_writes_the_spec_example_point),
		cmocka_unit_test(test_encode_raw_writes_points_in_the_order_given),
		cmocka_unit_test(test_encode_raw_writes_shortest_numbers),
		cmocka_unit_test(test_encode_raw_values_read_back_as_the_same_doubles),
		cmocka_unit_test(test_encode_raw_sets_is_partial_true_and_false),
		cmocka_unit_test(test_encode_raw_writes_an_empty_points_list),
		cmocka_unit_test(test_encode_aggregated_writes_value_start_and_end),
		cmocka_unit_test(test_encode_aggregated_writes_empty_list_and_partial),
		cmocka_unit_test(test_encode_field_names_round_trips_hostile_names),
		cmocka_unit_test(test_encode_field_names_writes_only_count_names),
		cmocka_unit_test(test_encode_field_names_writes_an_empty_list),
		cmocka_unit_test(test_encode_field_values_round_trips_hostile_values),
		cmocka_unit_test(test_encode_field_values_writes_an_empty_list),
		cmocka_unit_test(test_encode_fails_with_too_large_when_the_answer_passes_the_ceiling),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
