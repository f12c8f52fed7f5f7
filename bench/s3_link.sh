#!/bin/bash
# boto3 through the gateway's S3 API vs haul's own client, on the emulated
# long link (root): 200 ms RTT, 100 Mbit/s, one gateway (fs store) with both
# APIs. Prints one line per measurement, warm connections only:
#   warm SIZE OP CLIENT MEDIAN_MS LIMIT_MS
#     boto3: put_object / get_object on one client (its pooled keep-alive
#            connection), 6 requests, median of requests 2-6
#     boto3-noexpect: the same without botocore's "Expect: 100-continue" on
#            PutObject (it waits one round trip for "100 Continue")
#     haul:  `haul bench --mode reuse --repeat 6`, median of requests 2-6
#   bench/s3_link.sh [HAUL]   (default build/haul)
set -eu
HAUL=$(realpath "${1:-build/haul}")
D=$(mktemp -d)
trap 'rm -rf "$D"' EXIT
mkdir -p "$D/store"
"$HAUL" keygen > "$D/key"
echo benchtoken > "$D/tokens"
echo "AKHAULBENCH000000001:bench-secret" > "$D/s3keys"
export HAUL BENCH_DIR="$D"
"$HAUL" netem --delay-ms 100 --rate 100mbit \
  --server-cmd "exec \"$HAUL\" gateway --listen 0.0.0.0:8080 --store fs:$D/store --master-key-file $D/key \
    --token-file $D/tokens --s3-credentials-file $D/s3keys --access-log off" \
  -- /usr/bin/python3 - <<'PY'
import json, os, statistics, subprocess, time
import boto3
from botocore.config import Config
from botocore.handlers import add_expect_header
haul, d, server = os.environ["HAUL"], os.environ["BENCH_DIR"], os.environ["HAUL_NETEM_SERVER"]
url = f"http://{server}:8080"
for _ in range(100):
    if subprocess.run(["curl", "-s", "-o", "/dev/null", url + "/healthz"]).returncode == 0:
        break
    time.sleep(0.2)
s3 = boto3.client("s3", endpoint_url=url, aws_access_key_id="AKHAULBENCH000000001",
                  aws_secret_access_key="bench-secret", region_name="us-east-1",
                  config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}))
s3.create_bucket(Bucket="bench")
bare = boto3.client("s3", endpoint_url=url, aws_access_key_id="AKHAULBENCH000000001",
                    aws_secret_access_key="bench-secret", region_name="us-east-1",
                    config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}))
bare.meta.events.unregister("before-call.s3", add_expect_header)
sizes = {"1K": 1024, "100K": 100 * 1024, "1M": 1 << 20, "10M": 10 << 20}
limit = lambda size: 200 + size * 8 / 100e6 * 1000
def timed(fn):
    t0 = time.monotonic()
    fn()
    return (time.monotonic() - t0) * 1000
for name, size in sizes.items():
    data = os.urandom(size)
    put = [timed(lambda: s3.put_object(Bucket="bench", Key=name, Body=data)) for _ in range(6)]
    bare_put = [timed(lambda: bare.put_object(Bucket="bench", Key=name, Body=data)) for _ in range(6)]
    get = [timed(lambda: s3.get_object(Bucket="bench", Key=name)["Body"].read()) for _ in range(6)]
    for op, ms in (("put", put), ("get", get)):
        print(f"warm {name} {op} boto3 {statistics.median(ms[1:]):.1f} {limit(size):.1f}", flush=True)
        if op == "put":
            print(f"warm {name} put boto3-noexpect {statistics.median(bare_put[1:]):.1f} {limit(size):.1f}",
                  flush=True)
        out = subprocess.run([haul, "bench", "--gateway", url, "--token", "benchtoken", "--size", name,
                              "--repeat", "6", "--mode", "reuse", "--op", op, "--json"],
                             capture_output=True, text=True, check=True).stdout
        rows = [json.loads(l) for l in out.splitlines() if l.startswith("{")]
        hms = [r["ms"] for r in rows if "i" in r]
        print(f"warm {name} {op} haul {statistics.median(hms[1:]):.1f} {limit(size):.1f}", flush=True)
PY
