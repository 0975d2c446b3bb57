/* expo.h - writing series as text: the Prometheus text format 0.0.4 (what
 * `serve` exposes) and OpenMetrics with timestamps (what `backfill` writes
 * for promtool). Numbers are written as Prometheus' Go client writes them. */
#ifndef GENERATOR_EXPO_H
#define GENERATOR_EXPO_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "generator/gseries.h"

#define EXPO_FLOAT_MAX 32

/* expo_float: v as Go's strconv.FormatFloat(v, 'g', -1, 64) writes it, as
 * Prometheus' client does: the shortest digits that read back as v, in
 * exponent form when the decimal exponent is < -4 or >= 6 ("1e+06",
 * "1.234567e+06", "1e-05"), plain otherwise ("100000", "0.0001", "0.1");
 * NaN, +Inf and -Inf as Prometheus spells them. Returns out. */
char *expo_float(double v, char out[EXPO_FLOAT_MAX]);

/* expo_text: appends the 0.0.4 exposition of every series that has a
 * sample (n series with their states; a series whose state has no sample
 * yet, or has ended, is left out): "# HELP" (when help is set, escaped) and
 * "# TYPE" once per metric name, then the samples with escaped label values,
 * no timestamps. Series sharing a name are grouped under one HELP/TYPE. */
enum err expo_text(struct buf *out, const struct gseries *const *series,
		   const struct gstate *const *states, size_t n);

/* expo_om_family: appends the OpenMetrics "# TYPE" (and "# HELP") lines of a
 * metric family; for counters the family is the name without _total. */
enum err expo_om_family(struct buf *out, const struct gseries *s);

/* expo_om_samples: appends the current samples of (s, st) with timestamp
 * ts_ms (written in seconds, with millisecond decimals when needed). */
enum err expo_om_samples(struct buf *out, const struct gseries *s,
			 const struct gstate *st, int64_t ts_ms);

/* expo_om_eof: appends "# EOF\n". */
enum err expo_om_eof(struct buf *out);

#endif
