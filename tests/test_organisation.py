"""Schools, users and enrolments: institute_admin only, along the negative matrix."""

import pytest
from django.db import IntegrityError, transaction

from classvault.audit.models import AuditEvent
from classvault.people.models import Enrolment, School, User
from support.audit import assert_audited, nothing_audited
from support.personas import PASSWORD, Api, login

NON_ADMIN_PERSONAS = ["privacy", "school_admin", "student", "trainer", "supervisor"]


def new_user(**overrides):
    body = {
        "username": "nina",
        "password": PASSWORD,
        "role": "trainer",
        "full_name": "Nina Nieuw",
        "email": "nina@example.org",
    }
    body.update(overrides)
    return body


# --- schools -------------------------------------------------------------------------


def test_admin_creates_a_school(world):
    response = world.api(world.admin).post("/schools", {"code": "WEST", "name": "OBS West"})
    assert response.status_code == 201
    assert response.json() == {"code": "WEST", "name": "OBS West"}
    school = School.objects.get(code="WEST")
    assert school.name == "OBS West"
    assert_audited("school.create", actor="anna", object_id=school.pk)


def test_school_requires_authentication(world):
    assert Api().post("/schools", {"code": "WEST", "name": "OBS West"}).status_code == 401


@pytest.mark.parametrize("persona", NON_ADMIN_PERSONAS)
def test_only_institute_admin_creates_schools(world, persona):
    api = world.api(getattr(world, persona))
    with nothing_audited():
        assert api.post("/schools", {"code": "WEST", "name": "OBS West"}).status_code == 403
    assert not School.objects.filter(code="WEST").exists()


def test_duplicate_school_code_is_409(world):
    api = world.api(world.admin)
    with nothing_audited():
        response = api.post("/schools", {"code": "NOORD", "name": "Again"})
    assert response.status_code == 409
    assert School.objects.get(code="NOORD").name == "OBS Noord"


@pytest.mark.parametrize("code", ["noord", "Noord"])
def test_a_school_code_differing_only_in_case_is_409(world, code):
    """Issue 9, outside attack 6: "noord" beside "NOORD" was a second school."""
    api = world.api(world.admin)
    with nothing_audited():
        response = api.post("/schools", {"code": code, "name": "Again"})
    assert response.status_code == 409
    assert School.objects.filter(code__iexact="noord").count() == 1


def test_the_database_refuses_a_school_code_differing_only_in_case(world):
    with pytest.raises(IntegrityError), transaction.atomic():
        School.objects.create(code="noord", name="Again")


@pytest.mark.parametrize(
    "body", [{"code": "", "name": "X"}, {"name": "X"}, {"code": "A"}, {"code": "   ", "name": "X"}]
)
def test_invalid_school_is_422(world, body):
    response = world.api(world.admin).post("/schools", body)
    assert response.status_code == 422
    assert isinstance(response.json()["detail"], str)


# --- users ---------------------------------------------------------------------------


def test_admin_creates_a_user(world):
    response = world.api(world.admin).post("/users", new_user())
    assert response.status_code == 201
    assert response.json() == {"username": "nina", "role": "trainer"}
    user = User.objects.get(username="nina")
    assert user.check_password(PASSWORD)
    assert (user.role, user.full_name, user.email) == ("trainer", "Nina Nieuw", "nina@example.org")
    assert_audited("user.create", actor="anna", object_id="nina")


def test_created_user_can_log_in(world):
    world.api(world.admin).post("/users", new_user(role="student_teacher"))
    response = Api().post("/auth/token", {"username": "nina", "password": PASSWORD})
    assert response.status_code == 200


def test_created_trainer_sets_up_a_second_factor_before_a_token(world):
    world.api(world.admin).post("/users", new_user())
    response = Api().post("/auth/token", {"username": "nina", "password": PASSWORD})
    assert response.status_code == 403
    assert "tweede factor" in response.json()["detail"]  # Dutch first
    assert login("nina").get("/me").json()["username"] == "nina"  # enrolled, code sent


@pytest.mark.parametrize("persona", NON_ADMIN_PERSONAS)
def test_only_institute_admin_creates_users(world, persona):
    api = world.api(getattr(world, persona))
    with nothing_audited():
        assert api.post("/users", new_user()).status_code == 403
    assert not User.objects.filter(username="nina").exists()


def test_user_requires_authentication(world):
    assert Api().post("/users", new_user()).status_code == 401


def test_existing_username_is_409(world):
    api = world.api(world.admin)
    with nothing_audited():
        response = api.post("/users", new_user(username="sanne"))
    assert response.status_code == 409
    assert User.objects.get(username="sanne").full_name == "Sanne Student"


@pytest.mark.parametrize("username", ["SANNE", "Sanne"])
def test_a_username_differing_only_in_case_is_409(world, username):
    """Issue 9, outside attack 6: "SANNE" beside "sanne" was a second account."""
    api = world.api(world.admin)
    with nothing_audited():
        response = api.post("/users", new_user(username=username))
    assert response.status_code == 409
    assert User.objects.filter(username__iexact="sanne").count() == 1


def test_the_database_refuses_a_username_differing_only_in_case(world):
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(username="SANNE", role="trainer")


@pytest.mark.parametrize("role", ["school_admin", "school_supervisor"])
def test_school_roles_need_a_school(world, role):
    api = world.api(world.admin)
    assert api.post("/users", new_user(role=role)).status_code == 422
    assert not User.objects.filter(username="nina").exists()
    assert api.post("/users", new_user(role=role, school="NOORD")).status_code == 201
    assert User.objects.get(username="nina").school.code == "NOORD"
    assert_audited("user.create", actor="anna", object_id="nina")


@pytest.mark.parametrize(
    "overrides",
    [
        {"role": "headmaster"},
        {"school": "NOWHERE"},
        {"password": "short"},
        {"password": "12345678901234"},
        {"username": ""},
        {"email": "not-an-address"},
    ],
)
def test_invalid_user_is_422_and_nothing_is_created(world, overrides):
    response = world.api(world.admin).post("/users", new_user(**overrides))
    assert response.status_code == 422
    assert response.json()["detail"]
    assert not User.objects.filter(username="nina").exists()


# --- enrolment -----------------------------------------------------------------------


def enrol_body(**overrides):
    body = {
        "school": "NOORD",
        "study_end": "2027-06-30",
        "trainers": ["tom"],
        "supervisors": ["mira"],
    }
    body.update(overrides)
    return body


def test_admin_enrols_a_student_teacher(world):
    response = world.api(world.admin).put("/student-teachers/femke", enrol_body())
    assert response.status_code == 200
    assert response.json() == {
        "username": "femke",
        "school": "NOORD",
        "study_end": "2027-06-30",
        "trainers": ["tom"],
        "supervisors": ["mira"],
    }
    enrolment = Enrolment.objects.get(student_teacher=world.fellow)
    assert [t.username for t in enrolment.trainers.all()] == ["tom"]
    assert [s.username for s in enrolment.supervisors.all()] == ["mira"]
    assert str(enrolment.study_end) == "2027-06-30"
    assert (
        AuditEvent.objects.filter(action="enrolment.set", object_id="femke", actor="anna").count()
        == 2
    )  # the personas' and this one


def test_enrolment_replaces_trainers(world):
    api = world.api(world.admin)
    assert api.put("/student-teachers/sanne", enrol_body(trainers=["uri"])).status_code == 200
    enrolment = Enrolment.objects.get(student_teacher=world.student)
    assert [t.username for t in enrolment.trainers.all()] == ["uri"]
    event = AuditEvent.objects.filter(action="enrolment.set", object_id="sanne").last()
    assert event.actor == "anna"


@pytest.mark.parametrize("persona", NON_ADMIN_PERSONAS)
def test_only_institute_admin_enrols(world, persona):
    api = world.api(getattr(world, persona))
    with nothing_audited():
        assert api.put("/student-teachers/femke", enrol_body()).status_code == 403
    assert not Enrolment.objects.filter(
        student_teacher=world.fellow, trainers=world.trainer
    ).exists()


def test_enrolment_requires_authentication(world):
    assert Api().put("/student-teachers/femke", enrol_body()).status_code == 401


def test_enrolling_unknown_user_is_404(world):
    assert world.api(world.admin).put("/student-teachers/ghost", enrol_body()).status_code == 404


@pytest.mark.parametrize(
    "path_user,overrides",
    [
        ("tom", {}),  # not a student teacher
        ("femke", {"trainers": ["mira"]}),  # a supervisor listed as trainer
        ("femke", {"supervisors": ["tom"]}),  # a trainer listed as supervisor
        ("femke", {"trainers": ["sanne"]}),  # a student teacher listed as trainer
        ("femke", {"trainers": ["ghost"]}),  # unknown trainer
        ("femke", {"supervisors": ["otto"]}),  # supervisor of another school
        ("femke", {"school": "NOWHERE"}),
        ("femke", {"study_end": "30-06-2027"}),
        ("femke", {"study_end": "2027-02-30"}),
    ],
)
def test_invalid_enrolment_is_422(world, path_user, overrides):
    response = world.api(world.admin).put(f"/student-teachers/{path_user}", enrol_body(**overrides))
    assert response.status_code == 422
    assert response.json()["detail"]
    assert not Enrolment.objects.filter(
        student_teacher=world.fellow, trainers=world.trainer
    ).exists()
