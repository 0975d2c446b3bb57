/* rwsign.c - the remote-write signing hook for Amazon Managed Prometheus
 * (see rwsign.h). */
#include <string.h>
#include <time.h>

#include "aws/sigv4.h"
#include "generator/rwsign.h"

enum err rwsign_init(struct rwsign *s, const char *url, const char *region,
		     const char *role_arn, const char *external_id,
		     long timeout_ms, struct errinfo *ei)
{
	memset(s, 0, sizeof(*s));
	if (region) {
		if (!creds_region_ok(region) || strlen(region) >= sizeof(s->region))
			return err_set(ei, ERR_BAD_REQUEST, "--sigv4-region: "
				       "expected a region such as eu-west-1");
		memcpy(s->region, region, strlen(region) + 1);
	} else if (!creds_url_region(url, s->region, sizeof(s->region))) {
		memcpy(s->region, CREDS_DEFAULT_REGION,
		       sizeof(CREDS_DEFAULT_REGION));
	}
	s->cache = creds_cache_new(1);
	if (!s->cache)
		return err_set(ei, ERR_NOMEM, "out of memory");
	s->src.region = s->region;
	s->src.role_arn = role_arn;
	s->src.external_id = external_id;
	s->timeout_ms = timeout_ms > 0 ? timeout_ms : 30000;
	return OK;
}

void rwsign_free(struct rwsign *s)
{
	if (!s)
		return;
	creds_cache_free(s->cache);
	s->cache = NULL;
}

enum err rwsign_hook(void *arg, const char *method, const char *url,
		     const void *body, size_t len, struct strlist *headers,
		     struct errinfo *ei)
{
	struct rwsign *s = arg;
	struct sigv4_request rq = {
		.method = method, .url = url, .body = body, .body_len = len,
		.content_sha256 = 1,
	};
	struct strlist lines;
	struct creds c;
	size_t i;
	enum err rc;

	memset(&lines, 0, sizeof(lines));
	rc = creds_get(s->cache, &s->src, 0, s->timeout_ms, &c, ei);
	if (rc)
		return rc;
	rc = sigv4_sign(&rq, &c, s->region, "aps", time(NULL), &lines, ei);
	for (i = 0; !rc && i < lines.n; i++)
		if (strlist_push(headers, lines.v[i], strlen(lines.v[i])))
			rc = err_set(ei, ERR_NOMEM, "out of memory");
	strlist_wipe(&lines);
	creds_clear(&c);
	return rc;
}
