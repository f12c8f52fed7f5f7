"""haul edge: unmodified clients (the seed's python-requests script without a
Session, curl, haul) through a real edge to a real gateway: byte-identical
round trips, the gateway's connection count independent of the local
requests, local tokens, gateway and edge restarts, failures mid-upload, and
no leaked sockets after many local connections closing in every way. One
test crosses `haul netem` (real kernel TCP over an emulated long link)."""
import hashlib
import json
import os
import pathlib
import signal
import socket
import struct
import subprocess
import threading
import time

import pytest
import requests

from conftest import (HAUL, SANITIZER, Gateway, free_port, haul, parse_metrics, recvmsg_calls_during, stop_process,
                      wait_until)
from tls_support import Pki

PY = "/usr/bin/python3"


class Edge:
    """A running `haul edge` with a local token of its own."""

    def __init__(self, workdir, gateway_url, gateway_token_file, extra_args=(), port=None, unix_socket=None,
                 tcp=True):
        self.workdir = pathlib.Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.token = "local-" + os.urandom(8).hex()
        self.client_tokens = self.workdir / "client-tokens"
        self.client_tokens.write_text(self.token + "\n")
        self.gateway_url = gateway_url
        self.gateway_token_file = gateway_token_file
        self.extra_args = list(extra_args)
        self.port = port or free_port()
        self.unix_socket = unix_socket  # also (or, without tcp, only) on this Unix socket
        self.tcp = tcp
        self.log = self.workdir / "edge.log"
        self.proc = None

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    @property
    def auth(self):
        return {"Authorization": f"Bearer {self.token}"}

    def start(self, warm=1):
        cmd = [HAUL, "edge", "--gateway", self.gateway_url, "--token-file", str(self.gateway_token_file),
               *self.extra_args]
        if self.tcp:
            cmd += ["--listen", f"127.0.0.1:{self.port}", "--client-token-file", str(self.client_tokens)]
        if self.unix_socket:
            cmd += ["--listen", f"unix:{self.unix_socket}"]
        self.proc = subprocess.Popen(cmd, stdout=open(self.log, "ab"), stderr=subprocess.STDOUT)
        # Up, and `warm` connections to the gateway open and idle.
        def up():
            idle = self.idle()
            return idle is not None and idle >= warm

        assert wait_until(lambda: self.proc.poll() is not None or up(), 30), self.log.read_text()
        assert self.proc.poll() is None, self.log.read_text()
        return self

    def idle(self):
        try:
            return self.metrics().get("haul_edge_upstream_connections_idle", 0)
        except (requests.ConnectionError, OSError):
            return None  # not listening (yet)

    def metrics(self):
        if not self.tcp:
            status, body = unix_request(self.unix_socket, "GET", "/metrics")
            return parse_metrics(body.decode())
        return parse_metrics(requests.get(self.url + "/metrics", timeout=10).text)

    def stop(self, sig=signal.SIGTERM):
        rc = stop_process(self.proc, sig)
        self.proc = None
        return rc


@pytest.fixture
def make_edge(tmp_path):
    made = []

    def make(gw, name="edge", extra_args=(), start=True, warm=1, gateway_url=None, unix_socket=None, tcp=True):
        edge = Edge(tmp_path / name, gateway_url or gw.url, gw.token_file, extra_args, unix_socket=unix_socket, tcp=tcp)
        made.append(edge)
        return edge.start(warm) if start else edge

    yield make
    for edge in made:
        rc = edge.stop()
        # A sanitizer report or a crash makes the edge exit non-zero.
        assert rc in (0, None, -signal.SIGKILL), f"edge exited with {rc}:\n{edge.log.read_text()[-4000:]}"


def unix_request(path, method, target, body=None, headers=None):
    """One HTTP/1.1 request over a Unix socket (what requests cannot do)."""
    import http.client

    class UnixConnection(http.client.HTTPConnection):
        def connect(self):
            self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.sock.settimeout(10)
            self.sock.connect(str(path))

    conn = UnixConnection("localhost")
    try:
        conn.request(method, target, body=body, headers=headers or {})
        r = conn.getresponse()
        return r.status, r.read()
    finally:
        conn.close()


def seed_upload(url, auth, key, data):
    """What the seed's oss.py sends: a new connection per call (no Session)."""
    return requests.post(f"{url}/upload/files", headers=auth, files={
        "data": ('', json.dumps({"key": key}), "application/json"),
        "file": data,
    })


def seed_download(url, auth, key):
    return requests.get(f"{url}/download/files", params={"key": key}, headers=auth)


def test_seed_client_curl_and_haul_round_trip_through_the_edge(gateway, make_edge, tmp_path):
    """Byte-identical round trips through the edge for the seed's client,
    curl and haul (HAUL_EDGE), and the gateway accepts no new connection for
    them: the edge carries them on the connections it opened at start."""
    edge = make_edge(gateway, extra_args=["--connections", "2"], warm=2)
    for i, size in enumerate([0, 1, 1000, 100 * 1024, 3 * 1024 * 1024 + 7]):
        data = os.urandom(size)
        r = seed_upload(edge.url, edge.auth, f"seed/{i}", data)
        assert r.status_code == 201, r.text
        assert r.json()["sha256"] == hashlib.sha256(data).hexdigest()
        d = seed_download(edge.url, edge.auth, f"seed/{i}")
        assert d.status_code == 200 and d.content == data
    src = tmp_path / "curl.bin"
    src.write_bytes(os.urandom(2 * 1024 * 1024))
    out = tmp_path / "curl.out"
    auth = f"Authorization: Bearer {edge.token}"
    # curl sends Expect: 100-continue for a body this large: the edge answers it.
    subprocess.run(["curl", "-sSf", "-X", "PUT", "-H", auth, "--data-binary", f"@{src}",
                    f"{edge.url}/v1/objects/curl/a"], check=True, capture_output=True)
    subprocess.run(["curl", "-sSf", "-H", auth, "-o", out, f"{edge.url}/v1/objects/curl/a"], check=True)
    assert out.read_bytes() == src.read_bytes()
    # A range and a HEAD come back as the gateway answered them.
    r = requests.get(f"{edge.url}/v1/objects/curl/a", headers={**edge.auth, "Range": "bytes=10-19"})
    assert r.status_code == 206 and r.content == src.read_bytes()[10:20]
    h = requests.head(f"{edge.url}/v1/objects/curl/a", headers=edge.auth)
    assert h.status_code == 200 and int(h.headers["Content-Length"]) == src.stat().st_size
    assert h.headers["X-Haul-Sha256"] == hashlib.sha256(src.read_bytes()).hexdigest()
    # haul through the edge: HAUL_EDGE wins over HAUL_GATEWAY, the local token.
    env = {"HAUL_EDGE": edge.url, "HAUL_GATEWAY": "http://127.0.0.1:9", "HAUL_TOKEN": edge.token}
    haul("put", src, "haul/a", env=env)
    haul("get", "haul/a", tmp_path / "haul.out", env=env)
    assert (tmp_path / "haul.out").read_bytes() == src.read_bytes()
    ls = haul("ls", "haul/", env=env).stdout
    assert "haul/a" in ls
    # A listing in gzip (python-requests and haul ask for it) comes through as
    # the gateway sent it, and a recursive get lists and downloads through it.
    for i in range(60):
        assert requests.put(f"{edge.url}/v1/objects/tree/{i:03d}", data=b"t%d" % i, headers=edge.auth).ok
    listed = requests.get(f"{edge.url}/v1/objects", params={"prefix": "tree/"}, headers=edge.auth)
    assert listed.headers["Content-Encoding"] == "gzip"
    assert [o["key"] for o in listed.json()["objects"]] == [f"tree/{i:03d}" for i in range(60)]
    haul("get", "tree/", tmp_path / "tree", "--recursive", env=env)
    assert sorted(p.name for p in (tmp_path / "tree").iterdir()) == [f"{i:03d}" for i in range(60)]
    assert (tmp_path / "tree" / "042").read_bytes() == b"t42"
    haul("rm", "haul/a", env=env)
    assert requests.head(f"{edge.url}/v1/objects/haul/a", headers=edge.auth).status_code == 404
    # 20 local requests, each on a new local connection: no new gateway
    # connection (the one counted is this test's own /metrics scrape).
    accepted = gateway.metric("haul_connections_accepted_total")
    for i in range(10):
        assert seed_download(edge.url, edge.auth, "seed/2").status_code == 200
        assert seed_upload(edge.url, edge.auth, f"again/{i}", b"x" * i).status_code == 201
    assert gateway.metric("haul_connections_accepted_total") - accepted == 1
    m = edge.metrics()
    assert m["haul_edge_requests_reused_total"] >= 20
    assert m["haul_edge_failures_total"] == 0
    assert m["haul_edge_upstream_windows_warmed_total"] == 0  # loopback: no window to open


def test_downloads_through_the_edge_are_read_in_large_pieces(gateway, make_edge, tmp_path):
    """The edge read the gateway's answers through a buffer its greeting had
    left at 512 bytes: 65 536 recvmsg calls for a 32 MiB download (5.5 s for
    256 MiB on loopback). Reads must take 16 KiB or more."""
    edge = make_edge(gateway, extra_args=["--connections", "1"])
    data = os.urandom(32 << 20)
    assert requests.put(f"{gateway.url}/v1/objects/big", data=data, headers=gateway.auth).status_code == 201
    calls, r = recvmsg_calls_during(
        edge.proc.pid, lambda: requests.get(f"{edge.url}/v1/objects/big", headers=edge.auth, timeout=60),
        tmp_path / "strace.txt")
    assert r.status_code == 200 and r.content == data
    assert 0 < calls <= (32 << 20) // (16 << 10), calls


def test_local_tokens_and_the_gateway_token_stay_apart(gateway, make_edge):
    """A local client needs a token of the client token file (401 JSON from
    the edge otherwise, nothing reaches the gateway); the gateway's own token
    is not a local token; /healthz and /metrics answer locally."""
    edge = make_edge(gateway)
    before = gateway.metric('haul_requests_total{method="GET",status="401"}')
    for headers in ({}, {"Authorization": "Bearer wrong"}, gateway.auth):
        r = requests.get(f"{edge.url}/v1/objects/x", headers=headers)
        assert r.status_code == 401
        assert r.json()["error"] == "unauthorized"
    assert gateway.metric('haul_requests_total{method="GET",status="401"}') == before
    assert requests.get(f"{edge.url}/healthz").json() == {"status": "ok"}
    # The gateway's answer to a good local token comes through, errors too.
    r = requests.get(f"{edge.url}/v1/objects/missing", headers=edge.auth)
    assert r.status_code == 404 and r.json()["error"] == "not_found"
    assert gateway.token not in edge.log.read_text()


def test_unix_socket_admits_by_file_permissions(gateway, make_edge, tmp_path):
    """`--listen unix:PATH` beside a TCP listener: the socket file is mode
    0660, requests through it need no token (the edge adds the gateway's),
    curl and haul (HAUL_EDGE=unix:PATH) round-trip byte-identical, the TCP
    listener still asks for a client token, the gateway accepts no new
    connection, and the file is gone after a clean stop."""
    path = tmp_path / "run" / "haul" / "edge.sock"
    edge = make_edge(gateway, unix_socket=path, extra_args=["--connections", "2"], warm=2)
    assert (path.stat().st_mode & 0o777) == 0o660
    src = tmp_path / "unix.bin"
    src.write_bytes(os.urandom(1024 * 1024 + 5))
    out = tmp_path / "unix.out"
    subprocess.run(["curl", "-sSf", "--unix-socket", path, "-X", "PUT", "--data-binary", f"@{src}",
                    "http://localhost/v1/objects/unix/a"], check=True, capture_output=True)
    subprocess.run(["curl", "-sSf", "--unix-socket", path, "-o", out, "http://localhost/v1/objects/unix/a"],
                   check=True)
    assert out.read_bytes() == src.read_bytes()
    # The seed's multipart upload, built by requests, sent over the socket.
    seed = requests.Request("POST", "http://localhost/upload/files", files={
        "data": ('', json.dumps({"key": "unix/seed"}), "application/json"), "file": b"seed bytes"}).prepare()
    status, body = unix_request(path, "POST", "/upload/files", body=seed.body, headers=dict(seed.headers))
    assert status == 201, body
    assert unix_request(path, "GET", "/download/files?key=unix/seed") == (200, b"seed bytes")
    env = {"HAUL_EDGE": f"unix:{path}", "HAUL_GATEWAY": "http://127.0.0.1:9"}
    haul("put", src, "unix/haul", env=env)
    haul("get", "unix/haul", tmp_path / "haul.out", env=env)
    assert (tmp_path / "haul.out").read_bytes() == src.read_bytes()
    assert "unix/haul" in haul("ls", "unix/", env=env).stdout
    haul("rm", "unix/haul", env=env)
    assert unix_request(path, "HEAD", "/v1/objects/unix/haul")[0] == 404
    assert requests.get(f"{edge.url}/v1/objects/unix/a").status_code == 401  # TCP: a token still
    # Ten more local connections, one request each: no new gateway
    # connection (the one counted is this test's own /metrics scrape).
    accepted = gateway.metric("haul_connections_accepted_total")
    for _ in range(10):
        assert unix_request(path, "GET", "/download/files?key=unix/seed") == (200, b"seed bytes")
    assert gateway.metric("haul_connections_accepted_total") - accepted == 1
    p = haul("doctor", "--edge", f"unix:{path}", "--json", check=False)
    findings = {f["id"]: f for f in json.loads(p.stdout)["findings"]}
    assert findings["edge.reachable"]["status"] == "ok", findings
    assert edge.stop() == 0
    assert not path.exists()


def test_default_socket_is_found_and_stale_or_live_sockets_are_handled(gateway, make_edge, tmp_path):
    """An edge on the default socket ($XDG_RUNTIME_DIR/haul/edge.sock, only a
    Unix listener: no client token file) is used by `haul put/get` with no
    gateway given at all; a second edge on a live socket stops with one
    clear line; after a hard kill the stale socket file is replaced; with no
    edge answering, the client falls back to HAUL_GATEWAY."""
    runtime = tmp_path / "xdg"
    path = runtime / "haul" / "edge.sock"
    edge = make_edge(gateway, unix_socket=path, tcp=False)
    env = {"XDG_RUNTIME_DIR": str(runtime), "HAUL_EDGE": "", "HAUL_GATEWAY": "", "HAUL_TOKEN": ""}
    src = tmp_path / "d.bin"
    src.write_bytes(os.urandom(300 * 1024))
    haul("put", src, "default/a", env=env)
    haul("get", "default/a", tmp_path / "d.out", env=env)
    assert (tmp_path / "d.out").read_bytes() == src.read_bytes()
    assert edge.metrics()["haul_edge_requests_total"] >= 2
    # The doctor finds it there too.
    p = haul("doctor", "--json", check=False, env=env)
    findings = {f["id"]: f for f in json.loads(p.stdout)["findings"]}
    assert findings["edge.reachable"]["status"] == "ok", findings.get("edge.reachable")
    second = subprocess.run([HAUL, "edge", "--listen", f"unix:{path}", "--gateway", gateway.url,
                             "--token-file", gateway.token_file], capture_output=True, text=True, timeout=30)
    assert second.returncode != 0 and "another process listens on it" in second.stderr, second.stderr
    edge.stop(signal.SIGKILL)
    assert path.exists()  # stale: nobody accepts on it
    fallback = {**env, "HAUL_GATEWAY": gateway.url, "HAUL_TOKEN": gateway.token}
    haul("get", "default/a", tmp_path / "f.out", env=fallback)
    assert (tmp_path / "f.out").read_bytes() == src.read_bytes()
    edge.start()
    haul("get", "default/a", tmp_path / "d2.out", env=env)
    assert (tmp_path / "d2.out").read_bytes() == src.read_bytes()


def slow_body(chunks, chunk, pause, started=None):
    for i in range(chunks):
        if i == 2 and started:
            started.set()
        yield chunk
        time.sleep(pause)


def slow_upload_in_background(edge, key):
    """A PUT through the edge whose body trickles in for ~2 s: (thread,
    event set once it is under way, result dict filled when it ends)."""
    started = threading.Event()
    result = {}

    def upload():
        try:
            r = requests.put(f"{edge.url}/v1/objects/{key}", headers=edge.auth,
                             data=slow_body(40, os.urandom(64 * 1024), 0.05, started), timeout=30)
            result["status"], result["body"] = r.status_code, r.text
        except requests.RequestException as e:
            result["error"] = str(e)

    t = threading.Thread(target=upload)
    t.start()
    return t, started, result


def assert_upload_failed(t, result):
    """The local client saw an error: a cut, or the edge's JSON 502."""
    t.join(30)
    assert "error" in result or result["status"] == 502, result
    if "status" in result:
        assert json.loads(result["body"])["error"] == "backend_unavailable"


def test_gateway_restart_on_the_same_port_is_transparent(tmp_path, make_edge):
    """The gateway restarts (graceful): the edge sees its idle connections
    close, opens new ones in the background, and the local client's next
    requests succeed without an error."""
    gw = Gateway(tmp_path / "gw")
    gw.start()
    port = gw.port
    try:
        edge = make_edge(gw, extra_args=["--connections", "2"], warm=2)
        assert seed_upload(edge.url, edge.auth, "r/a", b"before").status_code == 201
        gw.stop()
        gw_restart(gw, port)
        assert wait_until(lambda: edge.metrics().get("haul_edge_upstream_closed_by_gateway_total", 0) >= 1, 10)
        for _ in range(5):
            d = seed_download(edge.url, edge.auth, "r/a")
            assert d.status_code == 200 and d.content == b"before"
        assert edge.metrics()["haul_edge_failures_total"] == 0
    finally:
        gw.stop()


def gw_restart(gw, port):
    """Starts `gw` again on `port` (its store, keys and token kept)."""
    cmd = [HAUL, "gateway", "--listen", f"127.0.0.1:{port}", "--store", gw.store, "--master-key-file",
           str(gw.key_file), "--token-file", str(gw.token_file)]
    gw.proc = subprocess.Popen(cmd, stdout=open(gw.log, "ab"), stderr=subprocess.STDOUT)
    gw.port = port
    assert wait_until(lambda: _healthy(gw.url), 30), gw.log.read_text()


def _healthy(url):
    try:
        return requests.get(url + "/healthz", timeout=1).status_code == 200
    except requests.ConnectionError:
        return False


def test_gateway_killed_mid_upload_stores_nothing(tmp_path, make_edge):
    """SIGKILL of the gateway during an upload through the edge: the local
    client sees an error, and after the gateway comes back (same port, same
    store) the object does not exist and the edge serves the next request."""
    gw = Gateway(tmp_path / "gw")
    gw.start()
    port = gw.port
    try:
        edge = make_edge(gw, extra_args=["--connections", "2"], warm=2)
        t, started, result = slow_upload_in_background(edge, "cut/a")
        assert started.wait(10)
        gw.stop(signal.SIGKILL)
        assert_upload_failed(t, result)
        # While it is down: a clear JSON 502 from the edge.
        r = requests.get(f"{edge.url}/v1/objects/cut/a", headers=edge.auth, timeout=30)
        assert r.status_code == 502 and "gateway" in r.json()["message"], r.text
        gw_restart(gw, port)
        assert wait_until(lambda: (edge.idle() or 0) >= 1, 10)
        assert requests.head(f"{edge.url}/v1/objects/cut/a", headers=edge.auth).status_code == 404
        assert seed_upload(edge.url, edge.auth, "cut/b", b"after").status_code == 201
    finally:
        gw.stop()


def test_edge_restart(gateway, make_edge):
    """The edge killed hard and started again on its port: the next request works."""
    edge = make_edge(gateway)
    assert seed_upload(edge.url, edge.auth, "e/a", b"one").status_code == 201
    edge.stop(signal.SIGKILL)
    edge.start()
    d = seed_download(edge.url, edge.auth, "e/a")
    assert d.status_code == 200 and d.content == b"one"


def _open_fds(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def _close_wait(port):
    out = subprocess.run(["ss", "-Htan", "state", "close-wait", f"( sport = :{port} )"], capture_output=True,
                         text=True).stdout
    return [line for line in out.splitlines() if line.strip()]


def _local_connection(port, kind, token):
    """One local connection that ends in one of five ways."""
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    try:
        if kind == 0:  # a whole request, the answer read, then a clean close
            s.sendall(f"GET /v1/objects/leak HTTP/1.1\r\nHost: e\r\nAuthorization: Bearer {token}\r\n"
                      "Connection: close\r\n\r\n".encode())
            while s.recv(65536):
                pass
        elif kind == 1:  # half a header, then RST
            s.sendall(b"GET /v1/objects/leak HTTP/1.1\r\nHost: e\r\n")
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        elif kind == 2:  # an upload cut mid-body (FIN): the edge has relayed its start to the gateway
            s.sendall(f"PUT /v1/objects/leak-{os.urandom(4).hex()} HTTP/1.1\r\nHost: e\r\n"
                      f"Authorization: Bearer {token}\r\nContent-Length: 100000\r\n\r\n".encode() + b"x" * 1000)
        elif kind == 3:  # connect, say nothing, close
            pass
        else:  # a request, then RST before reading the answer
            s.sendall(f"GET /v1/objects/leak HTTP/1.1\r\nHost: e\r\nAuthorization: Bearer {token}\r\n\r\n".encode())
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    finally:
        s.close()


def test_no_close_wait_or_fd_leak_after_10000_local_connections(gateway, make_edge):
    """10 000 local connections that end in every way (clean, RST, cut
    mid-body, silent, RST before the answer): afterwards the edge holds no
    CLOSE_WAIT socket, its descriptors are back where they were, its
    gateway connections are the warm set again, and nothing was stored."""
    from concurrent.futures import ThreadPoolExecutor
    edge = make_edge(gateway, extra_args=["--connections", "2"], warm=2)
    fds_before = _open_fds(edge.proc.pid)
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(lambda i: _local_connection(edge.port, i % 5, edge.token), range(10000)))
    assert wait_until(lambda: not _close_wait(edge.port), 20), _close_wait(edge.port)[:5]
    # Every descriptor beyond the ones at start is a gateway connection the
    # edge opened for concurrent requests and keeps warm (16 clients at once).
    def settled():
        extra_upstream = edge.metrics()["haul_edge_upstream_connections_open"] - 2
        return _open_fds(edge.proc.pid) <= fds_before + extra_upstream + 1  # + the scrape's own socket

    assert wait_until(settled, 20), (fds_before, _open_fds(edge.proc.pid), edge.metrics())
    m = edge.metrics()
    assert m["haul_edge_upstream_connections_open"] <= 2 + 16, m
    assert m["haul_edge_upstream_connections_open"] == m["haul_edge_upstream_connections_idle"], m
    assert m["haul_edge_requests_total"] >= 2000 * 2
    assert not list(gateway.store_dir.rglob("leak-*")) or all(p.is_dir() for p in gateway.store_dir.rglob("leak-*"))
    # And it still serves.
    assert seed_upload(edge.url, edge.auth, "after/leak", b"ok").status_code == 201


def test_tls_gateway_verified_and_resumed(make_gateway, make_edge, tmp_path):
    """An https:// gateway: the edge verifies it against --cacert, carries
    the seed client byte-identical over TLS, and its later connections resume
    the TLS session (the gateway counts resumed handshakes). A CA that did not
    sign the gateway's certificate: the local client gets a JSON 502 that
    says the certificate was refused."""
    pki = Pki(tmp_path / "pki")
    cert, key, _ = pki.server("gw")
    tls_port = free_port()
    gw = make_gateway(extra_args=["--tls-listen", f"127.0.0.1:{tls_port}", "--tls-cert", cert, "--tls-key", key])
    edge = make_edge(gw, extra_args=["--cacert", pki.ca, "--connections", "3"], warm=3,
                     gateway_url=f"https://127.0.0.1:{tls_port}")
    data = os.urandom(1024 * 1024 + 3)
    assert seed_upload(edge.url, edge.auth, "tls/a", data).status_code == 201
    d = seed_download(edge.url, edge.auth, "tls/a")
    assert d.status_code == 200 and d.content == data
    m = gw.metrics()
    assert m['haul_tls_handshakes_total{kind="full"}'] >= 1
    assert m['haul_tls_handshakes_total{kind="resumed"}'] >= 1, m  # the warm set after the first
    assert edge.metrics()["haul_edge_upstream_tls_resumed_total"] >= 1

    other = Pki(tmp_path / "other")
    wrong = make_edge(gw, name="wrong", extra_args=["--cacert", other.ca], start=False,
                      gateway_url=f"https://127.0.0.1:{tls_port}")
    wrong.start(warm=0)
    r = requests.get(f"{wrong.url}/v1/objects/tls/a", headers=wrong.auth, timeout=30)
    assert r.status_code == 502 and "certificate was refused" in r.json()["message"], r.text


def test_s3_clients_keep_their_signature_end_to_end(make_gateway, make_edge, tmp_path):
    """boto3 through the edge: SigV4 requests pass with their own signature
    (Host kept), which the gateway verifies; a wrong secret is refused by the
    gateway, not let through by the edge; the gateway token is never added to
    an S3 request."""
    boto3 = pytest.importorskip("boto3")
    from botocore.config import Config
    from botocore.exceptions import ClientError
    creds = tmp_path / "s3-credentials"
    creds.write_text("AKEDGE00000000000001:edge-secret\n")
    gw = make_gateway(extra_args=["--s3-credentials-file", str(creds)])
    edge = make_edge(gw)

    def s3(secret="edge-secret"):
        return boto3.client("s3", endpoint_url=edge.url, aws_access_key_id="AKEDGE00000000000001",
                            aws_secret_access_key=secret, region_name="us-east-1",
                            config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}))

    client = s3()
    client.create_bucket(Bucket="edge-bucket")
    data = os.urandom(300 * 1024)
    client.put_object(Bucket="edge-bucket", Key="k", Body=data)
    assert client.get_object(Bucket="edge-bucket", Key="k")["Body"].read() == data
    assert [o["Key"] for o in client.list_objects_v2(Bucket="edge-bucket")["Contents"]] == ["k"]
    with pytest.raises(ClientError) as e:
        s3("wrong-secret").get_object(Bucket="edge-bucket", Key="k")
    assert e.value.response["Error"]["Code"] == "SignatureDoesNotMatch"
    # Unsigned: the gateway's S3 front refuses it (no token was attached).
    r = requests.get(f"{edge.url}/edge-bucket/k")
    assert r.status_code == 403, r.text


NETEM_CLIENT = r'''
import hashlib, json, os, re, subprocess, sys, time
import requests
haul, token_file, workdir = sys.argv[1:4]
extra_edge_args = sys.argv[4:]
server = os.environ["HAUL_NETEM_SERVER"]
gw_url = f"http://{server}:8080"
gw_auth = {"Authorization": "Bearer " + open(token_file).read().strip()}
open(f"{workdir}/client-tokens", "w").write("local-token\n")
edge = subprocess.Popen([haul, "edge", "--listen", "127.0.0.1:18090", "--gateway", gw_url, "--token-file", token_file,
                         "--client-token-file", f"{workdir}/client-tokens", "--connections", "2", *extra_edge_args],
                        stdout=open(f"{workdir}/edge.log", "ab"), stderr=subprocess.STDOUT)
url, auth = "http://127.0.0.1:18090", {"Authorization": "Bearer local-token"}
def idle():
    try:
        text = requests.get(url + "/metrics", timeout=5).text
    except requests.ConnectionError:
        return 0
    return next((float(l.split()[1]) for l in text.splitlines() if l.startswith("haul_edge_upstream_connections_idle ")), 0)
deadline = time.monotonic() + 20
while idle() < 2 and time.monotonic() < deadline:
    time.sleep(0.05)
def accepted():
    text = requests.get(gw_url + "/metrics", headers=gw_auth, timeout=10).text
    return next(float(l.split()[1]) for l in text.splitlines() if l.startswith("haul_connections_accepted_total "))
# The first request takes a warm connection and the edge opens one more to
# keep two idle: from then on the count must not move.
requests.get(f"{url}/v1/objects/warm-up", headers=auth)
time.sleep(0.5)
before = accepted()
result = {"runs": []}
for size in (1024, 100 * 1024, 1024 * 1024):
    data = os.urandom(size)
    key = f"netem/{size}"
    t0 = time.monotonic()
    up = requests.post(f"{url}/upload/files", headers=auth, files={
        "data": ("", json.dumps({"key": key}), "application/json"), "file": data})
    t1 = time.monotonic()
    down = requests.get(f"{url}/download/files", params={"key": key}, headers=auth)
    t2 = time.monotonic()
    result["runs"].append({"size": size, "up_status": up.status_code, "down_status": down.status_code,
                           "identical": down.content == data, "up_ms": (t1 - t0) * 1e3, "down_ms": (t2 - t1) * 1e3})
# An upload's answer after idle must not cost the connection the window its
# downloads earned: the kernel cuts an idle cubic window to 10 segments
# before it sends, so the gateway hands such answers to bbr
# (net/send_congestion.hpp). 2 s is several RTOs at 40 ms. Read on the
# gateway's side of the connection that sent last (the answer).
time.sleep(2)
up = requests.post(f"{url}/upload/files", headers=auth, files={
    "data": ("", json.dumps({"key": "netem/after-idle"}), "application/json"), "file": b"x" * 1000})
result["after_idle_status"] = up.status_code
ss = subprocess.run(["ip", "netns", "exec", os.environ["HAUL_NETEM_SERVER_NS"], "ss", "-tinH", "state", "established",
                     "sport", "= :8080"], capture_output=True, text=True, check=True).stdout
sockets = [(int(re.search(r"lastsnd:(\d+)", s).group(1)), int(re.search(r"cwnd:(\d+)", s).group(1)))
           for s in ss.split("\n\t") if "lastsnd:" in s and "cwnd:" in s]
result["answer_cwnd"] = min(sockets)[1] if sockets else None
result["accepted_delta"] = accepted() - before
# The window warm-up (40 ms RTT is a long path to it): every connection sent
# 1 MiB before serving, so the edge's sending windows left slow start.
metrics = requests.get(url + "/metrics", timeout=5).text.splitlines()
result["warmed"] = next(float(l.split()[1]) for l in metrics if l.startswith("haul_edge_upstream_windows_warmed_total "))
result["idle_cwnds"] = [float(l.split()[1]) for l in metrics if l.startswith("haul_edge_upstream_cwnd_segments{")]
result["h2_connections"] = next(float(l.split()[1]) for l in metrics
                                if l.startswith("haul_edge_upstream_h2_connections "))
edge.terminate()
result["edge_rc"] = edge.wait(20)
print(json.dumps(result))
'''


@pytest.mark.skipif(os.geteuid() != 0 or not os.path.exists("/dev/net/tun"), reason="haul netem needs root and TUN")
def test_seed_client_through_the_edge_across_an_emulated_long_link(tmp_path):
    """The seed's client (no Session: a new connection per call) through an
    edge in the client's namespace to a gateway across `haul netem` (40 ms
    round trip): byte-identical, and the gateway accepts no connection for
    the six transfers (only the script's own /metrics scrape); every gateway
    connection had its window opened (--warm-window) before it served."""
    result = run_through_netem(tmp_path)
    assert result["warmed"] >= 3, result  # the two warm ones and the one opened after the first request
    assert result["h2_connections"] == 0, result  # a plain gateway: HTTP/1.1 unless asked


def run_through_netem(tmp_path, extra_edge_args=()):
    """NETEM_CLIENT across `haul netem` (its JSON result), checked for what
    holds whatever the edge speaks to the gateway."""
    work = tmp_path / "w"
    (work / "store").mkdir(parents=True)
    (work / "keys").write_text(subprocess.check_output([HAUL, "keygen"], text=True))
    (work / "tokens").write_text("edge-gw-" + os.urandom(8).hex() + "\n")
    script = tmp_path / "client.py"
    script.write_text(NETEM_CLIENT)
    gateway = (f"exec {HAUL} gateway --listen 0.0.0.0:8080 --store fs:{work}/store --master-key-file {work}/keys "
               f"--token-file {work}/tokens >>{work}/gateway.log 2>&1")
    p = subprocess.run([HAUL, "netem", "--delay-ms", "20", "--server-cmd", gateway, "--",
                        PY, str(script), HAUL, str(work / "tokens"), str(work), *extra_edge_args],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr[-3000:] + (work / "edge.log").read_text()[-2000:]
    result = json.loads(p.stdout.strip().splitlines()[-1])
    for run in result["runs"]:
        assert run["up_status"] == 201 and run["down_status"] == 200 and run["identical"], run
    assert result["accepted_delta"] == 1, result
    assert result["idle_cwnds"] and min(result["idle_cwnds"]) > 100, result  # the initial window is 10
    assert result["after_idle_status"] == 201 and result["answer_cwnd"] > 100, result
    assert result["edge_rc"] == 0, (work / "edge.log").read_text()[-3000:]
    return result


def test_edge_reads_its_config_file_and_flags_win(gateway, tmp_path):
    """`haul edge --config FILE` (what the systemd unit runs): the file's keys
    are the flags' names, a flag on the command line wins over the file, and a
    section for another command is one clear line and exit status 2."""
    client_tokens = tmp_path / "client-tokens"
    client_tokens.write_text("cfg-local\n")
    file_port, flag_port = free_port(), free_port()
    config = tmp_path / "edge.toml"
    config.write_text(f'listen = "127.0.0.1:{file_port}"\ngateway = "{gateway.url}"\n'
                      f'token-file = "{gateway.token_file}"\nclient-token-file = "{client_tokens}"\nconnections = 1\n')
    proc = subprocess.Popen([HAUL, "edge", "--config", config, "--listen", f"127.0.0.1:{flag_port}"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{flag_port}"
        assert wait_until(lambda: _healthy(url), 20)
        r = requests.put(f"{url}/v1/objects/cfg/a", data=b"from the config", headers={"Authorization": "Bearer cfg-local"})
        assert r.status_code == 201, r.text
        assert not _healthy(f"http://127.0.0.1:{file_port}")
    finally:
        assert stop_process(proc) == 0
    bad = tmp_path / "bad.toml"
    bad.write_text('[gateway]\nlisten = "127.0.0.1:1"\n')
    p = haul("edge", "--config", bad, check=False)
    assert p.returncode == 2 and p.stderr.count("\n") == 1 and "section [gateway]" in p.stderr, p.stderr


def test_doctor_checks_a_running_edge(gateway, make_edge):
    """`haul doctor --edge URL` reports the edge's warm gateway connections,
    and a clear failure with the fix when no edge answers."""
    edge = make_edge(gateway, extra_args=["--connections", "2"], warm=2)
    p = haul("doctor", "--edge", edge.url, "--json", check=False)
    findings = {f["id"]: f for f in json.loads(p.stdout)["findings"]}
    assert findings["edge.reachable"]["status"] == "ok"
    assert findings["edge.upstream"]["status"] == "ok"
    assert "2 warm (idle)" in findings["edge.upstream"]["value"], findings["edge.upstream"]
    assert findings["edge.failures"]["status"] == "ok"
    p = haul("doctor", "--edge", f"http://127.0.0.1:{free_port()}", "--json", check=False)
    findings = {f["id"]: f for f in json.loads(p.stdout)["findings"]}
    assert findings["edge.reachable"]["status"] == "fail" and "haul edge" in findings["edge.reachable"]["fix"]


def test_sighup_reloads_the_gateway_token_of_the_edge(make_gateway, make_edge):
    """The gateway's token changes (its file rewritten, SIGHUP to the
    gateway): the edge's requests get 401 until the edge is sent SIGHUP too,
    which reads its --token-file again."""
    gw = make_gateway()
    edge = make_edge(gw)
    assert seed_upload(edge.url, edge.auth, "hup/a", b"1").status_code == 201
    gw.token_file.write_text("rotated-" + os.urandom(8).hex() + "\n")
    gw.proc.send_signal(signal.SIGHUP)
    assert wait_until(lambda: seed_download(edge.url, edge.auth, "hup/a").status_code == 401, 10)
    edge.proc.send_signal(signal.SIGHUP)
    assert wait_until(lambda: seed_download(edge.url, edge.auth, "hup/a").status_code == 200, 10)


def test_a_stalled_local_reader_holds_only_its_own_transfer(gateway, make_edge):
    """A local client that asks for 32 MiB through the edge and stops reading
    holds one gateway connection: other local clients' uploads and downloads
    keep going meanwhile, and the edge's memory does not take the object."""
    edge = make_edge(gateway, extra_args=["--connections", "2"], warm=2)
    big = os.urandom(32 * 1024 * 1024)
    assert requests.put(f"{edge.url}/v1/objects/stall/big", data=big, headers=edge.auth).status_code == 201
    rss_before = int(open(f"/proc/{edge.proc.pid}/statm").read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    s = socket.create_connection(("127.0.0.1", edge.port))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.sendall(f"GET /v1/objects/stall/big HTTP/1.1\r\nHost: e\r\nAuthorization: Bearer {edge.token}\r\n\r\n".encode())
    assert s.recv(4096).startswith(b"HTTP/1.1 200")
    try:
        for i in range(5):
            data = os.urandom(256 * 1024)
            # A hang guard, not a speed check: a stalled relay would block these.
            r = requests.post(f"{edge.url}/upload/files", headers=edge.auth, timeout=30, files={
                "data": ('', json.dumps({"key": f"stall/other{i}"}), "application/json"), "file": data})
            assert r.status_code == 201
            d = requests.get(f"{edge.url}/download/files", params={"key": f"stall/other{i}"}, headers=edge.auth,
                             timeout=30)
            assert d.status_code == 200 and d.content == data
        rss = int(open(f"/proc/{edge.proc.pid}/statm").read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        if not SANITIZER:  # under a sanitizer RSS is mostly its shadow memory
            assert rss - rss_before < 16 * 1024 * 1024, (rss_before, rss)
    finally:
        s.close()
