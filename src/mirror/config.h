/* config.h - the operator's settings (spec section 6), read once per worker
 * from the environment and, optionally, a KEY=VALUE file. */
#ifndef MIRROR_CONFIG_H
#define MIRROR_CONFIG_H

#include <stddef.h>

#include "common/err.h"

struct config {
	char *api_key;              /* MIRROR_API_KEY / MIRROR_API_KEY_FILE; required */
	char *allowed_upstreams;    /* MIRROR_ALLOWED_UPSTREAMS; "*" = any http(s) URL */
	size_t max_body_bytes;      /* MIRROR_MAX_BODY_BYTES, default 1 MiB */
	long max_timeout_s;         /* MIRROR_MAX_TIMEOUT_SECONDS, default 300 */
	size_t max_points;          /* MIRROR_MAX_POINTS, default 1,000,000 */
	int log_level;              /* MIRROR_LOG_LEVEL: LOG_ERROR..LOG_DEBUG from common/log.h */
};

/* config_load: fills cfg from the environment; when file is not NULL its
 * KEY=VALUE lines are read first and the environment overrides them.
 * Returns OK, or ERR_BAD_REQUEST with a message in ei naming the key.
 * The caller frees with config_free. */
enum err config_load(struct config *cfg, const char *file, struct errinfo *ei);

/* config_free: frees what config_load allocated; cfg may be NULL. */
void config_free(struct config *cfg);

#endif
