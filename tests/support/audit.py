"""Asserting what the audit log says a state change did (every change writes its event)."""

from collections.abc import Iterator
from contextlib import contextmanager

from django.db.models import Max

from classvault.audit.models import AuditEvent


def assert_audited(
    action: str, *, actor: str | None = None, object_id=None, purpose: str | None = None, **data
) -> AuditEvent:
    """The one event of ``action`` by ``actor``, about ``object_id``, for ``purpose`` and with
    these ``data`` entries (each when given); returned for further checks."""
    events = AuditEvent.objects.filter(action=action, **{f"data__{k}": v for k, v in data.items()})
    if object_id is not None:
        events = events.filter(object_id=str(object_id))
    candidates = list(events.order_by("seq"))
    found = [e for e in candidates if actor in (None, e.actor) and purpose in (None, e.purpose)]
    assert len(found) == 1, (
        f"{action} about {object_id} with {data} by {actor} for {purpose}: {len(found)} events, "
        f"expected one; by and for: {[(e.actor, e.purpose) for e in candidates]}"
    )
    return found[0]


@contextmanager
def nothing_audited() -> Iterator[None]:
    """The block changes nothing the audit log would record (a refused request)."""
    last = AuditEvent.objects.aggregate(last=Max("seq"))["last"] or 0
    yield
    new = list(AuditEvent.objects.filter(seq__gt=last).values_list("action", flat=True))
    assert new == [], f"refused, yet audited: {new}"
