/* main.c - prometheus-mirror: the StackState Mirror API over the Prometheus
 * HTTP API, as a FastCGI responder.
 *
 * Lifecycle of a worker process: spawn-fcgi binds the listening socket and
 * hands it over as file descriptor 0; multiwatch forks N copies of this
 * program and restarts any that dies. Each copy reads its settings once
 * (refusing to start without an API key), creates its upstream client (whose
 * connections stay open from one request to the next), then accepts and
 * answers one request at a time. SIGTERM, SIGINT or multiwatch's graceful
 * SIGUSR1 ends the loop: a request in hand is finished first, an idle
 * accept() is interrupted, and the process exits 0. */
#include <curl/curl.h>
#include <errno.h>
#include <fcgiapp.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <config.h>
#include "common/log.h"
#include "mirror/config.h"
#include "mirror/exchange.h"
#include "mirror/serve.h"
#include "mirror/upstream.h"

static volatile sig_atomic_t stopping;

static void on_stop(int sig)
{
	(void)sig;
	stopping = 1;
	FCGX_ShutdownPending();
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: prometheus-mirror [--config FILE] [--listen ADDRESS] [--check]\n"
		"       prometheus-mirror --help | --version\n"
		"\n"
		"The StackState Mirror API for Prometheus and every backend with the\n"
		"Prometheus HTTP query API, as a FastCGI responder. Normally started as\n"
		"  spawn-fcgi -n -s SOCKET -- /usr/bin/multiwatch -f 20 -- prometheus-mirror\n"
		"behind nginx, lighttpd or Apache; see prometheus-mirror(8).\n"
		"\n"
		"Options:\n"
		"  -c, --config FILE     read KEY=VALUE settings from FILE; the environment\n"
		"                        overrides them\n"
		"  -l, --listen ADDRESS  listen on ADDRESS (host:port or a unix socket path)\n"
		"                        instead of the socket inherited on descriptor 0\n"
		"      --check           check the settings and exit (0 when valid)\n"
		"  -h, --help            show this text and exit\n"
		"  -V, --version         show the version and exit\n"
		"\n"
		"Settings (environment or config file):\n"
		"  MIRROR_API_KEY, MIRROR_API_KEY_FILE   the key shared with StackState (required)\n"
		"  MIRROR_ALLOWED_UPSTREAMS   comma list of URL prefixes requests may target (*)\n"
		"  MIRROR_MAX_BODY_BYTES      request body cap (1048576)\n"
		"  MIRROR_MAX_TIMEOUT_SECONDS cap on any upstream timeout (300)\n"
		"  MIRROR_MAX_POINTS          cap on points in one answer (1000000)\n"
		"  MIRROR_LOG_LEVEL           error, warn, info or debug (info)\n"
		"\n"
		"AWS Managed Prometheus (connectionDetails.aws without keys) uses the\n"
		"workers' AWS environment: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY,\n"
		"AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN, ECS (AWS_CONTAINER_CREDENTIALS_*),\n"
		"EC2 metadata (AWS_EC2_METADATA_DISABLED=true to skip it);\n"
		"AWS_ENDPOINT_URL_STS replaces the regional STS endpoint.\n");
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "listen", required_argument, NULL, 'l' },
		{ "check", no_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *config_file = NULL, *listen_addr = NULL;
	struct config cfg;
	struct errinfo ei;
	struct worker w;
	struct sigaction sa;
	FCGX_Request req;
	int opt, check = 0, sock = 0, status = 0;

	log_program("prometheus-mirror");
	while ((opt = getopt_long(argc, argv, "c:l:hV", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c': config_file = optarg; break;
		case 'l': listen_addr = optarg; break;
		case 'k': check = 1; break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("prometheus-mirror %s\n", PACKAGE_VERSION); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind < argc) {
		usage(stderr);
		return 2;
	}

	memset(&ei, 0, sizeof(ei));
	if (config_load(&cfg, config_file, &ei)) {
		fprintf(stderr, "prometheus-mirror: %s\n",
			ei.details[0] ? ei.details : "out of memory");
		return 2;
	}
	log_set_level(cfg.log_level);
	if (check) {
		printf("prometheus-mirror: settings are valid\n");
		config_free(&cfg);
		return 0;
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;   /* no SA_RESTART: accept() must be interrupted */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);  /* a web server that hung up is not fatal */

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK || FCGX_Init() != 0) {
		fprintf(stderr, "prometheus-mirror: cannot initialise libcurl or libfcgi\n");
		config_free(&cfg);
		return 1;
	}
	if (listen_addr) {
		sock = FCGX_OpenSocket(listen_addr, 128);
		if (sock < 0) {
			fprintf(stderr, "prometheus-mirror: cannot listen on %s\n", listen_addr);
			status = 1;
			goto out_global;
		}
	}
	w.cfg = &cfg;
	w.up = upstream_new(cfg.allowed_upstreams);
	if (!w.up) {
		fprintf(stderr, "prometheus-mirror: cannot create the upstream client\n");
		status = 1;
		goto out_global;
	}
	FCGX_InitRequest(&req, sock, FCGI_FAIL_ACCEPT_ON_INTR);
	log_msg(LOG_DEBUG, "worker ready");
	while (!stopping) {
		if (FCGX_Accept_r(&req) < 0) {
			if (!stopping) {
				fprintf(stderr, "prometheus-mirror: cannot accept FastCGI "
					"requests (is descriptor 0 a listening socket? start "
					"it with spawn-fcgi, or use --listen)\n");
				status = 1;
			}
			break;
		}
		serve_request(&w, &req);
		FCGX_Finish_r(&req);
	}
	FCGX_Free(&req, 1);
	upstream_free(w.up);
	log_msg(LOG_DEBUG, "worker stopping");
out_global:
	curl_global_cleanup();
	config_free(&cfg);
	return status;
}
