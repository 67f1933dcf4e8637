"""The privacy statement: versions (R15), contacts (R16), the public /privacy page."""

import pytest
from django.test import Client

from classvault.audit.models import AuditEvent
from classvault.consent import services
from classvault.consent.models import StatementVersion
from support.personas import NOW, Api

# The personas were made at NOW; these tests run at that moment too.
pytestmark = pytest.mark.usefixtures("at_now")

NEW = {"version": "2", "text": "# Privacyverklaring\n\nGewijzigde tekst over opnames."}


def test_every_database_has_version_1_from_the_seed(db):
    v1 = StatementVersion.objects.get(version="1")
    assert v1.text.startswith("# Privacyverklaring beeld- en geluidsopnames in de klas")
    assert "Autoriteit Persoonsgegevens" in v1.text
    assert {c["kind"] for c in v1.contacts} == {
        "privacy_officer",
        "data_protection_officer",
        "supervisory_authority",
    }


def test_privacy_page_is_public_and_dutch(db):
    response = Client().get("/privacy")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Privacyverklaring beeld- en geluidsopnames in de klas" in html
    assert "Wie heeft er toegang tot de beeld- en geluidsopnames?" in html
    assert '<html lang="nl">' in html


def test_privacy_page_shows_version_date_and_contacts(db):
    v1 = StatementVersion.objects.get(version="1")
    html = Client().get("/privacy").content.decode()
    assert f"Versie 1, gepubliceerd op {v1.published_on.day} " in html
    assert str(v1.published_on.year) in html
    assert "privacy@iclon.leidenuniv.nl" in html  # privacy officer
    assert "privacy@bb.leidenuniv.nl" in html  # data protection officer
    assert "Functionaris Gegevensbescherming" in html
    assert "https://www.autoriteitpersoonsgegevens.nl" in html  # supervisory authority
    assert "088 - 1805 250" in html


def test_privacy_page_escapes_the_statement_text(world):
    services.statement_publish(
        actor=world.privacy, version="2", text="Tekst <script>alert(1)</script>", now=NOW
    )
    html = Client().get("/privacy").content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;" in html


def test_a_new_version_is_in_force_and_earlier_versions_stay_listed(world):
    services.statement_publish(actor=world.privacy, version="2", text=NEW["text"], now=NOW)
    html = Client().get("/privacy").content.decode()
    assert "Gewijzigde tekst over opnames." in html
    assert "/privacy/versions/1" in html and "/privacy/versions/2" in html
    old = Client().get("/privacy/versions/1")
    assert old.status_code == 200
    assert "Wie is verwerkingsverantwoordelijke" in old.content.decode()
    assert Client().get("/privacy/versions/9").status_code == 404


def test_privacy_json_is_public(world):
    services.statement_publish(actor=world.privacy, version="2", text=NEW["text"], now=NOW)
    body = Api().get("/privacy").json()
    assert body["version"] == "2" and body["published_on"] == "2026-11-02"
    assert body["earlier_versions"][0]["version"] == "1"
    assert len(body["contacts"]) == 3
    assert Api().get("/privacy-statements/1").json()["version"] == "1"
    assert Api().get("/privacy-statements/nope").status_code == 404


@pytest.mark.parametrize("persona", ["admin", "privacy"])
def test_institute_admin_and_privacy_officer_publish(world, persona):
    response = world.api(getattr(world, persona)).post("/privacy-statements", NEW)
    assert response.status_code == 201
    body = response.json()
    assert body["version"] == "2" and body["published_on"] == "2026-11-02"
    # contacts carry over from the version in force
    assert body["contacts"] == StatementVersion.objects.get(version="1").contacts
    actor = getattr(world, persona).username
    assert AuditEvent.objects.filter(
        action="privacy_statement.publish", object_id="2", actor=actor
    ).exists()


def test_publish_with_new_contacts(world):
    contacts = [
        {"kind": "privacy_officer", "name": "Privacy officer", "email": "po@example.org"},
        {"kind": "data_protection_officer", "name": "FG", "email": "fg@example.org"},
        {
            "kind": "supervisory_authority",
            "name": "Autoriteit Persoonsgegevens",
            "website": "https://www.autoriteitpersoonsgegevens.nl",
            "phone": "088 - 1805 250",
        },
    ]
    response = world.api(world.admin).post("/privacy-statements", {**NEW, "contacts": contacts})
    assert response.status_code == 201
    assert response.json()["contacts"][0]["email"] == "po@example.org"


def test_publishing_requires_authentication(world):
    assert Api().post("/privacy-statements", NEW).status_code == 401


@pytest.mark.parametrize("persona", ["school_admin", "student", "trainer", "supervisor"])
def test_other_roles_may_not_publish(world, persona):
    response = world.api(getattr(world, persona)).post("/privacy-statements", NEW)
    assert response.status_code == 403
    assert not StatementVersion.objects.filter(version="2").exists()


def test_existing_version_is_409(world):
    response = world.api(world.admin).post("/privacy-statements", {**NEW, "version": "1"})
    assert response.status_code == 409


@pytest.mark.parametrize(
    "body",
    [
        {**NEW, "version": ""},
        {**NEW, "text": "   "},
        {"version": "2"},
        {**NEW, "contacts": []},
        {**NEW, "contacts": [{"kind": "privacy_officer", "name": "PO"}]},  # others missing
        {**NEW, "contacts": [{"kind": "mayor", "name": "X"}]},
    ],
)
def test_invalid_statement_is_422(world, body):
    response = world.api(world.admin).post("/privacy-statements", body)
    assert response.status_code == 422
    assert not StatementVersion.objects.filter(version="2").exists()
