/* config.c - the operator's settings (spec section 6): the environment,
 * optionally under a KEY=VALUE file, checked once when a worker starts so a
 * bad setting stops the worker with a clear message instead of a bad answer. */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/log.h"
#include "common/strlist.h"
#include "mirror/config.h"

#define KEY_FILE_MAX 4096

/* The settings a config file may carry; the environment uses the same names. */
static const char *const known_keys[] = {
	"MIRROR_API_KEY", "MIRROR_API_KEY_FILE", "MIRROR_ALLOWED_UPSTREAMS",
	"MIRROR_MAX_BODY_BYTES", "MIRROR_MAX_TIMEOUT_SECONDS",
	"MIRROR_MAX_POINTS", "MIRROR_LOG_LEVEL",
};
#define N_KEYS (sizeof(known_keys) / sizeof(known_keys[0]))

/* Values read from the file, indexed like known_keys; NULL when absent. */
struct file_values {
	char *v[N_KEYS];
};

static int key_index(const char *key, size_t len)
{
	size_t i;

	for (i = 0; i < N_KEYS; i++)
		if (strlen(known_keys[i]) == len && memcmp(known_keys[i], key, len) == 0)
			return (int)i;
	return -1;
}

/* read_small_file: reads at most max bytes of path into a new string
 * (caller frees). Fails with ERR_BAD_REQUEST naming what is wrong. */
static enum err read_small_file(const char *path, size_t max, char **out,
				const char *what, struct errinfo *ei)
{
	FILE *f;
	struct buf b;
	char chunk[1024];
	size_t n;
	enum err rc = OK;

	buf_init(&b, max);
	f = fopen(path, "r");
	if (!f)
		return err_set(ei, ERR_BAD_REQUEST, "%s: cannot open %s: %s", what,
			       path, strerror(errno));
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		rc = buf_append(&b, chunk, n);
		if (rc) {
			err_set(ei, ERR_BAD_REQUEST, "%s: %s is larger than %zu bytes",
				what, path, max);
			goto out;
		}
	}
	if (ferror(f)) {
		rc = err_set(ei, ERR_BAD_REQUEST, "%s: cannot read %s", what, path);
		goto out;
	}
	if (memchr(buf_cstr(&b), '\0', b.len)) {
		rc = err_set(ei, ERR_BAD_REQUEST, "%s: %s contains a NUL byte", what, path);
		goto out;
	}
	*out = buf_steal(&b);
	if (!*out)
		rc = ERR_NOMEM;
out:
	fclose(f);
	buf_free(&b);
	return rc;
}

/* trim: strips ASCII white space at both ends, in place; returns s. */
static char *trim(char *s)
{
	size_t n = strlen(s);

	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' ||
		     s[n - 1] == '\r'))
		s[--n] = '\0';
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

/* parse_file: KEY=VALUE lines, '#' comments and blank lines; unknown keys
 * are an error so that a typo does not silently leave a default in force. */
static enum err parse_file(const char *path, struct file_values *fv,
			   struct errinfo *ei)
{
	char *text = NULL, *line, *next;
	enum err rc;
	unsigned lineno = 0;

	rc = read_small_file(path, 1 << 20, &text, "config file", ei);
	if (rc)
		return rc;
	for (line = text; line && *line; line = next) {
		char *eq, *key, *val;
		int idx;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		lineno++;
		key = trim(line);
		if (!*key || *key == '#')
			continue;
		eq = strchr(key, '=');
		if (!eq) {
			rc = err_set(ei, ERR_BAD_REQUEST, "%s:%u: expected KEY=VALUE",
				     path, lineno);
			goto out;
		}
		*eq = '\0';
		val = trim(eq + 1);
		key = trim(key);
		idx = key_index(key, strlen(key));
		if (idx < 0) {
			rc = err_set(ei, ERR_BAD_REQUEST, "%s:%u: unknown setting %.64s",
				     path, lineno, key);
			goto out;
		}
		free(fv->v[idx]);
		fv->v[idx] = strdup(val);
		if (!fv->v[idx]) {
			rc = ERR_NOMEM;
			goto out;
		}
	}
out:
	free(text);
	return rc;
}

/* get: the environment's value, else the file's, else NULL. */
static const char *get(const struct file_values *fv, const char *key)
{
	const char *v = getenv(key);
	int idx;

	if (v)
		return v;
	idx = key_index(key, strlen(key));
	return idx >= 0 ? fv->v[idx] : NULL;
}

/* positive: parses a decimal integer in [1, max] for key, or keeps dflt. */
static enum err positive(const struct file_values *fv, const char *key,
			 long long dflt, long long max, long long *out,
			 struct errinfo *ei)
{
	const char *s = get(fv, key);
	char *end;
	long long v;

	if (!s || !*s) {
		*out = dflt;
		return OK;
	}
	errno = 0;
	v = strtoll(s, &end, 10);
	/* strtoll would skip leading blanks and take a sign: be strict */
	if (!isdigit((unsigned char)s[0]) || errno || *end || v < 1 || v > max)
		return err_set(ei, ERR_BAD_REQUEST,
			       "%s: expected an integer from 1 to %lld, got \"%.32s\"",
			       key, max, s);
	*out = v;
	return OK;
}

enum err config_load(struct config *cfg, const char *file, struct errinfo *ei)
{
	struct file_values fv;
	struct config c;
	const char *s;
	long long n;
	enum err rc = OK;
	size_t i;

	memset(&fv, 0, sizeof(fv));
	memset(&c, 0, sizeof(c));
	if (file) {
		rc = parse_file(file, &fv, ei);
		if (rc)
			goto out;
	}

	s = get(&fv, "MIRROR_API_KEY");
	if (s && *s) {
		c.api_key = strdup(s);
	} else if ((s = get(&fv, "MIRROR_API_KEY_FILE")) && *s) {
		char *raw = NULL;

		rc = read_small_file(s, KEY_FILE_MAX, &raw, "MIRROR_API_KEY_FILE", ei);
		if (rc)
			goto out;
		c.api_key = strdup(trim(raw));
		free(raw);
	} else {
		rc = err_set(ei, ERR_BAD_REQUEST,
			     "no API key: set MIRROR_API_KEY or MIRROR_API_KEY_FILE "
			     "to the key configured in StackState (global.apiKey)");
		goto out;
	}
	if (!c.api_key) {
		rc = ERR_NOMEM;
		goto out;
	}
	if (!*c.api_key) {
		rc = err_set(ei, ERR_BAD_REQUEST, "MIRROR_API_KEY_FILE: the file is empty");
		goto out;
	}
	/* The key goes into a response header: no byte may end or fold it. */
	for (i = 0; c.api_key[i]; i++) {
		unsigned char ch = (unsigned char)c.api_key[i];

		if (ch < 0x20 || ch == 0x7f) {
			rc = err_set(ei, ERR_BAD_REQUEST,
				     "MIRROR_API_KEY: contains a control character");
			goto out;
		}
	}

	s = get(&fv, "MIRROR_ALLOWED_UPSTREAMS");
	c.allowed_upstreams = strdup(s && *s ? s : "*");
	if (!c.allowed_upstreams) {
		rc = ERR_NOMEM;
		goto out;
	}

	rc = positive(&fv, "MIRROR_MAX_BODY_BYTES", 1048576, INT32_MAX, &n, ei);
	if (rc)
		goto out;
	c.max_body_bytes = (size_t)n;
	rc = positive(&fv, "MIRROR_MAX_TIMEOUT_SECONDS", 300, 86400, &n, ei);
	if (rc)
		goto out;
	c.max_timeout_s = (long)n;
	rc = positive(&fv, "MIRROR_MAX_POINTS", 1000000, 100000000, &n, ei);
	if (rc)
		goto out;
	c.max_points = (size_t)n;

	s = get(&fv, "MIRROR_LOG_LEVEL");
	c.log_level = LOG_INFO;
	if (s && *s) {
		c.log_level = log_parse_level(s);
		if (c.log_level < 0) {
			rc = err_set(ei, ERR_BAD_REQUEST,
				     "MIRROR_LOG_LEVEL: expected error, warn, info or debug, got \"%.32s\"",
				     s);
			goto out;
		}
	}
	*cfg = c;
	memset(&c, 0, sizeof(c));
out:
	config_free(&c);
	for (i = 0; i < N_KEYS; i++)
		free(fv.v[i]);
	return rc;
}

void config_free(struct config *cfg)
{
	if (!cfg)
		return;
	free(cfg->api_key);
	free(cfg->allowed_upstreams);
	cfg->api_key = NULL;
	cfg->allowed_upstreams = NULL;
}
