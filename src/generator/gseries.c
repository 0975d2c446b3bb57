/* gseries.c - a series' running state and the step from one tick to the
 * next: a gauge shows the program's value, a counter adds it to its total,
 * a histogram counts it as one observation (generator-spec "Precise rules"). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/jsonw.h"
#include "generator/gseries.h"

static const char *const type_names[] = {
	[GSERIES_GAUGE] = "gauge",
	[GSERIES_COUNTER] = "counter",
	[GSERIES_HISTOGRAM] = "histogram",
};

const char *gseries_type_name(enum gseries_type type)
{
	if ((size_t)type >= sizeof(type_names) / sizeof(type_names[0]))
		return "untyped";
	return type_names[type];
}

/* The bucket counts are allocated even for zero buckets (one slot) so that
 * a histogram's state is never NULL. */
enum err gseries_state_init(const struct gseries *s, struct gstate *st)
{
	struct gstate fresh;

	memset(&fresh, 0, sizeof(fresh));
	if (s->type == GSERIES_HISTOGRAM) {
		fresh.bucket_counts = calloc(s->n_buckets ? s->n_buckets : 1,
					     sizeof(*fresh.bucket_counts));
		if (!fresh.bucket_counts)
			return ERR_NOMEM;
	}
	*st = fresh;
	return OK;
}

void gseries_state_free(struct gstate *st)
{
	if (!st)
		return;
	free(st->bucket_counts);
	st->bucket_counts = NULL;
}

/* Counts one observation: every bound at or above v. A NaN observation is
 * in no finite bucket, only in +Inf (the count), and makes the sum NaN. */
static void observe(const struct gseries *s, struct gstate *st, double v)
{
	size_t i;

	for (i = 0; i < s->n_buckets; i++)
		if (v <= s->buckets[i])
			st->bucket_counts[i]++;
	st->count++;
	st->sum += v;
}

/* A negative increment (-Inf too) is the run-time error of the spec; a NaN
 * increment is an IEEE result and is kept (the total becomes NaN until a
 * reset). The state is ended so the series writes nothing more. */
enum err gseries_step(const struct gseries *s, struct gstate *st, double t_s,
		      struct errinfo *ei)
{
	enum iter_tick r;
	uint64_t k = st->next_k;
	double v = 0;
	char num[FMT_DOUBLE_MAX];

	st->wrote = 0;
	if (st->ended)
		return OK;
	r = iter_at(s->program, k, t_s, &v);
	if (r == ITER_END) {
		/* next_k stays at the program's length */
		st->ended = 1;
		return OK;
	}
	st->next_k = k + 1;
	switch (r) {
	case ITER_END:
		return OK;
	case ITER_VOID:
		return OK;
	case ITER_RESET:
		if (s->type != GSERIES_COUNTER)
			return OK;
		st->value = 0;
		st->wrote = 1;
		return OK;
	case ITER_VALUE:
		break;
	}
	switch (s->type) {
	case GSERIES_GAUGE:
		st->value = v;
		break;
	case GSERIES_COUNTER:
		if (v < 0) {
			st->ended = 1;
			return err_set(ei, ERR_INTERNAL,
				       "series %s: negative increment %s at tick %llu",
				       s->name, fmt_double(v, num), (unsigned long long)k);
		}
		st->value += v;
		break;
	case GSERIES_HISTOGRAM:
		observe(s, st, v);
		break;
	}
	st->wrote = 1;
	return OK;
}

/* Writes sample i into out when it fits. */
static void put(struct gsample *out, size_t cap, size_t i,
		const char *suffix, double le, double value)
{
	if (i < cap) {
		out[i].suffix = suffix;
		out[i].le = le;
		out[i].value = value;
	}
}

size_t gseries_samples(const struct gseries *s, const struct gstate *st,
		       struct gsample *out, size_t cap)
{
	size_t i;

	if (s->type != GSERIES_HISTOGRAM) {
		put(out, cap, 0, "", 0, st->value);
		return 1;
	}
	for (i = 0; i < s->n_buckets; i++)
		put(out, cap, i, "_bucket", s->buckets[i], (double)st->bucket_counts[i]);
	put(out, cap, i++, "_bucket", INFINITY, (double)st->count);
	put(out, cap, i++, "_sum", 0, st->sum);
	put(out, cap, i++, "_count", 0, (double)st->count);
	return i;
}

void gseries_free(struct gseries *s)
{
	size_t i;

	if (!s)
		return;
	free(s->id);
	free(s->name);
	free(s->help);
	for (i = 0; i < s->n_labels; i++) {
		free(s->labels[i].name);
		free(s->labels[i].value);
	}
	free(s->labels);
	free(s->buckets);
	iter_free(s->program);
	json_decref(s->source);
	memset(s, 0, sizeof(*s));
}

int gseries_same_identity(const struct gseries *a, const struct gseries *b)
{
	size_t i;

	if (strcmp(a->name, b->name) != 0 || a->n_labels != b->n_labels)
		return 0;
	for (i = 0; i < a->n_labels; i++)
		if (strcmp(a->labels[i].name, b->labels[i].name) != 0 ||
		    strcmp(a->labels[i].value, b->labels[i].value) != 0)
			return 0;
	return 1;
}

int gseries_same_family(const struct gseries *a, const struct gseries *b)
{
	size_t la = strlen(a->name), lb = strlen(b->name);

	if (a->type == GSERIES_COUNTER && la > 6)
		la -= 6;
	if (b->type == GSERIES_COUNTER && lb > 6)
		lb -= 6;
	return strcmp(a->name, b->name) == 0 ||
	       (la == lb && strncmp(a->name, b->name, la) == 0);
}
