"""The institute's overview of upcoming expiries per trainer (R1): counts and dates only."""

from datetime import date, datetime, timedelta

import pytest

from classvault.core.time import AMSTERDAM
from classvault.people.services import enrolment_set
from classvault.retention.services import legal_hold_place
from support.personas import NOW, Api, login
from support.recordings import make_recording

APRIL_20 = datetime(2027, 4, 20, 9, 0, tzinfo=AMSTERDAM)


@pytest.fixture
def expiring(world, vault_home, time_machine):
    """Sanne: two recordings expiring 2 May and one on 13 April; Femke (no trainer): one."""
    time_machine.move_to(APRIL_20, tick=False)
    make_recording(world.student, recorded_at=NOW)
    make_recording(world.student, recorded_at=NOW + timedelta(hours=2))
    make_recording(world.student, recorded_at=NOW - timedelta(days=20))  # already expired
    make_recording(world.fellow, recorded_at=NOW + timedelta(days=3))  # 5 May
    return world


def test_per_trainer_who_must_act_before_when(expiring):
    overview = login("anna").get("/expiries?within_days=30").json()
    assert [group["trainer"] for group in overview] == ["tara", "tom", None]
    tom = overview[1]
    assert tom["full_name"] == "Tom Trainer"
    [sanne] = tom["student_teachers"]
    assert sanne["username"] == "sanne" and sanne["recordings"] == 2
    assert sanne["earliest_expires_at"].startswith("2027-05-02T08:00:00")
    assert sanne["days_left"] == 12
    assert set(sanne) == {
        "username",
        "full_name",
        "recordings",
        "earliest_expires_at",
        "days_left",
    }  # no recording ids, titles or pupils
    [femke] = overview[2]["student_teachers"]
    assert (femke["username"], femke["days_left"]) == ("femke", 15)


def test_the_window_narrows_the_list(expiring):
    assert login("anna").get("/expiries?within_days=12").json()[0]["student_teachers"]
    overview = login("anna").get("/expiries?within_days=11").json()
    assert overview == []


def test_defaults_to_thirty_days(expiring):
    assert len(login("anna").get("/expiries").json()) == 3


def test_held_and_assessed_recordings_are_not_counted(expiring):
    from classvault.recordings.models import Recording

    first = Recording.objects.filter(owner__username="sanne").order_by("recorded_at").last()
    legal_hold_place(
        actor=expiring.privacy, recording=first, reason="Vordering", reference="", now=APRIL_20
    )

    for recording in Recording.objects.filter(owner__username="femke"):
        assess(recording)
    overview = login("anna").get("/expiries").json()
    assert [g["trainer"] for g in overview] == ["tara", "tom"]
    assert overview[0]["student_teachers"][0]["recordings"] == 1


def test_a_study_end_change_shows_at_once(expiring):
    enrolment_set(
        actor=expiring.admin,
        username="femke",
        school_code="NOORD",
        study_end=date(2027, 4, 22),
        trainers=["tom"],
        supervisors=[],
        now=APRIL_20,
    )
    overview = login("anna").get("/expiries?within_days=2").json()
    assert [(g["trainer"], [s["username"] for s in g["student_teachers"]]) for g in overview] == [
        ("tom", ["femke"])
    ]


def test_the_query_count_does_not_grow(expiring, django_assert_max_num_queries):
    for _ in range(5):
        make_recording(expiring.student, recorded_at=NOW)
    api = login("anna")
    with django_assert_max_num_queries(6):  # auth (2) + overview (3)
        api.get("/expiries")


def test_without_a_token_it_is_401(expiring):
    assert Api().get("/expiries").status_code == 401


@pytest.mark.parametrize("persona", ["privacy", "school_admin", "student", "trainer", "supervisor"])
def test_every_other_role_gets_403(expiring, persona):
    assert expiring.api(getattr(expiring, persona)).get("/expiries").status_code == 403


@pytest.mark.parametrize("value", ["0", "-1", "367", "soon"])
def test_a_window_out_of_range_is_422(expiring, value):
    response = login("anna").get(f"/expiries?within_days={value}")
    assert response.status_code == 422 and "detail" in response.json()


def assess(recording):
    from classvault.people.models import User
    from classvault.recordings.models import Assessment

    Assessment.objects.create(
        recording=recording,
        trainer=User.objects.get(username="tom"),
        verdict="voldoende",
        assessed_on=APRIL_20.date(),
        created_at=APRIL_20,
    )
