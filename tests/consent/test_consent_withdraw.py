"""POST /pupils/{id}/consent/withdraw: withdrawal in person (R14)."""

import uuid

import pytest
from django.db import transaction

from classvault.audit.models import AuditEvent
from classvault.consent import services
from classvault.consent.models import ConsentRecord
from support.audit import assert_audited, nothing_audited
from support.personas import NOW, Api
from support.pupils import withdraw_body

# The personas were made at NOW; these tests run at that moment too.
pytestmark = pytest.mark.usefixtures("at_now")


def withdraw(api, pupil, **overrides):
    return api.post(f"/pupils/{pupil.pk}/consent/withdraw", withdraw_body(**overrides))


def test_withdrawing_all_consent(world, pupils):
    response = withdraw(world.api(world.school_admin), pupils.ada)
    assert response.status_code == 200
    assert response.json()["recording"] is False and response.json()["peer_viewing"] is False
    pupils.ada.refresh_from_db()
    assert not pupils.ada.recording_consent and not pupils.ada.peer_viewing_consent
    record = ConsentRecord.objects.filter(pupil=pupils.ada).last()
    assert (record.kind, record.scope, record.received_how) == ("withdraw", "all", "in_person")
    assert record.verified_in_person and record.signed_on.isoformat() == "2026-11-01"
    assert_audited("consent.withdraw", actor="saskia", object_id=pupils.ada.pk, scope="all")


def test_withdrawing_peer_viewing_keeps_recording_consent(world, pupils):
    response = withdraw(world.api(world.school_admin), pupils.ada, scope="peer_viewing")
    assert response.status_code == 200
    assert response.json()["recording"] is True and response.json()["peer_viewing"] is False
    pupils.ada.refresh_from_db()
    assert pupils.ada.recording_consent and not pupils.ada.peer_viewing_consent
    assert_audited(
        "consent.withdraw", actor="saskia", object_id=pupils.ada.pk, scope="peer_viewing"
    )


def test_withdrawal_is_audited(world, pupils):
    withdraw(world.api(world.school_admin), pupils.ada, scope="peer_viewing")
    event = AuditEvent.objects.get(action="consent.withdraw", object_id=str(pupils.ada.pk))
    assert event.actor == "saskia"
    assert event.data["scope"] == "peer_viewing" and event.data["on"] == "2026-11-01"
    assert "Gerda" not in str(event.data)


def test_privacy_officer_registers_a_withdrawal(world, pupils):
    response = withdraw(world.api(world.privacy), pupils.eva)
    assert response.status_code == 200
    pupils.eva.refresh_from_db()
    assert not pupils.eva.recording_consent
    assert_audited("consent.withdraw", actor="piet", object_id=pupils.eva.pk)


def test_pupil_of_16_or_older_withdraws_personally(world, pupils):
    api = world.api(world.school_admin)
    assert withdraw(api, pupils.dewi, by="guardian").status_code == 422
    assert withdraw(api, pupils.dewi, by="pupil", signer_name="Dewi Das").status_code == 200


@pytest.mark.parametrize("verified", [False, None, "true", 1])
def test_withdrawal_must_be_verified_in_person(world, pupils, verified):
    response = withdraw(world.api(world.school_admin), pupils.ada, verified_in_person=verified)
    assert response.status_code == 422
    pupils.ada.refresh_from_db()
    assert pupils.ada.recording_consent


def test_missing_in_person_verification_is_422(world, pupils):
    body = withdraw_body()
    del body["verified_in_person"]
    response = world.api(world.school_admin).post(f"/pupils/{pupils.ada.pk}/consent/withdraw", body)
    assert response.status_code == 422


@pytest.mark.parametrize(
    "overrides",
    [
        {"on": "2026-11-03"},  # future
        {"on": "2014-03-09"},  # before birth
        {"on": "01-11-2026"},
        {"scope": "recording"},
        {"by": "teacher"},
        {"signer_name": ""},
    ],
)
def test_invalid_withdrawal_is_422(world, pupils, overrides):
    response = withdraw(world.api(world.school_admin), pupils.ada, **overrides)
    assert response.status_code == 422
    assert ConsentRecord.objects.filter(pupil=pupils.ada).count() == 1


def test_a_withdrawal_dated_before_the_consent_it_withdraws_is_422(world, pupils):
    """Issue 9, outside attack 6: Ada's consent was signed on 2026-10-01."""
    api = world.api(world.school_admin)
    with nothing_audited():
        response = withdraw(api, pupils.ada, on="2026-09-30")
    assert response.status_code == 422, response.content
    assert "2026-10-01" in response.json()["detail"]
    pupils.ada.refresh_from_db()
    assert pupils.ada.recording_consent
    assert not ConsentRecord.objects.filter(pupil=pupils.ada, kind="withdraw").exists()


def test_a_withdrawal_on_the_day_consent_was_signed_is_accepted(world, pupils):
    response = withdraw(world.api(world.school_admin), pupils.ada, on="2026-10-01")
    assert response.status_code == 200, response.content


def test_nothing_to_withdraw_is_409(world, pupils):
    api = world.api(world.school_admin)
    assert withdraw(api, pupils.cas).status_code == 409
    assert withdraw(api, pupils.bram, scope="peer_viewing").status_code == 409


def test_withdrawal_requires_authentication(world, pupils):
    assert withdraw(Api(), pupils.ada).status_code == 401


@pytest.mark.parametrize("persona", ["admin", "student", "trainer", "supervisor"])
def test_other_roles_may_not_withdraw(world, pupils, persona):
    assert withdraw(world.api(getattr(world, persona)), pupils.ada).status_code == 403


def test_school_admin_of_another_school_does_not_see_the_pupil(world, pupils):
    assert withdraw(world.api(world.other_school_admin), pupils.ada).status_code == 404
    pupils.ada.refresh_from_db()
    assert pupils.ada.recording_consent


def test_unknown_pupil_is_404(world):
    api = world.api(world.school_admin)
    response = api.post(f"/pupils/{uuid.uuid4()}/consent/withdraw", withdraw_body())
    assert response.status_code == 404


# --- the integration point for recordings ----------------------------------------------


@pytest.fixture
def no_handlers():
    """An empty handler list for the test; whatever other apps registered comes back after."""
    with services.consent_withdrawn.replaced():
        yield


@pytest.fixture
def handler_calls(no_handlers):
    calls = []

    def handler(*, pupil, scope, record, actor, now):
        assert transaction.get_connection().in_atomic_block
        calls.append((pupil.pk, scope, record.kind, actor.username, now))

    services.consent_withdrawn.register(handler)
    services.consent_withdrawn.register(handler)  # twice is once
    return calls


def test_withdrawal_calls_the_registered_handlers_in_its_transaction(world, pupils, handler_calls):
    withdraw(world.api(world.school_admin), pupils.ada, scope="peer_viewing")
    assert handler_calls == [(pupils.ada.pk, "peer_viewing", "withdraw", "saskia", NOW)]


def test_a_failing_handler_undoes_the_withdrawal(world, pupils, no_handlers):
    @services.consent_withdrawn.register
    def broken(**kwargs):
        raise RuntimeError("recordings could not be blocked")

    with pytest.raises(RuntimeError):
        services.consent_withdraw(
            actor=world.school_admin,
            pupil_id=str(pupils.ada.pk),
            scope="all",
            by="guardian",
            signer_name="G",
            verified_in_person=True,
            on=NOW.date(),
            now=NOW,
        )
    pupils.ada.refresh_from_db()
    assert pupils.ada.recording_consent
    assert not ConsentRecord.objects.filter(pupil=pupils.ada, kind="withdraw").exists()
    assert not AuditEvent.objects.filter(action="consent.withdraw").exists()
