# lib.sh - helpers for the integration tests, sourced by test-mirror.sh.
# Every server gets a random free loopback port chosen here, keeps its files
# under $WORK, and is stopped by stop_all by PID (TERM, bounded wait, KILL).
#
# The caller sets WORK (a fresh directory it owns) before calling anything
# and, for start_pool, MIRROR_BIN; for make_history (the test data, written
# by metrics-generator) and start_generator_serve, GENERATOR_BIN.  Each
# start_* function documents the variables it sets.  POSIX sh (plus
# "local"); needs python3, curl, nginx,
# openssl, prometheus, promtool, victoria-metrics, spawn-fcgi, multiwatch.
# shellcheck shell=sh disable=SC3043,SC2034
# (SC3043: dash, bash and busybox sh have "local"; SC2034: the variables the
# functions set are for the caller.)

: "${WAIT_SECONDS:=30}"     # how long a server may take to come up
: "${STOP_SECONDS:=10}"     # how long a process may take to exit on TERM

LIB_PIDS=""                 # started processes, newest first

# Credentials the upstream fronts demand; the case files use the same.
BASIC_USER=mirror
BASIC_PASSWORD=basic-secret
BEARER_TOKEN=bearer-secret
TENANT_ID=tenant-1

# lib_work PREFIX: a fresh work directory in WORK, removed on exit after
# stop_all has stopped everything the script started (by PID); INT and TERM
# end the script through the same path. For scripts with nothing else to
# clean up (test-mirror.sh has its own, with the pool-log check).
lib_work() {
	WORK=$(mktemp -d "${TMPDIR:-/tmp}/$1.XXXXXX")
	trap lib_cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
}

lib_cleanup() {
	rc=$?
	trap - EXIT INT TERM
	stop_all
	rm -rf "$WORK"
	exit "$rc"
}

lib_log() {
	printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2
}

lib_die() {
	lib_log "ERROR: $*"
	exit 1
}

# show_log NAME: the end of $WORK/NAME.log on stderr, to explain a failure.
show_log() {
	if [ -f "$WORK/$1.log" ]; then
		lib_log "--- last lines of $1.log ---"
		tail -n 20 "$WORK/$1.log" >&2
	fi
}

# port_free PORT: true when nothing answers on 127.0.0.1:PORT and the port
# can be bound.
port_free() {
	python3 - "$1" <<'EOF'
import socket, sys
port = int(sys.argv[1])
probe = socket.socket()
probe.settimeout(1)
try:
    probe.connect(("127.0.0.1", port))
    sys.exit(1)                     # somebody listens there
except OSError:
    pass
finally:
    probe.close()
s = socket.socket()
try:
    s.bind(("127.0.0.1", port))
except OSError:
    sys.exit(1)
finally:
    s.close()
EOF
}

# pick_port: print a free loopback port that this run has not handed out yet
# (the kernel picks it: bind to port 0).  Never a fixed port.
pick_port() {
	local n=0 p
	while [ "$n" -lt 50 ]; do
		n=$((n + 1))
		p=$(python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()')
		if grep -qx "$p" "$WORK/ports.used" 2>/dev/null; then
			continue
		fi
		if port_free "$p"; then
			echo "$p" >> "$WORK/ports.used"
			echo "$p"
			return 0
		fi
	done
	lib_log "no free loopback port found"
	return 1
}

# start_bg NAME CMD [ARG...]: run CMD in the background with its output in
# $WORK/NAME.log; remember its PID for stop_all.  Sets BG_PID.
start_bg() {
	local name="$1"
	shift
	"$@" < /dev/null > "$WORK/$name.log" 2>&1 &
	BG_PID=$!
	echo "$BG_PID" > "$WORK/$name.pid"
	LIB_PIDS="$BG_PID $LIB_PIDS"
}

# alive PID: true while the process exists (and is not a zombie of ours).
alive() {
	local state
	kill -0 "$1" 2>/dev/null || return 1
	state=$(ps -o stat= -p "$1" 2>/dev/null) || return 1
	case "$state" in Z*) return 1 ;; esac
	return 0
}

# stop_pid PID: TERM, wait up to STOP_SECONDS, then KILL; reap if ours.
stop_pid() {
	local pid="$1" deadline
	alive "$pid" || { wait "$pid" 2>/dev/null || true; return 0; }
	kill -TERM "$pid" 2>/dev/null || true
	deadline=$(( $(date +%s) + STOP_SECONDS ))
	while alive "$pid" && [ "$(date +%s)" -lt "$deadline" ]; do
		sleep 0.1
	done
	if alive "$pid"; then
		lib_log "process $pid ignored TERM, sending KILL"
		kill -KILL "$pid" 2>/dev/null || true
	fi
	wait "$pid" 2>/dev/null || true
}

# children_of PID: the PIDs whose parent is PID (one per line).
children_of() {
	ps -o pid= --ppid "$1" 2>/dev/null | tr -d ' ' || true
}

# stop_all: stop everything start_bg started, newest first.  A pool
# (multiwatch) is stopped first and its workers after it, so that nothing
# respawns a worker we just stopped.  Safe to call twice.
stop_all() {
	local pid kids k
	for pid in $LIB_PIDS; do
		kids=""
		if [ -n "${POOL_PID:-}" ] && [ "$pid" = "$POOL_PID" ] ||
			case " ${POOL_PIDS:-} " in *" $pid "*) true ;; *) false ;; esac; then
			kids=$(children_of "$pid")
		fi
		stop_pid "$pid"
		for k in $kids; do
			stop_pid "$k"
		done
	done
	LIB_PIDS=""
}

# wait_url URL PID [any]: wait until URL answers 2xx (with "any": any HTTP
# status), at most WAIT_SECONDS; fail at once if process PID has exited.
wait_url() {
	local url="$1" pid="$2" mode="${3:-}" deadline code
	deadline=$(( $(date +%s) + WAIT_SECONDS ))
	while :; do
		code=$(curl -sS -o /dev/null -w '%{http_code}' --max-time 2 "$url" 2>/dev/null) || code=000
		case "$code" in
		2??) return 0 ;;
		000) ;;
		*) [ "$mode" = any ] && return 0 ;;
		esac
		if [ -n "$pid" ] && ! alive "$pid"; then
			lib_log "process $pid exited while waiting for $url"
			return 1
		fi
		if [ "$(date +%s)" -ge "$deadline" ]; then
			lib_log "timed out after ${WAIT_SECONDS}s waiting for $url (last status $code)"
			return 1
		fi
		sleep 0.2
	done
}

# wait_value BASE QUERY TIME WANT PID: wait until the instant query QUERY at
# TIME (seconds) on the Prometheus API at BASE returns the single value WANT.
wait_value() {
	local base="$1" query="$2" at="$3" want="$4" pid="$5" deadline got
	deadline=$(( $(date +%s) + WAIT_SECONDS ))
	while :; do
		got=$(curl -sS --max-time 5 "${base}api/v1/query" \
			--data-urlencode "query=$query" --data-urlencode "time=$at" 2>/dev/null |
			python3 -c 'import json, sys
try:
    r = json.load(sys.stdin)["data"]["result"]
    print(r[0]["value"][1] if len(r) == 1 else "")
except Exception:
    print("")') || got=""
		[ "$got" = "$want" ] && return 0
		if [ -n "$pid" ] && ! alive "$pid"; then
			lib_log "process $pid exited while waiting for $query = $want"
			return 1
		fi
		if [ "$(date +%s)" -ge "$deadline" ]; then
			lib_log "timed out waiting for $query = $want (got '$got')"
			return 1
		fi
		sleep 0.3
	done
}

# The window of the known history (tests/data/history.md): T0 =
# 2026-01-01T00:00:00Z to the last sample of mirror_test_dense, T0+14399 s.
HISTORY_FROM=1767225600
HISTORY_TO=1767239999

# make_history: write the known history to $WORK/history.om with
# `$GENERATOR_BIN backfill` over the window, from the configurations in
# tests/data (history.json: the 15 s series; history-dense.json: the 1 s
# series; one "# EOF" at the end), and check it sample by sample against
# the model in tests/data/make-history.py.  Dies when the generator fails
# or writes anything else.  Needs GENERATOR_BIN and SRCDIR.  Sets
# HISTORY_OM.
make_history() {
	local data="$SRCDIR/tests/data" cfg part st
	if [ ! -f "${GENERATOR_BIN:-}" ] || [ ! -x "$GENERATOR_BIN" ]; then
		lib_die "GENERATOR_BIN is not an executable metrics-generator: ${GENERATOR_BIN:-unset} (it writes the test data)"
	fi
	HISTORY_OM="$WORK/history.om"
	: > "$HISTORY_OM"
	for cfg in history history-dense; do
		part="$WORK/$cfg.part.om"
		st=0
		"$GENERATOR_BIN" backfill "$data/$cfg.json" \
			--from "$HISTORY_FROM" --to "$HISTORY_TO" \
			> "$part" 2> "$WORK/backfill-$cfg.log" || st=$?
		if [ "$st" -ne 0 ]; then
			show_log "backfill-$cfg"
			lib_die "metrics-generator backfill tests/data/$cfg.json exited $st"
		fi
		[ "$(tail -n 1 "$part")" = "# EOF" ] ||
			lib_die "metrics-generator backfill tests/data/$cfg.json: the output does not end with # EOF"
		sed '$d' "$part" >> "$HISTORY_OM"
		rm -f "$part"
	done
	echo "# EOF" >> "$HISTORY_OM"
	if ! python3 "$data/make-history.py" --check-om "$HISTORY_OM" > "$WORK/check-om.log" 2>&1; then
		cat "$WORK/check-om.log" >&2
		lib_die "the generator's history differs from the model in tests/data/make-history.py"
	fi
}

# make_blocks OM_FILE DATA_DIR: backfill Prometheus TSDB blocks.
make_blocks() {
	mkdir -p "$2"
	if ! promtool tsdb create-blocks-from openmetrics "$1" "$2" \
		> "$WORK/promtool.log" 2>&1; then
		show_log promtool
		lib_die "promtool could not backfill $1"
	fi
}

# start_prometheus DATA_DIR [ARG...]: Prometheus on the blocks in DATA_DIR,
# scraping nothing, with the extra arguments (e.g.
# --web.enable-remote-write-receiver).  Sets PROM_PORT, PROM_URL (with a
# trailing slash), PROM_PID.
start_prometheus() {
	local data="$1" try
	shift
	cat > "$WORK/prometheus.yml" <<'EOF'
# No targets: the only data are the backfilled blocks.
global:
  scrape_interval: 1h
  evaluation_interval: 1h
scrape_configs: []
EOF
	for try in 1 2 3; do
		PROM_PORT=$(pick_port) || lib_die "no port for Prometheus"
		start_bg prometheus prometheus \
			--config.file="$WORK/prometheus.yml" \
			--storage.tsdb.path="$data" \
			--storage.tsdb.retention.time=100y \
			--web.listen-address="127.0.0.1:$PROM_PORT" "$@"
		if wait_url "http://127.0.0.1:$PROM_PORT/-/ready" "$BG_PID"; then
			PROM_PID=$BG_PID
			PROM_URL="http://127.0.0.1:$PROM_PORT/"
			return 0
		fi
		show_log prometheus
		stop_pid "$BG_PID"
	done
	lib_die "Prometheus did not start"
}

# start_victoria: an empty single-node VictoriaMetrics.
# Sets VM_PORT, VM_URL (with a trailing slash), VM_PID.
start_victoria() {
	local try
	for try in 1 2 3; do
		VM_PORT=$(pick_port) || lib_die "no port for VictoriaMetrics"
		rm -rf "$WORK/victoria"
		# latencyOffset=0 and no result cache: answer from what was just
		# imported, at once.
		start_bg victoria victoria-metrics \
			-httpListenAddr="127.0.0.1:$VM_PORT" \
			-storageDataPath="$WORK/victoria" \
			-retentionPeriod=100y \
			-search.latencyOffset=0s \
			-search.disableCache \
			-loggerLevel=WARN
		if wait_url "http://127.0.0.1:$VM_PORT/health" "$BG_PID"; then
			VM_PID=$BG_PID
			VM_URL="http://127.0.0.1:$VM_PORT/"
			return 0
		fi
		show_log victoria
		stop_pid "$BG_PID"
	done
	lib_die "VictoriaMetrics did not start"
}

# load_victoria OM_FILE: import the history (OpenMetrics, seconds) as
# Prometheus text with millisecond timestamps, flush, and wait until the
# last series of the file (mirror_test_dense, 14400 samples from T0 to
# T0+14399 s) is readable.
load_victoria() {
	local om="$1" code
	# Every sample line ends in " <seconds>": append 000.  # lines pass as
	# comments, "# EOF" included.
	sed -E 's/ ([0-9]+)$/ \1000/' "$om" > "$WORK/history.prom"
	code=$(curl -sS -o "$WORK/victoria-import.out" -w '%{http_code}' \
		--data-binary "@$WORK/history.prom" \
		"${VM_URL}api/v1/import/prometheus") || code=000
	case "$code" in
	2??) ;;
	*) cat "$WORK/victoria-import.out" >&2; lib_die "VictoriaMetrics import answered $code" ;;
	esac
	curl -sS -o /dev/null "${VM_URL}internal/force_flush" || true
	wait_value "$VM_URL" 'count_over_time({__name__="mirror_test_dense"}[14400s])' \
		"$HISTORY_TO" 14400 "$VM_PID" || lib_die "VictoriaMetrics does not show the imported data"
}

# nginx_conf DIR INCLUDE: write DIR/nginx.conf, a minimal main configuration
# with every path under DIR, that includes INCLUDE inside http {}.
nginx_conf() {
	local dir="$1" inc="$2"
	mkdir -p "$dir/tmp"
	{
		# as root nginx would switch its workers to "nobody", who cannot
		# enter the private work directory
		if [ "$(id -u)" = 0 ]; then
			echo "user root root;"
		fi
		cat <<EOF
worker_processes 1;
pid $dir/nginx.pid;
error_log $dir/error.log info;
events {
    worker_connections 256;
}
http {
    default_type application/octet-stream;
    access_log $dir/access.log;
    client_body_temp_path $dir/tmp/body;
    fastcgi_temp_path $dir/tmp/fastcgi;
    proxy_temp_path $dir/tmp/proxy;
    scgi_temp_path $dir/tmp/scgi;
    uwsgi_temp_path $dir/tmp/uwsgi;
    include $inc;
}
EOF
	} > "$dir/nginx.conf"
}

# run_nginx NAME DIR: check and start nginx on DIR/nginx.conf in the
# foreground (as our child).  Sets BG_PID.
run_nginx() {
	local name="$1" dir="$2"
	if ! nginx -t -q -p "$dir/" -c "$dir/nginx.conf" > "$WORK/$name.log" 2>&1; then
		show_log "$name"
		lib_die "nginx rejects $dir/nginx.conf"
	fi
	start_bg "$name" nginx -p "$dir/" -c "$dir/nginx.conf" -g 'daemon off;'
}

# make_tls DIR: a CA (DIR/ca.pem), a server certificate for IP 127.0.0.1
# signed by it (DIR/server.pem, DIR/server.key), and a second, unrelated CA
# (DIR/other-ca.pem). Sets TLS_CA and OTHER_CA.
make_tls() {
	local dir="$1"
	{
		openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=mirror test CA" \
			-keyout "$dir/ca.key" -out "$dir/ca.pem" &&
		openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=other CA" \
			-keyout "$dir/other-ca.key" -out "$dir/other-ca.pem" &&
		openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" \
			-keyout "$dir/server.key" -out "$dir/server.csr" &&
		printf 'subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n' > "$dir/server.ext" &&
		openssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" \
			-CAcreateserial -days 2 -extfile "$dir/server.ext" -out "$dir/server.pem"
	} > "$WORK/openssl.log" 2>&1 || { show_log openssl; lib_die "openssl could not make the test certificates"; }
	TLS_CA="$dir/ca.pem"
	OTHER_CA="$dir/other-ca.pem"
}

# start_fronts: one nginx with the upstreams that misbehave on purpose:
#   BASIC_URL    Prometheus behind basic auth ($BASIC_USER/$BASIC_PASSWORD)
#   BEARER_URL   Prometheus behind "Authorization: Bearer $BEARER_TOKEN"
#   TENANT_URL   Prometheus behind "X-Scope-OrgID: $TENANT_ID"
#   REDIRECT_URL answers 302, GARBAGE_URL 200 with HTML, ERROR500_URL 500
#   TLS_URL      Prometheus behind HTTPS with a certificate for 127.0.0.1
#                signed by a CA made for this run: TLS_CA is that CA's file,
#                OTHER_CA a second CA that did not sign it
# Needs PROM_PORT.  Sets those URLs (with trailing slashes) and FRONTS_PID.
start_fronts() {
	local dir="$WORK/fronts" try hash
	mkdir -p "$dir"
	hash=$(openssl passwd -apr1 "$BASIC_PASSWORD") || lib_die "openssl passwd failed"
	printf '%s:%s\n' "$BASIC_USER" "$hash" > "$dir/htpasswd"
	make_tls "$dir"
	for try in 1 2 3; do
		if ! { BASIC_PORT=$(pick_port) && BEARER_PORT=$(pick_port) &&
			TENANT_PORT=$(pick_port) && ODD_PORT=$(pick_port) &&
			TLS_PORT=$(pick_port); }; then
			lib_die "no ports for the fronts"
		fi
		cat > "$dir/fronts.conf" <<EOF
server {
    listen 127.0.0.1:$BASIC_PORT;
    location / {
        auth_basic "prometheus";
        auth_basic_user_file $dir/htpasswd;
        proxy_pass http://127.0.0.1:$PROM_PORT;
    }
}
server {
    listen 127.0.0.1:$BEARER_PORT;
    location / {
        if (\$http_authorization != "Bearer $BEARER_TOKEN") {
            return 401 "missing or wrong bearer token\n";
        }
        proxy_pass http://127.0.0.1:$PROM_PORT;
    }
}
server {
    listen 127.0.0.1:$TENANT_PORT;
    location / {
        if (\$http_x_scope_orgid != "$TENANT_ID") {
            return 401 "no org id\n";
        }
        proxy_pass http://127.0.0.1:$PROM_PORT;
    }
}
server {
    listen 127.0.0.1:$TLS_PORT ssl;
    ssl_certificate $dir/server.pem;
    ssl_certificate_key $dir/server.key;
    location / {
        proxy_pass http://127.0.0.1:$PROM_PORT;
    }
}
server {
    listen 127.0.0.1:$ODD_PORT;
    location /redirect/ {
        return 302 http://127.0.0.1:$PROM_PORT/;
    }
    location /garbage/ {
        default_type text/html;
        return 200 "<html><body>Welcome to a web server that is not Prometheus</body></html>\n";
    }
    location /error500/ {
        default_type text/plain;
        return 500 "upstream exploded\n";
    }
    location / {
        return 404;
    }
}
EOF
		nginx_conf "$dir" "$dir/fronts.conf"
		run_nginx fronts "$dir"
		if wait_url "http://127.0.0.1:$ODD_PORT/garbage/" "$BG_PID"; then
			FRONTS_PID=$BG_PID
			BASIC_URL="http://127.0.0.1:$BASIC_PORT/"
			BEARER_URL="http://127.0.0.1:$BEARER_PORT/"
			TENANT_URL="http://127.0.0.1:$TENANT_PORT/"
			REDIRECT_URL="http://127.0.0.1:$ODD_PORT/redirect/"
			GARBAGE_URL="http://127.0.0.1:$ODD_PORT/garbage/"
			ERROR500_URL="http://127.0.0.1:$ODD_PORT/error500/"
			TLS_URL="https://127.0.0.1:$TLS_PORT/"
			return 0
		fi
		show_log fronts
		stop_pid "$BG_PID"
	done
	lib_die "the upstream fronts did not start"
}

# start_hang: a listener that accepts connections and never answers (for
# timeouts).  It binds port 0 itself, so there is no race for the port.
# Sets HANG_PORT, HANG_URL, HANG_PID.
start_hang() {
	local n=0
	cat > "$WORK/hang.py" <<'EOF'
# Accept every connection, hold it open, never send a byte.
import os, socket, sys
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(128)
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write("%d\n" % s.getsockname()[1])
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
held = []
while True:
    conn, _ = s.accept()
    held.append(conn)
EOF
	rm -f "$WORK/hang.port"
	start_bg hang python3 "$WORK/hang.py" "$WORK/hang.port"
	HANG_PID=$BG_PID
	while [ ! -s "$WORK/hang.port" ]; do
		alive "$HANG_PID" || { show_log hang; lib_die "the hanging listener died"; }
		n=$((n + 1))
		[ "$n" -lt 100 ] || lib_die "the hanging listener did not start"
		sleep 0.1
	done
	HANG_PORT=$(cat "$WORK/hang.port")
	HANG_URL="http://127.0.0.1:$HANG_PORT/"
}

# closed_port: a free port nobody listens on.  Sets CLOSED_PORT, CLOSED_URL.
closed_port() {
	CLOSED_PORT=$(pick_port) || lib_die "no free port"
	CLOSED_URL="http://127.0.0.1:$CLOSED_PORT/"
}

# start_pool: the FastCGI pool as in production: spawn-fcgi binds a unix
# socket and becomes multiwatch, which keeps 3 workers of $MIRROR_BIN.
# Fixed for the cases: the API key, the allowlist, a 64 KiB body cap (so
# the mirror's own 413 is reachable below nginx's 1m); every other MIRROR_*
# variable of the caller's environment passes through.  The AWS variables
# the mirror reads are cleared and EC2 instance metadata is disabled, so
# that the machine's own AWS setup never leaks into a test.
# POOL_FORKS (default 3) sets the number of workers; POOL_WRAPPER, words put
# before the binary (e.g. a valgrind command line), runs each worker under it;
# POOL_NAME (default "pool") names the socket ($WORK/NAME.sock, "fcgi.sock"
# for "pool") and the log ($WORK/NAME.log), so that several pools can run;
# POOL_ENV, NAME=VALUE words added to the workers' environment last.
# Sets POOL_SOCKET, POOL_PID and adds the PID to POOL_PIDS.
start_pool() {
	local n=0 multiwatch name="${POOL_NAME:-pool}"
	[ -x "${MIRROR_BIN:-}" ] || lib_die "MIRROR_BIN is not an executable: ${MIRROR_BIN:-unset}"
	# spawn-fcgi execs without a PATH search
	multiwatch=$(command -v multiwatch) || lib_die "multiwatch is not installed"
	if [ "$name" = pool ]; then
		POOL_SOCKET="$WORK/fcgi.sock"
	else
		POOL_SOCKET="$WORK/$name.sock"
	fi
	rm -f "$POOL_SOCKET"
	# shellcheck disable=SC2086  # POOL_ENV and POOL_WRAPPER are word lists
	start_bg "$name" env -u MIRROR_API_KEY_FILE \
		-u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY -u AWS_SESSION_TOKEN \
		-u AWS_WEB_IDENTITY_TOKEN_FILE -u AWS_ROLE_ARN -u AWS_ROLE_SESSION_NAME \
		-u AWS_CONTAINER_CREDENTIALS_RELATIVE_URI \
		-u AWS_CONTAINER_CREDENTIALS_FULL_URI \
		-u AWS_CONTAINER_AUTHORIZATION_TOKEN \
		-u AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE \
		-u AWS_EC2_METADATA_SERVICE_ENDPOINT -u AWS_ENDPOINT_URL_STS \
		AWS_EC2_METADATA_DISABLED=true \
		MIRROR_API_KEY=test-key \
		MIRROR_ALLOWED_UPSTREAMS="http://127.0.0.1:,https://127.0.0.1:,http://localhost:" \
		MIRROR_MAX_BODY_BYTES=65536 \
		${POOL_ENV:-} \
		spawn-fcgi -n -s "$POOL_SOCKET" -M 0600 -- \
		"$multiwatch" -f "${POOL_FORKS:-3}" -- ${POOL_WRAPPER:-} "$MIRROR_BIN"
	POOL_PID=$BG_PID
	POOL_PIDS="${POOL_PIDS:-} $POOL_PID"
	while [ ! -S "$POOL_SOCKET" ]; do
		alive "$POOL_PID" || { show_log "$name"; lib_die "the pool exited"; }
		n=$((n + 1))
		[ "$n" -lt 100 ] || lib_die "the pool socket did not appear"
		sleep 0.1
	done
}

# start_nginx: the mirror's front, from contrib/nginx/prometheus-mirror.conf
# with only the listen address and the socket path replaced.  Needs
# POOL_SOCKET and SRCDIR (the source tree).  Sets FRONT_PORT, FRONT_URL
# (no trailing slash), FRONT_PID.  FRONT_NAME (default "front") names its
# directory ($WORK/NAME) and log, so that several fronts can run.
start_nginx() {
	local name="${FRONT_NAME:-front}" try
	local dir="$WORK/$name" src="$SRCDIR/contrib/nginx/prometheus-mirror.conf"
	mkdir -p "$dir"
	for try in 1 2 3; do
		FRONT_PORT=$(pick_port) || lib_die "no port for nginx"
		sed -e "s|^\([[:space:]]*\)listen [^;]*;\([[:space:]]*# @@listen@@\)|\1listen 127.0.0.1:$FRONT_PORT;\2|" \
			-e "s|^\([[:space:]]*\)fastcgi_pass [^;]*;\([[:space:]]*# @@socket@@\)|\1fastcgi_pass unix:$POOL_SOCKET;\2|" \
			"$src" > "$dir/mirror.conf"
		if ! grep -q "listen 127.0.0.1:$FRONT_PORT;" "$dir/mirror.conf" ||
			! grep -q "fastcgi_pass unix:$POOL_SOCKET;" "$dir/mirror.conf"; then
			lib_die "$src: the @@listen@@ or @@socket@@ line was not found"
		fi
		nginx_conf "$dir" "$dir/mirror.conf"
		run_nginx "$name" "$dir"
		if wait_url "http://127.0.0.1:$FRONT_PORT/healthcheck" "$BG_PID" any; then
			FRONT_PID=$BG_PID
			FRONT_URL="http://127.0.0.1:$FRONT_PORT"
			return 0
		fi
		show_log "$name"
		stop_pid "$BG_PID"
	done
	lib_die "nginx (the mirror's front) did not start"
}

# ---- the fake AWS (test-aws.sh, test-valgrind.sh) ----

# start_aws_fake CONFIG [ARG...]: tests/integration/aws-fake.py (SigV4
# verifier in front of PROM_URL, STS, ECS, IMDS) with the configuration
# file CONFIG and the extra arguments, under Debian's python3 (which has
# python3-botocore).  Sets AWS_FAKE_PID; aws_fake_port NAME then gives the
# port of "verifier", "sts", "ecs" or "imds".
start_aws_fake() {
	local config="$1" n=0
	shift
	start_bg aws-fake /usr/bin/python3 "$SRCDIR/tests/integration/aws-fake.py" \
		--config "$config" --upstream "${PROM_URL%/}" \
		--ports-file "$WORK/aws-ports.json" "$@"
	AWS_FAKE_PID=$BG_PID
	while [ ! -s "$WORK/aws-ports.json" ]; do
		alive "$AWS_FAKE_PID" || { show_log aws-fake; lib_die "aws-fake.py exited"; }
		n=$((n + 1))
		[ "$n" -lt 100 ] || lib_die "aws-fake.py wrote no ports"
		sleep 0.1
	done
}
aws_fake_port() {
	/usr/bin/python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' \
		"$WORK/aws-ports.json" "$1"
}

# ---- the pool's log ----

# Lines of the pool's stderr that are the mirror's own log lines (one per
# request, control bytes escaped, so one line each).  Everything else there
# comes from the sanitizers, from a wrapper or from multiwatch.
MIRROR_LOG_LINE='^(error|warn|info|debug) prometheus-mirror\[[0-9]+\]: '
# What means trouble among those other lines:
# - reports of a build with --enable-sanitizers: AddressSanitizer (also on
#   a deadly signal), LeakSanitizer (at a worker's exit), UBSan's "runtime
#   error:";
# - valgrind's error summary, should the pool run under it;
# - multiwatch: it prints nothing when a worker exits on the pool's own
#   TERM, and neither exit status nor signal otherwise; each of these lines
#   is a worker that ended without being asked to: "Child[N] died, respawn"
#   (it had lived more than 10 s), "Spawning child[N] failed, next try"
#   (less), "Child[N] died to often, not forking again", "Exec failed: ...",
#   "Fatal Error: Couldn't fork child[N]: ...".
POOL_TROUBLE='ERROR: (Address|Leak|Memory|Thread|UndefinedBehavior)Sanitizer'
POOL_TROUBLE="$POOL_TROUBLE|Sanitizer:DEADLYSIGNAL|LeakSanitizer has encountered a fatal error"
POOL_TROUBLE="$POOL_TROUBLE|runtime error:|==[0-9]+== ERROR SUMMARY: [1-9]"
POOL_TROUBLE="$POOL_TROUBLE|Child\[[0-9]+\] died|Spawning child\[[0-9]+\] failed"
POOL_TROUBLE="$POOL_TROUBLE|Exec failed:|Couldn.t fork child"

# check_pool_log [LOG]: call after stop_all.  Fails, printing every line of
# LOG (default $WORK/pool.log) that is not a request log line (the reports
# themselves), when one of them shows trouble.  The request lines are left out of the
# search too: they quote client-chosen text (the method, a request id).
# shellcheck disable=SC2317  # called by cleanup, from the EXIT trap
check_pool_log() {
	local log="${1:-$WORK/pool.log}" other_lines
	[ -f "$log" ] || return 0
	grep -v -E "$MIRROR_LOG_LINE" "$log" > "$WORK/pool-other.log" || true
	grep -q -E "$POOL_TROUBLE" "$WORK/pool-other.log" || return 0
	lib_log "FAIL: the pool's log shows a sanitizer report or a worker that died:"
	head -n 400 "$WORK/pool-other.log" >&2
	other_lines=$(wc -l < "$WORK/pool-other.log")
	if [ "$other_lines" -gt 400 ]; then
		lib_log "... and $((other_lines - 400)) more lines in $log"
	fi
	return 1
}

# ---- metrics-generator (test-generator.sh, tools/demo) -----------------------

# start_prometheus_with NAME YML DATA_DIR [ARG...]: Prometheus with the
# configuration file YML (written by the caller), its TSDB in DATA_DIR and
# the extra arguments, on a free port; its log is $WORK/NAME.log.
# Sets PROM_PORT, PROM_URL (with a trailing slash), PROM_PID.
start_prometheus_with() {
	local name="$1" yml="$2" data="$3" try
	shift 3
	for try in 1 2 3; do
		PROM_PORT=$(pick_port) || lib_die "no port for Prometheus"
		start_bg "$name" prometheus \
			--config.file="$yml" \
			--storage.tsdb.path="$data" \
			--storage.tsdb.retention.time=100y \
			--web.listen-address="127.0.0.1:$PROM_PORT" "$@"
		if wait_url "http://127.0.0.1:$PROM_PORT/-/ready" "$BG_PID"; then
			PROM_PID=$BG_PID
			PROM_URL="http://127.0.0.1:$PROM_PORT/"
			return 0
		fi
		show_log "$name"
		stop_pid "$BG_PID"
	done
	lib_die "Prometheus ($name) did not start"
}

# start_generator_serve CONFIG [ARG...]: `metrics-generator serve CONFIG
# ARG...` as in production: spawn-fcgi binds a unix socket and execs the
# generator in its place (one process, no pool).  Needs GENERATOR_BIN.
# Sets GEN_SOCKET, GEN_PID; the log is $WORK/generator.log.
start_generator_serve() {
	local n=0
	[ -x "${GENERATOR_BIN:-}" ] || lib_die "GENERATOR_BIN is not an executable: ${GENERATOR_BIN:-unset}"
	GEN_SOCKET="$WORK/generator.sock"
	rm -f "$GEN_SOCKET"
	start_bg generator spawn-fcgi -n -s "$GEN_SOCKET" -M 0600 -- \
		"$GENERATOR_BIN" serve "$@"
	GEN_PID=$BG_PID
	while [ ! -S "$GEN_SOCKET" ]; do
		alive "$GEN_PID" || { show_log generator; lib_die "the generator exited"; }
		n=$((n + 1))
		[ "$n" -lt 100 ] || lib_die "the generator's socket did not appear"
		sleep 0.1
	done
}

# tagged_conf SRC OUT LISTEN SOCKET: copy SRC to OUT with the line tagged
# @@listen@@ made to listen on LISTEN (host:port) and the one tagged
# @@socket@@ pointing at SOCKET; nginx and lighttpd syntax.  Dies when a
# tagged line is missing.
tagged_conf() {
	local src="$1" out="$2" listen="$3" sock="$4"
	sed -e "s|^\([[:space:]]*\)listen [^;]*;\([[:space:]]*# @@listen@@\)|\1listen $listen;\2|" \
		-e "s|^\([[:space:]]*\)fastcgi_pass [^;]*;\([[:space:]]*# @@socket@@\)|\1fastcgi_pass unix:$sock;\2|" \
		-e "s|^\([[:space:]]*\)\$SERVER\[\"socket\"\] == \"[^\"]*\"\(.*# @@listen@@\)|\1\$SERVER[\"socket\"] == \"$listen\"\2|" \
		-e "s|^\([[:space:]]*\)\"socket\" => \"[^\"]*\"\(.*# @@socket@@\)|\1\"socket\" => \"$sock\"\2|" \
		"$src" > "$out"
	if ! grep -q "$listen" "$out" || ! grep -q "$sock" "$out"; then
		lib_die "$src: the @@listen@@ or @@socket@@ line was not found"
	fi
}

# start_generator_nginx: nginx from contrib/nginx/metrics-generator.conf in
# front of GEN_SOCKET, on a free port; readiness is probed on /api/series
# (never /metrics, which a --tick-per-scrape generator counts).  Needs
# SRCDIR.  Sets GEN_NGINX_PORT, GEN_URL (no trailing slash), GEN_NGINX_PID.
start_generator_nginx() {
	local dir="$WORK/gen-nginx" try
	mkdir -p "$dir"
	for try in 1 2 3; do
		GEN_NGINX_PORT=$(pick_port) || lib_die "no port for nginx"
		tagged_conf "$SRCDIR/contrib/nginx/metrics-generator.conf" "$dir/generator.conf" \
			"127.0.0.1:$GEN_NGINX_PORT" "$GEN_SOCKET"
		nginx_conf "$dir" "$dir/generator.conf"
		run_nginx gen-nginx "$dir"
		if wait_url "http://127.0.0.1:$GEN_NGINX_PORT/api/series" "$BG_PID"; then
			GEN_NGINX_PID=$BG_PID
			GEN_URL="http://127.0.0.1:$GEN_NGINX_PORT"
			return 0
		fi
		show_log gen-nginx
		stop_pid "$BG_PID"
	done
	lib_die "nginx (the generator's front) did not start"
}

# start_generator_lighttpd: lighttpd in the foreground with a minimal main
# configuration that includes contrib/lighttpd/metrics-generator.conf,
# pointed at GEN_SOCKET, on a free port.  Needs SRCDIR.  Sets
# GEN_LIGHTTPD_PORT, GEN_LIGHTTPD_URL (no trailing slash), GEN_LIGHTTPD_PID.
start_generator_lighttpd() {
	local dir="$WORK/gen-lighttpd" try
	mkdir -p "$dir/www" "$dir/tmp"
	for try in 1 2 3; do
		GEN_LIGHTTPD_PORT=$(pick_port) || lib_die "no port for lighttpd"
		tagged_conf "$SRCDIR/contrib/lighttpd/metrics-generator.conf" "$dir/generator.conf" \
			"127.0.0.1:$GEN_LIGHTTPD_PORT" "$GEN_SOCKET"
		cat > "$dir/lighttpd.conf" <<EOF
server.document-root = "$dir/www"
server.bind = "127.0.0.1"
server.port = $GEN_LIGHTTPD_PORT
server.errorlog = "$dir/error.log"
server.upload-dirs = ( "$dir/tmp" )
include "$dir/generator.conf"
EOF
		if ! lighttpd -tt -f "$dir/lighttpd.conf" > "$WORK/gen-lighttpd.log" 2>&1; then
			show_log gen-lighttpd
			lib_die "lighttpd rejects $dir/lighttpd.conf"
		fi
		start_bg gen-lighttpd lighttpd -D -f "$dir/lighttpd.conf"
		if wait_url "http://127.0.0.1:$GEN_LIGHTTPD_PORT/api/series" "$BG_PID"; then
			GEN_LIGHTTPD_PID=$BG_PID
			GEN_LIGHTTPD_URL="http://127.0.0.1:$GEN_LIGHTTPD_PORT"
			return 0
		fi
		show_log gen-lighttpd
		[ -f "$dir/error.log" ] && tail -n 20 "$dir/error.log" >&2
		stop_pid "$BG_PID"
	done
	lib_die "lighttpd (the generator's front) did not start"
}
