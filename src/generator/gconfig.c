/* gconfig.c - reading metrics-generator's JSON configuration: global
 * settings, each series (name, type, labels, buckets, program), durations
 * and times. Everything is checked before anything runs; an error names the
 * file, the JSONPath of the field and what was expected, and keeps nothing. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "generator/gconfig.h"

/* A config file larger than this is refused rather than read. */
#define CONFIG_MAX (16u << 20)

#define DAY_MS 86400000LL

/* Prometheus' duration units, largest first: a duration names each at most
 * once, in this order (model.ParseDuration). */
static const struct unit {
	const char *name;
	int64_t ms;
} units[] = {
	{ "y", 365 * DAY_MS },
	{ "w", 7 * DAY_MS },
	{ "d", DAY_MS },
	{ "h", 3600000 },
	{ "m", 60000 },
	{ "s", 1000 },
	{ "ms", 1 },
};
#define N_UNITS (sizeof(units) / sizeof(units[0]))

static const struct type_row {
	const char *name;
	enum gseries_type type;
} types[] = {
	{ "gauge", GSERIES_GAUGE },
	{ "counter", GSERIES_COUNTER },
	{ "histogram", GSERIES_HISTOGRAM },
};
#define N_TYPES (sizeof(types) / sizeof(types[0]))

static const char *const global_keys[] = { "interval", "start", "seed", "series", NULL };
static const char *const series_keys[] = {
	"id", "name", "type", "help", "labels", "buckets", "program", NULL
};

/* ---- durations and times ----------------------------------------------- */

/* Digits then a unit, repeated, units strictly decreasing; "0" alone is
 * zero as in Prometheus. Every step is checked for int64 overflow. */
static enum err duration_parse(const char *s, int allow_zero, int64_t *ms)
{
	const char *p = s;
	size_t next = 0, i, ulen;
	int64_t total = 0;

	if (!s || !*s)
		return ERR_BAD_REQUEST;
	if (strcmp(s, "0") == 0) {
		if (!allow_zero)
			return ERR_BAD_REQUEST;
		*ms = 0;
		return OK;
	}
	while (*p) {
		int64_t n = 0;
		const char *digits = p, *u;

		for (; *p >= '0' && *p <= '9'; p++) {
			if (n > (INT64_MAX - (*p - '0')) / 10)
				return ERR_BAD_REQUEST;
			n = n * 10 + (*p - '0');
		}
		if (p == digits)
			return ERR_BAD_REQUEST;
		for (u = p; *p >= 'a' && *p <= 'z'; p++)
			;
		ulen = (size_t)(p - u);
		for (i = next; i < N_UNITS; i++)
			if (strlen(units[i].name) == ulen && memcmp(units[i].name, u, ulen) == 0)
				break;
		if (i == N_UNITS)
			return ERR_BAD_REQUEST;
		next = i + 1;
		if (n > INT64_MAX / units[i].ms || total > INT64_MAX - n * units[i].ms)
			return ERR_BAD_REQUEST;
		total += n * units[i].ms;
	}
	if (total == 0 && !allow_zero)
		return ERR_BAD_REQUEST;
	*ms = total;
	return OK;
}

enum err gconfig_duration_str(const char *s, int64_t *ms)
{
	return duration_parse(s, 0, ms);
}

enum err gconfig_span_str(const char *s, int64_t *ms)
{
	return duration_parse(s, 1, ms);
}

/* Seconds as a JSON number to ms, rounded to the nearest; refuses what does
 * not fit an int64 or is negative. */
static enum err seconds_ms(const json_t *v, int64_t *ms)
{
	double x;

	if (json_is_integer(v)) {
		json_int_t i = json_integer_value(v);

		if (i < 0 || i > INT64_MAX / 1000)
			return ERR_BAD_REQUEST;
		*ms = (int64_t)i * 1000;
		return OK;
	}
	x = json_number_value(v) * 1000.0;
	if (!(x >= 0) || x >= 9223372036854775808.0)
		return ERR_BAD_REQUEST;
	*ms = (int64_t)llround(x);
	return OK;
}

enum err gconfig_duration(const json_t *v, int64_t *ms)
{
	int64_t d;
	enum err rc;

	if (json_is_string(v))
		return gconfig_duration_str(json_string_value(v), ms);
	if (!json_is_number(v))
		return ERR_BAD_REQUEST;
	rc = seconds_ms(v, &d);
	if (rc)
		return rc;
	if (d <= 0)
		return ERR_BAD_REQUEST;
	*ms = d;
	return OK;
}

/* Reads exactly n digits at s into *out. */
static int fixed_digits(const char *s, int n, int *out)
{
	int i, v = 0;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 1;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
 * days_from_civil). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int days_in_month(int y, int m)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && leap ? 29 : days[m - 1];
}

/* RFC 3339: YYYY-MM-DDTHH:MM:SS[.frac](Z|+hh:mm|-hh:mm), T and Z in either
 * case. Fractions are cut to milliseconds; leap seconds are refused, as Go's
 * time.Parse does. */
static enum err rfc3339(const char *s, int64_t *ms)
{
	int y, mo, d, h, mi, sec, oh = 0, om = 0, frac = 0, scale = 100;
	int64_t t;
	const char *p;

	if (strlen(s) < 20 || !fixed_digits(s, 4, &y) || s[4] != '-' ||
	    !fixed_digits(s + 5, 2, &mo) || s[7] != '-' ||
	    !fixed_digits(s + 8, 2, &d) || (s[10] != 'T' && s[10] != 't') ||
	    !fixed_digits(s + 11, 2, &h) || s[13] != ':' ||
	    !fixed_digits(s + 14, 2, &mi) || s[16] != ':' ||
	    !fixed_digits(s + 17, 2, &sec))
		return ERR_BAD_REQUEST;
	if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) ||
	    h > 23 || mi > 59 || sec > 59)
		return ERR_BAD_REQUEST;
	p = s + 19;
	if (*p == '.') {
		if (p[1] < '0' || p[1] > '9')
			return ERR_BAD_REQUEST;
		for (p++; *p >= '0' && *p <= '9'; p++) {
			frac += (*p - '0') * scale;
			scale /= 10;
		}
	}
	if ((*p == 'Z' || *p == 'z') && p[1] == '\0') {
		oh = om = 0;
	} else if ((*p == '+' || *p == '-') && fixed_digits(p + 1, 2, &oh) &&
		   p[3] == ':' && fixed_digits(p + 4, 2, &om) && p[6] == '\0' &&
		   oh <= 23 && om <= 59) {
		if (*p == '-') {
			oh = -oh;
			om = -om;
		}
	} else {
		return ERR_BAD_REQUEST;
	}
	t = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec;
	t -= oh * 3600 + om * 60;
	*ms = t * 1000 + frac;
	return OK;
}

/* Epoch seconds as a digit string, with an optional fraction cut to ms. */
static enum err epoch_digits(const char *s, int64_t *ms)
{
	int64_t secs = 0;
	int frac = 0, scale = 100;
	const char *p = s;

	for (; *p >= '0' && *p <= '9'; p++) {
		if (secs > (INT64_MAX / 1000 - (*p - '0')) / 10)
			return ERR_BAD_REQUEST;
		secs = secs * 10 + (*p - '0');
	}
	if (p == s)
		return ERR_BAD_REQUEST;
	if (*p == '.') {
		if (p[1] < '0' || p[1] > '9')
			return ERR_BAD_REQUEST;
		for (p++; *p >= '0' && *p <= '9'; p++) {
			frac += (*p - '0') * scale;
			scale /= 10;
		}
	}
	if (*p)
		return ERR_BAD_REQUEST;
	*ms = secs * 1000 + frac;
	return OK;
}

enum err gconfig_time_str(const char *s, int64_t *ms)
{
	if (!s || !*s)
		return ERR_BAD_REQUEST;
	if (epoch_digits(s, ms) == OK)
		return OK;
	return rfc3339(s, ms);
}

enum err gconfig_time(const json_t *v, int64_t *ms)
{
	if (json_is_string(v))
		return gconfig_time_str(json_string_value(v), ms);
	if (!json_is_number(v))
		return ERR_BAD_REQUEST;
	return seconds_ms(v, ms);
}

/* ---- series ------------------------------------------------------------ */

/* Puts "LABEL: " before the message already in ei (label may be NULL). */
static void prefix_label(struct errinfo *ei, const char *label)
{
	size_t cap, ll, dl;

	if (!ei || !label)
		return;
	cap = sizeof(ei->details);
	ll = strlen(label);
	if (ll > cap / 2)
		ll = cap / 2;
	dl = strnlen(ei->details, cap - 1);
	if (ll + 2 + dl > cap - 1)
		dl = cap - 1 - ll - 2;
	memmove(ei->details + ll + 2, ei->details, dl);
	memcpy(ei->details, label, ll);
	memcpy(ei->details + ll, ": ", 2);
	ei->details[ll + 2 + dl] = '\0';
}

/* The first key of obj that allowed (NULL-terminated) does not list, or
 * NULL. */
static const char *unknown_key(const json_t *obj, const char *const *allowed)
{
	const char *key;
	json_t *val;
	size_t i;

	json_object_foreach((json_t *)obj, key, val) {
		(void)val;
		for (i = 0; allowed[i]; i++)
			if (strcmp(allowed[i], key) == 0)
				break;
		if (!allowed[i])
			return key;
	}
	return NULL;
}

/* The error for an unknown key at path.key. */
static enum err fail_unknown(struct errinfo *ei, struct iter_path *p,
			     const char *key, const char *expected)
{
	return iter_expected_key(ei, p, key, expected, "unknown key ");
}

/* The error at path.key for the value v. */
static enum err fail_at(struct errinfo *ei, struct iter_path *p, const char *key,
			const char *expected, const json_t *v)
{
	size_t saved = iter_path_key(p, key);

	iter_expected(ei, p->s, expected, v);
	iter_path_pop(p, saved);
	return ERR_BAD_REQUEST;
}

static int name_char(unsigned char c, int first, int colon)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_')
		return 1;
	if (colon && c == ':')
		return 1;
	return !first && c >= '0' && c <= '9';
}

/* [a-zA-Z_:][a-zA-Z0-9_:]* for metric names (colon 1), without ':' for
 * label names. */
static int valid_name(const char *s, int colon)
{
	const unsigned char *c = (const unsigned char *)s;

	if (!*c || !name_char(*c, 1, colon))
		return 0;
	for (c++; *c; c++)
		if (!name_char(*c, 0, colon))
			return 0;
	return 1;
}

static enum err dup_str(const char *s, char **out)
{
	size_t n = strlen(s) + 1;
	char *d = malloc(n);

	if (!d)
		return ERR_NOMEM;
	memcpy(d, s, n);
	*out = d;
	return OK;
}

static int label_cmp(const void *a, const void *b)
{
	return strcmp(((const struct glabel *)a)->name, ((const struct glabel *)b)->name);
}

/* A label value as a PromQL string: double quotes, with the backslash, the
 * quote and control bytes escaped (Go's strconv.Quote for ASCII). */
static enum err quote_promql(struct buf *b, const char *s)
{
	const unsigned char *c;
	enum err rc = buf_puts(b, "\"");

	for (c = (const unsigned char *)s; !rc && *c; c++) {
		switch (*c) {
		case '\\': rc = buf_puts(b, "\\\\"); break;
		case '"': rc = buf_puts(b, "\\\""); break;
		case '\n': rc = buf_puts(b, "\\n"); break;
		case '\r': rc = buf_puts(b, "\\r"); break;
		case '\t': rc = buf_puts(b, "\\t"); break;
		default:
			if (*c < 0x20 || *c == 0x7f)
				rc = buf_printf(b, "\\x%02x", *c);
			else
				rc = buf_append(b, c, 1);
		}
	}
	if (!rc)
		rc = buf_puts(b, "\"");
	return rc;
}

/* name{a="x", b="y"} with the labels already sorted; just the name when
 * there are none. Returns a malloc'd string in *out. */
static enum err default_id(const struct gseries *s, char **out)
{
	struct buf b;
	size_t i;
	enum err rc;
	char *id;

	buf_init(&b, 1u << 20);
	rc = buf_puts(&b, s->name);
	for (i = 0; !rc && i < s->n_labels; i++) {
		rc = buf_puts(&b, i ? ", " : "{");
		if (!rc)
			rc = buf_puts(&b, s->labels[i].name);
		if (!rc)
			rc = buf_puts(&b, "=");
		if (!rc)
			rc = quote_promql(&b, s->labels[i].value);
	}
	if (!rc && s->n_labels)
		rc = buf_puts(&b, "}");
	if (rc)
		goto out;
	id = buf_steal(&b);
	if (!id) {
		rc = ERR_NOMEM;
		goto out;
	}
	*out = id;
out:
	buf_free(&b);
	return rc;
}

/* labels: an object of label name -> non-empty string. */
static enum err parse_labels(const json_t *obj, struct iter_path *p, int histogram,
			     struct gseries *s, struct errinfo *ei)
{
	const char *key;
	json_t *val;
	size_t n = 0, saved;
	enum err rc = OK;

	if (!json_is_object(obj))
		return fail_at(ei, p, "labels", "an object of label names to strings", obj);
	if (json_object_size(obj) == 0)
		return OK;
	s->labels = calloc(json_object_size(obj), sizeof(*s->labels));
	if (!s->labels)
		return err_set(ei, ERR_NOMEM, "out of memory");
	saved = iter_path_key(p, "labels");
	json_object_foreach((json_t *)obj, key, val) {
		if (!valid_name(key, 0) || strncmp(key, "__", 2) == 0) {
			rc = iter_expected_key(ei, p, key,
					       "a label name ([a-zA-Z_][a-zA-Z0-9_]*, not starting with __)", "");
			break;
		}
		if (histogram && strcmp(key, "le") == 0) {
			rc = iter_expected_key(ei, p, key, "a label name other than le in a histogram", "");
			break;
		}
		if (!json_is_string(val) || json_string_length(val) == 0) {
			rc = fail_at(ei, p, key, "a non-empty string", val);
			break;
		}
		if (dup_str(key, &s->labels[n].name) ||
		    dup_str(json_string_value(val), &s->labels[n].value)) {
			rc = err_set(ei, ERR_NOMEM, "out of memory");
			n++;
			break;
		}
		n++;
	}
	s->n_labels = n;
	iter_path_pop(p, saved);
	if (!rc)
		qsort(s->labels, s->n_labels, sizeof(*s->labels), label_cmp);
	return rc;
}

/* buckets: a non-empty array of strictly increasing numbers (+Inf is
 * added by the outputs, not listed). */
static enum err parse_buckets(const json_t *arr, struct iter_path *p,
			      struct gseries *s, struct errinfo *ei)
{
	static const char expected[] = "a non-empty array of strictly increasing numbers";
	size_t i, n, saved;
	enum err rc = OK;

	if (!json_is_array(arr) || json_array_size(arr) == 0)
		return fail_at(ei, p, "buckets", expected, arr);
	n = json_array_size(arr);
	s->buckets = calloc(n, sizeof(*s->buckets));
	if (!s->buckets)
		return err_set(ei, ERR_NOMEM, "out of memory");
	saved = iter_path_key(p, "buckets");
	for (i = 0; i < n; i++) {
		const json_t *x = json_array_get(arr, i);
		size_t at;

		if (!json_is_number(x) || !isfinite(json_number_value(x)) ||
		    (i > 0 && !(json_number_value(x) > s->buckets[i - 1]))) {
			at = iter_path_index(p, i);
			rc = iter_expected(ei, p->s, i ? "a number greater than the bucket before"
						     : "a number", x);
			iter_path_pop(p, at);
			break;
		}
		s->buckets[i] = json_number_value(x);
		s->n_buckets = i + 1;
	}
	iter_path_pop(p, saved);
	return rc;
}

/* The checks of one series without the label prefix: gconfig_series adds
 * it. *s is filled as far as it gets; the caller frees it on failure. */
static enum err build_series(const struct gconfig *cfg, const json_t *obj,
			     struct iter_path *p, struct gseries *s, struct errinfo *ei)
{
	const json_t *name, *type, *id, *help, *labels, *buckets, *program;
	const char *key;
	size_t i, saved;
	enum err rc;

	if (!json_is_object(obj))
		return iter_expected(ei, p->s, "a series object {name, type, program, ...}", obj);
	key = unknown_key(obj, series_keys);
	if (key)
		return fail_unknown(ei, p, key,
				    "one of id, name, type, help, labels, buckets, program");

	name = json_object_get(obj, "name");
	if (!json_is_string(name) || !valid_name(json_string_value(name), 1))
		return fail_at(ei, p, "name", "a metric name ([a-zA-Z_:][a-zA-Z0-9_:]*)", name);
	type = json_object_get(obj, "type");
	for (i = 0; json_is_string(type) && i < N_TYPES; i++)
		if (strcmp(types[i].name, json_string_value(type)) == 0)
			break;
	if (!json_is_string(type) || i == N_TYPES)
		return fail_at(ei, p, "type", "\"gauge\", \"counter\" or \"histogram\"", type);
	s->type = types[i].type;
	if (s->type == GSERIES_COUNTER) {
		const char *n = json_string_value(name);
		size_t len = strlen(n);

		/* "_total" alone would leave OpenMetrics an empty family name */
		if (len <= 6 || strcmp(n + len - 6, "_total") != 0)
			return fail_at(ei, p, "name", "a counter name ending in _total", name);
	}
	if (dup_str(json_string_value(name), &s->name))
		return err_set(ei, ERR_NOMEM, "out of memory");

	help = json_object_get(obj, "help");
	if (help && !json_is_string(help))
		return fail_at(ei, p, "help", "a string", help);
	if (help && dup_str(json_string_value(help), &s->help))
		return err_set(ei, ERR_NOMEM, "out of memory");

	labels = json_object_get(obj, "labels");
	if (labels) {
		rc = parse_labels(labels, p, s->type == GSERIES_HISTOGRAM, s, ei);
		if (rc)
			return rc;
	}

	buckets = json_object_get(obj, "buckets");
	if (s->type == GSERIES_HISTOGRAM) {
		rc = parse_buckets(buckets, p, s, ei);
		if (rc)
			return rc;
	} else if (buckets) {
		return fail_at(ei, p, "buckets", "buckets only in a histogram", buckets);
	}

	id = json_object_get(obj, "id");
	if (id) {
		if (!json_is_string(id) || json_string_length(id) == 0)
			return fail_at(ei, p, "id", "a non-empty string", id);
		if (dup_str(json_string_value(id), &s->id))
			return err_set(ei, ERR_NOMEM, "out of memory");
	} else if (default_id(s, &s->id)) {
		return err_set(ei, ERR_NOMEM, "out of memory");
	}

	program = json_object_get(obj, "program");
	saved = iter_path_key(p, "program");
	rc = iter_build(program, p->s, types[i].name,
			iter_seed_id(cfg ? cfg->seed : 0, s->id), &s->program, ei);
	iter_path_pop(p, saved);
	if (rc)
		return rc;
	s->source = json_incref((json_t *)obj);
	return OK;
}

enum err gconfig_series(const struct gconfig *cfg, const json_t *obj,
			const char *label, const char *path,
			struct gseries *out, struct errinfo *ei)
{
	struct gseries s;
	struct iter_path *p;
	enum err rc;

	memset(&s, 0, sizeof(s));
	p = malloc(sizeof(*p));
	if (!p) {
		rc = err_set(ei, ERR_NOMEM, "out of memory");
		goto out;
	}
	iter_path_init(p, path ? path : "$");
	rc = build_series(cfg, obj, p, &s, ei);
	if (rc)
		goto out;
	*out = s;
	memset(&s, 0, sizeof(s));
out:
	if (rc)
		prefix_label(ei, label);
	gseries_free(&s);
	free(p);
	return rc;
}

long gconfig_find_same(const struct gconfig *cfg, const struct gseries *s)
{
	size_t i;

	for (i = 0; cfg && s && i < cfg->n_series; i++)
		if (gseries_same_identity(&cfg->series[i], s))
			return (long)i;
	return -1;
}

long gconfig_find(const struct gconfig *cfg, const char *id)
{
	size_t i;

	for (i = 0; cfg && id && i < cfg->n_series; i++)
		if (cfg->series[i].id && strcmp(cfg->series[i].id, id) == 0)
			return (long)i;
	return -1;
}

/* ---- the file ---------------------------------------------------------- */

/* Series i against the ones before it: the same name and labels, or the
 * same id, is an error naming both; so is one metric family of two types,
 * which no exposition format can express. */
static enum err check_unique(const struct gconfig *cfg, size_t i, const json_t *obj,
			     struct iter_path *p, struct errinfo *ei)
{
	const struct gseries *s = &cfg->series[i];
	char expected[128], other[64];
	json_t *id;
	size_t j;

	for (j = 0; j < i; j++) {
		snprintf(other, sizeof(other), "$.series[%zu]", j);
		if (gseries_same_identity(s, &cfg->series[j])) {
			snprintf(expected, sizeof(expected),
				 "a name and labels that no other series has (%s has them)", other);
			return iter_expected(ei, p->s, expected, json_object_get(obj, "name"));
		}
		if (s->type != cfg->series[j].type && gseries_same_family(s, &cfg->series[j])) {
			snprintf(expected, sizeof(expected),
				 "the type of the same metric family in %s (%s)", other,
				 gseries_type_name(cfg->series[j].type));
			return fail_at(ei, p, "type", expected, json_object_get(obj, "type"));
		}
		if (strcmp(s->id, cfg->series[j].id) == 0) {
			snprintf(expected, sizeof(expected),
				 "an id that no other series has (%s has it)", other);
			if (json_object_get(obj, "id"))
				return fail_at(ei, p, "id", expected, json_object_get(obj, "id"));
			/* the default id, shown as the string it is */
			id = json_string(s->id);
			iter_expected(ei, p->s, expected, id);
			json_decref(id);
			return ERR_BAD_REQUEST;
		}
	}
	return OK;
}

/* The global settings and every series, into cfg; messages without the
 * label (the caller adds it). */
static enum err parse_root(const json_t *root, struct gconfig *cfg, struct errinfo *ei)
{
	struct iter_path p;
	const json_t *v, *series;
	const char *key;
	size_t i, saved;
	enum err rc;

	iter_path_init(&p, "$");
	if (!json_is_object(root))
		return iter_expected(ei, "$", "an object {interval, start, seed, series}", root);
	key = unknown_key(root, global_keys);
	if (key)
		return fail_unknown(ei, &p, key, "one of interval, start, seed, series");

	cfg->interval_ms = 15000;
	v = json_object_get(root, "interval");
	if (v && gconfig_duration(v, &cfg->interval_ms))
		return fail_at(ei, &p, "interval",
			       "a duration > 0 (\"15s\", \"1h30m\" or seconds as a number)", v);
	v = json_object_get(root, "start");
	if (v) {
		if (gconfig_time(v, &cfg->start_ms))
			return fail_at(ei, &p, "start",
				       "a time (RFC 3339 such as \"2026-03-01T00:00:00Z\", or epoch seconds)",
				       v);
		cfg->has_start = 1;
	}
	v = json_object_get(root, "seed");
	if (v) {
		if (!json_is_integer(v) || json_integer_value(v) < 0)
			return fail_at(ei, &p, "seed", "an integer >= 0", v);
		cfg->seed = (uint64_t)json_integer_value(v);
	}

	series = json_object_get(root, "series");
	if (!json_is_array(series) || json_array_size(series) == 0)
		return fail_at(ei, &p, "series", "a non-empty array of series", series);
	cfg->series = calloc(json_array_size(series), sizeof(*cfg->series));
	if (!cfg->series)
		return err_set(ei, ERR_NOMEM, "out of memory");
	saved = iter_path_key(&p, "series");
	for (i = 0; i < json_array_size(series); i++) {
		size_t at = iter_path_index(&p, i);
		const json_t *obj = json_array_get(series, i);

		rc = gconfig_series(cfg, obj, NULL, p.s, &cfg->series[i], ei);
		if (rc)
			return rc;
		cfg->n_series = i + 1;
		rc = check_unique(cfg, i, obj, &p, ei);
		if (rc)
			return rc;
		iter_path_pop(&p, at);
	}
	iter_path_pop(&p, saved);
	return OK;
}

enum err gconfig_parse(const char *text, size_t len, const char *label,
		       struct gconfig *out, struct errinfo *ei)
{
	struct gconfig cfg;
	json_t *root = NULL;
	json_error_t jerr;
	enum err rc;

	memset(&cfg, 0, sizeof(cfg));
	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root) {
		rc = err_set(ei, ERR_BAD_REQUEST, "line %d, column %d: invalid JSON: %s",
			     jerr.line, jerr.column, jerr.text);
		goto out;
	}
	rc = parse_root(root, &cfg, ei);
	if (rc)
		goto out;
	*out = cfg;
	memset(&cfg, 0, sizeof(cfg));
out:
	if (rc)
		prefix_label(ei, label);
	gconfig_free(&cfg);
	json_decref(root);
	return rc;
}

enum err gconfig_load(const char *file, struct gconfig *out, struct errinfo *ei)
{
	struct buf b;
	FILE *f = NULL;
	char chunk[8192];
	size_t n;
	enum err rc = OK;

	buf_init(&b, CONFIG_MAX);
	f = fopen(file, "rb");
	if (!f) {
		rc = err_set(ei, ERR_BAD_REQUEST, "%s: cannot read: %s", file, strerror(errno));
		goto out;
	}
	errno = 0;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		rc = buf_append(&b, chunk, n);
		if (rc) {
			err_set(ei, ERR_BAD_REQUEST, "%s: cannot read: %s", file,
				rc == ERR_TOO_LARGE ? "larger than 16 MiB" : "out of memory");
			rc = ERR_BAD_REQUEST;
			goto out;
		}
	}
	if (ferror(f)) {
		rc = err_set(ei, ERR_BAD_REQUEST, "%s: cannot read: %s", file,
			     errno ? strerror(errno) : "read error");
		goto out;
	}
	rc = gconfig_parse(buf_cstr(&b), b.len, file, out, ei);
out:
	if (f)
		fclose(f);
	buf_free(&b);
	return rc;
}

void gconfig_free(struct gconfig *cfg)
{
	size_t i;

	if (!cfg)
		return;
	for (i = 0; i < cfg->n_series; i++)
		gseries_free(&cfg->series[i]);
	free(cfg->series);
	memset(cfg, 0, sizeof(cfg[0]));
}
