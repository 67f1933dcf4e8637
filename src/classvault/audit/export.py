"""A selection of the audit log as a signed document, and the check of one (docs/audit.md).

The privacy officer hands a selection of the log to someone outside ClassVault (a
requester's lawyer, the Autoriteit Persoonsgegevens). The document carries every field of
each event, including ``prev_hash`` and ``hash``, and one signature: HMAC-SHA256 under the
audit key over the canonical form of the whole document without the signature. So
``classvault audit verify --export FILE`` shows (1) that the document is as exported (the
signature), (2) that each event is as it was written (its own keyed hash), (3) that events
with consecutive numbers link to each other, and (4) where the log is at hand, that each
event is still in the log, unchanged. Anyone who holds the audit key can check it; nobody
without the key can forge one.
"""

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from classvault.core.exceptions import Invalid

from .keys import audit_key
from .models import AuditEvent
from .selectors import AuditQuery

FORMAT = "classvault-audit-export-1"
EXPORT_LIMIT = 50_000


class ExportTooLarge(Invalid):
    """The selection holds more events than one export may (422)."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)


def _canonical(document: dict[str, Any]) -> bytes:
    body = {k: v for k, v in document.items() if k != "signature"}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _event(e: AuditEvent) -> dict[str, Any]:
    return {
        "seq": e.seq,
        "at": e.at.astimezone(UTC).isoformat(timespec="microseconds"),
        "actor": e.actor,
        "action": e.action,
        "object_type": e.object_type,
        "object_id": e.object_id,
        "purpose": e.purpose,
        "data": e.data,
        "prev_hash": e.prev_hash,
        "hash": e.hash,
    }


def export_document(
    *, events: list[AuditEvent], query: AuditQuery, by: str, now: datetime
) -> dict[str, Any]:
    """The signed document of ``events`` (see the module's docstring)."""
    key = audit_key()
    document: dict[str, Any] = {
        "format": FORMAT,
        "exported_at": now.astimezone(UTC).isoformat(timespec="microseconds"),
        "exported_by": by,
        "query": query.described(),
        "key": key.id,
        "count": len(events),
        "events": [_event(e) for e in events],
    }
    document["signature"] = key.mac(_canonical(document))
    return document


@dataclass
class ExportCheck:
    """What :func:`audit_export_verify` found; ``problems`` empty when the export is sound."""

    count: int = 0
    in_log: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def audit_export_verify(document: Any, *, against_log: bool = True) -> ExportCheck:
    """Check a document made by :func:`audit_export` under the configured audit key."""
    check = ExportCheck()
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        check.problems.append(f"not a ClassVault audit export ({FORMAT})")
        return check
    key = audit_key()
    if document.get("key") != key.id:
        check.problems.append(
            f"signed with audit key {document.get('key')}, not the configured key {key.id}"
        )
        return check
    if key.mac(_canonical(document)) != document.get("signature"):
        check.problems.append("the signature does not match: the document was changed")
    events = document.get("events")
    if not isinstance(events, list) or document.get("count") != len(events):
        check.problems.append("the number of events does not match the document's count")
        return check
    check.count = len(events)
    previous: dict[str, Any] | None = None
    for raw in events:
        try:
            event = AuditEvent(
                seq=raw["seq"],
                at=datetime.fromisoformat(raw["at"]),
                actor=raw["actor"],
                action=raw["action"],
                object_type=raw["object_type"],
                object_id=raw["object_id"],
                purpose=raw["purpose"],
                data=raw["data"],
                prev_hash=raw["prev_hash"],
            )
        except (KeyError, TypeError, ValueError):
            check.problems.append("an event lacks one of its fields")
            return check
        if event.compute_hash(key) != raw["hash"]:
            check.problems.append(f"entry {event.seq} was changed after it was written")
        if previous is not None and previous["seq"] + 1 == event.seq:
            if event.prev_hash != previous["hash"]:
                check.problems.append(f"entry {event.seq} does not link to entry {event.seq - 1}")
        previous = raw
    if against_log and events:
        stored = dict(
            AuditEvent.objects.filter(seq__in=[e["seq"] for e in events]).values_list("seq", "hash")
        )
        for raw in events:
            if raw["seq"] not in stored:
                continue
            if stored[raw["seq"]] != raw["hash"]:
                check.problems.append(f"entry {raw['seq']} differs from the log")
            else:
                check.in_log += 1
    return check
