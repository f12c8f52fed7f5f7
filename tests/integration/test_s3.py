"""The gateway on the S3 store, against a real S3 server: a one-node Ceph RGW
started by scripts/ceph-start for this session (tests/integration/ceph.py).

Clients are real: curl and python3-requests to the gateway; aws-cli and
curl --aws-sigv4 straight to RGW to look at what the bucket really holds.
"""
import hashlib
import importlib.util
import json
import os
import pathlib
import re
import shutil
import signal
import socket
import subprocess
import time

import pytest
import requests

from conftest import HAUL, Gateway
from stripe_client import send_stripes
from tls_support import Pki, TlsFront

_spec = importlib.util.spec_from_file_location("haul_ceph", pathlib.Path(__file__).with_name("ceph.py"))
haul_ceph = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(haul_ceph)

SEGMENT = 64 * 1024          # the format's default segment size (plaintext bytes)
PART = 8 * 1024 * 1024       # the S3 store's part buffer
MiB_S3 = 1024 * 1024

missing = haul_ceph.missing_tools()
if missing:
    pytest.skip(f"Ceph packages not installed ({', '.join(missing)}): run scripts/deps.sh s3",
                allow_module_level=True)
if not os.path.exists(HAUL):
    pytest.skip(f"no haul binary at {HAUL}", allow_module_level=True)


@pytest.fixture(scope="session")
def ceph(tmp_path_factory):
    cluster = haul_ceph.Ceph(tmp_path_factory.mktemp("ceph") / "cluster").start()
    yield cluster
    cluster.stop()


_buckets = iter(range(1, 1000))


@pytest.fixture
def bucket(ceph):
    name = f"haul-it-{os.getpid()}-{next(_buckets)}"
    ceph.make_bucket(name)
    return name


@pytest.fixture
def s3_gateway(ceph, bucket, tmp_path):
    gw = Gateway(tmp_path / "gw", store=ceph.store_url(bucket)).start()
    gw.bucket = bucket
    yield gw
    rc = gw.stop()
    assert rc == 0, f"gateway exited with {rc}:\n{gw.log.read_text()[-4000:]}"


def body(size, seed=0):
    """Deterministic bytes with a recognisable plaintext marker every 4 KiB."""
    block = (b"HAUL-PLAINTEXT-MARKER-%08d-" % seed).ljust(4096, b"p")
    return (block * (size // len(block) + 1))[:size]


def put(gw, key, data):
    r = requests.put(f"{gw.url}/v1/objects/{key}", data=data, headers=gw.auth, timeout=120)
    assert r.status_code == 201, r.text
    return r.json()


def get(gw, key, headers=None):
    return requests.get(f"{gw.url}/v1/objects/{key}", headers={**gw.auth, **(headers or {})}, timeout=120)


@pytest.mark.parametrize("size", [0, 1, SEGMENT - 1, SEGMENT, SEGMENT + 1, 3 * SEGMENT + 17])
def test_round_trip_small(s3_gateway, size):
    data = body(size, size)
    answer = put(s3_gateway, f"rt/{size}", data)
    assert answer["size"] == size
    assert answer["sha256"] == hashlib.sha256(data).hexdigest()
    r = get(s3_gateway, f"rt/{size}")
    assert r.status_code == 200
    assert r.content == data


def test_striped_upload_on_s3(s3_gateway, ceph):
    """86 stripes (the client's cold 1 MiB) sealed as one ordinary object in the bucket."""
    data = body(MiB_S3, 86)
    answers = send_stripes(s3_gateway, "striped/one", "upload-s3-1", data, 86)
    assert sorted(r.status_code for r in answers.values()) == [201] + [202] * 85
    r = get(s3_gateway, "striped/one")
    assert r.status_code == 200 and r.content == data
    assert ceph.pending_uploads(s3_gateway.bucket) == []
    assert ceph.list_keys(s3_gateway.bucket) == ["striped/one"]  # no short parts left beside it


@pytest.mark.slow
def test_round_trip_multipart_with_curl(s3_gateway, ceph, tmp_path):
    size = 20 * 1024 * 1024 + 12345   # three 8 MiB backend parts
    src = tmp_path / "big"
    src.write_bytes(body(size, 7))
    url = f"{s3_gateway.url}/v1/objects/big/object"
    auth = f"Authorization: Bearer {s3_gateway.token}"
    out = subprocess.run(["curl", "-sS", "-f", "-T", str(src), "-H", auth, url], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["size"] == size
    dst = tmp_path / "back"
    out = subprocess.run(["curl", "-sS", "-f", "-o", str(dst), "-H", auth, url], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert dst.read_bytes() == src.read_bytes()
    # Chunked upload (no Content-Length) from python-requests, streamed.
    def chunks():
        data = src.read_bytes()
        for at in range(0, len(data), 1 << 20):
            yield data[at:at + (1 << 20)]
    r = requests.put(f"{s3_gateway.url}/v1/objects/big/chunked", data=chunks(), headers=s3_gateway.auth, timeout=120)
    assert r.status_code == 201, r.text
    assert get(s3_gateway, "big/chunked").content == src.read_bytes()
    assert ceph.pending_uploads(s3_gateway.bucket) == []


def test_ranges(s3_gateway):
    size = 5 * SEGMENT + 1000
    data = body(size, 3)
    put(s3_gateway, "ranges", data)
    for header, lo, hi in [("bytes=0-0", 0, 0), ("bytes=10-99", 10, 99), (f"bytes={SEGMENT - 1}-{SEGMENT}", SEGMENT - 1, SEGMENT),
                           (f"bytes={2 * SEGMENT}-", 2 * SEGMENT, size - 1), ("bytes=-100", size - 100, size - 1),
                           (f"bytes=0-{size + 50}", 0, size - 1)]:
        r = get(s3_gateway, "ranges", {"Range": header})
        assert r.status_code == 206, (header, r.status_code, r.text[:200])
        assert r.content == data[lo:hi + 1], header
        assert r.headers["Content-Range"] == f"bytes {lo}-{hi}/{size}"
    r = get(s3_gateway, "ranges", {"Range": f"bytes={size}-"})
    assert r.status_code == 416
    assert r.headers["Content-Range"] == f"bytes */{size}"


def test_head_delete_list(s3_gateway):
    data = body(1000, 4)
    for key in ["l/a", "l/b", "l/c/d", "m"]:
        put(s3_gateway, key, data)
    r = requests.head(f"{s3_gateway.url}/v1/objects/l/a", headers=s3_gateway.auth, timeout=30)
    assert r.status_code == 200
    assert int(r.headers["Content-Length"]) == 1000
    assert r.headers["X-Haul-Sha256"] == hashlib.sha256(data).hexdigest()
    r = requests.get(f"{s3_gateway.url}/v1/objects", params={"prefix": "l/"}, headers=s3_gateway.auth, timeout=30)
    assert r.status_code == 200
    assert [o["key"] for o in r.json()["objects"]] == ["l/a", "l/b", "l/c/d"]
    assert all(o["size"] == 1000 for o in r.json()["objects"])
    r = requests.get(f"{s3_gateway.url}/v1/objects", params={"prefix": "l/", "limit": 2}, headers=s3_gateway.auth,
                     timeout=30)
    assert [o["key"] for o in r.json()["objects"]] == ["l/a", "l/b"]
    assert r.json()["next_after"] == "l/b"
    assert requests.delete(f"{s3_gateway.url}/v1/objects/l/b", headers=s3_gateway.auth, timeout=30).status_code == 204
    assert requests.delete(f"{s3_gateway.url}/v1/objects/l/b", headers=s3_gateway.auth, timeout=30).status_code == 404
    assert get(s3_gateway, "l/b").status_code == 404
    assert requests.head(f"{s3_gateway.url}/v1/objects/l/b", headers=s3_gateway.auth, timeout=30).status_code == 404


def test_bucket_holds_ciphertext_only(s3_gateway, ceph, tmp_path):
    data = body(300 * 1024, 5)
    put(s3_gateway, "secret/doc.txt", data)
    put(s3_gateway, "secret/small.txt", b"HAUL-PLAINTEXT-MARKER tiny")
    keys = ceph.list_keys(s3_gateway.bucket)
    assert sorted(keys) == ["secret/doc.txt", "secret/small.txt"]
    for key in keys:
        raw = ceph.aws("s3", "cp", f"s3://{s3_gateway.bucket}/{key}", "-", binary=True).stdout
        assert len(raw) > 0
        assert b"HAUL-PLAINTEXT-MARKER" not in raw, key
        assert b"pppppppp" not in raw, key
    raw = ceph.curl("-i", f"{ceph.endpoint}/{s3_gateway.bucket}/secret/doc.txt")
    assert raw.returncode == 0
    head, _, content = raw.stdout.partition(b"\r\n\r\n")
    assert b"x-amz-meta-haul-header:" in head.lower()   # the format header rides in metadata
    assert len(content) > len(data)                      # tags and trailer
    assert b"HAUL-PLAINTEXT-MARKER" not in content


def test_tampered_ciphertext_in_the_bucket_is_refused(s3_gateway, ceph, tmp_path):
    data = body(200 * 1024, 11)   # four segments
    put(s3_gateway, "t", data)
    url = f"{ceph.endpoint}/{s3_gateway.bucket}/t"
    out = ceph.curl("-f", "-D", str(tmp_path / "headers"), url)
    assert out.returncode == 0
    meta = [line.split(":", 1)[1].strip() for line in (tmp_path / "headers").read_text().splitlines()
            if line.lower().startswith("x-amz-meta-haul-header:")]
    assert len(meta) == 1
    bad = bytearray(out.stdout)
    bad[len(bad) // 2] ^= 0x01      # one bit in segment 1
    (tmp_path / "bad").write_bytes(bad)
    assert ceph.curl("-f", "-T", str(tmp_path / "bad"), "-H", f"x-amz-meta-haul-header: {meta[0]}", url).returncode == 0
    try:
        r = get(s3_gateway, "t")
        served_intact = r.status_code == 200 and r.content == data
        served_wrong = r.status_code == 200 and len(r.content) == len(data) and r.content != data
    except requests.exceptions.RequestException:  # cut mid-stream: the announced length never completes
        served_intact = served_wrong = False
    assert not served_intact and not served_wrong
    # Segment 0 is intact: a range inside it is still served.
    r = get(s3_gateway, "t", {"Range": "bytes=0-99"})
    assert r.status_code == 206 and r.content == data[:100]
    try:
        r = get(s3_gateway, "t", {"Range": f"bytes={SEGMENT}-{SEGMENT + 10}"})
        assert r.status_code >= 500, r.status_code   # nothing sent yet: an error status
        assert r.json()["error"] == "integrity"
    except requests.exceptions.RequestException:
        pass


def _upload_and_kill(gw, key, total, send):
    """Sends `send` of `total` announced body bytes, then resets the connection."""
    s = socket.create_connection(("127.0.0.1", gw.port))
    s.sendall((f"PUT /v1/objects/{key} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {gw.token}\r\n"
               f"Content-Length: {total}\r\n\r\n").encode())
    chunk = body(1 << 20, 9)
    sent = 0
    while sent < send:
        n = min(len(chunk), send - sent)
        s.sendall(chunk[:n])
        sent += n
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    s.close()  # RST: the client died mid-upload


@pytest.mark.slow
def test_killed_upload_leaves_no_object_and_no_multipart_upload(s3_gateway, ceph):
    initiated = 'haul_backend_requests_total{store="default",op="initiate",code="200"}'
    aborted = 'haul_backend_requests_total{store="default",op="abort",code="204"}'
    before = s3_gateway.metrics()
    # 20 MiB of 40: two backend parts went up, so a multipart upload exists.
    _upload_and_kill(s3_gateway, "killed", 40 << 20, 20 << 20)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and s3_gateway.metric(aborted) == before.get(aborted, 0):
        time.sleep(0.2)
    after = s3_gateway.metrics()
    assert after[initiated] - before.get(initiated, 0) == 1   # the upload had become a multipart upload
    assert after[aborted] - before.get(aborted, 0) == 1       # and the gateway aborted it
    assert ceph.pending_uploads(s3_gateway.bucket) == []
    assert "killed" not in ceph.list_keys(s3_gateway.bucket)
    assert get(s3_gateway, "killed").status_code == 404
    # The gateway is fine afterwards.
    put(s3_gateway, "after", b"x")
    assert get(s3_gateway, "after").content == b"x"


def test_gateway_killed_mid_parts_upload_is_cleaned_at_next_start(ceph, bucket, tmp_path):
    """SIGKILL leaves a multipart upload and a short part in the bucket; the
    next gateway start expires them (--upload-expiry 1 s here)."""
    gw = Gateway(tmp_path / "gw", store=ceph.store_url(bucket), extra_args=["--upload-expiry", "1"]).start()
    try:
        r = requests.post(f"{gw.url}/v1/uploads",
                          json={"key": "left", "size": 6 * 1024 * 1024, "part_size": 5 * 1024 * 1024},
                          headers=gw.auth, timeout=30)
        assert r.status_code == 201, r.text
        upload = r.json()["upload_id"]
        for n, size in ((1, 5 * 1024 * 1024), (2, 1024 * 1024)):
            p = requests.put(f"{gw.url}/v1/uploads/{upload}/parts/{n}", data=body(size, n), headers=gw.auth,
                             timeout=60)
            assert p.status_code == 200, p.text
    finally:
        gw.stop(signal.SIGKILL)  # also when a step above failed: no gateway left running
    assert len(ceph.pending_uploads(bucket)) == 1
    assert any(".haul-parts/" in k for k in ceph.list_keys(bucket))  # the short part 2
    time.sleep(1.5)
    gw.start()
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and ceph.pending_uploads(bucket):
            time.sleep(0.2)
        assert ceph.pending_uploads(bucket) == []
        assert ceph.list_keys(bucket) == []
        assert "removed 1 expired uploads" in gw.log.read_text()
    finally:
        assert gw.stop() == 0


def test_small_killed_upload_leaves_nothing(s3_gateway, ceph):
    _upload_and_kill(s3_gateway, "small-killed", 3 << 20, 1 << 20)
    time.sleep(0.5)  # let the gateway notice; the assertions below are on state, not time
    assert get(s3_gateway, "small-killed").status_code == 404
    assert ceph.list_keys(s3_gateway.bucket) == []
    assert ceph.pending_uploads(s3_gateway.bucket) == []


def test_sequential_gets_reuse_backend_connections(s3_gateway):
    data = body(10000, 6)
    put(s3_gateway, "reuse", data)
    assert get(s3_gateway, "reuse").content == data  # warm
    before = s3_gateway.metrics()
    opened = 'haul_backend_connections_opened_total{store="default"}'
    gets = 'haul_backend_requests_total{store="default",op="get",code="200"}'
    assert opened in before, "S3 backend metrics missing from /metrics"
    with requests.Session() as session:
        for _ in range(20):
            r = session.get(f"{s3_gateway.url}/v1/objects/reuse", headers=s3_gateway.auth, timeout=30)
            assert r.status_code == 200 and r.content == data
    after = s3_gateway.metrics()
    assert after[opened] - before[opened] == 0
    assert after[gets] - before.get(gets, 0) == 20   # one backend request per GET


def test_stalled_downloads_hold_no_thread_on_s3(ceph, bucket, tmp_path):
    """Downloads whose clients stop reading hold an idle backend transfer each,
    not a thread: with two blocking threads (and --stream-threads 2, the size
    the old per-download pool would have had) eight stalled downloads leave a
    normal GET served, and the backend recovers when they go."""
    gw = Gateway(tmp_path / "gw", extra_args=["--blocking-threads", "2", "--stream-threads", "2"],
                 store=ceph.store_url(bucket)).start()
    stalled = []
    try:
        big, small = body(16 << 20, 11), body(64 << 10, 12)
        put(gw, "big", big)
        put(gw, "small", small)
        for _ in range(8):
            s = socket.socket()
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            s.connect(("127.0.0.1", gw.port))
            s.sendall(f"GET /v1/objects/big HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {gw.token}\r\n\r\n".encode())
            stalled.append(s)
        r = requests.get(f"{gw.url}/v1/objects/small", headers=gw.auth, timeout=30)  # a hang guard
        assert r.status_code == 200 and r.content == small
        for s in stalled:
            s.settimeout(30)
            assert s.recv(12) == b"HTTP/1.1 200"
        for s in stalled:
            s.close()
        assert requests.get(f"{gw.url}/v1/objects/big", headers=gw.auth, timeout=60).content == big
    finally:
        for s in stalled:
            s.close()
        rc = gw.stop()
    assert rc == 0


def test_parts_through_two_gateways(ceph, bucket, tmp_path):
    """A parts upload whose parts go through two gateway processes; state lives in S3."""
    a = Gateway(tmp_path / "a", store=ceph.store_url(bucket, "p"))
    b = Gateway(tmp_path / "b", store=ceph.store_url(bucket, "p"))
    shutil.copy(a.key_file, b.key_file)  # same master key: either gateway can take any part
    a.start()
    b.start()
    try:
        part, size = 5 * 1024 * 1024 + 3 * SEGMENT, 12 * 1024 * 1024 + 4321  # 3 parts, the last short
        part -= part % SEGMENT
        data = body(size, 8)
        r = requests.post(f"{a.url}/v1/uploads", json={"key": "multi", "size": size, "part_size": part},
                          headers=a.auth, timeout=30)
        assert r.status_code == 201, r.text
        up = r.json()
        count = up["part_count"]
        assert count == 3
        for n in (3, 1, 2):
            gw = b if n % 2 else a
            chunk = data[(n - 1) * part:min(n * part, size)]
            r = requests.put(f"{gw.url}/v1/uploads/{up['upload_id']}/parts/{n}", data=chunk, headers=gw.auth,
                             timeout=60)
            assert r.status_code == 200, r.text
            assert r.json()["sha256"] == hashlib.sha256(chunk).hexdigest()
        r = requests.post(f"{b.url}/v1/uploads/{up['upload_id']}/complete",
                          json={"sha256": hashlib.sha256(data).hexdigest()}, headers=b.auth, timeout=60)
        assert r.status_code == 201, r.text
        assert get(a, "multi").content == data
        r = get(b, "multi", {"Range": f"bytes={part - 10}-{part + 10}"})
        assert r.status_code == 206 and r.content == data[part - 10:part + 11]
        assert ceph.pending_uploads(bucket) == []
        assert ceph.list_keys(bucket) == ["p/multi"]  # no side objects left
    finally:
        assert a.stop() == 0
        assert b.stop() == 0


def test_backend_down_gives_502_and_recovers(s3_gateway, ceph):
    data = body(5000, 10)
    put(s3_gateway, "survivor", data)
    ceph.stop_rgw()
    try:
        r = get(s3_gateway, "survivor")
        assert r.status_code == 502, r.text
        assert r.json()["error"] == "backend_unavailable"
        r = requests.put(f"{s3_gateway.url}/v1/objects/new", data=b"abc", headers=s3_gateway.auth, timeout=60)
        assert r.status_code == 502, r.text
        assert r.json()["error"] == "backend_unavailable"
        assert requests.get(f"{s3_gateway.url}/healthz", timeout=10).status_code == 200
    finally:
        ceph.start_rgw()
    assert get(s3_gateway, "survivor").content == data
    put(s3_gateway, "new", b"abc")
    assert get(s3_gateway, "new").content == b"abc"


def test_store_unit_tests_against_rgw(ceph):
    """haul_s3_store_test (the S3 store without the gateway) skips in ctest
    for want of an S3 server; here it runs against this session's RGW."""
    binary = pathlib.Path(HAUL).parent / "src" / "store" / "haul_s3_store_test"
    if not binary.exists():
        pytest.skip(f"{binary} not built")
    env = dict(os.environ, HAUL_S3_ENDPOINT=ceph.endpoint, HAUL_S3_REGION=ceph.region,
               AWS_ACCESS_KEY_ID=ceph.access_key, AWS_SECRET_ACCESS_KEY=ceph.secret_key)
    out = subprocess.run([str(binary)], capture_output=True, text=True, env=env, timeout=600)
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-2000:]
    assert "[  SKIPPED ]" not in out.stdout
    assert "[  PASSED  ]" in out.stdout


def test_named_stores_side_by_side(ceph, bucket, tmp_path):
    """--store local=fs:... --store us=s3://...: chosen per request by header or query."""
    gw = Gateway(tmp_path / "named", extra_args=["--store", "us=" + ceph.store_url(bucket)],
                 store=f"local=fs:{tmp_path / 'named' / 'store'}").start()
    try:
        r = requests.put(f"{gw.url}/v1/objects/in-us", data=b"us bytes", headers={**gw.auth, "X-Haul-Store": "us"},
                         timeout=30)
        assert r.status_code == 201, r.text
        r = requests.put(f"{gw.url}/v1/objects/in-local", data=b"local bytes", headers=gw.auth, timeout=30)
        assert r.status_code == 201, r.text
        assert ceph.list_keys(bucket) == ["in-us"]
        assert requests.get(f"{gw.url}/v1/objects/in-us", params={"store": "us"}, headers=gw.auth,
                            timeout=30).content == b"us bytes"
        assert requests.get(f"{gw.url}/v1/objects/in-us", headers=gw.auth, timeout=30).status_code == 404
        assert requests.get(f"{gw.url}/v1/objects/in-local", headers=gw.auth, timeout=30).content == b"local bytes"
        # The backend counters carry the S3 store's name (the fs store has none).
        m = gw.metrics()
        assert m['haul_backend_requests_total{store="us",op="put",code="200"}'] == 1
        gets = {k: v for k, v in m.items() if k.startswith('haul_backend_requests_total{store="us",op="get",')}
        assert sum(gets.values()) >= 1 and all(re.search(r'code="2\d\d"', k) for k in gets), gets
        assert 'haul_backend_connections_opened_total{store="us"}' in m
        assert not [k for k in m if k.startswith("haul_backend_") and 'store="us"' not in k]
    finally:
        assert gw.stop() == 0


def wait_default_ready(gw, ready):
    """/readyz caches each store's probe for 2 s: poll until the default store is `ready`."""
    deadline = time.monotonic() + 30
    while True:
        r = requests.get(f"{gw.url}/readyz", timeout=60)
        if r.json()["stores"]["default"]["ready"] is ready or time.monotonic() > deadline:
            return r
        time.sleep(0.1)


def test_readyz_probes_the_bucket(ceph, bucket, tmp_path):
    """/readyz sends a HEAD to each S3 store's bucket: a missing bucket or a
    stopped backend is 503 naming the store, with no backend address in any
    client-facing message."""
    gw = Gateway(tmp_path / "ready", store=ceph.store_url(bucket),
                 extra_args=["--store", "missing=" + ceph.store_url(f"{bucket}-does-not-exist")]).start()
    host = ceph.endpoint.split("://", 1)[1].split(":")[0]
    try:
        r = wait_default_ready(gw, True)
        assert r.status_code == 503, r.text
        assert r.json()["stores"]["default"] == {"ready": True}
        assert r.json()["stores"]["missing"]["ready"] is False
        assert "404" in r.json()["stores"]["missing"]["message"]
        ceph.stop_rgw()
        try:
            r = wait_default_ready(gw, False)
            assert r.status_code == 503 and r.json()["stores"]["default"]["ready"] is False, r.text
            assert host not in r.text, r.text
            p = requests.put(f"{gw.url}/v1/objects/k", data=b"abc", headers=gw.auth, timeout=60)
            assert p.status_code == 502, p.text
            assert host not in p.text, p.text  # the log has it, the client does not
            assert any(host in line for line in gw.log.read_text().splitlines() if "PUT /v1/objects/k" in line)
        finally:
            ceph.start_rgw()
        r = wait_default_ready(gw, True)
        assert r.json()["stores"]["default"] == {"ready": True}, r.text
        assert 'op="probe"' in requests.get(f"{gw.url}/metrics", timeout=10).text
    finally:
        assert gw.stop() == 0


def test_store_at_an_https_endpoint_with_its_ca_file(ceph, bucket, tmp_path):
    """ca_file= in the store URL: the gateway reaches RGW over TLS (through a
    TLS terminator whose certificate a private CA signed), objects round-trip
    byte-identical; with another CA's file every request fails as 502 with
    the certificate problem in the gateway's log; ca_file with an http://
    endpoint or an unreadable file stops the start with one line."""
    pki = Pki(tmp_path / "pki")
    cert, key, _ = pki.server("rgw-front")
    host, port = ceph.endpoint.split("://", 1)[1].rsplit(":", 1)
    front = TlsFront((host, int(port)), cert, key)
    https_url = ceph.store_url(bucket).replace(ceph.endpoint, f"https://127.0.0.1:{front.port}")
    try:
        gw = Gateway(tmp_path / "gw", store=f"{https_url}&ca_file={pki.ca}").start()
        try:
            for n, size in enumerate([0, 5000, 9 * MiB_S3]):  # 9 MiB: a multipart upload
                data = body(size, n)
                put(gw, f"tls/{n}", data)
                assert get(gw, f"tls/{n}").content == data
            assert front.handshakes > 0
            raw = ceph.aws("s3", "cp", f"s3://{bucket}/tls/1", "-", binary=True).stdout
            assert len(raw) > 5000 and b"HAUL-PLAINTEXT-MARKER" not in raw
        finally:
            assert gw.stop() == 0

        other = Pki(tmp_path / "other")
        gw = Gateway(tmp_path / "gw-wrong-ca", store=f"{https_url}&ca_file={other.ca}").start()
        try:
            r = requests.put(f"{gw.url}/v1/objects/k", data=b"abc", headers=gw.auth, timeout=60)
            assert r.status_code == 502 and r.json()["error"] == "backend_unavailable", r.text
            assert "certificate" in gw.log.read_text()
        finally:
            assert gw.stop() == 0
    finally:
        front.stop()

    files = tmp_path / "gw"  # the first gateway's key and token files
    for store, needle in [(f"{ceph.store_url(bucket)}&ca_file={pki.ca}", "https"),
                          (f"{https_url}&ca_file={tmp_path / 'missing.pem'}", "ca_file")]:
        p = subprocess.run([HAUL, "gateway", "--listen", "127.0.0.1:0", "--store", store, "--master-key-file",
                            files / "keys", "--token-file", files / "tokens"], capture_output=True, text=True,
                           timeout=30)
        assert p.returncode == 2 and needle in p.stderr, p.stderr


def test_s3_api_on_the_rgw_store(ceph, bucket, tmp_path):
    """The gateway's own S3 API (docs/s3-api.md) with RGW as its store: boto3
    and rclone through haul, ciphertext in RGW."""
    boto3 = pytest.importorskip("boto3", reason="python3-boto3 missing: run scripts/deps.sh test")
    from boto3.s3.transfer import TransferConfig
    from botocore.config import Config
    creds = tmp_path / "s3-keys"
    creds.write_text("AKHAULRGW00000000001:rgw-front-secret\n")
    gw = Gateway(tmp_path / "gw", ["--s3-credentials-file", str(creds)], store=ceph.store_url(bucket)).start()
    try:
        s3 = boto3.client("s3", endpoint_url=gw.url, aws_access_key_id="AKHAULRGW00000000001",
                          aws_secret_access_key="rgw-front-secret", region_name="us-east-1",
                          config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}))
        s3.create_bucket(Bucket="front")
        small = os.urandom(200_000)
        s3.put_object(Bucket="front", Key="dir/small.bin", Body=small, ContentType="text/x-haul",
                      Metadata={"origin": "rgw-test"})
        head = s3.head_object(Bucket="front", Key="dir/small.bin")
        assert head["ETag"] == '"%s"' % hashlib.md5(small).hexdigest()
        assert head["ContentType"] == "text/x-haul" and head["Metadata"] == {"origin": "rgw-test"}
        got = s3.get_object(Bucket="front", Key="dir/small.bin", Range="bytes=1000-99999")["Body"].read()
        assert got == small[1000:100000]
        big = tmp_path / "big.bin"
        big.write_bytes(os.urandom(11 * 1024 * 1024))
        s3.upload_file(str(big), "front", "dir/big.bin",
                       Config=TransferConfig(multipart_threshold=5 * MiB_S3, multipart_chunksize=5 * MiB_S3))
        back = tmp_path / "back.bin"
        s3.download_file("front", "dir/big.bin", str(back), Config=TransferConfig(max_concurrency=10))
        assert back.read_bytes() == big.read_bytes()
        s3.copy_object(Bucket="front", Key="copy.bin", CopySource="front/dir/small.bin")
        assert s3.get_object(Bucket="front", Key="copy.bin")["Body"].read() == small
        keys = [o["Key"] for o in s3.list_objects_v2(Bucket="front")["Contents"]]
        assert keys == ["copy.bin", "dir/big.bin", "dir/small.bin"]
        # What RGW holds is ciphertext under the store's prefix, markers included.
        stored = ceph.list_keys(bucket)
        assert "front/dir/small.bin" in stored and ".haul-s3-buckets/front" in stored
        raw = ceph.aws("s3", "cp", f"s3://{bucket}/front/dir/small.bin", "-", binary=True).stdout
        assert small[:64] not in raw and len(raw) > len(small)
        # rclone through haul, with its MD5 check.
        env = {k: v for k, v in os.environ.items() if k != "AWS_CA_BUNDLE"}
        env["RCLONE_CONFIG"] = str(tmp_path / "rclone.conf")
        (tmp_path / "rclone.conf").write_text(
            "[haul]\ntype = s3\nprovider = Other\nenv_auth = false\naccess_key_id = AKHAULRGW00000000001\n"
            f"secret_access_key = rgw-front-secret\nendpoint = {gw.url}\nregion = us-east-1\n")
        src = tmp_path / "tree"
        src.mkdir()
        for i in range(3):
            (src / f"f{i}").write_bytes(os.urandom(5000 + i))
        for args in (["copy", str(src), "haul:front/tree"], ["check", str(src), "haul:front/tree"]):
            r = subprocess.run(["rclone", *args], env=env, capture_output=True, text=True, timeout=120)
            assert r.returncode == 0, r.stderr
    finally:
        rc = gw.stop()
    assert rc == 0, f"gateway exited with {rc}:\n{gw.log.read_text()[-4000:]}"
