"""Uploads of one student teacher at once cannot together pass her quota (issue 12).

Real threads on a real database (SQLite and PostgreSQL); a gate lets the requests meet
where they would have raced: after their checks without locks, before the deciding one.
"""

import threading

import pytest
from test_recording_resumable_race import Gate

from classvault.people.services import guidelines_acknowledge
from classvault.recordings import resumable, services
from classvault.recordings.models import Recording, Upload
from support.concurrency import run_in_threads, separate_database
from support.personas import NOW, World, login
from support.pupils import Pupils
from support.recordings import upload


@pytest.fixture
def threaded_studio(empty_database_template, db, tmp_path, vault_home, frozen, settings):
    settings.CLASSVAULT_UPLOAD_CHUNK_BYTES = 4096
    with separate_database(empty_database_template, tmp_path):
        world = World()
        guidelines_acknowledge(actor=world.student, now=NOW)
        world.pupils = Pupils(world)
        yield world


def test_two_uploads_completing_at_once_cannot_both_take_the_last_space(
    threaded_studio, small_video, settings, monkeypatch
):
    # Room for one of the two videos, not for both.
    settings.CLASSVAULT_QUOTA_BYTES = len(small_video) * 3 // 2
    # Both have probed their video (no lock held) before either decides on the quota.
    probed = Gate(2, timeout=2)
    real_duration_check = services.duration_check

    def duration_check(seconds):
        probed.wait()
        return real_duration_check(seconds)

    monkeypatch.setattr(services, "duration_check", duration_check)
    api = login("sanne")
    pupils = [threaded_studio.pupils.ada.pk]

    def send():
        return upload(api, small_video, pupils=pupils)

    responses = run_in_threads(send, send)
    codes = sorted(getattr(r, "status_code", r) for r in responses)
    assert codes == [201, 413], [getattr(r, "content", r) for r in responses]
    assert Recording.objects.count() == 1


def test_two_uploads_starting_at_once_cannot_both_take_the_last_space(
    threaded_studio, settings, monkeypatch
):
    settings.CLASSVAULT_QUOTA_BYTES = 10_000
    # Both have passed every check without a lock before either takes its space.
    checked = threading.Barrier(2)
    real_precheck = resumable.recording_upload_allowed

    def recording_upload_allowed(**kwargs):
        enrolment = real_precheck(**kwargs)
        checked.wait(30)
        return enrolment

    monkeypatch.setattr(resumable, "recording_upload_allowed", recording_upload_allowed)
    api = login("sanne")

    def begin():
        return api.post("/uploads", {"size": 6_000, "filename": "les.mp4"})

    responses = run_in_threads(begin, begin)
    codes = sorted(getattr(r, "status_code", r) for r in responses)
    assert codes == [201, 413], [getattr(r, "content", r) for r in responses]
    assert Upload.objects.count() == 1
