"""A one-node Ceph cluster (mon + OSD + radosgw) for the S3 store's tests.

Started by scripts/ceph-start in a temporary directory and stopped by
scripts/ceph-stop. Import this file by path (tests/integration/test_s3.py does):
the name `ceph` is also a Python package of Debian's Ceph.
"""
import os
import pathlib
import shutil
import signal
import subprocess
import time

ROOT = pathlib.Path(__file__).resolve().parents[2]
AWS = "/usr/bin/aws"  # Debian's aws-cli, not a pyenv shim
TOOLS = ("ceph-mon", "ceph-osd", "radosgw", "radosgw-admin", "monmaptool", "ceph-authtool", "ceph")


def missing_tools():
    missing = [t for t in TOOLS if shutil.which(t) is None]
    if not os.path.exists(AWS):
        missing.append(AWS)
    return missing


class Ceph:
    """A running cluster: endpoint, keys, and helpers to reach RGW directly."""

    def __init__(self, workdir):
        self.dir = pathlib.Path(workdir)
        self.endpoint = self.access_key = self.secret_key = None
        self.region = "default"

    def start(self):
        out = subprocess.run([str(ROOT / "scripts" / "ceph-start"), str(self.dir)], capture_output=True,
                             text=True, timeout=120)
        if out.returncode != 0:
            raise RuntimeError(f"ceph-start failed ({out.returncode}):\n{out.stdout}\n{out.stderr}")
        fields = dict(kv.split("=", 1) for kv in out.stdout.split())
        self.endpoint, self.access_key, self.secret_key = fields["endpoint"], fields["access_key"], fields["secret_key"]
        self.region = fields.get("region", "default")
        # An aws-style credentials file for the gateway (credentials= in the store URL).
        self.credentials_file = self.dir / "credentials"
        self.credentials_file.write_text(
            f"[default]\naws_access_key_id = {self.access_key}\naws_secret_access_key = {self.secret_key}\n")
        return self

    def stop(self):
        subprocess.run([str(ROOT / "scripts" / "ceph-stop"), str(self.dir)], check=False, timeout=60)

    def store_url(self, bucket, prefix=""):
        path = f"{bucket}/{prefix}" if prefix else bucket
        return (f"s3://{path}?endpoint={self.endpoint}&region={self.region}"
                f"&credentials={self.credentials_file}")

    def env(self):
        env = dict(os.environ)
        env.update(AWS_ACCESS_KEY_ID=self.access_key, AWS_SECRET_ACCESS_KEY=self.secret_key,
                   AWS_DEFAULT_REGION=self.region, AWS_EC2_METADATA_DISABLED="true",
                   AWS_CONFIG_FILE=str(self.dir / "no-aws-config"),
                   AWS_SHARED_CREDENTIALS_FILE=str(self.dir / "no-aws-credentials"))
        return env

    def aws(self, *args, check=True, binary=False):
        """aws-cli against this RGW only (explicit --endpoint-url: nothing leaves the machine)."""
        out = subprocess.run([AWS, "--endpoint-url", self.endpoint, "--region", self.region, *map(str, args)],
                             capture_output=True, env=self.env(), timeout=120, text=not binary)
        if check and out.returncode != 0:
            raise RuntimeError(f"aws {' '.join(map(str, args))} failed: {out.stderr}")
        return out

    def curl(self, *args):
        """curl --aws-sigv4 to RGW (needs x-amz-content-sha256 with this RGW)."""
        return subprocess.run(["curl", "-sS", "--aws-sigv4", f"aws:amz:{self.region}:s3",
                               "--user", f"{self.access_key}:{self.secret_key}",
                               "-H", "x-amz-content-sha256: UNSIGNED-PAYLOAD", *map(str, args)],
                              capture_output=True, timeout=120)

    def make_bucket(self, name):
        self.aws("s3api", "create-bucket", "--bucket", name)

    def pending_uploads(self, bucket):
        import json
        out = self.aws("s3api", "list-multipart-uploads", "--bucket", bucket).stdout
        return json.loads(out).get("Uploads", []) if out.strip() else []

    def list_keys(self, bucket):
        import json
        out = self.aws("s3api", "list-objects-v2", "--bucket", bucket).stdout
        return [o["Key"] for o in json.loads(out).get("Contents", [])] if out.strip() else []

    # radosgw alone, to emulate the backend going away and coming back.
    def rgw_pid(self):
        return int((self.dir / "rgw.pid").read_text())

    def stop_rgw(self):
        pid = self.rgw_pid()
        os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                with open(f"/proc/{pid}/stat") as f:
                    if f.read().split()[2] == "Z":
                        break
            except FileNotFoundError:
                break
            time.sleep(0.05)

    def start_rgw(self):
        proc = subprocess.Popen(["radosgw", "-f", "-c", str(self.dir / "ceph.conf"), "-n", "client.rgw.haul"],
                                stdin=subprocess.DEVNULL, stdout=open(self.dir / "log" / "rgw.stdout", "ab"),
                                stderr=subprocess.STDOUT, start_new_session=True)
        (self.dir / "rgw.pid").write_text(f"{proc.pid}\n")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if subprocess.run(["curl", "-s", "-o", "/dev/null", "-m", "2", self.endpoint + "/"]).returncode == 0:
                return proc
            time.sleep(0.1)
        raise RuntimeError("radosgw did not come back")
