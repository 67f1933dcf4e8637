"""Shares, screenings, comments and assessments: beside the rules that govern them."""

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Status

from classvault.core import clock
from classvault.core.exceptions import Invalid

from . import feedback, services
from .schemas import (
    AssessmentIn,
    AssessmentOut,
    CommentIn,
    CommentOut,
    CommentPatch,
    ScreeningCreated,
    ScreeningIn,
    ShareIn,
)
from .screenings import screening_schedule
from .selectors import recording_get_visible

router = Router(tags=["recordings"])


@router.post("/recordings/{recording_id}/screenings", response={201: ScreeningCreated})
def screening_create(request: HttpRequest, recording_id: str, payload: ScreeningIn):
    """Show the recording to fellow student teachers in a small group (R8)."""
    now = clock.now()
    recording = recording_get_visible(actor=request.auth, recording_id=recording_id, now=now)
    if payload.starts_at.tzinfo is None or payload.ends_at.tzinfo is None:
        raise Invalid(_("Give starts_at and ends_at with their UTC offset."))
    screening = screening_schedule(
        actor=request.auth,
        recording=recording,
        mode=payload.mode,
        starts_at=payload.starts_at,
        ends_at=payload.ends_at,
        attendees=payload.attendees,
        now=now,
    )
    return Status(201, {"id": str(screening.pk)})


@router.post("/recordings/{recording_id}/comments", response={201: CommentOut})
def comment_create(request: HttpRequest, recording_id: str, payload: CommentIn):
    now = clock.now()
    recording = recording_get_visible(actor=request.auth, recording_id=recording_id, now=now)
    comment = feedback.comment_add(
        actor=request.auth,
        recording=recording,
        at_seconds=payload.at_seconds,
        text=payload.text,
        now=now,
    )
    return Status(201, _comment(comment))


@router.get("/recordings/{recording_id}/comments", response=list[CommentOut])
def comment_list(request: HttpRequest, recording_id: str):
    recording = recording_get_visible(
        actor=request.auth, recording_id=recording_id, now=clock.now()
    )
    return [_comment(c) for c in feedback.comments_for(actor=request.auth, recording=recording)]


@router.patch("/recordings/{recording_id}/comments/{comment_id}", response=CommentOut)
def comment_update(request: HttpRequest, recording_id: str, comment_id: str, payload: CommentPatch):
    """The author changes her comment's text or time code; nobody else may (403)."""
    now = clock.now()
    recording = recording_get_visible(actor=request.auth, recording_id=recording_id, now=now)
    comment = feedback.comment_edit(
        actor=request.auth,
        recording=recording,
        comment_id=comment_id,
        text=payload.text,
        at_seconds=payload.at_seconds,
        now=now,
    )
    return _comment(comment)


@router.delete("/recordings/{recording_id}/comments/{comment_id}", response={204: None})
def comment_remove(request: HttpRequest, recording_id: str, comment_id: str):
    """The author deletes her comment; it is gone (the audit log keeps that it was)."""
    now = clock.now()
    recording = recording_get_visible(actor=request.auth, recording_id=recording_id, now=now)
    feedback.comment_delete(actor=request.auth, recording=recording, comment_id=comment_id, now=now)
    return Status(204, None)


def _comment(comment) -> dict:
    return {
        "id": str(comment.pk),
        "at_seconds": comment.at_seconds,
        "text": comment.text,
        "author": comment.author.username,
        "created_at": comment.created_at,
        "is_reflection": comment.is_reflection,
    }


@router.post("/recordings/{recording_id}/assessments", response={201: AssessmentOut})
def assessment_create(request: HttpRequest, recording_id: str, payload: AssessmentIn):
    """A trainer's assessment of the lesson (verdict from the institute's scale)."""
    now = clock.now()
    recording = recording_get_visible(actor=request.auth, recording_id=recording_id, now=now)
    assessment = feedback.assessment_add(
        actor=request.auth,
        recording=recording,
        verdict=payload.verdict,
        notes=payload.notes,
        assessed_on=payload.assessed_on,
        now=now,
    )
    return Status(
        201,
        {
            "id": str(assessment.pk),
            "verdict": assessment.verdict,
            "notes": assessment.notes,
            "assessed_on": assessment.assessed_on,
            "trainer": request.auth.username,
        },
    )


@router.post("/recordings/{recording_id}/shares", response={201: ShareIn})
def share_create(request: HttpRequest, recording_id: str, payload: ShareIn):
    now = clock.now()
    recording = recording_get_visible(actor=request.auth, recording_id=recording_id, now=now)
    services.share_grant(
        actor=request.auth, recording=recording, username=payload.username, now=now
    )
    return Status(201, {"username": payload.username})


@router.delete("/recordings/{recording_id}/shares/{username}", response={204: None})
def share_delete(request: HttpRequest, recording_id: str, username: str):
    now = clock.now()
    recording = recording_get_visible(actor=request.auth, recording_id=recording_id, now=now)
    services.share_revoke(actor=request.auth, recording=recording, username=username, now=now)
    return Status(204, None)
