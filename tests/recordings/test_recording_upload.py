"""POST /api/v1/recordings: consent at the door, encrypted on arrival, nothing kept if refused."""

import json

import pytest

from classvault.audit.models import AuditEvent
from classvault.recordings.models import Recording, RecordingPupil
from classvault.vault.models import DataKey
from support.audit import assert_audited
from support.personas import Api, login
from support.recordings import upload


def blobs(home):
    return sorted(p for p in (home / "blobs").rglob("*") if p.is_file())


def test_student_teacher_uploads_a_recording(studio, small_video):
    pupils = studio.pupils
    response = upload(login("sanne"), small_video, pupils=[pupils.ada.pk, pupils.bram.pk])
    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == {"id", "status", "expires_at"}
    assert body["status"] == "processing"
    assert body["expires_at"].startswith("2027-05-02")
    recording = Recording.objects.get(pk=body["id"])
    assert recording.owner == studio.student and recording.school.code == "NOORD"
    assert RecordingPupil.objects.filter(recording=recording).count() == 2
    assert_audited("recording.create", actor="sanne", object_id=body["id"])
    from django_tasks_db.models import DBTaskResult

    assert DBTaskResult.objects.filter(args_kwargs__args=[body["id"]]).exists()


def test_upload_is_stored_only_encrypted(studio, small_video, vault_home):
    response = upload(login("sanne"), small_video, pupils=[studio.pupils.ada.pk])
    assert response.status_code == 201
    stored = blobs(vault_home)
    assert stored, "the upload is in the blob store"
    probe = small_video[1000:1032]
    for path in stored:
        assert probe not in path.read_bytes()


def test_pupil_without_consent_blocks_the_upload_and_nothing_is_kept(
    studio, small_video, vault_home
):
    pupils = studio.pupils
    response = upload(login("sanne"), small_video, pupils=[pupils.ada.pk, pupils.cas.pk])
    assert response.status_code == 409
    assert response.json()["pupils_without_consent"] == [str(pupils.cas.pk)]
    assert response.json()["detail"]
    assert not Recording.objects.exists()
    assert not AuditEvent.objects.filter(action="recording.create").exists()
    assert blobs(vault_home) == []
    assert not DataKey.objects.filter(destroyed_at__isnull=True).exists()


def test_attested_pupil_without_consent_is_allowed_and_audited(studio, small_video):
    pupils = studio.pupils
    response = upload(login("sanne"), small_video, pupils=[pupils.ada.pk], attest=[pupils.cas.pk])
    assert response.status_code == 201, response.content
    presence = RecordingPupil.objects.get(pupil=pupils.cas)
    assert presence.attested_out_of_view
    event = AuditEvent.objects.get(action="recording.attest_out_of_view")
    assert event.object_id == str(pupils.cas.pk)
    assert event.data["recording"] == response.json()["id"]


def test_pupils_are_not_listed_with_attested_ones(studio, small_video):
    pupils = studio.pupils
    response = upload(login("sanne"), small_video, pupils=[pupils.ada.pk], attest=[pupils.cas.pk])
    detail = login("sanne").get(f"/recordings/{response.json()['id']}").json()
    assert detail["pupils"] == [str(pupils.ada.pk)]


def test_pupil_of_another_school_is_422(studio, small_video, vault_home):
    response = upload(login("sanne"), small_video, pupils=[studio.pupils.eva.pk])
    assert response.status_code == 422
    assert blobs(vault_home) == []


def test_not_a_video_is_422_and_nothing_is_kept(studio, vault_home):
    response = upload(login("sanne"), b"this is a text file, not a video " * 500)
    assert response.status_code == 422
    # One language in one sentence: the reason is Dutch too.
    assert response.json()["detail"] == (
        "Het bestand is geen afspeelbare video: Het bestand is "
        "geen video die kan worden afgespeeld."
    )
    assert not Recording.objects.exists()
    assert blobs(vault_home) == []


def test_future_recording_date_is_422(studio, small_video):
    response = upload(login("sanne"), small_video, recorded_at="2027-01-01T10:00:00+01:00")
    assert response.status_code == 422


def test_recording_already_past_its_expiry_is_422(studio, small_video, vault_home):
    response = upload(login("sanne"), small_video, recorded_at="2026-04-01T10:00:00+02:00")
    assert response.status_code == 422
    # The expiry as people write it, on its day in Amsterdam; no pronoun for the recording.
    assert response.json()["detail"] == (
        "De bewaartermijn van deze opname liep al af op "
        "1 oktober 2026; daarom mag de opname niet worden "
        "opgeslagen."
    )
    assert blobs(vault_home) == []


@pytest.mark.parametrize(
    "field,value",
    [
        ("recorded_at", "gisteren"),
        ("pupils", "not json"),
        ("pupils", json.dumps({"a": 1})),
        ("title", "  "),
    ],
)
def test_malformed_fields_are_422(studio, small_video, field, value, settings):
    api = login("sanne")
    if field == "title":
        response = upload(api, small_video, title=value)
    elif field == "recorded_at":
        response = upload(api, small_video, recorded_at=value)
    else:
        from django.core.files.uploadedfile import SimpleUploadedFile
        from django.test import TestCase

        with TestCase.captureOnCommitCallbacks(execute=True):
            response = api.client.post(
                "/api/v1/recordings",
                data={
                    "file": SimpleUploadedFile("les.mp4", small_video),
                    "title": "Les",
                    "recorded_at": "2026-11-02",
                    field: value,
                },
                headers={"Authorization": f"Bearer {api.token}"},
            )
    assert response.status_code == 422, response.content
    assert not Recording.objects.exists()
    # The bytes had arrived (encrypted) before the field was read: they are gone again.
    assert not DataKey.objects.filter(destroyed_at__isnull=True).exists()
    assert blobs(settings.CLASSVAULT_HOME) == []


def test_a_field_too_large_after_the_file_keeps_nothing(studio, small_video):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test import TestCase

    api = login("sanne")
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = api.client.post(
            "/api/v1/recordings",
            data={
                "file": SimpleUploadedFile("les.mp4", small_video),
                "title": "x" * (3 << 20),
            },
            headers={"Authorization": f"Bearer {api.token}"},
        )
    assert response.status_code == 413
    assert response.json()["detail"]
    assert not DataKey.objects.filter(destroyed_at__isnull=True).exists()


def test_missing_file_is_422(studio):
    api = login("sanne")
    response = api.client.post(
        "/api/v1/recordings",
        data={"title": "Les"},
        headers={"Authorization": f"Bearer {api.token}"},
    )
    assert response.status_code == 422


def test_guidelines_not_accepted_is_409(world, vault_home, frozen, small_video):
    assert upload(login("sanne"), small_video).status_code == 409


def test_oversized_upload_is_413_and_nothing_is_kept(studio, small_video, settings, vault_home):
    settings.CLASSVAULT_MAX_UPLOAD_BYTES = 1000
    response = upload(login("sanne"), small_video, pupils=[studio.pupils.ada.pk])
    assert response.status_code == 413
    assert response.json()["detail"]
    assert blobs(vault_home) == []
    assert not Recording.objects.exists()


def test_upload_requires_a_token(studio, small_video):
    assert upload(Api(), small_video).status_code == 401


@pytest.mark.parametrize("persona", ["trainer", "supervisor", "school_admin", "privacy", "admin"])
def test_only_student_teachers_upload(studio, small_video, persona):
    api = studio.api(getattr(studio, persona))
    assert upload(api, small_video).status_code == 403


def test_unplaced_student_teacher_gets_409(studio, small_video):
    from classvault.people.models import Enrolment

    Enrolment.objects.filter(student_teacher=studio.student).delete()
    assert upload(login("sanne"), small_video).status_code == 409


def test_an_upload_never_registered_is_shredded_by_the_schedule_after_a_day(studio):
    """A process killed between storing the bytes and creating the recording."""
    from datetime import timedelta

    from django.test import TestCase

    from classvault.recordings.services import recording_orphans_shred
    from classvault.vault.services import vault_store
    from support.personas import NOW

    orphan = "0b0b0b0b-1111-4222-8333-444444444444"
    vault_store(object_id=orphan, purpose="original", chunks=[b"x" * 100], now=NOW)
    assert recording_orphans_shred(now=NOW + timedelta(hours=1)) == []
    with TestCase.captureOnCommitCallbacks(execute=True):
        assert recording_orphans_shred(now=NOW + timedelta(days=2)) == [orphan]
    assert not DataKey.objects.filter(object_id=orphan, destroyed_at__isnull=True).exists()
