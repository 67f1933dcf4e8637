"""Notifications in a real Chromium: Sanne shares a lesson with her trainer Olga; Olga sees
"Meldingen (1)" in the header, opens the list, follows the link to the player and marks
everything read. Desktop and 360 px wide."""

import re
from types import SimpleNamespace

import pytest

from support.browser import collect_problems, fits, log_in, upload_lesson
from support.liveserver import running_server

pytestmark = pytest.mark.browser

WIDTHS = {"desktop": (1280, 900), "phone": (360, 740)}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with running_server(tmp_path_factory.mktemp("notify") / "data") as base:
        yield base


@pytest.fixture(params=list(WIDTHS))
def watched(request, page, server):
    """The page at one width, with every console error and failed response collected."""
    page.set_viewport_size(dict(zip(("width", "height"), WIDTHS[request.param], strict=True)))
    problems = collect_problems(page)
    yield SimpleNamespace(page=page, problems=problems)
    assert problems == []


def no_overflow(page):
    assert fits(page), page.url


def header_link(page):
    return page.get_by_role("navigation").get_by_role("link", name=re.compile(r"^Meldingen \("))


def test_olga_hears_of_a_share_follows_it_and_marks_it_read(server, watched, browser):
    page = watched.page
    title = f"Natuurles {page.viewport_size['width']}"
    lesson = upload_lesson(server, title, ["Ada Appel"])
    # Olga starts with nothing unread (the demo may have told her things already). She
    # stays logged in: each login of hers takes a new authenticator code, and codes come
    # once every 30 s.
    log_in(page, server, "olga", check_fit=True)
    header_link(page).click()
    page.wait_for_url(server + "/notifications/")
    mark = page.get_by_role("button", name="Alles als gelezen markeren")
    if mark.count():
        mark.click()
        page.get_by_text("Alle meldingen zijn als gelezen gemarkeerd.").wait_for()
    assert header_link(page).inner_text() == "Meldingen (0)"

    # Sanne, in her own browser, shares the new lesson with Olga on its page.
    context = browser.new_context(viewport=page.viewport_size)
    try:
        sanne = context.new_page()
        problems = collect_problems(sanne)
        log_in(sanne, server, "sanne", check_fit=True)
        sanne.goto(server + lesson)
        sanne.get_by_label("Delen met", exact=True).select_option("olga")
        sanne.get_by_role("button", name="Delen", exact=True).click()
        sanne.get_by_text("De opname is nu gedeeld.").wait_for()
        assert header_link(sanne).inner_text() == "Meldingen (0)"  # nothing for herself
        assert problems == []
    finally:
        context.close()

    page.goto(server + "/")
    assert fits(page), page.url
    assert header_link(page).inner_text() == "Meldingen (1)"
    header_link(page).focus()  # keyboard: the header link opens the list
    page.keyboard.press("Enter")
    page.wait_for_url(server + "/notifications/")
    no_overflow(page)
    item = page.locator(".notify-item").filter(has_text=title)
    assert "Nieuw" in item.inner_text()
    link = item.get_by_role("link", name=f"Sanne de Student deelde een opname met u: {title}")
    link.click()
    page.wait_for_url(server + lesson)
    no_overflow(page)
    page.get_by_role("heading", name=title).wait_for()
    page.go_back()
    page.wait_for_url(server + "/notifications/")
    page.get_by_role("button", name="Alles als gelezen markeren").click()
    page.get_by_text("Alle meldingen zijn als gelezen gemarkeerd.").wait_for()
    assert header_link(page).inner_text() == "Meldingen (0)"
    assert "Nieuw" not in page.locator(".notify-item").filter(has_text=title).inner_text()
    no_overflow(page)
