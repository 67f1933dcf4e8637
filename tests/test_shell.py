"""The shell every role sees: error pages in the site's layout, the favicon, one date format,
translated errors, the pupils' group filter."""

import ast
from datetime import date, datetime
from pathlib import Path

import pytest
from django.http import HttpRequest
from django.test import Client, RequestFactory
from django.urls import include, path
from django.utils import translation
from django.utils.functional import SimpleLazyObject

from classvault.core import views as error_views
from classvault.core.display import date_text, datetime_text
from classvault.core.exceptions import Conflict
from classvault.people import services as people_services
from support.personas import NOW


def _boom(request: HttpRequest):
    raise RuntimeError("a bug")


# The real site plus one view that fails, for the 500 page.
urlpatterns = [path("boom/", _boom), path("", include("classvault.urls"))]
handler500 = "classvault.core.views.error"


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def assert_error_page(response, status: int, *texts: str) -> str:
    assert response.status_code == status
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert '<html lang="nl">' in html
    for landmark in ("<header", "<main", "<footer", "classvault.css"):
        assert landmark in html  # in the site's layout
    assert f"Foutcode {status}" in html
    assert 'href="/"' in html and "Naar de startpagina" in html
    assert 'href="/privacy"' in html
    for text in texts:
        assert text in html
    return html


# --- error pages ---------------------------------------------------------------------------


def test_404_is_a_dutch_page_in_the_layout(db):
    html = assert_error_page(Client().get("/bestaat-niet/"), 404, "Deze pagina bestaat niet")
    assert "Not Found" not in html


def test_404_for_an_invisible_recording_says_nothing_about_it(world):
    response = client_for(world.trainer).get("/recordings/00000000-0000-0000-0000-000000000000/")
    assert_error_page(response, 404, "niet met u gedeeld")


def test_404_under_the_api_stays_json(db):
    response = Client().get("/api/v1/bestaat-niet")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


def test_403_is_a_dutch_page_with_the_reason(world):
    response = client_for(world.trainer).get("/consent/pupils/")
    html = assert_error_page(response, 403, "Dit mag u niet doen")
    assert "Uitloggen" in html  # the menu knows who is logged in


def test_an_expired_form_is_a_dutch_403_not_django_s_csrf_page(world):
    response = Client(enforce_csrf_checks=True).post("/login/", {"username": "x"})
    html = assert_error_page(response, 403, "Het formulier was verlopen")
    assert "CSRF verification failed" not in html


def test_a_nul_in_a_form_is_a_dutch_400_page(world):
    response = Client().post("/login/", {"username": "anna\x00", "password": "x"})
    assert_error_page(response, 400, "NUL")


@pytest.mark.urls("test_shell")
def test_500_is_a_dutch_page_in_the_layout(db):
    response = Client(raise_request_exception=False).get("/boom/")
    html = assert_error_page(response, 500, "Er ging bij ons iets mis")
    assert "a bug" not in html and "Traceback" not in html


@pytest.mark.urls("test_shell")
def test_500_under_the_api_stays_json(db):
    response = Client(raise_request_exception=False).get("/api/v1/health", HTTP_HOST="127.0.0.1")
    assert response.status_code == 200  # the API itself is untouched
    request = RequestFactory().get("/api/v1/recordings")
    assert error_views.error(request).status_code == 500


def test_500_renders_without_database_or_session():
    """A 500 may come from a database that is down: its page reads neither (without the db
    fixture, any query here fails the test)."""

    def no_user():
        raise AssertionError("the 500 page asked who is logged in")

    request = RequestFactory().get("/recordings/")
    request.user = SimpleLazyObject(no_user)
    with translation.override("nl"):
        response = error_views.error(request)
    assert response.status_code == 500
    assert "Er ging bij ons iets mis" in response.content.decode()


# --- favicon -------------------------------------------------------------------------------


def test_favicon_is_served_and_linked(db):
    response = Client().get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"] == "/static/classvault/favicon.svg"
    icon = Client().get(response["Location"])
    assert icon.status_code == 200 and icon["Content-Type"].startswith("image/svg+xml")
    html = Client().get("/login/").content.decode()
    assert '<link rel="icon" href="/static/classvault/favicon.svg"' in html


# --- one date format -----------------------------------------------------------------------


def test_dates_read_the_dutch_way_on_amsterdam_s_day():
    late = datetime.fromisoformat("2026-11-27T23:30:00+00:00")  # 00:30 on the 28th there
    with translation.override("nl"):
        assert date_text(late) == "28 november 2026"
        assert datetime_text(late) == "28 november 2026 00:30"
        assert date_text(date(2027, 3, 1)) == "1 maart 2027"
    with translation.override("en"):
        assert date_text(late) == "28 November 2026"


def test_a_page_shows_its_dates_in_the_one_format(world, at_now):
    html = client_for(world.student).get("/").content.decode()
    assert "15 juli 2027" in html  # her study end


def test_templates_use_only_the_one_date_format():
    templates = Path(__file__).parents[1] / "src" / "classvault"
    for template in templates.rglob("*.html"):
        text = template.read_text(encoding="utf-8")
        assert '|date:"j M Y' not in text and "|date:'j M Y" not in text, template


# --- translated errors ---------------------------------------------------------------------

DOMAIN_ERRORS = {"Invalid", "Conflict", "Forbidden", "NotVisible", "DomainError", "MediaError"}


def test_every_domain_error_message_goes_through_gettext():
    """A bare string (or f-string) in a domain error would reach a Dutch page in English."""
    source = Path(__file__).parents[1] / "src" / "classvault"
    bare = []
    for module in source.rglob("*.py"):
        for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in DOMAIN_ERRORS
                and node.args
                and isinstance(node.args[0], ast.Constant | ast.JoinedStr)
            ):
                bare.append(f"{module.relative_to(source)}:{node.lineno}")
    assert bare == []


def test_service_errors_speak_the_person_s_language(world):
    for language, expected in (
        ("nl", "De gebruikersnaam anna is al in gebruik. Kies een andere gebruikersnaam."),
        ("en", "The username anna is taken. Choose another username."),
    ):
        with translation.override(language), pytest.raises(Conflict) as refused:
            people_services.user_create(
                actor=None, username="anna", password="x" * 12, role="trainer", now=NOW
            )
        assert refused.value.detail == expected


# --- the pupils' group filter --------------------------------------------------------------


@pytest.mark.usefixtures("at_now")
@pytest.mark.parametrize("typed", ["5A", "5a", "  5a "])
def test_the_group_filter_ignores_case_and_spaces(world, pupils, typed):
    html = client_for(world.school_admin).get("/consent/pupils/", {"group": typed}).content
    html = html.decode()
    assert "Ada Aap" in html and "Bram Beer" in html and "Cas Cavia" not in html


@pytest.mark.usefixtures("at_now")
def test_a_group_without_pupils_says_so(world, pupils):
    html = client_for(world.school_admin).get("/consent/pupils/", {"group": "7C"})
    html = html.content.decode()
    assert "Geen leerlingen in groep 7C." in html
    assert "Importeer" not in html and "importeer" not in html


@pytest.mark.usefixtures("at_now")
def test_the_api_group_filter_matches_the_same_way(world, pupils):
    response = world.api(world.school_admin).get("/pupils", school="NOORD", group=" 5a")
    assert response.status_code == 200
    assert {p["full_name"] for p in response.json()} == {"Ada Aap", "Bram Beer"}
