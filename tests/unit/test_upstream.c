/* test_upstream.c - the HTTP client: query encoding, the allowlist, the
 * metadata guard, secret-free excerpts, and transfers against a tiny HTTP
 * server that the test forks on a free 127.0.0.1 port (never the network). */
#include <arpa/inet.h>
#include <netinet/in.h>
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

#include "mirror/upstream.h"
#include "fakehttp.h"

/* ---- the fake upstream (fakehttp.c) ----
 * One child process, one poll loop, keep-alive. What it answers depends on
 * the path:
 *   /echo...     200, body "conn=<n>\n" + the request head as received,
 *                n = the number of the TCP connection (1 = first accepted)
 *   /redirect    302 to /echo, body "moved"
 *   /big         200 with 10000 bytes of 'x'
 *   /hang        nothing, ever
 *   /status/NNN  status NNN, body "status NNN"
 */

#define PLAIN "Content-Type: text/plain\r\n"

/* answer: the fake upstream's handler for one complete request head. */
static enum fakehttp_next answer(int fd, const struct fakehttp_request *req,
				 void *arg)
{
	const char *path = req->target;
	char body[FAKEHTTP_REQ_MAX + 64], extra[128];
	int n;

	(void)arg;
	if (strncmp(path, "/echo", 5) == 0) {
		n = snprintf(body, sizeof(body), "conn=%d\n%.*s", req->conn,
			     (int)req->head_len, req->head);
		fakehttp_reply(fd, 200, PLAIN, body, (size_t)n);
	} else if (strcmp(path, "/redirect") == 0) {
		snprintf(extra, sizeof(extra),
			 PLAIN "Location: http://127.0.0.1:%d/echo\r\n", req->port);
		fakehttp_reply(fd, 302, extra, "moved", 5);
	} else if (strcmp(path, "/big") == 0) {
		memset(body, 'x', 10000);
		fakehttp_reply(fd, 200, PLAIN, body, 10000);
	} else if (strcmp(path, "/hang") == 0) {
		return FAKEHTTP_HANG;
	} else if (strncmp(path, "/status/", 8) == 0) {
		n = snprintf(body, sizeof(body), "status %s", path + 8);
		fakehttp_reply(fd, (int)strtol(path + 8, NULL, 10), PLAIN, body,
			       (size_t)n);
	} else {
		fakehttp_reply(fd, 404, PLAIN, "no such path", 12);
	}
	return FAKEHTTP_KEEP;
}

/* listen_loopback: a listening socket on 127.0.0.1 with a port the kernel
 * chose; returns the fd and sets *port. */
static int listen_loopback(int *port)
{
	int fd = fakehttp_listen(port);

	assert_true(fd >= 0);
	return fd;
}

/* ---- fixtures ---- */

struct fixture {
	struct fakehttp srv;
	struct upstream *u;
	char url[64];
	struct conn conn;
};

static int setup_server(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	if (fakehttp_start(&f->srv, answer, NULL) != 0) {
		free(f);
		return -1;
	}
	f->u = upstream_new("*");
	if (!f->u) {
		fakehttp_stop(&f->srv);
		free(f);
		return -1;
	}
	snprintf(f->url, sizeof(f->url), "http://127.0.0.1:%d", f->srv.port);
	f->conn.url = f->url;
	f->conn.timeout_ms = 5000;
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
	/* the tests talk to 127.0.0.1 directly, whatever the environment says */
	unsetenv("http_proxy");
	unsetenv("HTTP_PROXY");
	unsetenv("https_proxy");
	unsetenv("HTTPS_PROXY");
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

/* run_one: one GET of path through f's upstream; returns upstream_run's
 * code, the call is left for the caller to inspect and free. */
static enum err run_one(struct fixture *f, const char *path,
			struct upstream_call *call, struct errinfo *ei)
{
	memset(ei, 0, sizeof(*ei));
	upstream_call_init(call, path);
	return upstream_run(f->u, &f->conn, call, 1, ei);
}

/* ---- query parameters ---- */

static void test_upstream_param_encodes_promql(void **state)
{
	struct upstream_call call;

	(void)state;
	upstream_call_init(&call, "api/v1/query");
	assert_int_equal(upstream_param(&call, "query",
					"{__name__=\"a\",b=~\"x|y\"}[5m]"), OK);
	assert_string_equal(buf_cstr(&call.query),
			    "query=%7B__name__%3D%22a%22%2Cb%3D~%22x%7Cy%22%7D%5B5m%5D");
	assert_int_equal(upstream_param(&call, "time", "1700000000.123"), OK);
	assert_string_equal(buf_cstr(&call.query) + strlen(buf_cstr(&call.query)) -
			    20, "&time=1700000000.123");
	upstream_call_free(&call);
}

static void test_upstream_param_encodes_spaces_utf8_and_names(void **state)
{
	struct upstream_call call;

	(void)state;
	upstream_call_init(&call, "api/v1/labels");
	assert_int_equal(upstream_param(&call, "match[]", "up{job=\"caf\xc3\xa9 bar\"} + 1"), OK);
	assert_int_equal(upstream_param(&call, "empty", ""), OK);
	assert_string_equal(buf_cstr(&call.query),
			    "match%5B%5D=up%7Bjob%3D%22caf%C3%A9%20bar%22%7D%20%2B%201"
			    "&empty=");
	upstream_call_free(&call);
	upstream_call_free(NULL);
}

/* ---- the allowlist ---- */

struct allow_case {
	const char *list;
	const char *url;
	enum err want;
};

static void test_upstream_allowed_matrix(void **state)
{
	static const struct allow_case cases[] = {
		{ "*", "http://prom:9090", OK },
		{ "*", "https://prom.example.com/prometheus", OK },
		{ "*", "HTTPS://Prom.Example.com", OK },
		{ "*", "ftp://prom:21", ERR_BAD_REQUEST },
		{ "*", "prom:9090", ERR_BAD_REQUEST },
		{ "*", "http://user:pw@prom:9090", ERR_BAD_REQUEST },
		{ "http://prom:9090", "http://prom:9090", OK },
		{ "http://prom:9090", "http://prom:9090/prefix", OK },
		{ "http://prom:9090", "http://prom:90901", ERR_FORBIDDEN },
		{ "http://prom:90", "http://prom:9090", ERR_FORBIDDEN },
		{ "http://prom", "http://prom.evil.com", ERR_FORBIDDEN },
		{ "http://prom", "http://prom:9090", OK },
		{ "http://prom", "http://prom", OK },
		{ "http://prom/", "http://prom", OK },
		{ "http://prom/", "http://prom/x", OK },
		{ "http://prom/", "http://prom.evil.com", ERR_FORBIDDEN },
		{ "http://127.0.0.1:", "http://127.0.0.1:1234", OK },
		{ "http://127.0.0.1:", "http://127.0.0.1", ERR_FORBIDDEN },
		{ "http://127.0.0.1:", "http://127.0.0.10:80", ERR_FORBIDDEN },
		{ "http://PROM:9090", "http://prom:9090", OK },
		{ "http://prom:9090", "HTTP://Prom:9090/api", OK },
		{ "http://prom:9090/Tenant", "http://prom:9090/tenant", ERR_FORBIDDEN },
		{ "http://prom:9090/tenant", "http://prom:9090/tenant", OK },
		{ "http://prom:9090/tenant", "http://prom:9090/tenant2", ERR_FORBIDDEN },
		{ "http://prom:9090/tenant/", "http://prom:9090/tenant", OK },
		{ "http://prom:9090/tenant/", "http://prom:9090/tenant/../other", ERR_BAD_REQUEST },
		{ "http://prom:9090/tenant/", "http://prom:9090/tenant/%2E%2e/x", ERR_BAD_REQUEST },
		{ "http://prom:9090/tenant/", "http://prom:9090/tenant/./x", ERR_BAD_REQUEST },
		{ "http://prom:9090/tenant/", "http://prom:9090/tenant/..x", OK },
		{ "http://prom:9090/tenant/", "http://prom:9090/tenant/...", OK },
		{ "http://prom:9090/tenant/", "http://prom:9090/tenant//x", OK },
		{ "http://prom:9090", "https://prom:9090", ERR_FORBIDDEN },
		{ " http://a:1 , ,http://b:2 ", "http://b:2", OK },
		{ " http://a:1 , ,http://b:2 ", "http://a:1", OK },
		{ " http://a:1 , ,http://b:2 ", "http://c:3", ERR_FORBIDDEN },
		{ "", "http://prom:9090", ERR_FORBIDDEN },
		{ ",", "http://prom:9090", ERR_FORBIDDEN },
		/* cloud metadata: refused under "*", allowed when named */
		{ "*", "http://169.254.169.254", ERR_FORBIDDEN },
		{ "*", "http://169.254.0.1:8080/latest", ERR_FORBIDDEN },
		{ "*", "http://2852039166", ERR_FORBIDDEN },
		{ "*", "http://0xa9fea9fe", ERR_FORBIDDEN },
		{ "*", "http://[fd00:ec2::254]", ERR_FORBIDDEN },
		{ "*", "http://[FD00:EC2:0::254]:80", ERR_FORBIDDEN },
		{ "*", "http://[::ffff:169.254.169.254]", ERR_FORBIDDEN },
		{ "*", "http://169.253.169.254", OK },
		{ "*", "http://[fd00:ec2::253]", OK },
		{ "*,http://169.254.169.254", "http://169.254.169.254", OK },
		{ "*,http://169.254.169.254/", "http://169.254.169.254/latest", OK },
		{ "*,http://169.254.169.254", "http://169.254.169.253", ERR_FORBIDDEN },
		{ "http://[fd00:ec2::254]:", "http://[fd00:ec2::254]:80", OK },
	};
	struct errinfo ei;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct upstream *u = upstream_new(cases[i].list);
		enum err rc;

		assert_non_null(u);
		memset(&ei, 0, sizeof(ei));
		rc = upstream_allowed(u, cases[i].url, &ei);
		if (rc != cases[i].want)
			fail_msg("list \"%s\" url \"%s\": got %d want %d (%s)",
				 cases[i].list, cases[i].url, rc, cases[i].want,
				 ei.details);
		upstream_free(u);
	}
}

static void test_upstream_allowed_message_names_origin_only(void **state)
{
	struct upstream *u = upstream_new("http://other:1");
	struct errinfo ei;

	(void)state;
	memset(&ei, 0, sizeof(ei));
	assert_int_equal(upstream_allowed(u, "HTTPS://Prom.Example:8443/a/very/long/path",
					  &ei), ERR_FORBIDDEN);
	assert_string_equal(ei.details, "connectionDetails.url: "
			    "https://prom.example:8443 is not in MIRROR_ALLOWED_UPSTREAMS");
	assert_int_equal(upstream_allowed(u, "http://prom", &ei), ERR_FORBIDDEN);
	assert_string_equal(ei.details, "connectionDetails.url: "
			    "http://prom:80 is not in MIRROR_ALLOWED_UPSTREAMS");
	assert_int_equal(upstream_allowed(u, "http://user:secret@prom", &ei),
			 ERR_BAD_REQUEST);
	assert_null(strstr(ei.details, "secret"));
	upstream_free(u);
	upstream_free(NULL);
}

static void test_upstream_refuses_metadata_socket_addresses(void **state)
{
	struct upstream *any = upstream_new("*");
	struct upstream *listed = upstream_new("*, http://169.254.169.254:80/, "
					       "http://[fd00:ec2::254]/");
	struct sockaddr_in v4;
	struct sockaddr_in6 v6;

	(void)state;
	memset(&v4, 0, sizeof(v4));
	v4.sin_family = AF_INET;
	memset(&v6, 0, sizeof(v6));
	v6.sin6_family = AF_INET6;

	inet_pton(AF_INET, "169.254.169.254", &v4.sin_addr);
	assert_int_equal(upstream_refuses_address(any, (struct sockaddr *)&v4, sizeof(v4)), 1);
	assert_int_equal(upstream_refuses_address(listed, (struct sockaddr *)&v4, sizeof(v4)), 0);
	inet_pton(AF_INET, "169.254.1.2", &v4.sin_addr);
	assert_int_equal(upstream_refuses_address(any, (struct sockaddr *)&v4, sizeof(v4)), 1);
	assert_int_equal(upstream_refuses_address(listed, (struct sockaddr *)&v4, sizeof(v4)), 1);
	inet_pton(AF_INET, "127.0.0.1", &v4.sin_addr);
	assert_int_equal(upstream_refuses_address(any, (struct sockaddr *)&v4, sizeof(v4)), 0);

	inet_pton(AF_INET6, "fd00:ec2::254", &v6.sin6_addr);
	assert_int_equal(upstream_refuses_address(any, (struct sockaddr *)&v6, sizeof(v6)), 1);
	assert_int_equal(upstream_refuses_address(listed, (struct sockaddr *)&v6, sizeof(v6)), 0);
	inet_pton(AF_INET6, "::ffff:169.254.169.254", &v6.sin6_addr);
	assert_int_equal(upstream_refuses_address(any, (struct sockaddr *)&v6, sizeof(v6)), 1);
	assert_int_equal(upstream_refuses_address(listed, (struct sockaddr *)&v6, sizeof(v6)), 0);
	inet_pton(AF_INET6, "::ffff:169.254.0.7", &v6.sin6_addr);
	assert_int_equal(upstream_refuses_address(listed, (struct sockaddr *)&v6, sizeof(v6)), 1);
	inet_pton(AF_INET6, "::1", &v6.sin6_addr);
	assert_int_equal(upstream_refuses_address(any, (struct sockaddr *)&v6, sizeof(v6)), 0);
	inet_pton(AF_INET6, "fd00:ec2::255", &v6.sin6_addr);
	assert_int_equal(upstream_refuses_address(any, (struct sockaddr *)&v6, sizeof(v6)), 0);
	upstream_free(any);
	upstream_free(listed);
}

/* ---- excerpts ---- */

static void test_upstream_excerpt_redacts_secret_in_middle(void **state)
{
	struct conn c;
	struct buf body;
	char out[512];

	(void)state;
	memset(&c, 0, sizeof(c));
	c.bearer = (char *)"tok-123456";
	buf_init(&body, 1 << 20);
	assert_int_equal(buf_puts(&body, "invalid token tok-123456 given"), OK);
	upstream_excerpt(&c, &body, out, sizeof(out));
	assert_string_equal(out, "invalid token *** given");
	buf_free(&body);
}

static void test_upstream_excerpt_redacts_secret_straddling_cut(void **state)
{
	struct conn c;
	struct buf body;
	char out[512];
	size_t i;

	(void)state;
	memset(&c, 0, sizeof(c));
	c.basic_user = (char *)"alice";
	c.basic_pass = (char *)"hunter2-secret";
	buf_init(&body, 1 << 20);
	for (i = 0; i < UPSTREAM_EXCERPT_BYTES - 5; i++)
		assert_int_equal(buf_append(&body, "a", 1), OK);
	/* the secret starts 5 bytes before the cut and ends after it */
	assert_int_equal(buf_puts(&body, "hunter2-secret and more text after"), OK);
	upstream_excerpt(&c, &body, out, sizeof(out));
	assert_null(strstr(out, "hunt"));
	assert_non_null(strstr(out, "aaa***"));
	assert_string_equal(out + strlen(out) - 3, "...");
	assert_true(strlen(out) <= UPSTREAM_EXCERPT_BYTES + 3);
	buf_free(&body);
}

static void test_upstream_excerpt_redacts_several_secrets(void **state)
{
	struct header h[2] = {
		{ .name = (char *)"X-Scope-OrgID", .value = (char *)"tenant-42" },
		{ .name = (char *)"X-Api-Key", .value = (char *)"key-999" },
	};
	struct conn_aws aws;
	struct conn c;
	struct buf body;
	char out[512];

	(void)state;
	memset(&c, 0, sizeof(c));
	c.basic_user = (char *)"alice";
	c.basic_pass = (char *)"s3cr3t";
	c.bearer = (char *)"bear-1";
	c.headers = h;
	c.n_headers = 2;
	memset(&aws, 0, sizeof(aws));
	aws.key_id = (char *)"AKIDVISIBLE";
	aws.secret = (char *)"SECRETKEY";
	aws.token = (char *)"SESSIONTOKEN";
	aws.live.secret = (char *)"LIVESECRET";
	aws.live.token = (char *)"LIVETOKEN";
	c.aws = &aws;
	buf_init(&body, 1 << 20);
	assert_int_equal(buf_puts(&body, "p=s3cr3t b=bear-1 t=tenant-42 k=key-999 "
				  "a=AKIDVISIBLE s=SECRETKEY st=SESSIONTOKEN "
				  "ls=LIVESECRET lt=LIVETOKEN "
				  "hdr=Basic YWxpY2U6czNjcjN0 s3cr3ts3cr3t"), OK);
	upstream_excerpt(&c, &body, out, sizeof(out));
	assert_string_equal(out, "p=*** b=*** t=*** k=*** a=AKIDVISIBLE s=*** "
			    "st=*** ls=*** lt=*** hdr=Basic *** ***");
	buf_free(&body);
}

static void test_upstream_excerpt_escapes_control_bytes(void **state)
{
	struct buf body;
	char out[512];
	static const char text[] = "<html>\r\n\t<b>x\x01\x7f" "y</b>\n\n"
				   "caf\xc3\xa9 \xff!";

	(void)state;
	buf_init(&body, 1 << 20);
	assert_int_equal(buf_append(&body, text, sizeof(text) - 1), OK);
	upstream_excerpt(NULL, &body, out, sizeof(out));
	assert_string_equal(out, "<html> <b>x y</b> caf\xc3\xa9 ?!");
	buf_reset(&body);
	assert_int_equal(buf_puts(&body, "\n  404 page not found\n"), OK);
	upstream_excerpt(NULL, &body, out, sizeof(out));
	assert_string_equal(out, "404 page not found");
	buf_free(&body);
}

static void test_upstream_excerpt_cuts_and_fits_small_outputs(void **state)
{
	struct buf body;
	char out[16], big[1024];
	size_t i;

	(void)state;
	buf_init(&body, 1 << 20);
	for (i = 0; i < 1000; i++) {
		char digit = (char)('0' + i % 10);

		assert_int_equal(buf_append(&body, &digit, 1), OK);
	}
	upstream_excerpt(NULL, &body, out, sizeof(out));
	assert_string_equal(out, "012345678901...");
	upstream_excerpt(NULL, &body, big, sizeof(big));
	assert_int_equal(strlen(big), UPSTREAM_EXCERPT_BYTES + 3);
	upstream_excerpt(NULL, &body, out, 4);
	assert_string_equal(out, "");
	buf_reset(&body);
	upstream_excerpt(NULL, &body, big, sizeof(big));
	assert_string_equal(big, "");
	/* a UTF-8 character is not split at the cut */
	for (i = 0; i < UPSTREAM_EXCERPT_BYTES - 1; i++)
		assert_int_equal(buf_append(&body, "a", 1), OK);
	assert_int_equal(buf_puts(&body, "\xc3\xa9tail"), OK);
	upstream_excerpt(NULL, &body, big, sizeof(big));
	assert_int_equal(strlen(big), UPSTREAM_EXCERPT_BYTES - 1 + 3);
	buf_free(&body);
}

/* ---- transfers ---- */

static void test_upstream_run_returns_body_and_status(void **state)
{
	struct fixture *f = *state;
	struct upstream_call call;
	struct errinfo ei;
	char expect[128];

	assert_int_equal(run_one(f, "echo/x", &call, &ei), OK);
	assert_int_equal(call.status, 200);
	assert_true(strncmp(buf_cstr(&call.body), "conn=1\nGET /echo/x HTTP/1.1\r\n", 29) == 0);
	snprintf(expect, sizeof(expect), "User-Agent: prometheus-mirror/%s\r\n",
		 PACKAGE_VERSION);
	assert_non_null(strstr(buf_cstr(&call.body), expect));
	assert_non_null(strstr(buf_cstr(&call.body), "Accept-Encoding: "));
	assert_null(strstr(buf_cstr(&call.body), "Authorization"));
	upstream_call_free(&call);
	assert_true(upstream_take_seconds(f->u) > 0.0);
	assert_true(upstream_take_seconds(f->u) == 0.0);
}

static void test_upstream_run_appends_query(void **state)
{
	struct fixture *f = *state;
	struct upstream_call call;
	struct errinfo ei;

	memset(&ei, 0, sizeof(ei));
	upstream_call_init(&call, "echo");
	assert_int_equal(upstream_param(&call, "query", "up{a=\"b\"}"), OK);
	assert_int_equal(upstream_run(f->u, &f->conn, &call, 1, &ei), OK);
	assert_non_null(strstr(buf_cstr(&call.body),
			       "GET /echo?query=up%7Ba%3D%22b%22%7D HTTP/1.1"));
	upstream_call_free(&call);
}

static void test_upstream_run_does_not_follow_redirects(void **state)
{
	struct fixture *f = *state;
	struct upstream_call call;
	struct errinfo ei;

	assert_int_equal(run_one(f, "redirect", &call, &ei), OK);
	assert_int_equal(call.status, 302);
	assert_string_equal(buf_cstr(&call.body), "moved");
	upstream_call_free(&call);
}

static void test_upstream_run_returns_error_statuses(void **state)
{
	struct fixture *f = *state;
	struct upstream_call call;
	struct errinfo ei;

	assert_int_equal(run_one(f, "status/503", &call, &ei), OK);
	assert_int_equal(call.status, 503);
	assert_string_equal(buf_cstr(&call.body), "status 503");
	upstream_call_free(&call);
}

static void test_upstream_run_times_out(void **state)
{
	struct fixture *f = *state;
	struct upstream_call call;
	struct errinfo ei;

	f->conn.timeout_ms = 300;
	assert_int_equal(run_one(f, "hang", &call, &ei), ERR_TIMEOUT);
	assert_int_equal(ei.code, ERR_TIMEOUT);
	assert_string_equal(ei.details, "upstream timed out after 300 ms");
	assert_int_equal(ei.upstream_status, 0);
	assert_int_equal(call.status, 0);
	assert_int_equal(call.body.len, 0);
	upstream_call_free(&call);
}

static void test_upstream_run_closed_port_is_upstream_error(void **state)
{
	struct upstream *u = upstream_new("*");
	struct upstream_call call;
	struct errinfo ei;
	struct conn c;
	char url[64], expect[128];
	int port, fd = listen_loopback(&port);

	(void)state;
	close(fd);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", port);
	memset(&c, 0, sizeof(c));
	c.url = url;
	c.timeout_ms = 2000;
	memset(&ei, 0, sizeof(ei));
	ei.upstream_status = 99;
	upstream_call_init(&call, "api/v1/query");
	assert_int_equal(upstream_run(u, &c, &call, 1, &ei), ERR_UPSTREAM);
	snprintf(expect, sizeof(expect),
		 "cannot connect to 127.0.0.1:%d: Connection refused", port);
	assert_string_equal(ei.details, expect);
	assert_int_equal(ei.upstream_status, 0);
	upstream_call_free(&call);
	upstream_free(u);
}

static void test_upstream_run_refuses_reply_over_ceiling(void **state)
{
	struct fixture *f = *state;
	struct upstream_call call;
	struct errinfo ei;

	upstream_set_max_reply(f->u, 1000);
	assert_int_equal(run_one(f, "big", &call, &ei), ERR_UPSTREAM);
	assert_string_equal(ei.details, "upstream reply larger than 1000 bytes");
	upstream_call_free(&call);
	/* the worker goes on: the next call works */
	upstream_set_max_reply(f->u, 20000);
	assert_int_equal(run_one(f, "big", &call, &ei), OK);
	assert_int_equal(call.body.len, 10000);
	upstream_call_free(&call);
}

static void test_upstream_run_reuses_connection(void **state)
{
	struct fixture *f = *state;
	struct upstream_call call;
	struct errinfo ei;

	assert_int_equal(run_one(f, "echo/1", &call, &ei), OK);
	assert_true(strncmp(buf_cstr(&call.body), "conn=1\n", 7) == 0);
	upstream_call_free(&call);
	assert_int_equal(run_one(f, "echo/2", &call, &ei), OK);
	assert_true(strncmp(buf_cstr(&call.body), "conn=1\n", 7) == 0);
	upstream_call_free(&call);
}

static void test_upstream_run_sends_basic_auth(void **state)
{
	struct fixture *f = *state;
	struct upstream_call call;
	struct errinfo ei;

	f->conn.basic_user = (char *)"alice";
	f->conn.basic_pass = (char *)"s3cr3t";
	assert_int_equal(run_one(f, "echo", &call, &ei), OK);
	assert_non_null(strstr(buf_cstr(&call.body),
			       "\r\nAuthorization: Basic YWxpY2U6czNjcjN0\r\n"));
	upstream_call_free(&call);
}

static void test_upstream_run_sends_bearer_and_headers(void **state)
{
	struct fixture *f = *state;
	struct header h[2] = {
		{ .name = (char *)"X-Scope-OrgID", .value = (char *)"tenant-1" },
		{ .name = (char *)"X-Empty", .value = (char *)"" },
	};
	struct upstream_call call;
	struct errinfo ei;
	const char *b;

	f->conn.bearer = (char *)"tok-abc";
	f->conn.headers = h;
	f->conn.n_headers = 2;
	assert_int_equal(run_one(f, "echo", &call, &ei), OK);
	b = buf_cstr(&call.body);
	assert_non_null(strstr(b, "\r\nAuthorization: Bearer tok-abc\r\n"));
	assert_non_null(strstr(b, "\r\nX-Scope-OrgID: tenant-1\r\n"));
	assert_non_null(strstr(b, "\r\nX-Empty:"));
	upstream_call_free(&call);
}

static void test_upstream_run_refuses_header_injection(void **state)
{
	struct fixture *f = *state;
	struct header h[1] = {
		{ .name = (char *)"X-Scope-OrgID", .value = (char *)"a\r\nX-Evil: 1" },
	};
	struct upstream_call call;
	struct errinfo ei;

	f->conn.headers = h;
	f->conn.n_headers = 1;
	assert_int_equal(run_one(f, "echo", &call, &ei), ERR_BAD_REQUEST);
	assert_null(strstr(ei.details, "Evil"));
	upstream_call_free(&call);
	f->conn.n_headers = 0;
	f->conn.bearer = (char *)"tok\nX: y";
	assert_int_equal(run_one(f, "echo", &call, &ei), ERR_BAD_REQUEST);
	upstream_call_free(&call);
}

static void test_upstream_run_performs_calls_in_parallel(void **state)
{
	struct fixture *f = *state;
	struct upstream_call calls[3];
	struct errinfo ei;
	size_t i;

	memset(&ei, 0, sizeof(ei));
	upstream_call_init(&calls[0], "echo/a");
	upstream_call_init(&calls[1], "status/404");
	upstream_call_init(&calls[2], "echo/c");
	assert_int_equal(upstream_run(f->u, &f->conn, calls, 3, &ei), OK);
	assert_int_equal(calls[0].status, 200);
	assert_int_equal(calls[1].status, 404);
	assert_int_equal(calls[2].status, 200);
	assert_non_null(strstr(buf_cstr(&calls[0].body), "GET /echo/a "));
	assert_string_equal(buf_cstr(&calls[1].body), "status 404");
	assert_non_null(strstr(buf_cstr(&calls[2].body), "GET /echo/c "));
	for (i = 0; i < 3; i++)
		upstream_call_free(&calls[i]);

	/* one call that never answers fails them all, and bodies stay empty */
	f->conn.timeout_ms = 300;
	upstream_call_init(&calls[0], "echo/a");
	upstream_call_init(&calls[1], "hang");
	upstream_call_init(&calls[2], "echo/c");
	assert_int_equal(upstream_run(f->u, &f->conn, calls, 3, &ei), ERR_TIMEOUT);
	for (i = 0; i < 3; i++) {
		assert_int_equal(calls[i].body.len, 0);
		upstream_call_free(&calls[i]);
	}
	assert_string_equal(ei.details, "upstream timed out after 300 ms");
}

static void test_upstream_run_checks_allowlist(void **state)
{
	struct upstream *u = upstream_new("http://allowed:1");
	struct upstream_call call;
	struct errinfo ei;
	struct conn c;

	(void)state;
	memset(&c, 0, sizeof(c));
	c.url = (char *)"http://127.0.0.1:9";
	c.timeout_ms = 1000;
	memset(&ei, 0, sizeof(ei));
	upstream_call_init(&call, "api/v1/query");
	assert_int_equal(upstream_run(u, &c, &call, 1, &ei), ERR_FORBIDDEN);
	assert_string_equal(ei.details, "connectionDetails.url: http://127.0.0.1:9 "
			    "is not in MIRROR_ALLOWED_UPSTREAMS");
	c.url = (char *)"http://2852039166:1";
	upstream_free(u);
	u = upstream_new("*");
	assert_int_equal(upstream_run(u, &c, &call, 1, &ei), ERR_FORBIDDEN);
	upstream_call_free(&call);
	upstream_free(u);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_upstream_param_encodes_promql),
		cmocka_unit_test(test_upstream_param_encodes_spaces_utf8_and_names),
		cmocka_unit_test(test_upstream_allowed_matrix),
		cmocka_unit_test(test_upstream_allowed_message_names_origin_only),
		cmocka_unit_test(test_upstream_refuses_metadata_socket_addresses),
		cmocka_unit_test(test_upstream_excerpt_redacts_secret_in_middle),
		cmocka_unit_test(test_upstream_excerpt_redacts_secret_straddling_cut),
		cmocka_unit_test(test_upstream_excerpt_redacts_several_secrets),
		cmocka_unit_test(test_upstream_excerpt_escapes_control_bytes),
		cmocka_unit_test(test_upstream_excerpt_cuts_and_fits_small_outputs),
		cmocka_unit_test_setup_teardown(test_upstream_run_returns_body_and_status,
						setup_server, teardown_server),
		cmocka_unit_test_setup_teardown(test_upstream_run_appends_query,
						setup_server, teardown_server),
		cmocka_unit_test_setup_teardown(test_upstream_run_does_not_follow_redirects,
						setup_server, teardown_server),
		cmocka_unit_test_setup_teardown(test_upstream_run_returns_error_statuses,
						setup_server, teardown_server),
		cmocka_unit_test_setup_teardown(test_upstream_run_times_out,
						setup_server, teardown_server),
		cmocka_unit_test(test_upstream_run_closed_port_is_upstream_error),
		cmocka_unit_test_setup_teardown(test_upstream_run_refuses_reply_over_ceiling,
						setup_server, teardown_server),
		cmocka_unit_test_setup_teardown(test_upstream_run_reuses_connection,
						setup_server, teardown_server),
		cmocka_unit_test_setup_teardown(test_upstream_run_sends_basic_auth,
						setup_server, teardown_server),
		cmocka_unit_test_setup_teardown(test_upstream_run_sends_bearer_and_headers,
						setup_server, teardown_server),
		cmocka_unit_test_setup_teardown(test_upstream_run_refuses_header_injection,
						setup_server, teardown_server),
		cmocka_unit_test_setup_teardown(test_upstream_run_performs_calls_in_parallel,
						setup_server, teardown_server),
		cmocka_unit_test(test_upstream_run_checks_allowlist),
	};
	return cmocka_run_group_tests(tests, setup_group, teardown_group);
}
