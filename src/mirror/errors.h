/* errors.h - the one table from an error code to its HTTP status and typed
 * JSON body (spec section 5). */
#ifndef MIRROR_ERRORS_H
#define MIRROR_ERRORS_H

#include "common/buf.h"
#include "common/err.h"

/* errors_status: the HTTP status the error is answered with. */
int errors_status(enum err code);

/* errors_type: the body's "_type" (RemoteMirrorError, ...). */
const char *errors_type(enum err code);

/* errors_body: appends the typed JSON body for ei to out. */
enum err errors_body(const struct errinfo *ei, struct buf *out);

/* errors_test_connection_body: appends the body Test Connection answers every
 * failure with: {"_type": "TestConnectionResponse", "status": "FAILURE",
 * "error": {"_type": "MetricStoreConnectionError", "details": ...}}. */
enum err errors_test_connection_body(const struct errinfo *ei, struct buf *out);

/* errors_test_connection_status: 400 for bad details, 403 for the allowlist,
 * the upstream's own 4xx/5xx status when it gave one, else 502 or 504. */
int errors_test_connection_status(const struct errinfo *ei);

#endif
