"""The gateway over TLS (docs/tls.md): `haul tls-init`'s files, round trips
with curl and python3-requests (verify=CA), protocol versions and suites
with openssl s_client, ALPN, client-side certificate errors, resumption,
SIGHUP reloads under load, and handshakes that never finish.

Every gateway here is a real process on a free loopback port; clients are
curl, python3-requests, Python's ssl module and openssl s_client.
"""
import datetime
import hashlib
import ipaddress
import json
import os
import pathlib
import re
import signal
import socket
import ssl
import subprocess
import threading
import time

import pytest
import requests

from conftest import HAUL, Gateway, free_port, haul, wait_until
from stripe_client import send_stripes

MiB = 1 << 20
HEALTH_REQUEST = b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"


def tls_init(directory, *args):
    return haul("tls-init", directory, *args)


class TlsGateway(Gateway):
    """A gateway with a TLS listener (and a plain one when plain=True)."""

    def __init__(self, workdir, tls_dir, plain=False, extra_args=(), cert=None, key=None):
        super().__init__(workdir, extra_args)
        self.tls_dir = pathlib.Path(tls_dir)
        self.ca = str(self.tls_dir / "ca.pem")
        self.cert = cert or str(self.tls_dir / "server.pem")
        self.key = key or str(self.tls_dir / "server-key.pem")
        self.plain = plain
        self.tls_port = None
        self.verify = self.ca  # what this test's own calls verify against

    @property
    def url(self):
        return f"https://127.0.0.1:{self.tls_port}"

    @property
    def plain_url(self):
        return f"http://127.0.0.1:{self.port}"

    def start(self, expect_healthy=True):
        self.tls_port = free_port()
        cmd = [HAUL, "gateway", "--tls-listen", f"127.0.0.1:{self.tls_port}", "--tls-cert", self.cert,
               "--tls-key", self.key, "--store", self.store, "--master-key-file", str(self.key_file),
               "--token-file", str(self.token_file)]
        if self.plain:
            self.port = free_port()
            cmd += ["--listen", f"127.0.0.1:{self.port}"]
        self.proc = subprocess.Popen(cmd + self.extra_args, stdout=open(self.log, "ab"), stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gateway exited with {self.proc.returncode}: {self.log.read_text()}")
            try:
                with socket.create_connection(("127.0.0.1", self.tls_port), timeout=1):
                    pass
                if not expect_healthy or self.get("/healthz").status_code == 200:
                    return self
            except (OSError, requests.ConnectionError):
                pass
            time.sleep(0.05)
        raise RuntimeError("gateway did not start: " + self.log.read_text())

    def get(self, path, **kw):
        return requests.get(self.url + path, verify=self.verify, timeout=kw.pop("timeout", 30), **kw)

    def scrape(self):
        return self.get("/metrics", headers=self.auth).text

    def failures(self, reason):
        return self.metric(f'haul_tls_handshake_failures_total{{reason="{reason}"}}')

    def handshakes(self, kind):
        return self.metric(f'haul_tls_handshakes_total{{kind="{kind}"}}')

    def hangup(self):
        self.proc.send_signal(signal.SIGHUP)


@pytest.fixture
def tls_dir(tmp_path):
    d = tmp_path / "tls"
    tls_init(d)
    return d


@pytest.fixture
def make_tls_gateway(tmp_path, tls_dir):
    made = []

    def make(name="tgw", plain=False, extra_args=(), cert=None, key=None, directory=None, start=True):
        gw = TlsGateway(tmp_path / name, directory or tls_dir, plain, extra_args, cert, key)
        made.append(gw)
        return gw.start() if start else gw

    yield make
    for gw in made:
        if gw.proc:
            rc = gw.stop()
            # A sanitizer report or crash makes the gateway exit non-zero.
            assert rc == 0, f"gateway exited with {rc}:\n{gw.log.read_text()[-4000:]}"


@pytest.fixture
def tls_gateway(make_tls_gateway):
    return make_tls_gateway()


def curl(*args, check=True):
    return subprocess.run(["curl", "-sS", *map(str, args)], capture_output=True, check=check, timeout=120)


def s_client(port, *args, request=HEALTH_REQUEST):
    """openssl s_client with a request; returns (exit code, all output)."""
    p = subprocess.run(["openssl", "s_client", "-connect", f"127.0.0.1:{port}", "-servername", "localhost",
                        "-ign_eof", *map(str, args)], input=request, capture_output=True, timeout=30)
    return p.returncode, p.stdout.decode(errors="replace") + p.stderr.decode(errors="replace")


def peer_subject(gw):
    """The subject CN of the certificate a new connection gets."""
    ctx = ssl.create_default_context(cafile=gw.ca)
    with socket.create_connection(("127.0.0.1", gw.tls_port), timeout=10) as raw:
        with ctx.wrap_socket(raw, server_hostname="127.0.0.1") as s:
            return dict(x[0] for x in s.getpeercert()["subject"])["commonName"]


def wait_for(predicate, what, timeout=20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError("timed out waiting for " + what)


# --- haul tls-init ------------------------------------------------------------

def test_tls_init_writes_a_ca_and_a_server_certificate(tmp_path):
    d = tmp_path / "new" / "tls"
    out = tls_init(d).stdout
    assert sorted(p.name for p in d.iterdir()) == ["ca-key.pem", "ca.pem", "server-key.pem", "server.pem"]
    assert (d.stat().st_mode & 0o777) == 0o700
    for name, mode in [("ca-key.pem", 0o600), ("server-key.pem", 0o600), ("ca.pem", 0o644), ("server.pem", 0o644)]:
        assert ((d / name).stat().st_mode & 0o777) == mode, name
    # The flags for both sides.
    for flag in ["--tls-listen", f"--tls-cert {d}/server.pem", f"--tls-key {d}/server-key.pem",
                 f"--cacert {d}/ca.pem", "HAUL_GATEWAY=https://localhost:", f"verify=\"{d}/ca.pem\""]:
        assert flag in out, (flag, out)
    assert "new CA" in out
    text = subprocess.run(["openssl", "x509", "-noout", "-text", "-in", d / "server.pem"], capture_output=True,
                          text=True, check=True).stdout
    assert "DNS:localhost, IP Address:127.0.0.1" in text
    assert "prime256v1" in text and "ecdsa-with-SHA256" in text
    assert "TLS Web Server Authentication" in text and "CA:FALSE" in text
    ca_text = subprocess.run(["openssl", "x509", "-noout", "-text", "-in", d / "ca.pem"], capture_output=True,
                             text=True, check=True).stdout
    assert "CA:TRUE, pathlen:0" in ca_text and "Certificate Sign" in ca_text
    v = subprocess.run(["openssl", "verify", "-CAfile", d / "ca.pem", "-purpose", "sslserver", d / "server.pem"],
                       capture_output=True, text=True)
    assert v.returncode == 0 and ": OK" in v.stdout, v.stdout + v.stderr
    # The keys are the certificates' keys.
    for cert, key in [("ca.pem", "ca-key.pem"), ("server.pem", "server-key.pem")]:
        a = subprocess.run(["openssl", "x509", "-noout", "-pubkey", "-in", d / cert], capture_output=True, check=True)
        b = subprocess.run(["openssl", "pkey", "-pubout", "-in", d / key], capture_output=True, check=True)
        assert a.stdout == b.stdout

    # Again with other names: the CA stays, the server certificate is new.
    ca_before = (d / "ca.pem").read_bytes()
    server_before = (d / "server.pem").read_bytes()
    out = tls_init(d, "--name", "gw.example", "--name", "localhost", "--ip", "10.1.2.3", "--ip", "::1",
                   "--days", "30").stdout
    assert "kept the existing CA" in out
    assert (d / "ca.pem").read_bytes() == ca_before
    assert (d / "server.pem").read_bytes() != server_before
    text = subprocess.run(["openssl", "x509", "-noout", "-text", "-enddate", "-in", d / "server.pem"],
                          capture_output=True, text=True, check=True).stdout
    assert "DNS:gw.example, DNS:localhost, IP Address:10.1.2.3, IP Address:0:0:0:0:0:0:0:1" in text
    end = subprocess.run(["openssl", "x509", "-noout", "-checkend", str(31 * 86400), "-in", d / "server.pem"],
                         capture_output=True)
    assert end.returncode == 1  # expires within 31 days
    assert sorted(p.name for p in d.iterdir()) == ["ca-key.pem", "ca.pem", "server-key.pem", "server.pem"]


def test_tls_init_refuses_bad_input(tmp_path):
    for args in [("--name", "a,DNS:evil.example"), ("--ip", "1.2.3"), ("--days", "0")]:
        r = haul("tls-init", tmp_path / "bad", *args, check=False)
        assert r.returncode == 2, (args, r.stderr)
        assert "haul:" in r.stderr
    lone = tmp_path / "lone"
    lone.mkdir()
    (lone / "ca.pem").write_text("x")
    r = haul("tls-init", lone, check=False)
    assert r.returncode == 2 and "ca-key.pem" in r.stderr
    assert not (lone / "server.pem").exists()


# --- round trips ----------------------------------------------------------------

def test_round_trips_are_byte_identical_over_tls(tls_gateway, tmp_path, monkeypatch):
    gw = tls_gateway
    auth = f"Authorization: Bearer {gw.token}"
    data = os.urandom(5 * MiB + 12345)
    src = tmp_path / "src.bin"
    src.write_bytes(data)
    # curl: PUT, GET, Range, HEAD.
    put = json.loads(curl("--cacert", gw.ca, "-H", auth, "-T", src, f"{gw.url}/v1/objects/tls/a.bin").stdout)
    assert put["sha256"] == hashlib.sha256(data).hexdigest() and put["size"] == len(data)
    back = tmp_path / "back.bin"
    curl("--cacert", gw.ca, "-H", auth, "-o", back, f"{gw.url}/v1/objects/tls/a.bin")
    assert back.read_bytes() == data
    part = curl("--cacert", gw.ca, "-H", auth, "-r", "1000000-2999999", f"{gw.url}/v1/objects/tls/a.bin").stdout
    assert part == data[1000000:3000000]
    head = curl("--cacert", gw.ca, "-H", auth, "-I", f"{gw.url}/v1/objects/tls/a.bin").stdout.decode()
    assert "200" in head.splitlines()[0] and f"content-length: {len(data)}" in head.lower()

    # python3-requests with verify=CA: the seed's upload and download, one Session.
    # (verify on each call: a Session's own verify loses to REQUESTS_CA_BUNDLE.)
    with requests.Session() as s:
        s.headers["Authorization"] = f"Bearer {gw.token}"
        ca = gw.ca
        r = s.post(gw.url + "/upload/files", files={
            "data": ("", json.dumps({"key": "tls/seed.bin"}), "application/json"), "file": data}, verify=ca)
        assert r.status_code == 201, r.text
        assert r.json()["sha256"] == hashlib.sha256(data).hexdigest()
        assert s.get(gw.url + "/download/files", params={"key": "tls/seed.bin"}, verify=ca).content == data
        r = s.get(f"{gw.url}/v1/objects/tls/seed.bin", headers={"Range": "bytes=-4097"}, verify=ca)
        assert r.status_code == 206 and r.content == data[-4097:]
        # Parts, out of order.
        part_size = 2 * MiB
        up = s.post(gw.url + "/v1/uploads", json={"key": "tls/parts.bin", "size": len(data), "part_size": part_size}, verify=ca)
        assert up.status_code == 201, up.text
        uid = up.json()["upload_id"]
        for n in [3, 1, 2]:
            chunk = data[(n - 1) * part_size:n * part_size]
            assert s.put(f"{gw.url}/v1/uploads/{uid}/parts/{n}", data=chunk, verify=ca).status_code == 200
        done = s.post(f"{gw.url}/v1/uploads/{uid}/complete", json={"sha256": hashlib.sha256(data).hexdigest()}, verify=ca)
        assert done.status_code == 201, done.text
        assert s.get(f"{gw.url}/v1/objects/tls/parts.bin", verify=ca).content == data
        # Chunked request body.
        r = s.put(f"{gw.url}/v1/objects/tls/chunked.bin", data=iter([data[:70000], data[70000:200000]]), verify=ca)
        assert r.status_code in (200, 201), r.text
        assert s.get(f"{gw.url}/v1/objects/tls/chunked.bin", verify=ca).content == data[:200000]

    # Stripes, each on its own fresh TLS connection (requests reads the CA
    # from REQUESTS_CA_BUNDLE when verify is left at its default).
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", gw.ca)
    small = data[:300 * 1024 + 11]
    answers = send_stripes(gw, "tls/striped.bin", "upload-tls-1", small, 12)
    assert sorted(r.status_code for r in answers.values()) == [201] + [202] * 11
    assert gw.get("/v1/objects/tls/striped.bin", headers=gw.auth).content == small

    m = gw.metrics()
    assert m['haul_tls_handshakes_total{kind="full"}'] >= 15
    assert m['haul_tls_negotiated_total{protocol="TLSv1.3",cipher="TLS_AES_128_GCM_SHA256"}'] >= 15
    assert sum(v for k, v in m.items() if k.startswith("haul_tls_handshake_failures_total")) == 0


def test_plain_and_tls_listeners_at_once(make_tls_gateway, tmp_path):
    gw = make_tls_gateway(plain=True)
    data = os.urandom(3 * MiB + 5)
    assert requests.put(f"{gw.plain_url}/v1/objects/both/x", data=data, headers=gw.auth).status_code in (200, 201)
    assert gw.get("/v1/objects/both/x", headers=gw.auth).content == data
    r = requests.put(f"{gw.url}/v1/objects/both/y", data=data[::-1], headers=gw.auth, verify=gw.ca)
    assert r.status_code in (200, 201)
    assert requests.get(f"{gw.plain_url}/v1/objects/both/y", headers=gw.auth).content == data[::-1]
    # The haul client on the plain listener (its https support lands separately).
    src = tmp_path / "c.bin"
    src.write_bytes(data)
    env = {"HAUL_GATEWAY": gw.plain_url, "HAUL_TOKEN": gw.token}
    haul("put", src, "both/client", env=env)
    haul("get", "both/client", tmp_path / "c.back", env=env)
    assert (tmp_path / "c.back").read_bytes() == data
    assert gw.get("/v1/objects/both/client", headers=gw.auth).content == data
    # A plain request on the TLS port is answered in plain HTTP: use https.
    r = requests.get(f"http://127.0.0.1:{gw.tls_port}/healthz", timeout=10)
    assert r.status_code == 400 and "use https://" in r.json()["message"]
    assert gw.failures("plain_http") == 1
    m = gw.metrics()
    assert m["haul_connections_open"] >= 1
    assert 'haul_sockets{state="established"}' in m


def server_socket_facts(port):
    """(congestion control, send buffer bytes) of the gateway's one
    established socket on `port`, as the kernel reports them (ss)."""
    out = subprocess.run(["ss", "-tmiHn", "state", "established", f"( sport = :{port} )"], capture_output=True,
                         text=True, check=True).stdout
    words = out.split()
    congestion = [w for w in words if w in ("bbr", "cubic", "reno")]
    send_buffer = [int(w.split("tb")[1].split(",")[0]) for w in words if w.startswith("skmem:")]
    assert len(congestion) == 1 and len(send_buffer) == 1, out
    return congestion[0], send_buffer[0]


def test_tls_connections_get_the_plain_socket_tuning(make_tls_gateway):
    """The same download over both listeners, each held mid-body: the
    gateway's sockets under TLS and plain HTTP have the same congestion
    control (picked per body) and the same enlarged send buffer."""
    gw = make_tls_gateway(plain=True)
    data = os.urandom(48 * MiB)
    assert requests.put(f"{gw.plain_url}/v1/objects/tune/x", data=data, headers=gw.auth).status_code in (200, 201)
    request = f"GET /v1/objects/tune/x HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {gw.token}\r\n\r\n".encode()

    def held_download(port, wrap):
        raw = socket.socket()
        raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
        raw.connect(("127.0.0.1", port))
        s = wrap(raw)
        s.sendall(request)
        assert b" 200 " in s.recv(65536).split(b"\r\n")[0]
        return s  # not read further: the body waits in the gateway's send buffer

    ctx = ssl.create_default_context(cafile=gw.ca)
    plain = held_download(gw.port, lambda raw: raw)
    secure = held_download(gw.tls_port, lambda raw: ctx.wrap_socket(raw, server_hostname="127.0.0.1"))
    try:
        plain_facts = server_socket_facts(gw.port)
        tls_facts = server_socket_facts(gw.tls_port)
    finally:
        plain.close()
        secure.close()
    assert tls_facts == plain_facts
    with open("/proc/sys/net/ipv4/tcp_wmem") as f:
        default_send_buffer = int(f.read().split()[1])
    assert tls_facts[1] > 2 * default_send_buffer  # enlarged (SO_SNDBUF), not the kernel's default
    with open("/proc/sys/net/ipv4/tcp_available_congestion_control") as f:
        available = f.read().split()
    assert tls_facts[0] == ("bbr" if "bbr" in available else "cubic")  # a 48 MiB body (--congestion auto)


def test_tls_only_when_listen_is_not_given(tls_gateway):
    log = tls_gateway.log.read_text()
    assert f"listening on https://127.0.0.1:{tls_gateway.tls_port} (" in log, log
    assert "http://" not in log.split("listening on", 1)[1].splitlines()[0]
    assert "TLS certificate CN=localhost" in log
    assert tls_gateway.get("/healthz").json() == {"status": "ok"}


def test_start_fails_clearly_on_bad_tls_files(tmp_path, tls_dir):
    (tmp_path / "junk.pem").write_text("junk\n")
    base = ["gateway", "--store", f"fs:{tmp_path}/s", "--master-key-file", tmp_path / "k", "--token-file",
            tmp_path / "t"]
    (tmp_path / "k").write_text(haul("keygen").stdout)
    (tmp_path / "t").write_text("tok\n")
    port = free_port()
    cases = [
        (["--tls-listen", f"127.0.0.1:{port}", "--tls-cert", tmp_path / "junk.pem", "--tls-key",
          tls_dir / "server-key.pem"], "holds no PEM certificate"),
        (["--tls-listen", f"127.0.0.1:{port}", "--tls-cert", tls_dir / "server.pem", "--tls-key",
          tls_dir / "ca-key.pem"], "does not match"),
        (["--tls-listen", f"127.0.0.1:{port}", "--tls-cert", tls_dir / "server.pem"], "--tls-key"),
        (["--tls-cert", tls_dir / "server.pem", "--tls-key", tls_dir / "server-key.pem"], "--tls-listen"),
        (["--tls-listen", "127.0.0.1"], "HOST:PORT"),
    ]
    for args, needle in cases:
        r = haul(*base, *args, check=False, timeout=20)
        assert r.returncode == 2, (args, r.stdout, r.stderr)
        assert needle in r.stderr, (needle, r.stderr)


# --- versions, suites, ALPN ------------------------------------------------------

@pytest.mark.filterwarnings("ignore:ssl.TLSVersion")
def test_old_versions_and_cbc_suites_refused_aead_accepted(tls_gateway):
    gw = tls_gateway
    port = gw.tls_port
    for version in ["-tls1", "-tls1_1"]:
        rc, out = s_client(port, version, "-cipher", "DEFAULT@SECLEVEL=0")
        assert rc != 0 and "alert protocol version" in out, out
    assert gw.failures("protocol_version") == 2
    # Python's ssl, capped at TLS 1.1: refused too.
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.set_ciphers("DEFAULT@SECLEVEL=0")
    ctx.minimum_version = ssl.TLSVersion.TLSv1
    ctx.maximum_version = ssl.TLSVersion.TLSv1_1
    with pytest.raises(ssl.SSLError):
        with socket.create_connection(("127.0.0.1", port), timeout=10) as raw, ctx.wrap_socket(raw):
            pass
    wait_for(lambda: gw.failures("protocol_version") == 3, "the third protocol_version failure")

    for cbc in ["ECDHE-ECDSA-AES128-SHA256", "ECDHE-ECDSA-AES256-SHA", "ECDHE-RSA-AES128-SHA"]:
        rc, out = s_client(port, "-tls1_2", "-cipher", cbc)
        assert rc != 0 and "handshake failure" in out, out
    assert gw.failures("no_shared_cipher") == 3

    for cipher in ["ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-ECDSA-AES256-GCM-SHA384",
                   "ECDHE-ECDSA-CHACHA20-POLY1305"]:
        rc, out = s_client(port, "-tls1_2", "-cipher", cipher, "-CAfile", gw.ca)
        assert rc == 0, out
        assert f"New, TLSv1.2, Cipher is {cipher}" in out and "Verify return code: 0 (ok)" in out
        assert '{"status":"ok"}' in out
    rc, out = s_client(port, "-tls1_3", "-CAfile", gw.ca)
    assert rc == 0 and "New, TLSv1.3, Cipher is TLS_AES_128_GCM_SHA256" in out, out
    m = gw.metrics()
    assert m['haul_tls_negotiated_total{protocol="TLSv1.2",cipher="ECDHE-ECDSA-CHACHA20-POLY1305"}'] == 1
    # No early data is offered in the tickets (s_client prints it for TLS 1.3).
    rc, out = s_client(port, "-tls1_3")
    assert "Max Early Data: 0" in out, out


def test_tls12_renegotiation_refused(tls_gateway):
    # s_client's "R" command asks for a renegotiation (without -ign_eof,
    # which would send the letter as data); the gateway answers with the
    # no_renegotiation alert and the connection ends there.
    p = subprocess.Popen(["openssl", "s_client", "-connect", f"127.0.0.1:{tls_gateway.tls_port}", "-tls1_2"],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    p.stdin.write(b"R\n")
    p.stdin.flush()
    time.sleep(1)
    out = p.communicate(HEALTH_REQUEST, timeout=30)[0].decode(errors="replace")
    assert "RENEGOTIATING" in out and "no renegotiation" in out, out
    assert '{"status":"ok"}' not in out
    assert tls_gateway.get("/healthz").status_code == 200


def test_alpn_prefers_h2_and_keeps_http11(tls_gateway):
    gw = tls_gateway
    # (s_client then sends HTTP/1.1 bytes on an h2 connection: GOAWAY.)
    rc, out = s_client(gw.tls_port, "-alpn", "h2,http/1.1")
    assert "ALPN protocol: h2" in out, out
    rc, out = s_client(gw.tls_port, "-alpn", "http/1.1")
    assert rc == 0 and "ALPN protocol: http/1.1" in out
    rc, out = s_client(gw.tls_port)
    assert rc == 0 and "No ALPN negotiated" in out and '{"status":"ok"}' in out
    rc, out = s_client(gw.tls_port, "-alpn", "spdy/3")
    assert rc != 0 and "no application protocol" in out, out
    assert gw.failures("no_alpn") == 1
    # curl offers h2 and http/1.1 and gets h2 (docs/http2.md).
    out = curl("--cacert", gw.ca, "--http2", "-v", f"{gw.url}/healthz").stderr.decode()
    assert "ALPN: server accepted h2" in out or "ALPN, server accepted to use h2" in out, out


# --- client-side certificate errors ----------------------------------------------------

def make_expired_certificate(tls_dir, out_dir):
    """A certificate for localhost/127.0.0.1 signed by tls_dir's CA that
    expired yesterday (python3-cryptography, independent of haul)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID
    ca_key = serialization.load_pem_private_key((tls_dir / "ca-key.pem").read_bytes(), None)
    ca_cert = x509.load_pem_x509_certificate((tls_dir / "ca.pem").read_bytes())
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
            .issuer_name(ca_cert.subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=30)).not_valid_after(now - datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                                        x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
            .sign(ca_key, hashes.SHA256()))
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "expired.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (out_dir / "expired-key.pem").write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return str(out_dir / "expired.pem"), str(out_dir / "expired-key.pem")


@pytest.mark.filterwarnings("ignore:Unverified HTTPS request")
def test_wrong_ca_wrong_name_and_expired_are_clear_client_errors(make_tls_gateway, tmp_path, tls_dir):
    gw = make_tls_gateway()
    other = tmp_path / "other-ca"
    tls_init(other)
    # Wrong CA.
    r = curl("--cacert", other / "ca.pem", f"{gw.url}/healthz", check=False)
    assert r.returncode == 60 and b"unable to get local issuer certificate" in r.stderr, r.stderr
    with pytest.raises(requests.exceptions.SSLError, match="unable to get local issuer certificate"):
        requests.get(gw.url + "/healthz", verify=str(other / "ca.pem"), timeout=10)
    # The system store does not know this CA either.
    with pytest.raises(requests.exceptions.SSLError, match="certificate verify failed"):
        requests.get(gw.url + "/healthz", verify=True, timeout=10)
    wait_for(lambda: gw.failures("peer_alert") >= 3, "three rejected certificates")

    # Wrong name: a certificate for other names, from the right CA.
    named = tmp_path / "named"
    named.mkdir()
    for f in ["ca.pem", "ca-key.pem"]:
        (named / f).write_bytes((tls_dir / f).read_bytes())
    tls_init(named, "--name", "gw.example", "--ip", "10.9.9.9")
    gw2 = make_tls_gateway("named", directory=named, start=False)
    gw2.start(expect_healthy=False)
    r = curl("--cacert", gw2.ca, f"https://127.0.0.1:{gw2.tls_port}/healthz", check=False)
    assert r.returncode == 60 and b"subject name" in r.stderr, r.stderr
    r = curl("--cacert", gw2.ca, "--resolve", f"localhost:{gw2.tls_port}:127.0.0.1",
             f"https://localhost:{gw2.tls_port}/healthz", check=False)
    assert r.returncode == 60, r.stderr
    with pytest.raises(requests.exceptions.SSLError, match="mismatch|doesn't match"):
        requests.get(f"https://127.0.0.1:{gw2.tls_port}/healthz", verify=gw2.ca, timeout=10)
    # ... and the names it has work.
    r = curl("--cacert", gw2.ca, "--resolve", f"gw.example:{gw2.tls_port}:127.0.0.1",
             f"https://gw.example:{gw2.tls_port}/healthz")
    assert r.stdout == b'{"status":"ok"}\n'

    # Expired: the gateway serves it (and says so at start); clients refuse it.
    cert, key = make_expired_certificate(tls_dir, tmp_path / "expired")
    gw3 = make_tls_gateway("expired", cert=cert, key=key, start=False)
    gw3.start(expect_healthy=False)
    # The port listens a moment before the start-up lines are written (seen
    # under TSan): wait for the line, do not race it.
    wait_for(lambda: "EXPIRED" in gw3.log.read_text(), "the start-up line naming the expired certificate")
    r = curl("--cacert", gw3.ca, f"{gw3.url}/healthz", check=False)
    assert r.returncode == 60 and b"certificate has expired" in r.stderr, r.stderr
    with pytest.raises(requests.exceptions.SSLError, match="certificate has expired"):
        requests.get(gw3.url + "/healthz", verify=gw3.ca, timeout=10)
    gw3.verify = False
    assert gw3.metric("haul_tls_certificate_not_after_seconds") < time.time()


# --- resumption and reloads ----------------------------------------------------------------

def test_session_resumption_and_across_a_reload(tls_gateway, tmp_path, tls_dir):
    gw = tls_gateway
    for version, sess in [("-tls1_3", tmp_path / "s13"), ("-tls1_2", tmp_path / "s12")]:
        rc, out = s_client(gw.tls_port, version, "-CAfile", gw.ca, "-sess_out", sess)
        assert rc == 0 and "New, TLSv1." in out, out
        resumed = gw.handshakes("resumed")
        rc, out = s_client(gw.tls_port, version, "-CAfile", gw.ca, "-sess_in", sess)
        assert rc == 0 and "Reused, TLSv1." in out, out
        assert '{"status":"ok"}' in out
        assert gw.handshakes("resumed") == resumed + 1
    # A new certificate on SIGHUP: tickets issued before still resume.
    tls_init(tls_dir, "--name", "renewed.example", "--ip", "127.0.0.1")
    gw.hangup()
    wait_for(lambda: peer_subject(gw) == "renewed.example", "the renewed certificate")
    rc, out = s_client(gw.tls_port, "-tls1_3", "-sess_in", tmp_path / "s13")
    assert rc == 0 and "Reused, TLSv1.3" in out, out
    assert gw.handshakes("resumed") == 3
    assert gw.metric('haul_reloads_total{result="ok"}') == 1


class SlowReader(threading.Thread):
    """A GET over its own TLS connection, read in pieces with pauses."""

    def __init__(self, gw, key, pause_per_mib=0.06):
        super().__init__(daemon=True)
        self.gw, self.key, self.pause = gw, key, pause_per_mib
        self.body = bytearray()
        self.header = b""
        self.subject = None
        self.started = threading.Event()
        self.error = None

    def run(self):
        try:
            ctx = ssl.create_default_context(cafile=self.gw.ca)
            raw = socket.socket()
            raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
            raw.connect(("127.0.0.1", self.gw.tls_port))
            with ctx.wrap_socket(raw, server_hostname="127.0.0.1") as s:
                self.subject = dict(x[0] for x in s.getpeercert()["subject"])["commonName"]
                s.sendall(f"GET /v1/objects/{self.key} HTTP/1.1\r\nHost: x\r\n"
                          f"Authorization: Bearer {self.gw.token}\r\n\r\n".encode())
                data = b""
                while b"\r\n\r\n" not in data:
                    data += s.recv(65536)
                self.header, _, rest = data.partition(b"\r\n\r\n")
                length = int([l.split(b":")[1] for l in self.header.split(b"\r\n")
                              if l.lower().startswith(b"content-length")][0])
                self.body += rest
                self.started.set()
                next_pause = MiB
                while len(self.body) < length:
                    chunk = s.recv(min(65536, length - len(self.body)))
                    if not chunk:
                        break
                    self.body += chunk
                    if len(self.body) >= next_pause:
                        next_pause += MiB
                        time.sleep(self.pause)
        except Exception as e:  # reported by the test
            self.error = e
        finally:
            self.started.set()


def test_sighup_serves_a_new_certificate_while_a_download_completes(make_tls_gateway, tmp_path, tls_dir):
    gw = make_tls_gateway()
    data = os.urandom(64 * MiB)
    r = requests.put(f"{gw.url}/v1/objects/big/64m", data=data, headers=gw.auth, verify=gw.ca)
    assert r.status_code in (200, 201), r.text
    reader = SlowReader(gw, "big/64m")
    reader.start()
    assert reader.started.wait(30) and reader.error is None
    assert reader.subject == "localhost"

    # A new certificate and a new token file, then SIGHUP.
    tls_init(tls_dir, "--name", "second.example", "--ip", "127.0.0.1")
    old_token = gw.token
    gw.token = "reloaded-token-" + os.urandom(6).hex()
    gw.token_file.write_text(gw.token + "\n")
    gw.hangup()
    wait_for(lambda: peer_subject(gw) == "second.example", "the new certificate on new connections")
    assert gw.get("/v1/objects/big/64m", headers={"Authorization": f"Bearer {old_token}"}).status_code == 401
    assert gw.get("/healthz").status_code == 200
    assert reader.is_alive(), "the download finished before the reload: read it more slowly"

    reader.join(120)
    assert not reader.is_alive() and reader.error is None, reader.error
    assert b" 200 " in reader.header.split(b"\r\n")[0]
    assert hashlib.sha256(reader.body).digest() == hashlib.sha256(data).digest()

    # A bad certificate file: the running one stays, one clear log line.
    (tls_dir / "server.pem").write_text("half a certif")
    gw.hangup()
    wait_for(lambda: gw.metric('haul_reloads_total{result="failed"}') == 1, "the failed reload")
    assert peer_subject(gw) == "second.example"
    lines = [l for l in gw.log.read_text().splitlines() if "reload failed" in l]
    assert len(lines) == 1 and "server.pem" in lines[0] and "running configuration stays" in lines[0], lines
    # An empty token file is refused the same way; the current token still works.
    gw.token_file.write_text("# nothing\n")
    gw.hangup()
    wait_for(lambda: gw.metric('haul_reloads_total{result="failed"}') == 2, "the second failed reload")
    assert requests.head(f"{gw.url}/v1/objects/big/64m", headers=gw.auth, verify=gw.ca).status_code == 200
    assert gw.metric('haul_reloads_total{result="ok"}') == 1
    assert gw.metric('haul_responses_cut_total{reason="peer_gone"}') == 0


# --- handshakes that never finish, idle and pipelined connections ---------------------------

def client_hello(ca):
    """The bytes of a real TLS ClientHello (Python's ssl over memory BIOs)."""
    ctx = ssl.create_default_context(cafile=ca)
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ctx.wrap_bio(incoming, outgoing, server_hostname="127.0.0.1")
    with pytest.raises(ssl.SSLWantReadError):
        obj.do_handshake()
    return outgoing.read()


def closed_by_server(sock, timeout=30):
    """True when the server closes (or resets) the connection within timeout."""
    sock.settimeout(timeout)
    try:
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                return True
    except ConnectionResetError:
        return True
    except socket.timeout:
        return False


def test_garbage_and_stalled_handshakes_are_cut_while_others_are_served(make_tls_gateway):
    gw = make_tls_gateway(extra_args=["--header-timeout", "2", "--first-byte-timeout", "2"])
    hello = client_hello(gw.ca)
    assert hello[0] == 0x16 and len(hello) > 100

    garbage = socket.create_connection(("127.0.0.1", gw.tls_port))
    garbage.sendall(b"\x00\xffnot a client hello at all\r\n" * 8)
    half = socket.create_connection(("127.0.0.1", gw.tls_port))
    half.sendall(hello[: len(hello) // 2])
    stalled = socket.create_connection(("127.0.0.1", gw.tls_port))
    stalled.sendall(hello)  # a whole ClientHello, then never the Finished
    silent = socket.create_connection(("127.0.0.1", gw.tls_port))  # never a byte
    # A normal client is served meanwhile, on a fresh connection each time.
    for _ in range(3):
        assert gw.get("/healthz").status_code == 200
    assert closed_by_server(garbage)
    assert closed_by_server(half)
    assert closed_by_server(stalled)
    assert closed_by_server(silent)
    for s in (garbage, half, stalled, silent):
        s.close()

    def failures_counted():  # the gateway counts a cut after the client saw it
        m = gw.metrics()
        return (m.get('haul_tls_handshake_failures_total{reason="not_tls"}') == 1
                # The half hello and the missing Finished; the silent one never started.
                and m.get('haul_tls_handshake_failures_total{reason="timeout"}') == 2
                and sum(v for k, v in m.items() if k.startswith("haul_tls_handshake_failures_total")) == 3
                and m["haul_connections_open"] == 1)  # the scrape itself

    assert wait_until(failures_counted, timeout=10), gw.metrics()


def test_idle_tls_connection_outlives_the_body_timeout(make_tls_gateway):
    gw = make_tls_gateway(extra_args=["--body-timeout", "1"])
    with requests.Session() as s:
        assert s.get(gw.url + "/healthz", verify=gw.ca).status_code == 200
        accepted = gw.metric("haul_connections_accepted_total")
        time.sleep(2.5)  # idle longer than the body timeout of the last response write
        assert s.get(gw.url + "/healthz", verify=gw.ca).status_code == 200
        assert s.get(gw.url + "/healthz", verify=gw.ca).status_code == 200
    # The session's connection was reused: only the next scrape connected since.
    assert gw.metric("haul_connections_accepted_total") == accepted + 1


def test_idle_tls_connection_closes_after_the_idle_timeout(make_tls_gateway):
    """The keep-alive wait between requests ends at --idle-timeout over TLS
    too (and not at the body timeout, which is longer here)."""
    gw = make_tls_gateway(extra_args=["--idle-timeout", "2", "--body-timeout", "60"])
    ctx = ssl.create_default_context(cafile=gw.ca)
    with socket.create_connection(("127.0.0.1", gw.tls_port), timeout=10) as raw:
        with ctx.wrap_socket(raw, server_hostname="127.0.0.1") as s:
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            answer = b""
            while b'{"status":"ok"}' not in answer:
                answer += s.recv(65536)
            assert b"connection: close" not in answer.lower()  # a keep-alive answer
            # Closed by the gateway: a recv past the 30 s socket timeout
            # raises instead.
            s.settimeout(30)
            tail = b""
            while chunk := s.recv(65536):
                tail += chunk
    assert tail == b""
    wait_for(lambda: gw.metric("haul_connections_open") == 1, "the idle connection closed")


def test_pipelined_requests_in_separate_records_are_all_answered(tls_gateway):
    """Two requests in two TLS records sent in one TCP write: the second
    sits in the gateway's TLS buffers, not in the socket, when the first is
    answered. A wait on the socket's readiness would never see it."""
    gw = tls_gateway
    ctx = ssl.create_default_context(cafile=gw.ca)
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ctx.wrap_bio(incoming, outgoing, server_hostname="127.0.0.1")
    sock = socket.create_connection(("127.0.0.1", gw.tls_port), timeout=10)

    def pump():
        pending = outgoing.read()
        if pending:
            sock.sendall(pending)

    while True:
        try:
            obj.do_handshake()
            break
        except ssl.SSLWantReadError:
            pump()
            incoming.write(sock.recv(65536))
    pump()
    request = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
    obj.write(request)
    obj.write(request)
    obj.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    sock.sendall(outgoing.read())  # three records, one send
    answers = b""
    while answers.count(b'{"status":"ok"}') < 3:
        try:
            chunk = obj.read(65536)
            if not chunk:
                break
            answers += chunk
        except ssl.SSLWantReadError:
            data = sock.recv(65536)  # times out (10 s) if the gateway waits on the socket
            if not data:
                break
            incoming.write(data)
    sock.close()
    assert answers.count(b"HTTP/1.1 200 OK") == 3, answers


def test_connection_limit_refuses_over_tls_with_503(make_tls_gateway):
    gw = make_tls_gateway(extra_args=["--max-connections", "1"])
    ctx = ssl.create_default_context(cafile=gw.ca)

    def read_head(sock):
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(4096)
            assert chunk, data
            data += chunk
        return data

    def admitted_connection():
        """A connection the gateway serves: the start-up probe's connection may
        still hold the only slot for a moment, and then this one is refused."""
        sock = ctx.wrap_socket(socket.create_connection(("127.0.0.1", gw.tls_port), timeout=20),
                               server_hostname="127.0.0.1")
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        if read_head(sock).startswith(b"HTTP/1.1 200"):
            return sock
        sock.close()
        return None

    busy = []
    wait_for(lambda: busy.append(admitted_connection()) or busy[-1] is not None, "an admitted connection")
    busy = busy[-1]
    # Busy (not idle): the gateway's 100 Continue says it read the head and
    # the handler waits for the body.
    busy.sendall(f"PUT /v1/objects/limit/x HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {gw.token}\r\n"
                 f"Expect: 100-continue\r\nContent-Length: 1000000\r\n\r\n".encode())
    assert read_head(busy).startswith(b"HTTP/1.1 100")
    busy.sendall(b"x" * 1000)
    # curl offers h2 and gets the 503 as an HTTP/2 answer; over HTTP/1.1 as one too.
    r = curl("--cacert", gw.ca, "-i", f"{gw.url}/healthz")
    head, _, body = r.stdout.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/2 503") and b"retry-after: 1" in head, r.stdout
    assert json.loads(body)["error"] == "too_many_connections"
    r = curl("--cacert", gw.ca, "--http1.1", "-i", f"{gw.url}/healthz")
    head, _, body = r.stdout.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 503") and b"Retry-After: 1" in head, r.stdout
    assert json.loads(body)["error"] == "too_many_connections"
    busy.close()

    def refusal_counted():
        # The previous probe's connection may still hold the only slot for a
        # moment (a sanitizer build is slow to see it close): 503 until then.
        r = gw.get("/metrics", headers=gw.auth)
        return r.status_code == 200 and any(
            line.startswith("haul_connections_refused_total ") and float(line.split()[-1]) >= 1
            for line in r.text.splitlines())

    wait_for(refusal_counted, "a free slot and the refusal in /metrics")


# --- haul doctor against a TLS gateway ----------------------------------------------

def doctor_report(gw, *args):
    out = haul("doctor", gw.url, "--token", gw.token, "--probe-bytes", "1M", "--json", *args)
    return json.loads(out.stdout)


def doctor_finding(report, fid):
    [found] = [f for f in report["findings"] if f["id"] == fid]
    return found


def test_doctor_reports_protocol_resumption_and_expiry(make_tls_gateway, tmp_path):
    d = tmp_path / "short"
    tls_init(d, "--days", "10")
    gw = make_tls_gateway(directory=d)
    resumed_before = gw.handshakes("resumed")
    rep = doctor_report(gw, "--cacert", gw.ca, "--handshakes", "5")
    tls = rep["path"]["tls"]
    assert tls["protocol"] == "TLSv1.3" and tls["alpn"] == "h2"
    assert tls["cipher"].startswith("TLS_")
    assert [h["resumed"] for h in tls["handshakes"]] == [False, True, True, True, True]
    assert all(h["tls_ms"] > 0 and h["tcp_ms"] > 0 for h in tls["handshakes"])
    # The gateway counted the same resumptions.
    assert gw.handshakes("resumed") - resumed_before >= 4
    # Expiry as the certificate says it.
    end = subprocess.run(["openssl", "x509", "-in", d / "server.pem", "-noout", "-enddate"], capture_output=True,
                         text=True, check=True).stdout.strip().split("=", 1)[1]
    assert tls["certificate_not_after"] == ssl.cert_time_to_seconds(end)
    assert "localhost" in tls["certificate_subject"]
    assert doctor_finding(rep, "tls.wire")["status"] == "ok"
    assert doctor_finding(rep, "tls.protocol")["status"] == "ok"
    assert doctor_finding(rep, "tls.resumption")["value"] == "4 of 4 later connections resumed"
    assert doctor_finding(rep, "tls.resumption")["status"] == "ok"
    cert_finding = doctor_finding(rep, "tls.certificate")
    assert cert_finding["status"] == "warn" and re.search(r"\(in (9|10) days\)", cert_finding["value"]), cert_finding
    # The probe transfers ran over TLS too.
    assert rep["path"]["download"]["bytes"] == 1 << 20 and rep["path"]["notes"] == []


def test_doctor_without_the_ca_says_how_to_trust_it(tls_gateway):
    r = haul("doctor", tls_gateway.url, "--token", tls_gateway.token, check=False)
    assert r.returncode != 0
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "TLS with gateway" in lines[0] and "--cacert" in lines[0], r.stderr
    # --insecure runs (with its warning), and says nothing about the chain.
    r = haul("doctor", tls_gateway.url, "--token", tls_gateway.token, "--probe-bytes", "1M", "--insecure", "--json")
    assert "warning: --insecure" in r.stderr
    assert json.loads(r.stdout)["path"]["tls"]["protocol"] == "TLSv1.3"


def test_doctor_flags_plain_http_only_off_this_host(make_tls_gateway):
    gw = make_tls_gateway(plain=True)
    rep = json.loads(haul("doctor", f"http://127.0.0.1:{gw.port}", "--token", gw.token, "--probe-bytes", "1M",
                          "--json").stdout)
    assert rep["path"]["tls"] is None and rep["path"]["local"] is True
    wire = doctor_finding(rep, "tls.wire")
    assert wire["status"] == "ok" and "this host" in wire["value"]
    assert [f["id"] for f in rep["findings"] if f["id"].startswith("tls.")] == ["tls.wire"]


def test_doctor_trace_over_tls(tls_gateway, tmp_path):
    out = haul("doctor", "trace", "--gateway", tls_gateway.url, "--token", tls_gateway.token, "--cacert",
               tls_gateway.ca, "--size", "2M", "--out", str(tmp_path / "t"), "--json")
    j = json.loads(out.stdout)
    assert j["bytes"] == 2 << 20 and j["samples"] > 0
