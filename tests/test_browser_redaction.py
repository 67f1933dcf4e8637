"""Ordering a redaction in a real Chromium against `classvault serve` with its worker, and
following it until the redacted recording replaced the original."""

import re

import pytest

from support.browser import collect_problems, fits, log_in
from support.liveserver import running_server

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with running_server(tmp_path_factory.mktemp("redact") / "data", worker=True) as base:
        yield base


def test_the_owner_orders_a_redaction_and_sees_it_progress_to_done(server, page):
    problems = collect_problems(page)
    log_in(page, server, "sanne")
    page.get_by_role("link", name="Opnames").first.click()
    page.get_by_role("link", name=re.compile("Rekenles")).click()
    page.get_by_role("link", name="Gezichten vervagen of stemmen stilmaken").click()
    # The order form: a player to mark a person on, the choice of faces, ranges, a reason.
    page.locator("video#redact-video").wait_for()
    page.get_by_label("Vervaag elk gezicht in de hele opname").check()
    page.get_by_label(re.compile("Maak deze momenten stil")).fill("1-2")
    page.get_by_label(re.compile("Waarom")).fill("Ouder vroeg erom")
    page.set_viewport_size({"width": 360, "height": 740})
    assert fits(page)
    page.get_by_role("button", name="Anonimiseren", exact=True).click()
    page.wait_for_url(re.compile(r"/redactions/[0-9a-f-]+/$"))
    assert page.get_by_text("Het anonimiseren is opgedragen").is_visible()
    status = page.locator("#job-status")
    assert status.get_attribute("data-status") in {"queued", "analysing", "rendering", "done"}
    if status.get_attribute("data-status") != "done":
        # Progress while it runs, and a way to stop it.
        assert page.locator("progress#job-progress").is_visible()
        assert page.get_by_role("button", name="Annuleer het anonimiseren").is_visible()
    # The page refreshes itself until the worker is done.
    page.locator("#job-done").wait_for(timeout=120_000)
    assert "vervangt het origineel" in page.locator("#job-done").inner_text()
    assert problems == []
