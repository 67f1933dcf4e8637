"""Issue 15, done when: a deployment across machines, from outside. `classvault serve` on
PostgreSQL with its blobs in a real S3 bucket (Ceph RGW, versioned), two separate
`classvault worker` processes: upload → the workers transcode → ranged streams → share →
the trainer streams → the sweep deletes it. The bucket only ever holds ciphertext (every
version is scanned for the plaintext), and after the sweep not one version or delete
marker of the recording is left."""

import json
import signal
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager

import psycopg
import pytest
from django.conf import settings

from support.liveserver import call, clean_env, multipart, running_server, token_for
from support.media import make_video
from support.s3 import ACCESS_KEY, SECRET_KEY

pytestmark = pytest.mark.postgres


def _samples(data: bytes, count: int = 64, width: int = 48) -> list[bytes]:
    """Windows spread over the data, skipping boring runs (all-equal bytes)."""
    step = max(1, (len(data) - width) // count)
    windows = [data[i : i + width] for i in range(256, len(data) - width, step)]
    return [w for w in windows if len(set(w)) > 8]


@contextmanager
def fresh_database():
    """A database of its own on the test's PostgreSQL server, dropped afterwards."""
    db = settings.DATABASES["default"]
    params = {
        "host": db.get("HOST") or "127.0.0.1",
        "port": db.get("PORT") or 5432,
        "user": db.get("USER") or "postgres",
        "password": db.get("PASSWORD") or None,
        "dbname": "postgres",
        "autocommit": True,
    }
    name = f"cv_e2e_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(**params) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        password = f":{params['password']}" if params["password"] else ""
        yield f"postgresql://{params['user']}{password}@{params['host']}:{params['port']}/{name}"
    finally:
        with psycopg.connect(**params) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def workers(env: dict, count: int):
    cli = [sys.executable, "-m", "classvault.cli", "worker", "--interval", "0.2"]
    procs = [
        subprocess.Popen(
            [*cli, "--retention-every", "0"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        for _ in range(count)
    ]
    try:
        yield procs
    finally:
        for proc in procs:
            proc.send_signal(signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()


def upload(base: str, token: str, video: bytes, title: str) -> str:
    body, content_type = multipart(
        {"title": title, "recorded_at": "2026-11-20T10:00:00+01:00", "pupils": "[]"},
        {"file": ("les.mp4", video, "video/mp4")},
    )
    status, _, created = call(
        base,
        "POST",
        "/api/v1/recordings",
        token=token,
        data=body,
        headers={"Content-Type": content_type},
    )
    assert status == 201, created
    return json.loads(created)["id"]


def wait_ready(base: str, token: str, recording_id: str) -> dict:
    deadline = time.monotonic() + 180
    while True:
        detail = json.loads(call(base, "GET", f"/api/v1/recordings/{recording_id}", token=token)[2])
        if detail["status"] != "processing" or time.monotonic() > deadline:
            return detail
        time.sleep(0.5)


def test_upload_stream_share_sweep_on_postgresql_and_s3_with_two_workers(request, tmp_path):
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        pytest.skip("runs in the PostgreSQL pass of make test (DATABASE_URL=postgresql://…)")
    s3_bucket = request.getfixturevalue("s3_bucket")  # Ceph starts only when it is needed
    home, scratch = tmp_path / "data", tmp_path / "tmp"
    scratch.mkdir()
    videos = [make_video(seconds=2.0, width=w, height=240) for w in (320, 336)]
    with fresh_database() as database_url:
        env_extra = {
            "DATABASE_URL": database_url,
            "CLASSVAULT_STORAGE_URL": s3_bucket.url,
            "AWS_ACCESS_KEY_ID": ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
            "AWS_DEFAULT_REGION": "us-east-1",
            # Anything a process writes to a temporary file lands here, to be scanned.
            "TMPDIR": str(scratch),
        }
        env = clean_env(home, **env_extra)
        with (
            running_server(home, worker=False, env_extra=env_extra) as base,
            workers(env, 2) as procs,
        ):
            sanne = token_for(base, "sanne")
            assert call(base, "POST", "/api/v1/me/guidelines", token=sanne)[0] == 200
            ids = [upload(base, sanne, video, f"Les {i}") for i, video in enumerate(videos)]
            for recording_id in ids:
                detail = wait_ready(base, sanne, recording_id)
                assert detail["status"] == "ready", detail
            assert all(proc.poll() is None for proc in procs), "a worker died"

            recording_id = ids[0]
            path = f"/api/v1/recordings/{recording_id}/stream"
            status, headers, whole = call(base, "GET", path, token=sanne)
            assert status == 200 and headers["Cache-Control"].startswith("no-store")
            middle = len(whole) // 2
            for rng, expected in (
                (f"bytes=0-{middle}", whole[: middle + 1]),
                (f"bytes={middle + 1}-", whole[middle + 1 :]),
                ("bytes=-1000", whole[-1000:]),
                ("bytes=1000-1999", whole[1000:2000]),
            ):
                status, headers, part = call(base, "GET", path, token=sanne, headers={"Range": rng})
                assert status == 206 and part == expected, rng

            olga = token_for(base, "olga")
            assert call(base, "GET", path, token=olga)[0] == 404  # not shared yet
            shared = call(
                base,
                "POST",
                f"/api/v1/recordings/{recording_id}/shares",
                token=sanne,
                body={"username": "olga"},
            )
            assert shared[0] == 201, shared
            status, _, part = call(base, "GET", path, token=olga, headers={"Range": "bytes=0-99"})
            assert status == 206 and part == whole[:100]

            # The bucket, every version of every object: only ciphertext.
            stored = s3_bucket.every_version()
            mine = [key for key, _version in stored if f"/{recording_id}/" in key]
            assert len(mine) >= 2, sorted(stored)  # at least its original and rendition
            needles = [n for video in videos for n in _samples(video)] + _samples(whole)
            assert len(needles) > 100
            for (key, _version), content in stored.items():
                assert not [n for n in needles if n in content], f"plaintext in {key}"

            swept = subprocess.run(
                [sys.executable, "-m", "classvault.cli", "sweep", "--now", "2100-01-01"],
                env=env,
                capture_output=True,
                text=True,
                timeout=120,
                check=True,
            )
            assert set(ids) <= set(swept.stdout.split())
            assert call(base, "GET", path, token=sanne)[0] == 404

        leftover = [key for key in s3_bucket.every_key() if any(i in key for i in ids)]
        assert leftover == [], "versions or delete markers of the recordings are left"
        assert s3_bucket.unfinished_uploads() == []
    # Nor did a plaintext byte touch a temporary file of any process.
    for file in scratch.rglob("*"):
        if file.is_file():
            content = file.read_bytes()
            assert not [n for n in needles if n in content], f"plaintext in {file}"
