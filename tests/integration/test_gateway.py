"""The real gateway with real clients (curl, python3-requests, raw sockets).

Asserts bytes, counts and statuses; never timings.
"""
import hashlib
import json
import os
import random
import signal
import socket
import subprocess
import threading
import time

import pytest
import requests

from conftest import HAUL, haul, raw_exchange, recvmsg_calls_during

SEG = 64 * 1024  # the format's default segment size (docs/format.md)


def put(gw, key, data, **kw):
    return requests.put(f"{gw.url}/v1/objects/{key}", data=data, headers=gw.auth, **kw)


def get(gw, key, headers=None):
    h = dict(gw.auth)
    h.update(headers or {})
    return requests.get(f"{gw.url}/v1/objects/{key}", headers=h)


def curl(*args, check=True):
    return subprocess.run(["curl", "-sS", *args], capture_output=True, check=check)


@pytest.mark.parametrize("size", [0, 1, SEG - 1, SEG, SEG + 1, 3 * SEG + 17])
def test_round_trip_requests(gateway, size):
    data = os.urandom(size)
    r = put(gateway, f"rt/{size}", data)
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["size"] == size
    assert body["sha256"] == hashlib.sha256(data).hexdigest()
    g = get(gateway, f"rt/{size}")
    assert g.status_code == 200
    assert g.content == data
    h = requests.head(f"{gateway.url}/v1/objects/rt/{size}", headers=gateway.auth)
    assert h.status_code == 200
    assert int(h.headers["Content-Length"]) == size
    assert h.headers["X-Haul-Sha256"] == hashlib.sha256(data).hexdigest()


@pytest.mark.parametrize("size", [0, 1, SEG - 1, SEG, SEG + 1])
def test_round_trip_curl(gateway, tmp_path, size):
    src = tmp_path / "src"
    src.write_bytes(os.urandom(size))
    out = tmp_path / "out"
    auth = f"Authorization: Bearer {gateway.token}"
    r = curl("-f", "-T", str(src), "-H", auth, f"{gateway.url}/v1/objects/curl/{size}")
    assert json.loads(r.stdout)["size"] == size
    curl("-f", "-o", str(out), "-H", auth, f"{gateway.url}/v1/objects/curl/{size}")
    assert out.read_bytes() == src.read_bytes()


def test_chunked_upload(gateway):
    data = os.urandom(5 * SEG + 3)
    pieces = (data[i:i + 10007] for i in range(0, len(data), 10007))
    r = requests.put(f"{gateway.url}/v1/objects/chunked", data=pieces, headers=gateway.auth)
    assert r.status_code == 201, r.text
    assert get(gateway, "chunked").content == data


@pytest.mark.slow
def test_round_trip_100_mib_curl(gateway, tmp_path):
    src = tmp_path / "big"
    with open(src, "wb") as f:
        for _ in range(100):
            f.write(os.urandom(1 << 20))
    auth = f"Authorization: Bearer {gateway.token}"
    curl("-f", "-T", str(src), "-H", auth, f"{gateway.url}/v1/objects/big")
    out = tmp_path / "big.out"
    curl("-f", "-o", str(out), "-H", auth, f"{gateway.url}/v1/objects/big")
    assert hashlib.sha256(out.read_bytes()).digest() == hashlib.sha256(src.read_bytes()).digest()


def test_upload_body_is_read_in_large_pieces(gateway, tmp_path):
    """curl sends the header alone and waits for 100 Continue; the header
    read then left the connection's buffer at 1 KiB and every body read took
    1 KiB (32 768 recvmsg calls for 32 MiB). The body must be read in pieces
    of 16 KiB or more."""
    src = tmp_path / "body"
    src.write_bytes(os.urandom(32 << 20))
    auth = f"Authorization: Bearer {gateway.token}"
    calls, _ = recvmsg_calls_during(
        gateway.proc.pid, lambda: curl("-f", "-T", str(src), "-H", auth, f"{gateway.url}/v1/objects/pieces"),
        tmp_path / "strace.txt")
    assert 0 < calls <= (32 << 20) // (16 << 10), calls
    out = tmp_path / "body.out"
    curl("-f", "-o", str(out), "-H", auth, f"{gateway.url}/v1/objects/pieces")
    assert out.read_bytes() == src.read_bytes()


def stored_files(gw):
    root = gw.store_dir / "objects"
    return [os.path.join(d, f) for d, _, fs in os.walk(root) for f in fs]


def test_disk_holds_no_plaintext(gateway):
    marker = b"PLAINTEXT-MARKER-" * 4096
    assert put(gateway, "secret/doc", marker).status_code == 201
    files = stored_files(gateway)
    assert files
    for path in files:
        blob = open(path, "rb").read()
        assert b"PLAINTEXT-MARKER" not in blob
    # Nothing readable in temp or upload areas either.
    for d, _, fs in os.walk(gateway.store_dir):
        for f in fs:
            assert b"PLAINTEXT-MARKER" not in open(os.path.join(d, f), "rb").read()


def test_flipped_byte_fails_visibly(gateway):
    data = os.urandom(4 * SEG)
    assert put(gateway, "tamper/x", data).status_code == 201
    (path,) = [p for p in stored_files(gateway) if "tamper" in p]
    blob = bytearray(open(path, "rb").read())
    # Flip one byte in the third segment: the first two go out, then the cut.
    pos = len(blob) - (2 * (SEG + 16)) + 5
    blob[pos] ^= 0x01
    open(path, "wb").write(bytes(blob))
    r = subprocess.run(["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code} %{size_download}",
                        "-H", f"Authorization: Bearer {gateway.token}", f"{gateway.url}/v1/objects/tamper/x"],
                       capture_output=True, text=True)
    # Either an error status before any byte, or a transfer curl reports as cut.
    code, size = r.stdout.split()
    assert r.returncode != 0 or code != "200"
    assert int(size) < len(data)
    # Damage in the first segment: an error status, no body.
    blob2 = bytearray(open(path, "rb").read())
    blob2[pos] ^= 0x01                      # undo
    first_segment_byte = len(blob2) - (4 * (SEG + 16) + 56) + 3
    blob2[first_segment_byte] ^= 0x80
    open(path, "wb").write(bytes(blob2))
    r2 = get(gateway, "tamper/x")
    assert r2.status_code == 500
    assert r2.json()["error"] == "integrity"


def test_random_ranges(gateway):
    data = os.urandom(5 * SEG + 1234)
    assert put(gateway, "ranges", data).status_code == 201
    rnd = random.Random(7)
    s = requests.Session()
    for _ in range(50):
        a = rnd.randrange(len(data))
        b = rnd.randrange(a, len(data))
        r = s.get(f"{gateway.url}/v1/objects/ranges", headers={**gateway.auth, "Range": f"bytes={a}-{b}"})
        assert r.status_code == 206
        assert r.headers["Content-Range"] == f"bytes {a}-{b}/{len(data)}"
        assert r.content == data[a:b + 1]
    r = s.get(f"{gateway.url}/v1/objects/ranges", headers={**gateway.auth, "Range": "bytes=-100"})
    assert r.status_code == 206 and r.content == data[-100:]
    r = s.get(f"{gateway.url}/v1/objects/ranges", headers={**gateway.auth, "Range": f"bytes={len(data) - 10}-"})
    assert r.status_code == 206 and r.content == data[-10:]
    r = s.get(f"{gateway.url}/v1/objects/ranges", headers={**gateway.auth, "Range": f"bytes={len(data)}-"})
    assert r.status_code == 416
    assert r.headers["Content-Range"] == f"bytes */{len(data)}"
    assert r.json()["error"] == "range_not_satisfiable"
    r = s.get(f"{gateway.url}/v1/objects/ranges", headers={**gateway.auth, "Range": "bytes=zz"})
    assert r.status_code == 400 and r.json()["error"] == "bad_request"


def test_one_curl_process_one_connection(gateway, tmp_path):
    data = os.urandom(1000)
    assert put(gateway, "ka", data).status_code == 201
    before = gateway.metric("haul_connections_accepted_total")
    url = f"{gateway.url}/v1/objects/ka"
    args = ["curl", "-sS", "-f", "-H", f"Authorization: Bearer {gateway.token}"]
    for i in range(100):
        args += ["-o", str(tmp_path / f"o{i}"), url]
    subprocess.run(args, check=True)
    after = gateway.metric("haul_connections_accepted_total")
    # The /metrics scrape itself opens one connection (requests, no session).
    assert after - before == 1 + 1
    assert (tmp_path / "o99").read_bytes() == data


def test_expect_100_continue_answered(gateway, tmp_path):
    src = tmp_path / "f"
    src.write_bytes(os.urandom(2 * 1024 * 1024))
    r = subprocess.run(["curl", "-sS", "-v", "-T", str(src), "-H", f"Authorization: Bearer {gateway.token}",
                        f"{gateway.url}/v1/objects/expect"], capture_output=True, text=True, check=True)
    assert "Expect: 100-continue" in r.stderr
    assert "HTTP/1.1 100 Continue" in r.stderr
    assert json.loads(r.stdout)["size"] == 2 * 1024 * 1024


def test_expect_100_continue_answered_for_an_empty_body_too(gateway):
    """botocore sends Expect: 100-continue with an empty body too (an S3
    folder marker) and, when the final answer comes instead, misreads the next
    response on that connection (a 60 s stall). The invitation goes out
    anyway, once, and the next request on the connection is answered."""
    head = (f"PUT /v1/objects/{{key}} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {gateway.token}\r\n"
            "Expect: 100-continue\r\nContent-Length: {length}\r\n\r\n")
    with socket.create_connection(("127.0.0.1", gateway.port), timeout=10) as s:
        s.sendall(head.format(key="empty", length=0).encode())
        got = b""
        while got.count(b"\r\n\r\n") < 2 or not got.rstrip().endswith(b"}"):
            chunk = s.recv(65536)
            assert chunk, got
            got += chunk
        assert got.startswith(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 ")
        s.sendall(head.format(key="next", length=4).encode())
        got = s.recv(65536)
        assert got == b"HTTP/1.1 100 Continue\r\n\r\n"
        s.sendall(b"next")
        got = s.recv(65536)
        assert got.startswith(b"HTTP/1.1 201 "), got
    r = requests.get(f"{gateway.url}/v1/objects/next", headers=gateway.auth)
    assert r.content == b"next"


def test_seed_client_upload_and_download(gateway):
    """Exactly what the seed's oss.py sends."""
    data = os.urandom(1024 * 1024)
    upload_data = json.dumps({"key": "reports/1M.data"})
    r = requests.post(f"{gateway.url}/upload/files", headers=gateway.auth, files={
        "data": ('', upload_data, "application/json"),
        "file": data,
    })
    assert r.status_code == 201, r.text
    j = r.json()
    assert j["key"] == "reports/1M.data" and j["size"] == len(data)
    assert j["sha256"] == hashlib.sha256(data).hexdigest()
    assert_upload_timings(j)
    d = requests.get(f"{gateway.url}/download/files", params={"key": "reports/1M.data"}, headers=gateway.auth)
    assert d.status_code == 200 and d.content == data
    assert get(gateway, "reports/1M.data").content == data


def assert_upload_timings(answer):
    """Real figures for a 1 MiB upload: sealing 16 segments takes time, and
    sealing and storing are parts of the whole request, not more than it."""
    t = answer["timings"]
    assert 0 < t["encrypt_ms"] < t["total_ms"], t
    assert 0 < t["store_ms"] < t["total_ms"], t
    assert t["encrypt_ms"] + t["store_ms"] <= t["total_ms"], t


def test_native_put_reports_its_timings(gateway):
    r = put(gateway, "timings/1M", os.urandom(1024 * 1024))
    assert r.status_code == 201, r.text
    assert_upload_timings(r.json())


@pytest.mark.parametrize("files,expect", [
    ({"file": b"abc"}, "must come before 'file'"),
    ({"data": ('', json.dumps({"key": "k"}), "application/json")}, "missing 'file'"),
    ({"data": ('', "{not json", "application/json"), "file": b"x"}, "not JSON"),
    ({"data": ('', json.dumps({"nokey": 1}), "application/json"), "file": b"x"}, "key"),
    ({"data": ('', json.dumps({"key": "../etc/passwd"}), "application/json"), "file": b"x"}, "invalid key"),
])
def test_seed_upload_bad_multipart(gateway, files, expect):
    r = requests.post(f"{gateway.url}/upload/files", headers=gateway.auth, files=files)
    assert r.status_code == 400, r.text
    assert expect in r.json()["message"]
    assert stored_files(gateway) == []


def test_seed_upload_file_before_data(gateway):
    r = requests.post(f"{gateway.url}/upload/files", headers=gateway.auth, files={
        "file": b"bytes", "data": ('', json.dumps({"key": "k"}), "application/json")})
    assert r.status_code == 400
    assert "before" in r.json()["message"]


def test_seed_upload_no_boundary(gateway):
    r = requests.post(f"{gateway.url}/upload/files", headers={**gateway.auth, "Content-Type": "multipart/form-data"},
                      data=b"--x\r\n")
    assert r.status_code == 400


def test_seed_upload_truncated_body(gateway):
    req = requests.Request("POST", f"{gateway.url}/upload/files", headers=gateway.auth, files={
        "data": ('', json.dumps({"key": "trunc"}), "application/json"), "file": os.urandom(100000)}).prepare()
    body = req.body[:-60]  # drop the closing boundary
    r = requests.post(req.url, data=body, headers={**gateway.auth, "Content-Type": req.headers["Content-Type"]})
    assert r.status_code == 400
    assert "truncated" in r.json()["message"]
    assert get(gateway, "trunc").status_code == 404


def raw(gw, payload):
    return raw_exchange(gw, payload, half_close=True)


def test_malformed_http(gateway):
    answer = raw(gateway, b"THIS IS NOT HTTP\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 400")
    assert b'"error":"bad_request"' in answer


def test_oversized_headers(gateway):
    answer = raw(gateway, b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 20000 + b"\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 431")


def test_tokens(gateway):
    assert requests.get(f"{gateway.url}/v1/objects/x").status_code == 401
    r = requests.get(f"{gateway.url}/v1/objects/x", headers={"Authorization": "Bearer wrong"})
    assert r.status_code == 401 and r.json()["error"] == "unauthorized"
    assert requests.get(f"{gateway.url}/healthz").status_code == 200
    r = requests.put(f"{gateway.url}/v1/objects/x", data=b"abc")
    assert r.status_code == 401
    assert get(gateway, "x").status_code == 404


def test_unknown_key_and_methods(gateway):
    r = get(gateway, "no/such/key")
    assert r.status_code == 404 and r.json()["error"] == "not_found"
    assert requests.delete(f"{gateway.url}/v1/objects/nope", headers=gateway.auth).status_code == 404
    r = requests.post(f"{gateway.url}/v1/objects/x", headers=gateway.auth, data=b"")
    assert r.status_code == 405
    assert requests.get(f"{gateway.url}/nothing", headers=gateway.auth).status_code == 404


# Dots are percent-encoded: python-requests would resolve a literal "..".
@pytest.mark.parametrize("key", ["a/%2E%2E/b", "%2E%2E", "a/%2E%2E", "%2Fabs", "a%00b", "x" * 1025, "a/%2E/b",
                                 "tab%09key"])
def test_bad_keys(gateway, key):
    r = requests.put(f"{gateway.url}/v1/objects/{key}", data=b"x", headers=gateway.auth)
    assert r.status_code == 400, (key, r.status_code, r.text)
    assert r.json()["error"] == "bad_request"
    assert stored_files(gateway) == []


def test_keys_with_empty_segments(gateway):
    """S3 folder markers ("dir/") and "a//b" are keys like any other, beside
    "a" and "a/b" (docs/store.md: an empty segment is the suffix alone)."""
    keys = ["a", "a/", "a//b", "a/b"]
    for k in keys:
        assert requests.put(f"{gateway.url}/v1/objects/{k}", data=k.encode(), headers=gateway.auth).status_code == 201
    for k in keys:
        assert requests.get(f"{gateway.url}/v1/objects/{k}", headers=gateway.auth).content == k.encode()
    listed = requests.get(f"{gateway.url}/v1/objects?prefix=a", headers=gateway.auth).json()["objects"]
    assert [o["key"] for o in listed] == keys


def test_short_body_stores_nothing(gateway):
    head = (f"PUT /v1/objects/short HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {gateway.token}\r\n"
            "Content-Length: 100000\r\n\r\n").encode()
    with socket.create_connection(("127.0.0.1", gateway.port)) as s:
        s.sendall(head + os.urandom(5000))
        time.sleep(0.2)
    deadline = time.time() + 5
    while time.time() < deadline and gateway.metric("haul_connections_open") > 1:
        time.sleep(0.05)
    assert get(gateway, "short").status_code == 404
    leftovers = [f for _, _, fs in os.walk(gateway.store_dir / "tmp") for f in fs]
    assert leftovers == []


def test_listing_in_gzip_for_clients_that_accept_it(gateway):
    for i in range(200):
        assert put(gateway, f"gz/file-{i:04d}", b"x").status_code == 201
    # python-requests asks for gzip by default and decodes it.
    r = requests.get(f"{gateway.url}/v1/objects", params={"prefix": "gz/"}, headers=gateway.auth)
    assert r.status_code == 200 and r.headers["Content-Encoding"] == "gzip"
    assert r.headers["Vary"] == "Accept-Encoding"
    assert int(r.headers["Content-Length"]) * 4 < len(r.content)  # on the wire vs decoded
    assert [o["key"] for o in r.json()["objects"]] == [f"gz/file-{i:04d}" for i in range(200)]
    # Without Accept-Encoding (curl without --compressed): JSON as it is, same bytes.
    plain = requests.get(f"{gateway.url}/v1/objects", params={"prefix": "gz/"},
                         headers={**gateway.auth, "Accept-Encoding": "identity"})
    assert "Content-Encoding" not in plain.headers
    assert plain.content == r.content
    # haul ls asks for it too, and reads it.
    out = haul("ls", "gz/", "--gateway", gateway.url, "--token", gateway.token).stdout
    assert out.count("gz/file-") == 200


def test_delete_and_list(gateway):
    for i in range(25):
        assert put(gateway, f"list/{i:03d}", b"x" * i).status_code == 201
    assert put(gateway, "other/1", b"y").status_code == 201
    keys, after = [], None
    while True:
        params = {"prefix": "list/", "limit": 10}
        if after:
            params["after"] = after
        page = requests.get(f"{gateway.url}/v1/objects", params=params, headers=gateway.auth).json()
        keys += [o["key"] for o in page["objects"]]
        for o in page["objects"]:
            assert o["size"] == int(o["key"].split("/")[1])
        after = page["next_after"]
        if not after:
            break
    assert keys == [f"list/{i:03d}" for i in range(25)]
    assert requests.delete(f"{gateway.url}/v1/objects/list/003", headers=gateway.auth).status_code == 204
    assert get(gateway, "list/003").status_code == 404
    r = requests.get(f"{gateway.url}/v1/objects", params={"limit": "0"}, headers=gateway.auth)
    assert r.status_code == 400


def test_concurrent_puts_one_version_wins(gateway):
    versions = [bytes([i]) * (3 * SEG + i) for i in range(6)]
    errors = []

    def worker(v):
        for _ in range(5):
            r = put(gateway, "race", v)
            if r.status_code != 201:
                errors.append(r.text)

    threads = [threading.Thread(target=worker, args=(v,)) for v in versions]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert get(gateway, "race").content in versions


def test_kill_9_mid_upload_leaves_nothing(make_gateway):
    gw = make_gateway("crash")
    head = (f"PUT /v1/objects/crash HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {gw.token}\r\n"
            "Content-Length: 50000000\r\n\r\n").encode()
    s = socket.create_connection(("127.0.0.1", gw.port))
    s.sendall(head)
    for _ in range(40):
        s.sendall(os.urandom(256 * 1024))
    gw.proc.send_signal(signal.SIGKILL)
    gw.proc.wait()
    s.close()
    tmp_files = [f for _, _, fs in os.walk(gw.store_dir / "tmp") for f in fs]
    assert tmp_files, "the upload was under way in a temp file"
    gw.start()
    assert get(gw, "crash").status_code == 404
    assert [f for _, _, fs in os.walk(gw.store_dir / "tmp") for f in fs] == []
    assert gw.stop() == 0


def test_parts_upload(gateway):
    part = 2 * SEG
    data = os.urandom(5 * part + 777)
    r = requests.post(f"{gateway.url}/v1/uploads", headers=gateway.auth,
                      json={"key": "parts/obj", "size": len(data), "part_size": part})
    assert r.status_code == 201, r.text
    up = r.json()
    assert up["part_count"] == 6
    uid = up["upload_id"]
    order = [3, 1, 6, 2, 5, 4]
    for n in order:
        chunk = data[(n - 1) * part:n * part]
        pr = requests.put(f"{gateway.url}/v1/uploads/{uid}/parts/{n}", data=chunk, headers=gateway.auth)
        assert pr.status_code == 200, pr.text
        assert pr.json()["sha256"] == hashlib.sha256(chunk).hexdigest()
    # A part sent again replaces the first copy.
    pr = requests.put(f"{gateway.url}/v1/uploads/{uid}/parts/2", data=data[part:2 * part], headers=gateway.auth)
    assert pr.status_code == 200
    assert get(gateway, "parts/obj").status_code == 404  # not visible before complete
    c = requests.post(f"{gateway.url}/v1/uploads/{uid}/complete", headers=gateway.auth,
                      json={"sha256": hashlib.sha256(data).hexdigest()})
    assert c.status_code == 201, c.text
    assert get(gateway, "parts/obj").content == data
    h = requests.head(f"{gateway.url}/v1/objects/parts/obj", headers=gateway.auth)
    assert h.headers["X-Haul-Sha256"] == hashlib.sha256(data).hexdigest()
    r = get(gateway, "parts/obj", {"Range": f"bytes={part - 5}-{part + 5}"})
    assert r.content == data[part - 5:part + 6]


def test_parts_bad_input_and_abort(gateway):
    r = requests.post(f"{gateway.url}/v1/uploads", headers=gateway.auth,
                      json={"key": "p2", "size": 10, "part_size": 1000})
    assert r.status_code == 400  # not a multiple of the segment size
    r = requests.post(f"{gateway.url}/v1/uploads", headers=gateway.auth, data=b"{bad")
    assert r.status_code == 400
    up = requests.post(f"{gateway.url}/v1/uploads", headers=gateway.auth,
                       json={"key": "p2", "size": 3 * SEG, "part_size": SEG}).json()
    uid = up["upload_id"]
    r = requests.put(f"{gateway.url}/v1/uploads/{uid}/parts/1", data=b"short", headers=gateway.auth)
    assert r.status_code == 400
    r = requests.put(f"{gateway.url}/v1/uploads/{uid}/parts/4", data=b"x" * SEG, headers=gateway.auth)
    assert r.status_code == 400
    forged = uid[:-3] + ("AAA" if not uid.endswith("AAA") else "BBB")
    r = requests.put(f"{gateway.url}/v1/uploads/{forged}/parts/1", data=b"x" * SEG, headers=gateway.auth)
    assert r.status_code == 404
    assert requests.put(f"{gateway.url}/v1/uploads/{uid}/parts/1", data=b"x" * SEG,
                        headers=gateway.auth).status_code == 200
    # Completing with a missing part fails and shows nothing.
    c = requests.post(f"{gateway.url}/v1/uploads/{uid}/complete", headers=gateway.auth, json={"sha256": "00" * 32})
    assert c.status_code == 409, c.text
    assert get(gateway, "p2").status_code == 404
    assert requests.delete(f"{gateway.url}/v1/uploads/{uid}", headers=gateway.auth).status_code == 204
    assert get(gateway, "p2").status_code == 404
    uploads = [f for _, _, fs in os.walk(gateway.store_dir / "uploads") for f in fs]
    assert uploads == []


def test_probe_routes(gateway):
    r = requests.get(f"{gateway.url}/v1/probe/download", params={"bytes": 1000000}, headers=gateway.auth)
    assert r.status_code == 200 and len(r.content) == 1000000
    r = requests.put(f"{gateway.url}/v1/probe/upload", data=os.urandom(300000), headers=gateway.auth)
    assert r.status_code == 200 and r.json()["bytes"] == 300000
    r = requests.get(f"{gateway.url}/v1/probe/tcpinfo", headers=gateway.auth)
    info = r.json()
    assert info["snd_mss"] > 0 and "peer" in info and info["state"] == 1
    assert requests.get(f"{gateway.url}/v1/probe/download", params={"bytes": 1 << 31},
                        headers=gateway.auth).status_code == 413
    assert requests.get(f"{gateway.url}/v1/probe/download", headers=gateway.auth).status_code == 400
    assert requests.get(f"{gateway.url}/v1/probe/tcpinfo").status_code == 401


def test_metrics(gateway):
    s = requests.Session()
    for _ in range(3):
        assert s.put(f"{gateway.url}/v1/objects/m", data=b"abc", headers=gateway.auth).status_code == 201
    assert gateway.settled_metric('haul_requests_total{method="PUT",code="201"}', 3) == 3
    m = gateway.metrics()
    assert m["haul_bytes_received_total"] >= 9
    assert m["haul_request_duration_seconds_count"] >= 3
    assert 'haul_sockets{state="established"}' in m
    assert "haul_connections_open" in m


def test_client_close_leaves_no_close_wait(gateway):
    for _ in range(20):
        with socket.create_connection(("127.0.0.1", gateway.port)) as s:
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            s.recv(1000)
    deadline = time.time() + 5
    while time.time() < deadline:
        m = gateway.metrics()
        if m.get('haul_sockets{state="close_wait"}', 0) == 0:
            break
        time.sleep(0.05)
    assert m.get('haul_sockets{state="close_wait"}', 0) == 0
    # The clients closed first: TIME_WAIT, if any, sits on their side.
    assert m.get('haul_sockets{state="time_wait"}', 0) == 0


def test_named_stores(make_gateway, tmp_path):
    gw = make_gateway("named", extra_args=["--store", f"us=fs:{tmp_path / 'us'}"])
    assert put(gw, "k", b"local").status_code == 201
    r = requests.put(f"{gw.url}/v1/objects/k", data=b"remote", headers={**gw.auth, "X-Haul-Store": "us"})
    assert r.status_code == 201
    assert get(gw, "k").content == b"local"
    assert requests.get(f"{gw.url}/v1/objects/k?store=us", headers=gw.auth).content == b"remote"
    assert requests.get(f"{gw.url}/v1/objects/k?store=nope", headers=gw.auth).status_code == 400


def test_key_rotation(make_gateway):
    gw = make_gateway("rot")
    assert put(gw, "old", b"sealed under key 1").status_code == 201
    gw.stop()
    subprocess.run([HAUL, "keygen", "--add", str(gw.key_file)], check=True,
                   capture_output=True)
    assert len([l for l in gw.key_file.read_text().splitlines() if l and not l.startswith("#")]) == 2
    gw.start()
    assert put(gw, "new", b"sealed under key 2").status_code == 201
    assert get(gw, "old").content == b"sealed under key 1"
    assert get(gw, "new").content == b"sealed under key 2"
    assert gw.stop() == 0


def test_congestion_control_flag(make_gateway):
    gw = make_gateway("cc", extra_args=["--congestion", "reno"])
    info = requests.get(f"{gw.url}/v1/probe/tcpinfo", headers=gw.auth).json()
    assert info["congestion"] == "reno"
    assert gw.stop() == 0
    bad = subprocess.run([HAUL, "gateway", "--listen", "127.0.0.1:0", "--store", f"fs:{gw.store_dir}",
                          "--master-key-file", str(gw.key_file), "--token-file", str(gw.token_file),
                          "--congestion", "no-such-cc"], capture_output=True, text=True, timeout=20)
    assert bad.returncode != 0
    assert "--congestion no-such-cc" in bad.stderr and len(bad.stderr.strip().splitlines()) == 1


def test_stalled_downloads_do_not_block_uploads(make_gateway):
    """Downloads whose clients stop reading hold no thread: with two blocking
    threads, four stalled downloads leave an upload's chunks and commit
    served. (--stream-threads, the old per-download pool, is accepted and
    ignored.)"""
    gw = make_gateway("stall", extra_args=["--blocking-threads", "2", "--stream-threads", "8"])
    assert put(gw, "big", os.urandom(32 << 20)).status_code == 201
    stalled = []
    for _ in range(4):  # more stalled downloads than blocking threads
        s = socket.create_connection(("127.0.0.1", gw.port))
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.sendall(f"GET /v1/objects/big HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {gw.token}\r\n\r\n".encode())
        stalled.append(s)
    time.sleep(0.5)  # let the gateway fill the stalled sockets and block
    r = put(gw, "small", b"still served", timeout=20)
    assert r.status_code == 201
    assert get(gw, "small").content == b"still served"
    for s in stalled:
        s.close()
    assert gw.stop() == 0
    assert "--stream-threads is ignored" in gw.log.read_text()


def test_client_leaving_a_stalled_download_frees_its_connection(gateway):
    assert put(gateway, "big", os.urandom(16 << 20)).status_code == 201
    for _ in range(3):
        s = socket.create_connection(("127.0.0.1", gateway.port))
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.sendall(f"GET /v1/objects/big HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {gateway.token}\r\n\r\n".encode())
        time.sleep(0.3)  # the gateway is now blocked writing to it
        s.close()        # unread data: the kernel answers with RST
    # Each scrape opens a connection of its own, and the previous scrape's may
    # still be closing: judge the last value read, not a fresh one.
    deadline = time.time() + 10
    open_now = gateway.metric("haul_connections_open")
    while time.time() < deadline and open_now > 1:
        time.sleep(0.05)
        open_now = gateway.metric("haul_connections_open")
    assert open_now == 1  # only the metrics scrape


def available_congestion():
    with open("/proc/sys/net/ipv4/tcp_available_congestion_control") as f:
        return f.read().split()


def test_congestion_auto_chooses_per_download(gateway):
    """Default --congestion auto: served sockets start on cubic and a small
    download on a new connection stays there; a download larger than the
    window goes out with bbr (when the host has it); a small one on that
    connection afterwards stays on bbr (restarted: going back to cubic would
    let its window validation halve the window; net/send_congestion.hpp)."""
    tcpinfo = f"{gateway.url}/v1/probe/tcpinfo"
    fresh = requests.Session()
    small = fresh.get(f"{gateway.url}/v1/probe/download", params={"bytes": 1000}, headers=gateway.auth)
    assert small.status_code == 200 and len(small.content) == 1000
    assert fresh.get(tcpinfo, headers=gateway.auth).json()["congestion"] == "cubic"
    s = requests.Session()
    assert s.get(tcpinfo, headers=gateway.auth).json()["congestion"] == "cubic"
    big = s.get(f"{gateway.url}/v1/probe/download", params={"bytes": 8 * 1024 * 1024}, headers=gateway.auth)
    assert big.status_code == 200 and len(big.content) == 8 * 1024 * 1024
    expected = "bbr" if "bbr" in available_congestion() else "cubic"
    assert s.get(tcpinfo, headers=gateway.auth).json()["congestion"] == expected
    small = s.get(f"{gateway.url}/v1/probe/download", params={"bytes": 1000}, headers=gateway.auth)
    assert small.status_code == 200 and len(small.content) == 1000
    assert s.get(tcpinfo, headers=gateway.auth).json()["congestion"] == expected
