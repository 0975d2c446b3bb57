/* gseries.h - a generated series (name, type, help, labels, program) and its
 * running state: the counter total, the histogram's buckets, the last
 * sample. Outputs read series and state; only gseries_step changes state. */
#ifndef GENERATOR_GSERIES_H
#define GENERATOR_GSERIES_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "common/err.h"
#include "generator/iter.h"

enum gseries_type {
	GSERIES_GAUGE,
	GSERIES_COUNTER,
	GSERIES_HISTOGRAM,
};

struct glabel {
	char *name;
	char *value;
};

struct gseries {
	char *id;               /* config "id", else name{labels} in PromQL notation */
	char *name;             /* counters end in _total */
	enum gseries_type type;
	char *help;             /* NULL: no HELP line */
	struct glabel *labels;  /* sorted by name; never __name__ or le */
	size_t n_labels;
	double *buckets;        /* histograms: upper bounds, strictly increasing, without +Inf */
	size_t n_buckets;
	struct iter *program;
	json_t *source;         /* the series' config object (a reference we own) */
};

/* The running state of one series. Zero-initialised = before tick 0. */
struct gstate {
	uint64_t next_k;        /* the next series-local tick gseries_step computes */
	int ended;              /* the program has ended: nothing more is written */
	int wrote;              /* the last computed tick wrote a sample */
	double value;           /* gauge: the value; counter: the total */
	double sum;             /* histogram: sum of observations */
	uint64_t count;         /* histogram: number of observations */
	uint64_t *bucket_counts;/* histogram: cumulative count per bound (n_buckets), malloc'd */
};

/* One exposed sample of a series' current state. */
struct gsample {
	const char *suffix;     /* "", "_bucket", "_sum" or "_count" (histograms) */
	double le;              /* _bucket: the upper bound (+Inf for the last) */
	double value;
};

/* gseries_state_init: a fresh state for s (allocates the bucket counts).
 * gseries_state_free releases it; NULL is fine. */
enum err gseries_state_init(const struct gseries *s, struct gstate *st);
void gseries_state_free(struct gstate *st);

/* gseries_step: computes tick st->next_k (then increments it) with t_s the
 * tick's time in seconds since the generator's start. Gauge: value = the
 * program's value. Counter: total += value (a negative increment is
 * ERR_INTERNAL with ei->details "series NAME: negative increment V at tick
 * K"; the state is then ended); ITER_RESET sets the total to 0 and writes
 * it. Histogram: one observation (cumulative buckets, an observation equal to
 * a bound counts in it). A void tick writes nothing and keeps the state; an
 * ended program sets st->ended (next_k then stays at the program's length,
 * and later calls do nothing). Sets st->wrote. */
enum err gseries_step(const struct gseries *s, struct gstate *st, double t_s,
		      struct errinfo *ei);

/* gseries_samples: the samples of the current state, in exposition order
 * (gauge/counter: one; histogram: each _bucket with its le, the +Inf bucket,
 * _sum, _count). Returns how many; writes at most cap. Call only when the
 * series has written at least one sample. */
size_t gseries_samples(const struct gseries *s, const struct gstate *st,
		       struct gsample *out, size_t cap);

/* gseries_same_identity: 1 when a and b have the same name and labels (one
 * series twice). gseries_same_family: 1 when they would be exposed under one
 * metric family: the same name, or the same OpenMetrics family (a counter's
 * family is its name without _total). */
int gseries_same_identity(const struct gseries *a, const struct gseries *b);
int gseries_same_family(const struct gseries *a, const struct gseries *b);

/* gseries_free: frees everything the series owns (not s itself, which is
 * usually an element of gconfig's array) and zeroes it; NULL is fine. */
void gseries_free(struct gseries *s);

/* gseries_type_name: "gauge", "counter" or "histogram" (as in the config
 * and in # TYPE lines); "untyped" for a value outside the enum. */
const char *gseries_type_name(enum gseries_type type);

#endif
