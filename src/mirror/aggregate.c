/* aggregate.c - epoch-aligned buckets and the aggregation methods of spec
 * 4.3; see aggregate.h. */
#include <strings.h>

#include "mirror/aggregate.h"

/* One row per method; adding a method is adding a row here. */
static const struct {
	const char *name;
} methods[AGG__COUNT] = {
	[AGG_MEAN] = { "MEAN" },
	[AGG_MIN] = { "MIN" },
	[AGG_MAX] = { "MAX" },
	[AGG_SUM] = { "SUM" },
	[AGG_EVENT_COUNT] = { "EVENT_COUNT" },
	[AGG_PERCENTILE_25] = { "PERCENTILE_25" },
	[AGG_PERCENTILE_50] = { "PERCENTILE_50" },
	[AGG_PERCENTILE_75] = { "PERCENTILE_75" },
	[AGG_PERCENTILE_90] = { "PERCENTILE_90" },
	[AGG_PERCENTILE_95] = { "PERCENTILE_95" },
	[AGG_PERCENTILE_98] = { "PERCENTILE_98" },
	[AGG_PERCENTILE_99] = { "PERCENTILE_99" },
	[AGG_SUM_NO_ZEROS] = { "SUM_NO_ZEROS" },
	[AGG_EVENT_COUNT_NO_ZEROS] = { "EVENT_COUNT_NO_ZEROS" },
};

enum err agg_method_parse(const char *name, enum agg_method *out)
{
	int i;

	for (i = 0; i < AGG__COUNT; i++) {
		if (strcasecmp(name, methods[i].name) == 0) {
			*out = (enum agg_method)i;
			return OK;
		}
	}
	return ERR_BAD_REQUEST;
}

const char *agg_method_name(enum agg_method m)
{
	if ((unsigned)m >= AGG__COUNT)
		return "UNKNOWN";
	return methods[m].name;
}
