/* remote.c - `remote-write`: every series stepped tick by tick from its tick
 * 0, its samples gathered into batches of at most --batch-size samples
 * (histograms split into their _bucket, _sum and _count series), and the
 * batches handed to rwclient: all at once for a window, tick by tick on
 * the wall clock for --live. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "generator/backfill.h"
#include "generator/remote.h"
#include "generator/rwclient.h"

/* ---- building batches (no I/O) ---- */

static int label_cmp(const void *a, const void *b)
{
	const struct pb_label *x = a, *y = b;

	return strcmp(x->name, y->name);
}

/* out_init: output `o` of series s: sample name name+suffix, the series'
 * labels, __name__, and le when le is not NULL. */
static enum err out_init(struct remote_out *o, const struct gseries *s,
			 const char *suffix, const double *le)
{
	size_t nlen = strlen(s->name), slen = strlen(suffix), i, n;
	enum err rc = ERR_NOMEM;

	o->name = malloc(nlen + slen + 1);
	if (!o->name)
		goto out;
	memcpy(o->name, s->name, nlen);
	memcpy(o->name + nlen, suffix, slen + 1);
	n = s->n_labels + 1 + (le != NULL);
	o->labels = calloc(n, sizeof(*o->labels));
	if (!o->labels)
		goto out;
	for (i = 0; i < s->n_labels; i++) {
		o->labels[i].name = s->labels[i].name;
		o->labels[i].value = s->labels[i].value;
	}
	o->labels[i].name = "__name__";
	o->labels[i++].value = o->name;
	if (le) {
		expo_float(*le, o->le);
		o->labels[i].name = "le";
		o->labels[i++].value = o->le;
	}
	o->n_labels = i;
	/* "__name__" is not always first: upper-case names sort before it */
	qsort(o->labels, o->n_labels, sizeof(*o->labels), label_cmp);
	rc = OK;
out:
	return rc;
}

/* n_outputs: how many remote-write series one generated series is. */
static size_t n_outputs(const struct gseries *s)
{
	return s->type == GSERIES_HISTOGRAM ? s->n_buckets + 3 : 1;
}

/* series_outs: creates the outputs of s from g->outs[first], in the order
 * gseries_samples lists the samples. */
static enum err series_outs(struct remote_gen *g, const struct gseries *s,
			    size_t first)
{
	size_t i;
	enum err rc;

	if (s->type != GSERIES_HISTOGRAM)
		return out_init(&g->outs[first], s, "", NULL);
	for (i = 0; i <= s->n_buckets; i++) {
		double le = i < s->n_buckets ? s->buckets[i] : INFINITY;

		rc = out_init(&g->outs[first + i], s, "_bucket", &le);
		if (rc)
			return rc;
	}
	rc = out_init(&g->outs[first + i], s, "_sum", NULL);
	if (rc)
		return rc;
	return out_init(&g->outs[first + i + 1], s, "_count", NULL);
}

enum err remote_gen_init(struct remote_gen *g, const struct gseries *series,
			 size_t n, int64_t start_ms, int64_t interval_ms,
			 size_t batch_max, int stale)
{
	size_t i, total = 0, widest = 1;
	enum err rc = ERR_NOMEM;

	memset(g, 0, sizeof(*g));
	g->series = series;
	g->n_series = n;
	g->start_ms = start_ms;
	g->interval_ms = interval_ms;
	g->batch_max = batch_max ? batch_max : 1;
	g->stale = stale;
	g->errlog = stderr;
	g->n_live = n;
	for (i = 0; i < n; i++) {
		size_t w = n_outputs(&series[i]);

		if (w > widest)
			widest = w;
		if (total > SIZE_MAX - w)
			goto out;
		total += w;
	}
	g->src = calloc(n ? n : 1, sizeof(*g->src));
	g->outs = calloc(total ? total : 1, sizeof(*g->outs));
	g->view = calloc(total ? total : 1, sizeof(*g->view));
	g->cur = calloc(widest, sizeof(*g->cur));
	if (!g->src || !g->outs || !g->view || !g->cur)
		goto out;
	g->n_outs = total;
	total = 0;
	for (i = 0; i < n; i++) {
		rc = gseries_state_init(&series[i], &g->src[i].st);
		if (rc)
			goto out;
		g->src[i].out0 = total;
		g->src[i].n_out = n_outputs(&series[i]);
		rc = series_outs(g, &series[i], total);
		if (rc)
			goto out;
		total += g->src[i].n_out;
	}
	rc = OK;
out:
	return rc;
}

void remote_gen_free(struct remote_gen *g)
{
	size_t i;

	if (!g)
		return;
	for (i = 0; g->src && i < g->n_series; i++)
		gseries_state_free(&g->src[i].st);
	for (i = 0; g->outs && i < g->n_outs; i++) {
		free(g->outs[i].name);
		free(g->outs[i].labels);
		free(g->outs[i].samples);
	}
	free(g->src);
	free(g->outs);
	free(g->view);
	free(g->cur);
	memset(g, 0, sizeof(*g));
}

/* step: tick g->k of series i. A run-time error ends the series (gseries
 * already marked it ended): it is told and counted, and the others go on. */
static void step(struct remote_gen *g, size_t i)
{
	struct remote_src *src = &g->src[i];
	struct errinfo ei;
	int was_ended = src->st.ended;

	if (was_ended)
		return;
	memset(&ei, 0, sizeof(ei));
	/* series-local tick == global tick: every series starts at tick 0 */
	if (gseries_step(&g->series[i], &src->st,
			 backfill_tick_seconds(g->k, g->interval_ms), &ei)) {
		g->n_errors++;
		if (g->errlog)
			fprintf(g->errlog, "metrics-generator: %s; the series ends\n",
				ei.details[0] ? ei.details : "run-time error");
	}
	if (src->st.ended)
		g->n_live--;
}

enum err remote_gen_skip(struct remote_gen *g, uint64_t first)
{
	size_t i;

	for (; g->k < first && g->n_live; g->k++)
		for (i = 0; i < g->n_series; i++)
			step(g, i);
	g->k = first;
	g->si = 0;
	g->stepped = 0;
	return OK;
}

/* gather: after stepping (g->k, g->si), the samples that go out: the
 * state's samples when the tick wrote, stale markers when the series has
 * just ended after sending, else none. */
static void gather(struct remote_gen *g, int was_ended)
{
	const struct gseries *s = &g->series[g->si];
	struct remote_src *src = &g->src[g->si];
	size_t i;

	g->cur_n = 0;
	g->cur_pos = 0;
	if (src->st.wrote && !src->st.ended) {
		g->cur_n = gseries_samples(s, &src->st, g->cur, src->n_out);
		if (g->cur_n > src->n_out)
			g->cur_n = src->n_out;
	} else if (src->st.ended && !was_ended && src->sent && g->stale) {
		uint64_t bits = PB_STALE_NAN_BITS;

		for (i = 0; i < src->n_out; i++)
			memcpy(&g->cur[i].value, &bits, sizeof(bits));
		g->cur_n = src->n_out;
	}
}

/* room: makes room for one more sample in o (at most batch_max, which
 * the batch as a whole never passes). */
static enum err room(const struct remote_gen *g, struct remote_out *o)
{
	struct pb_sample *p;
	size_t cap;

	if (o->n_samples < o->cap)
		return OK;
	cap = o->cap ? o->cap * 2 : 16;
	if (cap > g->batch_max)
		cap = g->batch_max;
	if (cap <= o->n_samples || cap > SIZE_MAX / sizeof(*p))
		return ERR_NOMEM;
	p = realloc(o->samples, cap * sizeof(*p));
	if (!p)
		return ERR_NOMEM;
	o->samples = p;
	o->cap = cap;
	return OK;
}

enum err remote_gen_fill(struct remote_gen *g, uint64_t last, int *done)
{
	*done = 0;
	while (g->k <= last) {
		/* time of tick k: k <= last, whose time the caller computed */
		int64_t ts = g->start_ms + (int64_t)g->k * g->interval_ms;

		while (g->si < g->n_series) {
			struct remote_src *src = &g->src[g->si];

			if (!g->stepped) {
				int was_ended = src->st.ended;

				step(g, g->si);
				gather(g, was_ended);
				g->stepped = 1;
			}
			while (g->cur_pos < g->cur_n) {
				struct remote_out *o = &g->outs[src->out0 + g->cur_pos];

				if (g->batch_len >= g->batch_max)
					return OK;
				if (room(g, o))
					return ERR_NOMEM;
				o->samples[o->n_samples].value = g->cur[g->cur_pos].value;
				o->samples[o->n_samples].timestamp_ms = ts;
				o->n_samples++;
				g->batch_len++;
				g->cur_pos++;
				src->sent = 1;
			}
			g->si++;
			g->stepped = 0;
		}
		g->si = 0;
		/* nothing can come any more once every series has ended */
		if (!g->n_live)
			g->k = last;
		if (g->k == last)
			break;
		g->k++;
	}
	/* the cursor stands after `last` */
	if (g->k == last)
		g->k++;
	*done = 1;
	return OK;
}

size_t remote_gen_batch(struct remote_gen *g, const struct pb_series **out)
{
	size_t i, n = 0;

	for (i = 0; i < g->n_outs; i++) {
		if (!g->outs[i].n_samples)
			continue;
		g->view[n].labels = g->outs[i].labels;
		g->view[n].n_labels = g->outs[i].n_labels;
		g->view[n].samples = g->outs[i].samples;
		g->view[n].n_samples = g->outs[i].n_samples;
		n++;
	}
	*out = g->view;
	return n;
}

void remote_gen_clear(struct remote_gen *g)
{
	size_t i;

	for (i = 0; i < g->n_outs; i++)
		g->outs[i].n_samples = 0;
	g->batch_len = 0;
}

/* ---- sending ---- */

/* send_batch: encodes and sends the batch, then empties it; an empty batch
 * sends nothing. */
static enum err send_batch(struct remote_gen *g, struct rwclient *c,
			   struct buf *proto, struct errinfo *ei)
{
	const struct pb_series *series;
	size_t n, samples = g->batch_len;
	enum err rc;

	if (!samples)
		return OK;
	n = remote_gen_batch(g, &series);
	buf_reset(proto);
	rc = pbwrite_request(proto, series, n);
	if (rc) {
		err_set(ei, rc, "cannot encode a batch of %zu samples", samples);
		goto out;
	}
	rc = rwclient_send(c, buf_cstr(proto), proto->len, ei);
	if (rc)
		goto out;
	log_msg(LOG_DEBUG, "sent %zu samples of %zu series", samples, n);
	remote_gen_clear(g);
out:
	return rc;
}

/* sleep_until: sleeps until wall-clock time ms, or until *stop is set.
 * Returns 0 at the time, -1 when stopped. */
static int sleep_until(int64_t ms, volatile sig_atomic_t *stop)
{
	struct timespec ts;

	ts.tv_sec = (time_t)(ms / 1000);
	ts.tv_nsec = (long)(ms % 1000) * 1000000L;
	while (!*stop) {
		int e = clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &ts, NULL);

		if (e == 0)
			return 0;
		if (e != EINTR)
			return -1;
	}
	return -1;
}

static int64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* first_live_tick: the first tick at or after now. */
static uint64_t first_live_tick(int64_t start_ms, int64_t interval_ms)
{
	int64_t now = wall_ms(), d;

	if (now <= start_ms || __builtin_sub_overflow(now, start_ms, &d))
		return 0;
	return (uint64_t)(d / interval_ms) + (d % interval_ms != 0);
}

/* run_window: every tick of [from_ms, to_ms], batch after batch. */
static enum err run_window(struct remote_gen *g, struct rwclient *c,
			   struct buf *proto, const struct remote_opts *o,
			   volatile sig_atomic_t *stop, struct errinfo *ei)
{
	uint64_t first, last;
	enum err rc;
	int done = 0;

	rc = backfill_ticks(o->start_ms, g->interval_ms, o->from_ms, o->to_ms,
			    &first, &last, ei);
	if (rc == ERR_NO_SERIES)
		return OK;      /* no tick in the window: nothing to send */
	if (rc)
		return rc;
	rc = remote_gen_skip(g, first);
	while (!rc && !done && !*stop) {
		rc = remote_gen_fill(g, last, &done);
		if (!rc)
			rc = send_batch(g, c, proto, ei);
	}
	return rc;
}

/* run_live: each tick when it falls due, until every series has ended or
 * *stop is set. */
static enum err run_live(struct remote_gen *g, struct rwclient *c,
			 struct buf *proto, volatile sig_atomic_t *stop,
			 struct errinfo *ei)
{
	uint64_t k = first_live_tick(g->start_ms, g->interval_ms);
	enum err rc;

	rc = remote_gen_skip(g, k);
	while (!rc && g->n_live && !*stop) {
		int64_t due;
		int done = 0;

		if (k > (uint64_t)INT64_MAX / (uint64_t)g->interval_ms ||
		    __builtin_add_overflow(g->start_ms, (int64_t)k * g->interval_ms, &due))
			return err_set(ei, ERR_INTERNAL, "tick %llu is beyond any time",
				       (unsigned long long)k);
		if (sleep_until(due, stop))
			break;
		/* the tick goes out whole, in as many batches as it takes,
		 * unless SIGTERM comes: then the batch in flight is the last */
		while (!rc && !done) {
			rc = remote_gen_fill(g, k, &done);
			if (!rc)
				rc = send_batch(g, c, proto, ei);
			if (*stop)
				break;
		}
		k++;
	}
	return rc;
}

enum err remote_run(const struct gconfig *cfg, const struct remote_opts *o,
		    volatile sig_atomic_t *stop, struct errinfo *ei)
{
	struct rwclient_opts copts;
	struct rwclient *c = NULL;
	struct remote_gen g;
	struct buf proto;
	enum err rc;

	memset(&g, 0, sizeof(g));
	buf_init(&proto, (size_t)1 << 30);
	if (o->client)
		copts = *o->client;
	else
		memset(&copts, 0, sizeof(copts));
	copts.stop = stop;
	rc = rwclient_new(o->url, o->timeout_ms, &copts, &c, ei);
	if (rc)
		goto out;
	rc = remote_gen_init(&g, cfg->series, cfg->n_series, o->start_ms,
			     cfg->interval_ms, o->batch_size, o->live);
	if (rc) {
		err_set(ei, rc, "out of memory");
		goto out;
	}
	rc = o->live ? run_live(&g, c, &proto, stop, ei)
		     : run_window(&g, c, &proto, o, stop, ei);
	if (rc)
		goto out;
	if (g.n_errors)
		rc = err_set(ei, ERR_INTERNAL, "%zu series ended on a run-time error; "
			     "the others were sent", g.n_errors);
out:
	remote_gen_free(&g);
	rwclient_free(c);
	buf_free(&proto);
	return rc;
}
