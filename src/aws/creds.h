/* creds.h - AWS credentials and where they come from: the static keys of a
 * request, or the worker's own environment (environment keys, web identity,
 * ECS, EC2 instance metadata), optionally chained into STS AssumeRole; and
 * the per-worker cache that keeps what STS and the metadata services hand
 * out until shortly before it expires. */
#ifndef AWS_CREDS_H
#define AWS_CREDS_H

#include <stddef.h>

#include <jansson.h>

#include "common/buf.h"
#include "common/err.h"

/* One set of credentials. Every string is owned; creds_clear wipes the
 * secret and the token before freeing them. */
struct creds {
	char *key_id;
	char *secret;
	char *token;            /* session token, or NULL */
	double obtained;        /* when they were obtained, epoch seconds */
	double expires;         /* when they expire, epoch seconds; 0: never */
	int temporary;          /* 1 when they came from STS or a metadata
				 * service (renewable), 0 for static keys */
};

/* creds_clear: wipes and frees c's strings and zeroes c; NULL is fine. */
void creds_clear(struct creds *c);

/* creds_set: fills *out with copies of key_id, secret and token (token may
 * be NULL or ""), obtained/expires as given. Returns OK or ERR_NOMEM (then
 * *out is untouched). */
enum err creds_set(struct creds *out, const char *key_id, const char *secret,
		   const char *token, double obtained, double expires);

/* creds_text_ok: 1 when s[0..n) is non-empty and has no control byte (CR
 * and LF included: credentials go into header lines), else 0. For what
 * STS and the metadata services answer. */
int creds_text_ok(const char *s, size_t n);

/* creds_region_ok: 1 when region is 1 to 64 lowercase letters, digits and
 * '-' (it becomes part of the STS host name, so nothing else may), else 0. */
int creds_region_ok(const char *region);

/* creds_read_file: appends the file at path to out (whose ceiling bounds
 * it) without its trailing blanks: a token file. what and name make the
 * errors ("<what>: cannot open <name> <path>: <why>", "... is larger than N
 * bytes"). Returns OK, ERR_CREDENTIALS or ERR_NOMEM; the caller wipes out
 * (buf_wipe) in every case. */
enum err creds_read_file(const char *path, const char *what, const char *name,
			 struct buf *out, struct errinfo *ei);

/* creds_json_text: the string member name of obj, non-empty and clean
 * (creds_text_ok), into *out (borrowed from obj). Returns OK, or
 * ERR_CREDENTIALS "<what>: the answer lacks <prefix><name>" / "...
 * holds control characters". For what STS and the metadata services
 * answer. */
enum err creds_json_text(const char *what, json_t *obj, const char *prefix,
			 const char *name, const char **out,
			 struct errinfo *ei);

/* creds_json_wipe: zeroes the members SecretAccessKey, SessionToken and
 * Token of obj (jansson's own writable copies, released next) so that a
 * parsed answer leaves no secret in freed memory. obj may be NULL. */
void creds_json_wipe(json_t *obj);

/* creds_need_renewal: 1 when c should be renewed at now: it expires and
 * less than a minute, or a third of its lifetime if that is shorter,
 * remains (spec 3.1); else 0. */
int creds_need_renewal(const struct creds *c, double now);

/* What credentials are made from: connectionDetails.aws after checking
 * (request.c), or the generator's options. NULL or "" means absent. */
struct creds_source {
	const char *region;       /* the signing and STS region, never NULL */
	const char *key_id;       /* static keys ... */
	const char *secret;
	const char *token;        /* ... with an optional session token */
	const char *role_arn;     /* AssumeRole into this role when set */
	const char *external_id;
	const char *session_name; /* NULL: "StackState-Prometheus-Mirror" */
	long duration_s;          /* DurationSeconds; 0: 900 */
};

#define CREDS_DEFAULT_REGION "eu-west-1"
#define CREDS_DEFAULT_SESSION_NAME "StackState-Prometheus-Mirror"
#define CREDS_DEFAULT_DURATION_S 900

/* creds_url_region: when url's host is an AMP workspace host
 * (aps-workspaces.<region>.amazonaws.com, any case), copies the region,
 * lowercased, into out and returns 1; else returns 0 (out untouched). */
int creds_url_region(const char *url, char *out, size_t outsz);

struct creds_cache;

/* creds_cache_new: an empty cache of at most max entries (0: 64). Returns
 * NULL when memory runs out. Free with creds_cache_free (NULL is fine),
 * which wipes every secret it holds. */
struct creds_cache *creds_cache_new(size_t max);
void creds_cache_free(struct creds_cache *cache);

/* creds_get: the credentials src stands for, in the order of spec 3.1:
 * static keys with role_arn -> AssumeRole signed with them; static keys
 * alone -> as they are; no keys -> the environment chain
 * (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY/AWS_SESSION_TOKEN;
 * AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN -> AssumeRoleWithWebIdentity;
 * AWS_CONTAINER_CREDENTIALS_RELATIVE_URI / _FULL_URI (ECS); EC2 instance
 * metadata with IMDSv2 unless AWS_EC2_METADATA_DISABLED=true), then
 * AssumeRole into role_arn when it is set.
 * Renewable credentials come from cache when it holds an entry made from
 * exactly the same inputs that needs no renewal, unless fresh is set
 * (Test Connection: neither read nor written). timeout_ms bounds each
 * call to STS or a metadata service.
 * Returns OK and fills *out (free with creds_clear), or ERR_CREDENTIALS
 * with details naming the source and, from STS, its error code and
 * message (never a secret), or ERR_NOMEM. */
enum err creds_get(struct creds_cache *cache, const struct creds_source *src,
		   int fresh, long timeout_ms, struct creds *out,
		   struct errinfo *ei);

/* creds_forget: drops the cache entry made from src, if any (after an
 * upstream said the token expired). cache may be NULL. */
void creds_forget(struct creds_cache *cache, const struct creds_source *src);

/* creds_refreshes: how many times this process obtained renewable
 * credentials (STS or metadata calls that succeeded), for self-metrics. */
unsigned long creds_refreshes(void);

/* creds_now: the clock credentials are dated and renewed by (epoch
 * seconds; creds_set_clock's in the tests). */
double creds_now(void);

/* creds_set_clock: replaces the clock (epoch seconds) for the tests; NULL
 * restores the real one. */
void creds_set_clock(double (*now)(void));

#endif
