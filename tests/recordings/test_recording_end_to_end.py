"""From outside, through HTTP only: upload, the in-process worker transcodes, Range streams
decode as video, and no plaintext byte of input or rendition is anywhere in the data home."""

import io
import json
import time

import av
import pytest

from support.liveserver import call, multipart, running_server, token_for
from support.media import make_video

pytestmark = pytest.mark.cli


def _samples(data: bytes, count: int = 64, width: int = 48) -> list[bytes]:
    """Windows spread over the data, skipping boring runs (all-equal bytes)."""
    step = max(1, (len(data) - width) // count)
    windows = [data[i : i + width] for i in range(256, len(data) - width, step)]
    return [w for w in windows if len(set(w)) > 8]


def test_upload_transcode_stream_and_nothing_plain_on_disk(tmp_path):
    home, scratch = tmp_path / "data", tmp_path / "tmp"
    scratch.mkdir()
    video = make_video(seconds=2.0, width=320, height=240)
    with running_server(home, worker=True, env_extra={"TMPDIR": str(scratch)}) as base:
        token = token_for(base, "sanne")
        assert call(base, "POST", "/api/v1/me/guidelines", token=token)[0] == 200
        body, content_type = multipart(
            {"title": "Gym", "recorded_at": "2026-11-20T10:00:00+01:00", "pupils": "[]"},
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
        recording_id = json.loads(created)["id"]
        deadline = time.monotonic() + 90
        while True:
            detail = json.loads(
                call(base, "GET", f"/api/v1/recordings/{recording_id}", token=token)[2]
            )
            if detail["status"] != "processing" or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        assert detail["status"] == "ready", detail

        path = f"/api/v1/recordings/{recording_id}/stream"
        status, headers, whole = call(base, "GET", path, token=token)
        assert status == 200 and headers["Cache-Control"].startswith("no-store")
        assert "Content-Disposition" not in headers
        for rng, expected in (
            (f"bytes=0-{len(whole) // 2}", whole[: len(whole) // 2 + 1]),
            (f"bytes={len(whole) // 2 + 1}-", whole[len(whole) // 2 + 1 :]),
            ("bytes=-1000", whole[-1000:]),
        ):
            status, headers, part = call(base, "GET", path, token=token, headers={"Range": rng})
            assert status == 206 and part == expected
        glued = (
            call(base, "GET", path, token=token, headers={"Range": "bytes=0-999"})[2]
            + call(base, "GET", path, token=token, headers={"Range": "bytes=1000-"})[2]
        )
        assert glued == whole
        with av.open(io.BytesIO(whole)) as container:
            assert sum(1 for _ in container.decode(video=0)) == 50

    needles = _samples(video) + _samples(whole)
    assert len(needles) > 60
    scanned = 0
    for root in (home, scratch):
        for file in root.rglob("*"):
            if file.is_file():
                content = file.read_bytes()
                scanned += 1
                leaks = [n for n in needles if n in content]
                assert not leaks, f"plaintext found in {file}"
    assert scanned >= 5
