"""Object identity (docs/format.md, format 2): a stored object is bound to its
store and key, so whoever can write the store cannot serve one object as
another. Also: format-1 objects stay readable and say so, `haul reseal`
upgrades them, and the documented limit on rollback.

The store here is fs: an object is the file objects/<key>.obj ("HLFS", u32 LE
header length, header, body; docs/store.md).
"""
import hashlib
import os
import pathlib
import shutil
import struct
import subprocess

import requests

from conftest import HAUL, haul

SEG = 64 * 1024
VECTORS = pathlib.Path(__file__).resolve().parents[2] / "src/crypto/testdata/format_vectors.txt"


def put(gw, key, data, store=None):
    h = dict(gw.auth)
    if store:
        h["X-Haul-Store"] = store
    return requests.put(f"{gw.url}/v1/objects/{key}", data=data, headers=h)


def get(gw, key, store=None, headers=None):
    h = dict(gw.auth)
    h.update(headers or {})
    if store:
        h["X-Haul-Store"] = store
    return requests.get(f"{gw.url}/v1/objects/{key}", headers=h)


def head(gw, key, store=None):
    h = dict(gw.auth)
    if store:
        h["X-Haul-Store"] = store
    return requests.head(f"{gw.url}/v1/objects/{key}", headers=h)


def object_file(store_dir, key):
    return pathlib.Path(store_dir) / "objects" / (key.replace("/", ".dir/") + ".obj")


def assert_integrity_error(r):
    assert r.status_code == 500, (r.status_code, r.content[:200])
    assert r.json()["error"] == "integrity"


def test_swapped_object_fails_and_never_serves_the_other(gateway):
    alice = b"alice's ledger " * (3 * SEG // 15)
    bob = os.urandom(3 * SEG)
    assert put(gateway, "alice", alice).status_code == 201
    assert put(gateway, "bob", bob).status_code == 201
    bob_etag = head(gateway, "bob").headers["ETag"]
    # The store's operator copies Alice's stored object over Bob's.
    shutil.copyfile(object_file(gateway.store_dir, "alice"), object_file(gateway.store_dir, "bob"))
    r = get(gateway, "bob")
    assert_integrity_error(r)
    assert b"alice" not in r.content
    ranged = get(gateway, "bob", headers={"Range": "bytes=100-200"})
    assert_integrity_error(ranged)
    assert b"alice" not in ranged.content
    h = head(gateway, "bob")
    assert h.status_code == 500
    assert "X-Haul-Sha256" not in h.headers
    assert h.headers.get("ETag") != bob_etag
    # Alice's own object is untouched.
    assert get(gateway, "alice").content == alice


def test_renamed_object_fails(gateway):
    """A copy or rename in the store (outside the gateway) is not readable
    under its new name: copies and renames go through the gateway."""
    assert put(gateway, "reports/q1", b"quarter one").status_code == 201
    target = object_file(gateway.store_dir, "reports/q2")
    shutil.copyfile(object_file(gateway.store_dir, "reports/q1"), target)
    assert_integrity_error(get(gateway, "reports/q2"))
    assert head(gateway, "reports/q2").status_code == 500
    # Seed download route, same key, same answer.
    r = requests.get(f"{gateway.url}/download/files", params={"key": "reports/q2"}, headers=gateway.auth)
    assert_integrity_error(r)


def test_object_moved_between_stores_fails(make_gateway, tmp_path):
    us = tmp_path / "us"
    gw = make_gateway("stores", extra_args=["--store", f"us=fs:{us}"])
    assert put(gw, "k", b"in the default store").status_code == 201
    assert put(gw, "k", b"in us", store="us").status_code == 201
    shutil.copyfile(object_file(gw.store_dir, "k"), object_file(us, "k"))
    assert_integrity_error(get(gw, "k", store="us"))
    assert get(gw, "k").content == b"in the default store"


def test_rolled_back_object_is_served_as_documented(gateway):
    """docs/format.md section 6.1: a rollback of one key to an older version
    of that same key is NOT detected by the gateway (that needs state outside
    the store). What a client can check: the ETag and X-Haul-Sha256 are those
    of the old version, so a client that kept the sha256 of its PUT sees it."""
    old, new = b"balance: 100", b"balance: 0"
    first = put(gateway, "acct", old)
    assert first.status_code == 201
    old_etag = head(gateway, "acct").headers["ETag"]
    saved = object_file(gateway.store_dir, "acct").read_bytes()
    second = put(gateway, "acct", new)
    assert second.status_code == 201
    assert head(gateway, "acct").headers["ETag"] != old_etag
    object_file(gateway.store_dir, "acct").write_bytes(saved)  # the operator restores the old file
    r = get(gateway, "acct")
    assert r.status_code == 200 and r.content == old  # accepted: served as current
    h = head(gateway, "acct")
    assert h.headers["ETag"] == old_etag
    assert h.headers["X-Haul-Sha256"] == first.json()["sha256"] != second.json()["sha256"]


def test_renamed_store_keeps_its_id_or_is_resealed(make_gateway, tmp_path):
    data = tmp_path / "data"
    gw = make_gateway("rename", extra_args=["--store", f"us=fs:{data}"])
    assert put(gw, "k", b"sealed for store us", store="us").status_code == 201
    gw.stop()
    gw.extra_args = ["--store", f"eu=fs:{data}"]  # the store renamed: its objects do not open
    gw.start()
    assert_integrity_error(get(gw, "k", store="eu"))
    gw.stop()
    gw.extra_args = ["--store", f"eu=fs:{data}", "--store-id", "eu=us"]  # ...unless it keeps its id
    gw.start()
    assert get(gw, "k", store="eu").content == b"sealed for store us"
    assert put(gw, "k2", b"new", store="eu").status_code == 201  # sealed for id "us" too
    assert get(gw, "k2", store="eu").content == b"new"
    gw.stop()
    # Or re-seal the objects for the new name, and drop --store-id.
    out = haul("reseal", "--store", f"eu=fs:{data}", "--master-key-file", gw.key_file,
               "--from-store-id", "us").stdout
    assert "resealed 2, current 0" in out, out
    gw.extra_args = ["--store", f"eu=fs:{data}"]
    gw.start()
    assert get(gw, "k", store="eu").content == b"sealed for store us"
    assert get(gw, "k2", store="eu").content == b"new"


def format1_vector(name="pattern-2500"):
    """One format-1 object from the format's test vectors (docs/format.md
    section 10): the way a gateway before format 2 stored it."""
    block = {}
    for chunk in VECTORS.read_text(encoding="utf-8").split("\n\n"):
        fields = dict(line.split(" = ", 1) for line in chunk.strip().splitlines()
                      if " = " in line and not line.startswith("#"))
        if fields.get("name") == name:
            block = fields
    assert block.get("format", "1") == "1"
    return block


def legacy_gateway(make_gateway, name, extra_args=()):
    """A gateway whose key file holds the vectors' key 1 (which sealed the
    format-1 object) and a newer key 2, with the vector stored as
    legacy/report: objects/legacy.dir/report.obj = "HLFS" || LE32(52) || object."""
    v = format1_vector()
    gw = make_gateway(name, extra_args=extra_args, start=False)
    gw.key_file.write_text(f"1:{v['master_key']}\n" + haul("keygen").stdout.replace("1:", "2:", 1))
    path = object_file(gw.store_dir, "legacy/report")
    path.parent.mkdir(parents=True)
    obj = bytes.fromhex(v["object"])
    path.write_bytes(b"HLFS" + struct.pack("<I", 52) + obj)
    return gw.start(), bytes.fromhex(v["plaintext"]), v["plaintext_sha256"]


def reseal(gw, *args, check=True):
    return haul("reseal", "--store", gw.store, "--master-key-file", gw.key_file, *args, check=check)


def test_format1_object_is_served_reported_and_resealed(make_gateway):
    gw, plain, sha = legacy_gateway(make_gateway, "legacy")
    h = head(gw, "legacy/report")
    assert h.status_code == 200
    assert h.headers["X-Haul-Format"] == "1"
    assert int(h.headers["Content-Length"]) == len(plain) == 2500
    assert h.headers["X-Haul-Sha256"] == sha
    assert get(gw, "legacy/report").content == plain
    assert get(gw, "legacy/report", headers={"Range": "bytes=1000-2099"}).content == plain[1000:2100]
    old_etag = h.headers["ETag"]
    assert put(gw, "fresh", b"written as format 3").status_code == 201
    assert head(gw, "fresh").headers["X-Haul-Format"] == "3"
    # Format 1 binds nothing: a copy in the store opens under any key (the
    # reason to reseal, and then to run with --min-format 2).
    shutil.copyfile(object_file(gw.store_dir, "legacy/report"), object_file(gw.store_dir, "legacy/copy"))
    assert get(gw, "legacy/copy").content == plain

    dry = reseal(gw, "--dry-run").stdout
    assert "would reseal legacy/report (format 1, key 1 -> format 3, key 2)" in dry
    assert "would reseal 2, current 1, changed meanwhile 0, failed 0" in dry
    assert head(gw, "legacy/report").headers["X-Haul-Format"] == "1"

    out = reseal(gw).stdout
    assert "resealed 2, current 1, changed meanwhile 0, failed 0" in out, out
    h = head(gw, "legacy/report")
    assert h.headers["X-Haul-Format"] == "3"
    assert h.headers["X-Haul-Sha256"] == sha
    assert h.headers["ETag"] != old_etag
    assert get(gw, "legacy/report").content == plain
    assert get(gw, "legacy/copy").content == plain
    assert get(gw, "fresh").content == b"written as format 3"
    assert "resealed 0, current 3" in reseal(gw).stdout
    # Bound now: the same copy no longer opens.
    shutil.copyfile(object_file(gw.store_dir, "legacy/report"), object_file(gw.store_dir, "legacy/copy"))
    assert_integrity_error(get(gw, "legacy/copy"))


def test_min_format_2_refuses_format1_until_resealed(make_gateway):
    gw, plain, _ = legacy_gateway(make_gateway, "strict", extra_args=["--min-format", "2"])
    r = get(gw, "legacy/report")
    assert_integrity_error(r)
    assert "reseal" in r.json()["message"]
    assert head(gw, "legacy/report").status_code == 500
    assert "resealed 1, current 0" in reseal(gw).stdout
    h = head(gw, "legacy/report")
    assert h.status_code == 200 and h.headers["X-Haul-Format"] == "3"
    assert get(gw, "legacy/report").content == plain


def test_reseal_rotate_moves_objects_to_the_newest_key(make_gateway):
    gw = make_gateway("rotate")
    assert put(gw, "a", b"under key 1").status_code == 201
    # Rotation order (docs/format.md section 8): add the key, restart the
    # gateways so they know it, then re-seal.
    subprocess.run([HAUL, "keygen", "--add", str(gw.key_file)], check=True, capture_output=True)
    gw.stop()
    gw.start()

    def key_id():  # header (after "HLFS" and its length) byte 5..8: the key id
        return struct.unpack(">I", object_file(gw.store_dir, "a").read_bytes()[8 + 5:8 + 9])[0]

    assert "resealed 0, current 1" in reseal(gw).stdout
    assert key_id() == 1
    assert "resealed 1, current 0" in reseal(gw, "--rotate").stdout
    assert key_id() == 2
    assert get(gw, "a").content == b"under key 1"


def test_reseal_reports_what_it_cannot_reseal(make_gateway):
    gw = make_gateway("bad")
    assert put(gw, "alice", b"a" * 5000).status_code == 201
    assert put(gw, "bob", b"b" * 5000).status_code == 201
    shutil.copyfile(object_file(gw.store_dir, "alice"), object_file(gw.store_dir, "bob"))
    # With a newer key, --rotate tries bob (format 2 under key 1), which is Alice's.
    subprocess.run([HAUL, "keygen", "--add", str(gw.key_file)], check=True, capture_output=True)
    r = reseal(gw, "--rotate", check=False)
    assert r.returncode == 1
    assert "failed bob: " in r.stdout and "left as it is" in r.stdout
    assert "resealed 1, current 0, changed meanwhile 0, failed 1" in r.stdout
    assert_integrity_error(get(gw, "bob"))
    bad = reseal(gw, "--store-id", "has space", check=False)
    assert bad.returncode == 2 and "store id" in bad.stderr
