/* serve.c - one FastCGI request from accept to log line: the body is read
 * against MIRROR_MAX_BODY_BYTES, the exchange is dispatched, the answer is
 * written with the headers every answer carries, and one line is logged. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/fcgi.h"
#include "common/log.h"
#include "mirror/errors.h"
#include "mirror/serve.h"

static double now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* request_path: the path the route table is matched against: DOCUMENT_URI
 * (nginx), else SCRIPT_NAME + PATH_INFO, else REQUEST_URI without its query. */
static const char *request_path(FCGX_Request *req, char *tmp, size_t tmpsz)
{
	const char *p = FCGX_GetParam("DOCUMENT_URI", req->envp);
	const char *script, *info;

	if (p && *p)
		return p;
	script = FCGX_GetParam("SCRIPT_NAME", req->envp);
	info = FCGX_GetParam("PATH_INFO", req->envp);
	if ((script && *script) || (info && *info)) {
		snprintf(tmp, tmpsz, "%s%s", script ? script : "", info ? info : "");
		return tmp;
	}
	p = FCGX_GetParam("REQUEST_URI", req->envp);
	if (p && *p) {
		size_t n = strcspn(p, "?");

		snprintf(tmp, tmpsz, "%.*s", (int)(n < tmpsz ? n : tmpsz - 1), p);
		return tmp;
	}
	return "/";
}

/* request_id: the web server's id for the request (nginx $request_id passed
 * as REQUEST_ID, or an X-Request-Id header), else one made here. */
static const char *request_id(FCGX_Request *req, char *tmp, size_t tmpsz)
{
	static unsigned long counter;
	const char *id = FCGX_GetParam("REQUEST_ID", req->envp);

	if (!id || !*id)
		id = FCGX_GetParam("HTTP_X_REQUEST_ID", req->envp);
	if (id && *id) {
		snprintf(tmp, tmpsz, "%.64s", id);
		return tmp;
	}
	snprintf(tmp, tmpsz, "%ld-%lu", (long)getpid(), ++counter);
	return tmp;
}

void serve_request(struct worker *w, FCGX_Request *req)
{
	struct exchange x;
	struct buf body, head;
	char pathbuf[2048], idbuf[80];
	const char *method = FCGX_GetParam("REQUEST_METHOD", req->envp);
	double t0 = now_seconds(), upstream_s;
	size_t out_max;
	enum err rc;

	memset(&x, 0, sizeof(x));
	/* room for MIRROR_MAX_POINTS points of a raw or aggregated answer */
	out_max = w->cfg->max_points > SIZE_MAX / 96 ? SIZE_MAX
		  : ((size_t)64 << 20) + w->cfg->max_points * 96;
	buf_init(&x.out, out_max);
	buf_init(&body, w->cfg->max_body_bytes);
	x.method = method ? method : "GET";
	x.path = request_path(req, pathbuf, sizeof(pathbuf));
	rc = fcgi_read_body(req, w->cfg->max_body_bytes, "MIRROR_MAX_BODY_BYTES",
			    &body, &x.ei);
	if (rc) {
		x.endpoint = "read";
		x.status = errors_status(rc);
		x.content_type = "application/json";
		if (errors_body(&x.ei, &x.out))
			x.status = 500;
	} else {
		x.body = buf_cstr(&body);
		x.body_len = body.len;
		route_dispatch(w, &x);
	}
	/* libfcgi's own printf lacks C99 length modifiers: format here */
	buf_init(&head, 4096 + strlen(w->cfg->api_key));
	buf_printf(&head, "Status: %d %s\r\nContent-Type: %s\r\n"
		   "X-MIRROR-API-KEY: %s\r\nContent-Length: %zu\r\n",
		   x.status, fcgi_reason(x.status), x.content_type, w->cfg->api_key,
		   x.out.len);
	if (x.allow)
		buf_printf(&head, "Allow: %s\r\n", x.allow);
	buf_puts(&head, "\r\n");
	FCGX_PutStr(buf_cstr(&head), (int)head.len, req->out);
	buf_free(&head);
	for (size_t off = 0; off < x.out.len;) {
		/* FCGX_PutStr takes an int length */
		size_t part = x.out.len - off > (1u << 30) ? (1u << 30) : x.out.len - off;

		if (FCGX_PutStr(buf_cstr(&x.out) + off, (int)part, req->out) < 0)
			break;
		off += part;
	}

	upstream_s = upstream_take_seconds(w->up);
	log_msg(x.status >= 500 ? LOG_WARN : LOG_INFO,
		"request id=%s endpoint=%s method=%.16s status=%d duration_ms=%.1f "
		"upstream_ms=%.1f error=%s",
		request_id(req, idbuf, sizeof(idbuf)), x.endpoint, x.method, x.status,
		(now_seconds() - t0) * 1000.0, upstream_s * 1000.0,
		x.status >= 400 ? err_name(x.ei.code) : "-");
	buf_free(&x.out);
	buf_free(&body);
}
