/* rwsign.h - SigV4 for remote write to Amazon Managed Prometheus: the
 * rwclient signing hook, with credentials from the generator's own
 * environment (the same chain and cache the mirror uses, src/aws/). */
#ifndef GENERATOR_RWSIGN_H
#define GENERATOR_RWSIGN_H

#include <stddef.h>

#include "aws/creds.h"
#include "common/err.h"
#include "common/strlist.h"

struct rwsign {
	struct creds_cache *cache;
	struct creds_source src;      /* no static keys: the environment */
	char region[40];
	long timeout_ms;              /* for STS and metadata calls */
};

/* rwsign_init: prepares s for url. region may be NULL (then the AMP
 * workspace host's, else eu-west-1); role_arn and external_id may be NULL
 * (no AssumeRole). The strings are borrowed and must outlive s. Returns OK,
 * ERR_BAD_REQUEST for a region that is not one (letters, digits, '-'), or
 * ERR_NOMEM. Free with rwsign_free. */
enum err rwsign_init(struct rwsign *s, const char *url, const char *region,
		     const char *role_arn, const char *external_id,
		     long timeout_ms, struct errinfo *ei);
void rwsign_free(struct rwsign *s);

/* rwsign_hook: the rwclient_sign_fn (arg is a struct rwsign *): obtains
 * credentials (cached until shortly before they expire) and appends Host,
 * X-Amz-Date, X-Amz-Security-Token, X-Amz-Content-Sha256 and Authorization
 * for service "aps". Returns OK, ERR_CREDENTIALS, ERR_BAD_REQUEST or
 * ERR_NOMEM. */
enum err rwsign_hook(void *arg, const char *method, const char *url,
		     const void *body, size_t len, struct strlist *headers,
		     struct errinfo *ei);

#endif
