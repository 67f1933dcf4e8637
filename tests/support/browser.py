"""What the browser tests (tests/test_browser*.py) share: logging in and out through the pages,
collecting a page's console errors and failed responses, the sideways-overflow check, and a
lesson uploaded through the API (the upload page has its own browser test)."""

import json
from datetime import datetime
from zoneinfo import ZoneInfo

from support.liveserver import DEMO_PASSWORD, call, demo_code, multipart, token_for
from support.media import make_video

AMSTERDAM = ZoneInfo("Europe/Amsterdam")


def fits(page) -> bool:
    """Whether nothing on the page sticks out sideways at the window's current width."""
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def log_in(page, server: str, username: str, *, check_fit: bool = False) -> None:
    """Log a demo user in through the login page and wait for the home page; with
    ``check_fit``, assert that the home page fits the window."""
    page.goto(server + "/login/")
    page.get_by_label("Gebruikersnaam").fill(username)
    page.get_by_label("Wachtwoord").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Inloggen").click()
    code = demo_code(server, username)
    if code is not None:  # privacy officers, institute admins and trainers
        page.wait_for_url(server + "/login/code/**")
        page.get_by_label("Code").fill(code)
        page.get_by_role("button", name="Bevestigen").click()
    page.wait_for_url(server + "/")
    if check_fit:
        assert fits(page), page.url


def log_out(page) -> None:
    page.get_by_role("button", name="Uitloggen").click()


def collect_problems(page, expected: list[str] | None = None) -> list[str]:
    """The list, filled as they happen, of the page's console errors and 4xx/5xx responses.

    /favicon.ico belongs to the shell's work (issue 11, defect 2) and is left out, as is any
    URL containing one of ``expected``: the refusals a test walks into on purpose. The test
    may append to ``expected`` later; the list is read when each message arrives."""
    expected = [] if expected is None else expected
    problems: list[str] = []

    def unexpected(url):
        return "favicon" not in url and not any(e in url for e in expected)

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
    return problems


def upload_lesson(server: str, title: str, pupil_names, *, username: str = "sanne") -> str:
    """A one-second lesson of LINDE with ``pupil_names`` present, uploaded through the API by
    ``username``, recorded now; returns the path of its page."""
    token = token_for(server, username)
    _s, _h, body = call(server, "GET", "/api/v1/pupils?school=LINDE", token=token)
    ids = [p["id"] for p in json.loads(body) if p["full_name"] in pupil_names]
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
