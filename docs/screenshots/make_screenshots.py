"""Screenshots of each role's main page in Dutch, at desktop and phone width.

Run from the repository root:  .venv/bin/python docs/screenshots/make_screenshots.py

It starts a real `classvault serve` on the demo data in a temporary data home (as the browser
tests do, tests/support/liveserver.py), logs in as each demo role in Chromium
(/usr/bin/chromium, driven by Playwright) and saves <role>-desktop.png (1280x800) and
<role>-phone.png (390x844) beside this script. Nothing outside this folder is written.
"""

import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1] / "tests"))

from playwright.sync_api import sync_playwright  # noqa: E402

from support.liveserver import DEMO_PASSWORD, running_server  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update"]
# role, demo login (see src/classvault/demo.py)
ROLES = [
    ("student_teacher", "sanne"),
    ("trainer", "olga"),
    ("school_supervisor", "mentor"),
    ("school_admin", "schooladmin"),
    ("privacy_officer", "privacy"),
    ("institute_admin", "beheer"),
]
SIZES = [("desktop", 1280, 800), ("phone", 390, 844)]


def shoot(browser, base: str, role: str, username: str) -> list[Path]:
    saved = []
    for name, width, height in SIZES:
        context = browser.new_context(viewport={"width": width, "height": height},
                                      locale="nl-NL", timezone_id="Europe/Amsterdam")
        page = context.new_page()
        page.goto(base + "/login/")
        page.get_by_label("Gebruikersnaam").fill(username)
        page.get_by_label("Wachtwoord").fill(DEMO_PASSWORD)
        page.get_by_role("button", name="Inloggen").click()
        page.wait_for_url(base + "/")
        page.wait_for_load_state("networkidle")
        target = HERE / f"{role}-{name}.png"
        page.screenshot(path=str(target), full_page=True)
        saved.append(target)
        context.close()
    return saved


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="classvault-screenshots-") as tmp, \
            running_server(Path(tmp) / "data", worker=True) as base, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for role, username in ROLES:
            for path in shoot(browser, base, role, username):
                print(path.relative_to(HERE.parents[1]))
        browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
