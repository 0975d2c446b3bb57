/* test_request.c - request bodies (spec section 3): good requests of every
 * endpoint in both connection forms with their defaults, then tables of bad
 * bodies, each with the error it must give and the field its details name.
 * Bodies are written with ' for " to stay readable; body() swaps them. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "mirror/request.h"

#define MAX_TIMEOUT_S 300

/* body: s with every ' turned into ", in a malloc'd string (free it). */
static char *body(const char *s)
{
	size_t n = strlen(s), i;
	char *out = malloc(n + 1);

	assert_non_null(out);
	for (i = 0; i <= n; i++)
		out[i] = s[i] == '\'' ? '"' : s[i];
	return out;
}

/* parse_ok: parses the single-quoted body for ep and asserts OK. */
static void parse_ok(enum endpoint ep, const char *sq, struct request *r)
{
	struct errinfo ei = { 0 };
	char *b = body(sq);
	enum err rc = request_parse(ep, b, strlen(b), MAX_TIMEOUT_S, r, &ei);

	if (rc != OK)
		fail_msg("%s: %s -> %s", sq, err_name(rc), ei.details);
	free(b);
}

/* refused: parses b[0..len) for ep, asserts code, that details contain
 * mention and not forbid, and that *out was not written. */
static void refused(enum endpoint ep, const char *b, size_t len, enum err code,
		    const char *mention, const char *forbid, const char *label)
{
	struct errinfo ei = { 0 };
	struct request r, before;
	enum err rc;

	memset(&r, 0xa5, sizeof(r));
	memcpy(&before, &r, sizeof(r));
	rc = request_parse(ep, b, len, MAX_TIMEOUT_S, &r, &ei);
	if (rc != code)
		fail_msg("%s: got %s (%s), want %s", label, err_name(rc),
			 ei.details, err_name(code));
	if (ei.code != code)
		fail_msg("%s: ei.code %s", label, err_name(ei.code));
	if (!strstr(ei.details, mention))
		fail_msg("%s: details \"%s\" do not mention \"%s\"", label,
			 ei.details, mention);
	if (forbid && strstr(ei.details, forbid))
		fail_msg("%s: details \"%s\" leak \"%s\"", label, ei.details,
			 forbid);
	if (memcmp(&r, &before, sizeof(r)) != 0)
		fail_msg("%s: output written on failure", label);
}

struct bad_case {
	enum endpoint ep;
	const char *body;       /* single-quoted JSON */
	enum err code;
	const char *mention;    /* must appear in details */
	const char *forbid;     /* must not appear in details, or NULL */
};

static void run_bad(const struct bad_case *rows, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		char *b = body(rows[i].body);

		refused(rows[i].ep, b, strlen(b), rows[i].code, rows[i].mention,
			rows[i].forbid, rows[i].body);
		free(b);
	}
}

#define RUN_BAD(rows) run_bad(rows, sizeof(rows) / sizeof(rows[0]))

/* Bodies around one part under test. */
#define WITH_CONN(c) "{'connectionDetails':" c "}"
#define WITH_QUERY(q) "{'connectionDetails':{'url':'http://p:9090'},'query':" q "}"
#define WITH_CONDS(c) WITH_QUERY("{'startTime':0,'endTime':1,'conditions':[" c "]}")
#define WITH_VALUE(v) WITH_CONDS("{'key':'k','value':" v "}")

/* ------------------------------------------------------------------ */
/* good requests                                                        */

static void test_request_parse_reads_a_full_metric_request(void **state)
{
	struct request r;

	(void)state;
	parse_ok(EP_METRIC,
		 "{'_type':'MetricRequest','connectionDetails':{"
		 "'url':'https://AMP.Example.com:8443/workspaces/ws-1/',"
		 "'request_timeout_seconds':12.5,'nan_interpretation':'NONE',"
		 "'step_seconds':15,"
		 "'basic_auth':{'username':'u','password':'p w'},"
		 "'bearer_token':'tok',"
		 "'headers':{'X-Scope-OrgID':'tenant-1','X-Other':'v\\u00e9'},"
		 "'tls':{'insecure_skip_verify':true,'ca_file':'/etc/ca.pem'}},"
		 "'query':{'_type':'MetricQuery','conditions':["
		 "{'key':'__gauge__','value':{'value':'up','_type':'StringValue'},"
		 "'_type':'EqualityCondition'},"
		 "{'key':'ratio','value':{'value':0.25,'_type':'DoubleValue'}},"
		 "{'key':'ok','value':{'value':false,'_type':'BooleanValue'}},"
		 "{'key':'job','value':{'value':['b','a',3,true],'_type':'InSetValue'}},"
		 "{'key':'env','value':'prod'}],"
		 "'startTime':1555408501000,'endTime':1555408561000,'limit':100,"
		 "'aggregation':{'method':'percentile_99','bucketSizeMillis':60000}}}",
		 &r);
	assert_string_equal(r.conn.url, "https://amp.example.com:8443/workspaces/ws-1");
	assert_int_equal(r.conn.timeout_ms, 12500);
	assert_int_equal(r.conn.nan, NAN_NONE);
	assert_int_equal(r.conn.step_ms, 15000);
	assert_string_equal(r.conn.basic_user, "u");
	assert_string_equal(r.conn.basic_pass, "p w");
	assert_string_equal(r.conn.bearer, "tok");
	assert_int_equal(r.conn.n_headers, 2);
	assert_string_equal(r.conn.headers[0].name, "X-Scope-OrgID");
	assert_string_equal(r.conn.headers[0].value, "tenant-1");
	assert_string_equal(r.conn.headers[1].name, "X-Other");
	assert_string_equal(r.conn.headers[1].value, "v\xc3\xa9");
	assert_true(r.conn.tls_insecure);
	assert_string_equal(r.conn.ca_file, "/etc/ca.pem");
	assert_null(r.conn.aws);

	assert_int_equal(r.q.n_conds, 5);
	assert_string_equal(r.q.conds[0].key, "__gauge__");
	assert_int_equal(r.q.conds[0].type, VALUE_STRING);
	assert_string_equal(r.q.conds[0].str, "up");
	assert_string_equal(r.q.conds[1].key, "ratio");
	assert_int_equal(r.q.conds[1].type, VALUE_DOUBLE);
	assert_true(r.q.conds[1].num == 0.25);
	assert_int_equal(r.q.conds[2].type, VALUE_BOOLEAN);
	assert_false(r.q.conds[2].boolean);
	assert_int_equal(r.q.conds[3].type, VALUE_INSET);
	assert_int_equal(r.q.conds[3].n_set, 4);
	assert_string_equal(r.q.conds[3].set[0], "b");
	assert_string_equal(r.q.conds[3].set[1], "a");
	assert_string_equal(r.q.conds[3].set[2], "3");
	assert_string_equal(r.q.conds[3].set[3], "true");
	assert_int_equal(r.q.conds[4].type, VALUE_STRING);
	assert_string_equal(r.q.conds[4].str, "prod");
	assert_true(r.q.has_start && r.q.has_end);
	assert_int_equal(r.q.start_ms, 1555408501000LL);
	assert_int_equal(r.q.end_ms, 1555408561000LL);
	assert_true(r.q.has_limit);
	assert_int_equal(r.q.limit, 100);
	assert_true(r.q.has_agg);
	assert_int_equal(r.q.method, AGG_PERCENTILE_99);
	assert_int_equal(r.q.bucket_ms, 60000);
	assert_null(r.q.field);
	assert_null(r.q.prefix);
	request_free(&r);
}

static void test_request_parse_reads_a_legacy_field_values_request(void **state)
{
	struct request r;

	(void)state;
	parse_ok(EP_FIELD_VALUE,
		 "{'_type':'FieldValuesRequest','connectionDetails':{"
		 "'host':'Prometheus.Local','port':9091,'requestTimeout':20000},"
		 "'query':{'conditions':[{'key':'__gauge__','value':{'value':'up'}}],"
		 "'field':{'_type':'FieldDescriptor','fieldName':'job',"
		 "'fieldType':'STRING','classified':false},"
		 "'fieldValuePrefix':'ap','offset':20,'limit':10,"
		 "'startTime':1000,'endTime':2000}}",
		 &r);
	assert_string_equal(r.conn.url, "http://prometheus.local:9091");
	assert_int_equal(r.conn.timeout_ms, 20000);
	assert_int_equal(r.conn.nan, NAN_ZERO);
	assert_int_equal(r.q.n_conds, 1);
	assert_int_equal(r.q.conds[0].type, VALUE_STRING);
	assert_string_equal(r.q.field, "job");
	assert_string_equal(r.q.prefix, "ap");
	assert_int_equal(r.q.offset, 20);
	assert_int_equal(r.q.limit, 10);
	assert_int_equal(r.q.start_ms, 1000);
	assert_int_equal(r.q.end_ms, 2000);
	assert_false(r.q.has_agg);
	request_free(&r);
}

static void test_request_parse_reads_a_field_names_request(void **state)
{
	struct request r;

	(void)state;
	parse_ok(EP_FIELD_NAME,
		 "{'_type':'FieldNamesRequest','connectionDetails':{'url':'http://p:9090'},"
		 "'query':{'conditions':[{'key':'job','value':{'value':'a'}}],'limit':3}}",
		 &r);
	assert_int_equal(r.q.n_conds, 1);
	assert_false(r.q.has_start);
	assert_false(r.q.has_end);
	assert_int_equal(r.q.limit, 3);
	assert_null(r.q.field);
	request_free(&r);
}

static void test_request_parse_reads_a_legacy_metric_request(void **state)
{
	struct request r;

	(void)state;
	parse_ok(EP_METRIC,
		 "{'connectionDetails':{'host':'10.0.0.7','port':80},"
		 "'query':{'conditions':[{'key':'~','value':{'value':'rate(x[5m])'}}],"
		 "'startTime':0,'endTime':0}}",
		 &r);
	assert_string_equal(r.conn.url, "http://10.0.0.7:80");
	assert_int_equal(r.conn.timeout_ms, 30000);
	assert_int_equal(r.q.start_ms, 0);
	assert_int_equal(r.q.end_ms, 0);
	request_free(&r);
}

static void test_request_parse_reads_a_test_connection_without_query(void **state)
{
	struct request r;

	(void)state;
	parse_ok(EP_CONNECTION,
		 "{'_type':'TestConnectionRequest','connectionDetails':{'url':'http://p:9090'}}",
		 &r);
	assert_string_equal(r.conn.url, "http://p:9090");
	assert_int_equal(r.q.n_conds, 0);
	request_free(&r);
	/* the query is not looked at for this endpoint */
	parse_ok(EP_CONNECTION,
		 "{'connectionDetails':{'url':'http://p:9090'},'query':5}", &r);
	request_free(&r);
}

static void test_request_parse_fills_defaults(void **state)
{
	struct request r;

	(void)state;
	parse_ok(EP_FIELD_VALUE,
		 "{'connectionDetails':{'url':'http://p:9090'},"
		 "'query':{'field':'job'}}", &r);
	assert_int_equal(r.conn.timeout_ms, 30000);
	assert_int_equal(r.conn.nan, NAN_ZERO);
	assert_int_equal(r.conn.step_ms, 30000);
	assert_null(r.conn.basic_user);
	assert_null(r.conn.basic_pass);
	assert_null(r.conn.bearer);
	assert_int_equal(r.conn.n_headers, 0);
	assert_null(r.conn.headers);
	assert_false(r.conn.tls_insecure);
	assert_null(r.conn.ca_file);
	assert_null(r.conn.aws);
	assert_int_equal(r.q.n_conds, 0);
	assert_null(r.q.conds);
	assert_false(r.q.has_start);
	assert_false(r.q.has_limit);
	assert_false(r.q.has_agg);
	assert_int_equal(r.q.offset, 0);
	assert_null(r.q.prefix);
	request_free(&r);

	parse_ok(EP_CONNECTION, "{'connectionDetails':{'host':'prom'}}", &r);
	assert_string_equal(r.conn.url, "http://prom:9090");
	assert_int_equal(r.conn.timeout_ms, 30000);
	request_free(&r);
}

static void test_request_parse_treats_null_as_absent(void **state)
{
	struct request r;

	(void)state;
	parse_ok(EP_METRIC,
		 "{'_type':null,'connectionDetails':{'url':'http://p:9090',"
		 "'request_timeout_seconds':null,'nan_interpretation':null,"
		 "'step_seconds':null,'basic_auth':null,'bearer_token':null,"
		 "'headers':null,'tls':null,'aws':null},"
		 "'query':{'conditions':null,'startTime':5,'endTime':6,'limit':null,"
		 "'aggregation':null}}", &r);
	assert_int_equal(r.conn.timeout_ms, 30000);
	assert_null(r.conn.aws);
	assert_int_equal(r.q.n_conds, 0);
	assert_false(r.q.has_limit);
	assert_false(r.q.has_agg);
	request_free(&r);
}

static void test_request_parse_ignores_unknown_fields(void **state)
{
	struct request r;

	(void)state;
	parse_ok(EP_METRIC,
		 "{'extra':[1,{}],'connectionDetails':{'url':'http://p:9090','x':1,"
		 "'_type':'PrometheusConnection','host':'ignored','port':'ignored'},"
		 "'query':{'startTime':1,'endTime':2,'other':null,"
		 "'conditions':[{'key':'a','value':{'value':'b','more':1},'x':2}]}}",
		 &r);
	assert_string_equal(r.conn.url, "http://p:9090");
	assert_int_equal(r.q.n_conds, 1);
	request_free(&r);
}

static void test_request_parse_normalises_the_url(void **state)
{
	static const struct {
		const char *in, *out;
	} rows[] = {
		{ "http://p:9090/", "http://p:9090" },
		{ "http://p:9090///", "http://p:9090" },
		{ "HTTP://Prom.Example:9090/Prometheus/", "http://prom.example:9090/Prometheus" },
		{ "HtTpS://prom", "https://prom" },
		{ "http://[::1]:9090/", "http://[::1]:9090" },
		{ "http://[2001:DB8::5]/api/prom", "http://[2001:db8::5]/api/prom" },
		{ "http://127.0.0.1:9090/a/b@c/", "http://127.0.0.1:9090/a/b@c" },
		{ "http://prom.:9090/x%20y", "http://prom.:9090/x%20y" },
		{ "http://my_host-1.svc~x/a.b/..c/", "http://my_host-1.svc~x/a.b/..c" },
	};
	char sq[512];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct request r;

		snprintf(sq, sizeof(sq), "{'connectionDetails':{'url':'%s'}}",
			 rows[i].in);
		parse_ok(EP_CONNECTION, sq, &r);
		assert_string_equal(r.conn.url, rows[i].out);
		request_free(&r);
	}
}

static void test_request_parse_accepts_a_url_of_4096_bytes(void **state)
{
	static const char head[] = "{\"connectionDetails\":{\"url\":\"http://p/";
	char b[4200];
	size_t n = strlen(head), path = 4096 - strlen("http://p/");
	struct errinfo ei = { 0 };
	struct request r;

	(void)state;
	memcpy(b, head, n);
	memset(b + n, 'a', path);
	memcpy(b + n + path, "\"}}", 4);
	assert_int_equal(request_parse(EP_CONNECTION, b, strlen(b), 300, &r, &ei), OK);
	assert_int_equal(strlen(r.conn.url), 4096);
	request_free(&r);
	/* one byte more is refused */
	memset(b + n, 'a', path + 1);
	memcpy(b + n + path + 1, "\"}}", 4);
	refused(EP_CONNECTION, b, strlen(b), ERR_BAD_REQUEST,
		"connectionDetails.url: longer than 4096", NULL, "url 4097");
}

static void test_request_parse_converts_and_caps_timeouts(void **state)
{
	static const struct {
		const char *sq;
		long ms;
	} rows[] = {
		{ "{'url':'http://p','request_timeout_seconds':45}", 45000 },
		{ "{'url':'http://p','request_timeout_seconds':0.5}", 500 },
		{ "{'url':'http://p','request_timeout_seconds':0.0015}", 2 },
		{ "{'url':'http://p','request_timeout_seconds':300}", 300000 },
		{ "{'url':'http://p','request_timeout_seconds':301}", 300000 },
		{ "{'url':'http://p','request_timeout_seconds':1e300}", 300000 },
		{ "{'url':'http://p','request_timeout_seconds':9223372036854775807}", 300000 },
		{ "{'url':'http://p','requestTimeout':5}", 30000 },
		{ "{'host':'p','requestTimeout':1500}", 1500 },
		{ "{'host':'p','requestTimeout':0.6}", 1 },
		{ "{'host':'p','requestTimeout':1e12}", 300000 },
		{ "{'host':'p','requestTimeout':1000,'request_timeout_seconds':7}", 7000 },
	};
	char sq[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct request r;

		snprintf(sq, sizeof(sq), WITH_CONN("%s"), rows[i].sq);
		parse_ok(EP_CONNECTION, sq, &r);
		if (r.conn.timeout_ms != rows[i].ms)
			fail_msg("%s: %ld ms, want %ld", rows[i].sq,
				 r.conn.timeout_ms, rows[i].ms);
		request_free(&r);
	}
}

static void test_request_parse_caps_timeouts_at_the_given_maximum(void **state)
{
	const char *b = "{\"connectionDetails\":{\"url\":\"http://p\","
			"\"request_timeout_seconds\":60}}";
	struct errinfo ei = { 0 };
	struct request r;

	(void)state;
	assert_int_equal(request_parse(EP_CONNECTION, b, strlen(b), 10, &r, &ei), OK);
	assert_int_equal(r.conn.timeout_ms, 10000);
	request_free(&r);
	/* no usable maximum: only the value's own range applies */
	assert_int_equal(request_parse(EP_CONNECTION, b, strlen(b), 0, &r, &ei), OK);
	assert_int_equal(r.conn.timeout_ms, 60000);
	request_free(&r);
}

static void test_request_parse_reads_nan_interpretation_in_any_case(void **state)
{
	static const struct {
		const char *v;
		enum nan_mode mode;
	} rows[] = {
		{ "ZERO", NAN_ZERO }, { "zero", NAN_ZERO }, { "NONE", NAN_NONE },
		{ "none", NAN_NONE }, { "None", NAN_NONE },
	};
	char sq[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct request r;

		snprintf(sq, sizeof(sq),
			 WITH_CONN("{'url':'http://p','nan_interpretation':'%s'}"),
			 rows[i].v);
		parse_ok(EP_CONNECTION, sq, &r);
		assert_int_equal(r.conn.nan, rows[i].mode);
		request_free(&r);
	}
}

static void test_request_parse_converts_step_seconds(void **state)
{
	struct request r;

	(void)state;
	parse_ok(EP_CONNECTION, WITH_CONN("{'url':'http://p','step_seconds':0.5}"), &r);
	assert_int_equal(r.conn.step_ms, 500);
	request_free(&r);
	parse_ok(EP_CONNECTION, WITH_CONN("{'url':'http://p','step_seconds':0.001}"), &r);
	assert_int_equal(r.conn.step_ms, 1);
	request_free(&r);
	parse_ok(EP_CONNECTION, WITH_CONN("{'url':'http://p','step_seconds':86400}"), &r);
	assert_int_equal(r.conn.step_ms, 86400000);
	request_free(&r);
}

static void test_request_parse_treats_empty_optional_secrets_as_none(void **state)
{
	struct request r;

	(void)state;
	parse_ok(EP_CONNECTION,
		 WITH_CONN("{'url':'http://p','bearer_token':'','tls':{'ca_file':''},"
			   "'headers':{},'basic_auth':{'username':'','password':''}}"),
		 &r);
	assert_null(r.conn.bearer);
	assert_null(r.conn.ca_file);
	assert_int_equal(r.conn.n_headers, 0);
	assert_string_equal(r.conn.basic_user, "");
	assert_string_equal(r.conn.basic_pass, "");
	request_free(&r);
}

static void test_request_parse_reads_every_value_form(void **state)
{
	struct request r;

	(void)state;
	parse_ok(EP_METRIC,
		 WITH_CONDS("{'key':'a','value':{'value':'x'}},"
			    "{'key':'b','value':'bare'},"
			    "{'key':'c','value':{'value':3,'_type':'DoubleValue'}},"
			    "{'key':'d','value':{'value':-0.0,'_type':'DoubleValue'}},"
			    "{'key':'e','value':{'value':true,'_type':'BooleanValue'}},"
			    "{'key':'f','value':{'value':[1,2.5,1e20,-7,false,'',"
			    "'Gr\\u00fc\\u00dfe'],'_type':'InSetValue'}},"
			    "{'key':'__counter__','value':{'value':'c_total','_type':'StringValue'}}"),
		 &r);
	assert_int_equal(r.q.n_conds, 7);
	assert_int_equal(r.q.conds[0].type, VALUE_STRING);
	assert_string_equal(r.q.conds[0].str, "x");
	assert_int_equal(r.q.conds[1].type, VALUE_STRING);
	assert_string_equal(r.q.conds[1].str, "bare");
	assert_int_equal(r.q.conds[2].type, VALUE_DOUBLE);
	assert_true(r.q.conds[2].num == 3.0);
	assert_true(r.q.conds[3].num == 0.0);
	assert_int_equal(r.q.conds[4].type, VALUE_BOOLEAN);
	assert_true(r.q.conds[4].boolean);
	assert_int_equal(r.q.conds[5].type, VALUE_INSET);
	assert_int_equal(r.q.conds[5].n_set, 7);
	assert_string_equal(r.q.conds[5].set[0], "1");
	assert_string_equal(r.q.conds[5].set[1], "2.5");
	assert_string_equal(r.q.conds[5].set[2], "1e+20");
	assert_string_equal(r.q.conds[5].set[3], "-7");
	assert_string_equal(r.q.conds[5].set[4], "false");
	assert_string_equal(r.q.conds[5].set[5], "");
	assert_string_equal(r.q.conds[5].set[6], "Gr\xc3\xbc\xc3\x9f" "e");
	assert_string_equal(r.q.conds[6].key, "__counter__");
	request_free(&r);
}

static void test_request_parse_accepts_integral_reals_as_integers(void **state)
{
	struct request r;

	(void)state;
	parse_ok(EP_METRIC,
		 WITH_QUERY("{'startTime':1000.0,'endTime':2e3,'limit':5.0,"
			    "'aggregation':{'method':'SUM','bucketSizeMillis':6e4}}"),
		 &r);
	assert_int_equal(r.q.start_ms, 1000);
	assert_int_equal(r.q.end_ms, 2000);
	assert_int_equal(r.q.limit, 5);
	assert_int_equal(r.q.bucket_ms, 60000);
	assert_int_equal(r.q.method, AGG_SUM);
	request_free(&r);
	parse_ok(EP_CONNECTION, WITH_CONN("{'host':'p','port':9090.0}"), &r);
	assert_string_equal(r.conn.url, "http://p:9090");
	request_free(&r);
}

static void test_request_parse_accepts_times_up_to_2_pow_53(void **state)
{
	struct request r;

	(void)state;
	parse_ok(EP_METRIC,
		 WITH_QUERY("{'startTime':9007199254740992,'endTime':9007199254740992}"),
		 &r);
	assert_int_equal(r.q.start_ms, 9007199254740992LL);
	request_free(&r);
}

static void test_request_parse_reads_a_bare_field_name(void **state)
{
	struct request r;

	(void)state;
	parse_ok(EP_FIELD_VALUE, WITH_QUERY("{'field':'__counter__','limit':0}"), &r);
	assert_string_equal(r.q.field, "__counter__");
	assert_true(r.q.has_limit);
	assert_int_equal(r.q.limit, 0);
	request_free(&r);
}

static void test_request_parse_reads_aggregation_only_for_metrics(void **state)
{
	struct request r;

	(void)state;
	/* aggregation, field and offset belong to other endpoints: Field
	 * Names ignores them like any unknown field */
	parse_ok(EP_FIELD_NAME,
		 WITH_QUERY("{'aggregation':{'method':'NOPE'},'field':5,'offset':-1}"),
		 &r);
	assert_false(r.q.has_agg);
	request_free(&r);
}

static void test_request_parse_keeps_a_large_value_string(void **state)
{
	static const char head[] = "{\"connectionDetails\":{\"url\":\"http://p\"},"
				   "\"query\":{\"conditions\":[{\"key\":\"k\",\"value\":\"";
	static const char tail[] = "\"}]}}";
	size_t n = strlen(head), big = 1 << 20;
	struct errinfo ei = { 0 };
	struct request r;
	char *b = malloc(n + big + sizeof(tail));

	(void)state;
	assert_non_null(b);
	memcpy(b, head, n);
	memset(b + n, 'v', big);
	memcpy(b + n + big, tail, sizeof(tail));
	assert_int_equal(request_parse(EP_FIELD_NAME, b, strlen(b), 300, &r, &ei), OK);
	assert_int_equal(strlen(r.q.conds[0].str), big);
	request_free(&r);
	free(b);
}

static void test_request_conn_parse_reads_details_alone(void **state)
{
	json_t *j = json_loads("{\"url\":\"http://p:1/\"}", 0, NULL);
	struct errinfo ei = { 0 };
	struct conn c;

	(void)state;
	assert_non_null(j);
	assert_int_equal(conn_parse(j, 300, &c, &ei), OK);
	assert_string_equal(c.url, "http://p:1");
	conn_free(&c);
	json_decref(j);
}

static void test_request_conn_parse_refuses_what_is_not_an_object(void **state)
{
	json_t *j = json_loads("[1]", 0, NULL);
	struct errinfo ei = { 0 };
	struct conn c;

	(void)state;
	memset(&c, 0x5a, sizeof(c));
	assert_int_equal(conn_parse(j, 300, &c, &ei), ERR_BAD_REQUEST);
	assert_string_equal(ei.details, "connectionDetails: expected an object");
	assert_int_equal(conn_parse(NULL, 300, &c, &ei), ERR_BAD_REQUEST);
	assert_int_equal(((unsigned char *)&c)[0], 0x5a);
	json_decref(j);
}

static void test_request_conn_parse_keeps_its_own_copy_of_aws(void **state)
{
	json_t *j = json_loads("{\"url\":\"http://p\",\"aws\":{\"role_arn\":"
			       "\"arn:aws:iam::123456789012:role/r\"}}", 0, NULL);
	struct conn c;

	(void)state;
	assert_int_equal(conn_parse(j, 300, &c, NULL), OK);
	json_decref(j);
	/* still readable after the document is gone */
	assert_string_equal(c.aws->role_arn, "arn:aws:iam::123456789012:role/r");
	conn_free(&c);
}

static void test_request_free_accepts_null_and_empty_structs(void **state)
{
	struct request r;
	struct conn c;

	(void)state;
	request_free(NULL);
	conn_free(NULL);
	memset(&r, 0, sizeof(r));
	request_free(&r);
	request_free(&r);
	memset(&c, 0, sizeof(c));
	conn_free(&c);
	parse_ok(EP_METRIC, WITH_VALUE("{'value':['a'],'_type':'InSetValue'}"), &r);
	request_free(&r);
	request_free(&r); /* freeing empties it, so twice is harmless */
}

/* ------------------------------------------------------------------ */
/* bad requests                                                         */

static void test_request_parse_refuses_bodies_that_are_not_objects(void **state)
{
	static const struct bad_case rows[] = {
		{ EP_METRIC, "", ERR_BAD_REQUEST, "body: not valid JSON", NULL },
		{ EP_METRIC, "{", ERR_BAD_REQUEST, "body: not valid JSON", NULL },
		{ EP_METRIC, "{'connectionDetails':}", ERR_BAD_REQUEST, "line 1 column", NULL },
		{ EP_METRIC, "{} x", ERR_BAD_REQUEST, "body: not valid JSON", NULL },
		{ EP_METRIC, "[]", ERR_BAD_REQUEST, "body: not a JSON object", NULL },
		{ EP_METRIC, "[{'connectionDetails':{'url':'http://p'}}]", ERR_BAD_REQUEST,
		  "body: not a JSON object", NULL },
		{ EP_METRIC, "'str'", ERR_BAD_REQUEST, "body", NULL },
		{ EP_METRIC, "42", ERR_BAD_REQUEST, "body", NULL },
		{ EP_METRIC, "null", ERR_BAD_REQUEST, "body", NULL },
		{ EP_METRIC, "{'a':NaN}", ERR_BAD_REQUEST, "body", NULL },
		{ EP_CONNECTION, "{'connectionDetails':{'url':'http://p'},"
		  "'connectionDetails':{'url':'http://q'}}", ERR_BAD_REQUEST,
		  "duplicate", NULL },
		{ EP_CONNECTION, "{'connectionDetails':{'url':'http://p\\u0000x'}}",
		  ERR_BAD_REQUEST, "body: not valid JSON", NULL },
		{ EP_CONNECTION, "{'_type':5,'connectionDetails':{'url':'http://p'}}",
		  ERR_BAD_REQUEST, "_type: expected a string", NULL },
		{ EP_CONNECTION, "{'_type':'X'}", ERR_BAD_REQUEST,
		  "connectionDetails: required", NULL },
		{ EP_CONNECTION, "{'connectionDetails':null}", ERR_BAD_REQUEST,
		  "connectionDetails: required", NULL },
		{ EP_CONNECTION, "{'connectionDetails':'http://p'}", ERR_BAD_REQUEST,
		  "connectionDetails: expected an object", NULL },
		{ EP_METRIC, "{'connectionDetails':{'url':'http://p'}}", ERR_BAD_REQUEST,
		  "query: required", NULL },
		{ EP_FIELD_NAME, "{'connectionDetails':{'url':'http://p'},'query':[]}",
		  ERR_BAD_REQUEST, "query: expected an object", NULL },
	};

	(void)state;
	RUN_BAD(rows);
}

static void test_request_parse_refuses_nul_bytes(void **state)
{
	static const char raw[] = "{\"connectionDetails\":{\"url\":\"http://p\0x\"}}";
	static const char after[] = "{\"connectionDetails\":{\"url\":\"http://p\"}}\0";

	(void)state;
	refused(EP_CONNECTION, raw, sizeof(raw) - 1, ERR_BAD_REQUEST,
		"body: not valid JSON", NULL, "NUL inside a string");
	refused(EP_CONNECTION, after, sizeof(after) - 1, ERR_BAD_REQUEST,
		"body: not valid JSON", NULL, "NUL after the object");
	refused(EP_CONNECTION, NULL, 0, ERR_BAD_REQUEST, "body", NULL, "no body");
}

static void test_request_parse_refuses_invalid_utf8(void **state)
{
	static const char b[] = "{\"connectionDetails\":{\"url\":\"http://p\"},"
				"\"query\":{\"conditions\":[{\"key\":\"k\",\"value\":\"\xc3\x28\"}]}}";

	(void)state;
	refused(EP_FIELD_NAME, b, sizeof(b) - 1, ERR_BAD_REQUEST, "body", NULL,
		"invalid UTF-8");
}

static void test_request_parse_survives_deep_nesting(void **state)
{
	size_t depth = 100000, i;
	char *b = malloc(depth * 5 + 1);

	(void)state;
	assert_non_null(b);
	memset(b, '[', depth);
	refused(EP_METRIC, b, depth, ERR_BAD_REQUEST, "body: not valid JSON",
		NULL, "100000 [");
	for (i = 0; i < depth; i++)
		memcpy(b + i * 5, "{\"a\":", 5);
	refused(EP_METRIC, b, depth * 5, ERR_BAD_REQUEST, "body: not valid JSON",
		NULL, "100000 {\"a\":");
	free(b);
}

static void test_request_parse_keeps_details_short_for_huge_input(void **state)
{
	static const char head[] = "{\"connectionDetails\":{\"url\":\"http://p\"},"
				   "\"query\":{\"conditions\":[{\"key\":\"-";
	static const char tail[] = "\",\"value\":\"v\"}]}}";
	size_t big = 2u << 20;
	struct errinfo ei = { 0 };
	struct request r;
	char *b = malloc(big + sizeof(tail));

	(void)state;
	assert_non_null(b);
	/* a huge bare word is a JSON error quoting (part of) the token */
	memset(b, 'x', big);
	assert_int_equal(request_parse(EP_METRIC, b, big, 300, &r, &ei), ERR_BAD_REQUEST);
	assert_non_null(strstr(ei.details, "body: not valid JSON"));
	assert_true(strlen(ei.details) < 400);
	/* a huge key is named, shortened */
	memcpy(b, head, sizeof(head) - 1);
	memset(b + sizeof(head) - 1, 'k', big - (sizeof(head) - 1));
	memcpy(b + big, tail, sizeof(tail));
	assert_int_equal(request_parse(EP_FIELD_NAME, b, strlen(b), 300, &r, &ei),
			 ERR_BAD_REQUEST);
	assert_non_null(strstr(ei.details, "query.conditions[0].key: not a valid label name"));
	assert_true(strlen(ei.details) < 200);
	free(b);
}

static void test_request_parse_refuses_bad_urls(void **state)
{
	static const struct bad_case rows[] = {
		{ EP_CONNECTION, WITH_CONN("{'url':'file:///etc/passwd'}"),
		  ERR_BAD_REQUEST, "connectionDetails.url: scheme must be http or https", "passwd" },
		{ EP_CONNECTION, WITH_CONN("{'url':'gopher://p:70/_SET'}"),
		  ERR_BAD_REQUEST, "connectionDetails.url: scheme", NULL },
		{ EP_CONNECTION, WITH_CONN("{'url':'ftp://p/'}"),
		  ERR_BAD_REQUEST, "connectionDetails.url: scheme", NULL },
		{ EP_CONNECTION, WITH_CONN("{'url':'httpx://p/'}"),
		  ERR_BAD_REQUEST, "connectionDetails.url: scheme", NULL },
		{ EP_CONNECTION, WITH_CONN("{'url':'://p/'}"),
		  ERR_BAD_REQUEST, "connectionDetails.url: scheme", NULL },
		{ EP_CONNECTION, WITH_CONN("{'url':'prom:9090'}"),
		  ERR_BAD_REQUEST, "connectionDetails.url: not an absolute", NULL },
		{ EP_CONNECTION, WITH_CONN("{'url':'//prom:9090'}"),
		  ERR_BAD_REQUEST, "connectionDetails.url", NULL },
		{ EP_CONNECTION, WITH_CONN("{'url':'http://admin:hunter2@p:9090/'}"),
		  ERR_BAD_REQUEST, "connectionDetails.url: must not contain credentials", "hunter2" },
		{ EP_CONNECTION, WITH_CONN("{'url':'http://admin@p:9090/'}"),
		  ERR_BAD_REQUEST, "connectionDetails.url: must not contain credentials", "admin" },
		{ EP_CONNECTION, WITH_CONN("{'url':'http://p:9090/api?token=s3cret'}"),
		  ERR_BAD_REQUEST, "connectionDetails.url: must not contain a query", "s3cret" },
		{ EP_CONNECTION, WITH_CONN("{'url':'http://p:9090/?'}"),
		  ERR_BAD_REQUEST, "connectionDetails.url: must not contain a query", NULL },
		{ EP_CONNECTION, WITH_CONN("{'url':'http://p:9090/#secretfrag'}"),
		  ERR_BAD_REQUEST, "connectionDetails.url: must not contain a fragment", "secretfrag" },
		{ EP_CONNECTION, WITH_CONN("{'url':''}"),
		  ERR_BAD_REQUEST, "connectionDetails.url: empty", NULL },
		{ EP_CONNECTION, WITH_CONN("{'url':5}"),
		  ERR_BAD_REQUEST, "connectionDetails.url: expected a string", NULL },
		{ EP_CONNECTION, WITH_CONN("{'url':{'host':'p'}}"),
		  ERR_BAD_REQUEST, "connectionDetails.url: expected a string", NULL },
		{ EP_CONNECTION, WITH_CONN("{'url':'http://'}"),
		  ERR_BAD_REQUEST, "connectionDetails.url: has no host", NULL },
		{ EP_CONNECTION, WITH_CONN("{'url':'http:///etc'}"),
		  ERR_BAD_REQUEST, "connectionDetails.url: has no host", NULL },
		{ EP_CONNECTION, WITH_CONN("{'url':'http://:9090/'}"),
		  ERR_BAD_REQUEST, "connectionDetails.url: not a valid host", NULL },
		{ EP_CONNECTION, WITH_CONN("{'url':'http://p:0/'}"),
		  ERR_BAD_REQUEST, "connectionDetails.url: not a valid host[:port]", NULL },
		{ EP_CONNECTION, WITH_CONN("{'url':'http://p:65536/'}"),
		  ERR_BAD_REQUEST, "connectionDetails.url", NULL },
		{ EP_CONNECTION, WITH_CONN("{'url':'http://p:/'}"),
		  ERR_BAD_REQUEST, "connectionDetails.url", NULL },
		{ EP_CONNECTION, WITH_CONN("{'url':'http://p:http/'}"),
		  ERR_BAD_REQUEST, "connectionDetails.url", NULL },
		{ EP_CONNECTION, WITH_CONN("{'url':'http://p:90:90/'}"),
		  ERR_BAD_REQUEST, "connectionDetails.url", NULL },
		{ EP_CONNECTION, WITH_CONN("{'url':'http://[::1/'}"),
		  ERR_BAD_REQUEST, "connectionDetails.url", NULL },
		{ EP_CONNECTION, WITH_CONN("{'url':'http://[fe80::1%25eth0]/'}"),
		  ERR_BAD_REQUEST, "connectionDetails.url", NULL },
		{ EP_CONNECTION, WITH_CONN("{'url':'http://[]/'}"),
		  ERR_BAD_REQUEST, "connectionDetails.url", NULL },
		{ EP_CONNECTION, WITH_CONN("{'url':'http://p\\\\@evil/'}"),
		  ERR_BAD_REQUEST, "connectionDetails.url", NULL },
		{ EP_CONNECTION, WITH_CONN("{'url':'http://p q/'}"),
		  ERR_BAD_REQUEST, "connectionDetails.url: must not contain whitespace", NULL },
		{ EP_CONNECTION, WITH_CONN("{'url':'http://p/a\\tb'}"),
		  ERR_BAD_REQUEST, "connectionDetails.url: must not contain whitespace", NULL },
		{ EP_CONNECTION, WITH_CONN("{'url':'http://p/\\r\\nX-Evil: 1'}"),
		  ERR_BAD_REQUEST, "connectionDetails.url: must not contain whitespace", "Evil" },
		{ EP_CONNECTION, WITH_CONN("{'url':'http://p/\\u007f'}"),
		  ERR_BAD_REQUEST, "connectionDetails.url", NULL },
		{ EP_CONNECTION, WITH_CONN("{'url':' http://p/'}"),
		  ERR_BAD_REQUEST, "connectionDetails.url", NULL },
		{ EP_CONNECTION, WITH_CONN("{'url':'http://p/gr\\u00fc\\u00dfe'}"),
		  ERR_BAD_REQUEST, "connectionDetails.url: must be ASCII", NULL },
		{ EP_CONNECTION, WITH_CONN("{'url':'http://b\\u00fccher.example/'}"),
		  ERR_BAD_REQUEST, "connectionDetails.url: must be ASCII", NULL },
		{ EP_CONNECTION, WITH_CONN("{'url':'http://p/tenant-a/../tenant-b'}"),
		  ERR_BAD_REQUEST, "connectionDetails.url: must not contain . or ..", NULL },
		{ EP_CONNECTION, WITH_CONN("{'url':'http://p/a/%2E%2e'}"),
		  ERR_BAD_REQUEST, "connectionDetails.url: must not contain . or ..", NULL },
		{ EP_CONNECTION, WITH_CONN("{'url':'http://p/./x'}"),
		  ERR_BAD_REQUEST, "connectionDetails.url: must not contain . or ..", NULL },
		{ EP_CONNECTION, WITH_CONN("{'url':'http://2852039166/'}"),
		  ERR_BAD_REQUEST, "connectionDetails.url: not a valid host", NULL },
		{ EP_CONNECTION, WITH_CONN("{'url':'http://0xa9.0xfe.0xa9.0xfe/'}"),
		  ERR_BAD_REQUEST, "connectionDetails.url: not a valid host", NULL },
		{ EP_CONNECTION, WITH_CONN("{'url':'http://127.1/'}"),
		  ERR_BAD_REQUEST, "connectionDetails.url: not a valid host", NULL },
		{ EP_CONNECTION, WITH_CONN("{'url':'http://010.0.0.1/'}"),
		  ERR_BAD_REQUEST, "connectionDetails.url: not a valid host", NULL },
		{ EP_CONNECTION, WITH_CONN("{'url':'http://1.2.3.256/'}"),
		  ERR_BAD_REQUEST, "connectionDetails.url: not a valid host", NULL },
	};

	(void)state;
	RUN_BAD(rows);
}

static void test_request_parse_refuses_bad_legacy_details(void **state)
{
	static const struct bad_case rows[] = {
		{ EP_CONNECTION, WITH_CONN("{}"), ERR_BAD_REQUEST,
		  "connectionDetails.url: required", NULL },
		{ EP_CONNECTION, WITH_CONN("{'url':null,'port':9090}"), ERR_BAD_REQUEST,
		  "connectionDetails.url: required", NULL },
		{ EP_CONNECTION, WITH_CONN("{'host':'p','port':0}"), ERR_BAD_REQUEST,
		  "connectionDetails.port: must be at least 1", NULL },
		{ EP_CONNECTION, WITH_CONN("{'host':'p','port':70000}"), ERR_BAD_REQUEST,
		  "connectionDetails.port: must be at most 65535", NULL },
		{ EP_CONNECTION, WITH_CONN("{'host':'p','port':-1}"), ERR_BAD_REQUEST,
		  "connectionDetails.port", NULL },
		{ EP_CONNECTION, WITH_CONN("{'host':'p','port':'9090'}"), ERR_BAD_REQUEST,
		  "connectionDetails.port: expected an integer", NULL },
		{ EP_CONNECTION, WITH_CONN("{'host':'p','port':90.5}"), ERR_BAD_REQUEST,
		  "connectionDetails.port: expected an integer", NULL },
		{ EP_CONNECTION, WITH_CONN("{'host':''}"), ERR_BAD_REQUEST,
		  "connectionDetails.host: empty", NULL },
		{ EP_CONNECTION, WITH_CONN("{'host':5}"), ERR_BAD_REQUEST,
		  "connectionDetails.host: expected a string", NULL },
		{ EP_CONNECTION, WITH_CONN("{'host':'p/x'}"), ERR_BAD_REQUEST,
		  "connectionDetails.host: not a host name", NULL },
		{ EP_CONNECTION, WITH_CONN("{'host':'u:pw@p'}"), ERR_BAD_REQUEST,
		  "connectionDetails.host", "pw" },
		{ EP_CONNECTION, WITH_CONN("{'host':'p?x'}"), ERR_BAD_REQUEST,
		  "connectionDetails.host", NULL },
		{ EP_CONNECTION, WITH_CONN("{'host':'p#x'}"), ERR_BAD_REQUEST,
		  "connectionDetails.host", NULL },
		{ EP_CONNECTION, WITH_CONN("{'host':'p q'}"), ERR_BAD_REQUEST,
		  "connectionDetails.host", NULL },
		{ EP_CONNECTION, WITH_CONN("{'host':'p:9090'}"), ERR_BAD_REQUEST,
		  "connectionDetails.host", NULL },
		{ EP_CONNECTION, WITH_CONN("{'host':'::1'}"), ERR_BAD_REQUEST,
		  "connectionDetails.host", NULL },
		{ EP_CONNECTION, WITH_CONN("{'host':'2852039166'}"), ERR_BAD_REQUEST,
		  "connectionDetails.host", NULL },
		{ EP_CONNECTION, WITH_CONN("{'host':'p','requestTimeout':0}"), ERR_BAD_REQUEST,
		  "connectionDetails.requestTimeout: must be a positive number", NULL },
		{ EP_CONNECTION, WITH_CONN("{'host':'p','requestTimeout':-1}"), ERR_BAD_REQUEST,
		  "connectionDetails.requestTimeout", NULL },
		{ EP_CONNECTION, WITH_CONN("{'host':'p','requestTimeout':'30000'}"), ERR_BAD_REQUEST,
		  "connectionDetails.requestTimeout: expected a number", NULL },
		{ EP_CONNECTION, WITH_CONN("{'host':'p','requestTimeout':0.2}"), ERR_BAD_REQUEST,
		  "connectionDetails.requestTimeout: must be at least 1 millisecond", NULL },
	};

	(void)state;
	RUN_BAD(rows);
}

static void test_request_parse_refuses_bad_connection_options(void **state)
{
	static const struct bad_case rows[] = {
		{ EP_CONNECTION, WITH_CONN("{'url':'http://p','request_timeout_seconds':0}"),
		  ERR_BAD_REQUEST, "connectionDetails.request_timeout_seconds: must be a positive number", NULL },
		{ EP_CONNECTION, WITH_CONN("{'url':'http://p','request_timeout_seconds':-1}"),
		  ERR_BAD_REQUEST, "connectionDetails.request_timeout_seconds", NULL },
		{ EP_CONNECTION, WITH_CONN("{'url':'http://p','request_timeout_seconds':'30'}"),
		  ERR_BAD_REQUEST, "connectionDetails.request_timeout_seconds: expected a number", NULL },
		{ EP_CONNECTION, WITH_CONN("{'url':'http://p','request_timeout_seconds':true}"),
		  ERR_BAD_REQUEST, "connectionDetails.request_timeout_seconds: expected a number", NULL },
		{ EP_CONNECTION, WITH_CONN("{'url':'http://p','request_timeout_seconds':0.0001}"),
		  ERR_BAD_REQUEST, "connectionDetails.request_timeout_seconds: must be at least 1 millisecond", NULL },
		{ EP_CONNECTION, WITH_CONN("{'url':'http://p','nan_interpretation':'MAYBE'}"),
		  ERR_BAD_REQUEST, "connectionDetails.nan_interpretation: unknown value \"MAYBE\"", NULL },
		{ EP_CONNECTION, WITH_CONN("{'url':'http://p','nan_interpretation':''}"),
		  ERR_BAD_REQUEST, "connectionDetails.nan_interpretation", NULL },
		{ EP_CONNECTION, WITH_CONN("{'url':'http://p','nan_interpretation':0}"),
		  ERR_BAD_REQUEST, "connectionDetails.nan_interpretation: expected a string", NULL },
		{ EP_CONNECTION, WITH_CONN("{'url':'http://p','step_seconds':0}"),
		  ERR_BAD_REQUEST, "connectionDetails.step_seconds: must be a positive number", NULL },
		{ EP_CONNECTION, WITH_CONN("{'url':'http://p','step_seconds':-30}"),
		  ERR_BAD_REQUEST, "connectionDetails.step_seconds", NULL },
		{ EP_CONNECTION, WITH_CONN("{'url':'http://p','step_seconds':'30'}"),
		  ERR_BAD_REQUEST, "connectionDetails.step_seconds: expected a number", NULL },
		{ EP_CONNECTION, WITH_CONN("{'url':'http://p','step_seconds':0.0004}"),
		  ERR_BAD_REQUEST, "connectionDetails.step_seconds: must be at least 0.001", NULL },
		{ EP_CONNECTION, WITH_CONN("{'url':'http://p','step_seconds':1e300}"),
		  ERR_BAD_REQUEST, "connectionDetails.step_seconds: too large", NULL },
		{ EP_CONNECTION, WITH_CONN("{'url':'http://p','tls':true}"),
		  ERR_BAD_REQUEST, "connectionDetails.tls: expected an object", NULL },
		{ EP_CONNECTION, WITH_CONN("{'url':'http://p','tls':{'insecure_skip_verify':'yes'}}"),
		  ERR_BAD_REQUEST, "connectionDetails.tls.insecure_skip_verify: expected a boolean", NULL },
		{ EP_CONNECTION, WITH_CONN("{'url':'http://p','tls':{'insecure_skip_verify':1}}"),
		  ERR_BAD_REQUEST, "connectionDetails.tls.insecure_skip_verify: expected a boolean", NULL },
		{ EP_CONNECTION, WITH_CONN("{'url':'http://p','tls':{'ca_file':5}}"),
		  ERR_BAD_REQUEST, "connectionDetails.tls.ca_file: expected a string", NULL },
		{ EP_CONNECTION, WITH_CONN("{'url':'http://p','tls':{'ca_file':'/a\\nb'}}"),
		  ERR_BAD_REQUEST, "connectionDetails.tls.ca_file: must not contain control", NULL },
		{ EP_CONNECTION, WITH_CONN("{'url':'http://p','aws':'eu-west-1'}"),
		  ERR_BAD_REQUEST, "connectionDetails.aws: expected an object", NULL },
		{ EP_CONNECTION, WITH_CONN("{'url':'http://p','aws':[]}"),
		  ERR_BAD_REQUEST, "connectionDetails.aws: expected an object", NULL },
	};

	(void)state;
	RUN_BAD(rows);
}

static void test_request_parse_refuses_bad_credentials_without_quoting_them(void **state)
{
	static const struct bad_case rows[] = {
		{ EP_CONNECTION, WITH_CONN("{'url':'http://p','basic_auth':'u:hunter2'}"),
		  ERR_BAD_REQUEST, "connectionDetails.basic_auth: expected an object", "hunter2" },
		{ EP_CONNECTION, WITH_CONN("{'url':'http://p','basic_auth':{'username':1,'password':'hunter2'}}"),
		  ERR_BAD_REQUEST, "connectionDetails.basic_auth.username: expected a string", "hunter2" },
		{ EP_CONNECTION, WITH_CONN("{'url':'http://p','basic_auth':{'username':'u','password':5}}"),
		  ERR_BAD_REQUEST, "connectionDetails.basic_auth.password: expected a string", NULL },
		{ EP_CONNECTION, WITH_CONN("{'url':'http://p','basic_auth':{'username':'u','password':['hunter2']}}"),
		  ERR_BAD_REQUEST, "connectionDetails.basic_auth.password: expected a string", "hunter2" },
		{ EP_CONNECTION, WITH_CONN("{'url':'http://p','basic_auth':{'username':'u'}}"),
		  ERR_BAD_REQUEST, "connectionDetails.basic_auth.password: required", NULL },
		{ EP_CONNECTION, WITH_CONN("{'url':'http://p','basic_auth':{'password':'hunter2'}}"),
		  ERR_BAD_REQUEST, "connectionDetails.basic_auth.username: required", "hunter2" },
		{ EP_CONNECTION, WITH_CONN("{'url':'http://p','basic_auth':{'username':'u:x','password':'hunter2'}}"),
		  ERR_BAD_REQUEST, "connectionDetails.basic_auth.username: must not contain ':'", "hunter2" },
		{ EP_CONNECTION, WITH_CONN("{'url':'http://p','basic_auth':{'username':'u\\u001b','password':'hunter2'}}"),
		  ERR_BAD_REQUEST, "connectionDetails.basic_auth.username: must not contain control characters", "hunter2" },
		{ EP_CONNECTION, WITH_CONN("{'url':'http://p','basic_auth':{'username':'u','password':'hunter2\\r\\nX: y'}}"),
		  ERR_BAD_REQUEST, "connectionDetails.basic_auth.password: must not contain control characters", "hunter2" },
		{ EP_CONNECTION, WITH_CONN("{'url':'http://p','bearer_token':5}"),
		  ERR_BAD_REQUEST, "connectionDetails.bearer_token: expected a string", NULL },
		{ EP_CONNECTION, WITH_CONN("{'url':'http://p','bearer_token':'abc\\r\\nX-Evil: 1'}"),
		  ERR_BAD_REQUEST, "connectionDetails.bearer_token: must not contain control", "abc" },
	};

	(void)state;
	RUN_BAD(rows);
}

static void test_request_parse_refuses_header_injection(void **state)
{
	static const struct bad_case rows[] = {
		{ EP_CONNECTION, WITH_CONN("{'url':'http://p','headers':['X-A: b']}"),
		  ERR_BAD_REQUEST, "connectionDetails.headers: expected an object", NULL },
		{ EP_CONNECTION, WITH_CONN("{'url':'http://p','headers':{'X-A':'ok\\r\\nX-Evil: 1'}}"),
		  ERR_BAD_REQUEST, "connectionDetails.headers.X-A: must not contain control", "Evil" },
		{ EP_CONNECTION, WITH_CONN("{'url':'http://p','headers':{'X-A':'a\\nb'}}"),
		  ERR_BAD_REQUEST, "connectionDetails.headers.X-A: must not contain control", NULL },
		{ EP_CONNECTION, WITH_CONN("{'url':'http://p','headers':{'X-A':'a\\tb'}}"),
		  ERR_BAD_REQUEST, "connectionDetails.headers.X-A: must not contain control", NULL },
		{ EP_CONNECTION, WITH_CONN("{'url':'http://p','headers':{'X-A':'\\u007f'}}"),
		  ERR_BAD_REQUEST, "connectionDetails.headers.X-A: must not contain control", NULL },
		{ EP_CONNECTION, WITH_CONN("{'url':'http://p','headers':{'X Bad':'v'}}"),
		  ERR_BAD_REQUEST, "connectionDetails.headers.X Bad: not a valid header name", NULL },
		{ EP_CONNECTION, WITH_CONN("{'url':'http://p','headers':{'X-A:':'v'}}"),
		  ERR_BAD_REQUEST, "not a valid header name", NULL },
		{ EP_CONNECTION, WITH_CONN("{'url':'http://p','headers':{'X-A\\r\\nX-Evil':'v'}}"),
		  ERR_BAD_REQUEST, "connectionDetails.headers.X-A??X-Evil: not a valid header name", NULL },
		{ EP_CONNECTION, WITH_CONN("{'url':'http://p','headers':{'':'v'}}"),
		  ERR_BAD_REQUEST, "not a valid header name", NULL },
		{ EP_CONNECTION, WITH_CONN("{'url':'http://p','headers':{'X-\\u00e9':'v'}}"),
		  ERR_BAD_REQUEST, "not a valid header name", NULL },
		{ EP_CONNECTION, WITH_CONN("{'url':'http://p','headers':{'X-A':5}}"),
		  ERR_BAD_REQUEST, "connectionDetails.headers.X-A: expected a string", NULL },
		{ EP_CONNECTION, WITH_CONN("{'url':'http://p','headers':{'X-A':null}}"),
		  ERR_BAD_REQUEST, "connectionDetails.headers.X-A: expected a string", NULL },
		{ EP_CONNECTION, WITH_CONN("{'url':'http://p','headers':{'host':'evil'}}"),
		  ERR_BAD_REQUEST, "connectionDetails.headers.host: set by the mirror", NULL },
		{ EP_CONNECTION, WITH_CONN("{'url':'http://p','headers':{'Content-Length':'0'}}"),
		  ERR_BAD_REQUEST, "connectionDetails.headers.Content-Length: set by the mirror", NULL },
		{ EP_CONNECTION, WITH_CONN("{'url':'http://p','headers':{'Transfer-Encoding':'chunked'}}"),
		  ERR_BAD_REQUEST, "connectionDetails.headers.Transfer-Encoding", NULL },
	};

	(void)state;
	RUN_BAD(rows);
}

static void test_request_parse_limits_headers_to_64(void **state)
{
	char sq[8192], *p = sq;
	size_t i;
	struct request r;

	(void)state;
	p += snprintf(p, sizeof(sq), "{'connectionDetails':{'url':'http://p','headers':{");
	for (i = 0; i < 64; i++)
		p += snprintf(p, sizeof(sq) - (size_t)(p - sq), "%s'X-H%zu':'v'",
			      i ? "," : "", i);
	snprintf(p, sizeof(sq) - (size_t)(p - sq), "}}}");
	parse_ok(EP_CONNECTION, sq, &r);
	assert_int_equal(r.conn.n_headers, 64);
	request_free(&r);

	p = strstr(sq, "}}}");
	snprintf(p, sizeof(sq) - (size_t)(p - sq), ",'X-H64':'v'}}}");
	{
		char *b = body(sq);

		refused(EP_CONNECTION, b, strlen(b), ERR_BAD_REQUEST,
			"connectionDetails.headers: more than 64 headers", NULL,
			"65 headers");
		free(b);
	}
}

static void test_request_parse_refuses_bad_conditions(void **state)
{
	static const struct bad_case rows[] = {
		{ EP_METRIC, WITH_QUERY("{'startTime':0,'endTime':1,'conditions':{}}"),
		  ERR_BAD_REQUEST, "query.conditions: expected an array", NULL },
		{ EP_METRIC, WITH_QUERY("{'startTime':0,'endTime':1,'conditions':'k=v'}"),
		  ERR_BAD_REQUEST, "query.conditions: expected an array", NULL },
		{ EP_METRIC, WITH_CONDS("5"),
		  ERR_BAD_REQUEST, "query.conditions[0]: expected an object", NULL },
		{ EP_METRIC, WITH_CONDS("{'key':'a','value':'b'},null"),
		  ERR_BAD_REQUEST, "query.conditions[1]: expected an object", NULL },
		{ EP_METRIC, WITH_CONDS("{'value':'b'}"),
		  ERR_BAD_REQUEST, "query.conditions[0].key: required", NULL },
		{ EP_METRIC, WITH_CONDS("{'key':'','value':'b'}"),
		  ERR_BAD_REQUEST, "query.conditions[0].key: empty", NULL },
		{ EP_METRIC, WITH_CONDS("{'key':5,'value':'b'}"),
		  ERR_BAD_REQUEST, "query.conditions[0].key: expected a string", NULL },
		{ EP_METRIC, WITH_CONDS("{'key':'a','value':'b'},{'key':'ok','value':'b'},"
					"{'key':'a-b','value':'b'}"),
		  ERR_BAD_REQUEST, "query.conditions[2].key: not a valid label name", NULL },
		{ EP_METRIC, WITH_CONDS("{'key':'1abc','value':'b'}"),
		  ERR_BAD_REQUEST, "query.conditions[0].key: not a valid label name", NULL },
		{ EP_METRIC, WITH_CONDS("{'key':'\\u00e9','value':'b'}"),
		  ERR_BAD_REQUEST, "query.conditions[0].key: not a valid label name", NULL },
		{ EP_METRIC, WITH_CONDS("{'key':'a\\nb','value':'b'}"),
		  ERR_BAD_REQUEST, "query.conditions[0].key: not a valid label name: \"a?b\"", NULL },
		{ EP_METRIC, WITH_CONDS("{'key':'a','value':'b','_type':'RangeCondition'}"),
		  ERR_BAD_REQUEST, "query.conditions[0]._type: unknown condition type", NULL },
		{ EP_METRIC, WITH_CONDS("{'key':'a','value':'b','_type':5}"),
		  ERR_BAD_REQUEST, "query.conditions[0]._type: expected a string", NULL },
		{ EP_METRIC, WITH_CONDS("{'key':'a'}"),
		  ERR_BAD_REQUEST, "query.conditions[0].value: required", NULL },
		{ EP_METRIC, WITH_CONDS("{'key':'a','value':null}"),
		  ERR_BAD_REQUEST, "query.conditions[0].value: required", NULL },
		{ EP_METRIC, WITH_VALUE("5"),
		  ERR_BAD_REQUEST, "query.conditions[0].value: expected an object", NULL },
		{ EP_METRIC, WITH_VALUE("['a']"),
		  ERR_BAD_REQUEST, "query.conditions[0].value: expected an object", NULL },
		{ EP_METRIC, WITH_VALUE("{'_type':'StringValue'}"),
		  ERR_BAD_REQUEST, "query.conditions[0].value.value: required", NULL },
		{ EP_METRIC, WITH_VALUE("{'value':5}"),
		  ERR_BAD_REQUEST, "query.conditions[0].value.value: expected a string", NULL },
		{ EP_METRIC, WITH_VALUE("{'value':5,'_type':'StringValue'}"),
		  ERR_BAD_REQUEST, "query.conditions[0].value.value: expected a string", NULL },
		{ EP_METRIC, WITH_VALUE("{'value':'2','_type':'DoubleValue'}"),
		  ERR_BAD_REQUEST, "query.conditions[0].value.value: expected a number", NULL },
		{ EP_METRIC, WITH_VALUE("{'value':true,'_type':'DoubleValue'}"),
		  ERR_BAD_REQUEST, "query.conditions[0].value.value: expected a number", NULL },
		{ EP_METRIC, WITH_VALUE("{'value':'true','_type':'BooleanValue'}"),
		  ERR_BAD_REQUEST, "query.conditions[0].value.value: expected a boolean", NULL },
		{ EP_METRIC, WITH_VALUE("{'value':'a','_type':'InSetValue'}"),
		  ERR_BAD_REQUEST, "query.conditions[0].value.value: expected an array", NULL },
		{ EP_METRIC, WITH_VALUE("{'value':[],'_type':'InSetValue'}"),
		  ERR_BAD_REQUEST, "query.conditions[0].value.value: empty set", NULL },
		{ EP_METRIC, WITH_VALUE("{'value':['a',null],'_type':'InSetValue'}"),
		  ERR_BAD_REQUEST, "query.conditions[0].value.value[1]: expected a string, number or boolean", NULL },
		{ EP_METRIC, WITH_VALUE("{'value':[['a']],'_type':'InSetValue'}"),
		  ERR_BAD_REQUEST, "query.conditions[0].value.value[0]", NULL },
		{ EP_METRIC, WITH_VALUE("{'value':'a','_type':5}"),
		  ERR_BAD_REQUEST, "query.conditions[0].value._type: expected a string", NULL },
		{ EP_METRIC, WITH_VALUE("{'value':'a','_type':'stringvalue'}"),
		  ERR_UNSUPPORTED_TYPE, "query.conditions[0].value._type: unsupported value type", NULL },
	};

	(void)state;
	RUN_BAD(rows);
}

static void test_request_parse_answers_unknown_value_types_as_unsupported(void **state)
{
	char *b = body(WITH_VALUE("{'value':[1,2],'_type':'LongRangeValue'}"));
	struct errinfo ei = { 0 };
	struct request r;

	(void)state;
	assert_int_equal(request_parse(EP_METRIC, b, strlen(b), 300, &r, &ei),
			 ERR_UNSUPPORTED_TYPE);
	assert_int_equal(ei.code, ERR_UNSUPPORTED_TYPE);
	assert_string_equal(ei.mirror_type, "LongRangeValue");
	assert_non_null(strstr(ei.details, "query.conditions[0].value._type"));
	free(b);
}

static void test_request_parse_truncates_a_long_mirror_type_safely(void **state)
{
	static const char head[] = "{\"connectionDetails\":{\"url\":\"http://p\"},"
				   "\"query\":{\"conditions\":[{\"key\":\"k\",\"value\":"
				   "{\"value\":1,\"_type\":\"";
	static const char tail[] = "\"}}]}}";
	static const char del[] = "A\x7f" "B\"}}]}}";
	char b[1024], *p;
	struct errinfo ei = { 0 };
	struct request r;
	size_t i, n;

	(void)state;
	memcpy(b, head, sizeof(head) - 1);
	p = b + sizeof(head) - 1;
	/* "é" is two bytes; after the 'A' a cut at 60 bytes would fall in
	 * the middle of one */
	*p++ = 'A';
	for (i = 0; i < 100; i++, p += 2)
		memcpy(p, "\xc3\xa9", 2);
	memcpy(p, tail, sizeof(tail));
	assert_int_equal(request_parse(EP_FIELD_NAME, b, strlen(b), 300, &r, &ei),
			 ERR_UNSUPPORTED_TYPE);
	n = strlen(ei.mirror_type);
	assert_true(n < sizeof(ei.mirror_type));
	assert_string_equal(ei.mirror_type + n - 3, "...");
	assert_int_equal(ei.mirror_type[0], 'A');
	assert_int_equal((n - 4) % 2, 0);
	for (i = 1; i + 3 < n; i += 2)
		assert_memory_equal(ei.mirror_type + i, "\xc3\xa9", 2);
	assert_true(strlen(ei.details) < 300);
	/* control bytes never reach the type name */
	memcpy(b + sizeof(head) - 1, del, sizeof(del));
	assert_int_equal(request_parse(EP_FIELD_NAME, b, strlen(b), 300, &r, &ei),
			 ERR_UNSUPPORTED_TYPE);
	assert_string_equal(ei.mirror_type, "A?B");
}

static void test_request_parse_limits_conditions_and_set_members(void **state)
{
	size_t size = 1u << 20, i;
	char *b = malloc(size), *p;
	struct request r;
	struct errinfo ei = { 0 };
	static const char head[] = "{\"connectionDetails\":{\"url\":\"http://p\"},"
				   "\"query\":{\"conditions\":[";

	(void)state;
	assert_non_null(b);
	/* 1000 conditions are fine, 1001 are not */
	p = b + snprintf(b, size, "%s", head);
	for (i = 0; i < 1000; i++)
		p += snprintf(p, size - (size_t)(p - b), "%s{\"key\":\"k\",\"value\":\"v\"}",
			      i ? "," : "");
	snprintf(p, size - (size_t)(p - b), "]}}");
	assert_int_equal(request_parse(EP_FIELD_NAME, b, strlen(b), 300, &r, &ei), OK);
	assert_int_equal(r.q.n_conds, 1000);
	request_free(&r);
	snprintf(p, size - (size_t)(p - b), ",{\"key\":\"k\",\"value\":\"v\"}]}}");
	refused(EP_FIELD_NAME, b, strlen(b), ERR_BAD_REQUEST,
		"query.conditions: more than 1000 conditions", NULL, "1001 conditions");

	/* 10000 members are fine, 10001 are not */
	p = b + snprintf(b, size, "%s{\"key\":\"k\",\"value\":{\"_type\":\"InSetValue\","
			 "\"value\":[", head);
	for (i = 0; i < 10000; i++)
		p += snprintf(p, size - (size_t)(p - b), "%s%zu", i ? "," : "", i);
	snprintf(p, size - (size_t)(p - b), "]}}]}}");
	assert_int_equal(request_parse(EP_FIELD_NAME, b, strlen(b), 300, &r, &ei), OK);
	assert_int_equal(r.q.conds[0].n_set, 10000);
	assert_string_equal(r.q.conds[0].set[9999], "9999");
	request_free(&r);
	snprintf(p, size - (size_t)(p - b), ",1]}}]}}");
	refused(EP_FIELD_NAME, b, strlen(b), ERR_BAD_REQUEST,
		"query.conditions[0].value.value: more than 10000 members", NULL,
		"10001 members");
	free(b);
}

static void test_request_parse_refuses_bad_time_ranges(void **state)
{
	static const struct bad_case rows[] = {
		{ EP_METRIC, WITH_QUERY("{'startTime':2000,'endTime':1000}"),
		  ERR_BAD_REQUEST, "query.startTime: after endTime", NULL },
		{ EP_FIELD_VALUE, WITH_QUERY("{'field':'a','startTime':2,'endTime':1}"),
		  ERR_BAD_REQUEST, "query.startTime: after endTime", NULL },
		{ EP_METRIC, WITH_QUERY("{'endTime':1000}"),
		  ERR_BAD_REQUEST, "query.startTime: required", NULL },
		{ EP_METRIC, WITH_QUERY("{'startTime':1000}"),
		  ERR_BAD_REQUEST, "query.endTime: required", NULL },
		{ EP_METRIC, WITH_QUERY("{}"),
		  ERR_BAD_REQUEST, "query.startTime: required", NULL },
		{ EP_FIELD_NAME, WITH_QUERY("{'startTime':1000}"),
		  ERR_BAD_REQUEST, "query.endTime: required when startTime is given", NULL },
		{ EP_FIELD_NAME, WITH_QUERY("{'endTime':1000}"),
		  ERR_BAD_REQUEST, "query.startTime: required when endTime is given", NULL },
		{ EP_METRIC, WITH_QUERY("{'startTime':-1,'endTime':1000}"),
		  ERR_BAD_REQUEST, "query.startTime: must not be negative", NULL },
		{ EP_METRIC, WITH_QUERY("{'startTime':0,'endTime':-5}"),
		  ERR_BAD_REQUEST, "query.endTime: must not be negative", NULL },
		{ EP_METRIC, WITH_QUERY("{'startTime':'0','endTime':1000}"),
		  ERR_BAD_REQUEST, "query.startTime: expected an integer", NULL },
		{ EP_METRIC, WITH_QUERY("{'startTime':0.5,'endTime':1000}"),
		  ERR_BAD_REQUEST, "query.startTime: expected an integer", NULL },
		{ EP_METRIC, WITH_QUERY("{'startTime':0,'endTime':9007199254740993}"),
		  ERR_BAD_REQUEST, "query.endTime: must be at most 9007199254740992", NULL },
		{ EP_METRIC, WITH_QUERY("{'startTime':0,'endTime':1e20}"),
		  ERR_BAD_REQUEST, "query.endTime: expected an integer", NULL },
		{ EP_METRIC, WITH_QUERY("{'startTime':0,'endTime':99999999999999999999}"),
		  ERR_BAD_REQUEST, "body: not valid JSON", NULL },
	};

	(void)state;
	RUN_BAD(rows);
}

static void test_request_parse_refuses_bad_paging(void **state)
{
	static const struct bad_case rows[] = {
		{ EP_METRIC, WITH_QUERY("{'startTime':0,'endTime':1,'limit':-1}"),
		  ERR_BAD_REQUEST, "query.limit: must not be negative", NULL },
		{ EP_FIELD_NAME, WITH_QUERY("{'limit':'10'}"),
		  ERR_BAD_REQUEST, "query.limit: expected an integer", NULL },
		{ EP_FIELD_NAME, WITH_QUERY("{'limit':2.5}"),
		  ERR_BAD_REQUEST, "query.limit: expected an integer", NULL },
		{ EP_FIELD_VALUE, WITH_QUERY("{'field':'a','offset':-1}"),
		  ERR_BAD_REQUEST, "query.offset: must not be negative", NULL },
		{ EP_FIELD_VALUE, WITH_QUERY("{'field':'a','offset':'1'}"),
		  ERR_BAD_REQUEST, "query.offset: expected an integer", NULL },
	};

	(void)state;
	RUN_BAD(rows);
}

static void test_request_parse_refuses_bad_aggregations(void **state)
{
	static const struct bad_case rows[] = {
		{ EP_METRIC, WITH_QUERY("{'startTime':0,'endTime':1,'aggregation':'MEAN'}"),
		  ERR_BAD_REQUEST, "query.aggregation: expected an object", NULL },
		{ EP_METRIC, WITH_QUERY("{'startTime':0,'endTime':1,'aggregation':"
					"{'method':'MEDIAN','bucketSizeMillis':1000}}"),
		  ERR_BAD_REQUEST, "query.aggregation.method: unknown method MEDIAN", NULL },
		{ EP_METRIC, WITH_QUERY("{'startTime':0,'endTime':1,'aggregation':"
					"{'method':'','bucketSizeMillis':1000}}"),
		  ERR_BAD_REQUEST, "query.aggregation.method: unknown method", NULL },
		{ EP_METRIC, WITH_QUERY("{'startTime':0,'endTime':1,'aggregation':"
					"{'bucketSizeMillis':1000}}"),
		  ERR_BAD_REQUEST, "query.aggregation.method: required", NULL },
		{ EP_METRIC, WITH_QUERY("{'startTime':0,'endTime':1,'aggregation':"
					"{'method':3,'bucketSizeMillis':1000}}"),
		  ERR_BAD_REQUEST, "query.aggregation.method: expected a string", NULL },
		{ EP_METRIC, WITH_QUERY("{'startTime':0,'endTime':1,'aggregation':"
					"{'method':'MEAN','bucketSizeMillis':0}}"),
		  ERR_BAD_REQUEST, "query.aggregation.bucketSizeMillis: must be at least 1", NULL },
		{ EP_METRIC, WITH_QUERY("{'startTime':0,'endTime':1,'aggregation':"
					"{'method':'MEAN','bucketSizeMillis':-60000}}"),
		  ERR_BAD_REQUEST, "query.aggregation.bucketSizeMillis", NULL },
		{ EP_METRIC, WITH_QUERY("{'startTime':0,'endTime':1,'aggregation':"
					"{'method':'MEAN','bucketSizeMillis':'60000'}}"),
		  ERR_BAD_REQUEST, "query.aggregation.bucketSizeMillis: expected an integer", NULL },
		{ EP_METRIC, WITH_QUERY("{'startTime':0,'endTime':1,'aggregation':"
					"{'method':'MEAN'}}"),
		  ERR_BAD_REQUEST, "query.aggregation.bucketSizeMillis: required", NULL },
	};

	(void)state;
	RUN_BAD(rows);
}

static void test_request_parse_refuses_bad_fields(void **state)
{
	static const struct bad_case rows[] = {
		{ EP_FIELD_VALUE, WITH_QUERY("{}"),
		  ERR_BAD_REQUEST, "query.field: required", NULL },
		{ EP_FIELD_VALUE, WITH_QUERY("{'field':5}"),
		  ERR_BAD_REQUEST, "query.field: expected a FieldDescriptor", NULL },
		{ EP_FIELD_VALUE, WITH_QUERY("{'field':{}}"),
		  ERR_BAD_REQUEST, "query.field.fieldName: required", NULL },
		{ EP_FIELD_VALUE, WITH_QUERY("{'field':{'fieldName':7}}"),
		  ERR_BAD_REQUEST, "query.field.fieldName: expected a string", NULL },
		{ EP_FIELD_VALUE, WITH_QUERY("{'field':{'fieldName':''}}"),
		  ERR_BAD_REQUEST, "query.field.fieldName: empty", NULL },
		{ EP_FIELD_VALUE, WITH_QUERY("{'field':'a/b'}"),
		  ERR_BAD_REQUEST, "query.field.fieldName: not a valid label name", NULL },
		{ EP_FIELD_VALUE, WITH_QUERY("{'field':'../../api/v1/admin'}"),
		  ERR_BAD_REQUEST, "query.field.fieldName: not a valid label name", NULL },
		{ EP_FIELD_VALUE, WITH_QUERY("{'field':'a','fieldValuePrefix':5}"),
		  ERR_BAD_REQUEST, "query.fieldValuePrefix: expected a string", NULL },
	};

	(void)state;
	RUN_BAD(rows);
}

/* ------------------------------------------------------------------ */
/* connectionDetails.aws                                                */

static void test_request_parse_reads_every_aws_field(void **state)
{
	struct request r;

	(void)state;
	parse_ok(EP_CONNECTION,
		 "{'connectionDetails':{'url':'http://p:9090','aws':{"
		 "'region_name':'us-east-2','aws_access_key_id':'AKIDEXAMPLE',"
		 "'aws_secret_access_key':'wJal/K7+x','aws_session_token':'tok=',"
		 "'role_arn':'arn:aws:iam::123456789012:role/amp-read',"
		 "'external_id':'ext-1','role_session_name':'mirror@test',"
		 "'token_expiry_seconds':3600}}}", &r);
	assert_string_equal(r.conn.aws->region, "us-east-2");
	assert_string_equal(r.conn.aws->key_id, "AKIDEXAMPLE");
	assert_string_equal(r.conn.aws->secret, "wJal/K7+x");
	assert_string_equal(r.conn.aws->token, "tok=");
	assert_string_equal(r.conn.aws->role_arn, "arn:aws:iam::123456789012:role/amp-read");
	assert_string_equal(r.conn.aws->external_id, "ext-1");
	assert_string_equal(r.conn.aws->session_name, "mirror@test");
	assert_int_equal(r.conn.aws->duration_s, 3600);
	assert_int_equal(r.conn.aws->fresh, 0);
	request_free(&r);
}

static void test_request_parse_takes_the_region_from_the_workspace_host(void **state)
{
	struct request r;

	(void)state;
	parse_ok(EP_CONNECTION,
		 "{'connectionDetails':{'url':'https://aps-workspaces.ap-southeast-2"
		 ".amazonaws.com/workspaces/ws-1/','aws':{}}}", &r);
	assert_string_equal(r.conn.aws->region, "ap-southeast-2");
	assert_null(r.conn.aws->key_id);
	assert_int_equal(r.conn.aws->duration_s, 900);
	request_free(&r);
	parse_ok(EP_CONNECTION,
		 "{'connectionDetails':{'url':'https://aps-workspaces.ap-southeast-2"
		 ".amazonaws.com/','aws':{'region_name':'eu-central-1'}}}", &r);
	assert_string_equal(r.conn.aws->region, "eu-central-1");
	request_free(&r);
	parse_ok(EP_CONNECTION,
		 "{'connectionDetails':{'url':'http://prometheus:9090',"
		 "'aws':{'region_name':'','aws_access_key_id':null}}}", &r);
	assert_string_equal(r.conn.aws->region, "eu-west-1");
	assert_null(r.conn.aws->key_id);
	request_free(&r);
}

static void test_request_parse_refuses_bad_aws_fields(void **state)
{
	static const struct bad_case rows[] = {
		{ EP_CONNECTION, WITH_CONN("{'url':'http://p','aws':[]}"),
		  ERR_BAD_REQUEST, "connectionDetails.aws: expected an object", NULL },
		{ EP_CONNECTION, WITH_CONN("{'url':'http://p','aws':{'region_name':'eu-west-1.evil.example/x'}}"),
		  ERR_BAD_REQUEST, "connectionDetails.aws.region_name", "evil" },
		{ EP_CONNECTION, WITH_CONN("{'url':'http://p','aws':{'region_name':'EU_WEST'}}"),
		  ERR_BAD_REQUEST, "region_name", NULL },
		{ EP_CONNECTION, WITH_CONN("{'url':'http://p','aws':{'aws_access_key_id':'AKID'}}"),
		  ERR_BAD_REQUEST, "go together", NULL },
		{ EP_CONNECTION, WITH_CONN("{'url':'http://p','aws':{'aws_secret_access_key':'s3cr3t-value'}}"),
		  ERR_BAD_REQUEST, "go together", "s3cr3t-value" },
		{ EP_CONNECTION, WITH_CONN("{'url':'http://p','aws':{'aws_session_token':'t0ken-value'}}"),
		  ERR_BAD_REQUEST, "aws_session_token", "t0ken-value" },
		{ EP_CONNECTION, WITH_CONN("{'url':'http://p','aws':{'aws_access_key_id':'AK ID','aws_secret_access_key':'s'}}"),
		  ERR_BAD_REQUEST, "aws_access_key_id", NULL },
		{ EP_CONNECTION, WITH_CONN("{'url':'http://p','aws':{'aws_access_key_id':'AKID','aws_secret_access_key':'s3cr3t\\r\\nX: 1'}}"),
		  ERR_BAD_REQUEST, "aws_secret_access_key", "s3cr3t" },
		{ EP_CONNECTION, WITH_CONN("{'url':'http://p','aws':{'aws_access_key_id':'AKID','aws_secret_access_key':'s','aws_session_token':'t\\u0001'}}"),
		  ERR_BAD_REQUEST, "aws_session_token", NULL },
		{ EP_CONNECTION, WITH_CONN("{'url':'http://p','aws':{'aws_access_key_id':7,'aws_secret_access_key':'s'}}"),
		  ERR_BAD_REQUEST, "aws_access_key_id: expected a string", NULL },
		{ EP_CONNECTION, WITH_CONN("{'url':'http://p','aws':{'token_expiry_seconds':899}}"),
		  ERR_BAD_REQUEST, "token_expiry_seconds: must be at least 900", NULL },
		{ EP_CONNECTION, WITH_CONN("{'url':'http://p','aws':{'token_expiry_seconds':43201}}"),
		  ERR_BAD_REQUEST, "token_expiry_seconds: must be at most 43200", NULL },
		{ EP_CONNECTION, WITH_CONN("{'url':'http://p','aws':{'token_expiry_seconds':'900'}}"),
		  ERR_BAD_REQUEST, "token_expiry_seconds: expected an integer", NULL },
		{ EP_CONNECTION, WITH_CONN("{'url':'http://p','aws':{'role_arn':'role/amp-read-not-an-arn'}}"),
		  ERR_BAD_REQUEST, "role_arn", NULL },
		{ EP_CONNECTION, WITH_CONN("{'url':'http://p','aws':{'role_arn':'arn:aws:iam::1:role/a b'}}"),
		  ERR_BAD_REQUEST, "role_arn", NULL },
		{ EP_CONNECTION, WITH_CONN("{'url':'http://p','aws':{'external_id':'e\\u0007x'}}"),
		  ERR_BAD_REQUEST, "external_id", NULL },
		{ EP_CONNECTION, WITH_CONN("{'url':'http://p','aws':{'role_session_name':'Stack State'}}"),
		  ERR_BAD_REQUEST, "role_session_name", NULL },
		{ EP_CONNECTION, WITH_CONN("{'url':'http://p','aws':{'role_session_name':'x'}}"),
		  ERR_BAD_REQUEST, "role_session_name", NULL },
		{ EP_CONNECTION, WITH_CONN("{'url':'http://p','bearer_token':'b','aws':{}}"),
		  ERR_BAD_REQUEST, "cannot be combined with basic_auth or bearer_token", NULL },
		{ EP_CONNECTION, WITH_CONN("{'url':'http://p','basic_auth':{'username':'u','password':'p'},'aws':{}}"),
		  ERR_BAD_REQUEST, "cannot be combined with basic_auth or bearer_token", NULL },
		{ EP_CONNECTION, WITH_CONN("{'url':'http://p','headers':{'X-Amz-Date':'20200101T000000Z'},'aws':{}}"),
		  ERR_BAD_REQUEST, "x-amz-date is set by AWS SigV4 signing", NULL },
		{ EP_CONNECTION, WITH_CONN("{'url':'http://p','headers':{'authorization':'x'},'aws':{}}"),
		  ERR_BAD_REQUEST, "authorization is set by AWS SigV4 signing", NULL },
	};

	(void)state;
	RUN_BAD(rows);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_request_parse_reads_a_full_metric_request),
		cmocka_unit_test(test_request_parse_reads_a_legacy_field_values_request),
		cmocka_unit_test(test_request_parse_reads_a_field_names_request),
		cmocka_unit_test(test_request_parse_reads_a_legacy_metric_request),
		cmocka_unit_test(test_request_parse_reads_a_test_connection_without_query),
		cmocka_unit_test(test_request_parse_fills_defaults),
		cmocka_unit_test(test_request_parse_treats_null_as_absent),
		cmocka_unit_test(test_request_parse_ignores_unknown_fields),
		cmocka_unit_test(test_request_parse_normalises_the_url),
		cmocka_unit_test(test_request_parse_accepts_a_url_of_4096_bytes),
		cmocka_unit_test(test_request_parse_converts_and_caps_timeouts),
		cmocka_unit_test(test_request_parse_caps_timeouts_at_the_given_maximum),
		cmocka_unit_test(test_request_parse_reads_nan_interpretation_in_any_case),
		cmocka_unit_test(test_request_parse_converts_step_seconds),
		cmocka_unit_test(test_request_parse_treats_empty_optional_secrets_as_none),
		cmocka_unit_test(test_request_parse_reads_every_value_form),
		cmocka_unit_test(test_request_parse_accepts_integral_reals_as_integers),
		cmocka_unit_test(test_request_parse_accepts_times_up_to_2_pow_53),
		cmocka_unit_test(test_request_parse_reads_a_bare_field_name),
		cmocka_unit_test(test_request_parse_reads_aggregation_only_for_metrics),
		cmocka_unit_test(test_request_parse_keeps_a_large_value_string),
		cmocka_unit_test(test_request_conn_parse_reads_details_alone),
		cmocka_unit_test(test_request_conn_parse_refuses_what_is_not_an_object),
		cmocka_unit_test(test_request_conn_parse_keeps_its_own_copy_of_aws),
		cmocka_unit_test(test_request_free_accepts_null_and_empty_structs),
		cmocka_unit_test(test_request_parse_refuses_bodies_that_are_not_objects),
		cmocka_unit_test(test_request_parse_refuses_nul_bytes),
		cmocka_unit_test(test_request_parse_refuses_invalid_utf8),
		cmocka_unit_test(test_request_parse_survives_deep_nesting),
		cmocka_unit_test(test_request_parse_keeps_details_short_for_huge_input),
		cmocka_unit_test(test_request_parse_refuses_bad_urls),
		cmocka_unit_test(test_request_parse_refuses_bad_legacy_details),
		cmocka_unit_test(test_request_parse_refuses_bad_connection_options),
		cmocka_unit_test(test_request_parse_refuses_bad_credentials_without_quoting_them),
		cmocka_unit_test(test_request_parse_refuses_header_injection),
		cmocka_unit_test(test_request_parse_limits_headers_to_64),
		cmocka_unit_test(test_request_parse_refuses_bad_conditions),
		cmocka_unit_test(test_request_parse_answers_unknown_value_types_as_unsupported),
		cmocka_unit_test(test_request_parse_truncates_a_long_mirror_type_safely),
		cmocka_unit_test(test_request_parse_limits_conditions_and_set_members),
		cmocka_unit_test(test_request_parse_refuses_bad_time_ranges),
		cmocka_unit_test(test_request_parse_refuses_bad_paging),
		cmocka_unit_test(test_request_parse_refuses_bad_aggregations),
		cmocka_unit_test(test_request_parse_refuses_bad_fields),
		cmocka_unit_test(test_request_parse_reads_every_aws_field),
		cmocka_unit_test(test_request_parse_takes_the_region_from_the_workspace_host),
		cmocka_unit_test(test_request_parse_refuses_bad_aws_fields),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
