/* main.c - metrics-generator: synthetic Prometheus series from a JSON
 * configuration, served, pushed or backfilled. Options, signals and the
 * choice of a mode only; each mode lives in its own file.
 *
 * Lifecycle of each mode (every one reads and checks the whole configuration
 * first and exits 2, touching nothing, when it is wrong):
 *
 * serve: one process answers FastCGI requests one at a time, on the socket
 * spawn-fcgi hands over as descriptor 0 (or one it opens for --listen). The
 * series live in its memory: tick 0 is the configured start, else the
 * moment it starts rounded down to the interval, and each GET /metrics
 * steps every series up to the tick that is due (with --tick-per-scrape, one
 * tick further). The API changes the series in memory only. SIGTERM, SIGINT
 * or SIGUSR1 ends the loop: a request in hand is answered first, an idle
 * accept() is interrupted, and the process exits 0.
 *
 * remote-write: with --from/--to, every series is stepped from its tick 0 and
 * the window's samples are pushed in batches as fast as the receiver takes
 * them; the process exits when the last batch is delivered. With --live, the
 * process sleeps until each tick falls due and pushes it, until every series
 * has ended or SIGTERM/SIGINT arrives (a batch in flight is finished, then
 * exit 0).
 *
 * backfill: every series is stepped from its tick 0 once without output (so
 * that a negative counter increment is found before anything is written),
 * then the window is written to standard output as OpenMetrics and the
 * process exits.
 *
 * Exit status: 0 done, 1 run-time error, 2 usage or configuration error. */
#include <curl/curl.h>
#include <errno.h>
#include <fcgiapp.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <config.h>
#include "common/log.h"
#include "generator/backfill.h"
#include "generator/gconfig.h"
#include "generator/gserve.h"
#include "generator/remote.h"
#include "generator/rwclient.h"
#include "generator/rwsign.h"

#define PROG "metrics-generator"

enum { EXIT_RUNTIME = 1, EXIT_USAGE = 2 };

#define MAX_HEADERS 32

/* The commands an option belongs to (a bit mask). */
enum { C_SERVE = 1, C_REMOTE = 2, C_BACKFILL = 4, C_ALL = 7 };

/* Everything the command line can say. */
struct cli {
	const char *config;
	const char *listen;
	int tick_per_scrape;
	const char *url;
	const char *from, *to;
	int live;
	long long batch_size;
	int64_t from_ms, to_ms;
	const char *headers[MAX_HEADERS + 1];  /* --header lines, NULL-ended */
	size_t n_headers;
	long timeout_ms;
	int sigv4;                   /* sign for Amazon Managed Prometheus */
	const char *sigv4_region, *sigv4_role_arn, *sigv4_external_id;
};

static volatile sig_atomic_t stopping;

static void on_stop(int sig)
{
	(void)sig;
	stopping = 1;
	FCGX_ShutdownPending();
}

/* catch_stop: the signals that end a mode, without SA_RESTART so that a
 * blocking accept() or sleep is interrupted. */
static void catch_stop(int with_usr1)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	if (with_usr1)
		sigaction(SIGUSR1, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);  /* a peer that hung up is not fatal */
}

/* wall_ms: the wall clock in ms since the epoch. */
static int64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* default_start: tick 0 when the configuration names none: now rounded
 * down to the interval. */
static int64_t default_start(const struct gconfig *cfg)
{
	int64_t now = wall_ms();

	return now - now % cfg->interval_ms;
}

/* run_serve: the FastCGI loop until a stop signal; returns the exit status. */
static int run_serve(const struct gconfig *cfg, const struct cli *o)
{
	struct gserve g;
	int sock = 0, status = 0;

	memset(&g, 0, sizeof(g));
	catch_stop(1);
	if (FCGX_Init() != 0) {
		fprintf(stderr, PROG ": cannot initialise libfcgi\n");
		return EXIT_RUNTIME;
	}
	if (o->listen) {
		sock = FCGX_OpenSocket(o->listen, 128);
		if (sock < 0) {
			fprintf(stderr, PROG ": cannot listen on %s\n", o->listen);
			return EXIT_RUNTIME;
		}
	}
	if (gserve_init(&g, cfg, o->tick_per_scrape,
			cfg->has_start ? cfg->start_ms : default_start(cfg))) {
		fprintf(stderr, PROG ": out of memory\n");
		status = EXIT_RUNTIME;
		goto out;
	}
	log_msg(LOG_DEBUG, "serving %zu series", g.n);
	if (gserve_run(&g, sock, &stopping)) {
		fprintf(stderr, PROG ": cannot accept FastCGI requests (is descriptor 0 "
			"a listening socket? start it with spawn-fcgi, or use --listen)\n");
		status = EXIT_RUNTIME;
	}
out:
	gserve_free(&g);
	return status;
}

/* run_remote: a window or --live, until done or SIGTERM; returns the exit
 * status (1 for an undelivered batch or a series ended by an error). */
static int run_remote(const struct gconfig *cfg, const struct cli *o)
{
	struct remote_opts ro;
	struct rwclient_opts copts;
	struct rwsign sign;
	struct errinfo ei;
	enum err rc;
	int status = 0;

	memset(&ro, 0, sizeof(ro));
	memset(&copts, 0, sizeof(copts));
	memset(&ei, 0, sizeof(ei));
	copts.headers = o->headers;
	ro.client = &copts;
	ro.timeout_ms = o->timeout_ms;
	ro.url = o->url;
	ro.live = o->live;
	ro.from_ms = o->from_ms;
	ro.to_ms = o->to_ms;
	ro.batch_size = (size_t)o->batch_size;
	if (cfg->has_start)
		ro.start_ms = cfg->start_ms;
	else
		ro.start_ms = o->live ? default_start(cfg) : o->from_ms;
	memset(&sign, 0, sizeof(sign));
	if (o->sigv4) {
		rc = rwsign_init(&sign, o->url, o->sigv4_region, o->sigv4_role_arn,
				 o->sigv4_external_id, o->timeout_ms, &ei);
		if (rc) {
			fprintf(stderr, PROG " remote-write: %s\n", ei.details);
			return rc == ERR_BAD_REQUEST ? EXIT_USAGE : EXIT_RUNTIME;
		}
		copts.sign = rwsign_hook;
		copts.sign_arg = &sign;
	}
	catch_stop(0);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		fprintf(stderr, PROG ": cannot initialise libcurl\n");
		rwsign_free(&sign);
		return EXIT_RUNTIME;
	}
	rc = remote_run(cfg, &ro, &stopping, &ei);
	if (rc) {
		if (ei.details[0])
			fprintf(stderr, PROG ": %s\n", ei.details);
		status = EXIT_RUNTIME;
	}
	rwsign_free(&sign);
	curl_global_cleanup();
	return status;
}

/* run_backfill: the window as OpenMetrics on standard output, or nothing
 * and status 1 on a run-time error. */
static int run_backfill(const struct gconfig *cfg, const struct cli *o)
{
	int64_t start = cfg->has_start ? cfg->start_ms : o->from_ms;
	struct errinfo ei;
	uint64_t first = 0, last = 0;
	enum err rc;

	memset(&ei, 0, sizeof(ei));
	rc = backfill_ticks(start, cfg->interval_ms, o->from_ms, o->to_ms, &first,
			    &last, &ei);
	if (rc == ERR_NO_SERIES) {
		/* no tick in the window: an empty but valid file */
		fputs("# EOF\n", stdout);
		return fflush(stdout) ? EXIT_RUNTIME : 0;
	}
	if (!rc)
		rc = backfill_run(cfg, start, first, last, stdout, &ei);
	if (rc) {
		fprintf(stderr, PROG ": %s\n", ei.details[0] ? ei.details : err_name(rc));
		return EXIT_RUNTIME;
	}
	return 0;
}

/* One row per command; adding a command is adding a row. */
static const struct command {
	const char *name;
	unsigned bit;
	int (*run)(const struct gconfig *, const struct cli *);
	const char *synopsis;
	const char *summary;    /* one line, for the list of commands */
	const char *about;
} commands[] = {
	{ "serve", C_SERVE, run_serve,
	  "serve CONFIG [--tick-per-scrape] [--listen ADDRESS]",
	  "serve /metrics and the series API (FastCGI)",
	  "Answer GET /metrics (text format 0.0.4) and the series API as a\n"
	  "FastCGI responder, on the socket spawn-fcgi hands over (descriptor 0)\n"
	  "or on --listen." },
	{ "remote-write", C_REMOTE, run_remote,
	  "remote-write CONFIG --url URL (--from TIME --to TIME | --live)\n"
	  "         [--batch-size N] [--header 'NAME: VALUE']... [--timeout SECONDS]\n"
	  "         [--sigv4] [--sigv4-region REGION] [--sigv4-role-arn ARN\n"
	  "         [--sigv4-external-id ID]]",
	  "push samples to a remote-write endpoint",
	  "Push the samples to a Prometheus remote-write endpoint: the ticks of\n"
	  "a window as fast as the receiver takes them, or each tick when it\n"
	  "falls due (--live) until SIGTERM." },
	{ "backfill", C_BACKFILL, run_backfill,
	  "backfill CONFIG --from TIME --to TIME",
	  "write a window as OpenMetrics for promtool",
	  "Write the ticks of the window to standard output as OpenMetrics, for\n"
	  "promtool tsdb create-blocks-from openmetrics." },
};
#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

enum {
	O_HELP = 'h', O_VERSION = 'V', O_LISTEN = 'l', O_TICK = 't', O_URL = 'u',
	O_FROM = 'f', O_TO = 'T', O_LIVE = 'L', O_BATCH = 'b', O_HEADER = 'H',
	O_TIMEOUT = 'o', O_SIGV4 = 's', O_SIGV4_REGION = 'r', O_SIGV4_ROLE = 'R',
	O_SIGV4_EXTERNAL = 'x',
};

/* One row per option: what it takes, which commands accept it, its help. */
static const struct opt_row {
	struct option lo;
	unsigned commands;
	const char *arg;
	const char *help;
} opt_rows[] = {
	{ { "tick-per-scrape", no_argument, NULL, O_TICK }, C_SERVE, NULL,
	  "each GET /metrics advances one tick (instead of the wall clock)" },
	{ { "listen", required_argument, NULL, O_LISTEN }, C_SERVE, "ADDRESS",
	  "listen on host:port or a unix socket path instead of descriptor 0" },
	{ { "url", required_argument, NULL, O_URL }, C_REMOTE, "URL",
	  "the remote-write endpoint (required)" },
	{ { "from", required_argument, NULL, O_FROM }, C_REMOTE | C_BACKFILL, "TIME",
	  "the window's first time (RFC 3339 or epoch seconds)" },
	{ { "to", required_argument, NULL, O_TO }, C_REMOTE | C_BACKFILL, "TIME",
	  "the window's last time, included" },
	{ { "live", no_argument, NULL, O_LIVE }, C_REMOTE, NULL,
	  "send each tick when it falls due, from the first at or after now" },
	{ { "batch-size", required_argument, NULL, O_BATCH }, C_REMOTE, "N",
	  "samples per request (default 2000)" },
	{ { "header", required_argument, NULL, O_HEADER }, C_REMOTE, "'NAME: VALUE'",
	  "an extra request header (e.g. a tenant id); repeatable" },
	{ { "timeout", required_argument, NULL, O_TIMEOUT }, C_REMOTE, "SECONDS",
	  "time allowed for one request (default 30)" },
	{ { "sigv4", no_argument, NULL, O_SIGV4 }, C_REMOTE, NULL,
	  "sign for Amazon Managed Prometheus (AWS SigV4, environment credentials)" },
	{ { "sigv4-region", required_argument, NULL, O_SIGV4_REGION }, C_REMOTE,
	  "REGION", "signing region (default: the URL's, else eu-west-1)" },
	{ { "sigv4-role-arn", required_argument, NULL, O_SIGV4_ROLE }, C_REMOTE,
	  "ARN", "assume this role with STS first (implies --sigv4)" },
	{ { "sigv4-external-id", required_argument, NULL, O_SIGV4_EXTERNAL },
	  C_REMOTE, "ID", "the ExternalId of that AssumeRole" },
	{ { "help", no_argument, NULL, O_HELP }, C_ALL, NULL,
	  "show this text and exit" },
	{ { "version", no_argument, NULL, O_VERSION }, C_ALL, NULL,
	  "show the version and exit" },
};
#define N_OPTS (sizeof(opt_rows) / sizeof(opt_rows[0]))

/* usage: the synopsis of every command (cmd NULL) or the help of one. */
static void usage(FILE *f, const struct command *cmd)
{
	size_t i;

	if (!cmd) {
		fprintf(f, "Usage:\n");
		for (i = 0; i < N_COMMANDS; i++)
			fprintf(f, "  " PROG " %s\n", commands[i].synopsis);
		fprintf(f, "  " PROG " COMMAND --help\n  " PROG " --help | --version\n\n"
			"Synthetic Prometheus series, every value known in advance, from\n"
			"a JSON configuration; see metrics-generator(1).\n\nCommands:\n");
		for (i = 0; i < N_COMMANDS; i++)
			fprintf(f, "  %-14s%s\n", commands[i].name, commands[i].summary);
		fprintf(f, "\nExit status: 0 done, 1 run-time error, 2 usage or "
			"configuration error.\n");
		return;
	}
	fprintf(f, "Usage: " PROG " %s\n\n%s\n\nOptions:\n", cmd->synopsis, cmd->about);
	for (i = 0; i < N_OPTS; i++) {
		char left[48];

		if (!(opt_rows[i].commands & cmd->bit))
			continue;
		snprintf(left, sizeof(left), "--%s%s%s", opt_rows[i].lo.name,
			 opt_rows[i].arg ? " " : "", opt_rows[i].arg ? opt_rows[i].arg : "");
		fprintf(f, "  %-22s %s\n", left, opt_rows[i].help);
	}
}

/* parse_time: an option's time; a usage error names it. */
static int parse_time(const char *opt, const char *s, int64_t *ms)
{
	if (gconfig_time_str(s, ms) == OK)
		return 0;
	fprintf(stderr, PROG ": --%s: expected a time (RFC 3339 such as "
		"2026-03-01T00:00:00Z, or epoch seconds), got %s\n", opt, s);
	return -1;
}

/* parse_args: the command's options and its CONFIG into o. Returns -1 when
 * the program should exit with *status (help, version, usage errors). */
static int parse_args(const struct command *cmd, int argc, char **argv,
		      struct cli *o, int *status)
{
	struct option longopts[N_OPTS + 1];
	size_t i;
	int opt;

	memset(longopts, 0, sizeof(longopts));
	for (i = 0; i < N_OPTS; i++)
		longopts[i] = opt_rows[i].lo;
	o->batch_size = 2000;
	*status = EXIT_USAGE;
	optind = 1;
	/* ":" first: a missing value is told apart from an unknown option */
	while ((opt = getopt_long(argc, argv, ":hV", longopts, NULL)) != -1) {
		const struct opt_row *row = NULL;
		char *end;

		for (i = 0; i < N_OPTS; i++)
			if (opt_rows[i].lo.val == opt)
				row = &opt_rows[i];
		if (!row) {
			fprintf(stderr, PROG " %s: %s %s\n", cmd->name,
				opt == ':' ? "missing the value of" : "unknown option",
				argv[optind - 1]);
			return -1;
		}
		if (!(row->commands & cmd->bit)) {
			fprintf(stderr, PROG " %s: --%s is not an option of this command\n",
				cmd->name, row->lo.name);
			return -1;
		}
		switch (opt) {
		case O_HELP: usage(stdout, cmd); *status = 0; return -1;
		case O_VERSION: printf(PROG " %s\n", PACKAGE_VERSION); *status = 0; return -1;
		case O_LISTEN: o->listen = optarg; break;
		case O_TICK: o->tick_per_scrape = 1; break;
		case O_URL: o->url = optarg; break;
		case O_LIVE: o->live = 1; break;
		case O_FROM:
			o->from = optarg;
			if (parse_time("from", optarg, &o->from_ms))
				return -1;
			break;
		case O_TO:
			o->to = optarg;
			if (parse_time("to", optarg, &o->to_ms))
				return -1;
			break;
		case O_BATCH:
			errno = 0;
			o->batch_size = strtoll(optarg, &end, 10);
			if (errno || end == optarg || *end || o->batch_size < 1 ||
			    o->batch_size > 1000000) {
				fprintf(stderr, PROG " %s: --batch-size: expected an integer "
					"from 1 to 1000000, got %s\n", cmd->name, optarg);
				return -1;
			}
			break;
		case O_HEADER:
			if (o->n_headers == MAX_HEADERS) {
				fprintf(stderr, PROG " %s: at most %d --header options\n",
					cmd->name, MAX_HEADERS);
				return -1;
			}
			o->headers[o->n_headers++] = optarg;
			break;
		case O_SIGV4: o->sigv4 = 1; break;
		case O_SIGV4_REGION: o->sigv4 = 1; o->sigv4_region = optarg; break;
		case O_SIGV4_ROLE: o->sigv4 = 1; o->sigv4_role_arn = optarg; break;
		case O_SIGV4_EXTERNAL: o->sigv4_external_id = optarg; break;
		case O_TIMEOUT: {
			long long secs;

			errno = 0;
			secs = strtoll(optarg, &end, 10);
			if (errno || end == optarg || *end || secs < 1 || secs > 3600) {
				fprintf(stderr, PROG " %s: --timeout: expected seconds from 1 "
					"to 3600, got %s\n", cmd->name, optarg);
				return -1;
			}
			o->timeout_ms = (long)secs * 1000;
			break;
		}
		}
	}
	/* getopt moved the operands to the end: CONFIG may come anywhere */
	if (optind != argc - 1) {
		fprintf(stderr, PROG " %s: expected one CONFIG file\n", cmd->name);
		return -1;
	}
	o->config = argv[optind];
	return 0;
}

/* check_args: what a command requires beyond its options' syntax. Returns
 * a message for a usage error, or NULL. */
static const char *check_args(const struct command *cmd, const struct cli *o)
{
	int window = o->from || o->to;

	if (cmd->bit == C_REMOTE && !o->url)
		return "--url is required";
	if (cmd->bit == C_REMOTE && o->live == window)
		return "give either --from and --to, or --live";
	if (window && (!o->from || !o->to))
		return "--from and --to go together";
	if (cmd->bit == C_BACKFILL && !window)
		return "--from and --to are required";
	if (window && o->from_ms > o->to_ms)
		return "--from is after --to";
	if (o->sigv4_external_id && !o->sigv4_role_arn)
		return "--sigv4-external-id needs --sigv4-role-arn";
	return NULL;
}

int main(int argc, char **argv)
{
	const struct command *cmd = NULL;
	struct gconfig cfg;
	struct errinfo ei;
	struct cli o;
	const char *bad;
	size_t i;
	int status;

	log_program(PROG);
	memset(&cfg, 0, sizeof(cfg));
	memset(&ei, 0, sizeof(ei));
	memset(&o, 0, sizeof(o));
	if (argc < 2) {
		usage(stderr, NULL);
		return EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(stdout, NULL);
		return 0;
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
		printf(PROG " %s\n", PACKAGE_VERSION);
		return 0;
	}
	for (i = 0; i < N_COMMANDS; i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			cmd = &commands[i];
	if (!cmd) {
		fprintf(stderr, PROG ": unknown command %s\n", argv[1]);
		usage(stderr, NULL);
		return EXIT_USAGE;
	}
	if (parse_args(cmd, argc - 1, argv + 1, &o, &status))
		return status;
	bad = check_args(cmd, &o);
	if (bad) {
		fprintf(stderr, PROG " %s: %s\n", cmd->name, bad);
		return EXIT_USAGE;
	}
	if (gconfig_load(o.config, &cfg, &ei)) {
		/* the message names the file and the JSONPath: print it as is */
		fprintf(stderr, "%s\n", ei.details[0] ? ei.details : "out of memory");
		return EXIT_USAGE;
	}
	status = cmd->run(&cfg, &o);
	gconfig_free(&cfg);
	return status;
}
