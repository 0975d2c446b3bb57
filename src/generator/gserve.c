/* gserve.c - `serve`: /metrics and the series API, one request at a time in
 * one process (the series live in its memory). Series are advanced lazily:
 * each GET /metrics brings every series to the tick that is due (or, with
 * --tick-per-scrape, to the next tick), computing the ticks in between. */
#include <errno.h>
#include <fcgiapp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/fcgi.h"
#include "common/jsonw.h"
#include "common/log.h"
#include "generator/backfill.h"
#include "generator/expo.h"
#include "generator/gserve.h"

#define METRICS_TYPE "text/plain; version=0.0.4; charset=utf-8"
#define JSON_TYPE "application/json"
#define SERIES_PREFIX "/api/series/"
/* The ceiling of an answer: /metrics of many series. */
#define OUT_MAX ((size_t)256 << 20)

/* ---- the series ---- */

enum err gserve_init(struct gserve *g, const struct gconfig *cfg,
		     int tick_per_scrape, int64_t start_ms)
{
	size_t i;
	enum err rc = OK;

	memset(g, 0, sizeof(*g));
	g->cfg = cfg;
	g->tick_per_scrape = tick_per_scrape;
	g->start_ms = start_ms;
	g->entries = calloc(cfg->n_series ? cfg->n_series : 1, sizeof(*g->entries));
	if (!g->entries)
		return ERR_NOMEM;
	g->cap = cfg->n_series ? cfg->n_series : 1;
	for (i = 0; i < cfg->n_series; i++) {
		g->entries[i].s = &cfg->series[i];
		rc = gseries_state_init(&cfg->series[i], &g->entries[i].st);
		if (rc)
			goto out;
		g->n++;
	}
out:
	return rc;
}

/* entry_free: what an entry owns. */
static void entry_free(struct gserve_entry *e)
{
	gseries_state_free(&e->st);
	if (e->owned) {
		gseries_free(e->s);
		free(e->s);
	}
	memset(e, 0, sizeof(*e));
}

void gserve_free(struct gserve *g)
{
	size_t i;

	if (!g)
		return;
	for (i = 0; g->entries && i < g->n; i++)
		entry_free(&g->entries[i]);
	free(g->entries);
	memset(g, 0, sizeof(*g));
}

int64_t gserve_due(const struct gserve *g, int64_t now_ms)
{
	int64_t d;

	if (now_ms < g->start_ms || g->cfg->interval_ms <= 0 ||
	    __builtin_sub_overflow(now_ms, g->start_ms, &d))
		return -1;
	return d / g->cfg->interval_ms;
}

void gserve_advance(struct gserve *g, uint64_t tick)
{
	size_t i;

	for (i = 0; i < g->n; i++) {
		struct gserve_entry *e = &g->entries[i];
		uint64_t target;

		if (tick < e->birth)
			continue;
		target = tick - e->birth;
		while (!e->st.ended && e->st.next_k <= target) {
			struct errinfo ei;

			memset(&ei, 0, sizeof(ei));
			/* continuous iterators read the global clock */
			if (gseries_step(e->s, &e->st,
					 backfill_tick_seconds(e->birth + e->st.next_k,
							       g->cfg->interval_ms), &ei))
				log_msg(LOG_ERROR, "%s; the series ends",
					ei.details[0] ? ei.details : "run-time error");
		}
	}
}

/* next_tick: the global tick at which a series created now starts. */
static uint64_t next_tick(const struct gserve *g, int64_t now_ms)
{
	if (g->tick_per_scrape)
		return g->shown;
	return (uint64_t)(gserve_due(g, now_ms) + 1);
}

/* find: the index of the entry with this id, or -1. */
static long find(const struct gserve *g, const char *id)
{
	size_t i;

	for (i = 0; i < g->n; i++)
		if (strcmp(g->entries[i].s->id, id) == 0)
			return (long)i;
	return -1;
}

/* clash: whether s may join the served series, entry `skip` (being
 * replaced; -1: none) left out: no other series may have its id, nor its
 * name and labels (the exposition would hold one series twice), nor its
 * metric family with another type (gseries_same_family). ERR_TOO_MANY (409)
 * with ei filled when it clashes. */
static enum err clash(const struct gserve *g, const struct gseries *s, long skip,
		      struct errinfo *ei)
{
	size_t i;

	for (i = 0; i < g->n; i++) {
		const struct gseries *o = g->entries[i].s;

		if ((long)i == skip)
			continue;
		if (strcmp(o->id, s->id) == 0)
			return err_set(ei, ERR_TOO_MANY, "a series with id %s exists", s->id);
		if (o->type != s->type && gseries_same_family(o, s))
			return err_set(ei, ERR_TOO_MANY, "series %s is a %s; %s cannot be a %s",
				       o->id, gseries_type_name(o->type), s->name,
				       gseries_type_name(s->type));
		if (gseries_same_identity(o, s))
			return err_set(ei, ERR_TOO_MANY,
				       "series %s has the same name and labels", o->id);
	}
	return OK;
}

/* ---- the exchange ---- */

void gserve_exchange_init(struct gserve_exchange *x, const char *method,
			  const char *path, const char *body, size_t body_len)
{
	memset(x, 0, sizeof(*x));
	x->method = method;
	x->path = path;
	x->body = body ? body : "";
	x->body_len = body ? body_len : 0;
	x->status = 500;
	buf_init(&x->out, OUT_MAX);
}

void gserve_exchange_free(struct gserve_exchange *x)
{
	if (!x)
		return;
	buf_free(&x->out);
	free(x->location);
	x->location = NULL;
}

/* The one table from an error to its status. ERR_NO_SERIES is a series
 * that does not exist, ERR_TOO_MANY one that would exist twice. */
static const int statuses[ERR__COUNT] = {
	[ERR_NOMEM] = 500,
	[ERR_BAD_REQUEST] = 400,
	[ERR_TOO_LARGE] = 413,
	[ERR_NO_ROUTE] = 404,
	[ERR_METHOD] = 405,
	[ERR_NO_SERIES] = 404,
	[ERR_TOO_MANY] = 409,
	[ERR_INTERNAL] = 500,
};

/* status_of: the row of the table, 500 for a code without one. */
static int status_of(enum err code)
{
	if ((unsigned)code >= ERR__COUNT || !statuses[code])
		return 500;
	return statuses[code];
}

/* answer_error: replaces the body with {"error": details}. */
static void answer_error(struct gserve_exchange *x, enum err code)
{
	x->ei.code = code;
	if (!x->ei.details[0])
		snprintf(x->ei.details, sizeof(x->ei.details), "%s",
			 code == ERR_NOMEM ? "out of memory" : err_name(code));
	buf_free(&x->out);
	buf_init(&x->out, OUT_MAX);
	x->status = status_of(code);
	x->content_type = JSON_TYPE;
	free(x->location);
	x->location = NULL;
	if (buf_puts(&x->out, "{\"error\": ") || jsonw_str(&x->out, x->ei.details) ||
	    buf_puts(&x->out, "}\n")) {
		buf_init(&x->out, OUT_MAX);
		x->status = 500;
		buf_puts(&x->out, "{\"error\": \"out of memory\"}\n");
	}
}

/* write_json: appends v as JSON, numbers in their shortest form (jansson's
 * own writer gives 0.1 as 0.10000000000000001). */
static enum err write_json(struct buf *b, const json_t *v)
{
	const char *key;
	json_t *item;
	size_t i;
	int first = 1;
	enum err rc = OK;

	switch (json_typeof(v)) {
	case JSON_OBJECT:
		rc = buf_puts(b, "{");
		json_object_foreach((json_t *)v, key, item) {
			if (!rc && !first)
				rc = buf_puts(b, ", ");
			if (!rc)
				rc = jsonw_str(b, key);
			if (!rc)
				rc = buf_puts(b, ": ");
			if (!rc)
				rc = write_json(b, item);
			first = 0;
		}
		return rc ? rc : buf_puts(b, "}");
	case JSON_ARRAY:
		rc = buf_puts(b, "[");
		json_array_foreach(v, i, item) {
			if (!rc && i)
				rc = buf_puts(b, ", ");
			if (!rc)
				rc = write_json(b, item);
		}
		return rc ? rc : buf_puts(b, "]");
	case JSON_STRING:
		return jsonw_string(b, json_string_value(v), json_string_length(v));
	case JSON_INTEGER:
		return jsonw_int(b, (int64_t)json_integer_value(v));
	case JSON_REAL:
		return jsonw_double(b, json_real_value(v));
	case JSON_TRUE:
		return buf_puts(b, "true");
	case JSON_FALSE:
		return buf_puts(b, "false");
	case JSON_NULL:
		break;
	}
	return buf_puts(b, "null");
}

/* write_summary: appends {"id", "name", "type", "labels", "help"} of s
 * (help null when the series has none). */
static enum err write_summary(struct buf *b, const struct gseries *s)
{
	enum err rc;
	size_t i;

	rc = buf_puts(b, "{\"id\": ");
	if (!rc)
		rc = jsonw_str(b, s->id);
	if (!rc)
		rc = buf_puts(b, ", \"name\": ");
	if (!rc)
		rc = jsonw_str(b, s->name);
	if (!rc)
		rc = buf_printf(b, ", \"type\": \"%s\", \"labels\": {",
				gseries_type_name(s->type));
	for (i = 0; !rc && i < s->n_labels; i++) {
		rc = buf_puts(b, i ? ", " : "");
		if (!rc)
			rc = jsonw_str(b, s->labels[i].name);
		if (!rc)
			rc = buf_puts(b, ": ");
		if (!rc)
			rc = jsonw_str(b, s->labels[i].value);
	}
	if (!rc)
		rc = buf_puts(b, "}, \"help\": ");
	if (!rc)
		rc = s->help ? jsonw_str(b, s->help) : buf_puts(b, "null");
	if (!rc)
		rc = buf_puts(b, "}");
	return rc;
}

/* url_decode: the %-decoded text of s[0..n) in a new string (to free).
 * "+" stays "+" (a path is not a form); a malformed escape or a NUL byte
 * is ERR_BAD_REQUEST. */
static enum err url_decode(const char *s, size_t n, char **out, struct errinfo *ei)
{
	static const char hexd[] = "0123456789abcdef0123456789ABCDEF";
	char *d = malloc(n + 1);
	size_t i, j = 0;
	enum err rc = OK;

	if (!d)
		return err_set(ei, ERR_NOMEM, "out of memory");
	for (i = 0; i < n; i++) {
		const char *hi, *lo;
		int v;

		if (s[i] != '%') {
			d[j++] = s[i];
			continue;
		}
		hi = i + 1 < n && s[i + 1] ? strchr(hexd, s[i + 1]) : NULL;
		lo = i + 2 < n && s[i + 2] ? strchr(hexd, s[i + 2]) : NULL;
		if (!hi || !lo) {
			rc = err_set(ei, ERR_BAD_REQUEST, "malformed %%-escape in the path");
			goto out;
		}
		v = (int)((hi - hexd) % 16) * 16 + (int)((lo - hexd) % 16);
		if (v == 0) {
			rc = err_set(ei, ERR_BAD_REQUEST, "a NUL byte in the path");
			goto out;
		}
		d[j++] = (char)v;
		i += 2;
	}
	d[j] = '\0';
	*out = d;
	d = NULL;
out:
	free(d);
	return rc;
}

/* url_encode: appends s with every byte but the unreserved ones of RFC 3986
 * written %XX. */
static enum err url_encode(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	enum err rc = OK;

	for (; !rc && *s; s++) {
		unsigned char c = (unsigned char)*s;
		char esc[3];

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~') {
			rc = buf_append(b, s, 1);
			continue;
		}
		esc[0] = '%';
		esc[1] = hex[c >> 4];
		esc[2] = hex[c & 15];
		rc = buf_append(b, esc, 3);
	}
	return rc;
}

/* series_from_body: parses and checks a request body as one series object,
 * with the messages a config file would get ("request body: $.x: ...").
 * On success *out is a new series (gseries_free + free). */
static enum err series_from_body(struct gserve *g, struct gserve_exchange *x,
				 struct gseries **out)
{
	json_error_t jerr;
	json_t *obj = NULL;
	struct gseries *s = NULL;
	enum err rc;

	obj = json_loadb(x->body, x->body_len, JSON_REJECT_DUPLICATES, &jerr);
	if (!obj) {
		/* worded as gconfig_parse words a file that is not JSON */
		rc = err_set(&x->ei, ERR_BAD_REQUEST,
			     "request body: line %d, column %d: invalid JSON: %s",
			     jerr.line, jerr.column, jerr.text);
		goto out;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		rc = err_set(&x->ei, ERR_NOMEM, "out of memory");
		goto out;
	}
	rc = gconfig_series(g->cfg, obj, "request body", "$", s, &x->ei);
	if (rc)
		goto out;
	*out = s;
	s = NULL;
out:
	if (s) {
		gseries_free(s);
		free(s);
	}
	json_decref(obj);
	return rc;
}

/* add_entry: appends an entry for s (taking it) born at global tick birth. */
static enum err add_entry(struct gserve *g, struct gseries *s, uint64_t birth,
			  struct errinfo *ei)
{
	struct gserve_entry e;
	enum err rc;

	memset(&e, 0, sizeof(e));
	if (g->n == g->cap) {
		size_t cap = g->cap ? g->cap * 2 : 8;
		struct gserve_entry *p;

		if (cap < g->cap || cap > SIZE_MAX / sizeof(*p))
			return err_set(ei, ERR_NOMEM, "out of memory");
		p = realloc(g->entries, cap * sizeof(*p));
		if (!p)
			return err_set(ei, ERR_NOMEM, "out of memory");
		g->entries = p;
		g->cap = cap;
	}
	rc = gseries_state_init(s, &e.st);
	if (rc)
		return err_set(ei, rc, "out of memory");
	e.s = s;
	e.owned = 1;
	e.birth = birth;
	g->entries[g->n++] = e;
	return OK;
}

/* ---- the handlers: each answers x or returns an error with x->ei ---- */

struct ctx {
	struct gserve *g;
	struct gserve_exchange *x;
	const char *id;         /* the decoded {id} of the path, or NULL */
	int64_t now_ms;
};

typedef enum err (*handler_fn)(struct ctx *c);

/* GET /metrics: every series brought to the tick that is due (or, with
 * --tick-per-scrape, to the next one), then the exposition of those whose
 * latest tick wrote a sample. */
static enum err h_metrics(struct ctx *c)
{
	struct gserve *g = c->g;
	const struct gseries **series = NULL;
	const struct gstate **states = NULL;
	enum err rc = ERR_NOMEM;
	size_t i, n = 0;

	if (g->tick_per_scrape) {
		gserve_advance(g, g->shown);
		g->shown++;
	} else if (gserve_due(g, c->now_ms) >= 0) {
		gserve_advance(g, (uint64_t)gserve_due(g, c->now_ms));
	}
	series = calloc(g->n ? g->n : 1, sizeof(*series));
	states = calloc(g->n ? g->n : 1, sizeof(*states));
	if (!series || !states)
		goto out;
	for (i = 0; i < g->n; i++) {
		/* a series not born yet has a fresh state: nothing written */
		series[n] = g->entries[i].s;
		states[n++] = &g->entries[i].st;
	}
	rc = expo_text(&c->x->out, series, states, n);
	if (rc)
		goto out;
	c->x->status = 200;
	c->x->content_type = METRICS_TYPE;
out:
	if (rc)
		err_set(&c->x->ei, rc, "cannot write the exposition");
	free(series);
	free(states);
	return rc;
}

/* GET /api/series: the summaries, in creation order. */
static enum err h_list(struct ctx *c)
{
	struct buf *b = &c->x->out;
	enum err rc;
	size_t i;

	rc = buf_puts(b, "[");
	for (i = 0; !rc && i < c->g->n; i++) {
		rc = buf_puts(b, i ? ",\n " : "");
		if (!rc)
			rc = write_summary(b, c->g->entries[i].s);
	}
	if (!rc)
		rc = buf_puts(b, "]\n");
	if (rc)
		return err_set(&c->x->ei, rc, "out of memory");
	c->x->status = 200;
	c->x->content_type = JSON_TYPE;
	return OK;
}

/* GET /api/series/{id}: the series object as it was given. */
static enum err h_get(struct ctx *c)
{
	long i = find(c->g, c->id);
	enum err rc;

	if (i < 0)
		return err_set(&c->x->ei, ERR_NO_SERIES, "no series with id %s", c->id);
	rc = write_json(&c->x->out, c->g->entries[i].s->source);
	if (!rc)
		rc = buf_puts(&c->x->out, "\n");
	if (rc)
		return err_set(&c->x->ei, rc, "out of memory");
	c->x->status = 200;
	c->x->content_type = JSON_TYPE;
	return OK;
}

/* answer_summary: status and the summary of s as the body. */
static enum err answer_summary(struct ctx *c, int status, const struct gseries *s)
{
	enum err rc = write_summary(&c->x->out, s);

	if (!rc)
		rc = buf_puts(&c->x->out, "\n");
	if (rc)
		return err_set(&c->x->ei, rc, "out of memory");
	c->x->status = status;
	c->x->content_type = JSON_TYPE;
	return OK;
}

/* POST /api/series: a checked body that clashes with no series becomes a
 * new series, born at the next global tick; 201 with Location. */
static enum err h_create(struct ctx *c)
{
	struct gseries *s = NULL;
	struct buf loc;
	enum err rc;

	buf_init(&loc, 64 + 3 * GSERVE_MAX_BODY);
	rc = series_from_body(c->g, c->x, &s);
	if (rc)
		goto out;
	rc = clash(c->g, s, -1, &c->x->ei);
	if (rc)
		goto out;
	rc = buf_puts(&loc, SERIES_PREFIX);
	if (!rc)
		rc = url_encode(&loc, s->id);
	if (rc) {
		err_set(&c->x->ei, rc, "out of memory");
		goto out;
	}
	rc = add_entry(c->g, s, next_tick(c->g, c->now_ms), &c->x->ei);
	if (rc)
		goto out;
	s = NULL;
	rc = answer_summary(c, 201, c->g->entries[c->g->n - 1].s);
	if (rc)
		goto out;
	c->x->location = buf_steal(&loc);
	log_msg(LOG_INFO, "series %s created", c->g->entries[c->g->n - 1].s->id);
out:
	buf_free(&loc);
	if (s) {
		gseries_free(s);
		free(s);
	}
	return rc;
}

/* PUT /api/series/{id}: the series at id replaced, in place (it keeps its
 * position in /metrics), by a checked body with the same id; the new one is
 * born at the next global tick. The old one is freed only once the new one
 * is complete, so a failure changes nothing. */
static enum err h_replace(struct ctx *c)
{
	struct gserve_entry *e;
	struct gstate st;
	struct gseries *s = NULL;
	long i = find(c->g, c->id);
	enum err rc;

	memset(&st, 0, sizeof(st));
	if (i < 0)
		return err_set(&c->x->ei, ERR_NO_SERIES, "no series with id %s", c->id);
	rc = series_from_body(c->g, c->x, &s);
	if (rc)
		goto out;
	/* the resource keeps its id: a body naming another one (by "id", or
	 * by name and labels) would move it */
	if (strcmp(s->id, c->id) != 0) {
		rc = err_set(&c->x->ei, ERR_BAD_REQUEST,
			     "request body: the series' id is %s, not %s as in the path",
			     s->id, c->id);
		goto out;
	}
	rc = clash(c->g, s, i, &c->x->ei);
	if (rc)
		goto out;
	rc = gseries_state_init(s, &st);
	if (rc) {
		err_set(&c->x->ei, rc, "out of memory");
		goto out;
	}
	e = &c->g->entries[i];
	entry_free(e);
	e->s = s;
	e->owned = 1;
	e->st = st;
	e->birth = next_tick(c->g, c->now_ms);
	s = NULL;
	memset(&st, 0, sizeof(st));
	log_msg(LOG_INFO, "series %s replaced", e->s->id);
	rc = answer_summary(c, 200, e->s);
out:
	gseries_state_free(&st);
	if (s) {
		gseries_free(s);
		free(s);
	}
	return rc;
}

/* DELETE /api/series/{id}: 204 without a body. */
static enum err h_delete(struct ctx *c)
{
	struct gserve *g = c->g;
	long i = find(g, c->id);

	if (i < 0)
		return err_set(&c->x->ei, ERR_NO_SERIES, "no series with id %s", c->id);
	log_msg(LOG_INFO, "series %s deleted", c->id);
	entry_free(&g->entries[i]);
	memmove(&g->entries[i], &g->entries[i + 1],
		(g->n - (size_t)i - 1) * sizeof(g->entries[0]));
	g->n--;
	c->x->status = 204;
	c->x->content_type = NULL;
	return OK;
}

/* One row per endpoint and method; a row with `with_id` matches
 * "/api/series/" followed by one %-encoded path segment. */
static const struct route {
	const char *path;
	int with_id;
	const char *method;
	handler_fn fn;
} routes[] = {
	{ .path = "/metrics", .method = "GET", .fn = h_metrics },
	{ .path = "/api/series", .method = "GET", .fn = h_list },
	{ .path = "/api/series", .method = "POST", .fn = h_create },
	{ .path = SERIES_PREFIX, .with_id = 1, .method = "GET", .fn = h_get },
	{ .path = SERIES_PREFIX, .with_id = 1, .method = "PUT", .fn = h_replace },
	{ .path = SERIES_PREFIX, .with_id = 1, .method = "DELETE", .fn = h_delete },
};
#define N_ROUTES (sizeof(routes) / sizeof(routes[0]))

/* path_matches: whether path is route r's ("/api/series/" + a non-empty
 * segment without "/" for a with_id row). */
static int path_matches(const struct route *r, const char *path)
{
	size_t n = strlen(r->path);

	if (!r->with_id)
		return strcmp(r->path, path) == 0;
	return strncmp(r->path, path, n) == 0 && path[n] && !strchr(path + n, '/');
}

void gserve_handle(struct gserve *g, struct gserve_exchange *x, int64_t now_ms)
{
	const struct route *r = NULL;
	struct ctx c;
	char *id = NULL;
	size_t i, alen = 0;
	enum err rc;

	memset(&c, 0, sizeof(c));
	c.g = g;
	c.x = x;
	c.now_ms = now_ms;
	for (i = 0; i < N_ROUTES; i++) {
		if (!path_matches(&routes[i], x->path))
			continue;
		if (strcmp(routes[i].method, x->method) == 0) {
			r = &routes[i];
			break;
		}
		/* the path exists with other methods: collect them for Allow */
		alen += (size_t)snprintf(x->allow + alen, sizeof(x->allow) - alen, "%s%s",
					 alen ? ", " : "", routes[i].method);
		if (alen >= sizeof(x->allow))
			alen = sizeof(x->allow) - 1;
	}
	if (!r) {
		if (x->allow[0])
			rc = err_set(&x->ei, ERR_METHOD, "%s is not allowed on this path; use %s",
				     x->method, x->allow);
		else
			rc = err_set(&x->ei, ERR_NO_ROUTE, "no such endpoint");
		goto out;
	}
	x->allow[0] = '\0';
	if (r->with_id) {
		const char *seg = x->path + strlen(r->path);

		rc = url_decode(seg, strlen(seg), &id, &x->ei);
		if (rc)
			goto out;
		c.id = id;
	}
	rc = r->fn(&c);
out:
	if (rc)
		answer_error(x, rc);
	free(id);
}

/* ---- FastCGI ---- */

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* request_path: the path as the client sent it, %-escapes kept, so that an
 * id holding "/" (%2F) stays one segment: REQUEST_URI without its query;
 * else SCRIPT_NAME + PATH_INFO (already decoded by the web server). */
static enum err request_path(FCGX_Request *req, struct buf *out)
{
	const char *p = FCGX_GetParam("REQUEST_URI", req->envp);
	const char *script, *info;

	if (p && *p)
		return buf_append(out, p, strcspn(p, "?#"));
	script = FCGX_GetParam("SCRIPT_NAME", req->envp);
	info = FCGX_GetParam("PATH_INFO", req->envp);
	if ((script && *script) || (info && *info))
		return buf_printf(out, "%s%s", script ? script : "", info ? info : "");
	p = FCGX_GetParam("DOCUMENT_URI", req->envp);
	return buf_puts(out, p && *p ? p : "/");
}

/* respond: writes the CGI header block and the body of x. */
static void respond(FCGX_Request *req, const struct gserve_exchange *x)
{
	struct buf head;
	size_t off;

	/* libfcgi's own printf lacks C99 length modifiers: format here */
	buf_init(&head, 4096 + (x->location ? strlen(x->location) : 0));
	buf_printf(&head, "Status: %d %s\r\n", x->status, fcgi_reason(x->status));
	if (x->content_type)
		buf_printf(&head, "Content-Type: %s\r\nContent-Length: %zu\r\n",
			   x->content_type, x->out.len);
	if (x->allow[0])
		buf_printf(&head, "Allow: %s\r\n", x->allow);
	if (x->location)
		buf_printf(&head, "Location: %s\r\n", x->location);
	buf_puts(&head, "\r\n");
	FCGX_PutStr(buf_cstr(&head), (int)head.len, req->out);
	buf_free(&head);
	for (off = 0; x->content_type && off < x->out.len;) {
		/* FCGX_PutStr takes an int length */
		size_t part = x->out.len - off > (1u << 30) ? (1u << 30) : x->out.len - off;

		if (FCGX_PutStr(buf_cstr(&x->out) + off, (int)part, req->out) < 0)
			break;
		off += part;
	}
}

/* serve_one: reads, answers and logs one accepted request. */
static void serve_one(struct gserve *g, FCGX_Request *req)
{
	const char *method = FCGX_GetParam("REQUEST_METHOD", req->envp);
	struct gserve_exchange x;
	struct buf body, path;
	enum err rc;

	buf_init(&body, GSERVE_MAX_BODY);
	buf_init(&path, 8192);
	rc = request_path(req, &path);
	gserve_exchange_init(&x, method ? method : "GET", rc ? "/" : buf_cstr(&path),
			     NULL, 0);
	if (rc) {
		err_set(&x.ei, ERR_BAD_REQUEST, "the path is too long");
	} else {
		rc = fcgi_read_body(req, GSERVE_MAX_BODY, "the body limit", &body, &x.ei);
		x.body = buf_cstr(&body);
		x.body_len = body.len;
	}
	if (rc)
		answer_error(&x, rc);
	else
		gserve_handle(g, &x, now_ms());
	respond(req, &x);
	log_msg(x.status >= 500 ? LOG_WARN : x.status >= 400 ? LOG_INFO : LOG_DEBUG,
		"request method=%.16s path=%.200s status=%d error=%s", x.method, x.path,
		x.status, x.status >= 400 ? x.ei.details : "-");
	gserve_exchange_free(&x);
	buf_free(&body);
	buf_free(&path);
}

enum err gserve_run(struct gserve *g, int sock, volatile sig_atomic_t *stop)
{
	FCGX_Request req;
	enum err rc = OK;

	if (FCGX_InitRequest(&req, sock, FCGI_FAIL_ACCEPT_ON_INTR) != 0)
		return ERR_INTERNAL;
	while (!*stop) {
		if (FCGX_Accept_r(&req) < 0) {
			if (!*stop)
				rc = ERR_INTERNAL;
			break;
		}
		serve_one(g, &req);
		FCGX_Finish_r(&req);
	}
	FCGX_Free(&req, 1);
	return rc;
}
