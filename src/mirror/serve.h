/* serve.h - serving one FastCGI request: reading it, dispatching it,
 * writing the answer and the request's log line. */
#ifndef MIRROR_SERVE_H
#define MIRROR_SERVE_H

#include <fcgiapp.h>

#include "mirror/exchange.h"

/* serve_request: answers one accepted request completely. Never fails: a
 * request that cannot be read gets its typed error answer. */
void serve_request(struct worker *w, FCGX_Request *req);

#endif
