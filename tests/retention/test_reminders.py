"""Assessment deadlines (R1): the owner and their trainers are e-mailed 30, 7 and 1 days
before an unassessed recording expires, each reminder once, however many workers run."""

from datetime import date, datetime, timedelta

import pytest
from django.core import mail
from django.db import IntegrityError, transaction

from classvault.audit.models import AuditEvent
from classvault.core.time import AMSTERDAM
from classvault.people.services import enrolment_set
from classvault.recordings.models import Assessment
from classvault.retention.models import Reminder
from classvault.retention.services import legal_hold_place, reminders_send
from support.personas import NOW
from support.recordings import make_recording


def at(day: int, month: int = 4, hour: int = 8) -> datetime:
    return datetime(2027, month, day, hour, 0, tzinfo=AMSTERDAM)


def test_the_recording_expires_on_2_may_2027_at_10(recording):
    assert recording.expires_at == at(2, 5, 10)  # what the deadlines below count back from


def sent_to() -> list[str]:
    return sorted(address for message in mail.outbox for address in message.to)


def test_nothing_is_due_31_days_before(recording):
    assert reminders_send(now=at(1, hour=23)) == 0
    assert mail.outbox == []


def test_thirty_days_before_the_owner_and_her_trainers_are_mailed_once(recording):
    assert reminders_send(now=at(2, hour=0)) == 1
    assert sent_to() == ["sanne@example.org", "tara@example.org", "tom@example.org"]
    owner_mail = next(m for m in mail.outbox if m.to == ["sanne@example.org"])
    assert "2 mei 2027 10:00" in owner_mail.subject
    assert "Breuken met pizza" in owner_mail.body and "deel de opname" in owner_mail.body
    trainer_mail = next(m for m in mail.outbox if m.to == ["tom@example.org"])
    assert "Sanne Student" in trainer_mail.body
    for message in mail.outbox:  # never who is in it
        assert "Ada" not in message.body
    [event] = AuditEvent.objects.filter(action="retention.reminder")
    assert event.actor == "system" and event.data["days_before"] == 30
    assert event.data["to"] == ["sanne", "tara", "tom"]
    # Later that day, and the next day: nothing new.
    assert reminders_send(now=at(2, hour=20)) == 0
    assert reminders_send(now=at(3)) == 0
    assert len(mail.outbox) == 3


def test_then_seven_days_and_one_day_before(recording):
    reminders_send(now=at(2))
    assert reminders_send(now=at(24, hour=23)) == 0  # 8 days left
    assert reminders_send(now=at(25, hour=0)) == 1  # 7 days left
    assert reminders_send(now=at(1, 5, 0)) == 1  # 1 day left
    assert reminders_send(now=at(2, 5, 9)) == 0  # the day itself: already warned
    assert sorted(Reminder.objects.values_list("days_before", flat=True)) == [1, 7, 30]
    assert Reminder.objects.filter(sent_at__isnull=True).count() == 0


def test_a_recording_with_five_days_left_gets_only_the_seven_day_reminder(world, vault_home):
    enrolment_set(
        actor=world.admin,
        username="sanne",
        school_code="NOORD",
        study_end=date(2026, 11, 8),
        trainers=[],
        supervisors=[],
        now=NOW,
    )
    make_recording(world.student, recorded_at=NOW)
    assert reminders_send(now=NOW + timedelta(days=1)) == 1
    assert list(Reminder.objects.values_list("days_before", flat=True)) == [7]
    assert sent_to() == ["sanne@example.org"]


def test_two_workers_send_each_reminder_once(recording):
    # The second worker runs the same query at the same moment: the claim is taken.
    assert reminders_send(now=at(2)) + reminders_send(now=at(2)) == 1
    assert len(mail.outbox) == 3


def test_the_database_lets_one_claim_win(recording):
    Reminder.objects.create(
        recording=recording, expires_at=recording.expires_at, days_before=30, claimed_at=at(2)
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        Reminder.objects.create(
            recording=recording, expires_at=recording.expires_at, days_before=30, claimed_at=at(2)
        )


def test_a_claim_of_a_worker_that_died_is_taken_over_after_its_lease(recording):
    Reminder.objects.create(
        recording=recording, expires_at=recording.expires_at, days_before=30, claimed_at=at(2)
    )  # claimed, never sent
    assert reminders_send(now=at(2) + timedelta(minutes=10)) == 0
    assert reminders_send(now=at(2) + timedelta(minutes=16)) == 1
    assert reminders_send(now=at(2) + timedelta(minutes=40)) == 0
    assert len(mail.outbox) == 3


def test_a_failed_send_is_tried_again_later(recording, monkeypatch):
    from django.core.mail.backends.locmem import EmailBackend

    def broken(self, messages):
        raise OSError("mail server down")

    monkeypatch.setattr(EmailBackend, "send_messages", broken)
    assert reminders_send(now=at(2)) == 0
    assert not AuditEvent.objects.filter(action="retention.reminder").exists()
    monkeypatch.undo()
    assert reminders_send(now=at(2) + timedelta(minutes=16)) == 1


def test_a_moved_expiry_is_a_new_deadline_with_its_own_reminders(world, recording):
    reminders_send(now=at(2))
    enrolment_set(
        actor=world.admin,
        username="sanne",
        school_code="NOORD",
        study_end=date(2027, 4, 20),
        trainers=["tom"],
        supervisors=[],
        now=at(2),
    )
    mail.outbox.clear()
    assert reminders_send(now=at(14)) == 1  # 7 days before 21 April 00:00
    assert sent_to() == ["sanne@example.org", "tom@example.org"]


def test_held_assessed_and_failed_recordings_get_none(world, vault_home):
    held = make_recording(world.student, recorded_at=NOW)
    legal_hold_place(actor=world.privacy, recording=held, reason="Vordering", reference="", now=NOW)
    make_recording(world.student, recorded_at=NOW, status="failed")
    assessed = make_recording(world.student, recorded_at=NOW, title="Beoordeeld")

    Assessment.objects.create(
        recording=assessed,
        trainer=world.trainer,
        verdict="goed",
        assessed_on=NOW.date(),
        created_at=NOW,
    )
    assert reminders_send(now=at(2)) == 0
    assert not Reminder.objects.filter(recording=assessed).exists()
    assert mail.outbox == []
