/* sigv4.c - AWS Signature Version 4 for one HTTP request, as AWS documents
 * it and botocore implements it for services other than S3: canonical
 * request, string to sign, signing key, and the header lines that carry
 * the result. See sigv4.h. Error details never quote the URL, a header or
 * a credential: any of them may carry a secret. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "aws/sigv4.h"

#define ALGORITHM "AWS4-HMAC-SHA256"
#define TERMINATOR "aws4_request"
#define SHA256_LEN 32
#define HEX_LEN (2 * SHA256_LEN)
#define DATE_LEN 8                 /* YYYYMMDD, the scope's date */
#define TEXT_MAX ((size_t)64 << 20) /* ceiling on every text built here */

static const char hexdigits[] = "0123456789ABCDEF";
static const char hexlower[] = "0123456789abcdef";

/* ------------------------------------------------------------------ */
/* Bytes                                                                */

/* unreserved: 1 for the RFC 3986 unreserved bytes A-Z a-z 0-9 - _ . ~ */
static int unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
	       c == '~';
}

/* hexval: the value of hex digit c (either case), or -1. */
static int hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static unsigned char lower(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') ? (unsigned char)(c - 'A' + 'a') : c;
}

/* ctl: 1 for an ASCII control byte (CR and LF among them). */
static int ctl(unsigned char c)
{
	return c < 0x20 || c == 0x7f;
}

/* tchar: 1 for a byte allowed in an HTTP header name (RFC 9110 token). */
static int tchar(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c >= '0' && c <= '9') || (c != 0 && strchr("!#$%&'*+-.^_`|~", c));
}

/* decode_at: the byte the %-escape at s[i] (s[i] == '%') stands for, in
 * *out. Returns OK, or ERR_BAD_REQUEST when two hex digits do not follow. */
static enum err decode_at(const char *s, size_t len, size_t i,
			  unsigned char *out)
{
	int hi, lo;

	if (len - i < 3)
		return ERR_BAD_REQUEST;
	hi = hexval((unsigned char)s[i + 1]);
	lo = hexval((unsigned char)s[i + 2]);
	if (hi < 0 || lo < 0)
		return ERR_BAD_REQUEST;
	*out = (unsigned char)(hi << 4 | lo);
	return OK;
}

/* reencode: appends s[0..len) to out with every %XX decoded and the result
 * encoded as RFC 3986 unreserved; "+" is a literal (it becomes %2B). With
 * twice set, each escape is encoded once more ("%" as "%25"), the canonical
 * URI's double encoding. Returns OK, ERR_BAD_REQUEST for a malformed
 * escape, or the buffer's error. */
static enum err reencode(const char *s, size_t len, int twice, struct buf *out)
{
	enum err rc = OK;
	size_t i;
	unsigned char c;
	char esc[5];

	for (i = 0; !rc && i < len; i++) {
		c = (unsigned char)s[i];
		if (c == '%') {
			rc = decode_at(s, len, i, &c);
			if (rc)
				break;
			i += 2;
		}
		if (unreserved(c)) {
			rc = buf_append(out, &c, 1);
			continue;
		}
		if (twice) {
			memcpy(esc, "%25", 3);
			esc[3] = hexdigits[c >> 4];
			esc[4] = hexdigits[c & 15];
			rc = buf_append(out, esc, 5);
		} else {
			esc[0] = '%';
			esc[1] = hexdigits[c >> 4];
			esc[2] = hexdigits[c & 15];
			rc = buf_append(out, esc, 3);
		}
	}
	return rc;
}

enum err sigv4_encode(const char *s, size_t len, struct buf *out)
{
	enum err rc = OK;
	size_t i = 0, run;
	unsigned char c;
	char esc[3];

	while (!rc && i < len) {
		/* copy a run of unreserved bytes in one append */
		for (run = i; run < len && unreserved((unsigned char)s[run]); run++)
			;
		if (run > i) {
			rc = buf_append(out, s + i, run - i);
			i = run;
			continue;
		}
		c = (unsigned char)s[i++];
		esc[0] = '%';
		esc[1] = hexdigits[c >> 4];
		esc[2] = hexdigits[c & 15];
		rc = buf_append(out, esc, 3);
	}
	return rc;
}

/* hex: the lowercase hex of p[0..n) into out[2n+1]. */
static void hex(const unsigned char *p, size_t n, char *out)
{
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = hexlower[p[i] >> 4];
		out[2 * i + 1] = hexlower[p[i] & 15];
	}
	out[2 * n] = '\0';
}

/* sha256_hex: hex(SHA-256(p[0..n))) into out[65]. Returns OK or
 * ERR_INTERNAL when OpenSSL fails. */
static enum err sha256_hex(const void *p, size_t n, char out[HEX_LEN + 1])
{
	unsigned char md[SHA256_LEN];
	unsigned int mdlen = 0;

	if (EVP_Digest(n ? p : "", n, md, &mdlen, EVP_sha256(), NULL) != 1 ||
	    mdlen != SHA256_LEN)
		return ERR_INTERNAL;
	hex(md, SHA256_LEN, out);
	return OK;
}

/* hmac: out = HMAC-SHA256(key[0..keylen), data[0..n)). Returns OK or
 * ERR_INTERNAL. */
static enum err hmac(const void *key, size_t keylen, const void *data, size_t n,
		     unsigned char out[SHA256_LEN])
{
	unsigned int outlen = 0;

	if (keylen > INT_MAX)
		return ERR_INTERNAL;
	if (!HMAC(EVP_sha256(), key, (int)keylen, data, n, out, &outlen) ||
	    outlen != SHA256_LEN)
		return ERR_INTERNAL;
	return OK;
}

/* put_digits: v as exactly width decimal digits at p (v fits). */
static void put_digits(char *p, int v, int width)
{
	while (width-- > 0) {
		p[width] = (char)('0' + v % 10);
		v /= 10;
	}
}

/* amz_date: "YYYYMMDDTHHMMSSZ" of now (UTC) into out[17]. Returns OK, or
 * ERR_BAD_REQUEST when now has no four-digit year. */
static enum err amz_date(time_t now, char out[17])
{
	struct tm tm;

	if (!gmtime_r(&now, &tm) || tm.tm_year < -1900 ||
	    tm.tm_year > 9999 - 1900)
		return ERR_BAD_REQUEST;
	put_digits(out, tm.tm_year + 1900, 4);
	put_digits(out + 4, tm.tm_mon + 1, 2);
	put_digits(out + 6, tm.tm_mday, 2);
	out[8] = 'T';
	put_digits(out + 9, tm.tm_hour, 2);
	put_digits(out + 11, tm.tm_min, 2);
	put_digits(out + 13, tm.tm_sec, 2);
	out[15] = 'Z';
	out[16] = '\0';
	return OK;
}

/* sigv4_amz_date: a time without a four-digit UTC year gives
 * "00000000T000000Z", which no service accepts. */
void sigv4_amz_date(time_t now, char out[17])
{
	if (amz_date(now, out))
		memcpy(out, "00000000T000000Z", 17);
}

/* ------------------------------------------------------------------ */
/* Canonical URI                                                        */

struct seg {
	const char *p;
	size_t n;
};

/* path_canon: the canonical URI of path[0..len), appended to out.
 *
 * The choice, after botocore's quote(normalize_url_path(path), safe='/~'):
 * the path is taken as it goes on the wire; "." and ".." segments are
 * resolved and empty ones dropped (remove_dot_segments; libcurl resolves
 * dot segments before sending too), a trailing "/" kept unless nothing is
 * left; then each segment is decoded and encoded again as RFC 3986
 * unreserved, and that encoded once more. For a wire path that is already
 * RFC 3986 encoded (uppercase hex, every other byte escaped) this is
 * exactly botocore's single quote() of the wire path: "a%20b" gives
 * "a%2520b". Decoding first makes lowercase hex and raw bytes canonical
 * too, and rejects a malformed escape.
 *
 * Returns OK, ERR_BAD_REQUEST for a malformed escape, or the buffer's
 * error. */
static enum err path_canon(const char *path, size_t len, struct buf *out)
{
	struct seg *segs = NULL;
	size_t nslash = 0, nseg = 0, i, start;
	enum err rc = OK;

	if (len == 0)
		return buf_append(out, "/", 1);
	for (i = 0; i < len; i++)
		nslash += path[i] == '/';
	/* at most nslash + 1 segments; nslash < len, so no overflow */
	if (nslash + 1 > ((size_t)-1) / sizeof(*segs))
		return ERR_NOMEM;
	segs = malloc((nslash + 1) * sizeof(*segs));
	if (!segs)
		return ERR_NOMEM;

	for (start = 0; start <= len; start = i + 1) {
		size_t n;

		for (i = start; i < len && path[i] != '/'; i++)
			;
		n = i - start;
		if (n == 0 || (n == 1 && path[start] == '.'))
			continue;
		if (n == 2 && path[start] == '.' && path[start + 1] == '.') {
			if (nseg)
				nseg--;
			continue;
		}
		segs[nseg].p = path + start;
		segs[nseg].n = n;
		nseg++;
	}

	if (path[0] == '/')
		rc = buf_append(out, "/", 1);
	for (i = 0; !rc && i < nseg; i++) {
		if (i)
			rc = buf_append(out, "/", 1);
		if (!rc)
			rc = reencode(segs[i].p, segs[i].n, 1, out);
	}
	if (!rc && nseg && path[len - 1] == '/')
		rc = buf_append(out, "/", 1);
	free(segs);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Canonical query                                                      */

/* One query parameter, encoded; name and value point into one buffer. */
struct param {
	size_t name_off, name_len;
	size_t value_off, value_len;
	const char *name, *value;   /* set once the buffer stops growing */
};

/* bytecmp: byte order of a[0..an) and b[0..bn), a prefix first. */
static int bytecmp(const char *a, size_t an, const char *b, size_t bn)
{
	int c = memcmp(a, b, an < bn ? an : bn);

	if (c)
		return c;
	return an < bn ? -1 : an > bn;
}

static int param_cmp(const void *pa, const void *pb)
{
	const struct param *a = pa, *b = pb;
	int c = bytecmp(a->name, a->name_len, b->name, b->name_len);

	return c ? c : bytecmp(a->value, a->value_len, b->value, b->value_len);
}

/* query_canon: the canonical query string of query[0..len), appended to
 * out (see sigv4.h). Empty items ("a=1&&b=2") are skipped. Pairs equal in
 * name and value are identical text, so qsort's instability cannot show.
 * Returns OK, ERR_BAD_REQUEST for a malformed escape, or the buffer's
 * error. */
static enum err query_canon(const char *query, size_t len, struct buf *out)
{
	struct param *params = NULL;
	struct buf enc;
	size_t cap = 1, n = 0, i, start, end;
	enum err rc = OK;

	if (len == 0)
		return OK;
	buf_init(&enc, TEXT_MAX);
	for (i = 0; i < len; i++)
		cap += query[i] == '&';
	if (cap > ((size_t)-1) / sizeof(*params))
		return ERR_NOMEM;
	params = calloc(cap, sizeof(*params));
	if (!params)
		return ERR_NOMEM;

	for (start = 0; !rc && start <= len; start = end + 1) {
		const char *eq;
		size_t nlen;

		for (end = start; end < len && query[end] != '&'; end++)
			;
		if (end == start)
			continue;
		eq = memchr(query + start, '=', end - start);
		nlen = eq ? (size_t)(eq - (query + start)) : end - start;
		params[n].name_off = enc.len;
		rc = reencode(query + start, nlen, 0, &enc);
		if (rc)
			break;
		params[n].name_len = enc.len - params[n].name_off;
		params[n].value_off = enc.len;
		if (eq)
			rc = reencode(eq + 1, end - start - nlen - 1, 0, &enc);
		params[n].value_len = enc.len - params[n].value_off;
		n++;
	}
	if (rc)
		goto out;

	for (i = 0; i < n; i++) {
		params[i].name = buf_cstr(&enc) + params[i].name_off;
		params[i].value = buf_cstr(&enc) + params[i].value_off;
	}
	qsort(params, n, sizeof(*params), param_cmp);
	for (i = 0; !rc && i < n; i++) {
		if (i)
			rc = buf_append(out, "&", 1);
		if (!rc)
			rc = buf_append(out, params[i].name, params[i].name_len);
		if (!rc)
			rc = buf_append(out, "=", 1);
		if (!rc)
			rc = buf_append(out, params[i].value, params[i].value_len);
	}
out:
	buf_free(&enc);
	free(params);
	return rc;
}

/* ------------------------------------------------------------------ */
/* The URL                                                              */

struct url {
	const char *host;     /* the authority, host[:port] as written */
	size_t host_len;
	const char *path;     /* as sent, up to '?' or '#' */
	size_t path_len;
	const char *query;    /* after '?', up to '#'; NULL when none */
	size_t query_len;
};

/* prefix_ci: 1 if s starts with the lowercase p, in any case. */
static int prefix_ci(const char *s, const char *p)
{
	for (; *p; s++, p++)
		if (lower((unsigned char)*s) != (unsigned char)*p)
			return 0;
	return 1;
}

/* parse_url: splits an absolute http(s) URL into u (pointers into url).
 * Returns OK or ERR_BAD_REQUEST (details in ei; the URL is not quoted). */
static enum err parse_url(const char *url, struct url *u, struct errinfo *ei)
{
	const char *p, *host_end;
	size_t i;

	if (!url)
		return err_set(ei, ERR_BAD_REQUEST, "sigv4: no URL to sign");
	if (prefix_ci(url, "https://"))
		p = url + 8;
	else if (prefix_ci(url, "http://"))
		p = url + 7;
	else
		return err_set(ei, ERR_BAD_REQUEST,
			       "sigv4: the URL is not http or https");
	for (i = 0; url[i]; i++)
		if (ctl((unsigned char)url[i]))
			return err_set(ei, ERR_BAD_REQUEST,
				       "sigv4: the URL contains a control byte");

	u->host = p;
	u->host_len = strcspn(p, "/?#");
	p += u->host_len;
	if (memchr(u->host, '@', u->host_len))
		return err_set(ei, ERR_BAD_REQUEST,
			       "sigv4: the URL carries user information");
	/* the host ends at the port's ':', or after an IPv6 literal's ']' */
	if (u->host_len && u->host[0] == '[') {
		host_end = memchr(u->host, ']', u->host_len);
		if (!host_end || host_end == u->host + 1)
			return err_set(ei, ERR_BAD_REQUEST,
				       "sigv4: the URL has a malformed IPv6 host");
		host_end++;
	} else {
		host_end = memchr(u->host, ':', u->host_len);
		if (!host_end)
			host_end = u->host + u->host_len;
	}
	if (host_end == u->host)
		return err_set(ei, ERR_BAD_REQUEST, "sigv4: the URL has no host");
	if (host_end < u->host + u->host_len) {
		const char *q = host_end;

		if (*q != ':')
			return err_set(ei, ERR_BAD_REQUEST,
				       "sigv4: the URL has a malformed host");
		for (q++; q < u->host + u->host_len; q++)
			if (*q < '0' || *q > '9')
				return err_set(ei, ERR_BAD_REQUEST,
					       "sigv4: the URL has a malformed port");
	}
	for (i = 0; i < u->host_len; i++)
		if (u->host[i] == ' ')
			return err_set(ei, ERR_BAD_REQUEST,
				       "sigv4: the URL's host contains a space");

	u->path = p;
	u->path_len = strcspn(p, "?#");
	p += u->path_len;
	u->query = NULL;
	u->query_len = 0;
	if (*p == '?') {
		u->query = p + 1;
		u->query_len = strcspn(u->query, "#");
	}
	return OK;
}

/* ------------------------------------------------------------------ */
/* Headers                                                              */

/* One header to sign. name is lowercase unless from_caller (then it is
 * lowercased when written); value is raw, trimmed when written. */
struct hdr {
	const char *name;
	size_t name_len;
	const char *value;
	size_t value_len;
	size_t order;           /* position given, keeps repeated names in order */
};

/* The names sigv4_sign sets itself; the caller may not pass them. */
static const char *const own_names[] = {
	"authorization", "host", "x-amz-content-sha256", "x-amz-date",
	"x-amz-security-token",
};

static int name_cmp(const char *a, size_t an, const char *b, size_t bn)
{
	size_t i;

	for (i = 0; i < an && i < bn; i++) {
		unsigned char ca = lower((unsigned char)a[i]);
		unsigned char cb = lower((unsigned char)b[i]);

		if (ca != cb)
			return ca < cb ? -1 : 1;
	}
	return an < bn ? -1 : an > bn;
}

static int hdr_cmp(const void *pa, const void *pb)
{
	const struct hdr *a = pa, *b = pb;
	int c = name_cmp(a->name, a->name_len, b->name, b->name_len);

	if (c)
		return c;
	return a->order < b->order ? -1 : a->order > b->order;
}

/* split_header: checks one "Name: value" line of the caller and fills h.
 * Returns OK or ERR_BAD_REQUEST (no ':', an empty or invalid name, a
 * control byte such as CR or LF, or a name sigv4_sign sets itself). */
static enum err split_header(const char *line, size_t idx, struct hdr *h,
			     struct errinfo *ei)
{
	const char *colon = strchr(line, ':');
	size_t i;

	if (!colon || colon == line)
		return err_set(ei, ERR_BAD_REQUEST,
			       "sigv4: header %zu is not \"Name: value\"", idx);
	for (i = 0; line + i < colon; i++)
		if (!tchar((unsigned char)line[i]))
			return err_set(ei, ERR_BAD_REQUEST,
				       "sigv4: header %zu has an invalid name", idx);
	for (i = 0; line[i]; i++)
		if (ctl((unsigned char)line[i]) && line[i] != '\t')
			return err_set(ei, ERR_BAD_REQUEST,
				       "sigv4: header %zu contains a control byte",
				       idx);
	h->name = line;
	h->name_len = (size_t)(colon - line);
	h->value = colon + 1;
	h->value_len = strlen(colon + 1);
	for (i = 0; i < sizeof(own_names) / sizeof(own_names[0]); i++)
		if (!name_cmp(h->name, h->name_len, own_names[i],
			      strlen(own_names[i])))
			return err_set(ei, ERR_BAD_REQUEST,
				       "sigv4: header %zu is one sigv4 sets itself",
				       idx);
	return OK;
}

/* trimall: appends v[0..n) without leading and trailing blanks and with
 * every inner run of blanks (space, tab) as one space, as botocore's
 * ' '.join(value.split()). Returns OK or the buffer's error. */
static enum err trimall(const char *v, size_t n, struct buf *out)
{
	enum err rc = OK;
	size_t i = 0, start;
	int first = 1;

	while (!rc && i < n) {
		while (i < n && (v[i] == ' ' || v[i] == '\t'))
			i++;
		if (i == n)
			break;
		for (start = i; i < n && v[i] != ' ' && v[i] != '\t'; i++)
			;
		if (!first)
			rc = buf_append(out, " ", 1);
		if (!rc)
			rc = buf_append(out, v + start, i - start);
		first = 0;
	}
	return rc;
}

/* append_lower: appends s[0..n) lowercased. */
static enum err append_lower(struct buf *out, const char *s, size_t n)
{
	enum err rc = OK;
	size_t i;

	for (i = 0; !rc && i < n; i++) {
		char c = (char)lower((unsigned char)s[i]);

		rc = buf_append(out, &c, 1);
	}
	return rc;
}

/* ------------------------------------------------------------------ */
/* The canonical request                                                */

/* Everything the canonical request is made of; filled by prepare, and
 * freed by signing_free. */
struct signing {
	struct url u;
	struct buf host;        /* u's authority, lowercased */
	char date[17];          /* X-Amz-Date */
	char body_hash[HEX_LEN + 1];
	struct buf signed_hdrs; /* "host;x-amz-date;..." */
	struct buf canon;       /* the canonical request */
	int wipe;               /* canon holds a session token */
};

/* signing_init: an empty s; free with signing_free. */
static void signing_init(struct signing *s)
{
	memset(s, 0, sizeof(*s));
	buf_init(&s->host, TEXT_MAX);
	buf_init(&s->signed_hdrs, TEXT_MAX);
	buf_init(&s->canon, TEXT_MAX);
}

/* signing_free: frees what s holds, wiping the canonical request when it
 * carries a session token. */
static void signing_free(struct signing *s)
{
	if (s->wipe && s->canon.data)
		OPENSSL_cleanse(s->canon.data, s->canon.cap);
	buf_free(&s->host);
	buf_free(&s->signed_hdrs);
	buf_free(&s->canon);
}

/* fix_rc: rc with details for the failures no input check named: a text
 * over TEXT_MAX is a request that cannot be signed (ERR_BAD_REQUEST),
 * memory and OpenSSL failures keep their code. Other codes pass as they
 * are, with the details already set. */
static enum err fix_rc(enum err rc, struct errinfo *ei)
{
	if (rc == ERR_TOO_LARGE)
		return err_set(ei, ERR_BAD_REQUEST,
			       "sigv4: the request is too large to sign");
	if (rc == ERR_NOMEM)
		return err_set(ei, ERR_NOMEM, "sigv4: out of memory");
	if (rc == ERR_INTERNAL)
		return err_set(ei, ERR_INTERNAL, "sigv4: OpenSSL failed");
	return rc;
}

/* canon_headers: the canonical headers ("name:value\n" each, repeated
 * names joined by ',') of the headers sigv4_sign adds and rq->headers,
 * appended to s->canon, then the blank line, and the signed header list
 * into s->signed_hdrs. Returns OK, ERR_BAD_REQUEST for a bad header line
 * or ERR_NOMEM. */
static enum err canon_headers(const struct sigv4_request *rq,
			      const char *token, struct signing *s,
			      struct errinfo *ei)
{
	struct hdr *h = NULL;
	size_t n = 0, nextra = 0, i, j;
	enum err rc = OK;

	if (rq->headers)
		while (rq->headers[nextra])
			nextra++;
	if (nextra > ((size_t)-1) / sizeof(*h) - 4)
		return err_set(ei, ERR_NOMEM, "sigv4: out of memory");
	h = calloc(nextra + 4, sizeof(*h));
	if (!h)
		return err_set(ei, ERR_NOMEM, "sigv4: out of memory");

	h[n++] = (struct hdr){ .name = "host", .name_len = 4,
			       .value = buf_cstr(&s->host),
			       .value_len = s->host.len };
	h[n++] = (struct hdr){ .name = "x-amz-date", .name_len = 10,
			       .value = s->date, .value_len = 16 };
	if (token)
		h[n++] = (struct hdr){ .name = "x-amz-security-token",
				       .name_len = 20, .value = token,
				       .value_len = strlen(token) };
	if (rq->content_sha256)
		h[n++] = (struct hdr){ .name = "x-amz-content-sha256",
				       .name_len = 20, .value = s->body_hash,
				       .value_len = HEX_LEN };
	for (i = 0; i < nextra; i++) {
		rc = split_header(rq->headers[i], i, &h[n], ei);
		if (rc)
			goto out;
		n++;
	}
	for (i = 0; i < n; i++)
		h[i].order = i;
	qsort(h, n, sizeof(*h), hdr_cmp);

	for (i = 0; !rc && i < n; i = j) {
		rc = append_lower(&s->canon, h[i].name, h[i].name_len);
		if (!rc)
			rc = buf_append(&s->canon, ":", 1);
		for (j = i; !rc && j < n && !name_cmp(h[i].name, h[i].name_len,
						      h[j].name, h[j].name_len); j++) {
			if (j > i)
				rc = buf_append(&s->canon, ",", 1);
			if (!rc)
				rc = trimall(h[j].value, h[j].value_len, &s->canon);
		}
		if (!rc)
			rc = buf_append(&s->canon, "\n", 1);
		if (!rc && i)
			rc = buf_append(&s->signed_hdrs, ";", 1);
		if (!rc)
			rc = append_lower(&s->signed_hdrs, h[i].name, h[i].name_len);
	}
	if (!rc)
		rc = buf_append(&s->canon, "\n", 1);
	rc = fix_rc(rc, ei);
out:
	free(h);
	return rc;
}

/* url_canon: appends the canonical URI and the canonical query of u, each
 * followed by a newline. Returns OK, ERR_BAD_REQUEST (a malformed escape,
 * or too long), ERR_NOMEM. */
static enum err url_canon(const struct url *u, struct buf *out,
			  struct errinfo *ei)
{
	enum err rc;

	rc = path_canon(u->path, u->path_len, out);
	if (!rc)
		rc = buf_append(out, "\n", 1);
	if (!rc && u->query)
		rc = query_canon(u->query, u->query_len, out);
	if (!rc)
		rc = buf_append(out, "\n", 1);
	if (rc == ERR_BAD_REQUEST)
		return err_set(ei, rc, "sigv4: the URL has a malformed %%-escape");
	return fix_rc(rc, ei);
}

/* prepare: parses rq's URL and builds its canonical request at now into
 * s (which the caller set up with signing_init and frees with
 * signing_free, whatever this returns). token is NULL or non-empty; it is
 * signed as x-amz-security-token. This is the one place the canonical
 * request is made, for sigv4_sign and sigv4_canonical_request alike.
 * Returns OK, ERR_BAD_REQUEST, ERR_CREDENTIALS (a token with a control
 * byte), ERR_NOMEM or ERR_INTERNAL. */
static enum err prepare(const struct sigv4_request *rq, const char *token,
			time_t now, struct signing *s, struct errinfo *ei)
{
	size_t i;
	enum err rc;

	if (!rq->method || !*rq->method)
		return err_set(ei, ERR_BAD_REQUEST, "sigv4: no method");
	for (i = 0; rq->method[i]; i++)
		if (!tchar((unsigned char)rq->method[i]))
			return err_set(ei, ERR_BAD_REQUEST,
				       "sigv4: the method is not a token");
	if (token)
		for (i = 0; token[i]; i++)
			if (ctl((unsigned char)token[i]))
				return err_set(ei, ERR_CREDENTIALS,
					       "sigv4: the session token "
					       "contains a control byte");
	rc = parse_url(rq->url, &s->u, ei);
	if (rc)
		return rc;
	if (amz_date(now, s->date))
		return err_set(ei, ERR_BAD_REQUEST,
			       "sigv4: the time is out of range");
	s->wipe = token != NULL;

	rc = sha256_hex(rq->body, rq->body ? rq->body_len : 0, s->body_hash);
	if (!rc)
		rc = append_lower(&s->host, s->u.host, s->u.host_len);
	if (!rc)
		rc = buf_puts(&s->canon, rq->method);
	if (!rc)
		rc = buf_append(&s->canon, "\n", 1);
	if (rc)
		return fix_rc(rc, ei);
	rc = url_canon(&s->u, &s->canon, ei);
	if (rc)
		return rc;
	rc = canon_headers(rq, token, s, ei);
	if (rc)
		return rc;
	rc = buf_append(&s->canon, s->signed_hdrs.data, s->signed_hdrs.len);
	if (!rc)
		rc = buf_append(&s->canon, "\n", 1);
	if (!rc)
		rc = buf_append(&s->canon, s->body_hash, HEX_LEN);
	return fix_rc(rc, ei);
}

/* ------------------------------------------------------------------ */
/* Signing                                                              */

/* signing_key: the SigV4 key of secret for date8/region/service into
 * key: HMAC chain "AWS4"+secret -> date -> region -> service ->
 * "aws4_request". Every intermediate is wiped; the caller wipes key.
 * Returns OK, ERR_NOMEM or ERR_INTERNAL. */
static enum err signing_key(const char *secret, const char *date8,
			    const char *region, const char *service,
			    unsigned char key[SHA256_LEN])
{
	unsigned char k_date[SHA256_LEN], k_region[SHA256_LEN];
	unsigned char k_service[SHA256_LEN];
	size_t slen = strlen(secret), klen;
	char *seed;
	enum err rc;

	if (slen > ((size_t)-1) - 4)
		return ERR_NOMEM;
	klen = slen + 4;
	seed = malloc(klen);
	if (!seed)
		return ERR_NOMEM;
	memcpy(seed, "AWS4", 4);
	memcpy(seed + 4, secret, slen);

	rc = hmac(seed, klen, date8, DATE_LEN, k_date);
	if (rc)
		goto out;
	rc = hmac(k_date, SHA256_LEN, region, strlen(region), k_region);
	if (rc)
		goto out;
	rc = hmac(k_region, SHA256_LEN, service, strlen(service), k_service);
	if (rc)
		goto out;
	rc = hmac(k_service, SHA256_LEN, TERMINATOR, strlen(TERMINATOR), key);
out:
	OPENSSL_cleanse(seed, klen);
	free(seed);
	OPENSSL_cleanse(k_date, sizeof(k_date));
	OPENSSL_cleanse(k_region, sizeof(k_region));
	OPENSSL_cleanse(k_service, sizeof(k_service));
	return rc;
}

/* scope_part_ok: 1 if region or service s is non-empty and made of
 * A-Z a-z 0-9 - _ . only, so it cannot break the scope or a header. */
static int scope_part_ok(const char *s)
{
	if (!s || !*s)
		return 0;
	for (; *s; s++)
		if (!unreserved((unsigned char)*s) || *s == '~')
			return 0;
	return 1;
}

/* creds_ok: 1 if c has a key id and a secret, and the key id has nothing
 * that could break the Authorization header. */
static int creds_ok(const struct creds *c)
{
	const char *p;

	if (!c || !c->key_id || !*c->key_id || !c->secret || !*c->secret)
		return 0;
	for (p = c->key_id; *p; p++)
		if (ctl((unsigned char)*p) || *p == ' ' || *p == ',' || *p == '/')
			return 0;
	return 1;
}

/* push_line: appends "name: value" to out. Returns OK, ERR_NOMEM or
 * ERR_TOO_LARGE. */
static enum err push_line(struct strlist *out, const char *name,
			  const char *value, size_t value_len)
{
	struct buf line;
	enum err rc;

	buf_init(&line, TEXT_MAX);
	rc = buf_puts(&line, name);
	if (!rc)
		rc = buf_append(&line, ": ", 2);
	if (!rc)
		rc = buf_append(&line, value, value_len);
	if (!rc)
		rc = strlist_push(out, buf_cstr(&line), line.len);
	/* the line may hold the session token */
	if (line.data)
		OPENSSL_cleanse(line.data, line.cap);
	buf_free(&line);
	return rc;
}

/* drop_from: frees out's lines from had on, wiping them (one may hold the
 * session token), so that out keeps what it had. */
static void drop_from(struct strlist *out, size_t had)
{
	while (out->n > had) {
		out->n--;
		OPENSSL_cleanse(out->v[out->n], strlen(out->v[out->n]));
		free(out->v[out->n]);
	}
}

/* sigv4_sign: see sigv4.h. Besides the codes named there it returns
 * ERR_CREDENTIALS for credentials without a key id or secret, a key id
 * that would break the Authorization header or a token with a control
 * byte, and ERR_INTERNAL when OpenSSL fails. */
enum err sigv4_sign(const struct sigv4_request *rq, const struct creds *c,
		    const char *region, const char *service, time_t now,
		    struct strlist *out, struct errinfo *ei)
{
	struct signing s;
	struct buf sts, auth;
	unsigned char key[SHA256_LEN], sig[SHA256_LEN];
	char cr_hash[HEX_LEN + 1], sig_hex[HEX_LEN + 1];
	const char *token = NULL;
	size_t had = out->n;
	enum err rc;

	signing_init(&s);
	buf_init(&sts, TEXT_MAX);
	buf_init(&auth, TEXT_MAX);
	if (!scope_part_ok(region) || !scope_part_ok(service)) {
		rc = err_set(ei, ERR_BAD_REQUEST,
			     "sigv4: the region or service is empty or invalid");
		goto out;
	}
	if (!creds_ok(c)) {
		rc = err_set(ei, ERR_CREDENTIALS,
			     "sigv4: the credentials lack a key id or secret, "
			     "or the key id is malformed");
		goto out;
	}
	if (c->token && *c->token)
		token = c->token;

	rc = prepare(rq, token, now, &s, ei);
	if (rc)
		goto out;
	rc = sha256_hex(s.canon.data, s.canon.len, cr_hash);
	if (rc)
		goto out;
	/* the scope's date is the first eight bytes of X-Amz-Date */
	rc = buf_printf(&sts, ALGORITHM "\n%s\n%.8s/%s/%s/" TERMINATOR "\n%s",
			s.date, s.date, region, service, cr_hash);
	if (rc)
		goto out;
	rc = signing_key(c->secret, s.date, region, service, key);
	if (!rc)
		rc = hmac(key, SHA256_LEN, sts.data, sts.len, sig);
	OPENSSL_cleanse(key, sizeof(key));
	if (rc)
		goto out;
	hex(sig, SHA256_LEN, sig_hex);
	rc = buf_printf(&auth, ALGORITHM " Credential=%s/%.8s/%s/%s/" TERMINATOR
			", SignedHeaders=%s, Signature=%s", c->key_id, s.date,
			region, service, buf_cstr(&s.signed_hdrs), sig_hex);
	if (rc)
		goto out;

	rc = push_line(out, "Host", s.host.data, s.host.len);
	if (!rc)
		rc = push_line(out, "X-Amz-Date", s.date, 16);
	if (!rc && token)
		rc = push_line(out, "X-Amz-Security-Token", token, strlen(token));
	if (!rc && rq->content_sha256)
		rc = push_line(out, "X-Amz-Content-Sha256", s.body_hash, HEX_LEN);
	if (!rc)
		rc = push_line(out, "Authorization", auth.data, auth.len);
	if (rc)
		drop_from(out, had);
out:
	signing_free(&s);
	buf_free(&sts);
	buf_free(&auth);
	/* details of a checked input are set already; name a failed buffer
	 * or OpenSSL here */
	return fix_rc(rc, ei);
}

/* ------------------------------------------------------------------ */
/* The steps, for the tests                                             */

/* flush: appends tmp to out when rc is OK; frees tmp either way. Keeps
 * out as it was when a step failed on bad input. */
static enum err flush(enum err rc, struct buf *tmp, struct buf *out)
{
	if (!rc)
		rc = buf_append(out, tmp->data ? tmp->data : "", tmp->len);
	buf_free(tmp);
	return rc;
}

enum err sigv4_canonical_path(const char *path, size_t len, struct buf *out)
{
	struct buf tmp;

	buf_init(&tmp, TEXT_MAX);
	return flush(path_canon(path, len, &tmp), &tmp, out);
}

enum err sigv4_canonical_query(const char *query, size_t len, struct buf *out)
{
	struct buf tmp;

	buf_init(&tmp, TEXT_MAX);
	return flush(query_canon(query, len, &tmp), &tmp, out);
}

/* sigv4_canonical_request: an empty token counts as none, as in
 * sigv4_sign. */
enum err sigv4_canonical_request(const struct sigv4_request *rq,
				 const char *token, time_t now,
				 struct buf *out)
{
	struct signing s;
	enum err rc;

	signing_init(&s);
	rc = prepare(rq, token && *token ? token : NULL, now, &s, NULL);
	if (!rc)
		rc = buf_append(out, s.canon.data, s.canon.len);
	signing_free(&s);
	return rc;
}
