"""Account pages in a real Chromium against a real `classvault serve` (demo data): a trainer
changes her password by keyboard only; the institute admin sees her token, revokes it,
deactivates and reactivates her account. Every page fits 360 px."""

import pytest

from support.browser import collect_problems, fits, log_in, log_out
from support.liveserver import DEMO_PASSWORD, call, running_server, token_for

pytestmark = pytest.mark.browser

NEW_PASSWORD = "nieuw-wachtwoord-2026"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with running_server(tmp_path_factory.mktemp("accounts") / "data") as base:
        yield base


def test_a_trainer_changes_her_password_by_keyboard(server, page):
    problems = collect_problems(page)
    page.set_viewport_size({"width": 360, "height": 740})
    token = token_for(server, "ingrid")
    log_in(page, server, "ingrid", check_fit=True)
    page.get_by_role("link", name="Wachtwoord wijzigen").click()
    page.wait_for_url(server + "/account/password/")
    assert fits(page)

    page.get_by_label("Huidig wachtwoord").focus()
    page.keyboard.type(DEMO_PASSWORD)
    page.keyboard.press("Tab")
    page.keyboard.type(NEW_PASSWORD)
    page.keyboard.press("Tab")
    page.keyboard.type(NEW_PASSWORD)
    page.keyboard.press("Enter")

    page.wait_for_url(server + "/")
    assert "Uw wachtwoord is gewijzigd" in page.get_by_role("status").inner_text()
    # Her API token from before has ended; this browser stays signed in.
    assert call(server, "GET", "/api/v1/me", token=token)[0] == 401
    page.reload()
    assert page.get_by_role("button", name="Uitloggen").is_visible()
    log_out(page)
    assert problems == []


def test_the_admin_revokes_a_token_and_deactivates_an_account(server, page):
    token = token_for(server, "olga")
    problems = collect_problems(page, expected=[])
    page.set_viewport_size({"width": 360, "height": 740})
    log_in(page, server, "beheer")
    page.goto(server + "/institute/users/?q=olga")
    assert fits(page)
    page.get_by_role("link", name="olga").click()
    page.wait_for_url(server + "/institute/users/olga/")
    assert fits(page)
    assert page.get_by_role("heading", name="1 API-token geldig").is_visible()

    page.get_by_role("button", name="Intrekken").click()
    assert "Het API-token is ingetrokken." in page.get_by_role("status").inner_text()
    assert call(server, "GET", "/api/v1/me", token=token)[0] == 401
    assert page.get_by_role("heading", name="0 API-tokens geldig").is_visible()

    page.get_by_role("button", name="Account deactiveren").click()
    assert "Het account is gedeactiveerd" in page.get_by_role("status").inner_text()
    assert page.get_by_text("gedeactiveerd op").is_visible()
    assert fits(page)
    status, _, _ = call(
        server,
        "POST",
        "/api/v1/auth/token",
        body={"username": "olga", "password": DEMO_PASSWORD},
    )
    assert status == 401

    page.get_by_role("button", name="Account opnieuw activeren").click()
    assert "Het account is weer actief" in page.get_by_role("status").inner_text()
    assert token_for(server, "olga")
    assert problems == []
