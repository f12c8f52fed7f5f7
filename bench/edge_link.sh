#!/bin/bash
# The seed's client through `haul edge` on the emulated long link (root):
# 200 ms RTT, 100 Mbit/s, gateway in the server namespace, everything else
# in the client namespace. Side by side in one run, interleaved:
#   direct   python3-requests without a Session (the seed's oss.py): a new
#            connection across the link for every call
#   edge     the same script pointed at `haul edge` on loopback
#   nginx    the same script through nginx as a local reverse proxy with
#            upstream keepalive (proxy_http_version 1.1, keepalive 16,
#            proxy_request_buffering off): what a user would build instead
# Prints one line per measurement:
#   seed OP SIZE TARGET warm|idle MEDIAN_MS LIMIT_MS RATIO ALL...
#     warm: back to back after two warm-up calls; idle: each call after 2 s
#     of silence; limit 1 RTT + size/rate (the warm limit)
#   fresh-put 1M edge|edge-unix MEDIAN_MS LIMIT_MS RATIO ALL... | PHASES  a new
#     `haul put` process of 1 MiB with HAUL_EDGE set (loopback TCP), or with
#     nothing set (the edge's default Unix socket found); PHASES: medians of
#     exec to the request's start, the request (its --trace line), its end to
#     exit; SIZES=none measures only these
#   process start+exit (haul --version) MEDIAN_MS ALL...  the floor of a fresh process
#   bench/edge_link.sh [HAUL] [REPEAT] [OPS] [SIZES]   (default build/haul 5 put,get 1K,100K,1M,10M)
#   EDGE_ARGS="--warm-window 0" adds flags to the edge's command line
set -eu
HAUL=$(realpath "${1:-build/haul}")
D=$(mktemp -d)
# The edge is usually gone by then: a failed kill must not fail the run (set -e).
trap 'kill $(cat "$D"/*.pid 2>/dev/null) 2>/dev/null || true; rm -rf "$D"' EXIT
mkdir -p "$D/store" "$D/nginx"
"$HAUL" keygen > "$D/key"
echo benchtoken > "$D/tokens"
echo localtoken > "$D/client-tokens"
export HAUL BENCH_DIR="$D" REPEAT="${2:-5}" OPS="${3:-put,get}" SIZES="${4:-1K,100K,1M,10M}"
"$HAUL" netem --delay-ms 100 --rate 100mbit \
  --server-cmd "exec \"$HAUL\" gateway --listen 0.0.0.0:8080 --store fs:$D/store --master-key-file $D/key \
    --token-file $D/tokens --access-log off" \
  -- /usr/bin/python3 - <<'PY'
import json, os, statistics, subprocess, time
import requests
haul, d, server, repeat = os.environ["HAUL"], os.environ["BENCH_DIR"], os.environ["HAUL_NETEM_SERVER"], int(os.environ["REPEAT"])
gw = f"http://{server}:8080"
for _ in range(100):
    try:
        if requests.get(gw + "/healthz", timeout=2).status_code == 200:
            break
    except requests.ConnectionError:
        time.sleep(0.2)
edge = subprocess.Popen([haul, "edge", "--listen", "127.0.0.1:18090", "--listen", f"unix:{d}/haul/edge.sock",
                         "--gateway", gw, "--token-file", f"{d}/tokens",
                         "--client-token-file", f"{d}/client-tokens", "--access-log", "off",
                         *os.environ.get("EDGE_ARGS", "").split()],
                        stdout=open(f"{d}/edge.log", "w"), stderr=subprocess.STDOUT)
open(f"{d}/edge.pid", "w").write(str(edge.pid))
open(f"{d}/nginx.conf", "w").write(f"""
worker_processes 1; daemon off; pid {d}/nginx/nginx.pid; error_log {d}/nginx/error.log;
events {{}}
http {{
  access_log off;
  client_max_body_size 0;
  client_body_temp_path {d}/nginx/body; proxy_temp_path {d}/nginx/proxy;
  fastcgi_temp_path {d}/nginx/fcgi; uwsgi_temp_path {d}/nginx/uwsgi; scgi_temp_path {d}/nginx/scgi;
  upstream gw {{ server {server}:8080; keepalive 16; }}
  server {{
    listen 127.0.0.1:18091;
    location / {{
      proxy_pass http://gw;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_request_buffering off;
    }}
  }}
}}
""")
nginx = subprocess.Popen(["nginx", "-p", f"{d}/nginx", "-c", f"{d}/nginx.conf"])
open(f"{d}/nginx-main.pid", "w").write(str(nginx.pid))
time.sleep(1.5)
# The edge's warm set complete (8 connections, each with its windows opened
# unless EDGE_ARGS says --warm-window 0) before anything is measured.
t_ready = time.monotonic()
while time.monotonic() - t_ready < 60:
    metrics = requests.get("http://127.0.0.1:18090/metrics").text
    idle = next(float(l.split()[1]) for l in metrics.splitlines() if l.startswith("haul_edge_upstream_connections_idle "))
    if idle >= 8:
        break
    time.sleep(0.2)
print(f"edge warm set ready {1.5 + time.monotonic() - t_ready:.1f} s after start", flush=True)
targets = {"direct": (gw, "benchtoken"), "edge": ("http://127.0.0.1:18090", "localtoken"),
           "nginx": ("http://127.0.0.1:18091", "benchtoken")}
sizes = {"1K": 1024, "100K": 100 * 1024, "1M": 1 << 20, "10M": 10 << 20}
limit = lambda size: 200 + size * 8 / 100e6 * 1000

def call(op, url, token, key, data):
    auth = {"Authorization": f"Bearer {token}"}
    t0 = time.monotonic()
    if op == "put":
        r = requests.post(f"{url}/upload/files", headers=auth, files={
            "data": ("", json.dumps({"key": key}), "application/json"), "file": data})
        assert r.status_code == 201, r.text
    else:
        r = requests.get(f"{url}/download/files", params={"key": key}, headers=auth)
        assert r.status_code == 200 and len(r.content) == len(data), r.status_code
    return (time.monotonic() - t0) * 1000

for name, size in sizes.items():
    if name not in os.environ["SIZES"].split(","):
        continue
    data = os.urandom(size)
    for op in os.environ["OPS"].split(","):
        for mode in ("warm", "idle"):
            runs = {t: [] for t in targets}
            for t, (url, token) in targets.items():  # warm-ups
                for _ in range(2):
                    call(op, url, token, f"{t}/{name}", data)
            for i in range(repeat):
                for t, (url, token) in targets.items():  # interleaved: the same minute for all
                    if mode == "idle":
                        time.sleep(2)
                    runs[t].append(call(op, url, token, f"{t}/{name}", data))
            for t, ms in runs.items():
                med = statistics.median(ms)
                print(f"seed {op} {name} {t} {mode} {med:.0f} {limit(size):.0f} {med / limit(size):.2f} "
                      + " ".join(f"{x:.0f}" for x in ms), flush=True)

src = f"{d}/1M.bin"
open(src, "wb").write(os.urandom(1 << 20))
# edge: HAUL_EDGE over loopback TCP with a local token; edge-unix: no setting
# at all, the edge's default socket ($XDG_RUNTIME_DIR/haul/edge.sock) found.
base = {k: v for k, v in os.environ.items() if k not in ("HAUL_EDGE", "HAUL_GATEWAY", "HAUL_TOKEN")}
envs = {"edge": {**base, "HAUL_EDGE": "http://127.0.0.1:18090", "HAUL_TOKEN": "localtoken", "HAUL_CACHE_DIR": f"{d}/cache"},
        "edge-unix": {**base, "XDG_RUNTIME_DIR": d, "HAUL_CACHE_DIR": f"{d}/cache"}}
ms = {name: [] for name in envs}
parts = {name: [] for name in envs}  # (before the request, the request, after it) per run
start_ms = []  # `haul --version`: a fresh process that only starts and exits
for i in range(repeat):
    for name, env in envs.items():  # interleaved
        trace = f"{d}/fresh-{name}-{i}.trace"
        t0, wall0 = time.monotonic(), time.time()
        subprocess.run([haul, "put", "--trace", trace, src, f"fresh/{name}/{i}"], check=True, capture_output=True, env=env)
        ms[name].append((time.monotonic() - t0) * 1000)
        wall1 = time.time()
        req = json.loads(open(trace).readline())  # one request: a 1 MiB put is not split into parts
        parts[name].append(((req["start"] - wall0) * 1000, (req["end"] - req["start"]) * 1000, (wall1 - req["end"]) * 1000))
    t0 = time.monotonic()
    subprocess.run([haul, "--version"], check=True, capture_output=True)
    start_ms.append((time.monotonic() - t0) * 1000)
for name, runs in ms.items():
    med = statistics.median(runs)
    before, request, after = (statistics.median(p[k] for p in parts[name]) for k in range(3))
    print(f"fresh-put 1M {name} {med:.0f} {limit(1 << 20):.0f} {med / limit(1 << 20):.2f} "
          + " ".join(f"{x:.0f}" for x in runs)
          + f" | before the request {before:.1f}, request {request:.1f} ({request / limit(1 << 20):.2f}), after {after:.1f}")
print(f"process start+exit (haul --version) {statistics.median(start_ms):.1f} ms " + " ".join(f"{x:.1f}" for x in start_ms))
edge.terminate(); edge.wait()
nginx.terminate(); nginx.wait()
PY
