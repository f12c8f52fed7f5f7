#!/usr/bin/python3
"""Big transfers over the emulated link, in the client namespace: one object
of --size-mib uploaded and downloaded by haul (warm pool, parallel parts or
ranges) and by curl (one stream, -H 'Expect:'). Each transfer is capped at
--timeout seconds (a timed-out row is reported as such, not as a rate).
Prints one JSON list to --out.
"""
import argparse
import json
import os
import subprocess
import sys
import time


def timed(cmd, timeout):
    t = time.monotonic()
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None, "timeout"
    ms = (time.monotonic() - t) * 1000
    return (ms, "") if p.returncode == 0 else (None, p.stderr.strip()[-300:])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--token", required=True)
    ap.add_argument("--haul", required=True)
    ap.add_argument("--size-mib", type=int, default=100)
    ap.add_argument("--timeout", type=float, default=60)
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--label", required=True)
    ap.add_argument("--get-label", default="",
                    help="download the objects uploaded by this earlier run (default: this run's uploads), so a "
                         "download row does not depend on this run's upload finishing")
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    url = f"http://{os.environ['HAUL_NETEM_SERVER']}:8080"
    auth = f"Authorization: Bearer {a.token}"
    path = os.path.join(a.workdir, f"bulk-{a.size_mib}M.data")
    if not os.path.exists(path):
        with open(path, "wb") as f:
            for _ in range(a.size_mib):
                f.write(os.urandom(1 << 20))
    for _ in range(600):  # wait for the gateway
        if subprocess.run(["curl", "-sf", "-o", "/dev/null", url + "/healthz"]).returncode == 0:
            break
        time.sleep(0.1)
    env_haul = lambda *args: [a.haul, *args, "--gateway", url, "--token", a.token]
    key_h, key_c = f"bulk/{a.label}/haul", f"bulk/{a.label}/curl"
    get_label = a.get_label or a.label
    get_h, get_c = f"bulk/{get_label}/haul", f"bulk/{get_label}/curl"
    got = os.path.join(a.workdir, "bulk-get.out")
    runs = [
        ("haul-pool", "put", env_haul("put", path, key_h)),
        ("curl", "put", ["curl", "-sSf", "-o", "/dev/null", "-H", auth, "-H", "Expect:", "-T", path,
                         f"{url}/v1/objects/{key_c}"]),
        # A regular file: `haul get KEY /dev/null` would stream one GET (a device gets no parallel ranges).
        ("haul-pool", "get", env_haul("get", get_h, got)),
        ("curl", "get", ["curl", "-sSf", "-o", "/dev/null", "-H", auth, f"{url}/v1/objects/{get_c}"]),
    ]
    rows = []
    for client, op, cmd in runs:
        ms, err = timed(cmd, a.timeout)
        mbit = a.size_mib * 8 * 1.048576 / (ms / 1000) if ms else None
        rows.append({"label": a.label, "client": client, "op": op, "mib": a.size_mib, "ms": ms, "mbit_s": mbit, "timeout_s": round(a.timeout),
                     "error": err})
        print(f"bulk {a.label} {client} {op}: " + (f"{ms:.0f} ms, {mbit:.1f} Mbit/s" if ms else err),
              file=sys.stderr, flush=True)
    if os.path.exists(got):
        os.unlink(got)
    with open(a.out, "w") as f:
        json.dump(rows, f, indent=1)


if __name__ == "__main__":
    main()
