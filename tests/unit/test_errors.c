/* test_errors.c - the one table from error code to HTTP status and typed
 * body (spec section 5), row by row. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "mirror/errors.h"

/* body: renders ei and parses it back, so tests compare JSON values. */
static json_t *body(const struct errinfo *ei)
{
	struct buf b;
	json_t *j;

	buf_init(&b, 8192);
	assert_int_equal(errors_body(ei, &b), OK);
	j = json_loads(buf_cstr(&b), 0, NULL);
	assert_non_null(j);
	buf_free(&b);
	return j;
}

static const char *str(json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));

	assert_non_null(s);
	return s;
}

static void test_errors_map_every_row_of_the_spec_table(void **state)
{
	static const struct {
		enum err code;
		int status;
		const char *type;
	} rows[] = {
		{ ERR_BAD_REQUEST, 400, "RemoteMirrorError" },
		{ ERR_TOO_LARGE, 413, "RemoteMirrorError" },
		{ ERR_FORBIDDEN, 403, "RemoteMirrorError" },
		{ ERR_NO_ROUTE, 404, "RemoteMirrorError" },
		{ ERR_METHOD, 405, "RemoteMirrorError" },
		{ ERR_METRIC_KEY, 500, "MetricNotFoundError" },
		{ ERR_NO_SERIES, 500, "MetricNotFoundError" },
		{ ERR_TOO_MANY, 500, "RemoteMirrorError" },
		{ ERR_PROMETHEUS, 500, "RemoteMirrorError" },
		{ ERR_UPSTREAM, 502, "MetricStoreConnectionError" },
		{ ERR_TIMEOUT, 504, "MetricStoreConnectionError" },
		{ ERR_CREDENTIALS, 502, "MetricStoreConnectionError" },
		{ ERR_UNSUPPORTED_TYPE, 500, "UnsupportedFieldTypeError" },
		{ ERR_INTERNAL, 500, "RemoteMirrorError" },
		{ ERR_NOMEM, 500, "RemoteMirrorError" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct errinfo ei;
		json_t *j;

		memset(&ei, 0, sizeof(ei));
		err_set(&ei, rows[i].code, "detail %zu", i);
		assert_int_equal(errors_status(rows[i].code), rows[i].status);
		j = body(&ei);
		assert_string_equal(str(j, "_type"), rows[i].type);
		json_decref(j);
	}
}

static void test_errors_remote_mirror_error_has_summary_and_details(void **state)
{
	struct errinfo ei;
	json_t *j;

	(void)state;
	memset(&ei, 0, sizeof(ei));
	err_set(&ei, ERR_TOO_MANY, "2 series match; labels whose values differ: instance");
	j = body(&ei);
	assert_string_equal(str(j, "summary"), "Too many metrics.");
	assert_string_equal(str(j, "details"),
			    "2 series match; labels whose values differ: instance");
	json_decref(j);

	err_set(&ei, ERR_PROMETHEUS, "bad_data: parse error");
	j = body(&ei);
	assert_string_equal(str(j, "summary"), "Prometheus error.");
	json_decref(j);
}

static void test_errors_metric_not_found_carries_the_promql(void **state)
{
	struct errinfo ei;
	json_t *j;

	(void)state;
	memset(&ei, 0, sizeof(ei));
	err_set(&ei, ERR_NO_SERIES, "no series");
	snprintf(ei.metric, sizeof(ei.metric), "{__name__=\"up\",job=\"a\\\"b\"}");
	j = body(&ei);
	assert_string_equal(str(j, "metric"), "{__name__=\"up\",job=\"a\\\"b\"}");
	assert_string_equal(str(j, "details"), "no series");
	json_decref(j);
}

static void test_errors_unsupported_type_names_the_type(void **state)
{
	struct errinfo ei;
	json_t *j;

	(void)state;
	memset(&ei, 0, sizeof(ei));
	err_set(&ei, ERR_UNSUPPORTED_TYPE, "cannot express it");
	snprintf(ei.mirror_type, sizeof(ei.mirror_type), "LongRangeValue");
	j = body(&ei);
	assert_string_equal(str(j, "mirrorType"), "LongRangeValue");
	json_decref(j);
}

static void test_errors_escape_hostile_details(void **state)
{
	struct errinfo ei;
	json_t *j;

	(void)state;
	memset(&ei, 0, sizeof(ei));
	err_set(&ei, ERR_BAD_REQUEST, "a \"quoted\" \\ value\nwith\x01 control");
	j = body(&ei);
	assert_string_equal(str(j, "details"), "a \"quoted\" \\ value\nwith\x01 control");
	json_decref(j);
}

static void test_errors_test_connection_keeps_its_own_shape_and_status(void **state)
{
	struct errinfo ei;
	struct buf b;
	json_t *j, *e;

	(void)state;
	memset(&ei, 0, sizeof(ei));
	err_set(&ei, ERR_UPSTREAM, "upstream answered HTTP 401");
	ei.upstream_status = 401;
	assert_int_equal(errors_test_connection_status(&ei), 401);
	buf_init(&b, 4096);
	assert_int_equal(errors_test_connection_body(&ei, &b), OK);
	j = json_loads(buf_cstr(&b), 0, NULL);
	assert_non_null(j);
	assert_string_equal(str(j, "_type"), "TestConnectionResponse");
	assert_string_equal(str(j, "status"), "FAILURE");
	e = json_object_get(j, "error");
	assert_string_equal(str(e, "_type"), "MetricStoreConnectionError");
	assert_string_equal(str(e, "details"), "upstream answered HTTP 401");
	json_decref(j);
	buf_free(&b);

	ei.upstream_status = 0;
	err_set(&ei, ERR_UPSTREAM, "connection refused");
	assert_int_equal(errors_test_connection_status(&ei), 502);
	err_set(&ei, ERR_TIMEOUT, "timed out");
	assert_int_equal(errors_test_connection_status(&ei), 504);
	err_set(&ei, ERR_BAD_REQUEST, "bad url");
	assert_int_equal(errors_test_connection_status(&ei), 400);
	err_set(&ei, ERR_FORBIDDEN, "not allowed");
	assert_int_equal(errors_test_connection_status(&ei), 403);
	ei.upstream_status = 503;
	err_set(&ei, ERR_PROMETHEUS, "unavailable");
	assert_int_equal(errors_test_connection_status(&ei), 503);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_errors_map_every_row_of_the_spec_table),
		cmocka_unit_test(test_errors_remote_mirror_error_has_summary_and_details),
		cmocka_unit_test(test_errors_metric_not_found_carries_the_promql),
		cmocka_unit_test(test_errors_unsupported_type_names_the_type),
		cmocka_unit_test(test_errors_escape_hostile_details),
		cmocka_unit_test(test_errors_test_connection_keeps_its_own_shape_and_status),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
