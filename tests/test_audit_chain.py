"""The audit log is hash-chained, append-only in the database, and verify finds tampering.

Attacks by someone who can write the database (but has no key file) are in
test_audit_keyed.py."""

import pytest
from django.db import DatabaseError, connection, transaction

from classvault.audit.actions import AuditAction
from classvault.audit.keys import audit_key
from classvault.audit.models import AuditEvent, AuditHead
from classvault.audit.selectors import audit_verify
from classvault.audit.services import audit_record
from support.personas import NOW


def _disable_append_only():
    """Drop the guard (inside the test's transaction) to play an attacker with DB access."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("DROP TRIGGER audit_auditevent_no_update")
            cursor.execute("DROP TRIGGER audit_auditevent_no_delete")
        else:
            cursor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER USER")


def _events(n):
    with transaction.atomic():
        for i in range(n):
            audit_record(
                actor="tester",
                action=AuditAction.AUDIT_READ,
                object_type="thing",
                object_id=str(i),
                now=NOW,
                data={"i": i},
            )


def test_intact_chain_verifies(db):
    _events(5)
    assert audit_verify()[:2] == (5, None)


def test_empty_log_verifies(db):
    assert audit_verify()[:2] == (0, None)


def test_each_event_links_to_the_previous(db):
    _events(3)
    events = list(AuditEvent.objects.order_by("seq"))
    assert [e.seq for e in events] == [1, 2, 3]
    assert events[1].prev_hash == events[0].hash
    assert events[2].prev_hash == events[1].hash
    assert all(e.compute_hash(audit_key()) == e.hash for e in events)


def test_database_refuses_update(db):
    _events(1)
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(seq=1).update(actor="mallory")
    assert AuditEvent.objects.get(seq=1).actor == "tester"


def test_database_refuses_delete(db):
    _events(1)
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(seq=1).delete()
    assert AuditEvent.objects.count() == 1


@pytest.mark.parametrize(
    "field,value",
    [
        ("actor", "mallory"),
        ("action", "x.other"),
        ("object_id", "99"),
        ("purpose", "fun"),
        ("data", {"i": 42}),
    ],
)
def test_changed_field_is_found(db, field, value):
    _events(4)
    _disable_append_only()
    AuditEvent.objects.filter(seq=3).update(**{field: value})
    checked, broken, _ = audit_verify()
    assert broken is not None and broken.seq == 3
    assert checked == 2


def test_changed_instant_is_found(db):
    _events(3)
    _disable_append_only()
    event = AuditEvent.objects.get(seq=2)
    AuditEvent.objects.filter(seq=2).update(at=event.at.replace(year=2020))
    assert audit_verify()[1].seq == 2


def test_rehashed_row_breaks_the_next_link(db):
    _events(4)
    _disable_append_only()
    event = AuditEvent.objects.get(seq=2)
    event.actor = "mallory"
    AuditEvent.objects.filter(seq=2).update(actor="mallory", hash=event.compute_hash(audit_key()))
    assert audit_verify()[1].seq == 3


def test_deleted_row_is_found(db):
    _events(5)
    _disable_append_only()
    AuditEvent.objects.filter(seq=3).delete()
    broken = audit_verify()[1]
    assert broken.seq == 3
    assert "missing" in str(broken)


def test_deleted_last_row_is_found(db):
    _events(5)
    _disable_append_only()
    AuditEvent.objects.filter(seq=5).delete()
    broken = audit_verify()[1]
    assert broken is not None
    assert broken.seq == 5


def test_reordered_rows_are_found(db):
    _events(5)
    _disable_append_only()
    AuditEvent.objects.filter(seq=2).update(seq=-2)
    AuditEvent.objects.filter(seq=4).update(seq=2)
    AuditEvent.objects.filter(seq=-2).update(seq=4)
    broken = audit_verify()[1]
    assert broken is not None and broken.seq == 2


def test_truncation_with_a_rewritten_head_is_left_to_the_checkpoints(db):
    """Truncating and rewriting the head together is invisible to the chain alone (no
    checkpoint was written here: the test's transaction never commits); verify must at
    least agree with the head it was given. test_audit_keyed.py shows the checkpoint catch it."""
    _events(3)
    _disable_append_only()
    AuditEvent.objects.filter(seq=3).delete()
    last = AuditEvent.objects.get(seq=2)
    AuditHead.objects.filter(pk=1).update(last_seq=2, last_hash=last.hash)
    assert audit_verify()[:2] == (2, None)


def test_concurrent_style_appends_keep_sequence_dense(db):
    for _ in range(3):
        _events(2)
    assert list(AuditEvent.objects.values_list("seq", flat=True)) == [1, 2, 3, 4, 5, 6]
    assert audit_verify()[:2] == (6, None)
