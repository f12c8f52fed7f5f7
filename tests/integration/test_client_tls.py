"""The haul client over TLS (docs/client.md "TLS"): put/get/bench against a
TLS gateway, verification failures as one clear line, --insecure with its
warning, TLS session resumption by a fresh process through the session cache
file, and tls_ms in the JSON timings.

The TLS server is the gateway's own listener (`--tls-listen`) when
`HAUL_GATEWAY_BIN` (default: HAUL_BIN) has one; otherwise a TLS terminator
(tls_support.TlsFront, Python's ssl with TLS 1.3 session tickets) in front of
a plain gateway, so the client side is tested either way. Handshakes (full,
resumed) are the gateway's haul_tls_handshakes_total or the front's counts.
Certificates are made here (python3-cryptography): a CA, the server's
certificate for 127.0.0.1 and localhost, one for another name only, an
expired one, and a second CA that signed none of them.
"""
import base64
import hashlib
import json
import os
import pathlib
import stat
import subprocess
import time

import pytest
import requests

from conftest import HAUL, Gateway, free_port

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from tls_support import Pki, TlsFront

GATEWAY_BIN = os.environ.get("HAUL_GATEWAY_BIN", HAUL)
KiB = 1024
MiB = 1 << 20
PY = "/usr/bin/python3"


def gateway_has_tls():
    try:
        out = subprocess.run([GATEWAY_BIN, "gateway", "--help"], capture_output=True, text=True, timeout=20).stdout
    except OSError:
        return False
    return "--tls-listen" in out


GATEWAY_TLS = gateway_has_tls()


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    return Pki(tmp_path_factory.mktemp("pki"))


# --- the gateway --------------------------------------------------------------

class TlsGateway(Gateway):
    """conftest's gateway (its plain listener: health, metrics) with TLS in
    front: its own TLS listener when GATEWAY_BIN has one, else a TlsFront."""

    def __init__(self, workdir, cert, key):
        super().__init__(workdir)
        self.cert, self.key = cert, key
        self.front = None
        self.tls_port = free_port()
        if GATEWAY_TLS:
            self.extra_args = ["--tls-listen", f"127.0.0.1:{self.tls_port}", "--tls-cert", str(cert),
                               "--tls-key", str(key)]
            # Gateway.start runs wrapper + [HAUL, "gateway", ...]: exec GATEWAY_BIN instead of HAUL.
            self.wrapper = ["sh", "-c", 'shift; exec "$0" "$@"', GATEWAY_BIN]

    def start(self):
        super().start()
        if not GATEWAY_TLS:
            self.front = TlsFront(("127.0.0.1", self.port), self.cert, self.key)
            self.tls_port = self.front.port
        return self

    def stop(self, *args):
        if self.front:
            self.front.stop()
        return super().stop(*args)

    @property
    def tls_url(self):
        return f"https://127.0.0.1:{self.tls_port}"

    @property
    def plain_url(self):
        return self.url

    def metric(self, name):
        text = requests.get(self.url + "/metrics", headers=self.auth, timeout=10).text
        for line in text.splitlines():
            if line.startswith(name + " "):
                return float(line.split()[-1])
        return 0.0

    def handshakes(self, kind):
        """Completed TLS handshakes so far, kind "full" or "resumed"."""
        if self.front:
            return self.front.handshakes - self.front.resumed if kind == "full" else self.front.resumed
        return self.metric(f'haul_tls_handshakes_total{{kind="{kind}"}}')


@pytest.fixture
def make_tls_gateway(tmp_path):
    started = []

    def make(cert, key, name="tgw"):
        gw = TlsGateway(tmp_path / name, cert, key).start()
        started.append(gw)
        return gw

    yield make
    for gw in started:
        rc = gw.stop()
        assert rc == 0, f"gateway exited with {rc}:\n{gw.log.read_text()[-4000:]}"


@pytest.fixture
def tls_gateway(pki, make_tls_gateway):
    cert, key, _ = pki.server("server")
    return make_tls_gateway(cert, key)


def client(gw, *args, cache=None, check=True, url=None, ca=True, pki=None, env=None):
    """Runs the haul client against gw's TLS listener (or url); returns the
    CompletedProcess. `ca`: pass --cacert of pki (the gateway's CA)."""
    full_env = dict(os.environ)
    if cache is not None:
        full_env["HAUL_CACHE_DIR"] = str(cache)
    full_env.update(env or {})
    cmd = [HAUL, *map(str, args), "--gateway", url or gw.tls_url, "--token", gw.token]
    if ca and pki is not None:
        cmd += ["--cacert", str(pki.ca)]
    p = subprocess.run(cmd, capture_output=True, text=True, env=full_env, timeout=120)
    if check:
        assert p.returncode == 0, p.stderr
    return p


def json_lines(p):
    return [json.loads(line) for line in p.stdout.splitlines() if line.startswith("{")]


# --- round trips ----------------------------------------------------------------

@pytest.mark.parametrize("size,flags,parts", [(KiB, [], 0), (0, [], 0), (300 * KiB, ["--part-size", "64K"], 5)])
def test_put_get_over_https_is_byte_identical(pki, tls_gateway, tmp_path, size, flags, parts):
    src = tmp_path / "src.bin"
    src.write_bytes(os.urandom(size))
    put = client(tls_gateway, "put", src, "tls/obj", "--json", *flags, pki=pki, cache=tmp_path / "cache")
    line = json_lines(put)[0]
    assert line["status"] == 201 and line["bytes"] == size and line["parts"] == parts
    assert line["sha256"] == hashlib.sha256(src.read_bytes()).hexdigest()
    out = tmp_path / "out.bin"
    get = client(tls_gateway, "get", "tls/obj", out, "--json", *flags, pki=pki, cache=tmp_path / "cache")
    assert out.read_bytes() == src.read_bytes()
    assert json_lines(get)[0]["parts"] == parts
    # The same object over the plain listener: one gateway, one store.
    plain = tmp_path / "plain.bin"
    client(tls_gateway, "get", "tls/obj", plain, url=tls_gateway.plain_url, cache=tmp_path / "cache")
    assert plain.read_bytes() == src.read_bytes()


def test_many_files_and_stdin_over_https(pki, tls_gateway, tmp_path):
    tree = tmp_path / "tree"
    (tree / "sub").mkdir(parents=True)
    files = {f"f{i}": os.urandom(i * 997) for i in range(6)}
    files["sub/deep"] = os.urandom(70 * KiB)
    for rel, data in files.items():
        (tree / rel).write_bytes(data)
    client(tls_gateway, "put", "--recursive", tree, "many/", pki=pki, cache=tmp_path / "cache")
    back = tmp_path / "back"
    client(tls_gateway, "get", "--recursive", "many/", back, pki=pki, cache=tmp_path / "cache")
    for rel, data in files.items():
        assert (back / rel).read_bytes() == data, rel
    ls = client(tls_gateway, "ls", "many/", pki=pki, cache=tmp_path / "cache")
    assert len(ls.stdout.splitlines()) == len(files)


@pytest.mark.parametrize("mode", ["new", "reuse", "pool"])
def test_bench_over_https(pki, tls_gateway, tmp_path, mode):
    p = client(tls_gateway, "bench", "--size", "64K", "--repeat", "3", "--mode", mode, "--op", "get", "--json",
               pki=pki, cache=tmp_path / "cache")
    lines = json_lines(p)
    requests_ = [j for j in lines if "i" in j]
    summary = [j for j in lines if j.get("summary")][0]
    assert len(requests_) == 3 and all(j["bytes"] == 64 * KiB for j in requests_)
    if mode == "new":
        # A fresh connection per request: each one's TLS handshake is timed.
        assert all(j["tls_ms"] > 0 for j in requests_), requests_
        assert summary["gateway_connections_accepted"] == 3
    elif mode == "reuse":
        assert all(j["connection_reused"] for j in requests_[1:])
        assert all(j["tls_ms"] == 0 for j in requests_[1:])


# --- verification failures -------------------------------------------------------

def assert_one_line_failure(p, *needles):
    assert p.returncode != 0
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1, p.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


def test_unknown_ca_is_a_clear_error(pki, tls_gateway, tmp_path):
    other = Pki(tmp_path / "other")
    src = tmp_path / "x"
    src.write_bytes(b"secret")
    for extra in ([], ["--cacert", str(other.ca)]):  # the system's store, then the wrong CA
        p = client(tls_gateway, "put", src, "tls/x", *extra, ca=False, check=False, cache=tmp_path / "cache")
        assert_one_line_failure(p, "TLS with gateway", "certificate", "--cacert")
    assert p.returncode == 2  # a configuration failure: retrying cannot fix it
    # Nothing was stored.
    assert client(tls_gateway, "ls", pki=pki, cache=tmp_path / "cache").stdout.strip() == ""


def test_wrong_name_and_expired_certificates_are_clear_errors(pki, make_tls_gateway, tmp_path):
    cert, key, _ = pki.server("elsewhere", dns=("gw.example",), ips=())
    wrong_name = make_tls_gateway(cert, key, "wrong-name")
    p = client(wrong_name, "ls", pki=pki, check=False, cache=tmp_path / "cache")
    line = assert_one_line_failure(p, "TLS with gateway")
    assert "127.0.0.1" in line and ("match" in line or "name" in line), line

    cert, key, _ = pki.server("expired", days=(-30, -1))
    expired = make_tls_gateway(cert, key, "expired")
    p = client(expired, "ls", pki=pki, check=False, cache=tmp_path / "cache")
    assert_one_line_failure(p, "TLS with gateway", "expired")


def test_tls_failures_stay_clear_over_fast_open(pki, netns, tmp_path):
    """In a namespace with net.ipv4.tcp_fastopen=3 (the gateway host's setting
    haul doctor asks for) the client's TLS connections open with Fast Open
    once it holds the cookie. libcurl 7.88 then writes "getpeername() failed"
    into its error buffer before the handshake and keeps that text, so an
    expired certificate or a wrong name must still be told from what libcurl
    reports besides it (http_client/failure.hpp failure_detail); and a port
    nobody listens on, refused only when the ClientHello's SYN goes out, is
    a connect failure, not a TLS one (refine_failure)."""
    def ns(*cmd, **kw):
        return subprocess.run(["ip", "netns", "exec", netns, *map(str, cmd)], **kw)

    ns("sysctl", "-q", "-w", "net.ipv4.tcp_fastopen=3", check=True)
    keys = tmp_path / "keys"
    keys.write_text(subprocess.check_output([HAUL, "keygen"], text=True))
    (tmp_path / "tokens").write_text("tfo-token\n")
    certs = {"good": pki.server("good"), "expired": pki.server("expired", days=(-30, -1)),
             "wrong-name": pki.server("elsewhere", dns=("gw.example",), ips=())}
    gateways = []
    try:
        for i, (name, (cert, key, _)) in enumerate(certs.items()):
            (tmp_path / name).mkdir()
            gateways.append(subprocess.Popen(
                ["ip", "netns", "exec", netns, HAUL, "gateway", "--listen", f"127.0.0.1:{8080 + i}",
                 "--tls-listen", f"127.0.0.1:{8443 + i}", "--tls-cert", cert, "--tls-key", key,
                 "--store", f"fs:{tmp_path / name}", "--master-key-file", keys, "--token-file",
                 tmp_path / "tokens"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        for i in range(len(certs)):
            for _ in range(100):
                if ns("curl", "-sf", "-o", "/dev/null", f"http://127.0.0.1:{8080 + i}/healthz").returncode == 0:
                    break
                time.sleep(0.1)

        def ls(port):
            return ns(HAUL, "ls", "--gateway", f"https://127.0.0.1:{port}", "--token", "tfo-token", "--cacert",
                      pki.ca, capture_output=True, text=True, timeout=60,
                      env={**os.environ, "HAUL_CACHE_DIR": str(tmp_path / "cache")})

        def fastopen_acked():
            lines = [line.split() for line in ns("cat", "/proc/net/netstat", capture_output=True, text=True,
                                                  check=True).stdout.splitlines() if line.startswith("TcpExt:")]
            return int(dict(zip(lines[0], lines[1]))["TCPFastOpenActive"])

        assert ls(8443).returncode == 0  # fetches the cookie
        before = fastopen_acked()
        assert ls(8443).returncode == 0
        assert fastopen_acked() > before  # the ClientHello rode in the SYN
        before = fastopen_acked()
        line = assert_one_line_failure(ls(8444), "TLS with gateway", "certificate has expired")
        assert "getpeername" not in line
        line = assert_one_line_failure(ls(8445), "TLS with gateway", "host name")
        assert "getpeername" not in line
        assert fastopen_acked() > before  # both failures came over Fast Open connections
        line = assert_one_line_failure(ls(8449), "cannot reach gateway", "Connection refused")
        assert "TLS" not in line
    finally:
        for gw in gateways:
            gw.terminate()
            gw.wait(timeout=20)


def test_pinned_key(pki, tls_gateway, tmp_path):
    _, _, right_pin = pki.server("server-pin-probe")  # another key: its pin must not match
    good_pin = base64.b64encode(hashlib.sha256(
        x509.load_pem_x509_certificate(pathlib.Path(tls_gateway.cert).read_bytes()).public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)).digest()).decode()
    assert client(tls_gateway, "ls", "--pin-sha256", good_pin, pki=pki, cache=tmp_path / "c").returncode == 0
    assert client(tls_gateway, "ls", "--pin-sha256", "sha256//" + good_pin, pki=pki,
                  cache=tmp_path / "c").returncode == 0
    p = client(tls_gateway, "ls", "--pin-sha256", right_pin, pki=pki, check=False, cache=tmp_path / "c")
    assert_one_line_failure(p, "TLS with gateway", "--pin-sha256")
    p = client(tls_gateway, "ls", "--pin-sha256", "not-a-pin", pki=pki, check=False, cache=tmp_path / "c")
    assert_one_line_failure(p, "--pin-sha256")
    assert p.returncode == 2


def test_insecure_works_and_warns(pki, tls_gateway, tmp_path):
    src = tmp_path / "x"
    src.write_bytes(os.urandom(5000))
    p = client(tls_gateway, "put", src, "tls/insecure", "--insecure", ca=False, cache=tmp_path / "cache")
    warnings = [line for line in p.stderr.splitlines() if "warning" in line]
    assert len(warnings) == 1 and "--insecure" in warnings[0] and "not checked" in warnings[0], p.stderr
    out = tmp_path / "out"
    client(tls_gateway, "get", "tls/insecure", out, pki=pki, cache=tmp_path / "cache")
    assert out.read_bytes() == src.read_bytes()
    # Not with a CA or a pin; no warning over plain http.
    p = client(tls_gateway, "ls", "--insecure", pki=pki, check=False, cache=tmp_path / "cache")
    assert_one_line_failure(p, "--insecure")
    p = client(tls_gateway, "ls", "--insecure", url=tls_gateway.plain_url, ca=False, cache=tmp_path / "cache")
    assert "warning" not in p.stderr


# --- sessions and timings ----------------------------------------------------------

def test_fresh_process_resumes_the_session_from_the_cache_file(pki, tls_gateway, tmp_path):
    cache = tmp_path / "cache"
    src = tmp_path / "x"
    src.write_bytes(os.urandom(3000))
    one = ["--connections", "1"]  # one connection each: one handshake per process

    def handshakes():
        return tls_gateway.handshakes("full"), tls_gateway.handshakes("resumed")

    full0, resumed0 = handshakes()
    client(tls_gateway, "put", src, "tls/r", *one, pki=pki, cache=cache)
    full1, resumed1 = handshakes()
    assert (full1 - full0, resumed1 - resumed0) == (1, 0)
    session_file = cache / "tls_sessions.json"
    assert stat.S_IMODE(session_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(cache.stat().st_mode) == 0o700
    entries = json.loads(session_file.read_text())["sessions"]
    assert list(entries) == [f"127.0.0.1:{tls_gateway.tls_port} ca={pki.ca} pin= verified"]

    # A second, fresh process resumes; so does a third (the file is refreshed).
    for _ in range(2):
        client(tls_gateway, "get", "tls/r", tmp_path / "out", *one, pki=pki, cache=cache)
    full2, resumed2 = handshakes()
    assert (full2 - full1, resumed2 - resumed1) == (0, 2)
    assert (tmp_path / "out").read_bytes() == src.read_bytes()

    # Without the file (another cache dir) a fresh process cannot resume.
    client(tls_gateway, "get", "tls/r", tmp_path / "out", *one, pki=pki, cache=tmp_path / "empty-cache")
    full3, resumed3 = handshakes()
    assert (full3 - full2, resumed3 - resumed2) == (1, 0)

    # Other trust settings (--insecure, a pin) are not offered this session.
    client(tls_gateway, "get", "tls/r", tmp_path / "out", *one, "--insecure", ca=False, cache=cache)
    full4, resumed4 = handshakes()
    assert (full4 - full3, resumed4 - resumed3) == (1, 0)


def test_connections_of_one_process_share_the_session(pki, tls_gateway, tmp_path):
    """A fresh process with no session file: bench --mode new opens a new
    connection per request; the first does the full handshake, the later
    ones resume its session (libcurl's shared session cache)."""
    full0, resumed0 = tls_gateway.handshakes("full"), tls_gateway.handshakes("resumed")
    p = client(tls_gateway, "bench", "--size", "4K", "--repeat", "4", "--mode", "new", "--op", "put", "--json",
               pki=pki, cache=tmp_path / "cache")
    assert [j["connections_opened"] for j in json_lines(p) if "i" in j] == [1, 1, 1, 1]
    full, resumed = tls_gateway.handshakes("full") - full0, tls_gateway.handshakes("resumed") - resumed0
    # Six connections: the bench's /metrics reader (its own, outside the
    # pool: a full handshake), four requests and the final DELETE of the
    # bench object: the first request is full and the other four resume.
    # Without reuse in the process: (6, 0); with a gateway that sends no new
    # TLS 1.3 ticket after a resumption (before 03145c7): every other one, (4, 2).
    assert (full, resumed) == (2, 4)


def test_corrupt_session_file_is_ignored_and_replaced(pki, tls_gateway, tmp_path):
    cache = tmp_path / "cache"
    cache.mkdir()
    session_file = cache / "tls_sessions.json"
    key = f"127.0.0.1:{tls_gateway.tls_port} ca={pki.ca} pin= verified"
    for junk in [b"\x00\xffnot json", json.dumps({"version": 1, "sessions": {key: {"der": "3082", "expires":
                                                                                    int(time.time()) + 3600}}}).encode()]:
        session_file.write_bytes(junk)  # garbage, then a truncated DER under the right key
        full0 = tls_gateway.handshakes("full")
        client(tls_gateway, "ls", "--connections", "1", pki=pki, cache=cache)
        assert tls_gateway.handshakes("full") - full0 == 1
        entries = json.loads(session_file.read_text())["sessions"]
        assert list(entries) == [key] and entries[key]["der"] != "3082"


def test_tls_ms_over_https_and_zero_over_http(pki, tls_gateway, tmp_path):
    src = tmp_path / "x"
    src.write_bytes(os.urandom(KiB))
    https = json_lines(client(tls_gateway, "put", src, "tls/t", "--json", pki=pki, cache=tmp_path / "c1"))[0]
    assert https["tls_ms"] > 0 and https["connect_ms"] > 0
    http = json_lines(client(tls_gateway, "put", src, "tls/t", "--json", url=tls_gateway.plain_url, ca=False,
                             cache=tmp_path / "c2"))[0]
    assert http["tls_ms"] == 0 and http["connect_ms"] > 0
    human = client(tls_gateway, "put", src, "tls/t", pki=pki, cache=tmp_path / "c3").stderr
    assert ", tls " in human
