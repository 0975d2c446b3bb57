#!/bin/sh
# test-aws.sh - Amazon Managed Prometheus end to end, as far as it can run
# without AWS: tests/integration/aws-fake.py plays AMP's front door (a
# verifier that lets a request through to the real test Prometheus only if
# botocore computes the same SigV4 signature, and refuses expired,
# wrong-region and unknown credentials), STS (AssumeRole checked the same
# way, with its ExternalId; AssumeRoleWithWebIdentity), the ECS credentials
# endpoint and EC2 instance metadata (IMDSv2), all on loopback, handing out
# credentials that expire after a few seconds.  In front of it, five mirror
# pools behind nginx, one per credential source of the workers' own
# environment (none, web identity, ECS, IMDS, environment keys).
#
# Checks, each counted in the closing "N passed, N failed":
#  - every Prometheus case of tests/data/cases, answered through the
#    verifier with AssumeRole credentials, exactly as without AWS;
#  - tests/data/cases-aws/<pool>/: every credential source, and the typed
#    errors of a wrong secret, an expired token, a wrong ExternalId, a
#    wrong region, no credentials at all;
#  - a run longer than the credentials' lifetime: every request answered,
#    credentials renewed before they expired (no request refused as
#    expired), and once more after the fake revoked them early;
#  - metrics-generator remote-write signed the same way (environment keys
#    and AssumeRole), the samples read back exactly; a wrong secret fails;
#  - no secret, token or web identity token in any log or answer.
# Stops everything it started, by PID; the pools' logs must hold no
# sanitizer report and no dead worker.
#
# Environment: MIRROR_BIN (required; exit 77 = SKIP when unset),
# GENERATOR_BIN (default: next to MIRROR_BIN), MIRROR_KEEP_WORK=1 keeps the
# work directory after a failure.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
SRCDIR=$(cd "$here/../.." && pwd)
DATA="$SRCDIR/tests/data"
PATH="$PATH:/usr/sbin:/sbin"
# Debian's python3 with python3-botocore: not whatever python3 PATH finds
PY=/usr/bin/python3

if [ -z "${MIRROR_BIN:-}" ] || [ ! -x "$MIRROR_BIN" ]; then
	echo "SKIP: MIRROR_BIN is not set to an executable prometheus-mirror" >&2
	exit 77
fi
case "$MIRROR_BIN" in
/*) ;;
*) MIRROR_BIN="$(pwd)/$MIRROR_BIN" ;;
esac
: "${GENERATOR_BIN:=$(dirname "$MIRROR_BIN")/metrics-generator}"
for tool in prometheus promtool spawn-fcgi multiwatch nginx curl python3; do
	if ! command -v "$tool" > /dev/null 2>&1; then
		echo "SKIP: $tool is not installed" >&2
		exit 77
	fi
done
if ! "$PY" -c 'import botocore.auth' 2> /dev/null; then
	echo "SKIP: $PY has no botocore (Debian package python3-botocore)" >&2
	exit 77
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/mirror-aws.XXXXXX")
# shellcheck source=tests/integration/lib.sh
. "$here/lib.sh"

POOLS="pool pool-wi pool-ecs pool-imds pool-env"
PASSED=0
FAILED=0

# shellcheck disable=SC2317  # called by the EXIT trap
cleanup() {
	rc=$?
	trap - EXIT INT TERM
	stop_all
	for p in $POOLS; do
		if ! check_pool_log "$WORK/$p.log"; then
			rc=1
		fi
	done
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

# ok / fail NAME [WHY]: one result line, counted.
ok() {
	PASSED=$((PASSED + 1))
	echo "ok $1"
}
fail() {
	FAILED=$((FAILED + 1))
	echo "FAIL $1${2:+: $2}"
}

# tally LOG: adds the "N passed, N failed" of a run-cases.py output.
tally() {
	local line p f
	line=$(tail -n 1 "$1")
	p=$(echo "$line" | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\1/p')
	f=$(echo "$line" | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\2/p')
	if [ -z "$p" ]; then
		fail "$1" "no summary line"
		return
	fi
	PASSED=$((PASSED + p))
	FAILED=$((FAILED + f))
}

# stat KEY: a number from the fake's /_fake/stats ("a.b" walks objects;
# a missing key is 0).
stat() {
	curl -s "http://127.0.0.1:$STS_PORT/_fake/stats" | "$PY" -c '
import json, sys
v = json.load(sys.stdin)
for k in sys.argv[1].split("."):
    v = v.get(k, 0) if isinstance(v, dict) else 0
print(v if isinstance(v, int) else len(v))' "$1"
}

started=$(date +%s)
lib_log "work directory $WORK"

# ---- the data, Prometheus (with the remote-write receiver) ----

make_history
make_blocks "$HISTORY_OM" "$WORK/prometheus-data"
start_prometheus "$WORK/prometheus-data" --web.enable-remote-write-receiver
lib_log "Prometheus at $PROM_URL (pid $PROM_PID)"

# ---- the fake AWS ----

USER_KEY=AKIAMIRRORTEST00001
USER_SECRET=mirror-user-secret-Zx81+/q
GEN_KEY=AKIAGENERATOR000001
GEN_SECRET=generator-secret-Yq27+/w
SESSION_KEY=ASIAVALIDSESSION001
SESSION_SECRET=valid-session-secret-Pl55
SESSION_TOKEN=valid-session-token-IQoJb3JpZ2luX2VjEJr
EXPIRED_KEY=ASIAEXPIREDSESSION1
EXPIRED_SECRET=expired-session-secret-Kd09
EXPIRED_TOKEN=expired-session-token-FwoGZXIvYXdzEJ
ROLE_ARN=arn:aws:iam::123456789012:role/amp-read
EXTERNAL_ID=stackstate-ext-4711
WI_ROLE_ARN=arn:aws:iam::123456789012:role/amp-irsa
WI_TOKEN=eyJhbGciOiJSUzI1NiJ9.web-identity-token-Qm93
ECS_AUTH=ecs-authorization-token-Vb62
now=$(date +%s)
cat > "$WORK/aws-fake.json" <<EOF
{"account": "123456789012",
 "users": [{"key_id": "$USER_KEY", "secret": "$USER_SECRET", "name": "mirror"},
           {"key_id": "$GEN_KEY", "secret": "$GEN_SECRET", "name": "generator"}],
 "sessions": [{"key_id": "$SESSION_KEY", "secret": "$SESSION_SECRET",
               "token": "$SESSION_TOKEN", "expires": $((now + 86400))},
              {"key_id": "$EXPIRED_KEY", "secret": "$EXPIRED_SECRET",
               "token": "$EXPIRED_TOKEN", "expires": $((now - 3600))}],
 "roles": [{"arn": "$ROLE_ARN", "external_id": "$EXTERNAL_ID"},
           {"arn": "$WI_ROLE_ARN", "web_identity_token": "$WI_TOKEN"}],
 "ecs": {"path": "/v2/credentials/ecs-task", "authorization": "$ECS_AUTH"},
 "imds": {"role": "mirror-instance-role"}}
EOF
# Every temporary credential lives EXPIRY seconds: renewal is due after
# two thirds of that (a third is shorter than a minute).
EXPIRY=6
start_aws_fake "$WORK/aws-fake.json" --log "$WORK/aws-fake.jsonl" \
	--expiry "$EXPIRY" --region eu-west-1
FAKE_PID=$AWS_FAKE_PID
VERIFIER_PORT=$(aws_fake_port verifier)
STS_PORT=$(aws_fake_port sts)
ECS_PORT=$(aws_fake_port ecs)
IMDS_PORT=$(aws_fake_port imds)
AMP_URL="http://127.0.0.1:$VERIFIER_PORT/workspaces/ws-mirror-test"
STS_URL="http://127.0.0.1:$STS_PORT"
lib_log "fake AWS (pid $FAKE_PID): verifier $VERIFIER_PORT, STS $STS_PORT, ECS $ECS_PORT, IMDS $IMDS_PORT"
printf '%s\n' "$WI_TOKEN" > "$WORK/web-identity-token"

# ---- the pools, one per credential source of the environment ----

FRONTS=""
# pool NAME ENV...: a pool of 2 workers and its nginx front; remembers the
# front's URL under NAME.
pool() {
	local name="$1"
	shift
	POOL_NAME="$name" POOL_FORKS=2 POOL_ENV="AWS_ENDPOINT_URL_STS=$STS_URL $*" start_pool
	FRONT_NAME="front-$name" start_nginx
	FRONTS="$FRONTS $name=$FRONT_URL"
	lib_log "$name: $POOL_SOCKET (pid $POOL_PID) behind $FRONT_URL"
}
front_of() {
	local kv
	for kv in $FRONTS; do
		case "$kv" in "$1="*) echo "${kv#*=}"; return 0 ;; esac
	done
	return 1
}
pool pool
pool pool-wi "AWS_WEB_IDENTITY_TOKEN_FILE=$WORK/web-identity-token" "AWS_ROLE_ARN=$WI_ROLE_ARN"
pool pool-ecs "AWS_CONTAINER_CREDENTIALS_FULL_URI=http://127.0.0.1:$ECS_PORT/v2/credentials/ecs-task" \
	"AWS_CONTAINER_AUTHORIZATION_TOKEN=$ECS_AUTH"
pool pool-imds AWS_EC2_METADATA_DISABLED=false \
	"AWS_EC2_METADATA_SERVICE_ENDPOINT=http://127.0.0.1:$IMDS_PORT"
pool pool-env "AWS_ACCESS_KEY_ID=$USER_KEY" "AWS_SECRET_ACCESS_KEY=$USER_SECRET"
for p in $POOLS; do
	wait_url "$(front_of "$p")/healthcheck" "$FAKE_PID" || lib_die "$p does not answer"
done

VARS="--var AMP_URL=$AMP_URL --var USER_KEY=$USER_KEY --var USER_SECRET=$USER_SECRET
--var SESSION_KEY=$SESSION_KEY --var SESSION_SECRET=$SESSION_SECRET
--var SESSION_TOKEN=$SESSION_TOKEN --var EXPIRED_KEY=$EXPIRED_KEY
--var EXPIRED_SECRET=$EXPIRED_SECRET --var EXPIRED_TOKEN=$EXPIRED_TOKEN
--var ROLE_ARN=$ROLE_ARN --var EXTERNAL_ID=$EXTERNAL_ID --var WI_TOKEN=$WI_TOKEN
--var ECS_AUTH=$ECS_AUTH"

# ---- every Prometheus case, through the verifier with AssumeRole ----

lib_log "the Prometheus cases through SigV4 (AssumeRole with ExternalId)"
# shellcheck disable=SC2086  # VARS is a word list
"$PY" "$here/run-cases.py" --base-url "$(front_of pool)" $VARS \
	--var "PROM_URL=$PROM_URL" \
	--aws-url "$AMP_URL/" \
	--aws-block '{"aws_access_key_id": "{{USER_KEY}}", "aws_secret_access_key": "{{USER_SECRET}}", "role_arn": "{{ROLE_ARN}}", "external_id": "{{EXTERNAL_ID}}"}' \
	> "$WORK/cases-all.log" 2>&1 || true
grep -v '^ok ' "$WORK/cases-all.log" || true
tally "$WORK/cases-all.log"

# ---- the AWS cases, per pool ----

for p in $POOLS; do
	dir="$DATA/cases-aws/${p#pool-}"
	[ "$p" = pool ] && dir="$DATA/cases-aws/static"
	case "$p" in pool-wi) dir="$DATA/cases-aws/web-identity" ;; esac
	lib_log "cases of $dir through $p"
	# shellcheck disable=SC2086
	"$PY" "$here/run-cases.py" --base-url "$(front_of "$p")" $VARS \
		"$dir" > "$WORK/cases-$p.log" 2>&1 || true
	cat "$WORK/cases-$p.log" | sed '$d'
	tally "$WORK/cases-$p.log"
done

# ---- renewal across a run longer than the credentials live ----

metric_body() {
	sed -e "s|{{AMP_URL}}|$AMP_URL|" -e "s|{{USER_KEY}}|$USER_KEY|" \
		-e "s|{{USER_SECRET}}|$USER_SECRET|" -e "s|{{ROLE_ARN}}|$ROLE_ARN|" \
		-e "s|{{EXTERNAL_ID}}|$EXTERNAL_ID|" \
		"$DATA/cases-aws/static/metric-assume-role.json" |
		"$PY" -c 'import json, sys; print(json.dumps(json.load(sys.stdin)["body"]))'
}
metric_body > "$WORK/metric-body.json"
post_metric() {
	curl -s -o "$WORK/answer.json" -w '%{http_code}' -X POST \
		-H 'X-API-Key: test-key' -H 'Content-Type: application/json' \
		--data-binary @"$WORK/metric-body.json" "$(front_of pool)/api/metric"
}
expired_before=$(stat rejected.expired)
assumed_before=$(stat assume_role_ok)
seconds=$((EXPIRY * 3))
lib_log "renewal: requests for ${seconds}s with credentials that live ${EXPIRY}s"
deadline=$(( $(date +%s) + seconds ))
requests=0
bad=0
while [ "$(date +%s)" -lt "$deadline" ]; do
	code=$(post_metric) || code=000
	requests=$((requests + 1))
	if [ "$code" != 200 ]; then
		bad=$((bad + 1))
		lib_log "renewal: HTTP $code: $(head -c 300 "$WORK/answer.json")"
	fi
	sleep 0.25
done
assumed=$(( $(stat assume_role_ok) - assumed_before ))
expired=$(( $(stat rejected.expired) - expired_before ))
if [ "$bad" -eq 0 ]; then
	ok "renewal-every-answer-200 ($requests requests over ${seconds}s)"
else
	fail renewal-every-answer-200 "$bad of $requests requests failed"
fi
# 2 workers, each renewing every 2/3 of 6 s over 18 s: at least 4 in all
if [ "$assumed" -ge 4 ]; then
	ok "renewal-assume-role-renewed ($assumed AssumeRole calls)"
else
	fail renewal-assume-role-renewed "only $assumed AssumeRole calls in ${seconds}s"
fi
if [ "$expired" -eq 0 ]; then
	ok renewal-before-expiry
else
	fail renewal-before-expiry "$expired requests were refused as expired"
fi

# ---- renewed once more when AMP says the token expired ----

curl -s -X POST "http://127.0.0.1:$STS_PORT/_fake/expire-issued" > /dev/null
expired_before=$(stat rejected.expired)
code=$(post_metric) || code=000
if [ "$code" = 200 ] && cmp -s "$WORK/answer.json" /dev/null; then
	code=empty
fi
expired=$(( $(stat rejected.expired) - expired_before ))
if [ "$code" = 200 ] && [ "$expired" -eq 1 ]; then
	ok renewal-after-expired-token-answer
else
	fail renewal-after-expired-token-answer "HTTP $code, $expired requests refused as expired (want 200 after exactly 1)"
fi

# ---- metrics-generator remote-write, signed ----

gen_now=$(( $(date +%s) / 10 * 10 ))
cat > "$WORK/gen.json" <<EOF
{"interval": "10s", "start": $((gen_now - 60)),
 "series": [{"name": "aws_remote_write_test", "type": "gauge",
             "labels": {"via": "sigv4"}, "program": {"values": [1, 2, 3, 4, 5, 6, 7]}}]}
EOF
sed 's/"via": "sigv4"/"via": "sigv4-role"/' "$WORK/gen.json" > "$WORK/gen-role.json"
# gen NAME SECRET [ARG...]: remote-write the window of $WORK/gen-NAME.json
# (else gen.json) through the verifier, signed with the generator's
# environment keys (GEN_KEY and SECRET).
gen() {
	local name="$1" secret="$2" cfg="$WORK/gen.json"
	shift 2
	[ -f "$WORK/gen-$name.json" ] && cfg="$WORK/gen-$name.json"
	env -u AWS_SESSION_TOKEN -u AWS_WEB_IDENTITY_TOKEN_FILE -u AWS_ROLE_ARN \
		-u AWS_CONTAINER_CREDENTIALS_FULL_URI -u AWS_CONTAINER_CREDENTIALS_RELATIVE_URI \
		AWS_EC2_METADATA_DISABLED=true AWS_ENDPOINT_URL_STS="$STS_URL" \
		AWS_ACCESS_KEY_ID="$GEN_KEY" AWS_SECRET_ACCESS_KEY="$secret" \
		"$GENERATOR_BIN" remote-write "$cfg" \
		--url "$AMP_URL/api/v1/remote_write" --from $((gen_now - 60)) \
		--to "$gen_now" --sigv4 "$@" > "$WORK/gen-$name.log" 2>&1
}
if gen keys "$GEN_SECRET"; then
	ok generator-remote-write-env-keys
else
	fail generator-remote-write-env-keys "$(tail -n 3 "$WORK/gen-keys.log")"
fi
# written_values VIA: what Prometheus holds of the series written above
written_values() {
	curl -s -G --data-urlencode "query=aws_remote_write_test{via=\"$1\"}" \
		--data-urlencode "start=$((gen_now - 60))" --data-urlencode "end=$gen_now" \
		--data-urlencode step=10 "${PROM_URL}api/v1/query_range" |
		"$PY" -c 'import json, sys; r = json.load(sys.stdin)["data"]["result"]; print(" ".join(v for _, v in r[0]["values"]) if r else "none")'
}
got=$(written_values sigv4)
if [ "$got" = "1 2 3 4 5 6 7" ]; then
	ok generator-remote-write-values
else
	fail generator-remote-write-values "Prometheus has: $got"
fi
if gen role "$GEN_SECRET" --sigv4-role-arn "$ROLE_ARN" --sigv4-external-id "$EXTERNAL_ID"; then
	ok generator-remote-write-assume-role
else
	fail generator-remote-write-assume-role "$(tail -n 3 "$WORK/gen-role.log")"
fi
got=$(written_values sigv4-role)
if [ "$got" = "1 2 3 4 5 6 7" ]; then
	ok generator-remote-write-assume-role-values
else
	fail generator-remote-write-assume-role-values "Prometheus has: $got"
fi
if gen wrong wrong-generator-secret-3391; then
	fail generator-remote-write-wrong-secret "exit 0"
elif grep -q 403 "$WORK/gen-wrong.log" && ! grep -q wrong-generator-secret-3391 "$WORK/gen-wrong.log"; then
	ok generator-remote-write-wrong-secret
else
	fail generator-remote-write-wrong-secret "$(tail -n 3 "$WORK/gen-wrong.log")"
fi

# ---- no secret anywhere ----

leaks=0
for secret in "$USER_SECRET" "$GEN_SECRET" "$SESSION_SECRET" "$SESSION_TOKEN" \
	"$EXPIRED_SECRET" "$EXPIRED_TOKEN" "$WI_TOKEN" "$ECS_AUTH" \
	wrong-secret-4711 wrong-generator-secret-3391; do
	for f in "$WORK"/pool*.log "$WORK"/front-*/*.log "$WORK"/cases-*.log "$WORK"/gen-*.log; do
		if [ -f "$f" ] && grep -q -F -- "$secret" "$f"; then
			lib_log "a secret is in $f"
			leaks=$((leaks + 1))
		fi
	done
done
if [ "$leaks" -eq 0 ]; then
	ok no-secret-in-logs-or-answers
else
	fail no-secret-in-logs-or-answers "$leaks"
fi

lib_log "done in $(( $(date +%s) - started ))s"
echo "aws: $PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
