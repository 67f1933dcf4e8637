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
from classvault.people.models import Enrolment, Role, User
from classvault.recordings.models import Assessment, Comment, Recording
from classvault.recordings.rules import days_left
from classvault.recordings.selectors import recording_item

from .hooks import kept_after_expiry
from .models import Screening, ScreeningMode, Share


def recordings_visible(*, actor: User, now: datetime) -> QuerySet[Recording]:
    """Every recording the actor may see at ``now``."""
    recordings = Recording.objects.all()
    if not actor.is_active:
        return recordings.none()
    alive = Q(expires_at__gt=now)
    if actor.role == Role.PRIVACY_OFFICER:
        kept = kept_after_expiry()
        return recordings.filter(alive if kept is None else alive | kept)
    rule = Q(owner=actor)
    if actor.role == Role.SCHOOL_SUPERVISOR:
        # Custodian only of what was recorded at her own school: a student teacher placed
        # elsewhere brings her older recordings to nobody at the new school.
        rule |= Q(school_id=actor.school_id) & Q(
            Exists(Enrolment.objects.filter(student_teacher=OuterRef("owner"), supervisors=actor))
        )
    elif actor.role == Role.TRAINER:
        # Shared with them AND still one of the owner's trainers: removing a trainer from
        # the student teacher takes away everything shared with them at once.
        rule |= Q(Exists(Share.objects.filter(recording=OuterRef("pk"), user=actor))) & Q(
            Exists(Enrolment.objects.filter(student_teacher=OuterRef("owner"), trainers=actor))
        )
    elif actor.role == Role.STUDENT_TEACHER:
        rule |= Q(
            Exists(
                Screening.objects.filter(
                    recording=OuterRef("pk"),
                    attendees=actor,
                    mode=ScreeningMode.ONLINE,
                    cancelled_at__isnull=True,
                    starts_at__lte=now,
                    ends_at__gt=now,
                )
            )
        )
    return recordings.filter(alive & rule)


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
    latest = Assessment.objects.filter(recording=OuterRef("pk")).order_by(
        "-assessed_on", "-created_at"
    )
    recordings = (
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
        .order_by("assessed", "expires_at")
    )
    return [
        {
            "recording": r,
            "days_left": days_left(r.expires_at, now),
            "assessed": r.assessed,
            "verdict": r.verdict,
            "assessed_on": r.assessed_on,
            "new_feedback": r.others_at is not None
            and (r.mine_at is None or r.others_at > r.mine_at),
            "shared_with": sorted(s.user.display_name for s in r.shares.all()),
        }
        for r in recordings
    ]


def _last_comment(whose: Q):
    """When the last comment matching ``whose`` was made on the outer recording."""
    return (
        Comment.objects.filter(whose, recording=OuterRef("pk"))
        .values("recording")
        .annotate(last=Max("created_at"))
        .values("last")[:1]
    )
