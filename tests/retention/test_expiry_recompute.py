"""Changing the study end recomputes the expiry of the student teacher's recordings, moves
their keys to the new day's retention key, and logs each change in the same transaction."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.test import TestCase

from classvault.audit.models import AuditEvent
from classvault.core.exceptions import NotVisible
from classvault.core.time import AMSTERDAM
from classvault.people.services import enrolment_set
from classvault.recordings.models import Recording
from classvault.retention.services import legal_hold_place
from classvault.sharing.selectors import recording_get_visible
from classvault.vault.models import RetentionKey
from support.personas import NOW, TODAY, login
from support.recordings import ORIGINAL, make_recording
from support.vault import plaintext, retention_keys_of, sweep

SIX_MONTHS = datetime(2027, 5, 2, 10, 0, tzinfo=AMSTERDAM)


def put_study_end(day: date, trainers=("tom", "tara")):
    with TestCase.captureOnCommitCallbacks(execute=True):
        return login("anna").put(
            "/student-teachers/sanne",
            {
                "school": "NOORD",
                "study_end": day.isoformat(),
                "trainers": list(trainers),
                "supervisors": ["mira"],
            },
        )


def test_the_recording_expires_six_months_after_it_was_made(recording):
    assert recording.expires_at == SIX_MONTHS  # study end 15 July 2027 is later


def test_an_earlier_study_end_moves_the_expiry_forward(recording):
    assert put_study_end(date(2027, 1, 31)).status_code == 200
    recording.refresh_from_db()
    assert recording.expires_at == datetime(2027, 2, 1, 0, 0, tzinfo=AMSTERDAM)
    assert retention_keys_of(recording.pk) == {"d-20270131"}
    assert plaintext(recording.pk) == ORIGINAL
    [event] = AuditEvent.objects.filter(
        action="recording.expiry_change", object_id=str(recording.pk)
    )
    assert event.actor == "anna" and event.purpose == "retention"
    assert event.data == {
        "from": "2027-05-02T08:00:00+00:00",
        "to": "2027-01-31T23:00:00+00:00",
        "study_end": "2027-01-31",
    }
    assert (
        login("sanne")
        .get(f"/recordings/{recording.pk}")
        .json()["expires_at"]
        .startswith("2027-01-31T23:00:00")
    )


def test_a_later_study_end_moves_it_back_but_never_past_six_months(recording):
    put_study_end(date(2027, 1, 31))
    assert put_study_end(date(2027, 3, 1)).status_code == 200
    recording.refresh_from_db()
    assert recording.expires_at == datetime(2027, 3, 2, 0, 0, tzinfo=AMSTERDAM)
    assert put_study_end(date(2028, 8, 31)).status_code == 200
    recording.refresh_from_db()
    assert recording.expires_at == SIX_MONTHS
    assert retention_keys_of(recording.pk) == {"d-20270502"}
    assert AuditEvent.objects.filter(action="recording.expiry_change").count() == 3
    # The keys of the days in between went with their last data key.
    assert set(
        RetentionKey.objects.filter(destroyed_at__isnull=True).values_list("label", flat=True)
    ) == {"d-20270502"}


def test_an_unchanged_study_end_changes_and_logs_nothing(recording):
    put_study_end(date(2027, 7, 15), trainers=["tom"])
    recording.refresh_from_db()
    assert recording.expires_at == SIX_MONTHS
    assert not AuditEvent.objects.filter(action="recording.expiry_change").exists()


def test_a_study_end_in_the_past_makes_the_next_sweep_delete(world, recording):
    now = datetime(2026, 12, 10, 12, 0, tzinfo=UTC)
    enrolment_set(
        actor=world.admin,
        username="sanne",
        school_code="NOORD",
        study_end=date(2026, 12, 1),
        trainers=[],
        supervisors=[],
        now=now,
    )
    assert sweep(now) == [str(recording.pk)]


def test_only_the_changed_student_teachers_recordings_move(world, recording):
    fellows = make_recording(world.fellow, recorded_at=NOW)
    put_study_end(date(2027, 1, 31))
    assert Recording.objects.get(pk=fellows.pk).expires_at == fellows.expires_at


def test_a_held_recording_keeps_its_own_key_when_its_expiry_moves(world, recording):
    legal_hold_place(
        actor=world.privacy,
        recording=recording,
        reason="Vordering politie",
        reference="PL-1",
        now=NOW,
    )
    put_study_end(date(2027, 1, 31))
    recording.refresh_from_db()
    assert recording.expires_at == datetime(2027, 2, 1, 0, 0, tzinfo=AMSTERDAM)
    assert retention_keys_of(recording.pk) == {f"o-{recording.pk}"}


def test_an_expiry_that_has_come_is_final(recording, world):
    """Issue 9, outside attack 4: a study end set in the past and then later again made an
    expired recording visible again until the sweep ran."""

    def set_study_end(day, now):
        enrolment_set(
            actor=world.admin,
            username="sanne",
            school_code="NOORD",
            study_end=day,
            trainers=["tom", "tara"],
            supervisors=["mira"],
            now=now,
        )

    set_study_end(date(2026, 11, 1), TODAY)
    recording.refresh_from_db()
    expired_at, epochs = recording.expires_at, retention_keys_of(recording.pk)
    assert expired_at <= TODAY
    set_study_end(date(2027, 7, 15), TODAY + timedelta(minutes=1))
    recording.refresh_from_db()
    assert recording.expires_at == expired_at and retention_keys_of(recording.pk) == epochs
    with pytest.raises(NotVisible):
        recording_get_visible(
            actor=world.student, recording_id=str(recording.pk), now=TODAY + timedelta(minutes=2)
        )
    assert (
        AuditEvent.objects.filter(
            action="recording.expiry_change", object_id=str(recording.pk)
        ).count()
        == 1
    )
