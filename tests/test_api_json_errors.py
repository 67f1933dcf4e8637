"""Every failure under /api answers JSON {"detail"}, also those Django makes (issue 9, 12b)."""

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, TestCase

from classvault.recordings.models import Recording
from classvault.vault.models import DataKey
from support.personas import login
from support.pupils import pupil_body


def _assert_json(response, status):
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["detail"]


def test_a_json_body_over_the_size_limit_is_413(world, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    api = login("saskia")
    _assert_json(api.post("/pupils", pupil_body(full_name="N" * 200)), 413)


def test_a_form_with_too_many_fields_is_400(world, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 5
    api = login("saskia")
    response = api.client.post(
        "/api/v1/pupils",
        data="&".join(f"f{i}=x" for i in range(10)),
        content_type="application/x-www-form-urlencoded",
        headers={"Authorization": f"Bearer {api.token}"},
    )
    _assert_json(response, 400)


def test_an_upload_with_too_many_fields_is_400_and_nothing_is_kept(studio, small_video, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 5
    api = login("sanne")
    data = {
        "file": SimpleUploadedFile("les.mp4", small_video),
        "title": "Les",
        **{f"f{i}": "x" for i in range(10)},
    }
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = api.client.post(
            "/api/v1/recordings", data=data, headers={"Authorization": f"Bearer {api.token}"}
        )
    _assert_json(response, 400)
    assert not Recording.objects.exists()
    assert not DataKey.objects.filter(destroyed_at__isnull=True).exists()


def test_a_wrong_method_is_405_with_allow(db):
    response = Client().delete("/api/v1/health")
    _assert_json(response, 405)
    assert "GET" in response["Allow"]


def test_a_host_that_is_not_allowed_is_400(db):
    response = Client().get("/api/v1/health", HTTP_HOST="evil.example.org")
    _assert_json(response, 400)


def test_pages_outside_the_api_keep_their_html_errors(db):
    response = Client().get("/login/", HTTP_HOST="evil.example.org")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
