#!/usr/bin/python3
"""Where a big transfer's time goes: each request's start and end, the
phases (before the first body, the bodies, after the last), and the link's
payload rate second by second, each part's bytes spread evenly over its own
duration (an approximation: a part's own rate varies within it).
Reads the gateway's access log (--access-log FILE, one JSON line a request,
`ms` the gateway's time for it, `ts` its end): uploads only, since the
gateway has read a part's last byte when the part ends, but a download's
answer ends for it when its last byte entered the socket's send buffer (32
MiB on a long link), long before the client has it. With --client it reads
the client's `--trace FILE` instead (src/client/trace.hpp), which times
downloads too: a range ends when its last byte reached the client.
Usage: bench/part_timeline.py LOG [--client] [--link-mbit 100]
"""
import argparse
import datetime
import json


def load(path):
    rows = []
    for line in open(path):
        j = json.loads(line)
        end = datetime.datetime.fromisoformat(j["ts"].replace("Z", "+00:00")).timestamp()
        start = end - j["ms"] / 1000
        body = j["bytes_in"]
        rows.append({"start": start, "end": end, "conn": j["conn"], "method": j["method"],
                     "target": j["target"], "bytes": body, "status": j["status"]})
    return sorted(rows, key=lambda r: r["start"])


def load_client_trace(path):
    rows = []
    for line in open(path):
        j = json.loads(line)
        if j.get("warmup"):
            continue
        rows.append({"start": j["start"], "end": j["end"], "conn": j["port"], "method": j["method"],
                     "target": j["path"], "bytes": j["bytes_up"] + j["bytes_down"], "status": j["status"]})
    return sorted(rows, key=lambda r: r["start"])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("log")
    ap.add_argument("--client", action="store_true", help="LOG is a client's --trace file")
    ap.add_argument("--link-mbit", type=float, default=100)
    a = ap.parse_args()
    rows = [r for r in (load_client_trace(a.log) if a.client else load(a.log)) if r["target"] != "/healthz"]
    bulk = [r for r in rows if r["bytes"] >= 1 << 20]
    if not bulk:
        raise SystemExit("part_timeline: no request or answer body of 1 MiB or more in the log")
    t0 = rows[0]["start"]
    print("  start     end  conn  method  ms        MiB  target")
    for r in rows:
        print("%7.3f %7.3f %5d  %-6s %8.1f %6.1f  %s" % (r["start"] - t0, r["end"] - t0, r["conn"], r["method"],
                                                     (r["end"] - r["start"]) * 1000, r["bytes"] / 2**20,
                                                     r["target"][-40:]))
    first, last = min(r["start"] for r in bulk), max(r["end"] for r in bulk)
    total = sum(r["bytes"] for r in bulk)
    span = last - first
    print()
    print("before the first body: %.3f s (from the first logged request)" % (first - t0))
    print("bodies: %.1f MiB in %.3f s = %.1f Mbit/s (%.2f of %g Mbit/s)" %
          (total / 2**20, span, total * 8 / span / 1e6, total * 8 / span / 1e6 / a.link_mbit, a.link_mbit))
    print("after the last body: %.3f s (to the last logged request's end)" % (max(r["end"] for r in rows) - last))
    print()
    print("second  Mbit/s  (bodies spread evenly over each request's time)")
    second = 0
    while first + second < last:
        lo, hi = first + second, min(first + second + 1, last)
        bits = 0.0
        for r in bulk:
            overlap = min(hi, r["end"]) - max(lo, r["start"])
            if overlap > 0:
                bits += r["bytes"] * 8 * overlap / (r["end"] - r["start"])
        print("%6d  %6.1f" % (second, bits / (hi - lo) / 1e6))
        second += 1


if __name__ == "__main__":
    main()
