"""Resumable uploads: chunks encrypted on arrival, resume after a drop, complete to a recording."""

import pytest
from django.test import TestCase

from classvault.recordings import resumable
from classvault.recordings.models import Recording, Upload
from classvault.vault.models import DataKey
from support.personas import Api, login


@pytest.fixture
def small_chunks(settings):
    settings.CLASSVAULT_UPLOAD_CHUNK_BYTES = 4096


def start(api, size):
    return api.post("/uploads", {"size": size, "filename": "les.mp4"})


def put(api, upload_id, data, start, size, declared_end=None):
    end = start + len(data) - 1 if declared_end is None else declared_end
    headers = {
        "Authorization": f"Bearer {api.token}",
        "Content-Range": f"bytes {start}-{end}/{size}",
    }
    with TestCase.captureOnCommitCallbacks(execute=True):
        return api.client.put(
            f"/api/v1/uploads/{upload_id}",
            data=data,
            content_type="application/octet-stream",
            headers=headers,
        )


def original_parts(vault_home, recording_id, purposes=("original",)):
    """The parts of the recording's one original, checked to be every blob in the vault
    beside the recording's other ``purposes`` (one blob each)."""
    live = DataKey.objects.filter(destroyed_at__isnull=True)
    assert sorted(live.values_list("purpose", flat=True)) == sorted(purposes)
    key = live.get(purpose="original")
    assert (str(key.object_id), key.sealed) == (recording_id, True)
    files = sorted(p for p in (vault_home / "blobs").rglob("*") if p.is_file())
    parts = [p for p in files if p.name.startswith(f"original.{key.pk.hex}.")]
    assert parts and len(files) - len(parts) == len(purposes) - 1
    assert {p.parent.name for p in files} == {recording_id}
    return parts


def send_all(api, upload_id, video, chunk=4096):
    for offset in range(0, len(video), chunk):
        response = put(api, upload_id, video[offset : offset + chunk], offset, len(video))
        assert response.status_code == 200, response.content
    return response


def test_chunked_upload_becomes_a_recording(studio, small_video, small_chunks, vault_home):
    api = login("sanne")
    created = start(api, len(small_video))
    assert created.status_code == 201
    upload_id = created.json()["id"]
    assert created.json()["chunk_size"] == 4096
    assert send_all(api, upload_id, small_video).json()["received"] == len(small_video)
    with TestCase.captureOnCommitCallbacks(execute=True):
        done = api.post(
            f"/uploads/{upload_id}/complete",
            {
                "title": "Les",
                "recorded_at": "2026-11-02T10:00:00+01:00",
                "pupils": [str(studio.pupils.ada.pk)],
            },
        )
    assert done.status_code == 201, done.content
    assert Recording.objects.filter(pk=done.json()["id"], status="processing").exists()
    assert not Upload.objects.exists()
    # Only the recording's original is in the vault: its chunks, encrypted into place as
    # they arrived, are its parts (one blob each), all under its one live data key.
    files = original_parts(vault_home, done.json()["id"])
    assert len(files) == -(-len(small_video) // 4096)
    for path in files:
        assert small_video[500:548] not in path.read_bytes()


def test_resume_after_a_dropped_chunk(studio, small_video, small_chunks):
    api = login("sanne")
    upload_id = start(api, len(small_video)).json()["id"]
    put(api, upload_id, small_video[:4096], 0, len(small_video))
    # The connection drops halfway through the second chunk: it is refused, nothing kept.
    cut = put(api, upload_id, small_video[4096:6000], 4096, len(small_video), declared_end=8191)
    assert cut.status_code == 422
    status = api.get(f"/uploads/{upload_id}").json()
    assert status["received"] == 4096
    send_rest = small_video[4096:]
    for offset in range(0, len(send_rest), 4096):
        put(api, upload_id, send_rest[offset : offset + 4096], 4096 + offset, len(small_video))
    assert api.get(f"/uploads/{upload_id}").json()["received"] == len(small_video)


def test_chunk_at_the_wrong_offset_is_409_with_the_resume_point(studio, small_chunks):
    api = login("sanne")
    upload_id = start(api, 10000).json()["id"]
    response = put(api, upload_id, b"x" * 4096, 4096, 10000)
    assert response.status_code == 409
    assert response.json()["received"] == 0


def test_missing_content_range_is_422(studio, small_chunks):
    api = login("sanne")
    upload_id = start(api, 10000).json()["id"]
    response = api.client.put(
        f"/api/v1/uploads/{upload_id}",
        data=b"x" * 4096,
        content_type="application/octet-stream",
        headers={"Authorization": f"Bearer {api.token}"},
    )
    assert response.status_code == 422


def test_completing_an_unfinished_upload_is_409(studio, small_chunks):
    api = login("sanne")
    upload_id = start(api, 10000).json()["id"]
    response = api.post(
        f"/uploads/{upload_id}/complete", {"title": "Les", "recorded_at": "2026-11-02"}
    )
    assert response.status_code == 409


def test_someone_elses_upload_is_404(studio, small_chunks):
    upload_id = start(login("sanne"), 10000).json()["id"]
    assert login("femke").get(f"/uploads/{upload_id}").status_code == 404
    assert put(login("femke"), upload_id, b"x" * 4096, 0, 10000).status_code == 404


@pytest.mark.parametrize("size", [0, -5])
def test_empty_upload_is_422(studio, size):
    assert start(login("sanne"), size).status_code == 422


def test_upload_needs_authentication_and_role(studio):
    assert start(Api(), 100).status_code == 401
    assert start(login("tom"), 100).status_code == 403


def test_stale_uploads_are_purged(studio, small_video, small_chunks, vault_home):
    from datetime import timedelta

    from support.personas import NOW

    api = login("sanne")
    upload_id = start(api, len(small_video)).json()["id"]
    put(api, upload_id, small_video[:4096], 0, len(small_video))
    with TestCase.captureOnCommitCallbacks(execute=True):
        assert resumable.uploads_purge_stale(now=NOW + timedelta(days=3)) == 1
    assert not Upload.objects.exists()
    assert [p for p in (vault_home / "blobs").rglob("*") if p.is_file()] == []
