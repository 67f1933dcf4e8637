"""Nothing carrying personal data is cached by a browser or a proxy (issue 9, 12d).

Every dynamic response gets ``Cache-Control: no-store`` unless it set its own policy; only
the static files (served by WhiteNoise before any view) stay cacheable.
"""

import pytest
from django.test import Client

from support.personas import login


def _no_store(response) -> None:
    assert response.status_code == 200, response.content
    assert "no-store" in response["Cache-Control"]


@pytest.mark.parametrize(
    "path", ["/pupils?school=NOORD", "/me", "/recordings", "/pupils/{ada}", "/pupils/{ada}/consent"]
)
def test_api_answers_with_personal_data_are_no_store(pupils, path):
    api = login("saskia")
    _no_store(api.get(path.format(ada=pupils.ada.pk)))


@pytest.mark.parametrize(
    "path", ["/consent/pupils/", "/consent/forms/", "/consent/forms/{ada}/", "/recordings/", "/"]
)
def test_pages_with_personal_data_are_no_store(pupils, path):
    client = Client()
    client.force_login(pupils.world.school_admin)
    _no_store(client.get(path.format(ada=pupils.ada.pk)))


def test_errors_are_no_store_too(world):
    response = login("saskia").get("/pupils/00000000-0000-4000-8000-000000000000")
    assert response.status_code == 404
    assert response["Cache-Control"] == "no-store"


def test_static_files_stay_cacheable(db):
    response = Client().get("/static/classvault/upload.js")
    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")
