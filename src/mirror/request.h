/* request.h - a Mirror API request as the rest of the responder sees it,
 * after its JSON body was checked (request.c). */
#ifndef MIRROR_REQUEST_H
#define MIRROR_REQUEST_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "aws/creds.h"
#include "common/err.h"
#include "mirror/aggregate.h"

enum endpoint {
	EP_CONNECTION,   /* POST /api/connection */
	EP_FIELD_NAME,   /* POST /api/field/name */
	EP_FIELD_VALUE,  /* POST /api/field/value */
	EP_METRIC,       /* POST /api/metric */
};

enum nan_mode {
	NAN_ZERO,        /* NaN points become 0.0 (default) */
	NAN_NONE,        /* NaN points are left out */
};

struct header {
	char *name;
	char *value;
};

/* connectionDetails.aws, checked (spec 3.1). Strings are owned; secret and
 * token are wiped when the connection is freed. */
struct conn_aws {
	char *region;           /* region_name, else the AMP workspace host's,
				 * else "eu-west-1" */
	char *key_id;           /* aws_access_key_id, or NULL */
	char *secret;           /* aws_secret_access_key (with key_id) */
	char *token;            /* aws_session_token, or NULL */
	char *role_arn;         /* or NULL */
	char *external_id;      /* or NULL */
	char *session_name;     /* role_session_name, or NULL (the default) */
	long duration_s;        /* token_expiry_seconds, 900..43200 */
	int fresh;              /* 1 for Test Connection: credentials are
				 * obtained anew, the cache is not used */
	struct creds live;      /* what the last upstream call was signed
				 * with (set by upstream_run); its secrets are
				 * kept out of every excerpt */
};

/* connectionDetails, both the current and the legacy form. */
struct conn {
	char *url;              /* http(s) base URL, never ending in '/' */
	long timeout_ms;        /* whole upstream call, already capped */
	enum nan_mode nan;
	int64_t step_ms;        /* step_seconds * 1000, > 0 */
	char *basic_user;       /* basic_auth, or NULL */
	char *basic_pass;
	char *bearer;           /* bearer_token, or NULL */
	struct header *headers; /* extra headers (X-Scope-OrgID, ...) */
	size_t n_headers;
	int tls_insecure;       /* tls.insecure_skip_verify */
	char *ca_file;          /* tls.ca_file, or NULL */
	struct conn_aws *aws;   /* connectionDetails.aws, or NULL */
};

enum value_type {
	VALUE_STRING,
	VALUE_DOUBLE,
	VALUE_BOOLEAN,
	VALUE_INSET,
};

/* One EqualityCondition. For VALUE_INSET, set[] holds the members as text
 * (strings as given, numbers in shortest form, booleans as true/false). */
struct condition {
	char *key;
	enum value_type type;
	char *str;              /* VALUE_STRING */
	double num;             /* VALUE_DOUBLE */
	int boolean;            /* VALUE_BOOLEAN */
	char **set;             /* VALUE_INSET */
	size_t n_set;
};

struct query {
	struct condition *conds;
	size_t n_conds;
	int has_start, has_end;
	int64_t start_ms, end_ms;
	int has_limit;
	int64_t limit;          /* >= 0 */
	int has_agg;
	enum agg_method method;
	int64_t bucket_ms;      /* > 0 */
	char *field;            /* FieldDescriptor.fieldName (field values only) */
	char *prefix;           /* fieldValuePrefix, or NULL */
	int64_t offset;         /* >= 0 */
};

struct request {
	struct conn conn;
	struct query q;
};

/* request_parse: checks and converts a POST body for endpoint ep.
 * max_timeout_s caps request_timeout_seconds. On success fills *out (free
 * with request_free) and returns OK; on failure returns ERR_BAD_REQUEST with
 * details naming the offending field (or ERR_NOMEM), and *out is untouched. */
enum err request_parse(enum endpoint ep, const char *body, size_t len,
		       long max_timeout_s, struct request *out,
		       struct errinfo *ei);

/* conn_parse: the connectionDetails object alone (used by request_parse). */
enum err conn_parse(json_t *details, long max_timeout_s, struct conn *out,
		    struct errinfo *ei);

/* request_free / conn_free: release everything; NULL is fine. */
void request_free(struct request *r);
void conn_free(struct conn *c);

#endif
