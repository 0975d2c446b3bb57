/* route.c - the table of endpoints (spec section 2) and dispatching an
 * exchange to its handler, with 404 and 405 answered here. */
#include <stdio.h>
#include <string.h>

#include "mirror/errors.h"
#include "mirror/exchange.h"

typedef enum err (*handler_fn)(struct worker *, struct exchange *);

/* One row per endpoint; adding an endpoint is adding a row. */
static const struct route {
	const char *path;
	const char *method;
	const char *name;
	handler_fn fn;
} routes[] = {
	{ .path = "/", .method = "GET", .name = "root", .fn = handle_root },
	{ .path = "/healthcheck", .method = "GET", .name = "healthcheck", .fn = handle_healthcheck },
	{ .path = "/api/connection", .method = "POST", .name = "connection", .fn = handle_connection },
	{ .path = "/api/field/name", .method = "POST", .name = "field_name", .fn = handle_field_names },
	{ .path = "/api/field/value", .method = "POST", .name = "field_value", .fn = handle_field_values },
	{ .path = "/api/metric", .method = "POST", .name = "metric", .fn = handle_metric },
};
#define N_ROUTES (sizeof(routes) / sizeof(routes[0]))

/* answer_error: replaces whatever the handler wrote with the typed body of
 * x->ei. If even that cannot be written, a fixed body is used. */
static void answer_error(struct exchange *x)
{
	buf_reset(&x->out);
	x->status = errors_status(x->ei.code);
	x->content_type = "application/json";
	if (errors_body(&x->ei, &x->out)) {
		buf_init(&x->out, 4096);
		x->status = 500;
		buf_puts(&x->out, "{\"_type\": \"RemoteMirrorError\", \"summary\": "
				  "\"Internal error.\", \"details\": \"out of memory\"}");
	}
}

void route_dispatch(struct worker *w, struct exchange *x)
{
	const struct route *r = NULL;
	size_t i;
	enum err rc;

	x->content_type = "application/json";
	x->endpoint = "unknown";
	for (i = 0; i < N_ROUTES; i++) {
		if (strcmp(routes[i].path, x->path) != 0)
			continue;
		r = &routes[i];
		x->endpoint = r->name;
		if (strcmp(r->method, x->method) == 0)
			break;
		r = NULL;
		/* the path exists with another method */
		x->allow = routes[i].method;
	}
	if (!r) {
		if (x->allow)
			err_set(&x->ei, ERR_METHOD, "%s is not allowed on this path; use %s",
				x->method, x->allow);
		else
			err_set(&x->ei, ERR_NO_ROUTE, "no such endpoint");
		answer_error(x);
		return;
	}
	rc = r->fn(w, x);
	if (rc) {
		/* a module that returned a code without filling ei */
		if (x->ei.code != rc || !x->ei.details[0]) {
			x->ei.code = rc;
			if (!x->ei.details[0])
				snprintf(x->ei.details, sizeof(x->ei.details), "%s",
					 rc == ERR_NOMEM ? "out of memory" : err_name(rc));
		}
		answer_error(x);
	}
}
