/* sts.c - the two STS actions the credential chain calls: AssumeRole (a
 * form POST signed with SigV4) and AssumeRoleWithWebIdentity (unsigned),
 * both asking for JSON. Answers are hostile until read: credentials are
 * checked field by field, error codes and messages are quoted only through
 * excerpt_text with every secret known here replaced by "***", and every
 * buffer that held a secret is wiped before it is freed. */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "aws/awshttp.h"
#include "aws/metadata.h"
#include "aws/sigv4.h"
#include "aws/sts.h"
#include "common/excerpt.h"

#define STS_VERSION "2011-06-15"

/* Ceiling on a request body; a web identity token is a few KiB. */
#define FORM_MAX ((size_t)256 << 10)

/* Ceiling on a URL built from AWS_ENDPOINT_URL_STS. */
#define URL_MAX ((size_t)8 << 10)

/* How much of STS's texts an error quotes. */
#define CODE_MAX 64
#define MESSAGE_MAX 300
#define EXCERPT_MAX 200

static const char form_type[] =
	"Content-Type: application/x-www-form-urlencoded; charset=utf-8";
static const char accept_json[] = "Accept: application/json";

/* The secrets excerpt_text hides: the caller's, then up to two found in
 * the answer itself. */
struct redact {
	const char **s;
	size_t *len;
	size_t n;
	size_t cap;
};

/* A text of the answer: pointer and length, not NUL-terminated. */
struct span {
	const char *p;
	size_t n;
};

/* ---- small helpers ---- */

/* redact_init: room for the NULL-ended secrets and extra more. Returns OK
 * or ERR_NOMEM; free with redact_free. */
static enum err redact_init(struct redact *r, const char *const *secrets,
			    size_t extra)
{
	size_t n = 0, i;

	memset(r, 0, sizeof(*r));
	while (secrets && secrets[n])
		n++;
	if (n > ((size_t)-1) / sizeof(*r->len) - extra)
		return ERR_NOMEM;
	r->cap = n + extra;
	r->s = calloc(r->cap ? r->cap : 1, sizeof(*r->s));
	r->len = calloc(r->cap ? r->cap : 1, sizeof(*r->len));
	if (!r->s || !r->len) {
		free(r->s);
		free(r->len);
		memset(r, 0, sizeof(*r));
		return ERR_NOMEM;
	}
	for (i = 0; i < n; i++)
		if (secrets[i][0]) {
			r->s[r->n] = secrets[i];
			r->len[r->n++] = strlen(secrets[i]);
		}
	return OK;
}

/* redact_add: hides s[0..n) too (ignored when empty or when full). */
static void redact_add(struct redact *r, const char *s, size_t n)
{
	if (!s || !n || r->n == r->cap)
		return;
	r->s[r->n] = s;
	r->len[r->n++] = n;
}

static void redact_free(struct redact *r)
{
	free(r->s);
	free(r->len);
}

/* quote: excerpt_text of t[0..n) into out, whose size bounds the excerpt
 * (outsz - 4 bytes, then "..."). The whole text is read, so that a long
 * secret early in it is "***" rather than the excerpt's whole length. */
static void quote(const struct redact *r, const char *t, size_t n, char *out,
		  size_t outsz)
{
	excerpt_text(r->s, r->len, r->n, t, n, n, out, outsz);
}

/* ---- reading the answer ---- */

/* json_credentials: the Credentials object of a success answer to action
 * in root (borrowed), or NULL. */
static json_t *json_credentials(json_t *root, const char *action)
{
	char key[128];
	json_t *v;
	int n;

	n = snprintf(key, sizeof(key), "%sResponse", action);
	if (n < 0 || (size_t)n >= sizeof(key))
		return NULL;
	v = json_object_get(root, key);
	n = snprintf(key, sizeof(key), "%sResult", action);
	if (n < 0 || (size_t)n >= sizeof(key))
		return NULL;
	v = json_object_get(v, key);
	v = json_object_get(v, "Credentials");
	return json_is_object(v) ? v : NULL;
}

/* report_error: the answer is STS's error code[0..) and message: returns
 * ERR_CREDENTIALS "STS <action>: <Code>: <Message>", both quoted through
 * the redaction list. */
static enum err report_error(const char *action, struct span code,
			     struct span msg, const struct redact *r,
			     struct errinfo *ei)
{
	char c[CODE_MAX + 4], m[MESSAGE_MAX + 4];

	quote(r, code.p, code.n, c, sizeof(c));
	quote(r, msg.p, msg.n, m, sizeof(m));
	if (!m[0])
		return err_set(ei, ERR_CREDENTIALS, "STS %s: %s", action,
			       c[0] ? c : "error without a code");
	return err_set(ei, ERR_CREDENTIALS, "STS %s: %s: %s", action,
		       c[0] ? c : "error without a code", m);
}

/* report_unexpected: neither credentials nor an error: returns
 * ERR_CREDENTIALS naming why, the status and a short excerpt - withheld
 * when the text looks like credentials (a success answer cut short), whose
 * secrets the redaction list cannot know. */
static enum err report_unexpected(const char *action, const char *why,
				  long status, const char *body, size_t len,
				  const struct redact *r, struct errinfo *ei)
{
	char ex[EXCERPT_MAX + 4];

	if (excerpt_find(body, len, "SecretAccessKey", 15) ||
	    excerpt_find(body, len, "SessionToken", 12))
		return err_set(ei, ERR_CREDENTIALS, "STS %s: %s (HTTP %ld; not "
			       "quoted: it may hold credentials)", action, why,
			       status);
	quote(r, body, len, ex, sizeof(ex));
	return err_set(ei, ERR_CREDENTIALS, "STS %s: %s (HTTP %ld): %s", action,
		       why, status, ex);
}

/* read_credentials: the Credentials object c of a 200 answer into *out.
 * Returns OK, ERR_CREDENTIALS (a field missing or wrong, expired) or
 * ERR_NOMEM. */
static enum err read_credentials(const char *action, json_t *c, double now,
				 struct creds *out, struct errinfo *ei)
{
	const char *key, *secret, *token;
	char what[96];
	json_t *exp;
	double expires;
	enum err rc;

	snprintf(what, sizeof(what), "STS %s", action);
	rc = creds_json_text(what, c, "Credentials.", "AccessKeyId", &key, ei);
	if (!rc)
		rc = creds_json_text(what, c, "Credentials.", "SecretAccessKey",
				     &secret, ei);
	if (!rc)
		rc = creds_json_text(what, c, "Credentials.", "SessionToken",
				     &token, ei);
	if (rc)
		return rc;
	exp = json_object_get(c, "Expiration");
	if (!exp)
		return err_set(ei, ERR_CREDENTIALS, "STS %s: the answer lacks "
			       "Credentials.Expiration", action);
	if (json_is_number(exp)) {
		expires = json_number_value(exp);
	} else if (json_is_string(exp)) {
		if (metadata_parse_time(json_string_value(exp), &expires) != 0)
			return err_set(ei, ERR_CREDENTIALS, "STS %s: "
				       "Credentials.Expiration is not an ISO 8601 "
				       "time", action);
	} else {
		return err_set(ei, ERR_CREDENTIALS, "STS %s: "
			       "Credentials.Expiration is neither a number nor a "
			       "text", action);
	}
	if (!isfinite(expires) || expires <= 0)
		return err_set(ei, ERR_CREDENTIALS, "STS %s: "
			       "Credentials.Expiration is out of range", action);
	if (expires <= now)
		return err_set(ei, ERR_CREDENTIALS, "STS %s: the credentials "
			       "returned expired already (Expiration %.0f, now "
			       "%.0f)", action, expires, now);
	if (creds_set(out, key, secret, token, now, expires))
		return err_set(ei, ERR_NOMEM, "STS %s: out of memory keeping the "
			       "credentials", action);
	out->temporary = 1;
	return OK;
}

/* json_text: the string v as a span; "" when v is not a string. */
static struct span json_text(json_t *v)
{
	struct span s = { "", 0 };

	if (json_is_string(v)) {
		s.p = json_string_value(v);
		s.n = json_string_length(v);
	}
	return s;
}

/* read_json: an answer that parsed as a JSON object. Returns as
 * sts_parse_reply. */
static enum err read_json(const char *action, long status, json_t *root,
			  const char *body, size_t len, double now,
			  struct redact *r, struct creds *out,
			  struct errinfo *ei)
{
	json_t *c = json_credentials(root, action), *e;

	if (c) {
		/* an answer with both credentials and an error hides both */
		struct span s = json_text(json_object_get(c, "SecretAccessKey"));
		struct span t = json_text(json_object_get(c, "SessionToken"));

		redact_add(r, s.p, s.n);
		redact_add(r, t.p, t.n);
	}
	e = json_object_get(root, "Error");
	if (!json_is_object(e))
		e = json_object_get(json_object_get(root, "ErrorResponse"),
				    "Error");
	if (json_is_object(e))
		return report_error(action, json_text(json_object_get(e, "Code")),
				    json_text(json_object_get(e, "Message")), r,
				    ei);
	if (!c)
		return report_unexpected(action, "unexpected JSON answer", status,
					 body, len, r, ei);
	if (status != 200)
		return err_set(ei, ERR_CREDENTIALS, "STS %s: credentials with "
			       "HTTP %ld", action, status);
	return read_credentials(action, c, now, out, ei);
}

/* xml_text: the text between <name> and </name> in body[0..len), into *out.
 * Returns 1 when both tags are there. */
static int xml_text(const char *body, size_t len, const char *name,
		    struct span *out)
{
	char open[32], close[32];
	const char *a, *b;

	snprintf(open, sizeof(open), "<%s>", name);
	snprintf(close, sizeof(close), "</%s>", name);
	a = excerpt_find(body, len, open, strlen(open));
	if (!a)
		return 0;
	a += strlen(open);
	b = excerpt_find(a, (size_t)(body + len - a), close, strlen(close));
	if (!b)
		return 0;
	out->p = a;
	out->n = (size_t)(b - a);
	return 1;
}

/* Entities XML escapes text with. */
static const struct entity {
	const char *name;
	char c;
} entities[] = {
	{ .name = "&amp;", .c = '&' },
	{ .name = "&lt;", .c = '<' },
	{ .name = "&gt;", .c = '>' },
	{ .name = "&quot;", .c = '"' },
	{ .name = "&apos;", .c = '\'' },
};

/* xml_unescape: appends s with the five predefined entities replaced to
 * out; other '&' stay as they are. Returns OK or what buf_append does. */
static enum err xml_unescape(struct span s, struct buf *out)
{
	size_t i = 0, k, m;
	enum err rc = OK;

	while (!rc && i < s.n) {
		char c = s.p[i];

		m = 1;
		if (c == '&')
			for (k = 0; k < sizeof(entities) / sizeof(entities[0]); k++) {
				size_t el = strlen(entities[k].name);

				if (s.n - i >= el &&
				    memcmp(s.p + i, entities[k].name, el) == 0) {
					c = entities[k].c;
					m = el;
					break;
				}
			}
		rc = buf_append(out, &c, 1);
		i += m;
	}
	return rc;
}

/* read_xml: an XML <Error> answer: returns ERR_CREDENTIALS with its Code
 * and Message (ERR_NOMEM when memory runs out), or OK when body is no
 * such answer. */
static enum err read_xml(const char *action, const char *body, size_t len,
			 struct redact *r, struct errinfo *ei)
{
	struct span code = { "", 0 }, msg = { "", 0 }, s;
	struct buf c, m;
	enum err rc;

	if (!excerpt_find(body, len, "<Error>", 7) ||
	    !xml_text(body, len, "Code", &code))
		return OK;
	xml_text(body, len, "Message", &msg);
	if (xml_text(body, len, "SecretAccessKey", &s))
		redact_add(r, s.p, s.n);
	if (xml_text(body, len, "SessionToken", &s))
		redact_add(r, s.p, s.n);
	buf_init(&c, len);
	buf_init(&m, len);
	rc = xml_unescape(code, &c);
	if (!rc)
		rc = xml_unescape(msg, &m);
	if (rc) {
		rc = err_set(ei, ERR_NOMEM, "STS %s: out of memory reading the "
			     "answer", action);
		goto out;
	}
	code.p = buf_cstr(&c);
	code.n = c.len;
	msg.p = buf_cstr(&m);
	msg.n = m.len;
	rc = report_error(action, code, msg, r, ei);
out:
	buf_free(&c);
	buf_free(&m);
	return rc;
}

enum err sts_parse_reply(const char *action, long status, const char *body,
			 size_t len, double now, const char *const *secrets,
			 struct creds *out, struct errinfo *ei)
{
	struct redact r;
	json_error_t jerr;
	json_t *root = NULL;
	size_t i = 0;
	enum err rc;

	if (redact_init(&r, secrets, 4))
		return err_set(ei, ERR_NOMEM, "STS %s: out of memory", action);
	if (!body)
		len = 0;
	while (i < len && isspace((unsigned char)body[i]))
		i++;
	if (i == len) {
		rc = err_set(ei, ERR_CREDENTIALS, "STS %s: empty answer (HTTP %ld)",
			     action, status);
		goto out;
	}
	root = json_loadb(body, len, 0, &jerr);
	if (json_is_object(root)) {
		rc = read_json(action, status, root, body, len, now, &r, out,
			       ei);
		goto out;
	}
	rc = read_xml(action, body, len, &r, ei);
	if (rc)
		goto out;
	rc = report_unexpected(action, root ? "unexpected JSON answer"
			       : body[i] == '{' ? "answer is not valid JSON"
			       : "unexpected answer", status, body, len, &r, ei);
out:
	if (json_is_object(root))
		creds_json_wipe(json_credentials(root, action));
	json_decref(root);
	redact_free(&r);
	return rc;
}

/* ---- calling STS ---- */

enum err sts_endpoint(const char *region, struct buf *out)
{
	const char *env = getenv("AWS_ENDPOINT_URL_STS");

	if (env && env[0])
		return buf_puts(out, env);
	return buf_printf(out, "https://sts.%s.amazonaws.com", region);
}

/* form_param: appends "&name=<value encoded>" ("name=..." first) to b. */
static enum err form_param(struct buf *b, const char *name, const char *value)
{
	enum err rc;

	rc = buf_printf(b, "%s%s=", b->len ? "&" : "", name);
	if (!rc)
		rc = sigv4_encode(value, strlen(value), b);
	return rc;
}

/* sts_url: the endpoint for region followed by "/" (not doubled) into
 * url. Returns OK or ERR_NOMEM. */
static enum err sts_url(const char *region, struct buf *url)
{
	enum err rc;

	rc = sts_endpoint(region, url);
	if (!rc && (url->len == 0 || url->data[url->len - 1] != '/'))
		rc = buf_append(url, "/", 1);
	return rc;
}

/* A call to STS: everything sts_call needs besides the form. */
struct sts_call {
	const char *action;
	const char *region;
	const struct creds *signer;   /* NULL: unsigned */
	const char *const *secrets;   /* hidden in quoted texts */
	long timeout_ms;
};

/* signed_headers: signs the POST of form to url with call->signer and
 * fills *lines with sigv4's lines (free with strlist_wipe). Returns OK,
 * ERR_CREDENTIALS when the URL cannot be signed, or ERR_NOMEM. */
static enum err signed_headers(const struct sts_call *call, const char *url,
			       const struct buf *form, struct strlist *lines,
			       struct errinfo *ei)
{
	static const char *const sign_these[] = {
		form_type, accept_json, NULL,
	};
	struct sigv4_request sr = {
		.method = "POST",
		.url = url,
		.body = form->data ? form->data : "",
		.body_len = form->len,
		.headers = sign_these,
		.content_sha256 = 0,
	};
	enum err rc;

	rc = sigv4_sign(&sr, call->signer, call->region, "sts", time(NULL),
			lines, NULL);
	if (rc == ERR_NOMEM)
		return err_set(ei, ERR_NOMEM, "STS %s: out of memory signing the "
			       "request", call->action);
	if (rc)
		return err_set(ei, ERR_CREDENTIALS, "STS %s: cannot sign a request "
			       "to the STS endpoint (AWS_ENDPOINT_URL_STS?)",
			       call->action);
	return OK;
}

/* sts_call: POSTs form to STS for call and reads the answer into *out.
 * Returns as sts_assume_role. form stays the caller's. */
static enum err sts_call(const struct sts_call *call, const struct buf *form,
			 struct creds *out, struct errinfo *ei)
{
	struct strlist lines = { 0 };
	const char **headers = NULL;
	char what[64];
	struct buf url, reply;
	struct awshttp_request rq;
	long status = 0;
	size_t n = 0, i;
	enum err rc;

	buf_init(&url, URL_MAX);
	buf_init(&reply, AWSHTTP_MAX_REPLY);
	snprintf(what, sizeof(what), "STS %s", call->action);
	if (!creds_region_ok(call->region)) {
		rc = err_set(ei, ERR_CREDENTIALS, "STS %s: invalid region name",
			     call->action);
		goto out;
	}
	rc = sts_url(call->region, &url);
	if (rc) {
		rc = rc == ERR_NOMEM
		     ? err_set(ei, ERR_NOMEM, "STS %s: out of memory",
			       call->action)
		     : err_set(ei, ERR_CREDENTIALS, "STS %s: AWS_ENDPOINT_URL_STS "
			       "is too long", call->action);
		goto out;
	}
	if (call->signer) {
		rc = signed_headers(call, buf_cstr(&url), form, &lines, ei);
		if (rc)
			goto out;
	}
	if (lines.n > ((size_t)-1) / sizeof(*headers) - 3) {
		rc = err_set(ei, ERR_NOMEM, "STS %s: out of memory", call->action);
		goto out;
	}
	headers = calloc(lines.n + 3, sizeof(*headers));
	if (!headers) {
		rc = err_set(ei, ERR_NOMEM, "STS %s: out of memory", call->action);
		goto out;
	}
	for (i = 0; i < lines.n; i++)
		headers[n++] = lines.v[i];
	headers[n++] = form_type;
	headers[n++] = accept_json;
	headers[n] = NULL;
	rq = (struct awshttp_request){
		.method = "POST",
		.url = buf_cstr(&url),
		.headers = headers,
		.body = form->data ? form->data : "",
		.body_len = form->len,
		.timeout_ms = call->timeout_ms,
		.what = what,
	};
	rc = awshttp_do(&rq, &status, &reply, ei);
	if (rc)
		goto out;
	rc = sts_parse_reply(call->action, status, buf_cstr(&reply), reply.len,
			     creds_now(), call->secrets, out, ei);
out:
	free(headers);
	strlist_wipe(&lines);
	buf_wipe(&reply);
	buf_free(&url);
	return rc;
}

/* form_error: the error for a form that could not be built. */
static enum err form_error(const char *action, enum err rc,
			   struct errinfo *ei)
{
	if (rc == ERR_NOMEM)
		return err_set(ei, ERR_NOMEM, "STS %s: out of memory", action);
	return err_set(ei, ERR_CREDENTIALS, "STS %s: request parameters too "
		       "long", action);
}

enum err sts_assume_role(const struct creds *signer, const char *region,
			 const char *role_arn, const char *external_id,
			 const char *session_name, long duration_s,
			 long timeout_ms, struct creds *out,
			 struct errinfo *ei)
{
	const char *secrets[3] = { NULL, NULL, NULL };
	struct sts_call call = {
		.action = "AssumeRole",
		.region = region,
		.signer = signer,
		.secrets = secrets,
		.timeout_ms = timeout_ms,
	};
	struct buf form;
	enum err rc;

	buf_init(&form, FORM_MAX);
	if (!signer || !signer->key_id || !signer->key_id[0] || !signer->secret ||
	    !signer->secret[0]) {
		rc = err_set(ei, ERR_CREDENTIALS, "STS AssumeRole: no credentials "
			     "to sign the request with");
		goto out;
	}
	if (!role_arn || !role_arn[0]) {
		rc = err_set(ei, ERR_CREDENTIALS, "STS AssumeRole: no role ARN");
		goto out;
	}
	secrets[0] = signer->secret;
	secrets[1] = signer->token && signer->token[0] ? signer->token : NULL;
	if (!session_name || !session_name[0])
		session_name = CREDS_DEFAULT_SESSION_NAME;
	if (duration_s <= 0)
		duration_s = CREDS_DEFAULT_DURATION_S;
	rc = buf_puts(&form, "Action=AssumeRole&Version=" STS_VERSION);
	if (!rc)
		rc = form_param(&form, "RoleArn", role_arn);
	if (!rc)
		rc = form_param(&form, "RoleSessionName", session_name);
	if (!rc)
		rc = buf_printf(&form, "&DurationSeconds=%ld", duration_s);
	if (!rc && external_id && external_id[0])
		rc = form_param(&form, "ExternalId", external_id);
	if (rc) {
		rc = form_error(call.action, rc, ei);
		goto out;
	}
	rc = sts_call(&call, &form, out, ei);
out:
	buf_wipe(&form);
	return rc;
}

enum err sts_assume_role_web_identity(const char *region, const char *role_arn,
				      const char *session_name,
				      const char *web_token, long duration_s,
				      long timeout_ms, struct creds *out,
				      struct errinfo *ei)
{
	const char *secrets[2] = { web_token, NULL };
	struct sts_call call = {
		.action = "AssumeRoleWithWebIdentity",
		.region = region,
		.signer = NULL,
		.secrets = secrets,
		.timeout_ms = timeout_ms,
	};
	struct buf form;
	enum err rc;

	buf_init(&form, FORM_MAX);
	if (!web_token || !web_token[0]) {
		rc = err_set(ei, ERR_CREDENTIALS, "STS AssumeRoleWithWebIdentity: "
			     "empty web identity token");
		goto out;
	}
	if (!role_arn || !role_arn[0]) {
		rc = err_set(ei, ERR_CREDENTIALS, "STS AssumeRoleWithWebIdentity: "
			     "no role ARN");
		goto out;
	}
	if (!session_name || !session_name[0])
		session_name = CREDS_DEFAULT_SESSION_NAME;
	rc = buf_puts(&form, "Action=AssumeRoleWithWebIdentity&Version="
		      STS_VERSION);
	if (!rc)
		rc = form_param(&form, "RoleArn", role_arn);
	if (!rc)
		rc = form_param(&form, "RoleSessionName", session_name);
	if (!rc && duration_s > 0)
		rc = buf_printf(&form, "&DurationSeconds=%ld", duration_s);
	if (!rc)
		rc = form_param(&form, "WebIdentityToken", web_token);
	if (rc) {
		rc = form_error(call.action, rc, ei);
		goto out;
	}
	rc = sts_call(&call, &form, out, ei);
out:
	buf_wipe(&form);
	return rc;
}
