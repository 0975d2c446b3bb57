/* test_config.c - the operator's settings: defaults, bounds, the key file,
 * the config file, and the refusal to start without a key. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "mirror/config.h"

static const char *const vars[] = {
	"MIRROR_API_KEY", "MIRROR_API_KEY_FILE", "MIRROR_ALLOWED_UPSTREAMS",
	"MIRROR_MAX_BODY_BYTES", "MIRROR_MAX_TIMEOUT_SECONDS", "MIRROR_MAX_POINTS",
	"MIRROR_LOG_LEVEL",
};

static int clean_env(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
		unsetenv(vars[i]);
	return 0;
}

/* write_tmp: a temporary file with the given text; returns its path. */
static char *write_tmp(const char *text)
{
	static char path[64];
	int fd;

	snprintf(path, sizeof(path), "/tmp/test_config_XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

static void test_config_refuses_to_start_without_a_key(void **state)
{
	struct config cfg;
	struct errinfo ei;

	(void)state;
	memset(&ei, 0, sizeof(ei));
	assert_int_equal(config_load(&cfg, NULL, &ei), ERR_BAD_REQUEST);
	assert_non_null(strstr(ei.details, "MIRROR_API_KEY"));
}

static void test_config_has_the_documented_defaults(void **state)
{
	struct config cfg;
	struct errinfo ei;

	(void)state;
	setenv("MIRROR_API_KEY", "k1", 1);
	assert_int_equal(config_load(&cfg, NULL, &ei), OK);
	assert_string_equal(cfg.api_key, "k1");
	assert_string_equal(cfg.allowed_upstreams, "*");
	assert_int_equal(cfg.max_body_bytes, 1048576);
	assert_int_equal(cfg.max_timeout_s, 300);
	assert_int_equal(cfg.max_points, 1000000);
	assert_int_equal(cfg.log_level, LOG_INFO);
	config_free(&cfg);
}

static void test_config_reads_every_setting_from_the_environment(void **state)
{
	struct config cfg;
	struct errinfo ei;

	(void)state;
	setenv("MIRROR_API_KEY", "k2", 1);
	setenv("MIRROR_ALLOWED_UPSTREAMS", "http://127.0.0.1:", 1);
	setenv("MIRROR_MAX_BODY_BYTES", "2048", 1);
	setenv("MIRROR_MAX_TIMEOUT_SECONDS", "5", 1);
	setenv("MIRROR_MAX_POINTS", "10", 1);
	setenv("MIRROR_LOG_LEVEL", "DEBUG", 1);
	assert_int_equal(config_load(&cfg, NULL, &ei), OK);
	assert_string_equal(cfg.allowed_upstreams, "http://127.0.0.1:");
	assert_int_equal(cfg.max_body_bytes, 2048);
	assert_int_equal(cfg.max_timeout_s, 5);
	assert_int_equal(cfg.max_points, 10);
	assert_int_equal(cfg.log_level, LOG_DEBUG);
	config_free(&cfg);
}

static void test_config_rejects_bad_numbers_naming_the_variable(void **state)
{
	static const char *const bad[] = { "0", "-1", "12abc", "", "99999999999999999999", " 5" };
	struct config cfg;
	struct errinfo ei;
	size_t i;

	(void)state;
	setenv("MIRROR_API_KEY", "k", 1);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (!*bad[i])
			continue; /* empty means default */
		setenv("MIRROR_MAX_POINTS", bad[i], 1);
		memset(&ei, 0, sizeof(ei));
		assert_int_equal(config_load(&cfg, NULL, &ei), ERR_BAD_REQUEST);
		assert_non_null(strstr(ei.details, "MIRROR_MAX_POINTS"));
	}
	setenv("MIRROR_MAX_POINTS", "5", 1);
	setenv("MIRROR_LOG_LEVEL", "verbose", 1);
	assert_int_equal(config_load(&cfg, NULL, &ei), ERR_BAD_REQUEST);
	assert_non_null(strstr(ei.details, "MIRROR_LOG_LEVEL"));
}

static void test_config_reads_the_key_from_a_file(void **state)
{
	struct config cfg;
	struct errinfo ei;
	char *path = write_tmp("s3cr3t-key\n");

	(void)state;
	setenv("MIRROR_API_KEY_FILE", path, 1);
	assert_int_equal(config_load(&cfg, NULL, &ei), OK);
	assert_string_equal(cfg.api_key, "s3cr3t-key");
	config_free(&cfg);
	unlink(path);

	setenv("MIRROR_API_KEY_FILE", "/nonexistent/key", 1);
	assert_int_equal(config_load(&cfg, NULL, &ei), ERR_BAD_REQUEST);
	assert_non_null(strstr(ei.details, "MIRROR_API_KEY_FILE"));
}

static void test_config_refuses_a_key_that_could_break_a_header(void **state)
{
	struct config cfg;
	struct errinfo ei;

	(void)state;
	setenv("MIRROR_API_KEY", "abc\r\nX-Evil: 1", 1);
	assert_int_equal(config_load(&cfg, NULL, &ei), ERR_BAD_REQUEST);
}

static void test_config_file_is_overridden_by_the_environment(void **state)
{
	struct config cfg;
	struct errinfo ei;
	char *path = write_tmp("# settings\nMIRROR_API_KEY = from-file\n\n"
			       "MIRROR_MAX_POINTS=7\nMIRROR_LOG_LEVEL=warn\n");

	(void)state;
	setenv("MIRROR_MAX_POINTS", "9", 1);
	assert_int_equal(config_load(&cfg, path, &ei), OK);
	assert_string_equal(cfg.api_key, "from-file");
	assert_int_equal(cfg.max_points, 9);
	assert_int_equal(cfg.log_level, LOG_WARN);
	config_free(&cfg);
	unlink(path);
}

static void test_config_file_with_a_typo_is_an_error(void **state)
{
	struct config cfg;
	struct errinfo ei;
	char *path = write_tmp("MIRROR_API_KEY=k\nMIRROR_MAX_POINT=7\n");

	(void)state;
	assert_int_equal(config_load(&cfg, path, &ei), ERR_BAD_REQUEST);
	assert_non_null(strstr(ei.details, "MIRROR_MAX_POINT"));
	assert_non_null(strstr(ei.details, ":2:"));
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_config_refuses_to_start_without_a_key, clean_env),
		cmocka_unit_test_setup(test_config_has_the_documented_defaults, clean_env),
		cmocka_unit_test_setup(test_config_reads_every_setting_from_the_environment, clean_env),
		cmocka_unit_test_setup(test_config_rejects_bad_numbers_naming_the_variable, clean_env),
		cmocka_unit_test_setup(test_config_reads_the_key_from_a_file, clean_env),
		cmocka_unit_test_setup(test_config_refuses_a_key_that_could_break_a_header, clean_env),
		cmocka_unit_test_setup(test_config_file_is_overridden_by_the_environment, clean_env),
		cmocka_unit_test_setup(test_config_file_with_a_typo_is_an_error, clean_env),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
