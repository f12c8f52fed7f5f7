#!/bin/bash
# A fresh process's first transfer on the emulated long link (root): 200 ms
# RTT, 100 Mbit/s, gateway (fs store) in the server namespace. Each figure is
# the wall time of one fresh process; the variants of a row alternate within
# one netem run. Prints one line per (size, case):
#   cold SIZE CASE MEDIAN_MS LIMIT_MS RATIO RUNS...
# Cases (limit = 2 RTT + size/rate: the handshake, then the request):
#   get-curl          curl -o FILE of GET /v1/objects/KEY (one connection)
#   get-one           haul get --cold-stripes 0 (HEAD and one range: one connection each)
#   get-probe         haul get, empty path memory (the first range probes the path)
#   get-remembered    haul get, the path's RTT remembered by an earlier process
#   put-one, put-probe, put-remembered   haul put of the same bytes, the same three ways
# With TLS=1 the same over https:// (certificate from `haul tls-init`; each
# process starts with an empty TLS session cache unless "remembered"; limit
# 3 RTT + size/rate: TLS 1.3 adds one round trip).
# RATE=10mbit (default 100mbit) changes the link's rate; FLIGHT=256K adds
# get-flight and put-flight: the remembered cases with --cold-flight FLIGHT.
# FASTOPEN=1 sets net.ipv4.tcp_fastopen=3 in both namespaces (the gateway
# host's setting haul doctor asks for) and adds put-nofastopen: the
# remembered put with the client's Fast Open bit off for that process (over
# TLS every connection opens with Fast Open otherwise, docs/tls.md; the TLS
# limit is then 2 RTT + size/rate).
#   [TLS=1] [RATE=R] [FLIGHT=F] [FASTOPEN=1] bench/cold_link.sh [HAUL] [RUNS] [SIZES]
#   (default build/haul 5 "100K 1M 10M")
set -eu
HAUL=$(realpath "${1:-build/haul}")
RUNS=${2:-5}
SIZES=${3:-100K 1M 10M}
D=$(mktemp -d)
trap 'rm -rf "$D"' EXIT
mkdir -p "$D/store"
"$HAUL" keygen > "$D/key"
echo benchtoken > "$D/tokens"
export HAUL BENCH_DIR="$D" RUNS SIZES BENCH_LIB="$(dirname "$(realpath "$0")")" TLS="${TLS:-0}"
export RATE="${RATE:-100mbit}" FLIGHT="${FLIGHT:-}" FASTOPEN="${FASTOPEN:-0}"
sysctls=()
[ "$FASTOPEN" = 1 ] && sysctls=(--sysctl net.ipv4.tcp_fastopen=3)
"$HAUL" netem --delay-ms 100 --rate "$RATE" "${sysctls[@]}" \
  --server-cmd "\"$HAUL\" tls-init \"$D/tls\" --ip \$HAUL_NETEM_SERVER > /dev/null && exec \"$HAUL\" gateway \
    --listen 0.0.0.0:8080 --tls-listen 0.0.0.0:8443 --tls-cert \"$D/tls/server.pem\" \
    --tls-key \"$D/tls/server-key.pem\" --store fs:$D/store --master-key-file $D/key \
    --token-file $D/tokens --access-log off" \
  -- /usr/bin/python3 - <<'PY'
import os, statistics, subprocess, sys, tempfile, time
haul, d, runs = os.environ["HAUL"], os.environ["BENCH_DIR"], int(os.environ["RUNS"])
sys.path.insert(0, os.environ["BENCH_LIB"])
from gateway_ready import wait_healthy
tls = os.environ["TLS"] == "1"
server = os.environ["HAUL_NETEM_SERVER"]
wait_healthy(f"http://{server}:8080")
url = f"https://{server}:8443" if tls else f"http://{server}:8080"
ca = ["--cacert", f"{d}/tls/ca.pem"] if tls else []
units = {"K": 1 << 10, "M": 1 << 20}
remembered = tempfile.mkdtemp(dir=d)
base = dict(os.environ, HAUL_GATEWAY=url, HAUL_TOKEN="benchtoken")
# TLS 1.3 adds one round trip, unless the ClientHello rides in the SYN.
rtts = 3 if tls and os.environ["FASTOPEN"] != "1" else 2
rate_bps = int(os.environ["RATE"].removesuffix("mbit")) * 1e6
flight = os.environ["FLIGHT"]


def timed(cmd, cache):
    env = dict(base, HAUL_CACHE_DIR=cache or tempfile.mkdtemp(dir=d))
    t0 = time.monotonic()
    subprocess.run(cmd, env=env, check=True, capture_output=True)
    return (time.monotonic() - t0) * 1000


for name in os.environ["SIZES"].split():
    size = int(name[:-1]) * units[name[-1]]
    src, out = f"{d}/{name}.bin", f"{d}/{name}.out"
    with open(src, "wb") as f:
        f.write(os.urandom(size))
    key = "cold/" + name
    subprocess.run([haul, "put", src, key, *ca], env=dict(base, HAUL_CACHE_DIR=remembered), check=True,
                   capture_output=True)
    cases = {
        "get-curl": lambda: timed(["curl", "-sf", *ca, "-o", out, "-H", "Authorization: Bearer benchtoken",
                                   f"{url}/v1/objects/{key}"], remembered),
        "get-one": lambda: timed([haul, "get", key, out, "--cold-stripes", "0", *ca], remembered),
        "get-probe": lambda: timed([haul, "get", key, out, *ca], None),
        "get-remembered": lambda: timed([haul, "get", key, out, *ca], remembered),
        "put-one": lambda: timed([haul, "put", src, key + ".up", "--cold-stripes", "0", *ca], remembered),
        "put-probe": lambda: timed([haul, "put", src, key + ".up", *ca], None),
        "put-remembered": lambda: timed([haul, "put", src, key + ".up", *ca], remembered),
    }
    if flight:
        cases["get-flight"] = lambda: timed([haul, "get", key, out, "--cold-flight", flight, *ca], remembered)
        cases["put-flight"] = lambda: timed([haul, "put", src, key + ".up", "--cold-flight", flight, *ca],
                                            remembered)
    if os.environ["FASTOPEN"] == "1":
        def without_fastopen():
            # Client bit off (server bit kept) in this namespace for one process.
            with open("/proc/sys/net/ipv4/tcp_fastopen", "w") as f:
                f.write("2")
            try:
                return timed([haul, "put", src, key + ".up", *ca], remembered)
            finally:
                with open("/proc/sys/net/ipv4/tcp_fastopen", "w") as f:
                    f.write("3")
        cases["put-nofastopen"] = without_fastopen
    times = {c: [] for c in cases}
    for _ in range(runs):
        for case, run in cases.items():
            times[case].append(run())
            if case.startswith("get") and open(out, "rb").read() != open(src, "rb").read():
                sys.exit(f"{case}: downloaded bytes differ")
    limit = rtts * 200 + size * 8 / rate_bps * 1000
    for case, ms in times.items():
        med = statistics.median(ms)
        print(f"cold {name} {case} {med:.0f} {limit:.0f} {med / limit:.2f} " + " ".join(f"{x:.0f}" for x in ms),
              flush=True)
PY
