"""The recording pages behind the same visibility rule as the API."""

import pytest
from django.test import Client

from classvault.audit.models import AuditEvent
from support.personas import web_login as web_login_with_factor
from support.recordings import make_recording


def browser_for(username: str) -> Client:
    return web_login_with_factor(username)


@pytest.fixture
def ready(studio, small_video):
    return str(make_recording(studio.student, video=small_video, pupils=[studio.pupils.ada.pk]).pk)


def test_owner_sees_her_recording_listed_with_expiry_and_access(ready):
    html = browser_for("sanne").get("/recordings/").content.decode()
    assert "Rekenles groep 5" in html and "nog 180 dagen" in html


def test_player_page_has_no_download_and_names_the_viewer(ready):
    html = browser_for("sanne").get(f"/recordings/{ready}/").content.decode()
    assert 'controlslist="nodownload noremoteplayback noplaybackrate"' in html
    assert "disablepictureinpicture" in html
    assert "Sanne Student" in html
    assert "download" not in html.replace("nodownload", "")
    assert AuditEvent.objects.filter(
        action="recording.view", actor="sanne", object_id=ready
    ).exists()


@pytest.mark.parametrize("username", ["femke", "tom", "uri", "saskia", "anna", "otto"])
def test_player_page_is_404_for_everyone_else(ready, username):
    assert browser_for(username).get(f"/recordings/{ready}/").status_code == 404
    assert "Rekenles" not in browser_for(username).get("/recordings/").content.decode()


def test_session_can_stream_for_the_player_but_not_post_without_csrf(ready):
    client = browser_for("sanne")
    client_csrf = Client(enforce_csrf_checks=True)
    client_csrf.cookies = client.cookies
    response = client.get(f"/api/v1/recordings/{ready}/stream", HTTP_RANGE="bytes=0-9")
    assert response.status_code == 206
    refused = client_csrf.post(
        f"/api/v1/recordings/{ready}/shares", {"username": "tom"}, content_type="application/json"
    )
    assert refused.status_code in (401, 403)


def test_upload_page_lists_the_roster_with_consent(studio):
    html = browser_for("sanne").get("/recordings/new/").content.decode()
    assert "Ada Aap" in html and "Cas Cavia" in html and "Eva Egel" not in html


def test_upload_page_is_only_for_student_teachers(studio):
    assert browser_for("tom").get("/recordings/new/").status_code == 404


def test_upload_page_explains_missing_guidelines(world, vault_home, frozen):
    html = browser_for("sanne").get("/recordings/new/").content.decode()
    assert "Accepteer de richtlijnen" in html
