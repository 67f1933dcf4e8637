"""Storage per student teacher (issue 12): checked when an upload starts, decided when it
becomes a recording (her row locked), and a browser recording stops at it."""

from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.test import TestCase
from django.test.client import encode_multipart
from test_recording_resumable_upload import send_all

from classvault.recordings.models import Recording, Upload
from classvault.recordings.quota import storage_use
from classvault.vault.models import DataKey
from support.personas import NOW, TODAY, login, web_login
from support.recordings import make_recording, upload

CHUNK = 4096
GB = 1_000_000_000


@pytest.fixture(autouse=True)
def small_chunks(settings):
    settings.CLASSVAULT_UPLOAD_CHUNK_BYTES = CHUNK
    settings.CLASSVAULT_RECORD_CHUNK_BYTES = CHUNK


def start(api, size, **extra):
    return api.post("/uploads", {"size": size, "filename": "les.mp4"} | extra)


def stored_recording(owner, size):
    """A recording of ``owner`` whose original took ``size`` bytes."""
    recording = make_recording(owner)
    Recording.objects.filter(pk=recording.pk).update(original_size=size)
    return recording


def nothing_kept():
    assert not Upload.objects.exists()
    assert not DataKey.objects.filter(destroyed_at__isnull=True, purpose="original").exclude(
        object_id__in=[str(pk) for pk in Recording.objects.values_list("pk", flat=True)]
    )


# --- when the upload starts -----------------------------------------------------------------


def test_refused_at_the_start_before_any_byte_with_what_is_used(studio, settings):
    settings.CLASSVAULT_QUOTA_BYTES = 10 * GB
    stored_recording(studio.student, 9 * GB)
    response = start(login("sanne"), 2 * GB)
    assert response.status_code == 413, response.content
    body = response.json()
    assert (body["used_bytes"], body["quota_bytes"]) == (9 * GB, 10 * GB)
    assert "9,0 van 10,0 GB" in body["detail"] and "2,0 GB nodig" in body["detail"]
    assert "Verwijder oude opnames" in body["detail"] and "instituut" in body["detail"]
    nothing_kept()


def english(api):
    api.client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    return api


def test_the_refusal_in_english_on_request(studio, settings):
    settings.CLASSVAULT_QUOTA_BYTES = 10 * GB
    stored_recording(studio.student, 9 * GB)
    response = start(english(login("sanne")), 2 * GB)
    assert response.status_code == 413
    detail = response.json()["detail"]
    assert "9.0 of 10.0 GB" in detail and "2.0 GB more" in detail, detail
    assert "Delete old recordings" in detail and "institute" in detail


def test_exactly_at_the_limit_is_allowed_and_becomes_a_recording(studio, small_video, settings):
    settings.CLASSVAULT_QUOTA_BYTES = 1000 + len(small_video)
    stored_recording(studio.student, 1000)
    api = login("sanne")
    created = start(api, len(small_video))
    assert created.status_code == 201, created.content
    upload_id = created.json()["id"]
    send_all(api, upload_id, small_video)
    body = {"title": "Les", "recorded_at": NOW.isoformat(), "pupils": [str(studio.pupils.ada.pk)]}
    with TestCase.captureOnCommitCallbacks(execute=True):
        done = api.post(f"/uploads/{upload_id}/complete", body)
    assert done.status_code == 201, done.content
    assert storage_use(owner=studio.student, now=TODAY).used == settings.CLASSVAULT_QUOTA_BYTES
    # Full now: one byte more is refused.
    assert start(api, 1).status_code == 413


def test_open_uploads_count_until_discarded(studio, settings):
    settings.CLASSVAULT_QUOTA_BYTES = 10 * GB
    api = login("sanne")
    first = start(api, 6 * GB)
    assert first.status_code == 201
    assert start(api, 5 * GB).status_code == 413
    assert api.delete(f"/uploads/{first.json()['id']}").status_code == 204
    assert start(api, 5 * GB).status_code == 201


def test_the_same_file_continues_its_upload_without_counting_twice(studio, settings):
    settings.CLASSVAULT_QUOTA_BYTES = 6 * GB
    api = login("sanne")
    assert start(api, 5 * GB, fingerprint="les.mp4|5|1").status_code == 201
    again = start(api, 5 * GB, fingerprint="les.mp4|5|1")
    assert again.status_code == 200, again.content


def test_no_quota_when_zero(studio, settings):
    settings.CLASSVAULT_QUOTA_BYTES = 0
    stored_recording(studio.student, 15 * GB)
    assert start(login("sanne"), 16 * GB).status_code == 201


# --- freed by deleting and by expiry ----------------------------------------------------------


def test_deleting_a_recording_frees_its_space(studio, settings):
    settings.CLASSVAULT_QUOTA_BYTES = 10 * GB
    old = stored_recording(studio.student, 9 * GB)
    api = login("sanne")
    assert start(api, 2 * GB).status_code == 413
    with TestCase.captureOnCommitCallbacks(execute=True):
        assert api.delete(f"/recordings/{old.pk}").status_code == 204
    assert start(api, 2 * GB).status_code == 201


def test_an_expired_recording_no_longer_counts(studio, settings):
    settings.CLASSVAULT_QUOTA_BYTES = 10 * GB
    old = stored_recording(studio.student, 9 * GB)
    api = login("sanne")
    assert start(api, 2 * GB).status_code == 413
    Recording.objects.filter(pk=old.pk).update(expires_at=TODAY - timedelta(minutes=1))
    assert start(api, 2 * GB).status_code == 201


def test_someone_elses_recordings_do_not_count(studio, settings):
    settings.CLASSVAULT_QUOTA_BYTES = 10 * GB
    stored_recording(studio.fellow, 9 * GB)
    assert start(login("sanne"), 2 * GB).status_code == 201


# --- multipart --------------------------------------------------------------------------------


def test_multipart_refused_on_its_announced_length_before_the_body_is_read(
    studio, settings, vault_home
):
    settings.CLASSVAULT_QUOTA_BYTES = 10 * 1024 * 1024
    api = login("sanne")
    body = encode_multipart("BoUnDaRy", {"title": "Les", "recorded_at": NOW.isoformat()})
    # The body is far shorter than announced: had it been read, it would be cut off (422).
    response = api.client.post(
        "/api/v1/recordings",
        data=body,
        content_type="multipart/form-data; boundary=BoUnDaRy",
        headers={"Authorization": f"Bearer {api.token}"},
        CONTENT_LENGTH=str(12 * 1024 * 1024),
    )
    assert response.status_code == 413, response.content
    assert response.json()["quota_bytes"] == 10 * 1024 * 1024
    assert not Recording.objects.exists()
    assert not DataKey.objects.exists()


def test_multipart_refused_when_it_arrives_and_nothing_is_kept(studio, small_video, settings):
    settings.CLASSVAULT_QUOTA_BYTES = 1000 + len(small_video) - 1
    stored_recording(studio.student, 1000)
    response = upload(login("sanne"), small_video, pupils=[studio.pupils.ada.pk])
    assert response.status_code == 413, response.content
    assert Recording.objects.count() == 1
    assert DataKey.objects.filter(destroyed_at__isnull=True, purpose="original").count() == 1


def test_multipart_exactly_at_the_limit_is_allowed(studio, small_video, settings):
    settings.CLASSVAULT_QUOTA_BYTES = 1000 + len(small_video)
    stored_recording(studio.student, 1000)
    response = upload(login("sanne"), small_video, pupils=[studio.pupils.ada.pk])
    assert response.status_code == 201, response.content


# --- a recording made in the browser --------------------------------------------------------


def live_put(api, upload_id, data, offset):
    headers = {
        "Authorization": f"Bearer {api.token}",
        "Content-Range": f"bytes {offset}-{offset + len(data) - 1}/*",
    }
    return api.client.put(
        f"/api/v1/uploads/{upload_id}",
        data=data,
        content_type="application/octet-stream",
        headers=headers,
    )


def test_a_live_recording_stops_at_the_quota(studio, settings):
    settings.CLASSVAULT_QUOTA_BYTES = 3 * CHUNK
    api = english(login("sanne"))
    created = api.post("/uploads", {"kind": "live", "filename": "opname.webm", "title": "Les"})
    assert created.status_code == 201, created.content
    upload_id = created.json()["id"]
    for index in range(3):
        assert live_put(api, upload_id, b"x" * CHUNK, index * CHUNK).status_code == 200
    refused = live_put(api, upload_id, b"x" * CHUNK, 3 * CHUNK)
    assert refused.status_code == 413, refused.content
    assert "Your storage is full" in refused.json()["detail"]
    # What arrived is still there, to keep or discard; nothing more was taken.
    assert Upload.objects.get(pk=upload_id).received == 3 * CHUNK
    # And no new recording can start while it is full.
    again = api.post("/uploads", {"kind": "live", "filename": "opname.webm", "title": "Les 2"})
    assert again.status_code == 413
    assert api.delete(f"/uploads/{upload_id}").status_code == 204


def test_a_live_recording_counts_what_arrived(studio, settings):
    settings.CLASSVAULT_QUOTA_BYTES = 10 * CHUNK
    api = login("sanne")
    upload_id = api.post("/uploads", {"kind": "live", "title": "Les"}).json()["id"]
    for index in range(4):
        assert live_put(api, upload_id, b"x" * CHUNK, index * CHUNK).status_code == 200
    assert storage_use(owner=studio.student, now=TODAY).used == 4 * CHUNK
    assert start(api, 7 * CHUNK).status_code == 413
    assert start(api, 6 * CHUNK).status_code == 201


# --- roles ------------------------------------------------------------------------------------


@pytest.mark.parametrize("username", ["tom", "mira", "saskia"])
def test_other_roles_get_403_not_a_quota_answer(studio, username, settings):
    settings.CLASSVAULT_QUOTA_BYTES = 1
    response = start(login(username), 10)
    assert response.status_code == 403, response.content


# --- the pages show her use -------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/recordings/new/", "/recordings/record/"])
def test_the_upload_and_record_pages_show_her_use_in_dutch(studio, settings, path):
    settings.CLASSVAULT_QUOTA_BYTES = 20 * GB
    stored_recording(studio.student, 3 * GB)
    stored_recording(studio.fellow, 7 * GB)  # not hers
    html = web_login("sanne").get(path).content.decode()
    assert "Opslag: 3,0 van 20,0 GB gebruikt" in html
    assert 'value="15"' in html  # the meter
    assert "Uw opslag is vol" not in html


def test_a_full_storage_is_said_on_the_page(studio, settings):
    settings.CLASSVAULT_QUOTA_BYTES = 2 * GB
    stored_recording(studio.student, 2 * GB)
    html = web_login("sanne").get("/recordings/new/").content.decode()
    assert "Opslag: 2,0 van 2,0 GB gebruikt" in html and "Uw opslag is vol" in html


def test_no_use_shown_without_a_quota(studio, settings):
    settings.CLASSVAULT_QUOTA_BYTES = 0
    html = web_login("sanne").get("/recordings/new/").content.decode()
    assert "storage-use" not in html


@pytest.mark.parametrize("username", ["tom", "mira"])
def test_the_pages_stay_404_for_other_roles(studio, username):
    assert web_login(username).get("/recordings/new/").status_code == 404
