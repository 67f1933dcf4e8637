"""The privacy office's pages: requests from registration to answer, the access report
(page and printable document), the record of processing, the signed audit export. Dutch
first; every other role 403; the Autoriteit Persoonsgegevens named where parents look."""

import json
import re

import pytest
from django.test import Client

from classvault.audit.models import AuditEvent
from classvault.recordings.models import Recording
from classvault.rights.models import DataSubjectRequest
from support.audit import assert_audited
from support.personas import NOW
from support.recordings import make_recording

pytestmark = pytest.mark.usefixtures("at_now")


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def test_a_request_goes_from_registration_to_answer(world, pupils, vault_home):
    lesson = make_recording(world.student, recorded_at=NOW, title="Breuken", pupils=[pupils.ada])
    piet = client_for(world.privacy)
    form = piet.get("/privacy-office/requests/new/")
    assert form.status_code == 200
    assert "Verzoek registreren" in _text(form)
    created = piet.post(
        "/privacy-office/requests/new/",
        {
            "pupil": str(pupils.ada.pk),
            "kind": "erasure",
            "requested_by": "guardian",
            "received_on": "2026-11-02",
            "details": "Graag alles van Ada verwijderen.",
        },
    )
    assert created.status_code == 302
    request = DataSubjectRequest.objects.get()
    assert created["Location"] == f"/privacy-office/requests/{request.pk}/"
    page = piet.get(created["Location"])
    text = _text(page)
    assert "2 december 2026" in text  # the deadline, in Dutch
    assert "Breuken" in text and "Definitief verwijderen" in text
    assert "autoriteitpersoonsgegevens.nl" in text

    assert piet.post(f"/privacy-office/requests/{request.pk}/start/").status_code == 302
    deleted = piet.post(f"/privacy-office/requests/{request.pk}/recordings/{lesson.pk}/delete/")
    assert deleted.status_code == 302
    assert not Recording.objects.filter(pk=lesson.pk).exists()
    refused = piet.post(f"/privacy-office/requests/{request.pk}/complete/", {"outcome": ""})
    assert refused.status_code == 422
    done = piet.post(
        f"/privacy-office/requests/{request.pk}/complete/", {"outcome": "Opname verwijderd."}
    )
    assert done.status_code == 302
    request.refresh_from_db()
    assert request.status == "completed" and request.outcome == "Opname verwijderd."
    listed = _text(piet.get("/privacy-office/requests/?status=completed"))
    assert "Ada Aap" in listed and "afgerond" in listed


def test_a_refused_registration_says_why(world, pupils):
    piet = client_for(world.privacy)
    response = piet.post(
        "/privacy-office/requests/new/",
        {
            "pupil": str(pupils.ada.pk),
            "kind": "access",
            "requested_by": "pupil",
            "received_on": "2026-11-01",
        },
    )
    assert response.status_code == 422
    assert "onder de 16" in _text(response)
    assert not DataSubjectRequest.objects.exists()


def test_an_inspection_opens_the_player_with_its_purpose(world, pupils, vault_home):
    lesson = make_recording(world.student, recorded_at=NOW, pupils=[pupils.ada])
    piet = client_for(world.privacy)
    piet.post(
        "/privacy-office/requests/new/",
        {
            "pupil": str(pupils.ada.pk),
            "kind": "access",
            "requested_by": "guardian",
            "received_on": "2026-11-01",
        },
    )
    request = DataSubjectRequest.objects.get()
    response = piet.post(f"/privacy-office/requests/{request.pk}/recordings/{lesson.pk}/inspect/")
    assert response.status_code == 302 and response["Location"] == f"/recordings/{lesson.pk}/"
    player = piet.get(response["Location"])
    assert player.status_code == 200
    assert_audited("request.inspection", actor="piet", object_id=request.pk)
    assert_audited("recording.view", actor="piet", object_id=lesson.pk, purpose="inspection")


def test_the_report_page_and_document_are_logged_and_name_the_authority(world, pupils, vault_home):
    make_recording(world.student, recorded_at=NOW, title="Breuken", pupils=[pupils.ada])
    piet = client_for(world.privacy)
    page = piet.get(f"/privacy-office/pupils/{pupils.ada.pk}/report/")
    assert page.status_code == 200
    text = _text(page)
    assert "Ada Aap" in text and "Breuken" in text
    assert "Autoriteit Persoonsgegevens" in text
    printable = piet.get(f"/privacy-office/pupils/{pupils.ada.pk}/report/?print=1")
    assert printable.status_code == 200
    assert "<video" not in printable.content.decode()
    assert (
        "@media print"
        in open(  # the print rules the document relies on
            "src/classvault/rights/static/rights/rights.css"
        ).read()
    )
    assert (
        AuditEvent.objects.filter(action="report.read", object_id=str(pupils.ada.pk)).count() == 2
    )


def test_the_privacy_page_names_the_authority(world, client):
    text = _text(client.get("/privacy"))
    assert "autoriteitpersoonsgegevens.nl" in text


def test_the_record_of_processing_follows_the_configuration(world, settings):
    settings.CLASSVAULT_RETENTION_MONTHS = 4
    settings.CLASSVAULT_STORAGE_URL = "s3://bucket/prefix?endpoint_url=https://s3.example.org"
    piet = client_for(world.privacy)
    text = _text(piet.get("/privacy-office/register/"))
    assert "4 maanden" in text
    assert "s3://bucket" in text
    assert "Leraar-in-opleiding" in text  # the roles, by their Dutch names
    exported = piet.get("/privacy-office/register/?format=json")
    assert exported["Content-Disposition"].startswith("attachment")
    data = json.loads(exported.content)
    assert data["retention_months"] == 4
    assert {r["role"]: r["accounts"] for r in data["recipients"]}["trainer"] == 3
    api = world.api(world.privacy).get("/processing-register")
    assert api.status_code == 200 and api.json()["retention_months"] == 4
    assert world.api(world.admin).get("/processing-register").status_code == 403


def test_the_audit_page_exports_its_selection_signed(world):
    piet = client_for(world.privacy)
    response = piet.get("/privacy-office/audit-export/", {"actor": "anna"})
    assert response.status_code == 200
    document = json.loads(response.content)
    assert document["format"] == "classvault-audit-export-1"
    assert {e["actor"] for e in document["events"]} == {"anna"}
    assert "Exporteer" in _text(piet.get("/officer/audit/"))


PAGES = [
    ("get", "/privacy-office/requests/"),
    ("get", "/privacy-office/requests/new/"),
    ("get", "/privacy-office/register/"),
    ("get", "/privacy-office/audit-export/"),
]


@pytest.mark.parametrize(
    "persona", ["admin", "school_admin", "student", "trainer", "supervisor", "fellow"]
)
def test_every_other_role_gets_403(world, pupils, persona):
    request = DataSubjectRequest.objects.create(
        pupil=pupils.ada,
        kind="access",
        requested_by="guardian",
        received_on=NOW.date(),
        due_on=NOW.date(),
        registered_by=world.privacy,
        registered_at=NOW,
        updated_at=NOW,
    )
    client = client_for(getattr(world, persona))
    paths = PAGES + [
        ("get", f"/privacy-office/requests/{request.pk}/"),
        ("post", f"/privacy-office/requests/{request.pk}/start/"),
        ("post", f"/privacy-office/requests/{request.pk}/complete/"),
        ("get", f"/privacy-office/pupils/{pupils.ada.pk}/report/"),
    ]
    for method, path in paths:
        assert getattr(client, method)(path).status_code == 403, path
    assert Client().get("/privacy-office/requests/").status_code == 302  # to the login
    request.refresh_from_db()
    assert request.status == "open"


def test_the_officer_home_links_the_new_pages(world):
    text = _text(client_for(world.privacy).get("/"))
    assert "/privacy-office/requests/" in text and "/privacy-office/register/" in text


def test_erasure_from_the_request_page(world, pupils, vault_home):
    lesson = make_recording(world.student, recorded_at=NOW, pupils=[pupils.bram])
    piet = client_for(world.privacy)
    piet.post(
        "/privacy-office/requests/new/",
        {
            "pupil": str(pupils.bram.pk),
            "kind": "erasure",
            "requested_by": "guardian",
            "received_on": "2026-11-01",
        },
    )
    request = DataSubjectRequest.objects.get()
    base = f"/privacy-office/requests/{request.pk}"
    # Too early: consent and the recording remain; the page says so.
    refused = piet.post(f"{base}/erase-pupil/", follow=True)
    assert "heeft nog toestemming" in _text(refused)
    extended = piet.post(f"{base}/extend/", {"months": "2", "reason": "Veel opnames"}, follow=True)
    assert "1 februari 2027" in _text(extended)  # receipt + 1 + 2 months
    assert piet.post(f"{base}/extend/", {"months": "2", "reason": ""}).status_code == 422
    piet.post(f"{base}/recordings/{lesson.pk}/delete/")
    unchecked = piet.post(
        f"{base}/withdrawal/", {"scope": "all", "signer_name": "Gerda Beer", "on": "2026-11-02"}
    )
    assert unchecked.status_code == 422  # not verified in person
    withdrawn = piet.post(
        f"{base}/withdrawal/",
        {
            "scope": "all",
            "signer_name": "Gerda Beer",
            "on": "2026-11-02",
            "verified_in_person": "on",
        },
        follow=True,
    )
    assert "De intrekking is geregistreerd" in _text(withdrawn)
    erased = piet.post(f"{base}/erase-pupil/", follow=True)
    text = _text(erased)
    assert "zijn gewist" in text and "Bram Beer" not in text
    assert_audited("pupil.erase", actor="piet", object_id=pupils.bram.pk)


def test_a_rectification_offers_redaction_beside_deletion(world, pupils, vault_home):
    lesson = make_recording(world.student, recorded_at=NOW, pupils=[pupils.bram])
    piet = client_for(world.privacy)
    piet.post(
        "/privacy-office/requests/new/",
        {
            "pupil": str(pupils.bram.pk),
            "kind": "rectification",
            "requested_by": "guardian",
            "received_on": "2026-11-01",
        },
    )
    request = DataSubjectRequest.objects.get()
    html = _text(piet.get(f"/privacy-office/requests/{request.pk}/"))
    link = f'href="/recordings/{lesson.pk}/redact/?pupil={pupils.bram.pk}"'
    assert link in html
    assert "gezicht vervagen" in html.lower()
    # The redaction page it leads to has the pupil ticked already.
    order = _text(piet.get(f"/recordings/{lesson.pk}/redact/?pupil={pupils.bram.pk}"))
    assert re.search(rf'value="{pupils.bram.pk}"[^>]*checked', order)


def test_an_access_request_offers_no_redaction(world, pupils, vault_home):
    make_recording(world.student, recorded_at=NOW, pupils=[pupils.bram])
    piet = client_for(world.privacy)
    piet.post(
        "/privacy-office/requests/new/",
        {
            "pupil": str(pupils.bram.pk),
            "kind": "access",
            "requested_by": "guardian",
            "received_on": "2026-11-01",
        },
    )
    request = DataSubjectRequest.objects.get()
    html = _text(piet.get(f"/privacy-office/requests/{request.pk}/"))
    assert "/redact/" not in html
