/* test_gen_gconfig.c - the generator's configuration: the spec's example
 * and the examples in contrib/generator load; defaults; ids; every check
 * with its exact message and JSONPath; durations and times. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "generator/gconfig.h"

static const char spec_example[] =
	"{ \"interval\": \"15s\", \"start\": \"2026-03-01T00:00:00Z\", \"seed\": 42,\n"
	"  \"series\": [\n"
	"    { \"name\": \"demo_temperature_celsius\", \"type\": \"gauge\", \"help\": \"Room temperature.\",\n"
	"      \"labels\": {\"room\": \"lab\"},\n"
	"      \"program\": {\"join\": [ {\"linear\": {\"from\": 10, \"to\": 20, \"ticks\": 11}},\n"
	"                            {\"void\": 4},\n"
	"                            {\"loop\": {\"times\": 2, \"body\": {\"values\": [1, 2, 3]}}} ]} },\n"
	"    { \"name\": \"demo_requests_total\", \"type\": \"counter\", \"help\": \"Requests.\",\n"
	"      \"program\": {\"join\": [ {\"values\": [5, 5, 5]}, {\"reset\": 1}, {\"constant\": 2} ]} },\n"
	"    { \"name\": \"demo_latency_seconds\", \"type\": \"histogram\", \"help\": \"Latency.\",\n"
	"      \"buckets\": [0.1, 0.5, 1],\n"
	"      \"program\": {\"add\": [ {\"sin\": {\"amplitude\": 0.2, \"period\": \"10m\"}}, {\"constant\": 0.4} ]} } ] }\n";

static struct gconfig parse_ok(const char *text)
{
	struct gconfig cfg;
	struct errinfo ei;

	memset(&ei, 0, sizeof(ei));
	if (gconfig_parse(text, strlen(text), "t.json", &cfg, &ei))
		fail_msg("gconfig_parse: %s", ei.details);
	return cfg;
}

/* Asserts that text fails with exactly "t.json: " msg, and that the output
 * was not touched. */
static void parse_fails(const char *text, const char *msg)
{
	struct gconfig cfg;
	struct errinfo ei;
	char want[1200];

	memset(&ei, 0, sizeof(ei));
	memset(&cfg, 0x5a, sizeof(cfg));
	assert_int_equal(gconfig_parse(text, strlen(text), "t.json", &cfg, &ei), ERR_BAD_REQUEST);
	snprintf(want, sizeof(want), "t.json: %s", msg);
	assert_string_equal(ei.details, want);
	assert_int_equal(cfg.n_series, 0x5a5a5a5a5a5a5a5aULL);
}

/* A config with one series whose members are `members` (JSON text). */
static void series_fails(const char *members, const char *msg)
{
	char text[2048];

	snprintf(text, sizeof(text), "{\"series\": [{%s}]}", members);
	parse_fails(text, msg);
}

#define GAUGE "\"name\": \"g\", \"type\": \"gauge\", \"program\": {\"constant\": 1}"

/* ---- loading ----------------------------------------------------------- */

static void test_gen_gconfig_loads_the_spec_example(void **state)
{
	struct gconfig cfg = parse_ok(spec_example);
	const struct gseries *s;

	(void)state;
	assert_int_equal(cfg.interval_ms, 15000);
	assert_true(cfg.has_start);
	assert_int_equal(cfg.start_ms, 1772323200000LL);
	assert_int_equal(cfg.seed, 42);
	assert_int_equal(cfg.n_series, 3);

	s = &cfg.series[0];
	assert_string_equal(s->id, "demo_temperature_celsius{room=\"lab\"}");
	assert_string_equal(s->name, "demo_temperature_celsius");
	assert_int_equal(s->type, GSERIES_GAUGE);
	assert_string_equal(s->help, "Room temperature.");
	assert_int_equal(s->n_labels, 1);
	assert_string_equal(s->labels[0].name, "room");
	assert_string_equal(s->labels[0].value, "lab");
	assert_int_equal(iter_length(s->program), 21);
	assert_non_null(s->source);
	assert_string_equal(json_string_value(json_object_get(s->source, "name")),
			    "demo_temperature_celsius");

	s = &cfg.series[1];
	assert_string_equal(s->id, "demo_requests_total");
	assert_int_equal(s->type, GSERIES_COUNTER);
	assert_int_equal(s->n_labels, 0);
	assert_null(s->labels);

	s = &cfg.series[2];
	assert_int_equal(s->type, GSERIES_HISTOGRAM);
	assert_int_equal(s->n_buckets, 3);
	assert_true(s->buckets[0] == 0.1 && s->buckets[1] == 0.5 && s->buckets[2] == 1);

	assert_int_equal(gconfig_find(&cfg, "demo_requests_total"), 1);
	assert_int_equal(gconfig_find(&cfg, "demo_temperature_celsius{room=\"lab\"}"), 0);
	assert_int_equal(gconfig_find(&cfg, "demo_temperature_celsius"), -1);
	gconfig_free(&cfg);
	gconfig_free(&cfg);             /* freed and zeroed: a second free is harmless */
	gconfig_free(NULL);
}

static void test_gen_gconfig_applies_defaults(void **state)
{
	struct gconfig cfg = parse_ok("{\"series\": [{" GAUGE "}]}");

	(void)state;
	assert_int_equal(cfg.interval_ms, 15000);
	assert_false(cfg.has_start);
	assert_int_equal(cfg.seed, 0);
	assert_null(cfg.series[0].help);
	assert_string_equal(cfg.series[0].id, "g");
	gconfig_free(&cfg);
}

static void test_gen_gconfig_default_id_sorts_and_escapes_labels(void **state)
{
	struct gconfig cfg = parse_ok(
		"{\"series\": [{\"name\": \"m:x\", \"type\": \"gauge\", \"program\": {\"constant\": 1},"
		" \"labels\": {\"z\": \"1\", \"a\": \"x\\\"y\\\\z\\n\", \"_b\": \"\\u00e9\"}}]}");

	(void)state;
	assert_string_equal(cfg.series[0].id, "m:x{_b=\"\xc3\xa9\", a=\"x\\\"y\\\\z\\n\", z=\"1\"}");
	assert_string_equal(cfg.series[0].labels[0].name, "_b");
	assert_string_equal(cfg.series[0].labels[1].name, "a");
	assert_string_equal(cfg.series[0].labels[2].name, "z");
	gconfig_free(&cfg);
}

static void test_gen_gconfig_keeps_an_explicit_id(void **state)
{
	struct gconfig cfg = parse_ok(
		"{\"series\": [{\"id\": \"one\", " GAUGE "},"
		" {\"id\": \"two\", \"name\": \"g\", \"type\": \"gauge\", \"labels\": {\"a\": \"b\"},"
		"  \"program\": {\"constant\": 1}}]}");

	(void)state;
	assert_string_equal(cfg.series[0].id, "one");
	assert_int_equal(gconfig_find(&cfg, "two"), 1);
	assert_int_equal(gconfig_find(&cfg, "g"), -1);
	gconfig_free(&cfg);
}

static void test_gen_gconfig_seed_id_follows_seed_and_id(void **state)
{
	struct gconfig a = parse_ok("{\"seed\": 1, \"series\": [{\"name\": \"r\", \"type\": \"gauge\","
				    " \"program\": {\"random\": {\"min\": 0, \"max\": 1}}},"
				    " {\"name\": \"r\", \"type\": \"gauge\", \"labels\": {\"i\": \"2\"},"
				    " \"program\": {\"random\": {\"min\": 0, \"max\": 1}}}]}");
	struct gconfig b = parse_ok("{\"seed\": 1, \"series\": [{\"name\": \"r\", \"type\": \"gauge\","
				    " \"program\": {\"random\": {\"min\": 0, \"max\": 1}}}]}");
	struct gconfig c = parse_ok("{\"seed\": 2, \"series\": [{\"name\": \"r\", \"type\": \"gauge\","
				    " \"program\": {\"random\": {\"min\": 0, \"max\": 1}}}]}");
	double va, va2, vb, vc;

	(void)state;
	iter_at(a.series[0].program, 3, 0, &va);
	iter_at(a.series[1].program, 3, 0, &va2);
	iter_at(b.series[0].program, 3, 0, &vb);
	iter_at(c.series[0].program, 3, 0, &vc);
	assert_true(va == vb);          /* same seed, same id */
	assert_true(va != va2);         /* another series */
	assert_true(va != vc);          /* another seed */
	gconfig_free(&a);
	gconfig_free(&b);
	gconfig_free(&c);
}

/* The directory of contrib/generator: from $srcdir when the test harness
 * sets it, else from this file's path as compiled. */
static void contrib_dir(char *out, size_t cap)
{
	const char *srcdir = getenv("srcdir");
	const char *slash;

	if (srcdir) {
		snprintf(out, cap, "%s/contrib/generator", srcdir);
		return;
	}
	slash = strstr(__FILE__, "tests/unit/");
	snprintf(out, cap, "%.*scontrib/generator", slash ? (int)(slash - __FILE__) : 0, __FILE__);
}

static void test_gen_gconfig_contrib_examples_load(void **state)
{
	char dir[1024], path[2048];
	DIR *d;
	struct dirent *e;
	size_t n = 0;

	(void)state;
	contrib_dir(dir, sizeof(dir));
	d = opendir(dir);
	if (!d)
		fail_msg("cannot open %s", dir);
	while ((e = readdir(d))) {
		struct gconfig cfg;
		struct errinfo ei;
		size_t len = strlen(e->d_name);

		if (len < 5 || strcmp(e->d_name + len - 5, ".json") != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		memset(&ei, 0, sizeof(ei));
		if (gconfig_load(path, &cfg, &ei))
			fail_msg("%s", ei.details);
		assert_true(cfg.n_series > 0);
		gconfig_free(&cfg);
		n++;
	}
	closedir(d);
	assert_true(n >= 4);
}

static void test_gen_gconfig_load_names_the_file(void **state)
{
	char path[] = "/tmp/test_gen_gconfig_XXXXXX";
	static const char bad[] =
		"{\"series\": [{\"name\": \"a\", \"type\": \"gauge\", \"program\": {\"constant\": 1}},\n"
		" {\"name\": \"b\", \"type\": \"gauge\", \"program\": {\"join\": [\n"
		"  {\"linear\": {\"from\": 1, \"to\": 2, \"ticks\": -3}}]}}]}";
	char want[256];
	struct gconfig cfg;
	struct errinfo ei;
	int fd;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, bad, sizeof(bad) - 1), (ssize_t)(sizeof(bad) - 1));
	close(fd);
	memset(&ei, 0, sizeof(ei));
	assert_int_equal(gconfig_load(path, &cfg, &ei), ERR_BAD_REQUEST);
	/* the spec's own example of a message */
	snprintf(want, sizeof(want),
		 "%s: $.series[1].program.join[0].linear.ticks: expected an integer >= 1, got -3", path);
	assert_string_equal(ei.details, want);
	unlink(path);

	assert_int_equal(gconfig_load("/nonexistent/gen.json", &cfg, &ei), ERR_BAD_REQUEST);
	assert_string_equal(ei.details, "/nonexistent/gen.json: cannot read: No such file or directory");
	assert_int_equal(gconfig_load("/", &cfg, &ei), ERR_BAD_REQUEST);
	assert_string_equal(ei.details, "/: cannot read: Is a directory");
}

static void test_gen_gconfig_series_checks_one_api_body(void **state)
{
	struct gconfig cfg = parse_ok(spec_example);
	struct gseries s;
	struct errinfo ei;
	json_t *body;

	(void)state;
	body = json_loads("{\"name\": \"x_total\", \"type\": \"counter\", \"program\": {\"constant\": 1}}",
			  0, NULL);
	assert_int_equal(gconfig_series(&cfg, body, NULL, "$", &s, &ei), OK);
	assert_string_equal(s.id, "x_total");
	assert_ptr_equal(s.source, body);
	assert_int_equal(gconfig_find_same(&cfg, &s), -1);
	gseries_free(&s);
	assert_null(s.id);
	json_decref(body);

	/* another id, but the name and labels of the spec's counter */
	body = json_loads("{\"id\": \"again\", \"name\": \"demo_requests_total\", \"type\": \"counter\","
			  " \"program\": {\"constant\": 1}}", 0, NULL);
	assert_int_equal(gconfig_series(&cfg, body, NULL, "$", &s, &ei), OK);
	assert_int_equal(gconfig_find_same(&cfg, &s), 1);
	assert_int_equal(gconfig_find(&cfg, "again"), -1);
	gseries_free(&s);
	assert_null(s.id);
	json_decref(body);

	body = json_loads("{\"name\": \"x\", \"type\": \"counter\", \"program\": {\"constant\": 1}}", 0, NULL);
	memset(&ei, 0, sizeof(ei));
	assert_int_equal(gconfig_series(&cfg, body, NULL, "$", &s, &ei), ERR_BAD_REQUEST);
	assert_string_equal(ei.details, "$.name: expected a counter name ending in _total, got \"x\"");
	assert_int_equal(gconfig_series(&cfg, body, "body", "$", &s, &ei), ERR_BAD_REQUEST);
	assert_string_equal(ei.details, "body: $.name: expected a counter name ending in _total, got \"x\"");
	json_decref(body);
	gconfig_free(&cfg);
}

/* ---- checks: the file and the global settings -------------------------- */

static void test_gen_gconfig_rejects_bad_json(void **state)
{
	(void)state;
	parse_fails("{\"series\": [}", "line 1, column 13: invalid JSON: unexpected token near '}'");
	parse_fails("", "line 1, column 0: invalid JSON: '[' or '{' expected near end of file");
	parse_fails("{\"seed\": 1, \"seed\": 2, \"series\": []}",
		    "line 1, column 18: invalid JSON: duplicate object key near '\"seed\"'");
	parse_fails("[1]", "$: expected an object {interval, start, seed, series}, got [1]");
	{
		/* a NUL byte inside the text is not JSON */
		static const char nul[] = "{\"series\": []}\0{}";
		struct gconfig cfg;
		struct errinfo ei;

		assert_int_equal(gconfig_parse(nul, sizeof(nul) - 1, "t.json", &cfg, &ei),
				 ERR_BAD_REQUEST);
		assert_non_null(strstr(ei.details, "t.json: line 1, column "));
	}
}

static void test_gen_gconfig_rejects_unknown_global_keys(void **state)
{
	(void)state;
	parse_fails("{\"intervall\": \"15s\", \"series\": [{" GAUGE "}]}",
		    "$.intervall: expected one of interval, start, seed, series,"
		    " got unknown key \"intervall\"");
}

static void test_gen_gconfig_rejects_bad_globals(void **state)
{
	static const char dur[] =
		"expected a duration > 0 (\"15s\", \"1h30m\" or seconds as a number), got ";
	char want[256];

	(void)state;
	snprintf(want, sizeof(want), "$.interval: %s\"1x\"", dur);
	parse_fails("{\"interval\": \"1x\", \"series\": [{" GAUGE "}]}", want);
	snprintf(want, sizeof(want), "$.interval: %s0", dur);
	parse_fails("{\"interval\": 0, \"series\": [{" GAUGE "}]}", want);
	snprintf(want, sizeof(want), "$.interval: %s\"0s\"", dur);
	parse_fails("{\"interval\": \"0s\", \"series\": [{" GAUGE "}]}", want);
	snprintf(want, sizeof(want), "$.interval: %snull", dur);
	parse_fails("{\"interval\": null, \"series\": [{" GAUGE "}]}", want);
	parse_fails("{\"start\": \"2026-02-30T00:00:00Z\", \"series\": [{" GAUGE "}]}",
		    "$.start: expected a time (RFC 3339 such as \"2026-03-01T00:00:00Z\","
		    " or epoch seconds), got \"2026-02-30T00:00:00Z\"");
	parse_fails("{\"start\": -5, \"series\": [{" GAUGE "}]}",
		    "$.start: expected a time (RFC 3339 such as \"2026-03-01T00:00:00Z\","
		    " or epoch seconds), got -5");
	parse_fails("{\"seed\": -1, \"series\": [{" GAUGE "}]}",
		    "$.seed: expected an integer >= 0, got -1");
	parse_fails("{\"seed\": \"42\", \"series\": [{" GAUGE "}]}",
		    "$.seed: expected an integer >= 0, got \"42\"");
	parse_fails("{\"seed\": 1.5, \"series\": [{" GAUGE "}]}",
		    "$.seed: expected an integer >= 0, got 1.5");
	parse_fails("{\"series\": []}", "$.series: expected a non-empty array of series, got []");
	parse_fails("{}", "$.series: expected a non-empty array of series, got nothing");
	parse_fails("{\"series\": {" GAUGE "}}",
		    "$.series: expected a non-empty array of series,"
		    " got {\"name\":\"g\",\"type\":\"gauge\",\"program\":...");
	parse_fails("{\"series\": [5]}",
		    "$.series[0]: expected a series object {name, type, program, ...}, got 5");
}

/* ---- checks: series ---------------------------------------------------- */

static void test_gen_gconfig_rejects_unknown_series_keys(void **state)
{
	(void)state;
	series_fails(GAUGE ", \"label\": {}",
		     "$.series[0].label: expected one of id, name, type, help, labels, buckets,"
		     " program, got unknown key \"label\"");
}

static void test_gen_gconfig_rejects_bad_names_and_types(void **state)
{
	(void)state;
	series_fails("\"type\": \"gauge\", \"program\": {\"constant\": 1}",
		     "$.series[0].name: expected a metric name ([a-zA-Z_:][a-zA-Z0-9_:]*), got nothing");
	series_fails("\"name\": \"9lives\", \"type\": \"gauge\", \"program\": {\"constant\": 1}",
		     "$.series[0].name: expected a metric name ([a-zA-Z_:][a-zA-Z0-9_:]*),"
		     " got \"9lives\"");
	series_fails("\"name\": \"a-b\", \"type\": \"gauge\", \"program\": {\"constant\": 1}",
		     "$.series[0].name: expected a metric name ([a-zA-Z_:][a-zA-Z0-9_:]*), got \"a-b\"");
	series_fails("\"name\": \"\", \"type\": \"gauge\", \"program\": {\"constant\": 1}",
		     "$.series[0].name: expected a metric name ([a-zA-Z_:][a-zA-Z0-9_:]*), got \"\"");
	series_fails("\"name\": \"g\", \"type\": \"summary\", \"program\": {\"constant\": 1}",
		     "$.series[0].type: expected \"gauge\", \"counter\" or \"histogram\","
		     " got \"summary\"");
	series_fails("\"name\": \"g\", \"program\": {\"constant\": 1}",
		     "$.series[0].type: expected \"gauge\", \"counter\" or \"histogram\", got nothing");
	series_fails("\"name\": \"requests\", \"type\": \"counter\", \"program\": {\"constant\": 1}",
		     "$.series[0].name: expected a counter name ending in _total, got \"requests\"");
	series_fails("\"name\": \"_total\", \"type\": \"counter\", \"program\": {\"constant\": 1}",
		     "$.series[0].name: expected a counter name ending in _total, got \"_total\"");
	series_fails(GAUGE ", \"help\": 5", "$.series[0].help: expected a string, got 5");
	series_fails(GAUGE ", \"id\": \"\"", "$.series[0].id: expected a non-empty string, got \"\"");
	series_fails(GAUGE ", \"id\": 3", "$.series[0].id: expected a non-empty string, got 3");
}

static void test_gen_gconfig_rejects_bad_labels(void **state)
{
	(void)state;
	series_fails(GAUGE ", \"labels\": [\"a\"]",
		     "$.series[0].labels: expected an object of label names to strings, got [\"a\"]");
	series_fails(GAUGE ", \"labels\": {\"__name__\": \"x\"}",
		     "$.series[0].labels.__name__: expected a label name ([a-zA-Z_][a-zA-Z0-9_]*,"
		     " not starting with __), got \"__name__\"");
	series_fails(GAUGE ", \"labels\": {\"a:b\": \"x\"}",
		     "$.series[0].labels[\"a:b\"]: expected a label name ([a-zA-Z_][a-zA-Z0-9_]*,"
		     " not starting with __), got \"a:b\"");
	series_fails(GAUGE ", \"labels\": {\"\": \"x\"}",
		     "$.series[0].labels[\"\"]: expected a label name ([a-zA-Z_][a-zA-Z0-9_]*,"
		     " not starting with __), got \"\"");
	series_fails(GAUGE ", \"labels\": {\"a\": 1}",
		     "$.series[0].labels.a: expected a non-empty string, got 1");
	series_fails(GAUGE ", \"labels\": {\"a\": \"\"}",
		     "$.series[0].labels.a: expected a non-empty string, got \"\"");
	series_fails("\"name\": \"h\", \"type\": \"histogram\", \"buckets\": [1],"
		     " \"program\": {\"constant\": 1}, \"labels\": {\"le\": \"1\"}",
		     "$.series[0].labels.le: expected a label name other than le in a histogram,"
		     " got \"le\"");
	/* le is an ordinary label elsewhere */
	{
		struct gconfig cfg = parse_ok("{\"series\": [{" GAUGE ", \"labels\": {\"le\": \"1\"}}]}");

		gconfig_free(&cfg);
	}
}

static void test_gen_gconfig_rejects_bad_buckets(void **state)
{
	(void)state;
	series_fails("\"name\": \"h\", \"type\": \"histogram\", \"program\": {\"constant\": 1}",
		     "$.series[0].buckets: expected a non-empty array of strictly increasing numbers,"
		     " got nothing");
	series_fails("\"name\": \"h\", \"type\": \"histogram\", \"buckets\": [],"
		     " \"program\": {\"constant\": 1}",
		     "$.series[0].buckets: expected a non-empty array of strictly increasing numbers,"
		     " got []");
	series_fails("\"name\": \"h\", \"type\": \"histogram\", \"buckets\": [0.1, 0.5, 0.5],"
		     " \"program\": {\"constant\": 1}",
		     "$.series[0].buckets[2]: expected a number greater than the bucket before, got 0.5");
	series_fails("\"name\": \"h\", \"type\": \"histogram\", \"buckets\": [1, 0.5],"
		     " \"program\": {\"constant\": 1}",
		     "$.series[0].buckets[1]: expected a number greater than the bucket before, got 0.5");
	series_fails("\"name\": \"h\", \"type\": \"histogram\", \"buckets\": [\"+Inf\"],"
		     " \"program\": {\"constant\": 1}",
		     "$.series[0].buckets[0]: expected a number, got \"+Inf\"");
	series_fails(GAUGE ", \"buckets\": [1]",
		     "$.series[0].buckets: expected buckets only in a histogram, got [1]");
}

static void test_gen_gconfig_rejects_bad_programs_with_the_file(void **state)
{
	(void)state;
	series_fails("\"name\": \"g\", \"type\": \"gauge\"",
		     "$.series[0].program: expected a program (an object with one iterator key),"
		     " got nothing");
	series_fails("\"name\": \"g\", \"type\": \"gauge\", \"program\": {\"reset\": 1}",
		     "$.series[0].program.reset: expected reset only in a counter's program"
		     " (this series is a gauge), got 1");
	series_fails("\"name\": \"g\", \"type\": \"gauge\", \"program\": {\"values\": [1], \"x\": 1}",
		     "$.series[0].program: expected an object with one iterator key,"
		     " got {\"values\":[1],\"x\":1}");
	series_fails("\"name\": \"g\", \"type\": \"gauge\", \"program\":"
		     " {\"loop\": {\"body\": {\"join\": [{\"void\": 0}]}}}",
		     "$.series[0].program.loop.body: expected an iterator that yields at least one"
		     " tick, got {\"join\":[{\"void\":0}]}");
	series_fails("\"name\": \"g\", \"type\": \"gauge\", \"program\":"
		     " {\"sin\": {\"period\": \"5\"}}",
		     "$.series[0].program.sin.period: expected a duration > 0 (\"10m\", \"1h30m\""
		     " or seconds as a number), got \"5\"");
}

static void test_gen_gconfig_rejects_duplicate_series(void **state)
{
	(void)state;
	parse_fails("{\"series\": [{" GAUGE ", \"labels\": {\"a\": \"1\", \"b\": \"2\"}},"
		    " {" GAUGE "},"
		    " {\"id\": \"other\", " GAUGE ", \"labels\": {\"b\": \"2\", \"a\": \"1\"}}]}",
		    "$.series[2]: expected a name and labels that no other series has"
		    " ($.series[0] has them), got \"g\"");
	parse_fails("{\"series\": [{\"id\": \"x\", " GAUGE "},"
		    " {\"id\": \"x\", \"name\": \"h\", \"type\": \"gauge\", \"program\": {\"constant\": 1}}]}",
		    "$.series[1].id: expected an id that no other series has ($.series[0] has it),"
		    " got \"x\"");
	/* an explicit id equal to another series' default id */
	parse_fails("{\"series\": [{" GAUGE "},"
		    " {\"id\": \"g\", \"name\": \"h\", \"type\": \"gauge\", \"program\": {\"constant\": 1}}]}",
		    "$.series[1].id: expected an id that no other series has ($.series[0] has it),"
		    " got \"g\"");
	parse_fails("{\"series\": [{\"id\": \"h\", " GAUGE "},"
		    " {\"name\": \"h\", \"type\": \"gauge\", \"program\": {\"constant\": 1}}]}",
		    "$.series[1]: expected an id that no other series has ($.series[0] has it), got \"h\"");
}

static void test_gen_gconfig_rejects_one_family_of_two_types(void **state)
{
	(void)state;
	/* one name, two types: no exposition can say both */
	parse_fails("{\"series\": [{\"name\": \"x\", \"type\": \"gauge\", \"program\": {\"constant\": 1}},"
		    " {\"name\": \"x\", \"type\": \"histogram\", \"buckets\": [1], \"labels\": {\"a\": \"1\"},"
		    " \"program\": {\"constant\": 1}}]}",
		    "$.series[1].type: expected the type of the same metric family in $.series[0]"
		    " (gauge), got \"histogram\"");
	/* a counter's OpenMetrics family is its name without _total */
	parse_fails("{\"series\": [{\"name\": \"y_total\", \"type\": \"counter\", \"program\": {\"constant\": 1}},"
		    " {\"name\": \"y\", \"type\": \"gauge\", \"program\": {\"constant\": 1}}]}",
		    "$.series[1].type: expected the type of the same metric family in $.series[0]"
		    " (counter), got \"gauge\"");
}

/* ---- durations and times ----------------------------------------------- */

static int64_t dur(const char *s)
{
	int64_t ms = -42;

	if (gconfig_duration_str(s, &ms))
		return -1;
	return ms;
}

static void test_gen_gconfig_parses_prometheus_durations(void **state)
{
	(void)state;
	assert_int_equal(dur("15s"), 15000);
	assert_int_equal(dur("1h30m"), 5400000);
	assert_int_equal(dur("500ms"), 500);
	assert_int_equal(dur("2d"), 172800000);
	assert_int_equal(dur("1w"), 604800000);
	assert_int_equal(dur("1y"), 31536000000LL);
	assert_int_equal(dur("1y2w3d4h5m6s7ms"),
			 31536000000LL + 2 * 604800000LL + 3 * 86400000LL + 4 * 3600000 + 5 * 60000 + 6007);
	assert_int_equal(dur("90s"), 90000);
	assert_int_equal(dur("1m500ms"), 60500);
}

static void test_gen_gconfig_rejects_bad_durations(void **state)
{
	int64_t ms = 77;

	(void)state;
	assert_int_equal(dur("1x"), -1);
	assert_int_equal(dur(""), -1);
	assert_int_equal(dur("h"), -1);
	assert_int_equal(dur("-5s"), -1);
	assert_int_equal(dur("1m1h"), -1);      /* out of order */
	assert_int_equal(dur("1s1s"), -1);      /* twice */
	assert_int_equal(dur("1ms1s"), -1);
	assert_int_equal(dur("5"), -1);         /* a string needs a unit */
	assert_int_equal(dur("1.5s"), -1);
	assert_int_equal(dur("1S"), -1);
	assert_int_equal(dur(" 1s"), -1);
	assert_int_equal(dur("1s "), -1);
	assert_int_equal(dur("0"), -1);         /* zero is no interval */
	assert_int_equal(dur("0s"), -1);
	assert_int_equal(dur("99999999999999999999s"), -1);
	assert_int_equal(dur("300000000y"), -1);        /* past int64 ms */
	assert_int_equal(gconfig_duration_str(NULL, &ms), ERR_BAD_REQUEST);
	assert_int_equal(ms, 77);
	/* spans may be zero */
	assert_int_equal(gconfig_span_str("0", &ms), OK);
	assert_int_equal(ms, 0);
	assert_int_equal(gconfig_span_str("0s", &ms), OK);
	assert_int_equal(ms, 0);
	assert_int_equal(gconfig_span_str("1m1h", &ms), ERR_BAD_REQUEST);
}

static void test_gen_gconfig_parses_durations_as_json_numbers(void **state)
{
	json_t *v;
	int64_t ms = 0;

	(void)state;
	v = json_real(1.5);
	assert_int_equal(gconfig_duration(v, &ms), OK);
	assert_int_equal(ms, 1500);
	json_decref(v);
	v = json_integer(60);
	assert_int_equal(gconfig_duration(v, &ms), OK);
	assert_int_equal(ms, 60000);
	json_decref(v);
	v = json_real(0.001);
	assert_int_equal(gconfig_duration(v, &ms), OK);
	assert_int_equal(ms, 1);
	json_decref(v);
	v = json_string("1h");
	assert_int_equal(gconfig_duration(v, &ms), OK);
	assert_int_equal(ms, 3600000);
	json_decref(v);
	ms = 5;
	v = json_real(0.0001);          /* rounds to 0 ms */
	assert_int_equal(gconfig_duration(v, &ms), ERR_BAD_REQUEST);
	json_decref(v);
	v = json_integer(-1);
	assert_int_equal(gconfig_duration(v, &ms), ERR_BAD_REQUEST);
	json_decref(v);
	v = json_real(-0.5);
	assert_int_equal(gconfig_duration(v, &ms), ERR_BAD_REQUEST);
	json_decref(v);
	v = json_real(1e300);
	assert_int_equal(gconfig_duration(v, &ms), ERR_BAD_REQUEST);
	json_decref(v);
	v = json_integer(INT64_MAX);
	assert_int_equal(gconfig_duration(v, &ms), ERR_BAD_REQUEST);
	json_decref(v);
	v = json_true();
	assert_int_equal(gconfig_duration(v, &ms), ERR_BAD_REQUEST);
	assert_int_equal(gconfig_duration(NULL, &ms), ERR_BAD_REQUEST);
	assert_int_equal(ms, 5);
}

static int64_t tm(const char *s)
{
	int64_t ms = -42;

	if (gconfig_time_str(s, &ms))
		return -1;
	return ms;
}

static void test_gen_gconfig_parses_rfc3339_and_epoch_times(void **state)
{
	json_t *v;
	int64_t ms = 0;

	(void)state;
	assert_int_equal(tm("2026-03-01T00:00:00Z"), 1772323200000LL);
	assert_int_equal(tm("2026-03-01t00:00:00z"), 1772323200000LL);
	assert_int_equal(tm("2026-03-01T01:30:00+01:30"), 1772323200000LL);
	assert_int_equal(tm("2026-02-28T22:00:00-02:00"), 1772323200000LL);
	assert_int_equal(tm("2024-02-29T23:59:59.999-05:00"), 1709269199999LL);
	assert_int_equal(tm("2000-01-01T12:00:00.5Z"), 946728000500LL);
	assert_int_equal(tm("2000-01-01T12:00:00.123456789Z"), 946728000123LL);
	assert_int_equal(tm("1970-01-01T00:00:00Z"), 0);
	assert_int_equal(tm("1772323200"), 1772323200000LL);
	assert_int_equal(tm("1772323200.25"), 1772323200250LL);
	assert_int_equal(tm("0"), 0);

	v = json_integer(1772323200);
	assert_int_equal(gconfig_time(v, &ms), OK);
	assert_int_equal(ms, 1772323200000LL);
	json_decref(v);
	v = json_real(1772323200.5);
	assert_int_equal(gconfig_time(v, &ms), OK);
	assert_int_equal(ms, 1772323200500LL);
	json_decref(v);
	v = json_string("2026-03-01T00:00:00Z");
	assert_int_equal(gconfig_time(v, &ms), OK);
	assert_int_equal(ms, 1772323200000LL);
	json_decref(v);
}

static void test_gen_gconfig_rejects_bad_times(void **state)
{
	(void)state;
	assert_int_equal(tm(""), -1);
	assert_int_equal(tm("2026-03-01"), -1);
	assert_int_equal(tm("2026-03-01T00:00:00"), -1);        /* no zone */
	assert_int_equal(tm("2026-03-01 00:00:00Z"), -1);
	assert_int_equal(tm("2026-13-01T00:00:00Z"), -1);
	assert_int_equal(tm("2026-00-01T00:00:00Z"), -1);
	assert_int_equal(tm("2025-02-29T00:00:00Z"), -1);       /* not a leap year */
	assert_int_equal(tm("2100-02-29T00:00:00Z"), -1);
	assert_int_equal(tm("2026-03-01T24:00:00Z"), -1);
	assert_int_equal(tm("2026-03-01T00:60:00Z"), -1);
	assert_int_equal(tm("2026-03-01T00:00:60Z"), -1);
	assert_int_equal(tm("2026-03-01T00:00:00.Z"), -1);
	assert_int_equal(tm("2026-03-01T00:00:00+0100"), -1);
	assert_int_equal(tm("2026-03-01T00:00:00+24:00"), -1);
	assert_int_equal(tm("2026-03-01T00:00:00Zjunk"), -1);
	assert_int_equal(tm("-5"), -1);
	assert_int_equal(tm("12a"), -1);
	assert_int_equal(tm("1."), -1);
	assert_int_equal(tm("99999999999999999999"), -1);
	assert_int_equal(tm("2026-3-01T00:00:00Z"), -1);
	assert_int_equal(tm("+026-03-01T00:00:00Z"), -1);
	assert_int_equal(tm(NULL), -1);
	assert_true(tm("2000-02-29T00:00:00Z") > 0);             /* a leap year */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gen_gconfig_loads_the_spec_example),
		cmocka_unit_test(test_gen_gconfig_applies_defaults),
		cmocka_unit_test(test_gen_gconfig_default_id_sorts_and_escapes_labels),
		cmocka_unit_test(test_gen_gconfig_keeps_an_explicit_id),
		cmocka_unit_test(test_gen_gconfig_seed_id_follows_seed_and_id),
		cmocka_unit_test(test_gen_gconfig_contrib_examples_load),
		cmocka_unit_test(test_gen_gconfig_load_names_the_file),
		cmocka_unit_test(test_gen_gconfig_series_checks_one_api_body),
		cmocka_unit_test(test_gen_gconfig_rejects_bad_json),
		cmocka_unit_test(test_gen_gconfig_rejects_unknown_global_keys),
		cmocka_unit_test(test_gen_gconfig_rejects_bad_globals),
		cmocka_unit_test(test_gen_gconfig_rejects_unknown_series_keys),
		cmocka_unit_test(test_gen_gconfig_rejects_bad_names_and_types),
		cmocka_unit_test(test_gen_gconfig_rejects_bad_labels),
		cmocka_unit_test(test_gen_gconfig_rejects_bad_buckets),
		cmocka_unit_test(test_gen_gconfig_rejects_bad_programs_with_the_file),
		cmocka_unit_test(test_gen_gconfig_rejects_duplicate_series),
		cmocka_unit_test(test_gen_gconfig_rejects_one_family_of_two_types),
		cmocka_unit_test(test_gen_gconfig_parses_prometheus_durations),
		cmocka_unit_test(test_gen_gconfig_rejects_bad_durations),
		cmocka_unit_test(test_gen_gconfig_parses_durations_as_json_numbers),
		cmocka_unit_test(test_gen_gconfig_parses_rfc3339_and_epoch_times),
		cmocka_unit_test(test_gen_gconfig_rejects_bad_times),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
