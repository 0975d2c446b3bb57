/* test_route.c - the route table (404, 405 with Allow) and every answer the
 * handlers give before or without a live upstream: GET / and /healthcheck,
 * bad requests, the allowlist, Test Connection failures, the reserved keys. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <setjmp.h>
#include <cmocka.h>

#include <config.h>
#include <curl/curl.h>
#include <jansson.h>

#include "common/log.h"
#include "mirror/exchange.h"

#define ALLOWED "http://127.0.0.1:"

/* ---- fixture: one worker as main.c would build it ---- */

static char api_key[] = "test-key";
static char allowed[] = ALLOWED;

static struct config cfg = {
	.api_key = api_key,
	.allowed_upstreams = allowed,
	.max_body_bytes = 1048576,
	.max_timeout_s = 300,
	.max_points = 1000000,
	.log_level = LOG_ERROR,
};

static struct worker worker;

static int setup_group(void **state)
{
	(void)state;
	/* loopback only, whatever proxy the environment names */
	unsetenv("http_proxy");
	unsetenv("HTTP_PROXY");
	unsetenv("https_proxy");
	unsetenv("HTTPS_PROXY");
	unsetenv("all_proxy");
	unsetenv("ALL_PROXY");
	/* and no AWS credentials of the machine's own */
	unsetenv("AWS_ACCESS_KEY_ID");
	unsetenv("AWS_SECRET_ACCESS_KEY");
	unsetenv("AWS_WEB_IDENTITY_TOKEN_FILE");
	unsetenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
	unsetenv("AWS_CONTAINER_CREDENTIALS_FULL_URI");
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return -1;
	worker.cfg = &cfg;
	worker.up = upstream_new(cfg.allowed_upstreams);
	return worker.up ? 0 : -1;
}

static int teardown_group(void **state)
{
	(void)state;
	upstream_free(worker.up);
	worker.up = NULL;
	curl_global_cleanup();
	return 0;
}

/* ---- helpers ---- */

/* dispatch: one exchange through route_dispatch; the caller inspects x and
 * frees it with done(). body may be NULL (no body). */
static void dispatch(struct exchange *x, const char *method, const char *path,
		     const char *body)
{
	memset(x, 0, sizeof(*x));
	x->method = method;
	x->path = path;
	x->body = body;
	x->body_len = body ? strlen(body) : 0;
	buf_init(&x->out, 1 << 20);
	route_dispatch(&worker, x);
	assert_non_null(x->content_type);
	assert_string_equal(x->content_type, "application/json");
	assert_non_null(x->endpoint);
}

static void done(struct exchange *x)
{
	buf_free(&x->out);
}

/* body_json: the answer parsed; fails the test when it is not one JSON
 * object. The caller json_decref()s. */
static json_t *body_json(const struct exchange *x)
{
	json_error_t jerr;
	json_t *doc;

	doc = json_loadb(buf_cstr(&x->out), x->out.len, JSON_REJECT_DUPLICATES,
			 &jerr);
	if (!doc)
		print_error("answer is not JSON (%s):\n%s\n", jerr.text,
			    buf_cstr(&x->out));
	assert_non_null(doc);
	assert_true(json_is_object(doc));
	return doc;
}

/* str_member: obj.key, which must be a string. */
static const char *str_member(const json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));

	if (!s) {
		print_error("member \"%s\" missing or not a string\n", key);
		fail();
	}
	return s;
}

static void assert_mentions(const char *text, const char *needle)
{
	if (!strstr(text, needle)) {
		print_error("\"%s\" does not mention \"%s\"\n", text, needle);
		fail();
	}
}

/* expect_error: status and a typed error body with exactly the members of
 * its shape (spec section 5); details must mention `mention` (when not
 * NULL). Returns nothing; the exchange stays the caller's. */
static void expect_error(const struct exchange *x, int status,
			 const char *type, const char *mention)
{
	json_t *doc;

	if (x->status != status)
		print_error("status %d, body %s\n", x->status, buf_cstr(&x->out));
	assert_int_equal(x->status, status);
	doc = body_json(x);
	assert_string_equal(str_member(doc, "_type"), type);
	if (strcmp(type, "MetricNotFoundError") == 0) {
		str_member(doc, "metric");
	} else if (strcmp(type, "RemoteMirrorError") == 0) {
		assert_true(str_member(doc, "summary")[0] != '\0');
	}
	assert_int_equal(json_object_size(doc),
			 strcmp(type, "MetricStoreConnectionError") == 0 ? 2 : 3);
	if (mention)
		assert_mentions(str_member(doc, "details"), mention);
	json_decref(doc);
}

/* expect_connection_failure: the one shape every Test Connection failure
 * has (spec 4.6), with status and details mentioning `mention`. */
static void expect_connection_failure(const struct exchange *x, int status,
				      const char *mention)
{
	json_t *doc, *error;

	if (x->status != status)
		print_error("status %d, body %s\n", x->status, buf_cstr(&x->out));
	assert_int_equal(x->status, status);
	doc = body_json(x);
	assert_int_equal(json_object_size(doc), 3);
	assert_string_equal(str_member(doc, "_type"), "TestConnectionResponse");
	assert_string_equal(str_member(doc, "status"), "FAILURE");
	error = json_object_get(doc, "error");
	assert_true(json_is_object(error));
	assert_int_equal(json_object_size(error), 2);
	assert_string_equal(str_member(error, "_type"), "MetricStoreConnectionError");
	if (mention)
		assert_mentions(str_member(error, "details"), mention);
	json_decref(doc);
}

/* closed_port: a loopback port nothing listens on: bound by us, read back,
 * closed. */
static int closed_port(void)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;

	assert_true(fd >= 0);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	port = ntohs(a.sin_port);
	close(fd);
	return port;
}

/* metric_body: a Get Metric Values body for url with the given conditions
 * (a JSON array text). Writes into out. */
static void metric_body(char *out, size_t size, const char *url,
			const char *conditions)
{
	int n = snprintf(out, size,
			 "{\"_type\": \"GetMetricValuesRequest\", "
			 "\"connectionDetails\": {\"url\": \"%s\", "
			 "\"request_timeout_seconds\": 2}, "
			 "\"query\": {\"conditions\": %s, "
			 "\"startTime\": 1555408500000, \"endTime\": 1555408800000}}",
			 url, conditions);

	assert_true(n > 0 && (size_t)n < size);
}

/* ---- GET endpoints ---- */

static void test_route_root_answers_app_and_version(void **state)
{
	struct exchange x;
	json_t *doc, *want;

	(void)state;
	dispatch(&x, "GET", "/", NULL);
	assert_int_equal(x.status, 200);
	assert_null(x.allow);
	assert_string_equal(x.endpoint, "root");
	doc = body_json(&x);
	want = json_pack("{s:s, s:s}", "app", "prometheus-mirror",
			 "version", PACKAGE_VERSION);
	assert_true(json_equal(doc, want));
	json_decref(want);
	json_decref(doc);
	done(&x);
}

static void test_route_healthcheck_answers_ok_without_upstream(void **state)
{
	struct exchange x;
	json_t *doc, *want;

	(void)state;
	upstream_take_seconds(worker.up);
	dispatch(&x, "GET", "/healthcheck", NULL);
	assert_int_equal(x.status, 200);
	assert_null(x.allow);
	assert_string_equal(x.endpoint, "healthcheck");
	doc = body_json(&x);
	want = json_pack("{s:s, s:s}", "app", "prometheus-mirror", "status", "OK");
	assert_true(json_equal(doc, want));
	json_decref(want);
	json_decref(doc);
	assert_true(upstream_take_seconds(worker.up) == 0.0);
	done(&x);
}

/* ---- 404 and 405 ---- */

static void test_route_unknown_paths_are_404_remote_mirror_errors(void **state)
{
	static const struct {
		const char *method, *path;
	} cases[] = {
		{ "GET", "/nope" },
		{ "POST", "/api/metric/" },
		{ "POST", "/API/metric" },
		{ "GET", "" },
		{ "POST", "/api" },
		{ "POST", "/api/field" },
		{ "GET", "/healthcheck/" },
		{ "GET", "//" },
		{ "POST", "/api/metric\n" },
		{ "DELETE", "/nope" },
	};
	struct exchange x;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		dispatch(&x, cases[i].method, cases[i].path, NULL);
		expect_error(&x, 404, "RemoteMirrorError", NULL);
		assert_null(x.allow);
		assert_int_equal(x.ei.code, ERR_NO_ROUTE);
		assert_string_equal(x.endpoint, "unknown");
		done(&x);
	}
}

static void test_route_other_methods_on_a_post_endpoint_are_405_allowing_post(void **state)
{
	static const char *const paths[] = {
		"/api/metric", "/api/connection", "/api/field/name", "/api/field/value",
	};
	static const char *const methods[] = { "GET", "PUT", "DELETE", "post" };
	struct exchange x;
	size_t i, m;

	(void)state;
	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
		for (m = 0; m < sizeof(methods) / sizeof(methods[0]); m++) {
			dispatch(&x, methods[m], paths[i], NULL);
			expect_error(&x, 405, "RemoteMirrorError", "POST");
			assert_non_null(x.allow);
			assert_string_equal(x.allow, "POST");
			assert_int_equal(x.ei.code, ERR_METHOD);
			done(&x);
		}
}

static void test_route_post_on_a_get_endpoint_is_405_allowing_get(void **state)
{
	static const char *const paths[] = { "/", "/healthcheck" };
	struct exchange x;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		dispatch(&x, "POST", paths[i], "{}");
		expect_error(&x, 405, "RemoteMirrorError", "GET");
		assert_non_null(x.allow);
		assert_string_equal(x.allow, "GET");
		done(&x);
	}
}

/* ---- bad requests on Get Metric Values ---- */

static void test_route_metric_with_broken_json_is_400_naming_the_body(void **state)
{
	static const char *const bodies[] = {
		"{", "", "not json", "{\"a\": 1,}", "[]", "\"connectionDetails\"",
	};
	struct exchange x;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		dispatch(&x, "POST", "/api/metric", bodies[i]);
		expect_error(&x, 400, "RemoteMirrorError", "body");
		assert_string_equal(x.endpoint, "metric");
		done(&x);
	}
}

static void test_route_metric_with_missing_fields_is_400_naming_them(void **state)
{
	static const struct {
		const char *body, *field;
	} cases[] = {
		{ "{}", "connectionDetails" },
		{ "{\"connectionDetails\": {\"url\": \"" ALLOWED "9\"}}", "query" },
		{ "{\"connectionDetails\": {}, \"query\": {}}", "connectionDetails.url" },
		{ "{\"connectionDetails\": {\"url\": \"" ALLOWED "9\"}, "
		  "\"query\": {\"endTime\": 2}}", "query.startTime" },
		{ "{\"connectionDetails\": {\"url\": \"" ALLOWED "9\"}, "
		  "\"query\": {\"startTime\": 1}}", "query.endTime" },
		{ "{\"connectionDetails\": {\"url\": 7}, \"query\": {}}",
		  "connectionDetails.url" },
		{ "{\"connectionDetails\": {\"url\": \"" ALLOWED "9\"}, "
		  "\"query\": {\"startTime\": 5, \"endTime\": 1}}", "query.startTime" },
		{ "{\"connectionDetails\": {\"url\": \"" ALLOWED "9\"}, "
		  "\"query\": {\"startTime\": 1, \"endTime\": 5, \"limit\": -1}}",
		  "query.limit" },
		{ "{\"connectionDetails\": {\"url\": \"" ALLOWED "9\"}, "
		  "\"query\": {\"startTime\": 1, \"endTime\": 5, "
		  "\"conditions\": [{\"key\": \"bad key\", \"value\": \"x\"}]}}",
		  "query.conditions[0].key" },
		{ "{\"connectionDetails\": {\"url\": \"" ALLOWED "9\"}, "
		  "\"query\": {\"startTime\": 1, \"endTime\": 5, "
		  "\"aggregation\": {\"method\": \"MEDIAN\", \"bucketSizeMillis\": 10}}}",
		  "query.aggregation.method" },
	};
	struct exchange x;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		dispatch(&x, "POST", "/api/metric", cases[i].body);
		expect_error(&x, 400, "RemoteMirrorError", cases[i].field);
		done(&x);
	}
}

static void test_route_metric_with_a_non_http_url_is_400(void **state)
{
	static const char *const urls[] = {
		"file:///etc/passwd",
		"gopher://127.0.0.1:70/",
		"http://user:pw@127.0.0.1:9090",
		"http://127.0.0.1:9090/?q=1",
		"http://127.0.0.1:9090/#x",
		"127.0.0.1:9090",
	};
	char body[1024];
	struct exchange x;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(urls) / sizeof(urls[0]); i++) {
		metric_body(body, sizeof(body), urls[i],
			    "[{\"key\": \"__gauge__\", \"value\": \"up\"}]");
		dispatch(&x, "POST", "/api/metric", body);
		expect_error(&x, 400, "RemoteMirrorError", "connectionDetails.url");
		/* the password never comes back */
		assert_null(strstr(buf_cstr(&x.out), "pw@"));
		done(&x);
	}
}

static void test_route_metric_outside_the_allowlist_is_403(void **state)
{
	char body[1024];
	struct exchange x;

	(void)state;
	upstream_take_seconds(worker.up);
	metric_body(body, sizeof(body), "http://192.0.2.1:9090",
		    "[{\"key\": \"__gauge__\", \"value\": \"up\"}]");
	dispatch(&x, "POST", "/api/metric", body);
	expect_error(&x, 403, "RemoteMirrorError", "MIRROR_ALLOWED_UPSTREAMS");
	assert_int_equal(x.ei.code, ERR_FORBIDDEN);
	/* refused before any transfer: no time was spent in upstream_run */
	assert_true(upstream_take_seconds(worker.up) == 0.0);
	done(&x);
}

/* listen_on: a listening TCP socket on addr (host order) and a port the
 * kernel picks; returns the fd (or -1 when that address is unusable) and
 * sets *port. */
static int listen_on(uint32_t addr, int *port)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(addr);
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(fd, 8) != 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &len) != 0) {
		close(fd);
		return -1;
	}
	*port = ntohs(a.sin_port);
	return fd;
}

/* no_connection_waits: 1 when nobody connected to the listening fd. */
static int no_connection_waits(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int r;

	do
		r = poll(&p, 1, 200);
	while (r < 0 && errno == EINTR);
	return r == 0;
}

static void test_route_refused_upstream_is_never_connected_to(void **state)
{
	char url[64], body[1024];
	struct exchange x;
	int fd, port = 0;

	(void)state;
	/* 127.0.0.2 is loopback but not under "http://127.0.0.1:" */
	fd = listen_on(0x7f000002, &port);
	if (fd < 0)
		skip();
	snprintf(url, sizeof(url), "http://127.0.0.2:%d", port);

	metric_body(body, sizeof(body), url,
		    "[{\"key\": \"__gauge__\", \"value\": \"up\"}]");
	dispatch(&x, "POST", "/api/metric", body);
	expect_error(&x, 403, "RemoteMirrorError", "127.0.0.2");
	done(&x);

	snprintf(body, sizeof(body), "{\"connectionDetails\": {\"url\": \"%s\", "
		 "\"request_timeout_seconds\": 1}}", url);
	dispatch(&x, "POST", "/api/connection", body);
	expect_connection_failure(&x, 403, "MIRROR_ALLOWED_UPSTREAMS");
	done(&x);

	snprintf(body, sizeof(body), "{\"connectionDetails\": {\"url\": \"%s\", "
		 "\"request_timeout_seconds\": 1}, \"query\": {}}", url);
	dispatch(&x, "POST", "/api/field/name", body);
	expect_error(&x, 403, "RemoteMirrorError", NULL);
	done(&x);

	snprintf(body, sizeof(body), "{\"connectionDetails\": {\"url\": \"%s\", "
		 "\"request_timeout_seconds\": 1}, \"query\": "
		 "{\"field\": {\"fieldName\": \"job\"}}}", url);
	dispatch(&x, "POST", "/api/field/value", body);
	expect_error(&x, 403, "RemoteMirrorError", NULL);
	done(&x);

	assert_true(no_connection_waits(fd));
	close(fd);
}

/* ---- the reserved keys ---- */

static void test_route_metric_without_a_reserved_key_is_metric_not_found(void **state)
{
	static const char *const conditions[] = {
		"[]",
		"[{\"key\": \"job\", \"value\": \"api\"}]",
		"[{\"key\": \"__gauge__\", \"value\": \"a\"}, "
		" {\"key\": \"__counter__\", \"value\": \"b\"}]",
		"[{\"key\": \"__gauge__\", \"value\": \"a\"}, "
		" {\"key\": \"__gauge__\", \"value\": \"b\"}]",
		"[{\"key\": \"~\", \"value\": \"up\"}, "
		" {\"key\": \"__counter__\", \"value\": \"b\"}, "
		" {\"key\": \"job\", \"value\": \"api\"}]",
	};
	char url[64], body[1024];
	struct exchange x;
	size_t i;

	(void)state;
	/* allowlisted, so only the reserved-key check can stop the request;
	 * nothing listens there, so reaching upstream would be a 502 */
	snprintf(url, sizeof(url), ALLOWED "%d", closed_port());
	for (i = 0; i < sizeof(conditions) / sizeof(conditions[0]); i++) {
		metric_body(body, sizeof(body), url, conditions[i]);
		dispatch(&x, "POST", "/api/metric", body);
		expect_error(&x, 500, "MetricNotFoundError", "__gauge__");
		assert_int_equal(x.ei.code, ERR_METRIC_KEY);
		done(&x);
	}
}

static void test_route_metric_with_an_empty_reserved_value_is_400(void **state)
{
	char url[64], body[1024];
	struct exchange x;

	(void)state;
	snprintf(url, sizeof(url), ALLOWED "%d", closed_port());
	metric_body(body, sizeof(body), url,
		    "[{\"key\": \"__gauge__\", \"value\": \"\"}]");
	dispatch(&x, "POST", "/api/metric", body);
	expect_error(&x, 400, "RemoteMirrorError", "query.conditions[0]");
	done(&x);
}

static void test_route_metric_on_a_closed_port_is_502(void **state)
{
	char url[64], body[1024];
	struct exchange x;

	(void)state;
	snprintf(url, sizeof(url), ALLOWED "%d", closed_port());
	metric_body(body, sizeof(body), url,
		    "[{\"key\": \"__gauge__\", \"value\": \"up\"}]");
	dispatch(&x, "POST", "/api/metric", body);
	expect_error(&x, 502, "MetricStoreConnectionError", NULL);
	done(&x);
}

/* ---- AWS is refused for now ---- */

static void test_route_aws_without_credentials_is_502_and_bad_aws_is_400(void **state)
{
	char url[64], body[1024];
	struct exchange x;

	(void)state;
	/* no keys in the request or the environment, no instance metadata */
	setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
	snprintf(url, sizeof(url), ALLOWED "%d", closed_port());
	snprintf(body, sizeof(body),
		 "{\"connectionDetails\": {\"url\": \"%s\", \"aws\": "
		 "{\"region_name\": \"eu-west-1\"}}, \"query\": {\"conditions\": "
		 "[{\"key\": \"__gauge__\", \"value\": \"up\"}], "
		 "\"startTime\": 1, \"endTime\": 2}}", url);
	dispatch(&x, "POST", "/api/metric", body);
	expect_error(&x, 502, "MetricStoreConnectionError", "no keys");
	done(&x);

	dispatch(&x, "POST", "/api/connection", body);
	expect_connection_failure(&x, 502, "no keys");
	done(&x);

	snprintf(body, sizeof(body),
		 "{\"connectionDetails\": {\"url\": \"%s\", \"aws\": "
		 "{\"region_name\": \"eu-west-1/x\"}}, \"query\": {\"conditions\": "
		 "[{\"key\": \"__gauge__\", \"value\": \"up\"}], "
		 "\"startTime\": 1, \"endTime\": 2}}", url);
	dispatch(&x, "POST", "/api/metric", body);
	expect_error(&x, 400, "RemoteMirrorError", "connectionDetails.aws.region_name");
	done(&x);
	unsetenv("AWS_EC2_METADATA_DISABLED");
}

/* ---- Test Connection failures ---- */

static void test_route_connection_with_a_broken_body_fails_in_its_shape(void **state)
{
	static const struct {
		const char *body, *mention;
	} cases[] = {
		{ "{", "body" },
		{ "", "body" },
		{ "[1]", "body" },
		{ "{}", "connectionDetails" },
		{ "{\"connectionDetails\": {}}", "connectionDetails.url" },
		{ "{\"connectionDetails\": {\"url\": \"file:///etc/passwd\"}}",
		  "connectionDetails.url" },
		{ "{\"connectionDetails\": {\"url\": \"" ALLOWED "9\", "
		  "\"nan_interpretation\": \"MAYBE\"}}",
		  "connectionDetails.nan_interpretation" },
	};
	struct exchange x;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		dispatch(&x, "POST", "/api/connection", cases[i].body);
		expect_connection_failure(&x, 400, cases[i].mention);
		assert_string_equal(x.endpoint, "connection");
		done(&x);
	}
}

static void test_route_connection_outside_the_allowlist_fails_with_403(void **state)
{
	struct exchange x;

	(void)state;
	dispatch(&x, "POST", "/api/connection",
		 "{\"connectionDetails\": {\"url\": \"http://192.0.2.1:9090\"}}");
	expect_connection_failure(&x, 403, "MIRROR_ALLOWED_UPSTREAMS");
	done(&x);
}

static void test_route_connection_to_a_closed_port_fails_with_502(void **state)
{
	char body[256];
	struct exchange x;

	(void)state;
	snprintf(body, sizeof(body), "{\"connectionDetails\": {\"url\": \""
		 ALLOWED "%d/\", \"request_timeout_seconds\": 2}}", closed_port());
	dispatch(&x, "POST", "/api/connection", body);
	expect_connection_failure(&x, 502, NULL);
	done(&x);
}

/* ---- field endpoints before any upstream call ---- */

static void test_route_field_endpoints_with_bad_bodies_are_400(void **state)
{
	static const struct {
		const char *path, *body, *mention;
	} cases[] = {
		{ "/api/field/name", "{", "body" },
		{ "/api/field/name", "{\"connectionDetails\": {\"url\": \""
		  ALLOWED "9\"}}", "query" },
		{ "/api/field/value", "{\"connectionDetails\": {\"url\": \""
		  ALLOWED "9\"}, \"query\": {}}", "query.field" },
		{ "/api/field/value", "{\"connectionDetails\": {\"url\": \""
		  ALLOWED "9\"}, \"query\": {\"field\": {\"fieldName\": "
		  "\"a/../b\"}}}", "query.field.fieldName" },
		{ "/api/field/value", "{\"connectionDetails\": {\"url\": \""
		  ALLOWED "9\"}, \"query\": {\"field\": \"job\", \"offset\": -2}}",
		  "query.offset" },
	};
	struct exchange x;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		dispatch(&x, "POST", cases[i].path, cases[i].body);
		expect_error(&x, 400, "RemoteMirrorError", cases[i].mention);
		done(&x);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_route_root_answers_app_and_version),
		cmocka_unit_test(test_route_healthcheck_answers_ok_without_upstream),
		cmocka_unit_test(test_route_unknown_paths_are_404_remote_mirror_errors),
		cmocka_unit_test(test_route_other_methods_on_a_post_endpoint_are_405_allowing_post),
		cmocka_unit_test(test_route_post_on_a_get_endpoint_is_405_allowing_get),
		cmocka_unit_test(test_route_metric_with_broken_json_is_400_naming_the_body),
		cmocka_unit_test(test_route_metric_with_missing_fields_is_400_naming_them),
		cmocka_unit_test(test_route_metric_with_a_non_http_url_is_400),
		cmocka_unit_test(test_route_metric_outside_the_allowlist_is_403),
		cmocka_unit_test(test_route_refused_upstream_is_never_connected_to),
		cmocka_unit_test(test_route_metric_without_a_reserved_key_is_metric_not_found),
		cmocka_unit_test(test_route_metric_with_an_empty_reserved_value_is_400),
		cmocka_unit_test(test_route_metric_on_a_closed_port_is_502),
		cmocka_unit_test(test_route_aws_without_credentials_is_502_and_bad_aws_is_400),
		cmocka_unit_test(test_route_connection_with_a_broken_body_fails_in_its_shape),
		cmocka_unit_test(test_route_connection_outside_the_allowlist_fails_with_403),
		cmocka_unit_test(test_route_connection_to_a_closed_port_fails_with_502),
		cmocka_unit_test(test_route_field_endpoints_with_bad_bodies_are_400),
	};
	return cmocka_run_group_tests(tests, setup_group, teardown_group);
}
