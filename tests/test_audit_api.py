import pytest

from classvault.audit.models import AuditEvent
from support.personas import Api


def test_privacy_officer_reads_the_log(world):
    response = world.api(world.privacy).get("/audit")
    assert response.status_code == 200
    events = response.json()
    assert events, "personas were created, so there are events"
    assert set(events[0]) == {"seq", "at", "actor", "action", "object", "purpose", "hash"}
    assert [e["seq"] for e in events] == sorted(e["seq"] for e in events)


def test_reading_the_log_is_itself_audited(world):
    world.api(world.privacy).get("/audit")
    assert AuditEvent.objects.filter(action="audit.read", actor="piet").exists()


def test_filter_by_object(world):
    response = world.api(world.privacy).get("/audit", object="sanne")
    actions = {e["action"] for e in response.json()}
    assert actions == {"user.create", "enrolment.set"}
    assert all(e["object"].endswith(":sanne") for e in response.json())


def test_filter_by_unknown_recording_is_empty(world):
    response = world.api(world.privacy).get("/audit", recording="00000000-0000-0000-0000-0")
    assert response.status_code == 200
    assert response.json() == []


def test_audit_requires_authentication(world):
    assert Api().get("/audit").status_code == 401


@pytest.mark.parametrize("persona", ["admin", "school_admin", "student", "trainer", "supervisor"])
def test_only_privacy_officer_reads_the_log(world, persona):
    assert world.api(getattr(world, persona)).get("/audit").status_code == 403


def test_invalid_limit_is_422(world):
    assert world.api(world.privacy).get("/audit", limit="many").status_code == 422


def test_audit_list_query_count_is_constant(world, django_assert_max_num_queries):
    api = world.api(world.privacy)
    with django_assert_max_num_queries(12):
        api.get("/audit")
