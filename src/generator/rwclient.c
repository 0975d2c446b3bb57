/* rwclient.c - the remote-write client: snappy, one curl easy handle (so the
 * connection is kept alive between sends), and the retry policy of the
 * remote-write specification: retry 5xx and 429 with backoff, never other
 * 4xx. */
/* the build's config.h (PACKAGE_VERSION) */
#include <config.h>

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <snappy-c.h>

#include "generator/rwclient.h"

#define DEFAULT_TIMEOUT_MS 30000L
#define DEFAULT_ATTEMPTS 5u
#define DEFAULT_BACKOFF_MS 100L
#define DEFAULT_BACKOFF_MAX_MS 5000L
#define DEFAULT_TOTAL_MS 60000L
#define DEFAULT_RETRY_AFTER_MAX_MS 30000L
/* bytes of the server's answer kept for the error message */
#define REPLY_KEEP 512
/* bytes of it shown in ei->details */
#define EXCERPT_MAX 200

struct rwclient {
	CURL *easy;
	char *url;
	struct curl_slist *fixed;       /* the headers of every request */
	struct rwclient_opts opts;      /* with defaults; headers not kept */
	char *zbuf;                     /* compressed body, reused */
	size_t zcap;
	char reply[REPLY_KEEP];         /* start of the last answer's body */
	size_t reply_len;
	unsigned last_attempts;
	char curl_err[CURL_ERROR_SIZE];
};

/* What to do after an attempt. */
enum verdict {
	V_DONE,         /* 2xx */
	V_RETRY,        /* may succeed later */
	V_FAIL,         /* will not: give up now */
};

/* By status class; 429 is the one 4xx that is retried. */
static const enum verdict by_class[] = {
	[0] = V_FAIL, [1] = V_FAIL, [2] = V_DONE, [3] = V_FAIL,
	[4] = V_FAIL, [5] = V_RETRY,
};

/* Transport errors that no retry can mend: everything else (refused,
 * reset, timed out, name not resolved) is retried. */
static const CURLcode permanent[] = {
	CURLE_UNSUPPORTED_PROTOCOL,
	CURLE_URL_MALFORMAT,
	CURLE_NOT_BUILT_IN,
	CURLE_OUT_OF_MEMORY,
	CURLE_BAD_FUNCTION_ARGUMENT,
	CURLE_PEER_FAILED_VERIFICATION,
	CURLE_SSL_CERTPROBLEM,
	CURLE_SSL_CACERT_BADFILE,
	CURLE_TOO_MANY_REDIRECTS,
};

static enum verdict classify(CURLcode cc, long status)
{
	size_t i;

	if (cc != CURLE_OK) {
		for (i = 0; i < sizeof(permanent) / sizeof(permanent[0]); i++)
			if (cc == permanent[i])
				return V_FAIL;
		return V_RETRY;
	}
	if (status == 429)
		return V_RETRY;
	if (status < 0 || status / 100 >= (long)(sizeof(by_class) /
						  sizeof(by_class[0])))
		return V_FAIL;
	return by_class[status / 100];
}

/* Keeps the first REPLY_KEEP bytes of the answer and swallows the rest. */
static size_t on_data(char *p, size_t size, size_t n, void *arg)
{
	struct rwclient *c = arg;
	size_t len = size * n, take;

	take = sizeof(c->reply) - c->reply_len;
	if (take > len)
		take = len;
	memcpy(c->reply + c->reply_len, p, take);
	c->reply_len += take;
	return len;
}

/* A printable excerpt of the last answer into out (size cap): control and
 * non-ASCII bytes become '?', runs of white space one space, at most
 * EXCERPT_MAX bytes, "..." when cut. */
static void excerpt(const struct rwclient *c, char *out, size_t cap)
{
	size_t i, n = 0, lim = cap - 4 < EXCERPT_MAX ? cap - 4 : EXCERPT_MAX;
	int space = 1;

	for (i = 0; i < c->reply_len && n < lim; i++) {
		unsigned char ch = (unsigned char)c->reply[i];

		if (ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n') {
			if (!space)
				out[n++] = ' ';
			space = 1;
			continue;
		}
		out[n++] = ch >= 0x20 && ch < 0x7f ? (char)ch : '?';
		space = 0;
	}
	while (n && out[n - 1] == ' ')
		n--;
	if (i < c->reply_len && n + 3 < cap) {
		memcpy(out + n, "...", 3);
		n += 3;
	}
	out[n] = '\0';
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Sleeps ms milliseconds, waking early when the stop flag gets set (a
 * signal interrupts nanosleep). Returns 1 if stopped. */
static int pause_ms(const struct rwclient *c, long ms)
{
	struct timespec left = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&left, &left) != 0) {
		if (errno != EINTR)
			break;
		if (c->opts.stop && *c->opts.stop)
			return 1;
	}
	return c->opts.stop && *c->opts.stop;
}

/* The wait before attempt number `next` (2, 3, ...): backoff_ms doubled
 * for each attempt past the second, capped; or the server's Retry-After
 * (seconds), capped, when it gave one. */
static long wait_before(const struct rwclient *c, unsigned next,
			curl_off_t retry_after_s)
{
	long w = c->opts.backoff_ms;
	unsigned i;

	if (retry_after_s > 0) {
		if (retry_after_s > c->opts.retry_after_max_ms / 1000)
			return c->opts.retry_after_max_ms;
		return (long)retry_after_s * 1000;
	}
	for (i = 2; i < next && w < c->opts.backoff_max_ms; i++)
		w = w > LONG_MAX / 2 ? LONG_MAX : w * 2;
	return w < c->opts.backoff_max_ms ? w : c->opts.backoff_max_ms;
}

/* Header lines go to curl as they are: a CR, LF or NUL in one would split
 * or cut a request. */
static int header_ok(const char *h)
{
	const char *colon = strchr(h, ':');

	return colon && colon != h && !strpbrk(h, "\r\n");
}

/* Case-insensitive "does s start with prefix". */
static int has_scheme(const char *s, const char *prefix)
{
	size_t i;

	for (i = 0; prefix[i]; i++) {
		unsigned char a = (unsigned char)s[i];

		if (a >= 'A' && a <= 'Z')
			a = (unsigned char)(a - 'A' + 'a');
		if (a != (unsigned char)prefix[i])
			return 0;
	}
	return 1;
}

static int set_long(CURL *e, CURLoption o, long v)
{
	return curl_easy_setopt(e, o, v) != CURLE_OK;
}

static int set_str(CURL *e, CURLoption o, const char *v)
{
	return curl_easy_setopt(e, o, v) != CURLE_OK;
}

/* Fills the defaults of zero fields. */
static void take_opts(struct rwclient_opts *o, const struct rwclient_opts *in)
{
	if (in)
		*o = *in;
	o->headers = NULL;
	o->ca_file = NULL;
	if (!o->max_attempts)
		o->max_attempts = DEFAULT_ATTEMPTS;
	if (o->backoff_ms <= 0)
		o->backoff_ms = DEFAULT_BACKOFF_MS;
	if (o->backoff_max_ms <= 0)
		o->backoff_max_ms = DEFAULT_BACKOFF_MAX_MS;
	if (o->total_ms <= 0)
		o->total_ms = DEFAULT_TOTAL_MS;
	if (o->retry_after_max_ms <= 0)
		o->retry_after_max_ms = DEFAULT_RETRY_AFTER_MAX_MS;
}

/* The fixed headers; "Expect:" keeps curl from waiting for a 100 Continue
 * on large bodies, which some receivers never send. */
static const char *const fixed_headers[] = {
	"Content-Encoding: snappy",
	"Content-Type: application/x-protobuf",
	"X-Prometheus-Remote-Write-Version: 0.1.0",
	"Expect:",
};

enum err rwclient_new(const char *url, long timeout_ms,
		      const struct rwclient_opts *opts, struct rwclient **out,
		      struct errinfo *ei)
{
	struct rwclient *c = NULL;
	struct curl_slist *l;
	enum err rc = OK;
	size_t i;
	int bad = 0;

	if (!url || (!has_scheme(url, "http://") &&
		     !has_scheme(url, "https://"))) {
		rc = err_set(ei, ERR_BAD_REQUEST,
			     "remote write URL: expected http:// or https://");
		goto out;
	}
	c = calloc(1, sizeof(*c));
	if (!c || !(c->url = strdup(url)) || !(c->easy = curl_easy_init())) {
		rc = err_set(ei, ERR_NOMEM, "remote write client: out of memory");
		goto out;
	}
	take_opts(&c->opts, opts);
	for (i = 0; i < sizeof(fixed_headers) / sizeof(fixed_headers[0]); i++) {
		l = curl_slist_append(c->fixed, fixed_headers[i]);
		if (!l) {
			rc = err_set(ei, ERR_NOMEM,
				     "remote write client: out of memory");
			goto out;
		}
		c->fixed = l;
	}
	for (i = 0; opts && opts->headers && opts->headers[i]; i++) {
		if (!header_ok(opts->headers[i])) {
			rc = err_set(ei, ERR_BAD_REQUEST,
				     "remote write header %zu: expected "
				     "\"Name: value\" on one line", i);
			goto out;
		}
		l = curl_slist_append(c->fixed, opts->headers[i]);
		if (!l) {
			rc = err_set(ei, ERR_NOMEM,
				     "remote write client: out of memory");
			goto out;
		}
		c->fixed = l;
	}
	if (timeout_ms <= 0)
		timeout_ms = DEFAULT_TIMEOUT_MS;
	bad |= set_str(c->easy, CURLOPT_URL, c->url);
#if LIBCURL_VERSION_NUM >= 0x075500
	bad |= set_str(c->easy, CURLOPT_PROTOCOLS_STR, "http,https");
#else
	bad |= set_long(c->easy, CURLOPT_PROTOCOLS,
			CURLPROTO_HTTP | CURLPROTO_HTTPS);
#endif
	bad |= set_long(c->easy, CURLOPT_FOLLOWLOCATION, 0L);
	bad |= set_long(c->easy, CURLOPT_POST, 1L);
	bad |= set_long(c->easy, CURLOPT_TIMEOUT_MS, timeout_ms);
	bad |= set_long(c->easy, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
	bad |= set_long(c->easy, CURLOPT_NOSIGNAL, 1L);
	bad |= set_long(c->easy, CURLOPT_TCP_KEEPALIVE, 1L);
	bad |= set_str(c->easy, CURLOPT_USERAGENT,
		       "metrics-generator/" PACKAGE_VERSION);
	if (opts && opts->ca_file)
		bad |= set_str(c->easy, CURLOPT_CAINFO, opts->ca_file);
	bad |= curl_easy_setopt(c->easy, CURLOPT_WRITEFUNCTION, on_data) !=
		CURLE_OK;
	bad |= curl_easy_setopt(c->easy, CURLOPT_WRITEDATA, c) != CURLE_OK;
	bad |= curl_easy_setopt(c->easy, CURLOPT_ERRORBUFFER, c->curl_err) !=
		CURLE_OK;
	if (bad) {
		rc = err_set(ei, ERR_INTERNAL,
			     "remote write client: libcurl refused an option");
		goto out;
	}
	*out = c;
	c = NULL;
out:
	rwclient_free(c);
	return rc;
}

/* Compresses proto into c->zbuf; *zlen gets the compressed length. */
static enum err compress_body(struct rwclient *c, const void *proto,
			      size_t len, size_t *zlen, struct errinfo *ei)
{
	size_t need, n;

	if (len > (SIZE_MAX - 32) / 7 * 6 || len > UINT32_MAX)
		return err_set(ei, ERR_TOO_LARGE,
			       "remote write: a request of %zu bytes is too "
			       "large to compress", len);
	need = snappy_max_compressed_length(len);
	if (need > c->zcap) {
		char *p = realloc(c->zbuf, need);

		if (!p)
			return err_set(ei, ERR_NOMEM,
				       "remote write: out of memory");
		c->zbuf = p;
		c->zcap = need;
	}
	n = c->zcap;
	if (snappy_compress(proto, len, c->zbuf, &n) != SNAPPY_OK)
		return err_set(ei, ERR_INTERNAL,
			       "remote write: snappy could not compress");
	*zlen = n;
	return OK;
}

/* The headers of one attempt: the fixed ones, plus the signer's when there
 * is one (*own then gets the list to free). */
static enum err attempt_headers(struct rwclient *c, size_t zlen,
				struct curl_slist **own, struct errinfo *ei)
{
	struct strlist signed_h = { 0 };
	struct curl_slist *l = NULL, *n, *it;
	enum err rc = OK;
	size_t i;

	*own = NULL;
	if (!c->opts.sign)
		return OK;
	rc = c->opts.sign(c->opts.sign_arg, "POST", c->url, c->zbuf, zlen,
			  &signed_h, ei);
	if (rc)
		goto out;
	for (it = c->fixed; it; it = it->next) {
		n = curl_slist_append(l, it->data);
		if (!n)
			goto nomem;
		l = n;
	}
	for (i = 0; i < signed_h.n; i++) {
		if (!header_ok(signed_h.v[i])) {
			rc = err_set(ei, ERR_INTERNAL, "remote write: the "
				     "signer made a header that cannot be sent");
			goto out;
		}
		n = curl_slist_append(l, signed_h.v[i]);
		if (!n)
			goto nomem;
		l = n;
	}
	*own = l;
	l = NULL;
	goto out;
nomem:
	rc = err_set(ei, ERR_NOMEM, "remote write: out of memory");
out:
	curl_slist_free_all(l);
	strlist_free(&signed_h);
	return rc;
}

/* Fills ei for a send that failed with the last attempt's outcome. */
static enum err failure(struct rwclient *c, CURLcode cc, long status,
			unsigned attempts, const char *why,
			struct errinfo *ei)
{
	char ex[EXCERPT_MAX + 8];
	enum err code;

	if (cc != CURLE_OK) {
		code = cc == CURLE_OPERATION_TIMEDOUT ? ERR_TIMEOUT :
			ERR_UPSTREAM;
		err_set(ei, code, "remote write: %s after %u attempt%s: %s",
			why, attempts, attempts == 1 ? "" : "s",
			c->curl_err[0] ? c->curl_err : curl_easy_strerror(cc));
		if (ei)
			ei->upstream_status = 0;
		return code;
	}
	excerpt(c, ex, sizeof(ex));
	err_set(ei, ERR_UPSTREAM, "remote write: %s after %u attempt%s: "
		"HTTP %ld%s%s", why, attempts, attempts == 1 ? "" : "s",
		status, ex[0] ? ": " : "", ex);
	if (ei)
		ei->upstream_status = status;
	return ERR_UPSTREAM;
}

/* Each attempt: (re)sign, POST, classify; between attempts the backoff or
 * the server's Retry-After, within the attempts and total-time bounds. */
enum err rwclient_send(struct rwclient *c, const void *proto, size_t len,
		       struct errinfo *ei)
{
	struct curl_slist *own = NULL;
	int64_t start = now_ms();
	CURLcode cc = CURLE_OK;
	long status = 0;
	const char *why = "gave up";
	size_t zlen = 0;
	unsigned attempt;
	enum err rc;

	c->last_attempts = 0;
	rc = compress_body(c, proto, len, &zlen, ei);
	if (rc)
		goto out;
	for (attempt = 1;; attempt++) {
		curl_off_t retry_after = 0;
		enum verdict v;
		long w;

		curl_slist_free_all(own);
		rc = attempt_headers(c, zlen, &own, ei);
		if (rc)
			goto out;
		if (curl_easy_setopt(c->easy, CURLOPT_HTTPHEADER,
				     own ? own : c->fixed) != CURLE_OK ||
		    curl_easy_setopt(c->easy, CURLOPT_POSTFIELDS, c->zbuf) !=
		    CURLE_OK ||
		    curl_easy_setopt(c->easy, CURLOPT_POSTFIELDSIZE_LARGE,
				     (curl_off_t)zlen) != CURLE_OK) {
			rc = err_set(ei, ERR_INTERNAL, "remote write: libcurl "
				     "refused an option");
			goto out;
		}
		c->reply_len = 0;
		c->curl_err[0] = '\0';
		status = 0;
		c->last_attempts = attempt;
		cc = curl_easy_perform(c->easy);
		if (cc == CURLE_OK) {
			curl_easy_getinfo(c->easy, CURLINFO_RESPONSE_CODE,
					  &status);
			curl_easy_getinfo(c->easy, CURLINFO_RETRY_AFTER,
					  &retry_after);
		}
		v = classify(cc, status);
		if (v == V_DONE) {
			rc = OK;
			goto out;
		}
		if (v == V_FAIL) {
			why = "rejected";
			break;
		}
		if (attempt >= c->opts.max_attempts)
			break;
		w = wait_before(c, attempt + 1, retry_after);
		if (now_ms() - start + w > c->opts.total_ms) {
			why = "out of time";
			break;
		}
		if ((c->opts.stop && *c->opts.stop) || pause_ms(c, w)) {
			why = "stopped";
			break;
		}
	}
	rc = failure(c, cc, status, attempt, why, ei);
out:
	/* curl must not keep pointers to what is freed or reused */
	curl_easy_setopt(c->easy, CURLOPT_HTTPHEADER, (struct curl_slist *)NULL);
	curl_slist_free_all(own);
	return rc;
}

unsigned rwclient_last_attempts(const struct rwclient *c)
{
	return c ? c->last_attempts : 0;
}

void rwclient_free(struct rwclient *c)
{
	if (!c)
		return;
	if (c->easy)
		curl_easy_cleanup(c->easy);
	curl_slist_free_all(c->fixed);
	free(c->zbuf);
	free(c->url);
	free(c);
}
