"""Checks before sending, resume without re-sending, and recordings made in the browser.

An upload starts with its details (title, date, pupils present, size, duration): every
refusal that needs no video comes then, before a byte of the file is sent. A retry of the
same file (its fingerprint) continues the same upload at the offset the server has. A live
recording sends chunks while it runs; what arrived can be kept or discarded.
"""

import uuid
from datetime import datetime, timedelta

import pytest
from django.test import TestCase
from test_recording_resumable_upload import original_parts, put, send_all

from classvault.audit.actions import AuditAction
from classvault.people.models import GuidelinesAcknowledgement
from classvault.recordings.models import Recording, Upload
from classvault.recordings.processing import recording_process
from classvault.vault.models import DataKey
from support.audit import assert_audited
from support.media import make_video
from support.personas import TODAY, login
from support.vault import blob_files, plaintext

CHUNK = 4096


@pytest.fixture(autouse=True)
def small_chunks(settings):
    settings.CLASSVAULT_UPLOAD_CHUNK_BYTES = CHUNK
    settings.CLASSVAULT_RECORD_CHUNK_BYTES = CHUNK


@pytest.fixture(scope="module")
def webm():
    """What a browser's MediaRecorder makes: VP8 and Opus in WebM."""
    return make_video(seconds=2.0, container="webm", codec="libvpx", audio_codec="libopus")


def details(studio, **overrides):
    body = {
        "title": "Rekenles 5A",
        "recorded_at": "2026-11-02T09:00:00+01:00",
        "pupils": [str(studio.pupils.ada.pk)],
        "attest_out_of_view": [],
    }
    return body | overrides


def start(api, size, studio=None, **extra):
    body = {"size": size, "filename": "les.mp4"}
    if studio is not None:
        body |= details(studio)
    body |= extra
    return api.post("/uploads", body)


def nothing_stored(vault_home):
    assert not Upload.objects.exists()
    assert not DataKey.objects.exists()
    assert blob_files(vault_home) == []


# --- refused when it starts, before the body is sent ---------------------------------------


def test_a_pupil_without_consent_is_refused_at_the_start(studio, vault_home):
    response = start(
        login("sanne"), 50_000, studio, pupils=[str(studio.pupils.cas.pk)], attest_out_of_view=[]
    )
    assert response.status_code == 409
    assert response.json()["pupils_without_consent"] == [str(studio.pupils.cas.pk)]
    nothing_stored(vault_home)


def test_an_attested_pupil_without_consent_may_start(studio):
    body = details(studio, attest_out_of_view=[str(studio.pupils.cas.pk)])
    response = login("sanne").post("/uploads", {"size": 50_000, **body})
    assert response.status_code == 201, response.content


@pytest.mark.parametrize(
    "override",
    [
        {"recorded_at": "2026-11-04T09:00:00+01:00"},  # tomorrow
        {"recorded_at": "2020-01-01"},  # its retention already ended
        {"recorded_at": "not a date"},
        {"title": "   "},
    ],
)
def test_a_bad_date_or_title_is_422_at_the_start(studio, vault_home, override):
    response = login("sanne").post("/uploads", {"size": 50_000, **details(studio, **override)})
    assert response.status_code == 422, response.content
    nothing_stored(vault_home)


def test_a_file_over_the_size_limit_is_413_at_the_start(studio, vault_home, settings):
    settings.CLASSVAULT_MAX_UPLOAD_BYTES = 100_000
    response = start(login("sanne"), 100_001, studio)
    assert response.status_code == 413
    assert "100000" not in response.json()["detail"]  # said in MiB, not in bytes
    nothing_stored(vault_home)
    assert start(login("sanne"), 100_000, studio).status_code == 201


def test_a_file_over_the_duration_limit_is_422_at_the_start(studio, vault_home, settings):
    settings.CLASSVAULT_MAX_RECORDING_SECONDS = 3600
    response = start(login("sanne"), 50_000, studio, duration_seconds=3601)
    assert response.status_code == 422
    assert "60" in response.json()["detail"]
    nothing_stored(vault_home)


def test_a_video_longer_than_the_limit_is_refused_when_completed(
    studio, small_video, vault_home, settings
):
    """A browser that did not say (or lied about) the duration meets the same limit."""
    settings.CLASSVAULT_MAX_RECORDING_SECONDS = 0
    api = login("sanne")
    upload_id = start(api, len(small_video), studio).json()["id"]
    send_all(api, upload_id, small_video)
    assert api.post(f"/uploads/{upload_id}/complete").status_code == 422
    assert not Recording.objects.exists()


def test_without_accepted_guidelines_the_start_is_409(studio, vault_home):
    GuidelinesAcknowledgement.objects.filter(user=studio.student).delete()
    assert start(login("sanne"), 50_000, studio).status_code == 409
    nothing_stored(vault_home)


@pytest.mark.parametrize("username", ["tom", "mira", "piet", "saskia", "anna"])
def test_other_roles_may_not_start_an_upload(studio, username):
    assert start(login(username), 50_000, studio).status_code == 403
    assert login(username).get("/uploads").status_code == 403


def test_a_pupil_of_another_school_is_not_present_at_the_start(studio):
    """The pupils present are looked up at the student teacher's school only."""
    response = start(login("sanne"), 50_000, studio, pupils=[str(studio.pupils.eva.pk)])
    assert response.status_code in (201, 409, 422)
    assert "Eva" not in response.content.decode()


def test_the_multipart_upload_over_the_limit_is_413_before_its_body_is_read(
    studio, vault_home, settings
):
    settings.CLASSVAULT_MAX_UPLOAD_BYTES = 1000
    api = login("sanne")
    response = api.client.post(
        "/api/v1/recordings",
        data=b"x" * 10,
        content_type="multipart/form-data; boundary=xyz",
        headers={"Authorization": f"Bearer {api.token}"},
        CONTENT_LENGTH=str(1000 + (1 << 20) + 1),
    )
    assert response.status_code == 413
    nothing_stored(vault_home)


# --- resume, never re-send ------------------------------------------------------------------


def test_a_retry_of_the_same_file_continues_at_the_received_offset(studio, small_video):
    api = login("sanne")
    fingerprint = f"les.mp4|{len(small_video)}|1762070400000"
    first = start(api, len(small_video), studio, fingerprint=fingerprint)
    assert first.status_code == 201
    upload_id = first.json()["id"]
    put(api, upload_id, small_video[:CHUNK], 0, len(small_video))
    put(api, upload_id, small_video[CHUNK : 2 * CHUNK], CHUNK, len(small_video))
    # The page was left; the same file is chosen again: same upload, two chunks in.
    again = start(api, len(small_video), studio, fingerprint=fingerprint)
    assert again.status_code == 200
    assert again.json()["id"] == upload_id and again.json()["received"] == 2 * CHUNK
    # Sending from the start again is refused with the resume point; nothing is re-sent.
    assert put(api, upload_id, small_video[:CHUNK], 0, len(small_video)).json()["received"] == (
        2 * CHUNK
    )
    rest = small_video[2 * CHUNK :]
    for offset in range(0, len(rest), CHUNK):
        response = put(
            api, upload_id, rest[offset : offset + CHUNK], 2 * CHUNK + offset, len(small_video)
        )
        assert response.status_code == 200
    with TestCase.captureOnCommitCallbacks(execute=True):
        done = api.post(f"/uploads/{upload_id}/complete")  # the details came with the start
    assert done.status_code == 201, done.content
    assert plaintext(done.json()["id"]) == small_video
    assert Upload.objects.count() == 0


def test_another_file_or_another_person_starts_a_new_upload(studio):
    api = login("sanne")
    first = start(api, 50_000, studio, fingerprint="a.mp4|50000|1").json()["id"]
    assert start(api, 50_001, studio, fingerprint="a.mp4|50000|1").json()["id"] != first
    assert start(api, 50_000, studio, fingerprint="b.mp4|50000|1").json()["id"] != first
    other = login("femke").post(
        "/uploads", {"size": 50_000, "fingerprint": "a.mp4|50000|1", "filename": "a.mp4"}
    )
    assert other.status_code in (201, 409) and other.json().get("id") != first


def test_a_chunk_being_written_is_not_written_twice_at_once(studio, small_video):
    api = login("sanne")
    upload_id = start(api, len(small_video), studio).json()["id"]
    # Another request is writing the first chunk right now (its claim holds).
    Upload.objects.filter(pk=upload_id).update(
        writing_token=uuid.uuid4(), writing_until=TODAY + timedelta(minutes=5)
    )
    response = put(api, upload_id, small_video[:CHUNK], 0, len(small_video))
    assert response.status_code == 409 and response.json()["received"] == 0


def test_an_interrupted_chunk_leaves_nothing_half_written(studio, small_video, vault_home):
    api = login("sanne")
    upload_id = start(api, len(small_video), studio).json()["id"]
    put(api, upload_id, small_video[:CHUNK], 0, len(small_video))
    before = blob_files(vault_home)
    cut = put(
        api,
        upload_id,
        small_video[CHUNK : CHUNK + 1000],
        CHUNK,
        len(small_video),
        declared_end=2 * CHUNK - 1,
    )
    assert cut.status_code == 422 and cut.json()["received"] == CHUNK
    assert blob_files(vault_home) == before
    assert [p for p in (vault_home / "blobs").rglob(".*")] == []  # no temporary file
    assert Upload.objects.get(pk=upload_id).writing_token is None


def test_discarding_an_upload_shreds_what_it_received(studio, small_video, vault_home):
    api = login("sanne")
    upload_id = start(api, len(small_video), studio).json()["id"]
    put(api, upload_id, small_video[:CHUNK], 0, len(small_video))
    assert login("femke").delete(f"/uploads/{upload_id}").status_code == 404
    with TestCase.captureOnCommitCallbacks(execute=True):
        assert api.delete(f"/uploads/{upload_id}").status_code == 204
    assert not Upload.objects.exists()
    assert blob_files(vault_home) == []
    assert DataKey.objects.get().destroyed_at is not None
    assert_audited(AuditAction.VAULT_KEY_DESTROY, actor="sanne")


def test_discarding_also_removes_what_a_killed_request_left_half_written(
    studio, small_video, vault_home
):
    api = login("sanne")
    upload_id = start(api, len(small_video), studio).json()["id"]
    put(api, upload_id, small_video[:CHUNK], 0, len(small_video))
    # A request killed while writing the second part leaves its unfinished (hidden) file.
    [part] = blob_files(vault_home)
    leftover = part.with_name("." + part.name.replace("000000", "000001") + ".0123abcd.tmp")
    leftover.write_bytes(b"\x00" * 100)
    with TestCase.captureOnCommitCallbacks(execute=True):
        assert api.delete(f"/uploads/{upload_id}").status_code == 204
    assert [p for p in (vault_home / "blobs").rglob("*") if p.is_file()] == []


def test_an_upload_being_written_is_not_discarded_under_the_writer(studio, small_video):
    api = login("sanne")
    upload_id = start(api, len(small_video), studio).json()["id"]
    Upload.objects.filter(pk=upload_id).update(
        writing_token=uuid.uuid4(), writing_until=TODAY + timedelta(minutes=5)
    )
    assert api.delete(f"/uploads/{upload_id}").status_code == 409
    assert Upload.objects.filter(pk=upload_id).exists()


# --- recorded in the browser (live) -----------------------------------------------------------


def live_put(api, upload_id, data, start, total=None):
    end = start + len(data) - 1
    content_range = f"bytes */{total}" if not data else f"bytes {start}-{end}/{total or '*'}"
    with TestCase.captureOnCommitCallbacks(execute=True):
        return api.client.put(
            f"/api/v1/uploads/{upload_id}",
            data=data,
            content_type="application/octet-stream",
            headers={"Authorization": f"Bearer {api.token}", "Content-Range": content_range},
        )


def live_start(api, studio):
    return api.post("/uploads", {"kind": "live", "filename": "opname.webm", **details(studio)})


def test_a_live_recording_stopped_becomes_a_ready_mp4(studio, webm, vault_home):
    api = login("sanne")
    created = live_start(api, studio)
    assert created.status_code == 201, created.content
    upload_id = created.json()["id"]
    assert created.json()["size"] is None and created.json()["kind"] == "live"
    whole = len(webm) - len(webm) % CHUNK
    for offset in range(0, whole, CHUNK):
        assert live_put(api, upload_id, webm[offset : offset + CHUNK], offset).status_code == 200
    # Stop: the rest, with the total size.
    stopped = live_put(api, upload_id, webm[whole:], whole, total=len(webm))
    assert stopped.json()["finished"] and stopped.json()["size"] == len(webm)
    with TestCase.captureOnCommitCallbacks(execute=True):
        done = api.post(f"/uploads/{upload_id}/complete")
    assert done.status_code == 201, done.content
    recording_id = done.json()["id"]
    assert plaintext(recording_id) == webm
    assert recording_process(recording_id=recording_id, now=TODAY) == "ready"
    rendition = plaintext(recording_id, "rendition")
    assert rendition[4:8] == b"ftyp" and b"avc1" in rendition[:4000]
    original_parts(vault_home, recording_id, purposes={"original", "rendition", "poster"})


def test_a_live_recording_stopped_on_a_chunk_border_is_sealed(studio, webm):
    api = login("sanne")
    upload_id = live_start(api, studio).json()["id"]
    data = webm[: 5 * CHUNK]
    for offset in range(0, len(data), CHUNK):
        live_put(api, upload_id, data[offset : offset + CHUNK], offset)
    assert live_put(api, upload_id, b"", len(data), total=len(data)).json()["finished"]
    with TestCase.captureOnCommitCallbacks(execute=True):
        done = api.post(f"/uploads/{upload_id}/complete")
    assert done.status_code == 201, done.content
    assert plaintext(done.json()["id"]) == data


def test_after_a_closed_tab_what_was_received_can_be_kept(studio, webm):
    api = login("sanne")
    upload_id = live_start(api, studio).json()["id"]
    for offset in range(0, 4 * CHUNK, CHUNK):
        live_put(api, upload_id, webm[offset : offset + CHUNK], offset)
    # The tab closed: the recording never stopped. Coming back, she sees it in her list.
    [open_upload] = api.get("/uploads").json()
    assert open_upload["id"] == upload_id and open_upload["received"] == 4 * CHUNK
    assert not open_upload["finished"]
    with TestCase.captureOnCommitCallbacks(execute=True):
        done = api.post(f"/uploads/{upload_id}/complete")
    assert done.status_code == 201, done.content
    assert plaintext(done.json()["id"]) == webm[: 4 * CHUNK]
    assert recording_process(recording_id=done.json()["id"], now=TODAY) == "ready"


def test_a_live_chunk_of_the_wrong_size_or_over_the_limit_is_refused(studio, webm, settings):
    api = login("sanne")
    upload_id = live_start(api, studio).json()["id"]
    assert live_put(api, upload_id, webm[:100], 0).status_code == 422
    settings.CLASSVAULT_MAX_UPLOAD_BYTES = 2 * CHUNK
    live_put(api, upload_id, webm[:CHUNK], 0)
    live_put(api, upload_id, webm[CHUNK : 2 * CHUNK], CHUNK)
    assert live_put(api, upload_id, webm[2 * CHUNK : 3 * CHUNK], 2 * CHUNK).status_code == 413


def test_a_live_recording_is_recorded_from_the_start_by_the_servers_clock(studio):
    body = details(studio)
    del body["recorded_at"]
    created = login("sanne").post("/uploads", {"kind": "live", **body})
    assert created.status_code == 201, created.content
    recorded_at = datetime.fromisoformat(created.json()["recorded_at"].replace("Z", "+00:00"))
    assert recorded_at == TODAY
    refused = login("sanne").post(
        "/uploads", {"kind": "live", **body, "pupils": [str(studio.pupils.cas.pk)]}
    )
    assert refused.status_code == 409


def test_a_recording_with_nothing_received_cannot_be_kept(studio):
    api = login("sanne")
    upload_id = live_start(api, studio).json()["id"]
    assert api.post(f"/uploads/{upload_id}/complete").status_code == 409
