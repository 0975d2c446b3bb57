#!/bin/sh
# test-generator.sh - end-to-end test of metrics-generator's three outputs
# against real servers on random loopback ports:
#   a. `serve --tick-per-scrape` under spawn-fcgi behind nginx
#      (contrib/nginx/metrics-generator.conf), scraped every second by a
#      real Prometheus: the scraped sequence is the program's sequence;
#   b. the JSON API through nginx (and lighttpd, contrib/lighttpd/...):
#      status codes, bodies, messages, and /metrics following the changes;
#   c. `remote-write --from --to` into a Prometheus remote-write receiver,
#      and `remote-write --live` (stale marker, SIGTERM);
#   d. `backfill` -> promtool tsdb create-blocks-from openmetrics ->
#      Prometheus on the blocks;
#   e. the same config and seed give the same samples in every output;
#   f. a configuration error and a negative counter increment.
# Exact values are computed here from the configuration (gen.py below
# models the deterministic series); random and sin series are compared
# between outputs.  One line per check, then "generator: N passed, N failed".
# Every process is stopped by PID, whatever happens.
#
# Environment:
#   GENERATOR_BIN        the program to test (required; exit 77 = SKIP
#                        when unset or not executable)
#   GENERATOR_KEEP_WORK  set to 1 to keep the work directory after a failure
# shellcheck disable=SC3043  # "local": dash, bash and busybox sh have it
set -eu

here=$(cd "$(dirname "$0")" && pwd)
SRCDIR=$(cd "$here/../.." && pwd)
PATH="$PATH:/usr/sbin:/sbin"

if [ -z "${GENERATOR_BIN:-}" ] || [ ! -f "$GENERATOR_BIN" ] || [ ! -x "$GENERATOR_BIN" ]; then
	echo "SKIP: GENERATOR_BIN is not set to an executable metrics-generator" >&2
	exit 77
fi
case "$GENERATOR_BIN" in
/*) ;;
*) GENERATOR_BIN="$(pwd)/$GENERATOR_BIN" ;;
esac
for tool in prometheus promtool spawn-fcgi nginx curl python3; do
	if ! command -v "$tool" > /dev/null 2>&1; then
		echo "SKIP: $tool is not installed" >&2
		exit 77
	fi
done

WORK=$(mktemp -d "${TMPDIR:-/tmp}/generator-it.XXXXXX")
# shellcheck source=tests/integration/lib.sh
. "$here/lib.sh"

PASSED=0
FAILED=0
FINISHED=0

pass() {
	PASSED=$((PASSED + 1))
	echo "ok - $1"
}

# fail NAME [FILE]: a failed check, with FILE's first lines as the reason.
fail() {
	FAILED=$((FAILED + 1))
	echo "FAIL - $1"
	if [ -n "${2:-}" ] && [ -s "$2" ]; then
		head -n 30 "$2" | sed 's/^/    /'
	fi
}

# check NAME CMD [ARG...]: one check: CMD succeeds.  Its output is shown
# when it fails.
check() {
	local name="$1"
	shift
	if "$@" > "$WORK/check.out" 2>&1; then
		pass "$name"
	else
		fail "$name" "$WORK/check.out"
	fi
}

# shellcheck disable=SC2317  # called by the EXIT trap
cleanup() {
	rc=$?
	trap - EXIT INT TERM
	stop_all
	if [ "$FINISHED" != 1 ]; then
		FAILED=$((FAILED + 1))
		echo "FAIL - the run stopped early (exit status $rc; see the messages above)"
	fi
	if [ -f "$WORK/generator.log" ] &&
		grep -q -E 'ERROR: [A-Za-z]+Sanitizer|runtime error:' "$WORK/generator.log"; then
		FAILED=$((FAILED + 1))
		echo "FAIL - the served generator's log shows a sanitizer report"
		grep -E -A 20 'ERROR: [A-Za-z]+Sanitizer|runtime error:' "$WORK/generator.log" |
			head -n 40 | sed 's/^/    /'
	fi
	echo "generator: $PASSED passed, $FAILED failed"
	if [ "$FAILED" -ne 0 ] && [ "${GENERATOR_KEEP_WORK:-}" = 1 ]; then
		lib_log "work directory kept: $WORK"
	else
		rm -rf "$WORK"
	fi
	[ "$FAILED" -eq 0 ] && exit 0
	exit 1
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---- the model ---------------------------------------------------------------
# gen.py writes the configuration, knows the values of its deterministic
# series, reads series back from Prometheus and compares outputs.
cat > "$WORK/gen.py" <<'PY'
"""Configuration, model and checks of test-generator.sh."""
import json
import sys
import urllib.parse
import urllib.request

INTERVAL = 15          # seconds
TICKS = 40             # the window: ticks 0..39
LAT_BUCKETS = [0.1, 0.5, 1.0]
LAT_LOOP = [0.05, 0.3, 0.7, 2.0, 0.5]
SHORT = 'gen_short{path="/a \\"b\\""}'


def config(start):
    """The configuration every output runs."""
    return {
        "interval": "15s", "start": start, "seed": 7,
        "series": [
            {"name": "gen_tick", "type": "gauge", "help": "The tick index.",
             "program": {"linear": {"from": 0, "to": 100000, "ticks": 100001}}},
            {"name": "gen_values", "type": "gauge", "labels": {"kind": "list"},
             "program": {"join": [{"values": [3, 1, 4, 1, 5]}, {"void": 2},
                                  {"loop": {"body": {"values": [9, 2, 6]}}}]}},
            {"name": "gen_requests_total", "type": "counter", "help": "Requests.",
             "labels": {"handler": "a"},
             "program": {"join": [{"values": [5, 5, 5]}, {"reset": 1},
                                  {"constant": 2}]}},
            {"name": "gen_latency_seconds", "type": "histogram", "help": "Latency.",
             "buckets": LAT_BUCKETS,
             "program": {"loop": {"body": {"values": LAT_LOOP}}}},
            {"name": "gen_short", "type": "gauge", "labels": {"path": '/a "b"'},
             "program": {"values": [7, 8]}},
            {"name": "gen_random", "type": "gauge",
             "program": {"random": {"min": 0, "max": 100}}},
            {"name": "gen_wave", "type": "gauge",
             "program": {"add": [{"sin": {"amplitude": 2, "period": "5m"}},
                                 {"constant": 3}]}},
        ]}


def fmt_le(b):
    return "+Inf" if b == float("inf") else ("%r" % b).rstrip("0").rstrip(".") \
        if "." in "%r" % b else "%r" % b


def expected(k):
    """Sample key -> value at tick k for the deterministic series (absent
    keys: no sample)."""
    out = {"gen_tick": float(k)}
    seq = [3, 1, 4, 1, 5]
    if k < 5:
        out['gen_values{kind="list"}'] = float(seq[k])
    elif k >= 7:
        out['gen_values{kind="list"}'] = float([9, 2, 6][(k - 7) % 3])
    total = 0.0
    for i in range(k + 1):
        if i < 3:
            total += 5
        elif i == 3:
            total = 0.0
        else:
            total += 2
    out['gen_requests_total{handler="a"}'] = total
    counts = [0] * len(LAT_BUCKETS)
    s = 0.0
    for i in range(k + 1):
        v = LAT_LOOP[i % len(LAT_LOOP)]
        for j, b in enumerate(LAT_BUCKETS):
            if v <= b:
                counts[j] += 1
        s += v
    for j, b in enumerate(LAT_BUCKETS):
        out['gen_latency_seconds_bucket{le="%s"}' % fmt_le(b)] = float(counts[j])
    out['gen_latency_seconds_bucket{le="+Inf"}'] = float(k + 1)
    out["gen_latency_seconds_sum"] = s
    out["gen_latency_seconds_count"] = float(k + 1)
    if k < 2:
        out[SHORT] = [7.0, 8.0][k]
    return out


DETERMINISTIC = ("gen_tick", "gen_values", "gen_requests_total",
                 "gen_latency_seconds", "gen_short")


def deterministic(key):
    return any(key == d or key.startswith(d + "{") or key.startswith(d + "_")
               for d in DETERMINISTIC)


def key_of(metric):
    """name{labels} of a Prometheus result's metric, job and instance
    left out, label values quoted as the exposition quotes them."""
    name = metric["__name__"]
    labels = sorted((k, v) for k, v in metric.items()
                    if k not in ("__name__", "job", "instance"))
    if not labels:
        return name
    return name + "{" + ",".join(
        '%s="%s"' % (k, v.replace("\\", "\\\\").replace('"', '\\"'))
        for k, v in labels) + "}"


def query(base, q, at):
    url = base + "api/v1/query?" + urllib.parse.urlencode({"query": q, "time": at})
    with urllib.request.urlopen(url, timeout=10) as r:
        body = json.load(r)
    if body.get("status") != "success":
        raise SystemExit("query %s failed: %s" % (q, body))
    return body["data"]


def samples(base, selector, at, rng):
    """key -> {timestamp ms: value} of a range selector at `at`."""
    data = query(base, "%s[%ds]" % (selector, rng), at)
    out = {}
    for series in data["result"]:
        key = key_of(series["metric"])
        if key in out:
            raise SystemExit("series %s twice" % key)
        out[key] = {int(round(float(t) * 1000)): float(v)
                    for t, v in series["values"]}
    return out


def cmd_config(path, start):
    with open(path, "w") as f:
        json.dump(config(int(start)), f, indent=1)


def cmd_window(base, start, out_path):
    """The window [start, start + 39 * 15] as read back from Prometheus
    must hold exactly the model's samples for the deterministic series and
    one sample per tick for the others; saved to out_path for cmd_same."""
    start = int(start)
    last = start + (TICKS - 1) * INTERVAL
    got = samples(base, '{__name__=~"gen_.+"}', last, TICKS * INTERVAL + 60)
    want = {}
    for k in range(TICKS):
        for key, v in expected(k).items():
            want.setdefault(key, {})[(start + k * INTERVAL) * 1000] = v
    bad = []
    for key in sorted(set(want) | {k for k in got if deterministic(k)}):
        if got.get(key) != want.get(key):
            bad.append("%s: got %s, want %s" % (key, got.get(key), want.get(key)))
    for key in ("gen_random", "gen_wave"):
        ts = sorted(got.get(key, {}))
        if ts != [(start + k * INTERVAL) * 1000 for k in range(TICKS)]:
            bad.append("%s: timestamps %s" % (key, ts))
    with open(out_path, "w") as f:
        json.dump({k: {str(t): v for t, v in s.items()} for k, s in got.items()},
                  f, sort_keys=True)
    if bad:
        raise SystemExit("\n".join(bad))
    print("%d series, %d samples" % (len(got), sum(len(s) for s in got.values())))


def cmd_same(a_path, b_path):
    """Two saved windows hold the same samples, value for value."""
    a = json.load(open(a_path))
    b = json.load(open(b_path))
    bad = ["%s: %s vs %s" % (k, a.get(k), b.get(k))
           for k in sorted(set(a) | set(b)) if a.get(k) != b.get(k)]
    if bad:
        raise SystemExit("\n".join(bad[:20]))
    print("%d series equal" % len(a))


def cmd_ticks(base, job):
    """How many ticks a scraping Prometheus has seen (0 when none)."""
    data = query(base, 'max(max_over_time(gen_tick{job="%s"}[10m]))' % job, "")
    r = data["result"]
    print(int(float(r[0]["value"][1])) + 1 if r else 0)


def cmd_scraped(base, job, start, window_path, against):
    """Every scrape of `job` advanced one tick: gen_tick is 0, 1, 2, ... in
    scrape order.  against "model": at each scrape every deterministic
    series shows the model's value at that tick (or is absent when the model
    has no sample).  against "window": every series, random and sin ones
    included, shows what the backfilled window (window_path) holds at the
    same tick."""
    import time
    start = int(start)
    got = samples(base, '{__name__=~"gen_.+",job="%s"}' % job, time.time(), 600)
    ticks = got.get("gen_tick", {})
    order = sorted(ticks)
    bad = []
    if len(order) < 10:
        bad.append("only %d scrapes" % len(order))
    if [ticks[t] for t in order] != [float(i) for i in range(len(order))]:
        bad.append("gen_tick in scrape order: %s" % [ticks[t] for t in order])
    window = json.load(open(window_path))
    compared = 0
    for ts in order:
        k = int(ticks[ts])
        if against == "model":
            want = expected(k)
        elif k < TICKS:
            at = str((start + k * INTERVAL) * 1000)
            want = {key: s[at] for key, s in window.items() if at in s}
        else:
            continue
        keys = set(want) | {key for key, s in got.items() if ts in s}
        for key in sorted(keys):
            if against == "model" and not deterministic(key):
                continue
            g = got.get(key, {}).get(ts)
            w = want.get(key)
            compared += 1
            if g != w:
                bad.append("tick %d %s: scraped %s, want %s" % (k, key, g, w))
    if bad:
        raise SystemExit("\n".join(bad[:20]))
    print("%d scrapes, %d values compared" % (len(order), compared))


def cmd_live(base, start):
    """--live from a start in the future: gen_live_short [1, 2] ends with a
    stale marker at its third tick, gen_live_total counts 1, 2, 3, 4."""
    start = int(start)
    bad = []
    short = samples(base, "gen_live_short", start + 3, 30).get("gen_live_short")
    if short != {start * 1000: 1.0, (start + 1) * 1000: 2.0}:
        bad.append("gen_live_short: %s" % short)
    after = query(base, "gen_live_short", start + 2.5)["result"]
    if after:
        bad.append("gen_live_short is still there after its end (no stale marker): %s"
                   % after)
    total = samples(base, "gen_live_total", start + 3, 30).get("gen_live_total")
    want = {(start + k) * 1000: float(k + 1) for k in range(4)}
    if total != want:
        bad.append("gen_live_total: %s, want %s" % (total, want))
    if bad:
        raise SystemExit("\n".join(bad))


def cmd_json_equal(a, b):
    """Two JSON texts (files) hold the same value."""
    x, y = json.load(open(a)), json.load(open(b))
    if x != y:
        raise SystemExit("%s\n  differs from\n%s" % (json.dumps(x), json.dumps(y)))


if __name__ == "__main__":
    globals()["cmd_" + sys.argv[1]](*sys.argv[2:])
PY

started=$(date +%s)
lib_log "work directory $WORK"
GEN="$GENERATOR_BIN"
NOW=$(date +%s)
T0=$(( NOW - NOW % 15 - 1800 ))         # tick 0: half an hour ago
T_LAST=$(( T0 + 39 * 15 ))              # the window: 40 ticks
python3 "$WORK/gen.py" config "$WORK/series.json" "$T0"

# ---- f. errors ---------------------------------------------------------------

cat > "$WORK/bad.json" <<'EOF'
{"series": [{"name": "bad_gauge", "type": "gauge",
  "program": {"join": [{"linear": {"from": 1, "to": 2, "ticks": -3}}]}}]}
EOF
# config_error CMD...: exit 2, nothing on stdout, exactly the message on stderr
config_error() {
	local rc=0
	"$@" > "$WORK/err.out" 2> "$WORK/err.err" || rc=$?
	[ "$rc" = 2 ] || { echo "exit status $rc, want 2"; return 1; }
	[ ! -s "$WORK/err.out" ] || { echo "stdout not empty"; return 1; }
	printf '%s\n' "$WORK/bad.json: \$.series[0].program.join[0].linear.ticks: expected an integer >= 1, got -3" > "$WORK/err.want"
	diff "$WORK/err.want" "$WORK/err.err"
}
check "f: backfill with a bad config exits 2 with FILE: \$.path: message" \
	config_error "$GEN" backfill "$WORK/bad.json" --from "$T0" --to "$T_LAST"
check "f: serve with a bad config exits 2 with the same message" \
	config_error "$GEN" serve "$WORK/bad.json" --listen "$WORK/never.sock"

cat > "$WORK/negative.json" <<'EOF'
{"interval": "15s", "series": [
  {"name": "fine", "type": "gauge", "program": {"constant": 1}},
  {"name": "neg_total", "type": "counter", "program": {"values": [1, 2, -4, 3]}}]}
EOF
negative_backfill() {
	local rc=0
	"$GEN" backfill "$WORK/negative.json" --from "$T0" --to "$T_LAST" \
		> "$WORK/neg.out" 2> "$WORK/neg.err" || rc=$?
	[ "$rc" = 1 ] || { echo "exit status $rc, want 1"; cat "$WORK/neg.err"; return 1; }
	[ ! -s "$WORK/neg.out" ] || { echo "stdout not empty:"; head -n 5 "$WORK/neg.out"; return 1; }
	grep -q 'series neg_total: negative increment -4 at tick 2' "$WORK/neg.err" ||
		{ echo "stderr:"; cat "$WORK/neg.err"; return 1; }
}
check "f: backfill with a negative counter increment exits 1, stdout empty" negative_backfill

usage_error() {
	local rc=0
	"$@" > /dev/null 2> "$WORK/usage.err" || rc=$?
	[ "$rc" = 2 ] || { echo "exit status $rc, want 2"; return 1; }
}
check "f: remote-write without --url is a usage error (2)" \
	usage_error "$GEN" remote-write "$WORK/series.json" --live
check "f: backfill with --from after --to is a usage error (2)" \
	usage_error "$GEN" backfill "$WORK/series.json" --from "$T_LAST" --to "$T0"

# ---- a. serve, scraped by Prometheus through nginx ---------------------------

start_generator_serve "$WORK/series.json" --tick-per-scrape
start_generator_nginx
lib_log "generator (pid $GEN_PID) on $GEN_SOCKET behind nginx at $GEN_URL"
HAVE_LIGHTTPD=0
if command -v lighttpd > /dev/null 2>&1; then
	start_generator_lighttpd
	HAVE_LIGHTTPD=1
	lib_log "and behind lighttpd at $GEN_LIGHTTPD_URL"
fi

cat > "$WORK/scrape.yml" <<EOF
global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1h
scrape_configs:
  - job_name: gen
    static_configs:
      - targets: ['127.0.0.1:$GEN_NGINX_PORT']
EOF
start_prometheus_with prom-scrape "$WORK/scrape.yml" "$WORK/prom-scrape"
SCRAPE_URL=$PROM_URL
SCRAPE_PID=$PROM_PID
lib_log "Prometheus scraping every second at $SCRAPE_URL (pid $SCRAPE_PID)"

# ---- c. remote-write into a receiver (while the scrapes go on) ---------------

printf 'global:\n  evaluation_interval: 1h\nscrape_configs: []\n' > "$WORK/receiver.yml"
start_prometheus_with prom-rw "$WORK/receiver.yml" "$WORK/prom-rw" \
	--web.enable-remote-write-receiver
RW_URL=$PROM_URL
lib_log "Prometheus receiving remote writes at $RW_URL (pid $PROM_PID)"

check "c: remote-write --from --to (batches of 7 samples) exits 0" \
	"$GEN" remote-write "$WORK/series.json" --url "${RW_URL}api/v1/write" \
	--from "$T0" --to "$T_LAST" --batch-size 7
check "c: the remote-written window reads back with the exact values" \
	python3 "$WORK/gen.py" window "$RW_URL" "$T0" "$WORK/rw.json"

# --live: a start 2 s ahead, ticks of 1 s; SIGTERM after tick 3.
LIVE_START=$(( $(date +%s) + 2 ))
cat > "$WORK/live.json" <<EOF
{"interval": "1s", "start": $LIVE_START, "series": [
  {"name": "gen_live_short", "type": "gauge", "program": {"values": [1, 2]}},
  {"name": "gen_live_total", "type": "counter", "program": {"constant": 1}}]}
EOF
live_run() {
	local pid rc=0
	"$GEN" remote-write "$WORK/live.json" --url "${RW_URL}api/v1/write" --live \
		> "$WORK/live.log" 2>&1 &
	pid=$!
	while [ "$(date +%s)" -lt $(( LIVE_START + 3 )) ]; do
		sleep 0.1
	done
	sleep 0.5
	kill -TERM "$pid"
	wait "$pid" || rc=$?
	cat "$WORK/live.log"
	[ "$rc" = 0 ] || { echo "exit status $rc after SIGTERM, want 0"; return 1; }
}
check "c: remote-write --live sends each tick and exits 0 on SIGTERM" live_run
check "c: --live: exact values, and a stale marker where a series ends" \
	python3 "$WORK/gen.py" live "$RW_URL" "$LIVE_START"

# ---- d. backfill, promtool, Prometheus on the blocks -------------------------

backfill_blocks() {
	"$GEN" backfill "$WORK/series.json" --from "$T0" --to "$T_LAST" > "$WORK/backfill.om" ||
		return 1
	if ! promtool tsdb create-blocks-from openmetrics "$WORK/backfill.om" \
		"$WORK/prom-blocks" > "$WORK/promtool.log" 2>&1; then
		cat "$WORK/promtool.log"
		return 1
	fi
}
check "d: backfill | promtool tsdb create-blocks-from openmetrics" backfill_blocks
printf 'global:\n  evaluation_interval: 1h\nscrape_configs: []\n' > "$WORK/blocks.yml"
start_prometheus_with prom-blocks "$WORK/blocks.yml" "$WORK/prom-blocks"
BLOCKS_URL=$PROM_URL
lib_log "Prometheus on the backfilled blocks at $BLOCKS_URL (pid $PROM_PID)"
check "d: the backfilled window reads back with the exact values" \
	python3 "$WORK/gen.py" window "$BLOCKS_URL" "$T0" "$WORK/blocks.json"

# ---- e. the same samples everywhere -------------------------------------------

check "e: backfilled and remote-written samples are equal, sample by sample" \
	python3 "$WORK/gen.py" same "$WORK/rw.json" "$WORK/blocks.json"

# ---- a. (cont.) enough scrapes, then read them back ---------------------------

deadline=$(( $(date +%s) + 40 ))
while :; do
	seen=$(python3 "$WORK/gen.py" ticks "$SCRAPE_URL" gen 2>/dev/null) || seen=0
	[ "$seen" -ge 12 ] && break
	if [ "$(date +%s)" -ge "$deadline" ] || ! alive "$SCRAPE_PID"; then
		show_log prom-scrape
		break
	fi
	sleep 0.5
done
check "a: every scrape advanced one tick; the scraped values are the program's" \
	python3 "$WORK/gen.py" scraped "$SCRAPE_URL" gen "$T0" "$WORK/blocks.json" model
check "e: served samples equal the backfilled ones at the same ticks, random and sin too" \
	python3 "$WORK/gen.py" scraped "$SCRAPE_URL" gen "$T0" "$WORK/blocks.json" window
# no more scrapes: the API checks below count the ticks themselves
stop_pid "$SCRAPE_PID"

# ---- b. the JSON API ---------------------------------------------------------

# http METHOD URL [BODY]: the status in $WORK/http.status, the body in
# $WORK/http.body, the headers in $WORK/http.headers.
http() {
	local method="$1" url="$2"
	if [ $# -ge 3 ]; then
		printf '%s' "$3" > "$WORK/http.req"
		curl -sS -X "$method" -D "$WORK/http.headers" -o "$WORK/http.body" \
			-w '%{http_code}' --data-binary "@$WORK/http.req" \
			-H 'Content-Type: application/json' "$url" > "$WORK/http.status"
	else
		curl -sS -X "$method" -D "$WORK/http.headers" -o "$WORK/http.body" \
			-w '%{http_code}' "$url" > "$WORK/http.status"
	fi
}

# expect STATUS BODY: the last answer had this status and exactly this body
# (BODY "" for none).
expect() {
	local status
	status=$(cat "$WORK/http.status")
	[ "$status" = "$1" ] || { echo "status $status, want $1"; cat "$WORK/http.body"; return 1; }
	if [ -z "$2" ]; then
		[ ! -s "$WORK/http.body" ] || { echo "a body, want none:"; cat "$WORK/http.body"; return 1; }
		return 0
	fi
	printf '%s\n' "$2" > "$WORK/http.want"
	diff "$WORK/http.want" "$WORK/http.body"
}

# header NAME VALUE: the last answer had this header.
header() {
	tr -d '\r' < "$WORK/http.headers" | grep -i -x -F "$1: $2" > /dev/null ||
		{ echo "no \"$1: $2\" among:"; cat "$WORK/http.headers"; return 1; }
}

# metric_line LINE: the next GET /metrics (one tick further) has LINE.
metric_line() {
	http GET "$GEN_URL/metrics"
	grep -x -F "$1" "$WORK/http.body" > /dev/null ||
		{ echo "no line $1 in:"; cat "$WORK/http.body"; return 1; }
}

# metric_absent NAME: the next GET /metrics has no sample of NAME.
metric_absent() {
	http GET "$GEN_URL/metrics"
	! grep -E "^$1[{ ]" "$WORK/http.body" || { echo "$1 is still exposed"; return 1; }
}

API_ID='api_gauge{job="x"}'
API_PATH='api_gauge%7Bjob%3D%22x%22%7D'
API_BODY='{"name": "api_gauge", "type": "gauge", "help": "Made by POST.", "labels": {"job": "x"}, "program": {"values": [1.5, 2.5]}}'
API_SUMMARY='{"id": "api_gauge{job=\"x\"}", "name": "api_gauge", "type": "gauge", "labels": {"job": "x"}, "help": "Made by POST."}'

api_list() {
	http GET "$GEN_URL/api/series"
	expect 200 '[{"id": "gen_tick", "name": "gen_tick", "type": "gauge", "labels": {}, "help": "The tick index."},
 {"id": "gen_values{kind=\"list\"}", "name": "gen_values", "type": "gauge", "labels": {"kind": "list"}, "help": null},
 {"id": "gen_requests_total{handler=\"a\"}", "name": "gen_requests_total", "type": "counter", "labels": {"handler": "a"}, "help": "Requests."},
 {"id": "gen_latency_seconds", "name": "gen_latency_seconds", "type": "histogram", "labels": {}, "help": "Latency."},
 {"id": "gen_short{path=\"/a \\\"b\\\"\"}", "name": "gen_short", "type": "gauge", "labels": {"path": "/a \"b\""}, "help": null},
 {"id": "gen_random", "name": "gen_random", "type": "gauge", "labels": {}, "help": null},
 {"id": "gen_wave", "name": "gen_wave", "type": "gauge", "labels": {}, "help": null}]'
}
check "b: GET /api/series lists the config's series" api_list

api_get_config_series() {
	http GET "$GEN_URL/api/series/gen_requests_total%7Bhandler%3D%22a%22%7D"
	expect 200 '{"name": "gen_requests_total", "type": "counter", "help": "Requests.", "labels": {"handler": "a"}, "program": {"join": [{"values": [5, 5, 5]}, {"reset": 1}, {"constant": 2}]}}'
}
check "b: GET /api/series/{id} gives the series object" api_get_config_series

api_create() {
	http POST "$GEN_URL/api/series" "$API_BODY"
	expect 201 "$API_SUMMARY" && header Location "/api/series/$API_PATH"
}
check "b: POST /api/series: 201, Location, the summary" api_create
check "b: the new series starts at its tick 0 on the next scrape" metric_line 'api_gauge{job="x"} 1.5'
check "b: ... and goes on tick by tick" metric_line 'api_gauge{job="x"} 2.5'
check "b: ... and is absent once its program has ended" metric_absent api_gauge

api_get() {
	http GET "$GEN_URL/api/series/$API_PATH"
	[ "$(cat "$WORK/http.status")" = 200 ] || { cat "$WORK/http.body"; return 1; }
	printf '%s' "$API_BODY" > "$WORK/api-body.json"
	python3 "$WORK/gen.py" json_equal "$WORK/http.body" "$WORK/api-body.json"
}
check "b: GET /api/series/{id} gives back the posted object" api_get

api_conflict() {
	http POST "$GEN_URL/api/series" "$API_BODY"
	expect 409 "{\"error\": \"a series with id api_gauge{job=\\\"x\\\"} exists\"}"
}
check "b: POST of an existing id: 409" api_conflict

api_replace() {
	http PUT "$GEN_URL/api/series/$API_PATH" \
		'{"name": "api_gauge", "type": "gauge", "labels": {"job": "x"}, "program": {"values": [7]}}'
	expect 200 '{"id": "api_gauge{job=\"x\"}", "name": "api_gauge", "type": "gauge", "labels": {"job": "x"}, "help": null}'
}
check "b: PUT /api/series/{id}: 200, the new summary" api_replace
check "b: the replaced series starts again at its tick 0" metric_line 'api_gauge{job="x"} 7'

api_replace_other_id() {
	http PUT "$GEN_URL/api/series/$API_PATH" \
		'{"name": "api_gauge", "type": "gauge", "labels": {"job": "y"}, "program": {"values": [7]}}'
	expect 400 '{"error": "request body: the series'"'"' id is api_gauge{job=\"y\"}, not api_gauge{job=\"x\"} as in the path"}'
}
check "b: PUT of a body with another id: 400" api_replace_other_id

api_replace_missing() {
	http PUT "$GEN_URL/api/series/nope" '{"name": "nope", "type": "gauge", "program": {"constant": 1}}'
	expect 404 '{"error": "no series with id nope"}'
}
check "b: PUT of an unknown id: 404" api_replace_missing

# The bad body's message is the config file's, with "request body" for the
# file and "$" for "$.series[0]".
list_before() {
	http GET "$GEN_URL/api/series"
	cp "$WORK/http.body" "$WORK/list.before"
}
list_unchanged() {
	http GET "$GEN_URL/api/series"
	diff "$WORK/list.before" "$WORK/http.body"
}
api_bad_body() {
	local file_msg
	list_before
	"$GEN" backfill "$WORK/bad.json" --from 0 --to 1 2> "$WORK/file.err" > /dev/null || true
	file_msg=$(sed -e "s|^$WORK/bad.json: \\$\\.series\\[0\\]|request body: \$|" "$WORK/file.err")
	http POST "$GEN_URL/api/series" \
		'{"name": "bad_gauge", "type": "gauge", "program": {"join": [{"linear": {"from": 1, "to": 2, "ticks": -3}}]}}'
	expect 400 "{\"error\": \"$file_msg\"}" && list_unchanged
}
check "b: a bad body: 400 with the config file's message; nothing changes" api_bad_body

# Not JSON at all: the message a config file of that text gets.
api_not_json() {
	local text='{"name": "x",' file_msg
	list_before
	printf '%s' "$text" > "$WORK/notjson.json"
	"$GEN" backfill "$WORK/notjson.json" --from 0 --to 1 2> "$WORK/file.err" > /dev/null || true
	file_msg=$(sed -e "s|^$WORK/notjson.json:|request body:|" -e 's/"/\\"/g' "$WORK/file.err")
	http PUT "$GEN_URL/api/series/$API_PATH" "$text"
	expect 400 "{\"error\": \"$file_msg\"}" && list_unchanged
}
check "b: a body that is not JSON: 400 with the config file's message" api_not_json

api_delete() {
	http DELETE "$GEN_URL/api/series/$API_PATH"
	expect 204 ""
}
check "b: DELETE /api/series/{id}: 204, no body" api_delete
check "b: the deleted series is gone from /metrics" metric_absent api_gauge
api_delete_again() {
	http DELETE "$GEN_URL/api/series/$API_PATH"
	expect 404 "{\"error\": \"no series with id $(printf '%s' "$API_ID" | sed 's/"/\\"/g')\"}"
}
check "b: DELETE of an unknown id: 404" api_delete_again

api_methods() {
	http PATCH "$GEN_URL/api/series"
	expect 405 '{"error": "PATCH is not allowed on this path; use GET, POST"}' &&
		header Allow "GET, POST" &&
		http POST "$GEN_URL/metrics" '{}' &&
		expect 405 '{"error": "POST is not allowed on this path; use GET"}' &&
		header Allow "GET" &&
		http POST "$GEN_URL/api/series/gen_tick" '{}' &&
		header Allow "GET, PUT, DELETE"
}
check "b: a wrong method: 405 with Allow" api_methods
api_unknown_path() {
	http GET "$GEN_URL/api/nothing"
	expect 404 '{"error": "no such endpoint"}'
}
check "b: an unknown path: 404" api_unknown_path

# An id with a slash and a space travels %-encoded; lighttpd and nginx agree.
api_odd_id() {
	local base="$GEN_URL"
	[ "$HAVE_LIGHTTPD" = 1 ] && base="$GEN_LIGHTTPD_URL"
	http POST "$base/api/series" '{"id": "odd/id 1", "name": "api_odd", "type": "gauge", "program": {"constant": 4}}'
	expect 201 '{"id": "odd/id 1", "name": "api_odd", "type": "gauge", "labels": {}, "help": null}' &&
		header Location "/api/series/odd%2Fid%201" &&
		http GET "$GEN_URL/api/series/odd%2Fid%201" &&
		expect 200 '{"id": "odd/id 1", "name": "api_odd", "type": "gauge", "program": {"constant": 4}}' &&
		metric_line 'api_odd 4' &&
		http DELETE "$base/api/series/odd%2Fid%201" &&
		expect 204 ""
}
check "b: an id with \"/\" and a space, %-encoded in the path" api_odd_id

if [ "$HAVE_LIGHTTPD" = 1 ]; then
	lighttpd_same() {
		curl -sS -o "$WORK/list.nginx" "$GEN_URL/api/series" &&
			curl -sS -o "$WORK/list.lighttpd" "$GEN_LIGHTTPD_URL/api/series" &&
			diff "$WORK/list.nginx" "$WORK/list.lighttpd" &&
			curl -sS -o /dev/null -w '%{http_code} %{content_type}\n' \
				"$GEN_LIGHTTPD_URL/metrics" > "$WORK/lighttpd.metrics" &&
			grep -x -F '200 text/plain; version=0.0.4; charset=utf-8' "$WORK/lighttpd.metrics"
	}
	check "b: contrib/lighttpd/metrics-generator.conf serves the API and /metrics" lighttpd_same
else
	echo "skip - lighttpd is not installed: contrib/lighttpd/metrics-generator.conf untested"
fi

stop_all
stopped_cleanly() {
	! grep -E 'ERROR: [A-Za-z]+Sanitizer|runtime error:' "$WORK/generator.log"
}
check "the served generator stopped on SIGTERM without a sanitizer report" stopped_cleanly
lib_log "finished in $(( $(date +%s) - started )) s"
FINISHED=1
