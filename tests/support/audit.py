"""Asserting what the audit log says a state change did (every change writes its event)."""

from collections.abc import Iterator
from contextlib import contextmanager

from django.db.models import Max

from classvault.audit.models import AuditEvent


def assert_audited(action: str, *, actor: str | None = None, object_id=None,
                   purpose: str | None = None, **data) -> AuditEvent:
    """The one event of ``action`` about ``object_id`` and with these ``data`` entries (each
    when given), by ``actor``, for ``purpose`` (when given); returned for further checks."""
    events = AuditEvent.objects.filter(action=action, **{f"data__{k}": v for k, v in data.items()})
    if object_id is not None:
        events = events.filter(object_id=str(object_id))
    found = list(events.order_by("seq"))
    assert len(found) == 1, (f"{action} about {object_id} with {data}: {len(found)} events, "
                             "expected one")
    event = found[0]
    if actor is not None:
        assert event.actor == actor, f"{action} by {event.actor}, expected {actor}"
    if purpose is not None:
        assert event.purpose == purpose, f"{action} for {event.purpose!r}, expected {purpose!r}"
    return event


@contextmanager
def nothing_audited() -> Iterator[None]:
    """The block changes nothing the audit log would record (a refused request)."""
    last = AuditEvent.objects.aggregate(last=Max("seq"))["last"] or 0
    yield
    new = list(AuditEvent.objects.filter(seq__gt=last).values_list("action", flat=True))
    assert new == [], f"refused, yet audited: {new}"
