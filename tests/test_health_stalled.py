"""Transcodes nobody works on show in the health check and on the privacy officer's page, and
a worker queues them again every minute (issue 9, outside attack 3b).

A worker killed mid-transcode leaves its recording in ``processing`` with a lease that
lapses and a job that stays "running" for ever; a try that failed releases the lease and
waits to be queued again. Neither is a waiting job, so the queue looked healthy.
"""

import logging
import time
from datetime import timedelta

from django.conf import settings
from django.test import Client
from django_tasks_db.models import DBTaskResult

from classvault.core.health import health_detail
from classvault.core.models import WorkerHeartbeat
from classvault.core.worker import Every
from classvault.recordings.jobs import process_recording, recordings_resume, recordings_stalled
from classvault.recordings.models import Recording
from classvault.recordings.processing import LEASE
from support.personas import NOW, web_login
from support.recordings import make_recording


def _processing(world, *, lease_until=None, created=NOW):
    recording = make_recording(world.student, status="processing", now=created)
    Recording.objects.filter(pk=recording.pk).update(lease_until=lease_until)
    return str(recording.pk)


def _jobs(recording_id) -> int:
    return sum(
        1
        for args in DBTaskResult.objects.filter(
            task_path=process_recording.module_path, status="READY"
        ).values_list("args_kwargs", flat=True)
        if args["args"] == [recording_id]
    )


def test_a_lapsed_lease_and_a_released_one_are_stalled_a_held_one_is_not(world, vault_home):
    killed = _processing(world, lease_until=NOW - timedelta(minutes=20))
    released = _processing(world, created=NOW - timedelta(minutes=5))
    _processing(world, lease_until=NOW + LEASE)  # a worker is at it
    WorkerHeartbeat.objects.create(worker_id="host:1", seen_at=NOW, started_at=NOW)
    health = health_detail(now=NOW)
    assert (health.stalled, health.oldest_stalled_seconds) == (2, 20 * 60)
    assert not health.stalled_stuck and health.ok
    later = health_detail(now=NOW + timedelta(minutes=10, seconds=1))
    assert later.stalled_stuck and not later.ok
    assert {killed, released} <= set(recordings_resume(now=NOW))


def test_a_recording_whose_job_waits_in_the_queue_is_not_stalled(world, vault_home):
    recording_id = _processing(world, created=NOW - timedelta(hours=1))
    assert recordings_stalled(now=NOW).count == 1
    recordings_resume(now=NOW)
    assert recordings_stalled(now=NOW).count == 0
    # Queued once, however often the scan runs meanwhile.
    recordings_resume(now=NOW)
    recordings_resume(now=NOW + timedelta(minutes=1))
    assert _jobs(recording_id) == 1


def test_the_detail_endpoint_reports_stalled_recordings(world, vault_home, time_machine):
    time_machine.move_to(NOW, tick=False)
    _processing(world, lease_until=NOW - timedelta(minutes=31))
    body = world.api(world.privacy).get("/health/detail").json()
    assert (body["recordings_stalled"], body["oldest_stalled_seconds"]) == (1, 31 * 60)
    assert body["status"] == "degraded"


def test_the_privacy_officer_is_warned_of_stalled_recordings(world, vault_home, time_machine):
    time_machine.move_to(NOW, tick=False)
    WorkerHeartbeat.objects.create(worker_id="host:1", seen_at=NOW, started_at=NOW)
    client = Client()
    web_login(world.privacy.username, client=client)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert 'id="stalled-warning"' not in client.get("/").content.decode()
    _processing(world, lease_until=NOW - timedelta(minutes=31))
    page = client.get("/").content.decode()
    assert 'id="stalled-warning"' in page and "1 recording is not being processed" in page


# --- the worker's minute-by-minute scan ------------------------------------------------------


def test_every_calls_its_action_with_the_time_and_survives_errors(caplog):
    calls = []

    def action(*, now):
        calls.append(now)
        if len(calls) == 1:
            raise RuntimeError("database is locked")

    every = Every(60, action, name="classvault-resume", now=lambda: NOW)
    caplog.set_level(logging.ERROR, logger="classvault.worker")
    every.run_once()
    every.run_once()
    assert calls == [NOW, NOW]
    assert "classvault-resume failed" in caplog.text


def test_every_runs_until_stopped():
    calls = []
    every = Every(0.01, lambda *, now: calls.append(now), name="t", now=lambda: NOW)
    every.start()
    try:
        end = time.monotonic() + 5
        while len(calls) < 3 and time.monotonic() < end:
            time.sleep(0.01)
    finally:
        every.stop()
    every.join(5)
    assert len(calls) >= 3 and not every.is_alive()
