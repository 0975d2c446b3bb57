/* awshttp.c - one HTTP exchange with STS or a metadata service: a fresh
 * libcurl easy handle per call, http and https only, no redirects, a bounded
 * reply and a bounded time. The addresses come from the operator's
 * environment, so neither the mirror's allowlist nor its metadata guard
 * applies here; error texts name the host and port only. */
/* the build's config.h (PACKAGE_VERSION) */
#include <config.h>

#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <openssl/crypto.h>

#include "aws/awshttp.h"

/* Used when a caller passes no timeout; credential calls must never hang. */
#define DEFAULT_TIMEOUT_MS 10000L

/* Longest host name an error text shows. */
#define HOST_MAX 255

/* Where the reply goes while curl reads it. */
struct sink {
	struct buf body;          /* ceiling AWSHTTP_MAX_REPLY */
	enum err rc;              /* why on_data refused, or OK */
};

/* What an error text names after the service. */
enum where {
	W_NONE,                   /* the words alone */
	W_HOST,                   /* " host" */
	W_ADDR,                   /* " host:port" */
	W_ADDR_ERRNO,             /* " host:port: <strerror>" when the OS said */
};

/* curl's result codes worded here; anything else reads "request failed:
 * <curl's short text>". Timeouts, an oversized reply and memory are
 * handled before the table. */
static const struct curl_row {
	CURLcode code;
	const char *text;
	enum where where;
} curl_rows[] = {
	{ .code = CURLE_COULDNT_RESOLVE_HOST, .text = "cannot resolve host",
	  .where = W_HOST },
	{ .code = CURLE_COULDNT_RESOLVE_PROXY,
	  .text = "cannot resolve the proxy host" },
	{ .code = CURLE_COULDNT_CONNECT, .text = "cannot connect to",
	  .where = W_ADDR_ERRNO },
	{ .code = CURLE_PEER_FAILED_VERIFICATION,
	  .text = "TLS certificate verification failed for", .where = W_ADDR },
	{ .code = CURLE_SSL_CONNECT_ERROR, .text = "TLS handshake failed with",
	  .where = W_ADDR },
	{ .code = CURLE_SEND_ERROR, .text = "error sending to",
	  .where = W_ADDR_ERRNO },
	{ .code = CURLE_RECV_ERROR, .text = "error receiving from",
	  .where = W_ADDR_ERRNO },
	{ .code = CURLE_GOT_NOTHING,
	  .text = "connection closed without an answer by", .where = W_ADDR },
	{ .code = CURLE_PARTIAL_FILE, .text = "answer cut short by",
	  .where = W_ADDR },
	{ .code = CURLE_WEIRD_SERVER_REPLY, .text = "not an HTTP answer from",
	  .where = W_ADDR },
	{ .code = CURLE_UNSUPPORTED_PROTOCOL,
	  .text = "only http and https URLs are supported" },
	{ .code = CURLE_URL_MALFORMAT, .text = "malformed URL" },
};

/* wipe_slist: zeroes every line of l (they may carry a session token or an
 * Authorization value) and frees the list; l may be NULL. */
static void wipe_slist(struct curl_slist *l)
{
	struct curl_slist *p;

	for (p = l; p; p = p->next)
		if (p->data)
			OPENSSL_cleanse(p->data, strlen(p->data));
	curl_slist_free_all(l);
}

/* on_data: curl's write callback; refusing (returning other than n) makes
 * curl abort the transfer with CURLE_WRITE_ERROR. */
static size_t on_data(char *p, size_t size, size_t nmemb, void *ud)
{
	struct sink *s = ud;
	size_t n;

	if (nmemb && size > ((size_t)-1) / nmemb) {
		s->rc = ERR_TOO_LARGE;
		return 0;
	}
	n = size * nmemb;
	s->rc = buf_append(&s->body, p, n);
	return s->rc ? 0 : n;
}

/* http_url: 1 when url starts with "http://" or "https://" (any case). */
static int http_url(const char *url)
{
	return strncasecmp(url, "http://", 7) == 0 ||
	       strncasecmp(url, "https://", 8) == 0;
}

/* describe_where: writes " host" or " host:port" of url into out (always
 * NUL-terminated), or "" when curl cannot parse it. Only the host and the
 * port: the path and query of a metadata URL may carry an identifier, and
 * userinfo never appears. */
static void describe_where(const char *url, enum where w, char *out,
			   size_t outsz)
{
	CURLU *u = curl_url();
	char *host = NULL, *port = NULL;
	size_t hlen;

	out[0] = '\0';
	if (!u)
		return;
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK)
		goto out;
	hlen = strlen(host);
	if (hlen > HOST_MAX)
		hlen = HOST_MAX;
	if (w == W_HOST || curl_url_get(u, CURLUPART_PORT, &port,
					CURLU_DEFAULT_PORT) != CURLUE_OK)
		snprintf(out, outsz, " %.*s", (int)hlen, host);
	else
		snprintf(out, outsz, " %.*s:%.5s", (int)hlen, host, port);
out:
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
}

/* transfer_error: records in ei why the transfer on e failed with res and
 * returns ERR_CREDENTIALS (ERR_NOMEM when memory ran out). */
static enum err transfer_error(CURL *e, CURLcode res, const struct sink *s,
			       const struct awshttp_request *rq,
			       const char *what, long timeout_ms,
			       struct errinfo *ei)
{
	const struct curl_row *row = NULL;
	char where[HOST_MAX + 16], why[160] = "";
	long os_errno = 0;
	size_t i;

	if (s->rc == ERR_TOO_LARGE)
		return err_set(ei, ERR_CREDENTIALS, "%s: answer larger than %zu "
			       "bytes", what, (size_t)AWSHTTP_MAX_REPLY);
	if (s->rc || res == CURLE_OUT_OF_MEMORY)
		return err_set(ei, ERR_NOMEM, "%s: out of memory reading the "
			       "answer", what);
	if (res == CURLE_OPERATION_TIMEDOUT)
		return err_set(ei, ERR_CREDENTIALS, "%s: timed out after %ld ms",
			       what, timeout_ms);
	for (i = 0; i < sizeof(curl_rows) / sizeof(curl_rows[0]); i++)
		if (curl_rows[i].code == res)
			row = &curl_rows[i];
	if (!row)
		return err_set(ei, ERR_CREDENTIALS, "%s: request failed: %s",
			       what, curl_easy_strerror(res));
	if (row->where == W_NONE)
		return err_set(ei, ERR_CREDENTIALS, "%s: %s", what, row->text);
	describe_where(rq->url, row->where, where, sizeof(where));
	if (row->where == W_ADDR_ERRNO &&
	    curl_easy_getinfo(e, CURLINFO_OS_ERRNO, &os_errno) == CURLE_OK &&
	    os_errno > 0)
		snprintf(why, sizeof(why), ": %s", strerror((int)os_errno));
	return err_set(ei, ERR_CREDENTIALS, "%s: %s%s%s", what, row->text,
		       where[0] ? where : " the service", why);
}

/* build_headers: a curl list of rq's header lines plus "Expect:" (so that a
 * large POST body, such as one carrying a web identity token, does not wait
 * for a "100 Continue" few services send). Returns OK and *out (free with
 * wipe_slist), ERR_CREDENTIALS for a line with a line break, or
 * ERR_NOMEM. */
static enum err build_headers(const struct awshttp_request *rq,
			      const char *what, struct curl_slist **out,
			      struct errinfo *ei)
{
	struct curl_slist *l = NULL, *next;
	const char *const *h;

	for (h = rq->headers; h && *h; h++) {
		if (strpbrk(*h, "\r\n")) {
			wipe_slist(l);
			return err_set(ei, ERR_CREDENTIALS, "%s: a request header "
				       "holds a line break", what);
		}
		next = curl_slist_append(l, *h);
		if (!next)
			goto nomem;
		l = next;
	}
	next = curl_slist_append(l, "Expect:");
	if (!next)
		goto nomem;
	*out = next;
	return OK;
nomem:
	wipe_slist(l);
	return err_set(ei, ERR_NOMEM, "%s: out of memory building the request",
		       what);
}

static int set_long(CURL *e, CURLoption o, long v)
{
	return curl_easy_setopt(e, o, v) != CURLE_OK;
}

static int set_str(CURL *e, CURLoption o, const char *v)
{
	return curl_easy_setopt(e, o, v) != CURLE_OK;
}

/* set_method: GET as it is, POST with its body, PUT with its body (or an
 * empty one: curl then sends Content-Length: 0, which the EC2 metadata
 * service requires). Returns 0, or 1 when curl refused an option. */
static int set_method(CURL *e, const struct awshttp_request *rq)
{
	const char *body = rq->body ? rq->body : "";
	size_t len = rq->body ? rq->body_len : 0;
	int bad = 0;

	if (strcmp(rq->method, "GET") == 0)
		return set_long(e, CURLOPT_HTTPGET, 1L);
	bad |= set_long(e, CURLOPT_POSTFIELDSIZE, (long)len);
	bad |= curl_easy_setopt(e, CURLOPT_POSTFIELDS, body) != CURLE_OK;
	if (strcmp(rq->method, "PUT") == 0)
		bad |= set_str(e, CURLOPT_CUSTOMREQUEST, "PUT");
	return bad;
}

enum err awshttp_do(const struct awshttp_request *rq, long *status,
		    struct buf *reply, struct errinfo *ei)
{
	const char *what = rq->what ? rq->what : "AWS credentials service";
	long timeout_ms = rq->timeout_ms > 0 ? rq->timeout_ms
					     : DEFAULT_TIMEOUT_MS;
	struct curl_slist *headers = NULL;
	struct sink s = { .rc = OK };
	CURL *e = NULL;
	CURLcode res;
	long code = 0;
	enum err rc;
	int bad = 0;

	buf_init(&s.body, AWSHTTP_MAX_REPLY);
	if (!rq->url || !http_url(rq->url)) {
		rc = err_set(ei, ERR_CREDENTIALS, "%s: only http and https URLs "
			     "are supported", what);
		goto out;
	}
	if (!rq->method || (strcmp(rq->method, "GET") != 0 &&
			    strcmp(rq->method, "POST") != 0 &&
			    strcmp(rq->method, "PUT") != 0)) {
		rc = err_set(ei, ERR_CREDENTIALS, "%s: unsupported method", what);
		goto out;
	}
	if (rq->body && rq->body_len > (size_t)LONG_MAX) {
		rc = err_set(ei, ERR_CREDENTIALS, "%s: request body too large",
			     what);
		goto out;
	}
	rc = build_headers(rq, what, &headers, ei);
	if (rc)
		goto out;
	e = curl_easy_init();
	if (!e) {
		rc = err_set(ei, ERR_NOMEM, "%s: cannot create an HTTP handle",
			     what);
		goto out;
	}
	bad |= set_str(e, CURLOPT_URL, rq->url);
#if LIBCURL_VERSION_NUM >= 0x075500
	bad |= set_str(e, CURLOPT_PROTOCOLS_STR, "http,https");
	bad |= set_str(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
#else
	bad |= set_long(e, CURLOPT_PROTOCOLS, CURLPROTO_HTTP | CURLPROTO_HTTPS);
	bad |= set_long(e, CURLOPT_REDIR_PROTOCOLS,
			CURLPROTO_HTTP | CURLPROTO_HTTPS);
#endif
	bad |= set_long(e, CURLOPT_FOLLOWLOCATION, 0L);
	bad |= set_long(e, CURLOPT_NOSIGNAL, 1L);
	bad |= set_long(e, CURLOPT_TIMEOUT_MS, timeout_ms);
	bad |= set_long(e, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
	bad |= set_long(e, CURLOPT_SSL_VERIFYPEER, 1L);
	bad |= set_long(e, CURLOPT_SSL_VERIFYHOST, 2L);
	bad |= set_str(e, CURLOPT_USERAGENT, PACKAGE_NAME "/" PACKAGE_VERSION);
	bad |= curl_easy_setopt(e, CURLOPT_HTTPHEADER, headers) != CURLE_OK;
	bad |= curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_data) != CURLE_OK;
	bad |= curl_easy_setopt(e, CURLOPT_WRITEDATA, &s) != CURLE_OK;
	bad |= set_method(e, rq);
	if (bad) {
		rc = err_set(ei, ERR_CREDENTIALS, "%s: libcurl refused an option",
			     what);
		goto out;
	}
	res = curl_easy_perform(e);
	if (res != CURLE_OK) {
		rc = transfer_error(e, res, &s, rq, what, timeout_ms, ei);
		goto out;
	}
	if (curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &code) != CURLE_OK) {
		rc = err_set(ei, ERR_CREDENTIALS, "%s: no HTTP status", what);
		goto out;
	}
	rc = buf_append(reply, s.body.data ? s.body.data : "", s.body.len);
	if (rc == ERR_TOO_LARGE) {
		rc = err_set(ei, ERR_CREDENTIALS, "%s: answer larger than %zu "
			     "bytes", what, (size_t)AWSHTTP_MAX_REPLY);
		goto out;
	}
	if (rc) {
		rc = err_set(ei, ERR_NOMEM, "%s: out of memory reading the "
			     "answer", what);
		goto out;
	}
	*status = code;
out:
	if (e)
		curl_easy_cleanup(e);
	wipe_slist(headers);
	buf_wipe(&s.body);
	return rc;
}
