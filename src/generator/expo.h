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

/* expo_text: appends the 0.0.4 exposition of n series with their states:
 * "# HELP" (when help is set, escaped) and "# TYPE" once per metric name,
 * then the samples with escaped label values, no timestamps. Series sharing a name are grouped under one HELP/TYPE,
 * names in first-seen order. A series is left out when its state is NULL,
 * its latest tick wrote no sample (void) or it ended. Counters use the full
 * name (with _total) in TYPE and samples; histograms write _bucket{le} (+Inf
 * last), _sum, _count. Returns OK, ERR_NOMEM or ERR_TOO_LARGE (buf's
 * ceiling, or ERR_INTERNAL for a histogram state without bucket counts);
 * on failure out holds what it held before the call, or nothing when the
 * buffer itself failed (buf's rule). */
enum err expo_text(struct buf *out, const struct gseries *const *series,
		   const struct gstate *const *states, size_t n);

/* OpenMetrics for `promtool tsdb create-blocks-from openmetrics` (checked
 * with promtool 2.42): the samples of one series must come in ascending
 * time, since promtool silently drops a sample older than the series' last
 * one; families need not be contiguous and a family's TYPE/HELP may be
 * repeated (a tick-major file with every family's metadata at the top is
 * accepted); "# EOF" must end the file, with nothing after it. Label values
 * and HELP escape backslash, double quote and newline; UTF-8 passes as is.
 * Each function appends to out; on failure out is as in expo_text. */

/* expo_om_family: appends "# TYPE family type" and, when help is set,
 * "# HELP family text"; for counters the family is the name without
 * _total. */
enum err expo_om_family(struct buf *out, const struct gseries *s);

/* expo_om_samples: appends the current samples of (s, st), each with
 * timestamp ts_ms written in seconds with up to three decimals, exactly
 * ("1767225600", "1767225600.5"). Counters: name_total; histograms: each
 * _bucket{le} (+Inf last), _count, _sum. Writes nothing (and returns OK)
 * when st is NULL, the latest tick wrote no sample, or the series ended. */
enum err expo_om_samples(struct buf *out, const struct gseries *s,
			 const struct gstate *st, int64_t ts_ms);

/* expo_om_eof: appends "# EOF\n", which must end the file. */
enum err expo_om_eof(struct buf *out);

#endif
