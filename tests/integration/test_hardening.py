"""Issue 11: what an attacker's probe found, each as a test that failed before.

Raw sockets where a well-behaved client library would refuse to send the
request; real processes only. Asserts statuses, bytes, counts and memory
(with generous bounds), never timings.
"""
import json
import os
import socket
import subprocess
import time

import pytest
import requests

from conftest import HAUL, SANITIZER, raw_exchange as exchange, wait_until


def put(gw, key, data):
    return requests.put(f"{gw.url}/v1/objects/{key}", data=data, headers=gw.auth, timeout=30)


def get(gw, key):
    return requests.get(f"{gw.url}/v1/objects/{key}", headers=gw.auth, timeout=30)


def responses_in(answer):
    return answer.count(b"HTTP/1.1 ")


@pytest.mark.parametrize("te,status", [
    ("identity", 400), ("gzip", 400), ("chunked, gzip", 400), ("chunked, chunked", 400), ("gzip, chunked", 501),
])
def test_transfer_encoding_other_than_chunked_is_refused_and_closes(gateway, te, status):
    """The body of a PUT with an unusable Transfer-Encoding must never be read
    as the next request (request smuggling): one error answer, then close."""
    assert put(gateway, "victim", b"still here").status_code == 201
    smuggled = f"DELETE /v1/objects/victim HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {gateway.token}\r\n\r\n"
    body = b"5\r\nhello\r\n0\r\n\r\n" if te.endswith("chunked") else b""
    request = (f"PUT /v1/objects/smuggle HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {gateway.token}\r\n"
               f"Transfer-Encoding: {te}\r\n\r\n").encode() + body + smuggled.encode()
    answer = exchange(gateway, request)
    assert answer.startswith(f"HTTP/1.1 {status}".encode()), answer[:200]
    assert responses_in(answer) == 1, answer
    assert b"Connection: close" in answer or b"connection: close" in answer.lower()
    assert json.loads(answer.split(b"\r\n\r\n", 1)[1])["message"]
    assert get(gateway, "smuggle").status_code == 404
    assert get(gateway, "victim").content == b"still here"


def test_transfer_encoding_split_over_two_fields_is_refused(gateway):
    request = (f"PUT /v1/objects/two HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {gateway.token}\r\n"
               "Transfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n\r\n0\r\n\r\n").encode()
    answer = exchange(gateway, request)
    assert answer.startswith(b"HTTP/1.1 400") and responses_in(answer) == 1
    assert get(gateway, "two").status_code == 404


@pytest.mark.parametrize("version", ["HTTP/1.1", "HTTP/1.0"])
@pytest.mark.parametrize("route", ["/v1/objects/keep", "/upload/files"])
def test_upload_without_length_is_411_and_overwrites_nothing(gateway, version, route):
    assert put(gateway, "keep", b"the old version").status_code == 201
    method = "POST" if route == "/upload/files" else "PUT"
    request = (f"{method} {route} {version}\r\nHost: x\r\nAuthorization: Bearer {gateway.token}\r\n"
               "Content-Type: multipart/form-data; boundary=b\r\n\r\nsome bytes").encode()
    with socket.create_connection(("127.0.0.1", gateway.port), timeout=10) as s:
        s.sendall(request)
        s.shutdown(socket.SHUT_WR)  # an HTTP/1.0 body would end here
        answer = b""
        while chunk := s.recv(65536):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 411"), answer[:200]
    assert json.loads(answer.split(b"\r\n\r\n", 1)[1])["error"] == "length_required"
    assert get(gateway, "keep").content == b"the old version"


# ---- memory per connection, the connection limit, silent connections (item 4)

def rss_kib(gw):
    for line in open(f"/proc/{gw.proc.pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


def raise_nofile(n):
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < n:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(n, hard), hard))


HEALTHZ = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
HEALTHZ_AND_CLOSE = b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"


def open_idle(gw, n):
    """n keep-alive connections, each after one answered request: idle."""
    conns = []
    for _ in range(n):
        s = socket.create_connection(("127.0.0.1", gw.port), timeout=30)
        s.sendall(HEALTHZ)
        conns.append(s)
    for s in conns:
        answer = b""
        while b'{"status":"ok"}' not in answer:
            chunk = s.recv(4096)
            assert chunk, "gateway closed an idle connection early"
            answer += chunk
    return conns


def settle(gw):
    """Waits until the gateway has closed what its clients closed and had a
    chance to return free memory (it trims every 5 s)."""
    assert wait_until(lambda: gw.metric("haul_connections_open") <= 1)
    time.sleep(6)


@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="needs /proc")
@pytest.mark.skipif(SANITIZER is not None, reason="RSS under a sanitizer is its shadow memory")
def test_idle_connections_cost_little_memory_and_give_it_back(gateway):
    """Target (issue 11): at most 16 KiB of gateway RSS per idle keep-alive
    connection, and RSS back near its baseline after each of three rounds
    (it grew round after round: 15 -> 262 -> 369 -> 446 -> 595 MB)."""
    n = 2000
    raise_nofile(2 * n + 100)
    settle(gateway)
    baseline = rss_kib(gateway)
    after_rounds = []
    for _ in range(3):
        conns = open_idle(gateway, n)
        held = rss_kib(gateway)
        per_connection = (held - baseline) / n
        assert per_connection <= 16, f"{per_connection:.1f} KiB per idle connection"
        for s in conns:
            s.close()
        settle(gateway)
        after_rounds.append(rss_kib(gateway))
    # Measured: 15 MB baseline, ~23.5 MB after each round (Asio keeps its
    # descriptor states and allocator caches for reuse): flat, not growing.
    assert max(after_rounds) <= baseline + 16 * 1024, (baseline, after_rounds)
    assert after_rounds[-1] <= after_rounds[0] + 4 * 1024, (baseline, after_rounds)


def test_connection_limit_closes_the_longest_idle_first(make_gateway):
    raise_nofile(300)
    gw = make_gateway(extra_args=["--max-connections", "20"])
    old = open_idle(gw, 1)
    time.sleep(0.3)  # old[0] is the longest idle, whatever order the others are served in
    old += open_idle(gw, 19)
    # The 21st client is served; the longest-idle connection made room.
    r = requests.get(gw.url + "/healthz", timeout=10)
    assert r.status_code == 200
    old[0].settimeout(10)
    assert old[0].recv(1) == b""  # closed by the gateway
    for s in old[1:]:  # the others are still open
        s.setblocking(False)
        with pytest.raises(BlockingIOError):
            s.recv(1)
    assert gw.metric("haul_connections_evicted_total") >= 1
    for s in old:
        s.close()


def gateway_read_everything(port, clients):
    """The gateway's side of every connection from `clients` (our sockets) is
    established and has read every byte they sent (Recv-Q 0). Matched by the
    peer's port too: another test's socket may use the gateway's port number
    as its own source port (taken while free_port() had let it go) and keep
    unread bytes (a stalled reader). The likely cause of one failure in a CI
    check (the wait ran out under ASan with two workers); not proven."""
    ours = {c.getsockname()[1] for c in clients}
    out = subprocess.run(["ss", "-Htn", "state", "established", f"( sport = :{port} )"], capture_output=True,
                         text=True, check=True).stdout
    queues = {}
    for line in out.splitlines():
        fields = line.split()
        if len(fields) >= 4 and int(fields[3].rsplit(":", 1)[1]) in ours:
            queues[int(fields[3].rsplit(":", 1)[1])] = fields[0]
    return len(queues) == len(ours) and all(q == "0" for q in queues.values())


def test_connection_limit_refuses_with_503_when_nobody_is_idle(make_gateway):
    raise_nofile(300)
    gw = make_gateway(extra_args=["--max-connections", "20"])
    busy = []
    for _ in range(20):  # mid-header: busy, not idle
        s = socket.create_connection(("127.0.0.1", gw.port), timeout=10)
        s.sendall(b"GET /healthz HTTP/1.1\r\n")
        busy.append(s)
    # Busy only once the gateway has read their bytes: until then a session
    # still waits for its first byte (idle), and a probe would evict it
    # instead of being refused (seen under ASan with two test workers).
    # The server side's receive queues say when: all empty.
    assert wait_until(lambda: gateway_read_everything(gw.port, busy))
    # (A scrape would need a connection too: probe with the request itself.)
    answers = []
    assert wait_until(lambda: answers.append(exchange(gw, HEALTHZ_AND_CLOSE)) or answers[-1].startswith(b"HTTP/1.1 503"))
    answer = answers[-1]
    assert json.loads(answer.split(b"\r\n\r\n", 1)[1])["error"] == "too_many_connections"
    for s in busy:
        s.close()
    assert wait_until(lambda: requests.get(gw.url + "/healthz", timeout=10).status_code == 200)
    assert gw.metric("haul_connections_refused_total") >= 1
    log = gw.log.read_text()
    assert log.count("connection limit 20 reached") <= 2, log[-2000:]


def test_silent_connection_is_closed_after_the_first_byte_deadline(make_gateway):
    gw = make_gateway(extra_args=["--first-byte-timeout", "1"])
    with socket.create_connection(("127.0.0.1", gw.port), timeout=20) as s:
        started = time.monotonic()
        try:
            closed = s.recv(1) == b""
        except ConnectionResetError:
            closed = True
        assert closed
        # The kernel held it up to ~1 s (TCP_DEFER_ACCEPT), the gateway 1 s
        # more; the keep-alive timeout (600 s) no longer applies to it.
        assert time.monotonic() - started < 15
    # A connection that asks at once is served as before.
    assert requests.get(gw.url + "/healthz", timeout=10).status_code == 200


def soak_round(gw, clients, seconds):
    """clients threads, each PUT + GET + compare on its own keep-alive
    connection for `seconds`; returns (requests, errors)."""
    import threading
    stop = time.monotonic() + seconds
    counts = {"requests": 0, "errors": []}
    lock = threading.Lock()

    def worker(i):
        session = requests.Session()
        session.headers.update(gw.auth)
        n = 0
        while time.monotonic() < stop:
            data = os.urandom(1024 + (n * 7919 + i * 104729) % (64 * 1024))
            key = f"soak/{i}/{n % 4}"
            try:
                p = session.put(f"{gw.url}/v1/objects/{key}", data=data, timeout=60)
                g = session.get(f"{gw.url}/v1/objects/{key}", timeout=60)
                ok = p.status_code == 201 and g.status_code == 200 and g.content == data
                error = None if ok else f"{key}: put {p.status_code} get {g.status_code} equal {g.content == data}"
            except requests.RequestException as e:
                error = f"{key}: {e}"
            with lock:
                counts["requests"] += 2
                if error:
                    counts["errors"].append(error)
            n += 1

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return counts["requests"], counts["errors"]


@pytest.mark.slow
def test_soak_two_rounds_no_errors_and_flat_memory(gateway):
    """200 clients x 60 s of PUT/GET/verify, twice: no error, and the second
    round leaves RSS within a bound of the first."""
    raise_nofile(1000)
    seconds = int(os.environ.get("HAUL_SOAK_SECONDS", "60"))
    rss = []
    for _ in range(2):
        done, errors = soak_round(gateway, 200, seconds)
        assert errors == [], errors[:10]
        assert done > 200
        settle(gateway)
        rss.append(rss_kib(gateway))
    assert rss[1] <= rss[0] + 16 * 1024, rss
