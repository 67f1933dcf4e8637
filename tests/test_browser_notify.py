"""Notifications in a real Chromium: Sanne shares a lesson with her trainer Olga; Olga sees
"Meldingen (1)" in the header, opens the list, follows the link to the player and marks
everything read. Desktop and 360 px wide."""

import json
import re
from datetime import datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from support.liveserver import DEMO_PASSWORD, call, multipart, running_server, token_for
from support.media import make_video

pytestmark = pytest.mark.browser

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
WIDTHS = {"desktop": (1280, 900), "phone": (360, 740)}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with running_server(tmp_path_factory.mktemp("notify") / "data") as base:
        yield base


@pytest.fixture(params=list(WIDTHS))
def watched(request, page, server):
    """The page at one width, with every console error and failed response collected."""
    page.set_viewport_size(dict(zip(("width", "height"), WIDTHS[request.param], strict=True)))
    problems = []

    def unexpected(url):
        return "favicon" not in url  # /favicon.ico belongs to the shell's work

    page.on(
        "console",
        lambda m: (
            problems.append(f"console: {m.text} {m.location}")
            if m.type == "error" and unexpected(m.location.get("url", ""))
            else None
        ),
    )
    page.on(
        "response",
        lambda r: (
            problems.append(f"{r.status} {r.url}")
            if r.status >= 400 and unexpected(r.url)
            else None
        ),
    )
    yield SimpleNamespace(page=page, problems=problems)
    assert problems == []


def no_overflow(page):
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), page.url


def log_in(page, server, username):
    page.goto(server + "/login/")
    page.get_by_label("Gebruikersnaam").fill(username)
    page.get_by_label("Wachtwoord").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Inloggen").click()
    page.wait_for_url(server + "/")
    no_overflow(page)


def log_out(page):
    page.get_by_role("button", name="Uitloggen").click()


def upload(server, title):
    """Sanne uploads a lesson through the API (the upload page has its own browser test)."""
    token = token_for(server, "sanne")
    _s, _h, body = call(server, "GET", "/api/v1/pupils?school=LINDE", token=token)
    ids = [p["id"] for p in json.loads(body) if p["full_name"] == "Ada Appel"]
    data, content_type = multipart(
        {
            "title": title,
            "recorded_at": datetime.now(AMSTERDAM).isoformat(),
            "pupils": json.dumps(ids),
        },
        {"file": ("les.mp4", make_video(seconds=1.0), "video/mp4")},
    )
    status, _h, body = call(
        server,
        "POST",
        "/api/v1/recordings",
        token=token,
        data=data,
        headers={"Content-Type": content_type},
    )
    assert status == 201, body
    return "/recordings/" + json.loads(body)["id"] + "/"


def header_link(page):
    return page.get_by_role("navigation").get_by_role("link", name=re.compile(r"^Meldingen \("))


def test_olga_hears_of_a_share_follows_it_and_marks_it_read(server, watched):
    page = watched.page
    title = f"Natuurles {page.viewport_size['width']}"
    lesson = upload(server, title)
    # Olga starts with nothing unread (the demo may have told her things already).
    log_in(page, server, "olga")
    header_link(page).click()
    page.wait_for_url(server + "/notifications/")
    mark = page.get_by_role("button", name="Alles als gelezen markeren")
    if mark.count():
        mark.click()
        page.get_by_text("Alle meldingen zijn als gelezen gemarkeerd.").wait_for()
    assert header_link(page).inner_text() == "Meldingen (0)"
    log_out(page)

    # Sanne shares the new lesson with Olga on its page.
    log_in(page, server, "sanne")
    page.goto(server + lesson)
    page.get_by_label("Delen met", exact=True).select_option("olga")
    page.get_by_role("button", name="Delen", exact=True).click()
    page.get_by_text("De opname is nu gedeeld.").wait_for()
    assert header_link(page).inner_text() == "Meldingen (0)"  # nothing for herself
    log_out(page)

    log_in(page, server, "olga")
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
