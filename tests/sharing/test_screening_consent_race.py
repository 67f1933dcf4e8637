"""A withdrawal of peer-viewing consent racing the scheduling of a screening is never lost
(issue 9.1): real threads on a real database, SQLite and PostgreSQL.

Whichever decides first, the outcome is one the withdrawal allows: the schedule answers 409,
or its screening exists and is cancelled. Each test holds the first transaction open right
after it decided, until the second is seen waiting for it (PostgreSQL: in pg_stat_activity;
SQLite: it cannot be seen, so the first gives it a moment) or has finished.
"""

import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.db import connection, connections

from classvault.consent.models import ConsentRecord
from classvault.consent.services import consent_withdraw, consent_withdrawn
from classvault.core.exceptions import Conflict
from classvault.recordings.models import Recording, RecordingPupil
from classvault.sharing import screenings
from classvault.sharing.models import Screening
from classvault.sharing.screenings import screening_schedule
from conftest import NOW, World
from consent.pupil_personas import Pupils

TODAY = NOW + timedelta(days=1)
START = TODAY + timedelta(days=1)


@contextmanager
def separate_database(tmp_path: Path) -> Iterator[None]:
    """Run the block on a fresh copy of the migrated, empty test database, for all threads.

    The SQLite test database lives in memory with a shared cache, where a second writer gets
    "database table is locked" at once instead of waiting as with a file; and a flush after
    a transactional test trips the append-only triggers. (The same approach as the races
    helper's tests/concurrency.py; one of the two can go when both are merged.)
    """
    settings_dict = connection.settings_dict
    original = settings_dict["NAME"]
    kept = None
    if connection.vendor == "sqlite":
        copy = str(tmp_path / "threads.sqlite3")
        connection.ensure_connection()
        target = sqlite3.connect(copy)
        connection.connection.backup(target)
        target.close()
        # Closing an in-memory test database would lose it: put the connection aside.
        kept, connection.connection = connection.connection, None
    else:
        copy = f"{original}_threads"
        connection.close()
        with connection._nodb_cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{copy}"')
            cursor.execute(f'CREATE DATABASE "{copy}" TEMPLATE "{original}"')
    settings_dict["NAME"] = copy
    try:
        yield
    finally:
        connections.close_all()
        settings_dict["NAME"] = original
        if kept is not None:
            connection.connection = kept
        else:
            with connection._nodb_cursor() as cursor:
                cursor.execute(f'DROP DATABASE IF EXISTS "{copy}"')


def run_in_threads(*targets: Callable[[], object]) -> list:
    """Each target in its own thread and connection; results (or exceptions) in order."""
    results: list = [None] * len(targets)

    def run(index: int, target: Callable[[], object]) -> None:
        try:
            results[index] = target()
        except BaseException as exc:  # noqa: BLE001 - handed to the test to judge
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, t)) for i, t in enumerate(targets)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
        assert not thread.is_alive(), "a thread did not finish: deadlock?"
    return results


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
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = "
                           "current_database() AND wait_event_type = 'Lock'")
            if cursor.fetchone()[0]:
                return
        time.sleep(0.005)


@pytest.fixture
def db(django_db_setup, django_db_blocker):
    """Replaces pytest-django's ``db`` here: asking for a fixture of this name is what makes
    pytest-django create the test database, but no test transaction may wrap the threads'
    work (each thread commits for real, on a copy: see :func:`separate_database`)."""
    with django_db_blocker.unblock():
        yield


@pytest.fixture
def scene(db, tmp_path):
    """Sanne's recording of Ada (full consent) on a database of its own."""
    with separate_database(tmp_path):
        world = World()
        world.pupils = Pupils(world)
        world.recording = Recording.objects.create(
            owner=world.student, school=world.north, title="Rekenles", recorded_at=NOW,
            expires_at=NOW + timedelta(days=180), created_at=NOW)
        RecordingPupil.objects.create(recording=world.recording, pupil=world.pupils.ada)
        yield world


def schedule(world):
    return screening_schedule(actor=world.student, recording=world.recording, mode="online",
                              starts_at=START, ends_at=START + timedelta(hours=2),
                              attendees=["femke"], now=TODAY)


def withdraw(world):
    return consent_withdraw(actor=world.school_admin, pupil_id=str(world.pupils.ada.pk),
                            scope="peer_viewing", by="guardian", signer_name="Gerda Guardian",
                            verified_in_person=True, on=date(2026, 11, 2), now=TODAY)


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


def test_a_withdrawal_while_the_schedule_decides_cancels_the_new_screening(scene,
                                                                          monkeypatch):
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
    monkeypatch.setattr(consent_withdrawn, "_handlers",
                        [*consent_withdrawn.handlers, after_the_other_handlers])

    def schedule_once_withdrawn():
        assert withdrawn_event.wait(20)
        try:
            return schedule(scene)
        finally:
            schedule_done.set()

    withdrawn, scheduled = run_in_threads(lambda: withdraw(scene), schedule_once_withdrawn)
    assert isinstance(scheduled, Conflict), scheduled
    assert_the_withdrawal_holds(scene, scheduled, withdrawn)
