/* handlers.c - one function per endpoint: each checks its request, asks the
 * upstream through prom.c and stream.c, and encodes the answer. Errors go
 * back to route_dispatch, which answers them through the error table. */
#include <stdlib.h>
#include <string.h>

#include <config.h>
#include "common/jsonw.h"
#include "mirror/encode.h"
#include "mirror/errors.h"
#include "mirror/exchange.h"
#include "mirror/prom.h"
#include "mirror/promql.h"
#include "mirror/request.h"
#include "mirror/stream.h"

/* The reserved field names, offered first by Field Names (spec 4.5). */
static const char *const reserved_fields[] = { "__counter__", "__gauge__", "~" };
#define N_RESERVED (sizeof(reserved_fields) / sizeof(reserved_fields[0]))

/* Name suffixes that mark a counter when the backend has no metadata. */
static const char *const counter_suffixes[] = { "_total", "_count", "_sum", "_bucket" };

enum err handle_root(struct worker *w, struct exchange *x)
{
	(void)w;
	x->status = 200;
	return buf_puts(&x->out, "{\"app\": \"prometheus-mirror\", \"version\": \""
				 PACKAGE_VERSION "\"}");
}

enum err handle_healthcheck(struct worker *w, struct exchange *x)
{
	(void)w;
	x->status = 200;
	return buf_puts(&x->out, "{\"app\": \"prometheus-mirror\", \"status\": \"OK\"}");
}

/* begin: the common start of every POST endpoint: the body is checked and
 * converted into *req (caller frees with request_free, also on error), and
 * the target is checked against the allowlist. */
static enum err begin(struct worker *w, struct exchange *x, enum endpoint ep,
		      struct request *req)
{
	enum err rc;

	rc = request_parse(ep, x->body, x->body_len, w->cfg->max_timeout_s, req,
			   &x->ei);
	if (rc)
		return rc;
	/* Test Connection checks that credentials can be obtained now, so it
	 * never takes them from the cache (spec 3.1) */
	if (req->conn.aws && ep == EP_CONNECTION)
		req->conn.aws->fresh = 1;
	return upstream_allowed(w->up, req->conn.url, &x->ei);
}

enum err handle_connection(struct worker *w, struct exchange *x)
{
	struct request req;
	enum err rc;

	memset(&req, 0, sizeof(req));
	rc = begin(w, x, EP_CONNECTION, &req);
	if (!rc)
		rc = prom_test(w->up, &req.conn, &x->ei);
	if (!rc) {
		x->status = 200;
		rc = buf_puts(&x->out, "{\"_type\": \"TestConnectionResponse\", "
				       "\"status\": \"OK\"}");
	} else {
		/* Test Connection answers every failure in its own shape */
		if (x->ei.code != rc)
			err_set(&x->ei, rc, "%s", err_name(rc));
		buf_reset(&x->out);
		x->status = errors_test_connection_status(&x->ei);
		rc = errors_test_connection_body(&x->ei, &x->out);
	}
	request_free(&req);
	return rc;
}

/* field_match: the match[] selector of the field endpoints: the metric name
 * of a __gauge__/__counter__ condition plus every label condition; a `~`
 * condition restricts nothing. Appends nothing when nothing restricts. */
static enum err field_match(const struct query *q, struct buf *match,
			    struct errinfo *ei)
{
	const char *name = NULL;
	size_t i;

	for (i = 0; i < q->n_conds && !name; i++) {
		const struct condition *c = &q->conds[i];

		if ((strcmp(c->key, "__gauge__") == 0 ||
		     strcmp(c->key, "__counter__") == 0) &&
		    c->type == VALUE_STRING && c->str[0])
			name = c->str;
	}
	return promql_selector(name, q->conds, q->n_conds, match, ei);
}

/* field_range: the time restriction of the field endpoints, only together
 * with a match[] (spec 4.5). */
static const struct prom_range *field_range(const struct query *q,
					    const struct buf *match,
					    struct prom_range *r)
{
	if (!match->len || !q->has_start || !q->has_end)
		return NULL;
	r->start_ms = q->start_ms;
	r->end_ms = q->end_ms;
	return r;
}

/* window: how many of total entries after offset a limit lets through. */
static size_t window(const struct query *q, size_t total, size_t offset,
		     int *partial)
{
	size_t avail = offset < total ? total - offset : 0;
	size_t count = avail;

	if (q->has_limit && (uint64_t)q->limit < count)
		count = (size_t)q->limit;
	*partial = count < avail;
	return count;
}

enum err handle_field_names(struct worker *w, struct exchange *x)
{
	struct request req;
	struct strlist labels = { 0 }, all = { 0 };
	struct buf match;
	struct prom_range r;
	size_t i, count;
	int partial;
	enum err rc;

	memset(&req, 0, sizeof(req));
	buf_init(&match, 1 << 20);
	rc = begin(w, x, EP_FIELD_NAME, &req);
	if (rc)
		goto out;
	rc = field_match(&req.q, &match, &x->ei);
	if (rc)
		goto out;
	rc = prom_labels(w->up, &req.conn, match.len ? buf_cstr(&match) : NULL,
			 field_range(&req.q, &match, &r), &labels, &x->ei);
	if (rc)
		goto out;
	for (i = 0; !rc && i < N_RESERVED; i++)
		rc = strlist_push(&all, reserved_fields[i], strlen(reserved_fields[i]));
	for (i = 0; !rc && i < labels.n; i++)
		rc = strlist_push(&all, labels.v[i], strlen(labels.v[i]));
	if (rc)
		goto out;
	count = window(&req.q, all.n, 0, &partial);
	x->status = 200;
	rc = encode_field_names(&x->out, all.v, count, partial);
out:
	strlist_free(&labels);
	strlist_free(&all);
	buf_free(&match);
	request_free(&req);
	return rc;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* sorted_contains: binary search in a list sorted by strlist_sort_unique. */
static int sorted_contains(const struct strlist *l, const char *s)
{
	return l->n && bsearch(&s, l->v, l->n, sizeof(*l->v), cmp_str) != NULL;
}

static int has_counter_suffix(const char *name)
{
	size_t i, n = strlen(name);

	for (i = 0; i < sizeof(counter_suffixes) / sizeof(counter_suffixes[0]); i++) {
		size_t k = strlen(counter_suffixes[i]);

		if (n > k && strcmp(name + n - k, counter_suffixes[i]) == 0)
			return 1;
	}
	return 0;
}

/* metric_names: the values of __name__ that are counters (want_counters)
 * or are not: metadata decides where the backend has it, the name's suffix
 * where it has none (spec 4.5). */
static enum err metric_names(struct worker *w, const struct request *req,
			     const char *match, const struct prom_range *range,
			     int want_counters, struct strlist *out,
			     struct errinfo *ei)
{
	struct strlist names = { 0 }, counters = { 0 }, known = { 0 };
	size_t i;
	enum err rc;

	rc = prom_label_values(w->up, &req->conn, "__name__", match, range, &names, ei);
	if (rc)
		goto out;
	rc = prom_metadata(w->up, &req->conn, &counters, &known, ei);
	if (rc)
		goto out;
	strlist_sort_unique(&counters);
	strlist_sort_unique(&known);
	for (i = 0; !rc && i < names.n; i++) {
		const char *name = names.v[i];
		int is_counter = sorted_contains(&known, name)
				 ? sorted_contains(&counters, name)
				 : has_counter_suffix(name);

		if (is_counter == want_counters)
			rc = strlist_push(out, name, strlen(name));
	}
out:
	strlist_free(&names);
	strlist_free(&counters);
	strlist_free(&known);
	return rc;
}

enum err handle_field_values(struct worker *w, struct exchange *x)
{
	struct request req;
	struct strlist values = { 0 }, kept = { 0 };
	struct buf match;
	struct prom_range r;
	const struct prom_range *range;
	const char *field, *m;
	size_t i, count, offset, plen;
	int partial;
	enum err rc;

	memset(&req, 0, sizeof(req));
	buf_init(&match, 1 << 20);
	rc = begin(w, x, EP_FIELD_VALUE, &req);
	if (rc)
		goto out;
	field = req.q.field;
	rc = field_match(&req.q, &match, &x->ei);
	if (rc)
		goto out;
	m = match.len ? buf_cstr(&match) : NULL;
	range = field_range(&req.q, &match, &r);
	if (strcmp(field, "~") == 0) {
		/* a free expression has no values to offer */
	} else if (strcmp(field, "__counter__") == 0 || strcmp(field, "__gauge__") == 0) {
		rc = metric_names(w, &req, m, range, field[2] == 'c', &values, &x->ei);
	} else {
		/* request.c admitted only a label name; prom.c checks it again
		 * where it enters the URL path */
		rc = prom_label_values(w->up, &req.conn, field, m, range, &values, &x->ei);
	}
	if (rc)
		goto out;
	plen = req.q.prefix ? strlen(req.q.prefix) : 0;
	for (i = 0; !rc && i < values.n; i++)
		if (!plen || strncmp(values.v[i], req.q.prefix, plen) == 0)
			rc = strlist_push(&kept, values.v[i], strlen(values.v[i]));
	if (rc)
		goto out;
	strlist_sort_unique(&kept);
	offset = (uint64_t)req.q.offset < kept.n ? (size_t)req.q.offset : kept.n;
	count = window(&req.q, kept.n, offset, &partial);
	x->status = 200;
	rc = encode_field_values(&x->out, kept.v + offset, count, partial);
out:
	strlist_free(&values);
	strlist_free(&kept);
	buf_free(&match);
	request_free(&req);
	return rc;
}

enum err handle_metric(struct worker *w, struct exchange *x)
{
	struct request req;
	struct stream s = { 0 };
	struct agg_point *agg = NULL;
	enum metric_kind kind;
	const char *text;
	int64_t from;
	uint64_t n_buckets;
	size_t n_agg, cap;
	int partial;
	enum err rc;

	memset(&req, 0, sizeof(req));
	rc = begin(w, x, EP_METRIC, &req);
	if (rc)
		goto out;
	rc = promql_metric(&req.q, &kind, &text, &x->ei);
	if (rc)
		goto out;
	from = req.q.start_ms;
	if (req.q.has_agg) {
		/* complete buckets only: the stream is read from the first one's start */
		rc = agg_window(req.q.start_ms, req.q.end_ms, req.q.bucket_ms, &from,
				&n_buckets);
		if (rc) {
			err_set(&x->ei, rc, "query.aggregation.bucketSizeMillis: "
				"the buckets do not fit the time range");
			goto out;
		}
	}
	rc = stream_read(w->up, &req, kind, text, from, req.q.end_ms, &s, &x->ei);
	if (rc)
		goto out;
	x->status = 200;
	if (req.q.has_agg) {
		rc = aggregate(s.pts, s.n, kind == METRIC_COUNTER, req.q.method,
			       req.q.start_ms, req.q.end_ms, req.q.bucket_ms,
			       w->cfg->max_points, &agg, &n_agg, &partial);
		if (!rc)
			rc = encode_aggregated(&x->out, agg, n_agg, partial);
	} else {
		cap = w->cfg->max_points;
		if (req.q.has_limit && (uint64_t)req.q.limit < cap)
			cap = (size_t)req.q.limit;
		partial = s.n > cap;
		rc = encode_raw(&x->out, s.pts, partial ? cap : s.n, partial);
	}
out:
	free(agg);
	stream_free(&s);
	request_free(&req);
	return rc;
}
