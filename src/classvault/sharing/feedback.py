"""Time-coded comments and assessments: coaching and assessment (R1, R4)."""

from datetime import date, datetime

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from classvault.audit.actions import AuditAction
from classvault.audit.services import audit_record
from classvault.core.exceptions import Forbidden, Invalid
from classvault.core.time import today_in_amsterdam
from classvault.people.models import Role, User
from classvault.recordings.models import Assessment, Comment, Recording

from .selectors import may_give_feedback


def _require_feedback(actor: User, recording: Recording) -> None:
    if not may_give_feedback(actor=actor, recording=recording):
        raise Forbidden(_("Only the student teacher, their supervisor and the trainers it is "
                          "shared with see and give feedback."))


@transaction.atomic
def comment_add(*, actor: User, recording: Recording, at_seconds: float, text: str,
                now: datetime) -> Comment:
    _require_feedback(actor, recording)
    text = text.strip()
    if not text:
        raise Invalid(_("Write a comment."))
    if at_seconds < 0 or (recording.duration_seconds and at_seconds > recording.duration_seconds
                          + 1):
        raise Invalid(_("The time code lies outside the recording."))
    comment = Comment.objects.create(recording=recording, author=actor, at_seconds=at_seconds,
                                     text=text[:4000], created_at=now)
    audit_record(actor=actor, action=AuditAction.COMMENT_ADD, obj=recording, now=now,
                 purpose="assessment" if actor.role == Role.TRAINER else "coaching",
                 data={"comment": str(comment.pk), "at_seconds": at_seconds})
    return comment


def comments_for(*, actor: User, recording: Recording) -> QuerySet[Comment]:
    _require_feedback(actor, recording)
    return recording.comments.select_related("author").order_by("at_seconds", "created_at")


@transaction.atomic
def assessment_add(*, actor: User, recording: Recording, verdict: str, notes: str,
                   assessed_on: date, now: datetime) -> Assessment:
    """A shared trainer assesses the lesson; the recording counts as assessed (R1)."""
    if actor.role != Role.TRAINER:
        raise Forbidden(_("Only trainers assess."))
    _require_feedback(actor, recording)
    if verdict not in settings.CLASSVAULT_ASSESSMENT_SCALE:
        raise Invalid(_("Choose a verdict from the scale: %(scale)s.")
                      % {"scale": ", ".join(settings.CLASSVAULT_ASSESSMENT_SCALE)})
    if assessed_on > today_in_amsterdam(now):
        raise Invalid(_("The assessment date lies in the future."))
    assessment = Assessment.objects.create(recording=recording, trainer=actor, verdict=verdict,
                                           notes=notes.strip(), assessed_on=assessed_on,
                                           created_at=now)
    audit_record(actor=actor, action=AuditAction.ASSESSMENT_ADD, obj=recording, now=now,
                 purpose="assessment", data={"assessment": str(assessment.pk),
                                             "verdict": verdict})
    return assessment
