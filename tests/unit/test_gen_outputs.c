/* test_gen_outputs.c - the three outputs of metrics-generator from one
 * configuration: backfill's OpenMetrics text, remote-write's batches and
 * serve's /metrics, each read back into (sample name and labels, tick,
 * value) and compared sample by sample; then each output's own rules (the
 * clock of ticks, batch limits, stale markers, nothing written on a
 * run-time error, the API's answers). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "generator/backfill.h"
#include "generator/gconfig.h"
#include "generator/gserve.h"
#include "generator/remote.h"

#define START_MS 1772323200000LL        /* 2026-03-01T00:00:00Z */
#define INTERVAL_MS 15000LL
#define N_TICKS 30

/* Every kind of program: a gap, a reset, an end, random, sin, arithmetic,
 * a histogram, labels that need escaping. */
static const char config_text[] =
	"{\"interval\": \"15s\", \"start\": \"2026-03-01T00:00:00Z\", \"seed\": 42,\n"
	" \"series\": [\n"
	"  {\"name\": \"t_gauge\", \"type\": \"gauge\", \"help\": \"A gauge.\",\n"
	"   \"labels\": {\"room\": \"lab \\\"1\\\"\", \"a\": \"x\"},\n"
	"   \"program\": {\"join\": [{\"linear\": {\"from\": 10, \"to\": 20, \"ticks\": 11}},\n"
	"     {\"void\": 4}, {\"loop\": {\"times\": 2, \"body\": {\"values\": [1, 2, 3]}}}]}},\n"
	"  {\"name\": \"t_requests_total\", \"type\": \"counter\",\n"
	"   \"program\": {\"join\": [{\"values\": [5, 5, 5]}, {\"reset\": 1}, {\"constant\": 2}]}},\n"
	"  {\"name\": \"t_latency_seconds\", \"type\": \"histogram\", \"buckets\": [0.1, 0.5, 1],\n"
	"   \"program\": {\"add\": [{\"sin\": {\"amplitude\": 0.2, \"period\": \"10m\"}},\n"
	"     {\"constant\": 0.4}]}},\n"
	"  {\"name\": \"t_random\", \"type\": \"gauge\", \"labels\": {\"z\": \"1\"},\n"
	"   \"program\": {\"random\": {\"min\": -5, \"max\": 5}}},\n"
	"  {\"name\": \"t_random\", \"type\": \"gauge\", \"labels\": {\"z\": \"2\"},\n"
	"   \"program\": {\"div\": [{\"random\": {\"min\": 0, \"max\": 1}}, {\"values\": [1, 0, 3]}]}}\n"
	" ]}\n";

/* One sample read back from an output. */
struct row {
	char key[160];          /* name{label="value",...}, labels sorted */
	uint64_t tick;
	double value;
};

struct rows {
	struct row *v;
	size_t n, cap;
};

static void rows_add(struct rows *r, const char *key, uint64_t tick, double value)
{
	if (r->n == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 64;
		r->v = realloc(r->v, r->cap * sizeof(*r->v));
		assert_non_null(r->v);
	}
	assert_true(strlen(key) < sizeof(r->v[0].key));
	snprintf(r->v[r->n].key, sizeof(r->v[0].key), "%s", key);
	r->v[r->n].tick = tick;
	r->v[r->n].value = value;
	r->n++;
}

static int row_cmp(const void *a, const void *b)
{
	const struct row *x = a, *y = b;
	int c = strcmp(x->key, y->key);

	if (c)
		return c;
	return x->tick < y->tick ? -1 : x->tick > y->tick;
}

/* rows_equal: the same samples, values bit for bit (NaN included). */
static void rows_equal(struct rows *a, struct rows *b, const char *what)
{
	size_t i;

	qsort(a->v, a->n, sizeof(*a->v), row_cmp);
	qsort(b->v, b->n, sizeof(*b->v), row_cmp);
	for (i = 0; i < a->n && i < b->n; i++) {
		if (strcmp(a->v[i].key, b->v[i].key) || a->v[i].tick != b->v[i].tick ||
		    memcmp(&a->v[i].value, &b->v[i].value, sizeof(double)))
			fail_msg("%s: sample %zu: %s@%llu=%.17g vs %s@%llu=%.17g", what, i,
				 a->v[i].key, (unsigned long long)a->v[i].tick, a->v[i].value,
				 b->v[i].key, (unsigned long long)b->v[i].tick, b->v[i].value);
	}
	if (a->n != b->n)
		fail_msg("%s: %zu samples vs %zu", what, a->n, b->n);
}

static void rows_free(struct rows *r)
{
	free(r->v);
	memset(r, 0, sizeof(*r));
}

struct label {
	char name[32];
	char value[64];
};

static int label_cmp(const void *a, const void *b)
{
	return strcmp(((const struct label *)a)->name, ((const struct label *)b)->name);
}

/* make_key: name{a="x",b="y"} with the labels sorted by name and values
 * escaped as the text formats escape them. */
static void make_key(char *out, size_t cap, const char *name, struct label *l, size_t n)
{
	size_t i, len;

	qsort(l, n, sizeof(*l), label_cmp);
	len = (size_t)snprintf(out, cap, "%s", name);
	for (i = 0; i < n; i++) {
		const char *c;

		len += (size_t)snprintf(out + len, cap - len, "%s%s=\"", i ? "," : "{", l[i].name);
		for (c = l[i].value; *c; c++)
			len += (size_t)snprintf(out + len, cap - len, "%s%c",
						*c == '"' || *c == '\\' ? "\\" : "", *c);
		len += (size_t)snprintf(out + len, cap - len, "\"");
	}
	if (n)
		snprintf(out + len, cap - len, "}");
	assert_true(len < cap);
}

/* parse_line: a sample line "name{labels} value[ ts]" of either text
 * format into its key, value and (when present) timestamp in ms. */
static void parse_line(const char *line, char *key, size_t cap, double *value,
		       int64_t *ts_ms)
{
	struct label l[8];
	char name[64];
	const char *p = line;
	size_t n = 0, len;
	char *end;

	len = strcspn(p, "{ ");
	assert_true(len < sizeof(name));
	memcpy(name, p, len);
	name[len] = '\0';
	p += len;
	if (*p == '{') {
		p++;
		while (*p != '}') {
			size_t j = 0;

			assert_true(n < 8);
			len = strcspn(p, "=");
			assert_true(len < sizeof(l[n].name));
			memcpy(l[n].name, p, len);
			l[n].name[len] = '\0';
			p += len + 2;           /* =" */
			while (*p != '"') {
				if (*p == '\\')
					p++;
				assert_true(j + 1 < sizeof(l[n].value));
				l[n].value[j++] = *p++;
			}
			l[n++].value[j] = '\0';
			p++;
			if (*p == ',')
				p++;
		}
		p++;
	}
	make_key(key, cap, name, l, n);
	assert_int_equal(*p, ' ');
	*value = strtod(p + 1, &end);   /* reads "+Inf" and "NaN" too */
	*ts_ms = -1;
	if (*end == ' ') {
		double s = strtod(end + 1, NULL);

		*ts_ms = (int64_t)llround(s * 1000.0);
	}
}

/* text_rows: each sample line of text into r (comments skipped); the
 * tick from the timestamp when with_ts, else `tick`. */
static void text_rows(const char *text, struct rows *r, int with_ts, uint64_t tick)
{
	const char *p = text;

	while (*p) {
		size_t len = strcspn(p, "\n");
		char line[512], key[160];
		double v;
		int64_t ts;

		assert_true(len < sizeof(line));
		memcpy(line, p, len);
		line[len] = '\0';
		p += len + (p[len] == '\n');
		if (line[0] == '#' || !line[0])
			continue;
		parse_line(line, key, sizeof(key), &v, &ts);
		if (with_ts) {
			assert_true(ts >= START_MS);
			assert_int_equal((ts - START_MS) % INTERVAL_MS, 0);
			tick = (uint64_t)((ts - START_MS) / INTERVAL_MS);
		}
		rows_add(r, key, tick, v);
	}
}

static void load(struct gconfig *cfg)
{
	struct errinfo ei;

	memset(&ei, 0, sizeof(ei));
	if (gconfig_parse(config_text, sizeof(config_text) - 1, "test", cfg, &ei))
		fail_msg("config: %s", ei.details);
	assert_int_equal(cfg->start_ms, START_MS);
	assert_int_equal(cfg->interval_ms, INTERVAL_MS);
}

/* backfill_text: backfill_run of ticks [first, last] into a string. */
static char *backfill_text(const struct gconfig *cfg, uint64_t first, uint64_t last,
			   enum err *rc, struct errinfo *ei)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	assert_non_null(f);
	*rc = backfill_run(cfg, START_MS, first, last, f, ei);
	assert_int_equal(fclose(f), 0);
	return text;
}

/* backfill_rows: the samples backfill writes for ticks [first, last]. */
static void backfill_rows(const struct gconfig *cfg, uint64_t first, uint64_t last,
			  struct rows *r)
{
	struct errinfo ei;
	enum err rc;
	char *text;

	memset(&ei, 0, sizeof(ei));
	text = backfill_text(cfg, first, last, &rc, &ei);
	if (rc)
		fail_msg("backfill: %s", ei.details);
	assert_non_null(strstr(text, "# EOF\n"));
	assert_string_equal(strstr(text, "# EOF\n"), "# EOF\n");
	text_rows(text, r, 1, 0);
	free(text);
}

/* remote_rows: the samples of every batch remote_gen builds for ticks
 * [first, last], batch_max samples at most per batch. */
static void remote_rows(const struct gconfig *cfg, uint64_t first, uint64_t last,
			size_t batch_max, int stale, struct rows *r, size_t *batches)
{
	struct remote_gen g;
	int done = 0;

	*batches = 0;
	assert_int_equal(remote_gen_init(&g, cfg->series, cfg->n_series, START_MS,
					 INTERVAL_MS, batch_max, stale), OK);
	g.errlog = NULL;
	assert_int_equal(remote_gen_skip(&g, first), OK);
	while (!done) {
		const struct pb_series *ps;
		size_t i, j, n, total = 0;

		assert_int_equal(remote_gen_fill(&g, last, &done), OK);
		n = remote_gen_batch(&g, &ps);
		for (i = 0; i < n; i++) {
			struct label l[8];
			const char *name = NULL;
			char key[160];
			size_t nl = 0;

			for (j = 0; j < ps[i].n_labels; j++) {
				if (j)  /* sorted by name, as remote-write wants */
					assert_true(strcmp(ps[i].labels[j - 1].name,
							   ps[i].labels[j].name) < 0);
				if (strcmp(ps[i].labels[j].name, "__name__") == 0) {
					name = ps[i].labels[j].value;
					continue;
				}
				snprintf(l[nl].name, sizeof(l[nl].name), "%s", ps[i].labels[j].name);
				snprintf(l[nl].value, sizeof(l[nl].value), "%s", ps[i].labels[j].value);
				nl++;
			}
			assert_non_null(name);
			make_key(key, sizeof(key), name, l, nl);
			for (j = 0; j < ps[i].n_samples; j++) {
				int64_t ts = ps[i].samples[j].timestamp_ms;

				if (j)
					assert_true(ts > ps[i].samples[j - 1].timestamp_ms);
				assert_int_equal((ts - START_MS) % INTERVAL_MS, 0);
				rows_add(r, key, (uint64_t)((ts - START_MS) / INTERVAL_MS),
					 ps[i].samples[j].value);
			}
			total += ps[i].n_samples;
		}
		assert_true(total <= batch_max);
		assert_int_equal(total, g.batch_len);
		if (total)
			(*batches)++;
		remote_gen_clear(&g);
	}
	remote_gen_free(&g);
}

/* serve_get: one exchange with the responder; the caller frees x. */
static void serve_get(struct gserve *g, struct gserve_exchange *x, const char *method,
		      const char *path, const char *body, int64_t now_ms)
{
	gserve_exchange_init(x, method, path, body, body ? strlen(body) : 0);
	gserve_handle(g, x, now_ms);
}

/* serve_rows: GET /metrics n times with --tick-per-scrape; scrape k is
 * tick k. */
static void serve_rows(const struct gconfig *cfg, uint64_t n, struct rows *r)
{
	struct gserve g;
	uint64_t k;

	assert_int_equal(gserve_init(&g, cfg, 1, START_MS), OK);
	for (k = 0; k < n; k++) {
		struct gserve_exchange x;

		serve_get(&g, &x, "GET", "/metrics", NULL, 0);
		assert_int_equal(x.status, 200);
		assert_string_equal(x.content_type, "text/plain; version=0.0.4; charset=utf-8");
		text_rows(buf_cstr(&x.out), r, 0, k);
		gserve_exchange_free(&x);
	}
	gserve_free(&g);
}

static void test_gen_outputs_give_the_same_samples_from_one_config(void **state)
{
	struct gconfig cfg;
	struct rows bf = { 0 }, rw = { 0 }, sv = { 0 };
	size_t batches;

	(void)state;
	load(&cfg);
	backfill_rows(&cfg, 0, N_TICKS - 1, &bf);
	remote_rows(&cfg, 0, N_TICKS - 1, 7, 0, &rw, &batches);
	serve_rows(&cfg, N_TICKS, &sv);
	/* 11 + 6 gauge ticks, 30 counter ticks, 30 * 6 histogram samples,
	 * 30 random ticks, 3 of the division (it ends with its divisor) */
	assert_int_equal(bf.n, 17 + 30 + 180 + 30 + 3);
	assert_true(batches >= bf.n / 7);
	rows_equal(&bf, &rw, "backfill vs remote-write");
	rows_equal(&bf, &sv, "backfill vs serve");
	rows_free(&bf);
	rows_free(&rw);
	rows_free(&sv);
	gconfig_free(&cfg);
}

static void test_gen_outputs_agree_on_a_window_inside_the_history(void **state)
{
	struct gconfig cfg;
	struct rows bf = { 0 }, rw = { 0 }, all = { 0 }, tail = { 0 };
	size_t batches, i;

	(void)state;
	load(&cfg);
	/* ticks 12..20: counters and histograms carry ticks 0..11 in */
	backfill_rows(&cfg, 12, 20, &bf);
	remote_rows(&cfg, 12, 20, 1, 0, &rw, &batches);
	assert_int_equal(batches, rw.n);        /* one sample per batch */
	rows_equal(&bf, &rw, "window: backfill vs remote-write");
	/* the same as those ticks of a run from tick 0 */
	backfill_rows(&cfg, 0, 20, &all);
	for (i = 0; i < all.n; i++)
		if (all.v[i].tick >= 12)
			rows_add(&tail, all.v[i].key, all.v[i].tick, all.v[i].value);
	rows_equal(&bf, &tail, "window vs the same ticks of a longer run");
	rows_free(&bf);
	rows_free(&rw);
	rows_free(&all);
	rows_free(&tail);
	gconfig_free(&cfg);
}

static void test_gen_outputs_backfill_ticks_follow_the_clock(void **state)
{
	struct errinfo ei;
	uint64_t f = 99, l = 99;

	(void)state;
	memset(&ei, 0, sizeof(ei));
	/* both ends included */
	assert_int_equal(backfill_ticks(0, 15000, 0, 45000, &f, &l, &ei), OK);
	assert_int_equal(f, 0);
	assert_int_equal(l, 3);
	/* a window before start begins at tick 0; mid-interval ends round in */
	assert_int_equal(backfill_ticks(60000, 15000, 0, 100000, &f, &l, &ei), OK);
	assert_int_equal(f, 0);
	assert_int_equal(l, 2);
	assert_int_equal(backfill_ticks(0, 15000, 1, 29999, &f, &l, &ei), OK);
	assert_int_equal(f, 1);
	assert_int_equal(l, 1);
	/* no tick inside: nothing set */
	f = l = 99;
	assert_int_equal(backfill_ticks(0, 15000, 1, 14999, &f, &l, &ei), ERR_NO_SERIES);
	assert_int_equal(backfill_ticks(60000, 15000, 0, 59999, &f, &l, &ei), ERR_NO_SERIES);
	assert_int_equal(f, 99);
	assert_int_equal(backfill_ticks(0, 15000, 10, 5, &f, &l, &ei), ERR_BAD_REQUEST);
	assert_int_equal(backfill_ticks(INT64_MIN, 15000, INT64_MAX - 1, INT64_MAX, &f, &l, &ei),
			 ERR_BAD_REQUEST);
	/* t of a tick is computed from whole milliseconds */
	assert_true(backfill_tick_seconds(3, 15000) == 45.0);
	assert_true(backfill_tick_seconds(7, 100) == 0.7);
}

static void test_gen_outputs_backfill_writes_nothing_on_a_negative_increment(void **state)
{
	static const char text[] =
		"{\"series\": [{\"name\": \"ok\", \"type\": \"gauge\", \"program\": {\"constant\": 1}},"
		" {\"name\": \"bad_total\", \"type\": \"counter\","
		"  \"program\": {\"values\": [1, 2, -3, 4]}}]}";
	struct gconfig cfg;
	struct errinfo ei;
	enum err rc;
	char *out;

	(void)state;
	memset(&ei, 0, sizeof(ei));
	assert_int_equal(gconfig_parse(text, sizeof(text) - 1, "neg", &cfg, &ei), OK);
	/* the error is before the window: still an error, still nothing */
	out = backfill_text(&cfg, 3, 3, &rc, &ei);
	assert_int_equal(rc, ERR_INTERNAL);
	assert_string_equal(ei.details, "series bad_total: negative increment -3 at tick 2");
	assert_string_equal(out, "");
	free(out);
	gconfig_free(&cfg);
}

static void test_gen_outputs_backfill_groups_families(void **state)
{
	static const char text[] =
		"{\"series\": ["
		" {\"name\": \"a_total\", \"type\": \"counter\", \"labels\": {\"x\": \"1\"}, \"program\": {\"constant\": 1}},"
		" {\"name\": \"b\", \"type\": \"gauge\", \"program\": {\"constant\": 2}},"
		" {\"name\": \"a_total\", \"type\": \"counter\", \"labels\": {\"x\": \"2\"}, \"program\": {\"constant\": 3}}]}";
	static const char want[] =
		"# TYPE a counter\n"
		"a_total{x=\"1\"} 1 1772323200\n"
		"a_total{x=\"1\"} 2 1772323215\n"
		"a_total{x=\"2\"} 3 1772323200\n"
		"a_total{x=\"2\"} 6 1772323215\n"
		"# TYPE b gauge\n"
		"b 2 1772323200\n"
		"b 2 1772323215\n"
		"# EOF\n";
	struct gconfig cfg;
	struct errinfo ei;
	enum err rc;
	char *out;

	(void)state;
	memset(&ei, 0, sizeof(ei));
	assert_int_equal(gconfig_parse(text, sizeof(text) - 1, "fam", &cfg, &ei), OK);
	out = backfill_text(&cfg, 0, 1, &rc, &ei);
	assert_int_equal(rc, OK);
	assert_string_equal(out, want);
	free(out);
	gconfig_free(&cfg);
}

static void test_gen_outputs_remote_marks_an_ended_series_stale(void **state)
{
	static const char text[] =
		"{\"series\": ["
		" {\"name\": \"short\", \"type\": \"gauge\", \"program\": {\"values\": [1, 2]}},"
		" {\"name\": \"h\", \"type\": \"histogram\", \"buckets\": [1], \"program\": {\"values\": [0.5]}},"
		" {\"name\": \"never\", \"type\": \"gauge\", \"program\": {\"join\": [{\"void\": 5}, {\"values\": [1]}]}},"
		" {\"name\": \"on\", \"type\": \"gauge\", \"program\": {\"constant\": 7}}]}";
	struct gconfig cfg;
	struct errinfo ei;
	struct remote_gen g;
	const struct pb_series *ps;
	size_t n, i, stale = 0;
	int done;

	(void)state;
	memset(&ei, 0, sizeof(ei));
	assert_int_equal(gconfig_parse(text, sizeof(text) - 1, "st", &cfg, &ei), OK);
	assert_int_equal(remote_gen_init(&g, cfg.series, cfg.n_series, 0, 1000, 100, 1), OK);
	assert_int_equal(remote_gen_skip(&g, 0), OK);
	/* tick 0, 1: values; tick 2: short ends (one stale marker), h ended
	 * at tick 1 (four: two buckets, sum, count) */
	assert_int_equal(remote_gen_fill(&g, 2, &done), OK);
	assert_int_equal(done, 1);
	n = remote_gen_batch(&g, &ps);
	for (i = 0; i < n; i++) {
		const struct pb_sample *last = &ps[i].samples[ps[i].n_samples - 1];
		uint64_t bits;

		memcpy(&bits, &last->value, sizeof(bits));
		if (bits == PB_STALE_NAN_BITS) {
			stale++;
			assert_true(isnan(last->value));
		}
	}
	assert_int_equal(stale, 1 + 4);
	/* "never" had no sample before it ended: no marker; "on" goes on */
	assert_int_equal(g.n_live, 2);
	remote_gen_free(&g);
	gconfig_free(&cfg);
}

static void test_gen_outputs_remote_keeps_the_others_after_a_negative_increment(void **state)
{
	static const char text[] =
		"{\"series\": ["
		" {\"name\": \"bad_total\", \"type\": \"counter\", \"program\": {\"values\": [1, -1, 1]}},"
		" {\"name\": \"good\", \"type\": \"gauge\", \"program\": {\"values\": [1, 2, 3]}}]}";
	struct gconfig cfg;
	struct errinfo ei;
	struct rows r = { 0 };
	struct remote_gen g;
	const struct pb_series *ps;
	size_t n, i, j;
	int done;

	(void)state;
	memset(&ei, 0, sizeof(ei));
	assert_int_equal(gconfig_parse(text, sizeof(text) - 1, "neg", &cfg, &ei), OK);
	assert_int_equal(remote_gen_init(&g, cfg.series, cfg.n_series, 0, 1000, 100, 0), OK);
	g.errlog = NULL;
	assert_int_equal(remote_gen_fill(&g, 5, &done), OK);
	n = remote_gen_batch(&g, &ps);
	for (i = 0; i < n; i++)
		for (j = 0; j < ps[i].n_samples; j++)
			rows_add(&r, ps[i].labels[0].value, (uint64_t)ps[i].samples[j].timestamp_ms,
				 ps[i].samples[j].value);
	assert_int_equal(g.n_errors, 1);
	assert_int_equal(r.n, 1 + 3);
	rows_free(&r);
	remote_gen_free(&g);
	gconfig_free(&cfg);
}

static void test_gen_outputs_serve_follows_the_wall_clock_lazily(void **state)
{
	struct gconfig cfg;
	struct gserve g;
	struct gserve_exchange x;

	(void)state;
	load(&cfg);
	assert_int_equal(gserve_init(&g, &cfg, 0, START_MS), OK);
	assert_int_equal(gserve_due(&g, START_MS - 1), -1);
	assert_int_equal(gserve_due(&g, START_MS + 14999), 0);
	/* before tick 0 nothing is due: an empty exposition */
	serve_get(&g, &x, "GET", "/metrics", NULL, START_MS - 1);
	assert_int_equal(x.status, 200);
	assert_string_equal(buf_cstr(&x.out), "");
	gserve_exchange_free(&x);
	/* tick 12 is due: the counter carries ticks 0..12 (5, 10, 15, 0, 2..) */
	serve_get(&g, &x, "GET", "/metrics", NULL, START_MS + 12 * INTERVAL_MS + 5);
	assert_non_null(strstr(buf_cstr(&x.out), "\nt_requests_total 18\n"));
	/* tick 12 of the gauge is void: absent */
	assert_null(strstr(buf_cstr(&x.out), "t_gauge"));
	gserve_exchange_free(&x);
	/* the same tick again changes nothing */
	serve_get(&g, &x, "GET", "/metrics", NULL, START_MS + 13 * INTERVAL_MS - 1);
	assert_non_null(strstr(buf_cstr(&x.out), "\nt_requests_total 18\n"));
	gserve_exchange_free(&x);
	gserve_free(&g);
	gconfig_free(&cfg);
}

static void test_gen_outputs_serve_starts_a_new_series_on_the_next_tick(void **state)
{
	static const char body[] =
		"{\"name\": \"n_total\", \"type\": \"counter\", \"labels\": {\"j\": \"a\"},"
		" \"program\": {\"values\": [1, 10]}}";
	struct gconfig cfg;
	struct gserve g;
	struct gserve_exchange x;
	int64_t t = START_MS + 3 * INTERVAL_MS + 1;   /* tick 3 is due */

	(void)state;
	load(&cfg);
	assert_int_equal(gserve_init(&g, &cfg, 0, START_MS), OK);
	serve_get(&g, &x, "POST", "/api/series", body, t);
	assert_int_equal(x.status, 201);
	assert_string_equal(x.location, "/api/series/n_total%7Bj%3D%22a%22%7D");
	assert_string_equal(buf_cstr(&x.out), "{\"id\": \"n_total{j=\\\"a\\\"}\", \"name\": "
			    "\"n_total\", \"type\": \"counter\", \"labels\": {\"j\": \"a\"}, "
			    "\"help\": null}\n");
	gserve_exchange_free(&x);
	/* still tick 3: not born yet */
	serve_get(&g, &x, "GET", "/metrics", NULL, t);
	assert_null(strstr(buf_cstr(&x.out), "n_total"));
	gserve_exchange_free(&x);
	/* tick 4 is its tick 0, tick 5 its tick 1 */
	serve_get(&g, &x, "GET", "/metrics", NULL, t + INTERVAL_MS);
	assert_non_null(strstr(buf_cstr(&x.out), "\nn_total{j=\"a\"} 1\n"));
	gserve_exchange_free(&x);
	serve_get(&g, &x, "GET", "/metrics", NULL, t + 2 * INTERVAL_MS);
	assert_non_null(strstr(buf_cstr(&x.out), "\nn_total{j=\"a\"} 11\n"));
	gserve_exchange_free(&x);
	serve_get(&g, &x, "POST", "/api/series", body, t);
	assert_int_equal(x.status, 409);
	gserve_exchange_free(&x);
	gserve_free(&g);
	gconfig_free(&cfg);
}

static void test_gen_outputs_serve_answers_errors_as_json(void **state)
{
	static const struct {
		const char *method, *path, *body;
		int status;
		const char *allow, *answer;
	} cases[] = {
		{ "GET", "/nope", NULL, 404, "", "{\"error\": \"no such endpoint\"}\n" },
		{ "GET", "/api/series/", NULL, 404, "", "{\"error\": \"no such endpoint\"}\n" },
		{ "GET", "/api/series/a/b", NULL, 404, "", "{\"error\": \"no such endpoint\"}\n" },
		{ "DELETE", "/api/series", NULL, 405, "GET, POST",
		  "{\"error\": \"DELETE is not allowed on this path; use GET, POST\"}\n" },
		{ "HEAD", "/metrics", NULL, 405, "GET",
		  "{\"error\": \"HEAD is not allowed on this path; use GET\"}\n" },
		{ "GET", "/api/series/t_random%7Bz%3D%221%22", NULL, 404, "",
		  "{\"error\": \"no series with id t_random{z=\\\"1\\\"\"}\n" },
		{ "GET", "/api/series/x%2", NULL, 400, "",
		  "{\"error\": \"malformed %-escape in the path\"}\n" },
		{ "GET", "/api/series/x%00", NULL, 400, "",
		  "{\"error\": \"a NUL byte in the path\"}\n" },
		{ "POST", "/api/series", "{\"name\": \"g\", \"type\": \"gauge\", \"program\": {\"linear\": "
		  "{\"from\": 1, \"to\": 2, \"ticks\": 0}}}", 400, "",
		  "{\"error\": \"request body: $.program.linear.ticks: expected an integer >= 1, "
		  "got 0\"}\n" },
		{ "POST", "/api/series", "{\"name\": \"t_random\", \"type\": \"gauge\", \"labels\": "
		  "{\"z\": \"1\"}, \"program\": {\"constant\": 1}}", 409, "",
		  "{\"error\": \"a series with id t_random{z=\\\"1\\\"} exists\"}\n" },
		{ "POST", "/api/series", "{\"id\": \"other\", \"name\": \"t_random\", \"type\": "
		  "\"gauge\", \"labels\": {\"z\": \"1\"}, \"program\": {\"constant\": 1}}", 409, "",
		  "{\"error\": \"series t_random{z=\\\"1\\\"} has the same name and labels\"}\n" },
		{ "POST", "/api/series", "{\"name\": \"t_random\", \"type\": \"counter\", "
		  "\"program\": {\"constant\": 1}}", 400, "",
		  "{\"error\": \"request body: $.name: expected a counter name ending in _total, "
		  "got \\\"t_random\\\"\"}\n" },
		{ "POST", "/api/series", "{\"name\": \"t_gauge\", \"type\": \"histogram\", "
		  "\"buckets\": [1], \"program\": {\"constant\": 1}}", 409, "",
		  "{\"error\": \"series t_gauge{a=\\\"x\\\", room=\\\"lab \\\\\\\"1\\\\\\\"\\\"} is a "
		  "gauge; t_gauge cannot be a histogram\"}\n" },
		{ "PUT", "/api/series/t_requests_total", "{\"name\": \"t_requests_total\", \"type\": "
		  "\"counter\", \"labels\": {\"k\": \"v\"}, \"program\": {\"constant\": 1}}", 400, "",
		  "{\"error\": \"request body: the series' id is t_requests_total{k=\\\"v\\\"}, not "
		  "t_requests_total as in the path\"}\n" },
		{ "DELETE", "/api/series/nothing", NULL, 404, "",
		  "{\"error\": \"no series with id nothing\"}\n" },
	};
	struct gconfig cfg;
	struct gserve g;
	size_t i;

	(void)state;
	load(&cfg);
	assert_int_equal(gserve_init(&g, &cfg, 1, START_MS), OK);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct gserve_exchange x;

		serve_get(&g, &x, cases[i].method, cases[i].path, cases[i].body, START_MS);
		if (x.status != cases[i].status || strcmp(x.allow, cases[i].allow) ||
		    strcmp(buf_cstr(&x.out), cases[i].answer))
			fail_msg("case %zu: %d [%s] %s", i, x.status, x.allow, buf_cstr(&x.out));
		assert_string_equal(x.content_type, "application/json");
		gserve_exchange_free(&x);
	}
	/* none of them changed the series */
	assert_int_equal(g.n, cfg.n_series);
	gserve_free(&g);
	gconfig_free(&cfg);
}

static void test_gen_outputs_serve_replaces_and_deletes(void **state)
{
	static const char body[] = "{\"name\": \"t_requests_total\", \"type\": \"counter\", "
		"\"program\": {\"values\": [100]}}";
	struct gconfig cfg;
	struct gserve g;
	struct gserve_exchange x;

	(void)state;
	load(&cfg);
	assert_int_equal(gserve_init(&g, &cfg, 1, START_MS), OK);
	serve_get(&g, &x, "GET", "/metrics", NULL, 0);            /* tick 0 */
	assert_non_null(strstr(buf_cstr(&x.out), "\nt_requests_total 5\n"));
	gserve_exchange_free(&x);
	serve_get(&g, &x, "PUT", "/api/series/t_requests_total", body, 0);
	assert_int_equal(x.status, 200);
	gserve_exchange_free(&x);
	serve_get(&g, &x, "GET", "/api/series/t_requests_total", NULL, 0);
	assert_string_equal(buf_cstr(&x.out), "{\"name\": \"t_requests_total\", \"type\": "
			    "\"counter\", \"program\": {\"values\": [100]}}\n");
	gserve_exchange_free(&x);
	serve_get(&g, &x, "GET", "/metrics", NULL, 0);            /* its tick 0 */
	assert_non_null(strstr(buf_cstr(&x.out), "\nt_requests_total 100\n"));
	gserve_exchange_free(&x);
	serve_get(&g, &x, "DELETE", "/api/series/t_requests_total", NULL, 0);
	assert_int_equal(x.status, 204);
	assert_null(x.content_type);
	assert_int_equal(x.out.len, 0);
	gserve_exchange_free(&x);
	serve_get(&g, &x, "GET", "/metrics", NULL, 0);
	assert_null(strstr(buf_cstr(&x.out), "t_requests_total"));
	gserve_exchange_free(&x);
	assert_int_equal(g.n, cfg.n_series - 1);
	gserve_free(&g);
	gconfig_free(&cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gen_outputs_give_the_same_samples_from_one_config),
		cmocka_unit_test(test_gen_outputs_agree_on_a_window_inside_the_history),
		cmocka_unit_test(test_gen_outputs_backfill_ticks_follow_the_clock),
		cmocka_unit_test(test_gen_outputs_backfill_writes_nothing_on_a_negative_increment),
		cmocka_unit_test(test_gen_outputs_backfill_groups_families),
		cmocka_unit_test(test_gen_outputs_remote_marks_an_ended_series_stale),
		cmocka_unit_test(test_gen_outputs_remote_keeps_the_others_after_a_negative_increment),
		cmocka_unit_test(test_gen_outputs_serve_follows_the_wall_clock_lazily),
		cmocka_unit_test(test_gen_outputs_serve_starts_a_new_series_on_the_next_tick),
		cmocka_unit_test(test_gen_outputs_serve_answers_errors_as_json),
		cmocka_unit_test(test_gen_outputs_serve_replaces_and_deletes),
	};
	log_set_level(LOG_WARN);        /* the API's "series created" lines */
	return cmocka_run_group_tests(tests, NULL, NULL);
}
