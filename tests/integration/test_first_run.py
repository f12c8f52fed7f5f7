"""What a new user sees first: the README's `scripts/run`, for real.

It must build only what it runs (the binary, not the 169 targets of the
test suite) and print real timings from the seed's own client call.
"""
import os
import pathlib
import re
import signal
import stat
import subprocess
import time

from conftest import ROOT, free_port


def test_scripts_run_builds_the_binary_and_prints_real_timings(tmp_path):
    # A cmake on PATH that records how scripts/run calls it, then runs the real one.
    shim = tmp_path / "bin"
    shim.mkdir()
    calls = tmp_path / "cmake-calls"
    real = subprocess.check_output(["sh", "-c", "command -v cmake"], text=True).strip()
    (shim / "cmake").write_text(f'#!/bin/sh\necho "$*" >> {calls}\nexec {real} "$@"\n')
    (shim / "cmake").chmod(stat.S_IRWXU)
    env = {**os.environ, "PATH": f"{shim}:{os.environ['PATH']}", "HAUL_STATE_DIR": str(tmp_path / "state"),
           "HAUL_LISTEN": f"127.0.0.1:{free_port()}", "HAUL_TLS_LISTEN": f"127.0.0.1:{free_port()}"}
    p = subprocess.Popen([str(ROOT / "scripts" / "run")], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         text=True, env=env, start_new_session=True)
    lines = []
    deadline = time.monotonic() + 1200  # a build from nothing takes minutes on 2 cores
    try:
        for line in p.stdout:
            lines.append(line.rstrip("\n"))
            if "Ctrl-C stops the gateway" in line or time.monotonic() > deadline:
                break
    finally:
        os.killpg(p.pid, signal.SIGINT)
        try:
            p.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()
    out = "\n".join(lines)
    assert "Ctrl-C stops the gateway" in out, out[-3000:]

    builds = [c for c in calls.read_text().splitlines() if c.startswith("--build")]
    assert builds and all("--target haul" in c for c in builds), builds

    assert "round trip: identical bytes" in out and "identical: True" in out, out[-3000:]
    # The seed's script line: "upload PATH, encrypt cost X ms, upload cost Y ms, ..."
    costs = [(float(a), float(b)) for a, b in re.findall(r"encrypt cost ([\d.]+) ms, upload cost ([\d.]+) ms", out)]
    assert len(costs) == 5, out[-3000:]
    assert all(0 < encrypt < upload for encrypt, upload in costs), costs
