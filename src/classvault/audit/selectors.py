"""Reading and verifying the audit log."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from django.db.models import Max, Q, QuerySet

from .actions import AuditAction
from .checkpoints import Checkpoint, checkpoints_read
from .keys import audit_key
from .models import GENESIS_HASH, AuditEvent, AuditHead

KEYED = AuditAction.AUDIT_KEYED
VERIFY = AuditAction.AUDIT_VERIFY

# Key housekeeping: every recording's data key is created, re-wrapped under its retention
# key and destroyed; the audit key is adopted once. True and needed for proof, but noise
# when someone asks who did what: searches leave them out unless asked for.
TECHNICAL_PREFIXES = ("vault.", KEYED)


@dataclass(frozen=True)
class AuditQuery:
    """What to search the log for; every field narrows (empty: no narrowing).

    ``object_ids`` matches an event's object (a recording's or a pupil's id, a username);
    ``actor`` is a username or ``system``; ``actions`` exact action codes; ``since`` and
    ``until`` a half-open period [since, until). Paging is by sequence number: ``before``
    gives the newest events older than that entry, ``after`` the oldest newer than it.
    """

    object_ids: tuple[str, ...] = ()
    actor: str = ""
    actions: tuple[str, ...] = ()
    since: datetime | None = None
    until: datetime | None = None
    technical: bool = False
    before: int | None = None
    after: int | None = None

    def described(self) -> dict:
        """The query as it is logged with the read (the audit.read event's data)."""
        described = {
            "objects": list(self.object_ids),
            "actor": self.actor,
            "actions": list(self.actions),
            "since": self.since.isoformat() if self.since else "",
            "until": self.until.isoformat() if self.until else "",
            "technical": self.technical,
            "before": self.before,
            "after": self.after,
        }
        return {k: v for k, v in described.items() if v not in ("", [], None, False)}


def audit_events(*, query: AuditQuery) -> QuerySet[AuditEvent]:
    """The events matching ``query`` (unordered, not sliced: callers page it)."""
    events = AuditEvent.objects.all()
    if query.object_ids:
        events = events.filter(object_id__in=query.object_ids)
    if query.actor:
        events = events.filter(actor=query.actor)
    if query.actions:
        events = events.filter(action__in=query.actions)
    if query.since is not None:
        events = events.filter(at__gte=query.since)
    if query.until is not None:
        events = events.filter(at__lt=query.until)
    if not query.technical and not set(query.actions) & _technical(query.actions):
        housekeeping = Q()
        for prefix in TECHNICAL_PREFIXES:
            housekeeping |= Q(action__startswith=prefix)
        events = events.exclude(housekeeping)
    if query.before is not None:
        events = events.filter(seq__lt=query.before)
    if query.after is not None:
        events = events.filter(seq__gt=query.after)
    return events


def _technical(actions: tuple[str, ...]) -> set[str]:
    return {a for a in actions if is_technical(a)}


def is_technical(action: str) -> bool:
    return action.startswith(TECHNICAL_PREFIXES)


def audit_verify_last() -> AuditEvent | None:
    """The latest recorded run of :func:`audit_verify` (an ``audit.verify`` event), if any."""
    return AuditEvent.objects.filter(action=VERIFY).order_by("-seq").first()


@dataclass(frozen=True)
class ChainBreak:
    seq: int
    reason: str

    def __str__(self) -> str:
        return f"entry {self.seq}: {self.reason}"


class Verification(NamedTuple):
    checked: int  # entries intact before the first break (all of them when intact)
    broken: ChainBreak | None
    checkpoints: int  # checkpoint lines compared with the chain


def audit_last_at(
    *, actor_name: str, action: str, object_ids: Iterable[str]
) -> dict[str, datetime]:
    """When ``actor_name`` last did ``action`` to each of these objects (those she never
    did it to are left out): e.g. when a student teacher last opened her recordings, to
    count the feedback that is new to her. Her own trail, not a read of the log."""
    ids = list(object_ids)
    if not ids:
        return {}
    rows = (
        AuditEvent.objects.filter(actor=actor_name, action=action, object_id__in=ids)
        .values("object_id")
        .annotate(last=Max("at"))
    )
    return {row["object_id"]: row["last"] for row in rows}


def audit_verify(*, batch_size: int = 2000) -> Verification:
    """Walk the chain in order and compare it with the head row and the checkpoint file.

    Raises AuditKeyError when the audit key is missing and CheckpointError when the
    checkpoint file is unreadable or not written under this key: then nothing can be said.
    The checkpoints are read before the chain, so an event committed meanwhile never looks
    like a cut; the walk goes past the head read at the start for the same reason.
    """
    key = audit_key()
    marks = checkpoints_read(key=key)
    head = AuditHead.objects.filter(pk=1).first()
    last_seq, last_hash = (head.last_seq, head.last_hash) if head else (0, GENESIS_HASH)
    count = sum(len(found) for found in marks.values())

    def broken(at: int, reason: str) -> Verification:
        return Verification(at - 1, ChainBreak(at, reason), count)

    expected_seq, prev_hash, keyed_from, hash_at_head = 1, GENESIS_HASH, 0, None
    while True:
        page = list(AuditEvent.objects.filter(seq__gte=expected_seq).order_by("seq")[:batch_size])
        if not page:
            break
        for event in page:
            if event.seq != expected_seq:
                return broken(expected_seq, f"is missing (the next entry is {event.seq})")
            if event.prev_hash != prev_hash:
                return broken(
                    event.seq,
                    f"does not link to entry {event.seq - 1} (one of the two was changed)",
                )
            if event.compute_hash(key) == event.hash:
                if not keyed_from:
                    keyed_from = event.seq
                elif event.action == KEYED:
                    return broken(
                        event.seq,
                        "records a switch to keyed hashes that happened at "
                        f"entry {keyed_from} (the head row was changed)",
                    )
            elif keyed_from or event.compute_legacy_hash() != event.hash:
                # Plain SHA-256 is accepted only before the first keyed entry.
                return broken(
                    event.seq,
                    "was changed after it was written"
                    + (
                        ""
                        if keyed_from
                        else " (or the audit key is not the one it was written with)"
                    ),
                )
            for mark in marks.get(event.seq, ()):
                if mark.hash != event.hash:
                    return broken(event.seq, f"differs from {mark.where()}")
            if event.seq == last_seq:
                hash_at_head = event.hash
            prev_hash = event.hash
            expected_seq += 1
    checked = expected_seq - 1
    beyond: list[Checkpoint] = [m for seq in marks if seq > checked for m in marks[seq]]
    if beyond:
        newest = max(beyond, key=lambda m: m.seq)
        return broken(
            checked + 1,
            f"is missing: the log ends at entry {checked}, but "
            f"{newest.where()} records entry {newest.seq}",
        )
    if last_seq > checked:
        return broken(
            checked + 1, f"the log ends at entry {checked} but entry {last_seq} was written last"
        )
    if last_seq and hash_at_head != last_hash:
        return broken(last_seq, "differs from the head row (the head row was changed)")
    return Verification(checked, None, count)
