"""List, view, share, delete: the visibility rule of the contract, and its audit trail."""

import pytest
from django.test import TestCase

from classvault.audit.models import AuditEvent
from classvault.people.services import enrolment_set
from classvault.recordings.models import Recording
from classvault.sharing.models import Share
from classvault.vault.models import DataKey
from support.audit import assert_audited, nothing_audited
from support.personas import NOW, Api, login
from support.recordings import make_recording


@pytest.fixture
def ready(studio, small_video):
    return str(make_recording(studio.student, video=small_video, pupils=[studio.pupils.ada.pk]).pk)


def ids(response):
    return [r["id"] for r in response.json()]


def test_owner_lists_and_views_her_recording(ready):
    api = login("sanne")
    listed = api.get("/recordings").json()
    assert [r["id"] for r in listed] == [ready]
    assert set(listed[0]) == {"id", "title", "owner", "recorded_at", "expires_at", "status"}
    detail = api.get(f"/recordings/{ready}").json()
    assert detail["school"] == "NOORD" and detail["shared_with"] == []
    assert detail["legal_hold"] is False and "pupils" in detail
    assert AuditEvent.objects.filter(
        action="recording.view", object_id=ready, actor="sanne"
    ).exists()


@pytest.mark.parametrize(
    "persona",
    [
        "fellow",
        "trainer",
        "unassigned_trainer",
        "school_admin",
        "other_school_admin",
        "admin",
        "other_supervisor",
    ],
)
def test_others_neither_list_nor_see_it(studio, ready, persona):
    api = studio.api(getattr(studio, persona))
    assert ids(api.get("/recordings")) == []
    assert api.get(f"/recordings/{ready}").status_code == 404


def test_supervisor_is_custodian(studio, ready):
    api = login("mira")
    assert ids(api.get("/recordings")) == [ready]
    assert "pupils" in api.get(f"/recordings/{ready}").json()


def test_privacy_officer_sees_it_and_the_view_is_logged_with_purpose(studio, ready):
    api = login("piet")
    assert api.get(f"/recordings/{ready}?purpose=access_request").status_code == 200
    event = AuditEvent.objects.get(action="recording.view", actor="piet")
    assert event.purpose == "access_request"


def test_sharing_with_own_trainer_grants_access(studio, ready):
    assert (
        login("sanne").post(f"/recordings/{ready}/shares", {"username": "tom"}).status_code == 201
    )
    trainer = login("tom")
    assert ids(trainer.get("/recordings")) == [ready]
    detail = trainer.get(f"/recordings/{ready}").json()
    assert detail["shared_with"] == ["tom"] and "pupils" not in detail
    assert Share.objects.filter(recording_id=ready, user__username="tom").exists()
    assert_audited("recording.share", actor="sanne", object_id=ready, **{"with": "tom"})
    # The other trainer of hers still sees nothing: sharing is per trainer.
    assert login("tara").get(f"/recordings/{ready}").status_code == 404


@pytest.mark.parametrize("username", ["uri", "femke", "otto", "piet", "nobody"])
def test_sharing_with_anyone_but_own_trainers_and_supervisors_is_422(studio, ready, username):
    api = login("sanne")
    with nothing_audited():
        assert api.post(f"/recordings/{ready}/shares", {"username": username}).status_code == 422
    assert not Share.objects.exists()
    assert login("uri").get(f"/recordings/{ready}").status_code == 404


def test_supervisor_may_share_on_her_behalf(studio, ready):
    assert (
        login("mira").post(f"/recordings/{ready}/shares", {"username": "tara"}).status_code == 201
    )
    assert Share.objects.get(recording_id=ready).user.username == "tara"
    assert_audited("recording.share", actor="mira", object_id=ready, **{"with": "tara"})


def test_trainer_may_not_reshare(studio, ready):
    login("sanne").post(f"/recordings/{ready}/shares", {"username": "tom"})
    trainer = login("tom")
    with nothing_audited():
        response = trainer.post(f"/recordings/{ready}/shares", {"username": "tara"})
    assert response.status_code == 403
    assert [s.user.username for s in Share.objects.all()] == ["tom"]


def test_sharing_requires_authentication(ready):
    assert Api().post(f"/recordings/{ready}/shares", {"username": "tom"}).status_code == 401


def test_fellow_cannot_share_what_she_cannot_see(studio, ready):
    fellow = login("femke")
    with nothing_audited():
        assert fellow.post(f"/recordings/{ready}/shares", {"username": "tom"}).status_code == 404
    assert not Share.objects.exists()


def test_revoking_a_share_takes_access_away(studio, ready):
    owner = login("sanne")
    owner.post(f"/recordings/{ready}/shares", {"username": "tom"})
    assert owner.delete(f"/recordings/{ready}/shares/tom").status_code == 204
    assert login("tom").get(f"/recordings/{ready}").status_code == 404
    assert not Share.objects.exists()
    assert_audited("recording.unshare", actor="sanne", object_id=ready, **{"with": "tom"})


def test_trainer_removed_from_the_student_loses_access_at_once(studio, ready):
    login("sanne").post(f"/recordings/{ready}/shares", {"username": "tom"})
    trainer = login("tom")
    assert trainer.get(f"/recordings/{ready}").status_code == 200
    from datetime import date

    enrolment_set(
        actor=studio.admin,
        username="sanne",
        school_code="NOORD",
        study_end=date(2027, 7, 15),
        trainers=["tara"],
        supervisors=["mira"],
        now=NOW,
    )
    assert trainer.get(f"/recordings/{ready}").status_code == 404
    assert ids(trainer.get("/recordings")) == []


def test_owner_deletes_keys_first_then_blobs_and_rows(studio, ready, vault_home):
    api = login("sanne")
    with TestCase.captureOnCommitCallbacks(execute=True):
        assert api.delete(f"/recordings/{ready}").status_code == 204
    assert not Recording.objects.filter(pk=ready).exists()
    keys = DataKey.objects.filter(object_id=ready)
    assert keys.exists() and all(k.destroyed_at and k.wrapped is None for k in keys)
    assert [p for p in (vault_home / "blobs").rglob("*") if p.is_file()] == []
    assert api.get(f"/recordings/{ready}").status_code == 404
    assert_audited("recording.delete", actor="sanne", object_id=ready)


def test_supervisor_may_delete_on_her_behalf(studio, ready):
    assert login("mira").delete(f"/recordings/{ready}").status_code == 204
    assert not Recording.objects.filter(pk=ready).exists()
    assert_audited("recording.delete", actor="mira", object_id=ready)


def test_shared_trainer_may_not_delete(studio, ready):
    login("sanne").post(f"/recordings/{ready}/shares", {"username": "tom"})
    trainer = login("tom")
    with nothing_audited():
        assert trainer.delete(f"/recordings/{ready}").status_code == 403
    assert Recording.objects.filter(pk=ready).exists()


@pytest.mark.parametrize("persona", ["fellow", "unassigned_trainer", "school_admin"])
def test_delete_by_others_is_404(studio, ready, persona):
    assert studio.api(getattr(studio, persona)).delete(f"/recordings/{ready}").status_code == 404
    assert Recording.objects.filter(pk=ready).exists()


def test_list_query_count_does_not_grow_with_recordings(
    studio, small_video, django_assert_max_num_queries
):
    api = login("sanne")
    for _ in range(3):
        make_recording(studio.student, video=small_video, api=api, pupils=[studio.pupils.ada.pk])
    with django_assert_max_num_queries(6):
        assert len(api.get("/recordings").json()) == 3


def test_re_adding_a_removed_trainer_does_not_bring_old_shares_back(studio, ready):
    from datetime import date

    login("sanne").post(f"/recordings/{ready}/shares", {"username": "tom"})
    for trainers in (["tara"], ["tom", "tara"]):
        enrolment_set(
            actor=studio.admin,
            username="sanne",
            school_code="NOORD",
            study_end=date(2027, 7, 15),
            trainers=trainers,
            supervisors=["mira"],
            now=NOW,
        )
    assert login("tom").get(f"/recordings/{ready}").status_code == 404
    assert AuditEvent.objects.filter(
        action="recording.unshare", object_id=ready, actor="anna"
    ).exists()
