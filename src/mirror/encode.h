/* encode.h - the success bodies of the Mirror API (spec section 5), written
 * with our own number formatter. */
#ifndef MIRROR_ENCODE_H
#define MIRROR_ENCODE_H

#include <stddef.h>

#include "common/buf.h"
#include "common/strlist.h"
#include "mirror/aggregate.h"
#include "mirror/points.h"

/* encode_raw: a MetricsResponse with RawMetricTelemetry of pts[0..n). */
enum err encode_raw(struct buf *out, const struct point *pts, size_t n,
		    int partial);

/* encode_aggregated: a MetricsResponse with AggregatedMetricTelemetry. */
enum err encode_aggregated(struct buf *out, const struct agg_point *pts,
			   size_t n, int partial);

/* encode_field_names: a FieldNamesResponse of names[first..first+count). */
enum err encode_field_names(struct buf *out, char *const *names, size_t count,
			    int partial);

/* encode_field_values: a FieldValuesResponse of values[0..count). */
enum err encode_field_values(struct buf *out, char *const *values,
			     size_t count, int partial);

#endif
