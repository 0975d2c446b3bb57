/* fcgi.c - the request body and status lines of both FastCGI responders;
 * see fcgi.h. */
#include <errno.h>
#include <stdlib.h>

#include "common/fcgi.h"

/* Every status either responder answers with; one row per status. */
static const struct {
	int code;
	const char *reason;
} reasons[] = {
	{ 200, "OK" }, { 201, "Created" }, { 204, "No Content" },
	{ 400, "Bad Request" }, { 401, "Unauthorized" }, { 403, "Forbidden" },
	{ 404, "Not Found" }, { 405, "Method Not Allowed" }, { 409, "Conflict" },
	{ 413, "Payload Too Large" }, { 500, "Internal Server Error" },
	{ 502, "Bad Gateway" }, { 503, "Service Unavailable" },
	{ 504, "Gateway Timeout" },
};

const char *fcgi_reason(int code)
{
	size_t i;

	for (i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
		if (reasons[i].code == code)
			return reasons[i].reason;
	return "Status";
}

enum err fcgi_read_body(FCGX_Request *req, size_t max, const char *what,
			struct buf *body, struct errinfo *ei)
{
	const char *cl = FCGX_GetParam("CONTENT_LENGTH", req->envp);
	char chunk[16384];
	long long want;
	char *end;
	size_t got = 0;

	if (!cl || !*cl)
		return OK;
	errno = 0;
	want = strtoll(cl, &end, 10);
	if (errno || end == cl || *end || want < 0)
		return err_set(ei, ERR_BAD_REQUEST, "CONTENT_LENGTH: not a length");
	if ((unsigned long long)want > max)
		return err_set(ei, ERR_TOO_LARGE,
			       "the request body is %lld bytes; %s is %zu", want, what, max);
	while (got < (size_t)want) {
		size_t ask = (size_t)want - got;
		int n;

		if (ask > sizeof(chunk))
			ask = sizeof(chunk);
		n = FCGX_GetStr(chunk, (int)ask, req->in);
		if (n <= 0)
			return err_set(ei, ERR_BAD_REQUEST,
				       "the request body ended after %zu of %lld bytes", got, want);
		if (buf_append(body, chunk, (size_t)n))
			return err_set(ei, ERR_NOMEM, "out of memory reading the body");
		got += (size_t)n;
	}
	return OK;
}
