/* rwclient.h - a Prometheus remote-write client: snappy-compresses an encoded
 * WriteRequest (see pbwrite.h) and POSTs it over one kept-alive connection,
 * retrying with exponential backoff what may succeed later (5xx, 429,
 * transport errors) and giving up at once on the rest. */
#ifndef GENERATOR_RWCLIENT_H
#define GENERATOR_RWCLIENT_H

#include <signal.h>
#include <stddef.h>

#include "common/err.h"
#include "common/strlist.h"

struct rwclient;

/* The signing hook (SigV4 for Amazon Managed Prometheus comes later):
 * called before every attempt, retries included, so that a signature's
 * date stays fresh. It gets the method ("POST"), the URL and the exact body
 * that will be sent (snappy-compressed, len bytes), and appends whole header
 * lines ("Authorization: ...", "X-Amz-Date: ...") to headers with
 * strlist_push; they are sent after the fixed headers (Content-Encoding:
 * snappy, Content-Type: application/x-protobuf,
 * X-Prometheus-Remote-Write-Version: 0.1.0, User-Agent and opts->headers).
 * arg is opts->sign_arg. Returns OK, or an error with ei filled, which ends
 * the send at once (no request is made, no retry). */
typedef enum err (*rwclient_sign_fn)(void *arg, const char *method,
				     const char *url, const void *body,
				     size_t len, struct strlist *headers,
				     struct errinfo *ei);

/* Options; zero fields take the defaults in brackets. */
struct rwclient_opts {
	unsigned max_attempts;          /* attempts per send, first included [5] */
	long backoff_ms;                /* wait before the 2nd attempt, doubling [100] */
	long backoff_max_ms;            /* cap on one wait [5000] */
	long total_ms;                  /* no new attempt once the send has taken,
					 * or would after the wait, longer [60000] */
	long retry_after_max_ms;        /* cap on a server's Retry-After [30000] */
	const char *const *headers;     /* extra "Name: value" lines, NULL-ended
					 * (tenant ids); copied */
	const char *ca_file;            /* PEM bundle for https; NULL: system's */
	rwclient_sign_fn sign;          /* NULL: requests are not signed */
	void *sign_arg;
	const volatile sig_atomic_t *stop; /* when non-NULL and set (SIGTERM), no
					 * new attempt starts; the one in flight
					 * finishes */
};

/* rwclient_new: a client for url (http:// or https:// only; redirects are
 * not followed) with timeout_ms per attempt (0: 30000) and opts (NULL: all
 * defaults; copied, except sign_arg and stop, which must outlive the
 * client). Returns OK and *out (free with rwclient_free), or
 * ERR_BAD_REQUEST for a URL of another scheme or a header line with a
 * control byte, or ERR_NOMEM / ERR_INTERNAL. */
enum err rwclient_new(const char *url, long timeout_ms,
		      const struct rwclient_opts *opts, struct rwclient **out,
		      struct errinfo *ei);

/* rwclient_send: compresses proto[0..len) and POSTs it. Returns OK once
 * the server answers 2xx. Otherwise, with ei filled: ERR_UPSTREAM (with
 * ei->upstream_status and a printable excerpt of the server's answer) for
 * a 3xx or a 4xx other than 429, at once, or for a 5xx, a 429 or a
 * transport error still failing when the attempts, the total time or the
 * stop flag say to give up; ERR_TIMEOUT when the last attempt timed out;
 * ERR_TOO_LARGE for a body snappy cannot take; ERR_NOMEM; or what the
 * signing hook returned. */
enum err rwclient_send(struct rwclient *c, const void *proto, size_t len,
		       struct errinfo *ei);

/* rwclient_last_attempts: how many requests the last send made (0 before
 * any; 0 when it failed before the first, as on a signing error). */
unsigned rwclient_last_attempts(const struct rwclient *c);

/* rwclient_free: closes the connection and frees the client; NULL is fine. */
void rwclient_free(struct rwclient *c);

#endif
