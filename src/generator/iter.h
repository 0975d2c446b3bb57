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
 * counter (and under arithmetic), bad durations, non-numbers. Counts are
 * JSON integers: linear.ticks, random.ticks, loop.times >= 1; void and
 * reset >= 0. Programs nest at most 64 deep. Random values depend on
 * seed_id, the node's preorder index and the node-local tick, so a loop
 * repeats the same random run.
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

/* iter_seed_id: the seed of a series' random nodes, mixed from the global
 * seed and the series' id (splitmix64 over an FNV-1a hash of the id), so
 * that two series with the same program draw different values. */
uint64_t iter_seed_id(uint64_t seed, const char *id);

/* JSONPath building for error messages, shared with gconfig.c. A path is a
 * fixed array: what does not fit is cut (messages are cut at 1024 bytes
 * anyway), so building a path never fails. Keys that are identifiers are
 * written ".key", others ["k y"] with JSON string escapes. push returns the
 * length to give back to iter_path_pop. */
#define ITER_PATH_MAX 512
struct iter_path {
	char s[ITER_PATH_MAX];
	size_t len;
};
void iter_path_init(struct iter_path *p, const char *root);
size_t iter_path_key(struct iter_path *p, const char *key);
size_t iter_path_index(struct iter_path *p, size_t i);
void iter_path_pop(struct iter_path *p, size_t saved);

/* iter_expected: sets ei to ERR_BAD_REQUEST with details "PATH: expected
 * EXPECTED, got GOT", where GOT is the value JSON-encoded and cut to about
 * 40 characters ("nothing" when got is NULL). iter_expected_text does the
 * same with GOT given as text. Both return ERR_BAD_REQUEST. */
enum err iter_expected(struct errinfo *ei, const char *path,
		       const char *expected, const json_t *got);
enum err iter_expected_text(struct errinfo *ei, const char *path,
			    const char *expected, const char *got);

/* iter_expected_key: the error for a key of an object (unknown, or not a
 * valid name): "PATH.key: expected EXPECTED, got WHAT\"key\"", with the
 * key JSON-encoded and cut like a value; what is e.g. "unknown key " or "".
 * p is left as it was. Returns ERR_BAD_REQUEST. */
enum err iter_expected_key(struct errinfo *ei, struct iter_path *p, const char *key,
			   const char *expected, const char *what);

#endif
