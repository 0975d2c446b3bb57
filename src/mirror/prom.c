/* prom.c - the Prometheus HTTP API as the mirror uses it: building the
 * calls (api/v1/query, query_range, labels, label values, metadata),
 * checking the answer envelope, and decoding matrices and string lists.
 * Long query_range grids are split into chunks that run in parallel and are
 * joined back into one series per label set. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mirror/prom.h"

/* The Prometheus endpoints the mirror calls. label_values has the label
 * name between prefix and suffix; the others are a fixed path. */
enum prom_endpoint {
	PROM_QUERY,
	PROM_QUERY_RANGE,
	PROM_LABELS,
	PROM_LABEL_VALUES,
	PROM_METADATA,
};

static const struct prom_endpoint_row {
	const char *path;         /* the path, or its part before the name */
	const char *suffix;       /* after the name, or NULL: no name */
	int absent_is_empty;      /* a 404 means "no data", not a failure */
} endpoints[] = {
	[PROM_QUERY] = { .path = "api/v1/query" },
	[PROM_QUERY_RANGE] = { .path = "api/v1/query_range" },
	[PROM_LABELS] = { .path = "api/v1/labels" },
	[PROM_LABEL_VALUES] = { .path = "api/v1/label/", .suffix = "/values" },
	[PROM_METADATA] = { .path = "api/v1/metadata", .absent_is_empty = 1 },
};

/* Spellings of the special values Prometheus writes (Go's ParseFloat takes
 * them in any case, and so do we). */
static const struct special_value {
	const char *text;
	double value;
} special_values[] = {
	{ .text = "NaN", .value = NAN },
	{ .text = "+NaN", .value = NAN },
	{ .text = "-NaN", .value = NAN },
	{ .text = "Inf", .value = INFINITY },
	{ .text = "+Inf", .value = INFINITY },
	{ .text = "-Inf", .value = -INFINITY },
	{ .text = "Infinity", .value = INFINITY },
	{ .text = "+Infinity", .value = INFINITY },
	{ .text = "-Infinity", .value = -INFINITY },
};

/* ---- pure helpers ---- */

char *prom_format_ms(int64_t ms, char out[PROM_TIME_MAX])
{
	/* the magnitude as unsigned, so INT64_MIN needs no special case */
	uint64_t mag = ms < 0 ? (uint64_t)0 - (uint64_t)ms : (uint64_t)ms;
	unsigned frac = (unsigned)(mag % 1000);
	int n;

	n = snprintf(out, PROM_TIME_MAX, "%s%" PRIu64, ms < 0 ? "-" : "",
		     mag / 1000);
	if (frac && n > 0 && n < PROM_TIME_MAX - 4) {
		/* ".1", ".12" or ".123": trailing zeros dropped */
		out[n++] = '.';
		out[n++] = (char)('0' + frac / 100);
		if (frac % 100) {
			out[n++] = (char)('0' + frac / 10 % 10);
			if (frac % 10)
				out[n++] = (char)('0' + frac % 10);
		}
		out[n] = '\0';
	}
	return out;
}

static int ieq(const char *a, const char *b)
{
	for (; *a && *b; a++, b++) {
		int ca = (*a >= 'A' && *a <= 'Z') ? *a - 'A' + 'a' : *a;
		int cb = (*b >= 'A' && *b <= 'Z') ? *b - 'A' + 'a' : *b;

		if (ca != cb)
			return 0;
	}
	return *a == *b;
}

enum err prom_parse_value(const char *s, double *out)
{
	const char *p;
	char *end;
	double v;
	size_t i;

	for (i = 0; i < sizeof(special_values) / sizeof(special_values[0]); i++)
		if (ieq(s, special_values[i].text)) {
			*out = special_values[i].value;
			return OK;
		}
	/* a plain decimal only: strtod would also take hex, "nan(...)" and
	 * leading blanks, none of which Prometheus writes */
	if (!*s)
		return ERR_UPSTREAM;
	for (p = s; *p; p++)
		if (!((*p >= '0' && *p <= '9') || *p == '.' || *p == 'e' ||
		      *p == 'E' || *p == '+' || *p == '-'))
			return ERR_UPSTREAM;
	errno = 0;
	v = strtod(s, &end);
	if (end == s || *end)
		return ERR_UPSTREAM;
	/* ERANGE: overflow gives +-HUGE_VAL (an infinity, as Go's ParseFloat
	 * gives), underflow a value next to zero; both are what the text means */
	if (errno && errno != ERANGE)
		return ERR_UPSTREAM;
	*out = v;
	return OK;
}

enum err prom_range_chunks(int64_t start_ms, int64_t end_ms, int64_t step_ms,
			   struct prom_chunk **out, size_t *n_out,
			   struct errinfo *ei)
{
	struct prom_chunk *c = NULL;
	uint64_t span, last, chunks, i, per = PROM_MAX_RANGE_POINTS, k;

	if (step_ms <= 0)
		return err_set(ei, ERR_BAD_REQUEST, "step must be positive");
	if (end_ms < start_ms) {
		*out = NULL;
		*n_out = 0;
		return OK;
	}
	/* last = the number of grid points minus one: the span of the whole
	 * int64 range in steps of 1 ms does not fit the count itself */
	span = (uint64_t)end_ms - (uint64_t)start_ms;    /* exact, no overflow */
	last = span / (uint64_t)step_ms;
	chunks = last / per + 1;
	if (chunks > PROM_MAX_RANGE_CHUNKS)
		return err_set(ei, ERR_BAD_REQUEST, "query.startTime/endTime: range "
			       "too long for step_seconds: more than %d points of %" PRId64 " ms",
			       PROM_MAX_RANGE_CHUNKS * PROM_MAX_RANGE_POINTS,
			       step_ms);
	c = calloc((size_t)chunks, sizeof(*c));
	if (!c)
		return err_set(ei, ERR_NOMEM, "out of memory splitting a range");
	for (i = 0; i < chunks; i++) {
		/* k = points in this chunk minus one; offsets stay <= span, so
		 * the sums stay inside int64 */
		k = last - i * per < per - 1 ? last - i * per : per - 1;
		c[i].start_ms = (int64_t)((uint64_t)start_ms +
					  i * per * (uint64_t)step_ms);
		c[i].end_ms = (int64_t)((uint64_t)c[i].start_ms +
					k * (uint64_t)step_ms);
	}
	*out = c;
	*n_out = (size_t)chunks;
	return OK;
}

/* decode_time: a sample's timestamp, seconds as a JSON number (integer or
 * real, milliseconds in the fraction), into *ms. */
static enum err decode_time(const json_t *t, int64_t *ms)
{
	double s;

	if (json_is_integer(t)) {
		json_int_t v = json_integer_value(t);

		if (v > INT64_MAX / 1000 || v < INT64_MIN / 1000)
			return ERR_UPSTREAM;
		*ms = (int64_t)v * 1000;
		return OK;
	}
	if (!json_is_real(t))
		return ERR_UPSTREAM;
	s = json_real_value(t);
	if (!isfinite(s) || s > 9.2e15 || s < -9.2e15)
		return ERR_UPSTREAM;
	*ms = (int64_t)llround(s * 1000.0);
	return OK;
}

/* decode_values: the "values" pairs [t, "v"] of one series, appended to s
 * in strictly ascending time. */
static enum err decode_values(const json_t *values, struct series *s,
			      struct errinfo *ei)
{
	size_t i;
	const json_t *pair;
	int64_t t;
	double v;
	enum err rc;

	json_array_foreach(values, i, pair) {
		if (!json_is_array(pair) || json_array_size(pair) != 2 ||
		    decode_time(json_array_get(pair, 0), &t) ||
		    !json_is_string(json_array_get(pair, 1)))
			return err_set(ei, ERR_UPSTREAM, "upstream answered a "
				       "malformed matrix: bad sample");
		if (prom_parse_value(json_string_value(json_array_get(pair, 1)), &v))
			return err_set(ei, ERR_UPSTREAM, "upstream answered a "
				       "malformed matrix: a sample value is not "
				       "a number");
		if (s->n && t <= s->pts[s->n - 1].t_ms)
			return err_set(ei, ERR_UPSTREAM, "upstream answered a "
				       "matrix with samples out of time order");
		rc = series_push(s, t, v);
		if (rc)
			return err_set(ei, ERR_NOMEM, "out of memory reading "
				       "a matrix");
	}
	return OK;
}

/* check_result_type: data.resultType must be want. */
static enum err check_result_type(const json_t *data, const char *want,
				  struct errinfo *ei)
{
	const char *type = json_string_value(json_object_get(data, "resultType"));
	size_t i;

	if (type && strcmp(type, want) == 0)
		return OK;
	/* show what came only when it is a short plain word */
	for (i = 0; type && type[i]; i++)
		if (i >= 32 || !((type[i] >= 'a' && type[i] <= 'z') ||
				 (type[i] >= 'A' && type[i] <= 'Z')))
			type = NULL;
	if (type)
		return err_set(ei, ERR_UPSTREAM, "upstream answered an unexpected "
			       "resultType \"%s\" (expected %s)", type, want);
	return err_set(ei, ERR_UPSTREAM, "upstream answered an unexpected "
		       "resultType (expected %s)", want);
}

enum err prom_decode_matrix(const json_t *data, struct series_set *out,
			    struct errinfo *ei)
{
	struct series_set set = { 0 };
	const json_t *result, *item, *metric, *values;
	struct series *s;
	size_t i;
	enum err rc;

	rc = check_result_type(data, "matrix", ei);
	if (rc)
		goto out;
	result = json_object_get(data, "result");
	if (!json_is_array(result)) {
		rc = err_set(ei, ERR_UPSTREAM, "upstream answered a malformed "
			     "matrix: no result array");
		goto out;
	}
	json_array_foreach(result, i, item) {
		metric = json_object_get(item, "metric");
		values = json_object_get(item, "values");
		if (!json_is_object(metric) || (values && !json_is_array(values))) {
			rc = err_set(ei, ERR_UPSTREAM, "upstream answered a "
				     "malformed matrix: bad series");
			goto out;
		}
		/* a series of native histograms only has no float samples */
		if (!values)
			continue;
		rc = series_set_add(&set, (json_t *)metric, &s);
		if (rc) {
			rc = err_set(ei, ERR_NOMEM, "out of memory reading a matrix");
			goto out;
		}
		rc = decode_values(values, s, ei);
		if (rc)
			goto out;
	}
	*out = set;
	memset(&set, 0, sizeof(set));
out:
	series_set_free(&set);
	return rc;
}

/* find_series: the series of set with these labels, looked for first at
 * *hint (chunks list their series in the same order, so this is usually
 * the one) and then everywhere. Returns its index or set->n. */
static size_t find_series(const struct series_set *set, const json_t *labels,
			  size_t *hint)
{
	size_t i;

	if (*hint < set->n && json_equal(set->items[*hint].labels, labels))
		return (*hint)++;
	for (i = 0; i < set->n; i++)
		if (json_equal(set->items[i].labels, labels)) {
			*hint = i + 1;
			return i;
		}
	return set->n;
}

enum err prom_join_series(const struct series_set *parts, size_t n_parts,
			  struct series_set *out, struct errinfo *ei)
{
	struct series_set set = { 0 };
	const struct series *src;
	struct series *dst;
	size_t p, j, k, at, hint;
	enum err rc = OK;

	for (p = 0; p < n_parts; p++) {
		hint = 0;
		for (j = 0; j < parts[p].n; j++) {
			src = &parts[p].items[j];
			at = find_series(&set, src->labels, &hint);
			if (at == set.n) {
				rc = series_set_add(&set, src->labels, &dst);
				if (rc)
					goto nomem;
				hint = set.n;
			}
			dst = &set.items[at];
			if (src->n && dst->n &&
			    src->pts[0].t_ms <= dst->pts[dst->n - 1].t_ms) {
				rc = err_set(ei, ERR_UPSTREAM, "upstream answered "
					     "overlapping range chunks");
				goto out;
			}
			for (k = 0; k < src->n; k++) {
				rc = series_push(dst, src->pts[k].t_ms, src->pts[k].v);
				if (rc)
					goto nomem;
			}
		}
	}
	*out = set;
	memset(&set, 0, sizeof(set));
	goto out;
nomem:
	rc = err_set(ei, ERR_NOMEM, "out of memory joining range chunks");
out:
	series_set_free(&set);
	return rc;
}

/* ---- checking answers ---- */

static void set_status(struct errinfo *ei, long status)
{
	if (ei)
		ei->upstream_status = status;
}

/* prometheus_error: ERR_PROMETHEUS with "errorType: error" of an error
 * envelope, secrets of conn redacted, cut to fit the details. */
static enum err prometheus_error(const struct conn *conn, const json_t *doc,
				 struct errinfo *ei)
{
	const char *type = json_string_value(json_object_get(doc, "errorType"));
	const char *msg = json_string_value(json_object_get(doc, "error"));
	char text[sizeof(((struct errinfo *)0)->details)];
	struct buf b;
	enum err rc;

	buf_init(&b, UPSTREAM_MAX_REPLY_BYTES);
	if (type && msg)
		rc = buf_printf(&b, "%s: %s", type, msg);
	else if (type || msg)
		rc = buf_puts(&b, type ? type : msg);
	else
		rc = buf_puts(&b, "Prometheus answered status error");
	if (rc) {
		buf_free(&b);
		return err_set(ei, ERR_NOMEM, "out of memory reading an error");
	}
	upstream_excerpt_text(conn, b.data, b.len, sizeof(text) - 4, text,
			      sizeof(text));
	buf_free(&b);
	return err_set(ei, ERR_PROMETHEUS, "%s", text);
}

/* not_prometheus: ERR_UPSTREAM for an answer that is no Prometheus answer. */
static enum err not_prometheus(const struct conn *conn,
			       const struct upstream_call *call,
			       struct errinfo *ei)
{
	char ex[UPSTREAM_EXCERPT_BYTES + 8];

	if (call->status >= 300 && call->status < 400)
		return err_set(ei, ERR_UPSTREAM, "upstream answered a redirect "
			       "(HTTP %ld) which is not followed", call->status);
	upstream_excerpt(conn, &call->body, ex, sizeof(ex));
	if (!*ex)
		return err_set(ei, ERR_UPSTREAM, "upstream answered HTTP %ld "
			       "with an empty body", call->status);
	return err_set(ei, ERR_UPSTREAM, "upstream answered HTTP %ld: %s",
		       call->status, ex);
}

enum err prom_check(const struct conn *conn, const struct upstream_call *call,
		    json_t **root, json_t **data, struct errinfo *ei)
{
	json_t *doc = NULL, *d;
	const char *status;
	enum err rc;
	int ok2xx = call->status >= 200 && call->status < 300;

	if (call->status < 300 || call->status >= 400)
		doc = json_loadb(buf_cstr(&call->body), call->body.len, 0, NULL);
	status = json_string_value(json_object_get(doc, "status"));
	d = json_object_get(doc, "data");
	if (status && strcmp(status, "error") == 0) {
		rc = prometheus_error(conn, doc, ei);
		set_status(ei, call->status);
		goto out;
	}
	if (!status || strcmp(status, "success") != 0 || !ok2xx || !d) {
		rc = not_prometheus(conn, call, ei);
		set_status(ei, call->status);
		goto out;
	}
	*root = doc;
	*data = d;
	doc = NULL;
	rc = OK;
out:
	json_decref(doc);
	return rc;
}

/* ---- calls ---- */

/* param_failed: the error of a query string that could not be built. */
static enum err param_failed(enum err rc, struct errinfo *ei)
{
	if (rc == ERR_NOMEM)
		return err_set(ei, ERR_NOMEM, "out of memory building an "
			       "upstream query");
	return err_set(ei, ERR_BAD_REQUEST, "query too long for an upstream URL");
}

/* add_time: appends name=<seconds with ms> to call's query. */
static enum err add_time(struct upstream_call *call, const char *name,
			 int64_t ms)
{
	char t[PROM_TIME_MAX];

	return upstream_param(call, name, prom_format_ms(ms, t));
}

/* add_match_range: the optional match[] and start/end of label calls. */
static enum err add_match_range(struct upstream_call *call, const char *match,
				const struct prom_range *range)
{
	enum err rc = OK;

	if (match)
		rc = upstream_param(call, "match[]", match);
	if (!rc && range)
		rc = add_time(call, "start", range->start_ms);
	if (!rc && range)
		rc = add_time(call, "end", range->end_ms);
	return rc;
}

/* fetch: runs one prepared call and checks its answer; on OK *root (to
 * json_decref) and *data (borrowed from it) are set. When absent_ok is set,
 * a 404 answers OK with *root and *data NULL. */
static enum err fetch(struct upstream *u, const struct conn *conn,
		      struct upstream_call *call, int absent_ok, json_t **root,
		      json_t **data, struct errinfo *ei)
{
	enum err rc;

	rc = upstream_run(u, conn, call, 1, ei);
	if (rc)
		return rc;
	if (absent_ok && call->status == 404) {
		*root = NULL;
		*data = NULL;
		return OK;
	}
	return prom_check(conn, call, root, data, ei);
}

/* decode_strings: data must be an array of strings; they are appended to
 * out, except skip (when not NULL). */
static enum err decode_strings(const json_t *data, const char *skip,
			       struct strlist *out, struct errinfo *ei)
{
	const json_t *v;
	size_t i;

	if (!json_is_array(data))
		return err_set(ei, ERR_UPSTREAM, "upstream answered something "
			       "else than a list of strings");
	json_array_foreach(data, i, v) {
		const char *s = json_string_value(v);

		if (!s)
			return err_set(ei, ERR_UPSTREAM, "upstream answered a "
				       "list with an entry that is not a string");
		if (skip && strcmp(s, skip) == 0)
			continue;
		if (strlist_push(out, s, json_string_length(v)))
			return err_set(ei, ERR_NOMEM, "out of memory reading a list");
	}
	return OK;
}

enum err prom_query_matrix(struct upstream *u, const struct conn *conn,
			   const char *expr, int64_t eval_ms,
			   struct series_set *out, struct errinfo *ei)
{
	struct upstream_call call;
	json_t *root = NULL, *data;
	enum err rc;

	upstream_call_init(&call, endpoints[PROM_QUERY].path);
	rc = upstream_param(&call, "query", expr);
	if (!rc)
		rc = add_time(&call, "time", eval_ms);
	if (rc) {
		rc = param_failed(rc, ei);
		goto out;
	}
	rc = fetch(u, conn, &call, 0, &root, &data, ei);
	if (rc)
		goto out;
	rc = prom_decode_matrix(data, out, ei);
out:
	json_decref(root);
	upstream_call_free(&call);
	return rc;
}

enum err prom_query_range(struct upstream *u, const struct conn *conn,
			  const char *expr, int64_t start_ms, int64_t end_ms,
			  int64_t step_ms, struct series_set *out,
			  struct errinfo *ei)
{
	struct prom_chunk *chunks = NULL;
	struct upstream_call *calls = NULL;
	struct series_set *parts = NULL;
	size_t n = 0, i;
	json_t *root, *data;
	enum err rc;

	rc = prom_range_chunks(start_ms, end_ms, step_ms, &chunks, &n, ei);
	if (rc)
		goto out;
	if (n == 0) {
		/* no grid point in the range: nothing to ask */
		memset(out, 0, sizeof(*out));
		goto out;
	}
	calls = calloc(n, sizeof(*calls));
	parts = calloc(n, sizeof(*parts));
	if (!calls || !parts) {
		rc = err_set(ei, ERR_NOMEM, "out of memory preparing range calls");
		goto out;
	}
	for (i = 0; i < n; i++) {
		upstream_call_init(&calls[i], endpoints[PROM_QUERY_RANGE].path);
		rc = upstream_param(&calls[i], "query", expr);
		if (!rc)
			rc = add_time(&calls[i], "start", chunks[i].start_ms);
		if (!rc)
			rc = add_time(&calls[i], "end", chunks[i].end_ms);
		if (!rc)
			rc = add_time(&calls[i], "step", step_ms);
		if (rc) {
			rc = param_failed(rc, ei);
			goto out;
		}
	}
	/* every chunk in one run: they go out in parallel */
	rc = upstream_run(u, conn, calls, n, ei);
	if (rc)
		goto out;
	for (i = 0; i < n; i++) {
		rc = prom_check(conn, &calls[i], &root, &data, ei);
		if (rc)
			goto out;
		rc = prom_decode_matrix(data, &parts[i], ei);
		json_decref(root);
		if (rc)
			goto out;
	}
	rc = prom_join_series(parts, n, out, ei);
out:
	for (i = 0; i < n; i++) {
		if (calls)
			upstream_call_free(&calls[i]);
		if (parts)
			series_set_free(&parts[i]);
	}
	free(calls);
	free(parts);
	free(chunks);
	return rc;
}

enum err prom_labels(struct upstream *u, const struct conn *conn,
		     const char *match, const struct prom_range *range,
		     struct strlist *out, struct errinfo *ei)
{
	struct upstream_call call;
	struct strlist list = { 0 };
	json_t *root = NULL, *data;
	enum err rc;

	upstream_call_init(&call, endpoints[PROM_LABELS].path);
	rc = add_match_range(&call, match, range);
	if (rc) {
		rc = param_failed(rc, ei);
		goto out;
	}
	rc = fetch(u, conn, &call, endpoints[PROM_LABELS].absent_is_empty,
		   &root, &data, ei);
	if (rc)
		goto out;
	rc = decode_strings(data, "__name__", &list, ei);
	if (rc)
		goto out;
	*out = list;
	memset(&list, 0, sizeof(list));
out:
	strlist_free(&list);
	json_decref(root);
	upstream_call_free(&call);
	return rc;
}

/* label_name_ok: the classic label name syntax; the name goes into a URL
 * path, so nothing else may pass even if the caller forgot to check. */
static int label_name_ok(const char *s)
{
	const char *p;

	if (!*s || (*s >= '0' && *s <= '9'))
		return 0;
	for (p = s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '_'))
			return 0;
	return 1;
}

enum err prom_label_values(struct upstream *u, const struct conn *conn,
			   const char *name, const char *match,
			   const struct prom_range *range,
			   struct strlist *out, struct errinfo *ei)
{
	const struct prom_endpoint_row *ep = &endpoints[PROM_LABEL_VALUES];
	struct upstream_call call;
	struct strlist list = { 0 };
	struct buf path;
	json_t *root = NULL, *data;
	enum err rc;

	buf_init(&path, 4096);
	upstream_call_init(&call, NULL);
	if (!label_name_ok(name)) {
		rc = err_set(ei, ERR_BAD_REQUEST, "query.field: not a valid label name");
		goto out;
	}
	rc = buf_printf(&path, "%s%s%s", ep->path, name, ep->suffix);
	if (!rc)
		rc = add_match_range(&call, match, range);
	if (rc) {
		rc = param_failed(rc, ei);
		goto out;
	}
	call.path = buf_cstr(&path);
	rc = fetch(u, conn, &call, ep->absent_is_empty, &root, &data, ei);
	if (rc)
		goto out;
	rc = decode_strings(data, NULL, &list, ei);
	if (rc)
		goto out;
	*out = list;
	memset(&list, 0, sizeof(list));
out:
	strlist_free(&list);
	json_decref(root);
	upstream_call_free(&call);
	buf_free(&path);
	return rc;
}

enum err prom_decode_metadata(const json_t *data, struct strlist *counters,
			      struct strlist *known, struct errinfo *ei)
{
	struct strlist c = { 0 }, k = { 0 };
	const char *name;
	const json_t *entries, *e;
	size_t i;
	int is_counter;
	enum err rc = OK;

	if (data && !json_is_object(data)) {
		rc = err_set(ei, ERR_UPSTREAM, "upstream answered metadata that "
			     "is not an object");
		goto out;
	}
	json_object_foreach((json_t *)data, name, entries) {
		is_counter = 0;
		/* an odd entry only means the name has no usable type */
		json_array_foreach(entries, i, e) {
			const char *type = json_string_value(json_object_get(e, "type"));

			if (type && strcmp(type, "counter") == 0)
				is_counter = 1;
		}
		if (strlist_push(&k, name, strlen(name)) ||
		    (is_counter && strlist_push(&c, name, strlen(name)))) {
			rc = err_set(ei, ERR_NOMEM, "out of memory reading metadata");
			goto out;
		}
	}
	*counters = c;
	*known = k;
	memset(&c, 0, sizeof(c));
	memset(&k, 0, sizeof(k));
out:
	strlist_free(&c);
	strlist_free(&k);
	return rc;
}

enum err prom_metadata(struct upstream *u, const struct conn *conn,
		       struct strlist *counters, struct strlist *known,
		       struct errinfo *ei)
{
	struct upstream_call call;
	json_t *root = NULL, *data = NULL;
	enum err rc;

	upstream_call_init(&call, endpoints[PROM_METADATA].path);
	rc = fetch(u, conn, &call, endpoints[PROM_METADATA].absent_is_empty,
		   &root, &data, ei);
	if (rc)
		goto out;
	rc = prom_decode_metadata(data, counters, known, ei);
out:
	json_decref(root);
	upstream_call_free(&call);
	return rc;
}

enum err prom_test(struct upstream *u, const struct conn *conn,
		   struct errinfo *ei)
{
	struct upstream_call call;
	json_t *root = NULL, *data;
	enum err rc;

	upstream_call_init(&call, endpoints[PROM_QUERY].path);
	rc = upstream_param(&call, "query", "vector(1)");
	if (rc) {
		rc = param_failed(rc, ei);
		goto out;
	}
	rc = fetch(u, conn, &call, 0, &root, &data, ei);
	if (rc)
		goto out;
	rc = check_result_type(data, "vector", ei);
out:
	json_decref(root);
	upstream_call_free(&call);
	return rc;
}
