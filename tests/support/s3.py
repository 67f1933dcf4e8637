"""A real S3 server for the tests: Ceph's RADOS Gateway, started once per test session.

``s3_server`` (session scope) starts a single-node Ceph with radosgw on free loopback ports
(tests/support/ceph_s3_up.sh, about 12 s) and stops it by its pids at the end. Where Ceph is
not installed the S3 tests skip and say so; `make s3` installs it (as root, like CI).
``CLASSVAULT_TEST_S3_ENDPOINT`` (e.g. http://127.0.0.1:7480, credentials testak/testsk)
uses a gateway that is already running instead.

``s3_bucket`` gives each test its own fresh, versioned bucket and the matching
``CLASSVAULT_STORAGE_URL``; ``every_version`` reads back every version of every object in
it (what a thief of the bucket, or of its backups, would have).
"""

import os
import shutil
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

SCRIPT = Path(__file__).with_name("ceph_s3_up.sh")
ACCESS_KEY, SECRET_KEY = "testak", "testsk"
CEPH_PACKAGES = ("ceph-mon", "ceph-osd", "radosgw")
NOT_INSTALLED = (
    "Ceph's RADOS Gateway is not installed, so the S3 tests did not run: "
    "`apt-get install -y --no-install-recommends ceph-mon ceph-osd radosgw` "
    "(`make s3` does it as root)."
)


@dataclass(frozen=True)
class S3Server:
    endpoint: str

    def client(self):
        import boto3
        from botocore.config import Config

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY,
            region_name="us-east-1",
            config=Config(
                s3={"addressing_style": "path"},
                request_checksum_calculation="when_required",
                response_checksum_validation="when_required",
            ),
        )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _stop(folder: Path) -> None:
    for pid_file in sorted((folder / "run").glob("*.pid")):
        try:
            pid = int(pid_file.read_text().strip())
            os.kill(pid, signal.SIGTERM)
        except (ValueError, ProcessLookupError, PermissionError):
            continue
        for _ in range(100):
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.1)
        else:
            os.kill(pid, signal.SIGKILL)


def _start(folder: Path) -> str:
    """Start Ceph in ``folder``; its endpoint, or the reason it did not start."""
    rgw_port = _free_port()
    env = {**os.environ, "CEPH_MON_PORT": str(_free_port()), "RGW_PORT": str(rgw_port)}
    try:
        subprocess.run(
            [str(SCRIPT), str(folder)],
            env=env,
            # The daemons read nothing; none of them holds on to pytest's stdin.
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            check=True,
            capture_output=True,
            text=True,
            timeout=180,
        )
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
        _stop(folder)
        logs = "".join(
            f"\n--- {log.name}\n" + "\n".join(log.read_text(errors="replace").splitlines()[-8:])
            for log in sorted((folder / "log").glob("*.log"))
        )
        raise RuntimeError(f"{exc}\n{getattr(exc, 'stderr', '') or ''}{logs}") from None
    return f"http://127.0.0.1:{rgw_port}"


def start_ceph(folder: Path) -> Iterator[S3Server]:
    """Start Ceph RGW below ``folder``; stop it when the generator closes.

    A start that fails (a port taken between choosing and binding it) is tried once more.
    """
    if not all(shutil.which(tool) for tool in CEPH_PACKAGES):
        pytest.skip(NOT_INSTALLED)
    problems = []
    for attempt in range(2):
        cluster = folder / f"try{attempt}"
        try:
            endpoint = _start(cluster)
        except RuntimeError as exc:
            problems.append(str(exc))
            continue
        try:
            yield S3Server(endpoint=endpoint)
        finally:
            _stop(cluster)
        return
    pytest.fail("Ceph RGW is installed but did not start:\n" + "\n".join(problems))


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory) -> Iterator[S3Server]:
    endpoint = os.environ.get("CLASSVAULT_TEST_S3_ENDPOINT")
    if endpoint:
        yield S3Server(endpoint=endpoint.rstrip("/"))
        return
    # A short path: the admin sockets live in it and a Unix socket path is 108 bytes at most.
    folder = Path(tmp_path_factory.mktemp("ceph", numbered=True))
    yield from start_ceph(folder)


@dataclass
class Bucket:
    server: S3Server
    name: str
    prefix: str = "vault"

    @property
    def url(self) -> str:
        return f"s3://{self.name}/{self.prefix}?endpoint_url={self.server.endpoint}"

    def every_version(self) -> dict[tuple[str, str], bytes]:
        """Every version of every object in the bucket: {(key, version id): bytes}."""
        client = self.server.client()
        found = {}
        for page in client.get_paginator("list_object_versions").paginate(Bucket=self.name):
            for entry in page.get("Versions", []):
                body = client.get_object(
                    Bucket=self.name, Key=entry["Key"], VersionId=entry["VersionId"]
                )["Body"].read()
                found[(entry["Key"], entry["VersionId"])] = body
        return found

    def every_key(self) -> list[str]:
        """Every key with any version or delete marker left (sorted, with duplicates gone)."""
        client = self.server.client()
        keys = set()
        for page in client.get_paginator("list_object_versions").paginate(Bucket=self.name):
            for entry in [*page.get("Versions", []), *page.get("DeleteMarkers", [])]:
                keys.add(entry["Key"])
        return sorted(keys)

    def unfinished_uploads(self) -> list[str]:
        client = self.server.client()
        return [
            u["Key"] for u in client.list_multipart_uploads(Bucket=self.name).get("Uploads", [])
        ]


def s3_environment(monkeypatch) -> None:
    """The credentials the store reads, as a deployment would set them."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ACCESS_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_CONFIG_FILE"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def s3_bucket(s3_server, monkeypatch) -> Bucket:
    """A fresh versioned bucket; CLASSVAULT_STORAGE_URL is not changed (use ``s3_storage``)."""
    s3_environment(monkeypatch)
    bucket = Bucket(server=s3_server, name=f"cv-{uuid.uuid4().hex[:20]}")
    client = s3_server.client()
    client.create_bucket(Bucket=bucket.name)
    client.put_bucket_versioning(Bucket=bucket.name, VersioningConfiguration={"Status": "Enabled"})
    return bucket


@pytest.fixture
def s3_storage(s3_bucket, settings) -> Bucket:
    """The vault's blobs go to a fresh versioned bucket on the real S3 server."""
    settings.CLASSVAULT_STORAGE_URL = s3_bucket.url
    return s3_bucket
