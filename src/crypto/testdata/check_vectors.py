#!/usr/bin/env python3
"""Independent implementation of the haul v1 object format (docs/format.md),
written from the spec with python3-cryptography, not from the C++ code.

  check_vectors.py FILE              check every vector in FILE (exit 0 / 1)
  check_vectors.py --generate        print the vector file to stdout
  check_vectors.py --corpus DIR      write fuzz seeds (3 selector bytes || object)

Exits 77 (CTest's skip code) when the cryptography package is missing.
"""
import hashlib
import hmac
import os
import struct
import sys

try:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF
except ImportError:
    print("python3-cryptography is not installed: skipped", file=sys.stderr)
    sys.exit(77)

TAG = 16


def header(key_id, segment_size, salt, prefix):
    return b"HAUL" + bytes([1]) + struct.pack(">II", key_id, segment_size) + salt + prefix


def object_key(master, key_id, salt):
    info = b"haul-v1 object key" + struct.pack(">I", key_id)
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=info).derive(master)


def hkdf_stdlib(master, key_id, salt):
    """RFC 5869 with the standard library's HMAC, to check the derived key
    without the cryptography package's HKDF."""
    info = b"haul-v1 object key" + struct.pack(">I", key_id)
    prk = hmac.new(salt, master, hashlib.sha256).digest()
    return hmac.new(prk, info + b"\x01", hashlib.sha256).digest()  # L = 32: one block


def seal(master, key_id, segment_size, salt, prefix, plain):
    hdr = header(key_id, segment_size, salt, prefix)
    aead = AESGCM(object_key(master, key_id, salt))
    pieces = [plain[i:i + segment_size] for i in range(0, len(plain), segment_size)] or [b""]
    body = b""
    for i, piece in enumerate(pieces):
        flag = 1 if i == len(pieces) - 1 else 0
        body += aead.encrypt(prefix + struct.pack(">IB", i, flag), piece, hdr)
    trailer_plain = struct.pack(">Q", len(plain)) + hashlib.sha256(plain).digest()
    body += aead.encrypt(prefix + struct.pack(">IB", 0xFFFFFFFF, 2), trailer_plain, hdr)
    return hdr + body


def vectors():
    master1 = bytes(range(32))
    master2 = bytes(range(0x20, 0x40))
    salt = bytes(range(0xA0, 0xC0))
    prefix = bytes(range(1, 8))
    pattern = bytes(i % 251 for i in range(2500))
    return [
        ("empty", 1, master1, 1024, salt, prefix, b""),
        ("abc", 1, master1, 1024, salt, prefix, b"abc"),
        ("pattern-2500", 1, master1, 1024, salt, prefix, pattern),
        ("abc-default-segment-key-2", 2, master2, 65536, salt, prefix, b"abc"),
    ]


def render(v):
    name, key_id, master, seg, salt, prefix, plain = v
    lines = [
        f"name = {name}",
        f"master_key_id = {key_id}",
        f"master_key = {master.hex()}",
        f"salt = {salt.hex()}",
        f"nonce_prefix = {prefix.hex()}",
        f"segment_size = {seg}",
        f"plaintext = {plain.hex()}",
        f"plaintext_sha256 = {hashlib.sha256(plain).hexdigest()}",
        f"object_key = {object_key(master, key_id, salt).hex()}",
        f"object = {seal(master, key_id, seg, salt, prefix, plain).hex()}",
    ]
    return "\n".join(lines) + "\n"


def parse(text):
    out, cur = [], {}
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("#"):
            continue
        if not line:
            if cur:
                out.append(cur)
            cur = {}
            continue
        k, _, v = line.partition("=")
        cur[k.strip()] = v.strip()
    if cur:
        out.append(cur)
    return out


def check(path):
    failures = 0
    items = parse(open(path).read())
    for v in items:
        master = bytes.fromhex(v["master_key"])
        key_id = int(v["master_key_id"])
        salt = bytes.fromhex(v["salt"])
        prefix = bytes.fromhex(v["nonce_prefix"])
        seg = int(v["segment_size"])
        plain = bytes.fromhex(v["plaintext"])
        got_key = object_key(master, key_id, salt).hex()
        got = seal(master, key_id, seg, salt, prefix, plain).hex()
        ok = got == v["object"] and got_key == v["object_key"] and \
            hkdf_stdlib(master, key_id, salt).hex() == got_key and \
            hashlib.sha256(plain).hexdigest() == v["plaintext_sha256"]
        # Decrypt the stored bytes too, segment by segment.
        obj = bytes.fromhex(v["object"])
        hdr, body = obj[:52], obj[52:]
        aead = AESGCM(bytes.fromhex(v["object_key"]))
        n = max(1, -(-len(plain) // seg))
        back, at = b"", 0
        for i in range(n):
            size = min(seg, len(plain) - i * seg) + TAG
            back += aead.decrypt(prefix + struct.pack(">IB", i, 1 if i == n - 1 else 0), body[at:at + size], hdr)
            at += size
        ok = ok and back == plain and len(body) - at == 56
        print(f"{v['name']}: {'ok' if ok else 'MISMATCH'}")
        failures += not ok
    if not items:
        print("no vectors found")
        return 1
    return 1 if failures else 0


def main():
    if len(sys.argv) == 2 and sys.argv[1] == "--generate":
        print("# haul object format v1 test vectors (docs/format.md). One vector a block;")
        print("# object = header || body, all binary values in hex. Generated by")
        print("# check_vectors.py --generate (Python, python3-cryptography) and checked")
        print("# by haul_crypto_test (C++, OpenSSL) and check_vectors.py FILE.")
        print()
        print("\n".join(render(v) for v in vectors()), end="")
        return 0
    if len(sys.argv) == 3 and sys.argv[1] == "--corpus":
        os.makedirs(sys.argv[2], exist_ok=True)
        # The fuzz target's keyring holds key 1 = bytes(range(32)).
        master1 = bytes(range(32))
        seeds = {
            "empty": (1024, b"", b"\x00\x00\x00"),
            "abc": (1024, b"abc", b"\x10\x80\x05"),
            "two-segments": (1024, bytes(i % 7 for i in range(1500)), b"\x40\xc0\x00"),
            "three-segments": (1024, bytes(i % 13 for i in range(3 * 1024)), b"\x80\x40\x11"),
            "default-segment": (65536, b"hello haul", b"\x00\xff\x03"),
        }
        for name, (seg, plain, sel) in seeds.items():
            obj = seal(master1, 1, seg, bytes(range(0xA0, 0xC0)), bytes(range(1, 8)), plain)
            with open(os.path.join(sys.argv[2], name), "wb") as f:
                f.write(sel + obj)
        return 0
    if len(sys.argv) == 2:
        return check(sys.argv[1])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
