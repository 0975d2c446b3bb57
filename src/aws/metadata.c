/* metadata.c - credentials from the ECS container credentials endpoint and
 * from the EC2 instance metadata service (IMDSv2), over awshttp. Their
 * addresses come from the process environment only. The authorization
 * token, the IMDS session token and the credentials never reach an error
 * text, and every buffer that held one is wiped before it is freed. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "aws/awshttp.h"
#include "aws/metadata.h"
#include "common/buf.h"
#include "common/excerpt.h"

#define ECS_WHAT "ECS container credentials"
#define IMDS_WHAT "EC2 instance metadata"

/* The ECS agent's link-local address, which RELATIVE_URI is a path on. */
#define ECS_BASE "http://169.254.170.2"
#define IMDS_DEFAULT "http://169.254.169.254"

#define IMDS_TOKEN_PATH "/latest/api/token"
#define IMDS_ROLES_PATH "/latest/meta-data/iam/security-credentials/"
#define IMDS_TTL_HEADER "X-aws-ec2-metadata-token-ttl-seconds: 21600"
#define IMDS_TOKEN_HEADER "X-aws-ec2-metadata-token: "

/* Each IMDS call is bounded by this much, off EC2 nothing answers. */
#define IMDS_STEP_MS 2000L

/* Ceilings: the authorization token file, an IMDS session token, an IAM
 * role name (IAM's own limit), a URL built from the environment. */
#define TOKEN_FILE_MAX ((size_t)16 << 10)
#define IMDS_TOKEN_MAX ((size_t)4 << 10)
#define ROLE_MAX 64
#define URL_MAX ((size_t)8 << 10)

/* How much of a service's texts an error quotes. */
#define CODE_MAX 64
#define EXCERPT_MAX 200

/* ---- small helpers ---- */

/* env: the variable name when set and non-empty, else NULL. */
static const char *env(const char *name)
{
	const char *v = getenv(name);

	return v && v[0] ? v : NULL;
}

/* wipe_reset: zeroes what b holds and empties it for reuse. */
static void wipe_reset(struct buf *b)
{
	if (b->data)
		OPENSSL_cleanse(b->data, b->len);
	buf_reset(b);
}

/* trim_end: drops trailing blanks and line ends from b. */
static void trim_end(struct buf *b)
{
	while (b->len && isspace((unsigned char)b->data[b->len - 1]))
		b->data[--b->len] = '\0';
}

/* nomem: the error for memory that ran out while talking to what. */
static enum err nomem(const char *what, struct errinfo *ei)
{
	return err_set(ei, ERR_NOMEM, "%s: out of memory", what);
}

/* ---- parsing ---- */

/* days_in: the number of days of month mo (1-12) of year y. */
static int days_in(int y, int mo)
{
	static const int days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
				      30, 31 };
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return mo == 2 && leap ? 29 : days[mo - 1];
}

/* number: the n decimal digits at s as *out. Returns 0, or -1 when one is
 * not a digit. */
static int number(const char *s, size_t n, int *out)
{
	int v = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

/* Offsets other than +00:00 are accepted and applied: the same instant,
 * however a service chooses to spell it. */
int metadata_parse_time(const char *s, double *out)
{
	int y, mo, d, h, mi, sec, oh = 0, om = 0, sign = 0;
	double frac = 0, scale = 0.1;
	struct tm tm;
	const char *p;
	time_t t;

	if (!s || strlen(s) < 20 || s[4] != '-' || s[7] != '-' ||
	    (s[10] != 'T' && s[10] != 't') || s[13] != ':' || s[16] != ':')
		return -1;
	if (number(s, 4, &y) || number(s + 5, 2, &mo) || number(s + 8, 2, &d) ||
	    number(s + 11, 2, &h) || number(s + 14, 2, &mi) ||
	    number(s + 17, 2, &sec))
		return -1;
	p = s + 19;
	if (*p == '.') {
		p++;
		if (*p < '0' || *p > '9')
			return -1;
		for (; *p >= '0' && *p <= '9'; p++) {
			frac += (*p - '0') * scale;
			scale /= 10;
		}
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		sign = *p == '+' ? 1 : -1;
		if (strlen(p) < 6 || p[3] != ':' || number(p + 1, 2, &oh) ||
		    number(p + 4, 2, &om) || oh > 23 || om > 59)
			return -1;
		p += 6;
	} else {
		return -1;
	}
	if (*p)
		return -1;
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > days_in(y, mo) ||
	    h > 23 || mi > 59 || sec > 59)
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	t = timegm(&tm);
	if (t == (time_t)-1)
		return -1;
	*out = (double)t + frac - (double)sign * (oh * 3600 + om * 60);
	return 0;
}

/* quote: the string v (nothing when it is not one) as an excerpt into
 * out, whose size bounds it; the whole text is read so that a long secret
 * in it becomes "***". */
static void quote(const char *const *secrets, const size_t *lens, size_t n,
		  json_t *v, char *out, size_t outsz)
{
	const char *s = json_is_string(v) ? json_string_value(v) : NULL;
	size_t len = s ? json_string_length(v) : 0;

	excerpt_text(secrets, lens, n, s, len, len, out, outsz);
}

/* code_error: an answer whose Code is not "Success": returns
 * ERR_CREDENTIALS with the Code and Message quoted (any secret and token
 * in the answer hidden). */
static enum err code_error(const char *what, json_t *root, struct errinfo *ei)
{
	const char *secrets[2];
	size_t lens[2], n = 0;
	char code[CODE_MAX + 4], msg[EXCERPT_MAX + 4];
	json_t *c = json_object_get(root, "Code");
	json_t *m = json_object_get(root, "Message");
	json_t *v;

	v = json_object_get(root, "SecretAccessKey");
	if (json_is_string(v) && json_string_length(v)) {
		secrets[n] = json_string_value(v);
		lens[n++] = json_string_length(v);
	}
	v = json_object_get(root, "Token");
	if (json_is_string(v) && json_string_length(v)) {
		secrets[n] = json_string_value(v);
		lens[n++] = json_string_length(v);
	}
	quote(secrets, lens, n, c, code, sizeof(code));
	quote(secrets, lens, n, m, msg, sizeof(msg));
	if (!msg[0])
		return err_set(ei, ERR_CREDENTIALS, "%s: answered Code %s", what,
			       code[0] ? code : "(not a text)");
	return err_set(ei, ERR_CREDENTIALS, "%s: answered Code %s: %s", what,
		       code[0] ? code : "(not a text)", msg);
}

enum err metadata_parse(const char *what, const char *body, size_t len,
			double now, struct creds *out, struct errinfo *ei)
{
	const char *key, *secret, *token, *exp;
	json_error_t jerr;
	json_t *root = NULL, *code;
	double expires;
	enum err rc;

	if (!what)
		what = "credentials service";
	if (!body || !len) {
		rc = err_set(ei, ERR_CREDENTIALS, "%s: empty answer", what);
		goto out;
	}
	root = json_loadb(body, len, 0, &jerr);
	if (!json_is_object(root)) {
		/* not quoted: a credentials answer cut short would show them */
		rc = err_set(ei, ERR_CREDENTIALS, "%s: the answer is not a JSON "
			     "object", what);
		goto out;
	}
	code = json_object_get(root, "Code");
	if (code && !(json_is_string(code) &&
		      strcmp(json_string_value(code), "Success") == 0)) {
		rc = code_error(what, root, ei);
		goto out;
	}
	rc = creds_json_text(what, root, "", "AccessKeyId", &key, ei);
	if (!rc)
		rc = creds_json_text(what, root, "", "SecretAccessKey", &secret, ei);
	if (!rc)
		rc = creds_json_text(what, root, "", "Token", &token, ei);
	if (!rc)
		rc = creds_json_text(what, root, "", "Expiration", &exp, ei);
	if (rc)
		goto out;
	if (metadata_parse_time(exp, &expires) != 0) {
		rc = err_set(ei, ERR_CREDENTIALS, "%s: Expiration is not an ISO "
			     "8601 time", what);
		goto out;
	}
	if (expires <= now) {
		rc = err_set(ei, ERR_CREDENTIALS, "%s: the credentials returned "
			     "expired already (%.64s)", what, exp);
		goto out;
	}
	if (creds_set(out, key, secret, token, now, expires)) {
		rc = nomem(what, ei);
		goto out;
	}
	out->temporary = 1;
out:
	if (json_is_object(root))
		creds_json_wipe(root);
	json_decref(root);
	return rc;
}

/* ---- ECS ---- */

int metadata_ecs_configured(void)
{
	return env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI") ||
	       env("AWS_CONTAINER_CREDENTIALS_FULL_URI");
}

/* ecs_token: the authorization token, from the file when
 * AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE is set, else from
 * AWS_CONTAINER_AUTHORIZATION_TOKEN, into tok (left empty when neither is
 * set). Returns OK, ERR_CREDENTIALS (unreadable, empty, a line break) or
 * ERR_NOMEM. */
static enum err ecs_token(struct buf *tok, struct errinfo *ei)
{
	const char *file = env("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
	const char *value = env("AWS_CONTAINER_AUTHORIZATION_TOKEN");
	enum err rc;

	if (file) {
		rc = creds_read_file(file, ECS_WHAT, "the authorization token file",
				     tok, ei);
		if (rc)
			return rc;
	} else if (value) {
		rc = buf_puts(tok, value);
		if (rc)
			return rc == ERR_TOO_LARGE
			       ? err_set(ei, ERR_CREDENTIALS, ECS_WHAT ": "
					 "AWS_CONTAINER_AUTHORIZATION_TOKEN is "
					 "too long")
			       : nomem(ECS_WHAT, ei);
	} else {
		return OK;
	}
	trim_end(tok);
	if (!tok->len)
		return err_set(ei, ERR_CREDENTIALS, ECS_WHAT ": the authorization "
			       "token is empty");
	if (!creds_text_ok(tok->data, tok->len))
		return err_set(ei, ERR_CREDENTIALS, ECS_WHAT ": the authorization "
			       "token holds a line break or a control byte");
	return OK;
}

/* ecs_url: the ECS endpoint from the environment into url. Returns OK,
 * ERR_CREDENTIALS (neither set, a relative URI that is no path) or
 * ERR_NOMEM. */
static enum err ecs_url(struct buf *url, struct errinfo *ei)
{
	const char *rel = env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
	const char *full = env("AWS_CONTAINER_CREDENTIALS_FULL_URI");
	enum err rc;

	if (rel) {
		/* a path only: "@host" or ":port" would move the request */
		if (rel[0] != '/')
			return err_set(ei, ERR_CREDENTIALS, ECS_WHAT ": "
				       "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI "
				       "does not start with /");
		rc = buf_puts(url, ECS_BASE);
		if (!rc)
			rc = buf_puts(url, rel);
	} else if (full) {
		rc = buf_puts(url, full);
	} else {
		return err_set(ei, ERR_CREDENTIALS, ECS_WHAT ": not configured");
	}
	if (rc == ERR_TOO_LARGE)
		return err_set(ei, ERR_CREDENTIALS, ECS_WHAT ": the endpoint URL "
			       "is too long");
	return rc ? nomem(ECS_WHAT, ei) : OK;
}

enum err metadata_ecs(long timeout_ms, struct creds *out, struct errinfo *ei)
{
	struct buf url, tok, auth, reply;
	const char *headers[2] = { NULL, NULL };
	struct awshttp_request rq;
	long status = 0;
	enum err rc;

	buf_init(&url, URL_MAX);
	buf_init(&tok, TOKEN_FILE_MAX);
	buf_init(&auth, TOKEN_FILE_MAX + 32);
	buf_init(&reply, AWSHTTP_MAX_REPLY);
	rc = ecs_url(&url, ei);
	if (!rc)
		rc = ecs_token(&tok, ei);
	if (rc)
		goto out;
	if (tok.len) {
		rc = buf_puts(&auth, "Authorization: ");
		if (!rc)
			rc = buf_append(&auth, tok.data, tok.len);
		if (rc) {
			rc = nomem(ECS_WHAT, ei);
			goto out;
		}
		headers[0] = buf_cstr(&auth);
	}
	rq = (struct awshttp_request){
		.method = "GET",
		.url = buf_cstr(&url),
		.headers = headers,
		.timeout_ms = timeout_ms,
		.what = ECS_WHAT,
	};
	rc = awshttp_do(&rq, &status, &reply, ei);
	if (rc)
		goto out;
	if (status != 200) {
		const char *secret = tok.data;
		size_t len = tok.len;
		char ex[EXCERPT_MAX + 4];

		excerpt_text(&secret, &len, tok.len ? 1 : 0, reply.data,
			     reply.len, reply.len, ex, sizeof(ex));
		rc = err_set(ei, ERR_CREDENTIALS, ECS_WHAT ": answered HTTP "
			     "%ld%s%s", status, ex[0] ? ": " : "", ex);
		goto out;
	}
	rc = metadata_parse(ECS_WHAT, reply.data, reply.len, creds_now(),
			    out, ei);
out:
	buf_wipe(&reply);
	buf_wipe(&auth);
	buf_wipe(&tok);
	buf_free(&url);
	return rc;
}

/* ---- EC2 instance metadata ---- */

int metadata_imds_enabled(void)
{
	const char *v = getenv("AWS_EC2_METADATA_DISABLED");

	return !(v && strcasecmp(v, "true") == 0);
}

/* imds_call: one IMDS exchange: method on base + path with the given
 * headers, whose answer must be a 200 (step names the call in errors).
 * Appends the answer to reply. Returns OK, ERR_CREDENTIALS or
 * ERR_NOMEM. */
static enum err imds_call(const char *method, const struct buf *base,
			  const char *path, const char *const *headers,
			  long ms, const char *step, struct buf *reply,
			  struct errinfo *ei)
{
	struct awshttp_request rq;
	struct buf url;
	long status = 0;
	enum err rc;

	buf_init(&url, URL_MAX);
	rc = buf_append(&url, base->data, base->len);
	if (!rc)
		rc = buf_puts(&url, path);
	if (rc) {
		rc = rc == ERR_TOO_LARGE
		     ? err_set(ei, ERR_CREDENTIALS, IMDS_WHAT ": the endpoint "
			       "URL is too long")
		     : nomem(IMDS_WHAT, ei);
		goto out;
	}
	rq = (struct awshttp_request){
		.method = method,
		.url = buf_cstr(&url),
		.headers = headers,
		.timeout_ms = ms,
		.what = IMDS_WHAT,
	};
	rc = awshttp_do(&rq, &status, reply, ei);
	if (rc)
		goto out;
	if (status != 200)
		rc = err_set(ei, ERR_CREDENTIALS, IMDS_WHAT ": %s answered HTTP "
			     "%ld", step, status);
out:
	buf_free(&url);
	return rc;
}

/* role_name_ok: 1 for a role name IAM allows (letters, digits and
 * "+=,.@_-", at most ROLE_MAX bytes): nothing that could change the path
 * it is appended to. */
static int role_name_ok(const char *s, size_t n)
{
	size_t i;

	if (!n || n > ROLE_MAX)
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!isalnum(c) && !strchr("+=,.@_-", c))
			return 0;
	}
	return 1;
}

/* imds_base: AWS_EC2_METADATA_SERVICE_ENDPOINT or the default, without
 * trailing "/", into base. Returns OK, ERR_CREDENTIALS or ERR_NOMEM. */
static enum err imds_base(struct buf *base, struct errinfo *ei)
{
	const char *e = env("AWS_EC2_METADATA_SERVICE_ENDPOINT");
	enum err rc;

	rc = buf_puts(base, e ? e : IMDS_DEFAULT);
	if (rc == ERR_TOO_LARGE)
		return err_set(ei, ERR_CREDENTIALS, IMDS_WHAT ": "
			       "AWS_EC2_METADATA_SERVICE_ENDPOINT is too long");
	if (rc)
		return nomem(IMDS_WHAT, ei);
	while (base->len && base->data[base->len - 1] == '/')
		base->data[--base->len] = '\0';
	return OK;
}

/* first_line: the first line of b, trimmed, as its new contents. */
static void first_line(struct buf *b)
{
	char *nl;
	size_t start = 0;

	if (!b->data)
		return;
	nl = memchr(b->data, '\n', b->len);
	if (nl) {
		OPENSSL_cleanse(nl, b->len - (size_t)(nl - b->data));
		b->len = (size_t)(nl - b->data);
	}
	trim_end(b);
	while (start < b->len && isspace((unsigned char)b->data[start]))
		start++;
	memmove(b->data, b->data + start, b->len - start + 1);
	b->len -= start;
}

enum err metadata_imds(long timeout_ms, struct creds *out, struct errinfo *ei)
{
	static const char *const put_headers[] = { IMDS_TTL_HEADER, NULL };
	long ms = timeout_ms > 0 && timeout_ms < IMDS_STEP_MS ? timeout_ms
							      : IMDS_STEP_MS;
	const char *get_headers[2] = { NULL, NULL };
	struct buf base, reply, token, path;
	enum err rc;

	buf_init(&base, URL_MAX);
	buf_init(&reply, AWSHTTP_MAX_REPLY);
	buf_init(&token, IMDS_TOKEN_MAX + sizeof(IMDS_TOKEN_HEADER));
	buf_init(&path, URL_MAX);
	rc = imds_base(&base, ei);
	if (rc)
		goto out;

	rc = imds_call("PUT", &base, IMDS_TOKEN_PATH, put_headers, ms,
		       "token request", &reply, ei);
	if (rc)
		goto out;
	trim_end(&reply);
	if (reply.len > IMDS_TOKEN_MAX || !creds_text_ok(reply.data, reply.len)) {
		rc = err_set(ei, ERR_CREDENTIALS, IMDS_WHAT ": the session token "
			     "is empty, too long or holds control bytes");
		goto out;
	}
	rc = buf_puts(&token, IMDS_TOKEN_HEADER);
	if (!rc)
		rc = buf_append(&token, reply.data, reply.len);
	if (rc) {
		rc = nomem(IMDS_WHAT, ei);
		goto out;
	}
	get_headers[0] = buf_cstr(&token);
	wipe_reset(&reply);

	rc = imds_call("GET", &base, IMDS_ROLES_PATH, get_headers, ms,
		       "role list", &reply, ei);
	if (rc)
		goto out;
	first_line(&reply);
	if (!role_name_ok(reply.data, reply.len)) {
		rc = err_set(ei, ERR_CREDENTIALS, IMDS_WHAT ": the role list "
			     "names no valid IAM role");
		goto out;
	}
	rc = buf_puts(&path, IMDS_ROLES_PATH);
	if (!rc)
		rc = buf_append(&path, reply.data, reply.len);
	if (rc) {
		rc = nomem(IMDS_WHAT, ei);
		goto out;
	}
	wipe_reset(&reply);

	rc = imds_call("GET", &base, buf_cstr(&path), get_headers, ms,
		       "credentials request", &reply, ei);
	if (rc)
		goto out;
	rc = metadata_parse(IMDS_WHAT, reply.data, reply.len, creds_now(),
			    out, ei);
out:
	buf_wipe(&reply);
	buf_wipe(&token);
	buf_free(&path);
	buf_free(&base);
	return rc;
}
