/* remote.h - `metrics-generator remote-write`: the series' samples as
 * remote-write batches. remote_gen is the pure part (ticks to batches of
 * pb_series, no I/O), remote_run the part that sends them and keeps time. */
#ifndef GENERATOR_REMOTE_H
#define GENERATOR_REMOTE_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common/err.h"
#include "generator/expo.h"
#include "generator/gconfig.h"
#include "generator/gseries.h"
#include "generator/pbwrite.h"
#include "generator/rwclient.h"

/* One series as remote-write sees it: a gauge or a counter is one, a
 * histogram is one per bucket (with le), then _sum and _count. */
struct remote_out {
	char *name;                 /* the sample name (owned) */
	char le[EXPO_FLOAT_MAX];    /* _bucket: the bound as text */
	struct pb_label *labels;    /* owned array, sorted by name, __name__
				     * included; the strings are borrowed */
	size_t n_labels;
	struct pb_sample *samples;  /* the samples of the batch being built:
				     * grown on demand, up to batch_max */
	size_t n_samples, cap;
};

/* One generated series and where its outputs are. */
struct remote_src {
	struct gstate st;
	size_t out0;                /* its first remote_out */
	size_t n_out;               /* 1, or n_buckets + 3 for a histogram */
	int sent;                   /* a sample of it went into a batch */
};

/* The generator of batches. Fill it with remote_gen_init; the cursor walks
 * tick by tick, series by series, sample by sample, so that a batch may end
 * anywhere and the next one continues there. */
struct remote_gen {
	const struct gseries *series;   /* borrowed, n_series */
	size_t n_series;
	int64_t start_ms;
	int64_t interval_ms;
	size_t batch_max;               /* samples per batch, >= 1 */
	int stale;                      /* mark ended series stale (live mode) */
	FILE *errlog;                   /* where run-time errors are told, or NULL */

	struct remote_src *src;         /* n_series */
	struct remote_out *outs;        /* n_outs */
	size_t n_outs;
	struct pb_series *view;         /* remote_gen_batch's answer, n_outs slots */
	size_t batch_len;               /* samples in the batch */
	size_t n_live;                  /* series that have not ended */
	size_t n_errors;                /* series ended by a run-time error */

	/* the cursor: tick k, series si; cur[cur_pos..cur_n) are the samples
	 * of (k, si) not yet in a batch once `stepped` */
	uint64_t k;
	size_t si;
	int stepped;
	struct gsample *cur;            /* max outputs of one series */
	size_t cur_n, cur_pos;
};

/* remote_gen_init: a generator over series[0..n) (borrowed: they must
 * outlive it) whose tick k is at start_ms + k * interval_ms, with fresh
 * states and the cursor at tick 0. stale: give a series that ends a stale
 * marker (PB_STALE_NAN_BITS) at the tick where it ends, on each of its
 * outputs, when it had sent a sample. Returns OK or ERR_NOMEM; free with
 * remote_gen_free (also after a failure). */
enum err remote_gen_init(struct remote_gen *g, const struct gseries *series,
			 size_t n, int64_t start_ms, int64_t interval_ms,
			 size_t batch_max, int stale);

/* remote_gen_skip: steps every series through the ticks before `first`
 * without sending anything (counters and histograms keep that history) and
 * puts the cursor at tick `first`. A series ended by a run-time error is
 * told on errlog and counted in n_errors; the others go on. The batch must
 * be empty. */
enum err remote_gen_skip(struct remote_gen *g, uint64_t first);

/* remote_gen_fill: adds samples from the cursor on, through tick `last`,
 * until the batch holds batch_max samples. *done is set to 1 when every
 * tick through `last` is in (the cursor then stands at last + 1), else 0:
 * send the batch, remote_gen_clear, and call again. Run-time errors as in
 * remote_gen_skip. Returns OK, or ERR_NOMEM (the cursor stays where it was,
 * so the call may be repeated). */
enum err remote_gen_fill(struct remote_gen *g, uint64_t last, int *done);

/* remote_gen_batch: the batch as pb_series (the outputs with samples, in
 * output order), valid until the next call that changes g. Returns how
 * many; *out points into g. */
size_t remote_gen_batch(struct remote_gen *g, const struct pb_series **out);

/* remote_gen_clear: empties the batch (after it was sent). */
void remote_gen_clear(struct remote_gen *g);

/* remote_gen_free: releases everything; NULL and a zeroed g are fine. */
void remote_gen_free(struct remote_gen *g);

/* What remote_run needs besides the config. */
struct remote_opts {
	const char *url;            /* the remote-write endpoint */
	int live;                   /* 1: --live; 0: the window [from_ms, to_ms] */
	int64_t from_ms, to_ms;
	size_t batch_size;          /* samples per request (--batch-size) */
	int64_t start_ms;           /* tick 0 */
	long timeout_ms;            /* per request (0: rwclient's default) */
	const struct rwclient_opts *client; /* headers, retries...; NULL:
				     * defaults (stop is set by remote_run) */
};

/* remote_run: window mode sends every tick of [from_ms, to_ms] in batches,
 * as fast as the receiver takes them; live mode sends each tick from the
 * first at or after now when it falls due, until every series has ended or
 * *stop is set (a batch in flight is finished first). Returns OK; ERR_INTERNAL
 * when a series ended by a run-time error (the others were sent); the
 * client's error (ei filled) when a batch could not be delivered. */
enum err remote_run(const struct gconfig *cfg, const struct remote_opts *o,
		    volatile sig_atomic_t *stop, struct errinfo *ei);

#endif
