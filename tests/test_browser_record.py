"""Recording a lesson in a real Chromium with its fake camera and microphone, against
`classvault serve` with its worker: chunks go into the vault while recording, survive a
dropped connection, and the recording becomes a playable MP4; no plaintext on disk."""

import re
from pathlib import Path

import pytest

from support.browser import fits, log_in
from support.liveserver import running_server
from support.media import make_video

pytestmark = pytest.mark.browser

FAKE_MEDIA = ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"]
# Small chunks, so a few seconds of fake camera already send several.
CHUNK = 64 * 1024
UPLOAD_CHUNK = 16 * 1024


@pytest.fixture(scope="module")
def home(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("record") / "data"


@pytest.fixture(scope="module")
def server(home):
    env = {
        "CLASSVAULT_RECORD_CHUNK_BYTES": str(CHUNK),
        "CLASSVAULT_UPLOAD_CHUNK_BYTES": str(UPLOAD_CHUNK),
    }
    with running_server(home, worker=True, env_extra=env) as base:
        yield base


@pytest.fixture(scope="module")
def camera_browser():
    from playwright.sync_api import sync_playwright  # only the browser tests need it

    from conftest import CHROMIUM, CHROMIUM_ARGS

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS + FAKE_MEDIA)
        yield browser
        browser.close()


@pytest.fixture
def context(camera_browser):
    context = camera_browser.new_context(permissions=["camera", "microphone"])
    yield context
    context.close()


def start_recording(page, server, title):
    log_in(page, server, "sanne")
    page.goto(server + "/recordings/record/")
    page.get_by_label("Titel").fill(title)
    page.get_by_label("Ada Appel was aanwezig").check()
    page.get_by_role("button", name="Opname starten").click()
    page.locator("#record-panel").wait_for(state="visible", timeout=20000)


def seconds_shown(page) -> int:
    minutes, seconds = page.locator("#record-elapsed").inner_text().split(":")[-2:]
    return int(minutes) * 60 + int(seconds)


def test_a_lesson_recorded_through_a_dropped_connection_becomes_a_playable_recording(
    server, home, context
):
    page = context.new_page()
    sent: list[bytes] = []

    def keep_body(route):
        # The plaintext as the browser sent it, to look for on disk afterwards.
        if route.request.method == "PUT" and route.request.post_data_buffer:
            sent.append(route.request.post_data_buffer)
        route.continue_()

    page.route("**/api/v1/uploads/*", keep_body)
    start_recording(page, server, "Opgenomen rekenles")
    assert page.locator(".record-running #record-indicator").is_visible()
    page.wait_for_function(
        "() => document.getElementById('record-sent').textContent !== '0.0 MB'", timeout=30000
    )
    # School Wi-Fi drops mid-lesson: the recording goes on, its chunks wait in memory.
    context.set_offline(True)
    page.get_by_text("offline", exact=False).first.wait_for(timeout=20000)
    page.wait_for_function(
        "() => parseFloat(document.getElementById('record-waiting').textContent) >= 0.1",
        timeout=30000,
    )
    assert "minuten" in page.locator("#record-room").inner_text()
    context.set_offline(False)
    page.wait_for_function(
        "() => document.getElementById('record-connection').textContent === 'online'",
        timeout=30000,
    )
    # Several seconds of lesson, some of them recorded while offline.
    page.wait_for_function(
        "() => document.getElementById('record-elapsed').textContent.split(':').pop() >= '06'",
        timeout=30000,
    )
    assert seconds_shown(page) >= 6
    page.get_by_role("button", name="Opname stoppen").click()
    page.wait_for_url(re.compile(r".*/recordings/[0-9a-f-]{36}/$"), timeout=60000)
    recording_id = page.url.rstrip("/").rsplit("/", 1)[1]
    for _ in range(120):
        if page.locator("video#video").count():
            break
        page.wait_for_timeout(1000)
        page.reload()
    page.wait_for_function("() => document.getElementById('video').readyState >= 1", timeout=30000)
    assert page.evaluate("document.getElementById('video').duration") >= 5
    page.evaluate("const v = document.getElementById('video'); v.muted = true; v.play()")
    page.wait_for_function(
        "() => document.getElementById('video').currentTime > 0.3", timeout=20000
    )
    # Nothing of what the browser sent lies on disk as plaintext, anywhere in the data home.
    assert len(sent) >= 3, "several chunks were sent while recording"
    # Distinctive pieces only: 48 bytes of padding or zeros would also be found in any
    # file of the data home (SQLite's shared-memory index is mostly zeros).
    samples = [
        piece
        for body in sent
        for i in range(64, len(body) - 48, 4096)
        if len(set(piece := body[i : i + 48])) >= 16
    ]
    assert samples
    for path in home.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert not any(sample in data for sample in samples), path
    assert recording_id


def test_a_recording_whose_tab_was_closed_can_be_kept_from_what_arrived(server, context):
    page = context.new_page()
    start_recording(page, server, "Afgebroken les")
    page.wait_for_function(
        "() => parseFloat(document.getElementById('record-sent').textContent) >= 0.1",
        timeout=30000,
    )
    page.close(run_before_unload=False)
    page = context.new_page()
    page.goto(server + "/recordings/record/")
    unfinished = page.locator("#record-unfinished")
    unfinished.wait_for(state="visible", timeout=20000)
    assert "Afgebroken les" in unfinished.inner_text()
    unfinished.get_by_role("button", name="Bewaren als opname").first.click()
    page.wait_for_url(re.compile(r".*/recordings/[0-9a-f-]{36}/$"), timeout=30000)


def test_a_pupil_without_consent_is_refused_before_recording(server, context):
    page = context.new_page()
    log_in(page, server, "sanne")
    page.goto(server + "/recordings/record/")
    page.get_by_label("Titel").fill("Gymles")
    page.get_by_label("Eli Evers was aanwezig").check()
    puts = []
    page.on("request", lambda r: puts.append(r.url) if r.method == "PUT" else None)
    page.get_by_role("button", name="Opname starten").click()
    problem = page.locator("#record-problem")
    problem.wait_for(state="visible", timeout=20000)
    assert "toestemming" in problem.inner_text()
    assert page.locator("#record-panel").is_hidden()
    assert puts == []


@pytest.mark.parametrize("width", [360, 768])
def test_the_record_and_upload_pages_fit_a_phone_and_a_tablet(server, context, width):
    page = context.new_page()
    page.set_viewport_size({"width": width, "height": 800})
    log_in(page, server, "sanne")
    for path in ("/recordings/record/", "/recordings/new/"):
        page.goto(server + path)
        assert fits(page), path
    assert page.locator("#id_camera").get_attribute("capture") == "environment"


def test_an_upload_left_midway_warns_and_continues_with_the_same_file(server, context, tmp_path):
    video = tmp_path / "les.mp4"
    video.write_bytes(make_video(seconds=3.0, width=320, height=240))
    assert video.stat().st_size > 3 * UPLOAD_CHUNK
    page = context.new_page()
    ranges: list[str] = []

    def first_chunk_only(route):
        # The first chunk arrives; then the connection is gone for good.
        if route.request.method == "PUT":
            if ranges:
                route.abort("connectionreset")
                return
            ranges.append(route.request.headers["content-range"])
        route.continue_()

    page.route("**/api/v1/uploads/*", first_chunk_only)
    log_in(page, server, "sanne")
    page.goto(server + "/recordings/new/")
    page.get_by_label("Titel").fill("Taalles vervolg")
    page.get_by_label("Opgenomen op").fill("2026-11-20T10:00")
    page.get_by_label("Ada Appel was aanwezig").check()
    page.get_by_label("Videobestand").set_input_files(str(video))
    page.get_by_role("button", name="Uploaden").click()
    page.locator("#upload-status").filter(has_text="opnieuw").wait_for(timeout=30000)
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.type), d.accept()))
    page.close(run_before_unload=True)
    if not page.is_closed():
        page.wait_for_event("close", timeout=10000)
    assert dialogs == ["beforeunload"]
    # Back on the page: it offers to continue; the same file goes on where it stopped.
    page = context.new_page()
    sent_again: list[str] = []
    page.on(
        "request",
        lambda r: sent_again.append(r.headers["content-range"]) if r.method == "PUT" else None,
    )
    page.goto(server + "/recordings/new/")
    resume = page.locator("#upload-resume")
    resume.wait_for(state="visible")
    assert "les.mp4" in resume.inner_text()
    page.get_by_label("Titel").fill("Taalles vervolg")
    page.get_by_label("Opgenomen op").fill("2026-11-20T10:00")
    page.get_by_label("Ada Appel was aanwezig").check()
    page.get_by_label("Videobestand").set_input_files(str(video))
    page.get_by_role("button", name="Uploaden").click()
    page.wait_for_url(re.compile(r".*/recordings/[0-9a-f-]{36}/$"), timeout=30000)
    assert ranges == [f"bytes 0-{UPLOAD_CHUNK - 1}/{video.stat().st_size}"]
    assert sent_again and sent_again[0].startswith(f"bytes {UPLOAD_CHUNK}-"), sent_again
