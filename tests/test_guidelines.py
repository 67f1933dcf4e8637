"""Recording guidelines: versioned, published by the institute, accepted once per version."""

import pytest

from classvault.audit.models import AuditEvent
from classvault.people.models import GuidelinesAcknowledgement, GuidelinesVersion
from support.audit import assert_audited, nothing_audited
from support.personas import Api


def test_student_teacher_acknowledges_the_guidelines(world):
    api = world.api(world.student)
    assert api.get("/me").json()["guidelines_accepted"] is False
    response = api.post("/me/guidelines")
    assert response.status_code == 200
    assert response.json()["version"] == "2026-1"
    assert api.get("/me").json()["guidelines_accepted"] is True
    assert GuidelinesAcknowledgement.objects.filter(user=world.student).count() == 1
    assert_audited("guidelines.acknowledge", actor="sanne")


def test_acknowledging_twice_is_idempotent(world):
    api = world.api(world.student)
    first = api.post("/me/guidelines").json()
    second = api.post("/me/guidelines").json()
    assert first == second
    assert GuidelinesAcknowledgement.objects.filter(user=world.student).count() == 1
    assert AuditEvent.objects.filter(action="guidelines.acknowledge").count() == 1


def test_a_new_version_must_be_accepted_again(world):
    student = world.api(world.student)
    student.post("/me/guidelines")
    published = world.api(world.admin).post(
        "/guidelines", {"version": "2027-1", "text": "Nieuwe regels."}
    )
    assert published.status_code == 201
    assert_audited("guidelines.publish", actor="anna", version="2027-1")
    assert student.get("/me").json()["guidelines_accepted"] is False
    assert student.get("/guidelines").json()["version"] == "2027-1"
    assert student.post("/me/guidelines").json()["version"] == "2027-1"
    assert student.get("/me").json()["guidelines_accepted"] is True


def test_publishing_guidelines_is_audited(world):
    response = world.api(world.admin).post(
        "/guidelines", {"version": "2027-1", "text": "Nieuwe regels."}
    )
    assert response.status_code == 201
    published = GuidelinesVersion.objects.get(version="2027-1")
    assert (published.text, published.published_by) == ("Nieuwe regels.", world.admin)
    event = AuditEvent.objects.get(action="guidelines.publish", data__version="2027-1")
    assert (event.actor, event.object) == ("anna", f"guidelinesversion:{published.pk}")
    assert event.data == {"version": "2027-1"}


def test_acknowledging_requires_authentication(world):
    assert Api().post("/me/guidelines").status_code == 401


@pytest.mark.parametrize("persona", ["admin", "privacy", "school_admin", "trainer", "supervisor"])
def test_only_student_teachers_acknowledge(world, persona):
    api = world.api(getattr(world, persona))
    with nothing_audited():
        assert api.post("/me/guidelines").status_code == 403
    assert not GuidelinesAcknowledgement.objects.exists()


@pytest.mark.parametrize("persona", ["privacy", "school_admin", "student", "trainer"])
def test_only_institute_admin_publishes_guidelines(world, persona):
    api = world.api(getattr(world, persona))
    with nothing_audited():
        assert api.post("/guidelines", {"version": "x", "text": "y"}).status_code == 403
    assert api.get("/guidelines").json()["version"] == "2026-1"


def test_publishing_an_existing_version_is_409(world):
    api = world.api(world.admin)
    with nothing_audited():
        assert api.post("/guidelines", {"version": "2026-1", "text": "y"}).status_code == 409
    assert api.get("/guidelines").json()["text"] != "y"


def test_empty_guidelines_are_422(world):
    response = world.api(world.admin).post("/guidelines", {"version": "v", "text": ""})
    assert response.status_code == 422


def test_without_published_guidelines_acknowledging_is_409(db):
    from classvault.people.models import Role
    from classvault.people.services import user_create
    from support.personas import NOW, PASSWORD, login

    user_create(actor=None, username="solo", password=PASSWORD, role=Role.STUDENT_TEACHER, now=NOW)
    assert login("solo").post("/me/guidelines").status_code == 409
