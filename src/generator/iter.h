/* iter.h - value programs of metrics-generator: a tree of iterators
 * (generator-spec "Building blocks") that gives, for any tick of a series,
 * a value, a gap, a counter reset, or the end. Programs are built from their
 * JSON form by gconfig.c and are immutable afterwards, so any tick can be
 * asked for in any order. */
#ifndef GENERATOR_ITER_H
#define GENERATOR_ITER_H

#include <stdint.h>

#include <jansson.h>

#include "common/err.h"

/* What one tick of a program gives. */
enum iter_tick {
	ITER_VALUE,     /* a value (*v is set) */
	ITER_VOID,      /* no sample at this tick */
	ITER_RESET,     /* counters: the total restarts from 0 at this tick */
	ITER_END,       /* the program has ended (and stays ended) */
};

struct iter;            /* one compiled program (opaque) */

/* iter_build: compiles the program object at JSON path `path` (e.g.
 * "$.series[1].program") of a series of the given type ("gauge", "counter",
 * "histogram": reset is allowed only for counters). seed_id mixes the global
 * seed with the series' identity for `random` nodes. Every check of the spec
 * is made here: unknown keys, zero or several iterator keys, linear.ticks < 1,
 * empty values/join, a loop body that yields no tick, reset outside a
 * counter (and under arithmetic), bad durations, non-numbers.
 * On failure returns ERR_BAD_REQUEST with ei->details = "<path>: expected
 * ..., got ..." (the full JSONPath of the offending field, indexes from 0).
 * On success *out is set; free with iter_free. */
enum err iter_build(const json_t *program, const char *path, const char *type,
		    uint64_t seed_id, struct iter **out, struct errinfo *ei);

/* iter_at: the program's result at series-local tick k (0, 1, ...), where
 * t_s is the tick's time in seconds since the generator's start (what sin,
 * cos and other continuous iterators read, wherever they sit). Pure: the
 * same (k, t_s) always gives the same answer. */
enum iter_tick iter_at(const struct iter *it, uint64_t k, double t_s, double *v);

/* iter_length: the number of ticks before ITER_END, or UINT64_MAX when the
 * program never ends. */
uint64_t iter_length(const struct iter *it);

/* iter_free: NULL is fine. */
void iter_free(struct iter *it);

#endif
