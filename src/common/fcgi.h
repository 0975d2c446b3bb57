/* fcgi.h - what both FastCGI responders (prometheus-mirror and
 * metrics-generator serve) need around libfcgi: the request body read
 * against a ceiling, and the reason phrase of a status line. */
#ifndef COMMON_FCGI_H
#define COMMON_FCGI_H

#include <stddef.h>

#include <fcgiapp.h>

#include "common/buf.h"
#include "common/err.h"

/* fcgi_read_body: reads CONTENT_LENGTH bytes of the request into body.
 * ERR_TOO_LARGE before reading anything when the declared length is over
 * max (details name `what`, the setting that sets max); ERR_BAD_REQUEST for
 * a malformed length or a body that ends early; ERR_NOMEM. No
 * CONTENT_LENGTH means an empty body. */
enum err fcgi_read_body(FCGX_Request *req, size_t max, const char *what,
			struct buf *body, struct errinfo *ei);

/* fcgi_reason: the reason phrase for an HTTP status ("Not Found"), or
 * "Status" for a code the responders do not use. */
const char *fcgi_reason(int code);

#endif
