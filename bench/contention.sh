#!/bin/bash
# Sharing the long link (root): two `haul put` of SIZE and one curl PUT of
# the same bytes start together through `haul netem` (200 ms RTT, 100 Mbit/s,
# one-BDP drop-tail queue) to one gateway (fs store). Every 0.5 s the client
# namespace's sockets to the gateway are read with `ss -tinp` (bytes_acked per
# socket, summed per process), so each flow's rate is known over time, not
# only on average. Prints:
#   flow NAME SECONDS AVG_MBIT               each transfer, wall time and mean rate
#   shared SECONDS MBIT_A MBIT_B MBIT_CURL JAIN   while all three ran: mean rates
#                                             and Jain's fairness index over them
#   total MBIT                                the link's use while all three ran
# Jain's index (sum x)^2 / (n sum x^2) is 1 for equal shares, 1/n when one
# flow takes everything.
#   bench/contention.sh [HAUL] [SIZE_MIB]   (default build/haul 1024)
set -eu
HAUL=$(realpath "${1:-build/haul}")
SIZE_MIB=${2:-1024}
. "$(dirname "$(realpath "$0")")/link_workdir.sh"
make_link_workdir "$SIZE_MIB"
export HAUL BENCH_DIR="$D" BENCH_LIB="$(dirname "$(realpath "$0")")"
"$HAUL" netem --delay-ms 100 --rate 100mbit \
  --server-cmd "exec \"$HAUL\" gateway --listen 0.0.0.0:8080 --store fs:$D/store --master-key-file $D/key \
    --token-file $D/tokens --access-log off" \
  -- /usr/bin/python3 - <<'PY'
import os, re, subprocess, sys, time
haul, d = os.environ["HAUL"], os.environ["BENCH_DIR"]
sys.path.insert(0, os.environ["BENCH_LIB"])
from gateway_ready import wait_healthy
server = os.environ["HAUL_NETEM_SERVER"]
url = f"http://{server}:8080"
wait_healthy(url)
env = dict(os.environ, HAUL_GATEWAY=url, HAUL_TOKEN="benchtoken")
src = f"{d}/src.bin"
size = os.path.getsize(src)


def start(name, cmd):
    p = subprocess.Popen(cmd, env=dict(env, HAUL_CACHE_DIR=f"{d}/cache-{name}"), stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE)
    return name, p


t0 = time.monotonic()
flows = dict([start("haul-a", [haul, "put", src, "a"]), start("haul-b", [haul, "put", src, "b"]),
              start("curl", ["curl", "-sf", "-o", "/dev/null", "-H", "Authorization: Bearer benchtoken",
                             "-H", "Expect:", "-T", src, f"{url}/v1/objects/c"])])
names = {p.pid: name for name, p in flows.items()}
ended, samples = {}, []  # samples: (t, {flow: bytes acked so far})
acked_by_socket = {}     # (pid, local port) -> bytes_acked, kept after the socket closes
closed = {n: 0 for n in flows}  # bytes of sockets whose port a later socket took
sock_re = re.compile(r"\d+\.\d+\.\d+\.\d+:(\d+)\s+\S+:8080")
while len(ended) < len(flows):
    out = subprocess.run(["ss", "-tinpH", "dst", f"{server}:8080"], capture_output=True, text=True).stdout
    port = pid = None
    for line in out.splitlines():
        m = sock_re.search(line)
        if m:
            port = m.group(1)
            u = re.search(r"pid=(\d+)", line)
            pid = int(u.group(1)) if u else None
            continue
        a = re.search(r"bytes_acked:(\d+)", line)
        if a and port and pid in names:
            value = int(a.group(1))
            if value < acked_by_socket.get((pid, port), 0):  # a new socket on a closed one's port
                closed[names[pid]] += acked_by_socket[(pid, port)]
            acked_by_socket[(pid, port)] = value
    now = time.monotonic() - t0
    per = dict(closed)
    for (pid, _), b in acked_by_socket.items():
        per[names[pid]] += b
    samples.append((now, per))
    for name, p in flows.items():
        if name not in ended and p.poll() is not None:
            if p.returncode != 0:
                sys.exit(f"{name} failed: {p.stderr.read().decode()[-500:]}")
            ended[name] = now
    time.sleep(0.5)

for name in flows:
    print(f"flow {name} {ended[name]:.1f} {size * 8 / ended[name] / 1e6:.1f}", flush=True)
# While all three ran: from the first sample with bytes from every flow to the first end.
first_end = min(ended.values())
start_t = next(t for t, per in samples if all(v > 0 for v in per.values()))
a = next(per for t, per in samples if t >= start_t)
b = [per for t, per in samples if t <= first_end][-1]
t_b = [t for t, per in samples if t <= first_end][-1]
span = t_b - start_t
rates = [(b[n] - a[n]) * 8 / span / 1e6 for n in flows]
jain = sum(rates) ** 2 / (len(rates) * sum(r * r for r in rates))
print(f"shared {span:.1f} " + " ".join(f"{r:.1f}" for r in rates) + f" {jain:.3f}", flush=True)
print(f"total {sum(rates):.1f}", flush=True)
PY
