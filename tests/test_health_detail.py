"""The health check's detail, and the privacy officer's warning, when background work stalls;
a locked database answers 503 "try again", not 500."""

import uuid
from datetime import datetime, timedelta

import pytest
from django.conf import settings
from django.db import OperationalError
from django.test import Client
from django_tasks_db.models import DBTaskResult

from classvault.core.health import health_detail
from classvault.core.models import WorkerHeartbeat
from classvault.recordings.jobs import process_recording
from support.personas import NOW, Api, web_login


def beat(at):
    WorkerHeartbeat.objects.update_or_create(
        worker_id="host:1",
        defaults={"seen_at": at},
        create_defaults={"seen_at": at, "started_at": at},
    )


def enqueued(at, *, run_after=None):
    # Any real task does; this one finds its (made-up) recording gone.
    task = process_recording.using(run_after=run_after) if run_after else process_recording
    job = task.enqueue(str(uuid.uuid4()))
    DBTaskResult.objects.filter(pk=job.id).update(enqueued_at=at)
    return job


def test_a_fresh_heartbeat_and_an_empty_queue_are_ok(db):
    beat(NOW - timedelta(seconds=30))
    health = health_detail(now=NOW)
    assert health.ok and health.worker_alive and health.database_ok
    assert (health.queue_depth, health.oldest_waiting_seconds) == (0, None)


@pytest.mark.parametrize(
    "silent_for,silent", [(timedelta(minutes=5), False), (timedelta(minutes=5, seconds=1), True)]
)
def test_the_worker_is_silent_after_five_minutes(db, silent_for, silent):
    beat(NOW - silent_for)
    health = health_detail(now=NOW)
    assert (health.worker_silent, health.worker_alive, health.ok) == (
        silent,
        not silent,
        not silent,
    )


def test_no_heartbeat_at_all_is_silent(db):
    assert health_detail(now=NOW).worker_silent


def test_the_oldest_waiting_job_age_is_measured_at_now(db):
    beat(NOW)
    enqueued(NOW - timedelta(minutes=7))
    enqueued(NOW - timedelta(minutes=2))
    # Scheduled for later: not waiting yet, and not counted.
    enqueued(NOW - timedelta(hours=1), run_after=NOW + timedelta(minutes=5))
    # Scheduled for 10 minutes ago: waiting since then, not since it was queued.
    enqueued(NOW - timedelta(hours=2), run_after=NOW - timedelta(minutes=10))
    health = health_detail(now=NOW)
    assert health.queue_depth == 3
    assert health.oldest_waiting_seconds == 600
    assert not health.queue_stuck
    later = health_detail(now=NOW + timedelta(minutes=20, seconds=1))
    assert later.oldest_waiting_seconds == 1801 and later.queue_stuck and not later.ok


def test_claimed_jobs_do_not_wait(db):
    job = enqueued(NOW - timedelta(hours=1))
    DBTaskResult.objects.filter(pk=job.id).update(status="RUNNING")
    assert health_detail(now=NOW).queue_depth == 0


# --- GET /api/v1/health/detail -----------------------------------------------------------


def test_detail_needs_authentication(db):
    assert Api().get("/health/detail").status_code == 401


@pytest.mark.parametrize("persona", ["school_admin", "student", "trainer", "supervisor"])
def test_detail_is_for_the_privacy_officer_and_institute_admin_only(world, persona):
    assert world.api(getattr(world, persona)).get("/health/detail").status_code == 403


@pytest.mark.parametrize("persona", ["privacy", "admin"])
def test_detail_reports_database_worker_and_queue(world, persona, time_machine):
    time_machine.move_to(NOW, tick=False)
    beat(NOW - timedelta(seconds=40))
    enqueued(NOW - timedelta(seconds=90))
    response = world.api(getattr(world, persona)).get("/health/detail")
    assert response.status_code == 200
    body = response.json()
    last = datetime.fromisoformat(body.pop("worker_last_heartbeat"))
    assert last == NOW - timedelta(seconds=40) and last.utcoffset() is not None
    assert body == {
        "status": "ok",
        "database": "ok",
        "storage": "ok",
        "worker_alive": True,
        "queue_depth": 1,
        "oldest_waiting_job_seconds": 90,
        "recordings_stalled": 0,
        "oldest_stalled_seconds": None,
    }


def test_detail_says_degraded_when_no_worker_reports(world):
    body = world.api(world.privacy).get("/health/detail").json()
    assert body["status"] == "degraded" and body["worker_alive"] is False
    assert body["worker_last_heartbeat"] is None


def test_the_public_health_check_stays_as_it_was(db):
    assert Api().get("/health").json() == {"status": "ok"}


# --- the privacy officer's page ------------------------------------------------------------


def web_client(user) -> Client:
    """Logged in, in English: the Dutch of new text arrives when the catalogue is merged."""
    client = Client()
    web_login(user.username, client=client)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def test_privacy_officer_is_warned_when_the_worker_is_silent(world, time_machine):
    time_machine.move_to(NOW, tick=False)
    beat(NOW - timedelta(minutes=20))
    html = web_client(world.privacy).get("/").content.decode()
    assert 'id="worker-warning"' in html
    assert "The background worker has not reported for 20\xa0minutes." in html
    assert "expired recordings are not deleted" in html


def test_privacy_officer_is_warned_when_no_worker_ever_reported(world):
    html = web_client(world.privacy).get("/").content.decode()
    assert "No background worker has ever reported." in html


def test_privacy_officer_is_warned_when_jobs_wait_too_long(world, time_machine):
    time_machine.move_to(NOW, tick=False)
    beat(NOW)
    enqueued(NOW - timedelta(minutes=45))
    html = web_client(world.privacy).get("/").content.decode()
    assert "1 background job is waiting; the oldest has waited 45\xa0minutes." in html


def test_no_warning_while_the_worker_keeps_up(world, time_machine):
    time_machine.move_to(NOW, tick=False)
    beat(NOW - timedelta(seconds=10))
    enqueued(NOW - timedelta(minutes=1))
    assert 'id="worker-warning"' not in web_client(world.privacy).get("/").content.decode()


# --- a locked database is 503, not 500 -----------------------------------------------------


def locked(**kwargs):
    raise OperationalError("database is locked")


def test_a_locked_database_is_503_with_retry_after_in_the_api(world, monkeypatch):
    monkeypatch.setattr("classvault.core.health.health_detail", locked)
    response = world.api(world.privacy).get("/health/detail")
    assert response.status_code == 503
    assert response["Retry-After"] == "5" and response.json()["detail"]


def test_a_locked_database_is_a_friendly_page_on_the_web(world, monkeypatch):
    monkeypatch.setattr("classvault.web.selectors.landing_for", locked)
    response = web_client(world.privacy).get("/")
    assert response.status_code == 503 and response["Retry-After"] == "5"
    assert "ClassVault is busy" in response.content.decode()


def test_other_database_errors_are_not_disguised(world, monkeypatch):
    def broken(**kwargs):
        raise OperationalError("disk I/O error")

    monkeypatch.setattr("classvault.core.health.health_detail", broken)
    with pytest.raises(OperationalError):
        world.api(world.privacy).get("/health/detail")
