"""Comments are changed and deleted by their author only, audited like comment.add."""

import uuid

import pytest

from classvault.core.exceptions import Forbidden, Invalid, NotVisible
from classvault.recordings.models import Comment
from classvault.sharing.feedback import comment_add, comment_delete, comment_edit
from classvault.sharing.services import share_grant
from support.audit import assert_audited, nothing_audited
from support.personas import NOW, Api, login
from support.recordings import make_recording


@pytest.fixture
def shared(world, vault_home, at_now):
    """Sanne's lesson shared with her trainer Tom; Tom commented at 45:12."""
    recording = make_recording(world.student)
    share_grant(actor=world.student, recording=recording, username="tom", now=NOW)
    comment = comment_add(
        actor=world.trainer, recording=recording, at_seconds=2712, text="Mooie instructie", now=NOW
    )
    return recording, comment


def test_author_edits_her_comment_and_it_is_audited(world, shared):
    recording, comment = shared
    comment_edit(
        actor=world.trainer,
        recording=recording,
        comment_id=str(comment.pk),
        text="  Heldere instructie ",
        at_seconds=12.5,
        now=NOW,
    )
    comment.refresh_from_db()
    assert (comment.text, comment.at_seconds) == ("Heldere instructie", 12.5)
    event = assert_audited(
        "comment.edit",
        actor="tom",
        object_id=recording.pk,
        purpose="assessment",
        comment=str(comment.pk),
    )
    assert "Heldere" not in str(event.data)  # the log names the comment, not what it says


def test_owner_edits_her_reflection_for_coaching(world, shared):
    recording, _ = shared
    own = comment_add(
        actor=world.student, recording=recording, at_seconds=3, text="Nerveus", now=NOW
    )
    comment_edit(
        actor=world.student,
        recording=recording,
        comment_id=str(own.pk),
        text="Nerveus begin",
        now=NOW,
    )
    assert_audited("comment.edit", actor="sanne", object_id=recording.pk, purpose="coaching")


def test_author_deletes_her_comment_and_nothing_of_it_remains(world, shared):
    recording, comment = shared
    comment_delete(actor=world.trainer, recording=recording, comment_id=str(comment.pk), now=NOW)
    assert not Comment.objects.filter(pk=comment.pk).exists()
    event = assert_audited(
        "comment.delete",
        actor="tom",
        object_id=recording.pk,
        purpose="assessment",
        comment=str(comment.pk),
    )
    assert "Mooie" not in str(event.data)


@pytest.mark.parametrize("persona", ["student", "supervisor"])
def test_others_who_see_the_feedback_may_not_change_it(world, shared, persona):
    recording, comment = shared
    actor = getattr(world, persona)
    with nothing_audited():
        with pytest.raises(Forbidden):
            comment_edit(
                actor=actor, recording=recording, comment_id=str(comment.pk), text="Anders", now=NOW
            )
        with pytest.raises(Forbidden):
            comment_delete(actor=actor, recording=recording, comment_id=str(comment.pk), now=NOW)
    comment.refresh_from_db()
    assert comment.text == "Mooie instructie"


def test_a_comment_of_another_recording_or_none_is_not_visible(world, shared):
    recording, _ = shared
    other = make_recording(world.student, title="Taalles")
    elsewhere = comment_add(actor=world.student, recording=other, at_seconds=1, text="x", now=NOW)
    for comment_id in (str(elsewhere.pk), str(uuid.uuid4()), "not-a-uuid"):
        with nothing_audited(), pytest.raises(NotVisible):
            comment_delete(actor=world.student, recording=recording, comment_id=comment_id, now=NOW)
    assert Comment.objects.filter(pk=elsewhere.pk).exists()


@pytest.mark.parametrize("change", [{}, {"text": "   "}, {"at_seconds": -1.0}])
def test_an_empty_or_invalid_change_is_refused(world, shared, change):
    recording, comment = shared
    with nothing_audited(), pytest.raises(Invalid):
        comment_edit(
            actor=world.trainer, recording=recording, comment_id=str(comment.pk), now=NOW, **change
        )


# --- the API: PATCH and DELETE /api/v1/recordings/{id}/comments/{comment_id} ---------------


def path(shared) -> str:
    recording, comment = shared
    return f"/recordings/{recording.pk}/comments/{comment.pk}"


def test_api_author_patches_and_deletes(shared):
    tom = login("tom")
    response = tom.call("patch", path(shared), {"text": "Beter", "at_seconds": 60})
    assert response.status_code == 200, response.content
    assert response.json()["text"] == "Beter" and response.json()["at_seconds"] == 60
    assert tom.delete(path(shared)).status_code == 204
    assert tom.get(f"/recordings/{shared[0].pk}/comments").json() == []
    assert tom.delete(path(shared)).status_code == 404  # gone for good


def test_api_without_credentials_is_401(shared):
    assert Api().call("patch", path(shared), {"text": "x"}).status_code == 401
    assert Api().delete(path(shared)).status_code == 401


@pytest.mark.parametrize("username", ["sanne", "mira"])
def test_api_others_who_see_it_get_403(shared, username):
    api = login(username)
    with nothing_audited():
        assert api.call("patch", path(shared), {"text": "x"}).status_code == 403
        assert api.delete(path(shared)).status_code == 403


@pytest.mark.parametrize("username", ["uri", "tara", "femke", "saskia", "piet"])
def test_api_those_who_do_not_see_the_feedback_get_404_or_403(shared, username):
    api = login(username)
    # Not visible at all: 404 (its existence is not revealed). The privacy officer sees the
    # recording but never its feedback: 403, as for listing comments (docs/access.md).
    expected = 403 if username == "piet" else 404
    with nothing_audited():
        assert api.call("patch", path(shared), {"text": "x"}).status_code == expected
        assert api.delete(path(shared)).status_code == expected


def test_api_unknown_comment_is_404(shared):
    recording, _ = shared
    tom = login("tom")
    assert tom.delete(f"/recordings/{recording.pk}/comments/{uuid.uuid4()}").status_code == 404
    assert tom.delete(f"/recordings/{recording.pk}/comments/nope").status_code == 404


@pytest.mark.parametrize(
    "body", [{}, {"text": " "}, {"at_seconds": -2}, {"at_seconds": "soon"}, {"text": "x" * 4001}]
)
def test_api_invalid_change_is_422(shared, body):
    tom = login("tom")
    with nothing_audited():
        assert tom.call("patch", path(shared), body).status_code == 422


def test_openapi_documents_the_new_endpoints(db):
    spec = Api().get("/openapi.json").json()
    operations = spec["paths"]["/api/v1/recordings/{recording_id}/comments/{comment_id}"]
    assert set(operations) == {"patch", "delete"}
