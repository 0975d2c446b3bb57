/* prom.h - the Prometheus HTTP API calls the mirror makes, and checking and
 * decoding their answers (the success envelope, matrices, string lists). */
#ifndef MIRROR_PROM_H
#define MIRROR_PROM_H

#include <stddef.h>
#include <stdint.h>

#include "common/strlist.h"
#include "mirror/points.h"
#include "mirror/upstream.h"

/* Prometheus refuses query_range calls of more points than this per series. */
#define PROM_MAX_RANGE_POINTS 11000

/* A longer grid than PROM_MAX_RANGE_CHUNKS chunks is a bad request. */
#define PROM_MAX_RANGE_CHUNKS 1000

/* Room for a time in seconds with milliseconds: "-9223372036854775.808". */
#define PROM_TIME_MAX 24

/* One query_range call of a split grid: its first and last grid point. */
struct prom_chunk {
	int64_t start_ms, end_ms;
};

/* An optional time restriction for label calls. */
struct prom_range {
	int64_t start_ms, end_ms;
};

/* prom_check: interprets one finished call: OK when it is a 2xx Prometheus
 * success; ERR_PROMETHEUS when Prometheus answered status "error" (details
 * "errorType: error"); otherwise ERR_UPSTREAM with the status and a short,
 * secret-free excerpt. On OK *data borrows the "data" member of *root, which
 * the caller json_decref()s. */
enum err prom_check(const struct conn *conn, const struct upstream_call *call,
		    json_t **root, json_t **data, struct errinfo *ei);

/* prom_query_matrix: api/v1/query of expr (a range-vector selector) at
 * eval_ms; the result must be a matrix, decoded into *out (caller frees with
 * series_set_free; filled only on OK). */
enum err prom_query_matrix(struct upstream *u, const struct conn *conn,
			   const char *expr, int64_t eval_ms,
			   struct series_set *out, struct errinfo *ei);

/* prom_query_range: api/v1/query_range of expr on the grid
 * start_ms, start_ms + step_ms, ..., <= end_ms (start_ms a multiple of
 * step_ms). Grids over PROM_MAX_RANGE_POINTS are split into consecutive
 * calls run in parallel, and each series' points are joined in time order. */
enum err prom_query_range(struct upstream *u, const struct conn *conn,
			  const char *expr, int64_t start_ms, int64_t end_ms,
			  int64_t step_ms, struct series_set *out,
			  struct errinfo *ei);

/* prom_labels: api/v1/labels, with match[] when match is not NULL and
 * start/end when range is not NULL. */
enum err prom_labels(struct upstream *u, const struct conn *conn,
		     const char *match, const struct prom_range *range,
		     struct strlist *out, struct errinfo *ei);

/* prom_label_values: api/v1/label/<name>/values; name must already be a
 * valid label name (checked by the caller). */
enum err prom_label_values(struct upstream *u, const struct conn *conn,
			   const char *name, const char *match,
			   const struct prom_range *range,
			   struct strlist *out, struct errinfo *ei);

/* prom_metadata: api/v1/metadata. Fills counters with the metric names whose
 * metadata says type "counter", and known with every name that has
 * metadata. A backend without the endpoint (404) yields empty lists. */
enum err prom_metadata(struct upstream *u, const struct conn *conn,
		       struct strlist *counters, struct strlist *known,
		       struct errinfo *ei);

/* prom_test: api/v1/query?query=vector(1): OK when the answer is a success. */
enum err prom_test(struct upstream *u, const struct conn *conn,
		   struct errinfo *ei);

/* The pure steps below are exported for the unit tests. */

/* prom_format_ms: ms as the seconds Prometheus takes, exact to the
 * millisecond without floating point: 0 -> "0", 1 -> "0.001",
 * 1500 -> "1.5", -1 -> "-0.001", 1700000000123 -> "1700000000.123".
 * Returns out. */
char *prom_format_ms(int64_t ms, char out[PROM_TIME_MAX]);

/* prom_parse_value: a sample value as Prometheus writes it: a decimal
 * number, or NaN / Inf / +Inf / -Inf (any case). OK and *out set, or
 * ERR_UPSTREAM for anything else (no ei: the caller words it). */
enum err prom_parse_value(const char *s, double *out);

/* prom_range_chunks: splits the grid start_ms, start_ms + step_ms, ...,
 * <= end_ms into consecutive chunks of at most PROM_MAX_RANGE_POINTS grid
 * points. On OK *out is a malloc'd array (free()) of *n_out chunks, NULL and
 * 0 when end_ms < start_ms. ERR_BAD_REQUEST for step_ms <= 0 or more than
 * PROM_MAX_RANGE_CHUNKS chunks; ERR_NOMEM. */
enum err prom_range_chunks(int64_t start_ms, int64_t end_ms, int64_t step_ms,
			   struct prom_chunk **out, size_t *n_out,
			   struct errinfo *ei);

/* prom_decode_matrix: the "data" of a query answer, which must have
 * resultType "matrix", into *out (which must be empty; filled only on OK,
 * caller frees with series_set_free). Each series takes a new reference of
 * its "metric" object as labels; series with only native histograms are
 * skipped. ERR_UPSTREAM for anything malformed, out-of-order samples or
 * unparsable values; ERR_NOMEM. */
enum err prom_decode_matrix(const json_t *data, struct series_set *out,
			    struct errinfo *ei);

/* prom_join_series: joins the decoded chunks parts[0..n_parts) of one
 * range query: series with equal label sets (json_equal) become one, their
 * points appended in chunk order; series are listed in the order first
 * seen. *out (empty on entry) is filled only on OK; parts stay the
 * caller's. ERR_UPSTREAM when chunks overlap in time, ERR_NOMEM. */
enum err prom_join_series(const struct series_set *parts, size_t n_parts,
			  struct series_set *out, struct errinfo *ei);

/* prom_decode_metadata: the "data" of api/v1/metadata ({name: [{type, help,
 * unit}, ...]}, NULL meaning none) into counters (names with an entry of
 * type "counter") and known (every name). Both lists must be empty and are
 * filled only on OK. ERR_UPSTREAM when data is not an object. */
enum err prom_decode_metadata(const json_t *data, struct strlist *counters,
			      struct strlist *known, struct errinfo *ei);

#endif
