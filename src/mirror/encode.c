/* encode.c - the success bodies of the Mirror API (spec section 5). Points
 * are the bulk of every answer, so they are written straight into the
 * output buffer with the shortest round-trip number format. */
#include "common/jsonw.h"
#include "mirror/encode.h"

static const char *bool_text(int b)
{
	return b ? "true" : "false";
}

/* telemetry_open: the MetricsResponse frame up to the first point. */
static enum err telemetry_open(struct buf *out, const char *type,
			       const char *format)
{
	return buf_printf(out, "{\"_type\": \"MetricsResponse\", \"telemetry\": "
			  "{\"_type\": \"%s\", \"dataFormat\": %s, \"points\": [",
			  type, format);
}

/* point: the i-th point, [value, t[0], ..., t[nt-1]]. */
static enum err point(struct buf *out, size_t i, double v, const int64_t *t,
		      size_t nt)
{
	enum err rc;
	size_t k;

	rc = buf_puts(out, i ? ", [" : "[");
	if (!rc)
		rc = jsonw_double(out, v);
	for (k = 0; !rc && k < nt; k++) {
		rc = buf_puts(out, ", ");
		if (!rc)
			rc = jsonw_int(out, t[k]);
	}
	if (!rc)
		rc = buf_puts(out, "]");
	return rc;
}

static enum err telemetry_close(struct buf *out, int partial)
{
	return buf_printf(out, "], \"isPartial\": %s}}", bool_text(partial));
}

enum err encode_raw(struct buf *out, const struct point *pts, size_t n,
		    int partial)
{
	enum err rc;
	size_t i;

	rc = telemetry_open(out, "RawMetricTelemetry", "[\"value\", \"timestamp\"]");
	for (i = 0; !rc && i < n; i++)
		rc = point(out, i, pts[i].v, &pts[i].t_ms, 1);
	if (!rc)
		rc = telemetry_close(out, partial);
	return rc;
}

enum err encode_aggregated(struct buf *out, const struct agg_point *pts,
			   size_t n, int partial)
{
	enum err rc;
	size_t i;

	rc = telemetry_open(out, "AggregatedMetricTelemetry",
			    "[\"value\", \"startTimestamp\", \"endTimestamp\"]");
	for (i = 0; !rc && i < n; i++) {
		const int64_t t[2] = { pts[i].start_ms, pts[i].end_ms };

		rc = point(out, i, pts[i].v, t, 2);
	}
	if (!rc)
		rc = telemetry_close(out, partial);
	return rc;
}

enum err encode_field_names(struct buf *out, char *const *names, size_t count,
			    int partial)
{
	enum err rc;
	size_t i;

	rc = buf_puts(out, "{\"_type\": \"FieldNamesResponse\", \"fields\": [");
	for (i = 0; !rc && i < count; i++) {
		rc = buf_puts(out, i ? ", {\"_type\": \"FieldDescriptor\", \"fieldName\": "
				     : "{\"_type\": \"FieldDescriptor\", \"fieldName\": ");
		if (!rc)
			rc = jsonw_str(out, names[i]);
		if (!rc)
			rc = buf_puts(out, ", \"fieldType\": \"STRING\", \"classified\": false}");
	}
	if (!rc)
		rc = buf_printf(out, "], \"isPartial\": %s}", bool_text(partial));
	return rc;
}

enum err encode_field_values(struct buf *out, char *const *values,
			     size_t count, int partial)
{
	enum err rc;
	size_t i;

	rc = buf_puts(out, "{\"_type\": \"FieldValuesResponse\", \"values\": [");
	for (i = 0; !rc && i < count; i++) {
		rc = buf_puts(out, i ? ", {\"_type\": \"CompleteValue\", \"value\": "
				     : "{\"_type\": \"CompleteValue\", \"value\": ");
		if (!rc)
			rc = jsonw_str(out, values[i]);
		if (!rc)
			rc = buf_puts(out, "}");
	}
	if (!rc)
		rc = buf_printf(out, "], \"isPartial\": %s}", bool_text(partial));
	return rc;
}
