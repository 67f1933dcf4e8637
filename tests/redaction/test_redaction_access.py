"""Who may order, follow and cancel a redaction: 401, 403, 404, 409 and 422 (the API
speaks Dutch first, as the pages do)."""

import pytest
from django.test import TestCase

from classvault.consent.services import consent_withdraw
from classvault.recordings.models import Recording, RecordingStatus
from classvault.redaction.models import JobStatus, RedactionJob
from classvault.redaction.processing import redaction_run
from classvault.retention.services import legal_hold_place
from classvault.sharing.services import share_grant
from support.audit import nothing_audited
from support.personas import NOW, TODAY, Api, login
from support.recordings import make_recording

ALL = {"faces": "all"}


def order(api, recording_id, body=ALL):
    with TestCase.captureOnCommitCallbacks(execute=True):
        return api.post(f"/recordings/{recording_id}/redactions", body)


@pytest.fixture
def shared(world, recording):
    share_grant(actor=world.student, recording=recording, username="tom", now=NOW)
    return recording


def test_unauthenticated_is_401(recording):
    assert order(Api(), recording.pk).status_code == 401


@pytest.mark.parametrize("username", ["tom", "mira", "anna", "saskia"])
def test_roles_that_may_never_redact_get_403_even_when_they_see_the_recording(shared, username):
    api = login(username)
    with nothing_audited():
        assert order(api, shared.pk).status_code == 403
    assert not RedactionJob.objects.exists()


@pytest.mark.parametrize("username", ["femke"])
def test_a_student_teacher_who_is_not_the_owner_gets_404(recording, username):
    api = login(username)
    with nothing_audited():
        response = order(api, recording.pk)
    assert response.status_code == 404


def test_an_unknown_or_malformed_id_is_404(world):
    assert order(login("piet"), "00000000-0000-0000-0000-000000000000").status_code == 404
    assert order(login("piet"), "nope").status_code == 404


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"faces": "some"}, "faces moet"),
        ({"faces": "none"}, "Niets te anonimiseren"),
        ({"mute": [[2.0, 1.0]]}, "moet beginnen"),
        ({"mute": [[1.0]]}, "[begin, eind]"),
        ({"track": [{"at_seconds": 1, "box": [0, 0, 0, 10]}]}, "minstens 4 pixels"),
        ({"track": [{"at_seconds": -1, "box": [0, 0, 10, 10]}]}, "binnen de video"),
    ],
)
def test_invalid_orders_are_422_and_nothing_happens(recording, body, fragment):
    api = login("piet")
    with nothing_audited():
        response = order(api, recording.pk, body)
    assert response.status_code == 422 and fragment in response.json()["detail"]


def test_the_owner_may_not_name_pupils_only_the_privacy_officer_may(world, pupils, vault_home):
    recording = make_recording(world.student, pupils=[pupils.ada])
    response = order(login("sanne"), recording.pk, {"faces": "all", "pupils": [str(pupils.ada.pk)]})
    assert response.status_code == 403
    response = order(login("piet"), recording.pk, {"faces": "all", "pupils": [str(pupils.cas.pk)]})
    assert response.status_code == 422


def test_conflicts_are_409(world, recording):
    Recording.objects.filter(pk=recording.pk).update(status=RecordingStatus.PROCESSING)
    assert order(login("piet"), recording.pk).status_code == 409
    Recording.objects.filter(pk=recording.pk).update(status=RecordingStatus.READY)
    assert order(login("piet"), recording.pk).status_code == 202
    # One open job per recording.
    again = order(login("sanne"), recording.pk)
    assert again.status_code == 409 and "al geanonimiseerd" in again.json()["detail"]


def test_a_recording_under_legal_hold_is_not_redacted(world, recording):
    legal_hold_place(
        actor=world.privacy, recording=recording, reason="Politie", reference="", now=NOW
    )
    response = order(login("piet"), recording.pk)
    assert response.status_code == 409 and "wettelijke bewaarplicht" in response.json()["detail"]


def test_following_and_cancelling_a_job_follows_the_same_rule(shared):
    job = order(login("sanne"), shared.pk).json()["job"]
    assert login("piet").get(f"/redactions/{job}").status_code == 200
    assert login("tom").get(f"/redactions/{job}").status_code == 403
    assert login("femke").get(f"/redactions/{job}").status_code == 404
    assert login("femke").post(f"/redactions/{job}/cancel").status_code == 404
    assert login("tom").post(f"/redactions/{job}/cancel").status_code == 403
    assert login("sanne").post(f"/redactions/{job}/review", {}).status_code == 409
    assert login("piet").get("/redactions/not-a-uuid").status_code == 404


def test_an_expired_recording_cannot_be_redacted(world, recording):
    late = recording.expires_at
    from time_machine import travel

    with travel(late, tick=False):
        assert order(login("sanne"), recording.pk).status_code == 404


def _withdraw(world, pupil):
    consent_withdraw(
        actor=world.school_admin,
        pupil_id=str(pupil.pk),
        scope="all",
        by="guardian",
        signer_name="Ouder",
        verified_in_person=True,
        on=NOW.date(),
        now=NOW,
    )


@pytest.fixture
def blocked(studio, faces_video):
    recording = make_recording(
        studio.student, video=faces_video, pupils=[studio.pupils.ada.pk, studio.pupils.bram.pk]
    )
    _withdraw(studio, studio.pupils.ada)
    recording.refresh_from_db()
    assert recording.status == RecordingStatus.BLOCKED
    return recording


def test_removing_the_withdrawn_pupils_face_and_voice_unblocks_the_recording(studio, blocked):
    body = {
        "faces": "all",
        "mute": [[0.0, 2.0]],
        "pupils": [str(studio.pupils.ada.pk)],
        "reason": "Intrekking toestemming",
    }
    job = order(login("piet"), blocked.pk, body).json()["job"]
    assert redaction_run(job_id=job, now=TODAY) == JobStatus.DONE
    blocked.refresh_from_db()
    assert blocked.status == RecordingStatus.READY


@pytest.mark.parametrize(
    "body",
    [
        {"faces": "all", "pupils": ["ADA"]},  # the voice stays
        {"faces": "none", "mute": [[0.0, 2.0]], "pupils": ["ADA"]},  # the face stays
        {"faces": "all", "mute": [[0.0, 2.0]]},  # nobody named
    ],
)
def test_a_redaction_that_leaves_the_pupil_recognisable_keeps_the_block(studio, blocked, body):
    body = {**body, "pupils": [str(studio.pupils.ada.pk)] if body.get("pupils") else []}
    job = order(login("piet"), blocked.pk, body).json()["job"]
    assert redaction_run(job_id=job, now=TODAY) == JobStatus.DONE
    blocked.refresh_from_db()
    assert blocked.status == RecordingStatus.BLOCKED
