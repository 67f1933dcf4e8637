"""The privacy officer's pages: dashboard, audit log search and paging, integrity check,
legal holds. And the audit read behind them: filters, cursors, itself logged."""

from datetime import timedelta

import pytest
from django.test import Client

from classvault.audit.actions import AuditAction
from classvault.audit.models import AuditEvent
from classvault.audit.selectors import AuditQuery
from classvault.audit.services import audit_log_read, audit_record
from classvault.retention.models import LegalHold
from support.audit import assert_audited, nothing_audited
from support.personas import NOW

pytestmark = pytest.mark.usefixtures("at_now")

HOLD = {"reason": "Vordering van het Openbaar Ministerie", "reference": "OM-2026-0412"}


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def views_of(recording, actor, count, start=NOW):
    from django.db import transaction

    with transaction.atomic():
        for i in range(count):
            audit_record(
                actor=actor,
                action=AuditAction.RECORDING_STREAM,
                obj=recording,
                now=start + timedelta(seconds=i),
                purpose="coaching",
            )


# --- the audit read ----------------------------------------------------------------------


def test_audit_read_filters_by_object_actor_action_and_period(world, recording):
    views_of(recording, world.student, 3)
    views_of(recording, world.trainer, 2, start=NOW + timedelta(days=2))
    read = audit_log_read(
        actor=world.privacy,
        object_id=None,
        limit=100,
        now=NOW,
        newest_first=True,
        query=AuditQuery(object_ids=(str(recording.pk),), actor="tom"),
    )
    assert [e.actor for e in read] == ["tom", "tom"]
    assert read[0].seq > read[1].seq
    in_period = audit_log_read(
        actor=world.privacy,
        object_id=None,
        limit=100,
        now=NOW,
        query=AuditQuery(actions=("recording.stream",), since=NOW, until=NOW + timedelta(days=1)),
    )
    assert {e.actor for e in in_period} == {"sanne"} and len(in_period) == 3
    event = AuditEvent.objects.filter(action="audit.read").order_by("-seq").first()
    assert event.actor == "piet" and event.data["actions"] == ["recording.stream"]


def test_audit_read_hides_key_housekeeping_unless_asked(world, recording):
    query = AuditQuery(object_ids=(str(recording.pk),))
    plain = audit_log_read(actor=world.privacy, object_id=None, limit=100, now=NOW, query=query)
    assert not any(e.action.startswith("vault.") for e in plain)
    everything = audit_log_read(
        actor=world.privacy,
        object_id=None,
        limit=100,
        now=NOW,
        query=AuditQuery(object_ids=(str(recording.pk),), technical=True),
    )
    assert any(e.action.startswith("vault.") for e in everything)


def test_audit_read_pages_by_cursor_both_ways(world, recording):
    views_of(recording, world.student, 7)
    query = dict(object_ids=(str(recording.pk),), actions=("recording.stream",))
    first = audit_log_read(
        actor=world.privacy,
        object_id=None,
        limit=3,
        now=NOW,
        newest_first=True,
        query=AuditQuery(**query),
    )
    second = audit_log_read(
        actor=world.privacy,
        object_id=None,
        limit=3,
        now=NOW,
        newest_first=True,
        query=AuditQuery(**query, before=first[-1].seq),
    )
    assert [e.seq for e in second] == [first[-1].seq - 1, first[-1].seq - 2, first[-1].seq - 3]
    back = audit_log_read(
        actor=world.privacy,
        object_id=None,
        limit=3,
        now=NOW,
        newest_first=True,
        query=AuditQuery(**query, after=second[0].seq),
    )
    assert [e.seq for e in back] == [e.seq for e in first]


def rows(html: str) -> int:
    return html.split("<tbody>")[1].split("</tbody>")[0].count("Opname bekeken")


# --- the audit page ----------------------------------------------------------------------


def test_audit_page_shows_who_did_what_to_which_recording_in_dutch(world, recording):
    views_of(recording, world.trainer, 1)
    html = (
        client_for(world.privacy)
        .get("/officer/audit/", {"recording": str(recording.pk)})
        .content.decode()
    )
    assert "Tom Trainer" in html and "(tom)" in html
    assert "Opname bekeken" in html and "begeleiding" in html
    assert recording.title in html and f"/officer/recordings/{recording.pk}/hold/" in html
    table = html.split("<tbody>")[1].split("</tbody>")[0]
    assert "recording.stream" not in table and "vault.key_create" not in table
    assert_audited("audit.read", actor="piet", objects=[str(recording.pk)])


def test_audit_page_shows_technical_events_when_asked(world, recording):
    html = (
        client_for(world.privacy)
        .get("/officer/audit/", {"recording": str(recording.pk), "technical": "on"})
        .content.decode()
    )
    assert "Versleutelingssleutel aangemaakt" in html


def test_audit_page_by_actor_pages_fifty_at_a_time(world, recording, django_assert_max_num_queries):
    views_of(recording, world.student, 60)
    client = client_for(world.privacy)
    # One query of these loads the session's second-factor device (django-otp).
    with django_assert_max_num_queries(15):
        first = client.get("/officer/audit/", {"actor": "sanne", "action": "recording.stream"})
    html = first.content.decode()
    assert rows(html) == 50
    older = html.split('rel="next" href="?')[1].split('"')[0].replace("&amp;", "&")
    with django_assert_max_num_queries(15):
        second = client.get("/officer/audit/?" + older).content.decode()
    assert rows(second) == 10
    assert 'rel="prev"' in second and 'rel="next"' not in second


def test_audit_page_query_count_does_not_grow_with_the_page(
    world, recording, django_assert_max_num_queries
):
    views_of(recording, world.trainer, 5)
    client = client_for(world.privacy)
    # One query of these loads the session's second-factor device (django-otp).
    with django_assert_max_num_queries(15):
        client.get("/officer/audit/", {"technical": "on"})


def test_audit_page_refuses_a_bad_date_with_422(world):
    with nothing_audited():
        response = client_for(world.privacy).get("/officer/audit/", {"since": "gisteren"})
    assert response.status_code == 422


@pytest.mark.parametrize("persona", ["admin", "school_admin", "student", "trainer", "supervisor"])
def test_only_the_privacy_officer_reads_the_audit_page(world, persona):
    client = client_for(getattr(world, persona))
    with nothing_audited():
        assert client.get("/officer/audit/").status_code == 403
        assert client.post("/officer/audit/verify/").status_code == 403
        assert client.get("/officer/holds/").status_code == 403


def test_checking_the_log_records_its_outcome_and_shows_it(world):
    client = client_for(world.privacy)
    assert "nog niet gecontroleerd" in client.get("/officer/audit/").content.decode()
    response = client.post("/officer/audit/verify/")
    assert response.status_code == 302
    event = assert_audited("audit.verify", actor="piet", outcome="intact")
    assert event.data["checked"] == event.seq - 1
    html = client.get("/officer/audit/").content.decode()
    assert "Intact bij de laatste controle" in html and "Piet Privacy" in html


# --- legal holds ---------------------------------------------------------------------------


def test_privacy_officer_places_and_releases_a_hold_in_the_browser_flow(world, recording):
    client = client_for(world.privacy)
    assert recording.title in client.get("/officer/holds/").content.decode()
    page = f"/officer/recordings/{recording.pk}/hold/"
    response = client.post(page, HOLD)
    assert response.status_code == 302
    hold = LegalHold.objects.get(recording=recording, released_at__isnull=True)
    assert hold.reference == "OM-2026-0412"
    assert_audited(
        "legal_hold.place",
        actor="piet",
        object_id=recording.pk,
        purpose="legal_obligation",
        reference="OM-2026-0412",
    )
    html = client.get(page).content.decode()
    assert "Onder juridische bewaring (legal hold)" in html
    home = client.get("/").content.decode()
    assert recording.title in home and "OM-2026-0412" in home
    assert "Juridische bewaring (legal hold) ingesteld" in home  # noteworthy, in Dutch
    assert client.post(f"{page}release/").status_code == 302
    hold.refresh_from_db()
    assert hold.released_at is not None
    assert_audited("legal_hold.release", actor="piet", object_id=recording.pk)


def test_a_hold_without_a_reason_is_422(world, recording):
    with nothing_audited():
        response = client_for(world.privacy).post(
            f"/officer/recordings/{recording.pk}/hold/", {"reason": "", "reference": "x"}
        )
    assert response.status_code == 422
    assert not LegalHold.objects.exists()


def test_a_second_hold_is_409(world, recording):
    client = client_for(world.privacy)
    client.post(f"/officer/recordings/{recording.pk}/hold/", HOLD)
    with nothing_audited():
        response = client.post(f"/officer/recordings/{recording.pk}/hold/", HOLD)
    assert response.status_code == 409


def test_hold_page_of_an_unknown_recording_is_404(world):
    response = client_for(world.privacy).get(
        "/officer/recordings/00000000-0000-4000-8000-000000000000/hold/"
    )
    assert response.status_code == 404


@pytest.mark.parametrize("persona", ["admin", "school_admin", "student", "trainer"])
def test_other_roles_may_not_place_holds(world, recording, persona):
    with nothing_audited():
        response = client_for(getattr(world, persona)).post(
            f"/officer/recordings/{recording.pk}/hold/", HOLD
        )
    assert response.status_code == 403


def test_dashboard_links_to_the_officers_work(world, django_assert_max_num_queries):
    client = client_for(world.privacy)
    # 17 before issue 13, then one each for the overdue data-subject requests and the
    # session's second-factor device (django-otp), and 2 for redaction: the blocked
    # recordings and its stalled-jobs health check.
    with django_assert_max_num_queries(21):
        html = client.get("/").content.decode()
    for link in ("/officer/audit/", "/officer/holds/", "/consent/pupils/"):
        assert f'href="{link}"' in html
    assert "Wettelijke bewaarplicht" not in html
