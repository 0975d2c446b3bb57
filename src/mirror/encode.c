/* encode.c - the success bodies of the Mirror API (spec section 5). Points
 * are the bulk of every answer, so they are written straight into the
 * output buffer with the shortest round-trip number format. */
#include "common/jsonw.h"
#include "mirror/encode.h"

static const char *bool_text(int b)
{
	return b ? "true" : "false";
}

enum err encode_raw(struct buf *out, const struct point *pts, size_t n,
		    int partial)
{
	enum err rc;
	size_t i;

	rc = buf_puts(out, "{\"_type\": \"MetricsResponse\", \"telemetry\": "
			   "{\"_type\": \"RawMetricTelemetry\", "
			   "\"dataFormat\": [\"value\", \"timestamp\"], \"points\": [");
	for (i = 0; !rc && i < n; i++) {
		rc = buf_puts(out, i ? ", [" : "[");
		if (!rc)
			rc = jsonw_double(out, pts[i].v);
		if (!rc)
			rc = buf_puts(out, ", ");
		if (!rc)
			rc = jsonw_int(out, pts[i].t_ms);
		if (!rc)
			rc = buf_puts(out, "]");
	}
	if (!rc)
		rc = buf_printf(out, "], \"isPartial\": %s}}", bool_text(partial));
	return rc;
}

enum err encode_aggregated(struct buf *out, const struct agg_point *pts,
			   size_t n, int partial)
{
	enum err rc;
	size_t i;

	rc = buf_puts(out, "{\"_type\": \"MetricsResponse\", \"telemetry\": "
			   "{\"_type\": \"AggregatedMetricTelemetry\", "
			   "\"dataFormat\": [\"value\", \"startTimestamp\", \"endTimestamp\"], "
			   "\"points\": [");
	for (i = 0; !rc && i < n; i++) {
		rc = buf_puts(out, i ? ", [" : "[");
		if (!rc)
			rc = jsonw_double(out, pts[i].v);
		if (!rc)
			rc = buf_puts(out, ", ");
		if (!rc)
			rc = jsonw_int(out, pts[i].start_ms);
		if (!rc)
			rc = buf_puts(out, ", ");
		if (!rc)
			rc = jsonw_int(out, pts[i].end_ms);
		if (!rc)
			rc = buf_puts(out, "]");
	}
	if (!rc)
		rc = buf_printf(out, "], \"isPartial\": %s}}", bool_text(partial));
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
