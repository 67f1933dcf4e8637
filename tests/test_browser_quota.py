"""The storage quota in a real Chromium: her use on the upload page, a refusal in Dutch."""

import pytest

from support.browser import log_in
from support.liveserver import running_server
from support.media import make_video

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    # Room for the demo recording (38.7 kB) and hardly more: an upload is refused at its start.
    env = {"CLASSVAULT_QUOTA_BYTES": "40000"}
    with running_server(tmp_path_factory.mktemp("quota") / "data", env_extra=env) as base:
        yield base


def test_the_upload_is_refused_at_the_start_with_her_use_in_dutch(server, page, tmp_path):
    page.set_viewport_size({"width": 360, "height": 740})
    video = tmp_path / "les.mp4"
    video.write_bytes(make_video(seconds=1.0))
    log_in(page, server, "sanne")
    page.goto(server + "/recordings/new/")
    use = page.locator("#storage-use")
    assert use.is_visible() and "GB gebruikt" in use.inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    sent = []
    page.on("request", lambda r: sent.append(r.method) if "/api/v1/uploads/" in r.url else None)
    page.get_by_label("Titel").fill("Taalles")
    page.get_by_label("Opgenomen op").fill("2026-11-20T10:00")
    page.get_by_label("Ada Appel was aanwezig").check()
    page.get_by_label("Videobestand").set_input_files(str(video))
    page.get_by_role("button", name="Uploaden").click()
    status = page.locator("#upload-status")
    status.filter(has_text="mislukt").wait_for(timeout=20000)
    text = status.inner_text()
    assert "opslag" in text and "Verwijder oude opnames" in text, text
    assert "PUT" not in sent, "no chunk was sent"


def test_the_record_page_shows_her_use(server, page):
    log_in(page, server, "sanne")
    page.goto(server + "/recordings/record/")
    assert "GB gebruikt" in page.locator("#storage-use").inner_text()
