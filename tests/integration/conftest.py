"""Shared fixtures: a real haul gateway process on a free loopback port.

Every integration test talks to real processes: the gateway binary named by
HAUL_BIN (default build/haul), curl, python3-requests and the haul client.
"""
import os
import pathlib
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid

import pytest
import requests

ROOT = pathlib.Path(__file__).resolve().parents[2]
# The client remembers each gateway's round trip (src/client/path_memory.hpp);
# tests start from an empty memory of their own, never the user's ~/.cache.
os.environ["HAUL_CACHE_DIR"] = tempfile.mkdtemp(prefix="haul-test-cache-")
HAUL = os.environ.get("HAUL_BIN", str(ROOT / "build" / "haul"))


def _sanitizer_of(binary):
    """'asan', 'tsan' or None: which sanitizer runtime the haul binary links."""
    try:
        libs = subprocess.run(["ldd", binary], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    return next((name for name in ("asan", "tsan") if f"lib{name}." in libs), None)


# Under a sanitizer the gateway's RSS is mostly the runtime's shadow memory:
# memory targets are checked on the release build only.
SANITIZER = _sanitizer_of(HAUL)


def wait_until(predicate, timeout=30):
    """Polls predicate until it holds or timeout seconds pass; its last value."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return predicate()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def recvmsg_calls_during(pid, action, trace_file):
    """How many recvmsg calls the running process `pid` (all its threads)
    made while `action()` ran, counted by strace; action's result beside it.
    Counts, not times: how big a server's socket reads are."""
    tids = sorted(os.listdir(f"/proc/{pid}/task"))
    cmd = ["strace", "-f", "-qq", "-c", "-e", "trace=recvmsg", "-o", str(trace_file)]
    for tid in tids:
        cmd += ["-p", tid]
    tracer = subprocess.Popen(cmd)

    def attached():
        return all(_tracer_pid(pid, tid) != 0 for tid in tids)

    assert wait_until(attached, 10), "strace did not attach"
    try:
        result = action()
    finally:
        tracer.send_signal(signal.SIGINT)
        tracer.wait(timeout=30)
    for line in pathlib.Path(trace_file).read_text().splitlines():
        fields = line.split()
        if fields and fields[-1] == "recvmsg":
            return int(fields[3]), result
    return 0, result


def _tracer_pid(pid, tid):
    try:
        for line in open(f"/proc/{pid}/task/{tid}/status"):
            if line.startswith("TracerPid:"):
                return int(line.split()[1])
    except FileNotFoundError:
        return -1  # the thread ended: nothing to wait for
    return 0


def stop_process(proc, sig=signal.SIGTERM):
    """Signals a server process and waits (20 s, then SIGKILL); its exit status."""
    if proc and proc.poll() is None:
        proc.send_signal(sig)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return proc.returncode if proc else None


def parse_metrics(text):
    """Prometheus text -> {'name{labels}': value}."""
    out = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            out[name] = float(value)
    return out


class Gateway:
    """A running `haul gateway` with its own store dir, key file and token."""

    def __init__(self, workdir, extra_args=(), store=None):
        self.workdir = pathlib.Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.store_dir = self.workdir / "store"
        self.key_file = self.workdir / "keys"
        self.token_file = self.workdir / "tokens"
        self.token = "test-token-" + os.urandom(8).hex()
        if not self.key_file.exists():
            self.key_file.write_text(subprocess.check_output([HAUL, "keygen"], text=True))
        self.token_file.write_text(self.token + "\n")
        self.store = store or f"fs:{self.store_dir}"
        self.extra_args = list(extra_args)
        self.proc = None
        self.port = None
        self.log = self.workdir / "gateway.log"
        self.wrapper = []  # a command that execs the gateway (e.g. in a mount namespace)

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    @property
    def auth(self):
        return {"Authorization": f"Bearer {self.token}"}

    def start(self):
        self.port = free_port()
        cmd = [HAUL, "gateway", "--listen", f"127.0.0.1:{self.port}", "--store", self.store,
               "--master-key-file", str(self.key_file), "--token-file", str(self.token_file)]
        cmd = self.wrapper + cmd + self.extra_args
        self.proc = subprocess.Popen(cmd, stdout=open(self.log, "ab"), stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gateway exited with {self.proc.returncode}: {self.log.read_text()}")
            try:
                if requests.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return self
            except requests.ConnectionError:
                pass
            time.sleep(0.05)
        raise RuntimeError("gateway did not become healthy: " + self.log.read_text())

    def stop(self, sig=signal.SIGTERM):
        rc = stop_process(self.proc, sig)
        self.proc = None
        return rc

    def scrape(self):
        """The /metrics text (a TLS gateway's test class fetches it over https)."""
        return requests.get(self.url + "/metrics", headers=self.auth, timeout=10).text

    def metrics(self):
        """Parsed /metrics: {'name{labels}': value}."""
        return parse_metrics(self.scrape())

    def metric(self, name):
        return self.metrics().get(name, 0.0)

    def settled_metric(self, name, expected, timeout=10):
        """The metric once it equals `expected`, or its value after `timeout`.
        A request is counted when its answer has been written, so the client
        can hold the answer a moment before the count moves (seen under ASan
        with two test workers)."""
        deadline = time.monotonic() + timeout
        while True:
            value = self.metric(name)
            if value == expected or time.monotonic() > deadline:
                return value
            time.sleep(0.02)


@pytest.fixture
def gateway(tmp_path):
    gw = Gateway(tmp_path / "gw").start()
    yield gw
    rc = gw.stop()
    # A sanitizer report or crash makes the gateway exit non-zero: fail the test.
    assert rc == 0, f"gateway exited with {rc}:\n{gw.log.read_text()[-4000:]}"


@pytest.fixture
def make_gateway(tmp_path):
    """Factory for tests that need special flags, restarts or several gateways."""
    made = []

    def make(name="gw", extra_args=(), store=None, start=True):
        gw = Gateway(tmp_path / name, extra_args, store)
        made.append(gw)
        return gw.start() if start else gw

    yield make
    for gw in made:
        gw.stop(signal.SIGKILL) if gw.proc else None


def haul(*args, check=True, env=None, **kw):
    """Runs the haul binary; returns CompletedProcess with text output."""
    full_env = dict(os.environ)
    full_env.update(env or {})
    return subprocess.run([HAUL, *map(str, args)], capture_output=True, text=True, check=check,
                          env=full_env, **kw)


def raw_exchange(gw, payload, half_close=False, timeout=10):
    """Sends payload on one new connection (then our FIN when half_close) and
    reads until the gateway closes it: every byte the gateway answered with."""
    with socket.create_connection(("127.0.0.1", gw.port), timeout=timeout) as s:
        s.sendall(payload)
        if half_close:
            s.shutdown(socket.SHUT_WR)
        chunks = []
        while True:
            try:
                b = s.recv(65536)
            except ConnectionResetError:
                break
            if not b:
                break
            chunks.append(b)
        return b"".join(chunks)


@pytest.fixture
def netns():
    """A fresh network namespace (its own sysctls, ports and counters) with lo
    up, deleted afterwards; run commands in it with `ip netns exec NAME`."""
    if os.geteuid() != 0:
        pytest.skip("needs root: creates a network namespace (ip netns add)")
    if shutil.which("ip") is None:
        pytest.skip("needs iproute2 (ip)")
    name = "haul-test-" + uuid.uuid4().hex[:8]
    subprocess.run(["ip", "netns", "add", name], check=True)
    try:
        subprocess.run(["ip", "netns", "exec", name, "ip", "link", "set", "lo", "up"], check=True)
        yield name
    finally:
        subprocess.run(["ip", "netns", "del", name], check=False)
