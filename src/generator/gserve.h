/* gserve.h - `metrics-generator serve`: the series as /metrics (text format
 * 0.0.4) and a JSON API that changes them at run time, answered by one
 * FastCGI process. The exchange is kept apart from FastCGI so that tests can
 * drive the responder without a web server. */
#ifndef GENERATOR_GSERVE_H
#define GENERATOR_GSERVE_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/err.h"
#include "generator/gconfig.h"
#include "generator/gseries.h"

/* The largest request body accepted (a series object). */
#define GSERVE_MAX_BODY ((size_t)1 << 20)

/* One series being served. */
struct gserve_entry {
	struct gseries *s;      /* in the config's array, or owned (API) */
	int owned;              /* s was made from a request body */
	struct gstate st;
	uint64_t birth;         /* the global tick of its own tick 0 */
};

/* The responder's state, from one request to the next. */
struct gserve {
	const struct gconfig *cfg;      /* settings; borrowed */
	struct gserve_entry *entries;   /* n, in creation order */
	size_t n, cap;
	int tick_per_scrape;            /* each GET /metrics is one tick */
	int64_t start_ms;               /* tick 0 */
	uint64_t shown;                 /* --tick-per-scrape: ticks shown so far */
};

/* One HTTP exchange: method, path and body in; status and body out. */
struct gserve_exchange {
	/* in */
	const char *method;
	const char *path;       /* as the client sent it (still %-encoded),
				 * without the query string */
	const char *body;
	size_t body_len;
	/* out */
	int status;
	const char *content_type;       /* NULL: no body (204) */
	char allow[64];                 /* the Allow header of a 405, or "" */
	char *location;                 /* the Location header (owned), or NULL */
	struct buf out;                 /* the body */
	struct errinfo ei;              /* the error answered, status >= 400 */
};

/* gserve_init: serves cfg's series (borrowed: cfg must outlive g) from
 * tick 0 at start_ms. Returns OK or ERR_NOMEM; free with gserve_free (also
 * after a failure). */
enum err gserve_init(struct gserve *g, const struct gconfig *cfg,
		     int tick_per_scrape, int64_t start_ms);

/* gserve_free: releases the entries and the series made from requests;
 * NULL and a zeroed g are fine. */
void gserve_free(struct gserve *g);

/* gserve_due: the latest global tick due at now_ms on the wall clock, or -1
 * before tick 0. */
int64_t gserve_due(const struct gserve *g, int64_t now_ms);

/* gserve_advance: steps every series that was born by global tick `tick`
 * up to that tick (its own tick tick - birth), computing every tick in
 * between; series already there, or ended, stay. A negative counter
 * increment ends its series with a line on the log. */
void gserve_advance(struct gserve *g, uint64_t tick);

/* gserve_exchange_init / gserve_exchange_free: an exchange with nothing
 * answered yet; free releases the answer (NULL is fine). */
void gserve_exchange_init(struct gserve_exchange *x, const char *method,
			  const char *path, const char *body, size_t body_len);
void gserve_exchange_free(struct gserve_exchange *x);

/* gserve_handle: answers x completely (status, body, headers) at wall-clock
 * time now_ms: GET /metrics, GET|POST /api/series, GET|PUT|DELETE
 * /api/series/{id}; 404 for other paths, 405 with Allow for other methods.
 * Errors are {"error": "..."}. Never fails. */
void gserve_handle(struct gserve *g, struct gserve_exchange *x, int64_t now_ms);

/* gserve_run: the FastCGI loop on listening socket sock (0: inherited from
 * spawn-fcgi): one request at a time until *stop is set (an idle accept is
 * interrupted by the signal that sets it; a request in hand is finished).
 * Returns OK, or ERR_INTERNAL when accepting fails for another reason. */
enum err gserve_run(struct gserve *g, int sock, volatile sig_atomic_t *stop);

#endif
