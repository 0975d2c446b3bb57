/* backfill.h - `metrics-generator backfill`: the samples of a window of ticks
 * as OpenMetrics text for `promtool tsdb create-blocks-from openmetrics`.
 * Also the clock of ticks that every output shares (backfill_ticks,
 * backfill_tick_seconds), so that the three outputs cannot disagree on it. */
#ifndef GENERATOR_BACKFILL_H
#define GENERATOR_BACKFILL_H

#include <stdint.h>
#include <stdio.h>

#include "common/buf.h"
#include "common/err.h"
#include "generator/gconfig.h"
#include "generator/gseries.h"

/* backfill_ticks: the ticks k >= 0 whose time start_ms + k * interval_ms lies
 * in [from_ms, to_ms], both ends included. Returns OK with *first and *last
 * set (first <= last); ERR_NO_SERIES when the window holds no tick (nothing
 * is set); ERR_BAD_REQUEST with ei filled when from_ms > to_ms or
 * interval_ms <= 0. */
enum err backfill_ticks(int64_t start_ms, int64_t interval_ms, int64_t from_ms,
			int64_t to_ms, uint64_t *first, uint64_t *last,
			struct errinfo *ei);

/* backfill_tick_seconds: t of tick k, in seconds since start (what
 * continuous iterators read): k * interval_ms / 1000, computed from the
 * exact product in milliseconds so that every output rounds alike. */
double backfill_tick_seconds(uint64_t k, int64_t interval_ms);

/* backfill_series: steps s from its tick 0 (a fresh state) through tick
 * `last`, and appends the OpenMetrics sample lines (expo_om_samples, with the
 * timestamp start_ms + k * interval_ms) of every tick k in [first, last]
 * that wrote a sample to `out`, writing `out` to f and emptying it whenever it
 * holds more than 64 KiB, and once more at the end. With f NULL nothing is
 * written or kept: a dry run that only finds errors. A negative counter
 * increment is ERR_INTERNAL with ei->details naming the series and the
 * tick; a failed write to f is ERR_INTERNAL too. The caller owns out and f. */
enum err backfill_series(const struct gseries *s, int64_t start_ms,
			 int64_t interval_ms, uint64_t first, uint64_t last,
			 struct buf *out, FILE *f, struct errinfo *ei);

/* backfill_run: the whole backfill: a dry run of every series first, so that
 * a run-time error (a negative counter increment) leaves f untouched; then,
 * family by family in the order the families first appear in the config
 * (promtool wants the samples of a family together, under one TYPE line),
 * the samples of ticks [first, last], and "# EOF". Returns OK, or an error
 * with ei filled (ERR_INTERNAL for a run-time error or a write error). */
enum err backfill_run(const struct gconfig *cfg, int64_t start_ms,
		      uint64_t first, uint64_t last, FILE *f,
		      struct errinfo *ei);

#endif
