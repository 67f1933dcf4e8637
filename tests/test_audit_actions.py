"""Audit actions are a registry: only its members are written, and some test asserts each.

"Every state-changing service asserts its audit event" (STYLE.md) is checked here
statically: each action's value ("recording.create") or name (AuditAction.RECORDING_CREATE)
must occur in some test other than as the action a test writes itself with audit_record.
"""

import ast
from pathlib import Path

import pytest
from django.db import transaction

from classvault.audit.actions import AuditAction
from classvault.audit.models import AuditEvent
from classvault.audit.services import audit_record
from support.personas import NOW

TESTS = Path(__file__).parent


def _written_by_the_test(call: ast.Call) -> ast.AST | None:
    """The action= argument of an audit_record(...) call: an event the test writes itself."""
    name = call.func.attr if isinstance(call.func, ast.Attribute) else getattr(call.func, "id", "")
    if name != "audit_record":
        return None
    return next((kw.value for kw in call.keywords if kw.arg == "action"), None)


def _mentioned(source: str) -> set[str]:
    """The action values a test module names, by value or by AuditAction member."""
    tree = ast.parse(source)
    written = set()
    for call in ast.walk(tree):
        if isinstance(call, ast.Call) and (action := _written_by_the_test(call)) is not None:
            written |= {id(node) for node in ast.walk(action)}
    values = {action.value for action in AuditAction}
    found = set()
    for node in ast.walk(tree):
        if id(node) in written:
            continue
        if isinstance(node, ast.Constant) and node.value in values:
            found.add(node.value)
        elif (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id == "AuditAction"
            and node.attr in AuditAction.names
        ):
            found.add(AuditAction[node.attr].value)
    return found


def test_every_audit_action_is_asserted_by_some_test():
    asserted = set()
    for path in TESTS.rglob("*.py"):
        if path.resolve() != Path(__file__).resolve():
            asserted |= _mentioned(path.read_text(encoding="utf-8"))
    unasserted = sorted(action.value for action in AuditAction if action.value not in asserted)
    assert unasserted == [], f"No test asserts these audit actions: {', '.join(unasserted)}"


def test_the_scan_sees_values_and_members_but_not_an_event_a_test_writes():
    assert _mentioned('assert event.action == "recording.create"') == {"recording.create"}
    assert _mentioned("events(AuditAction.CONSENT_GIVE)") == {"consent.give"}
    assert _mentioned("audit_record(actor='t', action=AuditAction.AUDIT_READ, now=NOW)") == set()
    assert _mentioned("x = 'not.an_action'") == set()


@pytest.mark.parametrize("action", ["recording.create", "made.up", None])
def test_audit_record_refuses_anything_but_an_audit_action(db, action):
    with pytest.raises(TypeError, match="AuditAction"), transaction.atomic():
        audit_record(actor="tester", action=action, now=NOW)
    assert not AuditEvent.objects.exists()


def test_an_audit_action_is_stored_as_its_value(db):
    with transaction.atomic():
        audit_record(actor="tester", action=AuditAction.AUDIT_READ, now=NOW)
    assert AuditEvent.objects.values_list("action", flat=True).get() == "audit.read"
