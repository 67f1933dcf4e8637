"""Writing audit events: always inside the transaction of the change they record."""

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F

from .actions import AuditAction
from .checkpoints import CheckpointError, checkpoint_append, checkpoint_path
from .export import EXPORT_LIMIT, ExportTooLarge, export_document
from .keys import AuditKey, AuditKeyError, audit_key
from .models import AuditEvent, AuditHead
from .selectors import VERIFY, AuditQuery, Verification, audit_events, audit_verify

SYSTEM = "system"
KEYED = AuditAction.AUDIT_KEYED

logger = logging.getLogger(__name__)

# When this process last wrote a checkpoint, per checkpoint file (several in tests).
_last_checkpoint: dict[str, datetime] = {}


def _actor_name(actor: Any) -> str:
    if actor is None:
        return SYSTEM
    if isinstance(actor, str):
        return actor
    return actor.get_username()


def _lock_head() -> AuditHead:
    """The head row, locked: the write lock on SQLite and the row lock on PostgreSQL, so
    concurrent writers append one after the other."""
    AuditHead.objects.get_or_create(pk=1)
    AuditHead.objects.filter(pk=1).update(last_seq=F("last_seq"))
    return AuditHead.objects.select_for_update().get(pk=1)


def _append(head: AuditHead, key: AuditKey, **fields: Any) -> AuditEvent:
    """Insert the next event after ``head`` and advance ``head`` (in memory) to it."""
    event = AuditEvent(seq=head.last_seq + 1, prev_hash=head.last_hash, **fields)
    event.hash = event.compute_hash(key)
    event.save(force_insert=True)
    head.last_seq, head.last_hash = event.seq, event.hash
    if not head.keyed_from:
        head.keyed_from = event.seq
    return event


def _adopt_key(head: AuditHead, key: AuditKey, now: datetime) -> AuditEvent | None:
    """Record the switch to keyed hashes once, when a chain of plain SHA-256 events exists."""
    if head.keyed_from or not head.last_seq:
        return None
    return _append(
        head,
        key,
        at=now,
        actor=SYSTEM,
        action=KEYED.value,
        object_type="audit",
        data={"legacy_until": head.last_seq, "key": key.id},
    )


def _checkpoint_after_commit(
    key: AuditKey, seq: int, hash: str, now: datetime, force: bool
) -> None:
    """Pin entry ``seq`` outside the database when it is due; never fails the request.

    Due: the first keyed entry (it anchors the switch), every CHECKPOINT_EVERY-th entry, and
    the first entry after CHECKPOINT_SECONDS without a checkpoint from this process.
    """
    path = str(checkpoint_path())
    every = settings.CLASSVAULT_AUDIT_CHECKPOINT_EVERY
    last = _last_checkpoint.get(path)
    due = (
        force
        or (every > 0 and seq % every == 0)
        or last is None
        or abs(now - last) >= timedelta(seconds=settings.CLASSVAULT_AUDIT_CHECKPOINT_SECONDS)
    )
    if not due:
        return
    try:
        checkpoint_append(key=key, seq=seq, hash=hash, now=now)
    except OSError:
        logger.exception("The audit checkpoint of entry %s could not be written to %s", seq, path)
        return
    _last_checkpoint[path] = now


def audit_record(
    *,
    actor: Any,
    action: AuditAction,
    now: datetime,
    obj: Any = None,
    object_type: str = "",
    object_id: str = "",
    purpose: str = "",
    data: dict | None = None,
) -> AuditEvent:
    """Append one event to the chain.

    Must run inside the caller's atomic block, so the event commits or rolls back with the
    change it records. The head row is locked first, so concurrent writers append one after
    the other. Lock order: the head is the LAST lock a transaction takes. Lock and change
    every other row first, then record; a transaction that records and then locks another
    row deadlocks on PostgreSQL with one that holds that row and waits for the head (worker
    storing a key vs. an upload registering its recording). After the commit, a checkpoint
    of the new head may be appended to the checkpoint file (outside the transaction: a
    rolled-back event is never pinned).
    ``action`` is a member of :class:`AuditAction`; a plain string is refused.
    """
    if not isinstance(action, AuditAction):
        raise TypeError(f"audit_record takes an AuditAction, not {action!r}")
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit_record must run inside the transaction of its change")
    key = audit_key()  # before taking the lock: a missing key fails fast
    if obj is not None:
        object_type = object_type or obj._meta.model_name
        object_id = object_id or str(obj.pk)
    head = _lock_head()
    first_keyed = not head.keyed_from
    _adopt_key(head, key, now)
    event = _append(
        head,
        key,
        at=now,
        actor=_actor_name(actor),
        action=action.value,
        object_type=object_type,
        object_id=object_id,
        purpose=purpose,
        data=data or {},
    )
    AuditHead.objects.filter(pk=1).update(
        last_seq=head.last_seq, last_hash=head.last_hash, keyed_from=head.keyed_from
    )
    transaction.on_commit(
        lambda: _checkpoint_after_commit(key, event.seq, event.hash, now, first_keyed)
    )
    return event


@dataclass(frozen=True)
class AuditEntry:
    """One event for :func:`audit_record_many`: what :func:`audit_record` takes per call."""

    action: AuditAction
    object_type: str = ""
    object_id: str = ""
    purpose: str = ""
    data: dict = field(default_factory=dict)


def audit_record_many(*, actor: Any, now: datetime, entries: list[AuditEntry]) -> int:
    """Append several events to the chain in one go, in the order given; return how many.

    The same rules as :func:`audit_record` (inside the caller's transaction, the head the
    LAST lock), for a set-based change that records one event per object (the retention
    sweep, a batch of key destructions): the head is locked once, the events are chained one
    after the other in memory and inserted with one bulk insert. Checkpoints after the commit
    as if each had been recorded alone (every CHECKPOINT_EVERY-th entry is pinned).
    """
    for entry in entries:
        if not isinstance(entry.action, AuditAction):
            raise TypeError(f"audit_record_many takes AuditActions, not {entry.action!r}")
    if not entries:
        return 0
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit_record_many must run inside the transaction of its change")
    key = audit_key()  # before taking the lock: a missing key fails fast
    head = _lock_head()
    first_keyed = not head.keyed_from
    _adopt_key(head, key, now)
    events = []
    name = _actor_name(actor)
    for entry in entries:
        event = AuditEvent(
            seq=head.last_seq + 1,
            prev_hash=head.last_hash,
            at=now,
            actor=name,
            action=entry.action.value,
            object_type=entry.object_type,
            object_id=entry.object_id,
            purpose=entry.purpose,
            data=entry.data,
        )
        event.hash = event.compute_hash(key)
        events.append(event)
        head.last_seq, head.last_hash = event.seq, event.hash
        if not head.keyed_from:
            head.keyed_from = event.seq
    AuditEvent.objects.bulk_create(events, batch_size=500)
    AuditHead.objects.filter(pk=1).update(
        last_seq=head.last_seq, last_hash=head.last_hash, keyed_from=head.keyed_from
    )
    every = settings.CLASSVAULT_AUDIT_CHECKPOINT_EVERY
    pinned = [(e.seq, e.hash) for e in events[:-1] if every > 0 and e.seq % every == 0]
    last = events[-1]

    def checkpoints() -> None:
        for seq, hash in pinned:
            _checkpoint_after_commit(key, seq, hash, now, True)
        _checkpoint_after_commit(key, last.seq, last.hash, now, first_keyed)

    transaction.on_commit(checkpoints)
    return len(events)


def audit_key_adopt(*, now: datetime) -> AuditEvent | None:
    """Switch a chain written before the audit key existed to keyed hashes (``init``)."""
    key = audit_key()
    with transaction.atomic():
        head = _lock_head()
        event = _adopt_key(head, key, now)
        if event is not None:
            AuditHead.objects.filter(pk=1).update(
                last_seq=head.last_seq, last_hash=head.last_hash, keyed_from=head.keyed_from
            )
    return event


def audit_checkpoint(*, now: datetime) -> int:
    """Append a checkpoint of the current head now; return its sequence number (0: empty log).

    Written by ``classvault init`` and after every intact ``audit verify``.
    """
    key = audit_key()
    head = AuditHead.objects.filter(pk=1).first()
    if head is None or not head.last_seq:
        return 0
    checkpoint_append(key=key, seq=head.last_seq, hash=head.last_hash, now=now)
    _last_checkpoint[str(checkpoint_path())] = now
    return head.last_seq


@transaction.atomic
def audit_log_read(
    *,
    actor: Any,
    object_id: str | None,
    limit: int,
    now: datetime,
    newest_first: bool = False,
    query: AuditQuery | None = None,
) -> list[AuditEvent]:
    """Return events (all, of one object, or those matching ``query``) and log the read.

    Ordered by sequence number, oldest first or ``newest_first``; with ``query.after`` the
    page is the ``limit`` events just after that entry, still in the order asked. The
    ``audit.read`` event records what was asked (the query's filters), never what was found.
    """
    query = query or AuditQuery()
    if object_id:
        query = AuditQuery(**{**vars(query), "object_ids": (object_id,)})
    events = audit_events(query=query)
    if query.after is not None:
        # The page just after the cursor: the oldest of the newer ones.
        page = list(events.order_by("seq")[:limit])
        if newest_first:
            page.reverse()
    else:
        page = list(events.order_by("-seq" if newest_first else "seq")[:limit])
    audit_record(
        actor=actor,
        action=AuditAction.AUDIT_READ,
        object_type="audit",
        object_id=object_id or "",
        now=now,
        data=query.described(),
    )
    return page


def audit_verify_run(*, actor: Any, now: datetime) -> Verification:
    """Check the chain now (see :func:`audit_verify`) and record the outcome in the log.

    The walk reads the whole log, outside any transaction (it can take a while); the
    ``audit.verify`` event with its outcome is written after it, so the latest one says
    when the log was last checked, by whom, and what was found. A missing key or an
    unreadable checkpoint file is recorded as "could not be verified" and re-raised.
    """
    try:
        result = audit_verify()
    except (AuditKeyError, CheckpointError) as exc:
        with transaction.atomic():
            audit_record(
                actor=actor,
                action=VERIFY,
                object_type="audit",
                now=now,
                data={"outcome": "unverifiable", "reason": str(exc)},
            )
        raise
    data: dict[str, Any] = {
        "outcome": "intact" if result.broken is None else "broken",
        "checked": result.checked,
        "checkpoints": result.checkpoints,
    }
    if result.broken is not None:
        data |= {"broken_at": result.broken.seq, "reason": result.broken.reason}
    with transaction.atomic():
        audit_record(actor=actor, action=VERIFY, object_type="audit", now=now, data=data)
    return result


def audit_export(*, actor: Any, query: AuditQuery, now: datetime) -> dict[str, Any]:
    """The events matching ``query``, oldest first, as a signed document (audit/export.py)
    that ``classvault audit verify --export`` checks. The export is itself logged
    (``audit.export``, with the query and the count) in the transaction that reads them."""
    audit_key()  # a missing key fails before anything is read
    with transaction.atomic():
        events = list(audit_events(query=query).order_by("seq")[: EXPORT_LIMIT + 1])
        if len(events) > EXPORT_LIMIT:
            raise ExportTooLarge(
                f"The selection holds more than {EXPORT_LIMIT} events; narrow it down."
            )
        audit_record(
            actor=actor,
            action=AuditAction.AUDIT_EXPORT,
            object_type="audit",
            now=now,
            data={**query.described(), "count": len(events)},
        )
    return export_document(events=events, query=query, by=_actor_name(actor), now=now)
