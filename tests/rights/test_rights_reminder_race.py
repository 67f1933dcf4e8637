"""Two workers running the schedule at the same moment send each reminder once: the
reminder row, the notifications and the audit event commit together or not at all."""

from datetime import date, datetime

import pytest

from classvault.audit.models import AuditEvent
from classvault.core.time import AMSTERDAM
from classvault.people.models import Notification
from classvault.rights.models import RequestReminder
from classvault.rights.services import request_register, request_reminders_send
from support.concurrency import run_in_threads, separate_database
from support.personas import NOW, World
from support.pupils import Pupils


@pytest.fixture
def scene(empty_database_template, db, tmp_path):
    with separate_database(empty_database_template, tmp_path):
        world = World()
        pupils = Pupils(world)
        for pupil in (pupils.ada, pupils.bram, pupils.cas):
            request_register(
                actor=world.privacy,
                pupil_id=str(pupil.pk),
                kind="access",
                requested_by="guardian",
                received_on=date(2026, 11, 1),
                details="",
                now=NOW,
            )
        yield world


def test_two_workers_send_each_reminder_once(scene):
    at = datetime(2026, 11, 30, 3, tzinfo=AMSTERDAM)  # the day before the deadline
    results = run_in_threads(*(lambda: request_reminders_send(now=at) for _ in range(3)))
    assert all(isinstance(r, int) for r in results), results
    assert sum(results) == 3
    assert RequestReminder.objects.count() == 3
    assert Notification.objects.filter(kind="request_due").count() == 3
    assert AuditEvent.objects.filter(action="request.reminder").count() == 3
