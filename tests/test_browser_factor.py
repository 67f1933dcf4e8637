"""The second factor in a real Chromium against a real `classvault serve` (demo data), at
360 px: a school supervisor enrols voluntarily from the header link and gets new recovery
codes, by keyboard; the institute admin resets a trainer's lost factor."""

import time
from base64 import b32decode

import pytest

from support.browser import collect_problems, fits, log_in, log_out
from support.liveserver import DEMO_PASSWORD, call, running_server
from support.personas import totp_code

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with running_server(tmp_path_factory.mktemp("factor") / "data") as base:
        yield base


def test_a_supervisor_enrols_from_the_menu_and_renews_her_codes_by_keyboard(server, page):
    problems = collect_problems(page)
    page.set_viewport_size({"width": 360, "height": 740})
    log_in(page, server, "mentor", check_fit=True)
    page.get_by_role("link", name="Tweede factor").focus()
    page.keyboard.press("Enter")
    page.wait_for_url(server + "/account/second-factor/")
    assert fits(page)
    secret = page.locator("#totp-secret").inner_text().replace(" ", "")
    key = b32decode(secret + "=" * (-len(secret) % 8))
    page.get_by_label("Code", exact=True).focus()
    page.keyboard.type(totp_code(key))
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="Uw tweede factor is ingesteld").wait_for()
    assert page.locator("#recovery-codes li").count() == 10
    assert fits(page)

    page.goto(server + "/account/second-factor/")
    page.get_by_role("link", name="Nieuwe herstelcodes").focus()
    page.keyboard.press("Enter")
    page.wait_for_url(server + "/account/recovery-codes/")
    assert fits(page)
    page.get_by_label("Code", exact=True).focus()
    # The enrolment used this step's code; the next step's is accepted too (no waiting).
    page.keyboard.type(totp_code(key, at=time.time() + 30))
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="Uw nieuwe herstelcodes").wait_for()
    assert page.locator("#recovery-codes li").count() == 10
    assert fits(page)
    log_out(page)
    assert problems == []


def test_the_admin_resets_a_trainers_lost_factor(server, page):
    problems = collect_problems(page)
    page.set_viewport_size({"width": 360, "height": 740})
    log_in(page, server, "beheer")
    page.goto(server + "/institute/users/olga/")
    assert fits(page)
    page.get_by_role("button", name="Tweede factor herstellen").click()
    assert "De tweede factor is hersteld" in page.get_by_role("status").inner_text()
    assert page.get_by_text("Geen tweede factor ingesteld.").is_visible()
    assert fits(page)
    status, _, body = call(
        server,
        "POST",
        "/api/v1/auth/token",
        body={"username": "olga", "password": DEMO_PASSWORD, "otp": "123456"},
    )
    assert status == 403, body  # she must set up a new authenticator first
    assert problems == []
