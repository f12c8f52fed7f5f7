#!/usr/bin/env python3
"""Independent implementation of the haul object format, versions 1 and 2
(docs/format.md), written from the spec with python3-cryptography, not from
the C++ code.

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
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF
except ImportError:
    print("python3-cryptography is not installed: skipped", file=sys.stderr)
    sys.exit(77)

TAG = 16


def header(version, key_id, segment_size, salt, prefix):
    return b"HAUL" + bytes([version]) + struct.pack(">II", key_id, segment_size) + salt + prefix


def hkdf_info(version, key_id, store, key):
    """Format 1: label || BE32(key id). Format 2 adds the object's identity,
    each field as BE32(length) || UTF-8 bytes."""
    if version == 1:
        return b"haul-v1 object key" + struct.pack(">I", key_id)
    s, k = store.encode(), key.encode()
    assert 1 <= len(s) <= 255 and 1 <= len(k) <= 1024
    return b"haul-v2 object key" + struct.pack(">I", key_id) + struct.pack(">I", len(s)) + s + \
        struct.pack(">I", len(k)) + k


def object_key(master, salt, info):
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=info).derive(master)


def hkdf_stdlib(master, salt, info):
    """RFC 5869 with the standard library's HMAC, to check the derived key
    without the cryptography package's HKDF."""
    prk = hmac.new(salt, master, hashlib.sha256).digest()
    return hmac.new(prk, info + b"\x01", hashlib.sha256).digest()  # L = 32: one block


def seal(version, master, key_id, segment_size, salt, prefix, plain, store="", key=""):
    hdr = header(version, key_id, segment_size, salt, prefix)
    aead = AESGCM(object_key(master, salt, hkdf_info(version, key_id, store, key)))
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
    # name, format, key id, master, S, salt, prefix, plaintext, store id, object key
    return [
        ("empty", 1, 1, master1, 1024, salt, prefix, b"", "", ""),
        ("abc", 1, 1, master1, 1024, salt, prefix, b"abc", "", ""),
        ("pattern-2500", 1, 1, master1, 1024, salt, prefix, pattern, "", ""),
        ("abc-default-segment-key-2", 1, 2, master2, 65536, salt, prefix, b"abc", "", ""),
        ("v2-empty", 2, 1, master1, 1024, salt, prefix, b"", "default", "empty"),
        ("v2-abc", 2, 1, master1, 1024, salt, prefix, b"abc", "default", "alice.txt"),
        # v2-abc with only the object key changed: another object key, other bytes.
        ("v2-abc-bob", 2, 1, master1, 1024, salt, prefix, b"abc", "default", "bob.txt"),
        ("v2-pattern-2500", 2, 1, master1, 1024, salt, prefix, pattern, "us", "photos/2024/caf\u00e9 01.jpg"),
        ("v2-abc-default-segment-key-2", 2, 2, master2, 65536, salt, prefix, b"abc", "archive-eu", "a/b"),
    ]


def render(v):
    name, version, key_id, master, seg, salt, prefix, plain, store, key = v
    info = hkdf_info(version, key_id, store, key)
    lines = [f"name = {name}", f"format = {version}"]
    if version == 2:
        assert store == store.strip() and key == key.strip()
        lines += [f"store_id = {store}", f"object_name = {key}", f"hkdf_info = {info.hex()}"]
    lines += [
        f"master_key_id = {key_id}",
        f"master_key = {master.hex()}",
        f"salt = {salt.hex()}",
        f"nonce_prefix = {prefix.hex()}",
        f"segment_size = {seg}",
        f"plaintext = {plain.hex()}",
        f"plaintext_sha256 = {hashlib.sha256(plain).hexdigest()}",
        f"object_key = {object_key(master, salt, info).hex()}",
        f"object = {seal(version, master, key_id, seg, salt, prefix, plain, store, key).hex()}",
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
    items = parse(open(path, encoding="utf-8").read())
    for v in items:
        master = bytes.fromhex(v["master_key"])
        key_id = int(v["master_key_id"])
        salt = bytes.fromhex(v["salt"])
        prefix = bytes.fromhex(v["nonce_prefix"])
        seg = int(v["segment_size"])
        plain = bytes.fromhex(v["plaintext"])
        version = int(v.get("format", "1"))
        store, key = v.get("store_id", ""), v.get("object_name", "")
        info = hkdf_info(version, key_id, store, key)
        got_key = object_key(master, salt, info).hex()
        got = seal(version, master, key_id, seg, salt, prefix, plain, store, key).hex()
        ok = got == v["object"] and got_key == v["object_key"] and \
            hkdf_stdlib(master, salt, info).hex() == got_key and \
            hashlib.sha256(plain).hexdigest() == v["plaintext_sha256"] and \
            (version == 1 or v["hkdf_info"] == info.hex())
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
        if version == 2:
            # The identity is bound: under any other store id or key the
            # first segment does not authenticate.
            for other_store, other_key in ((store + "x", key), (store, key + "x"), (key, store)):
                wrong = AESGCM(object_key(master, salt, hkdf_info(2, key_id, other_store, other_key)))
                first = min(seg, len(plain)) + TAG
                try:
                    wrong.decrypt(prefix + struct.pack(">IB", 0, 1 if n == 1 else 0), body[:first], hdr)
                    ok = False
                except InvalidTag:
                    pass
        print(f"{v['name']}: {'ok' if ok else 'MISMATCH'}")
        failures += not ok
    if not items:
        print("no vectors found")
        return 1
    return 1 if failures else 0


def main():
    if len(sys.argv) == 2 and sys.argv[1] == "--generate":
        print("# haul object format test vectors, formats 1 and 2 (docs/format.md). One")
        print("# vector a block; object = header || body, binary values in hex; format 2")
        print("# binds store_id and object_name (UTF-8 text here). Generated by")
        print("# check_vectors.py --generate (Python, python3-cryptography) and checked")
        print("# by haul_crypto_test (C++, OpenSSL) and check_vectors.py FILE.")
        print()
        print("\n".join(render(v) for v in vectors()), end="")
        return 0
    if len(sys.argv) == 3 and sys.argv[1] == "--corpus":
        os.makedirs(sys.argv[2], exist_ok=True)
        # The fuzz target's keyring holds key 1 = bytes(range(32)); it opens
        # format 2 as store "fuzz", key "seed".
        master1 = bytes(range(32))
        seeds = {
            "empty": (1, 1024, b"", b"\x00\x00\x00"),
            "abc": (1, 1024, b"abc", b"\x10\x80\x05"),
            "two-segments": (1, 1024, bytes(i % 7 for i in range(1500)), b"\x40\xc0\x00"),
            "three-segments": (1, 1024, bytes(i % 13 for i in range(3 * 1024)), b"\x80\x40\x11"),
            "default-segment": (1, 65536, b"hello haul", b"\x00\xff\x03"),
            "v2-empty": (2, 1024, b"", b"\x00\x00\x00"),
            "v2-abc": (2, 1024, b"abc", b"\x10\x80\x05"),
            "v2-three-segments": (2, 1024, bytes(i % 13 for i in range(3 * 1024)), b"\x80\x40\x11"),
            "v2-default-segment": (2, 65536, b"hello haul", b"\x00\xff\x03"),
        }
        for name, (version, seg, plain, sel) in seeds.items():
            obj = seal(version, master1, 1, seg, bytes(range(0xA0, 0xC0)), bytes(range(1, 8)), plain, "fuzz", "seed")
            with open(os.path.join(sys.argv[2], name), "wb") as f:
                f.write(sel + obj)
        return 0
    if len(sys.argv) == 2:
        return check(sys.argv[1])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
