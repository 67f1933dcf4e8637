"""The background worker's loop: a locked database, or a lost connection to it, is waited
out, and it says it is alive.

The loop tests commit for real (concurrent_db): the loop closes stale connections each
turn, as a long-running process must, and that cannot happen inside a test transaction.
"""

import uuid
from contextlib import contextmanager
from datetime import timedelta

import pytest
from django.db import OperationalError, connection
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from classvault.core import worker as worker_module
from classvault.core.models import WorkerHeartbeat
from classvault.core.worker import Backoff, JobWorker, heartbeat_write
from classvault.recordings.jobs import process_recording
from support.personas import NOW


def flaky_transaction(monkeypatch, *, failures: int, message: str = "database is locked"):
    """The claim's BEGIN fails ``failures`` times, as it does while another writer holds
    SQLite's lock past the busy timeout (where ``db_worker`` itself died)."""
    real = worker_module.exclusive_transaction
    calls = []

    def begin(using=None):
        calls.append(using)
        if len(calls) <= failures:
            raise OperationalError(message)
        return real(using)

    monkeypatch.setattr(worker_module, "exclusive_transaction", begin)
    return calls


def worker_that_stops_when_idle(waits: list[float]) -> JobWorker:
    worker = JobWorker(interval=0.5, worker_id="test:1", sleep=lambda seconds: None)

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        if seconds == worker.interval:  # idle: nothing left to do
            worker.running = False

    worker._sleep = sleep
    return worker


def test_the_worker_waits_out_a_locked_database_and_then_runs_the_job(concurrent_db, monkeypatch):
    job = process_recording.enqueue(str(uuid.uuid4()))  # a recording deleted meanwhile
    flaky_transaction(monkeypatch, failures=3)
    waits: list[float] = []
    worker_that_stops_when_idle(waits).run()
    assert waits == [1.0, 2.0, 4.0, 0.5]  # backoff, then the job, then idle
    result = DBTaskResult.objects.get(pk=job.id)
    assert (result.status, result.return_value) == (TaskResultStatus.SUCCESSFUL, "gone")


def test_the_backoff_starts_again_after_a_turn_succeeds(concurrent_db, monkeypatch):
    calls = flaky_transaction(monkeypatch, failures=1)
    waits: list[float] = []
    worker = worker_that_stops_when_idle(waits)
    worker.run()
    assert len(calls) == 2 and waits == [1.0, 0.5]
    assert worker.backoff.next() == 1.0


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a server session to end: PostgreSQL")
def test_a_session_ended_under_the_claim_is_waited_out_on_a_new_connection(
    concurrent_db, monkeypatch
):
    """PostgreSQL ends the worker's session inside the claim's transaction (a restart, a
    failover; here the session ends itself, the real error from the real server): the loop
    waits, its next turn connects anew, and the job runs."""
    job = process_recording.enqueue(str(uuid.uuid4()))
    real = worker_module.exclusive_transaction
    ended: list[int] = []

    @contextmanager
    def begin(using=None):
        with real(using):
            if not ended:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_backend_pid()")
                    ended.append(cursor.fetchone()[0])
                    cursor.execute("SELECT pg_terminate_backend(pg_backend_pid())")
            yield

    monkeypatch.setattr(worker_module, "exclusive_transaction", begin)
    waits: list[float] = []
    worker_that_stops_when_idle(waits).run()
    assert waits == [1.0, 0.5]  # one wait, then the job, then idle
    result = DBTaskResult.objects.get(pk=job.id)
    assert (result.status, result.return_value) == (TaskResultStatus.SUCCESSFUL, "gone")
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        assert cursor.fetchone()[0] != ended[0]


def test_any_other_database_error_ends_the_worker_for_serve_to_restart(concurrent_db, monkeypatch):
    flaky_transaction(monkeypatch, failures=1, message="no such table: django_tasks_db")
    with pytest.raises(OperationalError, match="no such table"):
        worker_that_stops_when_idle([]).run()


def test_backoff_doubles_up_to_a_minute_and_resets():
    backoff = Backoff()
    assert [backoff.next() for _ in range(8)] == [1, 2, 4, 8, 16, 32, 60, 60]
    backoff.reset()
    assert backoff.next() == 1


def test_heartbeat_records_the_worker_and_forgets_long_silent_ones(db):
    WorkerHeartbeat.objects.create(
        worker_id="old:1", started_at=NOW - timedelta(days=3), seen_at=NOW - timedelta(days=2)
    )
    heartbeat_write(worker_id="host:7", now=NOW, started_at=NOW)
    heartbeat_write(worker_id="host:7", now=NOW + timedelta(seconds=30), started_at=NOW)
    beat = WorkerHeartbeat.objects.get()
    assert (beat.worker_id, beat.started_at) == ("host:7", NOW)
    assert beat.seen_at == NOW + timedelta(seconds=30)


def test_the_heartbeat_stops_when_the_loop_is_stuck(monkeypatch):
    worker = JobWorker(worker_id="test:1")
    clock = [1000.0]
    monkeypatch.setattr(worker_module.time, "monotonic", lambda: clock[0])
    worker.last_turn = 1000.0
    assert worker.is_going()
    clock[0] += worker_module.STUCK_AFTER + 1
    assert not worker.is_going()
    worker.running_task = True  # a long transcode is not a stuck loop
    assert worker.is_going()
