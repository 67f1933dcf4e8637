"""Writing audit events: always inside the transaction of the change they record."""

from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import F

from .models import AuditEvent, AuditHead

SYSTEM = "system"


def _actor_name(actor: Any) -> str:
    if actor is None:
        return SYSTEM
    if isinstance(actor, str):
        return actor
    return actor.get_username()


def audit_record(
    *,
    actor: Any,
    action: str,
    now: datetime,
    obj: Any = None,
    object_type: str = "",
    object_id: str = "",
    purpose: str = "",
    data: dict | None = None,
) -> AuditEvent:
    """Append one event to the chain.

    Must run inside the caller's atomic block, so the event commits or rolls back with the
    change it records. The head row is updated first: that takes the write lock on SQLite
    and the row lock on PostgreSQL, so concurrent writers append one after the other.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit_record must run inside the transaction of its change")
    if obj is not None:
        object_type = object_type or obj._meta.model_name
        object_id = object_id or str(obj.pk)
    AuditHead.objects.get_or_create(pk=1)
    AuditHead.objects.filter(pk=1).update(last_seq=F("last_seq"))
    head = AuditHead.objects.select_for_update().get(pk=1)
    event = AuditEvent(
        seq=head.last_seq + 1,
        at=now,
        actor=_actor_name(actor),
        action=action,
        object_type=object_type,
        object_id=object_id,
        purpose=purpose,
        data=data or {},
        prev_hash=head.last_hash,
    )
    event.hash = event.compute_hash()
    event.save(force_insert=True)
    AuditHead.objects.filter(pk=1).update(last_seq=event.seq, last_hash=event.hash)
    return event



@transaction.atomic
def audit_log_read(*, actor: Any, object_id: str | None, limit: int,
                   now: datetime) -> list[AuditEvent]:
    """Return events (all, or of one object) and log that they were read."""
    qs = AuditEvent.objects.order_by("seq")
    if object_id:
        qs = qs.filter(object_id=object_id)
    events = list(qs[:limit])
    audit_record(actor=actor, action="audit.read", object_type="audit",
                 object_id=object_id or "", now=now)
    return events
