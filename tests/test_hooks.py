"""The hook registry: how a lower app calls a higher one (docs/architecture.md)."""

import pytest

from classvault.consent.services import consent_withdrawn
from classvault.core.health import stalled_work, storage_problem
from classvault.core.hooks import Hook
from classvault.people.hooks import enrolment_changed
from classvault.recordings.hooks import recording_created
from classvault.retention.hooks import schedule_ran
from classvault.sharing.hooks import kept_after_expiry_hook
from classvault.vault.hooks import retention_key_policy


def test_handlers_run_in_registration_order_and_registering_twice_is_once():
    hook = Hook("test.order")
    calls = []

    def first(*, value):
        calls.append(("first", value))
        return 1

    def second(*, value):
        calls.append(("second", value))
        return 2

    hook.register(first)
    hook.register(second)
    hook.register(first)
    assert hook.run(value="x") == [1, 2]
    assert calls == [("first", "x"), ("second", "x")]


def test_first_is_the_first_answer_that_is_not_none():
    hook = Hook("test.first")
    hook.register(lambda **_: None)
    hook.register(lambda **_: "label")
    hook.register(lambda **_: "later")
    assert hook.first() == "label"
    assert Hook("test.empty").first() is None


def test_a_handler_that_raises_stops_the_run():
    hook = Hook("test.raise")
    ran = []

    def boom(**_):
        raise RuntimeError("refused")

    hook.register(boom)
    hook.register(lambda **_: ran.append(True))
    with pytest.raises(RuntimeError):
        hook.run()
    assert ran == []


def test_replaced_runs_with_other_handlers_and_restores_the_registered_ones():
    hook = Hook("test.replaced")
    hook.register(lambda **_: "registered")
    with hook.replaced(lambda **_: "instead"):
        assert hook.run() == ["instead"]
    assert hook.run() == ["registered"]


@pytest.mark.parametrize(
    ("hook", "handler"),
    [
        (consent_withdrawn, "classvault.recordings.services.recordings_block_for_withdrawal"),
        (consent_withdrawn, "classvault.sharing.screenings.screenings_cancel_for_withdrawal"),
        (
            enrolment_changed,
            "classvault.retention.services.expiry.recordings_expiry_follow_enrolment",
        ),
        (enrolment_changed, "classvault.sharing.services.shares_revoke_outside_enrolment"),
        (recording_created, "classvault.retention.services.expiry.recording_retention_key_apply"),
        (kept_after_expiry_hook, "classvault.retention.selectors.held"),
        (retention_key_policy, "classvault.retention.services.expiry.retention_key_for_recording"),
        (stalled_work, "classvault.recordings.jobs.recordings_stalled"),
        (storage_problem, "classvault.vault.checks.storage_problem"),
        (schedule_ran, "classvault.rights.services.request_reminders_send"),
        (stalled_work, "classvault.redaction.jobs.redactions_stalled"),
    ],
)
def test_the_apps_above_register_their_handlers_when_django_starts(hook, handler):
    assert handler in {f"{h.__module__}.{h.__qualname__}" for h in hook.handlers}
