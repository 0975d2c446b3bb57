/* exchange.h - one HTTP exchange as the handlers see it: what came in
 * (method, path, body) and what goes out (status, body, extra headers).
 * Keeping FastCGI out of it lets the handlers be driven by tests too. */
#ifndef MIRROR_EXCHANGE_H
#define MIRROR_EXCHANGE_H

#include <stddef.h>

#include "common/buf.h"
#include "common/err.h"
#include "mirror/config.h"
#include "mirror/upstream.h"

/* What a worker process keeps from one request to the next. */
struct worker {
	const struct config *cfg;
	struct upstream *up;    /* keep-alive connections live here */
};

struct exchange {
	/* in */
	const char *method;
	const char *path;
	const char *body;
	size_t body_len;
	/* out */
	int status;
	const char *content_type;
	const char *allow;      /* Allow header of a 405, else NULL */
	const char *endpoint;   /* route name, for the log line */
	struct buf out;         /* response body */
	struct errinfo ei;      /* the error answered, when status >= 400 */
};

/* route_dispatch: finds the route for x->method and x->path and runs its
 * handler; an unknown path gets a 404, a known path with another method a
 * 405 with Allow. Always leaves a complete answer in x (status, body). */
void route_dispatch(struct worker *w, struct exchange *x);

/* The handlers (handlers.c). Each fills x->out and x->status on success and
 * returns OK, or returns an error with x->ei filled; route_dispatch writes
 * the error answer. handle_connection answers its own failures. */
enum err handle_root(struct worker *w, struct exchange *x);
enum err handle_healthcheck(struct worker *w, struct exchange *x);
enum err handle_connection(struct worker *w, struct exchange *x);
enum err handle_field_names(struct worker *w, struct exchange *x);
enum err handle_field_values(struct worker *w, struct exchange *x);
enum err handle_metric(struct worker *w, struct exchange *x);

#endif
