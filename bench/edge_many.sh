#!/bin/bash
# Many small files at once through `haul edge` on the emulated long link
# (root): 200 ms RTT, 100 Mbit/s, a TLS gateway in the server namespace, in
# the client namespace two edges to it, one per upstream mode, measured side
# by side, interleaved. The clients are the seed's: python3-requests without
# a Session, CONCURRENCY threads each uploading (POST /upload/files) or
# downloading (GET /download/files) its share of COUNT files of SIZE, a new
# local connection per call.
# Prints one line per measurement:
#   many OP MODE round WALL_MS LIMIT_MS RATIO GATEWAY_CONNECTIONS_ACCEPTED
#     round 1 runs right after the edge's warm set is ready, rounds 2.. follow
#     back to back; limit: 1 RTT + COUNT x SIZE / rate (every file in flight
#     at once, the link full); connections: the gateway's
#     haul_connections_accepted_total grown during the round
#   bench/edge_many.sh [HAUL] [ROUNDS] [COUNT] [SIZE_KIB] [CONCURRENCY]   (default build/haul 3 200 64 50)
#   MODES="h1=--upstream-http2 off;h2=--upstream-http2 auto" names the edges and their extra flags
set -eu
HAUL=$(realpath "${1:-build/haul}")
D=$(mktemp -d)
trap 'kill $(cat "$D"/*.pid 2>/dev/null) 2>/dev/null || true; rm -rf "$D"' EXIT
mkdir -p "$D/store"
"$HAUL" keygen > "$D/key"
echo benchtoken > "$D/tokens"
echo localtoken > "$D/client-tokens"
export HAUL BENCH_DIR="$D" BENCH_LIB="$(dirname "$(realpath "$0")")" ROUNDS="${2:-3}" COUNT="${3:-200}" SIZE_KIB="${4:-64}" CONCURRENCY="${5:-50}" \
  MODES="${MODES:-h1=--upstream-http2 off;h2=--upstream-http2 auto}"
"$HAUL" netem --delay-ms 100 --rate 100mbit \
  --server-cmd "\"$HAUL\" tls-init \"$D/tls\" --ip \$HAUL_NETEM_SERVER > /dev/null && exec \"$HAUL\" gateway \
    --listen 0.0.0.0:8080 --tls-listen 0.0.0.0:8443 --tls-cert \"$D/tls/server.pem\" \
    --tls-key \"$D/tls/server-key.pem\" --store fs:$D/store --master-key-file $D/key \
    --token-file $D/tokens --access-log off" \
  -- /usr/bin/python3 - <<'PY'
import concurrent.futures, json, os, subprocess, sys, time
import requests
sys.path.insert(0, os.environ["BENCH_LIB"])
from gateway_ready import wait_healthy
haul, d, server = os.environ["HAUL"], os.environ["BENCH_DIR"], os.environ["HAUL_NETEM_SERVER"]
rounds, count, size, conc = (int(os.environ[k]) for k in ("ROUNDS", "COUNT", "SIZE_KIB", "CONCURRENCY"))
size *= 1024
gw = f"http://{server}:8080"
wait_healthy(gw)

def accepted():
    m = requests.get(gw + "/metrics", headers={"Authorization": "Bearer benchtoken"}).text
    return sum(float(l.split()[-1]) for l in m.splitlines() if l.startswith("haul_connections_accepted_total"))

edges = {}
for i, spec in enumerate(os.environ["MODES"].split(";")):
    name, _, flags = spec.partition("=")
    port = 18100 + i
    p = subprocess.Popen([haul, "edge", "--listen", f"127.0.0.1:{port}", "--gateway", f"https://{server}:8443",
                          "--cacert", f"{d}/tls/ca.pem", "--token-file", f"{d}/tokens",
                          "--client-token-file", f"{d}/client-tokens", "--access-log", "off", *flags.split()],
                         stdout=open(f"{d}/edge-{name}.log", "w"), stderr=subprocess.STDOUT)
    open(f"{d}/edge-{name}.pid", "w").write(str(p.pid))
    edges[name] = (f"http://127.0.0.1:{port}", p)
# Each edge's warm set ready before anything is measured: its count of
# connections with opened windows unchanged for 8 s (a warm-up takes ~3 s).
def warmed(url):
    m = requests.get(url + "/metrics").text
    return next((float(l.split()[1]) for l in m.splitlines()
                 if l.startswith("haul_edge_upstream_windows_warmed_total ")), 0)
for name, (url, _) in edges.items():
    t0 = time.monotonic()
    last, since = -1, time.monotonic()
    while time.monotonic() - t0 < 120:
        try:
            n = warmed(url)
            if n != last:
                last, since = n, time.monotonic()
            elif n > 0 and time.monotonic() - since > 8:
                break
        except requests.ConnectionError:
            pass
        time.sleep(0.5)
    print(f"edge {name} ready {time.monotonic() - t0:.1f} s, {last:.0f} connections warmed", flush=True)
time.sleep(5)  # the last warm-ups' bytes gone from the link

data = os.urandom(size)
auth = {"Authorization": "Bearer localtoken"}
limit = 200 + count * size * 8 / 100e6 * 1000

def put(url, key):
    r = requests.post(f"{url}/upload/files", headers=auth, files={
        "data": ("", json.dumps({"key": key}), "application/json"), "file": data})
    assert r.status_code == 201, r.text

def get(url, key):
    r = requests.get(f"{url}/download/files", params={"key": key}, headers=auth)
    assert r.status_code == 200 and r.content == data, r.status_code

for op, fn in (("put", put), ("get", get)):
    for rnd in range(1, rounds + 1):
        for name, (url, _) in edges.items():  # interleaved: the same minutes for every mode
            before = accepted()
            t0 = time.monotonic()
            with concurrent.futures.ThreadPoolExecutor(conc) as pool:
                list(pool.map(lambda i: fn(url, f"{name}/{i}"), range(count)))
            ms = (time.monotonic() - t0) * 1000
            # Less the scrape's own connection (a new one each time).
            print(f"many {op} {name} {rnd} {ms:.0f} {limit:.0f} {ms / limit:.2f} {accepted() - before - 1:.0f}", flush=True)
for _, p in edges.values():
    p.terminate(); p.wait()
PY
