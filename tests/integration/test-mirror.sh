#!/bin/sh
# test-mirror.sh - end-to-end test of prometheus-mirror as it runs in
# production: nginx (contrib/nginx/prometheus-mirror.conf) in front of a
# spawn-fcgi + multiwatch pool, against a real Prometheus and a real
# VictoriaMetrics holding the known history (written at run time by
# metrics-generator from tests/data/history*.json and checked against the
# model in tests/data/make-history.py), plus upstreams that demand
# credentials, redirect, answer garbage or never answer.  Runs every case of
# tests/data/cases (tests/integration/run-cases.py) and stops every process
# it started, by PID, whatever happens.  Once the pool has stopped (its
# workers have exited, so LeakSanitizer has reported), the run fails when
# the pool's log holds a sanitizer report or shows a worker that died.
#
# Environment:
#   MIRROR_BIN           the responder to test (required; exit 77 = SKIP
#                        when unset or not executable)
#   GENERATOR_BIN        the metrics-generator that writes the history
#                        (default: metrics-generator next to MIRROR_BIN;
#                        the run fails when it is not there)
#   MIRROR_CASES         run only these cases (names, space separated)
#   MIRROR_SKIP_VICTORIA set to 1 to skip the VictoriaMetrics run
#   MIRROR_KEEP_WORK     set to 1 to keep the work directory after a failure
#   MIRROR_*             everything else passes through to the workers
set -eu

here=$(cd "$(dirname "$0")" && pwd)
SRCDIR=$(cd "$here/../.." && pwd)
DATA="$SRCDIR/tests/data"
PATH="$PATH:/usr/sbin:/sbin"

if [ -z "${MIRROR_BIN:-}" ] || [ ! -f "$MIRROR_BIN" ] || [ ! -x "$MIRROR_BIN" ]; then
	echo "SKIP: MIRROR_BIN is not set to an executable prometheus-mirror" >&2
	exit 77
fi
case "$MIRROR_BIN" in
/*) ;;
*) MIRROR_BIN="$(pwd)/$MIRROR_BIN" ;;
esac
: "${GENERATOR_BIN:=$(dirname "$MIRROR_BIN")/metrics-generator}"
for tool in prometheus promtool victoria-metrics spawn-fcgi multiwatch nginx \
	curl python3 openssl; do
	if ! command -v "$tool" > /dev/null 2>&1; then
		echo "SKIP: $tool is not installed" >&2
		exit 77
	fi
done

WORK=$(mktemp -d "${TMPDIR:-/tmp}/mirror-it.XXXXXX")
# shellcheck source=tests/integration/lib.sh
. "$here/lib.sh"

# shellcheck disable=SC2317  # called by the EXIT trap
cleanup() {
	rc=$?
	trap - EXIT INT TERM
	stop_all
	if ! check_pool_log; then
		rc=1
	fi
	if [ "$rc" -ne 0 ] && [ "${MIRROR_KEEP_WORK:-}" = 1 ]; then
		lib_log "work directory kept: $WORK"
	else
		rm -rf "$WORK"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

started=$(date +%s)
lib_log "work directory $WORK"

make_history
lib_log "history by $GENERATOR_BIN: $(cat "$WORK/check-om.log")"
make_blocks "$HISTORY_OM" "$WORK/prometheus-data"
start_prometheus "$WORK/prometheus-data"
lib_log "Prometheus at $PROM_URL (pid $PROM_PID)"
if [ "${MIRROR_SKIP_VICTORIA:-}" != 1 ]; then
	start_victoria
	load_victoria "$HISTORY_OM"
	lib_log "VictoriaMetrics at $VM_URL (pid $VM_PID)"
fi
start_fronts
start_hang
closed_port
lib_log "fronts: basic $BASIC_URL bearer $BEARER_URL tenant $TENANT_URL odd ${GARBAGE_URL%garbage/}; silent $HANG_URL; closed $CLOSED_URL"
start_pool
start_nginx
lib_log "mirror pool on $POOL_SOCKET (pid $POOL_PID), nginx front at $FRONT_URL (pid $FRONT_PID)"

if ! wait_url "$FRONT_URL/healthcheck" "$POOL_PID"; then
	show_log pool
	show_log front
	lib_die "the mirror does not answer GET /healthcheck through nginx"
fi

# Preflight: the backends hold exactly the history the cases assume, so a
# failing case points at the mirror, not at the harness.
if ! python3 "$DATA/make-history.py" --verify "$PROM_URL" > "$WORK/verify.log" 2>&1; then
	cat "$WORK/verify.log" >&2
	lib_die "Prometheus does not hold the known history as expected"
fi
set -- --base-url "$FRONT_URL" --api-key test-key \
	--var "PROM_URL=$PROM_URL" --var "PROM_HOST=127.0.0.1" --var "PROM_PORT=$PROM_PORT" \
	--var "BASIC_URL=$BASIC_URL" --var "BEARER_URL=$BEARER_URL" \
	--var "TENANT_URL=$TENANT_URL" --var "REDIRECT_URL=$REDIRECT_URL" \
	--var "GARBAGE_URL=$GARBAGE_URL" --var "ERROR500_URL=$ERROR500_URL" \
	--var "HANG_URL=$HANG_URL" --var "HANG_PORT=$HANG_PORT" \
	--var "CLOSED_URL=$CLOSED_URL" --var "CLOSED_PORT=$CLOSED_PORT" \
	--var "TLS_URL=$TLS_URL" --var "TLS_CA=$TLS_CA" --var "OTHER_CA=$OTHER_CA"
if [ "${MIRROR_SKIP_VICTORIA:-}" != 1 ]; then
	if ! python3 "$DATA/make-history.py" --verify "$VM_URL" > "$WORK/verify-victoria.log" 2>&1; then
		lib_log "VictoriaMetrics stores the history differently (known, see tests/data/history.md):"
		sed 's/^/    /' "$WORK/verify-victoria.log" >&2
	fi
	set -- "$@" --victoria-url "$VM_URL"
fi

# shellcheck disable=SC2086  # MIRROR_CASES is a list of names
if python3 "$here/run-cases.py" "$@" ${MIRROR_CASES:-}; then
	rc=0
else
	rc=1
	lib_log "the mirror's log (pool stderr), last lines:"
	tail -n 40 "$WORK/pool.log" >&2 || true
fi
lib_log "finished in $(( $(date +%s) - started )) s"
exit "$rc"
