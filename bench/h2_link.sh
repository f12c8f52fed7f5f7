#!/bin/bash
# HTTP/2 vs HTTP/1.1 through one TLS gateway on the emulated long link
# (root): 200 ms RTT, 100 Mbit/s. The haul client speaks h2 by ALPN over
# https:// (`--http auto`) or HTTP/1.1 only (`--http 1.1`), same gateway,
# same run. Prints one line per measurement:
#   tree put|get PROTO MEDIAN_MS LIMIT_MS ALL   1000 files of 4 KiB, `haul put
#        DIR --recursive` / `haul get PREFIX --recursive` in a fresh process
#        (wall time, 3 each); limit 3 RTT + bytes/rate
#   warm SIZE OP PROTO MEDIAN_MS LIMIT_MS       `haul bench --mode reuse
#        --repeat 6`, median of requests 2-6; limit 1 RTT + size/rate
#   big 200M put|get PROTO MS LIMIT_MS          one `haul put`/`haul get` of
#        200 MiB (parts and ranges keep HTTP/1.1 connections either way)
# FASTOPEN=1 sets net.ipv4.tcp_fastopen=3 in both namespaces: the client's
# TLS connections then open with TCP Fast Open (docs/tls.md); limits stay.
#   [PROTOS=h2] [HAUL_FLAGS="..."] [FASTOPEN=1] bench/h2_link.sh [HAUL] [all|tree|warm|big]
#   (default build/haul all, PROTOS="h1 h2"; HAUL_FLAGS go to every haul command)
set -eu
HAUL=$(realpath "${1:-build/haul}")
D=$(mktemp -d)
trap 'rm -rf "$D"' EXIT
mkdir -p "$D/store" "$D/tree"
"$HAUL" keygen > "$D/key"
echo benchtoken > "$D/tokens"
for i in $(seq -w 1 1000); do head -c 4096 /dev/urandom > "$D/tree/f$i"; done
head -c $((200 << 20)) /dev/urandom > "$D/200M.bin"
export HAUL BENCH_DIR="$D" PARTS="${2:-all}" PROTOS="${PROTOS:-h1 h2}"
sysctls=()
[ "${FASTOPEN:-0}" = 1 ] && sysctls=(--sysctl net.ipv4.tcp_fastopen=3)
"$HAUL" netem --delay-ms 100 --rate 100mbit "${sysctls[@]}" \
  --server-cmd "\"$HAUL\" tls-init \"$D/tls\" --ip \$HAUL_NETEM_SERVER > /dev/null && exec \"$HAUL\" gateway \
    --tls-listen 0.0.0.0:8443 --tls-cert \"$D/tls/server.pem\" --tls-key \"$D/tls/server-key.pem\" \
    --store fs:$D/store --master-key-file $D/key --token-file $D/tokens --access-log off" \
  -- /usr/bin/python3 - <<'PY'
import json, os, shutil, statistics, subprocess, tempfile, time
haul, d, server = os.environ["HAUL"], os.environ["BENCH_DIR"], os.environ["HAUL_NETEM_SERVER"]
url = f"https://{server}:8443"
for _ in range(100):
    if os.path.exists(f"{d}/tls/ca.pem") and subprocess.run(
            ["curl", "-s", "-o", "/dev/null", "--cacert", f"{d}/tls/ca.pem", url + "/healthz"]).returncode == 0:
        break
    time.sleep(0.2)
common = ["--gateway", url, "--token", "benchtoken", "--cacert", f"{d}/tls/ca.pem"]
extra = os.environ.get("HAUL_FLAGS", "").split()  # e.g. HAUL_FLAGS="--connections 1"
protos = {p: f + extra for p, f in {"h1": ["--http", "1.1"], "h2": ["--http", "auto"]}.items()
          if p in os.environ["PROTOS"].split()}
limit = lambda size, rtts: rtts * 200 + size * 8 / 100e6 * 1000

def timed(args):
    t0 = time.monotonic()
    subprocess.run([haul, *args], check=True, capture_output=True)
    return (time.monotonic() - t0) * 1000

parts = os.environ["PARTS"]
tree_bytes = 1000 * 4096
for op in ("put", "get") if parts in ("all", "tree") else ():
    runs = {p: [] for p in protos}
    for i in range(3):
        for p, flags in protos.items():  # interleaved: the same minute for both
            prefix = f"tree-{p}-{i}/"
            if op == "put":
                runs[p].append(timed(["put", f"{d}/tree", prefix, "--recursive", *common, *flags]))
            else:
                out = f"{d}/out-{p}-{i}"
                runs[p].append(timed(["get", f"tree-{p}-{i}/", out, "--recursive", *common, *flags]))
                assert len(os.listdir(out)) == 1000
                shutil.rmtree(out)
    for p, ms in runs.items():
        print(f"tree {op} {p} {statistics.median(ms):.0f} {limit(tree_bytes, 3):.0f} "
              + " ".join(f"{x:.0f}" for x in ms), flush=True)

sizes = {"1K": 1024, "100K": 100 * 1024, "1M": 1 << 20, "10M": 10 << 20}
for name, size in sizes.items() if parts in ("all", "warm") else ():
    for op in ("put", "get"):
        for p, flags in protos.items():
            out = subprocess.run([haul, "bench", *common, *flags, "--size", name, "--repeat", "6", "--mode", "reuse",
                                  "--op", op, "--json"], capture_output=True, text=True, check=True).stdout
            rows = [json.loads(l) for l in out.splitlines() if l.startswith("{")]
            ms = [r["ms"] for r in rows if "i" in r]
            print(f"warm {name} {op} {p} {statistics.median(ms[1:]):.1f} {limit(size, 1):.1f}", flush=True)

for p, flags in protos.items() if parts in ("all", "big") else ():
    ms = timed(["put", f"{d}/200M.bin", f"big-{p}", *common, *flags])
    print(f"big 200M put {p} {ms:.0f} {limit(200 << 20, 3):.0f}", flush=True)
    ms = timed(["get", f"big-{p}", f"{d}/back-{p}", *common, *flags])
    print(f"big 200M get {p} {ms:.0f} {limit(200 << 20, 3):.0f}", flush=True)
    os.remove(f"{d}/back-{p}")
PY
