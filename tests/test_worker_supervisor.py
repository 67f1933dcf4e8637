"""`classvault serve` keeps its background worker alive: a dead worker is replaced (with a
backoff, logged), an upload after that is processed, and stopping serve stops the worker."""

import json
import logging
import os
import signal
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from classvault.core.worker import worker_id_for
from classvault.server import WorkerSupervisor
from support.liveserver import call, multipart, running_server, token_for, worker_pid
from support.media import make_video

SLEEPER = [sys.executable, "-c", "import time; time.sleep(120)"]


def wait_for(condition, timeout: float = 30):
    deadline = time.monotonic() + timeout
    while not (value := condition()):
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)
    return value


def gone(pid: int) -> bool:
    """No such process, or only its zombie (exited, waiting to be reaped)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1].startswith("Z")
    except (OSError, IndexError):
        return True


def test_a_killed_worker_is_replaced_and_its_death_logged(caplog):
    caplog.set_level(logging.INFO, logger="classvault.server")
    supervisor = WorkerSupervisor(command=SLEEPER, first=0.05, most=0.2)
    supervisor.start()
    try:
        first = wait_for(lambda: supervisor.proc)
        os.kill(first.pid, signal.SIGKILL)
        second = wait_for(lambda: supervisor.starts == 2 and supervisor.proc)
        assert second.pid != first.pid and second.poll() is None
        assert f"worker (pid {first.pid}) was killed by SIGKILL" in caplog.text
        assert f"Background worker started (pid {second.pid})" in caplog.text
    finally:
        supervisor.stop(timeout=10)
    supervisor.join(10)
    assert not supervisor.is_alive() and second.poll() is not None


def test_a_worker_that_keeps_failing_is_restarted_ever_later(caplog):
    failing = [sys.executable, "-c", "raise SystemExit(3)"]
    supervisor = WorkerSupervisor(command=failing, first=0.01, most=0.04)
    supervisor.start()
    try:
        wait_for(lambda: supervisor.starts >= 5)
    finally:
        supervisor.stop(timeout=10)
    assert "exited with status 3" in caplog.text
    assert supervisor.backoff.next() == 0.04  # doubled up to the most


# --- a hung worker (issue 9, outside attack 3a): its heartbeat goes stale ------------------


class Clock:
    """The supervisor's wall clock, moved by the test: no real five-minute waits."""

    def __init__(self) -> None:
        self.now = datetime(2026, 11, 3, 10, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def test_a_worker_whose_heartbeat_is_stale_is_killed_and_replaced(caplog):
    caplog.set_level(logging.INFO, logger="classvault.server")
    clock, beats = Clock(), {}
    supervisor = WorkerSupervisor(
        command=SLEEPER,
        first=0.01,
        most=0.01,
        stale_after=300,
        check_every=0.02,
        heartbeat=beats.get,
        now=clock,
    )
    supervisor.start()
    try:
        first = wait_for(lambda: supervisor.proc)
        os.kill(first.pid, signal.SIGSTOP)  # hung: alive, but going nowhere
        beats[worker_id_for(first.pid)] = clock.now  # it reported once, then stopped
        clock.now += timedelta(seconds=299)
        time.sleep(0.2)  # several checks: not stale yet
        assert supervisor.starts == 1 and first.poll() is None
        clock.now += timedelta(seconds=2)
        second = wait_for(lambda: supervisor.starts == 2 and supervisor.proc)
        assert first.wait(5) == -signal.SIGKILL and second.poll() is None
        assert supervisor.hung_kills == 1
        assert f"worker (pid {first.pid}) has not reported for 301 s" in caplog.text
        # The new worker is judged from its own start, not by the old one's silence.
        time.sleep(0.2)
        assert supervisor.starts == 2
    finally:
        supervisor.stop(timeout=10)
    supervisor.join(10)


def test_a_worker_that_never_reports_is_killed_after_the_threshold():
    clock = Clock()
    supervisor = WorkerSupervisor(
        command=SLEEPER,
        first=0.01,
        most=0.01,
        stale_after=300,
        check_every=0.02,
        heartbeat=lambda worker_id: None,
        now=clock,
    )
    supervisor.start()
    try:
        first = wait_for(lambda: supervisor.proc)
        time.sleep(0.1)
        assert supervisor.starts == 1
        clock.now += timedelta(seconds=301)
        wait_for(lambda: supervisor.starts == 2)
        assert first.wait(5) == -signal.SIGKILL
    finally:
        supervisor.stop(timeout=10)
    supervisor.join(10)


def test_a_reporting_worker_or_an_unreadable_heartbeat_is_left_alone():
    clock = Clock()

    def unreadable(worker_id):
        raise RuntimeError("database is locked")

    for heartbeat in (lambda worker_id: clock.now, unreadable):
        supervisor = WorkerSupervisor(
            command=SLEEPER, stale_after=300, check_every=0.02, heartbeat=heartbeat, now=clock
        )
        supervisor.start()
        try:
            first = wait_for(lambda s=supervisor: s.proc)
            if heartbeat is unreadable:
                clock.now += timedelta(hours=1)
            else:
                for _ in range(5):
                    clock.now += timedelta(minutes=10)  # it keeps reporting meanwhile
                    time.sleep(0.05)
            time.sleep(0.2)
            assert supervisor.starts == 1 and first.poll() is None
        finally:
            supervisor.stop(timeout=10)
        supervisor.join(10)


def test_the_stale_threshold_is_a_setting(settings):
    settings.CLASSVAULT_WORKER_STALE_SECONDS = 120
    assert WorkerSupervisor(command=SLEEPER).stale_after == 120


def test_stop_does_nothing_in_a_forked_web_worker():
    supervisor = WorkerSupervisor(command=SLEEPER)
    supervisor._owner = -1  # as seen from a process gunicorn forked
    supervisor.stop()
    assert not supervisor._stopping.is_set()


@pytest.mark.cli
def test_killing_the_worker_during_serve_starts_a_new_one_that_processes_uploads(tmp_path):
    video = make_video(seconds=1.0, width=160, height=120)
    with running_server(tmp_path / "data", worker=True) as base:
        # Generous waits: on a loaded machine a worker takes a while to start (it imports
        # Django and PyAV); the test is about what happens, not how fast.
        first = wait_for(lambda: worker_pid(base), timeout=120)
        os.kill(first, signal.SIGKILL)
        second = wait_for(lambda: (pid := worker_pid(base)) != first and pid, timeout=120)
        assert not gone(second)

        token = token_for(base, "sanne")
        assert call(base, "POST", "/api/v1/me/guidelines", token=token)[0] == 200
        body, content_type = multipart(
            {"title": "Na de herstart", "recorded_at": "2026-11-20T10:00:00+01:00", "pupils": "[]"},
            {"file": ("les.mp4", video, "video/mp4")},
        )
        status, _, created = call(
            base,
            "POST",
            "/api/v1/recordings",
            token=token,
            data=body,
            headers={"Content-Type": content_type},
        )
        assert status == 201, created
        recording = json.loads(created)["id"]

        def processed():
            detail = json.loads(
                call(base, "GET", f"/api/v1/recordings/{recording}", token=token)[2]
            )
            return detail["status"] != "processing" and detail

        assert wait_for(processed, timeout=180)["status"] == "ready"
        health = json.loads(
            call(base, "GET", "/api/v1/health/detail", token=token_for(base, "privacy"))[2]
        )
        assert health["worker_alive"] is True and health["queue_depth"] == 0
    # Stopping serve stopped its worker too: nothing is left behind.
    assert wait_for(lambda: gone(second), timeout=40)
