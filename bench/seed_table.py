#!/usr/bin/python3
"""The seed's experiment, run inside the client namespace of `haul netem`.

Uploads each size `--repeat` times with every client the issue names and
writes one JSON object per row (client, size, per-upload ms) to --out:
  curl            new process per upload (as is: Expect: 100-continue above 1 MiB)
  curl-noexpect   the same with -H 'Expect:'
  requests        python3-requests, no session (the seed's oss.py)
  requests-session  python3-requests with one Session
  haul-new / haul-reuse / haul-pool   `haul bench --mode ...`
Times are wall-clock milliseconds around each upload as its user sees it
(for curl: the process, start to exit; for haul: the bench's own per-request
figure). The gateway address comes from HAUL_NETEM_SERVER.
"""
import argparse
import json
import os
import subprocess
import sys
import time

import requests

from gateway_ready import wait_healthy

SIZES = {"1K": 1024, "100K": 100 * 1024, "1M": 1024 * 1024, "10M": 10 * 1024 * 1024}


def meta(key):
    return json.dumps({"key": key})


def curl_upload(url, token, path, key, no_expect):
    cmd = ["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "-H", f"Authorization: Bearer {token}",
           "-F", f"data={meta(key)};type=application/json", "-F", f"file=@{path}"]
    if no_expect:
        cmd += ["-H", "Expect:"]
    t = time.monotonic()
    code = subprocess.run(cmd + [url + "/upload/files"], capture_output=True, text=True).stdout
    ms = (time.monotonic() - t) * 1000
    if code != "201":
        sys.exit(f"bench: curl upload answered {code}")
    return ms


def requests_upload(post, url, token, data, key):
    # The seed's client, verbatim apart from the token header.
    t = time.monotonic()
    r = post(url + "/upload/files", files={"data": ('', meta(key), "application/json"), "file": data},
             headers={"Authorization": f"Bearer {token}"})
    ms = (time.monotonic() - t) * 1000
    if r.status_code != 201:
        sys.exit(f"bench: requests upload answered {r.status_code}: {r.text[:200]}")
    return ms


def haul_rows(haul, url, token, size_name, repeat, mode, rtt_ms):
    out = subprocess.run([haul, "bench", "--gateway", url, "--token", token, "--size", size_name, "--repeat",
                          str(repeat), "--mode", mode, "--op", "put", "--rtt-ms", str(rtt_ms), "--json"],
                         capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"bench: haul bench --mode {mode} failed: {out.stderr.strip()}")
    lines = [json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")]
    per = [line["ms"] for line in lines if not line.get("summary")]
    summary = next((line for line in lines if line.get("summary")), {})
    return per, summary


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--token", required=True)
    ap.add_argument("--port", type=int, default=8080)
    ap.add_argument("--sizes", default="1K,100K,1M,10M")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--clients", default="curl,curl-noexpect,requests,requests-session,haul-new,haul-reuse,haul-pool")
    ap.add_argument("--haul", required=True)
    ap.add_argument("--rtt-ms", type=float, default=200)
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    url = f"http://{os.environ['HAUL_NETEM_SERVER']}:{a.port}"
    wait_healthy(url)
    rows = []
    clients = a.clients.split(",")
    for size_name in a.sizes.split(","):
        size = SIZES[size_name]
        path = os.path.join(a.workdir, f"{size_name}.data")
        with open(path, "wb") as f:
            f.write(os.urandom(size))
        data = open(path, "rb").read()
        for client in clients:
            extra = {}
            key = lambda i: f"bench/{client}/{size_name}/{i}"
            if client in ("curl", "curl-noexpect"):
                ms = [curl_upload(url, a.token, path, key(i), client == "curl-noexpect") for i in range(a.repeat)]
            elif client == "requests":
                ms = [requests_upload(requests.post, url, a.token, data, key(i)) for i in range(a.repeat)]
            elif client == "requests-session":
                with requests.Session() as s:
                    ms = [requests_upload(s.post, url, a.token, data, key(i)) for i in range(a.repeat)]
            elif client.startswith("haul-"):
                ms, extra = haul_rows(a.haul, url, a.token, size_name, a.repeat, client[5:], a.rtt_ms)
            else:
                sys.exit(f"bench: unknown client {client}")
            row = {"client": client, "size": size_name, "bytes": size, "ms": ms}
            if extra:
                row["connections_opened"] = extra.get("connections_opened")
                row["gateway_connections_accepted"] = extra.get("gateway_connections_accepted")
            rows.append(row)
            print(f"bench: {client:17} {size_name:>5}  " + " ".join(f"{x:8.1f}" for x in ms), file=sys.stderr,
                  flush=True)
            with open(a.out, "w") as f:
                json.dump(rows, f, indent=1)


if __name__ == "__main__":
    main()
