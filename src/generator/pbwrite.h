/* pbwrite.h - the Prometheus remote-write WriteRequest (protobuf), encoded by
 * hand: the message is small (labels and samples) and a generator needs no
 * protobuf library for it. */
#ifndef GENERATOR_PBWRITE_H
#define GENERATOR_PBWRITE_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"

struct pb_label {
	const char *name;
	const char *value;
};

struct pb_sample {
	double value;
	int64_t timestamp_ms;
};

struct pb_series {
	const struct pb_label *labels;   /* sorted by name, __name__ included */
	size_t n_labels;
	const struct pb_sample *samples; /* ascending time */
	size_t n_samples;
};

/* pbwrite_request: appends the encoded WriteRequest { repeated TimeSeries
 * timeseries = 1 } where TimeSeries { repeated Label labels = 1; repeated
 * Sample samples = 2 }, Label { string name = 1; string value = 2 }, Sample
 * { double value = 1; int64 timestamp = 2 }. Every field is written,
 * defaults included (valid proto3; keeps -0.0), so the bytes differ from
 * Go's encoder, which leaves zero fields out, but decode the same. Returns
 * OK; ERR_TOO_LARGE (a size that does not fit, out unchanged, or buf's
 * ceiling) or ERR_NOMEM, after which out is empty (buf's rule). */
enum err pbwrite_request(struct buf *out, const struct pb_series *series,
			 size_t n);

/* The staleness marker Prometheus uses (a NaN with this bit pattern). */
#define PB_STALE_NAN_BITS 0x7ff0000000000002ULL

#endif
