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
import subprocess
import time

import pytest
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


# --- /readyz and error messages without paths ------------------------------------

def readyz(gw):
    r = requests.get(gw.url + "/readyz", timeout=30)  # no token: like /healthz
    return r.status_code, r.json()


def wait_readyz(gw, status):
    """/readyz caches each store's probe for 2 s: poll until it says `status`."""
    deadline = time.monotonic() + 15
    while True:
        code, body = readyz(gw)
        if code == status or time.monotonic() > deadline:
            return code, body
        time.sleep(0.1)


def assert_no_path(gw, text):
    """A client-facing text: no absolute path of the store or the test's directories."""
    assert str(gw.workdir) not in text and str(gw.store_dir) not in text, text
    assert not re.search(r"/(tmp|objects|uploads)/", text), text


def test_readyz_answers_without_token(gateway):
    code, body = readyz(gateway)
    assert code == 200
    assert body == {"status": "ready", "stores": {"default": {"ready": True}}}
    assert requests.head(gateway.url + "/readyz").status_code == 200
    assert requests.post(gateway.url + "/readyz").status_code == 405
    assert requests.get(gateway.url + "/healthz").status_code == 200


def mount_namespaces_work():
    return subprocess.run(["unshare", "-m", "true"], capture_output=True).returncode == 0 and shutil.which("nsenter")


@pytest.mark.skipif(not mount_namespaces_work(), reason="needs unshare -m and nsenter (root)")
def test_read_only_store_is_not_ready_and_errors_name_no_path(make_gateway):
    """The store's file system turns read-only under a running gateway (a
    bind mount in the gateway's own mount namespace, remounted read-only):
    /readyz says 503 and which store, /healthz stays 200, a PUT answers 507
    with a message that names no path; the log keeps the path."""
    gw = make_gateway("ro", start=False)
    gw.store_dir.mkdir(parents=True)
    gw.wrapper = ["unshare", "-m", "--propagation", "private", "sh", "-c",
                  'mount --bind "$0" "$0" && exec "$@"', str(gw.store_dir)]
    gw.start()
    data = os.urandom(100000)
    assert requests.put(f"{gw.url}/v1/objects/before", data=data, headers=gw.auth).status_code == 201
    assert readyz(gw)[0] == 200

    subprocess.run(["nsenter", "-t", str(gw.proc.pid), "-m", "mount", "-o", "remount,ro,bind", str(gw.store_dir)],
                   check=True)
    code, body = wait_readyz(gw, 503)
    assert code == 503, body
    assert body["status"] == "not_ready"
    assert body["stores"]["default"]["ready"] is False
    assert "Read-only file system" in body["stores"]["default"]["message"]
    assert_no_path(gw, json.dumps(body))
    assert requests.get(gw.url + "/healthz").status_code == 200  # liveness is not readiness

    r = requests.put(f"{gw.url}/v1/objects/after", data=b"x" * 1000, headers=gw.auth)
    assert r.status_code == 507, r.text
    assert r.json()["error"] == "io"
    assert "Read-only file system" in r.json()["message"]
    assert_no_path(gw, r.text)
    assert requests.get(f"{gw.url}/v1/objects/before", headers=gw.auth).content == data  # reads still work
    log = gw.log.read_text()
    assert str(gw.store_dir / "tmp") in log  # the operator gets the path
    assert gw.stop() == 0


def test_missing_store_directory_is_not_ready_and_errors_name_no_path(make_gateway, tmp_path):
    """A named store's directory removed under the gateway: /readyz names that
    store (the default one stays ready), writes to it answer 507 without a path."""
    other = tmp_path / "other-store"
    gw = make_gateway("gone", extra_args=["--store", f"other=fs:{other}"])
    assert readyz(gw)[0] == 200
    shutil.rmtree(other)
    code, body = wait_readyz(gw, 503)
    assert code == 503, body
    assert body["stores"]["default"] == {"ready": True}
    assert body["stores"]["other"]["ready"] is False
    assert str(other) not in json.dumps(body)
    assert_no_path(gw, json.dumps(body))
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


# --- access log --------------------------------------------------------------------

FIELDS = ["ts", "conn", "peer", "method", "target", "status", "bytes_in", "bytes_out", "ms", "cut"]


def encoded_all(text):
    return "".join(f"%{b:02X}" for b in text.encode())


def test_access_log_has_one_json_line_per_request_and_never_a_token(make_gateway, tmp_path):
    log = tmp_path / "access.log"
    gw = make_gateway("access", extra_args=["--access-log", str(log)])
    token = gw.token
    s = requests.Session()
    data = os.urandom(70000)
    # The token where a client may put it: header (as it should), query
    # string (raw, percent-encoded, twice encoded), other headers, a cookie,
    # the path and even the method.
    heads = {**gw.auth, "X-Token": token, "Cookie": f"token={token}", "Referer": f"http://x/?t={token}"}
    assert s.put(f"{gw.url}/v1/objects/logged/x?token={token}", data=data, headers=heads).status_code == 201
    assert s.get(f"{gw.url}/v1/objects/logged/x?x={encoded_all(token)}", headers=gw.auth).content == data
    assert s.get(f"{gw.url}/v1/objects/logged/x?y={encoded_all(encoded_all(token))}",
                 headers=gw.auth).status_code == 200
    assert s.get(f"{gw.url}/v1/objects/{token}", headers=gw.auth).status_code == 404
    assert requests.get(f"{gw.url}/v1/objects/logged/x?access_token={token}").status_code == 401
    assert requests.head(f"{gw.url}/v1/objects/logged/x", headers=gw.auth).status_code == 200
    assert pipelined(gw, [f"{token} /healthz HTTP/1.1\r\nHost: x\r\n\r\n".encode()], b"HTTP/1.1 405") == 1
    assert pipelined(gw, [b"NOT HTTP AT ALL\r\n\r\n"], b"HTTP/1.1 400") == 1
    assert gw.stop() == 0  # every line is written before its connection closes

    text = log.read_text()
    for form in (token, encoded_all(token), encoded_all(encoded_all(token))):
        assert form not in text
        assert form not in gw.log.read_text()
    lines = [json.loads(line) for line in text.splitlines()]
    assert all(list(line) == FIELDS for line in lines), lines
    health_checks = [l for l in lines if l["target"] == "/healthz" and l["method"] == "GET"]
    rest = [l for l in lines if l not in health_checks]
    # A line is written when its response is done, so lines of different
    # connections may come in either order; one connection's come in order.
    assert sorted((l["method"], l["status"]) for l in rest) == sorted([
        ("PUT", 201), ("GET", 200), ("GET", 200), ("GET", 404), ("GET", 401), ("HEAD", 200),
        ("[redacted]", 405), ("-", 400)])
    [put_line] = [l for l in rest if l["method"] == "PUT"]
    session = [l for l in rest if l["conn"] == put_line["conn"]]  # one session, one connection
    assert [(l["method"], l["status"]) for l in session] == [("PUT", 201), ("GET", 200), ("GET", 200), ("GET", 404)]
    get_line = session[1]
    others = {(l["method"], l["status"]): l for l in rest if l["conn"] != put_line["conn"]}
    assert len(others) == 4 and len({l["conn"] for l in others.values()}) == 4  # each its own connection
    assert put_line["target"] == "/v1/objects/logged/x?token=[redacted]"
    assert put_line["bytes_in"] == len(data) and put_line["cut"] is False
    assert get_line["target"] == "/v1/objects/logged/x?x=[redacted]"
    assert get_line["bytes_out"] == len(data) and get_line["bytes_in"] == 0
    assert session[3]["target"] == "/v1/objects/[redacted]"
    assert others[("GET", 401)]["target"] == "/v1/objects/logged/x?access_token=[redacted]"
    assert others[("HEAD", 200)]["bytes_out"] == 0  # HEAD: no body
    assert others[("-", 400)]["target"] == "-"
    for l in lines:
        assert l["peer"].startswith("127.0.0.1:")
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", l["ts"])
        assert l["ms"] >= 0


def test_access_log_goes_to_stdout_by_default_and_can_be_off(make_gateway):
    default = make_gateway("stdout")
    off = make_gateway("off", extra_args=["--access-log", "off"])
    for gw in (default, off):
        assert requests.get(gw.url + "/healthz?probe=1").status_code == 200
        assert gw.stop() == 0
    lines = [json.loads(l) for l in default.log.read_text().splitlines() if l.startswith("{")]
    assert any(l["target"] == "/healthz?probe=1" and l["status"] == 200 for l in lines), lines
    assert "/healthz?probe=1" not in off.log.read_text()
