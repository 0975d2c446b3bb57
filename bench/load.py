#!/usr/bin/env python3
"""load.py - a small, repeatable HTTP load for bench/run: C client threads,
each with one keep-alive connection, send N requests in all (GET, or POST of
a body) and the latencies are measured per request. Prints one JSON object:
{"requests", "seconds", "rps", "p50_ms", "p95_ms", "errors"}. An answer
whose status is not the expected one counts as an error (and fails the run
when any occurs, so a broken setup never passes for a fast one)."""
import argparse
import http.client
import json
import sys
import threading
import time
import urllib.parse


def worker(url, body, method, count, expect, lat, errors, lock):
    u = urllib.parse.urlsplit(url)
    path = u.path + ("?" + u.query if u.query else "")
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
    mine = []
    bad = 0
    headers = {"Content-Type": "application/json"} if body is not None else {}
    for _ in range(count):
        t0 = time.perf_counter()
        try:
            conn.request(method, path, body=body, headers=headers)
            r = conn.getresponse()
            r.read()
            if r.status != expect:
                bad += 1
        except (OSError, http.client.HTTPException):
            bad += 1
            conn.close()
            conn = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
        mine.append(time.perf_counter() - t0)
    conn.close()
    with lock:
        lat.extend(mine)
        errors[0] += bad


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--url", required=True)
    ap.add_argument("--body-file", help="POST this file's bytes (else GET)")
    ap.add_argument("--requests", type=int, default=200)
    ap.add_argument("--concurrency", type=int, default=4)
    ap.add_argument("--expect", type=int, default=200)
    a = ap.parse_args()
    body = open(a.body_file, "rb").read() if a.body_file else None
    method = "POST" if body is not None else "GET"
    per = [a.requests // a.concurrency] * a.concurrency
    for i in range(a.requests % a.concurrency):
        per[i] += 1
    lat, errors, lock = [], [0], threading.Lock()
    threads = [threading.Thread(target=worker, args=(a.url, body, method, n, a.expect,
                                                      lat, errors, lock)) for n in per]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seconds = time.perf_counter() - t0
    lat.sort()
    pick = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))] * 1000.0
    print(json.dumps({"requests": len(lat), "seconds": round(seconds, 4),
                      "rps": round(len(lat) / seconds, 1), "p50_ms": round(pick(0.5), 3),
                      "p95_ms": round(pick(0.95), 3), "errors": errors[0]}))
    return 1 if errors[0] else 0


if __name__ == "__main__":
    sys.exit(main())
