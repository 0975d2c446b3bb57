/* test_gen_rwclient.c - the remote-write client against a tiny HTTP server
 * this test forks on 127.0.0.1 (port 0, reported through a pipe, stopped by
 * PID). The server answers from a script of canned replies and logs every
 * request it gets to a file, which the test reads once the server is
 * stopped: headers, the snappy body, which connection it came on. */
#define _GNU_SOURCE /* memmem */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <config.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include <curl/curl.h>
#include <snappy-c.h>

#include "generator/pbwrite.h"
#include "generator/rwclient.h"

/* A canned reply. status 0: close the connection without answering;
 * status -1: answer nothing and keep the connection open (a timeout). */
struct reply {
	int status;
	const char *headers;    /* extra header lines, each ending in \r\n */
	const char *body;
};

/* One logged request. */
struct req {
	int conn;               /* which accepted connection, from 0 */
	char head[4096];        /* request line and headers, NUL-terminated */
	unsigned char *body;
	size_t body_len;
};

struct server {
	pid_t pid;
	int port;
	char log[64];
	struct req reqs[16];
	size_t n_reqs;
};

static int write_all(int fd, const void *p, size_t n)
{
	const char *s = p;

	while (n) {
		ssize_t w = write(fd, s, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		s += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Case-insensitive search for a header name at a line start; returns the
 * value or NULL. */
static const char *header_value(const char *head, const char *name)
{
	size_t n = strlen(name);
	const char *p = head;

	while ((p = strstr(p, "\r\n")) != NULL) {
		p += 2;
		if (strncasecmp(p, name, n) == 0 && p[n] == ':') {
			p += n + 1;
			while (*p == ' ')
				p++;
			return p;
		}
	}
	return NULL;
}

/* The child: serves requests one connection at a time, logging each as
 * [conn u32][head len u32][head][body len u32][body] before answering. */
static void serve(int lfd, const char *log, const struct reply *replies,
		  size_t n_replies)
{
	size_t next = 0;
	int conn = 0, logfd;

	logfd = open(log, O_WRONLY | O_APPEND);
	if (logfd < 0)
		_exit(2);
	for (;; conn++) {
		int fd = accept(lfd, NULL, NULL);
		char buf[1 << 16];
		size_t have = 0;

		if (fd < 0)
			_exit(3);
		for (;;) {
			const struct reply *r;
			char *end = NULL, out[1024];
			const char *cl;
			size_t head_len, body_len = 0;
			uint32_t u;
			ssize_t got;
			int n;

			while (!(end = memmem(buf, have, "\r\n\r\n", 4))) {
				got = read(fd, buf + have, sizeof(buf) - have - 1);
				if (got <= 0)
					goto next_conn;
				have += (size_t)got;
			}
			head_len = (size_t)(end - buf) + 4;
			buf[head_len - 2] = '\0';
			cl = header_value(buf, "Content-Length");
			if (cl)
				body_len = strtoul(cl, NULL, 10);
			buf[head_len - 2] = '\r';
			if (head_len + body_len >= sizeof(buf))
				_exit(4);
			while (have < head_len + body_len) {
				got = read(fd, buf + have, sizeof(buf) - have - 1);
				if (got <= 0)
					goto next_conn;
				have += (size_t)got;
			}
			u = (uint32_t)conn;
			write_all(logfd, &u, 4);
			u = (uint32_t)head_len;
			write_all(logfd, &u, 4);
			write_all(logfd, buf, head_len);
			u = (uint32_t)body_len;
			write_all(logfd, &u, 4);
			write_all(logfd, buf + head_len, body_len);
			memmove(buf, buf + head_len + body_len,
				have - head_len - body_len);
			have -= head_len + body_len;

			r = &replies[next < n_replies ? next : n_replies - 1];
			next++;
			if (r->status == 0)
				goto next_conn;
			if (r->status < 0) {
				pause();
				_exit(0);
			}
			n = snprintf(out, sizeof(out), "HTTP/1.1 %d Canned\r\n"
				     "Content-Length: %zu\r\n%s\r\n%s",
				     r->status, strlen(r->body),
				     r->headers ? r->headers : "", r->body);
			if (n < 0 || (size_t)n >= sizeof(out) ||
			    write_all(fd, out, (size_t)n))
				goto next_conn;
		}
next_conn:
		close(fd);
	}
}

/* Forks the server with its script; the port comes back through a pipe. */
static void server_start(struct server *s, const struct reply *replies,
			 size_t n_replies)
{
	struct sockaddr_in sa = { 0 };
	socklen_t sl = sizeof(sa);
	int p[2], lfd, fd;

	memset(s, 0, sizeof(*s));
	snprintf(s->log, sizeof(s->log), "/tmp/test_gen_rwclient.XXXXXX");
	fd = mkstemp(s->log);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(pipe(p), 0);
	s->pid = fork();
	assert_true(s->pid >= 0);
	if (s->pid == 0) {
		int port;

#ifdef __linux__
		prctl(PR_SET_PDEATHSIG, SIGKILL);
#endif
		close(p[0]);
		lfd = socket(AF_INET, SOCK_STREAM, 0);
		sa.sin_family = AF_INET;
		sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		sa.sin_port = 0;
		if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) ||
		    listen(lfd, 8) ||
		    getsockname(lfd, (struct sockaddr *)&sa, &sl))
			_exit(1);
		port = ntohs(sa.sin_port);
		if (write_all(p[1], &port, sizeof(port)))
			_exit(1);
		close(p[1]);
		serve(lfd, s->log, replies, n_replies);
		_exit(0);
	}
	close(p[1]);
	assert_int_equal(read(p[0], &s->port, sizeof(s->port)),
			 (ssize_t)sizeof(s->port));
	close(p[0]);
}

static int read_u32(FILE *f, uint32_t *u)
{
	return fread(u, 4, 1, f) == 1;
}

/* Stops the server by PID, reaps it, and loads its log. */
static void server_stop(struct server *s)
{
	FILE *f;
	uint32_t u;

	kill(s->pid, SIGKILL);
	assert_int_equal(waitpid(s->pid, NULL, 0), s->pid);
	f = fopen(s->log, "rb");
	assert_non_null(f);
	while (s->n_reqs < 16 && read_u32(f, &u)) {
		struct req *r = &s->reqs[s->n_reqs++];

		r->conn = (int)u;
		assert_true(read_u32(f, &u));
		assert_true(u < sizeof(r->head));
		assert_int_equal(fread(r->head, 1, u, f), u);
		r->head[u] = '\0';
		assert_true(read_u32(f, &u));
		r->body_len = u;
		r->body = malloc(u ? u : 1);
		assert_non_null(r->body);
		assert_int_equal(fread(r->body, 1, u, f), u);
	}
	fclose(f);
	unlink(s->log);
}

static void server_free(struct server *s)
{
	size_t i;

	for (i = 0; i < s->n_reqs; i++)
		free(s->reqs[i].body);
}

static char *url_of(const struct server *s, char *out, size_t cap)
{
	snprintf(out, cap, "http://127.0.0.1:%d/api/v1/write", s->port);
	return out;
}

/* A small encoded WriteRequest to send. */
static void sample_request(struct buf *b)
{
	static const struct pb_label labels[] = {
		{ "__name__", "demo_temp" },
		{ "job", "a\"b\\c" },
	};
	static const struct pb_sample samples[] = {
		{ 20.5, 1767225600000LL },
		{ 21, 1767225615000LL },
	};
	static const struct pb_series series = { labels, 2, samples, 2 };

	buf_init(b, 1 << 16);
	assert_int_equal(pbwrite_request(b, &series, 1), OK);
}

/* Fast retries for tests. */
static const struct rwclient_opts fast = {
	.max_attempts = 4,
	.backoff_ms = 5,
	.backoff_max_ms = 20,
	.total_ms = 10000,
};

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void test_gen_rwclient_sends_headers_and_a_snappy_body(void **state)
{
	static const struct reply replies[] = { { 204, NULL, "" } };
	struct rwclient *c = NULL;
	struct errinfo ei = { 0 };
	struct server s;
	struct buf b;
	char url[128];
	size_t ulen = 0;
	char *plain;
	const char *v;

	(void)state;
	sample_request(&b);
	server_start(&s, replies, 1);
	assert_int_equal(rwclient_new(url_of(&s, url, sizeof(url)), 5000,
				      NULL, &c, &ei), OK);
	assert_int_equal(rwclient_send(c, b.data, b.len, &ei), OK);
	assert_int_equal(rwclient_last_attempts(c), 1);
	rwclient_free(c);
	server_stop(&s);

	assert_int_equal(s.n_reqs, 1);
	assert_true(strncmp(s.reqs[0].head, "POST /api/v1/write HTTP/1.1\r\n",
			    29) == 0);
	v = header_value(s.reqs[0].head, "Content-Encoding");
	assert_non_null(v);
	assert_true(strncmp(v, "snappy\r\n", 8) == 0);
	v = header_value(s.reqs[0].head, "Content-Type");
	assert_non_null(v);
	assert_true(strncmp(v, "application/x-protobuf\r\n", 24) == 0);
	v = header_value(s.reqs[0].head, "X-Prometheus-Remote-Write-Version");
	assert_non_null(v);
	assert_true(strncmp(v, "0.1.0\r\n", 7) == 0);
	v = header_value(s.reqs[0].head, "User-Agent");
	assert_non_null(v);
	assert_true(strncmp(v, "metrics-generator/" PACKAGE_VERSION "\r\n",
			    strlen("metrics-generator/" PACKAGE_VERSION) + 2) == 0);
	assert_null(header_value(s.reqs[0].head, "Expect"));

	/* the body is the request, snappy-compressed */
	assert_int_equal(snappy_uncompressed_length((const char *)s.reqs[0].body,
						    s.reqs[0].body_len, &ulen),
			 SNAPPY_OK);
	assert_int_equal(ulen, b.len);
	plain = malloc(ulen);
	assert_non_null(plain);
	assert_int_equal(snappy_uncompress((const char *)s.reqs[0].body,
					   s.reqs[0].body_len, plain, &ulen),
			 SNAPPY_OK);
	assert_memory_equal(plain, b.data, b.len);
	free(plain);
	server_free(&s);
	buf_free(&b);
}

static void test_gen_rwclient_keeps_the_connection_alive(void **state)
{
	static const struct reply replies[] = { { 200, NULL, "" } };
	struct rwclient *c = NULL;
	struct server s;
	struct buf b;
	char url[128];

	(void)state;
	sample_request(&b);
	server_start(&s, replies, 1);
	assert_int_equal(rwclient_new(url_of(&s, url, sizeof(url)), 5000,
				      &fast, &c, NULL), OK);
	assert_int_equal(rwclient_send(c, b.data, b.len, NULL), OK);
	assert_int_equal(rwclient_send(c, b.data, b.len, NULL), OK);
	assert_int_equal(rwclient_send(c, "", 0, NULL), OK);
	rwclient_free(c);
	server_stop(&s);
	assert_int_equal(s.n_reqs, 3);
	assert_int_equal(s.reqs[0].conn, 0);
	assert_int_equal(s.reqs[1].conn, 0);
	assert_int_equal(s.reqs[2].conn, 0);
	/* an empty request compresses to snappy's one-byte empty stream */
	assert_int_equal(s.reqs[2].body_len, 1);
	server_free(&s);
	buf_free(&b);
}

static void test_gen_rwclient_retries_503_then_succeeds(void **state)
{
	static const struct reply replies[] = {
		{ 503, NULL, "busy" },
		{ 503, NULL, "busy" },
		{ 204, NULL, "" },
	};
	struct rwclient *c = NULL;
	struct errinfo ei = { 0 };
	struct server s;
	struct buf b;
	char url[128];
	size_t i;

	(void)state;
	sample_request(&b);
	server_start(&s, replies, 3);
	assert_int_equal(rwclient_new(url_of(&s, url, sizeof(url)), 5000,
				      &fast, &c, &ei), OK);
	assert_int_equal(rwclient_send(c, b.data, b.len, &ei), OK);
	assert_int_equal(rwclient_last_attempts(c), 3);
	rwclient_free(c);
	server_stop(&s);
	assert_int_equal(s.n_reqs, 3);
	/* every attempt sends the same body */
	for (i = 1; i < 3; i++) {
		assert_int_equal(s.reqs[i].body_len, s.reqs[0].body_len);
		assert_memory_equal(s.reqs[i].body, s.reqs[0].body,
				    s.reqs[0].body_len);
	}
	server_free(&s);
	buf_free(&b);
}

static void test_gen_rwclient_honours_retry_after_on_429(void **state)
{
	static const struct reply replies[] = {
		{ 429, "Retry-After: 1\r\n", "slow down" },
		{ 204, NULL, "" },
	};
	struct rwclient *c = NULL;
	struct errinfo ei = { 0 };
	struct server s;
	struct buf b;
	char url[128];
	int64_t t0, dt;

	(void)state;
	sample_request(&b);
	server_start(&s, replies, 2);
	assert_int_equal(rwclient_new(url_of(&s, url, sizeof(url)), 5000,
				      &fast, &c, &ei), OK);
	t0 = mono_ms();
	assert_int_equal(rwclient_send(c, b.data, b.len, &ei), OK);
	dt = mono_ms() - t0;
	/* one second, not the 5 ms backoff */
	assert_true(dt >= 990);
	assert_true(dt < 5000);
	assert_int_equal(rwclient_last_attempts(c), 2);
	rwclient_free(c);
	server_stop(&s);
	assert_int_equal(s.n_reqs, 2);
	server_free(&s);
	buf_free(&b);
}

static void test_gen_rwclient_caps_retry_after(void **state)
{
	static const struct reply replies[] = {
		{ 429, "Retry-After: 3600\r\n", "" },
		{ 200, NULL, "" },
	};
	struct rwclient_opts o = fast;
	struct rwclient *c = NULL;
	struct server s;
	struct buf b;
	char url[128];
	int64_t t0, dt;

	(void)state;
	o.retry_after_max_ms = 150;
	sample_request(&b);
	server_start(&s, replies, 2);
	assert_int_equal(rwclient_new(url_of(&s, url, sizeof(url)), 5000,
				      &o, &c, NULL), OK);
	t0 = mono_ms();
	assert_int_equal(rwclient_send(c, b.data, b.len, NULL), OK);
	dt = mono_ms() - t0;
	assert_true(dt >= 140);
	assert_true(dt < 3000);
	rwclient_free(c);
	server_stop(&s);
	server_free(&s);
	buf_free(&b);
}

static void test_gen_rwclient_gives_up_on_400_with_the_message(void **state)
{
	static const struct reply replies[] = {
		{ 400, NULL, "out of order sample\n\x01\xff for series" },
		{ 204, NULL, "" },
	};
	struct rwclient *c = NULL;
	struct errinfo ei = { 0 };
	struct server s;
	struct buf b;
	char url[128];

	(void)state;
	sample_request(&b);
	server_start(&s, replies, 2);
	assert_int_equal(rwclient_new(url_of(&s, url, sizeof(url)), 5000,
				      &fast, &c, &ei), OK);
	assert_int_equal(rwclient_send(c, b.data, b.len, &ei), ERR_UPSTREAM);
	assert_int_equal(ei.code, ERR_UPSTREAM);
	assert_int_equal(ei.upstream_status, 400);
	assert_string_equal(ei.details, "remote write: rejected after 1 "
			    "attempt: HTTP 400: out of order sample ?? for "
			    "series");
	assert_int_equal(rwclient_last_attempts(c), 1);
	rwclient_free(c);
	server_stop(&s);
	assert_int_equal(s.n_reqs, 1);
	server_free(&s);
	buf_free(&b);
}

static void test_gen_rwclient_cuts_a_long_message(void **state)
{
	static char big[900];
	static const struct reply replies[] = { { 413, NULL, big } };
	struct rwclient *c = NULL;
	struct errinfo ei = { 0 };
	struct server s;
	char url[128];
	size_t n;

	(void)state;
	memset(big, 'x', sizeof(big) - 1);
	server_start(&s, replies, 1);
	assert_int_equal(rwclient_new(url_of(&s, url, sizeof(url)), 5000,
				      &fast, &c, &ei), OK);
	assert_int_equal(rwclient_send(c, "", 0, &ei), ERR_UPSTREAM);
	assert_int_equal(ei.upstream_status, 413);
	n = strlen(ei.details);
	assert_true(n < 300);
	assert_string_equal(ei.details + n - 4, "x...");
	rwclient_free(c);
	server_stop(&s);
	server_free(&s);
}

static void test_gen_rwclient_gives_up_after_the_attempts_on_500(void **state)
{
	static const struct reply replies[] = { { 500, NULL, "broken" } };
	struct rwclient *c = NULL;
	struct errinfo ei = { 0 };
	struct server s;
	struct buf b;
	char url[128];

	(void)state;
	sample_request(&b);
	server_start(&s, replies, 1);
	assert_int_equal(rwclient_new(url_of(&s, url, sizeof(url)), 5000,
				      &fast, &c, &ei), OK);
	assert_int_equal(rwclient_send(c, b.data, b.len, &ei), ERR_UPSTREAM);
	assert_int_equal(ei.upstream_status, 500);
	assert_string_equal(ei.details, "remote write: gave up after 4 "
			    "attempts: HTTP 500: broken");
	assert_int_equal(rwclient_last_attempts(c), 4);
	rwclient_free(c);
	server_stop(&s);
	assert_int_equal(s.n_reqs, 4);
	server_free(&s);
	buf_free(&b);
}

static void test_gen_rwclient_gives_up_when_out_of_time(void **state)
{
	static const struct reply replies[] = { { 502, NULL, "" } };
	struct rwclient_opts o = fast;
	struct rwclient *c = NULL;
	struct errinfo ei = { 0 };
	struct server s;
	char url[128];

	(void)state;
	o.max_attempts = 100;
	o.backoff_ms = 40;
	o.backoff_max_ms = 40;
	o.total_ms = 100;
	server_start(&s, replies, 1);
	assert_int_equal(rwclient_new(url_of(&s, url, sizeof(url)), 5000,
				      &o, &c, &ei), OK);
	assert_int_equal(rwclient_send(c, "", 0, &ei), ERR_UPSTREAM);
	assert_int_equal(ei.upstream_status, 502);
	assert_non_null(strstr(ei.details, "out of time"));
	assert_true(rwclient_last_attempts(c) >= 2);
	assert_true(rwclient_last_attempts(c) <= 3);
	rwclient_free(c);
	server_stop(&s);
	server_free(&s);
}

static void test_gen_rwclient_retries_transport_errors(void **state)
{
	static const struct reply replies[] = {
		{ 0, NULL, "" },        /* hang up without answering */
		{ 204, NULL, "" },
	};
	struct rwclient *c = NULL;
	struct errinfo ei = { 0 };
	struct server s;
	char url[128];

	(void)state;
	server_start(&s, replies, 2);
	assert_int_equal(rwclient_new(url_of(&s, url, sizeof(url)), 5000,
				      &fast, &c, &ei), OK);
	assert_int_equal(rwclient_send(c, "", 0, &ei), OK);
	assert_int_equal(rwclient_last_attempts(c), 2);
	rwclient_free(c);
	server_stop(&s);
	assert_int_equal(s.n_reqs, 2);
	assert_int_equal(s.reqs[1].conn, 1);
	server_free(&s);
}

static void test_gen_rwclient_gives_up_on_a_closed_port(void **state)
{
	struct sockaddr_in sa = { 0 };
	socklen_t sl = sizeof(sa);
	struct rwclient *c = NULL;
	struct errinfo ei = { 0 };
	char url[128];
	int fd;

	(void)state;
	/* a port that was free a moment ago and is closed now */
	fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
	close(fd);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/api/v1/write",
		 ntohs(sa.sin_port));
	assert_int_equal(rwclient_new(url, 2000, &fast, &c, &ei), OK);
	assert_int_equal(rwclient_send(c, "", 0, &ei), ERR_UPSTREAM);
	assert_int_equal(ei.upstream_status, 0);
	assert_int_equal(rwclient_last_attempts(c), 4);
	assert_non_null(strstr(ei.details, "gave up after 4 attempts"));
	rwclient_free(c);
}

static void test_gen_rwclient_times_out(void **state)
{
	static const struct reply replies[] = { { -1, NULL, "" } };
	struct rwclient_opts o = fast;
	struct rwclient *c = NULL;
	struct errinfo ei = { 0 };
	struct server s;
	char url[128];

	(void)state;
	o.max_attempts = 1;
	server_start(&s, replies, 1);
	assert_int_equal(rwclient_new(url_of(&s, url, sizeof(url)), 200,
				      &o, &c, &ei), OK);
	assert_int_equal(rwclient_send(c, "", 0, &ei), ERR_TIMEOUT);
	assert_int_equal(ei.code, ERR_TIMEOUT);
	rwclient_free(c);
	server_stop(&s);
	server_free(&s);
}

static void test_gen_rwclient_does_not_follow_redirects(void **state)
{
	static const struct reply replies[] = {
		{ 307, "Location: http://127.0.0.1:1/elsewhere\r\n", "" },
	};
	struct rwclient *c = NULL;
	struct errinfo ei = { 0 };
	struct server s;
	char url[128];

	(void)state;
	server_start(&s, replies, 1);
	assert_int_equal(rwclient_new(url_of(&s, url, sizeof(url)), 5000,
				      &fast, &c, &ei), OK);
	assert_int_equal(rwclient_send(c, "", 0, &ei), ERR_UPSTREAM);
	assert_int_equal(ei.upstream_status, 307);
	assert_int_equal(rwclient_last_attempts(c), 1);
	rwclient_free(c);
	server_stop(&s);
	assert_int_equal(s.n_reqs, 1);
	server_free(&s);
}

static void test_gen_rwclient_takes_only_http_urls(void **state)
{
	static const char *const bad[] = {
		"ftp://127.0.0.1/x", "file:///etc/passwd", "127.0.0.1:9090",
		"gopher://x", "",
	};
	static const char *const bad_headers[] = { "X-A: 1\r\nX-B: 2", NULL };
	struct rwclient_opts o = fast;
	struct rwclient *c = NULL;
	struct errinfo ei = { 0 };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(rwclient_new(bad[i], 0, NULL, &c, &ei),
				 ERR_BAD_REQUEST);
		assert_null(c);
	}
	assert_int_equal(rwclient_new(NULL, 0, NULL, &c, &ei), ERR_BAD_REQUEST);
	o.headers = bad_headers;
	assert_int_equal(rwclient_new("http://127.0.0.1:1/", 0, &o, &c, &ei),
			 ERR_BAD_REQUEST);
	assert_null(c);
	assert_int_equal(rwclient_new("HTTPS://127.0.0.1:1/", 0, NULL, &c,
				      &ei), OK);
	rwclient_free(c);
	rwclient_free(NULL);
	assert_int_equal(rwclient_last_attempts(NULL), 0);
}

/* The signing hook: records its calls and adds a header per attempt. */
struct signer {
	int calls;
	size_t last_len;
	enum err fail;
};

static enum err sign(void *arg, const char *method, const char *url,
		     const void *body, size_t len, struct strlist *headers,
		     struct errinfo *ei)
{
	struct signer *sg = arg;
	char h[64];
	int n;

	assert_string_equal(method, "POST");
	assert_non_null(strstr(url, "/api/v1/write"));
	assert_non_null(body);
	if (sg->fail)
		return err_set(ei, sg->fail, "no credentials");
	sg->calls++;
	sg->last_len = len;
	n = snprintf(h, sizeof(h), "Authorization: Test call=%d len=%zu",
		     sg->calls, len);
	return strlist_push(headers, h, (size_t)n);
}

static void test_gen_rwclient_signs_every_attempt(void **state)
{
	static const struct reply replies[] = {
		{ 503, NULL, "" },
		{ 204, NULL, "" },
	};
	static const char *const extra[] = { "X-Scope-OrgID: demo", NULL };
	struct signer sg = { 0 };
	struct rwclient_opts o = fast;
	struct rwclient *c = NULL;
	struct errinfo ei = { 0 };
	struct server s;
	struct buf b;
	char url[128], want[64];
	const char *v;

	(void)state;
	o.sign = sign;
	o.sign_arg = &sg;
	o.headers = extra;
	sample_request(&b);
	server_start(&s, replies, 2);
	assert_int_equal(rwclient_new(url_of(&s, url, sizeof(url)), 5000,
				      &o, &c, &ei), OK);
	assert_int_equal(rwclient_send(c, b.data, b.len, &ei), OK);
	rwclient_free(c);
	server_stop(&s);
	assert_int_equal(sg.calls, 2);
	assert_int_equal(s.n_reqs, 2);
	/* the signer saw the compressed body that went out */
	assert_int_equal(sg.last_len, s.reqs[1].body_len);
	v = header_value(s.reqs[1].head, "Authorization");
	assert_non_null(v);
	snprintf(want, sizeof(want), "Test call=2 len=%zu\r\n", sg.last_len);
	assert_true(strncmp(v, want, strlen(want)) == 0);
	v = header_value(s.reqs[0].head, "X-Scope-OrgID");
	assert_non_null(v);
	assert_true(strncmp(v, "demo\r\n", 6) == 0);
	assert_non_null(header_value(s.reqs[1].head, "Content-Encoding"));
	server_free(&s);
	buf_free(&b);
}

static void test_gen_rwclient_signing_error_sends_nothing(void **state)
{
	struct signer sg = { .fail = ERR_CREDENTIALS };
	struct rwclient_opts o = fast;
	struct rwclient *c = NULL;
	struct errinfo ei = { 0 };

	(void)state;
	o.sign = sign;
	o.sign_arg = &sg;
	/* nothing listens on port 1: a request would be a transport error */
	assert_int_equal(rwclient_new("http://127.0.0.1:1/api/v1/write", 1000,
				      &o, &c, &ei), OK);
	assert_int_equal(rwclient_send(c, "", 0, &ei), ERR_CREDENTIALS);
	assert_string_equal(ei.details, "no credentials");
	assert_int_equal(rwclient_last_attempts(c), 0);
	rwclient_free(c);
}

static void test_gen_rwclient_stop_flag_ends_the_retries(void **state)
{
	static const struct reply replies[] = { { 503, NULL, "" } };
	static volatile sig_atomic_t stop = 1;
	struct rwclient_opts o = fast;
	struct rwclient *c = NULL;
	struct errinfo ei = { 0 };
	struct server s;
	char url[128];

	(void)state;
	o.stop = &stop;
	server_start(&s, replies, 1);
	assert_int_equal(rwclient_new(url_of(&s, url, sizeof(url)), 5000,
				      &o, &c, &ei), OK);
	/* the attempt in flight is made; no retry follows */
	assert_int_equal(rwclient_send(c, "", 0, &ei), ERR_UPSTREAM);
	assert_int_equal(rwclient_last_attempts(c), 1);
	assert_non_null(strstr(ei.details, "stopped"));
	rwclient_free(c);
	server_stop(&s);
	assert_int_equal(s.n_reqs, 1);
	server_free(&s);
}

static int setup(void **state)
{
	(void)state;
	signal(SIGPIPE, SIG_IGN);
	return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	curl_global_cleanup();
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gen_rwclient_sends_headers_and_a_snappy_body),
		cmocka_unit_test(test_gen_rwclient_keeps_the_connection_alive),
		cmocka_unit_test(test_gen_rwclient_retries_503_then_succeeds),
		cmocka_unit_test(test_gen_rwclient_honours_retry_after_on_429),
		cmocka_unit_test(test_gen_rwclient_caps_retry_after),
		cmocka_unit_test(test_gen_rwclient_gives_up_on_400_with_the_message),
		cmocka_unit_test(test_gen_rwclient_cuts_a_long_message),
		cmocka_unit_test(test_gen_rwclient_gives_up_after_the_attempts_on_500),
		cmocka_unit_test(test_gen_rwclient_gives_up_when_out_of_time),
		cmocka_unit_test(test_gen_rwclient_retries_transport_errors),
		cmocka_unit_test(test_gen_rwclient_gives_up_on_a_closed_port),
		cmocka_unit_test(test_gen_rwclient_times_out),
		cmocka_unit_test(test_gen_rwclient_does_not_follow_redirects),
		cmocka_unit_test(test_gen_rwclient_takes_only_http_urls),
		cmocka_unit_test(test_gen_rwclient_signs_every_attempt),
		cmocka_unit_test(test_gen_rwclient_signing_error_sends_nothing),
		cmocka_unit_test(test_gen_rwclient_stop_flag_ends_the_retries),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
