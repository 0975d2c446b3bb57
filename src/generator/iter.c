/* iter.c - value programs: compiling the JSON tree of iterators into nodes
 * (with every check of generator-spec "Precise rules") and evaluating any
 * tick of it in any order. One table row per iterator kind: its name, its
 * parser, its length and its evaluator. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/jsonw.h"
#include "generator/gconfig.h"
#include "generator/iter.h"

/* Programs nested deeper than this are refused: evaluation recurses once per
 * level, and no teaching example comes near it. */
#define MAX_DEPTH 64

/* How many characters of an offending value a message shows. */
#define GOT_MAX 40

#define FOREVER UINT64_MAX

struct node;
struct build;

/* One iterator kind. parse fills the node from the value under the kind's
 * key (the path then points at that key); length gives the node's number of
 * ticks from its fields and its children's lengths (FOREVER: never ends);
 * eval gives tick k < length. op and wave are for the arithmetic and the
 * periodic rows. */
struct kind {
	const char *name;
	enum err (*parse)(struct build *b, const json_t *v, struct node *n);
	uint64_t (*length)(const struct node *n);
	enum iter_tick (*eval)(const struct iter *it, const struct node *n,
			       uint64_t k, double t, double *v);
	double (*op)(double a, double b);
	double (*wave)(double x);
};

/* One compiled node. Which part of u is used depends on the kind. */
struct node {
	const struct kind *kind;
	uint64_t len;           /* ticks before the end, FOREVER when none */
	uint64_t index;         /* preorder position in the program (random) */
	union {
		struct { double from, to; uint64_t ticks; } linear;
		struct { double min, max; uint64_t ticks; } random; /* ticks FOREVER: forever */
		uint64_t count;                                      /* void, reset */
		uint64_t times;                                      /* loop; FOREVER: forever */
		double constant;
		struct { double amplitude, period_s, phase_s, offset; } wave;
	} u;
	double *vals;           /* values: n_vals numbers */
	size_t n_vals;
	struct node **kids;     /* join, loop (1), arithmetic (2) */
	size_t n_kids;
	uint64_t *ends;         /* join: tick at which child i ends, cumulative */
};

struct iter {
	struct node *root;
	uint64_t seed;          /* iter_build's seed_id */
};

/* State of one iter_build call. */
struct build {
	struct iter_path path;
	int is_counter;
	const char *type;
	int arith;              /* > 0 while under add/sub/mul/div */
	int depth;
	uint64_t next_index;
	struct errinfo *ei;
};

static const struct kind *kind_find(const char *name);
static void kind_list(char *out, size_t cap);

/* ---- JSONPath and messages --------------------------------------------- */

/* Appends n bytes to the path, cutting what does not fit. */
static void path_add(struct iter_path *p, const char *s, size_t n)
{
	size_t room = sizeof(p->s) - 1 - p->len;

	if (n > room)
		n = room;
	memcpy(p->s + p->len, s, n);
	p->len += n;
	p->s[p->len] = '\0';
}

void iter_path_init(struct iter_path *p, const char *root)
{
	p->len = 0;
	p->s[0] = '\0';
	path_add(p, root, strlen(root));
}

static int is_ident(const char *key)
{
	const unsigned char *c = (const unsigned char *)key;

	if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || *c == '_'))
		return 0;
	for (c++; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
		      (*c >= '0' && *c <= '9') || *c == '_'))
			return 0;
	return 1;
}

/* Identifiers as ".key"; anything else as ["..."] with the quote, the
 * backslash and control bytes escaped as in JSON, so a message never carries
 * a raw control byte. */
size_t iter_path_key(struct iter_path *p, const char *key)
{
	size_t saved = p->len;
	const unsigned char *c;

	if (is_ident(key)) {
		path_add(p, ".", 1);
		path_add(p, key, strlen(key));
		return saved;
	}
	path_add(p, "[\"", 2);
	for (c = (const unsigned char *)key; *c; c++) {
		char esc[8];

		if (*c == '"' || *c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)*c;
			path_add(p, esc, 2);
		} else if (*c < 0x20 || *c == 0x7f) {
			snprintf(esc, sizeof(esc), "\\u%04x", *c);
			path_add(p, esc, 6);
		} else {
			path_add(p, (const char *)c, 1);
		}
	}
	path_add(p, "\"]", 2);
	return saved;
}

size_t iter_path_index(struct iter_path *p, size_t i)
{
	size_t saved = p->len;
	char tmp[32];
	int n = snprintf(tmp, sizeof(tmp), "[%zu]", i);

	path_add(p, tmp, (size_t)n);
	return saved;
}

void iter_path_pop(struct iter_path *p, size_t saved)
{
	if (saved <= p->len) {
		p->len = saved;
		p->s[saved] = '\0';
	}
}

/* Writes the JSON text of v into out (cap bytes), cut to GOT_MAX characters
 * with "..." at a UTF-8 character boundary. A real is written in its
 * shortest form ("0.1", "11.0"), not with jansson's 17 digits. */
static void describe(const json_t *v, char *out, size_t cap)
{
	char *text = NULL;
	const char *s;
	char num[FMT_DOUBLE_MAX + 2];
	size_t n;

	if (!v) {
		s = "nothing";
	} else if (json_is_real(v)) {
		fmt_double(json_real_value(v), num);
		if (!strpbrk(num, ".eEnI"))
			memcpy(num + strlen(num), ".0", 3);
		s = num;
	} else {
		/* 15 digits: 0.1 reads as 0.1, not 0.10000000000000001 */
		text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(15));
		s = text ? text : "(a value)";
	}
	n = strlen(s);
	if (n > GOT_MAX) {
		n = GOT_MAX - 3;
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
		snprintf(out, cap, "%.*s...", (int)n, s);
	} else {
		snprintf(out, cap, "%s", s);
	}
	free(text);
}

enum err iter_expected_text(struct errinfo *ei, const char *path,
			    const char *expected, const char *got)
{
	return err_set(ei, ERR_BAD_REQUEST, "%s: expected %s, got %s", path, expected, got);
}

enum err iter_expected(struct errinfo *ei, const char *path,
		       const char *expected, const json_t *got)
{
	char text[GOT_MAX * 4 + 8];

	describe(got, text, sizeof(text));
	return iter_expected_text(ei, path, expected, text);
}

/* The error at the current path. */
static enum err fail(struct build *b, const char *expected, const json_t *got)
{
	return iter_expected(b->ei, b->path.s, expected, got);
}

enum err iter_expected_key(struct errinfo *ei, struct iter_path *p, const char *key,
			   const char *expected, const char *what)
{
	size_t saved = iter_path_key(p, key);
	char text[GOT_MAX * 4 + 8], got[GOT_MAX * 4 + 64];
	json_t *k = json_string(key);

	if (k)
		describe(k, text, sizeof(text));
	else
		snprintf(text, sizeof(text), "a key");
	json_decref(k);
	snprintf(got, sizeof(got), "%s%s", what, text);
	iter_expected_text(ei, p->s, expected, got);
	iter_path_pop(p, saved);
	return ERR_BAD_REQUEST;
}

/* An unknown key: the path points at it. */
static enum err fail_key(struct build *b, const char *key, const char *expected)
{
	return iter_expected_key(b->ei, &b->path, key, expected, "unknown key ");
}

/* ---- random values ----------------------------------------------------- */

/* splitmix64's finaliser: a well-mixed 64-bit hash of x. */
static uint64_t mix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

uint64_t iter_seed_id(uint64_t seed, const char *id)
{
	uint64_t h = 0xcbf29ce484222325ULL;     /* FNV-1a */
	const unsigned char *c;

	for (c = (const unsigned char *)id; c && *c; c++) {
		h ^= *c;
		h *= 0x100000001b3ULL;
	}
	return mix64(mix64(seed) ^ h);
}

/* A number in [0, 1) from the seed, the node's preorder index and the
 * node-local tick: 53 well-mixed bits, so every double is exact. */
static double unit(uint64_t seed, uint64_t index, uint64_t k)
{
	uint64_t h = mix64(mix64(mix64(seed) ^ index) ^ k);

	return (double)(h >> 11) * 0x1.0p-53;
}

/* ---- field readers ----------------------------------------------------- */

/* Checks that obj has no key outside allowed (NULL-terminated); `list` is
 * how the message names them. */
static enum err check_keys(struct build *b, const json_t *obj,
			   const char *const *allowed, const char *list)
{
	const char *key;
	json_t *val;
	size_t i;

	json_object_foreach((json_t *)obj, key, val) {
		for (i = 0; allowed[i]; i++)
			if (strcmp(allowed[i], key) == 0)
				break;
		if (!allowed[i])
			return fail_key(b, key, list);
	}
	return OK;
}

/* obj.key as a number: *out = def when absent and not required. */
static enum err get_number(struct build *b, const json_t *obj, const char *key,
			   int required, double def, double *out)
{
	const json_t *v = json_object_get(obj, key);
	size_t saved = iter_path_key(&b->path, key);
	enum err rc = OK;

	if (!v && !required) {
		*out = def;
	} else if (!json_is_number(v)) {
		rc = fail(b, "a number", v);
	} else {
		*out = json_number_value(v);
	}
	iter_path_pop(&b->path, saved);
	return rc;
}

/* v as an integer >= min (the message names min). */
static enum err as_count(struct build *b, const json_t *v, json_int_t min, uint64_t *out)
{
	char expected[64];

	if (json_is_integer(v) && json_integer_value(v) >= min) {
		*out = (uint64_t)json_integer_value(v);
		return OK;
	}
	snprintf(expected, sizeof(expected), "an integer >= %lld", (long long)min);
	return fail(b, expected, v);
}

/* obj.key as an integer >= min; absent and not required gives FOREVER. */
static enum err get_count(struct build *b, const json_t *obj, const char *key,
			  int required, json_int_t min, uint64_t *out)
{
	const json_t *v = json_object_get(obj, key);
	size_t saved = iter_path_key(&b->path, key);
	enum err rc = OK;

	if (!v && !required)
		*out = FOREVER;
	else
		rc = as_count(b, v, min, out);
	iter_path_pop(&b->path, saved);
	return rc;
}

static uint64_t add_sat(uint64_t a, uint64_t b)
{
	return a > FOREVER - b ? FOREVER : a + b;
}

/* ---- building ---------------------------------------------------------- */

static void node_free(struct node *n)
{
	size_t i;

	if (!n)
		return;
	for (i = 0; i < n->n_kids; i++)
		node_free(n->kids[i]);
	free(n->kids);
	free(n->ends);
	free(n->vals);
	free(n);
}

/* Compiles the node v at the current path. On success *out owns the node. */
static enum err parse_node(struct build *b, const json_t *v, struct node **out)
{
	struct node *n = NULL;
	const struct kind *k = NULL;
	const char *key = NULL;
	json_t *val = NULL;
	size_t saved;
	enum err rc;

	if (b->depth >= MAX_DEPTH)
		return fail(b, "a program nested at most 64 deep", v);
	if (!json_is_object(v) || json_object_size(v) != 1)
		return fail(b, "an object with one iterator key", v);
	json_object_foreach((json_t *)v, key, val) {
		k = kind_find(key);
		if (!k) {
			char list[256];

			kind_list(list, sizeof(list));
			return fail_key(b, key, list);
		}
		break;
	}
	n = calloc(1, sizeof(*n));
	if (!n)
		return err_set(b->ei, ERR_NOMEM, "out of memory");
	n->kind = k;
	n->index = b->next_index++;
	b->depth++;
	saved = iter_path_key(&b->path, key);
	rc = k->parse(b, val, n);
	iter_path_pop(&b->path, saved);
	b->depth--;
	if (rc)
		goto out;
	n->len = k->length(n);
	*out = n;
	n = NULL;
out:
	node_free(n);
	return rc;
}

/* Allocates n->kids for count children. */
static enum err kids_alloc(struct build *b, struct node *n, size_t count)
{
	n->kids = calloc(count, sizeof(*n->kids));
	if (!n->kids)
		return err_set(b->ei, ERR_NOMEM, "out of memory");
	return OK;
}

/* Compiles the children of an array value into n->kids. */
static enum err parse_kids(struct build *b, const json_t *arr, struct node *n)
{
	size_t i, saved;
	enum err rc = OK;

	rc = kids_alloc(b, n, json_array_size(arr));
	if (rc)
		return rc;
	for (i = 0; i < json_array_size(arr); i++) {
		saved = iter_path_index(&b->path, i);
		rc = parse_node(b, json_array_get(arr, i), &n->kids[i]);
		iter_path_pop(&b->path, saved);
		if (rc)
			return rc;
		n->n_kids = i + 1;
	}
	return OK;
}

static enum err parse_linear(struct build *b, const json_t *v, struct node *n)
{
	static const char *const keys[] = { "from", "to", "ticks", NULL };
	enum err rc;

	if (!json_is_object(v))
		return fail(b, "an object {from, to, ticks}", v);
	rc = check_keys(b, v, keys, "one of from, to, ticks");
	if (rc)
		return rc;
	rc = get_number(b, v, "from", 1, 0, &n->u.linear.from);
	if (rc)
		return rc;
	rc = get_number(b, v, "to", 1, 0, &n->u.linear.to);
	if (rc)
		return rc;
	return get_count(b, v, "ticks", 1, 1, &n->u.linear.ticks);
}

static enum err parse_values(struct build *b, const json_t *v, struct node *n)
{
	size_t i, saved;

	if (!json_is_array(v) || json_array_size(v) == 0)
		return fail(b, "a non-empty array of numbers", v);
	n->vals = calloc(json_array_size(v), sizeof(double));
	if (!n->vals)
		return err_set(b->ei, ERR_NOMEM, "out of memory");
	for (i = 0; i < json_array_size(v); i++) {
		const json_t *x = json_array_get(v, i);

		if (!json_is_number(x)) {
			saved = iter_path_index(&b->path, i);
			fail(b, "a number", x);
			iter_path_pop(&b->path, saved);
			return ERR_BAD_REQUEST;
		}
		n->vals[i] = json_number_value(x);
		n->n_vals = i + 1;
	}
	return OK;
}

static enum err parse_random(struct build *b, const json_t *v, struct node *n)
{
	static const char *const keys[] = { "min", "max", "ticks", NULL };
	enum err rc;
	size_t saved;

	if (!json_is_object(v))
		return fail(b, "an object {min, max, ticks}", v);
	rc = check_keys(b, v, keys, "one of min, max, ticks");
	if (rc)
		return rc;
	rc = get_number(b, v, "min", 1, 0, &n->u.random.min);
	if (rc)
		return rc;
	rc = get_number(b, v, "max", 1, 0, &n->u.random.max);
	if (rc)
		return rc;
	if (n->u.random.max < n->u.random.min) {
		saved = iter_path_key(&b->path, "max");
		fail(b, "a number >= min", json_object_get(v, "max"));
		iter_path_pop(&b->path, saved);
		return ERR_BAD_REQUEST;
	}
	return get_count(b, v, "ticks", 0, 1, &n->u.random.ticks);
}

static enum err parse_void(struct build *b, const json_t *v, struct node *n)
{
	return as_count(b, v, 0, &n->u.count);
}

/* reset only makes sense for a counter's total, and under arithmetic it
 * would have no value to combine: both are refused. */
static enum err parse_reset(struct build *b, const json_t *v, struct node *n)
{
	char expected[96];

	if (!b->is_counter) {
		snprintf(expected, sizeof(expected),
			 "reset only in a counter's program (this series is a %s)", b->type);
		return fail(b, expected, v);
	}
	if (b->arith)
		return fail(b, "reset only outside add, sub, mul and div", v);
	return as_count(b, v, 0, &n->u.count);
}

static enum err parse_join(struct build *b, const json_t *v, struct node *n)
{
	uint64_t end = 0;
	size_t i;
	enum err rc;

	if (!json_is_array(v) || json_array_size(v) == 0)
		return fail(b, "a non-empty array of iterators", v);
	rc = parse_kids(b, v, n);
	if (rc)
		return rc;
	n->ends = calloc(n->n_kids, sizeof(*n->ends));
	if (!n->ends)
		return err_set(b->ei, ERR_NOMEM, "out of memory");
	for (i = 0; i < n->n_kids; i++) {
		end = add_sat(end, n->kids[i]->len);
		n->ends[i] = end;
	}
	return OK;
}

static enum err parse_loop(struct build *b, const json_t *v, struct node *n)
{
	static const char *const keys[] = { "times", "body", NULL };
	const json_t *body;
	size_t saved;
	enum err rc;

	if (!json_is_object(v))
		return fail(b, "an object {times, body}", v);
	rc = check_keys(b, v, keys, "one of times, body");
	if (rc)
		return rc;
	rc = get_count(b, v, "times", 0, 1, &n->u.times);
	if (rc)
		return rc;
	rc = kids_alloc(b, n, 1);
	if (rc)
		return rc;
	body = json_object_get(v, "body");
	saved = iter_path_key(&b->path, "body");
	if (!body)
		rc = fail(b, "an iterator", NULL);
	else
		rc = parse_node(b, body, &n->kids[0]);
	if (!rc) {
		n->n_kids = 1;
		if (n->kids[0]->len == 0)
			rc = fail(b, "an iterator that yields at least one tick", body);
	}
	iter_path_pop(&b->path, saved);
	return rc;
}

static enum err parse_arith(struct build *b, const json_t *v, struct node *n)
{
	enum err rc;

	if (!json_is_array(v) || json_array_size(v) != 2)
		return fail(b, "an array of two iterators", v);
	b->arith++;
	rc = parse_kids(b, v, n);
	b->arith--;
	return rc;
}

static enum err parse_constant(struct build *b, const json_t *v, struct node *n)
{
	if (!json_is_number(v))
		return fail(b, "a number", v);
	n->u.constant = json_number_value(v);
	return OK;
}

/* sin/cos: period is a duration (> 0); phase a duration string or any
 * number of seconds (negative too); amplitude and offset numbers. */
static enum err parse_wave(struct build *b, const json_t *v, struct node *n)
{
	static const char *const keys[] = { "amplitude", "period", "phase", "offset", NULL };
	const json_t *x;
	int64_t ms;
	size_t saved;
	enum err rc;

	if (!json_is_object(v))
		return fail(b, "an object {amplitude, period, phase, offset}", v);
	rc = check_keys(b, v, keys, "one of amplitude, period, phase, offset");
	if (rc)
		return rc;
	rc = get_number(b, v, "amplitude", 0, 1, &n->u.wave.amplitude);
	if (rc)
		return rc;
	rc = get_number(b, v, "offset", 0, 0, &n->u.wave.offset);
	if (rc)
		return rc;

	x = json_object_get(v, "period");
	saved = iter_path_key(&b->path, "period");
	rc = gconfig_duration(x, &ms);
	if (rc)
		fail(b, "a duration > 0 (\"10m\", \"1h30m\" or seconds as a number)", x);
	iter_path_pop(&b->path, saved);
	if (rc)
		return ERR_BAD_REQUEST;
	n->u.wave.period_s = (double)ms / 1000.0;

	x = json_object_get(v, "phase");
	saved = iter_path_key(&b->path, "phase");
	if (!x) {
		n->u.wave.phase_s = 0;
	} else if (json_is_number(x)) {
		n->u.wave.phase_s = json_number_value(x);
	} else if (json_is_string(x) && gconfig_span_str(json_string_value(x), &ms) == OK) {
		n->u.wave.phase_s = (double)ms / 1000.0;
	} else {
		rc = fail(b, "a duration (\"30s\") or seconds as a number", x);
	}
	iter_path_pop(&b->path, saved);
	return rc;
}

/* ---- lengths ----------------------------------------------------------- */

static uint64_t len_linear(const struct node *n) { return n->u.linear.ticks; }
static uint64_t len_values(const struct node *n) { return n->n_vals; }
static uint64_t len_random(const struct node *n) { return n->u.random.ticks; }
static uint64_t len_count(const struct node *n) { return n->u.count; }
static uint64_t len_forever(const struct node *n) { (void)n; return FOREVER; }

static uint64_t len_join(const struct node *n)
{
	return n->ends[n->n_kids - 1];
}

/* A body that never ends makes the loop one run of it. Past 2^64 ticks the
 * count saturates to "forever" (584 million years at 1 ms). */
static uint64_t len_loop(const struct node *n)
{
	uint64_t body = n->kids[0]->len;

	if (body == FOREVER || n->u.times == FOREVER)
		return FOREVER;
	if (n->u.times > FOREVER / body)
		return FOREVER;
	return n->u.times * body;
}

static uint64_t len_arith(const struct node *n)
{
	uint64_t a = n->kids[0]->len, b = n->kids[1]->len;

	return a < b ? a : b;
}

/* ---- evaluation -------------------------------------------------------- */

/* Tick k of n, or ITER_END past its length. */
static enum iter_tick eval(const struct iter *it, const struct node *n,
			   uint64_t k, double t, double *v)
{
	if (k >= n->len)
		return ITER_END;
	return n->kind->eval(it, n, k, t, v);
}

/* Both ends exact: tick 0 is `from`, the last tick is `to`; in between
 * from + (to - from) * i / (ticks - 1), which is exact whenever the steps
 * are (10 to 20 over 11 ticks gives 10, 11, ..., 20). When to - from
 * overflows, the two ends are weighted instead. */
static enum iter_tick ev_linear(const struct iter *it, const struct node *n,
				uint64_t k, double t, double *v)
{
	double from = n->u.linear.from, to = n->u.linear.to;
	double steps = (double)(n->u.linear.ticks - 1), d = to - from, f;

	(void)it; (void)t;
	if (k == 0)
		*v = from;
	else if (k == n->u.linear.ticks - 1)
		*v = to;
	else if (isfinite(d))
		*v = from + d * (double)k / steps;
	else {
		f = (double)k / steps;
		*v = from * (1 - f) + to * f;
	}
	return ITER_VALUE;
}

static enum iter_tick ev_values(const struct iter *it, const struct node *n,
				uint64_t k, double t, double *v)
{
	(void)it; (void)t;
	*v = n->vals[k];
	return ITER_VALUE;
}

/* min + (max - min) * u with u in [0, 1): min == max gives min. */
static enum iter_tick ev_random(const struct iter *it, const struct node *n,
				uint64_t k, double t, double *v)
{
	double lo = n->u.random.min, hi = n->u.random.max;
	double u = unit(it->seed, n->index, k), x;

	(void)t;
	if (isfinite(hi - lo))
		x = lo + (hi - lo) * u;
	else
		x = lo * (1 - u) + hi * u;
	*v = x > hi ? hi : x < lo ? lo : x;
	return ITER_VALUE;
}

static enum iter_tick ev_void(const struct iter *it, const struct node *n,
			      uint64_t k, double t, double *v)
{
	(void)it; (void)n; (void)k; (void)t; (void)v;
	return ITER_VOID;
}

static enum iter_tick ev_reset(const struct iter *it, const struct node *n,
			       uint64_t k, double t, double *v)
{
	(void)it; (void)n; (void)k; (void)t; (void)v;
	return ITER_RESET;
}

/* The child whose cumulative end is the first past k (binary search). */
static enum iter_tick ev_join(const struct iter *it, const struct node *n,
			      uint64_t k, double t, double *v)
{
	size_t lo = 0, hi = n->n_kids - 1, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (n->ends[mid] > k)
			hi = mid;
		else
			lo = mid + 1;
	}
	return eval(it, n->kids[lo], k - (lo ? n->ends[lo - 1] : 0), t, v);
}

static enum iter_tick ev_loop(const struct iter *it, const struct node *n,
			      uint64_t k, double t, double *v)
{
	uint64_t body = n->kids[0]->len;

	return eval(it, n->kids[0], body == FOREVER ? k : k % body, t, v);
}

/* Tick by tick; a void on either side is void. */
static enum iter_tick ev_arith(const struct iter *it, const struct node *n,
			       uint64_t k, double t, double *v)
{
	double a = 0, b = 0;
	enum iter_tick ra = eval(it, n->kids[0], k, t, &a);
	enum iter_tick rb = eval(it, n->kids[1], k, t, &b);

	if (ra == ITER_END || rb == ITER_END)
		return ITER_END;
	if (ra != ITER_VALUE || rb != ITER_VALUE)
		return ITER_VOID;
	*v = n->kind->op(a, b);
	return ITER_VALUE;
}

static enum iter_tick ev_constant(const struct iter *it, const struct node *n,
				  uint64_t k, double t, double *v)
{
	(void)it; (void)k; (void)t;
	*v = n->u.constant;
	return ITER_VALUE;
}

/* offset + amplitude * f(2π (t - phase) / period), t read from the clock,
 * never from the node-local tick. */
static enum iter_tick ev_wave(const struct iter *it, const struct node *n,
			      uint64_t k, double t, double *v)
{
	(void)it; (void)k;
	*v = n->u.wave.offset + n->u.wave.amplitude *
		n->kind->wave(2 * M_PI * (t - n->u.wave.phase_s) / n->u.wave.period_s);
	return ITER_VALUE;
}

static double op_add(double a, double b) { return a + b; }
static double op_sub(double a, double b) { return a - b; }
static double op_mul(double a, double b) { return a * b; }
static double op_div(double a, double b) { return a / b; }

static const struct kind kinds[] = {
	{ .name = "linear", .parse = parse_linear, .length = len_linear, .eval = ev_linear },
	{ .name = "values", .parse = parse_values, .length = len_values, .eval = ev_values },
	{ .name = "random", .parse = parse_random, .length = len_random, .eval = ev_random },
	{ .name = "void", .parse = parse_void, .length = len_count, .eval = ev_void },
	{ .name = "join", .parse = parse_join, .length = len_join, .eval = ev_join },
	{ .name = "loop", .parse = parse_loop, .length = len_loop, .eval = ev_loop },
	{ .name = "add", .parse = parse_arith, .length = len_arith, .eval = ev_arith, .op = op_add },
	{ .name = "sub", .parse = parse_arith, .length = len_arith, .eval = ev_arith, .op = op_sub },
	{ .name = "mul", .parse = parse_arith, .length = len_arith, .eval = ev_arith, .op = op_mul },
	{ .name = "div", .parse = parse_arith, .length = len_arith, .eval = ev_arith, .op = op_div },
	{ .name = "constant", .parse = parse_constant, .length = len_forever, .eval = ev_constant },
	{ .name = "sin", .parse = parse_wave, .length = len_forever, .eval = ev_wave, .wave = sin },
	{ .name = "cos", .parse = parse_wave, .length = len_forever, .eval = ev_wave, .wave = cos },
	{ .name = "reset", .parse = parse_reset, .length = len_count, .eval = ev_reset },
};

/* "one of linear, values, ..." in the table's order, for messages. */
static void kind_list(char *out, size_t cap)
{
	size_t i, len = 0;
	int n;

	n = snprintf(out, cap, "one of");
	for (i = 0; n >= 0 && (size_t)n < cap - len && i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		len += (size_t)n;
		n = snprintf(out + len, cap - len, "%s %s", i ? "," : "", kinds[i].name);
	}
}

/* The row of an iterator's key, or NULL. */
static const struct kind *kind_find(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strcmp(kinds[i].name, name) == 0)
			return &kinds[i];
	return NULL;
}

/* ---- public ------------------------------------------------------------ */

enum err iter_build(const json_t *program, const char *path, const char *type,
		    uint64_t seed_id, struct iter **out, struct errinfo *ei)
{
	struct build *b = NULL;
	struct iter *it = NULL;
	enum err rc;

	b = calloc(1, sizeof(*b));
	it = calloc(1, sizeof(*it));
	if (!b || !it) {
		rc = err_set(ei, ERR_NOMEM, "out of memory");
		goto out;
	}
	iter_path_init(&b->path, path ? path : "$");
	b->type = type ? type : "gauge";
	b->is_counter = strcmp(b->type, "counter") == 0;
	b->ei = ei;
	it->seed = seed_id;
	if (!program) {
		rc = fail(b, "a program (an object with one iterator key)", NULL);
		goto out;
	}
	rc = parse_node(b, program, &it->root);
	if (rc)
		goto out;
	*out = it;
	it = NULL;
out:
	iter_free(it);
	free(b);
	return rc;
}

enum iter_tick iter_at(const struct iter *it, uint64_t k, double t_s, double *v)
{
	return eval(it, it->root, k, t_s, v);
}

uint64_t iter_length(const struct iter *it)
{
	return it->root->len;
}

void iter_free(struct iter *it)
{
	if (!it)
		return;
	node_free(it->root);
	free(it);
}
