"""GET /pupils: the roster with consent, for the school's admin and its student teachers."""

from datetime import date

import pytest

from classvault.consent import services
from classvault.people import services as people_services
from classvault.people.models import Enrolment
from support.personas import NOW, Api

# The personas were made at NOW; these tests run at that moment too.
pytestmark = pytest.mark.usefixtures("at_now")


def ids(response) -> list[str]:
    return [p["id"] for p in response.json()]


def test_school_admin_lists_her_roster_with_consent(world, pupils):
    response = world.api(world.school_admin).get("/pupils", school="NOORD")
    assert response.status_code == 200
    rows = {p["full_name"]: p for p in response.json()}
    assert set(rows) == {"Ada Aap", "Bram Beer", "Cas Cavia", "Dewi Das"}
    assert rows["Ada Aap"] == {
        "id": str(pupils.ada.pk),
        "full_name": "Ada Aap",
        "group": "5A",
        "recording_consent": True,
        "peer_viewing_consent": True,
    }
    assert rows["Bram Beer"]["recording_consent"] is True
    assert rows["Bram Beer"]["peer_viewing_consent"] is False
    assert rows["Cas Cavia"]["recording_consent"] is False


def test_list_shows_no_date_of_birth(world, pupils):
    row = world.api(world.school_admin).get("/pupils", school="NOORD").json()[0]
    assert set(row) == {"id", "full_name", "group", "recording_consent", "peer_viewing_consent"}


def test_group_narrows_the_list(world, pupils):
    response = world.api(world.school_admin).get("/pupils", school="NOORD", group="5A")
    assert sorted(ids(response)) == sorted([str(pupils.ada.pk), str(pupils.bram.pk)])


def test_school_defaults_to_the_callers_school(world, pupils):
    response = world.api(world.school_admin).get("/pupils")
    assert len(response.json()) == 4


def test_student_teacher_enrolled_at_the_school_sees_the_roster(world, pupils):
    response = world.api(world.student).get("/pupils", school="NOORD", group="5A")
    assert response.status_code == 200
    assert len(response.json()) == 2


def test_privacy_officer_sees_any_roster(world, pupils):
    response = world.api(world.privacy).get("/pupils", school="ZUID")
    assert ids(response) == [str(pupils.eva.pk)]


def test_privacy_officer_must_name_the_school(world, pupils):
    assert world.api(world.privacy).get("/pupils").status_code == 422


def test_listing_requires_authentication(world):
    assert Api().get("/pupils", school="NOORD").status_code == 401


@pytest.mark.parametrize("persona", ["admin", "trainer", "unassigned_trainer"])
def test_other_roles_may_not_list_pupils(world, pupils, persona):
    response = world.api(getattr(world, persona)).get("/pupils", school="NOORD")
    assert response.status_code == 403


def test_supervisor_reads_the_roster_of_her_own_school_only(world, pupils):
    """She manages recordings on her students' behalf: she must know who may be shown."""
    mira = world.api(world.supervisor)
    assert str(pupils.ada.pk) in ids(mira.get("/pupils", school="NOORD"))
    assert mira.get("/pupils", school="ZUID").status_code == 403
    assert world.api(world.other_supervisor).get("/pupils", school="NOORD").status_code == 403


def test_school_admin_of_another_school_may_not_list_this_roster(world, pupils):
    response = world.api(world.other_school_admin).get("/pupils", school="NOORD")
    assert response.status_code == 403
    assert "Ada" not in response.content.decode()


def test_student_teacher_of_another_school_may_not_list_this_roster(world, pupils):
    people_services.enrolment_set(
        actor=world.admin,
        username="femke",
        school_code="ZUID",
        study_end=date(2027, 7, 15),
        trainers=[],
        supervisors=[],
        now=NOW,
    )
    response = world.api(world.fellow).get("/pupils", school="NOORD")
    assert response.status_code == 403
    assert ids(world.api(world.fellow).get("/pupils", school="ZUID")) == [str(pupils.eva.pk)]


def test_student_teacher_without_enrolment_may_not_list(world, pupils):
    Enrolment.objects.filter(student_teacher=world.fellow).delete()
    assert world.api(world.fellow).get("/pupils", school="NOORD").status_code == 403


def test_student_teacher_whose_study_ended_may_not_list(world, pupils, time_machine):
    time_machine.move_to("2027-07-15T23:59:00+02:00", tick=False)  # last day of study
    assert world.api(world.student).get("/pupils", school="NOORD").status_code == 200
    time_machine.move_to("2027-07-16T00:00:00+02:00", tick=False)
    assert world.api(world.student).get("/pupils", school="NOORD").status_code == 403


def test_unknown_school_is_422(world):
    assert world.api(world.privacy).get("/pupils", school="NOWHERE").status_code == 422


def test_list_query_count_does_not_grow_with_pupils(world, django_assert_max_num_queries):
    api = world.api(world.school_admin)
    for n in range(3):
        services.pupil_create(
            actor=world.school_admin,
            school_code="NOORD",
            external_id=f"a{n}",
            full_name=f"Pupil {n}",
            date_of_birth=date(2014, 1, 1),
            group="5A",
            now=NOW,
        )
    with django_assert_max_num_queries(20) as few:
        assert len(api.get("/pupils", school="NOORD").json()) == 3
    for n in range(30):
        services.pupil_create(
            actor=world.school_admin,
            school_code="NOORD",
            external_id=f"b{n}",
            full_name=f"Pupil {n}",
            date_of_birth=date(2014, 1, 1),
            group="5A",
            now=NOW,
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(api.get("/pupils", school="NOORD").json()) == 33
