#!/bin/bash
# Kernel TCP alone on the emulated long link (root): one connection, a python
# server that sends N bytes per request, the client timing 1 KiB, 100 KiB and
# 1 MiB back to back (warm) and after 1.2 s of silence (idle), once the
# connection has carried three 1 MiB bursts. No haul code in the data path:
# what the congestion rule itself achieves (docs/benchmarks.md, issue 16).
#   MODE policy  haul's rule (net/send_congestion.cpp): cubic when not idle,
#                bbr started afresh after idle
#   MODE cubic   cubic always
#   MODE host    the host's default (bbr here), never switched
# Prints: MODE SIZE warm MEDIAN_MS idle MEDIAN_MS limit LIMIT_MS
#   bench/raw_tcp_idle.sh [HAUL] [MODE...]   (default build/haul policy cubic host)
set -eu
HAUL=$(realpath "${1:-build/haul}")
shift || true

MODES=("$@")
[ $# -eq 0 ] && MODES=(policy cubic host)
D=$(mktemp -d)
trap 'rm -rf "$D"' EXIT
cat > "$D/server.py" <<'PY'
import socket, struct, sys, time
mode = sys.argv[1]
TCP_CONGESTION = 13
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("0.0.0.0", 9000)); s.listen(8)
payload = b"x" * (1 << 20)
while True:
    c, _ = s.accept()
    c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    last = time.monotonic()
    while True:
        hdr = c.recv(8)
        if len(hdr) < 8:
            break
        n = struct.unpack("!Q", hdr)[0]
        idle = time.monotonic() - last > 0.5  # the link's RTO is ~0.4 s
        if mode == "policy":
            if idle:  # switching away and back starts bbr afresh
                c.setsockopt(socket.IPPROTO_TCP, TCP_CONGESTION, b"cubic")
                c.setsockopt(socket.IPPROTO_TCP, TCP_CONGESTION, b"bbr")
            else:
                c.setsockopt(socket.IPPROTO_TCP, TCP_CONGESTION, b"cubic")
        elif mode == "cubic":
            c.setsockopt(socket.IPPROTO_TCP, TCP_CONGESTION, b"cubic")
        c.sendall(payload[:n])
        last = time.monotonic()
    c.close()
PY
cat > "$D/client.py" <<'PY'
import os, socket, statistics, struct, sys, time
srv = os.environ["HAUL_NETEM_SERVER"]
for _ in range(50):
    try:
        c = socket.create_connection((srv, 9000))
        break
    except OSError:
        time.sleep(0.1)
c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
def get(n):
    t = time.monotonic()
    c.sendall(struct.pack("!Q", n))
    got = 0
    while got < n:
        got += len(c.recv(1 << 20))
    return (time.monotonic() - t) * 1000
for _ in range(3):
    get(1 << 20)
for n, name in ((1024, "1K"), (100 * 1024, "100K"), (1 << 20, "1M")):
    warm = [get(n) for _ in range(5)]
    idle = []
    for _ in range(5):
        time.sleep(1.2)
        idle.append(get(n))
    print(f"{sys.argv[1]} {name} warm {statistics.median(warm):.0f} idle {statistics.median(idle):.0f} "
          f"limit {200 + n * 8 / 100e6 * 1000:.0f}", flush=True)
PY
for mode in "${MODES[@]}"; do
  "$HAUL" netem --delay-ms 100 --rate 100mbit --server-cmd "exec /usr/bin/python3 $D/server.py $mode" \
    -- /usr/bin/python3 "$D/client.py" "$mode" 2>/dev/null
done
