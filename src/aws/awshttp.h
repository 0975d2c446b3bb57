/* awshttp.h - one HTTP exchange for the credential sources (STS, ECS, EC2
 * metadata): libcurl easy handle, no redirects, bounded reply, bounded
 * time. Not for upstream calls (those go through mirror/upstream.c and its
 * allowlist): these addresses come from the process environment, never
 * from a request. */
#ifndef AWS_AWSHTTP_H
#define AWS_AWSHTTP_H

#include <stddef.h>

#include "common/buf.h"
#include "common/err.h"

/* Replies larger than this are refused. */
#define AWSHTTP_MAX_REPLY ((size_t)1 << 20)

struct awshttp_request {
	const char *method;         /* "GET", "POST", "PUT" */
	const char *url;            /* http:// or https:// only */
	const char *const *headers; /* "Name: value" lines, NULL-ended, or NULL */
	const char *body;           /* POST/PUT body, or NULL */
	size_t body_len;
	long timeout_ms;            /* whole exchange, connect included */
	const char *what;           /* names the service in errors ("STS") */
};

/* awshttp_do: performs rq. Returns OK with *status and reply (appended;
 * the caller frees) whatever the HTTP status, or ERR_CREDENTIALS with
 * details "<what>: cannot connect to host:port: ..." / "<what>: timed out
 * after N ms" / ... (the URL's host and port only, never its path or
 * query), or ERR_NOMEM. */
enum err awshttp_do(const struct awshttp_request *rq, long *status,
		    struct buf *reply, struct errinfo *ei);

#endif
