"""What a redaction order or review may ask: boxes inside the frame, ranges inside the video,
something to do, and only the fields the API names. Anything else is 422 {"detail"} and
changes nothing (no job, no audit event, the job under review stays as it was)."""

import pytest
from django.test import TestCase

from classvault.redaction.models import JobStatus, RedactionJob
from classvault.redaction.processing import redaction_run
from support.audit import nothing_audited
from support.faces import two_faces
from support.personas import TODAY, login

W, H = 320, 240  # the frame of tests/support/faces.py's videos
BOX = [10, 10, 40, 40]


def _post(api, path, body):
    with TestCase.captureOnCommitCallbacks(execute=True):
        return api.post(path, body)


def _refused(api, path, body, fragment):
    jobs = list(RedactionJob.objects.values_list("pk", "status", "track"))
    with nothing_audited():
        response = _post(api, path, body)
    assert response.status_code == 422, response.content
    assert fragment in response.json()["detail"], response.json()
    assert list(RedactionJob.objects.values_list("pk", "status", "track")) == jobs


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        # An order must ask for something: faces, a mark or a range to silence.
        ({}, "Niets te anonimiseren"),
        ({"reason": "verzoek ouder"}, "Niets te anonimiseren"),
        ({"faces": None, "track": [], "mute": []}, "Niets te anonimiseren"),
        # A misspelt field is no silent default.
        ({"faces": "all", "fcaes": "none"}, "Onbekend veld"),
        ({"faces": "all", "track": [{"at_seconds": 1, "box": BOX, "id": 3}]}, "Onbekend veld"),
        # Degenerate boxes.
        ({"track": [{"at_seconds": 1, "box": [0, 0, 1, 1]}]}, "minstens 4 pixels"),
        ({"track": [{"at_seconds": 1, "box": [10, 10, -20, 30]}]}, "minstens 4 pixels"),
        ({"track": [{"at_seconds": 1, "box": [-5, 10, 20, 20]}]}, "binnen het beeld"),
        ({"track": [{"at_seconds": 1, "box": [0, 0, 1e12, 1e12]}]}, "binnen het beeld"),
        ({"track": [{"at_seconds": 1, "box": [1, 2, 3]}]}, "[x, y, breedte, hoogte]"),
        # Absurd ranges: empty, backwards, beyond any recording ClassVault keeps.
        ({"mute": [[3.0, 3.0]]}, "moet beginnen"),
        ({"mute": [[0, 1e15]]}, "moet beginnen"),
        ({"mute": [[-1, 2]]}, "moet beginnen"),
    ],
)
def test_absurd_orders_are_422_and_change_nothing(recording, body, fragment):
    _refused(login("piet"), f"/recordings/{recording.pk}/redactions", body, fragment)
    assert not RedactionJob.objects.exists()


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        # The frame is 320 x 240: a box past its right or lower edge is outside.
        ({"track": [{"at_seconds": 1, "box": [W - 10, 10, 40, 40]}]}, "320 x 240"),
        ({"track": [{"at_seconds": 1, "box": [10, H, 40, 40]}]}, "320 x 240"),
        # The video lasts 2 s.
        ({"track": [{"at_seconds": 30, "box": BOX}]}, "binnen de video"),
        ({"mute": [[1.0, 30.0]]}, "moet beginnen"),
        ({"faces": "all", "mute": [[5.0, 6.0]]}, "moet beginnen"),
    ],
)
def test_marks_and_ranges_must_lie_inside_this_video(faces_recording, body, fragment):
    _refused(login("sanne"), f"/recordings/{faces_recording.pk}/redactions", body, fragment)
    assert not RedactionJob.objects.exists()


def test_what_lies_inside_is_accepted_up_to_the_edges(faces_recording):
    body = {"track": [{"at_seconds": 2.0, "box": [W - 40, H - 40, 40, 40]}], "mute": [[1, 2]]}
    response = _post(login("sanne"), f"/recordings/{faces_recording.pk}/redactions", body)
    assert response.status_code == 202, response.content
    job = RedactionJob.objects.get()
    assert job.faces == "none" and job.mute == [[1.0, 2.0]]


def test_a_mute_range_alone_is_an_order_and_keeps_the_documented_default(recording):
    response = _post(login("piet"), f"/recordings/{recording.pk}/redactions", {"mute": [[0, 1]]})
    assert response.status_code == 202
    assert RedactionJob.objects.get().faces == "all"


@pytest.fixture
def under_review(faces_recording):
    astronaut, _pupil = two_faces()
    x1, y1, x2, y2 = astronaut.box(1.0, W, H)
    body = {"track": [{"at_seconds": 1.0, "box": [x1, y1, x2 - x1, y2 - y1]}]}
    response = _post(login("sanne"), f"/recordings/{faces_recording.pk}/redactions", body)
    job_id = response.json()["job"]
    assert redaction_run(job_id=job_id, now=TODAY) == JobStatus.REVIEW
    return job_id


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        # Unknown fields never confirm the track.
        ({"confirm": True}, "Onbekend veld"),
        ({"trak": [{"at_seconds": 1, "box": BOX}]}, "Onbekend veld"),
        ({"track": [{"at_seconds": 1, "box": [W, 0, 40, 40]}]}, "320 x 240"),
        ({"track": [{"at_seconds": 1, "box": [0, 0, 0, 40]}]}, "minstens 4 pixels"),
        ({"track": [{"at_seconds": 99, "box": BOX}]}, "binnen de video"),
    ],
)
def test_a_review_that_is_not_a_confirmation_or_valid_marks_is_422(under_review, body, fragment):
    _refused(login("sanne"), f"/redactions/{under_review}/review", body, fragment)
    job = RedactionJob.objects.get(pk=under_review)
    assert job.status == JobStatus.REVIEW and job.reviewed_by is None and len(job.track) == 1
