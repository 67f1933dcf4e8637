"""The HTML shell: Dutch first, English on request, session login, a landing page per role."""

import re

import pytest
from django.test import Client

from classvault.audit.models import AuditEvent
from classvault.people.models import GuidelinesAcknowledgement
from support.personas import PASSWORD
from support.personas import web_login as web_login_with_factor


def web_login(username: str) -> Client:
    return web_login_with_factor(username)


def test_login_page_is_dutch_by_default(db):
    html = Client().get("/login/").content.decode()
    assert '<html lang="nl">' in html
    assert "Inloggen" in html and "Gebruikersnaam" in html and "Wachtwoord" in html


def test_login_page_in_english_when_chosen(db):
    client = Client()
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/login/"})
    assert response.status_code == 302
    html = client.get("/login/").content.decode()
    assert '<html lang="en">' in html
    assert "Username" in html and "Log in" in html


def test_form_fields_have_labels_and_page_has_landmarks(db):
    html = Client().get("/login/").content.decode()
    for field_id in ("id_username", "id_password", "language-select"):
        assert f'for="{field_id}"' in html and f'id="{field_id}"' in html
    for landmark in ("<header", "<nav", "<main", "<footer"):
        assert landmark in html
    assert 'href="#main"' in html  # skip link for keyboard users


def test_pages_load_nothing_from_other_hosts(db):
    html = Client().get("/login/").content.decode()
    assert not re.search(r'(src|href)="(https?:)?//', html)


def test_security_headers(db):
    response = Client().get("/login/")
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_stylesheet_is_served_by_the_app(db):
    response = Client().get("/static/classvault/classvault.css")
    assert response.status_code == 200


def test_wrong_password_shows_a_dutch_error_and_is_audited(world):
    response = Client().post("/login/", {"username": "sanne", "password": "nope-nope-nope"})
    assert response.status_code == 401
    assert "Onjuiste gebruikersnaam of wachtwoord" in response.content.decode()
    assert AuditEvent.objects.filter(action="auth.login_failed", object_id="sanne").exists()


def test_successful_login_is_audited_and_session_cookie_is_httponly(world):
    client = Client()
    response = client.post("/login/", {"username": "sanne", "password": PASSWORD})
    assert response.status_code == 302
    assert response.cookies["sessionid"]["httponly"]
    assert response.cookies["sessionid"]["samesite"] == "Lax"
    assert AuditEvent.objects.filter(action="auth.login", actor="sanne").exists()


def test_home_requires_login(db):
    response = Client().get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_login_never_redirects_to_another_host(world):
    client = Client()
    response = client.post(
        "/login/", {"username": "sanne", "password": PASSWORD, "next": "https://evil.example.org/"}
    )
    assert response["Location"] == "/"


@pytest.mark.parametrize(
    "persona,expected",
    [
        ("student", "Mijn stageplaats"),
        ("trainer", "Mijn leraren-in-opleiding"),
        ("supervisor", "Mijn leraren-in-opleiding"),
        ("school_admin", "Leraren-in-opleiding op deze school"),
        ("admin", "Partnerscholen"),
        ("privacy", "Opvallende gebeurtenissen"),
    ],
)
def test_each_role_has_its_landing_page(world, persona, expected):
    user = getattr(world, persona)
    html = web_login(user.username).get("/").content.decode()
    assert expected in html
    assert user.full_name in html


def test_trainer_landing_lists_only_own_student_teachers(world):
    html = web_login("uri").get("/").content.decode()
    assert "Sanne Student" not in html
    html = web_login("tom").get("/").content.decode()
    assert "Sanne Student" in html and "Femke Fellow" not in html


def test_student_teacher_accepts_guidelines_in_the_browser(world):
    client = web_login("sanne")
    assert "Lees de richtlijnen" in client.get("/").content.decode()
    page = client.get("/guidelines/").content.decode()
    assert "Richtlijnen en stappenplan" in page
    response = client.post("/guidelines/")
    assert response.status_code == 302
    assert GuidelinesAcknowledgement.objects.filter(user=world.student).exists()
    assert "Lees de richtlijnen" not in client.get("/").content.decode()


def test_other_roles_cannot_acknowledge_in_the_browser(world):
    client = web_login("tom")
    client.post("/guidelines/")
    assert not GuidelinesAcknowledgement.objects.exists()


def test_logout_needs_post_and_ends_the_session(world):
    client = web_login("sanne")
    assert client.get("/logout/").status_code == 405
    assert client.post("/logout/").status_code == 302
    assert client.get("/").status_code == 302


def test_privacy_officer_sees_the_legal_holds_on_her_dashboard(studio, small_video):
    from classvault.retention.services import legal_hold_place
    from support.personas import NOW
    from support.recordings import make_recording

    recording = make_recording(studio.student, video=small_video)
    legal_hold_place(
        actor=studio.privacy,
        recording=recording,
        reason="Vordering OM",
        reference="PV-2026-118",
        now=NOW,
    )
    html = web_login("piet").get("/").content.decode()
    assert "Juridische bewaring (legal hold)" in html and "PV-2026-118" in html


def test_institute_admin_sees_upcoming_unassessed_expiries_per_trainer(studio, small_video):
    from support.recordings import make_recording

    make_recording(studio.student, video=small_video, recorded_at="2026-05-20T10:00:00+02:00")
    html = web_login("anna").get("/").content.decode()
    assert "Tom Trainer" in html and "Sanne Student: 1 opname" in html


def test_logging_out_of_the_api_with_a_session_ends_the_session(world):
    client = web_login("sanne")
    assert client.delete("/api/v1/auth/token").status_code == 204
    assert client.get("/").status_code == 302  # back to the login page
