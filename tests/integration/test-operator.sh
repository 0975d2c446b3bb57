#!/bin/sh
# test-operator.sh - what the operator sees of prometheus-mirror: starting
# (refusing to start without an API key, --check, --help), stopping (SIGUSR1,
# multiwatch's graceful signal, and SIGTERM finish the request in hand and
# exit 0), the MIRROR_* caps, and the log lines (the web server's request id,
# never a secret). Real nginx, spawn-fcgi and multiwatch, a real Prometheus on
# the known history (written by GENERATOR_BIN, default: metrics-generator next
# to MIRROR_BIN); everything on loopback, stopped by PID.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
SRCDIR=$(cd "$here/../.." && pwd)
PATH="$PATH:/usr/sbin:/sbin"

if [ -z "${MIRROR_BIN:-}" ] || [ ! -x "$MIRROR_BIN" ]; then
	echo "SKIP: MIRROR_BIN is not set to an executable prometheus-mirror" >&2
	exit 77
fi
: "${GENERATOR_BIN:=$(dirname "$MIRROR_BIN")/metrics-generator}"

. "$here/lib.sh"
lib_work mirror-op

passed=0
failed=0
# check NAME CONDITION...: one verdict line per check.
check() {
	name=$1
	shift
	if "$@"; then
		passed=$((passed + 1))
		echo "ok $name"
	else
		failed=$((failed + 1))
		echo "FAIL $name"
	fi
}
contains() { grep -q -F -e "$2" "$1"; }
lacks() { ! grep -q -F -e "$2" "$1"; }

# --- starting -------------------------------------------------------------
clean_env="env -i PATH=$PATH"
set +e
$clean_env "$MIRROR_BIN" < /dev/null > "$WORK/nokey.out" 2>&1
st=$?
set -e
check "refuses to start without an API key (exit 2)" test "$st" -eq 2
check "says which setting is missing" contains "$WORK/nokey.out" "MIRROR_API_KEY"

printf 'file-key\n' > "$WORK/key"
check "--check accepts MIRROR_API_KEY_FILE" \
	$clean_env MIRROR_API_KEY_FILE="$WORK/key" "$MIRROR_BIN" --check
set +e
$clean_env MIRROR_API_KEY=k MIRROR_MAX_POINTS=-3 "$MIRROR_BIN" --check > "$WORK/badpoints.out" 2>&1
st=$?
set -e
check "--check refuses a bad MIRROR_MAX_POINTS (exit 2)" test "$st" -eq 2
check "and names it" contains "$WORK/badpoints.out" "MIRROR_MAX_POINTS"
"$MIRROR_BIN" --help > "$WORK/help.out"
for v in MIRROR_API_KEY MIRROR_API_KEY_FILE MIRROR_ALLOWED_UPSTREAMS MIRROR_MAX_BODY_BYTES \
	MIRROR_MAX_TIMEOUT_SECONDS MIRROR_MAX_POINTS MIRROR_LOG_LEVEL; do
	check "--help documents $v" contains "$WORK/help.out" "$v"
done
check "--version prints the version" sh -c "'$MIRROR_BIN' --version | grep -q '^prometheus-mirror [0-9]'"
set +e
$clean_env MIRROR_API_KEY=k "$MIRROR_BIN" < /dev/null > "$WORK/nosock.out" 2>&1
st=$?
set -e
check "without a FastCGI socket it exits 1" test "$st" -eq 1
check "and says how to start it" contains "$WORK/nosock.out" "spawn-fcgi"

# --- the upstreams ----------------------------------------------------------
make_history
make_blocks "$HISTORY_OM" "$WORK/prometheus-data"
start_prometheus "$WORK/prometheus-data"
start_fronts
start_hang

post() { # post PATH BODY OUTFILE: the answer's headers and body
	curl -s -i -X POST "$FRONT_URL$1" -H 'Content-Type: application/json' \
		--data-binary "$2" -o "$3" || true
}

# --- stopping: one worker under spawn-fcgi, no multiwatch, so its exit
# status is ours to read ---------------------------------------------------
POOL_SOCKET="$WORK/fcgi.sock"
start_worker() {
	rm -f "$POOL_SOCKET"
	start_bg worker env MIRROR_API_KEY=test-key \
		spawn-fcgi -n -s "$POOL_SOCKET" -M 0600 -- "$MIRROR_BIN"
	WORKER_PID=$BG_PID
	n=0
	while [ ! -S "$POOL_SOCKET" ] && [ "$n" -lt 100 ]; do sleep 0.1; n=$((n + 1)); done
}
start_worker
start_nginx
hang_body='{"connectionDetails": {"url": "'"$HANG_URL"'", "request_timeout_seconds": 2}}'
for sig in USR1 TERM; do
	[ "$sig" = USR1 ] || start_worker
	post /api/connection "$hang_body" "$WORK/inflight.$sig" &
	curl_pid=$!
	sleep 0.7
	kill -"$sig" "$WORKER_PID"
	wait "$curl_pid" || true
	set +e
	wait "$WORKER_PID"
	st=$?
	set -e
	check "SIG$sig: the request in hand is finished (its 504 answer arrives)" \
		contains "$WORK/inflight.$sig" '"status": "FAILURE"'
	check "SIG$sig: then the worker exits 0" test "$st" -eq 0
done
start_worker
curl -s "$FRONT_URL/healthcheck" > /dev/null
t0=$(date +%s)
kill -TERM "$WORKER_PID"
set +e
wait "$WORKER_PID"
st=$?
set -e
check "an idle worker stops at once on SIGTERM, exit 0" test "$st" -eq 0 -a $(( $(date +%s) - t0 )) -le 2
stop_all
start_prometheus "$WORK/prometheus-data"
start_fronts
start_hang

# --- caps and logs: a pool with small caps --------------------------------
export MIRROR_MAX_POINTS=5 MIRROR_MAX_TIMEOUT_SECONDS=1
POOL_FORKS=2
start_pool
start_nginx
unset MIRROR_MAX_POINTS MIRROR_MAX_TIMEOUT_SECONDS
gauge='{"connectionDetails": {"url": "'"$PROM_URL"'"}, "query": {"conditions": [{"key": "__gauge__", "value": {"value": "mirror_test_gauge"}}], "startTime": 1767225600000, "endTime": 1767226200000'
post /api/metric "$gauge}}" "$WORK/cap.raw"
check "MIRROR_MAX_POINTS caps a raw answer (5 points, isPartial)" python3 -c '
import json, sys
t = json.loads(open(sys.argv[1], newline="").read().split("\r\n\r\n", 1)[1])["telemetry"]
sys.exit(not (len(t["points"]) == 5 and t["isPartial"] is True and t["points"][0] == [0.0, 1767225600000]))' "$WORK/cap.raw"
post /api/metric "$gauge"', "aggregation": {"method": "MAX", "bucketSizeMillis": 60000}}}' "$WORK/cap.agg"
check "MIRROR_MAX_POINTS caps an aggregated answer (5 buckets, isPartial)" python3 -c '
import json, sys
t = json.loads(open(sys.argv[1], newline="").read().split("\r\n\r\n", 1)[1])["telemetry"]
sys.exit(not (len(t["points"]) == 5 and t["isPartial"] is True and t["points"][0] == [1.5, 1767225600000, 1767225660000]))' "$WORK/cap.agg"
t0=$(date +%s)
post /api/connection '{"connectionDetails": {"url": "'"$HANG_URL"'", "request_timeout_seconds": 30}}' "$WORK/cap.timeout"
took=$(( $(date +%s) - t0 ))
check "MIRROR_MAX_TIMEOUT_SECONDS caps a 30 s request timeout (504 in ${took} s)" \
	sh -c "head -1 '$WORK/cap.timeout' | grep -q ' 504 ' && [ $took -le 4 ]"

secret_pw='pw-5ecret-Zq9'
secret_tok='tok-5ecret-Xy7'
post /api/connection '{"connectionDetails": {"url": "'"$BASIC_URL"'", "basic_auth": {"username": "nobody", "password": "'"$secret_pw"'"}}}' "$WORK/secret.1"
post /api/metric '{"connectionDetails": {"url": "'"$BEARER_URL"'", "bearer_token": "'"$secret_tok"'", "headers": {"X-Scope-OrgID": "'"$secret_tok"'"}}, "query": {"conditions": [{"key": "__gauge__", "value": {"value": "nope"}}], "startTime": 1, "endTime": 2}}' "$WORK/secret.2"
curl -s -D "$WORK/rid.headers" -o /dev/null "$FRONT_URL/healthcheck"
rid=$(sed -n 's/^[Xx]-[Rr]equest-[Ii][Dd]: *\([0-9a-f]*\).*/\1/p' "$WORK/rid.headers")
sleep 0.3
check "one log line per request carries nginx's request id" \
	sh -c "[ -n '$rid' ] && grep -q 'request id=$rid endpoint=healthcheck method=GET status=200' '$WORK/pool.log'"
check "log lines give duration and upstream time" contains "$WORK/pool.log" "upstream_ms="
for f in "$WORK/pool.log" "$WORK/secret.1" "$WORK/secret.2"; do
	check "no password in $(basename "$f")" lacks "$f" "$secret_pw"
	check "no token in $(basename "$f")" lacks "$f" "$secret_tok"
done

# --- lighttpd in front, with contrib/lighttpd/prometheus-mirror.conf ---------
if command -v lighttpd > /dev/null 2>&1; then
	LT_PORT=$(pick_port)
	mkdir -p "$WORK/lighttpd"
	sed -e "s|^server.bind = .*# @@listen@@|server.bind = \"127.0.0.1\"|" \
		-e "s|^server.port = .*# @@port@@|server.port = $LT_PORT|" \
		-e "s|\"socket\" => .*# @@socket@@|\"socket\" => \"$POOL_SOCKET\",|" \
		-e "s|/run/prometheus-mirror/lighttpd.pid|$WORK/lighttpd/lighttpd.pid|" \
		-e "s|/var/log/prometheus-mirror/lighttpd-error.log|$WORK/lighttpd/error.log|" \
		-e "s|\"/var/empty\"|\"$WORK/lighttpd\"|" \
		"$SRCDIR/contrib/lighttpd/prometheus-mirror.conf" > "$WORK/lighttpd/lighttpd.conf"
	check "lighttpd accepts contrib/lighttpd/prometheus-mirror.conf" \
		lighttpd -tt -f "$WORK/lighttpd/lighttpd.conf"
	start_bg lighttpd lighttpd -D -f "$WORK/lighttpd/lighttpd.conf"
	wait_url "http://127.0.0.1:$LT_PORT/healthcheck" "$BG_PID" || show_log lighttpd
	python3 "$here/run-cases.py" --base-url "http://127.0.0.1:$LT_PORT" --api-key test-key \
		--var "PROM_URL=$PROM_URL" --var "PROM_HOST=127.0.0.1" --var "PROM_PORT=$PROM_PORT" \
		--var "BASIC_URL=$BASIC_URL" --var "BEARER_URL=$BEARER_URL" \
		root healthcheck connection-ok connection-ok-legacy connection-basic-ok \
		connection-bearer-ok connection-bad-json fieldnames-all metric-pair-one-instance \
		metric-counter-raw-missing-sample metric-counter-agg-event_count \
		metric-error-too-many-series metric-error-bad-json metric-error-url-not-allowed \
		> "$WORK/lighttpd-cases.log" 2>&1 || true
	sed 's/^/    /' "$WORK/lighttpd-cases.log"
	check "the same cases pass through lighttpd" grep -q '^14 passed, 0 failed$' "$WORK/lighttpd-cases.log"
fi

echo "operator: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
