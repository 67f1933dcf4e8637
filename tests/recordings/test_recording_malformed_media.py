"""Malformed media is refused with 422 and leaves nothing behind: no recording row, no upload
row, no blob (not even a folder), no data key in force, no temporary file; through the
multipart upload and through the resumable upload alike.

The files are made here, deterministically: truncated, random bytes, zero-length, a huge
declared picture, an audio-only file, an MP4 header followed by garbage.
"""

import io
import random
import tempfile

import av
import numpy as np
import pytest
from django.test import TestCase

from classvault.recordings.models import Recording, Upload
from classvault.vault.models import DataKey
from support.personas import login
from support.recordings import upload

NOW_ISO = "2026-11-02T10:00:00+01:00"


def _wav() -> bytes:
    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format="wav") as out:
        stream = out.add_stream("pcm_s16le", rate=8000)
        stream.layout = "mono"
        frame = av.AudioFrame.from_ndarray(
            np.zeros((1, 8000), dtype=np.int16), format="s16", layout="mono"
        )
        frame.rate = 8000
        for packet in stream.encode(frame):
            out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return buffer.getvalue()


def malformed(kind: str, video: bytes) -> bytes:
    rng = random.Random(kind)  # the same bytes on every run
    if kind == "truncated":
        return video[: len(video) // 2]
    if kind == "truncated_header":
        return video[:64]
    if kind == "random":
        return rng.randbytes(20_000)
    if kind == "zero_length":
        return b""
    if kind == "huge_dimensions":
        # A raw YUV4MPEG2 stream that declares a 60000x60000 picture: no decoder may try
        # to allocate it.
        return b"YUV4MPEG2 W60000 H60000 F25:1 Ip A1:1 C420jpeg\nFRAME\n" + rng.randbytes(4096)
    if kind == "audio_only":
        return _wav()
    if kind == "mp4_header_garbage":
        return video[:32] + rng.randbytes(20_000)
    if kind == "mp4_boxes_scrambled":
        data = bytearray(video)
        for _ in range(200):
            data[rng.randrange(32, len(data))] = rng.randrange(256)
        return bytes(data[: len(data) * 2 // 3])
    raise AssertionError(kind)


KINDS = [
    "truncated",
    "truncated_header",
    "random",
    "zero_length",
    "huge_dimensions",
    "audio_only",
    "mp4_header_garbage",
    "mp4_boxes_scrambled",
]


@pytest.fixture
def private_tmp(tmp_path, monkeypatch):
    """A temporary directory of this test's own, for Python and for FFmpeg: every temporary
    file the refused upload might make lands here, where the test can look."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setenv("TMPDIR", str(folder))
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def assert_nothing_kept(vault_home, private_tmp):
    assert not Recording.objects.exists()
    assert not Upload.objects.exists()
    assert list((vault_home / "blobs").rglob("*")) == []
    assert not DataKey.objects.filter(destroyed_at__isnull=True).exists()
    assert list(private_tmp.rglob("*")) == []


@pytest.mark.parametrize("kind", KINDS)
def test_a_malformed_multipart_upload_is_422_and_nothing_is_kept(
    studio, small_video, vault_home, private_tmp, kind
):
    response = upload(login("sanne"), malformed(kind, small_video), pupils=[studio.pupils.ada.pk])
    assert response.status_code == 422, response.content
    assert response.json()["detail"]
    assert_nothing_kept(vault_home, private_tmp)


def _put(api, upload_id, data, start, size):
    headers = {
        "Authorization": f"Bearer {api.token}",
        "Content-Range": f"bytes {start}-{start + len(data) - 1}/{size}",
    }
    with TestCase.captureOnCommitCallbacks(execute=True):
        return api.client.put(
            f"/api/v1/uploads/{upload_id}",
            data=data,
            content_type="application/octet-stream",
            headers=headers,
        )


@pytest.mark.parametrize("kind", [k for k in KINDS if k != "zero_length"])
def test_a_malformed_resumable_upload_is_422_on_completion_and_nothing_is_kept(
    studio, small_video, vault_home, private_tmp, settings, kind
):
    settings.CLASSVAULT_UPLOAD_CHUNK_BYTES = 4096
    data = malformed(kind, small_video)
    api = login("sanne")
    created = api.post("/uploads", {"size": len(data), "filename": "les.mp4"})
    assert created.status_code == 201, created.content
    upload_id = created.json()["id"]
    for offset in range(0, len(data), 4096):
        chunk = data[offset : offset + 4096]
        assert _put(api, upload_id, chunk, offset, len(data)).status_code == 200

    with TestCase.captureOnCommitCallbacks(execute=True):
        done = api.post(
            f"/uploads/{upload_id}/complete",
            {"title": "Les", "recorded_at": NOW_ISO, "pupils": [str(studio.pupils.ada.pk)]},
        )

    assert done.status_code == 422, done.content
    assert done.json()["detail"]
    # A file that is no video cannot be mended by completing again: its chunks go at once.
    assert_nothing_kept(vault_home, private_tmp)


def test_a_zero_length_resumable_upload_is_refused_at_the_start(studio, vault_home, private_tmp):
    assert login("sanne").post("/uploads", {"size": 0, "filename": "les.mp4"}).status_code == 422
    assert_nothing_kept(vault_home, private_tmp)
