"""TLS for the integration tests: certificates (python3-cryptography: a CA
and server certificates it signs, for any names, addresses and validity
window, an expired one too, with the pin of each), and a TLS terminator in
front of a plain server (Python's ssl: TLS 1.3 with session tickets) that
counts full and resumed handshakes."""
import base64
import datetime
import hashlib
import ipaddress
import os
import pathlib
import select
import socket
import ssl
import threading

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


def _name(cn):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _write_key(key, path):
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))
    path.chmod(0o600)


class Pki:
    """A CA and server certificates signed by it, in `directory`."""

    def __init__(self, directory):
        self.dir = pathlib.Path(directory)
        self.dir.mkdir(parents=True, exist_ok=True)
        now = datetime.datetime.now(datetime.timezone.utc)
        self.ca_key = ec.generate_private_key(ec.SECP256R1())
        # A name of its own: two test CAs of one name would make OpenSSL try
        # the other's key (a signature failure, not an unknown issuer).
        ca_name = _name("haul test CA " + os.urandom(4).hex())
        self.ca_cert = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
                        .public_key(self.ca_key.public_key()).serial_number(x509.random_serial_number())
                        .not_valid_before(now - datetime.timedelta(days=1))
                        .not_valid_after(now + datetime.timedelta(days=30))
                        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                        .sign(self.ca_key, hashes.SHA256()))
        self.ca = self.dir / "ca.pem"
        self.ca.write_bytes(self.ca_cert.public_bytes(serialization.Encoding.PEM))
        self.ca_key_file = self.dir / "ca-key.pem"
        _write_key(self.ca_key, self.ca_key_file)

    def server(self, name, dns=("localhost",), ips=("127.0.0.1",), days=(-1, 30)):
        """Writes NAME.pem and NAME-key.pem; returns (cert, key, pin)."""
        now = datetime.datetime.now(datetime.timezone.utc)
        key = ec.generate_private_key(ec.SECP256R1())
        alt = [x509.DNSName(d) for d in dns] + [x509.IPAddress(ipaddress.ip_address(i)) for i in ips]
        cert = (x509.CertificateBuilder().subject_name(_name(name)).issuer_name(self.ca_cert.subject)
                .public_key(key.public_key()).serial_number(x509.random_serial_number())
                .not_valid_before(now + datetime.timedelta(days=days[0]))
                .not_valid_after(now + datetime.timedelta(days=days[1]))
                .add_extension(x509.SubjectAlternativeName(alt), critical=False)
                .sign(self.ca_key, hashes.SHA256()))
        cert_file, key_file = self.dir / f"{name}.pem", self.dir / f"{name}-key.pem"
        cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        _write_key(key, key_file)
        spki = key.public_key().public_bytes(serialization.Encoding.DER,
                                             serialization.PublicFormat.SubjectPublicKeyInfo)
        return cert_file, key_file, base64.b64encode(hashlib.sha256(spki).digest()).decode()


class TlsFront:
    """A TLS terminator on a free loopback port in front of `target` (host,
    port): each connection's TLS is taken off here and its bytes go on over
    a plain connection of its own. Counts completed handshakes, full and
    resumed (a session ticket of this front)."""

    def __init__(self, target, cert, key):
        self.target = target
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ctx.load_cert_chain(cert, key)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.handshakes = self.resumed = 0
        self.stopped = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while not self.stopped:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn):
        try:
            with self.ctx.wrap_socket(conn, server_side=True) as tls, socket.create_connection(self.target) as up:
                self.handshakes += 1
                self.resumed += 1 if tls.session_reused else 0
                while True:
                    ready = [tls] if tls.pending() else select.select([tls, up], [], [], 60)[0]
                    if not ready:
                        return
                    for s in ready:
                        data = s.recv(65536)
                        if not data:
                            return
                        (up if s is tls else tls).sendall(data)
        except (OSError, ssl.SSLError):
            conn.close()

    def stop(self):
        self.stopped = True
        self.listener.close()
