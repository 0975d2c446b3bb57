#!/bin/sh
# test-valgrind.sh - every integration case, once, through nginx and a pool
# of one worker running under valgrind (memcheck, full leak check), against
# the real Prometheus, then every Prometheus case again signed with SigV4
# (AssumeRole through tests/integration/aws-fake.py). The worker is then
# stopped the way multiwatch stops it
# (its graceful signal), and the run fails on any memcheck error or any
# definite or indirect leak. Needs a build without sanitizers (MIRROR_BIN);
# the history is written by GENERATOR_BIN (default: metrics-generator next
# to MIRROR_BIN).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
SRCDIR=$(cd "$here/../.." && pwd)
PATH="$PATH:/usr/sbin:/sbin"

if [ -z "${MIRROR_BIN:-}" ] || [ ! -x "$MIRROR_BIN" ]; then
	echo "SKIP: MIRROR_BIN is not set to an executable prometheus-mirror" >&2
	exit 77
fi
command -v valgrind > /dev/null 2>&1 || { echo "SKIP: valgrind is not installed" >&2; exit 77; }
: "${GENERATOR_BIN:=$(dirname "$MIRROR_BIN")/metrics-generator}"

. "$here/lib.sh"
lib_work mirror-vg

make_history
make_blocks "$HISTORY_OM" "$WORK/prometheus-data"
start_prometheus "$WORK/prometheus-data"
start_fronts
start_hang
closed_port
# The AWS path too: a fake STS and SigV4 verifier (tests/integration/aws-fake.py)
# in front of the same Prometheus, so that signing, AssumeRole and the
# credential cache run under valgrind as well.
cat > "$WORK/aws-fake.json" <<'EOF'
{"users": [{"key_id": "AKIAVALGRIND000001", "secret": "valgrind-user-secret", "name": "vg"}],
 "roles": [{"arn": "arn:aws:iam::123456789012:role/amp-read", "external_id": "vg-ext"}]}
EOF
start_aws_fake "$WORK/aws-fake.json"
POOL_ENV="AWS_ENDPOINT_URL_STS=http://127.0.0.1:$(aws_fake_port sts)"
POOL_FORKS=1
POOL_WRAPPER="$(command -v valgrind) --quiet --leak-check=full --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect --log-file=$WORK/valgrind.%p.log"
WAIT_SECONDS=60
start_pool
start_nginx
wait_url "$FRONT_URL/healthcheck" "$POOL_PID" || { show_log pool; lib_die "no answer"; }

# The cases' own verdicts are checked by test-mirror.sh; here they are the
# request loop, and what counts is what valgrind says about it.
python3 "$here/run-cases.py" --base-url "$FRONT_URL" --api-key test-key \
	--var "PROM_URL=$PROM_URL" --var "PROM_HOST=127.0.0.1" --var "PROM_PORT=$PROM_PORT" \
	--var "BASIC_URL=$BASIC_URL" --var "BEARER_URL=$BEARER_URL" \
	--var "TENANT_URL=$TENANT_URL" --var "REDIRECT_URL=$REDIRECT_URL" \
	--var "GARBAGE_URL=$GARBAGE_URL" --var "ERROR500_URL=$ERROR500_URL" \
	--var "HANG_URL=$HANG_URL" --var "HANG_PORT=$HANG_PORT" \
	--var "CLOSED_URL=$CLOSED_URL" --var "CLOSED_PORT=$CLOSED_PORT" \
	--var "TLS_URL=$TLS_URL" --var "TLS_CA=$TLS_CA" --var "OTHER_CA=$OTHER_CA" \
	> "$WORK/cases.log" 2>&1 || true
python3 "$here/run-cases.py" --base-url "$FRONT_URL" --api-key test-key \
	--var "PROM_URL=$PROM_URL" \
	--aws-url "http://127.0.0.1:$(aws_fake_port verifier)/workspaces/ws-valgrind/" \
	--aws-block '{"aws_access_key_id": "AKIAVALGRIND000001", "aws_secret_access_key": "valgrind-user-secret", "role_arn": "arn:aws:iam::123456789012:role/amp-read", "external_id": "vg-ext"}' \
	>> "$WORK/cases.log" 2>&1 || true
requests=$(grep -c -E '^(ok|FAIL) ' "$WORK/cases.log" || true)
signed=$(grep -c -E '^ok .*@aws$' "$WORK/cases.log" || true)
stop_all

reports=0
errors=0
for log in "$WORK"/valgrind.*.log; do
	[ -e "$log" ] || continue
	reports=$((reports + 1))
	if [ -s "$log" ]; then
		# --quiet: a log with any content is a report
		errors=$((errors + 1))
		sed 's/^/    /' "$log" >&2
	fi
done
echo "valgrind: $requests requests through one worker ($signed signed with SigV4 and answered), $reports worker log(s), $errors with reports"
if [ "$reports" -ge 1 ] && [ "$errors" -eq 0 ] && [ "$requests" -gt 100 ] &&
	[ "$signed" -gt 100 ]; then
	echo "valgrind: 1 passed, 0 failed"
else
	echo "valgrind: 0 passed, 1 failed"
	exit 1
fi
