"""A withdrawal of peer-viewing consent racing the scheduling of a screening is never lost
(issue 9.1): real threads on a real database, SQLite and PostgreSQL.

Whichever decides first, the outcome is one the withdrawal allows: the schedule answers 409,
or its screening exists and is cancelled. Each test holds the first transaction open right
after it decided, until the second is seen waiting for it (PostgreSQL: in pg_stat_activity;
SQLite: it cannot be seen, so the first gives it a moment) or has finished.
"""

import threading
import time
from datetime import date, timedelta

import pytest
from django.db import connection

from classvault.consent.models import ConsentRecord
from classvault.consent.services import consent_withdraw, consent_withdrawn
from classvault.core.exceptions import Conflict
from classvault.sharing import screenings
from classvault.sharing.models import Screening
from classvault.sharing.screenings import screening_schedule
from support.concurrency import run_in_threads, separate_database
from support.personas import NOW, TODAY, World
from support.pupils import Pupils
from support.recordings import make_recording

START = TODAY + timedelta(days=1)


def hold_until_the_other_waits_or_ends(other_done: threading.Event) -> None:
    """Called inside the first transaction: keep it open until the other thread is blocked
    on one of its locks, or has committed without waiting (the bug)."""
    if connection.vendor != "postgresql":
        # SQLite's busy handler cannot be watched: a writer that gets through at all gets
        # through within this time.
        other_done.wait(0.3)
        return
    deadline = time.monotonic() + 20
    while not other_done.is_set() and time.monotonic() < deadline:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_stat_clear_snapshot()")
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = "
                "current_database() AND wait_event_type = 'Lock'"
            )
            if cursor.fetchone()[0]:
                return
        time.sleep(0.005)


@pytest.fixture
def scene(empty_database_template, db, tmp_path, vault_home):
    """Sanne's recording of Ada (full consent) on a database of its own (each thread commits
    for real there: see :func:`support.concurrency.separate_database`)."""
    with separate_database(empty_database_template, tmp_path):
        world = World()
        world.pupils = Pupils(world)
        world.recording = make_recording(world.student, recorded_at=NOW, pupils=[world.pupils.ada])
        yield world


def schedule(world):
    return screening_schedule(
        actor=world.student,
        recording=world.recording,
        mode="online",
        starts_at=START,
        ends_at=START + timedelta(hours=2),
        attendees=["femke"],
        now=TODAY,
    )


def withdraw(world):
    return consent_withdraw(
        actor=world.school_admin,
        pupil_id=str(world.pupils.ada.pk),
        scope="peer_viewing",
        by="guardian",
        signer_name="Gerda Guardian",
        verified_in_person=True,
        on=date(2026, 11, 2),
        now=TODAY,
    )


def assert_the_withdrawal_holds(world, scheduled, withdrawn):
    assert isinstance(withdrawn, ConsentRecord), withdrawn
    active = Screening.objects.filter(recording=world.recording, cancelled_at__isnull=True)
    assert not active.exists(), "a screening of a pupil who withdrew stays scheduled"
    if isinstance(scheduled, Conflict):
        assert scheduled.extra["pupils_without_peer_consent"] == [str(world.pupils.ada.pk)]
        assert not Screening.objects.exists()
    else:
        assert isinstance(scheduled, Screening), scheduled
        assert Screening.objects.get().cancel_reason == "consent withdrawn"


def test_a_withdrawal_while_the_schedule_decides_cancels_the_new_screening(scene, monkeypatch):
    decided, withdrawal_done = threading.Event(), threading.Event()
    real_audit = screenings.audit_record

    def audit_after_deciding(**kwargs):
        if kwargs["action"] == "screening.schedule":
            decided.set()
            hold_until_the_other_waits_or_ends(withdrawal_done)
        return real_audit(**kwargs)

    monkeypatch.setattr(screenings, "audit_record", audit_after_deciding)

    def withdraw_once_decided():
        assert decided.wait(20)
        try:
            return withdraw(scene)
        finally:
            withdrawal_done.set()

    scheduled, withdrawn = run_in_threads(lambda: schedule(scene), withdraw_once_decided)
    assert isinstance(scheduled, Screening), scheduled  # it decided first
    assert_the_withdrawal_holds(scene, scheduled, withdrawn)


def test_a_schedule_while_the_withdrawal_commits_sees_it_and_answers_409(scene, monkeypatch):
    withdrawn_event, schedule_done = threading.Event(), threading.Event()

    def after_the_other_handlers(**kwargs):
        withdrawn_event.set()
        hold_until_the_other_waits_or_ends(schedule_done)

    # Last in line: the screenings that exist by now have been cancelled already.
    monkeypatch.setattr(
        consent_withdrawn, "_handlers", [*consent_withdrawn.handlers, after_the_other_handlers]
    )

    def schedule_once_withdrawn():
        assert withdrawn_event.wait(20)
        try:
            return schedule(scene)
        finally:
            schedule_done.set()

    withdrawn, scheduled = run_in_threads(lambda: withdraw(scene), schedule_once_withdrawn)
    assert isinstance(scheduled, Conflict), scheduled
    assert_the_withdrawal_holds(scene, scheduled, withdrawn)
