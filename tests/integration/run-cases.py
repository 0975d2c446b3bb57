#!/usr/bin/env python3
"""run-cases.py - run the declarative cases of tests/data/cases against a
running mirror (normally its nginx front) and compare the answers.

usage: run-cases.py --base-url http://127.0.0.1:PORT [--api-key KEY]
                    [--var NAME=VALUE ...] [--victoria-url URL] [-j N]
                    [--aws-url URL --aws-block JSON] [CASE ...]

CASE is a case file, a directory of them, or a bare case name (looked up in
tests/data/cases); default: every case.  Prints "ok NAME" or "FAIL NAME:
reason" (with a diff below) per case and run, then, as the last line,
exactly "N passed, N failed".  Exit status 1 when anything failed.

A case is one JSON object:
  description        what it checks (free text)
  method, path       the request (method defaults to POST with a body, GET
                     without)
  body | raw_body    a JSON document, or a string sent as it is
  raw_body_parts     instead of body or raw_body: a list of strings and
                     {"repeat": STRING, "times": N} items, sent one after
                     the other; for large generated bodies (100000 "[",
                     a 60 KB label value, 1001 conditions, ...)
  raw_body_encoding  how raw_body / raw_body_parts text becomes bytes:
                     "utf-8" (default) or "latin-1", where every character
                     U+0000..U+00FF is the one byte of that value: a case
                     can send bytes that are not UTF-8 ("\\u00ff" in the
                     case file is the byte 0xff)
  pad_body_to_bytes  grow "body" to this many bytes with an ignored field
  headers            extra request headers
  expect_status      the HTTP status (required)
  expect_body        the exact JSON answer
  expect_body_subset a JSON answer that must match where given (objects:
                     the keys given; arrays: same length, item by item)
  expect_details_contains  a string (or a list: any of them) that the
                     error's "details" must contain
  expect_metric_contains   likewise for MetricNotFoundError's "metric"
  expect_body_not_contains strings that must not occur anywhere in the
                     answer: body or header values (a secret, a password)
  expect_headers     {name: exact value}; expect_headers_contain: {name:
                     substring}
  expect_content_type      default application/json
  expect_text_contains     for answers that are not JSON
  expect_points_arith      {count, first: [value, ts], value_step,
                     time_step_ms}: telemetry.points is that arithmetic run
  max_seconds        the answer must come within this many seconds
  backends           ["prometheus"] or ["prometheus", "victoria"] (default)
  victoria           keys that replace the case's own in the VictoriaMetrics
                     run (a documented difference of that backend); a key
                     set to null there is dropped for that run
  note, generated_by free text
In expectations "<any-string>" matches any non-empty string and
"<any-number>" any number.  Every answer must also carry
X-MIRROR-API-KEY: KEY.  Numbers compare as parsed JSON numbers, exactly
(1 equals 1.0; true is not 1).

Placeholders {{NAME}} in body, raw_body, raw_body_parts, path and headers
come from --var (PROM_URL, PROM_HOST, PROM_PORT, BASIC_URL, ...); a string
that is exactly "{{..._PORT}}" becomes a JSON integer.  With --victoria-url
every case that uses PROM_URL, PROM_HOST or PROM_PORT runs a second time
("NAME@victoria") with those pointing at VictoriaMetrics; cases that do not
name the backend would only repeat themselves and run once.

With --aws-url and --aws-block (test-aws.sh), only the cases that go to
the test Prometheus in the current connectionDetails form run, each as
"NAME@aws": a case whose "body" is an object with connectionDetails.url
exactly "{{PROM_URL}}", not a hostile- case, and not limited to another
backend.  PROM_URL becomes the AWS URL (a SigV4 verifier in front of the
same Prometheus) and connectionDetails gains "aws": the JSON given (its
strings may use {{NAME}} placeholders too).  The answers must be the same
as without AWS.
"""

import argparse
import concurrent.futures
import http.client
import json
import os
import re
import sys
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_CASES = os.path.normpath(os.path.join(HERE, "..", "data", "cases"))
BACKEND_VARS = ("PROM_URL", "PROM_HOST", "PROM_PORT")
PLACEHOLDER = re.compile(r"\{\{([A-Z0-9_]+)\}\}")
KNOWN_KEYS = {
    "description", "method", "path", "body", "raw_body", "raw_body_parts",
    "raw_body_encoding", "pad_body_to_bytes",
    "headers", "expect_status", "expect_body", "expect_body_subset",
    "expect_details_contains", "expect_metric_contains",
    "expect_body_not_contains", "expect_headers", "expect_headers_contain",
    "expect_content_type", "expect_text_contains", "expect_points_arith",
    "max_seconds", "backends", "victoria", "note", "generated_by",
}
MAX_DIFFS = 12
ENCODINGS = ("utf-8", "latin-1")


class CaseError(Exception):
    """The case file itself is wrong (not the mirror)."""


# ---------------------------------------------------------------------------
# placeholders
# ---------------------------------------------------------------------------

def substitute(obj, vars_):
    """A copy of obj with every {{NAME}} replaced; raises CaseError on an
    unknown name."""
    if isinstance(obj, dict):
        return {k: substitute(v, vars_) for k, v in obj.items()}
    if isinstance(obj, list):
        return [substitute(v, vars_) for v in obj]
    if isinstance(obj, str):
        m = PLACEHOLDER.fullmatch(obj)
        if m and m.group(1).endswith("_PORT"):
            return int(lookup(m.group(1), vars_))
        return PLACEHOLDER.sub(lambda mm: lookup(mm.group(1), vars_), obj)
    return obj


def lookup(name, vars_):
    if name not in vars_:
        raise CaseError("unknown placeholder {{%s}}" % name)
    return vars_[name]


def uses_backend(case):
    text = json.dumps([case.get("body"), case.get("raw_body"),
                       case.get("raw_body_parts"), case.get("path")])
    return any("{{%s}}" % v in text for v in BACKEND_VARS)


# ---------------------------------------------------------------------------
# comparing JSON
# ---------------------------------------------------------------------------

def is_number(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def show(v):
    s = json.dumps(v, ensure_ascii=False)
    return s if len(s) <= 120 else s[:117] + "..."


def compare(exp, got, path, diffs, subset):
    """Append to diffs a line per difference between exp and got."""
    if len(diffs) >= MAX_DIFFS:
        return
    where = path or "(body)"
    if exp == "<any-string>":
        if not (isinstance(got, str) and got):
            diffs.append("at %s: expected a non-empty string, got %s" % (where, show(got)))
        return
    if exp == "<any-number>":
        if not is_number(got):
            diffs.append("at %s: expected a number, got %s" % (where, show(got)))
        return
    if isinstance(exp, bool) or isinstance(got, bool):
        if not (isinstance(exp, bool) and isinstance(got, bool) and exp == got):
            diffs.append("at %s: expected %s, got %s" % (where, show(exp), show(got)))
        return
    if is_number(exp):
        if not is_number(got) or exp != got:
            diffs.append("at %s: expected %s, got %s" % (where, show(exp), show(got)))
        return
    if isinstance(exp, dict):
        if not isinstance(got, dict):
            diffs.append("at %s: expected an object, got %s" % (where, show(got)))
            return
        for k in exp:
            if k not in got:
                diffs.append("at %s: missing key %s" % (where, show(k)))
            else:
                compare(exp[k], got[k], "%s.%s" % (path, k) if path else k,
                        diffs, subset)
        if not subset:
            for k in got:
                if k not in exp:
                    diffs.append("at %s: unexpected key %s = %s" % (where, show(k), show(got[k])))
        return
    if isinstance(exp, list):
        if not isinstance(got, list):
            diffs.append("at %s: expected an array, got %s" % (where, show(got)))
            return
        if len(exp) != len(got):
            diffs.append("at %s: expected %d items, got %d" % (where, len(exp), len(got)))
        for i, (e, g) in enumerate(zip(exp, got)):
            compare(e, g, "%s[%d]" % (path, i), diffs, subset)
        if len(got) > len(exp):
            diffs.append("at %s: first extra item %s" % (where, show(got[len(exp)])))
        elif len(exp) > len(got):
            diffs.append("at %s: first missing item %s" % (where, show(exp[len(got)])))
        return
    if exp != got:
        diffs.append("at %s: expected %s, got %s" % (where, show(exp), show(got)))


def reject_constant(name):
    raise ValueError("%s is not JSON" % name)


def no_duplicates(pairs):
    obj = {}
    for k, v in pairs:
        if k in obj:
            raise ValueError("duplicate key %s" % json.dumps(k))
        obj[k] = v
    return obj


def parse_json(text):
    """Strict JSON: no NaN/Infinity, no duplicate keys."""
    return json.loads(text, parse_constant=reject_constant,
                      object_pairs_hook=no_duplicates)


def error_field(body, name):
    """A field of a typed error, at top level or under "error"."""
    if isinstance(body, dict):
        if isinstance(body.get(name), str):
            return body[name]
        err = body.get("error")
        if isinstance(err, dict) and isinstance(err.get(name), str):
            return err[name]
    return None


# ---------------------------------------------------------------------------
# one case
# ---------------------------------------------------------------------------

def load_case(path):
    with open(path, encoding="utf-8") as f:
        case = json.load(f)
    if not isinstance(case, dict):
        raise CaseError("a case is a JSON object")
    unknown = set(case) - KNOWN_KEYS
    if unknown:
        raise CaseError("unknown keys: " + ", ".join(sorted(unknown)))
    if "expect_status" not in case or "path" not in case:
        raise CaseError("path and expect_status are required")
    given = [k for k in ("body", "raw_body", "raw_body_parts") if k in case]
    if len(given) > 1:
        raise CaseError(" and ".join(given) + " exclude each other")
    parts = case.get("raw_body_parts")
    if parts is not None:
        if not isinstance(parts, list) or not all(part_ok(p) for p in parts):
            raise CaseError('raw_body_parts is a list of strings and '
                            '{"repeat": STRING, "times": N >= 0}')
    if case.get("raw_body_encoding", "utf-8") not in ENCODINGS:
        raise CaseError("raw_body_encoding is one of " + ", ".join(ENCODINGS))
    if "raw_body_encoding" in case and "raw_body" not in case and parts is None:
        raise CaseError("raw_body_encoding needs raw_body or raw_body_parts")
    return case


def part_ok(p):
    """One item of raw_body_parts: a string or {"repeat": s, "times": n}."""
    if isinstance(p, str):
        return True
    return (isinstance(p, dict) and set(p) == {"repeat", "times"}
            and isinstance(p["repeat"], str) and isinstance(p["times"], int)
            and not isinstance(p["times"], bool) and p["times"] >= 0)


def build_request(case, vars_):
    """(method, path, body bytes or None, headers) with placeholders done."""
    path = substitute(case["path"], vars_)
    headers = substitute(case.get("headers", {}), vars_)
    data = None
    if "body" in case:
        body = substitute(case["body"], vars_)
        want = case.get("pad_body_to_bytes")
        if want:
            body = dict(body)
            body["padding"] = ""
            short = want - len(json.dumps(body).encode())
            body["padding"] = "x" * max(0, short)
        data = json.dumps(body).encode()
    elif "raw_body" in case or "raw_body_parts" in case:
        if "raw_body" in case:
            text = substitute(case["raw_body"], vars_)
        else:
            text = "".join(p if isinstance(p, str) else p["repeat"] * p["times"]
                           for p in substitute(case["raw_body_parts"], vars_))
        try:
            data = text.encode(case.get("raw_body_encoding", "utf-8"))
        except UnicodeEncodeError as e:
            raise CaseError("raw body: %s" % e)
    if data is not None:
        headers.setdefault("Content-Type", "application/json")
    method = case.get("method", "POST" if data is not None else "GET")
    return method, path, data, headers


def send(base, method, path, data, headers, timeout):
    u = urllib.parse.urlsplit(base)
    conn = http.client.HTTPConnection(u.hostname, u.port or 80, timeout=timeout)
    try:
        conn.request(method, u.path.rstrip("/") + path, body=data, headers=headers)
        resp = conn.getresponse()
        return resp.status, resp.getheaders(), resp.read()
    finally:
        conn.close()


def check(case, status, headers, raw, elapsed, api_key):
    """The list of problems with one answer (empty: the case passed)."""
    problems, diffs = [], []
    hdr = {}
    for k, v in headers:
        hdr.setdefault(k.lower(), []).append(v)
    text = raw.decode("utf-8", errors="replace")

    if status != case["expect_status"]:
        problems.append("status %d, expected %d" % (status, case["expect_status"]))
        diffs.append("body: " + (text[:300] + ("..." if len(text) > 300 else "")))
    keys = hdr.get("x-mirror-api-key", [])
    if keys != [api_key]:
        problems.append("X-MIRROR-API-KEY is %s, expected %s" % (keys or "absent", api_key))
    want_ct = case.get("expect_content_type", "application/json")
    ct = hdr.get("content-type", [""])[0]
    if ct.split(";")[0].strip().lower() != want_ct.lower():
        problems.append("Content-Type %r, expected %s" % (ct, want_ct))
    for name, value in case.get("expect_headers", {}).items():
        got = hdr.get(name.lower())
        if got is None or got[0].strip() != value:
            problems.append("header %s is %r, expected %r" % (name, got and got[0], value))
    for name, value in case.get("expect_headers_contain", {}).items():
        got = hdr.get(name.lower())
        if got is None or value not in got[0]:
            problems.append("header %s is %r, expected to contain %r" % (name, got and got[0], value))
    if "max_seconds" in case and elapsed > case["max_seconds"]:
        problems.append("answered after %.1f s, limit %s s" % (elapsed, case["max_seconds"]))
    for s in case.get("expect_body_not_contains", []):
        if s in text:
            problems.append("the body contains %r" % s)
        for k, v in headers:
            if s in k or s in v:
                problems.append("the header %s contains %r" % (k, s))
    for s in ([case["expect_text_contains"]] if isinstance(case.get("expect_text_contains"), str)
              else case.get("expect_text_contains", [])):
        if s not in text:
            problems.append("the body does not contain %r" % s)

    wants_json = any(k in case for k in (
        "expect_body", "expect_body_subset", "expect_details_contains",
        "expect_metric_contains", "expect_points_arith"))
    body = None
    if want_ct.lower() == "application/json" or wants_json:
        try:
            body = parse_json(text)
        except ValueError as e:
            problems.append("the body is not valid JSON (%s): %s" % (e, text[:200]))
            wants_json = False
    if wants_json:
        if "expect_body" in case:
            compare(case["expect_body"], body, "", diffs, subset=False)
        if "expect_body_subset" in case:
            compare(case["expect_body_subset"], body, "", diffs, subset=True)
        for field, key in (("details", "expect_details_contains"),
                           ("metric", "expect_metric_contains")):
            if key in case:
                options = case[key] if isinstance(case[key], list) else [case[key]]
                got = error_field(body, field)
                if got is None or not any(o in got for o in options):
                    problems.append("%s %s does not contain %s" % (
                        field, show(got), " or ".join(map(show, options))))
        if "expect_points_arith" in case:
            check_arith(case["expect_points_arith"], body, diffs)
        if diffs and not problems:
            problems.append("the body differs")
    return problems, diffs


def check_arith(spec, body, diffs):
    """telemetry.points must be exactly [first + i * step] for i < count."""
    try:
        points = body["telemetry"]["points"]
    except (TypeError, KeyError):
        diffs.append("no telemetry.points in the body")
        return
    if not isinstance(points, list):
        diffs.append("telemetry.points is not an array")
        return
    if len(points) != spec["count"]:
        diffs.append("telemetry.points has %d points, expected %d" % (len(points), spec["count"]))
        if points:
            diffs.append("first point %s, last point %s" % (show(points[0]), show(points[-1])))
    v0, t0 = spec["first"]
    for i, p in enumerate(points[:spec["count"]]):
        want = [v0 + i * spec["value_step"], t0 + i * spec["time_step_ms"]]
        sub = []
        compare(want, p, "telemetry.points[%d]" % i, sub, subset=False)
        if sub:
            diffs.extend(sub[:2])
            diffs.append("(only the first differing point is shown)")
            return


def run_one(job):
    """Run one (name, case, vars) job; returns (name, problems, diffs)."""
    name, case, vars_, args = job
    try:
        method, path, data, headers = build_request(case, vars_)
    except CaseError as e:
        return name, ["bad case: %s" % e], []
    t = time.monotonic()
    try:
        status, hdrs, raw = send(args.base_url, method, path, data, headers, args.timeout)
    except (OSError, http.client.HTTPException) as e:
        return name, ["no answer: %s" % e], []
    elapsed = time.monotonic() - t
    problems, diffs = check(case, status, hdrs, raw, elapsed, args.api_key)
    return name, problems, diffs


def case_files(items):
    if not items:
        items = [DEFAULT_CASES]
    out = []
    for it in items:
        if os.path.isdir(it):
            out += sorted(os.path.join(it, f) for f in os.listdir(it) if f.endswith(".json"))
        elif os.path.isfile(it):
            out.append(it)
        else:
            p = os.path.join(DEFAULT_CASES, it if it.endswith(".json") else it + ".json")
            out.append(p)
    return out


def main():
    ap = argparse.ArgumentParser(
        description="Run the declarative mirror cases.",
        epilog="See the module docstring for the case format.")
    ap.add_argument("--base-url", required=True, help="the mirror (nginx front)")
    ap.add_argument("--api-key", default="test-key")
    ap.add_argument("--var", action="append", default=[], metavar="NAME=VALUE")
    ap.add_argument("--victoria-url", help="also run against VictoriaMetrics")
    ap.add_argument("--aws-url", help="run the Prometheus cases through AWS SigV4")
    ap.add_argument("--aws-block", help="connectionDetails.aws for --aws-url (JSON)")
    ap.add_argument("-j", "--jobs", type=int, default=3)
    ap.add_argument("--timeout", type=float, default=60.0)
    ap.add_argument("cases", nargs="*")
    args = ap.parse_args()

    vars_ = {}
    for v in args.var:
        k, sep, val = v.partition("=")
        if not sep:
            ap.error("--var wants NAME=VALUE: " + v)
        vars_[k] = val
    vm_vars = None
    if args.victoria_url:
        u = urllib.parse.urlsplit(args.victoria_url)
        vm_vars = dict(vars_, PROM_URL=args.victoria_url,
                       PROM_HOST=u.hostname, PROM_PORT=str(u.port))

    aws_block = None
    if args.aws_url or args.aws_block:
        if not (args.aws_url and args.aws_block):
            ap.error("--aws-url and --aws-block go together")
        aws_block = json.loads(args.aws_block)
        vm_vars = None

    jobs, broken = [], []
    for path in case_files(args.cases):
        name = os.path.splitext(os.path.basename(path))[0]
        try:
            case = load_case(path)
        except (OSError, ValueError, CaseError) as e:
            broken.append((name, ["cannot load the case: %s" % e], []))
            continue
        backends = case.get("backends", ["prometheus", "victoria"])
        if aws_block is not None:
            body = case.get("body")
            cd = body.get("connectionDetails") if isinstance(body, dict) else None
            if ("prometheus" in backends and not name.startswith("hostile-")
                    and isinstance(cd, dict) and cd.get("url") == "{{PROM_URL}}"):
                aws_case = dict(case, body=dict(body, connectionDetails=dict(
                    cd, aws=aws_block)))
                jobs.append((name + "@aws", aws_case,
                             dict(vars_, PROM_URL=args.aws_url), args))
            continue
        if "prometheus" in backends:
            jobs.append((name, case, vars_, args))
        if vm_vars is not None and "victoria" in backends and (
                uses_backend(case) or "backends" in case):
            vm_case = dict(case)
            for k, v in case.get("victoria", {}).items():
                if v is None:
                    vm_case.pop(k, None)
                else:
                    vm_case[k] = v
            jobs.append((name + "@victoria", vm_case, vm_vars, args))

    passed = failed = 0
    results = list(broken)
    with concurrent.futures.ThreadPoolExecutor(max(1, args.jobs)) as pool:
        for res in pool.map(run_one, jobs):
            results.append(res)
    for name, problems, diffs in results:
        if problems:
            failed += 1
            print("FAIL %s: %s" % (name, "; ".join(problems)))
            for d in diffs[:MAX_DIFFS]:
                print("    " + d)
        else:
            passed += 1
            print("ok " + name)
    sys.stdout.flush()
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
