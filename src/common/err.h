/* err.h - the one error enum of the project, and the record that carries
 * an error's details from where it happens to where it is answered.
 * The mapping from a code to an HTTP status and a typed JSON body lives in
 * src/mirror/errors.c, and nowhere else. */
#ifndef COMMON_ERR_H
#define COMMON_ERR_H

enum err {
	OK = 0,
	ERR_NOMEM,            /* out of memory: 500 RemoteMirrorError */
	ERR_BAD_REQUEST,      /* malformed or invalid request: 400 */
	ERR_TOO_LARGE,        /* request body over the cap: 413 */
	ERR_FORBIDDEN,        /* upstream not in the allowlist: 403 */
	ERR_NO_ROUTE,         /* unknown path: 404 */
	ERR_METHOD,           /* wrong method: 405 */
	ERR_METRIC_KEY,       /* none or several of __gauge__/__counter__/~: 500 MetricNotFoundError */
	ERR_NO_SERIES,        /* no series matched: 500 MetricNotFoundError, metric = PromQL */
	ERR_TOO_MANY,         /* several series matched: 500 RemoteMirrorError "Too many metrics." */
	ERR_PROMETHEUS,       /* Prometheus answered status "error": 500 "Prometheus error." */
	ERR_UPSTREAM,         /* unreachable, redirect, non-Prometheus answer: 502 */
	ERR_TIMEOUT,          /* upstream timed out: 504 */
	ERR_CREDENTIALS,      /* AWS credentials could not be obtained: 502 */
	ERR_UNSUPPORTED_TYPE, /* a value type the mirror cannot express: 500 */
	ERR_INTERNAL,         /* a bug or a resource limit: 500 */
	ERR__COUNT
};

/* Details of the error being returned. Fill it with err_set(); the code that
 * turns it into a reply reads the fields that its row of the table needs. */
struct errinfo {
	enum err code;
	long upstream_status;      /* the upstream's HTTP status, 0 when none */
	char details[1024];        /* human text; never a secret */
	char metric[2048];         /* MetricNotFoundError.metric (the PromQL) */
	char mirror_type[64];      /* UnsupportedFieldTypeError.mirrorType */
};

/* err_set: records code and a printf-style detail text in ei (ei may be NULL).
 * Returns code, so callers can write `return err_set(ei, ERR_X, "...")`. */
enum err err_set(struct errinfo *ei, enum err code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* err_name: a stable identifier for a code ("bad_request", ...), for logs. */
const char *err_name(enum err code);

#endif
