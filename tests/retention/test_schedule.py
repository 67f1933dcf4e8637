"""The retention schedule in the worker: one run per slot however many workers, a thread
next to db_worker that stops with it, and `classvault worker --batch` running it once."""

import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.test import TestCase

from classvault import cli
from classvault.recordings.models import Recording
from classvault.retention import jobs
from classvault.retention.jobs import RetentionScheduler, retention_slot, retention_tick
from classvault.retention.models import RetentionRun
from support.personas import NOW
from support.recordings import make_recording


def test_slots_are_aligned_intervals():
    now = datetime(2027, 5, 2, 8, 44, 59, tzinfo=UTC)
    assert retention_slot(now, 900) == datetime(2027, 5, 2, 8, 30, tzinfo=UTC)
    assert retention_slot(now, 3600) == datetime(2027, 5, 2, 8, 0, tzinfo=UTC)


def test_a_tick_runs_retention_once_per_slot(world, vault_home):
    recording = make_recording(world.student, recorded_at=NOW)
    at = recording.expires_at + timedelta(minutes=1)
    with TestCase.captureOnCommitCallbacks(execute=True):
        run = retention_tick(now=at, every=900)
    assert run is not None and run.deleted == 1
    assert not Recording.objects.exists()
    # A second worker in the same slot does nothing; the next slot runs again.
    assert retention_tick(now=at + timedelta(minutes=5), every=900) is None
    assert retention_tick(now=at + timedelta(minutes=15), every=900) is not None
    stored = RetentionRun.objects.get(slot=retention_slot(at, 900))
    assert (stored.deleted, stored.finished_at is not None) == (1, True)


def test_the_scheduler_ticks_every_slot_and_stops(monkeypatch):
    ticks = []
    done = threading.Event()

    def fake_tick(*, now, every):
        ticks.append((now, every))
        if len(ticks) == 3:
            done.set()

    monkeypatch.setattr(jobs, "retention_tick", fake_tick)
    scheduler = RetentionScheduler(every=1)
    monkeypatch.setattr(scheduler, "seconds_to_next_slot", lambda: 0.01)
    scheduler.start()
    assert done.wait(5)
    scheduler.stop()
    scheduler.join(5)
    assert not scheduler.is_alive()
    assert all(every == 1 for _, every in ticks)


def test_a_failing_run_does_not_end_the_scheduler(monkeypatch):
    calls = []
    done = threading.Event()

    def flaky_tick(*, now, every):
        calls.append(now)
        if len(calls) == 1:
            raise RuntimeError("database went away")
        done.set()

    monkeypatch.setattr(jobs, "retention_tick", flaky_tick)
    scheduler = RetentionScheduler(every=1)
    monkeypatch.setattr(scheduler, "seconds_to_next_slot", lambda: 0.01)
    scheduler.start()
    assert done.wait(5)
    scheduler.stop()
    scheduler.join(5)


def test_the_next_slot_is_waited_for():
    scheduler = RetentionScheduler(
        every=3600, now=lambda: datetime(2027, 5, 2, 8, 59, 0, tzinfo=UTC)
    )
    assert scheduler.seconds_to_next_slot() == pytest.approx(61)


@pytest.fixture
def fake_db_worker(monkeypatch):
    """db_worker (batch) and the job loop (JobWorker) record that they ran, and return."""
    calls = []
    monkeypatch.setattr(
        "django.core.management.call_command", lambda name, **options: calls.append((name, options))
    )
    monkeypatch.setattr(
        "classvault.core.worker.JobWorker.run",
        lambda self: calls.append(("job_worker", {"interval": self.interval})),
    )
    monkeypatch.setattr("classvault.core.worker.JobWorker.configure_signals", lambda self: None)
    monkeypatch.setattr("classvault.core.worker.Heartbeat.start", lambda self: None)
    return calls


def test_the_worker_runs_the_schedule_next_to_its_job_loop(fake_db_worker, monkeypatch):
    started = []

    class FakeScheduler:
        def __init__(self, *, every):
            self.every = every

        def start(self):
            started.append(self.every)

        def stop(self):
            started.append("stopped")

    monkeypatch.setattr(jobs, "RetentionScheduler", FakeScheduler)
    assert cli.main(["worker", "--retention-every", "600"]) == 0
    assert started == [600, "stopped"]
    assert fake_db_worker == [("job_worker", {"interval": 1.0})]


def test_worker_batch_runs_retention_once_then_drains(fake_db_worker, monkeypatch):
    ticks = []
    monkeypatch.setattr(jobs, "retention_tick", lambda *, now, every: ticks.append(every))
    assert cli.main(["worker", "--batch"]) == 0
    assert ticks == [900]
    assert fake_db_worker[0][1]["batch"] is True


def test_the_schedule_can_be_left_to_other_workers(fake_db_worker, monkeypatch):
    monkeypatch.setattr(jobs, "retention_tick", lambda **kwargs: pytest.fail("ran"))
    monkeypatch.setattr(jobs, "RetentionScheduler", lambda **kwargs: pytest.fail("started"))
    assert cli.main(["worker", "--batch", "--retention-every", "0"]) == 0
    assert cli.main(["worker", "--retention-every", "0"]) == 0


@pytest.mark.parametrize("value", ["-5", "often"])
def test_a_bad_interval_is_refused(value, capsys):
    with pytest.raises(SystemExit):
        cli.main(["worker", "--retention-every", value])
    assert "seconds" in capsys.readouterr().err
