/* test_promql.c - selectors and string literals (spec 4.1): exact output
 * for every value type and for values built to break out of a string, a
 * matcher or the selector. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "mirror/promql.h"

#define BUF_MAX (1u << 20)

/* quoted: promql_quote of s[0..n) as a string (static storage). */
static const char *quoted(const char *s, size_t n)
{
	static char text[4096];
	struct buf b;

	buf_init(&b, BUF_MAX);
	assert_int_equal(promql_quote(&b, s, n), OK);
	assert_true(b.len < sizeof(text));
	memcpy(text, buf_cstr(&b), b.len + 1);
	buf_free(&b);
	return text;
}

static const char *quoted_str(const char *s)
{
	return quoted(s, strlen(s));
}

/* selector: promql_selector's text, asserting OK. */
static const char *selector(const char *name, const struct condition *c,
			    size_t n)
{
	static char text[8192];
	struct errinfo ei = { 0 };
	struct buf b;

	buf_init(&b, BUF_MAX);
	assert_int_equal(promql_selector(name, c, n, &b, &ei), OK);
	assert_true(b.len < sizeof(text));
	memcpy(text, buf_cstr(&b), b.len + 1);
	buf_free(&b);
	return text;
}

static struct condition str_cond(const char *key, const char *v)
{
	struct condition c = { 0 };

	c.key = (char *)key;
	c.type = VALUE_STRING;
	c.str = (char *)v;
	return c;
}

static struct condition num_cond(const char *key, double v)
{
	struct condition c = { 0 };

	c.key = (char *)key;
	c.type = VALUE_DOUBLE;
	c.num = v;
	return c;
}

static struct condition bool_cond(const char *key, int v)
{
	struct condition c = { 0 };

	c.key = (char *)key;
	c.type = VALUE_BOOLEAN;
	c.boolean = v;
	return c;
}

static struct condition set_cond(const char *key, const char **members,
				 size_t n)
{
	struct condition c = { 0 };

	c.key = (char *)key;
	c.type = VALUE_INSET;
	c.set = (char **)members;
	c.n_set = n;
	return c;
}

/* number_matcher: the selector for one DoubleValue condition k=v. */
static const char *number_matcher(double v)
{
	struct condition c = num_cond("k", v);

	return selector(NULL, &c, 1);
}

static void test_promql_quote_leaves_plain_text_alone(void **state)
{
	(void)state;
	assert_string_equal(quoted_str(""), "\"\"");
	assert_string_equal(quoted_str("node_cpu"), "\"node_cpu\"");
	assert_string_equal(quoted_str("a b'c`d"), "\"a b'c`d\"");
}

static void test_promql_quote_escapes_backslash_and_quote(void **state)
{
	(void)state;
	assert_string_equal(quoted_str("a\\b"), "\"a\\\\b\"");
	assert_string_equal(quoted_str("say \"hi\""), "\"say \\\"hi\\\"\"");
	assert_string_equal(quoted_str("\\\""), "\"\\\\\\\"\"");
	assert_string_equal(quoted_str("end\\"), "\"end\\\\\"");
}

static void test_promql_quote_escapes_control_bytes(void **state)
{
	(void)state;
	assert_string_equal(quoted_str("a\nb\rc\td"), "\"a\\nb\\rc\\td\"");
	assert_string_equal(quoted_str("\x01\x1f\x7f\x1b[0m"),
			    "\"\\x01\\x1f\\x7f\\x1b[0m\"");
	assert_string_equal(quoted_str("\a\b\f\v"), "\"\\x07\\x08\\x0c\\x0b\"");
}

static void test_promql_quote_writes_nul_as_an_escape(void **state)
{
	(void)state;
	assert_string_equal(quoted("a\0b", 3), "\"a\\x00b\"");
}

static void test_promql_quote_writes_null_as_an_empty_string(void **state)
{
	(void)state;
	assert_string_equal(quoted(NULL, 0), "\"\"");
}

static void test_promql_quote_passes_utf8_through(void **state)
{
	(void)state;
	assert_string_equal(quoted_str("Grüße 温度"), "\"Grüße 温度\"");
	assert_string_equal(quoted_str("\xf0\x9f\x94\xa5"), "\"\xf0\x9f\x94\xa5\"");
	assert_string_equal(quoted_str("\xf4\x8f\xbf\xbf"), "\"\xf4\x8f\xbf\xbf\"");
}

static void test_promql_quote_escapes_bytes_that_are_not_utf8(void **state)
{
	(void)state;
	/* lone continuation, truncated sequence, overlong, surrogate, > U+10FFFF */
	assert_string_equal(quoted_str("\x80"), "\"\\x80\"");
	assert_string_equal(quoted_str("a\xc3"), "\"a\\xc3\"");
	assert_string_equal(quoted_str("\xc0\xaf"), "\"\\xc0\\xaf\"");
	assert_string_equal(quoted_str("\xed\xa0\x80"), "\"\\xed\\xa0\\x80\"");
	assert_string_equal(quoted_str("\xf4\x90\x80\x80"),
			    "\"\\xf4\\x90\\x80\\x80\"");
	assert_string_equal(quoted_str("\xe2\x82"), "\"\\xe2\\x82\"");
}

static void test_promql_quote_escapes_the_replacement_character(void **state)
{
	(void)state;
	/* Prometheus' lexer reads a literal U+FFFD as a decoding error */
	assert_string_equal(quoted_str("a\xef\xbf\xbd" "b"), "\"a\\ufffdb\"");
}

static void test_promql_quote_keeps_a_closing_attempt_inside(void **state)
{
	(void)state;
	assert_string_equal(quoted_str("\"} or vector(1) #"),
			    "\"\\\"} or vector(1) #\"");
}

static void test_promql_label_name_ok_accepts_identifiers(void **state)
{
	(void)state;
	assert_true(promql_label_name_ok("a"));
	assert_true(promql_label_name_ok("_"));
	assert_true(promql_label_name_ok("__name__"));
	assert_true(promql_label_name_ok("job_2"));
	assert_true(promql_label_name_ok("Z9"));
}

static void test_promql_label_name_ok_refuses_the_rest(void **state)
{
	(void)state;
	assert_false(promql_label_name_ok(""));
	assert_false(promql_label_name_ok(NULL));
	assert_false(promql_label_name_ok("1abc"));
	assert_false(promql_label_name_ok("a-b"));
	assert_false(promql_label_name_ok("a b"));
	assert_false(promql_label_name_ok("a:b"));
	assert_false(promql_label_name_ok("é"));
	assert_false(promql_label_name_ok("a\""));
	assert_false(promql_label_name_ok("~"));
}

static void test_promql_is_reserved_knows_the_three_keys(void **state)
{
	(void)state;
	assert_true(promql_is_reserved("__gauge__"));
	assert_true(promql_is_reserved("__counter__"));
	assert_true(promql_is_reserved("~"));
	assert_false(promql_is_reserved("__name__"));
	assert_false(promql_is_reserved("__GAUGE__"));
	assert_false(promql_is_reserved(""));
	assert_false(promql_is_reserved(NULL));
}

static void test_promql_selector_writes_name_first_then_conditions(void **state)
{
	struct condition c[] = {
		str_cond("job", "api"),
		str_cond("__gauge__", "up"),
		str_cond("instance", "h:9090"),
	};

	(void)state;
	assert_string_equal(selector("up", c, 3),
			    "{__name__=\"up\",job=\"api\",instance=\"h:9090\"}");
}

static void test_promql_selector_writes_keywords_as_a_name_matcher(void **state)
{
	(void)state;
	assert_string_equal(selector("bool", NULL, 0), "{__name__=\"bool\"}");
	assert_string_equal(selector("offset", NULL, 0), "{__name__=\"offset\"}");
	assert_string_equal(selector("a:b.c", NULL, 0), "{__name__=\"a:b.c\"}");
}

static void test_promql_selector_without_name_writes_conditions_only(void **state)
{
	struct condition c[] = { str_cond("job", "api"), bool_cond("up", 0) };

	(void)state;
	assert_string_equal(selector(NULL, c, 2), "{job=\"api\",up=\"false\"}");
}

static void test_promql_selector_with_nothing_to_write_appends_nothing(void **state)
{
	struct condition c[] = { str_cond("~", "rate(x[5m])") };
	struct buf b;

	(void)state;
	buf_init(&b, BUF_MAX);
	assert_int_equal(buf_puts(&b, "keep"), OK);
	assert_int_equal(promql_selector(NULL, c, 1, &b, NULL), OK);
	assert_int_equal(promql_selector(NULL, NULL, 0, &b, NULL), OK);
	assert_string_equal(buf_cstr(&b), "keep");
	buf_free(&b);
}

static void test_promql_selector_appends_to_what_is_there(void **state)
{
	struct condition c[] = { str_cond("a", "1") };
	struct buf b;

	(void)state;
	buf_init(&b, BUF_MAX);
	assert_int_equal(buf_puts(&b, "rate("), OK);
	assert_int_equal(promql_selector("x", c, 1, &b, NULL), OK);
	assert_string_equal(buf_cstr(&b), "rate({__name__=\"x\",a=\"1\"}");
	buf_free(&b);
}

static void test_promql_selector_writes_booleans_as_words(void **state)
{
	struct condition c[] = { bool_cond("a", 1), bool_cond("b", 0) };

	(void)state;
	assert_string_equal(selector(NULL, c, 2), "{a=\"true\",b=\"false\"}");
}

static void test_promql_selector_matches_integral_doubles_both_ways(void **state)
{
	(void)state;
	assert_string_equal(number_matcher(2.0), "{k=~\"2|2\\\\.0\"}");
	assert_string_equal(number_matcher(0.0), "{k=~\"0|0\\\\.0\"}");
	assert_string_equal(number_matcher(-0.0), "{k=~\"0|0\\\\.0\"}");
	assert_string_equal(number_matcher(-3.0), "{k=~\"-3|-3\\\\.0\"}");
	assert_string_equal(number_matcher(9007199254740991.0),
			    "{k=~\"9007199254740991|9007199254740991\\\\.0\"}");
}

static void test_promql_selector_writes_other_doubles_shortest(void **state)
{
	(void)state;
	assert_string_equal(number_matcher(0.25), "{k=\"0.25\"}");
	assert_string_equal(number_matcher(0.1), "{k=\"0.1\"}");
	assert_string_equal(number_matcher(-1.5), "{k=\"-1.5\"}");
	assert_string_equal(number_matcher(1e-7), "{k=\"1e-07\"}");
	assert_string_equal(number_matcher(1e300), "{k=\"1e+300\"}");
	assert_string_equal(number_matcher(9007199254740992.0),
			    "{k=\"9007199254740992\"}");
}

static void test_promql_selector_sorts_and_dedupes_a_set(void **state)
{
	const char *m[] = { "b", "a", "c", "a", "b" };
	struct condition c = set_cond("k", m, 5);

	(void)state;
	assert_string_equal(selector(NULL, &c, 1), "{k=~\"a|b|c\"}");
}

static void test_promql_selector_sorts_a_set_by_byte_order(void **state)
{
	const char *m[] = { "é", "Z", "a", "10", "9", "" };
	struct condition c = set_cond("k", m, 6);

	(void)state;
	assert_string_equal(selector(NULL, &c, 1), "{k=~\"|10|9|Z|a|é\"}");
}

static void test_promql_selector_escapes_regex_metacharacters(void **state)
{
	const char *m[] = { "a.b", "(x|y)*", "[z]{2}^$", "1+1?", "c\\d" };
	struct condition c = set_cond("k", m, 5);

	(void)state;
	/* regex: \(x\|y\)\* | 1\+1\? | \[z\]\{2\}\^\$ | a\.b | c\\d,
	 * each backslash doubled again by the string literal */
	assert_string_equal(selector(NULL, &c, 1),
			    "{k=~\"\\\\(x\\\\|y\\\\)\\\\*|1\\\\+1\\\\?|"
			    "\\\\[z\\\\]\\\\{2\\\\}\\\\^\\\\$|a\\\\.b|c\\\\\\\\d\"}");
}

static void test_promql_selector_quotes_hostile_set_members(void **state)
{
	const char *m[] = { "\"} or vector(1) #", "line\nbreak" };
	struct condition c = set_cond("k", m, 2);

	(void)state;
	/* regex \"\} or vector\(1\) #|line<LF>break; then quoted */
	assert_string_equal(selector(NULL, &c, 1),
			    "{k=~\"\\\"\\\\} or vector\\\\(1\\\\) #|line\\nbreak\"}");
}

static void test_promql_selector_keeps_a_single_member_set_a_regex(void **state)
{
	const char *m[] = { "x.y" };
	struct condition c = set_cond("k", m, 1);

	(void)state;
	assert_string_equal(selector(NULL, &c, 1), "{k=~\"x\\\\.y\"}");
}

static void test_promql_selector_quotes_hostile_strings(void **state)
{
	struct condition c[] = {
		str_cond("a", "\"} or vector(1) #"),
		str_cond("b", "back\\slash"),
		str_cond("c", "new\nline\rcr\ttab"),
		str_cond("d", "\x01\x7f"),
		str_cond("e", "Grüße 温度"),
		str_cond("f", ""),
	};

	(void)state;
	assert_string_equal(selector("m", c, 6),
			    "{__name__=\"m\",a=\"\\\"} or vector(1) #\","
			    "b=\"back\\\\slash\",c=\"new\\nline\\rcr\\ttab\","
			    "d=\"\\x01\\x7f\",e=\"Grüße 温度\",f=\"\"}");
}

static void test_promql_selector_quotes_a_hostile_name(void **state)
{
	(void)state;
	assert_string_equal(selector("up\"} or vector(1) #", NULL, 0),
			    "{__name__=\"up\\\"} or vector(1) #\"}");
}

/* bad_selector: promql_selector must fail with code and leave b alone. */
static void bad_selector(const struct condition *c, size_t n, enum err code,
			 const char *details)
{
	struct errinfo ei = { 0 };
	struct buf b;

	buf_init(&b, BUF_MAX);
	assert_int_equal(buf_puts(&b, "x"), OK);
	assert_int_equal(promql_selector("m", c, n, &b, &ei), code);
	assert_int_equal(ei.code, code);
	assert_string_equal(ei.details, details);
	assert_string_equal(buf_cstr(&b), "x");
	buf_free(&b);
}

static void test_promql_selector_refuses_invalid_keys(void **state)
{
	static const char *const keys[] = { "1abc", "a-b", "", "é", "a b", "a\"" };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		struct condition c[] = { str_cond("ok", "1"), str_cond(keys[i], "v") };

		bad_selector(c, 2, ERR_BAD_REQUEST,
			     "query.conditions[1].key: not a valid label name");
	}
}

static void test_promql_selector_refuses_an_empty_set(void **state)
{
	struct condition c[] = { str_cond("__gauge__", "m"), set_cond("k", NULL, 0) };

	(void)state;
	bad_selector(c, 2, ERR_BAD_REQUEST, "query.conditions[1].value: empty set");
}

static void test_promql_selector_reports_a_full_buffer(void **state)
{
	struct condition c[] = { str_cond("k", "a long value") };
	struct errinfo ei = { 0 };
	struct buf b;

	(void)state;
	buf_init(&b, 10);
	assert_int_equal(promql_selector("m", c, 1, &b, &ei), ERR_TOO_LARGE);
	assert_int_equal(ei.code, ERR_TOO_LARGE);
	buf_free(&b);
}

/* metric: promql_metric on the given conditions. */
static enum err metric(const struct condition *c, size_t n,
		       enum metric_kind *kind, const char **text,
		       struct errinfo *ei)
{
	struct query q = { 0 };

	q.conds = (struct condition *)c;
	q.n_conds = n;
	return promql_metric(&q, kind, text, ei);
}

static void test_promql_metric_finds_each_reserved_key(void **state)
{
	static const struct {
		const char *key;
		enum metric_kind kind;
	} rows[] = {
		{ "__gauge__", METRIC_GAUGE },
		{ "__counter__", METRIC_COUNTER },
		{ "~", METRIC_EXPR },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct condition c[] = { str_cond("job", "a"),
					 str_cond(rows[i].key, "what") };
		enum metric_kind kind = (enum metric_kind)-1;
		const char *text = NULL;

		assert_int_equal(metric(c, 2, &kind, &text, NULL), OK);
		assert_int_equal(kind, rows[i].kind);
		assert_ptr_equal(text, c[1].str);
	}
}

static void test_promql_metric_refuses_none(void **state)
{
	struct condition c[] = { str_cond("job", "a") };
	struct errinfo ei = { 0 };
	enum metric_kind kind = METRIC_EXPR;
	const char *text = "untouched";

	(void)state;
	assert_int_equal(metric(c, 1, &kind, &text, &ei), ERR_METRIC_KEY);
	assert_int_equal(ei.code, ERR_METRIC_KEY);
	assert_string_equal(ei.details,
			    "exactly one of __gauge__, __counter__ or ~ must be given; found none");
	assert_int_equal(kind, METRIC_EXPR);
	assert_string_equal(text, "untouched");
	assert_int_equal(metric(NULL, 0, &kind, &text, &ei), ERR_METRIC_KEY);
}

static void test_promql_metric_refuses_several_and_names_them(void **state)
{
	struct condition two[] = { str_cond("__gauge__", "a"), str_cond("job", "x"),
				   str_cond("~", "b") };
	struct condition three[] = { str_cond("__counter__", "a"),
				     str_cond("__gauge__", "b"),
				     str_cond("__counter__", "c") };
	struct errinfo ei = { 0 };
	enum metric_kind kind;
	const char *text;

	(void)state;
	assert_int_equal(metric(two, 3, &kind, &text, &ei), ERR_METRIC_KEY);
	assert_string_equal(ei.details,
			    "exactly one of __gauge__, __counter__ or ~ must be given; found __gauge__ and ~");
	assert_int_equal(metric(three, 3, &kind, &text, &ei), ERR_METRIC_KEY);
	assert_string_equal(ei.details,
			    "exactly one of __gauge__, __counter__ or ~ must be given; "
			    "found __counter__, __gauge__ and __counter__");
}

static void test_promql_metric_refuses_a_value_that_is_not_a_string(void **state)
{
	struct condition num[] = { num_cond("__gauge__", 1.0) };
	struct condition empty[] = { str_cond("job", "a"), str_cond("__counter__", "") };
	struct errinfo ei = { 0 };
	enum metric_kind kind;
	const char *text;

	(void)state;
	assert_int_equal(metric(num, 1, &kind, &text, &ei), ERR_BAD_REQUEST);
	assert_non_null(strstr(ei.details, "query.conditions[0].value"));
	assert_non_null(strstr(ei.details, "__gauge__"));
	assert_int_equal(metric(empty, 2, &kind, &text, &ei), ERR_BAD_REQUEST);
	assert_non_null(strstr(ei.details, "query.conditions[1].value"));
	assert_non_null(strstr(ei.details, "__counter__"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_promql_quote_leaves_plain_text_alone),
		cmocka_unit_test(test_promql_quote_escapes_backslash_and_quote),
		cmocka_unit_test(test_promql_quote_escapes_control_bytes),
		cmocka_unit_test(test_promql_quote_writes_nul_as_an_escape),
		cmocka_unit_test(test_promql_quote_writes_null_as_an_empty_string),
		cmocka_unit_test(test_promql_quote_passes_utf8_through),
		cmocka_unit_test(test_promql_quote_escapes_bytes_that_are_not_utf8),
		cmocka_unit_test(test_promql_quote_escapes_the_replacement_character),
		cmocka_unit_test(test_promql_quote_keeps_a_closing_attempt_inside),
		cmocka_unit_test(test_promql_label_name_ok_accepts_identifiers),
		cmocka_unit_test(test_promql_label_name_ok_refuses_the_rest),
		cmocka_unit_test(test_promql_is_reserved_knows_the_three_keys),
		cmocka_unit_test(test_promql_selector_writes_name_first_then_conditions),
		cmocka_unit_test(test_promql_selector_writes_keywords_as_a_name_matcher),
		cmocka_unit_test(test_promql_selector_without_name_writes_conditions_only),
		cmocka_unit_test(test_promql_selector_with_nothing_to_write_appends_nothing),
		cmocka_unit_test(test_promql_selector_appends_to_what_is_there),
		cmocka_unit_test(test_promql_selector_writes_booleans_as_words),
		cmocka_unit_test(test_promql_selector_matches_integral_doubles_both_ways),
		cmocka_unit_test(test_promql_selector_writes_other_doubles_shortest),
		cmocka_unit_test(test_promql_selector_sorts_and_dedupes_a_set),
		cmocka_unit_test(test_promql_selector_sorts_a_set_by_byte_order),
		cmocka_unit_test(test_promql_selector_escapes_regex_metacharacters),
		cmocka_unit_test(test_promql_selector_quotes_hostile_set_members),
		cmocka_unit_test(test_promql_selector_keeps_a_single_member_set_a_regex),
		cmocka_unit_test(test_promql_selector_quotes_hostile_strings),
		cmocka_unit_test(test_promql_selector_quotes_a_hostile_name),
		cmocka_unit_test(test_promql_selector_refuses_invalid_keys),
		cmocka_unit_test(test_promql_selector_refuses_an_empty_set),
		cmocka_unit_test(test_promql_selector_reports_a_full_buffer),
		cmocka_unit_test(test_promql_metric_finds_each_reserved_key),
		cmocka_unit_test(test_promql_metric_refuses_none),
		cmocka_unit_test(test_promql_metric_refuses_several_and_names_them),
		cmocka_unit_test(test_promql_metric_refuses_a_value_that_is_not_a_string),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
