/* sigv4.h - AWS Signature Version 4 (OpenSSL SHA-256 and HMAC-SHA256) for
 * one HTTP request: canonical request, string to sign, signing key, and the
 * headers that carry the result. Pure functions, no I/O: the mirror's
 * upstream calls, STS calls and the generator's remote write all sign
 * here. */
#ifndef AWS_SIGV4_H
#define AWS_SIGV4_H

#include <stddef.h>
#include <time.h>

#include "aws/creds.h"
#include "common/buf.h"
#include "common/err.h"
#include "common/strlist.h"

/* One request to sign. */
struct sigv4_request {
	const char *method;        /* "GET", "POST", ... */
	const char *url;           /* absolute http(s) URL as it will be sent;
				    * its query, if any, percent-encoded (any
				    * encoding: names and values are decoded
				    * and re-encoded for the canonical form) */
	const void *body;          /* the exact body, or NULL */
	size_t body_len;
	const char *const *headers; /* extra "Name: value" lines to sign and
				    * send (Content-Type, ...), NULL-ended;
				    * may be NULL */
	int content_sha256;        /* 1: also send and sign
				    * x-amz-content-sha256 (POST bodies) */
};

/* sigv4_sign: signs rq with c for region and service at time now (UTC).
 * Appends to out, as "Name: value" lines in this order: "Host: " (the
 * URL's host, with its port when the URL names one), "X-Amz-Date: ",
 * "X-Amz-Security-Token: " when c has a token, "X-Amz-Content-Sha256: "
 * when asked, then "Authorization: AWS4-HMAC-SHA256 Credential=...,
 * SignedHeaders=..., Signature=...". The caller sends exactly these headers
 * (plus rq->headers) and no other Host. Signed headers: host, x-amz-date,
 * x-amz-security-token, x-amz-content-sha256 and rq->headers, lowercased
 * and sorted. Returns OK, ERR_BAD_REQUEST for a URL it cannot sign (not
 * http(s), no host, a malformed %-escape), or ERR_NOMEM; on failure out
 * keeps what it had. Secrets pass only through wiped temporaries. */
enum err sigv4_sign(const struct sigv4_request *rq, const struct creds *c,
		    const char *region, const char *service, time_t now,
		    struct strlist *out, struct errinfo *ei);

/* The steps, exported for the unit tests (AWS's published examples). */

/* sigv4_canonical_path: the canonical URI of a URL path (as sent, still
 * percent-encoded): "" becomes "/", empty segments collapse, every segment
 * is decoded and encoded again as RFC 3986 unreserved, then encoded once
 * more (non-S3 services; "%" becomes "%25"). Appends to out. */
enum err sigv4_canonical_path(const char *path, size_t len, struct buf *out);

/* sigv4_canonical_query: the canonical query string of query[0..len) (as
 * sent, without "?"): each name and value decoded ("+" stays "+") and
 * encoded again (unreserved A-Z a-z 0-9 - _ . ~ kept, everything else
 * %XX with uppercase hex, space as %20), a missing "=" as an empty value,
 * pairs sorted by name then value. Appends to out; ERR_BAD_REQUEST for a
 * malformed escape. */
enum err sigv4_canonical_query(const char *query, size_t len, struct buf *out);

/* sigv4_canonical_request: the whole canonical request of rq as it would
 * be signed at now, with the headers sigv4_sign would add (a token's only
 * when token is non-NULL). Appends to out. */
enum err sigv4_canonical_request(const struct sigv4_request *rq,
				 const char *token, time_t now,
				 struct buf *out);

/* sigv4_encode: appends s[0..len) encoded as RFC 3986 unreserved (space as
 * %20, uppercase hex): what the mirror sends in query strings too. */
enum err sigv4_encode(const char *s, size_t len, struct buf *out);

/* sigv4_amz_date: "YYYYMMDDTHHMMSSZ" of now (UTC) into out[17]. */
void sigv4_amz_date(time_t now, char out[17]);

#endif
