"""The transcoding lease (issue 9.4): renewed while the work goes on, taken over only when it
lapsed, never by deleting a live worker's files; only real failures count, and a failed job
keeps the original. Real PyAV on a tiny generated video; the clock is injected."""

import threading
from datetime import datetime, timedelta

import pytest
from django.utils import translation

from classvault.audit.models import AuditEvent
from classvault.people.services import guidelines_acknowledge
from classvault.recordings import media
from classvault.recordings.jobs import recordings_resume
from classvault.recordings.models import Recording
from classvault.recordings.processing import LEASE, MAX_TAKEOVERS, RETRY_AFTER, recording_process
from classvault.vault.models import DataKey
from support.concurrency import run_in_threads, separate_database
from support.personas import NOW, TODAY, World, login
from support.pupils import Pupils
from support.recordings import upload


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


class Killed(BaseException):
    """The worker process dies mid-transcode (nothing in the job can catch this)."""


@pytest.fixture(scope="module")
def long_video() -> bytes:
    from support.media import make_video

    return make_video(seconds=4.0)  # 100 frames: the transcode reports progress 4 times


def _uploaded(video) -> str:
    response = upload(login("sanne"), video)
    assert response.status_code == 201, response.content
    return response.json()["id"]


def _live(recording_id, purpose) -> int:
    return DataKey.objects.filter(
        object_id=recording_id, purpose=purpose, destroyed_at__isnull=True
    ).count()


def _unfinished(vault_home, recording_id) -> list:
    return sorted((vault_home / "blobs" / recording_id).glob(".*.tmp"))


def test_a_long_transcode_renews_its_lease_and_is_not_taken_over(studio, long_video, monkeypatch):
    recording_id = _uploaded(long_video)
    clock = Clock(TODAY)
    second_worker = []
    real = media.transcode

    def long_transcode(src, dst, progress=None):
        def tick(fraction):
            clock.advance(timedelta(minutes=6))  # 24 minutes in all: past the first lease
            if progress:
                progress(fraction)
            second_worker.append(recording_process(recording_id=recording_id, now=clock()))

        return real(src, dst, progress=tick)

    monkeypatch.setattr(media, "transcode", long_transcode)
    assert recording_process(recording_id=recording_id, now=TODAY, clock=clock) == "ready"
    assert clock() - TODAY > LEASE and len(second_worker) >= 4
    assert set(second_worker) == {"processing"}
    recording = Recording.objects.get(pk=recording_id)
    assert (recording.takeovers, recording.attempts) == (0, 0)
    assert _live(recording_id, "rendition") == 1


def test_repeated_takeovers_of_dead_workers_do_not_fail_the_job(studio, small_video, monkeypatch):
    recording_id = _uploaded(small_video)
    real = media.transcode
    deaths = 4

    def dying(src, dst, progress=None):
        if Recording.objects.get(pk=recording_id).takeovers < deaths:
            raise Killed()
        return real(src, dst, progress=progress)

    monkeypatch.setattr(media, "transcode", dying)
    now = TODAY
    for _death in range(deaths):
        with pytest.raises(Killed):
            recording_process(recording_id=recording_id, now=now)
        now += LEASE + timedelta(seconds=1)
    assert recording_process(recording_id=recording_id, now=now) == "ready"
    recording = Recording.objects.get(pk=recording_id)
    assert (recording.takeovers, recording.attempts) == (deaths, 0)
    assert _live(recording_id, "rendition") == 1


def test_a_job_whose_worker_always_dies_fails_in_the_end_and_keeps_the_original(
    studio, small_video, monkeypatch
):
    recording_id = _uploaded(small_video)

    def always_dying(src, dst, progress=None):
        raise Killed()

    monkeypatch.setattr(media, "transcode", always_dying)
    now = TODAY
    for _death in range(MAX_TAKEOVERS + 1):  # the first run, then MAX_TAKEOVERS takeovers
        with pytest.raises(Killed):
            recording_process(recording_id=recording_id, now=now)
        now += LEASE + timedelta(seconds=1)
    with translation.override("en"):
        assert recording_process(recording_id=recording_id, now=now) == "failed"
    recording = Recording.objects.get(pk=recording_id)
    assert "interrupted" in recording.failure_reason
    assert _live(recording_id, "original") == 1


def test_a_real_failure_counts_and_after_the_cap_fails_keeping_the_original(
    studio, small_video, monkeypatch
):
    recording_id = _uploaded(small_video)

    def broken_disk(src, dst, progress=None):
        raise RuntimeError("disk trouble")

    monkeypatch.setattr(media, "transcode", broken_disk)
    now = TODAY
    for attempt, wait in ((1, RETRY_AFTER), (2, 2 * RETRY_AFTER)):
        with pytest.raises(RuntimeError):
            recording_process(recording_id=recording_id, now=now)
        recording = Recording.objects.get(pk=recording_id)
        # Counted, and released to nobody until a backoff that doubles is over.
        assert (recording.status, recording.attempts) == ("processing", attempt)
        assert recording.lease_until == now + wait and recording.lease_token is None
        assert recording.takeovers == 0
        assert recordings_resume(now=now + wait - timedelta(seconds=1)) == []
        assert recording_process(recording_id=recording_id, now=now + wait / 2) == "processing"
        now += wait
        assert recordings_resume(now=now) == [recording_id]
    assert recording_process(recording_id=recording_id, now=now) == "failed"
    assert Recording.objects.get(pk=recording_id).takeovers == 0
    assert _live(recording_id, "original") == 1


# --- a takeover while the old worker still runs: real threads -------------------------------


@pytest.fixture
def threaded_studio(empty_database_template, db, tmp_path, vault_home, frozen):
    with separate_database(empty_database_template, tmp_path):
        world = World()
        guidelines_acknowledge(actor=world.student, now=NOW)
        world.pupils = Pupils(world)
        yield world


def test_a_takeover_leaves_the_old_workers_files_and_the_old_worker_stores_nothing(
    threaded_studio, long_video, vault_home, monkeypatch
):
    recording_id = _uploaded(long_video)
    old_clock = Clock(TODAY)
    later = TODAY + LEASE + timedelta(seconds=1)
    old_is_writing, taken_over = threading.Event(), threading.Event()
    seen_by_new = []
    real = media.transcode

    def transcode(src, dst, progress=None):
        old = threading.current_thread().name == "old"

        def tick(fraction):
            if old and not old_is_writing.is_set():
                # The old worker hangs (a paused VM, say) with its rendition half-written.
                old_is_writing.set()
                assert taken_over.wait(60)
                old_clock.advance(timedelta(minutes=2))
            elif not old:
                seen_by_new.append(_unfinished(vault_home, recording_id))
            progress(fraction)

        return real(src, dst, progress=tick)

    monkeypatch.setattr(media, "transcode", transcode)

    def old_worker():
        threading.current_thread().name = "old"
        return recording_process(recording_id=recording_id, now=TODAY, clock=old_clock)

    def new_worker():
        try:
            assert old_is_writing.wait(60)
            before = _unfinished(vault_home, recording_id)
            result = recording_process(recording_id=recording_id, now=later, clock=lambda: later)
            return before, result
        finally:
            taken_over.set()

    old_result, (before, new_result) = run_in_threads(old_worker, new_worker)
    assert new_result == "ready"
    # The old worker's half-written file was there when the takeover began and while the new
    # worker transcoded: nothing of it was deleted under its feet.
    assert before and all(set(before) <= set(files) for files in seen_by_new)
    # The old worker found its lease gone at its next renewal and stopped: it stored nothing
    # and reported what the new one made of it.
    assert old_result == "ready"
    assert _live(recording_id, "rendition") == 1 and _live(recording_id, "poster") == 1
    assert AuditEvent.objects.filter(action="recording.ready", object_id=recording_id).count() == 1
    recording = Recording.objects.get(pk=recording_id)
    assert (recording.takeovers, recording.attempts) == (1, 0)
    assert _unfinished(vault_home, recording_id) == []


@pytest.mark.parametrize("taken_over_during", ["poster", "store_poster"])
def test_a_worker_that_lost_its_lease_late_keeps_nothing_it_stored(
    studio, small_video, monkeypatch, taken_over_during
):
    import uuid

    from classvault.recordings import processing as services

    recording_id = _uploaded(small_video)

    def take_over():
        Recording.objects.filter(pk=recording_id).update(lease_token=uuid.uuid4())

    if taken_over_during == "poster":
        real_poster = media.poster

        def poster(src):
            take_over()
            return real_poster(src)

        monkeypatch.setattr(media, "poster", poster)
    else:
        real_store = services.vault_store

        def vault_store(**kwargs):
            stored = real_store(**kwargs)
            take_over()
            return stored

        monkeypatch.setattr(services, "vault_store", vault_store)
    assert recording_process(recording_id=recording_id, now=TODAY) == "processing"
    assert _live(recording_id, "rendition") == 0 and _live(recording_id, "poster") == 0
    assert _live(recording_id, "original") == 1
