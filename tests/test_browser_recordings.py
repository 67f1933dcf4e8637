"""Upload and watch in a real Chromium against `classvault serve` with its worker."""

import re

import pytest

from support.browser import log_in, log_out
from support.liveserver import running_server
from support.media import make_video

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with running_server(tmp_path_factory.mktemp("rec") / "data", worker=True) as base:
        yield base


def test_trainer_watches_the_shared_demo_recording_in_the_locked_player(server, page):
    log_in(page, server, "olga")
    page.get_by_role("link", name="Opnames").first.click()
    page.get_by_role("link", name=re.compile("Rekenles")).click()
    video = page.locator("video#video")
    video.wait_for()
    assert "nodownload" in video.get_attribute("controlslist")
    assert page.evaluate("document.getElementById('video').disablePictureInPicture") is True
    page.wait_for_function("() => document.getElementById('video').readyState >= 1", timeout=20000)
    assert page.evaluate("document.getElementById('video').duration") > 3
    page.evaluate("const v = document.getElementById('video'); v.muted = true; v.play()")
    page.wait_for_function(
        "() => document.getElementById('video').currentTime > 0.3", timeout=20000
    )
    assert "Olga Opleider (olga)" in page.locator("#watermark-text").inner_text()
    # Feedback at the current moment, then a click on its time code seeks back to it.
    page.evaluate("document.getElementById('video').pause()")
    page.get_by_label("Uw feedback").fill("Mooie start")
    page.get_by_role("button", name="Feedback toevoegen").click()
    page.get_by_text("Mooie start").wait_for()
    page.evaluate("document.getElementById('video').currentTime = 3.5")
    page.locator("#comments button.seek").first.click()
    assert page.evaluate("document.getElementById('video').currentTime") < 3


def test_fellow_student_gets_404_for_the_player(server, page):
    log_in(page, server, "sanne")
    page.get_by_role("link", name="Opnames").first.click()
    link = page.get_by_role("link", name=re.compile("Rekenles")).get_attribute("href")
    log_out(page)
    log_in(page, server, "tim")
    response = page.goto(server + link)
    assert response.status == 404


def test_student_teacher_uploads_with_the_resumable_uploader(server, page, tmp_path):
    video = tmp_path / "les.mp4"
    video.write_bytes(make_video(seconds=2.0, width=320, height=240))
    dropped = []

    def drop_first_chunk(route):
        # School Wi-Fi: the first chunk never arrives; the page must ask and send it again.
        if route.request.method == "PUT" and not dropped:
            dropped.append(route.request.url)
            route.abort("connectionreset")
        else:
            route.continue_()

    page.route("**/api/v1/uploads/*", drop_first_chunk)
    log_in(page, server, "sanne")
    page.goto(server + "/recordings/new/")
    assert page.get_by_text("Ada Appel").is_visible()
    page.get_by_label("Titel").fill("Taalles")
    page.get_by_label("Opgenomen op").fill("2026-11-20T10:00")
    page.get_by_label("Ada Appel was aanwezig").check()
    page.get_by_label("Cas Cornelis was buiten beeld en geluid gehouden").check()
    page.get_by_label("Videobestand").set_input_files(str(video))
    page.get_by_role("button", name="Uploaden").click()
    page.wait_for_url(re.compile(r".*/recordings/[0-9a-f-]{36}/$"), timeout=30000)
    assert dropped, "a chunk was dropped and the upload still completed"
    for _ in range(60):
        if page.locator("video#video").count():
            break
        page.wait_for_timeout(1000)
        page.reload()
    page.wait_for_function("() => document.getElementById('video').readyState >= 1", timeout=20000)


def test_pupil_without_consent_present_is_refused_with_a_clear_message(server, page, tmp_path):
    video = tmp_path / "les.mp4"
    video.write_bytes(make_video(seconds=1.0))
    log_in(page, server, "sanne")
    page.goto(server + "/recordings/new/")
    page.get_by_label("Titel").fill("Gymles")
    page.get_by_label("Opgenomen op").fill("2026-11-20T10:00")
    page.get_by_label("Eli Evers was aanwezig").check()
    page.get_by_label("Videobestand").set_input_files(str(video))
    page.get_by_role("button", name="Uploaden").click()
    status = page.locator("#upload-status")
    status.filter(has_text="mislukt").wait_for(timeout=20000)
    assert "toestemming" in status.inner_text()
