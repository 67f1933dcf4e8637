"""Every page each demo role reaches by its own links, in a real Chromium against
`classvault serve` with the demo data: no 4xx or 5xx answer, no console error, nothing wider
than a 360 px phone. The walk follows same-site links (GET only) from the home page and from
each page in the main menu, one level deep; logging out and the language switch are forms
and are not followed."""

from urllib.parse import urldefrag, urlsplit

import pytest

from support.browser import fits, log_in
from support.liveserver import running_server

pytestmark = pytest.mark.browser

ROLES = ["sanne", "tim", "olga", "ingrid", "mentor", "schooladmin", "privacy", "beheer"]
MAX_PAGES = 60  # per role: the walk stays bounded whatever the demo data grows into
LINKS = "() => [...document.querySelectorAll('%s a[href]')].map(a => a.href)"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with running_server(tmp_path_factory.mktemp("walk") / "data") as base:
        yield base


def _same_site(server: str, url: str) -> str | None:
    url = urldefrag(url).url
    if not url.startswith(server + "/"):
        return None  # another site, mailto:, javascript:
    path = urlsplit(url).path
    if path.startswith(("/logout", "/i18n/", "/static/")):
        return None
    return url


@pytest.mark.parametrize("username", ROLES)
def test_every_page_a_role_reaches_by_its_own_links(server, page, username):
    problems: list[str] = []
    page.on(
        "console",
        lambda m: (
            problems.append(f"console {m.type}: {m.text} on {page.url}")
            if m.type == "error"
            else None
        ),
    )
    page.on("pageerror", lambda e: problems.append(f"script error: {e} on {page.url}"))
    page.on(
        "response",
        lambda r: (
            problems.append(f"{r.status} {r.url} (from {page.url})") if r.status >= 400 else None
        ),
    )
    page.set_viewport_size({"width": 360, "height": 740})
    log_in(page, server, username)

    menu = [
        u for u in map(lambda u: _same_site(server, u), page.evaluate(LINKS % "header nav")) if u
    ]
    starts = list(dict.fromkeys([server + "/", *menu]))
    visited: set[str] = set()
    queue: list[str] = []
    too_wide: list[str] = []

    def visit(url: str) -> list[str]:
        visited.add(url)
        response = page.goto(url)
        assert response is not None, url
        if response.status >= 400:
            return []  # reported by the response listener
        if not fits(page):
            too_wide.append(page.url)
        return [u for u in map(lambda u: _same_site(server, u), page.evaluate(LINKS % "")) if u]

    for start in starts:
        if start in visited or len(visited) >= MAX_PAGES:
            continue
        queue += visit(start)
    for url in dict.fromkeys(queue):
        if url not in visited and len(visited) < MAX_PAGES:
            visit(url)

    assert len(visited) > 2, visited  # home, a menu page and something on them
    assert problems == [] and too_wide == [], (problems, too_wide)
