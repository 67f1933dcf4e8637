"""A transcode that meets a busy database (a deadlock, a lock timeout) is no failure: the
lease is released without counting an attempt, and the next run finishes the job (issue 9,
outside attack 1c)."""

import pytest

from classvault.recordings import media, processing
from classvault.recordings.jobs import recordings_resume
from classvault.recordings.models import Recording
from classvault.recordings.processing import MAX_ATTEMPTS, recording_process
from support.busy import busy_error
from support.personas import TODAY, login
from support.recordings import upload


def _uploaded(video) -> str:
    response = upload(login("sanne"), video)
    assert response.status_code == 201, response.content
    return response.json()["id"]


@pytest.mark.parametrize("kind", ["deadlock", "serialization", "locked"])
def test_a_busy_database_while_transcoding_counts_no_attempt(
    studio, small_video, monkeypatch, kind
):
    recording_id = _uploaded(small_video)
    real = media.transcode

    def busy(src, dst, progress=None):
        raise busy_error(kind)

    monkeypatch.setattr(media, "transcode", busy)
    for _ in range(MAX_ATTEMPTS + 1):
        assert recording_process(recording_id=recording_id, now=TODAY) == "processing"
        recording = Recording.objects.get(pk=recording_id)
        assert (recording.attempts, recording.takeovers) == (0, 0)
        # Released at once: the stalled-recordings scan queues it again.
        assert recording.lease_until is None and recording.lease_token is None
        assert recordings_resume(now=TODAY) == [recording_id]
    monkeypatch.setattr(media, "transcode", real)
    assert recording_process(recording_id=recording_id, now=TODAY) == "ready"


def test_a_deadlock_while_marking_ready_counts_no_attempt(studio, small_video, monkeypatch):
    recording_id = _uploaded(small_video)
    real = processing._finish
    calls = []

    def deadlocked(*args):
        calls.append(args)
        if len(calls) == 1:
            raise busy_error("deadlock")
        return real(*args)

    monkeypatch.setattr(processing, "_finish", deadlocked)
    assert recording_process(recording_id=recording_id, now=TODAY) == "processing"
    recording = Recording.objects.get(pk=recording_id)
    assert recording.attempts == 0 and recording.lease_token is None
    assert recording_process(recording_id=recording_id, now=TODAY) == "ready"
