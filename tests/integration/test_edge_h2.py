"""haul edge over HTTP/2: a real edge in front of a real TLS gateway that
offers h2 by ALPN. Local requests ride as streams on the edge's warm
connections: 50 concurrent seed-shaped clients and curl come back
byte-identical while the gateway accepts no connection beyond the warm
set; a local reader that reads nothing holds only its own stream; a local
client that breaks off an upload leaves nothing stored (the stream is
reset); the gateway killed mid-upload gives the local client an error and
stores nothing; a gateway that stops answering is given up after an
unanswered PING; `--upstream-http2 off` keeps HTTP/1.1 (one connection per
request in flight, as before); `h2c` speaks HTTP/2 to a plain haul gateway."""
import hashlib
import os
import signal
import socket
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from conftest import Gateway, free_port, wait_until
from test_edge import (assert_upload_failed, make_edge, run_through_netem, seed_download,  # noqa: F401 (a fixture)
                       seed_upload, slow_upload_in_background)
from tls_support import Pki


@pytest.fixture
def tls_gateway(tmp_path):
    pki = Pki(tmp_path / "pki")
    cert, key, _ = pki.server("gw")
    port = free_port()
    gw = Gateway(tmp_path / "gw", ["--tls-listen", f"127.0.0.1:{port}", "--tls-cert", cert, "--tls-key", key])
    gw.start()
    gw.tls_url = f"https://127.0.0.1:{port}"
    gw.ca = pki.ca
    yield gw
    if gw.proc:
        rc = gw.stop()
        assert rc == 0, f"gateway exited with {rc}:\n{gw.log.read_text()[-4000:]}"


def h2_edge(make_edge, gw, connections=2, mode="auto"):
    return make_edge(gw, extra_args=["--cacert", gw.ca, "--connections", str(connections), "--upstream-http2", mode],
                     warm=connections, gateway_url=gw.tls_url)


def accepted(gw):
    return gw.metric("haul_connections_accepted_total")


def concurrent_seed_round_trips(edge, count, size, prefix):
    """`count` seed-shaped clients at once (no Session: a new local
    connection per call), each uploading then downloading its own object."""
    barrier = threading.Barrier(count)

    def one(i):
        data = os.urandom(size + i)
        barrier.wait(30)
        up = seed_upload(edge.url, edge.auth, f"{prefix}/{i}", data)
        assert up.status_code == 201, up.text
        assert up.json()["sha256"] == hashlib.sha256(data).hexdigest()
        down = seed_download(edge.url, edge.auth, f"{prefix}/{i}")
        assert down.status_code == 200 and down.content == data
        return True

    with ThreadPoolExecutor(count) as pool:
        assert all(pool.map(one, range(count)))


def test_fifty_concurrent_clients_ride_the_warm_connections_as_streams(tls_gateway, make_edge, tmp_path):
    gw = tls_gateway
    edge = h2_edge(make_edge, gw, connections=2)
    m = edge.metrics()
    assert m["haul_edge_upstream_h2_connections"] == 2, m
    before = accepted(gw)
    concurrent_seed_round_trips(edge, 50, 256 * 1024, "h2")
    # curl beside them, a 3 MiB PUT and GET.
    src = tmp_path / "curl.bin"
    src.write_bytes(os.urandom(3 * 1024 * 1024 + 5))
    out = tmp_path / "curl.out"
    auth = f"Authorization: Bearer {edge.token}"
    subprocess.run(["curl", "-sSf", "-X", "PUT", "-H", auth, "--data-binary", f"@{src}",
                    f"{edge.url}/v1/objects/h2/curl"], check=True, capture_output=True)
    subprocess.run(["curl", "-sSf", "-H", auth, "-o", out, f"{edge.url}/v1/objects/h2/curl"], check=True)
    assert out.read_bytes() == src.read_bytes()
    h = requests.head(f"{edge.url}/v1/objects/h2/curl", headers=edge.auth)
    assert h.status_code == 200 and int(h.headers["Content-Length"]) == src.stat().st_size
    # Only this test's second /metrics scrape is a new gateway connection:
    # the 100 seed requests and curl's went as streams on the warm two.
    assert accepted(gw) - before == 1
    m = edge.metrics()
    assert m["haul_edge_upstream_h2_connections"] == 2, m
    assert m["haul_edge_h2_streams_total"] >= 103, m
    assert m["haul_edge_failures_total"] == 0, m
    assert m["haul_edge_upstream_connections_opened_total"] == 2, m
    assert gw.metric("haul_h2_streams_total") >= 103


def test_upstream_http2_off_keeps_http1(tls_gateway, make_edge):
    gw = tls_gateway
    edge = h2_edge(make_edge, gw, connections=2, mode="off")
    before = accepted(gw)
    concurrent_seed_round_trips(edge, 50, 256 * 1024, "h1")
    m = edge.metrics()
    assert m["haul_edge_upstream_h2_connections"] == 0, m
    assert m["haul_edge_h2_streams_total"] == 0, m
    # A connection per request in flight: more than the warm two (how many
    # depends on how many overlap; over HTTP/2 only the scrape counts).
    assert accepted(gw) - before > 5


def test_a_local_reader_that_reads_nothing_holds_only_its_stream(tls_gateway, make_edge):
    """One warm connection: a local client asks for 32 MiB and reads
    nothing; another client's downloads and uploads go on the same gateway
    connection meanwhile, and the stalled one holds at most its stream window."""
    gw = tls_gateway
    edge = h2_edge(make_edge, gw, connections=1)
    big = os.urandom(32 * 1024 * 1024)
    assert requests.put(f"{gw.url}/v1/objects/stall/big", data=big, headers=gw.auth).status_code == 201
    other = os.urandom(8 * 1024 * 1024)
    assert requests.put(f"{gw.url}/v1/objects/stall/other", data=other, headers=gw.auth).status_code == 201
    before = accepted(gw)
    s = socket.create_connection(("127.0.0.1", edge.port))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.sendall(f"GET /v1/objects/stall/big HTTP/1.1\r\nHost: e\r\nAuthorization: Bearer {edge.token}\r\n\r\n".encode())
    try:
        assert s.recv(4096).startswith(b"HTTP/1.1 200")
        assert wait_until(lambda: edge.metrics()["haul_edge_upstream_h2_streams_open"] == 1, 10)
        for i in range(3):
            t0 = time.monotonic()
            d = requests.get(f"{edge.url}/v1/objects/stall/other", headers=edge.auth, timeout=30)
            assert d.status_code == 200 and d.content == other
            assert time.monotonic() - t0 < 10
            up = seed_upload(edge.url, edge.auth, f"stall/up{i}", other[:300000])
            assert up.status_code == 201
        m = edge.metrics()
        # Both rode the one warm connection, beside the stalled stream.
        assert m["haul_edge_upstream_h2_connections"] == 1, m
        assert m["haul_edge_upstream_h2_streams_open"] == 1, m
        assert accepted(gw) - before == 1
        # The stalled stream got no further than its window (8 MiB) plus
        # what the local socket buffers took.
        assert m["haul_edge_bytes_down_total"] < 3 * len(other) + 16 * 1024 * 1024, m
    finally:
        s.close()


def _partial_upload(port, token, key, total, sent):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall((f"PUT /v1/objects/{key} HTTP/1.1\r\nHost: e\r\nAuthorization: Bearer {token}\r\n"
               f"Content-Length: {total}\r\n\r\n").encode())
    s.sendall(os.urandom(sent))
    time.sleep(0.5)
    # RST: the local client is gone mid-body.
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    s.close()


def test_a_local_client_that_breaks_off_an_upload_leaves_nothing_stored(tls_gateway, make_edge):
    gw = tls_gateway
    edge = h2_edge(make_edge, gw, connections=1)
    _partial_upload(edge.port, edge.token, "cut/half", 8 * 1024 * 1024, 3 * 1024 * 1024)
    # The gateway saw the stream reset and discarded the upload.
    assert wait_until(lambda: gw.metric("haul_h2_streams_open") == 0, 10)
    assert requests.head(f"{gw.url}/v1/objects/cut/half", headers=gw.auth).status_code == 404
    # And the connection still carries the next request.
    assert seed_upload(edge.url, edge.auth, "cut/next", b"ok").status_code == 201
    assert edge.metrics()["haul_edge_upstream_connections_opened_total"] == 1


def test_gateway_killed_mid_upload_stores_nothing_over_http2(tls_gateway, make_edge):
    gw = tls_gateway
    edge = h2_edge(make_edge, gw, connections=2)
    t, started, result = slow_upload_in_background(edge, "kill/a")
    assert started.wait(10)
    assert wait_until(lambda: edge.metrics()["haul_edge_upstream_h2_streams_open"] == 1, 10)
    gw.stop(signal.SIGKILL)
    assert_upload_failed(t, result)
    gw.start()  # same store, same TLS port
    assert wait_until(lambda: edge.metrics()["haul_edge_upstream_h2_connections"] >= 1, 15)
    assert requests.head(f"{edge.url}/v1/objects/kill/a", headers=edge.auth).status_code == 404
    assert seed_upload(edge.url, edge.auth, "kill/b", b"after").status_code == 201
    assert seed_download(edge.url, edge.auth, "kill/b").content == b"after"


def test_a_gateway_that_stops_answering_is_given_up_after_an_unanswered_ping(tls_gateway, make_edge):
    """The gateway process stopped (SIGSTOP: its kernel still acknowledges
    TCP, nothing answers above it, as on a path that went silent): a request
    waits out the edge's --body-timeout and fails, the edge PINGs the
    connection, gets no answer and gives it up instead of letting every
    later request time out on it; once the gateway runs again, the next
    request works on a new connection."""
    gw = tls_gateway
    edge = make_edge(gw, extra_args=["--cacert", gw.ca, "--connections", "1", "--upstream-http2", "auto",
                                     "--body-timeout", "2"], warm=1, gateway_url=gw.tls_url)
    assert seed_upload(edge.url, edge.auth, "ping/a", b"before").status_code == 201
    assert edge.metrics()["haul_edge_upstream_h2_connections"] == 1
    os.kill(gw.proc.pid, signal.SIGSTOP)
    try:
        r = requests.get(f"{edge.url}/v1/objects/ping/a", headers=edge.auth, timeout=30)
        assert r.status_code in (502, 504), r.text
        # One PING, unanswered for 5 s (H2Upstream::kPingTimeout): given up.
        assert wait_until(lambda: edge.metrics().get("haul_edge_upstream_unanswered_ping_total", 0) == 1, 15)
    finally:
        os.kill(gw.proc.pid, signal.SIGCONT)
    assert wait_until(lambda: edge.metrics()["haul_edge_upstream_h2_connections"] == 1, 15)
    assert seed_download(edge.url, edge.auth, "ping/a").content == b"before"
    m = edge.metrics()
    assert m["haul_edge_upstream_connections_opened_total"] == 2, m
    assert m["haul_edge_upstream_unanswered_ping_total"] == 1, m


def test_plain_gateway_auto_keeps_http1_and_h2c_speaks_http2(gateway, make_edge):
    auto = make_edge(gateway, name="auto", extra_args=["--connections", "1"])
    assert seed_upload(auto.url, auto.auth, "plain/a", b"one").status_code == 201
    assert auto.metrics()["haul_edge_upstream_h2_connections"] == 0
    h2c = make_edge(gateway, name="h2c", extra_args=["--connections", "1", "--upstream-http2", "h2c"])
    data = os.urandom(2 * 1024 * 1024)
    assert seed_upload(h2c.url, h2c.auth, "plain/b", data).status_code == 201
    assert seed_download(h2c.url, h2c.auth, "plain/b").content == data
    m = h2c.metrics()
    assert m["haul_edge_upstream_h2_connections"] == 1 and m["haul_edge_h2_streams_total"] == 2, m


def test_bad_upstream_http2_values_are_refused(gateway, tmp_path):
    from conftest import HAUL
    tokens = tmp_path / "t"
    tokens.write_text("x\n")
    for url, mode, words in ((gateway.url, "maybe", "expected auto, off or h2c"),
                             ("https://127.0.0.1:1", "h2c", "needs an http://")):
        cmd = [HAUL, "edge", "--gateway", url, "--upstream-http2", mode, "--token-file", str(gateway.token_file),
               "--client-token-file", str(tokens), "--listen", f"127.0.0.1:{free_port()}"]
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
        assert r.returncode != 0 and words in r.stderr + r.stdout, (r.returncode, r.stderr)


@pytest.mark.skipif(os.geteuid() != 0 or not os.path.exists("/dev/net/tun"), reason="haul netem needs root and TUN")
def test_http2_connections_are_warmed_across_an_emulated_long_link(tmp_path):
    """The netem round trip of test_edge.py over h2c: the two warm HTTP/2
    connections had their windows opened by the warm-up (as streams) and
    carry every transfer (no third connection, unlike HTTP/1.1)."""
    result = run_through_netem(tmp_path, ["--upstream-http2", "h2c"])
    assert result["warmed"] == 2 and result["h2_connections"] == 2, result
