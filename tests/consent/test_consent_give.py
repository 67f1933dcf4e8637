"""POST /pupils/{id}/consent: registering a signed consent form."""

import pytest

from classvault.audit.models import AuditEvent
from classvault.consent import services
from classvault.consent.models import ConsentRecord, Pupil, StatementVersion
from support.audit import assert_audited, nothing_audited
from support.personas import NOW, UNKNOWN_ID, Api
from support.pupils import consent_body

# The personas were made at NOW; these tests run at that moment too.
pytestmark = pytest.mark.usefixtures("at_now")


def give(api, pupil, **overrides):
    return api.post(f"/pupils/{pupil.pk}/consent", consent_body(**overrides))


def test_school_admin_registers_a_guardians_consent(world, pupils):
    response = give(world.api(world.school_admin), pupils.cas)
    assert response.status_code == 201
    assert response.json() == {"recording": True, "peer_viewing": True, "statement_version": "1"}
    pupils.cas.refresh_from_db()
    assert pupils.cas.recording_consent and pupils.cas.peer_viewing_consent
    record = ConsentRecord.objects.get(pupil=pupils.cas)
    assert record.kind == "give" and record.given_by == "guardian"
    assert record.signer_name == "Carla Cavia"
    assert record.registered_by == world.school_admin
    assert record.received_how == "paper_form"
    assert_audited("consent.give", actor="saskia", object_id=pupils.cas.pk, record=str(record.pk))


def test_consent_is_audited_without_names(world, pupils):
    give(world.api(world.school_admin), pupils.cas)
    event = AuditEvent.objects.get(action="consent.give", object_id=str(pupils.cas.pk))
    assert event.actor == "saskia" and event.object_type == "pupil"
    assert event.data["recording"] is True and event.data["statement_version"] == "1"
    assert "Carla" not in str(event.data) and "Cavia" not in str(event.data)


def test_recording_only_consent(world, pupils):
    response = give(world.api(world.school_admin), pupils.cas, peer_viewing=False)
    assert response.status_code == 201
    assert response.json()["recording"] is True
    assert response.json()["peer_viewing"] is False
    pupils.cas.refresh_from_db()
    assert pupils.cas.recording_consent and not pupils.cas.peer_viewing_consent
    assert_audited("consent.give", actor="saskia", object_id=pupils.cas.pk, peer_viewing=False)


def test_a_form_can_add_peer_viewing_to_recording_consent(world, pupils):
    response = give(world.api(world.school_admin), pupils.bram)
    assert response.status_code == 201
    assert response.json()["peer_viewing"] is True
    pupils.bram.refresh_from_db()
    assert pupils.bram.peer_viewing_consent
    assert (
        AuditEvent.objects.filter(
            action="consent.give", object_id=str(pupils.bram.pk), actor="saskia"
        ).count()
        == 2
    )  # her first form and this


def test_a_refusal_form_is_recorded(world, pupils):
    response = give(world.api(world.school_admin), pupils.cas, recording=False, peer_viewing=False)
    assert response.status_code == 201
    assert ConsentRecord.objects.filter(pupil=pupils.cas, recording=False).exists()
    pupils.cas.refresh_from_db()
    assert not pupils.cas.recording_consent
    assert_audited("consent.give", actor="saskia", object_id=pupils.cas.pk, recording=False)


def test_consent_names_the_statement_version_in_force(world, pupils):
    services.statement_publish(actor=world.privacy, version="2", text="Nieuwe tekst.", now=NOW)
    give(world.api(world.school_admin), pupils.cas)
    record = ConsentRecord.objects.get(pupil=pupils.cas)
    assert record.statement_version == StatementVersion.objects.get(version="2")


def test_peer_viewing_without_recording_is_422(world, pupils):
    api = world.api(world.school_admin)
    with nothing_audited():
        assert give(api, pupils.cas, recording=False).status_code == 422
    assert not ConsentRecord.objects.filter(pupil=pupils.cas).exists()


def test_a_form_cannot_take_consent_away(world, pupils):
    # R14: withdrawing happens in person, through the withdrawal endpoint.
    api = world.api(world.school_admin)
    with nothing_audited():
        assert give(api, pupils.ada, peer_viewing=False).status_code == 409
    pupils.ada.refresh_from_db()
    assert pupils.ada.peer_viewing_consent


def test_a_form_signed_before_a_withdrawal_is_409(world, pupils):
    api = world.api(world.school_admin)
    api.post(
        f"/pupils/{pupils.ada.pk}/consent/withdraw",
        {
            "scope": "all",
            "by": "guardian",
            "signer_name": "G",
            "verified_in_person": True,
            "on": "2026-10-20",
        },
    )
    assert give(api, pupils.ada, signed_on="2026-10-19").status_code == 409
    assert give(api, pupils.ada, signed_on="2026-10-21").status_code == 201


def test_a_form_signed_on_the_day_of_the_withdrawal_is_409(world, pupils):
    """Issue 9, outside attack 6: a form of the withdrawal's day may predate it, and then
    it would reinstate consent that was withdrawn after it was signed."""
    api = world.api(world.school_admin)
    api.post(
        f"/pupils/{pupils.ada.pk}/consent/withdraw",
        {
            "scope": "all",
            "by": "guardian",
            "signer_name": "G",
            "verified_in_person": True,
            "on": "2026-10-20",
        },
    )
    with nothing_audited():
        response = give(api, pupils.ada, signed_on="2026-10-20")
    assert response.status_code == 409, response.content
    pupils.ada.refresh_from_db()
    assert not pupils.ada.recording_consent


@pytest.mark.parametrize("signed_on", ["2026-11-03", "2027-01-01"])
def test_signed_on_in_the_future_is_422(world, pupils, signed_on):
    assert give(world.api(world.school_admin), pupils.cas, signed_on=signed_on).status_code == 422


def test_signed_on_is_judged_by_the_amsterdam_day(world, pupils, time_machine):
    time_machine.move_to("2026-11-02T23:30:00+00:00", tick=False)  # 3 Nov in Amsterdam
    api = world.api(world.school_admin)
    assert give(api, pupils.cas, signed_on="2026-11-03").status_code == 201


def test_signed_on_before_the_date_of_birth_is_422(world, pupils):
    assert (
        give(world.api(world.school_admin), pupils.cas, signed_on="2012-08-31").status_code == 422
    )


@pytest.mark.parametrize(
    "overrides",
    [
        {"given_by": "teacher"},
        {"signer_name": ""},
        {"signed_on": "30-10-2026"},
        {"signed_on": "2026-02-30"},
        {"recording": "yes"},
        {"peer_viewing": 1},
        {"received_how": "pigeon"},
    ],
)
def test_invalid_consent_is_422(world, pupils, overrides):
    response = give(world.api(world.school_admin), pupils.cas, **overrides)
    assert response.status_code == 422
    assert response.json()["detail"]
    assert not ConsentRecord.objects.filter(pupil=pupils.cas).exists()


def test_consent_requires_authentication(world, pupils):
    assert give(Api(), pupils.cas).status_code == 401


@pytest.mark.parametrize("persona", ["admin", "privacy", "student", "trainer", "supervisor"])
def test_other_roles_may_not_register_consent(world, pupils, persona):
    assert give(world.api(getattr(world, persona)), pupils.cas).status_code == 403
    assert not ConsentRecord.objects.filter(pupil=pupils.cas).exists()


def test_school_admin_of_another_school_does_not_see_the_pupil(world, pupils):
    response = give(world.api(world.other_school_admin), pupils.cas)
    assert response.status_code == 404
    assert not ConsentRecord.objects.filter(pupil=pupils.cas).exists()


@pytest.mark.parametrize("pupil_id", [UNKNOWN_ID, "not-a-uuid", "1"])
def test_unknown_pupil_is_404(world, pupil_id):
    response = world.api(world.school_admin).post(f"/pupils/{pupil_id}/consent", consent_body())
    assert response.status_code == 404


def test_no_statement_published_is_409(world, pupils, monkeypatch):
    # Migration 0003 always publishes version 1; a database without one is refused anyway.
    monkeypatch.setattr("classvault.consent.selectors.statement_current", lambda: None)
    assert give(world.api(world.school_admin), pupils.cas).status_code == 409
    assert not Pupil.objects.get(pk=pupils.cas.pk).recording_consent
