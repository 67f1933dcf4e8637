"""The trainer's work in a real Chromium against `classvault serve` with the demo data:
her inbox, watching, feedback without reloading, assessing; the trainer it is not shared
with; the privacy officer's purpose kept out of every URL."""

import json
import re

import pytest

from support.browser import fits, log_in
from support.liveserver import call, running_server, token_for

pytestmark = pytest.mark.browser

VIDEO = "document.getElementById('video')"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with running_server(tmp_path_factory.mktemp("trainer") / "data") as base:
        yield base


@pytest.fixture(scope="module")
def demo_recording(server):
    """The id of Sanne's demo lesson, shared with Olga."""
    status, _, body = call(server, "GET", "/api/v1/recordings", token=token_for(server, "sanne"))
    assert status == 200
    return json.loads(body)[0]["id"]


class Watch:
    """Console errors, 4xx/5xx answers and every request URL the page made."""

    def __init__(self, page):
        self.errors, self.failed, self.urls, self.posts = [], [], [], []
        page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.on("response", lambda r: r.status >= 400 and self.failed.append((r.status, r.url)))
        page.on("request", self._request)

    def _request(self, request):
        self.urls.append(request.url)
        if request.method == "POST" and "/comments" in request.url:
            self.posts.append(request.url)

    def forget(self, status: int):
        """A refusal the test asked for on purpose: its status is no fault of the page."""
        self.failed = [f for f in self.failed if f[0] != status]
        self.errors = [e for e in self.errors if f"status of {status}" not in e]

    def assert_clean(self, server):
        errors = self.errors
        if call(server, "GET", "/favicon.ico")[0] == 404:
            # The browser's own favicon request (which Playwright does not report) is the
            # shell's to fix (issue 11, defect 2), not a fault of these pages.
            errors = [e for e in errors if "status of 404" not in e]
        assert errors == [] and self.failed == [], (errors, self.failed)


def test_trainer_watches_comments_edits_deletes_and_assesses(server, page):
    watch = Watch(page)
    log_in(page, server, "olga")
    inbox = page.get_by_role("region", name="Met u gedeeld")
    assert "Nog niet beoordeeld" in inbox.inner_text()
    inbox.get_by_role("link", name=re.compile("Rekenles")).click()
    page.locator("video#video").wait_for()
    player_url = page.url
    page.wait_for_function(f"() => {VIDEO}.readyState >= 1", timeout=20000)
    page.evaluate(f"window.stillHere = true; {VIDEO}.muted = true; {VIDEO}.play()")
    page.wait_for_function(f"() => {VIDEO}.currentTime > 0.5", timeout=20000)

    # Feedback at the current moment: no reload, the video plays on, focus stays in the field.
    before = page.evaluate(f"{VIDEO}.currentTime")
    page.get_by_label("Uw feedback").fill("Goede vraag aan de klas")
    page.get_by_role("button", name="Feedback toevoegen").click()
    item = page.locator("#comments li", has_text="Goede vraag aan de klas")
    item.wait_for()
    assert page.evaluate("window.stillHere") is True and page.url == player_url
    assert page.evaluate(f"{VIDEO}.currentTime") >= before
    assert page.evaluate(f"!{VIDEO}.paused")
    assert page.evaluate("document.activeElement.id") == "id_comment"
    assert re.fullmatch(r"\d\d:\d\d", item.locator(".tc").inner_text())
    page.locator("#comment-status").filter(has_text="Uw feedback is toegevoegd op").wait_for()
    assert "Olga Opleider" in item.inner_text() and "(opleider)" in item.inner_text()
    assert "Reflectie" not in item.inner_text()  # only the owner's own feedback is reflection
    assert (
        page.get_by_role(
            "button",
            name=re.compile(
                r"Ga naar \d\d:\d\d: feedback van "
                "Olga Opleider"
            ),
        ).count()
        == 1
    )
    page.evaluate(f"{VIDEO}.pause()")

    # A double click posts once.
    page.get_by_label("Uw feedback").fill("Dubbel geklikt")
    page.locator("#comment-submit").dblclick()
    page.locator("#comments li", has_text="Dubbel geklikt").wait_for()
    page.wait_for_timeout(500)
    assert page.locator("#comments li", has_text="Dubbel geklikt").count() == 1
    assert len(watch.posts) == 2

    # A moment typed as mm:ss; its time code seeks the video there.
    page.get_by_label("Moment in de video (mm:ss)").fill("0:02")
    page.get_by_label("Uw feedback").fill("Op twee seconden")
    page.get_by_role("button", name="Feedback toevoegen").click()
    at_two = page.locator("#comments li", has_text="Op twee seconden")
    at_two.wait_for()
    assert at_two.locator(".tc").inner_text() == "00:02"
    page.evaluate(f"{VIDEO}.currentTime = 0.1")
    page.get_by_role("button", name="Ga naar 00:02: feedback van Olga Opleider").click()
    assert abs(page.evaluate(f"{VIDEO}.currentTime") - 2) < 0.3

    # The author edits and deletes her own feedback, still without a reload.
    item.get_by_role("button", name=re.compile("^Bewerken")).click()
    page.get_by_label("Tekst", exact=True).fill("Goede open vraag aan de klas")
    page.get_by_role("button", name="Opslaan", exact=True).click()
    page.locator("#comments li", has_text="Goede open vraag aan de klas").wait_for()
    page.locator("#comment-status").filter(has_text="gewijzigd").wait_for()
    page.once("dialog", lambda dialog: dialog.accept())
    doomed = page.locator("#comments li", has_text="Dubbel geklikt")
    doomed.get_by_role("button", name=re.compile("^Verwijderen")).click()
    doomed.wait_for(state="detached")
    page.locator("#comment-status").filter(has_text="verwijderd").wait_for()
    assert page.evaluate("window.stillHere") is True
    page.reload()  # what the server kept
    assert "Goede open vraag aan de klas" in page.locator("#comments").inner_text()
    assert "Dubbel geklikt" not in page.locator("#comments").inner_text()

    # The assessment: a verdict from the scale, today's date by default.
    page.get_by_label("Oordeel").select_option("goed")
    page.get_by_label("Toelichting (niet verplicht)").fill("Heldere uitleg van breuken.")
    page.get_by_role("button", name="Beoordeling opslaan").click()
    page.get_by_text(re.compile(r"Beoordeeld: goed op \d+ \w+ \d{4}")).first.wait_for()
    page.get_by_role("link", name="Start", exact=True).click()
    assert re.search(
        r"Beoordeeld: goed op \d+ \w+ \d{4}",
        page.get_by_role("region", name="Met u gedeeld").inner_text(),
    )
    page.get_by_role("link", name="Opnames").first.click()
    assert "Beoordeeld: goed op" in page.locator("table").inner_text()

    # Phone width: nothing sticks out, on any of her pages.
    page.set_viewport_size({"width": 360, "height": 740})
    for path in ("/", "/recordings/", player_url.replace(server, "")):
        page.goto(server + path)
        assert fits(page), path
    watch.assert_clean(server)


def test_trainer_it_is_not_shared_with_gets_404(server, page, demo_recording):
    log_in(page, server, "ingrid")
    assert "Rekenles" not in page.content()
    response = page.goto(f"{server}/recordings/{demo_recording}/")
    assert response.status == 404
    assert "Rekenles" not in page.content()


def test_privacy_officer_states_a_purpose_and_no_url_carries_it(server, page, demo_recording):
    watch = Watch(page)
    log_in(page, server, "privacy")
    response = page.goto(f"{server}/recordings/{demo_recording}/")
    assert response.status == 200
    page.get_by_role("button", name="Verder").click()  # empty: refused, and said why
    page.get_by_text("Geef het doel van deze weergave op").wait_for()
    watch.forget(422)
    page.get_by_label("Doel (bijvoorbeeld het nummer van het verzoek)").fill("verzoek-2026-14")
    page.get_by_role("button", name="Verder").click()
    page.locator("video#video").wait_for()
    page.wait_for_function(f"() => {VIDEO}.readyState >= 1", timeout=20000)
    page.evaluate(f"{VIDEO}.muted = true; {VIDEO}.play()")
    page.wait_for_function(f"() => {VIDEO}.currentTime > 0.3", timeout=20000)
    notice = page.locator(".notice").inner_text()
    assert "verzoek-2026-14" in notice and "begeleiding, opleiding" not in notice
    assert page.url == f"{server}/recordings/{demo_recording}/"
    assert any("/stream" in url for url in watch.urls)
    assert [u for u in watch.urls if "purpose=" in u or "verzoek" in u] == []
    assert page.locator("#comment-form").count() == 0  # she watches; she does not comment
    page.set_viewport_size({"width": 360, "height": 740})
    assert fits(page)
    watch.assert_clean(server)


def test_the_owners_new_feedback_is_labelled_reflection_without_a_reload(server, page):
    watch = Watch(page)
    log_in(page, server, "sanne")
    page.get_by_role("link", name="Opnames").first.click()
    page.get_by_role("link", name=re.compile("Rekenles")).first.click()
    page.locator("#comment-form").wait_for()
    page.evaluate("window.stillHere = true")
    page.get_by_label("Moment in de video (mm:ss)").fill("0:01")
    page.get_by_label("Uw feedback").fill("Hier had ik langer moeten wachten")
    page.get_by_role("button", name="Feedback toevoegen").click()
    item = page.locator("#comments li", has_text="Hier had ik langer moeten wachten")
    item.wait_for()
    assert page.evaluate("window.stillHere") is True
    assert item.locator(".tag", has_text="Reflectie").is_visible()
    page.reload()  # the server's list says the same
    item = page.locator("#comments li", has_text="Hier had ik langer moeten wachten")
    assert item.locator(".tag", has_text="Reflectie").is_visible()
    others = page.locator("#comments li", has_text="Olga Opleider")
    assert others.count() and "Reflectie" not in others.first.inner_text()
    watch.assert_clean(server)
