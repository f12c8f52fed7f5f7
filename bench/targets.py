#!/usr/bin/python3
"""The client issue's targets, measured inside the client namespace of
`haul netem` (200 ms RTT, 100 Mbit/s): writes one JSON list to --out.

  warm    `haul bench --mode reuse --op put|get --size S --repeat N`: median
          of the requests after the first (the first opens the connection)
  idle    the same for 1 MiB puts with --gap-ms 2000 (idle > RTO before each)
  cold    `haul put` of a 1 MiB file, one fresh process per upload, wall time
          from exec to exit (what a user waits for)
The gateway address comes from HAUL_NETEM_SERVER; --label names the host
setup (e.g. the namespaces' default congestion control).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

from gateway_ready import wait_healthy

RTT_MS = 200.0
RATE_BPS = 100e6
SIZES = {"1K": 1024, "100K": 100 * 1024, "1M": 1 << 20, "10M": 10 << 20}


def limit_ms(size, rtts=1):
    return rtts * RTT_MS + size * 8 / RATE_BPS * 1000


def bench(haul, env, size_name, op, repeat, gap_ms=0):
    cmd = [haul, "bench", "--size", size_name, "--repeat", str(repeat), "--mode", "reuse", "--op", op,
           "--rtt-ms", str(RTT_MS), "--json"]
    if gap_ms:
        cmd += ["--gap-ms", str(gap_ms)]
    out = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if out.returncode != 0:
        sys.exit(f"targets: {' '.join(cmd)} failed: {out.stderr.strip()}")
    per = [json.loads(l) for l in out.stdout.splitlines() if l.startswith("{")]
    return [p["ms"] for p in per if not p.get("summary")]


def row(case, size_name, op, limit, ms_list, target):
    warm = ms_list[1:] if case != "cold" else ms_list
    median = statistics.median(warm)
    return {"case": case, "size": size_name, "op": op, "median_ms": median, "limit_ms": limit,
            "ratio": median / limit, "target": target, "all_ms": ms_list}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--token", required=True)
    ap.add_argument("--haul", required=True)
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--label", required=True)
    ap.add_argument("--repeat", type=int, default=6)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    url = f"http://{os.environ['HAUL_NETEM_SERVER']}:8080"
    wait_healthy(url)
    env = {**os.environ, "HAUL_GATEWAY": url, "HAUL_TOKEN": a.token}
    rows = []
    for op in ("put", "get"):
        for name, size in SIZES.items():
            rows.append(row("warm", name, op, limit_ms(size), bench(a.haul, env, name, op, a.repeat + 1), 1.05))
    rows.append(row("idle 2 s", "1M", "put", limit_ms(SIZES["1M"]),
                    bench(a.haul, env, "1M", "put", a.repeat + 1, gap_ms=2000), 1.1))
    src = os.path.join(a.workdir, "cold-1M.bin")
    with open(src, "wb") as f:
        f.write(os.urandom(SIZES["1M"]))
    cold = []
    for i in range(a.repeat):
        t = time.monotonic()
        p = subprocess.run([a.haul, "put", src, f"cold/{a.label}/{i}"], capture_output=True, text=True, env=env)
        cold.append((time.monotonic() - t) * 1000)
        if p.returncode != 0:
            sys.exit(f"targets: cold put failed: {p.stderr.strip()}")
    rows.append(row("cold", "1M", "put", limit_ms(SIZES["1M"], rtts=2), cold, 1.5))
    for r in rows:
        r["label"] = a.label
    with open(a.out, "w") as f:
        json.dump(rows, f)


if __name__ == "__main__":
    main()
