"""The shell in a real Chromium: every page fits a 360 px phone, and no page logs an error."""

import pytest

from support.browser import log_in
from support.liveserver import running_server

pytestmark = pytest.mark.browser

# role, the pages walked (by path), as reached through the role's own links
WALKS = [
    (None, ["/login/", "/privacy"]),
    ("sanne", ["/", "/guidelines/", "/recordings/", "/recordings/new/"]),
    ("olga", ["/", "/recordings/"]),
    ("schooladmin", ["/", "/consent/pupils/", "/consent/pupils/?group=7c"]),
    ("privacy", ["/", "/recordings/"]),
]
WIDTHS = [(360, 740), (1280, 800)]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with running_server(tmp_path_factory.mktemp("shell") / "data") as base:
        yield base


def watch(page) -> list[str]:
    """Console errors and failed responses of the page, as they happen."""
    problems: list[str] = []
    page.on(
        "console", lambda m: problems.append(f"console: {m.text}") if m.type == "error" else None
    )
    page.on(
        "response", lambda r: problems.append(f"{r.status} {r.url}") if r.status >= 400 else None
    )
    page.on("pageerror", lambda e: problems.append(f"script: {e}"))
    return problems


def overflow(page) -> int:
    """How many pixels the page is wider than the window (0 when it fits)."""
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


@pytest.mark.parametrize("width,height", WIDTHS, ids=lambda v: str(v))
@pytest.mark.parametrize("username,paths", WALKS, ids=[w[0] or "anonymous" for w in WALKS])
def test_pages_fit_the_window_without_errors(server, browser, username, paths, width, height):
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    problems = watch(page)
    try:
        if username:
            log_in(page, server, username)
        for path in paths:
            page.goto(server + path)
            page.wait_for_load_state("networkidle")
            assert overflow(page) <= 0, f"{path} at {width} px"
        assert problems == []
    finally:
        context.close()


def test_upload_presence_checkboxes_are_on_screen_at_360(server, browser):
    context = browser.new_context(viewport={"width": 360, "height": 740})
    page = context.new_page()
    try:
        log_in(page, server, "sanne")
        page.goto(server + "/recordings/new/")
        present = page.get_by_label("Ada Appel was aanwezig")
        box = present.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= 360
        present.check()  # reachable and usable
        attest = page.get_by_label("Cas Cornelis was buiten beeld en geluid gehouden")
        attest_box = attest.bounding_box()
        assert attest_box and attest_box["x"] + attest_box["width"] <= 360
    finally:
        context.close()


def test_the_menu_stays_usable_at_360(server, browser):
    context = browser.new_context(viewport={"width": 360, "height": 740})
    page = context.new_page()
    try:
        log_in(page, server, "sanne")
        menu = page.get_by_role("navigation", name="Hoofdmenu")
        for name in ("Start", "Opnames", "Richtlijnen voor opnames", "Privacy"):
            link = menu.get_by_role("link", name=name, exact=True)
            box = link.bounding_box()
            assert box and box["x"] + box["width"] <= 360, name
        # Keyboard focus is visible on the menu.
        menu.get_by_role("link", name="Opnames", exact=True).focus()
        outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
        assert outline != "none"
    finally:
        context.close()


def test_error_page_is_dutch_in_the_layout_and_the_favicon_answers(server, page):
    response = page.goto(server + "/bestaat-niet/")
    assert response.status == 404
    assert page.get_by_role("heading", name="Deze pagina bestaat niet").is_visible()
    page.get_by_role("link", name="Naar de startpagina").click()
    page.wait_for_url(server + "/login/?next=/")
    icon = page.request.get(server + "/favicon.ico")
    assert icon.status == 200 and icon.headers["content-type"].startswith("image/svg+xml")
