"""Slow and stalled readers against the real gateway (issue 11, item 5).

A client that asks for a large object and never reads must cost the gateway
memory and a socket, not a thread: other downloads go on. A response whose
client takes less than --min-send-rate over --send-rate-window is cut, and a
token has at most --max-requests-per-token requests in progress.

Asserts statuses, bytes and metrics. The one bound on time is a hang guard
(the normal download's timeout), far above what it takes and far below the
52 s it took when stalled readers held every stream thread.
"""
import os
import socket
import time

import requests

BIG = 16 << 20
SMALL = 64 << 10
CUT = 'haul_responses_cut_total{reason="slow_reader"}'


def put(gw, key, data, token=None):
    auth = {"Authorization": f"Bearer {token or gw.token}"}
    r = requests.put(f"{gw.url}/v1/objects/{key}", data=data, headers=auth, timeout=60)
    assert r.status_code == 201, r.text


def stalled_get(gw, key, token=None):
    """A GET whose client reads the status line and then nothing: a small
    receive buffer (set before connecting, so the window stays small) fills
    and the gateway's writes stop completing."""
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.connect(("127.0.0.1", gw.port))
    s.sendall(f"GET /v1/objects/{key} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token or gw.token}\r\n\r\n"
              .encode())
    return s


def status_line(s):
    s.settimeout(60)
    line = b""
    while not line.endswith(b"\r\n"):
        chunk = s.recv(1)
        if not chunk:
            break
        line += chunk
    return line.decode(errors="replace").strip()


def wait_for(predicate, seconds):
    """Polls predicate until it holds or `seconds` pass (a hang guard, not a
    timing assertion); returns its last value."""
    deadline = time.monotonic() + seconds
    value = predicate()
    while not value and time.monotonic() < deadline:
        time.sleep(0.1)
        value = predicate()
    return value


def close_all(sockets):
    for s in sockets:
        s.close()


def test_stalled_readers_do_not_starve_a_normal_download(gateway):
    """300 stalled downloads of 16 MiB (more than the 256 stream threads the
    gateway used to hold one each for) and a normal 64 KiB GET next to them.
    Default flags: this is what a gateway out of the box does."""
    big, small = os.urandom(BIG), os.urandom(SMALL)
    put(gateway, "big", big)
    put(gateway, "small", small)
    stalled = []
    try:
        for _ in range(300):
            stalled.append(stalled_get(gateway, "big"))
        # The hang guard: on a gateway that holds a thread per download this
        # GET waited for a thread to free (52 s in the issue).
        r = requests.get(f"{gateway.url}/v1/objects/small", headers=gateway.auth, timeout=20)
        assert r.status_code == 200
        assert r.content == small
        # Every stalled download is being served at once, none was refused or cut.
        assert [status_line(s) for s in stalled] == ["HTTP/1.1 200 OK"] * 300
        m = gateway.metrics()
        assert m.get(CUT, 0) == 0
        assert m["haul_connections_open"] >= 301
    finally:
        close_all(stalled)


def test_stalled_readers_are_cut_below_the_minimum_rate(make_gateway):
    gw = make_gateway("cut", extra_args=["--min-send-rate", "1024", "--send-rate-window", "2"])
    big = os.urandom(BIG)
    put(gw, "big", big)
    stalled = [stalled_get(gw, "big") for _ in range(20)]
    try:
        assert [status_line(s) for s in stalled] == ["HTTP/1.1 200 OK"] * 20
        assert wait_for(lambda: gw.metric(CUT) >= 20, 60)
        assert gw.metric(CUT) == 20
        # Cut means gone: the gateway reset the connection (freeing what sat
        # in its send buffer), the client can read what arrived, then no more.
        for s in stalled:
            received = 0
            s.settimeout(30)
            try:
                while chunk := s.recv(1 << 20):
                    received += len(chunk)
            except ConnectionResetError:
                pass
            assert received < BIG
        assert wait_for(lambda: gw.metric("haul_connections_open") == 1, 30)  # the scrape's own
        # A reader that keeps up is never cut.
        r = requests.get(f"{gw.url}/v1/objects/big", headers=gw.auth, timeout=60)
        assert r.status_code == 200 and r.content == big
        assert gw.metric(CUT) == 20
    finally:
        close_all(stalled)
    assert gw.stop() == 0


def test_requests_per_token_are_bounded(make_gateway):
    gw = make_gateway("limit", extra_args=["--max-requests-per-token", "3"], start=False)
    other = "other-token-" + os.urandom(8).hex()
    gw.token_file.write_text(f"{gw.token}\n{other}\n")
    gw.start()
    small = os.urandom(SMALL)
    put(gw, "big", os.urandom(BIG))
    put(gw, "small", small)
    # The client has the 201 before the gateway's request ends and gives its
    # slot back: wait for both PUTs to be accounted (that happens after the
    # slot's release), or a stalled GET below may meet the last PUT's slot.
    assert gw.settled_metric('haul_requests_total{method="PUT",code="201"}', 2) == 2
    stalled = [stalled_get(gw, "big") for _ in range(3)]
    try:
        assert [status_line(s) for s in stalled] == ["HTTP/1.1 200 OK"] * 3
        r = requests.get(f"{gw.url}/v1/objects/small", headers=gw.auth, timeout=20)
        assert r.status_code == 429
        assert r.json()["error"] == "too_many_requests"
        assert r.headers["Retry-After"] == "1"
        assert gw.token not in r.text
        # Another token is not affected, nor are open routes.
        r = requests.get(f"{gw.url}/v1/objects/small", headers={"Authorization": f"Bearer {other}"}, timeout=20)
        assert r.status_code == 200 and r.content == small
        assert requests.get(f"{gw.url}/healthz", headers=gw.auth, timeout=20).status_code == 200
        m = gw.metrics()
        assert m["haul_requests_over_token_limit_total"] == 1
        assert m['haul_requests_total{method="GET",code="429"}'] == 1
    finally:
        close_all(stalled)
    # The slots come back when the stalled requests end.
    ok = wait_for(lambda: requests.get(f"{gw.url}/v1/objects/small", headers=gw.auth, timeout=20).status_code == 200,
                  30)
    assert ok
    assert gw.stop() == 0
