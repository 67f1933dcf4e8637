"""THE visibility rule: who may see a recording. Every interface fetches through here.

Until its ``expires_at``: the owner; the owner's current supervisors at the school where it
was recorded (custodians); the owner's current trainers it is shared with; attendees of an
online screening while it runs; the privacy officer. Nobody else, whatever their role.
From ``expires_at`` on, sweep or not: nobody, except the privacy officer while something
keeps it (a legal hold; see :mod:`.hooks`). Missing and forbidden look the same to the
caller: :class:`NotVisible` (404).

A deactivated account sees nothing. It cannot sign in anyway; this holds for any path that
still carries an old user object (a job, a stale request). Its shares are kept, not
deleted: they are the student teacher's decision (R6), and a reactivated trainer coaches on.
A deactivated student teacher's recordings stay visible to the others above until they
expire: they follow the retention rules, not the account (R9).
"""

import uuid
from datetime import datetime
from typing import Any

from django.db.models import Exists, Max, OuterRef, Q, QuerySet, Subquery
from django.utils.translation import gettext as _

from classvault.core.exceptions import NotVisible
from classvault.core.paging import (
    cursor_decode,
    cursor_id,
    cursor_instant,
    cursor_pack,
    cursor_unpack,
    invalid_cursor,
    keyset_cut,
    keyset_page,
    keyset_rows,
    page_limit,
)
from classvault.core.prepared import prepared_values
from classvault.people.models import Enrolment, Role, User
from classvault.recordings.models import Assessment, Comment, Recording
from classvault.recordings.rules import days_left
from classvault.recordings.selectors import (
    RECORDING_ITEM_VALUES,
    recording_item,
    recording_item_from_values,
)

from .hooks import kept_after_expiry, kept_after_expiry_hook
from .models import Screening, ScreeningMode, Share


def recordings_visible(*, actor: User, now: datetime) -> QuerySet[Recording]:
    """Every recording the actor may see at ``now``."""
    recordings = Recording.objects.all()
    if not actor.is_active:
        return recordings.none()
    alive = Q(expires_at__gt=now)
    ids = _visible_ids(actor=actor, now=now)
    if ids is None:  # the privacy officer
        kept = kept_after_expiry()
        return recordings.filter(alive if kept is None else alive | kept)
    return recordings.filter(alive, pk__in=ids)


def _visible_ids(*, actor: User, now: datetime) -> QuerySet | None:
    """The ids of the recordings the rule admits for ``actor`` besides expiry, as a UNION
    of one small indexed query per way in: what she owns, what she is custodian of, what is
    shared with her, what she attends a screening of.

    One rule, written as branches that each start from an index on the actor (owner, share
    user, supervisor link, screening attendee) instead of an ``OR`` of ``EXISTS`` clauses,
    which PostgreSQL can only answer by testing every recording in the country. None for
    the privacy officer, who is admitted to every recording.
    """
    if actor.role == Role.PRIVACY_OFFICER:
        return None
    branches = [Recording.objects.filter(owner=actor).order_by().values("pk")]
    if actor.role == Role.SCHOOL_SUPERVISOR:
        # Custodian only of what was recorded at her own school: a student teacher placed
        # elsewhere brings her older recordings to nobody at the new school.
        branches.append(
            Recording.objects.filter(school_id=actor.school_id, owner__enrolment__supervisors=actor)
            .order_by()
            .values("pk")
        )
    elif actor.role == Role.TRAINER:
        # Shared with them AND still one of the owner's trainers: removing a trainer from
        # the student teacher takes away everything shared with them at once.
        branches.append(
            Share.objects.filter(user=actor, recording__owner__enrolment__trainers=actor)
            .order_by()
            .values("recording_id")
        )
    elif actor.role == Role.STUDENT_TEACHER:
        branches.append(
            Screening.objects.filter(
                attendees=actor,
                mode=ScreeningMode.ONLINE,
                cancelled_at__isnull=True,
                starts_at__lte=now,
                ends_at__gt=now,
            )
            .order_by()
            .values("recording_id")
        )
    first, *rest = branches
    return first.union(*rest, all=True) if rest else first


def recording_get_visible(
    *, actor: User, recording_id: str | uuid.UUID, now: datetime
) -> Recording:
    """The recording, or NotVisible when it does not exist or the actor may not see it."""
    try:
        pk = uuid.UUID(str(recording_id))
    except ValueError:
        raise NotVisible(_("No such recording.")) from None
    recording = Recording.objects.select_related("owner", "school").filter(pk=pk).first()
    if recording is None or not actor.is_active:
        raise NotVisible(_("No such recording."))
    # The owner and the privacy officer need no further query while the recording has not
    # expired (most requests are theirs); everyone else, and everyone after expiry, goes
    # through the full rule.
    if recording.expires_at > now and (
        recording.owner_id == actor.pk or actor.role == Role.PRIVACY_OFFICER
    ):
        return recording
    if not recordings_visible(actor=actor, now=now).filter(pk=pk).exists():
        raise NotVisible(_("No such recording."))
    return recording


def is_custodian(*, actor: User, recording: Recording) -> bool:
    """The owner, or one of the owner's supervisors at the school where it was recorded:
    they manage access (R6). Only asked about a recording fetched through
    :func:`recording_get_visible`, which has already refused an expired one."""
    if recording.owner_id == actor.pk:
        return True
    return (
        actor.role == Role.SCHOOL_SUPERVISOR
        and actor.school_id is not None
        and actor.school_id == recording.school_id
        and Enrolment.objects.filter(
            student_teacher_id=recording.owner_id, supervisors=actor
        ).exists()
    )


def shared_with(*, recording: Recording) -> list[str]:
    return sorted(
        Share.objects.filter(recording=recording).values_list("user__username", flat=True)
    )


def shared_with_many(*, recordings: list[Recording]) -> dict[Any, list[str]]:
    """:func:`shared_with` of many recordings in one query, by recording pk."""
    out: dict[Any, list[str]] = {r.pk: [] for r in recordings}
    for recording_id, username in Share.objects.filter(recording__in=recordings).values_list(
        "recording_id", "user__username"
    ):
        out[recording_id].append(username)
    return {pk: sorted(names) for pk, names in out.items()}


def may_give_feedback(*, actor: User, recording: Recording) -> bool:
    """Owner, custodians and shared trainers comment; screening attendees only watch."""
    if is_custodian(actor=actor, recording=recording):
        return True
    return (
        actor.role == Role.TRAINER
        and Share.objects.filter(recording=recording, user=actor).exists()
    )


def recording_detail(*, actor: User, recording: Recording) -> dict[str, Any]:
    detail = recording_item(recording) | {
        "school": recording.school.code,
        "shared_with": shared_with(recording=recording),
        "legal_hold": _kept(recording),
        "failure_reason": recording.failure_reason or None,
        "duration_seconds": recording.duration_seconds,
    }
    # Who was present is for those who manage the recording and the privacy officer only.
    if actor.role == Role.PRIVACY_OFFICER or is_custodian(actor=actor, recording=recording):
        detail["pupils"] = [
            str(pk)
            for pk in recording.presences.filter(attested_out_of_view=False).values_list(
                "pupil_id", flat=True
            )
        ]
    return detail


def _kept(recording: Recording) -> bool:
    """Whether something keeps the recording past its expiry (a legal hold, see .hooks)."""
    kept = kept_after_expiry()
    return kept is not None and Recording.objects.filter(kept, pk=recording.pk).exists()


def recordings_inbox(*, actor: User, now: datetime) -> list[dict[str, Any]]:
    """What the actor may see, as a work queue: unassessed first, then what expires first
    (a trainer's inbox), with days left, who it is shared with, the latest assessment, and
    whether others commented since the actor last gave feedback ("new feedback")."""
    rows = _inbox_rows(actor=actor, now=now).order_by("assessed", "expires_at", "pk")
    return [_inbox_row(r, now) for r in rows]


def recordings_inbox_page(
    *, actor: User, now: datetime, limit: int | None = None, cursor: str | None = None
) -> tuple[list[dict[str, Any]], str | None]:
    """One page of :func:`recordings_inbox`, and the next page's cursor (None on the last).

    The privacy officer's list is every recording in the country and no work queue of hers
    (she assesses nothing): newest first, walked along an index. Everyone else's is their
    own work queue, paged in its order (unassessed, expires first, id).
    """
    rows = _inbox_rows(actor=actor, now=now)
    if actor.role == Role.PRIVACY_OFFICER:
        page, after = keyset_page(rows, field="recorded_at", limit=limit, cursor=cursor)
        return [_inbox_row(r, now) for r in page], after
    size = page_limit(limit)
    if cursor:
        assessed, expires, pk = cursor_unpack(cursor, 3)
        if assessed not in ("0", "1"):
            raise invalid_cursor()
        at, last = cursor_instant(expires), cursor_id(pk)
        later = Q(expires_at__gt=at) | Q(expires_at=at, pk__gt=last)
        rows = rows.filter(
            Q(assessed=True) | later if assessed == "0" else Q(assessed=True) & later
        )
    page = list(rows.order_by("assessed", "expires_at", "pk")[: size + 1])
    after = None
    if len(page) > size:
        page = page[:size]
        last_row = page[-1]
        after = cursor_pack(
            "1" if last_row.assessed else "0", last_row.expires_at.isoformat(), str(last_row.pk)
        )
    return [_inbox_row(r, now) for r in page], after


def _inbox_rows(*, actor: User, now: datetime) -> QuerySet[Recording]:
    latest = Assessment.objects.filter(recording=OuterRef("pk")).order_by(
        "-assessed_on", "-created_at"
    )
    return (
        recordings_visible(actor=actor, now=now)
        .select_related("owner")
        .prefetch_related("shares__user")
        .annotate(
            assessed=Exists(Assessment.objects.filter(recording=OuterRef("pk"))),
            verdict=Subquery(latest.values("verdict")[:1]),
            assessed_on=Subquery(latest.values("assessed_on")[:1]),
            others_at=Subquery(_last_comment(~Q(author=actor))),
            mine_at=Subquery(_last_comment(Q(author=actor))),
        )
    )


def _inbox_row(r: Recording, now: datetime) -> dict[str, Any]:
    return {
        "recording": r,
        "days_left": days_left(r.expires_at, now),
        "assessed": r.assessed,
        "verdict": r.verdict,
        "assessed_on": r.assessed_on,
        "new_feedback": r.others_at is not None and (r.mine_at is None or r.others_at > r.mine_at),
        "shared_with": sorted(s.user.display_name for s in r.shares.all()),
    }


def _last_comment(whose: Q):
    """When the last comment matching ``whose`` was made on the outer recording."""
    return (
        Comment.objects.filter(whose, recording=OuterRef("pk"))
        .values("recording")
        .annotate(last=Max("created_at"))
        .values("last")[:1]
    )


def recordings_page(
    *, actor: User, now: datetime, limit: int | None = None, cursor: str | None = None
) -> tuple[list[dict[str, Any]], str | None]:
    """One page of what the actor may see as list items (:func:`recording_item`), newest
    recording first, and the next page's cursor (None on the last page): no list answers
    with every recording in the country.

    Every API list request runs this, so it is kept cheap: one query of plain values, no
    model instances, and its SQL compiled once per role (:mod:`classvault.core.prepared`)
    from the same :func:`recordings_visible` every other read goes through.
    """
    size = page_limit(limit)
    after = cursor_decode(cursor) if cursor else None
    if not actor.is_active:
        return [], None
    values: dict[str, Any] = {"actor": actor.pk, "now": now}
    if actor.school_id is not None:
        values["school"] = actor.school_id
    if after is not None:
        values["at"], values["after"] = after
    role = actor.role

    def build(v: dict[str, Any]) -> QuerySet:
        # A stand-in for the actor with only what the rule reads: the values and the role.
        stand_in = User(pk=v["actor"], role=role, school_id=v.get("school"), is_active=True)
        rows = recordings_visible(actor=stand_in, now=v["now"]).values(*RECORDING_ITEM_VALUES)
        bound = (v["at"], v["after"]) if "at" in v else None
        return keyset_rows(rows, field="recorded_at", after=bound)

    # The shape: the role, and what retention keeps past expiry (the officer's exception).
    shape = ("recordings_page", role, kept_after_expiry_hook.handlers)
    rows = prepared_values(shape, build, values, limit=size + 1)
    page, next_cursor = keyset_cut(rows, field="recorded_at", size=size)
    return [recording_item_from_values(row) for row in page], next_cursor
