#!/bin/bash
# TLS vs plain HTTP through one gateway on the emulated long link (root):
# 200 ms RTT, 100 Mbit/s. The gateway listens on both (--listen :8080,
# --tls-listen :8443, certificate from `haul tls-init` for the server side's
# address). Prints one line per measurement:
#   warm SIZE OP SCHEME MEDIAN_MS LIMIT_MS   `haul bench --mode reuse --repeat 6`,
#                                            median of requests 2-6
#   cold 1M put CASE MEDIAN_MS LIMIT_MS ALL  fresh `haul put` processes (wall
#        time, 5 each): plain; tls-full (empty session cache); tls-resumed
#        (the cache a previous process left)
# FASTOPEN=1 sets net.ipv4.tcp_fastopen=3 in both namespaces (the gateway
# host's setting haul doctor asks for): TLS connections then open with TCP
# Fast Open (docs/tls.md), and the cold TLS limit is 2 RTT + size/rate.
#   [FASTOPEN=1] bench/tls_link.sh [HAUL]   (default build/haul)
set -eu
HAUL=$(realpath "${1:-build/haul}")
D=$(mktemp -d)
trap 'rm -rf "$D"' EXIT
mkdir -p "$D/store"
"$HAUL" keygen > "$D/key"
echo benchtoken > "$D/tokens"
head -c $((1 << 20)) /dev/urandom > "$D/1M.bin"
export HAUL BENCH_DIR="$D" FASTOPEN="${FASTOPEN:-0}"
sysctls=()
[ "$FASTOPEN" = 1 ] && sysctls=(--sysctl net.ipv4.tcp_fastopen=3)
"$HAUL" netem --delay-ms 100 --rate 100mbit "${sysctls[@]}" \
  --server-cmd "\"$HAUL\" tls-init \"$D/tls\" --ip \$HAUL_NETEM_SERVER > /dev/null && exec \"$HAUL\" gateway \
    --listen 0.0.0.0:8080 --tls-listen 0.0.0.0:8443 --tls-cert \"$D/tls/server.pem\" \
    --tls-key \"$D/tls/server-key.pem\" --store fs:$D/store --master-key-file $D/key --token-file $D/tokens \
    --access-log off" \
  -- /usr/bin/python3 - <<'PY'
import json, os, statistics, subprocess, tempfile, time
haul, d, server = os.environ["HAUL"], os.environ["BENCH_DIR"], os.environ["HAUL_NETEM_SERVER"]
plain, tls = f"http://{server}:8080", f"https://{server}:8443"
for _ in range(100):
    if os.path.exists(f"{d}/tls/ca.pem") and subprocess.run(
            ["curl", "-s", "-o", "/dev/null", plain + "/healthz"]).returncode == 0:
        break
    time.sleep(0.2)
ca = ["--cacert", f"{d}/tls/ca.pem"]
sizes = {"1K": 1024, "100K": 100 * 1024, "1M": 1 << 20, "10M": 10 << 20}
limit = lambda size, rtts: rtts * 200 + size * 8 / 100e6 * 1000
for name, size in sizes.items():
    for op in ("put", "get"):
        for scheme, url in (("plain", plain), ("tls", tls)):
            out = subprocess.run([haul, "bench", "--gateway", url, "--token", "benchtoken", *ca, "--size", name,
                                  "--repeat", "6", "--mode", "reuse", "--op", op, "--json"],
                                 capture_output=True, text=True, check=True).stdout
            rows = [json.loads(l) for l in out.splitlines() if l.startswith("{")]
            ms = [r["ms"] for r in rows if "i" in r]
            print(f"warm {name} {op} {scheme} {statistics.median(ms[1:]):.1f} {limit(size, 1):.1f}", flush=True)
cache = tempfile.mkdtemp(dir=d)
def cold(url, fresh_cache):
    env = dict(os.environ, HAUL_CACHE_DIR=tempfile.mkdtemp(dir=d) if fresh_cache else cache)
    t0 = time.monotonic()
    subprocess.run([haul, "put", f"{d}/1M.bin", "cold", "--gateway", url, "--token", "benchtoken", *ca],
                   env=env, check=True, capture_output=True)
    return (time.monotonic() - t0) * 1000
cold(tls, False)  # leaves a session (and the path's RTT) in the shared cache
tls_rtts = 2 if os.environ["FASTOPEN"] == "1" else 3  # the ClientHello rides in the SYN
for case, url, fresh, rtts in (("plain", plain, True, 2), ("tls-full", tls, True, tls_rtts),
                               ("tls-resumed", tls, False, tls_rtts)):
    runs = [cold(url, fresh) for _ in range(5)]
    print(f"cold 1M put {case} {statistics.median(runs):.1f} {limit(1 << 20, rtts):.1f} "
          + " ".join(f"{x:.0f}" for x in runs), flush=True)
PY
