#!/usr/bin/env python3
"""Many clients on loopback, side by side in one run (issue 11):

1. gateway RSS per idle keep-alive connection (N idle connections, 3 rounds,
   RSS held and RSS after each round);
2. 64 KiB PUT + GET with C clients (wrk, bench/putget.lua) for D seconds, 3
   rounds against the haul gateway (encrypt + fsync + rename per PUT,
   authenticated decryption per GET) and nginx (WebDAV PUT, static GET):
   req/s, p50, p99, errors, and the gateway's RSS after each round.

Prints a Markdown table (for docs/benchmarks.md) and a JSON line.
Usage: bench/load.py [--idle N] [--clients C] [--seconds D]
"""
import argparse
import json
import os
import pathlib
import re
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
HAUL = os.environ.get("HAUL_BIN", str(ROOT / "build" / "haul"))
sys.path.insert(0, str(ROOT / "bench"))
from gateway_ready import wait_healthy  # noqa: E402


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_kib(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def metric(url, name):
    import urllib.request
    text = urllib.request.urlopen(url + "/metrics", timeout=10).read().decode()
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    return 0.0


def settle(url, pid):
    """Connections closed by clients are closed by the gateway, and its
    5-second heap trim has run."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and metric(url, "haul_connections_open") > 1:
        time.sleep(0.1)
    time.sleep(6)
    return rss_kib(pid)


def idle_rounds(url, port, pid, n, rounds=3):
    base = settle(url, pid)
    out = []
    for _ in range(rounds):
        conns = []
        for _ in range(n):
            s = socket.create_connection(("127.0.0.1", port), timeout=30)
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            conns.append(s)
        for s in conns:
            got = b""
            while b'"ok"' not in got:
                chunk = s.recv(4096)
                if not chunk:
                    raise RuntimeError("gateway closed an idle connection")
                got += chunk
        held = rss_kib(pid)
        for s in conns:
            s.close()
        out.append({"held_kib": held, "per_connection_kib": (held - base) / n, "after_kib": settle(url, pid)})
    return base, out


def put(url, key, data, auth=None):
    import urllib.request
    req = urllib.request.Request(url + key, data=data, method="PUT")
    if auth:
        req.add_header("Authorization", auth)
    urllib.request.urlopen(req, timeout=30).read()


def wrk(url, clients, seconds, auth=None, prefix="/"):
    env = {**os.environ, "HAUL_PREFIX": prefix}
    if auth:
        env["HAUL_AUTH"] = auth
    p = subprocess.run(["wrk", "-t2", f"-c{clients}", f"-d{seconds}s", "--timeout", "30s",
                        "-s", str(ROOT / "bench" / "putget.lua"), url], capture_output=True, text=True, env=env)
    m = re.search(r"^JSON (.*)$", p.stdout, re.M)
    if p.returncode != 0 or not m:
        raise RuntimeError(f"wrk failed: {p.stdout}\n{p.stderr}")
    r = json.loads(m.group(1))
    r["rps"] = r["requests"] / r["seconds"]
    return r


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--idle", type=int, default=10000)
    ap.add_argument("--clients", type=int, default=200)
    ap.add_argument("--seconds", type=int, default=20)
    args = ap.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 2 * args.idle + 1000), hard))
    work = pathlib.Path(tempfile.mkdtemp(prefix="haul-load.", dir="/var/tmp"))
    procs = []
    try:
        (work / "keys").write_text(subprocess.check_output([HAUL, "keygen"], text=True))
        (work / "token").write_text("loadtoken\n")
        gw_port = free_port()
        gw = subprocess.Popen([HAUL, "gateway", "--listen", f"127.0.0.1:{gw_port}", "--store", f"fs:{work}/store",
                               "--master-key-file", str(work / "keys"), "--token-file", str(work / "token"),
                               "--access-log", "off"],  # as nginx: access_log off
                              stdout=open(work / "gateway.log", "w"), stderr=subprocess.STDOUT)
        procs.append(gw)
        gw_url = f"http://127.0.0.1:{gw_port}"
        wait_healthy(gw_url)

        ng_port = free_port()
        (work / "www").mkdir()
        (work / "nginx-tmp").mkdir()
        (work / "nginx.conf").write_text(f"""
user root; daemon on; worker_processes 2; pid {work}/nginx.pid; error_log {work}/nginx-error.log;
worker_rlimit_nofile 65536;
events {{ worker_connections 4096; }}
http {{
  access_log off; sendfile on; client_max_body_size 0; client_body_temp_path {work}/nginx-tmp;
  keepalive_requests 1000000; keepalive_timeout 600s;
  server {{ listen 127.0.0.1:{ng_port}; root {work}/www;
           location / {{ dav_methods PUT; create_full_put_path on; }} }}
}}
""")
        subprocess.run(["nginx", "-c", str(work / "nginx.conf")], check=True)
        ng_url = f"http://127.0.0.1:{ng_port}"

        auth = "Bearer loadtoken"
        body = b"x" * 65536
        for i in range(64):
            put(gw_url, f"/v1/objects/load/{i}", body, auth)
            put(ng_url, f"/load/{i}", body)

        base, idle = idle_rounds(gw_url, gw_port, gw.pid, args.idle)
        rounds = []
        for _ in range(3):
            g = wrk(gw_url, args.clients, args.seconds, auth, "/v1/objects/")
            g["rss_after_kib"] = settle(gw_url, gw.pid)
            n = wrk(ng_url, args.clients, args.seconds)
            rounds.append({"haul": g, "nginx": n})
    finally:
        for p in procs:
            p.terminate()
            p.wait()
        if (work / "nginx.pid").exists():
            subprocess.run(["kill", (work / "nginx.pid").read_text().strip()])
            time.sleep(0.3)
        shutil.rmtree(work, ignore_errors=True)

    print(f"Idle keep-alive connections: {args.idle}, gateway RSS baseline {base / 1024:.1f} MiB")
    print()
    print("| round | RSS held | per idle connection | RSS after they close |")
    print("|---|---|---|---|")
    for i, r in enumerate(idle, 1):
        print(f"| {i} | {r['held_kib'] / 1024:.1f} MiB | {r['per_connection_kib']:.2f} KiB | {r['after_kib'] / 1024:.1f} MiB |")
    print()
    print(f"64 KiB PUT + GET, {args.clients} clients (wrk, bench/putget.lua), {args.seconds} s per round, loopback:")
    print()
    print("| round | haul req/s | haul p50 / p99 | nginx req/s | nginx p50 / p99 | haul / nginx req/s | errors (haul, nginx) | gateway RSS after |")
    print("|---|---|---|---|---|---|---|---|")
    for i, r in enumerate(rounds, 1):
        g, n = r["haul"], r["nginx"]
        print(f"| {i} | {g['rps']:.0f} | {g['p50_ms']:.1f} / {g['p99_ms']:.1f} ms | {n['rps']:.0f} | "
              f"{n['p50_ms']:.1f} / {n['p99_ms']:.1f} ms | {g['rps'] / n['rps']:.2f} | "
              f"{g['errors'] + g['status_errors']}, {n['errors'] + n['status_errors']} | {g['rss_after_kib'] / 1024:.1f} MiB |")
    print()
    print("JSON " + json.dumps({"idle": {"n": args.idle, "baseline_kib": base, "rounds": idle}, "load": rounds}))


if __name__ == "__main__":
    main()
