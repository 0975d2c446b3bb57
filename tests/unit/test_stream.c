/* test_stream.c - the stream of a metric query (spec 4.2): naming the labels
 * that differ between series, and stream_read end to end against a fake
 * Prometheus that the test forks on a free 127.0.0.1 port. */
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

#include "mirror/points.h"
#include "mirror/promql.h"
#include "mirror/stream.h"
#include "fakehttp.h"

/* The window most cases read: T0 .. T0 + 60 s, in ms. T0 is a multiple of
 * the 30 s step, so the grid of `~` cases is easy to write down. */
#define T0 1555408500000LL
#define T_END (T0 + 60000)

/* ---- the fake Prometheus (fakehttp.c) ----
 * A child process with one poll loop over keep-alive connections. Each
 * request target is percent-decoded ("/api/v1/query?query=...&time=...")
 * and looked up, exactly, in the table below: a match answers 200 with its
 * body, anything else answers a Prometheus error naming what came, so a
 * query built differently than expected fails the test. */

#define OK_MATRIX(result) \
	"{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\"," \
	"\"result\":[" result "]}}"

static const struct canned {
	const char *target;     /* decoded request target */
	int status;
	const char *body;
} canned[] = {
	/* gauge: samples 1 ms before, at both ends of, and 1 ms after the
	 * window (Prometheus 2 returns the first; the filter drops both) */
	{ "/api/v1/query?query={__name__=\"g_one\",job=\"api\"}[60001ms]"
	  "&time=1555408560", 200, OK_MATRIX(
		"{\"metric\":{\"__name__\":\"g_one\",\"job\":\"api\"},\"values\":["
		"[1555408499.999,\"7\"],[1555408500,\"1\"],[1555408515,\"0.2\"],"
		"[1555408560,\"3\"],[1555408560.001,\"9\"]]}") },
	{ "/api/v1/query?query={__name__=\"g_nan\"}[60001ms]&time=1555408560",
	  200, OK_MATRIX(
		"{\"metric\":{\"__name__\":\"g_nan\"},\"values\":["
		"[1555408500,\"1\"],[1555408515,\"NaN\"],[1555408530,\"+Inf\"],"
		"[1555408545,\"-Inf\"],[1555408560,\"2\"]]}") },
	{ "/api/v1/query?query={__name__=\"g_none\"}[60001ms]&time=1555408560",
	  200, OK_MATRIX("") },
	{ "/api/v1/query?query={__name__=\"g_outside\"}[60001ms]&time=1555408560",
	  200, OK_MATRIX(
		"{\"metric\":{\"__name__\":\"g_outside\"},\"values\":["
		"[1555408499.999,\"1\"],[1555408560.001,\"2\"]]}") },
	{ "/api/v1/query?query={__name__=\"g_two\"}[60001ms]&time=1555408560",
	  200, OK_MATRIX(
		"{\"metric\":{\"__name__\":\"g_two\",\"job\":\"api\",\"instance\":\"a\"},"
		"\"values\":[[1555408510,\"1\"]]},"
		"{\"metric\":{\"__name__\":\"g_two\",\"job\":\"api\",\"instance\":\"b\"},"
		"\"values\":[[1555408520,\"2\"]]}") },
	{ "/api/v1/query?query={__name__=\"g_one_in\"}[60001ms]&time=1555408560",
	  200, OK_MATRIX(
		"{\"metric\":{\"__name__\":\"g_one_in\",\"instance\":\"a\"},"
		"\"values\":[[1555408499.999,\"5\"]]},"
		"{\"metric\":{\"__name__\":\"g_one_in\",\"instance\":\"b\"},"
		"\"values\":[[1555408530,\"4\"]]}") },
	{ "/api/v1/query?query={__name__=\"g_error\"}[60001ms]&time=1555408560",
	  422, "{\"status\":\"error\",\"errorType\":\"execution\","
	  "\"error\":\"query processing would load too many samples\"}" },
	/* counter: 5 minutes of look-back before T0, a reset at T0 + 30 s */
	{ "/api/v1/query?query={__name__=\"c_total\"}[360001ms]&time=1555408560",
	  200, OK_MATRIX(
		"{\"metric\":{\"__name__\":\"c_total\"},\"values\":["
		"[1555408480,\"100\"],[1555408500,\"110\"],[1555408515,\"140\"],"
		"[1555408530,\"5\"],[1555408545,\"5\"],[1555408560,\"20\"]]}") },
	/* the only earlier sample is 1 ms older than the look-back */
	{ "/api/v1/query?query={__name__=\"c_edge_out_total\"}[360001ms]"
	  "&time=1555408560", 200, OK_MATRIX(
		"{\"metric\":{\"__name__\":\"c_edge_out_total\"},\"values\":["
		"[1555408199.999,\"10\"],[1555408530,\"40\"]]}") },
	/* the only earlier sample is exactly 5 minutes old */
	{ "/api/v1/query?query={__name__=\"c_edge_in_total\"}[360001ms]"
	  "&time=1555408560", 200, OK_MATRIX(
		"{\"metric\":{\"__name__\":\"c_edge_in_total\"},\"values\":["
		"[1555408200,\"20\"],[1555408560,\"50\"]]}") },
	/* `~` on the 30 s grid of (T0, T0 + 90 s]: 1555408530 .. 1555408590 */
	{ "/api/v1/query_range?query=sum(rate(x_total[1m]))&start=1555408530"
	  "&end=1555408590&step=30", 200, OK_MATRIX(
		"{\"metric\":{},\"values\":["
		"[1555408530,\"1\"],[1555408560,\"2.5\"],[1555408590,\"3\"]]}") },
	{ "/api/v1/query_range?query=absent_thing&start=1555408530"
	  "&end=1555408590&step=30", 200, OK_MATRIX("") },
	{ "/api/v1/query_range?query=sum by (job) (up)&start=1555408530"
	  "&end=1555408590&step=30", 200, OK_MATRIX(
		"{\"metric\":{\"job\":\"a\"},\"values\":[[1555408530,\"1\"]]},"
		"{\"metric\":{\"job\":\"b\"},\"values\":[[1555408560,\"1\"]]}") },
};

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* decode_target: target[0..n) with %XX decoded after the '?', into out. */
static void decode_target(const char *target, size_t n, char *out,
			  size_t size)
{
	size_t i, o = 0;
	int query = 0, hi, lo;

	for (i = 0; i < n && o + 1 < size; i++) {
		if (target[i] == '?')
			query = 1;
		if (query && target[i] == '%' && i + 2 < n &&
		    (hi = hex_value(target[i + 1])) >= 0 &&
		    (lo = hex_value(target[i + 2])) >= 0) {
			out[o++] = (char)(hi * 16 + lo);
			i += 2;
		} else {
			out[o++] = target[i];
		}
	}
	out[o] = '\0';
}

/* answer: the fake Prometheus's handler for one request head; writes the
 * canned reply. */
static enum fakehttp_next answer(int fd, const struct fakehttp_request *req,
				 void *arg)
{
	static const char unexpected[] =
		"{\"status\":\"error\",\"errorType\":\"bad_data\","
		"\"error\":\"fake prometheus: unexpected request\"}";
	const char *body = unexpected;
	char target[FAKEHTTP_REQ_MAX];
	int status = 400;
	size_t i;

	(void)arg;
	decode_target(req->target, strlen(req->target), target, sizeof(target));
	for (i = 0; i < sizeof(canned) / sizeof(canned[0]); i++)
		if (strcmp(canned[i].target, target) == 0) {
			status = canned[i].status;
			body = canned[i].body;
			break;
		}
	if (i == sizeof(canned) / sizeof(canned[0]))
		fprintf(stderr, "fake prometheus: no answer for %s\n", target);
	fakehttp_reply(fd, status, "Content-Type: application/json\r\n", body,
		       strlen(body));
	return FAKEHTTP_KEEP;
}

/* ---- fixture: the fake server and one upstream for the group ---- */

struct fixture {
	struct fakehttp srv;
	struct upstream *u;
};

static int setup_group(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	*state = f;
	unsetenv("http_proxy");
	unsetenv("HTTP_PROXY");
	unsetenv("https_proxy");
	unsetenv("HTTPS_PROXY");
	unsetenv("all_proxy");
	unsetenv("ALL_PROXY");
	/* fork before libcurl starts, so the child holds nothing of it */
	if (fakehttp_start(&f->srv, answer, NULL) != 0)
		return -1;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return -1;
	f->u = upstream_new("http://127.0.0.1:");
	return f->u ? 0 : -1;
}

static int teardown_group(void **state)
{
	struct fixture *f = *state;

	if (!f)
		return 0;
	upstream_free(f->u);
	curl_global_cleanup();
	fakehttp_stop(&f->srv);
	free(f);
	return 0;
}

/* ---- helpers ---- */

static char *xstrdup(const char *s)
{
	char *p = strdup(s);

	assert_non_null(p);
	return p;
}

/* req_init: a request against the fake server, as request_parse would
 * leave it, with StringValue conditions from key/value pairs kv[0..2n).
 * Free with request_free. */
static void req_init(struct request *r, const struct fixture *f,
		     enum nan_mode nan, const char *const *kv, size_t n)
{
	char url[64];
	size_t i;

	memset(r, 0, sizeof(*r));
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", f->srv.port);
	r->conn.url = xstrdup(url);
	r->conn.timeout_ms = 2000;
	r->conn.step_ms = 30000;
	r->conn.nan = nan;
	r->q.conds = calloc(n, sizeof(*r->q.conds));
	assert_non_null(r->q.conds);
	r->q.n_conds = n;
	for (i = 0; i < n; i++) {
		r->q.conds[i].key = xstrdup(kv[2 * i]);
		r->q.conds[i].type = VALUE_STRING;
		r->q.conds[i].str = xstrdup(kv[2 * i + 1]);
	}
}

/* read_window: promql_metric and stream_read over [from, to], as
 * handle_metric calls them. */
static enum err read_window(struct fixture *f, struct request *r,
			    int64_t from, int64_t to, struct stream *s,
			    struct errinfo *ei)
{
	enum metric_kind kind;
	const char *text;
	enum err rc;

	memset(s, 0, sizeof(*s));
	memset(ei, 0, sizeof(*ei));
	r->q.has_start = r->q.has_end = 1;
	r->q.start_ms = from;
	r->q.end_ms = to;
	rc = promql_metric(&r->q, &kind, &text, ei);
	assert_int_equal(rc, OK);
	return stream_read(f->u, r, kind, text, from, to, s, ei);
}

/* expect_ok: rc is OK, else the details are shown. */
static void expect_ok(enum err rc, const struct errinfo *ei)
{
	if (rc != OK)
		print_error("stream_read: %s: %s\n", err_name(rc), ei->details);
	assert_int_equal(rc, OK);
}

/* expect_points: the stream holds exactly want[0..n) (time and value;
 * for counters also the increase and interval when check_inc). */
static void expect_points(const struct stream *s, const struct point *want,
			  size_t n, int check_inc)
{
	size_t i;

	if (s->n != n) {
		print_error("%zu points, expected %zu:\n", s->n, n);
		for (i = 0; i < s->n; i++)
			print_error("  [%lld, %.17g]\n", (long long)s->pts[i].t_ms,
				    s->pts[i].v);
	}
	assert_int_equal(s->n, n);
	for (i = 0; i < n; i++) {
		if (s->pts[i].t_ms != want[i].t_ms || s->pts[i].v != want[i].v)
			print_error("point %zu: [%lld, %.17g], expected [%lld, %.17g]\n",
				    i, (long long)s->pts[i].t_ms, s->pts[i].v,
				    (long long)want[i].t_ms, want[i].v);
		assert_true(s->pts[i].t_ms == want[i].t_ms);
		assert_true(s->pts[i].v == want[i].v);
		if (check_inc) {
			assert_true(s->pts[i].inc == want[i].inc);
			assert_true(s->pts[i].dt_ms == want[i].dt_ms);
		}
	}
}

/* named_labels: the label names a too-many details text lists after
 * "differ:", as a JSON object used as a set (caller json_decref()s). */
static json_t *named_labels(const char *details)
{
	const char *p = strstr(details, "differ:"), *end;
	json_t *set = json_object();
	char name[2048];
	size_t len;

	assert_non_null(set);
	if (!p)
		return set;
	p += strlen("differ:");
	while (*p) {
		while (*p == ' ' || *p == ',')
			p++;
		end = p;
		while (*end && *end != ',')
			end++;
		len = (size_t)(end - p);
		while (len && p[len - 1] == ' ')
			len--;
		if (len) {
			assert_true(len < sizeof(name));
			memcpy(name, p, len);
			name[len] = '\0';
			json_object_set_new(set, name, json_true());
		}
		p = end;
	}
	return set;
}

/* expect_named: details list exactly the labels names[0..n). */
static void expect_named(const char *details, const char *const *names,
			 size_t n)
{
	json_t *got = named_labels(details), *want = json_object();
	size_t i;

	for (i = 0; i < n; i++)
		json_object_set_new(want, names[i], json_true());
	if (!json_equal(got, want))
		print_error("details \"%s\" do not name exactly the expected labels\n",
			    details);
	assert_true(json_equal(got, want));
	json_decref(got);
	json_decref(want);
}

/* add_series: a series with labels given as JSON text and one point. */
static void add_series(struct series_set *set, const char *labels_json)
{
	json_t *labels = json_loads(labels_json, 0, NULL);
	struct series *s;

	assert_non_null(labels);
	assert_int_equal(series_set_add(set, labels, &s), OK);
	json_decref(labels);    /* the set holds its own reference */
	assert_int_equal(series_push(s, T0, 1.0), OK);
}

/* ---- stream_too_many ---- */

static void test_stream_too_many_names_the_one_label_that_differs(void **state)
{
	static const char *const want[] = { "instance" };
	struct series_set set = { 0 };
	struct errinfo ei;

	(void)state;
	memset(&ei, 0, sizeof(ei));
	add_series(&set, "{\"__name__\": \"up\", \"job\": \"api\", \"instance\": \"a:9090\"}");
	add_series(&set, "{\"__name__\": \"up\", \"job\": \"api\", \"instance\": \"b:9090\"}");
	assert_int_equal(stream_too_many(&set, &ei), ERR_TOO_MANY);
	assert_int_equal(ei.code, ERR_TOO_MANY);
	expect_named(ei.details, want, 1);
	series_set_free(&set);
}

static void test_stream_too_many_names_differing_and_missing_labels(void **state)
{
	static const char *const want[] = { "job", "instance", "zone", "pod" };
	struct series_set set = { 0 };
	struct errinfo ei;

	(void)state;
	memset(&ei, 0, sizeof(ei));
	/* job and instance differ, zone only in the first, pod only in the
	 * second; __name__ and region are the same everywhere */
	add_series(&set, "{\"__name__\": \"m\", \"job\": \"a\", \"instance\": \"x\", "
			 "\"zone\": \"z1\", \"region\": \"eu\"}");
	add_series(&set, "{\"__name__\": \"m\", \"job\": \"b\", \"instance\": \"y\", "
			 "\"region\": \"eu\", \"pod\": \"p-1\"}");
	assert_int_equal(stream_too_many(&set, &ei), ERR_TOO_MANY);
	assert_int_equal(ei.code, ERR_TOO_MANY);
	expect_named(ei.details, want, 4);
	series_set_free(&set);
}

static void test_stream_too_many_names_a_label_missing_from_a_later_series(void **state)
{
	static const char *const want[] = { "le" };
	struct series_set set = { 0 };
	struct errinfo ei;

	(void)state;
	memset(&ei, 0, sizeof(ei));
	add_series(&set, "{\"__name__\": \"m\", \"job\": \"a\"}");
	add_series(&set, "{\"__name__\": \"m\", \"job\": \"a\", \"le\": \"0.5\"}");
	add_series(&set, "{\"__name__\": \"m\", \"job\": \"a\", \"le\": \"0.5\"}");
	assert_int_equal(stream_too_many(&set, &ei), ERR_TOO_MANY);
	expect_named(ei.details, want, 1);
	assert_non_null(strstr(ei.details, "3 series"));
	series_set_free(&set);
}

static void test_stream_too_many_names_the_metric_name_when_only_it_differs(void **state)
{
	static const char *const want[] = { "__name__" };
	struct series_set set = { 0 };
	struct errinfo ei;

	(void)state;
	memset(&ei, 0, sizeof(ei));
	add_series(&set, "{\"__name__\": \"a_total\", \"job\": \"api\"}");
	add_series(&set, "{\"__name__\": \"b_total\", \"job\": \"api\"}");
	assert_int_equal(stream_too_many(&set, &ei), ERR_TOO_MANY);
	expect_named(ei.details, want, 1);
	series_set_free(&set);
}

/* many_long_labels: 100 series, each with its own 200-byte label name, so
 * every one of those names differs and they cannot all be listed. */
static void many_long_labels(struct series_set *set)
{
	char name[256], text[512];
	size_t i;

	for (i = 0; i < 100; i++) {
		json_t *labels;
		struct series *s;

		memset(name, 'x', sizeof(name));
		snprintf(name, sizeof(name), "label_%03zu_", i);
		name[strlen(name)] = 'x';
		name[200] = '\0';
		snprintf(text, sizeof(text), "{\"__name__\": \"m\", \"%s\": \"v\"}", name);
		labels = json_loads(text, 0, NULL);
		assert_non_null(labels);
		assert_int_equal(series_set_add(set, labels, &s), OK);
		json_decref(labels);
		assert_int_equal(series_push(s, T0 + (int64_t)i, (double)i), OK);
	}
}

static void test_stream_too_many_details_never_overflow(void **state)
{
	struct series_set set = { 0 };
	struct errinfo *ei = calloc(1, sizeof(*ei));
	size_t i;

	(void)state;
	assert_non_null(ei);
	/* a canary right after details */
	memset(ei->metric, 'M', sizeof(ei->metric) - 1);
	many_long_labels(&set);
	assert_int_equal(stream_too_many(&set, ei), ERR_TOO_MANY);
	assert_int_equal(ei->code, ERR_TOO_MANY);
	assert_true(memchr(ei->details, '\0', sizeof(ei->details)) != NULL);
	assert_true(strlen(ei->details) > 0);
	for (i = 0; i < sizeof(ei->metric) - 1; i++)
		assert_int_equal(ei->metric[i], 'M');
	assert_int_equal(ei->metric[sizeof(ei->metric) - 1], '\0');
	series_set_free(&set);
	free(ei);
}

static void test_stream_too_many_names_the_first_labels_when_all_do_not_fit(void **state)
{
	struct series_set set = { 0 };
	struct errinfo ei;
	enum err rc;

	(void)state;
	memset(&ei, 0, sizeof(ei));
	many_long_labels(&set);
	rc = stream_too_many(&set, &ei);
	series_set_free(&set);  /* before any assertion can jump out */
	assert_int_equal(rc, ERR_TOO_MANY);
	/* spec 5: details list the differing labels; when they do not all
	 * fit, the count and as many names as fit are still worth giving */
	if (!strstr(ei.details, "100 series") || !strstr(ei.details, "label_000_x"))
		print_error("details: \"%s\"\n", ei.details);
	assert_non_null(strstr(ei.details, "100 series"));
	assert_non_null(strstr(ei.details, "label_000_x"));
}

/* ---- stream_read against the fake Prometheus ---- */

static void test_stream_gauge_keeps_samples_inside_both_ends(void **state)
{
	static const char *const kv[] = { "__gauge__", "g_one", "job", "api" };
	static const struct point want[] = {
		{ .t_ms = T0, .v = 1.0 },
		{ .t_ms = T0 + 15000, .v = 0.2 },
		{ .t_ms = T_END, .v = 3.0 },
	};
	struct request r;
	struct stream s;
	struct errinfo ei;

	req_init(&r, *state, NAN_ZERO, kv, 2);
	expect_ok(read_window(*state, &r, T0, T_END, &s, &ei), &ei);
	assert_int_equal(s.kind, METRIC_GAUGE);
	expect_points(&s, want, 3, 0);
	stream_free(&s);
	request_free(&r);
}

static void test_stream_gauge_turns_nan_into_zero_under_zero(void **state)
{
	static const char *const kv[] = { "__gauge__", "g_nan" };
	static const struct point want[] = {
		{ .t_ms = T0, .v = 1.0 },
		{ .t_ms = T0 + 15000, .v = 0.0 },
		{ .t_ms = T_END, .v = 2.0 },
	};
	struct request r;
	struct stream s;
	struct errinfo ei;

	req_init(&r, *state, NAN_ZERO, kv, 1);
	expect_ok(read_window(*state, &r, T0, T_END, &s, &ei), &ei);
	/* +Inf and -Inf are left out */
	expect_points(&s, want, 3, 0);
	stream_free(&s);
	request_free(&r);
}

static void test_stream_gauge_leaves_nan_out_under_none(void **state)
{
	static const char *const kv[] = { "__gauge__", "g_nan" };
	static const struct point want[] = {
		{ .t_ms = T0, .v = 1.0 },
		{ .t_ms = T_END, .v = 2.0 },
	};
	struct request r;
	struct stream s;
	struct errinfo ei;

	req_init(&r, *state, NAN_NONE, kv, 1);
	expect_ok(read_window(*state, &r, T0, T_END, &s, &ei), &ei);
	expect_points(&s, want, 2, 0);
	stream_free(&s);
	request_free(&r);
}

static void test_stream_counter_gives_rates_with_reset_and_look_back(void **state)
{
	static const char *const kv[] = { "__counter__", "c_total" };
	/* v = increase / seconds; the reset at T0 + 30 s counts 5 from 0 */
	const struct point want[] = {
		{ .t_ms = T0, .v = 10.0 / 20.0, .inc = 10.0, .dt_ms = 20000 },
		{ .t_ms = T0 + 15000, .v = 30.0 / 15.0, .inc = 30.0, .dt_ms = 15000 },
		{ .t_ms = T0 + 30000, .v = 5.0 / 15.0, .inc = 5.0, .dt_ms = 15000 },
		{ .t_ms = T0 + 45000, .v = 0.0, .inc = 0.0, .dt_ms = 15000 },
		{ .t_ms = T_END, .v = 15.0 / 15.0, .inc = 15.0, .dt_ms = 15000 },
	};
	struct request r;
	struct stream s;
	struct errinfo ei;

	req_init(&r, *state, NAN_ZERO, kv, 1);
	expect_ok(read_window(*state, &r, T0, T_END, &s, &ei), &ei);
	assert_int_equal(s.kind, METRIC_COUNTER);
	expect_points(&s, want, 5, 1);
	stream_free(&s);
	request_free(&r);
}

static void test_stream_counter_looks_back_exactly_five_minutes(void **state)
{
	static const char *const in[] = { "__counter__", "c_edge_in_total" };
	static const char *const out[] = { "__counter__", "c_edge_out_total" };
	const struct point want[] = {
		{ .t_ms = T_END, .v = 30.0 / 360.0, .inc = 30.0, .dt_ms = 360000 },
	};
	struct request r;
	struct stream s;
	struct errinfo ei;

	/* a sample 5 minutes before startTime gives the first rate */
	req_init(&r, *state, NAN_ZERO, in, 1);
	expect_ok(read_window(*state, &r, T0, T_END, &s, &ei), &ei);
	expect_points(&s, want, 1, 1);
	stream_free(&s);
	request_free(&r);

	/* one 1 ms older is outside the look-back (Prometheus 2 returns it,
	 * since the range is read 1 ms wider): the first sample has no rate */
	req_init(&r, *state, NAN_ZERO, out, 1);
	expect_ok(read_window(*state, &r, T0, T_END, &s, &ei), &ei);
	expect_points(&s, NULL, 0, 1);
	stream_free(&s);
	request_free(&r);
}

static void test_stream_expression_reads_the_step_grid(void **state)
{
	/* other conditions are ignored by `~` (spec 4.2) */
	static const char *const kv[] = {
		"job", "api", "~", "sum(rate(x_total[1m]))",
	};
	static const struct point want[] = {
		{ .t_ms = T0 + 30000, .v = 1.0 },
		{ .t_ms = T0 + 60000, .v = 2.5 },
		{ .t_ms = T0 + 90000, .v = 3.0 },
	};
	struct request r;
	struct stream s;
	struct errinfo ei;

	req_init(&r, *state, NAN_ZERO, kv, 2);
	/* from T0 + 1 ms: the first grid point is T0 + 30 s */
	expect_ok(read_window(*state, &r, T0 + 1, T0 + 90000, &s, &ei), &ei);
	assert_int_equal(s.kind, METRIC_EXPR);
	expect_points(&s, want, 3, 0);
	stream_free(&s);
	request_free(&r);
}

static void test_stream_expression_without_a_grid_point_is_no_series(void **state)
{
	static const char *const kv[] = { "~", "sum(rate(x_total[1m]))" };
	struct request r;
	struct stream s;
	struct errinfo ei;

	req_init(&r, *state, NAN_ZERO, kv, 1);
	/* (T0, T0 + 30 s) holds no multiple of 30 s; nothing is asked */
	assert_int_equal(read_window(*state, &r, T0 + 1, T0 + 29999, &s, &ei),
			 ERR_NO_SERIES);
	assert_string_equal(ei.metric, "sum(rate(x_total[1m]))");
	request_free(&r);
}

static void test_stream_no_series_is_metric_not_found_with_the_selector(void **state)
{
	static const char *const kv[] = { "__gauge__", "g_none" };
	struct request r;
	struct stream s;
	struct errinfo ei;

	req_init(&r, *state, NAN_ZERO, kv, 1);
	assert_int_equal(read_window(*state, &r, T0, T_END, &s, &ei), ERR_NO_SERIES);
	assert_int_equal(ei.code, ERR_NO_SERIES);
	assert_string_equal(ei.metric, "{__name__=\"g_none\"}");
	assert_null(s.pts);
	request_free(&r);
}

static void test_stream_series_without_points_in_the_window_is_no_series(void **state)
{
	static const char *const kv[] = { "__gauge__", "g_outside" };
	struct request r;
	struct stream s;
	struct errinfo ei;

	req_init(&r, *state, NAN_ZERO, kv, 1);
	assert_int_equal(read_window(*state, &r, T0, T_END, &s, &ei), ERR_NO_SERIES);
	assert_string_equal(ei.metric, "{__name__=\"g_outside\"}");
	request_free(&r);
}

static void test_stream_expression_with_no_series_names_the_expression(void **state)
{
	static const char *const kv[] = { "~", "absent_thing" };
	struct request r;
	struct stream s;
	struct errinfo ei;

	req_init(&r, *state, NAN_ZERO, kv, 1);
	assert_int_equal(read_window(*state, &r, T0 + 1, T0 + 90000, &s, &ei),
			 ERR_NO_SERIES);
	assert_string_equal(ei.metric, "absent_thing");
	request_free(&r);
}

static void test_stream_two_series_in_the_window_are_too_many(void **state)
{
	static const char *const kv[] = { "__gauge__", "g_two" };
	static const char *const want[] = { "instance" };
	struct request r;
	struct stream s;
	struct errinfo ei;

	req_init(&r, *state, NAN_ZERO, kv, 1);
	assert_int_equal(read_window(*state, &r, T0, T_END, &s, &ei), ERR_TOO_MANY);
	assert_int_equal(ei.code, ERR_TOO_MANY);
	expect_named(ei.details, want, 1);
	assert_null(s.pts);
	request_free(&r);
}

static void test_stream_two_expression_series_are_too_many(void **state)
{
	static const char *const kv[] = { "~", "sum by (job) (up)" };
	static const char *const want[] = { "job" };
	struct request r;
	struct stream s;
	struct errinfo ei;

	req_init(&r, *state, NAN_ZERO, kv, 1);
	assert_int_equal(read_window(*state, &r, T0 + 1, T0 + 90000, &s, &ei),
			 ERR_TOO_MANY);
	expect_named(ei.details, want, 1);
	request_free(&r);
}

static void test_stream_only_series_with_points_in_the_window_count(void **state)
{
	static const char *const kv[] = { "__gauge__", "g_one_in" };
	static const struct point want[] = { { .t_ms = T0 + 30000, .v = 4.0 } };
	struct request r;
	struct stream s;
	struct errinfo ei;

	req_init(&r, *state, NAN_ZERO, kv, 1);
	expect_ok(read_window(*state, &r, T0, T_END, &s, &ei), &ei);
	expect_points(&s, want, 1, 0);
	stream_free(&s);
	request_free(&r);
}

static void test_stream_prometheus_error_is_passed_on(void **state)
{
	static const char *const kv[] = { "__gauge__", "g_error" };
	struct request r;
	struct stream s;
	struct errinfo ei;

	req_init(&r, *state, NAN_ZERO, kv, 1);
	assert_int_equal(read_window(*state, &r, T0, T_END, &s, &ei), ERR_PROMETHEUS);
	assert_non_null(strstr(ei.details, "execution: query processing"));
	assert_null(s.pts);
	request_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stream_too_many_names_the_one_label_that_differs),
		cmocka_unit_test(test_stream_too_many_names_differing_and_missing_labels),
		cmocka_unit_test(test_stream_too_many_names_a_label_missing_from_a_later_series),
		cmocka_unit_test(test_stream_too_many_names_the_metric_name_when_only_it_differs),
		cmocka_unit_test(test_stream_too_many_details_never_overflow),
		cmocka_unit_test(test_stream_too_many_names_the_first_labels_when_all_do_not_fit),
		cmocka_unit_test(test_stream_gauge_keeps_samples_inside_both_ends),
		cmocka_unit_test(test_stream_gauge_turns_nan_into_zero_under_zero),
		cmocka_unit_test(test_stream_gauge_leaves_nan_out_under_none),
		cmocka_unit_test(test_stream_counter_gives_rates_with_reset_and_look_back),
		cmocka_unit_test(test_stream_counter_looks_back_exactly_five_minutes),
		cmocka_unit_test(test_stream_expression_reads_the_step_grid),
		cmocka_unit_test(test_stream_expression_without_a_grid_point_is_no_series),
		cmocka_unit_test(test_stream_no_series_is_metric_not_found_with_the_selector),
		cmocka_unit_test(test_stream_series_without_points_in_the_window_is_no_series),
		cmocka_unit_test(test_stream_expression_with_no_series_names_the_expression),
		cmocka_unit_test(test_stream_two_series_in_the_window_are_too_many),
		cmocka_unit_test(test_stream_two_expression_series_are_too_many),
		cmocka_unit_test(test_stream_only_series_with_points_in_the_window_count),
		cmocka_unit_test(test_stream_prometheus_error_is_passed_on),
	};
	return cmocka_run_group_tests(tests, setup_group, teardown_group);
}
