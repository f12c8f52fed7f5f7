"""The gateway's S3 API (docs/s3-api.md) against real S3 clients: boto3 (the
seeds' tool), aws-cli, rclone and curl --aws-sigv4, on the fs store.

Every test talks to a real gateway process over loopback. Bad-input cases
check the S3 error code and that nothing was stored.
"""
import base64
import datetime
import hashlib
import hmac
import http.client
import os
import re
import socket
import urllib.parse
import zlib
import subprocess
import time
from unittest import mock

import pytest
import requests

boto3 = pytest.importorskip("boto3", reason="python3-boto3 missing: run scripts/deps.sh test")
import botocore  # noqa: E402  (after the skip: botocore comes with boto3)
import botocore.auth  # noqa: E402
import botocore.awsrequest  # noqa: E402
import botocore.credentials  # noqa: E402
from boto3.s3.transfer import TransferConfig  # noqa: E402
from botocore.config import Config  # noqa: E402
from botocore.exceptions import ClientError  # noqa: E402

from conftest import Gateway, haul  # noqa: E402

AK, SECRET = "AKHAULTEST0000000001", "haul-test-secret-0001"
LIMITED_AK, LIMITED_SECRET = "AKHAULLIMITED0000001", "haul-test-secret-0002"
AWS = "/usr/bin/aws"  # Debian's aws-cli (PATH may hold another)


@pytest.fixture
def s3gw(tmp_path):
    creds = tmp_path / "s3-credentials"
    creds.write_text(f"# test keys\n{AK}:{SECRET}\n{LIMITED_AK}:{LIMITED_SECRET}:allowed-bucket\n")
    gw = Gateway(tmp_path / "gw", ["--s3-credentials-file", str(creds)]).start()
    gw.credentials_file = creds
    yield gw
    rc = gw.stop()
    assert rc == 0, f"gateway exited with {rc}:\n{gw.log.read_text()[-4000:]}"


def client(gw, ak=AK, secret=SECRET, **config):
    return boto3.client("s3", endpoint_url=gw.url, aws_access_key_id=ak, aws_secret_access_key=secret,
                        region_name="us-east-1",
                        config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}, **config))


def error_code(excinfo):
    return excinfo.value.response["Error"]["Code"]


def stored_files(gw):
    """Every object file under the fs store, bucket markers included."""
    return sorted(str(p.relative_to(gw.store_dir)) for p in gw.store_dir.rglob("*")
                  if p.is_file() and "tmp" not in p.parts)


def test_bucket_lifecycle_and_listing(s3gw):
    s3 = client(s3gw)
    s3.create_bucket(Bucket="photos")
    s3.put_object(Bucket="photos", Key="kept", Body=b"kept")
    # CreateBucket again succeeds (us-east-1's and RGW's answer to the owner)
    # and keeps what the bucket holds.
    s3.create_bucket(Bucket="photos")
    assert s3.get_object(Bucket="photos", Key="kept")["Body"].read() == b"kept"
    s3.delete_object(Bucket="photos", Key="kept")
    for bad in ("foo.-bar", "foo-.bar"):
        with pytest.raises(ClientError) as e:
            s3.create_bucket(Bucket=bad)
        assert error_code(e) == "InvalidBucketName"
    with pytest.raises(ClientError) as e:
        s3.create_bucket(Bucket="Bad_Name")
    assert error_code(e) == "InvalidBucketName"
    assert [b["Name"] for b in s3.list_buckets()["Buckets"]] == ["photos"]
    s3.head_bucket(Bucket="photos")
    assert s3.get_bucket_location(Bucket="photos")["LocationConstraint"] is None
    with pytest.raises(ClientError) as e:
        s3.head_bucket(Bucket="nothing-here")
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404

    keys = ["a.txt", "dir/b.txt", "dir/c.txt", "dir/sub/d.txt", "e f+g.txt", "z.txt"]
    for k in keys:
        s3.put_object(Bucket="photos", Key=k, Body=k.encode())
    # Delimiter roll-up, and paging one entry at a time reaches each once.
    top = s3.list_objects_v2(Bucket="photos", Delimiter="/")
    assert [o["Key"] for o in top["Contents"]] == ["a.txt", "e f+g.txt", "z.txt"]
    assert [p["Prefix"] for p in top["CommonPrefixes"]] == ["dir/"]
    seen = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket="photos", PaginationConfig={"PageSize": 1}):
        seen += [o["Key"] for o in page.get("Contents", [])]
    assert seen == sorted(keys)
    v1 = s3.list_objects(Bucket="photos", Prefix="dir/", Delimiter="/")
    assert [o["Key"] for o in v1["Contents"]] == ["dir/b.txt", "dir/c.txt"]
    assert [p["Prefix"] for p in v1["CommonPrefixes"]] == ["dir/sub/"]
    # Sizes and ETags in a listing are what HEAD says.
    for o in s3.list_objects_v2(Bucket="photos")["Contents"]:
        head = s3.head_object(Bucket="photos", Key=o["Key"])
        assert o["ETag"] == head["ETag"] == '"%s"' % hashlib.md5(o["Key"].encode()).hexdigest()
        assert o["Size"] == len(o["Key"])

    with pytest.raises(ClientError) as e:
        s3.delete_bucket(Bucket="photos")
    assert error_code(e) == "BucketNotEmpty"
    out = s3.delete_objects(Bucket="photos", Delete={"Objects": [{"Key": k} for k in keys] + [{"Key": "never"}]})
    assert sorted(d["Key"] for d in out["Deleted"]) == sorted(keys + ["never"])
    s3.delete_bucket(Bucket="photos")
    assert s3.list_buckets()["Buckets"] == []


def test_put_get_head_with_metadata_ranges_and_conditions(s3gw):
    s3 = client(s3gw)
    s3.create_bucket(Bucket="docs")
    body = os.urandom(300_000)
    put = s3.put_object(Bucket="docs", Key="report.bin", Body=body, ContentType="application/x-report",
                        Metadata={"owner": "ops", "color": "blue"}, CacheControl="max-age=60",
                        ContentDisposition='attachment; filename="r.bin"')
    etag = '"%s"' % hashlib.md5(body).hexdigest()
    assert put["ETag"] == etag
    head = s3.head_object(Bucket="docs", Key="report.bin")
    assert head["ETag"] == etag and head["ContentLength"] == len(body)
    assert head["ContentType"] == "application/x-report"
    assert head["Metadata"] == {"owner": "ops", "color": "blue"}
    assert head["CacheControl"] == "max-age=60"
    got = s3.get_object(Bucket="docs", Key="report.bin")
    assert got["Body"].read() == body and got["ETag"] == etag
    assert got["ContentDisposition"] == 'attachment; filename="r.bin"'
    part = s3.get_object(Bucket="docs", Key="report.bin", Range="bytes=70000-140000")
    assert part["Body"].read() == body[70000:140001]
    assert part["ContentRange"] == f"bytes 70000-140000/{len(body)}"
    over = s3.get_object(Bucket="docs", Key="report.bin", ResponseContentType="text/plain")
    assert over["ContentType"] == "text/plain"
    over["Body"].read()
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket="docs", Key="report.bin", Range=f"bytes={len(body)}-")
    assert error_code(e) == "InvalidRange"
    # Conditional requests: 304 and 412 before any body is read.
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket="docs", Key="report.bin", IfNoneMatch=etag)
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 304
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket="docs", Key="report.bin", IfMatch='"0123"')
    assert error_code(e) == "PreconditionFailed"
    assert s3.get_object(Bucket="docs", Key="report.bin", IfMatch=etag)["Body"].read() == body
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket="docs", Key="missing")
    assert error_code(e) == "NoSuchKey"
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket="nobucket", Key="x")
    assert error_code(e) == "NoSuchBucket"
    s3.delete_object(Bucket="docs", Key="report.bin")
    s3.delete_object(Bucket="docs", Key="report.bin")  # absent: still 204
    with pytest.raises(ClientError) as e:
        s3.head_object(Bucket="docs", Key="report.bin")
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_one_object_two_apis(s3gw):
    s3 = client(s3gw)
    s3.create_bucket(Bucket="shared")
    via_s3 = os.urandom(100_000)
    s3.put_object(Bucket="shared", Key="from-s3/x.bin", Body=via_s3)
    r = requests.get(f"{s3gw.url}/v1/objects/shared/from-s3/x.bin", headers=s3gw.auth)
    assert r.status_code == 200 and r.content == via_s3
    via_native = os.urandom(70_000)
    r = requests.put(f"{s3gw.url}/v1/objects/shared/native.bin", data=via_native, headers=s3gw.auth)
    assert r.status_code == 201
    assert s3.get_object(Bucket="shared", Key="native.bin")["Body"].read() == via_native
    # Not an MD5 (the native API does not compute one), and rclone must not take it for one.
    assert s3.head_object(Bucket="shared", Key="native.bin")["ETag"].endswith('-1"')



def test_haul_get_recursive_over_folder_markers(s3gw, tmp_path):
    """Folder markers ("dir/", which S3 consoles and tools make) have no file
    name: `haul get PREFIX --recursive` makes their directories, as
    `aws s3 sync` does, and downloads everything else."""
    s3 = client(s3gw)
    s3.create_bucket(Bucket="tree")
    s3.put_object(Bucket="tree", Key="photos/", Body=b"")
    s3.put_object(Bucket="tree", Key="photos/2026/", Body=b"")
    s3.put_object(Bucket="tree", Key="photos/empty-album/", Body=b"")
    s3.put_object(Bucket="tree", Key="photos/2026/a.jpg", Body=b"jpeg bytes")
    env = {"HAUL_GATEWAY": s3gw.url, "HAUL_TOKEN": s3gw.token}
    out = tmp_path / "out"
    r = haul("get", "tree/photos/", "--recursive", out, env=env, check=False)
    assert r.returncode == 0, r.stderr
    assert (out / "2026" / "a.jpg").read_bytes() == b"jpeg bytes"
    assert (out / "empty-album").is_dir() and not any((out / "empty-album").iterdir())
    assert sorted(str(p.relative_to(out)) for p in out.rglob("*")) == ["2026", "2026/a.jpg", "empty-album"]


def test_seed_download_file_with_ten_threads(s3gw, tmp_path):
    """The seeds' boto3 call: download_file with TransferConfig(max_concurrency=10),
    which splits a big object into ranged GETs on parallel connections."""
    s3 = client(s3gw, max_pool_connections=10)
    s3.create_bucket(Bucket="seed")
    data = os.urandom(24 * 1024 * 1024)
    s3.put_object(Bucket="seed", Key="big.bin", Body=data)
    target = tmp_path / "big.bin"
    s3.download_file("seed", "big.bin", str(target),
                     Config=TransferConfig(max_concurrency=10, multipart_chunksize=4 * 1024 * 1024))
    assert hashlib.sha256(target.read_bytes()).digest() == hashlib.sha256(data).digest()
    small = tmp_path / "small.txt"
    small.write_bytes(b"hello s3")
    s3.upload_file(str(small), "seed", "small.txt")
    assert s3.get_object(Bucket="seed", Key="small.txt")["Body"].read() == b"hello s3"


def test_multipart_upload_file_and_copies(s3gw, tmp_path):
    """boto3's upload_file over the multipart threshold (parts uploaded in
    parallel, completed with the S3 multipart ETag), then server-side copies."""
    s3 = client(s3gw, max_pool_connections=4)
    s3.create_bucket(Bucket="mpu")
    data = os.urandom(13 * 1024 * 1024 + 12345)
    src = tmp_path / "big.bin"
    src.write_bytes(data)
    s3.upload_file(str(src), "mpu", "big.bin", ExtraArgs={"Metadata": {"kind": "test"}, "ContentType": "x/big"},
                   Config=TransferConfig(multipart_threshold=5 * 1024 * 1024, multipart_chunksize=5 * 1024 * 1024,
                                         max_concurrency=4))
    part_md5s = [hashlib.md5(data[i:i + 5 * 1024 * 1024]).digest() for i in range(0, len(data), 5 * 1024 * 1024)]
    want_etag = '"%s-%d"' % (hashlib.md5(b"".join(part_md5s)).hexdigest(), len(part_md5s))
    head = s3.head_object(Bucket="mpu", Key="big.bin")
    assert head["ETag"] == want_etag and head["ContentLength"] == len(data)
    assert head["Metadata"] == {"kind": "test"} and head["ContentType"] == "x/big"
    assert s3.get_object(Bucket="mpu", Key="big.bin")["Body"].read() == data
    assert s3.list_multipart_uploads(Bucket="mpu").get("Uploads", []) == []  # parts cleaned up

    # CopyObject: metadata copied, or replaced.
    s3.copy_object(Bucket="mpu", Key="copy.bin", CopySource={"Bucket": "mpu", "Key": "big.bin"})
    copy = s3.head_object(Bucket="mpu", Key="copy.bin")
    assert copy["ETag"] == '"%s"' % hashlib.md5(data).hexdigest() and copy["Metadata"] == {"kind": "test"}
    s3.copy_object(Bucket="mpu", Key="copy2.bin", CopySource="mpu/big.bin", MetadataDirective="REPLACE",
                   Metadata={"new": "1"})
    assert s3.head_object(Bucket="mpu", Key="copy2.bin")["Metadata"] == {"new": "1"}
    assert s3.get_object(Bucket="mpu", Key="copy2.bin")["Body"].read() == data
    with pytest.raises(ClientError) as e:
        s3.copy_object(Bucket="mpu", Key="big.bin", CopySource="mpu/big.bin")
    assert error_code(e) == "InvalidRequest"

    # A hand-driven upload: UploadPartCopy of a range, ListParts, errors, Abort.
    up = s3.create_multipart_upload(Bucket="mpu", Key="assembled.bin")["UploadId"]
    p1 = s3.upload_part_copy(Bucket="mpu", Key="assembled.bin", UploadId=up, PartNumber=1,
                             CopySource="mpu/big.bin", CopySourceRange="bytes=0-5242879")
    p2 = s3.upload_part(Bucket="mpu", Key="assembled.bin", UploadId=up, PartNumber=2, Body=b"tail")
    parts = s3.list_parts(Bucket="mpu", Key="assembled.bin", UploadId=up)["Parts"]
    assert [(p["PartNumber"], p["Size"]) for p in parts] == [(1, 5242880), (2, 4)]
    listed = s3.list_multipart_uploads(Bucket="mpu")["Uploads"]
    assert [(u["Key"], u["UploadId"]) for u in listed] == [("assembled.bin", up)]
    with pytest.raises(ClientError) as e:
        s3.complete_multipart_upload(Bucket="mpu", Key="assembled.bin", UploadId=up, MultipartUpload={"Parts": [
            {"PartNumber": 2, "ETag": p2["ETag"]}, {"PartNumber": 1, "ETag": p1["CopyPartResult"]["ETag"]}]})
    assert error_code(e) == "InvalidPartOrder"
    with pytest.raises(ClientError) as e:
        s3.complete_multipart_upload(Bucket="mpu", Key="assembled.bin", UploadId=up, MultipartUpload={"Parts": [
            {"PartNumber": 1, "ETag": '"00000000000000000000000000000000"'}, {"PartNumber": 2, "ETag": p2["ETag"]}]})
    assert error_code(e) == "InvalidPart"
    s3.complete_multipart_upload(Bucket="mpu", Key="assembled.bin", UploadId=up, MultipartUpload={"Parts": [
        {"PartNumber": 1, "ETag": p1["CopyPartResult"]["ETag"]}, {"PartNumber": 2, "ETag": p2["ETag"]}]})
    assert s3.get_object(Bucket="mpu", Key="assembled.bin")["Body"].read() == data[:5242880] + b"tail"
    with pytest.raises(ClientError) as e:
        s3.upload_part(Bucket="mpu", Key="assembled.bin", UploadId=up, PartNumber=3, Body=b"late")
    assert error_code(e) == "NoSuchUpload"
    small = s3.create_multipart_upload(Bucket="mpu", Key="small.bin")["UploadId"]
    a = s3.upload_part(Bucket="mpu", Key="small.bin", UploadId=small, PartNumber=1, Body=b"a" * 100)
    b = s3.upload_part(Bucket="mpu", Key="small.bin", UploadId=small, PartNumber=2, Body=b"b")
    with pytest.raises(ClientError) as e:
        s3.complete_multipart_upload(Bucket="mpu", Key="small.bin", UploadId=small, MultipartUpload={"Parts": [
            {"PartNumber": 1, "ETag": a["ETag"]}, {"PartNumber": 2, "ETag": b["ETag"]}]})
    assert error_code(e) == "EntityTooSmall"
    s3.abort_multipart_upload(Bucket="mpu", Key="small.bin", UploadId=small)
    with pytest.raises(ClientError) as e:
        s3.head_object(Bucket="mpu", Key="small.bin")
    assert not [p for p in s3gw.store_dir.rglob("*") if p.is_file() and small in str(p)]


def test_bad_credentials_and_limits(s3gw):
    client(s3gw).create_bucket(Bucket="allowed-bucket")
    client(s3gw).create_bucket(Bucket="other-bucket")
    with pytest.raises(ClientError) as e:
        client(s3gw, secret="wrong").list_buckets()
    assert error_code(e) == "SignatureDoesNotMatch"
    with pytest.raises(ClientError) as e:
        client(s3gw, ak="AKUNKNOWN").list_buckets()
    assert error_code(e) == "InvalidAccessKeyId"
    limited = client(s3gw, ak=LIMITED_AK, secret=LIMITED_SECRET)
    assert [b["Name"] for b in limited.list_buckets()["Buckets"]] == ["allowed-bucket"]
    limited.put_object(Bucket="allowed-bucket", Key="k", Body=b"ok")
    with pytest.raises(ClientError) as e:
        limited.put_object(Bucket="other-bucket", Key="k", Body=b"no")
    assert error_code(e) == "AccessDenied"
    r = requests.get(f"{s3gw.url}/allowed-bucket/k")  # anonymous
    assert r.status_code == 403 and "<Code>AccessDenied</Code>" in r.text
    # A bearer token is the native API's, not S3's: S3's answer to an unknown scheme.
    r = requests.get(f"{s3gw.url}/allowed-bucket/k", headers=s3gw.auth)
    assert r.status_code == 400 and "<Code>InvalidRequest</Code>" in r.text


def test_presigned_urls(s3gw):
    # boto3 1.26 presigns with SigV2 unless told s3v4; haul speaks SigV4 only.
    s3 = client(s3gw, signature_version="s3v4")
    s3.create_bucket(Bucket="share")
    s3.put_object(Bucket="share", Key="file.txt", Body=b"shared bytes")
    url = s3.generate_presigned_url("get_object", Params={"Bucket": "share", "Key": "file.txt"}, ExpiresIn=60)
    r = requests.get(url)
    assert r.status_code == 200 and r.content == b"shared bytes"
    assert requests.get(url.replace("file.txt", "other.txt")).status_code == 403
    short = s3.generate_presigned_url("get_object", Params={"Bucket": "share", "Key": "file.txt"}, ExpiresIn=1)
    time.sleep(2.1)
    r = requests.get(short)
    assert r.status_code == 403 and "<Code>AccessDenied</Code>" in r.text and "expired" in r.text


def signed(gw, method, path, body=b"", headers=None, when=None, send_body=None):
    """A request signed with botocore's own SigV4 signer (payload hash
    included), optionally dated `when`, optionally sending send_body instead
    of the body it signed."""
    headers = dict(headers or {})
    req = botocore.awsrequest.AWSRequest(method=method, url=gw.url + path, data=body, headers=headers)
    creds = botocore.credentials.Credentials(AK, SECRET)
    if when is None:
        botocore.auth.S3SigV4Auth(creds, "s3", "us-east-1").add_auth(req)
    else:
        with mock.patch("botocore.auth.datetime") as fake:
            fake.datetime.utcnow.return_value = when
            botocore.auth.S3SigV4Auth(creds, "s3", "us-east-1").add_auth(req)
    prepared = req.prepare()
    sent = body if send_body is None else send_body
    # http.client sends the path exactly as signed (requests would remove
    # "." and ".." segments first).
    url = urllib.parse.urlsplit(prepared.url)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    conn.request(method, url.path + ("?" + url.query if url.query else ""), body=sent, headers=dict(prepared.headers))
    resp = conn.getresponse()
    out = requests.models.Response()
    out.status_code, out._content = resp.status, resp.read()
    out.headers = requests.structures.CaseInsensitiveDict(resp.getheaders())
    conn.close()
    return out


def test_bad_bodies_store_nothing(s3gw):
    import datetime
    s3 = client(s3gw)
    s3.create_bucket(Bucket="strict")
    before = stored_files(s3gw)
    r = signed(s3gw, "PUT", "/strict/tampered", body=b"real body", send_body=b"fake body")
    assert r.status_code == 400 and "<Code>XAmzContentSHA256Mismatch</Code>" in r.text
    import base64
    wrong_md5 = base64.b64encode(hashlib.md5(b"other").digest()).decode()
    r = signed(s3gw, "PUT", "/strict/badmd5", body=b"real body", headers={"Content-MD5": wrong_md5})
    assert r.status_code == 400 and "<Code>BadDigest</Code>" in r.text
    r = signed(s3gw, "PUT", "/strict/skewed", body=b"x",
               when=datetime.datetime.utcnow() - datetime.timedelta(minutes=20))
    assert r.status_code == 403 and "<Code>RequestTimeTooSkewed</Code>" in r.text
    r = signed(s3gw, "PUT", "/strict/a/../b", body=b"x")
    assert r.status_code == 400 and b"<Code>InvalidArgument</Code>" in r.content
    r = signed(s3gw, "POST", "/strict?delete", body=b"<Delete><Object><Key>x</Key></Object>")
    assert r.status_code == 400 and "<Code>MalformedXML</Code>" in r.text
    assert stored_files(s3gw) == before
    with pytest.raises(ClientError) as e:
        s3.get_object_acl(Bucket="strict", Key="x")
    assert error_code(e) == "NotImplemented"


def test_aws_cli(s3gw, tmp_path):
    env = dict(os.environ, AWS_ACCESS_KEY_ID=AK, AWS_SECRET_ACCESS_KEY=SECRET, AWS_DEFAULT_REGION="us-east-1",
               AWS_CONFIG_FILE=str(tmp_path / "none"), AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "none"))

    def aws(*args):
        return subprocess.run([AWS, "--endpoint-url", s3gw.url, *args], env=env, capture_output=True, text=True,
                              timeout=120)

    assert aws("s3", "mb", "s3://cli").returncode == 0
    src = tmp_path / "src"
    (src / "sub").mkdir(parents=True)
    files = {"one.txt": b"1" * 10, "sub/two.bin": os.urandom(200_000), "sub/three.bin": os.urandom(5)}
    for name, data in files.items():
        (src / name).write_bytes(data)
    r = aws("s3", "cp", str(src / "one.txt"), "s3://cli/one.txt")
    assert r.returncode == 0, r.stderr
    r = aws("s3", "sync", str(src), "s3://cli/tree")
    assert r.returncode == 0, r.stderr
    listing = aws("s3", "ls", "--recursive", "s3://cli/")
    assert listing.returncode == 0
    assert sorted(line.split()[-1] for line in listing.stdout.splitlines()) == \
        sorted(["one.txt"] + [f"tree/{n}" for n in files])
    again = aws("s3", "sync", str(src), "s3://cli/tree")  # nothing changed: nothing copied
    assert again.returncode == 0 and "upload:" not in again.stdout
    down = tmp_path / "down"
    assert aws("s3", "cp", "--recursive", "s3://cli/tree", str(down)).returncode == 0
    for name, data in files.items():
        assert (down / name).read_bytes() == data
    head = aws("s3api", "head-object", "--bucket", "cli", "--key", "one.txt")
    assert hashlib.md5(b"1" * 10).hexdigest() in head.stdout
    assert aws("s3", "rm", "--recursive", "s3://cli/tree").returncode == 0
    assert aws("s3", "ls", "s3://cli/tree/").stdout == ""
    # Over aws-cli's 8 MiB threshold: a multipart upload, parts in parallel.
    big = tmp_path / "big.bin"
    big.write_bytes(os.urandom(9 * 1024 * 1024 + 7))
    r = aws("s3", "cp", str(big), "s3://cli/big.bin")
    assert r.returncode == 0, r.stderr
    assert '-2\\""' in aws("s3api", "head-object", "--bucket", "cli", "--key", "big.bin").stdout  # "md5-of-md5s-2"
    r = aws("s3api", "copy-object", "--bucket", "cli", "--key", "big-copy.bin", "--copy-source", "cli/big.bin")
    assert r.returncode == 0, r.stderr
    assert aws("s3", "cp", "s3://cli/big-copy.bin", str(tmp_path / "back.bin")).returncode == 0
    assert (tmp_path / "back.bin").read_bytes() == big.read_bytes()


def test_rclone(s3gw, tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "AWS_CA_BUNDLE"}  # see docs/s3-api.md
    env.update(RCLONE_CONFIG=str(tmp_path / "rclone.conf"))
    (tmp_path / "rclone.conf").write_text(
        "[haul]\ntype = s3\nprovider = Other\nenv_auth = false\n"
        f"access_key_id = {AK}\nsecret_access_key = {SECRET}\nendpoint = {s3gw.url}\nregion = us-east-1\n")
    src = tmp_path / "src"
    (src / "d").mkdir(parents=True)
    for i in range(5):
        (src / "d" / f"f{i}.bin").write_bytes(os.urandom(1000 * (i + 1)))
    (src / "top.txt").write_bytes(b"top")

    def rclone(*args):
        return subprocess.run(["rclone", *args], env=env, capture_output=True, text=True, timeout=120)

    assert rclone("mkdir", "haul:rclone").returncode == 0
    r = rclone("copy", str(src), "haul:rclone/data")
    assert r.returncode == 0, r.stderr
    r = rclone("check", str(src), "haul:rclone/data")  # compares MD5s: the ETags must be the plaintext's
    assert r.returncode == 0, r.stderr
    assert "0 differences found" in r.stderr and "hashes could not be checked" not in r.stderr
    lsl = rclone("lsl", "haul:rclone/data")
    assert lsl.returncode == 0 and len(lsl.stdout.splitlines()) == 6
    (src / "top.txt").write_bytes(b"changed")
    (src / "d" / "f0.bin").unlink()
    r = rclone("sync", str(src), "haul:rclone/data")
    assert r.returncode == 0, r.stderr
    assert rclone("check", str(src), "haul:rclone/data").returncode == 0
    assert len(rclone("lsl", "haul:rclone/data").stdout.splitlines()) == 5


def test_curl_aws_sigv4(s3gw, tmp_path):
    client(s3gw).create_bucket(Bucket="curl")
    payload = tmp_path / "p.bin"
    payload.write_bytes(os.urandom(50_000))
    # curl 7.88 does not send x-amz-content-sha256 itself (curl 8 does); S3
    # requires it, so it is given, as S3's own curl examples do.
    base = ["curl", "-sS", "--aws-sigv4", "aws:amz:us-east-1:s3", "--user", f"{AK}:{SECRET}",
            "-H", "x-amz-content-sha256: UNSIGNED-PAYLOAD"]
    put = subprocess.run(base + ["-o", "/dev/null", "-w", "%{http_code}", "-T", str(payload),
                                 f"{s3gw.url}/curl/p.bin"], capture_output=True, text=True)
    assert put.stdout == "200", put.stderr
    got = subprocess.run(base + [f"{s3gw.url}/curl/p.bin"], capture_output=True)
    assert got.stdout == payload.read_bytes()


def test_credentials_reload_on_sighup(s3gw):
    import signal
    s3 = client(s3gw)
    s3.create_bucket(Bucket="reload")
    s3gw.credentials_file.write_text(f"AKNEWKEY000000000001:new-secret\n")
    s3gw.proc.send_signal(signal.SIGHUP)
    fresh = client(s3gw, ak="AKNEWKEY000000000001", secret="new-secret")
    deadline = time.monotonic() + 10
    while True:
        try:
            fresh.head_bucket(Bucket="reload")
            break
        except ClientError:
            assert time.monotonic() < deadline, "the new key never worked"
            time.sleep(0.1)
    with pytest.raises(ClientError) as e:
        s3.list_buckets()
    assert error_code(e) == "InvalidAccessKeyId"


def test_s3_off_keeps_native_answers(gateway):
    r = requests.get(f"{gateway.url}/some-bucket/key", headers=gateway.auth)
    assert r.status_code == 404 and r.json()["error"] == "not_found"


def _hmac(key, text):
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


def streaming_put(gw, path, chunks, *, tamper_chunk=None, trailer_crc32c=None, decoded_length=None):
    """PUT with an aws-chunked body signed chunk by chunk
    (STREAMING-AWS4-HMAC-SHA256-PAYLOAD), as current aws-cli and boto3 send
    it; written out here because Debian's boto3 1.26 does not. Optionally a
    chunk signature is tampered with, or an unsigned-trailer body with a
    CRC32C trailer is sent instead."""
    now = datetime.datetime.utcnow()
    amz_date, day = now.strftime("%Y%m%dT%H%M%SZ"), now.strftime("%Y%m%d")
    scope = f"{day}/us-east-1/s3/aws4_request"
    payload = b"".join(chunks)
    host = f"127.0.0.1:{gw.port}"
    unsigned = trailer_crc32c is not None
    mode = "STREAMING-UNSIGNED-PAYLOAD-TRAILER" if unsigned else "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
    headers = {"host": host, "x-amz-content-sha256": mode, "x-amz-date": amz_date,
               "content-encoding": "aws-chunked",
               "x-amz-decoded-content-length": str(len(payload) if decoded_length is None else decoded_length)}
    if unsigned:
        headers["x-amz-trailer"] = "x-amz-checksum-crc32c"
    names = sorted(headers)
    canonical = "\n".join(["PUT", path, "", *[f"{n}:{headers[n]}" for n in names], "", ";".join(names), mode])
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    key = _hmac(_hmac(_hmac(_hmac(("AWS4" + SECRET).encode(), day), "us-east-1"), "s3"), "aws4_request")
    seed = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    headers["authorization"] = (f"AWS4-HMAC-SHA256 Credential={AK}/{scope}, SignedHeaders={';'.join(names)}, "
                                f"Signature={seed}")
    body, previous = b"", seed
    for i, data in enumerate(list(chunks) + [b""]):
        if unsigned:
            body += b"%x\r\n" % len(data) + data + (b"\r\n" if data else b"")
            continue
        chunk_to_sign = "\n".join(["AWS4-HMAC-SHA256-PAYLOAD", amz_date, scope, previous,
                                   hashlib.sha256(b"").hexdigest(), hashlib.sha256(data).hexdigest()])
        signature = hmac.new(key, chunk_to_sign.encode(), hashlib.sha256).hexdigest()
        previous = signature
        if i == tamper_chunk:
            signature = ("0" if signature[0] != "0" else "1") + signature[1:]
        body += b"%x;chunk-signature=%s\r\n" % (len(data), signature.encode()) + data + b"\r\n"
    if unsigned:
        body += b"x-amz-checksum-crc32c:%s\r\n\r\n" % trailer_crc32c.encode()
    conn = http.client.HTTPConnection("127.0.0.1", gw.port, timeout=30)
    conn.request("PUT", path, body=body, headers=headers)
    resp = conn.getresponse()
    out = resp.status, resp.read().decode()
    conn.close()
    return out


def crc32c_b64(data):
    crc = 0xFFFFFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return base64.b64encode((crc ^ 0xFFFFFFFF).to_bytes(4, "big")).decode()


def test_aws_chunked_uploads(s3gw):
    s3 = client(s3gw)
    s3.create_bucket(Bucket="chunked")
    chunks = [os.urandom(65536), os.urandom(65536), os.urandom(1000)]
    status, text = streaming_put(s3gw, "/chunked/signed.bin", chunks)
    assert status == 200, text
    got = s3.get_object(Bucket="chunked", Key="signed.bin")
    assert got["Body"].read() == b"".join(chunks)
    assert "ContentEncoding" not in got  # aws-chunked is the request's framing, not stored
    small = [b"hello ", b"trailer"]
    status, text = streaming_put(s3gw, "/chunked/trailer.bin", small, trailer_crc32c=crc32c_b64(b"hello trailer"))
    assert status == 200, text
    assert s3.get_object(Bucket="chunked", Key="trailer.bin")["Body"].read() == b"hello trailer"
    # Each bad body gets its error and stores nothing.
    before = stored_files(s3gw)
    status, text = streaming_put(s3gw, "/chunked/tampered.bin", chunks, tamper_chunk=1)
    assert status == 403 and "<Code>SignatureDoesNotMatch</Code>" in text
    status, text = streaming_put(s3gw, "/chunked/badcrc.bin", small, trailer_crc32c=crc32c_b64(b"other"))
    assert status == 400 and "<Code>BadDigest</Code>" in text
    status, text = streaming_put(s3gw, "/chunked/short.bin", chunks, decoded_length=200000)
    assert status == 400 and "<Code>IncompleteBody</Code>" in text
    assert stored_files(s3gw) == before


def test_body_shorter_than_declared_stores_nothing(s3gw):
    client(s3gw).create_bucket(Bucket="cutoff")
    before = stored_files(s3gw)
    req = botocore.awsrequest.AWSRequest(method="PUT", url=f"{s3gw.url}/cutoff/half.bin", data=b"x" * 1000,
                                         headers={"X-Amz-Content-SHA256": "UNSIGNED-PAYLOAD"})
    botocore.auth.S3SigV4Auth(botocore.credentials.Credentials(AK, SECRET), "s3", "us-east-1").add_auth(req)
    head = f"PUT /cutoff/half.bin HTTP/1.1\r\nHost: 127.0.0.1:{s3gw.port}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in req.headers.items()) + \
        "Content-Length: 1000\r\n\r\n"
    with socket.create_connection(("127.0.0.1", s3gw.port), timeout=10) as sock:
        sock.sendall(head.encode() + b"x" * 400)
        sock.shutdown(socket.SHUT_WR)
        answer = sock.recv(65536).decode(errors="replace")
    assert " 400 " in answer.splitlines()[0] and "<Code>IncompleteBody</Code>" in answer
    assert stored_files(s3gw) == before


def test_complete_with_too_many_parts_is_malformed(s3gw):
    s3 = client(s3gw)
    s3.create_bucket(Bucket="many")
    up = s3.create_multipart_upload(Bucket="many", Key="k")["UploadId"]
    parts = "".join(f"<Part><PartNumber>{n}</PartNumber><ETag>\"x\"</ETag></Part>" for n in range(1, 10002))
    r = signed(s3gw, "POST", f"/many/k?uploadId={up}",
               body=f"<CompleteMultipartUpload>{parts}</CompleteMultipartUpload>".encode())
    assert r.status_code == 400 and "<Code>MalformedXML</Code>" in r.text
    parts = "".join(f"<Part><PartNumber>{n}</PartNumber><ETag>\"x\"</ETag></Part>" for n in range(1, 10001))
    r = signed(s3gw, "POST", f"/many/k?uploadId={up}",
               body=f"<CompleteMultipartUpload>{parts}</CompleteMultipartUpload>".encode())
    assert r.status_code == 400 and "<Code>InvalidPart</Code>" in r.text
    with pytest.raises(ClientError):
        s3.head_object(Bucket="many", Key="k")


def test_conditional_puts(s3gw):
    """If-Match / If-None-Match on PutObject (conditional writes): 412 and
    the object unchanged when the object as it is fails them."""
    s3 = client(s3gw)
    s3.create_bucket(Bucket="cond")
    etag = s3.put_object(Bucket="cond", Key="k", Body=b"one")["ETag"]

    def put(body, **headers):
        return signed(s3gw, "PUT", "/cond/k", body=body, headers=headers)

    assert put(b"two", **{"If-None-Match": "*"}).status_code == 412
    assert put(b"two", **{"If-Match": '"00000000000000000000000000000000"'}).status_code == 412
    assert s3.get_object(Bucket="cond", Key="k")["Body"].read() == b"one"
    assert put(b"two", **{"If-Match": etag}).status_code == 200
    assert s3.get_object(Bucket="cond", Key="k")["Body"].read() == b"two"
    missing = signed(s3gw, "PUT", "/cond/new", body=b"x", headers={"If-Match": etag})
    assert missing.status_code == 404 and "<Code>NoSuchKey</Code>" in missing.text  # nothing to match
    assert signed(s3gw, "PUT", "/cond/new", body=b"x", headers={"If-None-Match": "*"}).status_code == 200


def test_what_s3_test_suites_expect(s3gw):
    """Behaviours ceph/s3-tests checks (run locally against this gateway,
    docs/s3-api.md): version listing of an unversioned bucket (its cleanup
    uses it), folder-marker keys, repeated and re-sent multipart completes,
    copy ranges inside the source, presign expiry limits, CORS preflights
    and unsigned requests to missing buckets."""
    s3 = client(s3gw)
    s3.create_bucket(Bucket="compat")
    keys = ["a", "asdf/", "asdf//x", "dir/b", "dir/c", "z\u00e9"]
    for k in keys:
        s3.put_object(Bucket="compat", Key=k, Body=k.encode())
    # Folder markers (empty segments) are keys like any other.
    assert s3.get_object(Bucket="compat", Key="asdf/")["Body"].read() == b"asdf/"
    listed = s3.list_objects_v2(Bucket="compat", Prefix="asdf/", Delimiter="/")
    assert [o["Key"] for o in listed["Contents"]] == ["asdf/"]
    assert [p["Prefix"] for p in listed["CommonPrefixes"]] == ["asdf//"]
    # ListObjectVersions: each object once, version "null", paged by key marker.
    seen = []
    for page in s3.get_paginator("list_object_versions").paginate(Bucket="compat",
                                                                  PaginationConfig={"PageSize": 2}):
        for v in page.get("Versions", []):
            assert v["VersionId"] == "null" and v["IsLatest"]
            seen.append(v["Key"])
    assert seen == sorted(keys)
    versions = s3.list_object_versions(Bucket="compat", Delimiter="/")
    assert [p["Prefix"] for p in versions["CommonPrefixes"]] == ["asdf/", "dir/"]
    # The cleanup s3-tests runs: versions out, then DeleteObjects naming "null".
    out = s3.delete_objects(Bucket="compat", Delete={"Objects": [{"Key": k, "VersionId": "null"} for k in keys]})
    assert sorted(d["Key"] for d in out["Deleted"]) == sorted(keys)
    assert "Versions" not in s3.list_object_versions(Bucket="compat")
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket="compat", Key="a", VersionId="3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY")
    assert error_code(e) == "InvalidArgument"
    # ListObjectsV2 with an empty continuation token lists from the start.
    s3.put_object(Bucket="compat", Key="k", Body=b"k")
    empty_token = s3.list_objects_v2(Bucket="compat", ContinuationToken="")
    assert empty_token["ContinuationToken"] == "" and [o["Key"] for o in empty_token["Contents"]] == ["k"]

    # Multipart: a part re-sent is listed twice (the last entry counts), and a
    # Complete repeated after success answers 200 with the same ETag.
    part1, part2 = os.urandom(5 << 20), b"tail"
    up = s3.create_multipart_upload(Bucket="compat", Key="mp")["UploadId"]
    first = s3.upload_part(Bucket="compat", Key="mp", UploadId=up, PartNumber=1, Body=os.urandom(5 << 20))["ETag"]
    again = s3.upload_part(Bucket="compat", Key="mp", UploadId=up, PartNumber=1, Body=part1)["ETag"]
    tail = s3.upload_part(Bucket="compat", Key="mp", UploadId=up, PartNumber=2, Body=part2)["ETag"]
    parts = {"Parts": [{"PartNumber": 1, "ETag": first}, {"PartNumber": 1, "ETag": again},
                       {"PartNumber": 2, "ETag": tail}]}
    done = s3.complete_multipart_upload(Bucket="compat", Key="mp", UploadId=up, MultipartUpload=parts)
    assert s3.get_object(Bucket="compat", Key="mp")["Body"].read() == part1 + part2
    redo = s3.complete_multipart_upload(Bucket="compat", Key="mp", UploadId=up, MultipartUpload=parts)
    assert redo["ETag"] == done["ETag"]
    with pytest.raises(ClientError) as e:  # other parts: the upload is gone
        s3.complete_multipart_upload(Bucket="compat", Key="mp", UploadId=up,
                                     MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": first}]})
    assert error_code(e) == "NoSuchUpload"
    # UploadPartCopy of a range past the source's end: InvalidRange, no part.
    up = s3.create_multipart_upload(Bucket="compat", Key="mp2")["UploadId"]
    with pytest.raises(ClientError) as e:
        s3.upload_part_copy(Bucket="compat", Key="mp2", UploadId=up, PartNumber=1,
                            CopySource={"Bucket": "compat", "Key": "k"}, CopySourceRange="bytes=0-21")
    assert error_code(e) == "InvalidRange"
    assert "Parts" not in s3.list_parts(Bucket="compat", Key="mp2", UploadId=up)
    s3.abort_multipart_upload(Bucket="compat", Key="mp2", UploadId=up)

    # Presigned URLs whose expiry is out of 1..604800 s are never valid: 403.
    # (The signer refuses to make such URLs: the expiry is edited afterwards,
    # which the gateway checks before the signature.)
    presigner = client(s3gw, signature_version="s3v4")  # Debian's boto3 presigns SigV2 by default
    url = presigner.generate_presigned_url("get_object", Params={"Bucket": "compat", "Key": "k"}, ExpiresIn=100)
    assert "X-Amz-Expires=100&" in url
    for expires in ("0", "-7", "604801"):
        bad = requests.get(url.replace("X-Amz-Expires=100&", f"X-Amz-Expires={expires}&"), timeout=10)
        assert bad.status_code == 403 and "<Code>AccessDenied</Code>" in bad.text, expires
    # A CORS preflight is never signed; haul allows no cross-origin requests.
    assert requests.options(url, timeout=10).status_code == 400
    assert requests.options(url, headers={"Origin": "https://x.example"}, timeout=10).status_code == 403
    assert requests.get(url, timeout=10).content == b"k"
    # Unsigned: a missing bucket is told as such, an existing one refused.
    gone = requests.get(f"{s3gw.url}/no-such-bucket/k", timeout=10)
    assert gone.status_code == 404 and "<Code>NoSuchBucket</Code>" in gone.text
    refused = requests.get(f"{s3gw.url}/compat/k", timeout=10)
    assert refused.status_code == 403 and "<Code>AccessDenied</Code>" in refused.text


def test_conditional_deletes_and_bucket_pages(s3gw):
    """DeleteObject's If-Match / x-amz-if-match-last-modified-time /
    x-amz-if-match-size and DeleteObjects' per-object ETag, LastModifiedTime
    and Size (RGW's conditional deletes), and ListBuckets' max-buckets pages."""
    s3 = client(s3gw)
    s3.create_bucket(Bucket="del")
    etag = s3.put_object(Bucket="del", Key="k", Body=b"four")["ETag"]
    mtime = s3.head_object(Bucket="del", Key="k")["LastModified"]
    for bad in ({"If-Match": '"0123"'}, {"x-amz-if-match-size": "5"},
                {"x-amz-if-match-last-modified-time": "Thu, 01 Jan 2015 00:00:00 GMT"}):
        r = signed(s3gw, "DELETE", "/del/k", headers=bad)
        assert r.status_code == 412 and "<Code>PreconditionFailed</Code>" in r.text, bad
    assert s3.get_object(Bucket="del", Key="k")["Body"].read() == b"four"
    assert signed(s3gw, "DELETE", "/del/k", headers={"If-Match": etag, "x-amz-if-match-size": "4"}).status_code == 204
    head = signed(s3gw, "HEAD", "/del/k")
    assert head.status_code == 404 and head.headers["x-amz-delete-marker"] == "false"
    # Gone already: deleted, whatever the conditions say.
    assert signed(s3gw, "DELETE", "/del/k", headers={"If-Match": '"0123"'}).status_code == 204

    # Debian's botocore 1.29 knows neither these fields nor max-buckets:
    # the requests are written out and signed here.
    def delete_objects(fields):
        body = f"<Delete><Object><Key>k</Key>{fields}</Object></Delete>".encode()
        md5 = base64.b64encode(hashlib.md5(body).digest()).decode()
        return signed(s3gw, "POST", "/del?delete", body=body, headers={"Content-MD5": md5})

    s3.put_object(Bucket="del", Key="k", Body=b"four")
    # This object's own time (the first one's second may have passed since).
    mtime = s3.head_object(Bucket="del", Key="k")["LastModified"]
    out = delete_objects("<Size>9</Size>")
    assert out.status_code == 200 and "<Code>PreconditionFailed</Code>" in out.text and "<Deleted>" not in out.text
    out = delete_objects(f"<ETag>{etag}</ETag><Size>4</Size><LastModifiedTime>"
                         f"{mtime.strftime('%a, %d %b %Y %H:%M:%S GMT')}</LastModifiedTime>")
    assert out.status_code == 200 and "<Deleted><Key>k</Key>" in out.text and "<Error>" not in out.text
    assert "Contents" not in s3.list_objects_v2(Bucket="del")

    for name in ("del2", "del3"):
        s3.create_bucket(Bucket=name)

    def bucket_names(text):
        return re.findall(r"<Name>([^<]*)</Name>", text)

    page = signed(s3gw, "GET", "/?max-buckets=2")
    assert bucket_names(page.text) == ["del", "del2"]
    token = re.search(r"<ContinuationToken>([^<]*)</ContinuationToken>", page.text).group(1)
    rest = signed(s3gw, "GET", f"/?continuation-token={token}&max-buckets=2")
    assert bucket_names(rest.text) == ["del3"] and "<ContinuationToken>" not in rest.text
    assert bucket_names(signed(s3gw, "GET", "/?prefix=del3").text) == ["del3"]


def test_checksum_headers_attributes_and_part_numbers(s3gw):
    """An x-amz-checksum-* header on PutObject is verified (BadDigest and
    nothing stored when the body differs), kept, and given back to HEAD/GET
    with x-amz-checksum-mode: ENABLED (not to ranged GETs, whose bytes it
    does not describe); GetObjectAttributes; ?partNumber on a whole object.
    Debian's botocore 1.29 sends none of these: written out and signed here."""
    s3 = client(s3gw)
    s3.create_bucket(Bucket="sums")
    body = b"A" * 1024
    good = "arcu6553sHVAiX4MjW0j7I7vD4w6R+Gz9Ok0Q9lTa+0="  # SHA-256 of 1024 'A's, base64
    put = signed(s3gw, "PUT", "/sums/a", body=body, headers={"x-amz-checksum-sha256": good})
    assert put.status_code == 200 and put.headers["x-amz-checksum-sha256"] == good
    crc = base64.b64encode(zlib.crc32(body).to_bytes(4, "big")).decode()
    assert signed(s3gw, "PUT", "/sums/c", body=body, headers={"x-amz-checksum-crc32": crc}).status_code == 200
    before = stored_files(s3gw)
    for name, value in (("x-amz-checksum-sha256", good.replace("a", "b", 1)), ("x-amz-checksum-crc32", "AAAAAA==")):
        bad = signed(s3gw, "PUT", "/sums/a", body=b"B" * 1024, headers={name: value})
        assert bad.status_code == 400 and "<Code>BadDigest</Code>" in bad.text, name
    assert stored_files(s3gw) == before
    assert s3.get_object(Bucket="sums", Key="a")["Body"].read() == body

    plain = signed(s3gw, "HEAD", "/sums/a")
    assert "x-amz-checksum-sha256" not in plain.headers
    enabled = signed(s3gw, "HEAD", "/sums/a", headers={"x-amz-checksum-mode": "ENABLED"})
    assert enabled.headers["x-amz-checksum-sha256"] == good
    whole = signed(s3gw, "GET", "/sums/c", headers={"x-amz-checksum-mode": "ENABLED"})
    assert whole.content == body and whole.headers["x-amz-checksum-crc32"] == crc
    ranged = signed(s3gw, "GET", "/sums/c", headers={"x-amz-checksum-mode": "ENABLED", "Range": "bytes=0-9"})
    assert ranged.status_code == 206 and "x-amz-checksum-crc32" not in ranged.headers

    attributes = signed(s3gw, "GET", "/sums/a?attributes",
                        headers={"x-amz-object-attributes": "ETag,Checksum,ObjectParts,StorageClass,ObjectSize"})
    assert attributes.status_code == 200
    assert f"<ETag>{hashlib.md5(body).hexdigest()}</ETag>" in attributes.text
    assert f"<Checksum><ChecksumSHA256>{good}</ChecksumSHA256></Checksum>" in attributes.text
    assert "<ObjectSize>1024</ObjectSize>" in attributes.text and "<ObjectParts>" not in attributes.text

    assert s3.get_object(Bucket="sums", Key="a", PartNumber=1)["Body"].read() == body
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket="sums", Key="a", PartNumber=2)
    assert error_code(e) == "InvalidPart"
