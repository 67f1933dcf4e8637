"""NUL characters are refused at the door, whatever the field (issue 9, finding 8).

PostgreSQL cannot store U+0000 (each of these was a 500 there, the login included) and
SQLite stored it silently. The input guard refuses it in the path, query string, form fields
and JSON bodies; the multipart upload checks its fields with the same rule.
"""

import json

import pytest
from django.test import Client

from classvault.consent.models import Pupil
from classvault.people.models import User
from classvault.recordings.models import Recording
from classvault.vault.models import DataKey
from support.personas import PASSWORD, Api, login
from support.pupils import pupil_body
from support.recordings import upload


def _assert_422(response):
    assert response.status_code == 422, response.content
    assert "NUL" in response.json()["detail"]


def test_login_with_a_nul_in_the_username_is_refused(world):
    _assert_422(Api().post("/auth/token", {"username": "anna\x00", "password": PASSWORD}))


def test_login_with_a_nul_in_the_password_is_refused(world):
    _assert_422(Api().post("/auth/token", {"username": "anna", "password": "pw\x00"}))


def test_a_pupil_name_with_a_nul_is_422_and_nothing_is_stored(world):
    api = login("saskia")
    _assert_422(api.post("/pupils", pupil_body(full_name="Noor\x00Nieuw")))
    assert not Pupil.objects.filter(external_id="3001").exists()


def test_a_nul_in_a_key_or_a_nested_list_is_refused(world):
    api = login("anna")
    _assert_422(
        api.post(
            "/users",
            {
                "username": "u",
                "password": PASSWORD,
                "role": "trainer",
                "full_name": "U",
                "x\x00": 1,
            },
        )
    )
    _assert_422(
        api.put(
            "/student-teachers/femke",
            {"school": "NOORD", "study_end": "2027-07-15", "trainers": ["tom\x00"]},
        )
    )
    assert not User.objects.filter(username="u").exists()


def test_an_escaped_backslash_is_text_not_a_nul(world):
    api = login("saskia")
    # The JSON text "\\u0000" is a backslash followed by "u0000": six harmless characters.
    response = api.client.post(
        "/api/v1/pupils",
        data=json.dumps(pupil_body(full_name="Noor \\u0000 Nieuw")),
        content_type="application/json",
        headers={"Authorization": f"Bearer {api.token}"},
    )
    assert response.status_code == 201, response.content
    assert response.json()["full_name"] == "Noor \\u0000 Nieuw"


def test_a_raw_nul_byte_in_a_json_body_is_a_client_error(world):
    api = login("saskia")
    raw = json.dumps(pupil_body()).replace("Noor", "No\x00or").encode()
    response = api.client.post(
        "/api/v1/pupils",
        data=raw,
        content_type="application/json",
        headers={"Authorization": f"Bearer {api.token}"},
    )
    assert 400 <= response.status_code < 500
    assert response.json()["detail"]
    assert not Pupil.objects.filter(external_id="3001").exists()


def test_a_nul_in_the_query_string_is_refused(world):
    api = login("saskia")
    _assert_422(api.get("/pupils", group="5A\x00"))
    _assert_422(api.get("/pupils?school=NO%00ORD"))


def test_a_nul_in_the_path_is_refused(world):
    _assert_422(login("saskia").get("/pupils/%00"))
    _assert_422(
        login("anna").put(
            "/student-teachers/san%00ne", {"school": "NOORD", "study_end": "2027-07-15"}
        )
    )


def test_a_nul_in_an_upload_field_is_422_and_nothing_is_kept(studio, small_video, vault_home):
    response = upload(login("sanne"), small_video, title="Les\x00 5", pupils=[studio.pupils.ada.pk])
    _assert_422(response)
    assert not Recording.objects.exists()
    assert not DataKey.objects.filter(destroyed_at__isnull=True).exists()


@pytest.mark.parametrize(
    "data",
    [
        {"username": "anna\x00", "password": PASSWORD},
        {"username": "anna", "password": PASSWORD + "\x00"},
    ],
)
def test_the_web_login_refuses_a_nul_with_a_400(world, data):
    response = Client().post("/login/", data)
    assert response.status_code == 400
    assert "NUL" in response.content.decode()


def test_a_web_page_refuses_a_nul_in_the_query_string(world):
    client = Client()
    client.force_login(world.school_admin)
    assert client.get("/consent/pupils/", {"group": "5A\x00"}).status_code == 400
    assert client.get("/consent/pupils/", {"group": "5A"}).status_code == 200
