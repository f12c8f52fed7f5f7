#!/usr/bin/env python3
"""aws-cli moving 1 GiB through haul's S3 API vs straight to Ceph RGW, on
loopback (where the machine, not the link, is the limit).

One one-node Ceph cluster (scripts/ceph-start). Two paths, same aws-cli
(`s3 cp`, its default 8 MiB multipart parts, 10 threads), same file:
  direct: aws-cli -> RGW (plaintext at rest)
  haul:   aws-cli -> haul gateway (S3 API, SigV4, seals every object)
          -> RGW (the gateway's S3 store on its own bucket)
Prints one line per run and the medians:
  run N OP PATH SECONDS MIB_PER_S
  median OP PATH SECONDS MIB_PER_S RATIO_TO_DIRECT
Usage: bench/s3_loopback.py [--size-mib 1024] [--runs 3] [--haul build/haul]
"""
import argparse
import importlib.util
import os
import pathlib
import socket
import statistics
import subprocess
import tempfile
import time

from gateway_ready import wait_healthy

ROOT = pathlib.Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("haul_ceph", ROOT / "tests" / "integration" / "ceph.py")
haul_ceph = importlib.util.module_from_spec(spec)
spec.loader.exec_module(haul_ceph)

AK, SECRET = "AKHAULBENCH000000001", "bench-secret-s3-loopback"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def timed(cmd, env):
    t0 = time.monotonic()
    subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL)
    return time.monotonic() - t0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--size-mib", type=int, default=1024)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--haul", default=str(ROOT / "build" / "haul"))
    args = ap.parse_args()
    work = pathlib.Path(tempfile.mkdtemp(prefix="haul-s3-loopback."))
    ceph = haul_ceph.Ceph(work / "ceph").start()
    gw = None
    try:
        ceph.aws("s3api", "create-bucket", "--bucket", "direct")
        ceph.aws("s3api", "create-bucket", "--bucket", "haul-store")
        (work / "s3keys").write_text(f"{AK}:{SECRET}\n")
        (work / "tokens").write_text("bench-token\n")
        subprocess.run([args.haul, "keygen"], stdout=open(work / "keys", "w"), check=True)
        port = free_port()
        gw = subprocess.Popen([args.haul, "gateway", "--listen", f"127.0.0.1:{port}",
                               "--store", ceph.store_url("haul-store"), "--master-key-file", str(work / "keys"),
                               "--token-file", str(work / "tokens"), "--s3-credentials-file", str(work / "s3keys"),
                               "--access-log", "off"], stdout=subprocess.DEVNULL, stderr=open(work / "gw.log", "w"))
        wait_healthy(f"http://127.0.0.1:{port}")
        via_haul = dict(ceph.env(), AWS_ACCESS_KEY_ID=AK, AWS_SECRET_ACCESS_KEY=SECRET)
        paths = {
            "direct": ([haul_ceph.AWS, "--endpoint-url", ceph.endpoint, "--region", ceph.region], ceph.env()),
            "haul": ([haul_ceph.AWS, "--endpoint-url", f"http://127.0.0.1:{port}", "--region", "us-east-1"],
                     via_haul),
        }
        subprocess.run(paths["haul"][0] + ["s3", "mb", "s3://via-haul"], env=via_haul, check=True,
                       stdout=subprocess.DEVNULL)
        bucket = {"direct": "direct", "haul": "via-haul"}
        src, back = work / "src.bin", work / "back.bin"
        with open(src, "wb") as f:
            for _ in range(args.size_mib):
                f.write(os.urandom(1 << 20))
        seconds = {}
        for run in range(1, args.runs + 1):
            for name, (aws, env) in paths.items():
                url = f"s3://{bucket[name]}/big.bin"
                for op, cmd in (("put", ["s3", "cp", str(src), url]), ("get", ["s3", "cp", url, str(back)])):
                    s = timed(aws + cmd, env)
                    seconds.setdefault((op, name), []).append(s)
                    print(f"run {run} {op} {name} {s:.2f} {args.size_mib / s:.0f}", flush=True)
                if subprocess.run(["cmp", "-s", str(src), str(back)]).returncode != 0:
                    raise SystemExit(f"{name}: the file read back differs")
                back.unlink()
        for op in ("put", "get"):
            direct = statistics.median(seconds[(op, "direct")])
            for name in paths:
                s = statistics.median(seconds[(op, name)])
                print(f"median {op} {name} {s:.2f} {args.size_mib / s:.0f} {s / direct:.2f}", flush=True)
    finally:
        if gw:
            gw.terminate()
            gw.wait()
        ceph.stop()
        subprocess.run(["rm", "-rf", str(work)])


if __name__ == "__main__":
    main()
