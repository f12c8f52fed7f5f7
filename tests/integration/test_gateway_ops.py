"""What an operator of the gateway relies on: bounded /metrics, an access
log, /readyz, path-free error messages, and several gateways on one fs store.

Real gateway processes, raw sockets and python-requests. Asserts bytes,
counts and statuses; never timings.
"""
import hashlib
import json
import os
import re
import shutil
import socket
import time

import requests


def pipelined(gw, requests_bytes, expect_each=b"HTTP/1.1 "):
    """Sends the requests on one connection back to back and returns the
    number of responses read (counts status lines; bodies are small JSON)."""
    with socket.create_connection(("127.0.0.1", gw.port), timeout=30) as s:
        s.sendall(b"".join(requests_bytes))
        s.shutdown(socket.SHUT_WR)
        data = b""
        while True:
            b = s.recv(1 << 16)
            if not b:
                break
            data += b
    return data.count(expect_each)


def request_series(text):
    return [line for line in text.splitlines() if line.startswith("haul_requests_total{")]


def test_metrics_series_stay_bounded_with_distinct_methods(gateway):
    """Unauthenticated requests with 3000 distinct 1 KB method names (and
    lowercase spellings of real ones) add no series: they all count as
    method="other"."""
    batches, per_batch = 30, 100
    for b in range(batches):
        reqs = [f"M{b:03d}{i:04d}{'X' * 1000} /healthz HTTP/1.1\r\nHost: x\r\n\r\n".encode()
                for i in range(per_batch)]
        reqs[0] = b"get /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
        assert pipelined(gateway, reqs, b"HTTP/1.1 405") == per_batch
    text = requests.get(gateway.url + "/metrics", timeout=10).text
    series = request_series(text)
    # The health checks of Gateway.start() are GET 200; everything above is other/405.
    assert sorted(series) == sorted([
        'haul_requests_total{method="GET",code="200"} ' + series_value(series, "GET", "200"),
        f'haul_requests_total{{method="other",code="405"}} {batches * per_batch}',
    ]), series
    assert len(text) < 8192, len(text)


def series_value(series, method, code):
    prefix = f'haul_requests_total{{method="{method}",code="{code}"}} '
    (line,) = [s for s in series if s.startswith(prefix)]
    return line[len(prefix):]



# --- several gateways on one fs store -------------------------------------------

def temp_files(store_dir):
    return [os.path.join(d, f) for d, _, fs in os.walk(store_dir / "tmp") for f in fs]


def test_second_gateway_on_the_store_keeps_the_first_ones_upload(make_gateway):
    """Gateway A streams a 16 MiB PUT, pauses halfway; gateway B starts on
    the same store directory (its start used to empty tmp/, and A's commit
    then failed with 404); A's upload completes and reads back whole from
    both."""
    a = make_gateway("a")
    b = make_gateway("b", store=f"fs:{a.store_dir}", start=False)
    b.key_file.write_text(a.key_file.read_text())  # both gateways open what either sealed
    data = os.urandom(16 << 20)
    half = len(data) // 2
    head = (f"PUT /v1/objects/shared/big HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {a.token}\r\n"
            f"Content-Length: {len(data)}\r\n\r\n").encode()
    with socket.create_connection(("127.0.0.1", a.port), timeout=60) as s:
        s.sendall(head + data[:half])
        deadline = time.monotonic() + 30  # until A has sealed part of it into its temp file
        while time.monotonic() < deadline and not any(os.path.getsize(f) > 0 for f in temp_files(a.store_dir)):
            time.sleep(0.02)
        assert temp_files(a.store_dir), "A's upload is under way in a temp file"
        b.start()
        s.sendall(data[half:])
        answer = b""
        while b"\r\n\r\n" not in answer or not answer.rstrip().endswith(b"}"):
            chunk = s.recv(65536)
            if not chunk:
                break
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 201"), answer
    body = json.loads(answer.split(b"\r\n\r\n", 1)[1])
    assert body["sha256"] == hashlib.sha256(data).hexdigest()
    for gw in (a, b):
        r = requests.get(f"{gw.url}/v1/objects/shared/big", headers=gw.auth)
        assert r.status_code == 200
        assert hashlib.sha256(r.content).digest() == hashlib.sha256(data).digest()
    assert b.stop() == 0
    assert a.stop() == 0
    assert temp_files(a.store_dir) == []
    assert os.listdir(a.store_dir / "tmp") == []  # each gateway removed its own temp directory


# --- error messages without paths ------------------------------------------------

def assert_no_path(gw, text):
    """A client-facing text: no absolute path of the store or the test's directories."""
    assert str(gw.workdir) not in text and str(gw.store_dir) not in text, text
    assert not re.search(r"/(tmp|objects|uploads)/", text), text


def test_missing_store_directory_errors_name_no_path(make_gateway, tmp_path):
    """A named store's directory removed under the gateway: writes to it
    answer 507 with a message that names no path; the log keeps the path."""
    other = tmp_path / "other-store"
    gw = make_gateway("gone", extra_args=["--store", f"other=fs:{other}"])
    shutil.rmtree(other)
    for method, url, kw in [
        ("PUT", "/v1/objects/k?store=other", {"data": b"abc"}),
        ("POST", "/v1/uploads?store=other", {"json": {"key": "k", "size": 10, "part_size": 65536}}),
        ("GET", "/v1/objects?store=other", {}),
    ]:
        r = requests.request(method, gw.url + url, headers=gw.auth, **kw)
        assert r.status_code in (200, 404, 507), (method, r.status_code, r.text)  # a list of nothing is fine
        assert_no_path(gw, r.text)
    r = requests.put(f"{gw.url}/v1/objects/k?store=other", data=b"abc", headers=gw.auth)
    assert r.status_code == 507 and r.json()["error"] == "io", r.text
    assert requests.put(f"{gw.url}/v1/objects/k", data=b"abc", headers=gw.auth).status_code == 201
    assert str(other) in gw.log.read_text()
    assert gw.stop() == 0
