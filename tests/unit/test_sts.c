/* test_sts.c - STS (AssumeRole, AssumeRoleWithWebIdentity), the ECS and
 * EC2 metadata credential sources and their HTTP exchange: answers parsed
 * from fixed texts, then whole calls against fake services that the test
 * forks on free 127.0.0.1 ports (never the network). */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <setjmp.h>
#include <cmocka.h>

#include <curl/curl.h>

#include "aws/awshttp.h"
#include "aws/creds.h"
#include "aws/metadata.h"
#include "aws/sigv4.h"
#include "aws/sts.h"
#include "fakehttp.h"

/* ---- what the fake services and the tests share ---- */

#define REGION "eu-west-1"
#define SIGNER_KEY "AKIDEXAMPLE"
#define SIGNER_SECRET "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
#define SIGNER_TOKEN "signer-session-token+/="

/* A role ARN, an external id and a session name with bytes the form must
 * encode, and their encodings as STS must receive them. */
#define ROLE_ARN "arn:aws:iam::123456789012:role/x+y=z"
#define ROLE_ARN_ENC "arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fx%2By%3Dz"
#define EXTERNAL_ID "ext/id+1=2:3 4"
#define EXTERNAL_ID_ENC "ext%2Fid%2B1%3D2%3A3%204"
#define SESSION "mirror session@1"
#define SESSION_ENC "mirror%20session%401"

#define FORM_TYPE "application/x-www-form-urlencoded; charset=utf-8"
#define JSON_TYPE "Content-Type: application/json\r\n"

/* What the fake STS hands out; expires in 2099. */
#define NEW_KEY "ASIANEWKEY"
#define NEW_SECRET "new-secret-key"
#define NEW_TOKEN "new-session-token"
#define FAR_EXPIRATION 4070908800.0

#define IMDS_SESSION "imds-session-token-AQAEAx"
#define IMDS_ROLE "mirror-role"
#define ECS_TOKEN "ecs-auth-token-5d41402abc"

/* How the fake services behave; the handler gets a pointer to one. */
enum mode {
	STS_CHECK_ASSUME,     /* check an AssumeRole, answer credentials */
	STS_DENY,             /* answer AccessDenied (when the target is "/") */
	STS_CHECK_WEB,        /* check an AssumeRoleWithWebIdentity */
	STS_ECHO_WEB,         /* answer an error quoting the web token */
	ECS_CHECK,            /* check GET /creds with the token */
	ECS_ECHO_AUTH,        /* answer 403 quoting the Authorization header */
	IMDS_CHECK,           /* the IMDSv2 walk, 401 for anything off */
	IMDS_DENY_ALL,        /* 401 to everything */
	IMDS_DENY_CREDS,      /* token and role list fine, credentials 401 */
	HTTP_PLAIN,           /* /big: over AWSHTTP_MAX_REPLY; /hang */
};

static struct fakehttp server;
static char token_path[64];

/* web_token: a web identity token longer than the 1 KiB past which curl
 * would otherwise wait for "100 Continue", with bytes to encode. */
static const char *web_token(void)
{
	static char t[1600];

	if (!t[0]) {
		memcpy(t, "eyJhbGciOiJSUzI1NiJ9.", 21);
		memset(t + 21, 'Q', 1500);
		memcpy(t + 1521, ".sig+/=", 8);
	}
	return t;
}

/* The web token as the form must carry it. */
static void web_token_enc(char *out, size_t outsz)
{
	snprintf(out, outsz, "eyJhbGciOiJSUzI1NiJ9.%.*s.sig%%2B%%2F%%3D", 1500,
		 web_token() + 21);
}

/* ---- the fake services' helpers (they run in the child: no asserts) ---- */

/* header: the value of the header name in req (first one, blanks around
 * it dropped) into out. Returns 1 when there is one. */
static int header(const struct fakehttp_request *req, const char *name,
		  char *out, size_t outsz)
{
	size_t nlen = strlen(name), n = 0;
	const char *p = req->head, *end = req->head + req->head_len, *q;

	for (; p + nlen + 3 <= end; p++) {
		if (p[0] != '\r' || p[1] != '\n' ||
		    strncasecmp(p + 2, name, nlen) != 0 || p[2 + nlen] != ':')
			continue;
		for (q = p + 3 + nlen; q < end && *q == ' '; q++)
			;
		for (; q < end && *q != '\r' && n + 1 < outsz; q++)
			out[n++] = *q;
		out[n] = '\0';
		return 1;
	}
	return 0;
}

/* header_is: 1 when req has header name with exactly value. */
static int header_is(const struct fakehttp_request *req, const char *name,
		     const char *value)
{
	char v[4096];

	return header(req, name, v, sizeof(v)) && strcmp(v, value) == 0;
}

/* form_value: the value of name in the form body (as sent, still
 * encoded) into out. Returns 1 when name is there. */
static int form_value(const char *body, const char *name, char *out,
		      size_t outsz)
{
	size_t nlen = strlen(name), n;
	const char *p = body, *amp;

	while (*p) {
		amp = strchr(p, '&');
		n = amp ? (size_t)(amp - p) : strlen(p);
		if (n > nlen && strncmp(p, name, nlen) == 0 && p[nlen] == '=') {
			n -= nlen + 1;
			if (n >= outsz)
				n = outsz - 1;
			memcpy(out, p + nlen + 1, n);
			out[n] = '\0';
			return 1;
		}
		if (!amp)
			break;
		p = amp + 1;
	}
	return 0;
}

/* form_is: 1 when the form has name=value (value as encoded). */
static int form_is(const char *body, const char *name, const char *value)
{
	char v[4096];

	return form_value(body, name, v, sizeof(v)) && strcmp(v, value) == 0;
}

/* sts_error: answers an STS JSON error with code and message. */
static void sts_error(int fd, int status, const char *code, const char *msg)
{
	char body[4096];
	int n;

	n = snprintf(body, sizeof(body), "{\"Error\":{\"Code\":\"%s\",\"Message\":"
		     "\"%s\",\"Type\":\"Sender\"},\"RequestId\":\"r-1\"}", code,
		     msg);
	fakehttp_reply(fd, status, JSON_TYPE, body, (size_t)n);
}

/* sts_success: answers credentials for action as AWS STS does. */
static void sts_success(int fd, const char *action)
{
	char body[2048];
	int n;

	n = snprintf(body, sizeof(body),
		     "{\"%sResponse\":{\"%sResult\":{\"AssumedRoleUser\":"
		     "{\"Arn\":\"arn:aws:sts::123456789012:assumed-role/x/s\","
		     "\"AssumedRoleId\":\"AROA:s\"},\"Credentials\":"
		     "{\"AccessKeyId\":\"" NEW_KEY "\",\"Expiration\":4.0709088E9,"
		     "\"SecretAccessKey\":\"" NEW_SECRET "\",\"SessionToken\":\""
		     NEW_TOKEN "\"},\"PackedPolicySize\":null},"
		     "\"ResponseMetadata\":{\"RequestId\":\"r-2\"}}}", action,
		     action);
	fakehttp_reply(fd, 200, JSON_TYPE, body, (size_t)n);
}

/* signature_matches: signs again what arrived (method, URL, body, the two
 * headers, at the X-Amz-Date sent) with the signer's keys and compares the
 * Authorization line: what was sent is what was signed. */
static int signature_matches(const struct fakehttp_request *req,
			     const char *auth)
{
	static char key[] = SIGNER_KEY, secret[] = SIGNER_SECRET,
		    token[] = SIGNER_TOKEN;
	static const char *const hdrs[] = { "Content-Type: " FORM_TYPE,
					    "Accept: application/json", NULL };
	struct creds c = { .key_id = key, .secret = secret, .token = token };
	struct strlist lines = { 0 };
	struct sigv4_request sr;
	char date[32], url[64], want[4200];
	struct tm tm;
	size_t i;
	int ok = 0;

	memset(&tm, 0, sizeof(tm));
	if (!header(req, "X-Amz-Date", date, sizeof(date)) || strlen(date) != 16 ||
	    sscanf(date, "%4d%2d%2dT%2d%2d%2dZ", &tm.tm_year, &tm.tm_mon,
		   &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec) != 6)
		return 0;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/", req->port);
	sr = (struct sigv4_request){ .method = "POST", .url = url,
		.body = req->body, .body_len = req->body_len, .headers = hdrs };
	if (sigv4_sign(&sr, &c, REGION, "sts", timegm(&tm), &lines, NULL))
		return 0;
	snprintf(want, sizeof(want), "Authorization: %s", auth);
	for (i = 0; i < lines.n; i++)
		if (strcmp(lines.v[i], want) == 0)
			ok = 1;
	strlist_free(&lines);
	return ok;
}

/* check_assume: what is wrong with an AssumeRole request, or NULL. */
static const char *check_assume(const struct fakehttp_request *req)
{
	static const char cred[] = "AWS4-HMAC-SHA256 Credential=" SIGNER_KEY "/";
	static const char scope[] = "/" REGION "/sts/aws4_request, "
		"SignedHeaders=accept;content-type;host;x-amz-date;"
		"x-amz-security-token, Signature=";
	char auth[4096], host[64];
	size_t i;

	if (strncmp(req->head, "POST / HTTP/1.1\r\n", 17) != 0)
		return "not a POST to /";
	if (!form_is(req->body, "Action", "AssumeRole") ||
	    !form_is(req->body, "Version", "2011-06-15"))
		return "wrong Action or Version";
	if (!form_is(req->body, "RoleArn", ROLE_ARN_ENC))
		return "wrong RoleArn";
	if (!form_is(req->body, "RoleSessionName", SESSION_ENC))
		return "wrong RoleSessionName";
	if (!form_is(req->body, "ExternalId", EXTERNAL_ID_ENC))
		return "wrong ExternalId";
	if (!form_is(req->body, "DurationSeconds", "900"))
		return "wrong DurationSeconds";
	if (!header_is(req, "Content-Type", FORM_TYPE))
		return "wrong Content-Type";
	if (!header_is(req, "Accept", "application/json"))
		return "wrong Accept";
	if (!header_is(req, "X-Amz-Security-Token", SIGNER_TOKEN))
		return "wrong X-Amz-Security-Token";
	snprintf(host, sizeof(host), "127.0.0.1:%d", req->port);
	if (!header_is(req, "Host", host))
		return "wrong Host";
	if (!header(req, "Authorization", auth, sizeof(auth)) ||
	    strncmp(auth, cred, sizeof(cred) - 1) != 0)
		return "Authorization lacks the credential";
	for (i = 0; i < 8; i++)
		if (auth[sizeof(cred) - 1 + i] < '0' || auth[sizeof(cred) - 1 + i] > '9')
			return "Authorization lacks the date";
	if (strncmp(auth + sizeof(cred) - 1 + 8, scope, sizeof(scope) - 1) != 0)
		return "Authorization has the wrong scope or signed headers";
	if (!signature_matches(req, auth))
		return "the signature does not match the request";
	return NULL;
}

/* check_web: what is wrong with an AssumeRoleWithWebIdentity request, or
 * NULL. */
static const char *check_web(const struct fakehttp_request *req)
{
	char enc[2048], v[16];

	web_token_enc(enc, sizeof(enc));
	if (strncmp(req->head, "POST / HTTP/1.1\r\n", 17) != 0)
		return "not a POST to /";
	if (header(req, "Authorization", v, sizeof(v)) ||
	    header(req, "X-Amz-Security-Token", v, sizeof(v)) ||
	    header(req, "X-Amz-Date", v, sizeof(v)))
		return "signed, but must not be";
	if (!form_is(req->body, "Action", "AssumeRoleWithWebIdentity") ||
	    !form_is(req->body, "Version", "2011-06-15"))
		return "wrong Action or Version";
	if (!form_is(req->body, "RoleArn", ROLE_ARN_ENC))
		return "wrong RoleArn";
	if (!form_is(req->body, "RoleSessionName", CREDS_DEFAULT_SESSION_NAME))
		return "wrong RoleSessionName";
	if (form_value(req->body, "DurationSeconds", v, sizeof(v)))
		return "DurationSeconds sent for duration 0";
	if (!form_is(req->body, "WebIdentityToken", enc))
		return "wrong WebIdentityToken";
	if (!header_is(req, "Accept", "application/json"))
		return "wrong Accept";
	return NULL;
}

/* metadata_success: answers credentials as the metadata services do. */
static void metadata_success(int fd, int with_code)
{
	char body[1024];
	int n;

	n = snprintf(body, sizeof(body), "{%s\"LastUpdated\":"
		     "\"2026-11-21T10:00:00Z\",\"Type\":\"AWS-HMAC\","
		     "\"AccessKeyId\":\"" NEW_KEY "\",\"SecretAccessKey\":\""
		     NEW_SECRET "\",\"Token\":\"" NEW_TOKEN "\",\"Expiration\":"
		     "\"2099-01-01T00:00:00Z\"}",
		     with_code ? "\"Code\":\"Success\"," : "");
	fakehttp_reply(fd, 200, JSON_TYPE, body, (size_t)n);
}

/* answer_imds: the IMDSv2 walk of mode m. */
static void answer_imds(int fd, const struct fakehttp_request *req,
			enum mode m)
{
	const char *token_hdr = "X-aws-ec2-metadata-token";

	if (m == IMDS_DENY_ALL) {
		fakehttp_reply(fd, 401, NULL, "", 0);
	} else if (strncmp(req->head, "PUT /latest/api/token HTTP/1.1\r\n",
			   32) == 0) {
		if (header_is(req, "X-aws-ec2-metadata-token-ttl-seconds", "21600") &&
		    header_is(req, "Content-Length", "0"))
			fakehttp_reply(fd, 200, NULL, IMDS_SESSION "\n",
				       sizeof(IMDS_SESSION));
		else
			fakehttp_reply(fd, 400, NULL, "", 0);
	} else if (!header_is(req, token_hdr, IMDS_SESSION)) {
		fakehttp_reply(fd, 401, NULL, "", 0);
	} else if (strncmp(req->head, "GET /latest/meta-data/iam/"
			   "security-credentials/ HTTP/1.1\r\n", 57) == 0) {
		fakehttp_reply(fd, 200, NULL, IMDS_ROLE "\n",
			       sizeof(IMDS_ROLE));
	} else if (strcmp(req->target, "/latest/meta-data/iam/"
			  "security-credentials/" IMDS_ROLE) == 0 &&
		   strncmp(req->head, "GET ", 4) == 0 && m == IMDS_CHECK) {
		metadata_success(fd, 1);
	} else {
		fakehttp_reply(fd, 401, NULL, "", 0);
	}
}

/* answer: every fake service, by the mode arg points to. */
static enum fakehttp_next answer(int fd, const struct fakehttp_request *req,
				 void *arg)
{
	enum mode m = *(const enum mode *)arg;
	char msg[2048], auth[256];
	const char *why;
	static char big[AWSHTTP_MAX_REPLY + 1];

	switch (m) {
	case STS_CHECK_ASSUME:
		why = check_assume(req);
		if (why)
			sts_error(fd, 400, "TestCheck", why);
		else
			sts_success(fd, "AssumeRole");
		break;
	case STS_DENY:
		if (strcmp(req->target, "/") != 0)
			sts_error(fd, 400, "TestCheck", "target is not /");
		else
			sts_error(fd, 403, "AccessDenied", "User: arn:aws:iam::"
				  "123456789012:user/x is not authorized to "
				  "perform: sts:AssumeRole on resource: "
				  ROLE_ARN);
		break;
	case STS_CHECK_WEB:
		why = check_web(req);
		if (why)
			sts_error(fd, 400, "TestCheck", why);
		else
			sts_success(fd, "AssumeRoleWithWebIdentity");
		break;
	case STS_ECHO_WEB:
		snprintf(msg, sizeof(msg), "Token %s is not valid", web_token());
		sts_error(fd, 400, "InvalidIdentityToken", msg);
		break;
	case ECS_CHECK:
		if (strncmp(req->head, "GET /creds HTTP/1.1\r\n", 21) == 0 &&
		    header_is(req, "Authorization", ECS_TOKEN))
			metadata_success(fd, 0);
		else
			fakehttp_reply(fd, 401, NULL, "no", 2);
		break;
	case ECS_ECHO_AUTH:
		if (!header(req, "Authorization", auth, sizeof(auth)))
			auth[0] = '\0';
		snprintf(msg, sizeof(msg), "denied for %s", auth);
		fakehttp_reply(fd, 403, NULL, msg, strlen(msg));
		break;
	case IMDS_CHECK:
	case IMDS_DENY_ALL:
	case IMDS_DENY_CREDS:
		answer_imds(fd, req, m);
		break;
	case HTTP_PLAIN:
		if (strcmp(req->target, "/hang") == 0)
			return FAKEHTTP_HANG;
		memset(big, 'x', sizeof(big));
		fakehttp_reply(fd, 200, NULL, big, sizeof(big));
		break;
	}
	return FAKEHTTP_KEEP;
}

/* ---- fixtures ---- */

static const char *const aws_vars[] = {
	"AWS_ENDPOINT_URL_STS",
	"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
	"AWS_CONTAINER_CREDENTIALS_FULL_URI",
	"AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
	"AWS_CONTAINER_AUTHORIZATION_TOKEN",
	"AWS_EC2_METADATA_SERVICE_ENDPOINT",
	"AWS_EC2_METADATA_DISABLED",
};

static const char *const proxy_vars[] = {
	"http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY",
	"all_proxy", "NO_PROXY", "no_proxy",
};

static int group_setup(void **state)
{
	size_t i;

	(void)state;
	/* curl honours these; the fake services are on loopback */
	for (i = 0; i < sizeof(proxy_vars) / sizeof(proxy_vars[0]); i++)
		unsetenv(proxy_vars[i]);
	return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

static int group_teardown(void **state)
{
	(void)state;
	curl_global_cleanup();
	return 0;
}

/* teardown: stops the fake service, removes the token file and unsets
 * every AWS_* variable a test may have set, even after a failed assert. */
static int teardown(void **state)
{
	size_t i;

	(void)state;
	fakehttp_stop(&server);
	if (token_path[0])
		unlink(token_path);
	token_path[0] = '\0';
	for (i = 0; i < sizeof(aws_vars) / sizeof(aws_vars[0]); i++)
		unsetenv(aws_vars[i]);
	return 0;
}

/* start: starts the fake service in mode m (a static, so the child's copy
 * is the same) and returns its port. */
static int start(const enum mode *m)
{
	assert_int_equal(fakehttp_start(&server, answer, (void *)m), 0);
	return server.port;
}

/* set_url_env: sets name to http://127.0.0.1:port followed by path. */
static void set_url_env(const char *name, int port, const char *path)
{
	char url[128];

	snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", port, path);
	assert_int_equal(setenv(name, url, 1), 0);
}

static double elapsed_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) +
	       (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

/* signer: the static keys AssumeRole is signed with (not owned). */
static struct creds signer(void)
{
	static char key[] = SIGNER_KEY, secret[] = SIGNER_SECRET,
		    token[] = SIGNER_TOKEN;

	return (struct creds){ .key_id = key, .secret = secret, .token = token };
}

/* parse: sts_parse_reply of body for AssumeRole with the signer's secrets
 * at now. */
static enum err parse(long status, const char *body, double now,
		      struct creds *out, struct errinfo *ei)
{
	static const char *const secrets[] = { SIGNER_SECRET, SIGNER_TOKEN, NULL };

	memset(ei, 0, sizeof(*ei));
	return sts_parse_reply("AssumeRole", status, body, strlen(body), now,
			       secrets, out, ei);
}

#define NOW 1700000000.0

/* ---- sts_parse_reply ---- */

static const char json_success[] =
	"{\"AssumeRoleResponse\":{\"AssumeRoleResult\":{\"AssumedRoleUser\":"
	"{\"Arn\":\"arn:aws:sts::123456789012:assumed-role/r/s\","
	"\"AssumedRoleId\":\"AROA:s\"},\"Credentials\":{\"AccessKeyId\":"
	"\"ASIAEXAMPLE\",\"Expiration\":1.7723232E9,\"SecretAccessKey\":"
	"\"secret-1\",\"SessionToken\":\"token-1\"},\"PackedPolicySize\":null},"
	"\"ResponseMetadata\":{\"RequestId\":\"r\"}}}";

static void test_sts_parse_reply_reads_json_success_with_number_expiration(void **state)
{
	struct creds out = { 0 };
	struct errinfo ei;

	(void)state;
	assert_int_equal(parse(200, json_success, NOW, &out, &ei), OK);
	assert_string_equal(out.key_id, "ASIAEXAMPLE");
	assert_string_equal(out.secret, "secret-1");
	assert_string_equal(out.token, "token-1");
	assert_true(out.expires == 1772323200.0);
	assert_true(out.obtained == NOW);
	assert_int_equal(out.temporary, 1);
	creds_clear(&out);
}

static void test_sts_parse_reply_reads_iso_expiration(void **state)
{
	static const char body[] =
		"{\"AssumeRoleWithWebIdentityResponse\":"
		"{\"AssumeRoleWithWebIdentityResult\":{\"Credentials\":"
		"{\"AccessKeyId\":\"ASIAWEB\",\"Expiration\":"
		"\"2026-03-01T00:00:00Z\",\"SecretAccessKey\":\"s\","
		"\"SessionToken\":\"t\"},\"SubjectFromWebIdentityToken\":"
		"\"system:serviceaccount:ns:sa\"}}}";
	struct creds out = { 0 };
	struct errinfo ei;

	(void)state;
	memset(&ei, 0, sizeof(ei));
	assert_int_equal(sts_parse_reply("AssumeRoleWithWebIdentity", 200, body,
					 strlen(body), NOW, NULL, &out, &ei), OK);
	assert_string_equal(out.key_id, "ASIAWEB");
	assert_true(out.expires == 1772323200.0);
	assert_int_equal(out.temporary, 1);
	creds_clear(&out);
}

static void test_sts_parse_reply_reports_json_error_code_and_message(void **state)
{
	static const char body[] =
		"{\"Error\":{\"Code\":\"AccessDenied\",\"Message\":\"User: "
		"arn:aws:iam::123456789012:user/x is not authorized to perform: "
		"sts:AssumeRole on resource: arn:aws:iam::123456789012:role/r\","
		"\"Type\":\"Sender\"},\"RequestId\":\"r\"}";
	static const char want[] =
		"STS AssumeRole: AccessDenied: User: arn:aws:iam::123456789012:"
		"user/x is not authorized to perform: sts:AssumeRole on resource: "
		"arn:aws:iam::123456789012:role/r";
	struct creds out = { 0 };
	struct errinfo ei;

	(void)state;
	assert_int_equal(parse(403, body, NOW, &out, &ei), ERR_CREDENTIALS);
	assert_string_equal(ei.details, want);
	/* the status does not matter: an error shape is an error */
	assert_int_equal(parse(200, body, NOW, &out, &ei), ERR_CREDENTIALS);
	assert_string_equal(ei.details, want);
	assert_null(out.key_id);
}

static void test_sts_parse_reply_reports_nested_error_response(void **state)
{
	static const char body[] =
		"{\"ErrorResponse\":{\"Error\":{\"Code\":\"ExpiredToken\","
		"\"Message\":\"The security token included in the request is "
		"expired\",\"Type\":\"Sender\"},\"RequestId\":\"r\"}}";
	struct creds out = { 0 };
	struct errinfo ei;

	(void)state;
	assert_int_equal(parse(400, body, NOW, &out, &ei), ERR_CREDENTIALS);
	assert_string_equal(ei.details, "STS AssumeRole: ExpiredToken: The "
			    "security token included in the request is expired");
}

static void test_sts_parse_reply_reports_xml_error(void **state)
{
	static const char body[] =
		"<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/"
		"2011-06-15/\">\n  <Error>\n    <Type>Sender</Type>\n"
		"    <Code>InvalidClientTokenId</Code>\n    <Message>The token "
		"&amp; &lt;id&gt; &quot;x&quot; &apos;y&apos; &copy; is "
		"invalid.</Message>\n  </Error>\n  <RequestId>r</RequestId>\n"
		"</ErrorResponse>\n";
	struct creds out = { 0 };
	struct errinfo ei;

	(void)state;
	assert_int_equal(parse(403, body, NOW, &out, &ei), ERR_CREDENTIALS);
	assert_string_equal(ei.details, "STS AssumeRole: InvalidClientTokenId: "
			    "The token & <id> \"x\" 'y' &copy; is invalid.");
}

static void test_sts_parse_reply_refuses_html_with_status_and_excerpt(void **state)
{
	static const char body[] =
		"<html>\r\n<body><h1>503 Service Unavailable</h1>\n</body></html>";
	struct creds out = { 0 };
	struct errinfo ei;

	(void)state;
	assert_int_equal(parse(503, body, NOW, &out, &ei), ERR_CREDENTIALS);
	assert_string_equal(ei.details, "STS AssumeRole: unexpected answer "
			    "(HTTP 503): <html> <body><h1>503 Service "
			    "Unavailable</h1> </body></html>");
	assert_int_equal(parse(200, "\x01garbage", NOW, &out, &ei),
			 ERR_CREDENTIALS);
	assert_string_equal(ei.details, "STS AssumeRole: unexpected answer "
			    "(HTTP 200): garbage");
	assert_int_equal(parse(200, "[1, 2]", NOW, &out, &ei), ERR_CREDENTIALS);
	assert_string_equal(ei.details, "STS AssumeRole: unexpected JSON answer "
			    "(HTTP 200): [1, 2]");
	assert_int_equal(parse(200, "{\"Hello\": 1}", NOW, &out, &ei),
			 ERR_CREDENTIALS);
	assert_non_null(strstr(ei.details, "unexpected JSON answer (HTTP 200)"));
	assert_null(out.key_id);
}

static void test_sts_parse_reply_refuses_empty_body(void **state)
{
	struct creds out = { 0 };
	struct errinfo ei;

	(void)state;
	assert_int_equal(parse(500, "", NOW, &out, &ei), ERR_CREDENTIALS);
	assert_string_equal(ei.details, "STS AssumeRole: empty answer (HTTP 500)");
	assert_int_equal(parse(200, " \r\n", NOW, &out, &ei), ERR_CREDENTIALS);
	assert_string_equal(ei.details, "STS AssumeRole: empty answer (HTTP 200)");
	memset(&ei, 0, sizeof(ei));
	assert_int_equal(sts_parse_reply("AssumeRole", 200, NULL, 0, NOW, NULL,
					 &out, &ei), ERR_CREDENTIALS);
	assert_null(out.key_id);
}

static void test_sts_parse_reply_refuses_missing_or_bad_fields(void **state)
{
	static const struct {
		const char *creds;
		const char *details;
	} cases[] = {
		{ "\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"S\","
		  "\"Expiration\":1.8E9",
		  "STS AssumeRole: the answer lacks Credentials.SessionToken" },
		{ "\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"S\","
		  "\"SessionToken\":\"\",\"Expiration\":1.8E9",
		  "STS AssumeRole: the answer lacks Credentials.SessionToken" },
		{ "\"AccessKeyId\":\"A\",\"SessionToken\":\"T\","
		  "\"Expiration\":1.8E9",
		  "STS AssumeRole: the answer lacks Credentials.SecretAccessKey" },
		{ "\"AccessKeyId\":7,\"SecretAccessKey\":\"S\","
		  "\"SessionToken\":\"T\",\"Expiration\":1.8E9",
		  "STS AssumeRole: the answer lacks Credentials.AccessKeyId" },
		{ "\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"S\","
		  "\"SessionToken\":\"T\\r\\nX-Evil: 1\",\"Expiration\":1.8E9",
		  "STS AssumeRole: Credentials.SessionToken holds control "
		  "characters" },
		{ "\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"S\","
		  "\"SessionToken\":\"T\"",
		  "STS AssumeRole: the answer lacks Credentials.Expiration" },
		{ "\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"S\","
		  "\"SessionToken\":\"T\",\"Expiration\":true",
		  "STS AssumeRole: Credentials.Expiration is neither a number nor "
		  "a text" },
		{ "\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"S\","
		  "\"SessionToken\":\"T\",\"Expiration\":\"tomorrow\"",
		  "STS AssumeRole: Credentials.Expiration is not an ISO 8601 time" },
		{ "\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"S\","
		  "\"SessionToken\":\"T\",\"Expiration\":-5",
		  "STS AssumeRole: Credentials.Expiration is out of range" },
	};
	struct creds out = { 0 };
	struct errinfo ei;
	char body[512];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(body, sizeof(body), "{\"AssumeRoleResponse\":"
			 "{\"AssumeRoleResult\":{\"Credentials\":{%s}}}}",
			 cases[i].creds);
		assert_int_equal(parse(200, body, NOW, &out, &ei), ERR_CREDENTIALS);
		assert_string_equal(ei.details, cases[i].details);
		assert_null(out.key_id);
	}
}

static void test_sts_parse_reply_hides_signer_secret_quoted_in_message(void **state)
{
	static const char body[] =
		"{\"Error\":{\"Code\":\"SignatureDoesNotMatch\",\"Message\":"
		"\"The request signature we calculated with " SIGNER_SECRET
		" does not match; token " SIGNER_TOKEN ".\"}}";
	struct creds out = { 0 };
	struct errinfo ei;

	(void)state;
	assert_int_equal(parse(403, body, NOW, &out, &ei), ERR_CREDENTIALS);
	assert_string_equal(ei.details, "STS AssumeRole: SignatureDoesNotMatch: "
			    "The request signature we calculated with *** does "
			    "not match; token ***.");
	assert_null(strstr(ei.details, "EXAMPLEKEY"));
}

static void test_sts_parse_reply_cuts_long_message(void **state)
{
	struct creds out = { 0 };
	struct errinfo ei;
	char m[1001], body[2048], want[512];

	(void)state;
	memset(m, 'm', sizeof(m) - 1);
	m[sizeof(m) - 1] = '\0';
	snprintf(body, sizeof(body), "{\"Error\":{\"Code\":\"Throttling\","
		 "\"Message\":\"%s " SIGNER_SECRET "\"}}", m);
	assert_int_equal(parse(400, body, NOW, &out, &ei), ERR_CREDENTIALS);
	snprintf(want, sizeof(want), "STS AssumeRole: Throttling: %.300s...", m);
	assert_string_equal(ei.details, want);
}

static void test_sts_parse_reply_refuses_expired_credentials(void **state)
{
	struct creds out = { 0 };
	struct errinfo ei;

	(void)state;
	assert_int_equal(parse(200, json_success, 1772323200.0, &out, &ei),
			 ERR_CREDENTIALS);
	assert_string_equal(ei.details, "STS AssumeRole: the credentials "
			    "returned expired already (Expiration 1772323200, "
			    "now 1772323200)");
	assert_int_equal(parse(200, json_success, 1800000000.0, &out, &ei),
			 ERR_CREDENTIALS);
	assert_non_null(strstr(ei.details, "expired already"));
	assert_null(out.key_id);
}

static void test_sts_parse_reply_withholds_cut_success_answer(void **state)
{
	static const char body[] =
		"{\"AssumeRoleResponse\":{\"AssumeRoleResult\":{\"Credentials\":"
		"{\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"fresh-secret-xyz\","
		"\"Sess";
	struct creds out = { 0 };
	struct errinfo ei;

	(void)state;
	assert_int_equal(parse(200, body, NOW, &out, &ei), ERR_CREDENTIALS);
	assert_string_equal(ei.details, "STS AssumeRole: answer is not valid "
			    "JSON (HTTP 200; not quoted: it may hold "
			    "credentials)");
}

static void test_sts_endpoint_defaults_to_region_unless_environment_says(void **state)
{
	struct buf b;

	(void)state;
	unsetenv("AWS_ENDPOINT_URL_STS");
	buf_init(&b, 4096);
	assert_int_equal(sts_endpoint("ap-southeast-2", &b), OK);
	assert_string_equal(buf_cstr(&b), "https://sts.ap-southeast-2.amazonaws.com");
	buf_reset(&b);
	setenv("AWS_ENDPOINT_URL_STS", "", 1);
	assert_int_equal(sts_endpoint(REGION, &b), OK);
	assert_string_equal(buf_cstr(&b), "https://sts.eu-west-1.amazonaws.com");
	buf_reset(&b);
	setenv("AWS_ENDPOINT_URL_STS", "http://sts.local:4566/", 1);
	assert_int_equal(sts_endpoint(REGION, &b), OK);
	assert_string_equal(buf_cstr(&b), "http://sts.local:4566/");
	buf_free(&b);
}

/* ---- metadata_parse_time and metadata_parse ---- */

static void test_metadata_parse_time_reads_utc(void **state)
{
	double t = -1;

	(void)state;
	assert_int_equal(metadata_parse_time("2026-03-01T00:00:00Z", &t), 0);
	assert_true(t == 1772323200.0);
	assert_int_equal(metadata_parse_time("1970-01-01T00:00:00Z", &t), 0);
	assert_true(t == 0.0);
	assert_int_equal(metadata_parse_time("2000-02-29T23:59:59Z", &t), 0);
	assert_true(t == 951868799.0);
	assert_int_equal(metadata_parse_time("2026-11-21t12:00:00z", &t), 0);
	assert_true(t == 1795262400.0);
}

static void test_metadata_parse_time_reads_fractional_seconds(void **state)
{
	double t = -1;

	(void)state;
	assert_int_equal(metadata_parse_time("2026-03-01T00:00:00.25Z", &t), 0);
	assert_true(t == 1772323200.25);
	assert_int_equal(metadata_parse_time("2026-03-01T00:00:00.500000000+00:00",
					     &t), 0);
	assert_true(t == 1772323200.5);
}

static void test_metadata_parse_time_applies_offsets(void **state)
{
	double t = -1;

	(void)state;
	assert_int_equal(metadata_parse_time("2026-03-01T00:00:00+00:00", &t), 0);
	assert_true(t == 1772323200.0);
	assert_int_equal(metadata_parse_time("2026-03-01T01:30:00+01:30", &t), 0);
	assert_true(t == 1772323200.0);
	assert_int_equal(metadata_parse_time("2026-02-28T23:00:00-01:00", &t), 0);
	assert_true(t == 1772323200.0);
}

static void test_metadata_parse_time_refuses_invalid_times(void **state)
{
	static const char *const bad[] = {
		"", "garbage", "2026-13-01T00:00:00Z", "2026-00-10T00:00:00Z",
		"2026-02-29T00:00:00Z", "2026-04-31T00:00:00Z",
		"2026-03-00T00:00:00Z", "2026-03-01T24:00:00Z",
		"2026-03-01T00:60:00Z", "2026-03-01T00:00:60Z",
		"2026-03-01T00:00:00", "2026-03-01 00:00:00Z",
		"2026-03-01T00:00:00Zjunk", "2026-03-01T00:00:00.Z",
		"2026-03-01T00:00:00+1:00", "2026-03-01T00:00:00+24:00",
		"2026-3-01T00:00:00Z", "+026-03-01T00:00:00Z",
		"1969-12-31T23:59:59Z", "2026-03-01T00:00:00+00:00x",
		"2026-03-01T00:00:00 Z",
	};
	double t = 42;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (metadata_parse_time(bad[i], &t) != -1)
			fail_msg("accepted \"%s\"", bad[i]);
	}
	assert_int_equal(metadata_parse_time(NULL, &t), -1);
	assert_true(t == 42);
}

static void test_metadata_parse_reads_imds_and_ecs_answers(void **state)
{
	static const char imds[] =
		"{\n  \"Code\" : \"Success\",\n  \"LastUpdated\" : "
		"\"2026-11-21T10:00:00Z\",\n  \"Type\" : \"AWS-HMAC\",\n"
		"  \"AccessKeyId\" : \"ASIAIMDS\",\n  \"SecretAccessKey\" : "
		"\"imds-secret\",\n  \"Token\" : \"imds-token\",\n"
		"  \"Expiration\" : \"2026-03-01T00:00:00Z\"\n}";
	static const char ecs[] =
		"{\"AccessKeyId\":\"ASIAECS\",\"SecretAccessKey\":\"s\","
		"\"Token\":\"t\",\"Expiration\":\"2026-03-01T00:00:00.000+00:00\","
		"\"RoleArn\":\"arn:aws:iam::1:role/r\"}";
	struct creds out = { 0 };
	struct errinfo ei;

	(void)state;
	memset(&ei, 0, sizeof(ei));
	assert_int_equal(metadata_parse("EC2 instance metadata", imds,
					strlen(imds), NOW, &out, &ei), OK);
	assert_string_equal(out.key_id, "ASIAIMDS");
	assert_string_equal(out.secret, "imds-secret");
	assert_string_equal(out.token, "imds-token");
	assert_true(out.expires == 1772323200.0);
	assert_true(out.obtained == NOW);
	assert_int_equal(out.temporary, 1);
	creds_clear(&out);
	assert_int_equal(metadata_parse("ECS container credentials", ecs,
					strlen(ecs), NOW, &out, &ei), OK);
	assert_string_equal(out.key_id, "ASIAECS");
	creds_clear(&out);
}

static void test_metadata_parse_refuses_code_other_than_success(void **state)
{
	static const char body[] =
		"{\"Code\":\"AssumeRoleUnauthorizedAccess\",\"Message\":\"EC2 "
		"cannot assume the role\",\"AccessKeyId\":\"A\","
		"\"SecretAccessKey\":\"S\",\"Token\":\"T\",\"Expiration\":"
		"\"2099-01-01T00:00:00Z\"}";
	struct creds out = { 0 };
	struct errinfo ei;

	(void)state;
	memset(&ei, 0, sizeof(ei));
	assert_int_equal(metadata_parse("EC2 instance metadata", body,
					strlen(body), NOW, &out, &ei),
			 ERR_CREDENTIALS);
	assert_string_equal(ei.details, "EC2 instance metadata: answered Code "
			    "AssumeRoleUnauthorizedAccess: EC2 cannot assume the "
			    "role");
	assert_null(out.key_id);
}

static void test_metadata_parse_refuses_bad_answers(void **state)
{
	static const struct {
		const char *body;
		const char *details;
	} cases[] = {
		{ "", "M: empty answer" },
		{ "{\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"S-leak",
		  "M: the answer is not a JSON object" },
		{ "{\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"S\","
		  "\"Expiration\":\"2099-01-01T00:00:00Z\"}",
		  "M: the answer lacks Token" },
		{ "{\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"S\","
		  "\"Token\":\"T\",\"Expiration\":1.8E9}",
		  "M: the answer lacks Expiration" },
		{ "{\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"S\","
		  "\"Token\":\"T\",\"Expiration\":\"2099-02-30T00:00:00Z\"}",
		  "M: Expiration is not an ISO 8601 time" },
		{ "{\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"S\","
		  "\"Token\":\"T\",\"Expiration\":\"2020-01-01T00:00:00Z\"}",
		  "M: the credentials returned expired already "
		  "(2020-01-01T00:00:00Z)" },
		{ "{\"Code\":7,\"AccessKeyId\":\"A\"}",
		  "M: answered Code (not a text)" },
	};
	struct creds out = { 0 };
	struct errinfo ei;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&ei, 0, sizeof(ei));
		assert_int_equal(metadata_parse("M", cases[i].body,
						strlen(cases[i].body), NOW, &out,
						&ei), ERR_CREDENTIALS);
		assert_string_equal(ei.details, cases[i].details);
		assert_null(out.key_id);
	}
}

static void test_metadata_configuration_comes_from_environment(void **state)
{
	(void)state;
	assert_int_equal(metadata_ecs_configured(), 0);
	setenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "", 1);
	assert_int_equal(metadata_ecs_configured(), 0);
	setenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/credentials/x", 1);
	assert_int_equal(metadata_ecs_configured(), 1);
	unsetenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
	setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1/c", 1);
	assert_int_equal(metadata_ecs_configured(), 1);

	assert_int_equal(metadata_imds_enabled(), 1);
	setenv("AWS_EC2_METADATA_DISABLED", "TrUe", 1);
	assert_int_equal(metadata_imds_enabled(), 0);
	setenv("AWS_EC2_METADATA_DISABLED", "false", 1);
	assert_int_equal(metadata_imds_enabled(), 1);
}

/* ---- end to end: STS ---- */

static void test_sts_assume_role_sends_signed_form_and_reads_credentials(void **state)
{
	static const enum mode m = STS_CHECK_ASSUME;
	struct creds s = signer(), out = { 0 };
	struct errinfo ei;
	enum err rc;

	(void)state;
	set_url_env("AWS_ENDPOINT_URL_STS", start(&m), "");
	memset(&ei, 0, sizeof(ei));
	rc = sts_assume_role(&s, REGION, ROLE_ARN, EXTERNAL_ID, SESSION, 900,
			     5000, &out, &ei);
	if (rc)
		fail_msg("%s", ei.details);
	assert_string_equal(out.key_id, NEW_KEY);
	assert_string_equal(out.secret, NEW_SECRET);
	assert_string_equal(out.token, NEW_TOKEN);
	assert_true(out.expires == FAR_EXPIRATION);
	assert_true(out.obtained > 1.7e9);
	assert_int_equal(out.temporary, 1);
	creds_clear(&out);
}

static void test_sts_assume_role_reports_sts_error_code_and_message(void **state)
{
	static const enum mode m = STS_DENY;
	struct creds s = signer(), out = { 0 };
	struct errinfo ei;

	(void)state;
	/* a trailing "/" in the endpoint gives "/", not "//" */
	set_url_env("AWS_ENDPOINT_URL_STS", start(&m), "/");
	memset(&ei, 0, sizeof(ei));
	assert_int_equal(sts_assume_role(&s, REGION, ROLE_ARN, NULL, NULL, 0,
					 5000, &out, &ei), ERR_CREDENTIALS);
	assert_string_equal(ei.details, "STS AssumeRole: AccessDenied: User: "
			    "arn:aws:iam::123456789012:user/x is not authorized "
			    "to perform: sts:AssumeRole on resource: " ROLE_ARN);
	assert_null(out.key_id);
}

static void test_sts_assume_role_closed_port_fails_quickly(void **state)
{
	struct creds s = signer(), out = { 0 };
	struct timespec t0;
	struct errinfo ei;
	char want[128];
	int port, fd = fakehttp_listen(&port);

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	set_url_env("AWS_ENDPOINT_URL_STS", port, "");
	memset(&ei, 0, sizeof(ei));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(sts_assume_role(&s, REGION, ROLE_ARN, NULL, NULL, 900,
					 5000, &out, &ei), ERR_CREDENTIALS);
	assert_true(elapsed_since(&t0) < 2.0);
	snprintf(want, sizeof(want), "STS AssumeRole: cannot connect to "
		 "127.0.0.1:%d: Connection refused", port);
	assert_string_equal(ei.details, want);
	assert_null(out.key_id);
}

static void test_sts_assume_role_refuses_region_that_would_change_host(void **state)
{
	struct creds s = signer(), out = { 0 };
	struct errinfo ei;

	(void)state;
	memset(&ei, 0, sizeof(ei));
	assert_int_equal(sts_assume_role(&s, "x@evil.example#", ROLE_ARN, NULL,
					 NULL, 900, 5000, &out, &ei),
			 ERR_CREDENTIALS);
	assert_string_equal(ei.details, "STS AssumeRole: invalid region name");
	assert_int_equal(sts_assume_role(NULL, REGION, ROLE_ARN, NULL, NULL, 900,
					 5000, &out, &ei), ERR_CREDENTIALS);
	assert_null(out.key_id);
}

static void test_sts_web_identity_sends_unsigned_token_and_reads_credentials(void **state)
{
	static const enum mode m = STS_CHECK_WEB;
	struct creds out = { 0 };
	struct errinfo ei;
	enum err rc;

	(void)state;
	set_url_env("AWS_ENDPOINT_URL_STS", start(&m), "");
	memset(&ei, 0, sizeof(ei));
	rc = sts_assume_role_web_identity(REGION, ROLE_ARN, NULL, web_token(), 0,
					  5000, &out, &ei);
	if (rc)
		fail_msg("%s", ei.details);
	assert_string_equal(out.key_id, NEW_KEY);
	assert_string_equal(out.token, NEW_TOKEN);
	assert_true(out.expires == FAR_EXPIRATION);
	creds_clear(&out);
}

static void test_sts_web_identity_hides_token_echoed_by_sts(void **state)
{
	static const enum mode m = STS_ECHO_WEB;
	struct creds out = { 0 };
	struct errinfo ei;

	(void)state;
	set_url_env("AWS_ENDPOINT_URL_STS", start(&m), "");
	memset(&ei, 0, sizeof(ei));
	assert_int_equal(sts_assume_role_web_identity(REGION, ROLE_ARN, NULL,
						      web_token(), 3600, 5000,
						      &out, &ei), ERR_CREDENTIALS);
	assert_string_equal(ei.details, "STS AssumeRoleWithWebIdentity: "
			    "InvalidIdentityToken: Token *** is not valid");
	assert_null(strstr(ei.details, "QQQQ"));
	assert_null(out.key_id);
}

/* ---- end to end: ECS and EC2 metadata ---- */

/* write_token_file: a temporary file holding text; its path in
 * token_path (teardown removes it). */
static void write_token_file(const char *text)
{
	int fd;

	snprintf(token_path, sizeof(token_path), "/tmp/test_sts_tokenXXXXXX");
	fd = mkstemp(token_path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	assert_int_equal(setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
				token_path, 1), 0);
}

static void test_metadata_ecs_sends_token_from_file_to_full_uri(void **state)
{
	static const enum mode m = ECS_CHECK;
	struct creds out = { 0 };
	struct errinfo ei;
	enum err rc;

	(void)state;
	set_url_env("AWS_CONTAINER_CREDENTIALS_FULL_URI", start(&m), "/creds");
	write_token_file(ECS_TOKEN "\n");
	/* the file wins over the variable */
	setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", "not-this-one", 1);
	memset(&ei, 0, sizeof(ei));
	rc = metadata_ecs(5000, &out, &ei);
	if (rc)
		fail_msg("%s", ei.details);
	assert_string_equal(out.key_id, NEW_KEY);
	assert_string_equal(out.secret, NEW_SECRET);
	assert_string_equal(out.token, NEW_TOKEN);
	assert_int_equal(out.temporary, 1);
	creds_clear(&out);

	/* and the variable alone works too */
	unlink(token_path);
	token_path[0] = '\0';
	unsetenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
	setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", ECS_TOKEN, 1);
	rc = metadata_ecs(5000, &out, &ei);
	if (rc)
		fail_msg("%s", ei.details);
	creds_clear(&out);
}

static void test_metadata_ecs_hides_token_and_refuses_line_breaks(void **state)
{
	static const enum mode m = ECS_ECHO_AUTH;
	struct creds out = { 0 };
	struct errinfo ei;
	char want[160];

	(void)state;
	set_url_env("AWS_CONTAINER_CREDENTIALS_FULL_URI", start(&m), "/creds");
	setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", ECS_TOKEN, 1);
	memset(&ei, 0, sizeof(ei));
	assert_int_equal(metadata_ecs(5000, &out, &ei), ERR_CREDENTIALS);
	assert_string_equal(ei.details, "ECS container credentials: answered "
			    "HTTP 403: denied for ***");

	setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", "abc\r\nX-Evil: 1", 1);
	assert_int_equal(metadata_ecs(5000, &out, &ei), ERR_CREDENTIALS);
	assert_string_equal(ei.details, "ECS container credentials: the "
			    "authorization token holds a line break or a "
			    "control byte");
	assert_null(strstr(ei.details, "abc"));

	setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
	       "/nonexistent/test_sts/token", 1);
	assert_int_equal(metadata_ecs(5000, &out, &ei), ERR_CREDENTIALS);
	snprintf(want, sizeof(want), "ECS container credentials: cannot open "
		 "the authorization token file /nonexistent/test_sts/token: %s",
		 strerror(ENOENT));
	assert_string_equal(ei.details, want);
	assert_null(out.key_id);
}

static void test_metadata_ecs_relative_uri_must_be_a_path(void **state)
{
	struct creds out = { 0 };
	struct errinfo ei;

	(void)state;
	setenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "@evil.example/x", 1);
	memset(&ei, 0, sizeof(ei));
	assert_int_equal(metadata_ecs(5000, &out, &ei), ERR_CREDENTIALS);
	assert_string_equal(ei.details, "ECS container credentials: "
			    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI does not "
			    "start with /");
}

static void test_metadata_imds_walks_token_role_and_credentials(void **state)
{
	static const enum mode m = IMDS_CHECK;
	struct creds out = { 0 };
	struct errinfo ei;
	enum err rc;

	(void)state;
	/* a trailing "/" is dropped before the paths are appended */
	set_url_env("AWS_EC2_METADATA_SERVICE_ENDPOINT", start(&m), "/");
	memset(&ei, 0, sizeof(ei));
	rc = metadata_imds(5000, &out, &ei);
	if (rc)
		fail_msg("%s", ei.details);
	assert_string_equal(out.key_id, NEW_KEY);
	assert_string_equal(out.secret, NEW_SECRET);
	assert_string_equal(out.token, NEW_TOKEN);
	assert_int_equal(out.temporary, 1);
	creds_clear(&out);
}

static void test_metadata_imds_reports_401_at_each_step(void **state)
{
	static const enum mode deny_all = IMDS_DENY_ALL,
			       deny_creds = IMDS_DENY_CREDS;
	struct creds out = { 0 };
	struct errinfo ei;

	(void)state;
	set_url_env("AWS_EC2_METADATA_SERVICE_ENDPOINT", start(&deny_all), "");
	memset(&ei, 0, sizeof(ei));
	assert_int_equal(metadata_imds(5000, &out, &ei), ERR_CREDENTIALS);
	assert_string_equal(ei.details, "EC2 instance metadata: token request "
			    "answered HTTP 401");
	fakehttp_stop(&server);

	set_url_env("AWS_EC2_METADATA_SERVICE_ENDPOINT", start(&deny_creds), "");
	assert_int_equal(metadata_imds(5000, &out, &ei), ERR_CREDENTIALS);
	assert_string_equal(ei.details, "EC2 instance metadata: credentials "
			    "request answered HTTP 401");
	assert_null(strstr(ei.details, IMDS_SESSION));
	assert_null(out.key_id);
}

/* ---- awshttp_do ---- */

static void test_awshttp_refuses_reply_over_ceiling(void **state)
{
	static const enum mode m = HTTP_PLAIN;
	struct awshttp_request rq = { .method = "GET", .timeout_ms = 5000,
				      .what = "T" };
	struct errinfo ei;
	struct buf reply;
	char url[64], want[96];
	long status = -1;

	(void)state;
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/big", start(&m));
	rq.url = url;
	buf_init(&reply, (size_t)4 << 20);
	memset(&ei, 0, sizeof(ei));
	assert_int_equal(awshttp_do(&rq, &status, &reply, &ei), ERR_CREDENTIALS);
	snprintf(want, sizeof(want), "T: answer larger than %zu bytes",
		 (size_t)AWSHTTP_MAX_REPLY);
	assert_string_equal(ei.details, want);
	assert_int_equal(status, -1);
	assert_int_equal(reply.len, 0);
	buf_free(&reply);
}

static void test_awshttp_times_out_and_names_only_host_and_port(void **state)
{
	static const enum mode m = HTTP_PLAIN;
	struct awshttp_request rq = { .method = "POST", .body = "a=b",
				      .body_len = 3, .timeout_ms = 300,
				      .what = "T" };
	struct timespec t0;
	struct errinfo ei;
	struct buf reply;
	char url[96], want[128];
	long status = -1;
	int port, fd;

	(void)state;
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/hang", start(&m));
	rq.url = url;
	buf_init(&reply, AWSHTTP_MAX_REPLY);
	memset(&ei, 0, sizeof(ei));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(awshttp_do(&rq, &status, &reply, &ei), ERR_CREDENTIALS);
	assert_true(elapsed_since(&t0) < 2.0);
	assert_string_equal(ei.details, "T: timed out after 300 ms");

	fd = fakehttp_listen(&port);
	assert_true(fd >= 0);
	close(fd);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/secret-path?key=v",
		 port);
	rq.method = "GET";
	assert_int_equal(awshttp_do(&rq, &status, &reply, &ei), ERR_CREDENTIALS);
	snprintf(want, sizeof(want), "T: cannot connect to 127.0.0.1:%d: "
		 "Connection refused", port);
	assert_string_equal(ei.details, want);

	rq.url = "file:///etc/passwd";
	assert_int_equal(awshttp_do(&rq, &status, &reply, &ei), ERR_CREDENTIALS);
	assert_string_equal(ei.details, "T: only http and https URLs are "
			    "supported");
	assert_int_equal(status, -1);
	buf_free(&reply);
}

#define T(name) cmocka_unit_test_teardown(name, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_sts_parse_reply_reads_json_success_with_number_expiration),
		T(test_sts_parse_reply_reads_iso_expiration),
		T(test_sts_parse_reply_reports_json_error_code_and_message),
		T(test_sts_parse_reply_reports_nested_error_response),
		T(test_sts_parse_reply_reports_xml_error),
		T(test_sts_parse_reply_refuses_html_with_status_and_excerpt),
		T(test_sts_parse_reply_refuses_empty_body),
		T(test_sts_parse_reply_refuses_missing_or_bad_fields),
		T(test_sts_parse_reply_hides_signer_secret_quoted_in_message),
		T(test_sts_parse_reply_cuts_long_message),
		T(test_sts_parse_reply_refuses_expired_credentials),
		T(test_sts_parse_reply_withholds_cut_success_answer),
		T(test_sts_endpoint_defaults_to_region_unless_environment_says),
		T(test_metadata_parse_time_reads_utc),
		T(test_metadata_parse_time_reads_fractional_seconds),
		T(test_metadata_parse_time_applies_offsets),
		T(test_metadata_parse_time_refuses_invalid_times),
		T(test_metadata_parse_reads_imds_and_ecs_answers),
		T(test_metadata_parse_refuses_code_other_than_success),
		T(test_metadata_parse_refuses_bad_answers),
		T(test_metadata_configuration_comes_from_environment),
		T(test_sts_assume_role_sends_signed_form_and_reads_credentials),
		T(test_sts_assume_role_reports_sts_error_code_and_message),
		T(test_sts_assume_role_closed_port_fails_quickly),
		T(test_sts_assume_role_refuses_region_that_would_change_host),
		T(test_sts_web_identity_sends_unsigned_token_and_reads_credentials),
		T(test_sts_web_identity_hides_token_echoed_by_sts),
		T(test_metadata_ecs_sends_token_from_file_to_full_uri),
		T(test_metadata_ecs_hides_token_and_refuses_line_breaks),
		T(test_metadata_ecs_relative_uri_must_be_a_path),
		T(test_metadata_imds_walks_token_role_and_credentials),
		T(test_metadata_imds_reports_401_at_each_step),
		T(test_awshttp_refuses_reply_over_ceiling),
		T(test_awshttp_times_out_and_names_only_host_and_port),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
