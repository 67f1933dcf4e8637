"""Redaction (R3, R12, R14): order a job, follow its progress, review, cancel."""

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Status

from classvault.core import clock
from classvault.core.exceptions import Conflict, DomainError
from classvault.recordings.services import recording_stream_audit
from classvault.recordings.streaming import Unsatisfiable, parse_range, stream_response
from classvault.vault.purposes import Purpose
from classvault.vault.selectors import vault_open

from . import selectors, services
from .schemas import JobAccepted, JobOut, RedactionIn, ReviewIn

router = Router(tags=["redaction"])


@router.post("/recordings/{recording_id}/redactions", response={202: JobAccepted})
def redaction_order(request: HttpRequest, recording_id: str, payload: RedactionIn):
    """Blur all faces, or follow the marked person and blur them, and silence the ranges.
    The result replaces the recording inside the vault; the old keys are destroyed."""
    job = services.redaction_order(
        actor=request.auth,
        recording_id=recording_id,
        faces=payload.faces,
        track=[mark.model_dump() for mark in payload.track],
        mute=payload.mute,
        reason=payload.reason,
        pupils=payload.pupils,
        now=clock.now(),
    )
    return Status(202, {"job": str(job.pk)})


@router.get("/recordings/{recording_id}/redaction-stream", response={200: None, 206: None})
def redaction_stream(request: HttpRequest, recording_id: str):
    """The recording to mark or review a redaction on: the privacy officer (also while a
    withdrawal blocks it) or the owner (while it is ready). Honours Range, never a
    download; every playback is logged with the purpose "redaction"."""
    now = clock.now()
    recording = services.redaction_recording_for(
        actor=request.auth, recording_id=recording_id, now=now
    )
    if not selectors.redaction_may_watch(actor=request.auth, recording=recording):
        raise Conflict(_("This recording cannot be watched now."))
    range_header = request.headers.get("Range")
    reader = vault_open(object_id=str(recording.pk), purpose=Purpose.RENDITION)
    try:
        wanted = parse_range(range_header, reader.plaintext_size)
    except Unsatisfiable:
        wanted = None
    else:
        recording_stream_audit(
            actor=request.auth,
            recording=recording,
            from_start=wanted is None or wanted[0] == 0,
            purpose="redaction",
            now=now,
        )

    def may_continue() -> bool:
        try:
            current = services.redaction_recording_for(
                actor=request.auth, recording_id=recording_id, now=clock.now()
            )
        except DomainError:
            return False
        return selectors.redaction_may_watch(actor=request.auth, recording=current)

    return stream_response(reader, range_header, "video/mp4", may_continue)


@router.get("/redactions/{job_id}", response=JobOut)
def redaction_get(request: HttpRequest, job_id: str):
    """A job's state and progress (percentage, frames/s, time left); in one-person mode,
    once analysed, the computed track to review."""
    job = services.redaction_job_for(actor=request.auth, job_id=job_id, now=clock.now())
    return selectors.redaction_job_item(job)


@router.post("/redactions/{job_id}/review", response=JobOut)
def redaction_review(request: HttpRequest, job_id: str, payload: ReviewIn):
    """Confirm the computed track (empty body) or correct it with more marks."""
    job = services.redaction_review(
        actor=request.auth,
        job_id=job_id,
        track=[mark.model_dump() for mark in payload.track],
        now=clock.now(),
    )
    return selectors.redaction_job_item(job)


@router.post("/redactions/{job_id}/cancel", response=JobOut)
def redaction_cancel(request: HttpRequest, job_id: str):
    """Cancel an open job; the recording stays as it was."""
    job = services.redaction_cancel(actor=request.auth, job_id=job_id, now=clock.now())
    return selectors.redaction_job_item(job)
