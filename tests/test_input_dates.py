"""Dates outside 1900..2199 (and instants without an offset) are 422 everywhere (issue 9, 9).

Year 1 and 9999 used to overflow the expiry arithmetic (500), and a study end in year 1
expired every recording at once.
"""

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from classvault.consent.models import Pupil
from classvault.core.time import add_months, add_months_instant, end_of_day
from classvault.core.validation import InputSchema
from classvault.people import services as people_services
from classvault.people.models import Enrolment
from classvault.recordings.models import Recording
from classvault.recordings.rules import expiry_day, expiry_for
from support.personas import NOW, login
from support.pupils import pupil_body
from support.recordings import make_recording, upload

FAR = ["0001-01-01", "1899-12-31", "2200-01-01", "9999-12-31"]


@pytest.mark.parametrize("day", FAR)
def test_a_date_of_birth_out_of_range_is_422(world, day):
    response = login("saskia").post("/pupils", pupil_body(date_of_birth=day))
    assert response.status_code == 422, response.content
    assert "date_of_birth" in response.json()["detail"]
    assert not Pupil.objects.filter(external_id="3001").exists()


@pytest.mark.parametrize("day", ["0001-01-01", "1999-12-31", "2101-01-01", "9999-12-31"])
def test_a_study_end_out_of_range_is_422_and_changes_nothing(world, day):
    response = login("anna").put(
        "/student-teachers/sanne", {"school": "NOORD", "study_end": day, "trainers": ["tom"]}
    )
    assert response.status_code == 422, response.content
    assert "study_end" in response.json()["detail"]
    assert Enrolment.objects.get(student_teacher=world.student).study_end == date(2027, 7, 15)


@pytest.mark.parametrize("day", ["2000-01-01", "2030-06-30", "2100-12-31"])
def test_a_study_end_in_range_is_accepted(world, day):
    response = login("anna").put("/student-teachers/sanne", {"school": "NOORD", "study_end": day})
    assert response.status_code == 200, response.content


@pytest.mark.parametrize(
    "recorded_at",
    ["0001-01-01T00:00:00+01:00", "0001-01-01", "9999-12-31T23:59:59+01:00", "1899-12-31"],
)
def test_an_upload_recorded_out_of_range_is_422_and_nothing_is_kept(
    studio, small_video, recorded_at
):
    response = upload(
        login("sanne"), small_video, recorded_at=recorded_at, pupils=[studio.pupils.ada.pk]
    )
    assert response.status_code == 422, response.content
    assert not Recording.objects.exists()


def test_uploads_still_work_for_a_study_end_stored_in_year_9999(studio, small_video):
    """A row stored before the input layer existed must not break every later upload."""
    people_services.enrolment_set(
        actor=studio.admin,
        username="sanne",
        school_code="NOORD",
        study_end=date(9999, 12, 31),
        trainers=[],
        supervisors=[],
        now=NOW,
    )
    response = upload(login("sanne"), small_video, pupils=[studio.pupils.ada.pk])
    assert response.status_code == 201, response.content
    assert response.json()["expires_at"].startswith("2027-05-02")


@pytest.mark.parametrize(
    "overrides",
    [
        {"starts_at": "0001-01-01T10:00:00+01:00"},
        {"ends_at": "9999-12-31T23:00:00+01:00"},
        {"starts_at": "2026-11-10T10:00:00"},  # no offset
    ],
)
def test_a_screening_out_of_range_is_422(studio, small_video, overrides):
    recording = make_recording(studio.student, video=small_video, pupils=[studio.pupils.ada.pk]).pk
    body = {
        "mode": "online",
        "starts_at": "2026-11-10T10:00:00+01:00",
        "ends_at": "2026-11-10T11:00:00+01:00",
        "attendees": ["femke"],
        **overrides,
    }
    response = login("sanne").post(f"/recordings/{recording}/screenings", body)
    assert response.status_code == 422, response.content


@pytest.mark.parametrize(
    ("path", "body"),
    [
        (
            "/consent",
            {
                "recording": True,
                "peer_viewing": False,
                "given_by": "guardian",
                "signer_name": "Ouder",
                "signed_on": "0001-01-01",
            },
        ),
        (
            "/consent/withdraw",
            {
                "scope": "all",
                "by": "guardian",
                "signer_name": "Ouder",
                "verified_in_person": True,
                "on": "0001-01-01",
            },
        ),
    ],
)
def test_consent_dates_out_of_range_are_422(pupils, at_now, path, body):
    response = login("saskia").post(f"/pupils/{pupils.ada.pk}{path}", body)
    assert response.status_code == 422, response.content


def test_an_absurd_expiry_window_is_422_not_500(world):
    response = login("anna").get("/expiries", within_days=10**9)
    assert response.status_code == 422, response.content


def test_every_request_schema_checks_dates():
    """New endpoints get the rule too: every body and query schema derives InputSchema."""
    from pydantic import BaseModel

    from classvault.api import api

    found = []
    for _prefix, router in api._routers:
        for path_view in router.path_operations.values():
            for operation in path_view.operations:
                for model in operation.models:
                    for field in model.model_fields.values():
                        schema = field.annotation
                        if isinstance(schema, type) and issubclass(schema, BaseModel):
                            found.append(schema)
                            assert issubclass(schema, InputSchema), (
                                f"{operation.view_func.__name__}: {schema.__name__}"
                            )
    assert len(found) > 15


# --- the expiry arithmetic never overflows, whatever is stored ----------------------------


def test_expiry_for_saturates_instead_of_overflowing():
    first = datetime(1, 1, 1, tzinfo=UTC)
    last = datetime(9999, 12, 31, 23, 59, tzinfo=UTC)
    assert expiry_for(recorded_at=first, study_end=date(9999, 12, 31), months=6).year == 1
    assert expiry_for(recorded_at=last, study_end=date(9999, 12, 31), months=6).year == 9999
    assert expiry_for(recorded_at=last, study_end=None, months=600).year == 9999
    assert expiry_for(recorded_at=first, study_end=date(1, 1, 1), months=6).year == 1
    west = datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=-5)))
    assert expiry_for(recorded_at=west, study_end=None, months=6).year == 1


def test_the_helpers_saturate_at_the_ends_of_the_calendar():
    assert add_months(date(9999, 12, 1), 6) == date.max
    assert add_months(date(1, 3, 1), -6) == date.min
    assert end_of_day(date.max).year == 9999
    assert end_of_day(date.min).year == 1
    assert add_months_instant(datetime(9999, 12, 31, tzinfo=UTC), 1).year == 9999
    assert expiry_day(end_of_day(date.max)).year == 9999


def test_ordinary_dates_are_unchanged():
    assert end_of_day(date(2027, 7, 15)) == datetime(2027, 7, 15, 22, tzinfo=UTC)
    assert add_months_instant(datetime(2026, 8, 31, 10, tzinfo=UTC), 6) == datetime(
        2027, 2, 28, 11, tzinfo=UTC
    )
