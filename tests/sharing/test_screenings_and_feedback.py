"""Screenings need every pupil's peer-viewing consent; feedback is for coaches, not viewers."""

from datetime import timedelta

import pytest
import time_machine
from django.test import TestCase

from classvault.audit.models import AuditEvent
from classvault.consent.services import consent_withdraw
from classvault.recordings.models import Assessment, Comment
from classvault.sharing.models import Screening
from support.audit import assert_audited, nothing_audited
from support.personas import TODAY, Api, login
from support.recordings import make_recording

START = TODAY + timedelta(days=1)


def body(**overrides):
    data = {
        "mode": "online",
        "starts_at": START.isoformat(),
        "ends_at": (START + timedelta(hours=2)).isoformat(),
        "attendees": ["femke"],
    }
    data.update(overrides)
    return data


@pytest.fixture
def ready(studio, small_video):
    return str(make_recording(studio.student, video=small_video, pupils=[studio.pupils.ada.pk]).pk)


@pytest.fixture
def with_bram(studio, small_video):
    """Bram consented to being recorded, not to being shown to fellow students."""
    return str(
        make_recording(
            studio.student, video=small_video, pupils=[studio.pupils.ada.pk, studio.pupils.bram.pk]
        ).pk
    )


def test_owner_schedules_an_online_screening(ready):
    response = login("sanne").post(f"/recordings/{ready}/screenings", body())
    assert response.status_code == 201
    screening = Screening.objects.get(pk=response.json()["id"])
    assert [u.username for u in screening.attendees.all()] == ["femke"]
    assert (screening.mode, screening.starts_at) == ("online", START)
    assert_audited(
        "screening.schedule",
        actor="sanne",
        object_id=ready,
        purpose="screening",
        screening=str(screening.pk),
    )


def test_pupil_without_peer_consent_refuses_the_screening(studio, with_bram):
    api = login("sanne")
    with nothing_audited():
        response = api.post(f"/recordings/{with_bram}/screenings", body())
    assert response.status_code == 409
    assert response.json()["pupils_without_peer_consent"] == [str(studio.pupils.bram.pk)]
    assert not Screening.objects.exists()


def test_attested_pupil_does_not_count_for_screenings(studio, small_video):
    recording = make_recording(
        studio.student,
        video=small_video,
        pupils=[studio.pupils.ada.pk],
        attest=[studio.pupils.cas.pk],
    ).pk
    response = login("sanne").post(f"/recordings/{recording}/screenings", body())
    assert response.status_code == 201
    assert Screening.objects.get().recording_id == recording
    assert_audited("screening.schedule", actor="sanne", object_id=recording)


@pytest.mark.parametrize(
    "overrides",
    [
        {"attendees": ["tom"]},  # a trainer is no fellow student
        {"attendees": ["sanne"]},  # not the owner herself
        {"attendees": ["ghost"]},
        {"attendees": []},
        {"mode": "broadcast"},
        {"ends_at": START.isoformat()},  # ends when it starts
        {"starts_at": "2026-11-01T10:00:00+01:00", "ends_at": "2026-11-01T11:00:00+01:00"},
        {"starts_at": "2026-12-01T10:00:00"},  # no offset
    ],
)
def test_invalid_screening_is_422(ready, overrides):
    response = login("sanne").post(f"/recordings/{ready}/screenings", body(**overrides))
    assert response.status_code == 422, response.content


def test_small_means_small(ready, settings):
    settings.CLASSVAULT_SCREENING_MAX_ATTENDEES = 0
    assert login("sanne").post(f"/recordings/{ready}/screenings", body()).status_code == 422


def test_screening_requires_authentication(ready):
    assert Api().post(f"/recordings/{ready}/screenings", body()).status_code == 401


def test_withdrawing_peer_viewing_cancels_the_screening_at_once(studio, ready):
    login("sanne").post(f"/recordings/{ready}/screenings", body())
    with time_machine.travel(START + timedelta(minutes=30), tick=False):
        fellow = login("femke")
        assert fellow.get(f"/recordings/{ready}").status_code == 200
        consent_withdraw(
            actor=studio.school_admin,
            pupil_id=str(studio.pupils.ada.pk),
            scope="peer_viewing",
            by="guardian",
            signer_name="Gerda Guardian",
            verified_in_person=True,
            on=START.date(),
            now=START + timedelta(minutes=30),
        )
        assert fellow.get(f"/recordings/{ready}").status_code == 404
    assert Screening.objects.get().cancelled_at is not None
    assert AuditEvent.objects.filter(action="screening.cancel", object_id=ready).exists()
    # Watching with her coaches goes on: only showing to fellow students was withdrawn.
    assert login("sanne").get(f"/recordings/{ready}").json()["status"] == "ready"


def test_withdrawing_all_consent_blocks_the_recording_for_everyone(studio, ready):
    login("sanne").post(f"/recordings/{ready}/shares", {"username": "tom"})
    with TestCase.captureOnCommitCallbacks(execute=True):
        consent_withdraw(
            actor=studio.school_admin,
            pupil_id=str(studio.pupils.ada.pk),
            scope="all",
            by="guardian",
            signer_name="Gerda Guardian",
            verified_in_person=True,
            on=TODAY.date(),
            now=TODAY,
        )
    for username in ("sanne", "tom", "mira", "piet"):
        api = login(username)
        response = api.client.get(
            f"/api/v1/recordings/{ready}/stream", headers={"Authorization": f"Bearer {api.token}"}
        )
        assert response.status_code == 409, username
    assert login("sanne").get(f"/recordings/{ready}").json()["status"] == "blocked"
    assert AuditEvent.objects.filter(action="recording.block", object_id=ready).exists()
    from django.core import mail

    [message] = mail.outbox
    assert message.to == ["sanne@example.org"] and "geblokkeerd" in message.subject
    assert "Ada" not in message.body  # the owner is not told who withdrew


def test_comments_are_time_coded_and_ordered(studio, ready):
    login("sanne").post(f"/recordings/{ready}/shares", {"username": "tom"})
    trainer, owner = login("tom"), login("sanne")
    assert (
        trainer.post(
            f"/recordings/{ready}/comments", {"at_seconds": 0.8, "text": "Goede instructie"}
        ).status_code
        == 201
    )
    assert (
        owner.post(
            f"/recordings/{ready}/comments", {"at_seconds": 0.2, "text": "Hier was ik nerveus"}
        ).status_code
        == 201
    )
    listed = owner.get(f"/recordings/{ready}/comments").json()
    assert [(c["at_seconds"], c["author"]) for c in listed] == [(0.2, "sanne"), (0.8, "tom")]
    # The owner's own comment is her reflection (the player labels it), the trainer's is not.
    assert [c["is_reflection"] for c in listed] == [True, False]
    assert Comment.objects.count() == 2
    assert_audited("comment.add", actor="tom", object_id=ready, purpose="assessment")
    assert_audited("comment.add", actor="sanne", object_id=ready, purpose="coaching")


@pytest.mark.parametrize(
    "payload",
    [
        {"at_seconds": -1, "text": "x"},
        {"at_seconds": 999, "text": "x"},
        {"at_seconds": 0.1, "text": "   "},
        {"at_seconds": "soon", "text": "x"},
    ],
)
def test_invalid_comment_is_422(ready, payload):
    api = login("sanne")
    with nothing_audited():
        assert api.post(f"/recordings/{ready}/comments", payload).status_code == 422
    assert not Comment.objects.exists()


def test_trainer_assesses_with_the_institute_scale(studio, ready):
    login("sanne").post(f"/recordings/{ready}/shares", {"username": "tom"})
    response = login("tom").post(
        f"/recordings/{ready}/assessments",
        {"verdict": "voldoende", "notes": "Goed klassenmanagement", "assessed_on": "2026-11-03"},
    )
    assert response.status_code == 201
    assert Assessment.objects.get().verdict == "voldoende"
    assert_audited("assessment.add", actor="tom", object_id=ready, purpose="assessment")


@pytest.mark.parametrize(
    "payload",
    [
        {"verdict": "meh", "assessed_on": "2026-11-03"},
        {"verdict": "goed", "assessed_on": "2027-01-01"},
        {"verdict": "goed", "assessed_on": "3 november"},
    ],
)
def test_invalid_assessment_is_422(studio, ready, payload):
    login("sanne").post(f"/recordings/{ready}/shares", {"username": "tom"})
    assert login("tom").post(f"/recordings/{ready}/assessments", payload).status_code == 422


@pytest.mark.parametrize("value", ["NaN", "Infinity"])
def test_non_finite_comment_times_are_422(studio, ready, value):
    api = login("sanne")
    response = api.client.post(
        f"/api/v1/recordings/{ready}/comments",
        data=f'{{"at_seconds": {value}, "text": "x"}}',
        content_type="application/json",
        headers={"Authorization": f"Bearer {api.token}"},
    )
    assert response.status_code == 422
