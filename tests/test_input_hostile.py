"""Hostile but well-formed input is 422, never 500 (issue 9, outside attack 2 and 6).

Each of these was a 500 (or silently changed) before: UTC offsets Python accepts and
PostgreSQL refuses, lone surrogates that UTF-8 cannot encode, JSON nested deep enough to
exhaust the parser's recursion, NUL hidden in JSON escapes or the upload's file name, and a
title longer than the column.
"""

import json
from datetime import datetime, timedelta, timezone

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase

from classvault.core.exceptions import Invalid
from classvault.core.validation import check_instant
from classvault.people.models import User
from classvault.recordings.models import Recording, Upload
from classvault.sharing.models import Screening
from classvault.vault.models import DataKey
from support.personas import NOW, PASSWORD, Api, login
from support.recordings import make_recording, upload

FAR_OFFSETS = ["+16:00", "-16:00", "+23:59", "-23:59", "+14:01"]


def _nothing_kept():
    assert not Recording.objects.exists()
    assert not DataKey.objects.filter(destroyed_at__isnull=True).exists()


def _post_upload(api, video, **fields):
    data = {
        "file": SimpleUploadedFile(
            fields.pop("filename", "les.mp4"), video, content_type="video/mp4"
        ),
        "title": "Rekenles",
        "recorded_at": NOW.isoformat(),
        "pupils": "[]",
        **fields,
    }
    with TestCase.captureOnCommitCallbacks(execute=True):
        return api.client.post(
            "/api/v1/recordings", data=data, headers={"Authorization": f"Bearer {api.token}"}
        )


# --- UTC offsets beyond any real time zone -------------------------------------------------


@pytest.mark.parametrize("offset", FAR_OFFSETS)
def test_an_upload_recorded_at_an_absurd_offset_is_422(studio, small_video, offset):
    response = upload(login("sanne"), small_video, recorded_at=f"2026-11-02T10:00:00{offset}")
    assert response.status_code == 422, response.content
    assert "afwijking van UTC" in response.json()["detail"]
    _nothing_kept()


@pytest.mark.parametrize("offset", ["+16:00", "+23:59"])
def test_a_resumable_upload_completed_at_an_absurd_offset_is_422(
    studio, small_video, offset, settings
):
    settings.CLASSVAULT_UPLOAD_CHUNK_BYTES = 1 << 20
    api = login("sanne")
    upload_id = api.post("/uploads", {"size": len(small_video), "filename": "les.mp4"}).json()["id"]
    with TestCase.captureOnCommitCallbacks(execute=True):
        sent = api.client.put(
            f"/api/v1/uploads/{upload_id}",
            data=small_video,
            content_type="application/octet-stream",
            headers={
                "Authorization": f"Bearer {api.token}",
                "Content-Range": f"bytes 0-{len(small_video) - 1}/{len(small_video)}",
            },
        )
    assert sent.status_code == 200, sent.content
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = api.post(
            f"/uploads/{upload_id}/complete",
            {"title": "Les", "recorded_at": f"2026-11-02T10:00:00{offset}", "pupils": []},
        )
    assert response.status_code == 422, response.content
    assert not Recording.objects.exists()


@pytest.mark.parametrize("offset", ["+16:00", "-16:00", "+23:59"])
def test_a_screening_at_an_absurd_offset_is_422(studio, small_video, offset):
    recording = make_recording(studio.student, video=small_video, pupils=[studio.pupils.ada.pk]).pk
    # An hour long and in the future: only the offset is wrong.
    body = {
        "mode": "online",
        "starts_at": f"2026-11-10T10:00:00{offset}",
        "ends_at": f"2026-11-10T11:00:00{offset}",
        "attendees": ["femke"],
    }
    response = login("sanne").post(f"/recordings/{recording}/screenings", body)
    assert response.status_code == 422, response.content
    assert not Screening.objects.exists()


@pytest.mark.parametrize("hours", [14, -14, 0, 5.75])
def test_real_offsets_up_to_fourteen_hours_pass(hours):
    value = datetime(2026, 11, 2, 10, tzinfo=timezone(timedelta(hours=hours)))
    assert check_instant(value) is value


def test_an_offset_beyond_fourteen_hours_is_refused():
    with pytest.raises(Invalid):
        check_instant(datetime(2026, 11, 2, 10, tzinfo=timezone(timedelta(hours=14, minutes=1))))


# --- lone surrogates ----------------------------------------------------------------------


def _assert_surrogate_422(response):
    assert response.status_code == 422, response.content
    assert "surrogaatteken" in response.json()["detail"]


@pytest.mark.parametrize("field", ["username", "password"])
def test_a_login_with_a_lone_surrogate_is_422(world, field):
    body = {"username": "sanne", "password": PASSWORD, field: "\ud800"}
    _assert_surrogate_422(Api().post("/auth/token", body))


def test_a_resumable_upload_named_with_a_lone_surrogate_is_422(studio):
    _assert_surrogate_422(
        login("sanne").post("/uploads", {"size": 100, "filename": "les\udc00.mp4"})
    )
    assert not Upload.objects.exists()


def test_a_lone_surrogate_in_a_query_body_key_is_422(world):
    _assert_surrogate_422(login("anna").post("/users", {"\ud800": "x"}))
    assert User.objects.count() == 11


def test_a_proper_surrogate_pair_is_fine(world):
    # 😀 is escaped as the pair \ud83d\ude00 by json.dumps: a character, not a lone half.
    response = Api().post("/auth/token", {"username": "sanne", "password": "pw\U0001f600"})
    assert response.status_code == 401, response.content


# --- the multipart upload's JSON fields and file name ---------------------------------------


@pytest.mark.parametrize("field", ["pupils", "attest_out_of_view"])
def test_deeply_nested_pupil_lists_are_422(studio, small_video, field):
    deep = "[" * 100_000 + "]" * 100_000
    response = _post_upload(login("sanne"), small_video, **{field: deep})
    assert response.status_code == 422, response.content
    _nothing_kept()


@pytest.mark.parametrize("field", ["pupils", "attest_out_of_view"])
@pytest.mark.parametrize("text", ["\x00", "\ud800"])
def test_nul_or_surrogate_escaped_in_pupil_lists_is_422(studio, small_video, field, text):
    response = _post_upload(login("sanne"), small_video, **{field: json.dumps([text])})
    assert response.status_code == 422, response.content
    _nothing_kept()


def test_a_nul_in_the_uploaded_file_name_never_reaches_the_service(
    studio, small_video, monkeypatch
):
    """Django's multipart parser drops non-printable characters from file names before any
    handler sees them; the endpoint checks the names it gets all the same."""
    from classvault.recordings import services

    names = []
    real = services.recording_create

    def spy(**kwargs):
        names.append(kwargs["upload"].name)
        return real(**kwargs)

    monkeypatch.setattr(services, "recording_create", spy)
    response = _post_upload(login("sanne"), small_video, filename="les\x00.mp4")
    assert response.status_code in (201, 422), response.content
    assert all("\x00" not in name for name in names)


# --- a title longer than the column (issue 9, outside attack 6) -----------------------------


def test_a_title_longer_than_200_characters_is_422_not_cut(studio, small_video):
    response = _post_upload(login("sanne"), small_video, title="x" * 201)
    assert response.status_code == 422, response.content
    assert "200" in response.json()["detail"]
    _nothing_kept()


def test_a_title_of_200_characters_is_kept_whole(studio, small_video):
    response = _post_upload(login("sanne"), small_video, title="x" * 200)
    assert response.status_code == 201, response.content
    assert Recording.objects.get().title == "x" * 200
