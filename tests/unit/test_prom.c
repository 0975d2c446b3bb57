/* test_prom.c - the Prometheus API layer: checking answer envelopes and
 * decoding them on canned JSON, time formatting, splitting long ranges and
 * joining the chunks, and the calls end to end against a small fake
 * Prometheus that the test forks on a free 127.0.0.1 port. */
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <setjmp.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <jansson.h>

#include "mirror/prom.h"
#include "fakehttp.h"

/* ---- canned answers ---- */

/* call_with: a finished call as upstream_run would leave it. */
static void call_with(struct upstream_call *call, long status, const char *body)
{
	upstream_call_init(call, "api/v1/query");
	call->status = status;
	assert_int_equal(buf_puts(&call->body, body), OK);
}

/* check: prom_check on a canned answer; returns its code, fills ei. */
static enum err check(const struct conn *conn, long status, const char *body,
		      struct errinfo *ei)
{
	struct upstream_call call;
	json_t *root = NULL, *data = NULL;
	enum err rc;

	memset(ei, 0, sizeof(*ei));
	call_with(&call, status, body);
	rc = prom_check(conn, &call, &root, &data, ei);
	if (rc) {
		assert_null(root);
		assert_null(data);
	}
	json_decref(root);
	upstream_call_free(&call);
	return rc;
}

/* decode: prom_check + prom_decode_matrix of a canned 200 answer. */
static enum err decode(const char *body, struct series_set *out,
		       struct errinfo *ei)
{
	struct upstream_call call;
	json_t *root = NULL, *data = NULL;
	enum err rc;

	memset(ei, 0, sizeof(*ei));
	call_with(&call, 200, body);
	rc = prom_check(NULL, &call, &root, &data, ei);
	if (!rc)
		rc = prom_decode_matrix(data, out, ei);
	json_decref(root);
	upstream_call_free(&call);
	return rc;
}

static void test_prom_check_decodes_matrix_with_nan_and_inf(void **state)
{
	static const char body[] =
		"{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\","
		"\"result\":[{\"metric\":{\"__name__\":\"up\",\"job\":\"a\"},"
		"\"values\":[[1700000000,\"1\"],[1700000000.123,\"NaN\"],"
		"[1700000001.5,\"+Inf\"],[1700000002,\"-Inf\"],"
		"[1700000003.001,\"2.5e-3\"],[1700000004,\"Inf\"]]},"
		"{\"metric\":{},\"values\":[]}]},\"warnings\":[\"w\"]}";
	struct series_set set = { 0 };
	struct errinfo ei;

	(void)state;
	assert_int_equal(decode(body, &set, &ei), OK);
	assert_int_equal(set.n, 2);
	assert_string_equal(json_string_value(json_object_get(set.items[0].labels,
							      "job")), "a");
	assert_int_equal(set.items[0].n, 6);
	assert_int_equal(set.items[0].pts[0].t_ms, 1700000000000LL);
	assert_true(set.items[0].pts[0].v == 1.0);
	assert_int_equal(set.items[0].pts[1].t_ms, 1700000000123LL);
	assert_true(isnan(set.items[0].pts[1].v));
	assert_int_equal(set.items[0].pts[2].t_ms, 1700000001500LL);
	assert_true(isinf(set.items[0].pts[2].v) && set.items[0].pts[2].v > 0);
	assert_true(isinf(set.items[0].pts[3].v) && set.items[0].pts[3].v < 0);
	assert_int_equal(set.items[0].pts[4].t_ms, 1700000003001LL);
	assert_true(set.items[0].pts[4].v == 0.0025);
	assert_true(isinf(set.items[0].pts[5].v));
	assert_int_equal(set.items[1].n, 0);
	assert_int_equal(json_object_size(set.items[1].labels), 0);
	series_set_free(&set);
}

static void test_prom_check_reports_prometheus_error(void **state)
{
	struct errinfo ei;
	struct conn c;

	(void)state;
	memset(&c, 0, sizeof(c));
	c.bearer = (char *)"tok-secret";
	assert_int_equal(check(&c, 400, "{\"status\":\"error\",\"errorType\":"
			       "\"bad_data\",\"error\":\"parse error at char 5: "
			       "unexpected \\\"}\\\"\"}", &ei), ERR_PROMETHEUS);
	assert_int_equal(ei.code, ERR_PROMETHEUS);
	assert_string_equal(ei.details, "bad_data: parse error at char 5: unexpected \"}\"");
	assert_int_equal(ei.upstream_status, 400);

	assert_int_equal(check(&c, 422, "{\"status\":\"error\",\"errorType\":"
			       "\"execution\",\"error\":\"bad token tok-secret\"}",
			       &ei), ERR_PROMETHEUS);
	assert_string_equal(ei.details, "execution: bad token ***");
	assert_int_equal(ei.upstream_status, 422);

	assert_int_equal(check(&c, 503, "{\"status\":\"error\",\"errorType\":"
			       "\"unavailable\",\"error\":\"too many queries\"}",
			       &ei), ERR_PROMETHEUS);
	assert_string_equal(ei.details, "unavailable: too many queries");
	assert_int_equal(ei.upstream_status, 503);

	assert_int_equal(check(&c, 400, "{\"status\":\"error\"}", &ei),
			 ERR_PROMETHEUS);
	assert_string_equal(ei.details, "Prometheus answered status error");
}

static void test_prom_check_trims_long_error_to_fit(void **state)
{
	struct buf body;
	struct errinfo ei;
	size_t i;

	(void)state;
	buf_init(&body, 1 << 20);
	assert_int_equal(buf_puts(&body, "{\"status\":\"error\",\"errorType\":"
				  "\"bad_data\",\"error\":\""), OK);
	for (i = 0; i < 5000; i++)
		assert_int_equal(buf_puts(&body, "x"), OK);
	assert_int_equal(buf_puts(&body, "\"}"), OK);
	assert_int_equal(check(NULL, 400, buf_cstr(&body), &ei), ERR_PROMETHEUS);
	assert_true(strlen(ei.details) < sizeof(ei.details));
	assert_true(strncmp(ei.details, "bad_data: xxx", 13) == 0);
	assert_string_equal(ei.details + strlen(ei.details) - 3, "...");
	buf_free(&body);
}

static void test_prom_check_rejects_html_401(void **state)
{
	struct errinfo ei;
	struct conn c;

	(void)state;
	memset(&c, 0, sizeof(c));
	c.basic_user = (char *)"alice";
	c.basic_pass = (char *)"pw-1";
	assert_int_equal(check(&c, 401, "<html>\n<head><title>401 Authorization "
			       "Required</title></head>\n<body>user alice pw-1"
			       "</body></html>\n", &ei), ERR_UPSTREAM);
	assert_string_equal(ei.details, "upstream answered HTTP 401: <html> "
			    "<head><title>401 Authorization Required</title>"
			    "</head> <body>user alice ***</body></html>");
	assert_int_equal(ei.upstream_status, 401);
}

static void test_prom_check_rejects_redirect(void **state)
{
	struct errinfo ei;

	(void)state;
	assert_int_equal(check(NULL, 302, "{\"status\":\"success\",\"data\":{}}",
			       &ei), ERR_UPSTREAM);
	assert_string_equal(ei.details, "upstream answered a redirect (HTTP 302) "
			    "which is not followed");
	assert_int_equal(ei.upstream_status, 302);
}

static void test_prom_check_rejects_non_prometheus_answers(void **state)
{
	struct errinfo ei;

	(void)state;
	assert_int_equal(check(NULL, 200, "garbage\x01", &ei), ERR_UPSTREAM);
	assert_string_equal(ei.details, "upstream answered HTTP 200: garbage");
	assert_int_equal(ei.upstream_status, 200);

	assert_int_equal(check(NULL, 200, "{\"data\":{}}", &ei), ERR_UPSTREAM);
	assert_string_equal(ei.details, "upstream answered HTTP 200: {\"data\":{}}");

	assert_int_equal(check(NULL, 200, "{\"status\":\"success\"}", &ei),
			 ERR_UPSTREAM);

	assert_int_equal(check(NULL, 503, "Service Unavailable\n", &ei),
			 ERR_UPSTREAM);
	assert_string_equal(ei.details, "upstream answered HTTP 503: Service "
			    "Unavailable");
	assert_int_equal(ei.upstream_status, 503);

	/* a success envelope with an error status is no Prometheus answer */
	assert_int_equal(check(NULL, 500, "{\"status\":\"success\",\"data\":{}}",
			       &ei), ERR_UPSTREAM);
	assert_int_equal(ei.upstream_status, 500);

	assert_int_equal(check(NULL, 404, "", &ei), ERR_UPSTREAM);
	assert_string_equal(ei.details, "upstream answered HTTP 404 with an "
			    "empty body");
}

static void test_prom_decode_matrix_rejects_wrong_result_type(void **state)
{
	struct series_set set = { 0 };
	struct errinfo ei;

	(void)state;
	assert_int_equal(decode("{\"status\":\"success\",\"data\":{\"resultType\":"
				"\"vector\",\"result\":[]}}", &set, &ei),
			 ERR_UPSTREAM);
	assert_string_equal(ei.details, "upstream answered an unexpected "
			    "resultType \"vector\" (expected matrix)");
	assert_int_equal(decode("{\"status\":\"success\",\"data\":{\"resultType\":"
				"\"<b>x\",\"result\":[]}}", &set, &ei),
			 ERR_UPSTREAM);
	assert_string_equal(ei.details, "upstream answered an unexpected "
			    "resultType (expected matrix)");
	assert_int_equal(decode("{\"status\":\"success\",\"data\":[]}", &set, &ei),
			 ERR_UPSTREAM);
	assert_int_equal(set.n, 0);
	assert_null(set.items);
}

static void test_prom_decode_matrix_rejects_malformed_samples(void **state)
{
	static const char *const bad[] = {
		"[[1,\"1\",3]]",
		"[[1]]",
		"[[\"1\",\"1\"]]",
		"[[1,1]]",
		"[[1,\"abc\"]]",
		"[[1,\"\"]]",
		"[[1,\" 1\"]]",
		"[[1,\"0x10\"]]",
		"[[1,\"nan(1)\"]]",
		"[[1,\"1.5x\"]]",
		"[[2,\"1\"],[1,\"1\"]]",
		"[[1,\"1\"],[1,\"1\"]]",
		"[[1e300,\"1\"]]",
		"{}",
	};
	struct series_set set = { 0 };
	struct errinfo ei;
	char body[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(body, sizeof(body), "{\"status\":\"success\",\"data\":"
			 "{\"resultType\":\"matrix\",\"result\":[{\"metric\":{},"
			 "\"values\":%s}]}}", bad[i]);
		if (decode(body, &set, &ei) != ERR_UPSTREAM)
			fail_msg("accepted %s", bad[i]);
		assert_int_equal(set.n, 0);
	}
	assert_int_equal(decode("{\"status\":\"success\",\"data\":{\"resultType\":"
				"\"matrix\",\"result\":[{\"values\":[]}]}}",
				&set, &ei), ERR_UPSTREAM);
}

static void test_prom_decode_matrix_ignores_histograms(void **state)
{
	struct series_set set = { 0 };
	struct errinfo ei;

	(void)state;
	assert_int_equal(decode("{\"status\":\"success\",\"data\":{\"resultType\":"
				"\"matrix\",\"result\":["
				"{\"metric\":{\"a\":\"1\"},\"histograms\":[[1,{\"count\":\"1\"}]]},"
				"{\"metric\":{\"a\":\"2\"},\"values\":[[1,\"3\"]],"
				"\"histograms\":[[2,{}]]}]}}", &set, &ei), OK);
	assert_int_equal(set.n, 1);
	assert_string_equal(json_string_value(json_object_get(set.items[0].labels,
							      "a")), "2");
	assert_int_equal(set.items[0].n, 1);
	assert_true(set.items[0].pts[0].v == 3.0);
	series_set_free(&set);
}

/* ---- pure helpers ---- */

static void test_prom_format_ms_is_exact(void **state)
{
	static const struct {
		int64_t ms;
		const char *text;
	} cases[] = {
		{ 0, "0" }, { 1, "0.001" }, { 10, "0.01" }, { 100, "0.1" },
		{ 999, "0.999" }, { 1000, "1" }, { 1500, "1.5" },
		{ 1230, "1.23" }, { 30000, "30" }, { 500, "0.5" },
		{ 1700000000123LL, "1700000000.123" },
		{ 1700000000000LL, "1700000000" },
		{ -1, "-0.001" }, { -1000, "-1" }, { -1500, "-1.5" },
		{ -1700000000123LL, "-1700000000.123" },
		{ INT64_MAX, "9223372036854775.807" },
		{ INT64_MIN, "-9223372036854775.808" },
	};
	char out[PROM_TIME_MAX];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_string_equal(prom_format_ms(cases[i].ms, out), cases[i].text);
}

static void test_prom_parse_value_accepts_prometheus_spellings(void **state)
{
	double v;

	(void)state;
	assert_int_equal(prom_parse_value("1", &v), OK);
	assert_true(v == 1.0);
	assert_int_equal(prom_parse_value("-2.5e+3", &v), OK);
	assert_true(v == -2500.0);
	assert_int_equal(prom_parse_value(".5", &v), OK);
	assert_true(v == 0.5);
	assert_int_equal(prom_parse_value("NaN", &v), OK);
	assert_true(isnan(v));
	assert_int_equal(prom_parse_value("+Inf", &v), OK);
	assert_true(isinf(v) && v > 0);
	assert_int_equal(prom_parse_value("-Inf", &v), OK);
	assert_true(isinf(v) && v < 0);
	assert_int_equal(prom_parse_value("inf", &v), OK);
	assert_true(isinf(v) && v > 0);
	assert_int_equal(prom_parse_value("1e400", &v), OK);
	assert_true(isinf(v));
	assert_int_equal(prom_parse_value("1e-400", &v), OK);
	assert_true(v >= 0.0 && v < 1e-300);
	assert_int_equal(prom_parse_value("", &v), ERR_UPSTREAM);
	assert_int_equal(prom_parse_value("1,5", &v), ERR_UPSTREAM);
	assert_int_equal(prom_parse_value("-", &v), ERR_UPSTREAM);
	assert_int_equal(prom_parse_value("e5", &v), ERR_UPSTREAM);
	assert_int_equal(prom_parse_value("1 ", &v), ERR_UPSTREAM);
	assert_int_equal(prom_parse_value("Infinit", &v), ERR_UPSTREAM);
}

static void test_prom_range_chunks_splits_at_limit(void **state)
{
	struct prom_chunk *c = NULL;
	struct errinfo ei;
	size_t n;
	const int64_t step = 30000, start = 1700000010000LL - 1700000010000LL % 30000;

	(void)state;
	memset(&ei, 0, sizeof(ei));
	/* exactly 11000 points: one call */
	assert_int_equal(prom_range_chunks(start, start + 10999 * step, step,
					   &c, &n, &ei), OK);
	assert_int_equal(n, 1);
	assert_int_equal(c[0].start_ms, start);
	assert_int_equal(c[0].end_ms, start + 10999 * step);
	free(c);
	/* 11001 points: two, the second with the last point alone */
	assert_int_equal(prom_range_chunks(start, start + 11000 * step, step,
					   &c, &n, &ei), OK);
	assert_int_equal(n, 2);
	assert_int_equal(c[0].start_ms, start);
	assert_int_equal(c[0].end_ms, start + 10999 * step);
	assert_int_equal(c[1].start_ms, start + 11000 * step);
	assert_int_equal(c[1].end_ms, start + 11000 * step);
	free(c);
	/* an end between grid points: the last chunk ends on the grid */
	assert_int_equal(prom_range_chunks(start, start + 22000 * step + 29999,
					   step, &c, &n, &ei), OK);
	assert_int_equal(n, 3);
	assert_int_equal(c[1].start_ms, start + 11000 * step);
	assert_int_equal(c[1].end_ms, start + 21999 * step);
	assert_int_equal(c[2].start_ms, start + 22000 * step);
	assert_int_equal(c[2].end_ms, start + 22000 * step);
	free(c);
	/* one point; none */
	assert_int_equal(prom_range_chunks(start, start, step, &c, &n, &ei), OK);
	assert_int_equal(n, 1);
	assert_int_equal(c[0].end_ms, start);
	free(c);
	assert_int_equal(prom_range_chunks(start, start - 1, step, &c, &n, &ei), OK);
	assert_int_equal(n, 0);
	assert_null(c);
	/* negative times */
	assert_int_equal(prom_range_chunks(-11000 * 1000, 1000, 1000, &c, &n, &ei), OK);
	assert_int_equal(n, 2);
	assert_int_equal(c[1].start_ms, 0);
	assert_int_equal(c[1].end_ms, 1000);
	free(c);
}

static void test_prom_range_chunks_refuses_too_long_ranges(void **state)
{
	struct prom_chunk *c = NULL;
	struct errinfo ei;
	size_t n = 7;

	(void)state;
	memset(&ei, 0, sizeof(ei));
	/* the most chunks allowed, then one grid point more */
	assert_int_equal(prom_range_chunks(0, (int64_t)PROM_MAX_RANGE_CHUNKS *
					   PROM_MAX_RANGE_POINTS - 1, 1, &c, &n,
					   &ei), OK);
	assert_int_equal(n, PROM_MAX_RANGE_CHUNKS);
	assert_int_equal(c[n - 1].end_ms, (int64_t)PROM_MAX_RANGE_CHUNKS *
			 PROM_MAX_RANGE_POINTS - 1);
	free(c);
	c = NULL;
	n = 7;
	assert_int_equal(prom_range_chunks(0, (int64_t)PROM_MAX_RANGE_CHUNKS *
					   PROM_MAX_RANGE_POINTS, 1, &c, &n, &ei),
			 ERR_BAD_REQUEST);
	assert_non_null(strstr(ei.details, "query.startTime/endTime: range too long for step_seconds"));
	assert_null(c);
	assert_int_equal(n, 7);
	assert_int_equal(prom_range_chunks(INT64_MIN, INT64_MAX, 1, &c, &n, &ei),
			 ERR_BAD_REQUEST);
	assert_int_equal(prom_range_chunks(INT64_MIN, INT64_MAX, INT64_MAX, &c,
					   &n, &ei), OK);
	assert_int_equal(n, 1);
	free(c);
	assert_int_equal(prom_range_chunks(0, 10, 0, &c, &n, &ei), ERR_BAD_REQUEST);
	assert_int_equal(prom_range_chunks(0, 10, -5, &c, &n, &ei), ERR_BAD_REQUEST);
}

/* part_of: a decoded chunk from JSON text, for the join tests. */
static void part_of(const char *result, struct series_set *out)
{
	char body[2048];
	struct errinfo ei;

	snprintf(body, sizeof(body), "{\"status\":\"success\",\"data\":{"
		 "\"resultType\":\"matrix\",\"result\":%s}}", result);
	memset(out, 0, sizeof(*out));
	assert_int_equal(decode(body, out, &ei), OK);
}

static void test_prom_join_series_matches_label_sets(void **state)
{
	struct series_set parts[3], out = { 0 };
	struct errinfo ei;
	size_t i;

	(void)state;
	part_of("[{\"metric\":{\"job\":\"a\",\"i\":\"1\"},\"values\":[[1,\"1\"],[2,\"2\"]]},"
		"{\"metric\":{\"job\":\"c\"},\"values\":[[2,\"20\"]]}]", &parts[0]);
	/* same labels in another key order; b is new; c is missing */
	part_of("[{\"metric\":{\"job\":\"b\"},\"values\":[[4,\"40\"]]},"
		"{\"metric\":{\"i\":\"1\",\"job\":\"a\"},\"values\":[[3,\"3\"],[4,\"4\"]]}]",
		&parts[1]);
	part_of("[{\"metric\":{\"job\":\"c\"},\"values\":[[5,\"50\"]]},"
		"{\"metric\":{\"job\":\"a\",\"i\":\"1\"},\"values\":[[5,\"5\"]]},"
		"{\"metric\":{\"job\":\"b\"},\"values\":[[6,\"60\"]]}]", &parts[2]);
	memset(&ei, 0, sizeof(ei));
	assert_int_equal(prom_join_series(parts, 3, &out, &ei), OK);
	assert_int_equal(out.n, 3);
	assert_string_equal(json_string_value(json_object_get(out.items[0].labels, "job")), "a");
	assert_string_equal(json_string_value(json_object_get(out.items[1].labels, "job")), "c");
	assert_string_equal(json_string_value(json_object_get(out.items[2].labels, "job")), "b");
	assert_int_equal(out.items[0].n, 5);
	for (i = 0; i < 5; i++) {
		assert_int_equal(out.items[0].pts[i].t_ms, (int64_t)(i + 1) * 1000);
		assert_true(out.items[0].pts[i].v == (double)(i + 1));
	}
	assert_int_equal(out.items[1].n, 2);
	assert_int_equal(out.items[1].pts[1].t_ms, 5000);
	assert_int_equal(out.items[2].n, 2);
	assert_int_equal(out.items[2].pts[0].t_ms, 4000);
	assert_int_equal(out.items[2].pts[1].t_ms, 6000);
	series_set_free(&out);
	/* the parts are still the caller's and intact */
	assert_int_equal(parts[1].items[1].n, 2);
	for (i = 0; i < 3; i++)
		series_set_free(&parts[i]);
}

static void test_prom_join_series_refuses_overlapping_chunks(void **state)
{
	struct series_set parts[2], out = { 0 };
	struct errinfo ei;

	(void)state;
	part_of("[{\"metric\":{\"job\":\"a\"},\"values\":[[1,\"1\"],[2,\"2\"]]}]",
		&parts[0]);
	part_of("[{\"metric\":{\"job\":\"a\"},\"values\":[[2,\"2\"],[3,\"3\"]]}]",
		&parts[1]);
	memset(&ei, 0, sizeof(ei));
	assert_int_equal(prom_join_series(parts, 2, &out, &ei), ERR_UPSTREAM);
	assert_int_equal(out.n, 0);
	assert_null(out.items);
	series_set_free(&parts[0]);
	series_set_free(&parts[1]);
	assert_int_equal(prom_join_series(NULL, 0, &out, &ei), OK);
	assert_int_equal(out.n, 0);
}

static void test_prom_decode_metadata_finds_counters(void **state)
{
	struct strlist counters = { 0 }, known = { 0 };
	struct errinfo ei;
	json_t *data;

	(void)state;
	data = json_loads("{\"http_requests_total\":[{\"type\":\"counter\",\"help\":"
			  "\"h\",\"unit\":\"\"}],\"temp\":[{\"type\":\"gauge\"}],"
			  "\"mixed\":[{\"type\":\"gauge\"},{\"type\":\"counter\"}],"
			  "\"odd\":{\"type\":\"counter\"}}", 0, NULL);
	assert_non_null(data);
	memset(&ei, 0, sizeof(ei));
	assert_int_equal(prom_decode_metadata(data, &counters, &known, &ei), OK);
	assert_int_equal(known.n, 4);
	assert_int_equal(counters.n, 2);
	assert_true(strlist_contains(&counters, "http_requests_total"));
	assert_true(strlist_contains(&counters, "mixed"));
	assert_true(strlist_contains(&known, "odd"));
	strlist_free(&counters);
	strlist_free(&known);
	json_decref(data);

	data = json_object();
	assert_int_equal(prom_decode_metadata(data, &counters, &known, &ei), OK);
	assert_int_equal(known.n + counters.n, 0);
	json_decref(data);
	assert_int_equal(prom_decode_metadata(NULL, &counters, &known, &ei), OK);
	data = json_array();
	assert_int_equal(prom_decode_metadata(data, &counters, &known, &ei),
			 ERR_UPSTREAM);
	json_decref(data);
}

/* ---- end to end against a fake Prometheus ----
 * The base URL carries the mode as a path prefix: /ok answers like a
 * Prometheus, /plain like a backend without metadata whose query API
 * answers matrices for vector(1), /err with error envelopes. */

#define B_FROM_S 20000       /* series b exists from this second on */
#define JSON "Content-Type: application/json\r\n"

/* param_ms: the value of name= in the query string q, seconds to ms. */
static int64_t param_ms(const char *q, const char *name)
{
	char key[32];
	const char *p;

	snprintf(key, sizeof(key), "%s=", name);
	p = strstr(q, key);
	return p ? llround(strtod(p + strlen(key), NULL) * 1000.0) : -1;
}

/* range_body: a matrix with series a at every grid point and series b at
 * those from B_FROM_S on; the value is the time in seconds. */
static void range_body(const char *q, struct buf *b)
{
	int64_t start = param_ms(q, "start"), end = param_ms(q, "end");
	int64_t step = param_ms(q, "step"), t;
	int first;

	buf_puts(b, "{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\","
		 "\"result\":[");
	if (end >= (int64_t)B_FROM_S * 1000) {
		buf_puts(b, "{\"metric\":{\"job\":\"b\"},\"values\":[");
		first = 1;
		for (t = start; t <= end; t += step)
			if (t >= (int64_t)B_FROM_S * 1000) {
				buf_printf(b, "%s[%lld.%03lld,\"%lld\"]", first ? "" : ",",
					   (long long)(t / 1000), (long long)(t % 1000),
					   (long long)(t / 1000));
				first = 0;
			}
		buf_puts(b, "]},");
	}
	buf_puts(b, "{\"metric\":{\"job\":\"a\"},\"values\":[");
	for (t = start; t <= end; t += step)
		buf_printf(b, "%s[%lld.%03lld,\"%lld\"]", t == start ? "" : ",",
			   (long long)(t / 1000), (long long)(t % 1000),
			   (long long)(t / 1000));
	buf_puts(b, "]}]}}");
}

/* answer: the fake Prometheus's handler for one request; arg is the
 * child's count of range queries, which /ok/range_calls tells. */
static enum fakehttp_next answer(int fd, const struct fakehttp_request *req,
				 void *arg)
{
	static const struct {
		const char *target;    /* path and query, prefix match */
		int status;
		const char *body;
	} canned[] = {
		{ "/ok/api/v1/query?query=vector%281%29", 200,
		  "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\","
		  "\"result\":[{\"metric\":{},\"value\":[1,\"1\"]}]}}" },
		{ "/ok/api/v1/query?query=up", 200,
		  "{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\","
		  "\"result\":[{\"metric\":{\"__name__\":\"up\"},\"values\":"
		  "[[1,\"1\"],[2,\"0\"]]}]}}" },
		{ "/ok/api/v1/labels?match%5B%5D=up&start=1&end=2", 200,
		  "{\"status\":\"success\",\"data\":[\"__name__\",\"instance\",\"job\"]}" },
		{ "/ok/api/v1/labels", 200,
		  "{\"status\":\"success\",\"data\":[\"__name__\",\"job\"]}" },
		{ "/ok/api/v1/label/job/values", 200,
		  "{\"status\":\"success\",\"data\":[\"a\",\"b\"]}" },
		{ "/ok/api/v1/label/bad/values", 200,
		  "{\"status\":\"success\",\"data\":[\"a\",1]}" },
		{ "/ok/api/v1/metadata", 200,
		  "{\"status\":\"success\",\"data\":{\"x_total\":[{\"type\":\"counter\"}],"
		  "\"g\":[{\"type\":\"gauge\"}]}}" },
		{ "/plain/api/v1/metadata", 404, "404 page not found\n" },
		{ "/plain/api/v1/query?query=vector%281%29", 200,
		  "{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\","
		  "\"result\":[]}}" },
		{ "/err/", 400,
		  "{\"status\":\"error\",\"errorType\":\"bad_data\",\"error\":\"nope\"}" },
	};
	const char *target = req->target;
	int *range_calls = arg;
	struct buf b;
	size_t i;

	if (strncmp(target, "/ok/api/v1/query_range?", 23) == 0) {
		(*range_calls)++;
		buf_init(&b, (size_t)64 << 20);
		range_body(target, &b);
		fakehttp_reply(fd, 200, JSON, buf_cstr(&b), b.len);
		buf_free(&b);
		return FAKEHTTP_KEEP;
	}
	if (strcmp(target, "/ok/range_calls") == 0) {
		char n[32];
		int len = snprintf(n, sizeof(n), "%d", *range_calls);

		fakehttp_reply(fd, 200, JSON, n, (size_t)len);
		return FAKEHTTP_KEEP;
	}
	for (i = 0; i < sizeof(canned) / sizeof(canned[0]); i++)
		if (strncmp(target, canned[i].target, strlen(canned[i].target)) == 0) {
			fakehttp_reply(fd, canned[i].status, JSON, canned[i].body,
				       strlen(canned[i].body));
			return FAKEHTTP_KEEP;
		}
	fakehttp_reply(fd, 404, JSON, "not found", 9);
	return FAKEHTTP_KEEP;
}

struct fixture {
	struct fakehttp srv;
	int range_calls;        /* the server counts in its own copy */
	struct upstream *u;
	char url[96];
	struct conn conn;
};

static void use_mode(struct fixture *f, const char *mode)
{
	snprintf(f->url, sizeof(f->url), "http://127.0.0.1:%d/%s", f->srv.port,
		 mode);
}

static int setup_server(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	if (fakehttp_start(&f->srv, answer, &f->range_calls) != 0) {
		free(f);
		return -1;
	}
	f->u = upstream_new("*");
	if (!f->u) {
		fakehttp_stop(&f->srv);
		free(f);
		return -1;
	}
	use_mode(f, "ok");
	f->conn.url = f->url;
	f->conn.timeout_ms = 10000;
	f->conn.step_ms = 30000;
	*state = f;
	return 0;
}

static int teardown_server(void **state)
{
	struct fixture *f = *state;

	upstream_free(f->u);
	fakehttp_stop(&f->srv);
	free(f);
	return 0;
}

static int setup_group(void **state)
{
	(void)state;
	unsetenv("http_proxy");
	unsetenv("HTTP_PROXY");
	unsetenv("all_proxy");
	unsetenv("ALL_PROXY");
	return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

static int teardown_group(void **state)
{
	(void)state;
	curl_global_cleanup();
	return 0;
}

static void test_prom_query_range_joins_parallel_chunks(void **state)
{
	struct fixture *f = *state;
	struct series_set set = { 0 };
	struct upstream_call call;
	struct errinfo ei;
	size_t i;

	memset(&ei, 0, sizeof(ei));
	/* 25001 points of 1 s from 0 s: chunks [0,10999] [11000,21999]
	 * [22000,25000] */
	assert_int_equal(prom_query_range(f->u, &f->conn, "x", 0, 25000000, 1000,
					  &set, &ei), OK);
	assert_int_equal(set.n, 2);
	/* a comes first in the first chunk; b only appears in the second */
	assert_string_equal(json_string_value(json_object_get(set.items[0].labels,
							      "job")), "a");
	assert_string_equal(json_string_value(json_object_get(set.items[1].labels,
							      "job")), "b");
	assert_int_equal(set.items[0].n, 25001);
	for (i = 0; i < set.items[0].n; i++) {
		assert_int_equal(set.items[0].pts[i].t_ms, (int64_t)i * 1000);
		assert_true(set.items[0].pts[i].v == (double)i);
	}
	assert_int_equal(set.items[1].n, 25001 - B_FROM_S);
	assert_int_equal(set.items[1].pts[0].t_ms, (int64_t)B_FROM_S * 1000);
	series_set_free(&set);

	upstream_call_init(&call, "range_calls");
	assert_int_equal(upstream_run(f->u, &f->conn, &call, 1, &ei), OK);
	assert_string_equal(buf_cstr(&call.body), "3");
	upstream_call_free(&call);

	/* sub-second steps and a range with no grid point */
	assert_int_equal(prom_query_range(f->u, &f->conn, "x", 1500, 3000, 500,
					  &set, &ei), OK);
	assert_int_equal(set.n, 1);
	assert_int_equal(set.items[0].n, 4);
	assert_int_equal(set.items[0].pts[3].t_ms, 3000);
	series_set_free(&set);
	assert_int_equal(prom_query_range(f->u, &f->conn, "x", 3000, 2999, 500,
					  &set, &ei), OK);
	assert_int_equal(set.n, 0);
	assert_int_equal(prom_query_range(f->u, &f->conn, "x", 0, INT64_MAX / 2,
					  1, &set, &ei), ERR_BAD_REQUEST);
}

static void test_prom_query_matrix_decodes_answer(void **state)
{
	struct fixture *f = *state;
	struct series_set set = { 0 };
	struct errinfo ei;

	memset(&ei, 0, sizeof(ei));
	assert_int_equal(prom_query_matrix(f->u, &f->conn, "up", 2000, &set, &ei), OK);
	assert_int_equal(set.n, 1);
	assert_int_equal(set.items[0].n, 2);
	assert_int_equal(set.items[0].pts[1].t_ms, 2000);
	series_set_free(&set);
	use_mode(f, "err");
	assert_int_equal(prom_query_matrix(f->u, &f->conn, "up", 2000, &set, &ei),
			 ERR_PROMETHEUS);
	assert_string_equal(ei.details, "bad_data: nope");
	assert_int_equal(ei.upstream_status, 400);
	assert_int_equal(set.n, 0);
}

static void test_prom_labels_drops_name_and_passes_match(void **state)
{
	struct fixture *f = *state;
	struct strlist l = { 0 };
	struct prom_range r = { .start_ms = 1000, .end_ms = 2000 };
	struct errinfo ei;

	memset(&ei, 0, sizeof(ei));
	assert_int_equal(prom_labels(f->u, &f->conn, NULL, NULL, &l, &ei), OK);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.v[0], "job");
	strlist_free(&l);
	assert_int_equal(prom_labels(f->u, &f->conn, "up", &r, &l, &ei), OK);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.v[0], "instance");
	strlist_free(&l);
}

static void test_prom_label_values_checks_strings(void **state)
{
	struct fixture *f = *state;
	struct strlist l = { 0 };
	struct errinfo ei;

	memset(&ei, 0, sizeof(ei));
	assert_int_equal(prom_label_values(f->u, &f->conn, "job", NULL, NULL, &l,
					   &ei), OK);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.v[1], "b");
	strlist_free(&l);
	assert_int_equal(prom_label_values(f->u, &f->conn, "bad", NULL, NULL, &l,
					   &ei), ERR_UPSTREAM);
	assert_int_equal(l.n, 0);
	assert_int_equal(prom_label_values(f->u, &f->conn, "../x", NULL, NULL, &l,
					   &ei), ERR_BAD_REQUEST);
	/* no such endpoint at all: a 404 is an upstream failure here */
	use_mode(f, "plain");
	assert_int_equal(prom_label_values(f->u, &f->conn, "job", NULL, NULL, &l,
					   &ei), ERR_UPSTREAM);
	assert_int_equal(ei.upstream_status, 404);
}

static void test_prom_metadata_tolerates_missing_endpoint(void **state)
{
	struct fixture *f = *state;
	struct strlist counters = { 0 }, known = { 0 };
	struct errinfo ei;

	memset(&ei, 0, sizeof(ei));
	assert_int_equal(prom_metadata(f->u, &f->conn, &counters, &known, &ei), OK);
	assert_int_equal(known.n, 2);
	assert_int_equal(counters.n, 1);
	assert_string_equal(counters.v[0], "x_total");
	strlist_free(&counters);
	strlist_free(&known);
	use_mode(f, "plain");
	assert_int_equal(prom_metadata(f->u, &f->conn, &counters, &known, &ei), OK);
	assert_int_equal(known.n + counters.n, 0);
}

static void test_prom_test_wants_a_vector(void **state)
{
	struct fixture *f = *state;
	struct errinfo ei;

	memset(&ei, 0, sizeof(ei));
	assert_int_equal(prom_test(f->u, &f->conn, &ei), OK);
	use_mode(f, "plain");
	assert_int_equal(prom_test(f->u, &f->conn, &ei), ERR_UPSTREAM);
	assert_string_equal(ei.details, "upstream answered an unexpected "
			    "resultType \"matrix\" (expected vector)");
	use_mode(f, "err");
	assert_int_equal(prom_test(f->u, &f->conn, &ei), ERR_PROMETHEUS);
	use_mode(f, "missing");
	assert_int_equal(prom_test(f->u, &f->conn, &ei), ERR_UPSTREAM);
	assert_string_equal(ei.details, "upstream answered HTTP 404: not found");
	assert_int_equal(ei.upstream_status, 404);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_prom_check_decodes_matrix_with_nan_and_inf),
		cmocka_unit_test(test_prom_check_reports_prometheus_error),
		cmocka_unit_test(test_prom_check_trims_long_error_to_fit),
		cmocka_unit_test(test_prom_check_rejects_html_401),
		cmocka_unit_test(test_prom_check_rejects_redirect),
		cmocka_unit_test(test_prom_check_rejects_non_prometheus_answers),
		cmocka_unit_test(test_prom_decode_matrix_rejects_wrong_result_type),
		cmocka_unit_test(test_prom_decode_matrix_rejects_malformed_samples),
		cmocka_unit_test(test_prom_decode_matrix_ignores_histograms),
		cmocka_unit_test(test_prom_format_ms_is_exact),
		cmocka_unit_test(test_prom_parse_value_accepts_prometheus_spellings),
		cmocka_unit_test(test_prom_range_chunks_splits_at_limit),
		cmocka_unit_test(test_prom_range_chunks_refuses_too_long_ranges),
		cmocka_unit_test(test_prom_join_series_matches_label_sets),
		cmocka_unit_test(test_prom_join_series_refuses_overlapping_chunks),
		cmocka_unit_test(test_prom_decode_metadata_finds_counters),
		cmocka_unit_test_setup_teardown(test_prom_query_range_joins_parallel_chunks,
						setup_server, teardown_server),
		cmocka_unit_test_setup_teardown(test_prom_query_matrix_decodes_answer,
						setup_server, teardown_server),
		cmocka_unit_test_setup_teardown(test_prom_labels_drops_name_and_passes_match,
						setup_server, teardown_server),
		cmocka_unit_test_setup_teardown(test_prom_label_values_checks_strings,
						setup_server, teardown_server),
		cmocka_unit_test_setup_teardown(test_prom_metadata_tolerates_missing_endpoint,
						setup_server, teardown_server),
		cmocka_unit_test_setup_teardown(test_prom_test_wants_a_vector,
						setup_server, teardown_server),
	};
	return cmocka_run_group_tests(tests, setup_group, teardown_group);
}
