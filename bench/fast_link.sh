#!/bin/bash
# A faster long link (issue 17, item 4): SIZE_MIB up and down through
# `haul netem --delay-ms 100 --rate RATE` (200 ms RTT; the queue is one BDP:
# 25 MB at 1 Gbit/s) to one gateway (fs store), haul (default flags) and a
# single curl stream side by side, REPEAT rounds, cases interleaved. Besides
# each transfer's wall time it reports where the CPU went on this machine's
# cores: the client process (its rusage), the gateway and the link emulator
# itself (both from /proc/PID/stat), so a row says whether the link, the
# socket buffers or the CPU was the limit. Each round starts with iperf3
# (8 streams, 10 s, no encryption, no disk): what the emulated link carries
# on this machine at all.
#   bench/fast_link.sh [HAUL] [SIZE_MIB] [RATE] [REPEAT]   (default build/haul 1024 1gbit 3)
# BUFFERS=big raises tcp_rmem/tcp_wmem maxima in both namespaces to 128 MiB
# (the host default tcp_rmem maximum, 6 MiB, caps one connection's receive
# window below a 25 MB BDP).
# Prints one line per transfer and a median per case:
#   CASE wall S, MBIT Mbit/s, cpu client C gateway G link L (s)
set -eu
HAUL=$(realpath "${1:-build/haul}")
SIZE_MIB=${2:-1024}
RATE=${3:-1gbit}
REPEAT=${4:-3}
. "$(dirname "$(realpath "$0")")/link_workdir.sh"
make_link_workdir "$SIZE_MIB"
sysctls=()
if [ "${BUFFERS:-}" = big ]; then
  sysctls=(--sysctl 'net.ipv4.tcp_rmem=4096 131072 134217728' --sysctl 'net.ipv4.tcp_wmem=4096 16384 134217728')
fi
export HAUL BENCH_DIR="$D" BENCH_LIB="$(dirname "$(realpath "$0")")" REPEAT
"$HAUL" netem --delay-ms 100 --rate "$RATE" "${sysctls[@]}" \
  --server-cmd "iperf3 -s >/dev/null 2>&1 & exec \"$HAUL\" gateway --listen 0.0.0.0:8080 --store fs:$D/store --master-key-file $D/key \
    --token-file $D/tokens --access-log off" \
  -- /usr/bin/python3 - <<'PY'
import json, os, resource, statistics, subprocess, sys, time
haul, d = os.environ["HAUL"], os.environ["BENCH_DIR"]
sys.path.insert(0, os.environ["BENCH_LIB"])
from gateway_ready import wait_healthy
url = f"http://{os.environ['HAUL_NETEM_SERVER']}:8080"
wait_healthy(url)
src, got = f"{d}/src.bin", f"{d}/got.bin"
size = os.path.getsize(src)
tick = os.sysconf("SC_CLK_TCK")


def pid_of(subcommand):
    """The one process whose argv is HAUL SUBCOMMAND ... (network namespaces share /proc)."""
    found = []
    for entry in os.listdir("/proc"):
        try:
            argv = open(f"/proc/{entry}/cmdline", "rb").read().split(b"\0")
        except OSError:
            continue
        if len(argv) > 1 and argv[0] == haul.encode() and argv[1] == subcommand.encode():
            found.append(int(entry))
    if len(found) != 1:
        sys.exit(f"fast_link: expected one 'haul {subcommand}' process, found {found}")
    return found[0]


def cpu_s(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / tick  # utime + stime, all threads


def children_cpu_s():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


gateway, link = pid_of("gateway"), pid_of("netem")
auth = ["-H", "Authorization: Bearer benchtoken"]
haul_flags = ["--gateway", url, "--token", "benchtoken"]
cases = {
    "haul put": [haul, "put", src, "fast/haul", *haul_flags],
    "curl put": ["curl", "-sSf", "-o", "/dev/null", *auth, "-H", "Expect:", "-T", src, f"{url}/v1/objects/fast/curl"],
    "haul get": [haul, "get", "fast/haul", got, *haul_flags],
    "curl get": ["curl", "-sSf", "-o", "/dev/null", *auth, f"{url}/v1/objects/fast/curl"],
}
results = {name: [] for name in ["iperf3 -P 8", *cases]}


def iperf3():
    """Receiver goodput of 8 iperf3 streams over 10 s, in bytes, and the CPU it took."""
    before = (children_cpu_s(), cpu_s(link))
    out = subprocess.run(["iperf3", "-c", os.environ["HAUL_NETEM_SERVER"], "-P", "8", "-t", "10", "-J"],
                         check=True, capture_output=True, text=True).stdout
    after = (children_cpu_s(), cpu_s(link))
    received = json.loads(out)["end"]["sum_received"]
    wall = received["seconds"]
    line = (wall, after[0] - before[0], 0.0, after[1] - before[1])
    results["iperf3 -P 8"].append(line)
    print(f"iperf3 -P 8: {received['bits_per_second'] / 1e6:.1f} Mbit/s over {wall:.1f} s, "
          f"cpu client {line[1]:.2f} link {line[3]:.2f} (s)", flush=True)
    return received["bytes"]


iperf_bytes = []
for _ in range(int(os.environ["REPEAT"])):
    iperf_bytes.append(iperf3())
    for name, cmd in cases.items():
        before = (time.monotonic(), children_cpu_s(), cpu_s(gateway), cpu_s(link))
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        after = (time.monotonic(), children_cpu_s(), cpu_s(gateway), cpu_s(link))
        wall, client, gw, relay = (b - a for a, b in zip(before, after))
        if name == "haul get":
            subprocess.run(["cmp", src, got], check=True)
            os.unlink(got)
        results[name].append((wall, client, gw, relay))
        print(f"{name}: wall {wall:.2f} s, {size * 8 / wall / 1e6:.1f} Mbit/s, "
              f"cpu client {client:.2f} gateway {gw:.2f} link {relay:.2f} (s)", flush=True)
print("median of", os.environ["REPEAT"])
for name, rows in results.items():
    wall, client, gw, relay = (statistics.median(column) for column in zip(*rows))
    moved = statistics.median(iperf_bytes) if name.startswith("iperf3") else size
    print(f"{name}: wall {wall:.2f} s, {moved * 8 / wall / 1e6:.1f} Mbit/s, "
          f"cpu client {client:.2f} gateway {gw:.2f} link {relay:.2f} (s)", flush=True)
PY
