"""Time-coded comments and assessments: coaching and assessment (R1, R4)."""

import uuid
from datetime import date, datetime

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from classvault.audit.actions import AuditAction
from classvault.audit.services import audit_record
from classvault.core.exceptions import Forbidden, Invalid, NotVisible
from classvault.core.time import today_in_amsterdam
from classvault.people.models import NotificationKind, Role, User
from classvault.people.notifications import notifications_send
from classvault.recordings.models import Assessment, Comment, Recording

from .selectors import may_give_feedback


def may_assess(*, actor: User, recording: Recording) -> bool:
    """A trainer the recording is shared with assesses it; nobody else (R1)."""
    return actor.role == Role.TRAINER and may_give_feedback(actor=actor, recording=recording)


def _require_feedback(actor: User, recording: Recording) -> None:
    if not may_give_feedback(actor=actor, recording=recording):
        raise Forbidden(
            _(
                "Only the student teacher, their supervisor and the trainers it is "
                "shared with see and give feedback."
            )
        )


def _feedback_purpose(actor: User) -> str:
    """Why feedback is given, for the audit log (R4): a trainer assesses, the others coach."""
    return "assessment" if actor.role == Role.TRAINER else "coaching"


def _check_at_seconds(recording: Recording, at_seconds: float) -> None:
    if at_seconds < 0 or (
        recording.duration_seconds and at_seconds > recording.duration_seconds + 1
    ):
        raise Invalid(_("The time code lies outside the recording."))


def _notify_feedback(actor: User, recording: Recording, now: datetime) -> None:
    """New feedback: the owner hears of others' comments; the trainers the recording is
    shared with hear of the owner's own."""
    if actor.pk != recording.owner_id:
        recipients = [recording.owner]
    else:
        recipients = list(
            User.objects.filter(shares__recording=recording, role=Role.TRAINER).order_by("pk")
        )
    notifications_send(
        recipients=recipients,
        kind=NotificationKind.FEEDBACK,
        recording_id=recording.pk,
        actor=actor,
        now=now,
    )


@transaction.atomic
def comment_add(
    *, actor: User, recording: Recording, at_seconds: float, text: str, now: datetime
) -> Comment:
    _require_feedback(actor, recording)
    text = text.strip()
    if not text:
        raise Invalid(_("Write a comment."))
    _check_at_seconds(recording, at_seconds)
    comment = Comment.objects.create(
        recording=recording, author=actor, at_seconds=at_seconds, text=text[:4000], created_at=now
    )
    audit_record(
        actor=actor,
        action=AuditAction.COMMENT_ADD,
        obj=recording,
        now=now,
        purpose=_feedback_purpose(actor),
        data={"comment": str(comment.pk), "at_seconds": at_seconds},
    )
    _notify_feedback(actor, recording, now)
    return comment


def _own_comment(actor: User, recording: Recording, comment_id: str) -> Comment:
    """The actor's own comment on this recording, locked; another's is refused (403), a
    missing one, or one on another recording, is NotVisible (404)."""
    _require_feedback(actor, recording)
    try:
        pk = uuid.UUID(str(comment_id))
    except ValueError:
        raise NotVisible(_("No such comment.")) from None
    comment = (
        Comment.objects.select_for_update()
        .filter(pk=pk, recording=recording)
        .select_related("author")
        .first()
    )
    if comment is None:
        raise NotVisible(_("No such comment."))
    if comment.author_id != actor.pk:
        raise Forbidden(_("Only the author of a comment can change or delete it."))
    return comment


@transaction.atomic
def comment_edit(
    *,
    actor: User,
    recording: Recording,
    comment_id: str,
    now: datetime,
    text: str | None = None,
    at_seconds: float | None = None,
) -> Comment:
    """The author corrects her comment's text or time code (audited; the old text is not
    kept anywhere, the audit event names the comment, not what it said)."""
    comment = _own_comment(actor, recording, comment_id)
    if text is None and at_seconds is None:
        raise Invalid(_("Give the new text or time code of the comment."))
    if text is not None:
        text = text.strip()
        if not text:
            raise Invalid(_("Write a comment."))
        comment.text = text[:4000]
    if at_seconds is not None:
        _check_at_seconds(recording, at_seconds)
        comment.at_seconds = at_seconds
    comment.save(update_fields=["text", "at_seconds"])
    audit_record(
        actor=actor,
        action=AuditAction.COMMENT_EDIT,
        obj=recording,
        now=now,
        purpose=_feedback_purpose(actor),
        data={"comment": str(comment.pk), "at_seconds": comment.at_seconds},
    )
    return comment


@transaction.atomic
def comment_delete(*, actor: User, recording: Recording, comment_id: str, now: datetime) -> None:
    """The author takes her comment back: the row is gone, without a tombstone.

    A comment is personal data about the student teacher (and may mention pupils); keeping
    its text, or a "deleted" placeholder on the timeline, would keep what the author chose to
    remove. What stays is the audit event: who deleted which comment (by id) when, never its
    text, so the log still accounts for every change.
    """
    comment = _own_comment(actor, recording, comment_id)
    comment_pk, at_seconds = str(comment.pk), comment.at_seconds
    comment.delete()
    audit_record(
        actor=actor,
        action=AuditAction.COMMENT_DELETE,
        obj=recording,
        now=now,
        purpose=_feedback_purpose(actor),
        data={"comment": comment_pk, "at_seconds": at_seconds},
    )


def comments_for(*, actor: User, recording: Recording) -> QuerySet[Comment]:
    _require_feedback(actor, recording)
    return recording.comments.select_related("author").order_by("at_seconds", "created_at")


def assessments_for(*, actor: User, recording: Recording) -> QuerySet[Assessment]:
    """The assessments of the lesson, newest first, for those who see its feedback."""
    _require_feedback(actor, recording)
    return recording.assessments.select_related("trainer").order_by("-assessed_on", "-created_at")


@transaction.atomic
def assessment_add(
    *, actor: User, recording: Recording, verdict: str, notes: str, assessed_on: date, now: datetime
) -> Assessment:
    """A shared trainer assesses the lesson; the recording counts as assessed (R1)."""
    if actor.role != Role.TRAINER:
        raise Forbidden(_("Only trainers assess."))
    _require_feedback(actor, recording)  # a trainer it is not shared with: refused
    if verdict not in settings.CLASSVAULT_ASSESSMENT_SCALE:
        raise Invalid(
            _("Choose a verdict from the scale: %(scale)s.")
            % {"scale": ", ".join(settings.CLASSVAULT_ASSESSMENT_SCALE)}
        )
    if assessed_on > today_in_amsterdam(now):
        raise Invalid(_("The assessment date lies in the future."))
    assessment = Assessment.objects.create(
        recording=recording,
        trainer=actor,
        verdict=verdict,
        notes=notes.strip(),
        assessed_on=assessed_on,
        created_at=now,
    )
    audit_record(
        actor=actor,
        action=AuditAction.ASSESSMENT_ADD,
        obj=recording,
        now=now,
        purpose="assessment",
        data={"assessment": str(assessment.pk), "verdict": verdict},
    )
    return assessment
