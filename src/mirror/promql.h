/* promql.h - turning Mirror conditions into PromQL that no value can break
 * out of (spec 4.1). */
#ifndef MIRROR_PROMQL_H
#define MIRROR_PROMQL_H

#include <stddef.h>

#include "common/buf.h"
#include "mirror/request.h"

enum metric_kind {
	METRIC_GAUGE,    /* __gauge__ */
	METRIC_COUNTER,  /* __counter__ */
	METRIC_EXPR,     /* ~ */
};

/* promql_metric: finds the one reserved condition (__gauge__, __counter__ or
 * ~) of q. Sets *kind and *text (the metric name or the expression, borrowed
 * from q). Returns OK, ERR_METRIC_KEY when there are none or several, or
 * ERR_BAD_REQUEST when its value is not a non-empty string. */
enum err promql_metric(const struct query *q, enum metric_kind *kind,
		       const char **text, struct errinfo *ei);

/* promql_selector: appends `{__name__="name",k1="v1",...}` to out, from the
 * metric name (NULL: no __name__ matcher) and every condition that is not a
 * reserved key, in the order given. Returns OK; ERR_BAD_REQUEST for a key that
 * is not a label name or an empty InSet; ERR_NOMEM/ERR_TOO_LARGE from out.
 * With no name and no other condition it appends nothing and returns OK. */
enum err promql_selector(const char *name, const struct condition *conds,
			 size_t n, struct buf *out, struct errinfo *ei);

/* promql_quote: appends s[0..n) as a double-quoted PromQL string literal,
 * escaping backslash, double quote and control characters. */
enum err promql_quote(struct buf *out, const char *s, size_t n);

/* promql_label_name_ok: 1 when s is [a-zA-Z_][a-zA-Z0-9_]*, else 0. */
int promql_label_name_ok(const char *s);

/* promql_is_reserved: 1 for "__gauge__", "__counter__" and "~". */
int promql_is_reserved(const char *key);

#endif
