"""The web shell in a real Chromium against a real `classvault serve` (embedded default)."""

import pytest

from support.browser import log_in
from support.liveserver import DEMO_PASSWORD, running_server

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with running_server(tmp_path_factory.mktemp("browser") / "data") as base:
        yield base


def test_login_page_is_dutch_and_usable_by_keyboard(server, page, tmp_path):
    page.goto(server + "/")
    assert page.url.startswith(server + "/login/")
    assert page.get_attribute("html", "lang") == "nl"
    assert page.get_by_role("heading", name="Inloggen").is_visible()
    # The username field has focus, and the skip link is the first stop in tab order.
    assert page.evaluate("document.activeElement.id") == "id_username"
    first = page.evaluate(
        "document.querySelector('a[href], button, input:not([type=hidden]), select').className"
    )
    assert first == "skip-link"
    page.get_by_label("Gebruikersnaam").fill("sanne")
    page.get_by_label("Wachtwoord").fill(DEMO_PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(server + "/")
    assert page.get_by_role("heading", name="Welkom, Sanne de Student").is_visible()
    page.screenshot(path=str(tmp_path / "landing.png"))


def test_wrong_password_is_announced(server, page):
    page.goto(server + "/login/")
    page.get_by_label("Gebruikersnaam").fill("sanne")
    page.get_by_label("Wachtwoord").fill("verkeerd-wachtwoord")
    page.get_by_role("button", name="Inloggen").click()
    assert "Onjuiste gebruikersnaam" in page.get_by_role("alert").inner_text()


def test_switch_to_english_and_log_out(server, page):
    log_in(page, server, "olga")
    page.get_by_label("Taal").select_option("en")
    page.get_by_role("button", name="Wissel").click()
    assert page.get_by_role("heading", name="Welcome, Olga Opleider").is_visible()
    assert page.get_attribute("html", "lang") == "en"
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(server + "/login/")
    assert page.get_by_role("heading", name="Log in").is_visible()


def test_student_teacher_accepts_the_guidelines(server, page):
    page.goto(server + "/login/")
    page.get_by_label("Gebruikersnaam").fill("tim")
    page.get_by_label("Wachtwoord").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Inloggen").click()
    page.get_by_role("link", name="Lees de richtlijnen").click()
    page.get_by_role("button", name="Ik heb deze richtlijnen gelezen en houd me eraan").click()
    page.wait_for_url(server + "/")
    assert "geaccepteerd" in page.get_by_role("status").inner_text()
