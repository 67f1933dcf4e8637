"""Legal holds (R4) through the API: the privacy officer places and releases them; a held
recording is not deleted, by hand (409) or by the sweep. Along the negative matrix."""

import uuid
from datetime import timedelta

import pytest
from django.test import TestCase

from classvault.audit.models import AuditEvent
from classvault.recordings.models import Recording
from classvault.retention.models import LegalHold
from support.audit import assert_audited, nothing_audited
from support.personas import NOW, UNKNOWN_ID, Api, login
from support.recordings import make_recording
from support.vault import retention_keys_of, sweep

HOLD = {
    "reason": "Vordering van het Openbaar Ministerie (art. 126nd Sv)",
    "reference": "OM-2026-0412",
}
OTHER_ROLES = ["admin", "school_admin", "student", "fellow", "trainer", "supervisor"]


def place(recording_id, body=None, api=None):
    return (api or login("piet")).post(f"/recordings/{recording_id}/legal-hold", body or HOLD)


def test_the_privacy_officer_places_a_hold(recording):
    response = place(recording.pk)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["recording"] == str(recording.pk) and body["placed_by"] == "piet"
    assert (body["reason"], body["reference"]) == (HOLD["reason"], HOLD["reference"])
    assert body["released_at"] is None
    assert login("sanne").get(f"/recordings/{recording.pk}").json()["legal_hold"] is True
    [event] = AuditEvent.objects.filter(action="legal_hold.place", object_id=str(recording.pk))
    assert (event.actor, event.purpose) == ("piet", "legal_obligation")
    assert event.data["reference"] == "OM-2026-0412"


def test_a_hold_moves_the_keys_to_the_recordings_own_retention_key(recording):
    place(recording.pk)
    assert retention_keys_of(recording.pk) == {f"o-{recording.pk}"}
    assert login("piet").delete(f"/recordings/{recording.pk}/legal-hold").status_code == 204
    assert retention_keys_of(recording.pk) == {"d-20270502"}
    assert_audited("legal_hold.release", actor="piet", object_id=recording.pk)


def test_the_owner_cannot_delete_a_held_recording(recording):
    place(recording.pk)
    api = login("sanne")
    response = api.delete(f"/recordings/{recording.pk}")
    assert response.status_code == 409
    assert "juridische bewaring" in response.json()["detail"]
    assert Recording.objects.filter(pk=recording.pk).exists()
    assert not AuditEvent.objects.filter(action="recording.delete").exists()
    login("piet").delete(f"/recordings/{recording.pk}/legal-hold")
    with TestCase.captureOnCommitCallbacks(execute=True):
        assert api.delete(f"/recordings/{recording.pk}").status_code == 204
    assert not Recording.objects.filter(pk=recording.pk).exists()
    assert_audited("recording.delete", actor="sanne", object_id=recording.pk)


def test_the_database_refuses_to_delete_a_held_recording_whatever_the_code(recording):
    from django.db import transaction
    from django.db.models import ProtectedError

    place(recording.pk)
    with pytest.raises(ProtectedError), transaction.atomic():
        Recording.objects.filter(pk=recording.pk).delete()


def test_released_the_expired_recording_goes_with_the_next_sweep(recording):
    place(recording.pk)
    late = recording.expires_at + timedelta(days=60)
    assert sweep(late) == []
    assert login("piet").delete(f"/recordings/{recording.pk}/legal-hold").status_code == 204
    assert sweep(late) == [str(recording.pk)]
    assert not LegalHold.objects.exists()  # released holds go with the recording


def test_release_is_audited_and_the_hold_kept_as_history(recording):
    place(recording.pk)
    assert login("piet").delete(f"/recordings/{recording.pk}/legal-hold").status_code == 204
    assert login("sanne").get(f"/recordings/{recording.pk}").json()["legal_hold"] is False
    hold = LegalHold.objects.get()
    assert hold.released_by.username == "piet" and hold.released_at is not None
    assert_audited(
        "legal_hold.release",
        actor="piet",
        object_id=recording.pk,
        purpose="legal_obligation",
        hold=str(hold.pk),
    )
    assert place(recording.pk).status_code == 201  # a new hold may follow
    assert LegalHold.objects.filter(released_at__isnull=True).count() == 1
    assert AuditEvent.objects.filter(action="legal_hold.place").count() == 2


def test_holds_are_listed_for_the_privacy_officer(world, recording, django_assert_max_num_queries):
    second = make_recording(world.student, recorded_at=NOW)
    place(recording.pk)
    place(second.pk)
    login("piet").delete(f"/recordings/{second.pk}/legal-hold")
    api = login("piet")
    with django_assert_max_num_queries(4):
        active = api.get("/legal-holds").json()
    assert [h["recording"] for h in active] == [str(recording.pk)]
    every = api.get("/legal-holds?include_released=true").json()
    assert {h["recording"] for h in every} == {str(recording.pk), str(second.pk)}
    assert next(h for h in every if h["recording"] == str(second.pk))["released_by"] == "piet"


# --- the negative matrix ------------------------------------------------------------------


def test_without_a_token_it_is_401(recording):
    anonymous = Api()
    assert place(recording.pk, api=anonymous).status_code == 401
    assert anonymous.delete(f"/recordings/{recording.pk}/legal-hold").status_code == 401
    assert anonymous.get("/legal-holds").status_code == 401


@pytest.mark.parametrize("persona", OTHER_ROLES)
def test_every_other_role_gets_403(world, recording, persona):
    api = world.api(getattr(world, persona))
    with nothing_audited():
        assert place(recording.pk, api=api).status_code == 403
        assert place(uuid.uuid4(), api=api).status_code == 403  # nothing learnt about ids
        assert api.delete(f"/recordings/{recording.pk}/legal-hold").status_code == 403
    assert api.get("/legal-holds").status_code == 403
    assert not LegalHold.objects.exists()


@pytest.mark.parametrize("recording_id", [UNKNOWN_ID, "not-a-uuid"])
def test_an_unknown_recording_is_404(world, recording_id):
    assert place(recording_id).status_code == 404
    assert login("piet").delete(f"/recordings/{recording_id}/legal-hold").status_code == 404


def test_a_deleted_recording_is_404(world, recording):
    sweep(recording.expires_at)
    assert place(recording.pk).status_code == 404


def test_holding_twice_is_409_and_releasing_what_is_not_held_is_409(recording):
    assert login("piet").delete(f"/recordings/{recording.pk}/legal-hold").status_code == 409
    assert place(recording.pk).status_code == 201
    officer = login("piet")
    with nothing_audited():
        response = place(recording.pk, api=officer)
    assert response.status_code == 409 and "staat al onder" in response.json()["detail"]
    assert LegalHold.objects.count() == 1


@pytest.mark.parametrize(
    "body",
    [
        {"reason": "", "reference": "x"},
        {"reason": "   ", "reference": "x"},
        {"reference": "x"},
        {"reason": "vordering", "reference": "x" * 201},
    ],
)
def test_an_empty_reason_or_a_bad_reference_is_422(recording, body):
    response = place(recording.pk, body)
    assert response.status_code == 422, response.content
    assert "detail" in response.json()
    assert not LegalHold.objects.exists()


def test_the_reference_may_be_left_out(recording):
    response = place(recording.pk, {"reason": "Bewaarplicht na klacht"})
    assert response.status_code == 201 and response.json()["reference"] == ""
    assert LegalHold.objects.get().reason == "Bewaarplicht na klacht"
    assert_audited("legal_hold.place", actor="piet", object_id=recording.pk, reference="")
