"""Reads about retention: days left, legal holds, which retention key a recording belongs
under, and the institute's overview of upcoming expiries."""

import uuid
from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Count, Exists, Min, OuterRef, Q, QuerySet
from django.utils.translation import gettext as _

from classvault.core.exceptions import Forbidden, Invalid
from classvault.core.time import end_of_day, today_in_amsterdam
from classvault.people.models import Role, User
from classvault.recordings.models import Recording, RecordingStatus
from classvault.recordings.rules import days_left, expiry_for
from classvault.sharing.selectors import recordings_visible
from classvault.vault.services import object_retention_key

from . import rules
from .models import LegalHold

MAX_WITHIN_DAYS = 366
HOLD_LIST_LIMIT = 50


def legal_hold_active(*, recording: Recording) -> bool:
    return LegalHold.objects.filter(recording=recording, released_at__isnull=True).exists()


def held() -> Exists:
    """An expression for ``Recording`` querysets: True while under an active legal hold."""
    return Exists(LegalHold.objects.filter(recording=OuterRef("pk"), released_at__isnull=True))


def recording_desired_retention_key(*, recording: Recording) -> str:
    """The retention key the recording's data keys belong under now: its own key while held
    (so a hold keeps no one else's key alive), else the key of its expiry day."""
    if legal_hold_active(recording=recording):
        return object_retention_key(str(recording.pk))
    return rules.day_retention_key(recording.expires_at)


def recordings_unassessed(recordings: QuerySet[Recording]) -> QuerySet[Recording]:
    """Those of ``recordings`` no trainer has assessed yet."""
    return recordings.filter(assessments__isnull=True)


def recordings_expiring(*, now: datetime, within_days: int) -> QuerySet[Recording]:
    """Recordings that the sweep will delete within ``within_days`` calendar days (days_left
    <= within_days): not yet expired, not failed (nothing left to lose), not held."""
    horizon = end_of_day(today_in_amsterdam(now) + timedelta(days=within_days))
    return (
        Recording.objects.filter(expires_at__gt=now, expires_at__lte=horizon)
        .exclude(status=RecordingStatus.FAILED)
        .exclude(held())
    )


def legal_hold_item(hold: LegalHold) -> dict[str, Any]:
    return {
        "id": str(hold.pk),
        "recording": str(hold.recording_id),
        "recording_title": hold.recording.title,
        "reason": hold.reason,
        "reference": hold.reference,
        "placed_by": hold.placed_by.username,
        "placed_at": hold.placed_at,
        "released_by": hold.released_by.username if hold.released_by else None,
        "released_at": hold.released_at,
    }


def legal_holds_list(*, actor: User, include_released: bool = False) -> list[dict[str, Any]]:
    """The legal holds, newest first, for the privacy officer; active ones only by default."""
    if actor.role != Role.PRIVACY_OFFICER:
        raise Forbidden(_("Only the privacy officer manages legal holds."))
    holds = LegalHold.objects.select_related("placed_by", "released_by", "recording")
    if not include_released:
        holds = holds.filter(released_at__isnull=True)
    return [legal_hold_item(hold) for hold in holds.order_by("-placed_at", "pk")]


def expiries_upcoming(*, actor: User, now: datetime, within_days: int) -> list[dict[str, Any]]:
    """Per trainer, their student teachers with unassessed recordings expiring soon (R1).

    Counts and dates only, no recording ids or titles: the institute admin may not see
    recordings (the visibility rule), only who must act before when. Student teachers
    without a trainer are listed under ``trainer`` None. Three queries, whatever the size.
    """
    if actor.role != Role.INSTITUTE_ADMIN:
        raise Forbidden(_("Only the institute's administrators see this overview."))
    if not 1 <= within_days <= MAX_WITHIN_DAYS:
        raise Invalid(_("within_days must be between 1 and %(max)s.") % {"max": MAX_WITHIN_DAYS})
    recordings = recordings_unassessed(recordings_expiring(now=now, within_days=within_days))
    per_owner = list(
        recordings.order_by()
        .values("owner_id")
        .annotate(count=Count("pk"), earliest=Min("expires_at"))
    )
    owners = (
        User.objects.filter(pk__in=[row["owner_id"] for row in per_owner])
        .select_related("enrolment")
        .prefetch_related("enrolment__trainers")
    )
    by_pk = {owner.pk: owner for owner in owners}
    groups: dict[str | None, dict[str, Any]] = {}
    members: dict[str | None, list[dict[str, Any]]] = defaultdict(list)
    for row in per_owner:
        owner = by_pk[row["owner_id"]]
        item = {
            "username": owner.username,
            "full_name": owner.full_name,
            "recordings": row["count"],
            "earliest_expires_at": row["earliest"],
            "days_left": days_left(row["earliest"], now),
        }
        enrolment = getattr(owner, "enrolment", None)
        trainers = [t for t in enrolment.trainers.all() if t.is_active] if enrolment else []
        for trainer in trainers or [None]:
            key = trainer.username if trainer else None
            groups.setdefault(
                key, {"trainer": key, "full_name": trainer.full_name if trainer else None}
            )
            members[key].append(item)
    result = []
    for key in sorted(groups, key=lambda k: (k is None, k or "")):
        students = sorted(members[key], key=lambda i: (i["earliest_expires_at"], i["username"]))
        result.append(groups[key] | {"student_teachers": students})
    return result


def recordings_for_holds(
    *, actor: User, now: datetime, search: str = "", limit: int = HOLD_LIST_LIMIT
) -> list[Recording]:
    """Recordings the privacy officer may place a hold on (THE visibility rule), newest
    first, each with ``held``; ``search`` matches the title, the student teacher's name or
    username, or the exact id. At most ``limit``. One query."""
    if actor.role != Role.PRIVACY_OFFICER:
        raise Forbidden(_("Only the privacy officer manages legal holds."))
    recordings = (
        recordings_visible(actor=actor, now=now)
        .select_related("owner", "school")
        .annotate(held=held())
    )
    search = search.strip()
    if search:
        match = (
            Q(title__icontains=search)
            | Q(owner__username__iexact=search)
            | Q(owner__full_name__icontains=search)
        )
        try:
            match |= Q(pk=uuid.UUID(search))
        except ValueError:
            pass
        recordings = recordings.filter(match)
    return list(recordings.order_by("-recorded_at", "pk")[:limit])


def legal_holds_of(*, actor: User, recording: Recording) -> list[dict[str, Any]]:
    """Every hold placed on the recording, newest first (privacy officer)."""
    if actor.role != Role.PRIVACY_OFFICER:
        raise Forbidden(_("Only the privacy officer manages legal holds."))
    holds = (
        LegalHold.objects.filter(recording=recording)
        .select_related("placed_by", "released_by", "recording")
        .order_by("-placed_at", "pk")
    )
    return [
        legal_hold_item(hold)
        | {
            "placed_by_name": hold.placed_by.display_name,
            "released_by_name": (hold.released_by.display_name if hold.released_by else None),
        }
        for hold in holds
    ]


def expiry_change_preview(
    *, actor: User, username: str, study_end: date | None, now: datetime
) -> dict[str, int]:
    """What setting a student teacher's study end to ``study_end`` would do to her
    recordings, before it is saved: how many expire earlier, how many later, and how many
    would then be past their expiry already (the sweep deletes those). Counts only: the
    institute admin may not see recordings. The same rule as the recompute
    (``recordings.rules.expiry_for``)."""
    if actor.role != Role.INSTITUTE_ADMIN:
        raise Forbidden(_("Only the institute's administrators see this overview."))
    months = settings.CLASSVAULT_RETENTION_MONTHS
    counts = {"earlier": 0, "later": 0, "expired": 0, "recordings": 0}
    rows = Recording.objects.filter(owner__username=username).values_list(
        "recorded_at", "expires_at"
    )
    for recorded_at, expires_at in rows:
        counts["recordings"] += 1
        new = expiry_for(recorded_at=recorded_at, study_end=study_end, months=months)
        if new < expires_at:
            counts["earlier"] += 1
            if new <= now < expires_at:
                counts["expired"] += 1
        elif new > expires_at:
            counts["later"] += 1
    counts["moved"] = counts["earlier"] + counts["later"]
    return counts
