/* stream.h - reading the stream of points a metric query defines (spec 4.2)
 * from the upstream: raw gauge samples, counter rates, or an expression on
 * the step grid. */
#ifndef MIRROR_STREAM_H
#define MIRROR_STREAM_H

#include <stddef.h>
#include <stdint.h>

#include "mirror/points.h"
#include "mirror/promql.h"
#include "mirror/request.h"
#include "mirror/upstream.h"

/* A stream read: its points after the NaN/Inf rules, ascending. */
struct stream {
	enum metric_kind kind;
	struct point *pts;      /* malloc'd */
	size_t n;
};

/* stream_read: reads the stream of req's metric for from_ms <= t <= to_ms.
 * kind/text come from promql_metric. Returns OK (fills *out; free with
 * stream_free), ERR_NO_SERIES (ei->metric = the PromQL), ERR_TOO_MANY
 * (details name the labels that differ), or an upstream error. */
enum err stream_read(struct upstream *u, const struct request *req,
		     enum metric_kind kind, const char *text, int64_t from_ms,
		     int64_t to_ms, struct stream *out, struct errinfo *ei);

/* stream_free: releases the points; NULL is fine. */
void stream_free(struct stream *s);

/* stream_too_many: fills ei with ERR_TOO_MANY naming the labels whose values
 * differ between the series of set (exported for tests). */
enum err stream_too_many(const struct series_set *set, struct errinfo *ei);

#endif
