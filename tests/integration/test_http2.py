"""HTTP/2 on the gateway (docs/http2.md): h2c with prior knowledge on the
plain listener and h2 by ALPN over TLS, next to HTTP/1.1 on the same ports;
curl, nghttp, h2load and the haul client as real clients; python3-h2 for
hand-made frames: the abuse classes each end in GOAWAY (or RST_STREAM) while
the gateway keeps serving a normal client.
"""
import gzip
import hashlib
import json
import os
import socket
import subprocess
import time

import h2.config
import h2.connection
import h2.events
import h2.exceptions
import h2.settings
import pytest

from conftest import Gateway, haul, wait_until
from test_tls import TlsGateway, tls_init

MiB = 1 << 20


def curl(*args, data=None):
    return subprocess.run(["curl", "-sS", *args], input=data, capture_output=True, timeout=120)


def h2_version(gw, *extra):
    """curl's %{http_version} for a /healthz request with these flags."""
    out = curl(*extra, "-o", "/dev/null", "-w", "%{http_version}", f"{gw.url}/healthz")
    assert out.returncode == 0, out.stderr
    return out.stdout.decode()


@pytest.fixture
def tls_dir(tmp_path):
    d = tmp_path / "tls"
    tls_init(d, "--name", "localhost", "--ip", "127.0.0.1")
    return d


class RawH2:
    """A python3-h2 client on one socket: hand-made frames, read until an
    event or the close."""

    def __init__(self, port, settings=None):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        config = h2.config.H2Configuration(client_side=True, header_encoding="utf-8")
        self.conn = h2.connection.H2Connection(config=config)
        self.conn.initiate_connection()
        if settings:
            self.conn.update_settings(settings)
        self.flush()
        self.events = []
        self.closed = False
        # The gateway's SETTINGS first (its windows and stream limit).
        self.pump(lambda c: any(isinstance(e, h2.events.RemoteSettingsChanged) for e in c.events), timeout=5)

    def flush(self):
        data = self.conn.data_to_send()
        if data:
            self.sock.sendall(data)

    def request(self, gw, method, path, body=b"", end=True, extra=()):
        sid = self.conn.get_next_available_stream_id()
        headers = [(":method", method), (":scheme", "http"), (":authority", "127.0.0.1"), (":path", path),
                   ("authorization", f"Bearer {gw.token}")] + list(extra)
        if body and not any(name == "content-length" for name, _ in extra):
            headers.append(("content-length", str(len(body))))
        self.conn.send_headers(sid, headers, end_stream=end and not body)
        step = self.conn.max_outbound_frame_size
        for offset in range(0, len(body), step):
            last = offset + step >= len(body)
            self.conn.send_data(sid, body[offset:offset + step], end_stream=end and last)
        self.flush()
        return sid

    def pump(self, until, timeout=15):
        """Reads and handles frames until until(self) or the connection ends."""
        deadline = time.monotonic() + timeout
        while not until(self) and not self.closed and time.monotonic() < deadline:
            try:
                data = self.sock.recv(65536)
            except (ConnectionResetError, socket.timeout):
                self.closed = True
                break
            if not data:
                self.closed = True
                break
            try:
                events = self.conn.receive_data(data)
            except h2.exceptions.ProtocolError:
                self.closed = True
                break
            for e in events:
                if isinstance(e, h2.events.DataReceived):
                    self.conn.acknowledge_received_data(e.flow_controlled_length, e.stream_id)
            self.events.extend(events)
            try:
                self.flush()
            except OSError:
                self.closed = True

    def responses(self):
        """{stream: (status, body)} of the streams that ended."""
        status, bodies, ended = {}, {}, set()
        for e in self.events:
            if isinstance(e, h2.events.ResponseReceived):
                status[e.stream_id] = int(dict(e.headers)[":status"])
            elif isinstance(e, h2.events.DataReceived):
                bodies[e.stream_id] = bodies.get(e.stream_id, b"") + e.data
            elif isinstance(e, h2.events.StreamEnded):
                ended.add(e.stream_id)
        return {s: (status.get(s), bodies.get(s, b"")) for s in ended}

    def goaway(self):
        for e in self.events:
            if isinstance(e, h2.events.ConnectionTerminated):
                return e.error_code
        return None

    def resets(self):
        return {e.stream_id: e.error_code for e in self.events if isinstance(e, h2.events.StreamReset)}

    def close(self):
        self.sock.close()


# A GOAWAY frame's header after its length: type 7, no flags, stream 0.
GOAWAY_HEADER = b"\x07\x00\x00\x00\x00\x00"


def flood_and_read(s, frame, times):
    """Sends `frame` `times` times on socket s (as long as the gateway takes
    them), then reads until it closes: every byte it answered with."""
    try:
        for _ in range(times):
            s.sendall(frame)
    except OSError:
        pass
    s.settimeout(10)
    seen = b""
    try:
        while True:
            b = s.recv(65536)
            if not b:
                break
            seen += b
    except (OSError, socket.timeout):
        pass
    s.close()
    return seen


def still_serves(gw):
    """A normal HTTP/2 client gets its answer (after an attack on another connection)."""
    assert h2_version(gw, "--http2-prior-knowledge") == "2"


# --- round trips ----------------------------------------------------------------------

def test_h2c_and_http11_share_the_plain_port(gateway, tmp_path):
    gw = gateway
    data = os.urandom(3 * MiB + 17)
    src = tmp_path / "src"
    src.write_bytes(data)
    auth = ["-H", f"Authorization: Bearer {gw.token}"]
    put = curl("--http2-prior-knowledge", *auth, "-T", str(src), "-w", "%{http_code} %{http_version}",
               "-o", "/dev/null", f"{gw.url}/v1/objects/h2/a.bin")
    assert put.stdout.decode() == "201 2", put.stderr
    got = curl("--http2-prior-knowledge", *auth, "-w", "%{http_version}", "-o", str(tmp_path / "h2.out"),
               f"{gw.url}/v1/objects/h2/a.bin")
    assert got.stdout.decode() == "2"
    assert (tmp_path / "h2.out").read_bytes() == data
    # The same object over HTTP/1.1 on the same port.
    got = curl("--http1.1", *auth, "-w", "%{http_version}", "-o", str(tmp_path / "h1.out"),
               f"{gw.url}/v1/objects/h2/a.bin")
    assert got.stdout.decode() == "1.1"
    assert (tmp_path / "h1.out").read_bytes() == data
    # A range over h2, and a HEAD (length, no body).
    part = curl("--http2-prior-knowledge", *auth, "-r", "100-199", f"{gw.url}/v1/objects/h2/a.bin")
    assert part.stdout == data[100:200]
    head = curl("--http2-prior-knowledge", *auth, "-I", f"{gw.url}/v1/objects/h2/a.bin")
    assert f"content-length: {len(data)}" in head.stdout.decode().lower()
    m = gw.metrics()
    assert m['haul_connections_protocol_total{protocol="h2"}'] >= 4
    assert m['haul_connections_protocol_total{protocol="http1"}'] >= 1
    assert m["haul_h2_streams_total"] >= 4


def test_errors_over_h2_are_json_with_status(gateway):
    gw = gateway
    out = curl("--http2-prior-knowledge", "-w", "\n%{http_code}", f"{gw.url}/v1/objects/nothing")
    body, _, code = out.stdout.decode().rpartition("\n")
    assert code == "401" and '"error"' in body
    out = curl("--http2-prior-knowledge", "-H", f"Authorization: Bearer {gw.token}", "-w", "\n%{http_code}",
               f"{gw.url}/v1/objects/absent")
    body, _, code = out.stdout.decode().rpartition("\n")
    assert code == "404" and '"not_found"' in body


def test_h2_over_tls_by_alpn(tmp_path, tls_dir):
    gw = TlsGateway(tmp_path / "gw", tls_dir, plain=True).start()
    try:
        assert h2_version(gw, "--cacert", gw.ca, "--http2") == "2"
        assert h2_version(gw, "--cacert", gw.ca, "--http1.1") == "1.1"
        data = os.urandom(MiB + 5)
        src = tmp_path / "src"
        src.write_bytes(data)
        auth = ["-H", f"Authorization: Bearer {gw.token}", "--cacert", gw.ca, "--http2"]
        put = curl(*auth, "-T", str(src), "-w", "%{http_code}", "-o", "/dev/null", f"{gw.url}/v1/objects/t.bin")
        assert put.stdout.decode() == "201", put.stderr
        got = curl(*auth, f"{gw.url}/v1/objects/t.bin")
        assert got.stdout == data
    finally:
        assert gw.stop() == 0


def test_nghttp_client(gateway, tmp_path):
    gw = gateway
    data = os.urandom(200 * 1024)
    (tmp_path / "up").write_bytes(data)
    put = subprocess.run(["nghttp", "-H", f"authorization: Bearer {gw.token}", "-H", ":method: PUT",
                          "-d", str(tmp_path / "up"), "-s", f"{gw.url}/v1/objects/ng.bin"],
                         capture_output=True, timeout=60)
    assert put.returncode == 0, put.stderr
    got = subprocess.run(["nghttp", "-H", f"authorization: Bearer {gw.token}", f"{gw.url}/v1/objects/ng.bin"],
                         capture_output=True, timeout=60)
    assert got.returncode == 0 and got.stdout == data


def test_500_concurrent_streams_on_one_connection(gateway):
    gw = gateway
    body = b"x" * 1000
    c = RawH2(gw.port)
    assert c.request(gw, "PUT", "/v1/objects/many", body) == 1
    c.pump(lambda c: 1 in c.responses())
    assert c.responses()[1][0] == 201
    # The gateway allows 256 at once: open them all, the rest as streams end.
    wanted, sent = 500, 0
    while sent < wanted:
        while sent < wanted and c.conn.open_outbound_streams < c.conn.remote_settings.max_concurrent_streams:
            c.request(gw, "GET", "/v1/objects/many")
            sent += 1
        c.pump(lambda c: c.conn.open_outbound_streams < c.conn.remote_settings.max_concurrent_streams)
    c.pump(lambda c: len(c.responses()) == wanted + 1, timeout=60)
    answers = c.responses()
    assert len(answers) == wanted + 1
    assert all(status == 200 and data == body for sid, (status, data) in answers.items() if sid != 1)
    c.close()
    assert gw.metric("haul_connections_accepted_total") <= 3  # the fixture's probe, this one, the scrape


def test_reset_mid_upload_stores_nothing_and_the_connection_goes_on(gateway):
    gw = gateway
    c = RawH2(gw.port)
    sid = c.request(gw, "PUT", "/v1/objects/half", b"a" * 100_000, end=False,
                    extra=[("content-length", "1000000")])
    c.conn.reset_stream(sid, error_code=8)  # CANCEL
    c.flush()
    sid2 = c.request(gw, "PUT", "/v1/objects/whole", b"b" * 5000)
    c.pump(lambda c: sid2 in c.responses())
    assert c.responses()[sid2][0] == 201
    sid3 = c.request(gw, "GET", "/v1/objects/half")
    c.pump(lambda c: sid3 in c.responses())
    assert c.responses()[sid3][0] == 404
    c.close()


def random_tree(src, count, smallest):
    """count files of smallest, smallest + 1, ... random bytes under src:
    {name: sha256}."""
    src.mkdir()
    files = {}
    for i in range(count):
        data = os.urandom(smallest + i)
        (src / f"f{i:03}").write_bytes(data)
        files[f"f{i:03}"] = hashlib.sha256(data).hexdigest()
    return files


def round_trip_tree(gw, src, prefix, out, files, **run):
    """put src --recursive, get it back into out (each a haul process run
    with `run`, e.g. a preexec_fn), and check every file's bytes."""
    common = ["--gateway", gw.url, "--token", gw.token, "--cacert", gw.ca]
    put = haul("put", str(src), prefix, "--recursive", *common, check=False, **run)
    assert put.returncode == 0, put.stderr
    get = haul("get", prefix, str(out), "--recursive", *common, check=False, **run)
    assert get.returncode == 0, get.stderr
    assert sorted(os.listdir(out)) == sorted(files)
    for name, digest in files.items():
        assert hashlib.sha256((out / name).read_bytes()).hexdigest() == digest


def test_haul_client_recursive_over_its_h2_connections(tmp_path, tls_dir):
    gw = TlsGateway(tmp_path / "gw", tls_dir).start()
    try:
        src = tmp_path / "tree"
        files = random_tree(src, 300, 1000)
        before = gw.metric("haul_connections_accepted_total")
        common = ["--gateway", gw.url, "--token", gw.token, "--cacert", gw.ca]
        haul("put", str(src), "tree/", "--recursive", *common)
        out = tmp_path / "back"
        haul("get", "tree/", str(out), "--recursive", "--stream-connections", "3", *common)
        for name, digest in files.items():
            assert hashlib.sha256((out / name).read_bytes()).hexdigest() == digest
        opened = gw.metric("haul_connections_accepted_total") - before
        # Two processes (put, get): the streams spread over
        # --stream-connections HTTP/2 connections (default 32; each its own
        # libcurl multi, as libcurl 7.88 can mismatch answers across two in
        # one), and nothing else (no HTTP/1.1 warm-ups beside HTTP/2:
        # docs/client.md); never one per file.
        assert gw.metric('haul_connections_protocol_total{protocol="h2"}') == 32 + 3
        assert opened <= 32 + 3 + 2, opened  # + the test's own scrapes
        assert gw.metric("haul_h2_streams_total") >= 600
        # Small listed files come with their digest on the GET: one stream
        # per file, no HEAD.
        assert gw.metric('haul_requests_total{method="HEAD",code="200"}') == 0
        assert gw.metric('haul_requests_total{method="GET",code="206"}') >= 300
        # --http 1.1 still works against the same gateway.
        haul("get", "tree/f001", str(tmp_path / "one"), "--http", "1.1", *common)
        assert hashlib.sha256((tmp_path / "one").read_bytes()).hexdigest() == files["f001"]
    finally:
        assert gw.stop() == 0


# Release build only: the client's loop is single-threaded and the sanitizer
# passes run the sharded pool in test_haul_client_recursive_over_its_h2_connections.
@pytest.mark.slow
def test_recursive_put_and_get_with_sockets_above_fd_setsize(tmp_path, tls_dir):
    """A client started with 1100 descriptors already open (a leaky parent)
    gets sockets above 1023, which libcurl's curl_multi_fdset cannot report:
    the pool then polls every millisecond instead of sleeping on them
    (Pool::wait), and every file still arrives intact."""
    import resource
    gw = TlsGateway(tmp_path / "gw", tls_dir).start()
    try:
        src = tmp_path / "tree"
        files = random_tree(src, 200, 300)

        def many_open_descriptors():
            soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
            resource.setrlimit(resource.RLIMIT_NOFILE, (min(4096, hard), hard))
            for _ in range(1100):
                os.set_inheritable(os.open("/dev/null", os.O_RDONLY), True)

        round_trip_tree(gw, src, "high/", tmp_path / "back", files, close_fds=False,
                        preexec_fn=many_open_descriptors)
    finally:
        assert gw.stop() == 0


# Release build only: the client's loop is single-threaded and the sanitizer
# passes run the sharded pool in test_haul_client_recursive_over_its_h2_connections.
@pytest.mark.slow
def test_recursive_put_and_get_fit_a_small_open_file_limit(tmp_path, tls_dir):
    """Over HTTP/2 a tree runs up to 1000 transfers at once, each holding a
    file open: under a 300-file limit (soft and hard, so it cannot be raised)
    the client runs fewer at once instead of failing with EMFILE."""
    import resource
    gw = TlsGateway(tmp_path / "gw", tls_dir).start()
    try:
        src = tmp_path / "tree"
        files = random_tree(src, 400, 200)

        def small_limit():
            resource.setrlimit(resource.RLIMIT_NOFILE, (300, 300))

        round_trip_tree(gw, src, "lim/", tmp_path / "back", files, preexec_fn=small_limit)
    finally:
        assert gw.stop() == 0


def test_listing_in_gzip_over_h2(tmp_path, tls_dir):
    gw = TlsGateway(tmp_path / "gw", tls_dir).start()
    try:
        for i in range(100):
            assert curl("--http2", "--cacert", gw.ca, "-H", f"Authorization: Bearer {gw.token}", "-T", "-",
                        f"{gw.url}/v1/objects/gz/{i:03d}", data=b"x").returncode == 0
        auth = ["--cacert", gw.ca, "-H", f"Authorization: Bearer {gw.token}"]
        url = f"{gw.url}/v1/objects?prefix=gz/"
        raw = curl("--http2", *auth, "-D", "-", "-H", "Accept-Encoding: gzip", "-o", str(tmp_path / "raw"), url)
        assert raw.returncode == 0, raw.stderr
        assert b"HTTP/2 200" in raw.stdout and b"content-encoding: gzip" in raw.stdout.lower()
        decoded = curl("--http2", "--compressed", *auth, url)
        keys = [o["key"] for o in json.loads(decoded.stdout)["objects"]]
        assert keys == [f"gz/{i:03d}" for i in range(100)]
        assert gzip.decompress((tmp_path / "raw").read_bytes()) == decoded.stdout
    finally:
        assert gw.stop() == 0


def test_haul_client_refuses_h2c_with_this_libcurl(gateway):
    out = haul("ls", "--gateway", gateway.url, "--token", gateway.token, "--http", "2", check=False)
    version = subprocess.run(["curl", "--version"], capture_output=True, text=True).stdout.split()[1]
    if int(version.split(".")[0]) >= 8:
        assert out.returncode == 0, out.stderr
    else:
        assert out.returncode != 0
        assert "libcurl 8.0" in out.stderr and len(out.stderr.strip().splitlines()) == 1


def test_h2load_without_errors(gateway):
    gw = gateway
    subprocess.run(["curl", "-sS", "-H", f"Authorization: Bearer {gw.token}", "-T", "-",
                    f"{gw.url}/v1/objects/load"], input=b"z" * 4096, check=True, capture_output=True)
    out = subprocess.run(["h2load", "-n", "2000", "-c", "4", "-m", "32", "-H", f"authorization: Bearer {gw.token}",
                          f"{gw.url}/v1/objects/load"], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "2000 succeeded, 0 failed, 0 errored" in out.stdout, out.stdout
    assert "status codes: 2000 2xx" in out.stdout, out.stdout


# --- abuse: each class ends that connection, others go on ------------------------------

def test_rapid_reset_gets_goaway(gateway):
    gw = gateway
    c = RawH2(gw.port)
    for _ in range(3000):
        sid = c.conn.get_next_available_stream_id()
        c.conn.send_headers(sid, [(":method", "GET"), (":scheme", "http"), (":authority", "x"),
                                  (":path", "/healthz")])
        c.conn.reset_stream(sid, error_code=8)
        try:
            c.flush()
        except OSError:
            break
    c.pump(lambda c: c.goaway() is not None)
    assert c.goaway() == 11 or c.closed  # ENHANCE_YOUR_CALM
    c.close()
    assert gw.metric('haul_h2_goaway_total{reason="rapid_reset"}') == 1
    still_serves(gw)


def test_ping_flood_gets_goaway(gateway):
    gw = gateway
    c = RawH2(gw.port)
    try:
        for i in range(5000):
            c.conn.ping(i.to_bytes(8, "big"))
            c.flush()
    except OSError:
        pass
    c.pump(lambda c: c.goaway() is not None)
    assert c.goaway() == 11 or c.closed
    c.close()
    assert gw.metric('haul_h2_goaway_total{reason="control_flood"}') == 1
    still_serves(gw)


def test_settings_and_empty_data_floods_get_goaway(gateway):
    gw = gateway
    c = RawH2(gw.port)
    try:
        for _ in range(3000):
            c.conn.update_settings({h2.settings.SettingCodes.MAX_CONCURRENT_STREAMS: 100})
            c.flush()
    except (OSError, h2.exceptions.ProtocolError):
        pass
    c.pump(lambda c: c.goaway() is not None)
    assert c.goaway() is not None or c.closed
    c.close()
    # Empty DATA frames on an open stream, written by hand (python3-h2 would merge them).
    s = socket.create_connection(("127.0.0.1", gw.port), timeout=10)
    conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
    conn.initiate_connection()
    conn.send_headers(1, [(":method", "PUT"), (":scheme", "http"), (":authority", "x"), (":path", "/v1/objects/e"),
                          ("authorization", f"Bearer {gw.token}")])
    s.sendall(conn.data_to_send())
    empty_data = b"\x00\x00\x00\x00\x00\x00\x00\x00\x01"  # length 0, DATA, no flags, stream 1
    seen = flood_and_read(s, empty_data, 3000)
    assert GOAWAY_HEADER in seen  # a GOAWAY frame header (type 7)
    assert gw.metric('haul_h2_goaway_total{reason="control_flood"}') == 2
    still_serves(gw)


def test_continuation_flood_is_cut(gateway):
    gw = gateway
    s = socket.create_connection(("127.0.0.1", gw.port), timeout=10)
    conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
    conn.initiate_connection()
    s.sendall(conn.data_to_send())
    # HEADERS without END_HEADERS, then CONTINUATION frames that never end.
    s.sendall(b"\x00\x00\x01\x01\x00\x00\x00\x00\x01" + b"\x82")
    continuation = b"\x00\x00\x01\x09\x00\x00\x00\x00\x01" + b"\x84"
    seen = flood_and_read(s, continuation, 1000)
    assert GOAWAY_HEADER in seen
    assert gw.metric('haul_h2_goaway_total{reason="header_flood"}') == 1
    still_serves(gw)


def test_hpack_bomb_gets_431_and_memory_stays_bounded(gateway):
    gw = gateway
    c = RawH2(gw.port)
    # One 4 KiB header in the dynamic table, then referenced many times: a
    # small block that decodes to megabytes.
    big = "v" * 4000
    sid = c.conn.get_next_available_stream_id()
    headers = [(":method", "GET"), (":scheme", "http"), (":authority", "x"), (":path", "/healthz")]
    headers += [("x-bomb", big)] * 400
    c.conn.send_headers(sid, headers, end_stream=True)
    c.flush()
    c.pump(lambda c: sid in c.responses() or sid in c.resets())
    assert c.responses().get(sid, (None,))[0] == 431 or sid in c.resets()
    c.close()
    still_serves(gw)


def test_too_many_streams_are_refused(gateway):
    gw = gateway
    c = RawH2(gw.port)
    c.pump(lambda c: c.conn.remote_settings.max_concurrent_streams < 1000, timeout=5)
    limit = c.conn.remote_settings.max_concurrent_streams
    assert limit == 256
    # Ignore the limit: the extra streams are refused, the rest answered.
    c.conn.remote_settings.max_concurrent_streams = 10_000
    c.conn.remote_settings.acknowledge()
    for _ in range(limit + 50):
        sid = c.conn.get_next_available_stream_id()
        c.conn.send_headers(sid, [(":method", "GET"), (":scheme", "http"), (":authority", "x"),
                                  (":path", "/healthz")], end_stream=True)
    c.flush()
    c.pump(lambda c: len(c.responses()) + len(c.resets()) >= limit + 50, timeout=30)
    # RFC 9113 5.1.2: a stream error (REFUSED_STREAM) or, as nghttp2 does
    # past an acknowledged limit, a connection error: GOAWAY(PROTOCOL_ERROR).
    assert c.goaway() == 1 or (c.resets() and all(code == 7 for code in c.resets().values()))
    assert len(c.responses()) <= limit
    assert all(status == 200 for status, _ in c.responses().values())
    c.close()
    still_serves(gw)


def test_zero_window_reader_is_cut_and_memory_bounded(make_gateway):
    gw = make_gateway(extra_args=["--min-send-rate", "100000", "--send-rate-window", "2"])
    big = os.urandom(8 * MiB)
    subprocess.run(["curl", "-sS", "-H", f"Authorization: Bearer {gw.token}", "-T", "-",
                    f"{gw.url}/v1/objects/big"], input=big, check=True, capture_output=True)
    # A client that opens its window to nothing and asks for a big download.
    c = RawH2(gw.port, settings={h2.settings.SettingCodes.INITIAL_WINDOW_SIZE: 0})
    sid = c.request(gw, "GET", "/v1/objects/big")
    c.pump(lambda c: sid in c.resets(), timeout=30)
    assert sid in c.resets()
    c.close()
    assert gw.metric('haul_responses_cut_total{reason="slow_reader"}') >= 1
    still_serves(gw)


def test_shutdown_lets_a_busy_h2_connection_finish_then_goaway(make_gateway):
    gw = make_gateway()
    c = RawH2(gw.port)
    sid = c.request(gw, "PUT", "/v1/objects/draining", b"a" * 1000, end=False, extra=[("content-length", "2000")])
    time.sleep(0.3)  # the handler is reading the body
    gw.proc.send_signal(15)
    time.sleep(0.3)
    c.conn.send_data(sid, b"b" * 1000, end_stream=True)
    c.flush()
    # GOAWAY(NO_ERROR) may come before the answer (no new streams, this one
    # goes on: RFC 9113 6.8); python3-h2 stops reading at a GOAWAY, so the
    # answer is checked in the access log and the store.
    c.pump(lambda c: c.goaway() is not None, timeout=10)
    assert c.goaway() == 0 or sid in c.responses()
    gw.proc.wait(timeout=30)
    assert gw.proc.returncode == 0
    # It ended because the connection finished, not at the drain deadline (15 s).
    assert "at the drain deadline" not in gw.log.read_text()
    c.close()
    assert '"target":"/v1/objects/draining","status":201' in gw.log.read_text()
    gw.start()
    out = curl("-H", f"Authorization: Bearer {gw.token}", f"{gw.url}/v1/objects/draining")
    assert out.stdout == b"a" * 1000 + b"b" * 1000
