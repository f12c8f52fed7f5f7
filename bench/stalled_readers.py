#!/usr/bin/python3
"""Stalled readers on loopback (issue 11, item 5): a gateway with --stalled
clients that each send a GET of a 16 MiB object and never read (4 KiB
receive buffers), then one normal 64 KiB GET. Prints one JSON object: the
gateway's RSS and thread count before and with the stalled clients, the
normal GET's status and time, and how many stalled clients got a status line.

Usage: bench/stalled_readers.py [--haul build/haul] [--stalled 300] [-- GATEWAY FLAGS...]
Run it against two binaries to compare (an old build times out the GET).
"""
import argparse
import json
import os
import socket
import subprocess
import tempfile
import time

import requests

from gateway_ready import wait_healthy


def proc_status(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--haul", default="build/haul")
    ap.add_argument("--stalled", type=int, default=300)
    ap.add_argument("--timeout", type=float, default=90, help="seconds the normal GET may take")
    ap.add_argument("gateway_flags", nargs="*")
    a = ap.parse_args()
    work = tempfile.mkdtemp(prefix="haul-stalled-", dir="/var/tmp")
    with open(f"{work}/keys", "w") as f:
        f.write(subprocess.check_output([a.haul, "keygen"], text=True))
    with open(f"{work}/token", "w") as f:
        f.write("benchtoken\n")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    gw = subprocess.Popen([a.haul, "gateway", "--listen", f"127.0.0.1:{port}", "--store", f"fs:{work}/store",
                           "--master-key-file", f"{work}/keys", "--token-file", f"{work}/token", *a.gateway_flags],
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    auth = {"Authorization": "Bearer benchtoken"}
    stalled = []
    try:
        wait_healthy(url)
        requests.put(url + "/v1/objects/big", data=os.urandom(16 << 20), headers=auth).raise_for_status()
        requests.put(url + "/v1/objects/small", data=os.urandom(64 << 10), headers=auth).raise_for_status()
        result = {"stalled": a.stalled, "rss_kib_before": proc_status(gw.pid, "VmRSS"),
                  "threads_before": proc_status(gw.pid, "Threads")}
        for _ in range(a.stalled):
            s = socket.socket()
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            s.connect(("127.0.0.1", port))
            s.sendall(b"GET /v1/objects/big HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer benchtoken\r\n\r\n")
            stalled.append(s)
        time.sleep(2)  # let the gateway fill the stalled sockets
        result["rss_kib_stalled"] = proc_status(gw.pid, "VmRSS")
        result["threads_stalled"] = proc_status(gw.pid, "Threads")
        result["rss_kib_per_stalled"] = round((result["rss_kib_stalled"] - result["rss_kib_before"]) / a.stalled)
        start = time.monotonic()
        try:
            result["normal_get"] = requests.get(url + "/v1/objects/small", headers=auth, timeout=a.timeout).status_code
        except requests.RequestException as e:
            result["normal_get"] = type(e).__name__
        result["normal_get_ms"] = round((time.monotonic() - start) * 1000)
        served = 0
        for s in stalled:
            s.settimeout(5)
            try:
                served += s.recv(12) == b"HTTP/1.1 200"
            except socket.timeout:
                pass
        result["stalled_with_status_line"] = served
        print(json.dumps(result))
    finally:
        for s in stalled:
            s.close()
        gw.terminate()
        gw.wait()
        subprocess.run(["rm", "-rf", work], check=False)


if __name__ == "__main__":
    main()
