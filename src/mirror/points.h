/* points.h - series of (time, value) points as read from Prometheus, and
 * the pure steps that turn raw samples into a Mirror stream: counter rates,
 * the NaN/Inf rules, the raw limit. */
#ifndef MIRROR_POINTS_H
#define MIRROR_POINTS_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "common/err.h"

struct point {
	int64_t t_ms;
	double v;
	double inc;             /* counter streams: the increase behind the rate */
	int64_t dt_ms;          /* counter streams: the interval behind the rate */
};

struct series {
	json_t *labels;         /* object label -> string value; owned reference */
	struct point *pts;      /* ascending t_ms */
	size_t n, cap;
};

struct series_set {
	struct series *items;
	size_t n, cap;
};

/* series_push: appends one point (inc and dt_ms zero). ERR_NOMEM on failure. */
enum err series_push(struct series *s, int64_t t_ms, double v);

/* series_set_add: appends an empty series with these labels (a new reference
 * is taken) and returns it through *out. */
enum err series_set_add(struct series_set *set, json_t *labels,
			struct series **out);

/* series_set_free: frees every series, its labels and points; NULL is fine. */
void series_set_free(struct series_set *set);

/* points_counter_rates: per-sample rates of a counter (spec 4.2). raw[] are
 * the raw samples in ascending time, possibly starting before from_ms. Each
 * sample with t >= from_ms that has a predecessor (inside raw[]) gives a
 * point stamped t_i with v = (v_i - v_{i-1}) / seconds, where the increase is
 * v_i when v_i < v_{i-1} (a reset); inc and dt_ms are set. *out is malloc'd
 * (free()), possibly NULL with *n_out == 0. */
enum err points_counter_rates(const struct point *raw, size_t n,
			      int64_t from_ms, struct point **out,
			      size_t *n_out);

/* points_apply_nan: applies the NaN/Inf rules in place and returns the new
 * count: NaN becomes 0 (v and inc) when zero_nan, else is dropped; +-Inf is
 * always dropped. */
size_t points_apply_nan(struct point *p, size_t n, int zero_nan);

/* points_between: the index range of points with from_ms <= t <= to_ms in an
 * ascending array: *first and *count. */
void points_between(const struct point *p, size_t n, int64_t from_ms,
		    int64_t to_ms, size_t *first, size_t *count);

#endif
