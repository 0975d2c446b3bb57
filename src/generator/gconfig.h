/* gconfig.h - metrics-generator's JSON configuration: global settings and
 * the series, checked completely before anything runs (generator-spec
 * "Configuration" and "Precise rules"). */
#ifndef GENERATOR_GCONFIG_H
#define GENERATOR_GCONFIG_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "common/err.h"
#include "generator/gseries.h"

struct gconfig {
	int64_t interval_ms;    /* "interval", default 15 s; > 0 */
	int has_start;          /* "start" given */
	int64_t start_ms;       /* "start" (RFC 3339 or epoch seconds) */
	uint64_t seed;          /* "seed", default 0 */
	struct gseries *series; /* n_series, in file order */
	size_t n_series;
};

/* gconfig_load: reads and checks the file. On error returns ERR_BAD_REQUEST
 * with ei->details "FILE: $.series[1].program.join[0].linear.ticks: expected
 * an integer >= 1, got -3" (or "FILE: cannot read: ..."), and nothing is
 * kept. Free with gconfig_free. */
enum err gconfig_load(const char *file, struct gconfig *out, struct errinfo *ei);

/* gconfig_parse: the same from a JSON text already in memory; `label` takes
 * the place of FILE in messages. */
enum err gconfig_parse(const char *text, size_t len, const char *label,
		       struct gconfig *out, struct errinfo *ei);

/* gconfig_series: checks and builds one series object (as in the config's
 * "series" array, e.g. a body of POST /api/series) under the global settings
 * of cfg; path is its JSONPath for messages ("$" for an API body). Does not
 * check uniqueness against cfg's series: see gconfig_find. */
enum err gconfig_series(const struct gconfig *cfg, const json_t *obj,
			const char *label, const char *path,
			struct gseries *out, struct errinfo *ei);

/* gconfig_find: the index of the series with this id, or -1. */
long gconfig_find(const struct gconfig *cfg, const char *id);

/* gconfig_find_same: the index of a series of cfg with the same name and
 * labels as s (two such series are an error, whatever their ids), or -1.
 * A config holds no two such series, so for a PUT the one match may be the
 * series being replaced. */
long gconfig_find_same(const struct gconfig *cfg, const struct gseries *s);

/* gconfig_duration: a Prometheus duration ("1h30m", "500ms", "2d", "1w",
 * "1y") or a JSON number of seconds (fractions allowed) in ms, > 0.
 * gconfig_time: RFC 3339 ("2026-03-01T00:00:00Z", with offset or fraction)
 * or epoch seconds (number or string) in ms since the epoch. Both return OK
 * or ERR_BAD_REQUEST (no message: callers word it). */
enum err gconfig_duration(const json_t *v, int64_t *ms);
enum err gconfig_duration_str(const char *s, int64_t *ms);
enum err gconfig_time_str(const char *s, int64_t *ms);

/* gconfig_span_str: a Prometheus duration that may also be zero ("0",
 * "0s"), for offsets such as sin.phase. gconfig_time: a time as a JSON
 * value (number of epoch seconds, fractions rounded to the nearest ms, or a
 * string for gconfig_time_str). Same returns as above. */
enum err gconfig_span_str(const char *s, int64_t *ms);
enum err gconfig_time(const json_t *v, int64_t *ms);

/* gconfig_free: NULL is fine. */
void gconfig_free(struct gconfig *cfg);

#endif
