#!/usr/bin/env python3
"""Independent implementation of the haul object format, versions 1, 2 and 3
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


def encode_metadata(metadata):
    """Format 3: BE16(count), then per entry BE16(|name|) name BE32(|value|)
    value, entries strictly ascending by name (bytes)."""
    items = sorted((n.encode(), v.encode()) for n, v in metadata)
    assert all(a[0] < b[0] for a, b in zip(items, items[1:]))
    out = struct.pack(">H", len(items))
    for n, v in items:
        out += struct.pack(">H", len(n)) + n + struct.pack(">I", len(v)) + v
    assert len(out) <= 8192
    return out


def header(version, key_id, segment_size, salt, prefix, metadata=()):
    fixed = b"HAUL" + bytes([version]) + struct.pack(">II", key_id, segment_size) + salt + prefix
    if version < 3:
        assert not metadata
        return fixed
    md = encode_metadata(metadata)
    return fixed + struct.pack(">I", len(md)) + md


def header_length(obj):
    """Where the header ends in header || body: 52 bytes for formats 1 and 2,
    52 + 4 + the announced metadata size for format 3."""
    if obj[4] < 3:
        return 52
    return 56 + struct.unpack(">I", obj[52:56])[0]


def hkdf_info(version, key_id, store, key):
    """Format 1: label || BE32(key id). Formats 2 and 3 add the object's
    identity, each field as BE32(length) || UTF-8 bytes, under their own label."""
    if version == 1:
        return b"haul-v1 object key" + struct.pack(">I", key_id)
    s, k = store.encode(), key.encode()
    assert 1 <= len(s) <= 255 and 1 <= len(k) <= 1024
    label = b"haul-v2 object key" if version == 2 else b"haul-v3 object key"
    return label + struct.pack(">I", key_id) + struct.pack(">I", len(s)) + s + \
        struct.pack(">I", len(k)) + k


def etag_md5(plain, parts):
    """The trailer's md5: MD5(plaintext) for parts = [], else the MD5 of the
    parts' binary MD5s (S3 multipart ETag), the parts cut at `parts`."""
    if not parts:
        return hashlib.md5(plain).digest()
    cuts = [0] + list(parts) + [len(plain)]
    return hashlib.md5(b"".join(hashlib.md5(plain[a:b]).digest() for a, b in zip(cuts, cuts[1:]))).digest()


def trailer_plain(version, plain, with_sha=True, md5=None, etag_parts=0):
    """Formats 1, 2: BE64(P) || SHA-256. Format 3: BE64(P) || BE32(etag parts)
    || flags || sha256 || md5, absent digests all zero (flags bit 0: sha256,
    bit 1: md5)."""
    sha = hashlib.sha256(plain).digest()
    if version < 3:
        return struct.pack(">Q", len(plain)) + sha
    flags = (1 if with_sha else 0) | (2 if md5 is not None else 0)
    return struct.pack(">QIB", len(plain), etag_parts, flags) + (sha if with_sha else bytes(32)) + \
        (md5 if md5 is not None else bytes(16))


def object_key(master, salt, info):
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=info).derive(master)


def hkdf_stdlib(master, salt, info):
    """RFC 5869 with the standard library's HMAC, to check the derived key
    without the cryptography package's HKDF."""
    prk = hmac.new(salt, master, hashlib.sha256).digest()
    return hmac.new(prk, info + b"\x01", hashlib.sha256).digest()  # L = 32: one block


def seal(version, master, key_id, segment_size, salt, prefix, plain, store="", key="", metadata=(),
         trailer=None):
    """trailer: the format-3 trailer as (with_sha, md5 or None, etag parts);
    None means SHA-256 and no MD5."""
    hdr = header(version, key_id, segment_size, salt, prefix, metadata)
    aead = AESGCM(object_key(master, salt, hkdf_info(version, key_id, store, key)))
    pieces = [plain[i:i + segment_size] for i in range(0, len(plain), segment_size)] or [b""]
    body = b""
    for i, piece in enumerate(pieces):
        flag = 1 if i == len(pieces) - 1 else 0
        body += aead.encrypt(prefix + struct.pack(">IB", i, flag), piece, hdr)
    with_sha, md5, parts = trailer or (True, None, 0)
    body += aead.encrypt(prefix + struct.pack(">IB", 0xFFFFFFFF, 2),
                         trailer_plain(version, plain, with_sha, md5, parts), hdr)
    return hdr + body


def vectors():
    master1 = bytes(range(32))
    master2 = bytes(range(0x20, 0x40))
    salt = bytes(range(0xA0, 0xC0))
    prefix = bytes(range(1, 8))
    pattern = bytes(i % 251 for i in range(2500))
    short = pattern[:1030]  # two segments at S = 1024: 1024 and 6 bytes
    # name, format, key id, master, S, salt, prefix, plaintext, store id, object key
    # [, metadata, trailer (with_sha, md5, etag parts)] for format 3
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
        ("v3-empty", 3, 1, master1, 1024, salt, prefix, b"", "default", "empty",
         (), (True, etag_md5(b"", []), 0)),
        # Metadata given out of order: the header holds it sorted by name.
        ("v3-abc-metadata", 3, 1, master1, 1024, salt, prefix, b"abc", "default", "alice.txt",
         (("x-amz-meta-owner", "alice"), ("content-type", "text/plain; charset=utf-8"),
          ("cache-control", "no-cache")), (True, etag_md5(b"abc", []), 0)),
        # What the native API writes: SHA-256, no MD5.
        ("v3-pattern-1030-sha256-only", 3, 1, master1, 1024, salt, prefix, short, "us",
         "photos/2024/caf\u00e9 01.jpg", (), (True, None, 0)),
        # An S3 multipart upload of two parts (1024 and 6 bytes): MD5 of the
        # parts' MD5s, no SHA-256.
        ("v3-pattern-1030-multipart", 3, 2, master2, 1024, salt, prefix, short, "archive-eu", "a/b",
         (("content-type", "application/octet-stream"),), (False, etag_md5(short, [1024]), 2)),
    ]


def render(v):
    name, version, key_id, master, seg, salt, prefix, plain, store, key = v[:10]
    metadata, trailer = v[10:] if len(v) > 10 else ((), None)
    info = hkdf_info(version, key_id, store, key)
    lines = [f"name = {name}", f"format = {version}"]
    if version >= 2:
        assert store == store.strip() and key == key.strip()
        lines += [f"store_id = {store}", f"object_name = {key}", f"hkdf_info = {info.hex()}"]
    if version >= 3:
        for i, (n, val) in enumerate(sorted(metadata)):
            assert val == val.strip()
            lines.append(f"metadata_{i} = {n}: {val}")
        with_sha, md5, parts = trailer
        lines += [
            f"header = {header(version, key_id, seg, salt, prefix, metadata).hex()}",
            f"trailer_sha256 = {hashlib.sha256(plain).hexdigest() if with_sha else 'none'}",
            f"trailer_md5 = {md5.hex() if md5 is not None else 'none'}",
            f"etag_parts = {parts}",
        ]
    lines += [
        f"master_key_id = {key_id}",
        f"master_key = {master.hex()}",
        f"salt = {salt.hex()}",
        f"nonce_prefix = {prefix.hex()}",
        f"segment_size = {seg}",
        f"plaintext = {plain.hex()}",
        f"plaintext_sha256 = {hashlib.sha256(plain).hexdigest()}",
        f"object_key = {object_key(master, salt, info).hex()}",
        f"object = {seal(version, master, key_id, seg, salt, prefix, plain, store, key, metadata, trailer).hex()}",
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


def metadata_of(v):
    """The metadata_N lines of a vector, in N order, as (name, value)."""
    keys = sorted((k for k in v if k.startswith("metadata_")), key=lambda k: int(k[len("metadata_"):]))
    return tuple(tuple(x.strip() for x in v[k].split(":", 1)) for k in keys)


def trailer_of(v):
    if int(v.get("format", "1")) < 3:
        return None
    md5 = None if v["trailer_md5"] == "none" else bytes.fromhex(v["trailer_md5"])
    return (v["trailer_sha256"] != "none", md5, int(v["etag_parts"]))


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
        metadata, trailer = metadata_of(v), trailer_of(v)
        info = hkdf_info(version, key_id, store, key)
        got_key = object_key(master, salt, info).hex()
        got = seal(version, master, key_id, seg, salt, prefix, plain, store, key, metadata, trailer).hex()
        ok = got == v["object"] and got_key == v["object_key"] and \
            hkdf_stdlib(master, salt, info).hex() == got_key and \
            hashlib.sha256(plain).hexdigest() == v["plaintext_sha256"] and \
            (version == 1 or v["hkdf_info"] == info.hex())
        # Decrypt the stored bytes too, segment by segment, then the trailer.
        obj = bytes.fromhex(v["object"])
        hlen = header_length(obj)
        hdr, body = obj[:hlen], obj[hlen:]
        ok = ok and (version < 3 or v["header"] == hdr.hex())
        aead = AESGCM(bytes.fromhex(v["object_key"]))
        n = max(1, -(-len(plain) // seg))
        back, at = b"", 0
        for i in range(n):
            size = min(seg, len(plain) - i * seg) + TAG
            back += aead.decrypt(prefix + struct.pack(">IB", i, 1 if i == n - 1 else 0), body[at:at + size], hdr)
            at += size
        tp = aead.decrypt(prefix + struct.pack(">IB", 0xFFFFFFFF, 2), body[at:], hdr)
        ok = ok and back == plain and len(body) - at == (56 if version < 3 else 77)
        ok = ok and struct.unpack(">Q", tp[:8])[0] == len(plain)
        if version >= 3:
            parts, flags = struct.unpack(">IB", tp[8:13])
            with_sha, md5, want_parts = trailer
            ok = ok and parts == want_parts and flags == (1 if with_sha else 0) | (2 if md5 else 0)
            ok = ok and tp[13:45] == (hashlib.sha256(plain).digest() if with_sha else bytes(32))
            ok = ok and tp[45:61] == (md5 or bytes(16))
            if md5 is not None and parts == 0:
                ok = ok and md5 == hashlib.md5(plain).digest()
            # The metadata is authenticated: another value (here one more
            # byte in the first value, or one entry more) fails the first segment.
            changed = [(metadata[0][0], metadata[0][1] + "x")] + list(metadata[1:]) if metadata else [("a", "")]
            bad_hdr = header(version, key_id, seg, salt, prefix, changed)
            first = min(seg, len(plain)) + TAG
            try:
                aead.decrypt(prefix + struct.pack(">IB", 0, 1 if n == 1 else 0), body[:first], bad_hdr)
                ok = False
            except InvalidTag:
                pass
        if version >= 2:
            # The identity is bound: under any other store id or key the
            # first segment does not authenticate.
            for other_store, other_key in ((store + "x", key), (store, key + "x"), (key, store)):
                wrong = AESGCM(object_key(master, salt, hkdf_info(version, key_id, other_store, other_key)))
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
        print("# haul object format test vectors, formats 1, 2 and 3 (docs/format.md). One")
        print("# vector a block; object = header || body, binary values in hex; formats 2")
        print("# and 3 bind store_id and object_name (UTF-8 text here); format 3's")
        print("# metadata_N = name: value lines are its header metadata, sorted by name,")
        print("# and trailer_* its trailer fields (none: absent). Generated by")
        print("# check_vectors.py --generate (Python, python3-cryptography) and checked")
        print("# by haul_crypto_test (C++, OpenSSL) and check_vectors.py FILE.")
        print()
        print("\n".join(render(v) for v in vectors()), end="")
        return 0
    if len(sys.argv) == 3 and sys.argv[1] == "--corpus":
        os.makedirs(sys.argv[2], exist_ok=True)
        # The fuzz target's keyring holds key 1 = bytes(range(32)); it opens
        # formats 2 and 3 as store "fuzz", key "seed".
        master1 = bytes(range(32))
        meta = (("content-type", "text/plain"), ("x-amz-meta-a", "b"))
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
            "v3-empty": (3, 1024, b"", b"\x00\x00\x00", (), None),
            "v3-abc-metadata": (3, 1024, b"abc", b"\x10\x80\x05", meta, (True, etag_md5(b"abc", []), 0)),
            "v3-three-segments": (3, 1024, bytes(i % 13 for i in range(3 * 1024)), b"\x80\x40\x11", meta,
                                  (False, etag_md5(bytes(i % 13 for i in range(3 * 1024)), [2048]), 2)),
        }
        for name, (version, seg, plain, sel, *rest) in seeds.items():
            metadata, trailer = rest if rest else ((), None)
            obj = seal(version, master1, 1, seg, bytes(range(0xA0, 0xC0)), bytes(range(1, 8)), plain, "fuzz", "seed",
                       metadata, trailer)
            with open(os.path.join(sys.argv[2], name), "wb") as f:
                f.write(sel + obj)
        return 0
    if len(sys.argv) == 2:
        return check(sys.argv[1])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
