/* err.c - filling the error record. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "err.h"

static const char *const names[ERR__COUNT] = {
	[OK] = "ok",
	[ERR_NOMEM] = "nomem",
	[ERR_BAD_REQUEST] = "bad_request",
	[ERR_TOO_LARGE] = "too_large",
	[ERR_FORBIDDEN] = "forbidden",
	[ERR_NO_ROUTE] = "no_route",
	[ERR_METHOD] = "method",
	[ERR_METRIC_KEY] = "metric_key",
	[ERR_NO_SERIES] = "no_series",
	[ERR_TOO_MANY] = "too_many",
	[ERR_PROMETHEUS] = "prometheus",
	[ERR_UPSTREAM] = "upstream",
	[ERR_TIMEOUT] = "timeout",
	[ERR_CREDENTIALS] = "credentials",
	[ERR_UNSUPPORTED_TYPE] = "unsupported_type",
	[ERR_INTERNAL] = "internal",
};

enum err err_set(struct errinfo *ei, enum err code, const char *fmt, ...)
{
	va_list ap;

	if (!ei)
		return code;
	ei->code = code;
	va_start(ap, fmt);
	vsnprintf(ei->details, sizeof(ei->details), fmt, ap);
	va_end(ap);
	return code;
}

const char *err_name(enum err code)
{
	if ((unsigned)code >= ERR__COUNT || !names[code])
		return "unknown";
	return names[code];
}
