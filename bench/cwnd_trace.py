#!/usr/bin/python3
"""Uploads N objects of SIZE over the emulated link and samples the sending
socket's TCP_INFO (cwnd, rtt) every 2 ms, to show why a warm connection wins.

Modes: new (a fresh connection per upload, as the seed's client did) and
reuse (one keep-alive connection). --gap-s spaces the uploads (the
slow_start_after_idle experiment). Runs in the client namespace (gateway at
HAUL_NETEM_SERVER). Writes a TSV trace (t_ms upload cwnd rtt_ms) and a JSON
summary (per-upload ms, cwnd at the start of each upload).
Plain http.client so the socket is ours to sample; the request is the
native PUT /v1/objects/{key} with Content-Length.
"""
import argparse
import http.client
import json
import os
import socket
import struct
import sys
import threading
import time

TCP_INFO_LEN = 104
CWND_OFFSET = 8 + 18 * 4   # struct tcp_info: 8 bytes of u8 fields, then u32s; tcpi_snd_cwnd is the 19th
RTT_OFFSET = 8 + 15 * 4    # tcpi_rtt (us)


def tcp_info(sock):
    raw = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, TCP_INFO_LEN)
    cwnd = struct.unpack_from("I", raw, CWND_OFFSET)[0]
    rtt_us = struct.unpack_from("I", raw, RTT_OFFSET)[0]
    return cwnd, rtt_us / 1000.0


class Sampler(threading.Thread):
    def __init__(self, t0):
        super().__init__(daemon=True)
        self.t0, self.sock, self.upload, self.rows, self.stop = t0, None, -1, [], False

    def run(self):
        while not self.stop:
            sock = self.sock
            if sock is not None:
                try:
                    cwnd, rtt = tcp_info(sock)
                    self.rows.append(((time.monotonic() - self.t0) * 1000, self.upload, cwnd, rtt))
                except OSError:
                    pass
            time.sleep(0.002)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--token", required=True)
    ap.add_argument("--port", type=int, default=8080)
    ap.add_argument("--mode", choices=["new", "reuse"], required=True)
    ap.add_argument("--size", type=int, default=1024 * 1024)
    ap.add_argument("--count", type=int, default=5)
    ap.add_argument("--gap-s", type=float, default=0)
    ap.add_argument("--label", required=True)
    ap.add_argument("--outdir", required=True)
    a = ap.parse_args()
    host = os.environ["HAUL_NETEM_SERVER"]
    deadline = time.monotonic() + 60
    while True:  # wait for the gateway
        try:
            c = http.client.HTTPConnection(host, a.port, timeout=5)
            c.request("GET", "/healthz")
            if c.getresponse().status == 200:
                c.close()
                break
        except OSError:
            pass
        if time.monotonic() > deadline:
            sys.exit("cwnd_trace: gateway did not become healthy")
        time.sleep(0.1)

    body = os.urandom(a.size)
    headers = {"Authorization": f"Bearer {a.token}", "Content-Type": "application/octet-stream"}
    t0 = time.monotonic()
    sampler = Sampler(t0)
    sampler.start()
    conn = None
    uploads = []
    for i in range(a.count):
        if i and a.gap_s:
            time.sleep(a.gap_s)
        if conn is None or a.mode == "new":
            if conn is not None:
                conn.close()
            conn = http.client.HTTPConnection(host, a.port, timeout=60)
            start = time.monotonic()
            conn.connect()
        else:
            start = time.monotonic()
        sampler.sock, sampler.upload = conn.sock, i
        cwnd_before, _ = tcp_info(conn.sock)
        conn.request("PUT", f"/v1/objects/cwnd/{a.label}/{i}", body=body, headers=headers)
        r = conn.getresponse()
        r.read()
        ms = (time.monotonic() - start) * 1000
        if r.status not in (200, 201):
            sys.exit(f"cwnd_trace: PUT answered {r.status}")
        cwnd_after, rtt = tcp_info(conn.sock)
        uploads.append({"i": i, "ms": ms, "start_ms": (start - t0) * 1000, "cwnd_before": cwnd_before,
                        "cwnd_after": cwnd_after, "rtt_ms": rtt})
        print(f"cwnd_trace {a.label}: upload {i} {ms:8.1f} ms  cwnd {cwnd_before} -> {cwnd_after}",
              file=sys.stderr, flush=True)
    sampler.stop = True
    sampler.join()
    conn.close()
    with open(os.path.join(a.outdir, f"cwnd-{a.label}.tsv"), "w") as f:
        f.write("# t_ms upload cwnd rtt_ms\n")
        for row in sampler.rows:
            f.write("%.2f\t%d\t%d\t%.2f\n" % row)
    with open(os.path.join(a.outdir, f"cwnd-{a.label}.json"), "w") as f:
        json.dump({"label": a.label, "mode": a.mode, "size": a.size, "gap_s": a.gap_s, "uploads": uploads}, f,
                  indent=1)


if __name__ == "__main__":
    main()
