/* creds.c - where a request's AWS credentials come from (spec 3.1), in the
 * spec's order, and the per-worker cache that keeps renewable credentials
 * until shortly before they expire. Each worker is one process with its
 * own cache: workers never share or wait for each other's refreshes. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "aws/creds.h"
#include "aws/metadata.h"
#include "aws/sts.h"
#include "common/buf.h"
#include "common/log.h"

/* The longest web identity token file read (EKS tokens are ~1 KiB). */
#define TOKEN_FILE_MAX ((size_t)64 << 10)

#define KEY_BYTES 32

/* One cached set: the SHA-256 of everything it was made from, and the
 * credentials. */
struct entry {
	unsigned char key[KEY_BYTES];
	struct creds c;
	unsigned long used;     /* the cache's tick when last handed out */
};

struct creds_cache {
	struct entry *v;
	size_t n, max;
	unsigned long tick;
};

static unsigned long refreshes;

static double real_now(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

static double (*clock_fn)(void) = real_now;

void creds_set_clock(double (*now)(void))
{
	clock_fn = now ? now : real_now;
}

double creds_now(void)
{
	return clock_fn();
}

unsigned long creds_refreshes(void)
{
	return refreshes;
}

/* ---- one set of credentials ---- */

/* wipe_free: overwrites s before freeing it (it may be a secret). */
static void wipe_free(char *s)
{
	if (!s)
		return;
	OPENSSL_cleanse(s, strlen(s));
	free(s);
}

void creds_clear(struct creds *c)
{
	if (!c)
		return;
	free(c->key_id);
	wipe_free(c->secret);
	wipe_free(c->token);
	memset(c, 0, sizeof(*c));
}

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

enum err creds_set(struct creds *out, const char *key_id, const char *secret,
		   const char *token, double obtained, double expires)
{
	struct creds c;

	memset(&c, 0, sizeof(c));
	c.key_id = dup_or_null(key_id);
	c.secret = dup_or_null(secret);
	c.token = token && *token ? strdup(token) : NULL;
	if (!c.key_id || !c.secret || (token && *token && !c.token)) {
		creds_clear(&c);
		return ERR_NOMEM;
	}
	c.obtained = obtained;
	c.expires = expires;
	*out = c;
	return OK;
}

/* copy: *out becomes a copy of *in (temporary flag included). */
static enum err copy(struct creds *out, const struct creds *in)
{
	enum err rc;

	rc = creds_set(out, in->key_id, in->secret, in->token, in->obtained,
		       in->expires);
	if (!rc)
		out->temporary = in->temporary;
	return rc;
}

int creds_region_ok(const char *region)
{
	size_t i;

	for (i = 0; region && region[i]; i++)
		if (i >= 64 || !((region[i] >= 'a' && region[i] <= 'z') ||
				 (region[i] >= '0' && region[i] <= '9') ||
				 region[i] == '-'))
			return 0;
	return region && region[0];
}

enum err creds_json_text(const char *what, json_t *obj, const char *prefix,
			 const char *name, const char **out,
			 struct errinfo *ei)
{
	json_t *v = json_object_get(obj, name);

	if (!json_is_string(v) || json_string_length(v) == 0)
		return err_set(ei, ERR_CREDENTIALS, "%s: the answer lacks %s%s",
			       what, prefix, name);
	if (!creds_text_ok(json_string_value(v), json_string_length(v)))
		return err_set(ei, ERR_CREDENTIALS, "%s: %s%s holds control "
			       "characters", what, prefix, name);
	*out = json_string_value(v);
	return OK;
}

void creds_json_wipe(json_t *obj)
{
	static const char *const names[] = {
		"SecretAccessKey", "SessionToken", "Token",
	};
	json_t *v;
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		v = json_object_get(obj, names[i]);
		if (json_is_string(v))
			OPENSSL_cleanse((char *)json_string_value(v),
					json_string_length(v));
	}
}

int creds_text_ok(const char *s, size_t n)
{
	size_t i;

	if (!n)
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] == 0x7f)
			return 0;
	return 1;
}

int creds_need_renewal(const struct creds *c, double now)
{
	double margin, lifetime;

	if (c->expires <= 0)
		return 0;
	lifetime = c->expires - c->obtained;
	margin = 60.0;
	if (lifetime > 0 && lifetime / 3.0 < margin)
		margin = lifetime / 3.0;
	return c->expires - now < margin;
}

/* ---- the cache ---- */

struct creds_cache *creds_cache_new(size_t max)
{
	struct creds_cache *cache = calloc(1, sizeof(*cache));

	if (!cache)
		return NULL;
	cache->max = max ? max : 64;
	cache->v = calloc(cache->max, sizeof(*cache->v));
	if (!cache->v) {
		free(cache);
		return NULL;
	}
	return cache;
}

void creds_cache_free(struct creds_cache *cache)
{
	size_t i;

	if (!cache)
		return;
	for (i = 0; i < cache->n; i++)
		creds_clear(&cache->v[i].c);
	free(cache->v);
	free(cache);
}

static int present(const char *s)
{
	return s && *s;
}

/* hash_field: feeds one field to the key's digest as its length and bytes,
 * so that no two different inputs run together into the same text. */
static int hash_field(EVP_MD_CTX *md, const void *p, size_t n)
{
	unsigned char len[8];
	size_t i;

	for (i = 0; i < 8; i++)
		len[i] = (unsigned char)((uint64_t)n >> (8 * i));
	return EVP_DigestUpdate(md, len, sizeof(len)) == 1 &&
	       (!n || EVP_DigestUpdate(md, p, n) == 1);
}

static int hash_str(EVP_MD_CTX *md, const char *s)
{
	return hash_field(md, s ? s : "", s ? strlen(s) : 0);
}

/* cache_key: the SHA-256 of everything src's credentials are made from
 * (spec 3.1): key id, a hash of the secret, token, role, external id,
 * session name, duration, region and STS endpoint. Returns OK or
 * ERR_NOMEM. */
static enum err cache_key(const struct creds_source *src,
			  unsigned char key[KEY_BYTES])
{
	unsigned char secret_hash[KEY_BYTES];
	unsigned int n = 0;
	EVP_MD_CTX *md;
	struct buf sts;
	char duration[32];
	int ok;

	buf_init(&sts, 4096);
	if (sts_endpoint(src->region, &sts))
		return ERR_NOMEM;
	memset(secret_hash, 0, sizeof(secret_hash));
	if (present(src->secret) &&
	    EVP_Digest(src->secret, strlen(src->secret), secret_hash, &n,
		       EVP_sha256(), NULL) != 1) {
		buf_free(&sts);
		return ERR_NOMEM;
	}
	snprintf(duration, sizeof(duration), "%ld", src->duration_s);
	md = EVP_MD_CTX_new();
	ok = md && EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1 &&
	     hash_str(md, src->key_id) &&
	     hash_field(md, secret_hash, sizeof(secret_hash)) &&
	     hash_str(md, src->token) && hash_str(md, src->role_arn) &&
	     hash_str(md, src->external_id) &&
	     hash_str(md, src->session_name) && hash_str(md, duration) &&
	     hash_str(md, src->region) && hash_str(md, buf_cstr(&sts)) &&
	     EVP_DigestFinal_ex(md, key, &n) == 1;
	EVP_MD_CTX_free(md);
	OPENSSL_cleanse(secret_hash, sizeof(secret_hash));
	buf_free(&sts);
	return ok ? OK : ERR_NOMEM;
}

/* find: the entry under key, or NULL. Keys are compared in constant time:
 * they are derived from secrets. */
static struct entry *find(struct creds_cache *cache,
			  const unsigned char key[KEY_BYTES])
{
	size_t i;

	for (i = 0; i < cache->n; i++)
		if (CRYPTO_memcmp(cache->v[i].key, key, KEY_BYTES) == 0)
			return &cache->v[i];
	return NULL;
}

static void drop(struct creds_cache *cache, struct entry *e)
{
	creds_clear(&e->c);
	*e = cache->v[--cache->n];
	memset(&cache->v[cache->n], 0, sizeof(cache->v[cache->n]));
}

/* store: puts a copy of c under key, replacing what was there, or the
 * least recently used entry when the cache is full. A failure to copy
 * only means no caching. */
static void store(struct creds_cache *cache, const unsigned char key[KEY_BYTES],
		  const struct creds *c)
{
	struct entry *e = find(cache, key), *oldest;
	size_t i;

	if (e)
		drop(cache, e);
	if (cache->n == cache->max) {
		oldest = &cache->v[0];
		for (i = 1; i < cache->n; i++)
			if (cache->v[i].used < oldest->used)
				oldest = &cache->v[i];
		drop(cache, oldest);
	}
	e = &cache->v[cache->n];
	if (copy(&e->c, c))
		return;
	memcpy(e->key, key, KEY_BYTES);
	e->used = ++cache->tick;
	cache->n++;
}

void creds_forget(struct creds_cache *cache, const struct creds_source *src)
{
	unsigned char key[KEY_BYTES];
	struct entry *e;

	if (!cache || cache_key(src, key))
		return;
	e = find(cache, key);
	if (e)
		drop(cache, e);
}

/* ---- the region ---- */

int creds_url_region(const char *url, char *out, size_t outsz)
{
	static const char pre[] = "aps-workspaces.", suf[] = ".amazonaws.com";
	const char *h = strstr(url, "://"), *end, *r;
	size_t n, rn;

	if (!h)
		return 0;
	h += 3;
	n = strcspn(h, ":/?#");
	end = h + n;
	if (n <= sizeof(pre) - 1 + sizeof(suf) - 1 ||
	    strncasecmp(h, pre, sizeof(pre) - 1) != 0 ||
	    strncasecmp(end - (sizeof(suf) - 1), suf, sizeof(suf) - 1) != 0)
		return 0;
	r = h + sizeof(pre) - 1;
	rn = (size_t)(end - (sizeof(suf) - 1) - r);
	if (rn == 0 || rn >= outsz || rn > 32)
		return 0;
	for (n = 0; n < rn; n++)
		if (!(r[n] >= '0' && r[n] <= '9') && r[n] != '-' &&
		    !((r[n] | 0x20) >= 'a' && (r[n] | 0x20) <= 'z'))
			return 0;
	for (n = 0; n < rn; n++)
		out[n] = (char)(r[n] >= 'A' && r[n] <= 'Z' ? r[n] | 0x20 : r[n]);
	out[rn] = '\0';
	return 1;
}

/* ---- the sources ---- */

enum err creds_read_file(const char *path, const char *what, const char *name,
			 struct buf *out, struct errinfo *ei)
{
	char chunk[4096];
	ssize_t got;
	enum err rc = OK;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return err_set(ei, ERR_CREDENTIALS, "%s: cannot open %s %.256s: %s",
			       what, name, path, strerror(errno));
	for (;;) {
		got = read(fd, chunk, sizeof(chunk));
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			rc = err_set(ei, ERR_CREDENTIALS, "%s: cannot read %s "
				     "%.256s: %s", what, name, path,
				     strerror(errno));
			break;
		}
		if (got == 0)
			break;
		rc = buf_append(out, chunk, (size_t)got);
		if (rc) {
			rc = rc == ERR_TOO_LARGE
			     ? err_set(ei, ERR_CREDENTIALS, "%s: %s %.256s is "
				       "larger than %zu bytes", what, name, path,
				       out->max)
			     : err_set(ei, ERR_NOMEM, "%s: out of memory", what);
			break;
		}
	}
	OPENSSL_cleanse(chunk, sizeof(chunk));
	close(fd);
	while (!rc && out->len && (unsigned char)out->data[out->len - 1] <= ' ')
		out->data[--out->len] = '\0';
	return rc;
}

/* from_web_identity: AssumeRoleWithWebIdentity with the token file and role
 * of the environment (EKS with IRSA). */
static enum err from_web_identity(const struct creds_source *src,
				  long timeout_ms, struct creds *out,
				  struct errinfo *ei)
{
	const char *session = getenv("AWS_ROLE_SESSION_NAME");
	struct buf token;
	enum err rc;

	buf_init(&token, TOKEN_FILE_MAX);
	rc = creds_read_file(getenv("AWS_WEB_IDENTITY_TOKEN_FILE"),
			     "web identity", "AWS_WEB_IDENTITY_TOKEN_FILE",
			     &token, ei);
	if (!rc && !token.len)
		rc = err_set(ei, ERR_CREDENTIALS, "web identity: "
			     "AWS_WEB_IDENTITY_TOKEN_FILE is empty");
	if (!rc)
		rc = sts_assume_role_web_identity(src->region,
						  getenv("AWS_ROLE_ARN"),
						  present(session) ? session
						  : CREDS_DEFAULT_SESSION_NAME,
						  token.data, 0, timeout_ms,
						  out, ei);
	buf_wipe(&token);
	return rc;
}

/* from_environment: the standard chain of the process's own environment:
 * keys, web identity, ECS, EC2 instance metadata. */
static enum err from_environment(const struct creds_source *src,
				 long timeout_ms, struct creds *out,
				 struct errinfo *ei)
{
	const char *key = getenv("AWS_ACCESS_KEY_ID");
	const char *secret = getenv("AWS_SECRET_ACCESS_KEY");
	enum err rc;

	if (present(key) && present(secret)) {
		rc = creds_set(out, key, secret, getenv("AWS_SESSION_TOKEN"),
			       creds_now(), 0);
		return rc ? err_set(ei, rc, "out of memory") : OK;
	}
	if (present(getenv("AWS_WEB_IDENTITY_TOKEN_FILE")) &&
	    present(getenv("AWS_ROLE_ARN")))
		return from_web_identity(src, timeout_ms, out, ei);
	if (metadata_ecs_configured())
		return metadata_ecs(timeout_ms, out, ei);
	if (metadata_imds_enabled()) {
		rc = metadata_imds(timeout_ms, out, ei);
		if (rc == ERR_CREDENTIALS) {
			char why[sizeof(ei->details)];

			snprintf(why, sizeof(why), "%s", ei->details);
			return err_set(ei, rc, "no AWS credentials: no keys "
				       "given, none in the environment "
				       "(AWS_ACCESS_KEY_ID, web identity, ECS), "
				       "and %s", why);
		}
		return rc;
	}
	return err_set(ei, ERR_CREDENTIALS, "no AWS credentials: no keys given, "
		       "none in the environment (AWS_ACCESS_KEY_ID, web "
		       "identity, ECS), and EC2 instance metadata is disabled "
		       "(AWS_EC2_METADATA_DISABLED)");
}

/* obtain: new credentials for src, calling whatever src needs. */
static enum err obtain(const struct creds_source *src, long timeout_ms,
		       struct creds *out, struct errinfo *ei)
{
	struct creds base;
	enum err rc;

	memset(&base, 0, sizeof(base));
	if (present(src->key_id)) {
		rc = creds_set(&base, src->key_id, src->secret, src->token,
			       creds_now(), 0);
		if (rc)
			return err_set(ei, rc, "out of memory");
	} else {
		rc = from_environment(src, timeout_ms, &base, ei);
		if (rc)
			return rc;
	}
	if (!present(src->role_arn)) {
		*out = base;
		return OK;
	}
	rc = sts_assume_role(&base, src->region, src->role_arn,
			     src->external_id,
			     present(src->session_name) ? src->session_name
			     : CREDS_DEFAULT_SESSION_NAME,
			     src->duration_s > 0 ? src->duration_s
			     : CREDS_DEFAULT_DURATION_S,
			     timeout_ms, out, ei);
	creds_clear(&base);
	return rc;
}

enum err creds_get(struct creds_cache *cache, const struct creds_source *src,
		   int fresh, long timeout_ms, struct creds *out,
		   struct errinfo *ei)
{
	unsigned char key[KEY_BYTES];
	struct creds got;
	struct entry *e;
	int keyed = 0;
	enum err rc;

	memset(&got, 0, sizeof(got));
	/* Static keys without a role are used as they are: nothing to cache. */
	if (present(src->key_id) && !present(src->role_arn)) {
		rc = creds_set(out, src->key_id, src->secret, src->token,
			       creds_now(), 0);
		return rc ? err_set(ei, rc, "out of memory") : OK;
	}
	if (cache && !fresh) {
		if (cache_key(src, key))
			return err_set(ei, ERR_NOMEM, "out of memory");
		keyed = 1;
		e = find(cache, key);
		if (e && !creds_need_renewal(&e->c, creds_now())) {
			e->used = ++cache->tick;
			rc = copy(out, &e->c);
			return rc ? err_set(ei, rc, "out of memory") : OK;
		}
		if (e)
			drop(cache, e);
	}
	rc = obtain(src, timeout_ms, &got, ei);
	if (rc)
		return rc;
	if (got.temporary) {
		refreshes++;
		log_msg(LOG_INFO, "AWS credentials %s obtained for %s%s, valid "
			"for %.0f s", got.key_id,
			present(src->role_arn) ? "role " : "the environment",
			present(src->role_arn) ? src->role_arn : "",
			got.expires > 0 ? got.expires - got.obtained : 0.0);
		if (keyed)
			store(cache, key, &got);
	}
	*out = got;
	return OK;
}
