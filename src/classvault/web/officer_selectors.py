"""What the school admin's and the privacy officer's pages show, composed from the apps'
own selectors and services (the web app owns no data and writes no audit event itself)."""

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from classvault.audit.models import AuditEvent
from classvault.audit.selectors import AuditQuery, audit_verify_last, is_technical
from classvault.audit.services import audit_log_read
from classvault.consent.selectors import consent_register, pupils_named
from classvault.core.health import health_detail
from classvault.people import selectors as people_selectors
from classvault.people.models import User
from classvault.redaction.selectors import recordings_blocked_for_officer
from classvault.retention.selectors import legal_holds_list
from classvault.rights.selectors import requests_overdue
from classvault.sharing.selectors import recordings_visible

from .audit_labels import NOTEWORTHY, action_label, purpose_label

AUDIT_PAGE_SIZE = 50
RECENT_NOTEWORTHY = 10


def school_admin_home(*, user: User, now: datetime) -> dict[str, Any]:
    register = consent_register(actor=user, now=now)
    return {
        "school": user.school,
        "register": register,
        "missing_recording": sum(len(g["without_recording"]) for g in register),
        "missing_peer": sum(len(g["without_peer"]) for g in register),
        "pupil_count": sum(g["total"] for g in register),
        "enrolments": people_selectors.enrolments_for(actor=user),
    }


def privacy_officer_home(*, user: User, now: datetime) -> dict[str, Any]:
    # Reading the log is itself logged, as every read of it is (audit.read).
    events = audit_log_read(
        actor=user,
        object_id=None,
        limit=RECENT_NOTEWORTHY,
        now=now,
        newest_first=True,
        query=AuditQuery(actions=NOTEWORTHY),
    )
    return {
        "legal_holds": legal_holds_list(actor=user),
        # After a withdrawal: each blocked recording, with redaction offered beside deletion.
        "blocked": recordings_blocked_for_officer(actor=user, now=now),
        # Without a worker, expired recordings are not deleted: the privacy officer must know.
        "health": health_detail(now=now),
        "recent_events": audit_rows(actor=user, events=events, now=now),
        "verification": verification_last(),
        "requests_overdue": requests_overdue(actor=user, now=now).count(),
    }


@dataclass
class AuditRow:
    """One event as a person reads it."""

    event: AuditEvent
    what: str
    who: User | None
    purpose: str
    technical: bool
    recording: Any = None  # a visible Recording, or None
    pupil: Any = None  # a Pupil the reader manages, or None
    details: list[str] = field(default_factory=list)

    @property
    def recording_gone(self) -> bool:
        return self.event.object_type == "recording" and self.recording is None


def audit_rows(*, actor: User, events: list[AuditEvent], now: datetime) -> list[AuditRow]:
    """Name the people, recordings and pupils the events are about: three queries, whatever
    the page's size. A recording the reader may no longer see (deleted, expired) keeps its id."""
    users = people_selectors.users_named(usernames={e.actor for e in events})
    ids = {e.object_id for e in events if _is_uuid(e.object_id)}
    recordings = (
        {
            str(r.pk): r
            for r in recordings_visible(actor=actor, now=now)
            .filter(pk__in=list(ids))
            .select_related("owner")
        }
        if ids
        else {}
    )
    pupils = pupils_named(actor=actor, pupil_ids=ids - recordings.keys())
    return [
        AuditRow(
            event=e,
            what=action_label(e.action),
            who=users.get(e.actor),
            purpose=purpose_label(e.purpose),
            technical=is_technical(e.action),
            recording=recordings.get(e.object_id),
            pupil=pupils.get(e.object_id),
        )
        for e in events
    ]


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


@dataclass
class AuditPage:
    rows: list[AuditRow]
    older: int | None  # the cursor of the next (older) page, None when this is the last
    newer: int | None  # the cursor of the previous (newer) page, None on the first


def audit_page(
    *, actor: User, query: AuditQuery, now: datetime, size: int = AUDIT_PAGE_SIZE
) -> AuditPage:
    """One page of the log, newest first, read through the audited read."""
    events = audit_log_read(
        actor=actor, object_id=None, limit=size + 1, now=now, newest_first=True, query=query
    )
    if query.after is not None:
        # Paging back towards the newest: the extra event, if any, lies at the top.
        more_newer = len(events) > size
        events = events[-size:] if more_newer else events
        more_older = True
    else:
        more_older = len(events) > size
        events = events[:size]
        more_newer = query.before is not None
    rows = audit_rows(actor=actor, events=events, now=now)
    return AuditPage(
        rows=rows,
        older=events[-1].seq if events and more_older else None,
        newer=events[0].seq if events and more_newer else None,
    )


def verification_last() -> dict[str, Any] | None:
    """The last recorded check of the chain: when, by whom, and its outcome."""
    event = audit_verify_last()
    if event is None:
        return None
    who = people_selectors.users_named(usernames=[event.actor]).get(event.actor)
    return {"at": event.at, "who": who, "actor": event.actor, **event.data}
