"""What the privacy officer does from a request: delete a recording, register the
withdrawal, erase the pupil's details, hold an inspection; and the deadline reminders."""

from datetime import date, timedelta

import pytest
from django.test import TestCase

from classvault.consent.models import ConsentRecord, Pupil
from classvault.core.time import AMSTERDAM
from classvault.people.models import Notification
from classvault.recordings.models import Recording
from classvault.retention.jobs import retention_tick
from classvault.retention.models import Tombstone
from classvault.rights.models import RequestReminder
from classvault.rights.services import request_inspection_start, request_reminders_send
from support.audit import assert_audited, nothing_audited
from support.personas import NOW
from support.recordings import make_recording

pytestmark = pytest.mark.django_db


def _register(officer, pupil, kind, who="guardian", day="2026-11-01"):
    response = officer.post(
        "/requests",
        {"pupil": str(pupil.pk), "kind": kind, "requested_by": who, "received_on": day},
    )
    assert response.status_code == 201, response.content
    return response.json()["id"]


def test_an_erasure_request_deletes_withdraws_and_erases(world, pupils, vault_home, at_now):
    bram = pupils.bram
    lesson = make_recording(world.student, recorded_at=NOW, pupils=[bram])
    elsewhere = make_recording(world.student, recorded_at=NOW, pupils=[pupils.ada])
    officer = world.api(world.privacy)
    rid = _register(officer, bram, "erasure")
    with nothing_audited():
        # Not Bram's recording: as if it did not exist.
        gone = officer.post(
            f"/requests/{rid}/recording-deletions", {"recording": str(elsewhere.pk)}
        )
        assert gone.status_code == 404
        # Consent and a recording remain: his details cannot go yet.
        assert officer.post(f"/requests/{rid}/pupil-erasure").status_code == 409
    with TestCase.captureOnCommitCallbacks(execute=True):
        deleted = officer.post(
            f"/requests/{rid}/recording-deletions", {"recording": str(lesson.pk)}
        )
    assert deleted.status_code == 204, deleted.content
    assert not Recording.objects.filter(pk=lesson.pk).exists()
    assert Tombstone.objects.get(pk=lesson.pk).pupils.get().pupil_id == bram.pk
    assert_audited("recording.delete", actor="piet", object_id=lesson.pk, reason="deleted")
    assert_audited("request.recording_delete", object_id=rid, recording=str(lesson.pk))
    assert officer.post(f"/requests/{rid}/pupil-erasure").status_code == 409  # consent
    withdrawn = officer.post(
        f"/requests/{rid}/withdrawal",
        {
            "scope": "all",
            "signer_name": "Gerda Beer",
            "verified_in_person": True,
            "on": "2026-11-02",
        },
    )
    assert withdrawn.status_code == 201, withdrawn.content
    assert_audited("consent.withdraw", actor="piet", object_id=bram.pk, scope="all")
    assert_audited("request.withdrawal", object_id=rid, scope="all")
    erased = officer.post(f"/requests/{rid}/pupil-erasure")
    assert erased.status_code == 204, erased.content
    assert_audited("pupil.erase", actor="piet", object_id=bram.pk, request=rid)
    bram = Pupil.objects.get(pk=bram.pk)
    assert bram.full_name == "" and bram.group == ""
    assert bram.date_of_birth == date(2013, 1, 1)
    assert bram.external_id.startswith("erased-")
    # The proof of consent stays, under its own basis.
    assert list(ConsentRecord.objects.filter(pupil=bram).values_list("kind", flat=True)) == [
        "give",
        "withdraw",
    ]
    assert officer.post(f"/requests/{rid}/pupil-erasure").status_code == 409
    report = officer.get(f"/pupils/{bram.pk}/report").json()
    assert [(r["id"], r["deleted"]) for r in report["recordings"]] == [(str(lesson.pk), True)]
    done = officer.post(f"/requests/{rid}/complete", {"outcome": "Gewist."})
    assert done.status_code == 200


def test_steps_belong_to_kinds_and_to_running_requests(world, pupils, vault_home, at_now):
    lesson = make_recording(world.student, recorded_at=NOW, pupils=[pupils.ada])
    officer = world.api(world.privacy)
    access = _register(officer, pupils.ada, "access")
    with nothing_audited():
        refused = officer.post(
            f"/requests/{access}/recording-deletions", {"recording": str(lesson.pk)}
        )
        assert refused.status_code == 409
        assert officer.post(f"/requests/{access}/pupil-erasure").status_code == 409
    erasure = _register(officer, pupils.ada, "erasure")
    officer.post(f"/requests/{erasure}/reject", {"outcome": "Niet vastgesteld wie het vroeg."})
    with nothing_audited():
        refused = officer.post(
            f"/requests/{erasure}/recording-deletions", {"recording": str(lesson.pk)}
        )
        assert refused.status_code == 409
    for persona in ("student", "supervisor", "school_admin", "trainer"):
        api = world.api(getattr(world, persona))
        response = api.post(
            f"/requests/{erasure}/recording-deletions", {"recording": str(lesson.pk)}
        )
        assert response.status_code == 403
    assert Recording.objects.filter(pk=lesson.pk).exists()


def test_an_inspection_is_logged_with_its_purpose(world, pupils, vault_home, at_now):
    lesson = make_recording(world.student, recorded_at=NOW, pupils=[pupils.ada])
    officer = world.api(world.privacy)
    rid = _register(officer, pupils.ada, "access")
    recording = request_inspection_start(
        actor=world.privacy, request_id=rid, recording_id=str(lesson.pk), now=NOW
    )
    assert recording.pk == lesson.pk
    assert_audited(
        "request.inspection",
        actor="piet",
        object_id=rid,
        purpose="inspection",
        recording=str(lesson.pk),
    )


def _at(day: date, hour: int = 6):
    from datetime import datetime

    return datetime(day.year, day.month, day.day, hour, tzinfo=AMSTERDAM)


def test_reminders_go_out_once_per_stage(world, pupils, at_now, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    officer = world.api(world.privacy)
    rid = _register(officer, pupils.ada, "access", day="2026-11-01")  # due 1 December
    assert request_reminders_send(now=_at(date(2026, 11, 23))) == 0  # 8 days before
    assert request_reminders_send(now=_at(date(2026, 11, 24))) == 1  # 7 days before
    assert request_reminders_send(now=_at(date(2026, 11, 24), 18)) == 0
    assert request_reminders_send(now=_at(date(2026, 11, 29))) == 0
    assert request_reminders_send(now=_at(date(2026, 11, 30))) == 1  # the day before
    assert request_reminders_send(now=_at(date(2026, 12, 1))) == 0  # due today
    assert request_reminders_send(now=_at(date(2026, 12, 2))) == 1  # overdue, once
    assert request_reminders_send(now=_at(date(2026, 12, 9))) == 0
    assert sorted(RequestReminder.objects.values_list("stage", flat=True)) == [0, 1, 7]
    notes = Notification.objects.filter(recipient=world.privacy, kind="request_due")
    assert notes.count() == 3
    assert {n.recording_id for n in notes} == {rid}
    assert_audited("request.reminder", actor="system", object_id=rid, stage=7)
    # A closed request is reminded of nothing.
    done = _register(officer, pupils.bram, "access", day="2026-11-02")
    officer.post(f"/requests/{done}/complete", {"outcome": "klaar"})
    assert request_reminders_send(now=_at(date(2026, 12, 2))) == 0


def test_the_retention_schedule_sends_the_reminders(world, pupils, vault_home, at_now):
    officer = world.api(world.privacy)
    rid = _register(officer, pupils.ada, "access", day="2026-11-01")
    run_at = _at(date(2026, 11, 30), 3)
    assert retention_tick(now=run_at) is not None
    assert retention_tick(now=run_at + timedelta(seconds=1)) is None  # same slot: skipped
    assert retention_tick(now=run_at + timedelta(hours=1)) is not None
    assert list(RequestReminder.objects.filter(request_id=rid).values_list("stage", flat=True)) == [
        1
    ]


def test_the_reminder_reads_as_a_sentence_on_the_notifications_page(world, pupils, at_now):
    from django.test import Client

    officer = world.api(world.privacy)
    _register(officer, pupils.ada, "access", day="2026-11-01")
    request_reminders_send(now=_at(date(2026, 11, 30)))
    client = Client()
    client.force_login(world.privacy)
    text = client.get("/notifications/").content.decode()
    assert "Een verzoek van een betrokkene moet uiterlijk 1 december 2026 beantwoord zijn." in text
