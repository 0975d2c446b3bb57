#!/usr/bin/env python3
"""make-history.py - the known history behind the integration tests.

The history itself is written by metrics-generator from
tests/data/history.json (the 15 s series) and tests/data/history-dense.json
(the 1 s series); the integration tests run `metrics-generator backfill` at
run time (tests/integration/lib.sh, make_history).  This script holds an
independent MODEL of the same history, series by series, and from it:
  - checks that the generator's OpenMetrics output is exactly that history
    (--check-om), and that a backend loaded with it holds exactly that
    history (--verify);
  - writes the expected answer of every successful metric case
    (tests/data/cases/metric-*.json marked "generated_by").
The expected answers come from an independent reading of the contract
(the mirror spec, sections 4.1-4.3: selectors, streams, buckets), never
from the mirror and never from the generator.
Every expected number is checked to be exact: the true (rational) answer
must be a double, and percentiles must not depend on how the interpolation
is written.  tests/data/history.md explains each series in prose.

usage:
  make-history.py                  regenerate the generated metric-*.json
  make-history.py --check          exit 1 if the committed cases are stale
  make-history.py --check-om FILE  compare an OpenMetrics file written by
                                   `metrics-generator backfill` (both
                                   configurations, one "# EOF") with the
                                   model, sample by sample, exactly
  make-history.py --verify URL     compare the history and the simple
                                   aggregates with a live Prometheus API
                                   (a backend loaded with that file)

Standard library only.
"""

import argparse
import json
import math
import os
import re
import sys
import urllib.parse
import urllib.request
from fractions import Fraction

HERE = os.path.dirname(os.path.abspath(__file__))
CASES = os.path.join(HERE, "cases")
GENERATED_MARK = "tests/data/make-history.py"

T0 = 1767225600          # 2026-01-01T00:00:00Z, the start of every series
NAN = float("nan")
INF = float("inf")
LOOKBACK = 300           # seconds: PromQL's default look-back, and the
                         # window for a counter's sample before startTime


# ---------------------------------------------------------------------------
# The history
# ---------------------------------------------------------------------------

class Series:
    """One time series: metric name, labels, samples [(t seconds, value)]."""

    def __init__(self, name, labels, samples):
        self.name = name
        self.labels = dict(labels)
        self.samples = samples

    def label(self, key):
        """A label's value; PromQL treats an absent label as ""."""
        if key == "__name__":
            return self.name
        return self.labels.get(key, "")

    def selector(self):
        inner = ",".join('%s="%s"' % (k, escape_om(v))
                         for k, v in self.labels.items())
        return "%s{%s}" % (self.name, inner)


class Family:
    """An OpenMetrics family: name, type (as metrics-generator writes it in
    its "# TYPE" line) and its series."""

    def __init__(self, name, ftype, series):
        self.name = name
        self.ftype = ftype
        self.series = series


def rule_gauge(k):
    """mirror_test_gauge: sample k (t = T0 + 15k) has value (k mod 10) / 2."""
    return (k % 10) / 2


def rule_rate(k):
    """mirror_test_requests_total grows at (k mod 4) + 1 per second."""
    return (k % 4) + 1


def build_history():
    """Every family of the history (tests/data/history.md, "The series")."""
    fams = []

    def every15(values, first=0):
        return [(T0 + 15 * (first + i), v) for i, v in enumerate(values)
                if v is not None]

    gauge = Series("mirror_test_gauge", [("instance", "a"), ("job", "demo")],
                   [(T0 + 15 * k, rule_gauge(k)) for k in range(481)])
    fams.append(Family("mirror_test_gauge", "gauge", [gauge]))

    fams.append(Family("mirror_test_pair", "gauge", [
        Series("mirror_test_pair", [("instance", "a"), ("job", "demo")],
               every15([1.0] * 9)),
        Series("mirror_test_pair", [("instance", "b"), ("job", "demo")],
               every15([2.0] * 9)),
    ]))

    # counter: starts at 1000, grows 15 * rule_rate(k) per 15 s step; resets
    # to 0 at k = 240 (T0 + 1 h: the sample there is 0) and grows again from
    # k = 241; the sample k = 100 is missing (its increase shows at k = 101).
    values, c = [], 1000.0
    for k in range(481):
        if k == 240:
            c = 0.0
        elif k > 0:
            c += 15.0 * rule_rate(k)
        if k != 100:
            values.append((T0 + 15 * k, c))
    fams.append(Family("mirror_test_requests", "counter", [
        Series("mirror_test_requests_total", [("job", "demo")], values)]))

    # counter with a 10 minute hole and a flat end
    events = [(0, 0), (15, 15), (30, 30), (45, 45), (60, 60),
              (660, 1260), (675, 1290), (690, 1320),
              (720, 1320), (735, 1320), (750, 1320), (765, 1320)]
    fams.append(Family("mirror_test_events", "counter", [
        Series("mirror_test_events_total", [("job", "demo")],
               [(T0 + t, float(v)) for t, v in events])]))

    fams.append(Family("mirror_test_nan", "gauge", [
        Series("mirror_test_nan", [("job", "demo")],
               every15([1.0, NAN, 2.0, INF, 3.0, -INF, 0.0, NAN, 4.0]))]))

    fams.append(Family("mirror_test_sparse", "gauge", [
        Series("mirror_test_sparse", [("job", "demo")],
               every15([0.0, 0.0, 0.0, 0.0, 0.0, 2.0, 0.0, 4.0,
                        None, None, None, None, 1.0, 1.0, 1.0, 1.0]))]))

    fams.append(Family("mirror_test_hostile", "gauge", [
        Series("mirror_test_hostile",
               [("kind", "hostile"), ("quote", 'say "hi"'),
                ("backslash", "C:\\temp\\new"), ("greeting", "Grüße"),
                ("regex", "a.b|c"), ("multiline", "one\ntwo")],
               every15([7.0] * 3)),
        Series("mirror_test_hostile",
               [("kind", "decoy"), ("regex", "axb"), ("greeting", "Gruss")],
               every15([8.0] * 3)),
        Series("mirror_test_hostile", [("kind", "decoy2"), ("regex", "c")],
               every15([9.0] * 3)),
    ]))

    fams.append(Family("bool", "gauge", [
        Series("bool", [("job", "demo")], every15([1.0, 0.0, 1.0]))]))
    fams.append(Family("offset", "gauge", [
        Series("offset", [("job", "demo")], every15([3.0, 2.0, 1.0]))]))

    fams.append(Family("mirror_test_typed", "gauge", [
        Series("mirror_test_typed",
               [("job", "demo"), ("weight", "2"), ("ratio", "0.25"),
                ("enabled", "true")], every15([5.0] * 3)),
        Series("mirror_test_typed",
               [("job", "demo"), ("weight", "3.0"), ("ratio", "0.5"),
                ("enabled", "false")], every15([6.0] * 3)),
        Series("mirror_test_typed",
               [("job", "demo"), ("weight", "3x0"), ("enabled", "maybe")],
               every15([7.0] * 3)),
    ]))

    ups = [("web-1", "web", "prod", 1.0), ("web-2", "web", "prod", 2.0),
           ("web-10", "web", "staging", 10.0), ("db-1", "db", "prod", 101.0),
           ("db-2", "db", "dev", 102.0), ("webcache-1", "cache", "prod", 201.0)]
    fams.append(Family("mirror_test_up", "gauge", [
        Series("mirror_test_up",
               [("instance", i), ("job", j), ("env", e)], every15([v] * 3))
        for i, j, e, v in ups]))

    # a summary's _count and _sum; metrics-generator has no summary type, so
    # they are two gauge families (a backfilled Prometheus keeps no type
    # anyway: counters are recognised by name)
    fams.append(Family("mirror_test_latency_seconds_count", "gauge", [
        Series("mirror_test_latency_seconds_count", [("job", "demo")],
               every15([15.0, 30.0, 45.0]))]))
    fams.append(Family("mirror_test_latency_seconds_sum", "gauge", [
        Series("mirror_test_latency_seconds_sum", [("job", "demo")],
               every15([7.5, 15.0, 22.5]))]))

    # a histogram with the bound 1 (written "1", the shortest form) and one
    # observation per tick: 0.5, 1.5, 1 (equal to the bound: counted in it)
    observed = [0.5, 1.5, 1.0]
    buckets = [(1.0, "1"), (INF, "+Inf")]
    fams.append(Family("mirror_test_size_bytes", "histogram", [
        Series("mirror_test_size_bytes_bucket", [("job", "demo"), ("le", text)],
               every15([float(sum(1 for o in observed[:i + 1] if o <= bound))
                        for i in range(len(observed))]))
        for bound, text in buckets] + [
        Series("mirror_test_size_bytes_count", [("job", "demo")],
               every15([float(i + 1) for i in range(len(observed))])),
        Series("mirror_test_size_bytes_sum", [("job", "demo")],
               every15([sum(observed[:i + 1]) for i in range(len(observed))])),
    ]))

    dense = Series("mirror_test_dense", [("job", "demo")],
                   [(T0 + i, float(i)) for i in range(14400)])
    fams.append(Family("mirror_test_dense", "gauge", [dense]))
    return fams


FAMILIES = build_history()
ALL_SERIES = [s for f in FAMILIES for s in f.series]

# VictoriaMetrics drops NaN samples when it ingests them: the history as a
# VictoriaMetrics backend holds it.  Cases whose answer depends on that carry
# a "victoria" override.
VICTORIA_SERIES = [Series(s.name, s.labels.items(),
                          [(t, v) for t, v in s.samples if not math.isnan(v)])
                   for s in ALL_SERIES]
VICTORIA_NAN_NOTE = ("VictoriaMetrics drops NaN samples on ingestion: those "
                     "points do not exist there, and a ~ query sees the "
                     "previous sample instead")


def escape_om(v):
    """Escape a label value for the text formats (\\, double quote, newline)."""
    return v.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


# ---------------------------------------------------------------------------
# --check-om: is what metrics-generator wrote exactly this history?
# ---------------------------------------------------------------------------

OM_NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
OM_SAMPLE = re.compile(r"(%s)(?:\{(.*)\})? (\S+) (\S+)\Z" % OM_NAME)
OM_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\.)*)"')
OM_ESCAPES = {"\\": "\\", '"': '"', "n": "\n"}
# the sample names a family of each type may hold (OpenMetrics)
OM_SUFFIXES = {"gauge": ("",), "counter": ("_total", "_created"),
               "histogram": ("_bucket", "_count", "_sum", "_created")}


class OmError(Exception):
    pass


def om_unescape(text):
    out, i = [], 0
    while i < len(text):
        if text[i] == "\\":
            if i + 1 >= len(text) or text[i + 1] not in OM_ESCAPES:
                raise OmError("bad escape in label value %r" % text)
            out.append(OM_ESCAPES[text[i + 1]])
            i += 2
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def om_labels(text):
    """The labels of a sample line, "a=\"x\",b=\"y\"", as a dict."""
    labels, pos = {}, 0
    while pos < len(text):
        m = OM_LABEL.match(text, pos)
        if not m:
            raise OmError("cannot read the labels {%s}" % text)
        if m.group(1) in labels:
            raise OmError("label %s twice in {%s}" % (m.group(1), text))
        labels[m.group(1)] = om_unescape(m.group(2))
        pos = m.end()
        if pos < len(text):
            if text[pos] != ",":
                raise OmError("cannot read the labels {%s}" % text)
            pos += 1
    return labels


def om_number(text):
    special = {"NaN": NAN, "+Inf": INF, "-Inf": -INF}
    if text in special:
        return special[text]
    if not re.fullmatch(r"[-+]?[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?", text):
        raise OmError("not a number: %r" % text)
    return float(text)


def read_om(path):
    """An OpenMetrics file as ({family: type}, {(name, labels): [(t, v)]}).
    Raises OmError where the file is not what promtool expects."""
    types, series, fam = {}, {}, None
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    if lines[-1] != "":
        raise OmError("%s: the last line does not end with a newline" % path)
    lines.pop()
    if not lines or lines[-1] != "# EOF" or lines.count("# EOF") != 1:
        raise OmError('%s: the file must end with one "# EOF" line' % path)
    for n, line in enumerate(lines[:-1], 1):
        try:
            if line.startswith("# TYPE "):
                parts = line.split(" ")
                if len(parts) != 4 or parts[3] not in OM_SUFFIXES:
                    raise OmError("bad TYPE line")
                if parts[2] in types:
                    raise OmError("family %s appears twice" % parts[2])
                fam = parts[2]
                types[fam] = parts[3]
                continue
            if line.startswith("# HELP ") or line.startswith("# UNIT "):
                if line.split(" ")[2] != fam:
                    raise OmError("HELP or UNIT outside its family")
                continue
            m = OM_SAMPLE.match(line)
            if not m:
                raise OmError("not a sample line")
            name, labels, value, ts = m.groups()
            if fam is None or not any(name == fam + sfx
                                      for sfx in OM_SUFFIXES[types[fam]]):
                raise OmError("sample %s outside its family" % name)
            key = (name, frozenset(om_labels(labels or "").items()))
            samples = series.setdefault(key, [])
            t = Fraction(ts)
            if samples and t <= samples[-1][0]:
                raise OmError("timestamps of %s do not increase" % name)
            samples.append((t, om_number(value)))
        except (OmError, ValueError) as e:
            raise OmError("%s:%d: %s: %s" % (path, n, e, line[:120]))
    return types, series


def series_text(name, labels):
    return "%s{%s}" % (name, ",".join('%s="%s"' % (k, escape_om(v))
                                       for k, v in sorted(labels)))


def check_om(path):
    """Compare the file with the model: the same families with the same
    types, the same series, and in each the same samples (timestamp and
    value, exactly).  Returns the list of differences."""
    try:
        types, have = read_om(path)
    except (OSError, OmError) as e:
        return [str(e)]
    diffs = []
    want_types = {f.name: f.ftype for f in FAMILIES}
    for name in sorted(set(want_types) | set(types)):
        if want_types.get(name) != types.get(name):
            diffs.append("family %s: type %s in the file, %s in the model"
                         % (name, types.get(name), want_types.get(name)))
    want = {(s.name, frozenset(s.labels.items())): s.samples for s in ALL_SERIES}
    for key in sorted(set(want) | set(have), key=lambda k: series_text(*k)):
        sel = series_text(*key)
        if key not in have:
            diffs.append("%s: not in the file" % sel)
            continue
        if key not in want:
            diffs.append("%s: not in the model (%d samples)" % (sel, len(have[key])))
            continue
        w, h = want[key], have[key]
        for i, (a, b) in enumerate(zip(h, w)):
            if a[0] != b[0] or not same_value(a[1], b[1]):
                diffs.append("%s: sample %d is %r at T0%+gs in the file, %r at "
                             "T0%+ds in the model" % (sel, i, a[1], float(a[0]) - T0,
                                                      b[1], b[0] - T0))
                break
        else:
            if len(h) != len(w):
                diffs.append("%s: %d samples in the file, %d in the model"
                             % (sel, len(h), len(w)))
    return diffs


# ---------------------------------------------------------------------------
# The oracle: spec 4.1 (which series), 4.2 (the stream), 4.3 (the answer)
# ---------------------------------------------------------------------------

class OracleError(Exception):
    pass


def shortest(d):
    """Shortest decimal that reads back as the double d (Python's repr)."""
    return repr(float(d))


def condition_accepts(cond, series):
    """Whether a non-reserved condition keeps the series (spec 4.1)."""
    val = cond["value"]
    vtype = val.get("_type", "StringValue")
    have = series.label(cond["key"])
    if vtype == "StringValue":
        return have == val["value"]
    if vtype == "BooleanValue":
        return have == ("true" if val["value"] else "false")
    if vtype == "DoubleValue":
        d = float(val["value"])
        if d == int(d):
            return have in (str(int(d)), str(int(d)) + ".0")
        return have == shortest(d)
    if vtype == "InSetValue":
        return have in set(val["value"])
    raise OracleError("no oracle for value type " + vtype)


RESERVED = ("__gauge__", "__counter__", "~")

# The free expressions the cases use, with how to evaluate them at one
# instant: (series name, labels that pick the series, function of the value).
EXPRESSIONS = {
    'mirror_test_gauge{instance="a"} * 2':
        ("mirror_test_gauge", {"instance": "a"}, lambda v: 2 * v),
    "mirror_test_dense": ("mirror_test_dense", {}, lambda v: v),
    "mirror_test_nan": ("mirror_test_nan", {}, lambda v: v),
}


def pick_series(universe, conditions, lo_ms, hi_ms):
    """The one series of universe that the conditions select and that has
    samples in [lo_ms, hi_ms] (ms, both included); raises OracleError
    otherwise."""
    reserved = [c for c in conditions if c["key"] in RESERVED]
    if len(reserved) != 1:
        raise OracleError("needs exactly one reserved key")
    name = reserved[0]["value"]["value"]
    rest = [c for c in conditions if c["key"] not in RESERVED]
    found = [s for s in universe if s.name == name
             and all(condition_accepts(c, s) for c in rest)
             and any(lo_ms <= t * 1000 <= hi_ms for t, _ in s.samples)]
    if len(found) != 1:
        raise OracleError("conditions select %d series" % len(found))
    return reserved[0]["key"], found[0]


def gauge_stream(series, lo_ms, hi_ms):
    """Raw samples with lo <= t <= hi: [(t ms, value)]."""
    return [(t * 1000, v) for t, v in series.samples if lo_ms <= t * 1000 <= hi_ms]


def counter_stream(series, lo_ms, hi_ms):
    """Per-sample rates: [(t ms, rate, increase, interval seconds)]."""
    inside = [(t, v) for t, v in series.samples if lo_ms <= t * 1000 <= hi_ms]
    before = [(t, v) for t, v in series.samples
              if t * 1000 < lo_ms and t * 1000 > lo_ms - LOOKBACK * 1000]
    read = before[-1:] + inside
    out = []
    for (t0, v0), (t1, v1) in zip(read, read[1:]):
        inc = v1 if v1 < v0 else v1 - v0
        dt = t1 - t0
        rate = Fraction(inc) / dt
        if Fraction(float(rate)) != rate:
            raise OracleError("rate %s at %d is not a double" % (rate, t1))
        out.append((t1 * 1000, float(rate), Fraction(inc), dt))
    return out


def instant_value(series, t):
    """The value an instant vector selector sees at t seconds: the newest
    sample in (t - 5m, t], or None."""
    seen = None
    for ts, v in series.samples:
        if t - LOOKBACK < ts <= t:
            seen = v
    return seen


def expr_stream(universe, expr, step, lo_ms, hi_ms):
    """query_range on the grid of multiples of step seconds in [lo, hi]."""
    name, labels, fn = EXPRESSIONS[expr]
    match = [s for s in universe if s.name == name
             and all(s.label(k) == v for k, v in labels.items())]
    if len(match) != 1:
        raise OracleError("expression %s needs one series" % expr)
    step_ms = step * 1000
    g = -(-lo_ms // step_ms) * step_ms
    out = []
    while g <= hi_ms:
        v = instant_value(match[0], g // 1000)
        if v is not None:
            out.append((g, fn(v)))
        g += step_ms
    return out


def clean(points, nan_mode):
    """Spec 4.2: NaN -> 0 (ZERO) or dropped (NONE); +-Inf always dropped.
    Points are tuples whose second element is the value."""
    out = []
    for p in points:
        v = p[1]
        if math.isinf(v):
            continue
        if math.isnan(v):
            if nan_mode == "NONE":
                continue
            p = (p[0], 0.0) + tuple(p[2:])
        out.append(p)
    return out


def exact(fr, what):
    """A Fraction as a double, insisting that no rounding is involved."""
    d = float(fr)
    if Fraction(d) != fr:
        raise OracleError("%s = %s is not exactly a double" % (what, fr))
    return d


PERCENTILES = {"PERCENTILE_25": "0.25", "PERCENTILE_50": "0.5",
               "PERCENTILE_75": "0.75", "PERCENTILE_90": "0.9",
               "PERCENTILE_95": "0.95", "PERCENTILE_98": "0.98",
               "PERCENTILE_99": "0.99"}


def percentile(values, q_text):
    """Rank p*(n-1), linear interpolation, as quantile_over_time does.
    Computed three ways (Prometheus' formula, the other common formula, and
    exactly); they must agree, so the expected value is unambiguous."""
    vs = sorted(values)
    n = len(vs)
    q = float(q_text)
    rank = q * (n - 1)
    lo = int(math.floor(rank))
    hi = min(n - 1, lo + 1)
    w = rank - math.floor(rank)
    prom = vs[lo] * (1 - w) + vs[hi] * w
    other = vs[lo] + (vs[hi] - vs[lo]) * w
    rank_x = Fraction(q_text) * (n - 1)
    lo_x = int(rank_x)                      # floor, rank_x >= 0
    hi_x = min(n - 1, lo_x + 1)
    w_x = rank_x - lo_x
    true = Fraction(vs[lo_x]) * (1 - w_x) + Fraction(vs[hi_x]) * w_x
    if not (prom == other == float(true)) or Fraction(prom) != true:
        raise OracleError("percentile %s of %s is formula-dependent "
                          "(%r, %r, %s)" % (q_text, vs, prom, other, true))
    return prom


def aggregate_bucket(method, pts, counter):
    """The value of one non-empty bucket, or None when it is left out.
    pts: stream points inside the bucket (already NaN-cleaned)."""
    vals = [p[1] for p in pts]
    if method.endswith("_NO_ZEROS"):
        pts = [p for p in pts if p[1] != 0]
        vals = [p[1] for p in pts]
    if not vals:
        # only SUM and EVENT_COUNT answer an empty bucket; for the _NO_ZEROS
        # methods a bucket of zeros is empty too
        return 0.0 if method in ("SUM", "EVENT_COUNT") else None
    if method in ("EVENT_COUNT", "EVENT_COUNT_NO_ZEROS"):
        return float(len(vals))
    if method in ("SUM", "SUM_NO_ZEROS"):
        if counter:
            return exact(sum(p[2] for p in pts), "increase")
        return exact(sum(Fraction(v) for v in vals), "sum")
    if method == "MEAN":
        if counter:
            return exact(sum(p[2] for p in pts) / sum(p[3] for p in pts),
                         "time-weighted rate")
        return exact(sum(Fraction(v) for v in vals) / len(vals), "mean")
    if method == "MIN":
        return min(vals)
    if method == "MAX":
        return max(vals)
    if method in PERCENTILES:
        return percentile(vals, PERCENTILES[method])
    raise OracleError("unknown method " + method)


def expected_telemetry(query, details, universe):
    """The telemetry object the contract prescribes for a metrics query on
    a backend holding the series in universe."""
    conds = query["conditions"]
    start, end = query["startTime"], query["endTime"]
    agg = query.get("aggregation")
    nan_mode = details.get("nan_interpretation", "ZERO")
    step = details.get("step_seconds", 30)
    lo = start
    if agg:
        b = agg["bucketSizeMillis"]
        kmin, kmax = start // b, end // b - 1
        lo = kmin * b
    exprs = [c for c in conds if c["key"] == "~"]
    if exprs:
        kind = "~"
        stream = expr_stream(universe, exprs[0]["value"]["value"], step, lo, end)
    else:
        kind, series = pick_series(universe, conds, lo, end)
        if kind == "__gauge__":
            stream = gauge_stream(series, lo, end)
        else:
            stream = counter_stream(series, lo, end)
    stream = clean(stream, nan_mode)
    if not stream:
        raise OracleError("empty stream: the answer would be an error")
    if not agg:
        limit = query.get("limit")
        partial = limit is not None and len(stream) > limit
        if partial:
            stream = stream[:limit]
        return {"_type": "RawMetricTelemetry",
                "dataFormat": ["value", "timestamp"],
                "points": [[p[1], p[0]] for p in stream],
                "isPartial": partial}
    method = agg["method"].upper()
    points = []
    for k in range(kmin, kmax + 1):
        inside = [p for p in stream if k * b <= p[0] < (k + 1) * b]
        v = aggregate_bucket(method, inside, kind == "__counter__")
        if v is not None and math.isfinite(v):
            points.append([v, k * b, (k + 1) * b])
    return {"_type": "AggregatedMetricTelemetry",
            "dataFormat": ["value", "startTimestamp", "endTimestamp"],
            "points": points, "isPartial": False}


# ---------------------------------------------------------------------------
# The generated cases
# ---------------------------------------------------------------------------

def ms(sec_after_t0):
    return (T0 + sec_after_t0) * 1000


def cond(key, value, vtype="StringValue"):
    v = {"_type": vtype, "value": value} if vtype else {"value": value}
    return {"_type": "EqualityCondition", "key": key, "value": v}


GAUGE_A = [cond("__gauge__", "mirror_test_gauge"), cond("instance", "a")]
REQUESTS = [cond("__counter__", "mirror_test_requests_total"),
            cond("job", "demo")]
EVENTS = [cond("__counter__", "mirror_test_events_total")]
EXPR_GAUGE = [cond("~", 'mirror_test_gauge{instance="a"} * 2')]
SIMPLE = ["MEAN", "MIN", "MAX", "SUM", "EVENT_COUNT", "SUM_NO_ZEROS",
          "EVENT_COUNT_NO_ZEROS"]
SMALL_PCT = ["PERCENTILE_25", "PERCENTILE_50", "PERCENTILE_75"]
ALL_PCT = list(PERCENTILES)


def window_text(start, end):
    return "T0%+ds..T0%+ds" % (start // 1000 - T0, end // 1000 - T0)


def case_specs():
    """(name, description, conditions, start, end, extra query fields,
    extra connection details, url, points check) for every generated case."""
    S = []

    def add(name, desc, conds, a, b, query=None, details=None,
            url="{{PROM_URL}}", arith=False):
        S.append((name, desc, conds, ms(a), ms(b), query or {},
                  details or {}, url, arith))

    # -- gauge, raw ---------------------------------------------------------
    g = "mirror_test_gauge{instance=\"a\"} (t = T0+15k s, value (k mod 10)/2)"
    add("metric-gauge-raw", "raw gauge " + g + ", window T0+60s..T0+120s: both "
        "ends included, samples k=4..8", GAUGE_A, 60, 120)
    add("metric-gauge-raw-between-samples", "raw gauge " + g + ", window "
        "T0+61s..T0+119s: only samples k=5..7 lie inside", GAUGE_A, 61, 119)
    add("metric-gauge-raw-one-instant", "raw gauge " + g + ", startTime = "
        "endTime = T0+60s on a sample: exactly that sample", GAUGE_A, 60, 60)
    add("metric-gauge-raw-limit", "raw gauge " + g + ", window T0+60s..T0+120s "
        "(5 samples) with limit 3: the first 3, isPartial true",
        GAUGE_A, 60, 120, query={"limit": 3})
    add("metric-gauge-raw-limit-equal", "raw gauge " + g + ", 5 samples and "
        "limit 5: all of them, isPartial false", GAUGE_A, 60, 120,
        query={"limit": 5})
    add("metric-gauge-raw-name-only", "raw gauge selected by its name alone "
        "(it has one series); window T0+7185s..T0+7215s holds the last two "
        "samples k=479, 480", [cond("__gauge__", "mirror_test_gauge")],
        7185, 7215)
    add("metric-gauge-raw-dense", "raw gauge mirror_test_dense (1 s "
        "resolution, value = seconds since T0) over T0..T0+14399s: all 14400 "
        "samples", [cond("__gauge__", "mirror_test_dense")], 0, 14399,
        arith=True)
    add("metric-gauge-raw-via-basic-auth", "raw gauge through the basic-auth "
        "front, with the right credentials (same answer as metric-gauge-raw)",
        GAUGE_A, 60, 120, url="{{BASIC_URL}}",
        details={"basic_auth": {"username": "mirror", "password": "basic-secret"}})
    add("metric-gauge-raw-via-bearer", "raw gauge through the bearer-token "
        "front, with the right token", GAUGE_A, 60, 120, url="{{BEARER_URL}}",
        details={"bearer_token": "bearer-secret"})
    add("metric-gauge-raw-via-tenant-header", "raw gauge through a front that "
        "demands X-Scope-OrgID: tenant-1, sent via connectionDetails.headers",
        GAUGE_A, 60, 120, url="{{TENANT_URL}}",
        details={"headers": {"X-Scope-OrgID": "tenant-1"}})
    add("metric-gauge-raw-legacy-details", "raw gauge with the legacy "
        "connection details {host, port, requestTimeout}", GAUGE_A, 60, 120,
        url=None, details={"host": "{{PROM_HOST}}", "port": "{{PROM_PORT}}",
                           "requestTimeout": 20000})

    # -- counter, raw -------------------------------------------------------
    r = ("mirror_test_requests_total (t = T0+15k s, rate (k mod 4)+1 per s, "
         "reset at k=240, sample k=100 missing)")
    add("metric-counter-raw", "raw counter " + r + ", window T0+600s..T0+660s:"
        " the rate at T0+600s uses the look-back sample k=39", REQUESTS, 600, 660)
    add("metric-counter-raw-start-between-samples", "raw counter " + r +
        ", window T0+605s..T0+650s: the sample at T0+600s (before startTime) "
        "is read only to compute the first rate", REQUESTS, 605, 650)
    add("metric-counter-raw-reset", "raw counter " + r + ", window "
        "T0+3570s..T0+3630s across the reset at T0+3600s: the increase after "
        "the reset is the new value (15, rate 1)", REQUESTS, 3570, 3630)
    add("metric-counter-raw-missing-sample", "raw counter " + r + ", window "
        "T0+1470s..T0+1530s: T0+1500s is missing, so the rate at T0+1515s "
        "spans 30 s: (15*1+15*2)/30 = 1.5", REQUESTS, 1470, 1530)
    add("metric-counter-raw-series-start", "raw counter " + r + ", window "
        "T0..T0+45s: the first sample has no predecessor, so no rate",
        REQUESTS, 0, 45)
    add("metric-counter-raw-limit", "raw counter " + r + ", 5 rates and "
        "limit 2", REQUESTS, 600, 660, query={"limit": 2})
    e = ("mirror_test_events_total (samples at T0+0,15,30,45,60 rising 1/s, "
         "then T0+660,675,690 rising 2/s, flat at T0+720..765)")
    add("metric-counter-raw-lookback-too-old", "raw counter " + e + ", window "
        "T0+600s..T0+800s: the sample before startTime (T0+60s) is more than "
        "5 minutes older, so T0+660s gets no rate", EVENTS, 600, 800)
    add("metric-counter-raw-long-interval", "raw counter " + e + ", window "
        "T0+30s..T0+700s: the rate at T0+660s spans the 600 s hole: "
        "1200/600 = 2", EVENTS, 30, 700)
    add("metric-counter-raw-summary-count", "raw counter "
        "mirror_test_latency_seconds_count (a summary's _count: 15, 30, 45)",
        [cond("__counter__", "mirror_test_latency_seconds_count")], 0, 30)

    # -- ~, raw -------------------------------------------------------------
    x = 'expression mirror_test_gauge{instance="a"} * 2'
    add("metric-expr-raw-step60", "~ " + x + ", step_seconds 60, window "
        "T0+10s..T0+305s: grid T0+60s..T0+300s (multiples of 60 s since the "
        "epoch)", EXPR_GAUGE, 10, 305, details={"step_seconds": 60})
    add("metric-expr-raw-default-step", "~ " + x + ", no step_seconds (30 s),"
        " window T0..T0+90s", EXPR_GAUGE, 0, 90)
    add("metric-expr-raw-ignores-conditions", "~ " + x + " with extra "
        "conditions instance=b, job=nope: ~ ignores them (same answer as "
        "metric-expr-raw-step60)",
        EXPR_GAUGE + [cond("instance", "b"), cond("job", "nope")], 10, 305,
        details={"step_seconds": 60})
    add("metric-expr-raw-limit", "~ " + x + ", step 60, 5 grid points and "
        "limit 2", EXPR_GAUGE, 10, 305, query={"limit": 2},
        details={"step_seconds": 60})
    add("metric-expr-split-dense", "~ mirror_test_dense with step_seconds 1 "
        "over T0..T0+12000s: 12001 steps, more than Prometheus' 11000 per "
        "query_range call, so the mirror must split and join",
        [cond("~", "mirror_test_dense")], 0, 12000,
        details={"step_seconds": 1}, arith=True)
    add("metric-expr-raw-nan-zero", "~ mirror_test_nan (1, NaN, 2, +Inf, 3, "
        "-Inf, 0, NaN, 4 every 15 s) with step 15: NaN -> 0, Inf left out",
        [cond("~", "mirror_test_nan")], 0, 120, details={"step_seconds": 15})
    add("metric-expr-raw-nan-none", "~ mirror_test_nan with step 15 and "
        "nan_interpretation NONE: NaN and Inf left out",
        [cond("~", "mirror_test_nan")], 0, 120,
        details={"step_seconds": 15, "nan_interpretation": "NONE"})

    # -- NaN / Inf ------------------------------------------------------------
    nan = [cond("__gauge__", "mirror_test_nan")]
    n = "mirror_test_nan (1, NaN, 2, +Inf, 3, -Inf, 0, NaN, 4 every 15 s from T0)"
    add("metric-nan-raw-default", "raw " + n + ", no nan_interpretation "
        "(ZERO): NaN -> 0, +Inf and -Inf left out", nan, 0, 120)
    add("metric-nan-raw-zero", "raw " + n + ", nan_interpretation ZERO",
        nan, 0, 120, details={"nan_interpretation": "ZERO"})
    add("metric-nan-raw-none", "raw " + n + ", nan_interpretation NONE: NaN "
        "and Inf left out", nan, 0, 120, details={"nan_interpretation": "NONE"})
    add("metric-nan-raw-zero-limit", "raw " + n + ", ZERO, limit 3: Inf is "
        "dropped before the limit applies", nan, 0, 120, query={"limit": 3})
    add("metric-nan-raw-none-limit", "raw " + n + ", NONE, limit 3", nan, 0,
        120, query={"limit": 3}, details={"nan_interpretation": "NONE"})
    for m in ("MEAN", "SUM", "EVENT_COUNT", "MAX"):
        for mode in ("ZERO", "NONE"):
            add("metric-nan-agg-%s-%s" % (m.lower(), mode.lower()),
                "%s over 60 s buckets of %s, nan_interpretation %s" % (m, n, mode),
                nan, 0, 120, query={"aggregation": agg(m, 60)},
                details={"nan_interpretation": mode})

    # -- gauge, aggregated ------------------------------------------------------
    for m in SIMPLE + SMALL_PCT:
        add("metric-gauge-agg-%s" % m.lower(), "%s over 60 s buckets of gauge "
            "%s; window T0+30s..T0+300s: 5 buckets, the first starts at T0 "
            "(before startTime) and is read whole" % (m, g), GAUGE_A, 30, 300,
            query={"aggregation": agg(m, 60)})
    for m in ALL_PCT:
        add("metric-gauge-agg-%s-101" % m.lower(), "%s over 1515 s buckets "
            "(101 samples each, so every rank p*(n-1) is whole) of gauge %s; "
            "window T0+1000s..T0+5235s: buckets T0+690s, T0+2205s, T0+3720s"
            % (m, g), GAUGE_A, 1000, 5235, query={"aggregation": agg(m, 1515)})
    add("metric-gauge-agg-method-lowercase", "method names are "
        "case-insensitive: \"mean\" gives the MEAN answer", GAUGE_A, 30, 300,
        query={"aggregation": agg("mean", 60)})
    sp = [cond("__gauge__", "mirror_test_sparse")]
    s = ("mirror_test_sparse (buckets from T0: 0,0,0,0 | 0,2,0,4 | no samples | "
         "1,1,1,1)")
    for m in SIMPLE:
        add("metric-sparse-agg-%s" % m.lower(), "%s over 60 s buckets of %s: "
            "empty buckets give 0 for SUM/EVENT_COUNT and are left out "
            "otherwise; _NO_ZEROS drops zeros first" % (m, s), sp, 0, 240,
            query={"aggregation": agg(m, 60)})
    add("metric-gauge-agg-dense-sum", "SUM over 1 h buckets of "
        "mirror_test_dense (value = seconds since T0) over T0..T0+4h",
        [cond("__gauge__", "mirror_test_dense")], 0, 14400,
        query={"aggregation": agg("SUM", 3600)})

    # -- counter, aggregated ----------------------------------------------------
    for m in SIMPLE + SMALL_PCT:
        add("metric-counter-agg-%s" % m.lower(), "%s over 60 s buckets of "
            "counter %s; window T0+1450s..T0+1620s: buckets T0+1440s, "
            "T0+1500s (holds the 30 s rate 1.5), T0+1560s. SUM = increase, "
            "MEAN = increase / summed intervals" % (m, r), REQUESTS, 1450, 1620,
            query={"aggregation": agg(m, 60)})
    for m in ALL_PCT:
        add("metric-counter-agg-%s-101" % m.lower(), "%s over 1515 s buckets "
            "(101 rates each) of counter %s; window T0+2205s..T0+5235s, the "
            "first bucket holds the reset" % (m, r), REQUESTS, 2205, 5235,
            query={"aggregation": agg(m, 1515)})
    for m in ("SUM", "MEAN"):
        add("metric-counter-agg-%s-reset" % m.lower(), "%s over 60 s buckets "
            "of counter %s across the reset at T0+3600s" % (m, r), REQUESTS,
            3540, 3660, query={"aggregation": agg(m, 60)})
    for m in SIMPLE:
        add("metric-counter-agg-%s-events" % m.lower(), "%s over 60 s buckets "
            "of counter %s; window T0..T0+780s: 13 buckets, 9 of them empty, "
            "the last one all zero rates" % (m, e), EVENTS, 0, 780,
            query={"aggregation": agg(m, 60)})

    # -- ~, aggregated --------------------------------------------------------
    for m in SIMPLE + SMALL_PCT:
        add("metric-expr-agg-%s" % m.lower(), "%s over 60 s buckets of ~ %s "
            "with step_seconds 15 (4 grid points per bucket); window "
            "T0..T0+300s" % (m, x), EXPR_GAUGE, 0, 300,
            query={"aggregation": agg(m, 60)}, details={"step_seconds": 15})
    for m in ALL_PCT:
        add("metric-expr-agg-%s-101" % m.lower(), "%s over 1515 s buckets of "
            "~ %s with step_seconds 15 (101 grid points per bucket); window "
            "T0+2205s..T0+5235s" % (m, x), EXPR_GAUGE, 2205, 5235,
            query={"aggregation": agg(m, 1515)}, details={"step_seconds": 15})
    for m in ("SUM", "EVENT_COUNT"):
        add("metric-expr-agg-dense-%s" % m.lower(), "%s over 1 h buckets of ~ "
            "mirror_test_dense with step_seconds 1 over T0..T0+4h (14401 "
            "steps: split into several query_range calls)" % m,
            [cond("~", "mirror_test_dense")], 0, 14400,
            query={"aggregation": agg(m, 3600)}, details={"step_seconds": 1})

    # -- selectors: hostile values, keywords, value types ---------------------
    h = [cond("__gauge__", "mirror_test_hostile")]
    add("metric-hostile-quote", "label value with double quotes: "
        "quote = say \"hi\" selects the hostile series (value 7)",
        h + [cond("quote", 'say "hi"')], 0, 30)
    add("metric-hostile-backslash", "label value with backslashes: "
        "backslash = C:\\temp\\new", h + [cond("backslash", "C:\\temp\\new")], 0, 30)
    add("metric-hostile-utf8", "UTF-8 label value greeting = Grüße",
        h + [cond("greeting", "Grüße")], 0, 30)
    add("metric-hostile-newline", "label value with a newline: "
        "multiline = one\\ntwo", h + [cond("multiline", "one\ntwo")], 0, 30)
    add("metric-hostile-regex-literal", "StringValue a.b|c is an exact match, "
        "not a regex (a regex would select the decoys axb and c: too many)",
        h + [cond("regex", "a.b|c")], 0, 30)
    add("metric-hostile-inset-escaped", "InSetValue [a.b|c]: the member is "
        "regex-escaped (unescaped it would match axb and c, not a.b|c)",
        h + [cond("regex", ["a.b|c"], "InSetValue")], 0, 30)
    add("metric-hostile-inset-one-member-matches", "InSetValue [c, zzz]: only "
        "the decoy2 series (value 9) has regex=c",
        h + [cond("regex", ["zzz", "c"], "InSetValue")], 0, 30)
    add("metric-keyword-bool", "a metric named bool (a PromQL keyword)",
        [cond("__gauge__", "bool")], 0, 30)
    add("metric-keyword-offset", "a metric named offset (a PromQL keyword)",
        [cond("__gauge__", "offset")], 0, 30)
    t = [cond("__gauge__", "mirror_test_typed")]
    add("metric-double-integral", "DoubleValue 2.0 matches the label value "
        "\"2\" (series value 5)", t + [cond("weight", 2.0, "DoubleValue")], 0, 30)
    add("metric-double-integral-dot-zero", "DoubleValue 3 matches the label "
        "value \"3.0\" (value 6) and not the decoy \"3x0\" (the dot is "
        "escaped)", t + [cond("weight", 3, "DoubleValue")], 0, 30)
    add("metric-double-fraction", "DoubleValue 0.25 matches \"0.25\"",
        t + [cond("ratio", 0.25, "DoubleValue")], 0, 30)
    add("metric-boolean-true", "BooleanValue true matches \"true\" (value 5)",
        t + [cond("enabled", True, "BooleanValue")], 0, 30)
    add("metric-boolean-false", "BooleanValue false matches \"false\" (value 6)",
        t + [cond("enabled", False, "BooleanValue")], 0, 30)
    up = [cond("__gauge__", "mirror_test_up")]
    add("metric-inset-instance", "InSetValue [web-1, db-9] on instance: only "
        "web-1 exists (value 1)",
        up + [cond("instance", ["web-1", "db-9"], "InSetValue")], 0, 30)
    add("metric-inset-duplicates", "InSetValue [web-2, web-2]: duplicates are "
        "harmless (value 2)",
        up + [cond("instance", ["web-2", "web-2"], "InSetValue")], 0, 30)
    add("metric-pair-one-instance", "mirror_test_pair has instances a and b; "
        "instance=b selects one (value 2)",
        [cond("__gauge__", "mirror_test_pair"), cond("instance", "b")], 0, 30)
    add("metric-value-type-missing", "a condition value without _type is a "
        "StringValue: instance=b",
        [cond("__gauge__", "mirror_test_pair"), cond("instance", "b", None)],
        0, 30)
    return S


def agg(method, seconds):
    return {"_type": "Aggregation", "method": method,
            "bucketSizeMillis": seconds * 1000}


def build_case(spec):
    name, desc, conds, start, end, qextra, dextra, url, arith = spec
    details = {} if url is None else {"url": url}
    details.update(dextra)
    query = {"_type": "MetricsQuery", "conditions": conds,
             "startTime": start, "endTime": end}
    query.update(qextra)
    telemetry = expected_telemetry(query, details, ALL_SERIES)
    vm_telemetry = expected_telemetry(query, details, VICTORIA_SERIES)
    if "window" not in desc:
        desc += " [window %s]" % window_text(start, end)
    case = {"description": desc,
            "generated_by": GENERATED_MARK,
            "method": "POST", "path": "/api/metric",
            "body": {"_type": "MetricsRequest", "connectionDetails": details,
                     "query": query},
            "expect_status": 200}
    if arith:
        pts = telemetry["points"]
        v0, t0 = pts[0]
        dv, dt = pts[1][0] - v0, pts[1][1] - t0
        if any(p != [v0 + i * dv, t0 + i * dt] for i, p in enumerate(pts)):
            raise OracleError(name + ": points are not an arithmetic run")
        case["expect_body_subset"] = {
            "_type": "MetricsResponse",
            "telemetry": {k: v for k, v in telemetry.items() if k != "points"}}
        case["expect_points_arith"] = {"count": len(pts), "first": [v0, t0],
                                       "value_step": dv, "time_step_ms": dt}
    else:
        case["expect_body"] = {"_type": "MetricsResponse", "telemetry": telemetry}
    if vm_telemetry != telemetry:
        if arith:
            raise OracleError(name + ": no VictoriaMetrics override for arithmetic runs")
        case["victoria"] = {
            "note": VICTORIA_NAN_NOTE,
            "expect_body": {"_type": "MetricsResponse", "telemetry": vm_telemetry}}
    return name, case


# A small JSON writer that keeps each point on one line.
def dump(obj, indent=0):
    pad = "  " * indent
    if isinstance(obj, dict):
        if not obj:
            return "{}"
        items = ['%s  %s: %s' % (pad, json.dumps(k, ensure_ascii=False),
                                 dump(v, indent + 1)) for k, v in obj.items()]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if isinstance(obj, list):
        flat = json.dumps(obj, ensure_ascii=False)
        if all(not isinstance(v, (dict, list)) for v in obj) and len(flat) < 100:
            return flat
        items = ["%s  %s" % (pad, dump(v, indent + 1)) for v in obj]
        return "[\n" + ",\n".join(items) + "\n" + pad + "]"
    return json.dumps(obj, ensure_ascii=False)


def generated_files():
    """{path: content} of everything this script owns."""
    files = {}
    for spec in case_specs():
        name, case = build_case(spec)
        files[os.path.join(CASES, name + ".json")] = dump(case) + "\n"
    return files


def stale_generated(files):
    """Case files marked as generated that the script no longer makes."""
    out = []
    if os.path.isdir(CASES):
        for fn in sorted(os.listdir(CASES)):
            p = os.path.join(CASES, fn)
            if fn.endswith(".json") and p not in files:
                with open(p, encoding="utf-8") as f:
                    if GENERATED_MARK in f.read():
                        out.append(p)
    return out


# ---------------------------------------------------------------------------
# --verify: does a live backend hold this history?
# ---------------------------------------------------------------------------

def api(base, path, **params):
    url = base.rstrip("/") + "/" + path + "?" + urllib.parse.urlencode(params)
    with urllib.request.urlopen(url, timeout=30) as r:
        body = json.load(r)
    if body.get("status") != "success":
        raise RuntimeError("%s: %s" % (url, body))
    return body["data"]


def promql_string(v):
    return '"' + v.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def matcher(s):
    parts = ['__name__=%s' % promql_string(s.name)]
    parts += ['%s=%s' % (k, promql_string(v)) for k, v in s.labels.items()]
    return "{" + ",".join(parts) + "}"


def same_value(a, b):
    return (math.isnan(a) and math.isnan(b)) or a == b


def verify(base):
    """Compare every series and some aggregates with the backend at base.
    Returns the list of differences (empty when the backend agrees)."""
    diffs = []
    for s in ALL_SERIES:
        first, last = s.samples[0][0], s.samples[-1][0]
        rng = last - first + 1
        data = api(base, "api/v1/query", query="%s[%ds]" % (matcher(s), rng),
                   time=last)
        got = [(int(float(t)), float(v)) for r in data["result"]
               for t, v in r["values"]]
        want = s.samples
        if len(got) != len(want) or not all(
                a[0] == b[0] and same_value(a[1], b[1]) for a, b in zip(got, want)):
            missing = [w for w in want if not any(
                g[0] == w[0] and same_value(g[1], w[1]) for g in got)]
            diffs.append("%s: %d samples stored, %d expected; not stored: %s"
                         % (s.selector(), len(got), len(want), missing[:5]))
    # the simple aggregates the cases use, recomputed by PromQL functions
    g = [x for x in ALL_SERIES if x.name == "mirror_test_gauge"][0]
    checks = [(name, "quantile_over_time(%s, %s[1515s])" % (q, matcher(g)), 1515)
              for name, q in PERCENTILES.items()]
    checks += [("MIN", "min_over_time(%s[60s])" % matcher(g), 60),
               ("MAX", "max_over_time(%s[60s])" % matcher(g), 60),
               ("SUM", "sum_over_time(%s[60s])" % matcher(g), 60),
               ("EVENT_COUNT", "count_over_time(%s[60s])" % matcher(g), 60),
               ("MEAN", "avg_over_time(%s[60s])" % matcher(g), 60)]
    for method, expr, b in checks:
        for k in range((T0 + 690) // b, (T0 + 5235) // b):
            t_end = (k + 1) * b
            if t_end > T0 + 7200:
                break
            # a range (t - d, t] evaluated 1 ms before the bucket end
            data = api(base, "api/v1/query", query=expr, time="%.3f" % (t_end - 0.001))
            got = float(data["result"][0]["value"][1])
            pts = [(t * 1000, v) for t, v in g.samples if k * b <= t < t_end]
            want = aggregate_bucket(method, pts, False) if method != "MEAN" else \
                float(sum(Fraction(p[1]) for p in pts) / len(pts))
            if got != want:
                diffs.append("%s bucket %d: PromQL %r, oracle %r" % (method, k * b, got, want))
    # ~ raw: the grid values
    for expr, step in (('mirror_test_gauge{instance="a"} * 2', 60),
                       ("mirror_test_nan", 15)):
        lo, hi = ms(0), ms(300 if step == 60 else 120)
        data = api(base, "api/v1/query_range", query=expr, start=lo // 1000,
                   end=hi // 1000, step=step)
        got = [(int(float(t)) * 1000, float(v)) for r in data["result"]
               for t, v in r["values"]]
        want = expr_stream(ALL_SERIES, expr, step, lo, hi)
        if len(got) != len(want) or not all(
                a[0] == b[0] and same_value(a[1], b[1]) for a, b in zip(got, want)):
            diffs.append("query_range %s step %d: got %s, oracle %s" % (expr, step, got, want))
    return diffs


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--check", action="store_true")
    ap.add_argument("--check-om", metavar="FILE")
    ap.add_argument("--verify", metavar="URL")
    args = ap.parse_args()
    if args.check_om:
        diffs = check_om(args.check_om)
        for d in diffs[:40]:
            print("DIFF " + d)
        if len(diffs) > 40:
            print("... and %d more" % (len(diffs) - 40))
        if diffs:
            print("%s: %d differences from the model" % (args.check_om, len(diffs)))
            return 1
        print("%s: %d series, %d samples, exactly as modelled"
              % (args.check_om, len(ALL_SERIES), sum(len(s.samples) for s in ALL_SERIES)))
        return 0
    if args.verify:
        diffs = verify(args.verify)
        for d in diffs:
            print("DIFF " + d)
        print("%d differences" % len(diffs))
        return 1 if diffs else 0
    files = generated_files()
    stale = stale_generated(files)
    if args.check:
        bad = [p for p, c in files.items() if not os.path.exists(p)
               or open(p, encoding="utf-8").read() != c] + stale
        for p in bad:
            print("stale: " + os.path.relpath(p, HERE))
        return 1 if bad else 0
    os.makedirs(CASES, exist_ok=True)
    for p in stale:
        os.remove(p)
    for p, c in files.items():
        with open(p, "w", encoding="utf-8") as f:
            f.write(c)
    print("wrote %d cases" % len(files))
    return 0


if __name__ == "__main__":
    sys.exit(main())
