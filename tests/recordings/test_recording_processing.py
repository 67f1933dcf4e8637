"""The transcoding job: ready with a playable rendition, failed with a reason, crash-safe."""

import io
import os
import signal
import subprocess
import sys
from datetime import timedelta

import av
import pytest

from classvault.audit.models import AuditEvent
from classvault.recordings.jobs import recordings_resume
from classvault.recordings.models import Recording
from classvault.recordings.processing import LEASE, recording_process
from classvault.vault.models import DataKey
from classvault.vault.selectors import vault_open
from support.liveserver import clean_env
from support.personas import TODAY, login
from support.recordings import upload


def _uploaded(studio, video):
    response = upload(login("sanne"), video, pupils=[studio.pupils.ada.pk])
    assert response.status_code == 201, response.content
    return response.json()["id"]


def test_job_makes_a_playable_rendition_and_poster(studio, small_video):
    recording_id = _uploaded(studio, small_video)
    assert recording_process(recording_id=recording_id, now=TODAY) == "ready"
    recording = Recording.objects.get(pk=recording_id)
    assert recording.status == "ready" and recording.rendition_size > 0
    with vault_open(object_id=recording_id, purpose="rendition") as reader:
        data = reader.read_all()
    with av.open(io.BytesIO(data)) as container:
        assert container.streams.video[0].codec_context.name == "h264"
        assert container.streams.audio[0].codec_context.name == "aac"
    with vault_open(object_id=recording_id, purpose="poster") as reader:
        assert reader.read_range(0, 1) == b"\xff\xd8"
    assert AuditEvent.objects.filter(action="recording.ready", actor="system").exists()


def test_job_is_queued_and_runs_as_a_task(studio, small_video):
    recording_id = _uploaded(studio, small_video)
    # The job is queued in the database backend; run it as the worker would. (The worker
    # loop itself runs for real in test_recording_end_to_end.)
    from django_tasks_db.models import DBTaskResult

    from classvault.recordings.jobs import process_recording

    [queued] = DBTaskResult.objects.filter(args_kwargs__args=[recording_id])
    assert queued.task_path.endswith("process_recording")
    assert process_recording.call(recording_id) == "ready"
    assert Recording.objects.get(pk=recording_id).status == "ready"


def test_job_is_idempotent(studio, small_video):
    recording_id = _uploaded(studio, small_video)
    assert recording_process(recording_id=recording_id, now=TODAY) == "ready"
    assert recording_process(recording_id=recording_id, now=TODAY) == "ready"
    assert DataKey.objects.filter(object_id=recording_id, purpose="rendition").count() == 1


def test_a_second_worker_leaves_a_leased_job_alone(studio, small_video):
    recording_id = _uploaded(studio, small_video)
    Recording.objects.filter(pk=recording_id).update(lease_until=TODAY + LEASE)
    assert recording_process(recording_id=recording_id, now=TODAY) == "processing"
    assert recordings_resume(now=TODAY) == []
    later = TODAY + LEASE + timedelta(seconds=1)
    assert recordings_resume(now=later) == [recording_id]
    assert recording_process(recording_id=recording_id, now=later) == "ready"


def test_file_that_fails_to_convert_is_failed_and_keeps_its_original(
    studio, small_video, vault_home, monkeypatch
):
    recording_id = _uploaded(studio, small_video)
    from classvault.recordings import media

    def broken(src, dst, progress=None):
        dst.write(b"partial output")
        raise media.MediaError("The video could not be converted.")

    monkeypatch.setattr(media, "transcode", broken)
    from django.test import TestCase

    with TestCase.captureOnCommitCallbacks(execute=True):
        assert recording_process(recording_id=recording_id, now=TODAY) == "failed"
    recording = Recording.objects.get(pk=recording_id)
    assert recording.failure_reason
    # The failure of a job never costs the lesson: the original and its key stay (until the
    # recording expires or is deleted); nothing half-made is left.
    live = DataKey.objects.filter(object_id=recording_id, destroyed_at__isnull=True)
    assert list(live.values_list("purpose", flat=True)) == ["original"]
    files = [p for p in (vault_home / "blobs").rglob("*") if p.is_file()]
    assert [p.name for p in files] == [live.get().blob_name.rsplit("/", 1)[1]]
    assert login("sanne").get(f"/recordings/{recording_id}").json()["status"] == "failed"
    event = AuditEvent.objects.get(action="recording.failed")
    assert (event.actor, event.object) == ("system", f"recording:{recording_id}")
    assert event.data == {"reason": recording.failure_reason}


def test_a_failed_recording_still_expires(studio, small_video, monkeypatch):
    from django.test import TestCase

    from classvault.recordings import media
    from classvault.retention.services import retention_sweep

    recording_id = _uploaded(studio, small_video)

    def broken(src, dst, progress=None):
        raise media.MediaError("The video could not be converted.")

    monkeypatch.setattr(media, "transcode", broken)
    assert recording_process(recording_id=recording_id, now=TODAY) == "failed"
    expires_at = Recording.objects.get(pk=recording_id).expires_at
    with TestCase.captureOnCommitCallbacks(execute=True):
        assert retention_sweep(now=expires_at) == [recording_id]
    assert not DataKey.objects.filter(object_id=recording_id, destroyed_at__isnull=True).exists()


def test_repeated_errors_end_in_failed(studio, small_video):
    recording_id = _uploaded(studio, small_video)
    Recording.objects.filter(pk=recording_id).update(attempts=3)
    assert recording_process(recording_id=recording_id, now=TODAY) == "failed"
    assert DataKey.objects.filter(
        object_id=recording_id, purpose="original", destroyed_at__isnull=True
    ).exists()


@pytest.mark.cli
def test_worker_killed_mid_transcode_leaves_no_plaintext_and_next_run_finishes(tmp_path):
    """A real worker process is killed while it transcodes; the next run takes over."""
    home = tmp_path / "data"
    env = clean_env(home)
    script = tmp_path / "scenario.py"
    script.write_text(SCENARIO)
    subprocess.run([sys.executable, str(script), "setup"], env=env, check=True, timeout=120)
    proc = subprocess.Popen(
        [sys.executable, str(script), "process"], env=env, stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout.readline().strip() == "transcoding"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    leftovers = [p for p in (home / "blobs").rglob(".*.tmp")]
    assert leftovers, "the killed run left a half-written (encrypted) rendition"
    plain = (tmp_path / "input.bin").read_bytes()
    for path in (home / "blobs").rglob("*"):
        if path.is_file():
            assert plain[2000:2064] not in path.read_bytes()
    result = subprocess.run(
        [sys.executable, str(script), "resume"],
        env=env,
        timeout=120,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("ready")
    assert not list((home / "blobs").rglob(".*.tmp"))


SCENARIO = (
    r'''
import os, sys, time
from datetime import timedelta
sys.path.insert(0, os.path.join(os.path.dirname(__file__)))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "classvault.settings")
from classvault.cli import main as cli
if sys.argv[1] == "setup":
    cli(["init"]); cli(["demo"])
import django; django.setup()
from django.db import transaction
from classvault.core import clock
from classvault.recordings import media, processing, services
from classvault.recordings.models import Recording
from classvault.people.models import User
from classvault.people.services import guidelines_acknowledge
from classvault.vault.services import vault_store
sys.path.insert(0, "'''
    + os.path.dirname(os.path.dirname(__file__))
    + r"""")
from support.media import make_video
now = clock.now()
if sys.argv[1] == "setup":
    video = make_video(seconds=3, width=320, height=240)
    open(os.path.join(os.path.dirname(__file__), "input.bin"), "wb").write(video)
    sanne = User.objects.get(username="sanne")
    guidelines_acknowledge(actor=sanne, now=now)
    rid = "11111111-2222-3333-4444-555555555555"
    vault_store(object_id=rid, purpose="original", chunks=[video], now=now)
    services.recording_create(actor=sanne, recording_id=rid, upload=type("U", (), {
        "size": len(video)})(), title="t", recorded_at=now - timedelta(hours=1),
        pupil_ids=[], attested_ids=[], now=now)
elif sys.argv[1] == "process":
    real = media.transcode
    def slow(src, dst, progress=None):
        def stall(fraction):
            print("transcoding", flush=True)
            time.sleep(60)
        return real(src, dst, progress=stall)
    media.transcode = slow
    processing.recording_process(recording_id="11111111-2222-3333-4444-555555555555", now=now)
else:
    later = now + processing.LEASE + timedelta(seconds=1)
    print(processing.recording_process(recording_id="11111111-2222-3333-4444-555555555555",
                                     now=later))
"""
)


def test_the_worker_schedule_requeues_a_stalled_recording(studio, small_video):
    from django_tasks_db.models import DBTaskResult

    from classvault.retention.jobs import retention_tick

    recording_id = _uploaded(studio, small_video)
    DBTaskResult.objects.all().delete()  # as if the worker holding it had died
    Recording.objects.filter(pk=recording_id).update(lease_until=TODAY - timedelta(minutes=1))
    assert retention_tick(now=TODAY) is not None
    assert DBTaskResult.objects.filter(args_kwargs__args=[recording_id]).exists()
