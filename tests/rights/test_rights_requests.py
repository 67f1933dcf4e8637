"""Data-subject requests through the API: the contract, the age rule, the deadlines (month
ends, leap years, an injected clock), the status transitions and every other role."""

from datetime import date, datetime, timedelta

import pytest
import time_machine

from classvault.audit.models import AuditEvent
from classvault.core.time import AMSTERDAM
from classvault.rights.models import DataSubjectRequest
from classvault.rights.services import due_on_for
from support.audit import assert_audited, nothing_audited
from support.personas import NOW

pytestmark = pytest.mark.django_db


@pytest.fixture
def officer(world, at_now):
    return world.api(world.privacy)


def body(pupil, **overrides):
    values = {
        "pupil": str(pupil.pk),
        "kind": "access",
        "requested_by": "guardian",
        "received_on": "2026-11-01",
        "details": "Moeder van Ada vraagt welke opnames er zijn.",
    }
    values.update(overrides)
    return values


def test_it_registers_a_request_due_one_month_later(world, pupils, officer):
    response = officer.post("/requests", body(pupils.ada))
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["status"] == "open"
    assert created["due_on"] == "2026-12-01"
    assert len(created["id"]) == 36
    assert_audited(
        "request.register",
        actor="piet",
        object_id=created["id"],
        pupil=str(pupils.ada.pk),
        kind="access",
        due_on="2026-12-01",
    )
    listed = officer.get("/requests", status="open").json()
    assert [(r["id"], r["due_on"], r["overdue"]) for r in listed] == [
        (created["id"], "2026-12-01", False)
    ]
    one = officer.get(f"/requests/{created['id']}").json()
    assert one["kind"] == "access" and one["requested_by"] == "guardian"


@pytest.mark.parametrize(
    ("received", "due"),
    [
        (date(2027, 1, 31), date(2027, 2, 28)),
        (date(2028, 1, 31), date(2028, 2, 29)),  # leap year
        (date(2028, 1, 29), date(2028, 2, 29)),
        (date(2028, 2, 29), date(2028, 3, 29)),
        (date(2026, 3, 31), date(2026, 4, 30)),
        (date(2026, 12, 31), date(2027, 1, 31)),
        (date(2026, 12, 15), date(2027, 1, 15)),
    ],
)
def test_the_deadline_is_one_month_later_or_the_months_last_day(received, due):
    assert due_on_for(received) == due


def test_an_extension_counts_from_receipt():
    assert due_on_for(date(2027, 12, 31), 2) == date(2028, 3, 31)
    assert due_on_for(date(2027, 11, 30), 2) == date(2028, 2, 29)


def _at(day: date, hour=0, minute=0, second=0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=AMSTERDAM)


def test_a_request_of_31_january_in_a_leap_year_is_overdue_from_1_march(world, pupils):
    with time_machine.travel(_at(date(2028, 2, 1), 9), tick=False) as clock:
        officer = world.api(world.privacy)
        response = officer.post("/requests", body(pupils.ada, received_on="2028-01-31"))
        assert response.status_code == 201, response.content
        assert response.json()["due_on"] == "2028-02-29"
        clock.move_to(_at(date(2028, 2, 29), 23, 59, 59))
        officer = world.api(world.privacy)  # a token lasts a working day
        assert [r["overdue"] for r in officer.get("/requests").json()] == [False]
        assert officer.get("/requests", status="overdue").json() == []
        clock.move_to(_at(date(2028, 3, 1)))
        officer = world.api(world.privacy)
        assert [r["overdue"] for r in officer.get("/requests").json()] == [True]
        assert len(officer.get("/requests", status="overdue").json()) == 1


def test_received_on_in_the_future_is_refused(world, pupils, officer):
    # NOW is 2 November 10:00 in Amsterdam: 2 November is today, 3 November the future.
    with nothing_audited():
        response = officer.post("/requests", body(pupils.ada, received_on="2026-11-03"))
    assert response.status_code == 422
    assert "toekomst" in response.json()["detail"]  # Dutch first, the API too
    assert officer.post("/requests", body(pupils.ada, received_on="2026-11-02")).status_code == 201


def test_the_age_rule_decides_who_may_ask(world, pupils, officer):
    # Ada is 12: her guardian asks. Dewi turned 16 on 15 June 2025: from then she asks herself.
    cases = [
        (pupils.ada, "pupil", "2026-11-01", 422),
        (pupils.ada, "guardian", "2026-11-01", 201),
        (pupils.dewi, "guardian", "2026-11-01", 422),
        (pupils.dewi, "pupil", "2026-11-01", 201),
        (pupils.dewi, "guardian", "2025-06-14", 201),
        (pupils.dewi, "pupil", "2025-06-14", 422),
        (pupils.dewi, "pupil", "2025-06-15", 201),
    ]
    for pupil, who, day, status in cases:
        response = officer.post(
            "/requests", body(pupil, requested_by=who, received_on=day, kind="erasure")
        )
        assert response.status_code == status, (pupil.full_name, who, day, response.content)
        if status == 422:
            assert "16" in response.json()["detail"]


def test_invalid_input_is_refused(world, pupils, officer):
    with nothing_audited():
        assert officer.post("/requests", body(pupils.ada, kind="deletion")).status_code == 422
        assert officer.post("/requests", body(pupils.ada, requested_by="aunt")).status_code == 422
        assert officer.post(
            "/requests", body(pupils.ada, received_on="2001-01-01")
        ).status_code == (422)
        assert officer.post("/requests", body(pupils.ada, details="a\x00b")).status_code == 422
        assert officer.post("/requests", {**body(pupils.ada), "pupil": "nope"}).status_code == 404
    assert officer.get("/requests", status="lost").status_code == 422


OTHER_ROLES = ["admin", "school_admin", "student", "trainer", "supervisor", "fellow"]


def test_every_other_role_is_refused_everything(world, pupils, officer):
    created = officer.post("/requests", body(pupils.ada)).json()
    rid = created["id"]
    calls = [
        ("post", "/requests", body(pupils.ada)),
        ("get", "/requests", None),
        ("get", f"/requests/{rid}", None),
        ("post", f"/requests/{rid}/start", {}),
        ("post", f"/requests/{rid}/extend", {"months": 1, "reason": "druk"}),
        ("post", f"/requests/{rid}/complete", {"outcome": "klaar"}),
        ("post", f"/requests/{rid}/reject", {"outcome": "nee"}),
        ("get", f"/pupils/{pupils.ada.pk}/report", None),
    ]
    for persona in OTHER_ROLES:
        api = world.api(getattr(world, persona))
        with nothing_audited():
            for method, path, payload in calls:
                response = api.call(method, path, payload)
                assert response.status_code == 403, (persona, method, path, response.content)
    anonymous = world.api(None)
    for method, path, payload in calls:
        assert anonymous.call(method, path, payload).status_code == 401, path
    missing = "00000000-0000-4000-8000-000000000000"
    for path in (f"/requests/{missing}", "/requests/not-a-uuid"):
        assert officer.get(path).status_code == 404
        assert officer.post(f"{path}/complete", {"outcome": "x"}).status_code == 404
    assert officer.get(f"/pupils/{missing}/report").status_code == 404
    assert DataSubjectRequest.objects.get(pk=rid).status == "open"


def test_status_moves_only_along_its_transitions(world, pupils, officer):
    rid = officer.post("/requests", body(pupils.ada)).json()["id"]
    assert officer.post(f"/requests/{rid}/complete", {"outcome": "  "}).status_code == 422
    started = officer.post(f"/requests/{rid}/start")
    assert started.status_code == 200 and started.json()["status"] == "in_progress"
    assert_audited("request.start", actor="piet", object_id=rid)
    assert officer.post(f"/requests/{rid}/start").status_code == 409
    done = officer.post(f"/requests/{rid}/complete", {"outcome": "Inzage gegeven op 2 nov."})
    assert done.status_code == 200
    assert done.json()["status"] == "completed"
    assert done.json()["outcome"] == "Inzage gegeven op 2 nov."
    assert_audited("request.complete", actor="piet", object_id=rid, late=False)
    with nothing_audited():
        assert officer.post(f"/requests/{rid}/complete", {"outcome": "x"}).status_code == 409
        assert officer.post(f"/requests/{rid}/reject", {"outcome": "x"}).status_code == 409
        assert officer.post(f"/requests/{rid}/start").status_code == 409
        assert (
            officer.post(f"/requests/{rid}/extend", {"months": 1, "reason": "x"}).status_code == 409
        )
    assert [r["id"] for r in officer.get("/requests", status="completed").json()] == [rid]
    assert officer.get("/requests", status="open").json() == []

    other = officer.post("/requests", body(pupils.bram, kind="complaint")).json()["id"]
    rejected = officer.post(f"/requests/{other}/reject", {"outcome": "Identiteit onbekend."})
    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"
    assert_audited("request.reject", actor="piet", object_id=other)


def test_a_deadline_extends_by_at_most_two_months_with_a_reason(world, pupils, officer):
    rid = officer.post("/requests", body(pupils.ada, received_on="2026-10-31")).json()["id"]
    assert officer.post(f"/requests/{rid}/extend", {"months": 1, "reason": ""}).status_code == 422
    assert officer.post(f"/requests/{rid}/extend", {"months": 3, "reason": "x"}).status_code == 422
    first = officer.post(f"/requests/{rid}/extend", {"months": 1, "reason": "Veel opnames"})
    assert first.status_code == 200, first.content
    assert first.json()["due_on"] == "2026-12-31"
    assert_audited("request.extend", object_id=rid, due_on_before="2026-11-30", due_on="2026-12-31")
    second = officer.post(f"/requests/{rid}/extend", {"months": 1, "reason": "Nog meer"})
    assert second.json()["due_on"] == "2027-01-31"
    assert second.json()["extension_months"] == 2
    assert officer.post(f"/requests/{rid}/extend", {"months": 1, "reason": "x"}).status_code == 422


def test_an_extension_must_be_decided_within_the_first_month(world, pupils, officer):
    rid = officer.post("/requests", body(pupils.ada, received_on="2026-10-01")).json()["id"]
    # Due on 1 November; today is 2 November.
    response = officer.post(f"/requests/{rid}/extend", {"months": 1, "reason": "te laat"})
    assert response.status_code == 409
    assert officer.get(f"/requests/{rid}").json()["overdue"] is True


def test_the_openapi_document_lists_the_request_endpoints(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    for path in (
        "/api/v1/requests",
        "/api/v1/requests/{request_id}/complete",
        "/api/v1/pupils/{pupil_id}/report",
    ):
        assert path in paths


def test_no_audit_event_names_the_pupil(world, pupils, officer):
    officer.post("/requests", body(pupils.ada))
    for event in AuditEvent.objects.filter(action__startswith="request."):
        assert "Ada" not in str(event.data)


def test_registering_takes_the_clock_once(world, pupils, officer):
    rid = officer.post("/requests", body(pupils.ada)).json()["id"]
    request = DataSubjectRequest.objects.get(pk=rid)
    assert request.registered_at == request.updated_at
    assert abs(request.registered_at - NOW) < timedelta(seconds=1)


def test_the_request_list_costs_the_same_for_one_or_many(
    world, pupils, officer, django_assert_max_num_queries
):
    for pupil in (pupils.ada, pupils.bram, pupils.cas):
        officer.post("/requests", body(pupil))
    with django_assert_max_num_queries(6):
        assert len(officer.get("/requests").json()) == 3
    for pupil in (pupils.ada, pupils.bram, pupils.cas):
        officer.post("/requests", body(pupil, kind="complaint"))
    with django_assert_max_num_queries(6):
        assert len(officer.get("/requests").json()) == 6
