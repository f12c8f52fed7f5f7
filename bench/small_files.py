#!/usr/bin/python3
"""Many small files over the emulated link, in the client namespace:
--count files of 4 KiB uploaded by haul (put --recursive: warm pool, bounded
concurrency), by a shell-style curl loop (one process and connection per
file, -H 'Expect:'), and by a python3-requests Session loop (one reused
connection, sequential). Prints one JSON list to --out.
"""
import argparse
import json
import os
import subprocess
import sys
import time

import requests


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--token", required=True)
    ap.add_argument("--haul", required=True)
    ap.add_argument("--count", type=int, default=1000)
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    url = f"http://{os.environ['HAUL_NETEM_SERVER']}:8080"
    auth = {"Authorization": f"Bearer {a.token}"}
    d = os.path.join(a.workdir, f"small-{a.count}")
    os.makedirs(d, exist_ok=True)
    files = []
    for i in range(a.count):
        p = os.path.join(d, f"f{i:05d}")
        with open(p, "wb") as f:
            f.write(os.urandom(4096))
        files.append(p)
    for _ in range(600):
        try:
            if requests.get(url + "/healthz", timeout=2).status_code == 200:
                break
        except requests.RequestException:
            time.sleep(0.1)
    rows = []

    def record(client, seconds):
        rows.append({"client": client, "count": a.count, "s": seconds, "files_per_s": a.count / seconds,
                     "ms_per_file": seconds * 1000 / a.count})
        print(f"small {client}: {a.count} files in {seconds:.1f} s ({a.count / seconds:.1f} files/s)",
              file=sys.stderr, flush=True)

    t = time.monotonic()
    subprocess.run([a.haul, "put", "--recursive", d, "small/haul", "--gateway", url, "--token", a.token],
                   check=True, capture_output=True)
    record("haul put --recursive", time.monotonic() - t)

    t = time.monotonic()
    for i, p in enumerate(files):
        subprocess.run(["curl", "-sSf", "-o", "/dev/null", "-H", f"Authorization: Bearer {a.token}", "-H", "Expect:",
                        "-T", p, f"{url}/v1/objects/small/curl/{i}"], check=True)
    record("curl loop (process per file)", time.monotonic() - t)

    t = time.monotonic()
    with requests.Session() as s:
        for i, p in enumerate(files):
            with open(p, "rb") as f:
                r = s.put(f"{url}/v1/objects/small/requests/{i}", data=f.read(), headers=auth)
            r.raise_for_status()
    record("requests Session loop", time.monotonic() - t)
    with open(a.out, "w") as f:
        json.dump(rows, f, indent=1)


if __name__ == "__main__":
    main()
