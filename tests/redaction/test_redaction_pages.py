"""The redaction pages: order, progress and cancel, review, the officer's blocked list, and
the stream for marking and reviewing (privacy officer also while blocked)."""

import pytest
from django.test import Client, TestCase

from classvault.recordings.models import RecordingStatus
from classvault.redaction.models import JobStatus, RedactionJob
from classvault.redaction.processing import redaction_run
from support.audit import assert_audited
from support.faces import two_faces
from support.personas import TODAY, login

from .test_redaction_access import _withdraw


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_owner_orders_from_the_form_and_follows_the_progress(world, recording):
    sanne = client_for(world.student)
    page = sanne.get(f"/recordings/{recording.pk}/redact/")
    assert page.status_code == 200 and b"redact-video" in page.content
    assert b'name="pupils"' not in page.content  # only the privacy officer names pupils
    with TestCase.captureOnCommitCallbacks(execute=True):
        posted = sanne.post(
            f"/recordings/{recording.pk}/redact/",
            {"faces": "all", "mute": "1-2, 0:03-0:04", "reason": "Ouder vroeg erom", "track": ""},
        )
    job = RedactionJob.objects.get()
    assert posted.status_code == 302 and posted["Location"] == f"/redactions/{job.pk}/"
    assert job.mute == [[1.0, 2.0], [3.0, 4.0]] and job.reason == "Ouder vroeg erom"
    # A worker reports progress; the page shows it and refreshes itself.
    RedactionJob.objects.filter(pk=job.pk).update(
        status=JobStatus.RENDERING, progress=0.42, frames_per_second=31.5, seconds_left=12
    )
    shown = sanne.get(f"/redactions/{job.pk}/").content.decode()
    assert 'value="42"' in shown and "31,5" in shown and "12" in shown
    assert 'http-equiv="refresh"' in shown
    cancelled = sanne.post(f"/redactions/{job.pk}/cancel/")
    assert cancelled.status_code == 302
    job.refresh_from_db()
    assert job.status == JobStatus.CANCELLED
    assert_audited("redaction.cancel", actor="sanne", job=str(job.pk))


def test_a_bad_range_re_renders_the_form_with_the_problem(world, recording):
    response = client_for(world.student).post(
        f"/recordings/{recording.pk}/redact/", {"faces": "all", "mute": "soon", "reason": "x"}
    )
    assert response.status_code == 422 and not RedactionJob.objects.exists()


@pytest.mark.parametrize("persona", ["trainer", "supervisor", "admin", "school_admin"])
def test_other_roles_get_403_and_strangers_404(world, recording, persona):
    assert (
        client_for(getattr(world, persona)).get(f"/recordings/{recording.pk}/redact/").status_code
        == 403
    )
    assert client_for(world.fellow).get(f"/recordings/{recording.pk}/redact/").status_code == 404


def test_the_officer_sees_blocked_recordings_with_redaction_beside_deletion(studio, faces_video):
    from support.recordings import make_recording

    recording = make_recording(studio.student, video=faces_video, pupils=[studio.pupils.ada.pk])
    _withdraw(studio, studio.pupils.ada)
    piet = client_for(studio.privacy)
    home = piet.get("/").content.decode()
    assert (
        "Ada Aap" in home
        and f"/recordings/{recording.pk}/redact/?pupil={studio.pupils.ada.pk}" in home
    )
    form = piet.get(
        f"/recordings/{recording.pk}/redact/?pupil={studio.pupils.ada.pk}"
    ).content.decode()
    assert "checked" in form and "Ada Aap" in form
    # The officer may watch the blocked recording to mark it; the viewing is logged.
    api = login("piet")
    stream = api.client.get(
        f"/api/v1/recordings/{recording.pk}/redaction-stream",
        headers={"Authorization": f"Bearer {api.token}"},
    )
    assert stream.status_code == 200 and stream["Cache-Control"].startswith("no-store")
    b"".join(stream.streaming_content)
    assert_audited("recording.stream", actor="piet", object_id=recording.pk, purpose="redaction")
    # Not the owner: a withdrawal blocks her; nor anyone else.
    assert login("sanne").get(f"/recordings/{recording.pk}/redaction-stream").status_code == 409
    assert login("tom").get(f"/recordings/{recording.pk}/redaction-stream").status_code == 403


def test_the_review_page_shows_the_track_and_confirming_blurs(studio, faces_video):
    from support.recordings import make_recording

    recording = make_recording(studio.student, video=faces_video)
    x1, y1, x2, y2 = two_faces()[0].box(1.0, 320, 240)
    with TestCase.captureOnCommitCallbacks(execute=True):
        job = (
            login("sanne")
            .post(
                f"/recordings/{recording.pk}/redactions",
                {"track": [{"at_seconds": 1.0, "box": [x1, y1, x2 - x1, y2 - y1]}], "reason": "x"},
            )
            .json()["job"]
        )
    assert redaction_run(job_id=job, now=TODAY) == JobStatus.REVIEW
    sanne = client_for(studio.student)
    page = sanne.get(f"/redactions/{job}/").content.decode()
    assert 'id="track-data"' in page and "redact-canvas" in page and 'data-width="320"' in page
    with TestCase.captureOnCommitCallbacks(execute=True):
        sanne.post(f"/redactions/{job}/review/", {"action": "confirm", "track": "[]"})
    assert RedactionJob.objects.get(pk=job).status == JobStatus.CONFIRMED
    assert redaction_run(job_id=job, now=TODAY) == JobStatus.DONE
    recording.refresh_from_db()
    assert recording.status == RecordingStatus.READY
    assert "job-done" in sanne.get(f"/redactions/{job}/").content.decode()
