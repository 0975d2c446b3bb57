/* upstream.h - HTTP calls to the Prometheus-compatible backend with libcurl:
 * http/https only, no redirects, TLS verified unless told otherwise, the
 * request's timeout, bounded replies, connections kept alive across the
 * requests a worker serves, several calls in parallel. */
#ifndef MIRROR_UPSTREAM_H
#define MIRROR_UPSTREAM_H

#include <stddef.h>

#include "common/buf.h"
#include "mirror/request.h"

/* Replies larger than this are refused (502): a guard for the worker's
 * memory, far above what MIRROR_MAX_POINTS lets through. */
#define UPSTREAM_MAX_REPLY_BYTES ((size_t)512 << 20)

/* How much of a reply body upstream_excerpt shows, in bytes. */
#define UPSTREAM_EXCERPT_BYTES 300

struct sockaddr;

struct upstream;

/* One GET: base URL + "/" + path + "?" + query. */
struct upstream_call {
	const char *path;       /* e.g. "api/v1/query"; may contain an escaped label name */
	struct buf query;       /* built with upstream_param; may be empty */
	long status;            /* set by upstream_run: the HTTP status */
	struct buf body;        /* set by upstream_run: the reply body */
};

/* upstream_new: one per worker; allowed is MIRROR_ALLOWED_UPSTREAMS.
 * Returns NULL when memory or libcurl fails. Free with upstream_free. */
struct upstream *upstream_new(const char *allowed);
void upstream_free(struct upstream *u);

/* upstream_allowed: OK when url may be called under the allowlist, else
 * ERR_FORBIDDEN with details. Cloud metadata addresses (169.254.0.0/16,
 * fd00:ec2::254) are refused unless a list entry names them; that is checked
 * again on the resolved address when connecting. A url that is not
 * http(s)://host[:port][/path], or that carries user:password@ or a "." or
 * ".." path segment, is ERR_BAD_REQUEST (its text is never echoed).
 * upstream_run checks this too. */
enum err upstream_allowed(const struct upstream *u, const char *url,
			  struct errinfo *ei);

/* upstream_call_init / upstream_call_free: prepare and release a call. */
void upstream_call_init(struct upstream_call *call, const char *path);
void upstream_call_free(struct upstream_call *call);

/* upstream_param: appends name=value to call->query, percent-encoding both. */
enum err upstream_param(struct upstream_call *call, const char *name,
			const char *value);

/* upstream_run: performs calls[0..n) in parallel against conn (auth headers,
 * TLS options, timeout). Fills each call's status and body. Returns OK when
 * every call got an HTTP answer (any status); ERR_TIMEOUT (504) or
 * ERR_UPSTREAM (502) for transport failures, ERR_FORBIDDEN for a refused
 * address; details carry no secret. */
enum err upstream_run(struct upstream *u, const struct conn *conn,
		      struct upstream_call *calls, size_t n,
		      struct errinfo *ei);

/* upstream_excerpt: appends a short, printable excerpt of a reply body to
 * out with every secret of conn replaced by "***". */
void upstream_excerpt(const struct conn *conn, const struct buf *body,
		      char *out, size_t outsz);

/* upstream_excerpt_text: upstream_excerpt for any text s[0..n) (s may be
 * NULL when n is 0): at most max bytes of it, secrets of conn (which may be
 * NULL) found in the whole text first and replaced by "***", control bytes
 * and runs of blanks as one space (none leading or trailing), invalid
 * UTF-8 as '?', "..." when cut.
 * Always writes a NUL-terminated string into out (empty when outsz < 8 or
 * memory runs out). */
void upstream_excerpt_text(const struct conn *conn, const char *s, size_t n,
			   size_t max, char *out, size_t outsz);

/* upstream_refuses_address: 1 when the address a connection is about to be
 * opened to (len bytes at sa) is a cloud metadata address that the
 * allowlist does not name explicitly, else 0. Exported for the unit tests;
 * upstream_run applies it to every socket it opens. */
int upstream_refuses_address(const struct upstream *u,
			     const struct sockaddr *sa, size_t len);

/* upstream_set_max_reply: lowers (or raises) the ceiling on one reply body
 * from UPSTREAM_MAX_REPLY_BYTES; for tests. */
void upstream_set_max_reply(struct upstream *u, size_t max);

/* upstream_take_seconds: time spent in upstream_run since the last call of
 * this function (for the request log). */
double upstream_take_seconds(struct upstream *u);

#endif
