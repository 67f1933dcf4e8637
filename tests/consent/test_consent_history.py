"""GET /pupils/{id}/consent, and the history that can only grow."""

import uuid

import pytest
from django.db import DatabaseError, connection, transaction

from classvault.consent.models import ConsentRecord, StatementVersion
from support.personas import Api
from support.pupils import consent_body, withdraw_body

# The personas were made at NOW; these tests run at that moment too.
pytestmark = pytest.mark.usefixtures("at_now")


def test_history_names_who_signed_when_how_and_under_which_version(world, pupils):
    api = world.api(world.school_admin)
    api.post(f"/pupils/{pupils.ada.pk}/consent/withdraw", withdraw_body(scope="peer_viewing"))
    response = api.get(f"/pupils/{pupils.ada.pk}/consent")
    assert response.status_code == 200
    body = response.json()
    assert body["pupil"] == str(pupils.ada.pk)
    assert (body["recording"], body["peer_viewing"]) == (True, False)
    given, withdrawn = body["history"]
    assert given["kind"] == "give" and given["signer_name"] == "Gerda Guardian"
    assert given["given_by"] == "guardian" and given["signed_on"] == "2026-10-01"
    assert given["received_how"] == "paper_form" and given["statement_version"] == "1"
    assert given["registered_by"] == "saskia"
    assert (given["recording"], given["peer_viewing"]) == (True, True)
    assert withdrawn["kind"] == "withdraw" and withdrawn["scope"] == "peer_viewing"
    assert withdrawn["verified_in_person"] is True and withdrawn["received_how"] == "in_person"
    assert withdrawn["signed_on"] == "2026-11-01"
    assert (withdrawn["recording"], withdrawn["peer_viewing"]) == (True, False)
    assert withdrawn["registered_at"].startswith("2026-11-02T09:00:00")


def test_history_keeps_its_order_when_records_share_an_instant(world, pupils):
    api = world.api(world.school_admin)
    api.post(f"/pupils/{pupils.cas.pk}/consent", consent_body(peer_viewing=False))
    api.post(f"/pupils/{pupils.cas.pk}/consent", consent_body())
    api.post(f"/pupils/{pupils.cas.pk}/consent/withdraw", withdraw_body(scope="peer_viewing"))
    api.post(f"/pupils/{pupils.cas.pk}/consent/withdraw", withdraw_body())
    history = api.get(f"/pupils/{pupils.cas.pk}/consent").json()["history"]
    assert [(h["recording"], h["peer_viewing"]) for h in history] == [
        (True, False),
        (True, True),
        (True, False),
        (False, False),
    ]


def test_a_pupil_without_forms_has_no_consent_and_empty_history(world, pupils):
    body = world.api(world.school_admin).get(f"/pupils/{pupils.cas.pk}/consent").json()
    assert body == {
        "pupil": str(pupils.cas.pk),
        "recording": False,
        "peer_viewing": False,
        "history": [],
    }


def test_privacy_officer_reads_any_schools_consent(world, pupils):
    response = world.api(world.privacy).get(f"/pupils/{pupils.eva.pk}/consent")
    assert response.status_code == 200
    assert len(response.json()["history"]) == 1


def test_consent_requires_authentication(world, pupils):
    assert Api().get(f"/pupils/{pupils.ada.pk}/consent").status_code == 401


@pytest.mark.parametrize("persona", ["admin", "student", "trainer", "supervisor"])
def test_other_roles_may_not_read_consent(world, pupils, persona):
    response = world.api(getattr(world, persona)).get(f"/pupils/{pupils.ada.pk}/consent")
    assert response.status_code == 403


def test_school_admin_of_another_school_does_not_see_the_pupil(world, pupils):
    response = world.api(world.other_school_admin).get(f"/pupils/{pupils.ada.pk}/consent")
    assert response.status_code == 404


def test_unknown_pupil_is_404(world):
    assert world.api(world.privacy).get(f"/pupils/{uuid.uuid4()}/consent").status_code == 404


def test_pupil_detail_for_the_school_admin(world, pupils):
    response = world.api(world.school_admin).get(f"/pupils/{pupils.dewi.pk}")
    assert response.status_code == 200
    assert response.json()["date_of_birth"] == "2009-06-15"
    assert world.api(world.other_school_admin).get(f"/pupils/{pupils.dewi.pk}").status_code == 404
    assert world.api(world.student).get(f"/pupils/{pupils.dewi.pk}").status_code == 403


# --- append-only ----------------------------------------------------------------------


def test_the_api_offers_no_way_to_change_or_delete_consent(world, pupils):
    api = world.api(world.school_admin)
    path = f"/pupils/{pupils.ada.pk}/consent"
    assert api.put(path, consent_body()).status_code == 405
    assert api.delete(path).status_code == 405
    paths = Api().get("/openapi.json").json()["paths"]
    consent_methods = {m for p, ops in paths.items() if "consent" in p for m in ops}
    assert consent_methods == {"get", "post"}


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE consent_consentrecord SET recording = FALSE, peer_viewing = FALSE",
        "UPDATE consent_consentrecord SET signer_name = 'someone else'",
        "DELETE FROM consent_consentrecord",
    ],
)
def test_the_database_refuses_to_change_consent_records(world, pupils, sql):
    with pytest.raises(DatabaseError, match="append-only"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql)
    assert ConsentRecord.objects.filter(pupil=pupils.ada, recording=True).count() == 1


def test_the_orm_cannot_change_a_consent_record_either(world, pupils):
    record = ConsentRecord.objects.get(pupil=pupils.ada)
    record.recording = False
    with pytest.raises(DatabaseError), transaction.atomic():
        record.save()
    with pytest.raises(DatabaseError), transaction.atomic():
        ConsentRecord.objects.filter(pk=record.pk).delete()


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE consent_statementversion SET text = 'changed'",
        "DELETE FROM consent_statementversion",
    ],
)
def test_the_database_refuses_to_change_published_statements(db, sql):
    with pytest.raises(DatabaseError, match="cannot be changed"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql)
    assert StatementVersion.objects.filter(version="1").exists()


def test_openapi_documents_the_consent_endpoints(db):
    paths = Api().get("/openapi.json").json()["paths"]
    for path in (
        "/api/v1/pupils",
        "/api/v1/pupils/{pupil_id}/consent",
        "/api/v1/pupils/{pupil_id}/consent/withdraw",
        "/api/v1/pupils/import",
        "/api/v1/privacy",
        "/api/v1/privacy-statements",
    ):
        assert path in paths
