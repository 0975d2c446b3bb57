/* errors.c - the table from error code to HTTP status, typed body and
 * summary; every error answer of the responder is written here. */
#include <string.h>

#include "common/jsonw.h"
#include "mirror/errors.h"

enum body_shape {
	SHAPE_REMOTE,           /* {summary, details} */
	SHAPE_METRIC_NOT_FOUND, /* {metric, details} */
	SHAPE_CONNECTION,       /* {details} */
	SHAPE_UNSUPPORTED,      /* {mirrorType} */
};

struct err_row {
	int status;
	const char *type;
	const char *summary;
	enum body_shape shape;
};

static const struct err_row table[ERR__COUNT] = {
	[OK] = { 200, "RemoteMirrorError", "OK", SHAPE_REMOTE },
	[ERR_NOMEM] = { 500, "RemoteMirrorError", "Out of memory.", SHAPE_REMOTE },
	[ERR_BAD_REQUEST] = { 400, "RemoteMirrorError", "Bad request.", SHAPE_REMOTE },
	[ERR_TOO_LARGE] = { 413, "RemoteMirrorError", "Request body too large.", SHAPE_REMOTE },
	[ERR_FORBIDDEN] = { 403, "RemoteMirrorError", "Upstream not allowed.", SHAPE_REMOTE },
	[ERR_NO_ROUTE] = { 404, "RemoteMirrorError", "Not found.", SHAPE_REMOTE },
	[ERR_METHOD] = { 405, "RemoteMirrorError", "Method not allowed.", SHAPE_REMOTE },
	[ERR_METRIC_KEY] = { 500, "MetricNotFoundError", NULL, SHAPE_METRIC_NOT_FOUND },
	[ERR_NO_SERIES] = { 500, "MetricNotFoundError", NULL, SHAPE_METRIC_NOT_FOUND },
	[ERR_TOO_MANY] = { 500, "RemoteMirrorError", "Too many metrics.", SHAPE_REMOTE },
	[ERR_PROMETHEUS] = { 500, "RemoteMirrorError", "Prometheus error.", SHAPE_REMOTE },
	[ERR_UPSTREAM] = { 502, "MetricStoreConnectionError", NULL, SHAPE_CONNECTION },
	[ERR_TIMEOUT] = { 504, "MetricStoreConnectionError", NULL, SHAPE_CONNECTION },
	[ERR_CREDENTIALS] = { 502, "MetricStoreConnectionError", NULL, SHAPE_CONNECTION },
	[ERR_UNSUPPORTED_TYPE] = { 500, "UnsupportedFieldTypeError", NULL, SHAPE_UNSUPPORTED },
	[ERR_INTERNAL] = { 500, "RemoteMirrorError", "Internal error.", SHAPE_REMOTE },
};

static const struct err_row *row(enum err code)
{
	if ((unsigned)code >= ERR__COUNT || code == OK)
		code = ERR_INTERNAL;
	return &table[code];
}

int errors_status(enum err code)
{
	return row(code)->status;
}

const char *errors_type(enum err code)
{
	return row(code)->type;
}

/* field: appends `, "name": "value"`. */
static enum err field(struct buf *out, const char *name, const char *value)
{
	enum err rc;

	rc = buf_puts(out, ", ");
	if (!rc)
		rc = jsonw_str(out, name);
	if (!rc)
		rc = buf_puts(out, ": ");
	if (!rc)
		rc = jsonw_str(out, value);
	return rc;
}

enum err errors_body(const struct errinfo *ei, struct buf *out)
{
	const struct err_row *r = row(ei->code);
	enum err rc;

	rc = buf_puts(out, "{\"_type\": ");
	if (!rc)
		rc = jsonw_str(out, r->type);
	switch (r->shape) {
	case SHAPE_REMOTE:
		if (!rc)
			rc = field(out, "summary", r->summary);
		if (!rc)
			rc = field(out, "details", ei->details);
		break;
	case SHAPE_METRIC_NOT_FOUND:
		if (!rc)
			rc = field(out, "metric", ei->metric);
		if (!rc)
			rc = field(out, "details", ei->details);
		break;
	case SHAPE_CONNECTION:
		if (!rc)
			rc = field(out, "details", ei->details);
		break;
	case SHAPE_UNSUPPORTED:
		if (!rc)
			rc = field(out, "mirrorType", ei->mirror_type);
		if (!rc)
			rc = field(out, "details", ei->details);
		break;
	}
	if (!rc)
		rc = buf_puts(out, "}");
	return rc;
}

enum err errors_test_connection_body(const struct errinfo *ei, struct buf *out)
{
	enum err rc;

	rc = buf_puts(out, "{\"_type\": \"TestConnectionResponse\", \"status\": \"FAILURE\", "
			   "\"error\": {\"_type\": \"MetricStoreConnectionError\"");
	if (!rc)
		rc = field(out, "details", ei->details);
	if (!rc)
		rc = buf_puts(out, "}}");
	return rc;
}

int errors_test_connection_status(const struct errinfo *ei)
{
	switch (ei->code) {
	case ERR_BAD_REQUEST:
	case ERR_TOO_LARGE:
	case ERR_FORBIDDEN:
	case ERR_TIMEOUT:
	case ERR_NOMEM:
	case ERR_INTERNAL:
		return errors_status(ei->code);
	default:
		if (ei->upstream_status >= 400 && ei->upstream_status <= 599)
			return (int)ei->upstream_status;
		return 502;
	}
}
