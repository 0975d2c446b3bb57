/* request.c - checking a Mirror API request body (spec section 3) and
 * turning it into a struct request. Every field is hostile until its type,
 * range and length are checked; an error names the field by its full path
 * and never quotes a secret. See request.h. */
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

#include "common/jsonw.h"
#include "mirror/promql.h"
#include "mirror/request.h"

#define URL_MAX 4096            /* bytes in connectionDetails.url */
#define HOST_MAX 255            /* bytes in a host name */
#define HEADERS_MAX 64          /* entries in connectionDetails.headers */
#define HEADER_NAME_MAX 256
#define HEADER_VALUE_MAX 8192
#define CONDS_MAX 1000          /* query.conditions entries */
#define SET_MAX 10000           /* members of one InSetValue */
#define EXCERPT_MAX 64          /* bytes of client text quoted in details */
#define DEFAULT_TIMEOUT_MS 30000
#define DEFAULT_STEP_MS 30000
#define DEFAULT_PORT 9090
#define TWO_POW_53 ((int64_t)1 << 53)

#define CD "connectionDetails"
#define Q "query"

/* ------------------------------------------------------------------ */
/* Error texts                                                          */

/* excerpt: a copy of client text s that is safe to put in details: at most
 * size-1 bytes, control bytes as '?', cut on a UTF-8 character boundary and
 * marked "..." when shortened. Returns out. Never call it on a secret. */
static const char *excerpt(const char *s, char *out, size_t size)
{
	size_t n = strlen(s), cut = n, i;

	if (n >= size) {
		cut = size - 4;
		/* do not end inside a multi-byte character */
		while (cut > 0 && ((unsigned char)s[cut] & 0xc0) == 0x80)
			cut--;
	}
	for (i = 0; i < cut; i++) {
		unsigned char c = (unsigned char)s[i];

		out[i] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
	}
	if (cut < n) {
		memcpy(out + cut, "...", 3);
		cut += 3;
	}
	out[cut] = '\0';
	return out;
}

/* bad: ERR_BAD_REQUEST with details "<parent>.<key>: <message>" (key may be
 * NULL, parent may be ""). Returns ERR_BAD_REQUEST. */
static enum err bad(struct errinfo *ei, const char *parent, const char *key,
		    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static enum err bad(struct errinfo *ei, const char *parent, const char *key,
		    const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return err_set(ei, ERR_BAD_REQUEST, "%s%s%s: %s", parent,
		       (*parent && key) ? "." : "", key ? key : "", msg);
}

static enum err nomem(struct errinfo *ei)
{
	return err_set(ei, ERR_NOMEM, "out of memory while reading the request");
}

/* dup_str: a malloc'd copy of s in *out (the caller frees it). */
static enum err dup_str(const char *s, char **out, struct errinfo *ei)
{
	size_t n = strlen(s);
	char *p = malloc(n + 1);

	if (!p)
		return nomem(ei);
	memcpy(p, s, n + 1);
	*out = p;
	return OK;
}

/* has_control: 1 when s holds a byte below 0x20 or DEL. */
static int has_control(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 1;
	return 0;
}

static int is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static int is_alpha(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int is_hex(unsigned char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static char lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

/* ------------------------------------------------------------------ */
/* Typed getters. Each reads obj.key, where a JSON null counts as absent
 * (clients write null for unset optional fields). On a wrong type they
 * return ERR_BAD_REQUEST naming parent.key; outputs are written only when
 * the field is present and good. Strings are borrowed from the JSON.   */

static json_t *lookup(const json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	return json_is_null(v) ? NULL : v;
}

static enum err get_string(const json_t *obj, const char *parent,
			   const char *key, int required, const char **out,
			   struct errinfo *ei)
{
	json_t *v = lookup(obj, key);

	if (!v)
		return required ? bad(ei, parent, key, "required") : OK;
	if (!json_is_string(v))
		return bad(ei, parent, key, "expected a string");
	*out = json_string_value(v);
	return OK;
}

static enum err get_object(const json_t *obj, const char *parent,
			   const char *key, int required, json_t **out,
			   struct errinfo *ei)
{
	json_t *v = lookup(obj, key);

	if (!v)
		return required ? bad(ei, parent, key, "required") : OK;
	if (!json_is_object(v))
		return bad(ei, parent, key, "expected an object");
	*out = v;
	return OK;
}

static enum err get_bool(const json_t *obj, const char *parent,
			 const char *key, int *out, struct errinfo *ei)
{
	json_t *v = lookup(obj, key);

	if (!v)
		return OK;
	if (!json_is_boolean(v))
		return bad(ei, parent, key, "expected a boolean");
	*out = json_is_true(v);
	return OK;
}

/* get_positive: a number > 0 (integer or real); *present says whether the
 * field was there. */
static enum err get_positive(const json_t *obj, const char *parent,
			     const char *key, int *present, double *out,
			     struct errinfo *ei)
{
	json_t *v = lookup(obj, key);
	double d;

	*present = 0;
	if (!v)
		return OK;
	if (!json_is_number(v))
		return bad(ei, parent, key, "expected a number");
	d = json_number_value(v);
	if (!(d > 0) || !isfinite(d))
		return bad(ei, parent, key, "must be a positive number");
	*present = 1;
	*out = d;
	return OK;
}

/* int_value: an integer, or a real with an integral value up to 2^53 in
 * magnitude (JSON does not tell 5 from 5.0). Returns 1 and sets *out, or 0. */
static int int_value(const json_t *v, int64_t *out)
{
	double d;

	if (json_is_integer(v)) {
		*out = (int64_t)json_integer_value(v);
		return 1;
	}
	if (!json_is_real(v))
		return 0;
	d = json_real_value(v);
	if (!isfinite(d) || floor(d) != d || fabs(d) > (double)TWO_POW_53)
		return 0;
	*out = (int64_t)d;
	return 1;
}

/* get_int: an integer within [min, max]; *present says whether the field
 * was there. */
static enum err get_int(const json_t *obj, const char *parent,
			const char *key, int64_t min, int64_t max,
			int *present, int64_t *out, struct errinfo *ei)
{
	json_t *v = lookup(obj, key);
	int64_t i;

	*present = 0;
	if (!v)
		return OK;
	if (!int_value(v, &i))
		return bad(ei, parent, key, "expected an integer");
	if (i < min && min == 0)
		return bad(ei, parent, key, "must not be negative");
	if (i < min)
		return bad(ei, parent, key, "must be at least %" PRId64, min);
	if (i > max)
		return bad(ei, parent, key, "must be at most %" PRId64, max);
	*present = 1;
	*out = i;
	return OK;
}

/* ------------------------------------------------------------------ */
/* URL and host                                                         */

/* The schemes an upstream URL may use; anything else (file, gopher, ftp,
 * ...) would let a request reach what is not a Prometheus API. */
static const char *const schemes[] = { "http", "https" };

/* ipv4_part: the value of one dotted-quad part s[0..n): 0-255 in decimal
 * without leading zeros, or -1. */
static int ipv4_part(const char *s, size_t n)
{
	int v = 0;
	size_t i;

	if (n == 0 || n > 3 || (n > 1 && s[0] == '0'))
		return -1;
	for (i = 0; i < n; i++) {
		if (!is_digit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v <= 255 ? v : -1;
}

/* numeric_host_ok: a host whose last label is a number (decimal, or 0x hex)
 * is an IPv4 address to resolvers and to curl, which also read forms such
 * as "2852039166" or "0xa9.0xfe.0xa9.0xfe". Only the plain dotted quad is
 * allowed, so what the allowlist sees is what gets connected to. Returns 1
 * for names that are fine (including every name with a non-numeric last
 * label), 0 for refused numeric forms. */
static int numeric_host_ok(const char *h, size_t n)
{
	size_t start, i, parts = 0, last;
	int numeric;

	if (n > 0 && h[n - 1] == '.')
		n--;
	last = n;
	while (last > 0 && h[last - 1] != '.')
		last--;
	if (last == n)
		return 1;
	numeric = n - last > 2 && h[last] == '0' && lower(h[last + 1]) == 'x';
	for (i = last; !numeric && i < n && is_digit((unsigned char)h[i]); i++)
		;
	if (!numeric && i < n)
		return 1;
	for (start = 0, i = 0; i <= n; i++) {
		if (i < n && h[i] != '.')
			continue;
		if (ipv4_part(h + start, i - start) < 0)
			return 0;
		parts++;
		start = i + 1;
	}
	return parts == 4;
}

/* host_len: the length of the host that starts a[0..n) - a name of
 * [A-Za-z0-9._~-] or a bracketed IPv6 address - or 0 when there is none. */
static size_t host_len(const char *a, size_t n)
{
	size_t i, colons = 0;

	if (n > 0 && a[0] == '[') {
		for (i = 1; i < n && a[i] != ']'; i++) {
			unsigned char c = (unsigned char)a[i];

			if (c == ':')
				colons++;
			else if (!is_hex(c) && c != '.')
				return 0;
		}
		if (i >= n || colons < 2 || i > 46)
			return 0;
		return i + 1;
	}
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)a[i];

		if (!is_alpha(c) && !is_digit(c) && c != '.' && c != '-' &&
		    c != '_' && c != '~')
			break;
	}
	if (i == 0 || i > HOST_MAX || !numeric_host_ok(a, i))
		return 0;
	return i;
}

/* authority_ok: 1 when a[0..n) is host[:port] with a port of 1-65535. */
static int authority_ok(const char *a, size_t n)
{
	size_t h = host_len(a, n), i;
	long port = 0;

	if (h == 0)
		return 0;
	if (h == n)
		return 1;
	if (a[h] != ':' || n - h < 2 || n - h > 6)
		return 0;
	for (i = h + 1; i < n; i++) {
		if (!is_digit((unsigned char)a[i]))
			return 0;
		port = port * 10 + (a[i] - '0');
	}
	return port >= 1 && port <= 65535;
}

/* dot_segment: 1 when the path segment s[0..n) is "." or "..", also when
 * spelled with %2e. curl and servers remove such segments, which would let
 * a URL leave the path prefix an allowlist entry names. */
static int dot_segment(const char *s, size_t n)
{
	size_t i = 0, dots = 0;

	while (i < n) {
		if (s[i] == '.') {
			i++;
		} else if (n - i >= 3 && s[i] == '%' && s[i + 1] == '2' &&
			   lower(s[i + 2]) == 'e') {
			i += 3;
		} else {
			return 0;
		}
		dots++;
	}
	return dots == 1 || dots == 2;
}

/* url_check: checks connectionDetails.url and sets *out to a malloc'd
 * copy with scheme and host in lower case and no trailing '/'. Never quotes
 * the URL in details: it may carry credentials. */
static enum err url_check(const char *s, char **out, struct errinfo *ei)
{
	size_t n = strlen(s), i, scheme_len, auth_len, path, seg;
	const char *sep, *auth;
	char *copy;
	int known = 0;

	if (n == 0)
		return bad(ei, CD, "url", "empty");
	if (n > URL_MAX)
		return bad(ei, CD, "url", "longer than %d bytes", URL_MAX);
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c <= 0x20 || c == 0x7f)
			return bad(ei, CD, "url",
				   "must not contain whitespace or control characters");
		if (c >= 0x80)
			return bad(ei, CD, "url",
				   "must be ASCII (percent-encode other characters)");
	}
	sep = strstr(s, "://");
	if (!sep)
		return bad(ei, CD, "url", "not an absolute http or https URL");
	scheme_len = (size_t)(sep - s);
	for (i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++)
		if (strlen(schemes[i]) == scheme_len &&
		    strncasecmp(s, schemes[i], scheme_len) == 0)
			known = 1;
	if (!known)
		return bad(ei, CD, "url", "scheme must be http or https");
	if (strchr(s, '?'))
		return bad(ei, CD, "url", "must not contain a query (?)");
	if (strchr(s, '#'))
		return bad(ei, CD, "url", "must not contain a fragment (#)");
	auth = sep + 3;
	auth_len = strcspn(auth, "/");
	if (memchr(auth, '@', auth_len))
		return bad(ei, CD, "url",
			   "must not contain credentials (user:pass@); use basic_auth");
	if (auth_len == 0)
		return bad(ei, CD, "url", "has no host");
	if (!authority_ok(auth, auth_len))
		return bad(ei, CD, "url", "not a valid host[:port]");
	path = scheme_len + 3 + auth_len;
	for (seg = path; seg < n; seg = i) {
		for (i = seg + 1; i < n && s[i] != '/'; i++)
			;
		if (dot_segment(s + seg + 1, i - seg - 1))
			return bad(ei, CD, "url",
				   "must not contain . or .. path segments");
	}
	copy = malloc(n + 1);
	if (!copy)
		return nomem(ei);
	for (i = 0; i < n; i++)
		copy[i] = i < path ? lower(s[i]) : s[i];
	while (n > path && copy[n - 1] == '/')
		n--;
	copy[n] = '\0';
	*out = copy;
	return OK;
}

/* legacy_url: "http://host:port" from the legacy host and port fields. */
static enum err legacy_url(const json_t *cd, const char *host, char **out,
			   struct errinfo *ei)
{
	size_t n = strlen(host), i, size;
	int64_t port = DEFAULT_PORT;
	int present;
	enum err rc;
	char *url;

	if (n == 0)
		return bad(ei, CD, "host", "empty");
	if (n > HOST_MAX || host_len(host, n) != n)
		return bad(ei, CD, "host",
			   "not a host name, IPv4 address or bracketed IPv6 address");
	rc = get_int(cd, CD, "port", 1, 65535, &present, &port, ei);
	if (rc)
		return rc;
	size = n + sizeof("http://:65535");
	url = malloc(size);
	if (!url)
		return nomem(ei);
	memcpy(url, "http://", 7);
	for (i = 0; i < n; i++)
		url[7 + i] = lower(host[i]);
	snprintf(url + 7 + n, size - 7 - n, ":%" PRId64, port);
	*out = url;
	return OK;
}

/* ------------------------------------------------------------------ */
/* connectionDetails, one parser per group of fields                    */

typedef enum err conn_field_fn(const json_t *cd, long max_timeout_s,
			       struct conn *c, struct errinfo *ei);

/* The upstream: url, or else the legacy host + port. */
static enum err parse_target(const json_t *cd, long max_timeout_s,
			     struct conn *c, struct errinfo *ei)
{
	const char *url = NULL, *host = NULL;
	enum err rc;

	(void)max_timeout_s;
	rc = get_string(cd, CD, "url", 0, &url, ei);
	if (rc)
		return rc;
	if (url)
		return url_check(url, &c->url, ei);
	rc = get_string(cd, CD, "host", 0, &host, ei);
	if (rc)
		return rc;
	if (!host)
		return bad(ei, CD, "url", "required");
	return legacy_url(cd, host, &c->url, ei);
}

/* timeout_cap_ms: max_timeout_s in ms, kept within a long and 2^53 (where
 * doubles stop being exact); a cap <= 0 means only those limits apply. */
static int64_t timeout_cap_ms(long max_timeout_s)
{
	int64_t cap = (int64_t)LONG_MAX < TWO_POW_53 ? (int64_t)LONG_MAX
						     : TWO_POW_53;

	if (max_timeout_s > 0 && max_timeout_s <= cap / 1000)
		cap = (int64_t)max_timeout_s * 1000;
	return cap;
}

/* request_timeout_seconds, or the legacy form's requestTimeout (ms); the
 * first wins when both are given. Both are capped, not refused. */
static enum err parse_timeout(const json_t *cd, long max_timeout_s,
			      struct conn *c, struct errinfo *ei)
{
	int64_t cap = timeout_cap_ms(max_timeout_s);
	const char *key = "request_timeout_seconds";
	double v, ms = DEFAULT_TIMEOUT_MS;
	int present;
	enum err rc;

	rc = get_positive(cd, CD, key, &present, &v, ei);
	if (rc)
		return rc;
	if (present) {
		ms = v * 1000.0;
	} else if (!lookup(cd, "url")) {
		key = "requestTimeout";
		rc = get_positive(cd, CD, key, &present, &v, ei);
		if (rc)
			return rc;
		if (present)
			ms = v;
	}
	if (ms > (double)cap)
		ms = (double)cap;
	ms = floor(ms + 0.5);
	if (ms < 1)
		return bad(ei, CD, key, "must be at least 1 millisecond");
	c->timeout_ms = (long)ms;
	return OK;
}

static const struct {
	const char *name;
	enum nan_mode mode;
} nan_modes[] = {
	{ .name = "ZERO", .mode = NAN_ZERO },
	{ .name = "NONE", .mode = NAN_NONE },
};

static enum err parse_nan(const json_t *cd, long max_timeout_s,
			  struct conn *c, struct errinfo *ei)
{
	const char *s = NULL;
	char ex[EXCERPT_MAX];
	enum err rc;
	size_t i;

	(void)max_timeout_s;
	rc = get_string(cd, CD, "nan_interpretation", 0, &s, ei);
	if (rc || !s)
		return rc;
	for (i = 0; i < sizeof(nan_modes) / sizeof(nan_modes[0]); i++) {
		if (strcasecmp(s, nan_modes[i].name) == 0) {
			c->nan = nan_modes[i].mode;
			return OK;
		}
	}
	return bad(ei, CD, "nan_interpretation",
		   "unknown value \"%s\"; expected ZERO or NONE",
		   excerpt(s, ex, sizeof(ex)));
}

static enum err parse_step(const json_t *cd, long max_timeout_s,
			   struct conn *c, struct errinfo *ei)
{
	double v, ms;
	int present;
	enum err rc;

	(void)max_timeout_s;
	rc = get_positive(cd, CD, "step_seconds", &present, &v, ei);
	if (rc || !present)
		return rc;
	ms = floor(v * 1000.0 + 0.5);
	if (ms < 1)
		return bad(ei, CD, "step_seconds", "must be at least 0.001");
	if (ms > (double)TWO_POW_53)
		return bad(ei, CD, "step_seconds", "too large");
	c->step_ms = (int64_t)ms;
	return OK;
}

static enum err parse_basic_auth(const json_t *cd, long max_timeout_s,
				 struct conn *c, struct errinfo *ei)
{
	static const char *const where = CD ".basic_auth";
	const char *user = NULL, *pass = NULL;
	json_t *o = NULL;
	enum err rc;

	(void)max_timeout_s;
	rc = get_object(cd, CD, "basic_auth", 0, &o, ei);
	if (rc || !o)
		return rc;
	rc = get_string(o, where, "username", 1, &user, ei);
	if (!rc)
		rc = get_string(o, where, "password", 1, &pass, ei);
	if (rc)
		return rc;
	/* RFC 7617: the user-id cannot hold the colon that ends it, and
	 * neither part may hold control characters (never quoted back) */
	if (strchr(user, ':'))
		return bad(ei, where, "username", "must not contain ':'");
	if (has_control(user))
		return bad(ei, where, "username", "must not contain control characters");
	if (has_control(pass))
		return bad(ei, where, "password", "must not contain control characters");
	rc = dup_str(user, &c->basic_user, ei);
	if (!rc)
		rc = dup_str(pass, &c->basic_pass, ei);
	return rc;
}

/* bearer_token: an empty token means none. It goes into an Authorization
 * header, so control bytes (CR LF) are refused - without quoting it. */
static enum err parse_bearer(const json_t *cd, long max_timeout_s,
			     struct conn *c, struct errinfo *ei)
{
	const char *tok = NULL;
	enum err rc;

	(void)max_timeout_s;
	rc = get_string(cd, CD, "bearer_token", 0, &tok, ei);
	if (rc || !tok || !*tok)
		return rc;
	if (has_control(tok))
		return bad(ei, CD, "bearer_token",
			   "must not contain control characters");
	return dup_str(tok, &c->bearer, ei);
}

/* Headers the mirror or curl set themselves: overriding them would break
 * the request's framing or its signature. */
static const char *const reserved_headers[] = {
	"Host", "Content-Length", "Transfer-Encoding", "Connection",
	"Keep-Alive", "Upgrade", "TE", "Trailer", "Proxy-Connection",
	"Expect",
};

/* token_ok: 1 when s is an RFC 7230 token (a header name). */
static int token_ok(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (!is_alpha(c) && !is_digit(c) && !strchr("!#$%&'*+-.^_`|~", c))
			return 0;
	}
	return 1;
}

static enum err check_header(const char *name, const json_t *v,
			     struct errinfo *ei)
{
	static const char *const where = CD ".headers";
	char ex[EXCERPT_MAX];
	const char *value;
	size_t i;

	if (strlen(name) > HEADER_NAME_MAX || !token_ok(name))
		return bad(ei, where, excerpt(name, ex, sizeof(ex)),
			   "not a valid header name");
	for (i = 0; i < sizeof(reserved_headers) / sizeof(reserved_headers[0]); i++)
		if (strcasecmp(name, reserved_headers[i]) == 0)
			return bad(ei, where, excerpt(name, ex, sizeof(ex)),
				   "set by the mirror itself");
	excerpt(name, ex, sizeof(ex));
	if (!json_is_string(v))
		return bad(ei, where, ex, "expected a string");
	value = json_string_value(v);
	if (strlen(value) > HEADER_VALUE_MAX)
		return bad(ei, where, ex, "longer than %d bytes",
			   HEADER_VALUE_MAX);
	if (has_control(value))
		return bad(ei, where, ex,
			   "must not contain control characters (CR, LF, ...)");
	return OK;
}

static enum err parse_headers(const json_t *cd, long max_timeout_s,
			      struct conn *c, struct errinfo *ei)
{
	json_t *o = NULL, *v;
	const char *name;
	enum err rc;
	size_t n;

	(void)max_timeout_s;
	rc = get_object(cd, CD, "headers", 0, &o, ei);
	if (rc || !o)
		return rc;
	n = json_object_size(o);
	if (n > HEADERS_MAX)
		return bad(ei, CD, "headers", "more than %d headers",
			   HEADERS_MAX);
	if (n == 0)
		return OK;
	c->headers = calloc(n, sizeof(*c->headers));
	if (!c->headers)
		return nomem(ei);
	json_object_foreach(o, name, v) {
		struct header *h = &c->headers[c->n_headers];

		rc = check_header(name, v, ei);
		if (rc)
			return rc;
		rc = dup_str(name, &h->name, ei);
		if (!rc)
			rc = dup_str(json_string_value(v), &h->value, ei);
		c->n_headers++;
		if (rc)
			return rc;
	}
	return OK;
}

static enum err parse_tls(const json_t *cd, long max_timeout_s,
			  struct conn *c, struct errinfo *ei)
{
	static const char *const where = CD ".tls";
	const char *ca = NULL;
	json_t *o = NULL;
	enum err rc;

	(void)max_timeout_s;
	rc = get_object(cd, CD, "tls", 0, &o, ei);
	if (rc || !o)
		return rc;
	rc = get_bool(o, where, "insecure_skip_verify", &c->tls_insecure, ei);
	if (!rc)
		rc = get_string(o, where, "ca_file", 0, &ca, ei);
	if (rc || !ca || !*ca)
		return rc;
	if (has_control(ca))
		return bad(ei, where, "ca_file", "must not contain control characters");
	return dup_str(ca, &c->ca_file, ei);
}

/* ------------------------------------------------------------------ */
/* connectionDetails.aws                                                */

#define AWS_WHERE CD ".aws"

/* charset_ok: 1 when s has min..max bytes, each a letter, a digit or one
 * of extra. */
static int charset_ok(const char *s, size_t min, size_t max, const char *extra)
{
	size_t n = strlen(s), i;

	if (n < min || n > max)
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (!is_digit(ch) && !((ch | 0x20) >= 'a' && (ch | 0x20) <= 'z') &&
		    !(ch && strchr(extra, ch)))
			return 0;
	}
	return 1;
}

/* One text field of the aws block: its name, the characters and lengths
 * AWS allows (the region also goes into the STS host name, the key id and
 * token into headers), and where it goes. */
struct aws_field {
	const char *name;
	size_t min, max;
	const char *extra;      /* allowed besides letters and digits; NULL:
				 * any byte but control bytes */
	const char *prefix;     /* the value must start with it, or NULL */
	const char *rule;       /* said when the value breaks it */
	size_t offset;          /* of the char * in struct conn_aws */
};

static const struct aws_field aws_fields[] = {
	{ .name = "region_name", .min = 1, .max = 32, .extra = "-",
	  .rule = "a region such as eu-west-1",
	  .offset = offsetof(struct conn_aws, region) },
	{ .name = "aws_access_key_id", .min = 1, .max = 128, .extra = "",
	  .rule = "letters and digits, at most 128",
	  .offset = offsetof(struct conn_aws, key_id) },
	{ .name = "aws_secret_access_key", .min = 1, .max = 1024, .extra = NULL,
	  .rule = "1 to 1024 characters, no control characters",
	  .offset = offsetof(struct conn_aws, secret) },
	{ .name = "aws_session_token", .min = 1, .max = 16384, .extra = NULL,
	  .rule = "1 to 16384 characters, no control characters",
	  .offset = offsetof(struct conn_aws, token) },
	{ .name = "role_arn", .min = 20, .max = 2048, .extra = ":/+=,.@_-",
	  .prefix = "arn:",
	  .rule = "an IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME)",
	  .offset = offsetof(struct conn_aws, role_arn) },
	{ .name = "external_id", .min = 2, .max = 1224, .extra = "+=,.@:/_-",
	  .rule = "2 to 1224 of letters, digits and +=,.@:/-_",
	  .offset = offsetof(struct conn_aws, external_id) },
	{ .name = "role_session_name", .min = 2, .max = 64, .extra = "+=,.@_-",
	  .rule = "2 to 64 of letters, digits and +=,.@-_",
	  .offset = offsetof(struct conn_aws, session_name) },
};

/* aws_text: reads one aws_fields row of o into a. An empty string counts
 * as absent (forms send "" for fields left blank). */
static enum err aws_text(const json_t *o, const struct aws_field *f,
			 struct conn_aws *a, struct errinfo *ei)
{
	const char *s = NULL;
	char **to = (char **)(void *)((char *)a + f->offset);
	enum err rc;

	rc = get_string(o, AWS_WHERE, f->name, 0, &s, ei);
	if (rc || !s || !*s)
		return rc;
	if ((f->extra ? !charset_ok(s, f->min, f->max, f->extra)
		      : (has_control(s) || strlen(s) < f->min ||
			 strlen(s) > f->max)) ||
	    (f->prefix && strncmp(s, f->prefix, strlen(f->prefix)) != 0))
		return bad(ei, AWS_WHERE, f->name, "expected %s", f->rule);
	return dup_str(s, to, ei);
}

/* aws_free: wipes and frees an aws block; NULL is fine. */
static void aws_free(struct conn_aws *a)
{
	size_t i;

	if (!a)
		return;
	for (i = 0; i < sizeof(aws_fields) / sizeof(aws_fields[0]); i++) {
		char **p = (char **)(void *)((char *)a + aws_fields[i].offset);

		if (*p)
			OPENSSL_cleanse(*p, strlen(*p));
		free(*p);
	}
	creds_clear(&a->live);
	free(a);
}

/* The headers SigV4 sets and signs that a request could otherwise send
 * itself (Host is refused for every request, see reserved_headers). */
static const char *const signed_names[] = {
	"authorization", "x-amz-date", "x-amz-security-token",
	"x-amz-content-sha256",
};

/* aws_conflicts: ERR_BAD_REQUEST when c has what SigV4 cannot go with:
 * basic_auth or bearer_token (both use Authorization) or an extra header
 * that SigV4 sets itself; else OK. */
static enum err aws_conflicts(const struct conn *c, struct errinfo *ei)
{
	size_t i, k;

	if (c->basic_user || c->bearer)
		return bad(ei, AWS_WHERE, NULL, "cannot be combined with "
			   "basic_auth or bearer_token (SigV4 uses the "
			   "Authorization header)");
	for (i = 0; i < c->n_headers; i++)
		for (k = 0; k < sizeof(signed_names) / sizeof(signed_names[0]); k++)
			if (strcasecmp(c->headers[i].name, signed_names[k]) == 0)
				return bad(ei, CD, "headers", "%s is set by "
					   "AWS SigV4 signing (connectionDetails"
					   ".aws)", signed_names[k]);
	return OK;
}

/* aws: every field checked; the region resolved (spec 3.1). */
static enum err parse_aws(const json_t *cd, long max_timeout_s,
			  struct conn *c, struct errinfo *ei)
{
	struct conn_aws *a;
	json_t *o = NULL;
	char region[40];
	int64_t duration = CREDS_DEFAULT_DURATION_S;
	int has_duration = 0;
	size_t i;
	enum err rc;

	(void)max_timeout_s;
	rc = get_object(cd, CD, "aws", 0, &o, ei);
	if (rc || !o)
		return rc;
	a = calloc(1, sizeof(*a));
	if (!a)
		return nomem(ei);
	for (i = 0; !rc && i < sizeof(aws_fields) / sizeof(aws_fields[0]); i++)
		rc = aws_text(o, &aws_fields[i], a, ei);
	if (!rc)
		rc = get_int(o, AWS_WHERE, "token_expiry_seconds", 900, 43200,
			     &has_duration, &duration, ei);
	if (!rc && !a->key_id != !a->secret)
		rc = bad(ei, AWS_WHERE, NULL, "aws_access_key_id and "
			 "aws_secret_access_key go together");
	if (!rc && a->token && !a->key_id)
		rc = bad(ei, AWS_WHERE, "aws_session_token", "needs "
			 "aws_access_key_id and aws_secret_access_key");
	if (!rc)
		rc = aws_conflicts(c, ei);
	if (!rc && !a->region)
		rc = dup_str(creds_url_region(c->url, region, sizeof(region))
			     ? region : CREDS_DEFAULT_REGION, &a->region, ei);
	if (rc) {
		aws_free(a);
		return rc;
	}
	a->duration_s = (long)duration;
	c->aws = a;
	return OK;
}

/* Every group of connectionDetails fields, read in this order. */
static conn_field_fn *const conn_fields[] = {
	parse_target, parse_timeout, parse_nan, parse_step, parse_basic_auth,
	parse_bearer, parse_headers, parse_tls, parse_aws,
};

enum err conn_parse(json_t *details, long max_timeout_s, struct conn *out,
		    struct errinfo *ei)
{
	struct conn c;
	enum err rc = OK;
	size_t i;

	memset(&c, 0, sizeof(c));
	c.timeout_ms = DEFAULT_TIMEOUT_MS;
	c.nan = NAN_ZERO;
	c.step_ms = DEFAULT_STEP_MS;
	if (!json_is_object(details))
		return bad(ei, CD, NULL, "expected an object");
	for (i = 0; !rc && i < sizeof(conn_fields) / sizeof(conn_fields[0]); i++)
		rc = conn_fields[i](details, max_timeout_s, &c, ei);
	if (rc) {
		conn_free(&c);
		return rc;
	}
	*out = c;
	return OK;
}

void conn_free(struct conn *c)
{
	size_t i;

	if (!c)
		return;
	free(c->url);
	free(c->basic_user);
	free(c->basic_pass);
	free(c->bearer);
	for (i = 0; c->headers && i < c->n_headers; i++) {
		free(c->headers[i].name);
		free(c->headers[i].value);
	}
	free(c->headers);
	free(c->ca_file);
	aws_free(c->aws);
	memset(c, 0, sizeof(*c));
}

/* ------------------------------------------------------------------ */
/* Condition values: one row per value _type                            */

typedef enum err value_fn(const json_t *v, const char *path,
			  struct condition *c, struct errinfo *ei);

static enum err value_string(const json_t *v, const char *path,
			     struct condition *c, struct errinfo *ei)
{
	if (!json_is_string(v))
		return bad(ei, path, NULL, "expected a string");
	return dup_str(json_string_value(v), &c->str, ei);
}

static enum err value_double(const json_t *v, const char *path,
			     struct condition *c, struct errinfo *ei)
{
	if (!json_is_number(v))
		return bad(ei, path, NULL, "expected a number");
	c->num = json_number_value(v);
	return OK;
}

static enum err value_boolean(const json_t *v, const char *path,
			      struct condition *c, struct errinfo *ei)
{
	if (!json_is_boolean(v))
		return bad(ei, path, NULL, "expected a boolean");
	c->boolean = json_is_true(v);
	return OK;
}

/* member_text: a set member as the text a label value would hold: strings
 * as given, integers exactly, reals in shortest form, booleans true/false.
 * *out is malloc'd. */
static enum err member_text(const json_t *m, const char *path, size_t k,
			    char **out, struct errinfo *ei)
{
	char num[FMT_DOUBLE_MAX]; /* also holds any 64-bit integer */
	const char *text = num;

	if (json_is_string(m))
		text = json_string_value(m);
	else if (json_is_integer(m))
		snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT,
			 json_integer_value(m));
	else if (json_is_real(m))
		fmt_double(json_real_value(m), num);
	else if (json_is_boolean(m))
		text = json_is_true(m) ? "true" : "false";
	else
		return err_set(ei, ERR_BAD_REQUEST,
			       "%s[%zu]: expected a string, number or boolean",
			       path, k);
	return dup_str(text, out, ei);
}

static enum err value_inset(const json_t *v, const char *path,
			    struct condition *c, struct errinfo *ei)
{
	size_t n, k;
	enum err rc;

	if (!json_is_array(v))
		return bad(ei, path, NULL, "expected an array");
	n = json_array_size(v);
	if (n == 0)
		return bad(ei, path, NULL, "empty set");
	if (n > SET_MAX)
		return bad(ei, path, NULL, "more than %d members", SET_MAX);
	c->set = calloc(n, sizeof(*c->set));
	if (!c->set)
		return nomem(ei);
	for (k = 0; k < n; k++) {
		rc = member_text(json_array_get(v, k), path, k, &c->set[k], ei);
		if (rc)
			return rc;
		c->n_set = k + 1;
	}
	return OK;
}

static const struct {
	const char *name;
	enum value_type type;
	value_fn *parse;
} value_types[] = {
	{ .name = "StringValue", .type = VALUE_STRING, .parse = value_string },
	{ .name = "DoubleValue", .type = VALUE_DOUBLE, .parse = value_double },
	{ .name = "BooleanValue", .type = VALUE_BOOLEAN, .parse = value_boolean },
	{ .name = "InSetValue", .type = VALUE_INSET, .parse = value_inset },
};

/* parse_value: conditions[i].value, either {"value", "_type"} or a bare
 * string (StringValue). A _type we do not know is ERR_UNSUPPORTED_TYPE with
 * ei->mirror_type set, as the Mirror API answers it. */
static enum err parse_value(const json_t *cond, const char *at,
			    struct condition *c, struct errinfo *ei)
{
	const char *type = "StringValue";
	char where[64], inner[80], ex[EXCERPT_MAX];
	json_t *v = lookup(cond, "value"), *x;
	enum err rc;
	size_t i;

	snprintf(where, sizeof(where), "%s.value", at);
	if (!v)
		return bad(ei, at, "value", "required");
	if (json_is_string(v)) {
		c->type = VALUE_STRING;
		return dup_str(json_string_value(v), &c->str, ei);
	}
	if (!json_is_object(v))
		return bad(ei, at, "value",
			   "expected an object {\"value\", \"_type\"}");
	rc = get_string(v, where, "_type", 0, &type, ei);
	if (rc)
		return rc;
	for (i = 0; i < sizeof(value_types) / sizeof(value_types[0]); i++)
		if (strcmp(type, value_types[i].name) == 0)
			break;
	if (i == sizeof(value_types) / sizeof(value_types[0])) {
		if (ei)
			excerpt(type, ei->mirror_type, sizeof(ei->mirror_type));
		return err_set(ei, ERR_UNSUPPORTED_TYPE,
			       "%s._type: unsupported value type \"%s\"", where,
			       excerpt(type, ex, sizeof(ex)));
	}
	x = lookup(v, "value");
	if (!x)
		return bad(ei, where, "value", "required");
	snprintf(inner, sizeof(inner), "%s.value", where);
	c->type = value_types[i].type;
	return value_types[i].parse(x, inner, c, ei);
}

/* label_key_ok: a reserved key or a label name (what a condition's key and
 * a field name may be). */
static int label_key_ok(const char *key)
{
	return promql_is_reserved(key) || promql_label_name_ok(key);
}

static enum err parse_condition(const json_t *cond, size_t i,
				struct condition *c, struct errinfo *ei)
{
	const char *type = NULL, *key = NULL;
	char at[48], ex[EXCERPT_MAX];
	enum err rc;

	snprintf(at, sizeof(at), Q ".conditions[%zu]", i);
	if (!json_is_object(cond))
		return bad(ei, at, NULL, "expected an object");
	rc = get_string(cond, at, "_type", 0, &type, ei);
	if (rc)
		return rc;
	if (type && strcmp(type, "EqualityCondition") != 0)
		return bad(ei, at, "_type",
			   "unknown condition type \"%s\"; expected EqualityCondition",
			   excerpt(type, ex, sizeof(ex)));
	rc = get_string(cond, at, "key", 1, &key, ei);
	if (rc)
		return rc;
	if (!*key)
		return bad(ei, at, "key", "empty");
	if (!label_key_ok(key))
		return bad(ei, at, "key", "not a valid label name: \"%s\"",
			   excerpt(key, ex, sizeof(ex)));
	rc = dup_str(key, &c->key, ei);
	if (rc)
		return rc;
	return parse_value(cond, at, c, ei);
}

static void condition_free(struct condition *c)
{
	size_t k;

	free(c->key);
	free(c->str);
	for (k = 0; c->set && k < c->n_set; k++)
		free(c->set[k]);
	free(c->set);
}

/* ------------------------------------------------------------------ */
/* query, one parser per group of fields; each row says which endpoints
 * read it (the others ignore those fields, as unknown ones)            */

typedef enum err query_field_fn(const json_t *q, enum endpoint ep,
				struct query *out, struct errinfo *ei);

static enum err parse_conditions(const json_t *q, enum endpoint ep,
				 struct query *out, struct errinfo *ei)
{
	json_t *arr = lookup(q, "conditions");
	enum err rc;
	size_t n, i;

	(void)ep;
	if (!arr)
		return OK;
	if (!json_is_array(arr))
		return bad(ei, Q, "conditions", "expected an array");
	n = json_array_size(arr);
	if (n > CONDS_MAX)
		return bad(ei, Q, "conditions", "more than %d conditions",
			   CONDS_MAX);
	if (n == 0)
		return OK;
	out->conds = calloc(n, sizeof(*out->conds));
	if (!out->conds)
		return nomem(ei);
	out->n_conds = n; /* zeroed entries free cleanly on a later error */
	for (i = 0; i < n; i++) {
		rc = parse_condition(json_array_get(arr, i), i, &out->conds[i], ei);
		if (rc)
			return rc;
	}
	return OK;
}

/* startTime/endTime: required for metrics; both or neither elsewhere. */
static enum err parse_times(const json_t *q, enum endpoint ep,
			    struct query *out, struct errinfo *ei)
{
	enum err rc;

	rc = get_int(q, Q, "startTime", 0, TWO_POW_53, &out->has_start,
		     &out->start_ms, ei);
	if (!rc)
		rc = get_int(q, Q, "endTime", 0, TWO_POW_53, &out->has_end,
			     &out->end_ms, ei);
	if (rc)
		return rc;
	if (ep == EP_METRIC && !out->has_start)
		return bad(ei, Q, "startTime", "required");
	if (ep == EP_METRIC && !out->has_end)
		return bad(ei, Q, "endTime", "required");
	if (out->has_start && !out->has_end)
		return bad(ei, Q, "endTime", "required when startTime is given");
	if (out->has_end && !out->has_start)
		return bad(ei, Q, "startTime", "required when endTime is given");
	if (out->has_start && out->start_ms > out->end_ms)
		return bad(ei, Q, "startTime", "after endTime");
	return OK;
}

static enum err parse_limit(const json_t *q, enum endpoint ep,
			    struct query *out, struct errinfo *ei)
{
	(void)ep;
	return get_int(q, Q, "limit", 0, INT64_MAX, &out->has_limit,
		       &out->limit, ei);
}

static enum err parse_offset(const json_t *q, enum endpoint ep,
			     struct query *out, struct errinfo *ei)
{
	int present;

	(void)ep;
	return get_int(q, Q, "offset", 0, INT64_MAX, &present, &out->offset,
		       ei);
}

static enum err parse_aggregation(const json_t *q, enum endpoint ep,
				  struct query *out, struct errinfo *ei)
{
	static const char *const where = Q ".aggregation";
	const char *method = NULL;
	char ex[EXCERPT_MAX];
	json_t *o = NULL;
	int present;
	enum err rc;

	(void)ep;
	rc = get_object(q, Q, "aggregation", 0, &o, ei);
	if (rc || !o)
		return rc;
	rc = get_string(o, where, "method", 1, &method, ei);
	if (rc)
		return rc;
	if (agg_method_parse(method, &out->method) != OK)
		return bad(ei, where, "method", "unknown method %s",
			   excerpt(method, ex, sizeof(ex)));
	rc = get_int(o, where, "bucketSizeMillis", 1, TWO_POW_53, &present,
		     &out->bucket_ms, ei);
	if (rc)
		return rc;
	if (!present)
		return bad(ei, where, "bucketSizeMillis", "required");
	out->has_agg = 1;
	return OK;
}

/* field: a FieldDescriptor {"fieldName"} or the bare name. */
static enum err parse_field(const json_t *q, enum endpoint ep,
			    struct query *out, struct errinfo *ei)
{
	static const char *const where = Q ".field";
	json_t *f = lookup(q, "field");
	const char *name = NULL;
	char ex[EXCERPT_MAX];
	enum err rc;

	(void)ep;
	if (!f)
		return bad(ei, Q, "field", "required");
	if (json_is_string(f)) {
		name = json_string_value(f);
	} else if (json_is_object(f)) {
		rc = get_string(f, where, "fieldName", 1, &name, ei);
		if (rc)
			return rc;
	} else {
		return bad(ei, Q, "field", "expected a FieldDescriptor object");
	}
	if (!*name)
		return bad(ei, where, "fieldName", "empty");
	if (!label_key_ok(name))
		return bad(ei, where, "fieldName", "not a valid label name: \"%s\"",
			   excerpt(name, ex, sizeof(ex)));
	return dup_str(name, &out->field, ei);
}

static enum err parse_prefix(const json_t *q, enum endpoint ep,
			     struct query *out, struct errinfo *ei)
{
	const char *p = NULL;
	enum err rc;

	(void)ep;
	rc = get_string(q, Q, "fieldValuePrefix", 0, &p, ei);
	if (rc || !p)
		return rc;
	return dup_str(p, &out->prefix, ei);
}

#define EP_BIT(e) (1u << (e))
#define EP_QUERIES (EP_BIT(EP_FIELD_NAME) | EP_BIT(EP_FIELD_VALUE) | EP_BIT(EP_METRIC))

static const struct {
	query_field_fn *parse;
	unsigned endpoints;
} query_fields[] = {
	{ .parse = parse_conditions, .endpoints = EP_QUERIES },
	{ .parse = parse_times, .endpoints = EP_QUERIES },
	{ .parse = parse_limit, .endpoints = EP_QUERIES },
	{ .parse = parse_aggregation, .endpoints = EP_BIT(EP_METRIC) },
	{ .parse = parse_field, .endpoints = EP_BIT(EP_FIELD_VALUE) },
	{ .parse = parse_prefix, .endpoints = EP_BIT(EP_FIELD_VALUE) },
	{ .parse = parse_offset, .endpoints = EP_BIT(EP_FIELD_VALUE) },
};

static void query_free(struct query *q)
{
	size_t i;

	for (i = 0; q->conds && i < q->n_conds; i++)
		condition_free(&q->conds[i]);
	free(q->conds);
	free(q->field);
	free(q->prefix);
	memset(q, 0, sizeof(*q));
}

/* ------------------------------------------------------------------ */
/* The body                                                             */

/* bad_json: details for a body jansson refused: its message (which holds
 * at most a short token of the input) and where. */
static enum err bad_json(const json_error_t *jerr, struct errinfo *ei)
{
	char text[sizeof(jerr->text)];

	excerpt(jerr->text, text, sizeof(text));
	return err_set(ei, ERR_BAD_REQUEST,
		       "body: not valid JSON: %s at line %d column %d (byte %d)",
		       text, jerr->line, jerr->column, jerr->position);
}

enum err request_parse(enum endpoint ep, const char *body, size_t len,
		       long max_timeout_s, struct request *out,
		       struct errinfo *ei)
{
	const char *type = NULL;
	json_t *root = NULL, *cd = NULL, *q = NULL;
	json_error_t jerr;
	struct request r;
	enum err rc;
	size_t i;

	memset(&r, 0, sizeof(r));
	if ((unsigned)ep > EP_METRIC)
		return err_set(ei, ERR_INTERNAL, "unknown endpoint %u",
			       (unsigned)ep);
	/* without JSON_ALLOW_NUL jansson refuses NUL bytes, raw or \u0000 */
	root = json_loadb(body ? body : "", body ? len : 0,
			  JSON_REJECT_DUPLICATES, &jerr);
	if (!root) {
		rc = bad_json(&jerr, ei);
		goto out;
	}
	if (!json_is_object(root)) {
		rc = bad(ei, "body", NULL, "not a JSON object");
		goto out;
	}
	rc = get_string(root, "", "_type", 0, &type, ei);
	if (rc)
		goto out;
	rc = get_object(root, "", CD, 1, &cd, ei);
	if (rc)
		goto out;
	rc = conn_parse(cd, max_timeout_s, &r.conn, ei);
	if (rc)
		goto out;
	if (ep != EP_CONNECTION) {
		rc = get_object(root, "", Q, 1, &q, ei);
		if (rc)
			goto out;
	}
	for (i = 0; !rc && q && i < sizeof(query_fields) / sizeof(query_fields[0]); i++)
		if (query_fields[i].endpoints & EP_BIT(ep))
			rc = query_fields[i].parse(q, ep, &r.q, ei);
	if (rc)
		goto out;
	*out = r;
out:
	if (rc)
		request_free(&r);
	json_decref(root);
	return rc;
}

void request_free(struct request *r)
{
	if (!r)
		return;
	conn_free(&r->conn);
	query_free(&r->q);
}
