"""POST /pupils: only the school_admin of that school adds pupils."""

import uuid

import pytest

from classvault.consent.models import Pupil
from support.audit import assert_audited, nothing_audited
from support.personas import Api
from support.pupils import pupil_body

# The personas were made at NOW; these tests run at that moment too.
pytestmark = pytest.mark.usefixtures("at_now")


def test_school_admin_adds_a_pupil_to_her_school(world):
    response = world.api(world.school_admin).post("/pupils", pupil_body())
    assert response.status_code == 201
    body = response.json()
    assert body["full_name"] == "Noor Nieuw"
    assert body["school"] == "NOORD"
    assert body["date_of_birth"] == "2015-04-01"
    assert body["recording_consent"] is False and body["peer_viewing_consent"] is False
    pupil = Pupil.objects.get(pk=body["id"])
    assert uuid.UUID(body["id"]).version == 4
    assert (pupil.full_name, pupil.school.code, pupil.external_id) == (
        "Noor Nieuw",
        "NOORD",
        "3001",
    )
    event = assert_audited("pupil.create", actor="saskia", object_id=pupil.pk)
    assert event.object_type == "pupil"


def test_pupil_ids_are_opaque_uuids(world):
    api = world.api(world.school_admin)
    first = api.post("/pupils", pupil_body()).json()["id"]
    second = api.post("/pupils", pupil_body(external_id="3002")).json()["id"]
    assert uuid.UUID(first) and uuid.UUID(second)
    assert first[:8] != second[:8]


def test_adding_a_pupil_requires_authentication(world):
    assert Api().post("/pupils", pupil_body()).status_code == 401


@pytest.mark.parametrize("persona", ["admin", "privacy", "student", "trainer", "supervisor"])
def test_other_roles_may_not_add_pupils(world, persona):
    api = world.api(getattr(world, persona))
    with nothing_audited():
        assert api.post("/pupils", pupil_body()).status_code == 403
    assert not Pupil.objects.exists()


def test_school_admin_of_another_school_may_not_add_pupils_here(world):
    response = world.api(world.other_school_admin).post("/pupils", pupil_body())
    assert response.status_code == 403
    assert not Pupil.objects.exists()


def test_duplicate_pupil_number_in_the_school_is_409(world):
    api = world.api(world.school_admin)
    api.post("/pupils", pupil_body())
    with nothing_audited():
        response = api.post("/pupils", pupil_body(full_name="Someone Else"))
    assert response.status_code == 409
    assert Pupil.objects.get().full_name == "Noor Nieuw"


def test_same_pupil_number_at_another_school_is_fine(world):
    world.api(world.school_admin).post("/pupils", pupil_body())
    response = world.api(world.other_school_admin).post("/pupils", pupil_body(school="ZUID"))
    assert response.status_code == 201
    pupil = Pupil.objects.get(pk=response.json()["id"])
    assert pupil.school.code == "ZUID"
    assert_audited("pupil.create", actor="zoe", object_id=pupil.pk)


@pytest.mark.parametrize(
    "overrides",
    [
        {"date_of_birth": "2026-11-03"},  # tomorrow in Amsterdam
        {"date_of_birth": "01-04-2015"},
        {"date_of_birth": "2015-02-30"},
        {"school": "NOWHERE"},
        {"full_name": ""},
        {"full_name": "   "},
        {"external_id": ""},
        {"group": ""},
        {"group": "x" * 33},
    ],
)
def test_invalid_pupil_is_422(world, overrides):
    response = world.api(world.school_admin).post("/pupils", pupil_body(**overrides))
    assert response.status_code == 422
    assert response.json()["detail"]
    assert not Pupil.objects.exists()


def test_missing_field_is_422(world):
    body = pupil_body()
    del body["date_of_birth"]
    assert world.api(world.school_admin).post("/pupils", body).status_code == 422


def test_born_today_is_accepted(world):
    response = world.api(world.school_admin).post("/pupils", pupil_body(date_of_birth="2026-11-02"))
    assert response.status_code == 201


def test_future_date_of_birth_follows_the_amsterdam_day(world, time_machine):
    # 23:30 UTC on 2 November is already 3 November in Amsterdam.
    time_machine.move_to("2026-11-02T23:30:00+00:00", tick=False)
    response = world.api(world.school_admin).post("/pupils", pupil_body(date_of_birth="2026-11-03"))
    assert response.status_code == 201
