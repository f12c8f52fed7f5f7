"""The haul client (put/get/ls/rm/bench) against a real gateway process.

Every check is on bytes, exit codes, messages and connection counts (the
gateway's haul_connections_accepted_total); none on timings. Mid-transfer
failures are made deterministic by freezing the client (SIGSTOP) once the
gateway's byte counters show the transfer under way, acting, then thawing it.
"""
import hashlib
import http.server
import json
import os
import pathlib
import signal
import subprocess
import threading
import time

import pytest

from conftest import HAUL, haul

MiB = 1 << 20


def env_for(gw, token=None):
    return {"HAUL_GATEWAY": gw.url, "HAUL_TOKEN": token or gw.token}


def client(gw, *args, check=True, token=None, env_extra=None):
    return haul(*args, check=check, env={**env_for(gw, token), **(env_extra or {})})


def write_random(path, size, seed=0):
    """Deterministic pseudo-random bytes (fast: repeated hash blocks)."""
    block = b"".join(hashlib.sha256(f"{seed}-{i}".encode()).digest() for i in range(2048))  # 64 KiB
    with open(path, "wb") as f:
        left = size
        i = 0
        while left > 0:
            chunk = block[i % 7:] + block[:i % 7]  # vary blocks so parts differ
            f.write(chunk[:left])
            left -= len(chunk[:left])
            i += 1
    return path


def sha_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(MiB), b""):
            h.update(chunk)
    return h.hexdigest()


def leftovers(directory):
    return [p.name for p in pathlib.Path(directory).iterdir() if ".haul-" in p.name]


def one_line(text):
    lines = [l for l in text.strip().splitlines() if l.strip()]
    assert len(lines) == 1, text
    return lines[0]


def wait_for_metric(gw, name, above, proc, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if gw.metric(name) > above:
            return
        assert proc.poll() is None, "client ended before the transfer was under way"
        time.sleep(0.005)
    raise AssertionError(f"{name} never passed {above}")


@pytest.mark.parametrize("size", [0, 1, 1000, 65535, 65536, 65537, MiB + 3, 17 * MiB + 5])
def test_round_trip_identical(gateway, tmp_path, size):
    src = write_random(tmp_path / "src.bin", size, seed=size)
    out = client(gateway, "put", src, f"rt/{size}.bin", "--json")
    put = json.loads(out.stdout.splitlines()[0])
    assert put["bytes"] == size and put["sha256"] == sha_file(src)
    # Parts from two 8 MiB parts on; 17 MiB would be 3 parts, made 8 smaller ones: a full round of the
    # default 8 connections (docs/client.md "Parts in full rounds").
    assert put["parts"] == (8 if size == 17 * MiB + 5 else 0)
    dst = tmp_path / "dst.bin"
    client(gateway, "get", f"rt/{size}.bin", dst)
    assert dst.read_bytes() == src.read_bytes()
    assert leftovers(tmp_path) == []
    # Through stdout as well.
    piped = subprocess.run([HAUL, "get", f"rt/{size}.bin", "-"], capture_output=True, env={**os.environ, **env_for(gateway)})
    assert piped.returncode == 0, piped.stderr
    assert piped.stdout == src.read_bytes()


def test_small_parts_and_ranges(gateway, tmp_path):
    """3 MiB + 1 in 64 KiB parts: 49 parts up, 49 ranges down, written at their offsets."""
    src = write_random(tmp_path / "src.bin", 3 * MiB + 1, seed=7)
    out = client(gateway, "put", src, "parts.bin", "--part-size", "64K", "--connections", "4", "--json")
    put = json.loads(out.stdout.splitlines()[0])
    assert put["parts"] == 49 and put["requests"] == 51  # create + 49 parts + complete
    out = client(gateway, "get", "parts.bin", tmp_path / "dst.bin", "--part-size", "64K", "--connections", "4", "--json")
    get = json.loads(out.stdout.splitlines()[0])
    assert get["parts"] == 49 and get["sha256"] == sha_file(src)
    assert (tmp_path / "dst.bin").read_bytes() == src.read_bytes()


def test_trace_has_a_line_per_request(gateway, tmp_path):
    """--trace (and HAUL_TRACE): one JSON line per HTTP request, appended; the parts' and ranges' bytes
    add up to the object, each names the connection (local port) it went over."""
    src = write_random(tmp_path / "src.bin", 3 * MiB + 1, seed=8)
    trace = tmp_path / "trace.jsonl"
    client(gateway, "put", src, "traced.bin", "--part-size", "64K", "--connections", "4", "--trace", trace)
    lines = [json.loads(line) for line in trace.read_text().splitlines()]
    requests = [j for j in lines if not j.get("warmup")]
    parts = [j for j in requests if j["method"] == "PUT"]
    assert len(parts) == 49 and all(j["status"] == 200 for j in parts)
    assert sum(j["bytes_up"] for j in parts) == 3 * MiB + 1
    assert [j["method"] for j in requests if j["method"] == "POST"] == ["POST", "POST"]  # create, complete
    assert all(j["start"] <= j["end"] and j["port"] > 0 for j in requests)
    assert len({j["port"] for j in parts}) <= 4
    # The same file through the environment, a get appended after the put.
    client(gateway, "get", "traced.bin", tmp_path / "dst.bin", "--part-size", "64K", "--connections", "4",
           env_extra={"HAUL_TRACE": str(trace)})
    after = [json.loads(line) for line in trace.read_text().splitlines()][len(lines):]
    ranges = [j for j in after if j["method"] == "GET" and not j.get("warmup") and j["status"] == 206]
    assert sum(j["bytes_down"] for j in ranges) == 3 * MiB + 1
    assert (tmp_path / "dst.bin").read_bytes() == src.read_bytes()
    # A trace file that cannot be written: one line, exit 2 before anything is sent.
    r = client(gateway, "put", src, "never.bin", "--trace", tmp_path / "no-such-dir" / "t.jsonl", check=False)
    assert r.returncode == 2 and one_line(r.stderr).startswith("haul: --trace ")
    assert client(gateway, "ls", "never", check=False).stdout.strip() == ""


@pytest.mark.slow
def test_300_mib_round_trip(gateway, tmp_path):
    src = write_random(tmp_path / "src.bin", 300 * MiB + 17, seed=300)
    client(gateway, "put", src, "big/300")
    client(gateway, "get", "big/300", tmp_path / "dst.bin")
    assert sha_file(tmp_path / "dst.bin") == sha_file(src)


@pytest.mark.slow
def test_256_mib_put_opens_exactly_8_connections(gateway, tmp_path):
    src = write_random(tmp_path / "src.bin", 256 * MiB, seed=256)
    # Each gw.metric() reading opens one connection of its own (python-requests
    # without a session), counted before it is answered: the second reading
    # adds 1 to the delta.
    before = gateway.metric("haul_connections_accepted_total")
    out = client(gateway, "put", src, "big/256", "--connections", "8", "--json")
    after = gateway.metric("haul_connections_accepted_total")
    assert after - before == 8 + 1
    lines = [json.loads(l) for l in out.stdout.splitlines()]
    assert lines[0]["parts"] == 32 and lines[-1]["connections_opened"] == 8
    client(gateway, "get", "big/256", tmp_path / "dst.bin")
    assert sha_file(tmp_path / "dst.bin") == sha_file(src)


def bench(gw, *args):
    out = client(gw, "bench", "--json", *args)
    lines = [json.loads(l) for l in out.stdout.splitlines()]
    return lines[:-1], lines[-1]


@pytest.mark.parametrize("op", ["put", "get"])
def test_bench_reuse_opens_one_connection(gateway, op):
    requests, summary = bench(gateway, "--size", "100K", "--repeat", "20", "--mode", "reuse", "--op", op)
    assert [r["i"] for r in requests] == list(range(20))
    assert all(r["bytes"] == 100 * 1024 for r in requests)
    assert [r["connection_reused"] for r in requests] == [False] + [True] * 19
    assert summary["connections_opened"] == 1
    assert summary["gateway_connections_accepted"] == 1
    assert summary["min_ms"] <= summary["median_ms"] <= summary["max_ms"]


@pytest.mark.parametrize("op", ["put", "get"])
def test_bench_new_opens_a_connection_per_request(gateway, op):
    requests, summary = bench(gateway, "--size", "1K", "--repeat", "20", "--mode", "new", "--op", op)
    assert len(requests) == 20
    assert not any(r["connection_reused"] for r in requests)
    assert all(r["connections_opened"] == 1 for r in requests)
    assert summary["connections_opened"] == 20
    assert summary["gateway_connections_accepted"] == 20


def test_bench_pool_is_warm_before_the_first_request(gateway):
    requests, summary = bench(gateway, "--size", "1M", "--repeat", "5", "--mode", "pool", "--op", "get",
                              "--connections", "4", "--rtt-ms", "200")
    assert all(r["connection_reused"] for r in requests)
    assert all(r["requests"] == 4 for r in requests)  # 4 ranges of 256 KiB
    assert summary["connections_opened"] == 4 and summary["gateway_connections_accepted"] == 4
    assert summary["rtt_ms"] == 200 and requests[0]["rtts"] == requests[0]["ms"] / 200


def test_bench_human_output(gateway):
    out = client(gateway, "bench", "--size", "1K", "--repeat", "3", "--mode", "reuse").stdout
    assert out.count("\n  #") == 3
    assert "median" in out and "connections opened: 1 (libcurl), 1 (gateway" in out


def test_recursive_1000_small_files(gateway, tmp_path):
    src = tmp_path / "src"
    for i in range(1000):
        d = src / f"d{i % 10}" / ("deep" if i % 3 == 0 else "")
        d.mkdir(parents=True, exist_ok=True)
        (d / f"f{i}.txt").write_bytes(os.urandom(i % 2000))
    out = client(gateway, "put", src, "tree", "--recursive", "--inflight", "32", "--json")
    lines = [json.loads(l) for l in out.stdout.splitlines()]
    assert lines[-1]["transfers"] == 1000 and lines[-1]["failed"] == 0
    # The pool (8 connections) carried all 1000 uploads.
    assert lines[-1]["connections_opened"] <= 8
    listed = client(gateway, "ls", "tree/", "--json").stdout.splitlines()
    assert json.loads(listed[-1])["objects"] == 1000
    dst = tmp_path / "dst"
    out = client(gateway, "get", "tree/", dst, "--recursive", "--inflight", "32", "--json")
    assert json.loads(out.stdout.splitlines()[-1])["transfers"] == 1000
    a = sorted(p.relative_to(src) for p in src.rglob("*") if p.is_file())
    b = sorted(p.relative_to(dst) for p in dst.rglob("*") if p.is_file())
    assert a == b and len(a) == 1000
    for rel in a:
        assert (src / rel).read_bytes() == (dst / rel).read_bytes(), rel


def test_ls_follows_pages_and_rm(gateway, tmp_path):
    f = tmp_path / "x"
    f.write_bytes(b"hello")
    for i in range(3):
        client(gateway, "put", f, f"ls/{i}")
    out = client(gateway, "ls", "ls/").stdout.splitlines()
    assert [l.split()[-1] for l in out] == ["ls/0", "ls/1", "ls/2"]
    client(gateway, "rm", "ls/1")
    out = client(gateway, "ls", "ls/").stdout.splitlines()
    assert [l.split()[-1] for l in out] == ["ls/0", "ls/2"]
    r = client(gateway, "rm", "ls/1", check=False)
    assert r.returncode == 1 and "404" in one_line(r.stderr)


def test_wrong_token_is_a_clear_error(gateway, tmp_path):
    f = tmp_path / "x"
    f.write_bytes(b"data")
    r = client(gateway, "put", f, "k", check=False, token="wrong")
    assert r.returncode == 1
    assert "401" in one_line(r.stderr) and "unauthorized" in r.stderr
    r = client(gateway, "get", "k", tmp_path / "y", check=False, token="wrong")
    assert r.returncode == 1 and "401" in one_line(r.stderr)
    assert not (tmp_path / "y").exists() and leftovers(tmp_path) == []


def test_missing_object_and_unreachable_gateway(gateway, tmp_path):
    r = client(gateway, "get", "no/such", tmp_path / "y", check=False)
    assert r.returncode == 1 and "404" in one_line(r.stderr)
    assert not (tmp_path / "y").exists() and leftovers(tmp_path) == []
    port = gateway.port
    gateway.stop()
    r = haul("get", "k", tmp_path / "y", check=False, env={"HAUL_GATEWAY": f"http://127.0.0.1:{port}",
                                                           "HAUL_TOKEN": "t"})
    assert r.returncode == 1 and "cannot reach gateway" in one_line(r.stderr)
    gateway.start()  # the fixture expects a running gateway to stop


def test_bad_flags_exit_2(gateway, tmp_path):
    r = client(gateway, "put", tmp_path, "k", "--part-size", "1000", check=False)
    assert r.returncode == 2 and "64 KiB" in one_line(r.stderr)
    r = haul("ls", check=False, env={"HAUL_GATEWAY": "", "HAUL_TOKEN": ""})
    assert r.returncode == 2 and "HAUL_GATEWAY" in one_line(r.stderr)


def start_client(gw, *args):
    return subprocess.Popen([HAUL, *map(str, args)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, **env_for(gw)})


def test_gateway_killed_mid_download(make_gateway, tmp_path):
    gw = make_gateway()
    src = write_random(tmp_path / "src.bin", 256 * MiB, seed=9)
    client(gw, "put", src, "victim")
    dst = tmp_path / "out" / "dst.bin"
    dst.parent.mkdir()
    sent = gw.metric("haul_bytes_sent_total")
    proc = start_client(gw, "get", "victim", dst, "--part-size", "1M", "--connections", "2")
    wait_for_metric(gw, "haul_bytes_sent_total", sent + 16 * MiB, proc)
    proc.send_signal(signal.SIGSTOP)
    gw.stop(signal.SIGKILL)
    proc.send_signal(signal.SIGCONT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 1
    assert "gateway" in one_line(err)
    assert not dst.exists() and os.listdir(dst.parent) == []


def paused_mid_upload(gw, src, key, *args):
    """A client uploading src as key, stopped (SIGSTOP) once the gateway has 16 MiB of it."""
    received = gw.metric("haul_bytes_received_total")
    proc = start_client(gw, "put", src, key, *args)
    wait_for_metric(gw, "haul_bytes_received_total", received + 16 * MiB, proc)
    proc.send_signal(signal.SIGSTOP)
    return proc


def test_gateway_killed_mid_upload(make_gateway, tmp_path):
    gw = make_gateway()
    src = write_random(tmp_path / "src.bin", 256 * MiB, seed=10)
    proc = paused_mid_upload(gw, src, "victim", "--part-size", "256M")  # one streaming PUT
    gw.stop(signal.SIGKILL)
    proc.send_signal(signal.SIGCONT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 1 and "gateway" in one_line(err)
    gw.start()
    r = client(gw, "get", "victim", tmp_path / "x", check=False)
    assert r.returncode == 1 and "404" in r.stderr  # a short body stores nothing


def test_interrupted_parts_upload_leaves_nothing(make_gateway, tmp_path):
    gw = make_gateway()
    files_before = sorted(str(p) for p in gw.store_dir.rglob("*") if p.is_file())
    src = write_random(tmp_path / "src.bin", 256 * MiB, seed=11)
    proc = paused_mid_upload(gw, src, "aborted", "--part-size", "1M", "--connections", "2")
    proc.send_signal(signal.SIGINT)
    proc.send_signal(signal.SIGCONT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 1 and "interrupted" in one_line(err)
    assert gw.settled_metric('haul_requests_total{method="DELETE",code="204"}', 1) == 1  # the abort
    assert client(gw, "ls", "aborted").stdout == ""
    r = client(gw, "get", "aborted", tmp_path / "x", check=False)
    assert r.returncode == 1 and "404" in r.stderr
    files_after = sorted(str(p) for p in gw.store_dir.rglob("*") if p.is_file())
    assert files_after == files_before


def test_get_to_a_device_writes_in_place(gateway, tmp_path):
    """`haul get KEY /dev/null` must not rename a temp file over the device."""
    import stat
    src = tmp_path / "f"
    src.write_bytes(os.urandom(100000))
    env = {"HAUL_GATEWAY": gateway.url, "HAUL_TOKEN": gateway.token}
    haul("put", src, "dev/f", env=env)
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    out = []
    reader = threading.Thread(target=lambda: out.append(open(fifo, "rb").read()))
    reader.start()
    haul("get", "dev/f", fifo, env=env)
    reader.join(timeout=30)
    assert out == [src.read_bytes()]
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    haul("get", "dev/f", "/dev/null", env=env)
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


def test_congestion_auto_per_upload_and_pinned(gateway, tmp_path):
    """Default --congestion auto: a small upload's connection sends with cubic,
    a fresh connection's multi-MiB upload with bbr (when the host has it);
    --congestion reno pins reno (net/send_congestion.hpp)."""
    with open("/proc/sys/net/ipv4/tcp_available_congestion_control") as f:
        available = f.read().split()
    small = write_random(tmp_path / "small.bin", 1000)
    big = write_random(tmp_path / "big.bin", 3 * MiB)

    def congestion(*args):
        out = client(gateway, "put", *args, "--json")
        return json.loads(out.stdout.splitlines()[0])["tcp_info"]["congestion"]

    assert congestion(small, "cc/small") == "cubic"
    assert congestion(big, "cc/big") == ("bbr" if "bbr" in available else "cubic")
    assert congestion(big, "cc/reno", "--congestion", "reno") == "reno"
    bad = client(gateway, "put", small, "cc/bad", "--congestion", "no such", check=False)
    assert bad.returncode != 0 and "--congestion" in one_line(bad.stderr)


class FakeGateway:
    """A stand-in that answers every request with one error status, the way
    the gateway does: JSON {"error", "message"} and the message also in
    X-Haul-Error (a HEAD answer has no body). Used for statuses a real
    gateway gives only in hard-to-stage states (409, 413, 416, 507)."""

    def __init__(self, status, kind):
        message = f"the fake gateway refuses with {status} ({kind})"
        body = (json.dumps({"error": kind, "message": message}) + "\n").encode()

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def answer(self):
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("X-Haul-Error", message)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = answer

            def log_message(self, *args):
                pass

        self.message = message
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.mark.parametrize("status,kind", [(409, "conflict"), (413, "payload_too_large"),
                                         (416, "range_not_satisfiable"), (507, "io")])
def test_client_prints_the_gateways_message_for_each_status(tmp_path, status, kind):
    fake = FakeGateway(status, kind)
    src = tmp_path / "src"
    src.write_bytes(b"x" * 1000)
    env = {"HAUL_GATEWAY": fake.url, "HAUL_TOKEN": "t"}
    try:
        for args in (["get", "some/key", tmp_path / "out"], ["put", src, "some/key"], ["rm", "some/key"], ["ls", "some/"]):
            r = haul(*args, check=False, env=env)
            line = one_line(r.stderr)
            assert r.returncode == 1, (args, r.stderr)
            assert fake.message in line and str(status) in line, (args, line)
        assert not (tmp_path / "out").exists() and leftovers(tmp_path) == []
    finally:
        fake.close()


def test_client_prints_the_real_gateways_not_found_message(gateway, tmp_path):
    """`haul get` starts with a HEAD, whose answer has no body: the reason
    comes from the gateway's X-Haul-Error header, not a bare "404"."""
    r = client(gateway, "get", "nope/x", tmp_path / "out", check=False)
    line = one_line(r.stderr)
    assert r.returncode == 1
    assert "nope/x" in line.split(":", 2)[-1] and "404" in line, line
    r = client(gateway, "rm", "nope/x", check=False)
    assert r.returncode == 1 and "nope/x" in one_line(r.stderr).split(":", 2)[-1]
