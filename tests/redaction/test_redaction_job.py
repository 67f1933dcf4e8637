"""Redaction inside the vault: order, analyse, (review), replace, destroy the old keys."""

from datetime import timedelta

import numpy as np
from django.test import TestCase

from classvault.redaction.engine.pipeline import EVERY
from classvault.redaction.jobs import redactions_resume
from classvault.redaction.models import JobStatus, RedactionJob
from classvault.redaction.processing import LEASE, redaction_run
from classvault.vault.models import DataKey
from classvault.vault.purposes import Purpose
from classvault.vault.selectors import vault_keys_live, vault_open_file
from support.audit import assert_audited
from support.faces import audio_samples, frames_rgb, sharpness, two_faces
from support.personas import TODAY, login

W, H, FPS = 320, 240, 25


def _order(api, recording, **body):
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = api.post(f"/recordings/{recording.pk}/redactions", body)
    assert response.status_code == 202, response.content
    assert set(response.json()) == {"job"}
    return response.json()["job"]


def _stored(recording) -> bytes:
    with vault_open_file(object_id=str(recording.pk), purpose=Purpose.RENDITION) as src:
        return src.read()


def _inner(box):
    x1, y1, x2, y2 = box
    dx, dy = (x2 - x1) // 5, (y2 - y1) // 5
    return x1 + dx, y1 + dy, x2 - dx, y2 - dy


def _face_ratios(original: bytes, redacted: bytes, face) -> list[float]:
    before, after = frames_rgb(original), frames_rgb(redacted)
    assert len(after) == len(before)
    return [
        sharpness(b, _inner(face.box(i / FPS, W, H)))
        / sharpness(a, _inner(face.box(i / FPS, W, H)))
        for i, (a, b) in enumerate(zip(before, after, strict=True))
    ]


def test_whole_video_redaction_replaces_the_recording_and_destroys_the_old_keys(faces_recording):
    recording = faces_recording
    before = _stored(recording)
    old_keys = vault_keys_live(object_id=str(recording.pk))
    assert len(old_keys) == 3  # original, rendition, poster
    job_id = _order(
        login("piet"), recording, faces="all", mute=[[0.5, 1.0]], reason="Verzoek 2026-14"
    )
    assert_audited(
        "redaction.order",
        actor="piet",
        object_id=recording.pk,
        job=job_id,
        reason="Verzoek 2026-14",
    )
    assert redaction_run(job_id=job_id, now=TODAY) == JobStatus.DONE

    # No frame of the stored recording shows a face sharply.
    after = _stored(recording)
    for face in two_faces():
        assert max(_face_ratios(before, after, face)) < 0.2
    # The muted range is silent; the rest of the sound stays.
    samples, rate = audio_samples(after)
    assert np.abs(samples[int(0.55 * rate) : int(0.95 * rate)]).max() < 0.01
    assert np.sqrt(np.mean(samples[int(1.3 * rate) : int(1.9 * rate)] ** 2)) > 0.1
    # Every old key is destroyed: original, rendition and poster can never be read again.
    assert all(DataKey.objects.get(pk=k).destroyed_at is not None for k in old_keys)
    live = vault_keys_live(object_id=str(recording.pk))
    assert len(live) == 2 and not set(live) & set(old_keys)
    event = assert_audited("redaction.apply", object_id=recording.pk, job=job_id)
    assert event.actor == "system" and event.data["ordered_by"] == "piet"
    assert event.data["keys_destroyed"] == 3
    status = login("piet").get(f"/redactions/{job_id}").json()
    assert status["status"] == "done" and status["progress"] == 1.0
    assert status["seconds_left"] == 0
    # The recording still plays (its new rendition).
    assert login("sanne").get(f"/recordings/{recording.pk}/stream").status_code == 200


def test_one_person_mode_waits_for_review_and_blurs_only_the_marked_person(faces_recording):
    recording = faces_recording
    before = _stored(recording)
    astronaut, pupil = two_faces()
    x1, y1, x2, y2 = astronaut.box(1.0, W, H)
    sanne = login("sanne")
    job_id = _order(
        sanne, recording, track=[{"at_seconds": 1.0, "box": [x1, y1, x2 - x1, y2 - y1]}]
    )
    assert redaction_run(job_id=job_id, now=TODAY) == JobStatus.REVIEW
    waiting = sanne.get(f"/redactions/{job_id}").json()
    assert waiting["status"] == "review" and waiting["faces"] == "none"
    points = waiting["computed_track"]
    assert len(points) == len(range(0, 50, EVERY))  # every EVERY-th frame of two seconds
    for point in points:
        x, y, w, h = point["box"]
        cx, _cy = astronaut.path(point["at_seconds"])
        assert abs(x + w / 2 - cx) < 15
    # Nothing replaced yet.
    assert _stored(recording) == before
    with TestCase.captureOnCommitCallbacks(execute=True):
        confirmed = sanne.post(f"/redactions/{job_id}/review", {})
    assert confirmed.status_code == 200 and confirmed.json()["status"] == "confirmed"
    assert_audited("redaction.review", actor="sanne", job=job_id, confirmed=True)
    assert redaction_run(job_id=job_id, now=TODAY) == JobStatus.DONE
    after = _stored(recording)
    assert max(_face_ratios(before, after, astronaut)) < 0.2
    assert min(_face_ratios(before, after, pupil)) > 0.6


def test_a_correction_sends_the_track_back_to_be_followed_again(faces_recording):
    astronaut, pupil = two_faces()
    x1, y1, x2, y2 = astronaut.box(0.2, W, H)
    sanne = login("sanne")
    job_id = _order(
        sanne, faces_recording, track=[{"at_seconds": 0.2, "box": [x1, y1, x2 - x1, y2 - y1]}]
    )
    assert redaction_run(job_id=job_id, now=TODAY) == JobStatus.REVIEW
    px1, py1, px2, py2 = pupil.box(1.0, W, H)
    with TestCase.captureOnCommitCallbacks(execute=True):
        corrected = sanne.post(
            f"/redactions/{job_id}/review",
            {"track": [{"at_seconds": 1.0, "box": [px1, py1, px2 - px1, py2 - py1]}]},
        )
    assert corrected.json()["status"] == "queued" and len(corrected.json()["track"]) == 2
    assert_audited("redaction.review", actor="sanne", job=job_id, confirmed=False)
    assert redaction_run(job_id=job_id, now=TODAY) == JobStatus.REVIEW
    centres = {
        round(p["box"][0] + p["box"][2] / 2, -1)
        for p in sanne.get(f"/redactions/{job_id}").json()["computed_track"]
    }
    assert any(c > 200 for c in centres) and any(c < 150 for c in centres)


def test_a_cancelled_job_changes_nothing(faces_recording):
    recording = faces_recording
    before = _stored(recording)
    keys = vault_keys_live(object_id=str(recording.pk))
    job_id = _order(login("piet"), recording, faces="all")
    cancelled = login("piet").post(f"/redactions/{job_id}/cancel")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert_audited("redaction.cancel", actor="piet", job=job_id)
    assert redaction_run(job_id=job_id, now=TODAY) == JobStatus.CANCELLED
    assert vault_keys_live(object_id=str(recording.pk)) == keys
    assert _stored(recording) == before
    # Over is over: a second cancel conflicts, and a new order is possible again.
    assert login("piet").post(f"/redactions/{job_id}/cancel").status_code == 409
    _order(login("piet"), recording, faces="all")


def test_a_job_cancelled_while_it_runs_stops_and_keeps_nothing(faces_recording):
    recording = faces_recording
    keys = vault_keys_live(object_id=str(recording.pk))
    job_id = _order(login("piet"), recording, faces="all")
    calls = []

    def clock():
        calls.append(1)
        if len(calls) == 3:  # mid-run, as the job renews its lease
            RedactionJob.objects.filter(pk=job_id).update(status=JobStatus.CANCELLED)
        return TODAY

    import classvault.redaction.processing as processing

    processing_beat = processing.BEAT_SECONDS
    processing.BEAT_SECONDS = 0.0
    try:
        assert redaction_run(job_id=job_id, now=TODAY, clock=clock) == JobStatus.CANCELLED
    finally:
        processing.BEAT_SECONDS = processing_beat
    assert vault_keys_live(object_id=str(recording.pk)) == keys


def test_a_killed_worker_leaves_a_job_the_next_one_finishes(faces_recording):
    recording = faces_recording
    job_id = _order(login("piet"), recording, faces="all")
    # A worker took the job and died: its lease is held, nobody may take it yet.
    RedactionJob.objects.filter(pk=job_id).update(
        status=JobStatus.ANALYSING, lease_until=TODAY + LEASE, lease_token="0" * 32
    )
    assert redaction_run(job_id=job_id, now=TODAY) == JobStatus.ANALYSING
    assert redactions_resume(now=TODAY) == []
    later = TODAY + LEASE + timedelta(seconds=1)
    assert redactions_resume(now=later) == [job_id]
    assert redaction_run(job_id=job_id, now=later) == JobStatus.DONE
    job = RedactionJob.objects.get(pk=job_id)
    assert job.takeovers == 1 and job.lease_token is None


def test_a_job_on_a_broken_rendition_fails_and_keeps_the_recording(faces_recording):
    recording = faces_recording
    from classvault.vault.services import vault_store

    # Newer than the good rendition (made at TODAY too): at the same instant, which one is
    # current would be up to the database's order of equal rows.
    vault_store(
        object_id=str(recording.pk),
        purpose=Purpose.RENDITION,
        chunks=[b"x" * 500],
        now=TODAY + timedelta(seconds=1),
    )
    job_id = _order(login("piet"), recording, faces="all")
    assert redaction_run(job_id=job_id, now=TODAY) == JobStatus.FAILED
    assert_audited("redaction.fail", object_id=recording.pk, job=job_id)
    assert len(vault_keys_live(object_id=str(recording.pk))) == 4


def _astronaut_mark() -> list[dict]:
    """A mark of the first face (the one to follow) at 1 s."""
    astronaut, _pupil = two_faces()
    x1, y1, x2, y2 = astronaut.box(1.0, W, H)
    return [{"at_seconds": 1.0, "box": [x1, y1, x2 - x1, y2 - y1]}]


def _hold(recording):
    from classvault.people.models import User
    from classvault.retention.services import legal_hold_place

    legal_hold_place(
        actor=User.objects.get(username="piet"),
        recording=recording,
        reason="Klacht bij de inspectie",
        reference="",
        now=TODAY,
    )


def test_a_hold_placed_while_the_job_runs_keeps_the_original(faces_recording):
    """The evidence stays as it is: the job fails at the replacement and keeps nothing."""
    recording = faces_recording
    before = _stored(recording)
    keys = vault_keys_live(object_id=str(recording.pk))
    job_id = _order(login("piet"), recording, faces="all")
    calls = []

    def clock():
        calls.append(1)
        if len(calls) == 2:  # while it runs, as the job renews its lease
            _hold(recording)
        return TODAY

    assert redaction_run(job_id=job_id, now=TODAY, clock=clock) == JobStatus.FAILED
    assert len(calls) > 2
    assert vault_keys_live(object_id=str(recording.pk)) == keys
    assert _stored(recording) == before
    job = RedactionJob.objects.get(pk=job_id)
    assert "legal hold" in job.failure_reason
    assert_audited("redaction.fail", job=job_id)


def test_a_review_under_a_hold_is_refused(faces_recording):
    recording = faces_recording
    sanne = login("sanne")
    job_id = _order(sanne, recording, track=_astronaut_mark())
    assert redaction_run(job_id=job_id, now=TODAY) == JobStatus.REVIEW
    _hold(recording)
    assert sanne.post(f"/redactions/{job_id}/review", {}).status_code == 409
    assert RedactionJob.objects.get(pk=job_id).status == JobStatus.REVIEW


def test_progress_is_stored_while_it_runs_and_events_carry_the_time_they_happen(
    faces_recording,
):
    recording = faces_recording
    job_id = _order(login("piet"), recording, faces="all")
    seen, times = [], iter(TODAY + timedelta(seconds=s) for s in range(10_000))

    def clock():
        seen.append(RedactionJob.objects.get(pk=job_id).progress)
        return next(times)

    assert redaction_run(job_id=job_id, now=TODAY, clock=clock) == JobStatus.DONE
    assert any(0 < p < 1 for p in seen), seen
    job = RedactionJob.objects.get(pk=job_id)
    assert job.finished_at > TODAY  # when it was done, not when it was taken
    applied = assert_audited("redaction.apply", job=job_id)
    assert applied.at == job.finished_at


def test_the_owner_does_not_review_the_privacy_officers_order(faces_recording):
    recording = faces_recording
    job_id = _order(login("piet"), recording, track=_astronaut_mark())
    assert redaction_run(job_id=job_id, now=TODAY) == JobStatus.REVIEW
    assert login("sanne").post(f"/redactions/{job_id}/review", {}).status_code == 403
    assert RedactionJob.objects.get(pk=job_id).status == JobStatus.REVIEW
    with TestCase.captureOnCommitCallbacks(execute=True):
        assert login("piet").post(f"/redactions/{job_id}/review", {}).status_code == 200
