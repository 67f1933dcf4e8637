"""A supervisor is custodian only of recordings made at her own school: re-placing a student
teacher at another school gives that school's supervisor nothing of the old school."""

from datetime import date

import pytest

from classvault.people.services import enrolment_set
from classvault.recordings.models import Recording
from classvault.sharing.selectors import is_custodian, may_give_feedback
from support.personas import NOW, login
from support.recordings import make_recording


@pytest.fixture
def moved(studio, small_video):
    """Sanne recorded at NOORD (supervisor Mira), then moved to ZUID with supervisor Otto."""
    recording_id = str(
        make_recording(studio.student, video=small_video, pupils=[studio.pupils.ada.pk]).pk
    )
    enrolment_set(
        actor=studio.admin,
        username="sanne",
        school_code="ZUID",
        study_end=date(2027, 7, 15),
        trainers=["tom", "tara"],
        supervisors=["otto"],
        now=NOW,
    )
    return Recording.objects.get(pk=recording_id)


def statuses(username, recording) -> dict[str, int]:
    api, base = login(username), f"/recordings/{recording.pk}"
    stream = api.client.get(
        f"/api/v1{base}/stream", headers={"Authorization": f"Bearer {api.token}"}
    )
    return {
        "detail": api.get(base).status_code,
        "stream": stream.status_code,
        "comments": api.get(base + "/comments").status_code,
        "comment": api.post(base + "/comments", {"at_seconds": 0.1, "text": "x"}).status_code,
        "share": api.post(base + "/shares", {"username": "tom"}).status_code,
        "delete": api.delete(base).status_code,
        "listed": 200
        if str(recording.pk) in [r["id"] for r in api.get("/recordings").json()]
        else 404,
    }


@pytest.mark.parametrize(
    "username", ["otto", "mira"], ids=["supervisor at the new school", "former supervisor"]
)
def test_no_supervisor_sees_a_recording_of_another_school_after_a_move(moved, username):
    assert set(statuses(username, moved).values()) == {404}
    assert Recording.objects.filter(pk=moved.pk).exists()


def test_the_new_supervisor_is_no_custodian_of_the_old_schools_recording(studio, moved):
    assert not is_custodian(actor=studio.other_supervisor, recording=moved)
    assert not may_give_feedback(actor=studio.other_supervisor, recording=moved)
    # The owner keeps her recording wherever she is placed.
    assert login("sanne").get(f"/recordings/{moved.pk}").status_code == 200


def test_the_new_supervisor_is_custodian_of_recordings_made_at_her_school(
    studio, moved, small_video
):
    recording_id = str(make_recording(studio.student, video=small_video, pupils=[]).pk)
    assert Recording.objects.get(pk=recording_id).school.code == "ZUID"
    otto = login("otto")
    assert otto.get(f"/recordings/{recording_id}").status_code == 200
    assert [r["id"] for r in otto.get("/recordings").json()] == [recording_id]


def test_the_owner_cannot_share_an_old_schools_recording_with_her_new_supervisor(moved):
    """A share would list Otto as having access while the rule shows him nothing."""
    response = login("sanne").post(f"/recordings/{moved.pk}/shares", {"username": "otto"})
    assert response.status_code == 422
    assert login("sanne").get(f"/recordings/{moved.pk}").json()["shared_with"] == []
