"""The privacy officer walks a data-subject request from registration to completion in a
real Chromium against `classvault serve` on the demo data: Dutch, by keyboard, at 360 px."""

import pytest

from support.browser import collect_problems, fits, log_in
from support.liveserver import running_server

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with running_server(tmp_path_factory.mktemp("rights") / "data") as base:
        yield base


def press(page, role: str, name: str) -> None:
    """Reach a control by keyboard (focus it, then Enter), as someone without a mouse does."""
    control = page.get_by_role(role, name=name, exact=True).first
    control.focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.wait_for_load_state()


def test_a_request_from_registration_to_completion(server, page):
    problems = collect_problems(page)
    page.set_viewport_size({"width": 360, "height": 740})
    log_in(page, server, "privacy", check_fit=True)

    press(page, "link", "Verzoeken")
    page.get_by_role("heading", name="Verzoeken van leerlingen en ouders").wait_for()
    assert fits(page), page.url
    press(page, "link", "Verzoek registreren")
    assert fits(page), page.url
    page.get_by_label("Leerling", exact=True).select_option(
        label="Ada Appel — Basisschool De Linde, Groep 7"
    )
    page.get_by_label("Soort verzoek").select_option("access")
    page.get_by_label("ouder of verzorger").check()
    page.get_by_label("Wat werd gevraagd").fill("Moeder van Ada vraagt welke opnames er zijn.")
    press(page, "button", "Het verzoek registreren")
    page.get_by_text("Het verzoek is geregistreerd.").wait_for()
    assert page.get_by_role("heading", name="Verzoek om inzage (art. 15)").is_visible()
    assert page.locator("#request-status").inner_text().strip() == "open"
    assert fits(page), page.url

    press(page, "button", "In behandeling nemen")
    page.get_by_text("Het verzoek is nu in behandeling.").wait_for()
    assert page.locator("#request-status").inner_text().strip() == "in behandeling"

    # The access report, and the document to hand over.
    press(page, "link", "Inzageoverzicht van deze leerling")
    page.get_by_role("heading", name="Inzageoverzicht").wait_for()
    report = page.locator("main").inner_text()
    assert "Ada Appel" in report
    assert "Wie de opname bekeek" in report or "Niemand heeft de opname bekeken." in report
    assert "Autoriteit Persoonsgegevens" in report
    assert fits(page), page.url
    press(page, "link", "Afdrukbaar document om te overhandigen")
    page.get_by_role("heading", name="Wat ClassVault over u bewaart").wait_for()
    assert page.locator("video").count() == 0
    assert fits(page), page.url
    page.go_back()
    page.go_back()

    page.get_by_label("Uitkomst, zoals aan de verzoeker gemeld").fill(
        "Inzageoverzicht op 30 november overhandigd aan de moeder."
    )
    press(page, "button", "Het verzoek afronden")
    page.get_by_text("Het verzoek is afgerond.").wait_for()
    assert page.locator("#request-status").inner_text().strip() == "afgerond"
    assert "overhandigd aan de moeder" in page.locator("#request-outcome").inner_text()
    assert fits(page), page.url

    press(page, "link", "Verzoeken")
    press(page, "link", "Afgerond")
    assert "Ada Appel" in page.locator("main table").inner_text()
    press(page, "link", "Verwerkingsregister")
    page.get_by_role("heading", name="Register van verwerkingsactiviteiten").wait_for()
    assert "6 maanden" in page.locator("main").inner_text()
    assert fits(page), page.url
    assert problems == []
