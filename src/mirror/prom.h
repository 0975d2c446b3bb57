/* prom.h - the Prometheus HTTP API calls the mirror makes, and checking and
 * decoding their answers (the success envelope, matrices, string lists). */
#ifndef MIRROR_PROM_H
#define MIRROR_PROM_H

#include <stdint.h>

#include "common/strlist.h"
#include "mirror/points.h"
#include "mirror/upstream.h"

/* Prometheus refuses query_range calls of more points than this per series. */
#define PROM_MAX_RANGE_POINTS 11000

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

#endif
