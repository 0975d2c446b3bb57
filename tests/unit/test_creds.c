/* test_creds.c - where credentials come from and how long the cache keeps
 * them: the renewal rule, static keys, the environment chain, AssumeRole
 * through a fake STS on loopback (every answer a new key id, so a cache hit
 * shows as the same id), Test Connection's fresh credentials, forgetting
 * after an expired-token answer, and the AMP workspace host's region. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "aws/creds.h"
#include "common/excerpt.h"
#include "common/log.h"
#include "fakehttp.h"

static struct fakehttp sts;
static double offset;           /* what the fake clock adds to the real one */

static double fake_now(void)
{
	return (double)time(NULL) + offset;
}

/* The fake STS: every call answers new credentials ASIATEST0001, 0002, ...
 * valid for 900 s (Expiration written as AWS does, a number with an
 * exponent); a RoleArn with "denied" in it gets AccessDenied. */
static enum fakehttp_next sts_answer(int fd, const struct fakehttp_request *req,
				     void *arg)
{
	static const char denied[] =
		"{\"Error\": {\"Code\": \"AccessDenied\", \"Message\": \"not "
		"authorized to perform: sts:AssumeRole\", \"Type\": \"Sender\"}}";
	int *calls = arg;
	char body[1024];
	int n;

	if (excerpt_find(req->head, req->head_len, "denied", 6) ||
	    excerpt_find(req->body, req->body_len, "denied", 6)) {
		fakehttp_reply(fd, 403, "Content-Type: application/json\r\n",
			       denied, strlen(denied));
		return FAKEHTTP_KEEP;
	}
	(*calls)++;
	n = snprintf(body, sizeof(body),
		     "{\"AssumeRoleResponse\": {\"AssumeRoleResult\": {"
		     "\"Credentials\": {\"AccessKeyId\": \"ASIATEST%04d\", "
		     "\"SecretAccessKey\": \"secret-%d\", \"SessionToken\": "
		     "\"token-%d\", \"Expiration\": %.9E}}}, "
		     "\"AssumeRoleWithWebIdentityResponse\": {"
		     "\"AssumeRoleWithWebIdentityResult\": {\"Credentials\": {"
		     "\"AccessKeyId\": \"ASIATEST%04d\", \"SecretAccessKey\": "
		     "\"secret-%d\", \"SessionToken\": \"token-%d\", "
		     "\"Expiration\": %.9E}}}}",
		     *calls, *calls, *calls, (double)time(NULL) + 900, *calls,
		     *calls, *calls, (double)time(NULL) + 900);
	fakehttp_reply(fd, 200, "Content-Type: application/json\r\n", body,
		       (size_t)n);
	return FAKEHTTP_KEEP;
}

static const char *const aws_vars[] = {
	"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
	"AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN", "AWS_ROLE_SESSION_NAME",
	"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
	"AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_AUTHORIZATION_TOKEN",
	"AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
	"AWS_EC2_METADATA_SERVICE_ENDPOINT", "AWS_ENDPOINT_URL_STS",
	"http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy",
	"ALL_PROXY",
};

static int setup(void **state)
{
	static int calls;
	char url[64];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(aws_vars) / sizeof(aws_vars[0]); i++)
		unsetenv(aws_vars[i]);
	setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
	calls = 0;
	if (fakehttp_start(&sts, sts_answer, &calls) != 0)
		return -1;
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", sts.port);
	setenv("AWS_ENDPOINT_URL_STS", url, 1);
	offset = 0;
	creds_set_clock(fake_now);
	return 0;
}

static int teardown(void **state)
{
	size_t i;

	(void)state;
	fakehttp_stop(&sts);
	for (i = 0; i < sizeof(aws_vars) / sizeof(aws_vars[0]); i++)
		unsetenv(aws_vars[i]);
	unsetenv("AWS_EC2_METADATA_DISABLED");
	creds_set_clock(NULL);
	return 0;
}

static const struct creds_source role_src = {
	.region = "eu-west-1", .key_id = "AKIDUSER", .secret = "user-secret",
	.role_arn = "arn:aws:iam::123456789012:role/amp-read",
	.external_id = "ext-1",
};

/* get: creds_get that must succeed; returns the key id (caller frees). */
static char *get(struct creds_cache *cache, const struct creds_source *src,
		 int fresh)
{
	struct errinfo ei;
	struct creds c;
	char *id;

	memset(&ei, 0, sizeof(ei));
	assert_int_equal(creds_get(cache, src, fresh, 5000, &c, &ei), OK);
	id = strdup(c.key_id);
	assert_non_null(id);
	creds_clear(&c);
	return id;
}

static void test_creds_renew_with_a_minute_or_a_third_of_the_lifetime_left(void **state)
{
	struct creds c = { .obtained = 1000, .expires = 1900 };

	(void)state;
	assert_false(creds_need_renewal(&c, 1839));     /* 61 s left */
	assert_true(creds_need_renewal(&c, 1841));      /* 59 s left */
	c.expires = 1090;                               /* 90 s lifetime: a third is 30 s */
	assert_false(creds_need_renewal(&c, 1059));
	assert_true(creds_need_renewal(&c, 1061));
	c.expires = 0;                                  /* never expires */
	assert_false(creds_need_renewal(&c, 1e12));
}

static void test_creds_static_keys_without_a_role_are_used_as_they_are(void **state)
{
	const struct creds_source src = {
		.region = "eu-west-1", .key_id = "AKIDSTATIC",
		.secret = "static-secret", .token = "static-token",
	};
	struct creds c;

	(void)state;
	assert_int_equal(creds_get(NULL, &src, 0, 1000, &c, NULL), OK);
	assert_string_equal(c.key_id, "AKIDSTATIC");
	assert_string_equal(c.secret, "static-secret");
	assert_string_equal(c.token, "static-token");
	assert_int_equal(c.temporary, 0);
	assert_true(c.expires == 0);
	creds_clear(&c);
}

static void test_creds_assume_role_is_cached_until_renewal_is_due(void **state)
{
	struct creds_cache *cache = creds_cache_new(0);
	char *a, *b, *c;

	(void)state;
	assert_non_null(cache);
	a = get(cache, &role_src, 0);
	b = get(cache, &role_src, 0);
	assert_string_equal(a, "ASIATEST0001");
	assert_string_equal(b, "ASIATEST0001");   /* from the cache */
	offset = 850;                               /* 50 s left: renew */
	c = get(cache, &role_src, 0);
	assert_string_equal(c, "ASIATEST0002");
	free(a);
	free(b);
	free(c);
	creds_cache_free(cache);
}

static void test_creds_test_connection_neither_reads_nor_writes_the_cache(void **state)
{
	struct creds_cache *cache = creds_cache_new(0);
	char *a, *b, *c;

	(void)state;
	a = get(cache, &role_src, 0);
	b = get(cache, &role_src, 1);
	c = get(cache, &role_src, 0);
	assert_string_equal(a, "ASIATEST0001");
	assert_string_equal(b, "ASIATEST0002");   /* fresh */
	assert_string_equal(c, "ASIATEST0001");   /* the cache kept the first */
	free(a);
	free(b);
	free(c);
	creds_cache_free(cache);
}

static void test_creds_forget_drops_the_entry_after_an_expired_token(void **state)
{
	struct creds_cache *cache = creds_cache_new(0);
	char *a, *b;

	(void)state;
	a = get(cache, &role_src, 0);
	creds_forget(cache, &role_src);
	b = get(cache, &role_src, 0);
	assert_string_equal(a, "ASIATEST0001");
	assert_string_equal(b, "ASIATEST0002");
	free(a);
	free(b);
	creds_cache_free(cache);
}

static void test_creds_every_input_is_part_of_the_cache_key(void **state)
{
	struct creds_cache *cache = creds_cache_new(0);
	struct creds_source other = role_src;
	char *ids[7];
	size_t i;

	(void)state;
	ids[0] = get(cache, &role_src, 0);
	other.external_id = "ext-2";
	ids[1] = get(cache, &other, 0);
	other = role_src;
	other.secret = "another-secret";
	ids[2] = get(cache, &other, 0);
	other = role_src;
	other.session_name = "another-session";
	ids[3] = get(cache, &other, 0);
	other = role_src;
	other.duration_s = 3600;
	ids[4] = get(cache, &other, 0);
	other = role_src;
	other.region = "us-east-1";
	ids[5] = get(cache, &other, 0);
	ids[6] = get(cache, &role_src, 0);
	for (i = 0; i < 6; i++) {
		char want[16];

		snprintf(want, sizeof(want), "ASIATEST%04zu", i + 1);
		assert_string_equal(ids[i], want);
	}
	assert_string_equal(ids[6], "ASIATEST0001");
	for (i = 0; i < 7; i++)
		free(ids[i]);
	creds_cache_free(cache);
}

static void test_creds_a_full_cache_drops_the_least_recently_used(void **state)
{
	struct creds_cache *cache = creds_cache_new(2);
	struct creds_source b = role_src, c = role_src;
	char *ids[4];
	size_t i;

	(void)state;
	b.external_id = "ext-b";
	c.external_id = "ext-c";
	ids[0] = get(cache, &role_src, 0);   /* 0001 */
	ids[1] = get(cache, &b, 0);          /* 0002 */
	ids[2] = get(cache, &c, 0);          /* 0003: role_src dropped */
	ids[3] = get(cache, &role_src, 0);   /* 0004 */
	assert_string_equal(ids[3], "ASIATEST0004");
	for (i = 0; i < 4; i++)
		free(ids[i]);
	creds_cache_free(cache);
}

static void test_creds_sts_refusal_is_a_credentials_error_with_its_code(void **state)
{
	struct creds_source src = role_src;
	struct errinfo ei;
	struct creds c;

	(void)state;
	memset(&ei, 0, sizeof(ei));
	src.role_arn = "arn:aws:iam::123456789012:role/denied";
	assert_int_equal(creds_get(NULL, &src, 0, 5000, &c, &ei), ERR_CREDENTIALS);
	assert_non_null(strstr(ei.details, "AccessDenied"));
	assert_null(strstr(ei.details, "user-secret"));
}

static void test_creds_environment_keys_come_first_in_the_chain(void **state)
{
	const struct creds_source src = { .region = "eu-west-1" };
	struct creds c;

	(void)state;
	setenv("AWS_ACCESS_KEY_ID", "AKIDENV", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "env-secret", 1);
	setenv("AWS_SESSION_TOKEN", "env-token", 1);
	setenv("AWS_WEB_IDENTITY_TOKEN_FILE", "/nonexistent", 1);
	setenv("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/irsa", 1);
	assert_int_equal(creds_get(NULL, &src, 0, 1000, &c, NULL), OK);
	assert_string_equal(c.key_id, "AKIDENV");
	assert_string_equal(c.token, "env-token");
	creds_clear(&c);
}

static void test_creds_environment_keys_then_assume_role(void **state)
{
	struct creds_source src = { .region = "eu-west-1" };
	struct creds_cache *cache = creds_cache_new(0);
	char *a, *b;

	(void)state;
	src.role_arn = "arn:aws:iam::123456789012:role/amp-read";
	setenv("AWS_ACCESS_KEY_ID", "AKIDENV", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "env-secret", 1);
	a = get(cache, &src, 0);
	b = get(cache, &src, 0);
	assert_string_equal(a, "ASIATEST0001");
	assert_string_equal(b, "ASIATEST0001");
	free(a);
	free(b);
	creds_cache_free(cache);
}

static void test_creds_web_identity_reads_the_token_file(void **state)
{
	const struct creds_source src = { .region = "eu-west-1" };
	char path[] = "/tmp/test-creds-token.XXXXXX";
	struct errinfo ei;
	struct creds c;
	int fd;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "wi-token-value\n", 15), 15);
	close(fd);
	setenv("AWS_WEB_IDENTITY_TOKEN_FILE", path, 1);
	setenv("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/irsa", 1);
	memset(&ei, 0, sizeof(ei));
	assert_int_equal(creds_get(NULL, &src, 0, 5000, &c, &ei), OK);
	assert_string_equal(c.key_id, "ASIATEST0001");
	assert_int_equal(c.temporary, 1);
	creds_clear(&c);
	unlink(path);
	/* gone: a typed error naming the variable, not the path's contents */
	assert_int_equal(creds_get(NULL, &src, 0, 5000, &c, &ei), ERR_CREDENTIALS);
	assert_non_null(strstr(ei.details, "AWS_WEB_IDENTITY_TOKEN_FILE"));
}

static void test_creds_nothing_anywhere_is_a_clear_error(void **state)
{
	const struct creds_source src = { .region = "eu-west-1" };
	struct errinfo ei;
	struct creds c;

	(void)state;
	memset(&ei, 0, sizeof(ei));
	assert_int_equal(creds_get(NULL, &src, 0, 1000, &c, &ei), ERR_CREDENTIALS);
	assert_non_null(strstr(ei.details, "no keys"));
}

static void test_creds_region_of_an_amp_workspace_url(void **state)
{
	char r[40] = "untouched";

	(void)state;
	assert_int_equal(creds_url_region("https://aps-workspaces.us-west-2.amazonaws.com/workspaces/ws-1/", r, sizeof(r)), 1);
	assert_string_equal(r, "us-west-2");
	assert_int_equal(creds_url_region("https://APS-Workspaces.EU-Central-1.AmazonAWS.com:443/x", r, sizeof(r)), 1);
	assert_string_equal(r, "eu-central-1");
	strcpy(r, "untouched");
	assert_int_equal(creds_url_region("http://127.0.0.1:9090/", r, sizeof(r)), 0);
	assert_int_equal(creds_url_region("https://aps-workspaces..amazonaws.com/", r, sizeof(r)), 0);
	assert_int_equal(creds_url_region("https://aps-workspaces.eu/west.amazonaws.com/", r, sizeof(r)), 0);
	assert_int_equal(creds_url_region("https://aps-workspaces.x_y.amazonaws.com/", r, sizeof(r)), 0);
	assert_int_equal(creds_url_region("https://aps-workspaces.eu-west-1.amazonaws.com.evil.example/", r, sizeof(r)), 0);
	assert_string_equal(r, "untouched");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_creds_renew_with_a_minute_or_a_third_of_the_lifetime_left),
		cmocka_unit_test_setup_teardown(test_creds_static_keys_without_a_role_are_used_as_they_are, setup, teardown),
		cmocka_unit_test_setup_teardown(test_creds_assume_role_is_cached_until_renewal_is_due, setup, teardown),
		cmocka_unit_test_setup_teardown(test_creds_test_connection_neither_reads_nor_writes_the_cache, setup, teardown),
		cmocka_unit_test_setup_teardown(test_creds_forget_drops_the_entry_after_an_expired_token, setup, teardown),
		cmocka_unit_test_setup_teardown(test_creds_every_input_is_part_of_the_cache_key, setup, teardown),
		cmocka_unit_test_setup_teardown(test_creds_a_full_cache_drops_the_least_recently_used, setup, teardown),
		cmocka_unit_test_setup_teardown(test_creds_sts_refusal_is_a_credentials_error_with_its_code, setup, teardown),
		cmocka_unit_test_setup_teardown(test_creds_environment_keys_come_first_in_the_chain, setup, teardown),
		cmocka_unit_test_setup_teardown(test_creds_environment_keys_then_assume_role, setup, teardown),
		cmocka_unit_test_setup_teardown(test_creds_web_identity_reads_the_token_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_creds_nothing_anywhere_is_a_clear_error, setup, teardown),
		cmocka_unit_test(test_creds_region_of_an_amp_workspace_url),
	};
	int rc;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	log_set_level(LOG_ERROR);       /* no "credentials obtained" lines */
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	curl_global_cleanup();
	return rc;
}
