/* pbwrite.c - encodes the remote-write WriteRequest by hand: varint tags and
 * lengths, length-delimited messages and strings, the sample value as a
 * little-endian fixed64. Every field is written, defaults included: the
 * wire form stays valid proto3, and -0.0 survives. */
#include <stdint.h>
#include <string.h>

#include "generator/pbwrite.h"

/* Field tags: (field number << 3) | wire type (0 varint, 1 fixed64, 2
 * length-delimited). */
enum {
	TAG_REQUEST_TIMESERIES = (1 << 3) | 2,
	TAG_SERIES_LABEL = (1 << 3) | 2,
	TAG_SERIES_SAMPLE = (2 << 3) | 2,
	TAG_LABEL_NAME = (1 << 3) | 2,
	TAG_LABEL_VALUE = (2 << 3) | 2,
	TAG_SAMPLE_VALUE = (1 << 3) | 1,
	TAG_SAMPLE_TIMESTAMP = (2 << 3) | 0,
};

/* Bytes the varint of v takes: 7 bits a byte, 1 to 10. */
static size_t varint_len(uint64_t v)
{
	size_t n = 1;

	while (v >= 0x80) {
		v >>= 7;
		n++;
	}
	return n;
}

/* a + b into *sum; 1 if it overflowed. */
static int add_overflows(size_t a, size_t b, size_t *sum)
{
	if (a > SIZE_MAX - b)
		return 1;
	*sum = a + b;
	return 0;
}

/* Size of a length-delimited field (tag, length, payload) with a payload
 * of len bytes; SIZE_MAX when it does not fit a size_t. */
static size_t field_len(size_t len)
{
	size_t total;

	if (add_overflows(1 + varint_len(len), len, &total))
		return SIZE_MAX;
	return total;
}

/* Payload sizes of the messages (without their own tag and length). */
static size_t label_len(const struct pb_label *l)
{
	size_t a = field_len(strlen(l->name));
	size_t b = field_len(strlen(l->value));
	size_t total;

	if (a == SIZE_MAX || b == SIZE_MAX || add_overflows(a, b, &total))
		return SIZE_MAX;
	return total;
}

static size_t sample_len(const struct pb_sample *s)
{
	/* tag + 8 bytes, tag + varint */
	return 1 + 8 + 1 + varint_len((uint64_t)s->timestamp_ms);
}

static size_t series_len(const struct pb_series *ts)
{
	size_t total = 0, i, f;

	for (i = 0; i < ts->n_labels; i++) {
		size_t l = label_len(&ts->labels[i]);

		f = l == SIZE_MAX ? SIZE_MAX : field_len(l);
		if (f == SIZE_MAX || add_overflows(total, f, &total))
			return SIZE_MAX;
	}
	for (i = 0; i < ts->n_samples; i++) {
		f = field_len(sample_len(&ts->samples[i]));
		if (f == SIZE_MAX || add_overflows(total, f, &total))
			return SIZE_MAX;
	}
	return total;
}

/* Appends v as a varint (negative int64 values arrive here cast to
 * uint64_t, so they take ten bytes, as protobuf's int64 wants). */
static enum err put_varint(struct buf *b, uint64_t v)
{
	unsigned char tmp[10];
	size_t n = 0;

	while (v >= 0x80) {
		tmp[n++] = (unsigned char)(v | 0x80);
		v >>= 7;
	}
	tmp[n++] = (unsigned char)v;
	return buf_append(b, tmp, n);
}

/* Appends a tag and a length: the head of a length-delimited field. */
static enum err put_head(struct buf *b, unsigned tag, size_t len)
{
	enum err rc;

	rc = put_varint(b, tag);
	if (rc)
		goto out;
	rc = put_varint(b, len);
out:
	return rc;
}

/* Appends a string field. */
static enum err put_string(struct buf *b, unsigned tag, const char *s)
{
	size_t len = strlen(s);
	enum err rc;

	rc = put_head(b, tag, len);
	if (rc)
		goto out;
	rc = buf_append(b, s, len);
out:
	return rc;
}

/* Appends a Sample: the double's bits least significant byte first (any
 * NaN payload, such as the staleness marker, is copied unchanged), then the
 * timestamp. */
static enum err put_sample(struct buf *b, const struct pb_sample *s)
{
	unsigned char v[8];
	uint64_t bits;
	enum err rc;
	int i;

	rc = put_head(b, TAG_SERIES_SAMPLE, sample_len(s));
	if (rc)
		goto out;
	memcpy(&bits, &s->value, sizeof(bits));
	for (i = 0; i < 8; i++)
		v[i] = (unsigned char)(bits >> (8 * i));
	rc = put_varint(b, TAG_SAMPLE_VALUE);
	if (rc)
		goto out;
	rc = buf_append(b, v, sizeof(v));
	if (rc)
		goto out;
	rc = put_varint(b, TAG_SAMPLE_TIMESTAMP);
	if (rc)
		goto out;
	rc = put_varint(b, (uint64_t)s->timestamp_ms);
out:
	return rc;
}

/* Appends one TimeSeries field whose payload is len bytes. */
static enum err put_series(struct buf *b, const struct pb_series *ts,
			   size_t len)
{
	enum err rc;
	size_t i;

	rc = put_head(b, TAG_REQUEST_TIMESERIES, len);
	if (rc)
		goto out;
	for (i = 0; i < ts->n_labels; i++) {
		const struct pb_label *l = &ts->labels[i];

		rc = put_head(b, TAG_SERIES_LABEL, label_len(l));
		if (rc)
			goto out;
		rc = put_string(b, TAG_LABEL_NAME, l->name);
		if (rc)
			goto out;
		rc = put_string(b, TAG_LABEL_VALUE, l->value);
		if (rc)
			goto out;
	}
	for (i = 0; i < ts->n_samples; i++) {
		rc = put_sample(b, &ts->samples[i]);
		if (rc)
			goto out;
	}
out:
	return rc;
}

/* Sizes are computed first (each message is prefixed by its length), with
 * overflow checks, before anything is appended: a size that does not fit
 * is ERR_TOO_LARGE and leaves out as it was. An append that fails empties
 * out (buf's rule). */
enum err pbwrite_request(struct buf *out, const struct pb_series *series,
			 size_t n)
{
	enum err rc = OK;
	size_t i;

	for (i = 0; i < n; i++) {
		size_t len = series_len(&series[i]);

		if (len == SIZE_MAX || field_len(len) == SIZE_MAX) {
			rc = ERR_TOO_LARGE;
			goto out;
		}
	}
	for (i = 0; i < n; i++) {
		rc = put_series(out, &series[i], series_len(&series[i]));
		if (rc)
			goto out;
	}
out:
	return rc;
}
