"""Writes of redaction: ordering a job, reviewing a one-person track, cancelling."""

import math
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from classvault.audit.actions import AuditAction
from classvault.audit.services import audit_record
from classvault.core.exceptions import Conflict, Forbidden, Invalid
from classvault.people.models import Role, User
from classvault.recordings.models import Recording, RecordingStatus
from classvault.retention.selectors import legal_hold_active
from classvault.sharing.selectors import recording_get_visible

from .engine.limits import (
    MIN_BOX,
    box_big_enough,
    box_inside,
    mute_limit,
    range_inside,
    time_inside,
)
from .jobs import redaction_enqueue
from .models import OPEN, JobStatus, RedactionJob
from .selectors import redaction_frame_size, redaction_job_get_visible, redaction_video_size

MAX_MARKS = 50
MAX_RANGES = 100
# The frame a box must fit in when the rendition's size cannot be read.
MAX_SIDE = 8192


def _may_order(actor: User, recording: Recording) -> None:
    """The privacy officer or the recording's owner; anyone else who can see it: 403."""
    if actor.role == Role.PRIVACY_OFFICER or recording.owner_id == actor.pk:
        return
    raise Forbidden(_("Only the privacy officer or the owner may redact a recording."))


def _number(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise Invalid(_("%(what)s must be a number.") % {"what": what})
    return float(value)


def _clean_track(track: list, duration: float | None, size: tuple[int, int] | None) -> list[dict]:
    """The marks as numbers, each a time inside the video and a box inside its frame
    (``size``: the rendition's width and height; None when it cannot be read)."""
    if len(track) > MAX_MARKS:
        raise Invalid(_("Mark the person at most %(n)s times.") % {"n": MAX_MARKS})
    width, height = size or (MAX_SIDE, MAX_SIDE)
    cleaned = []
    for mark in track:
        if not isinstance(mark, dict):
            raise Invalid(_('A mark is {"at_seconds", "box": [x, y, width, height]}.'))
        at = _number(mark.get("at_seconds"), "at_seconds")
        box = mark.get("box")
        if not isinstance(box, list | tuple) or len(box) != 4:
            raise Invalid(_("A box is [x, y, width, height] in pixels."))
        x, y, w, h = (_number(v, "box") for v in box)
        if not time_inside(at, duration):
            raise Invalid(_("A mark must lie inside the video: a time and a box with a size."))
        if not box_big_enough((x, y, w, h)):
            raise Invalid(_("A box must be at least %(n)s pixels wide and high.") % {"n": MIN_BOX})
        if not box_inside((x, y, w, h), width, height):
            raise Invalid(
                _("A box must lie inside the frame of %(w)s x %(h)s pixels.")
                % {"w": width, "h": height}
            )
        cleaned.append({"at_seconds": at, "box": [x, y, w, h]})
    return cleaned


def _clean_mute(mute: list, duration: float | None) -> list[list[float]]:
    """The ranges as numbers, each starting before it ends, inside the video."""
    if len(mute) > MAX_RANGES:
        raise Invalid(_("Silence at most %(n)s ranges.") % {"n": MAX_RANGES})
    # Without a known duration, no range reaches beyond the longest recording kept.
    limit = mute_limit(duration, float(settings.CLASSVAULT_MAX_RECORDING_SECONDS))
    cleaned = []
    for pair in mute:
        if not isinstance(pair, list | tuple) or len(pair) != 2:
            raise Invalid(_("A range to silence is [start, end] in seconds."))
        start, end = (_number(v, "mute") for v in pair)
        if not range_inside(start, end, limit):
            raise Invalid(_("A range to silence must start before it ends, inside the video."))
        cleaned.append([start, end])
    return cleaned


def redaction_order(
    *,
    actor: User,
    recording_id: str,
    faces: str | None,
    track: list,
    mute: list,
    now: datetime,
    reason: str = "",
    pupils: list[str] | None = None,
) -> RedactionJob:
    """Order a redaction: blur all faces or the marked person, silence ranges (R3, R12).

    ``faces`` None: only the marked person when there are marks, else all faces; but an
    order must ask for something (faces, marks or a range to silence: 422 otherwise).
    Only the privacy officer or the owner (404 for whom the recording is invisible, 403 for
    others who see it). Refused (409) while the recording is not ready or blocked, under a
    legal hold (evidence stays as it is), or while another redaction of it is open. The job
    runs in the background after the commit; the order is audited with what and why.
    """
    if actor.role not in (Role.PRIVACY_OFFICER, Role.STUDENT_TEACHER):
        raise Forbidden(_("Your role may not do this."))
    recording = recording_get_visible(actor=actor, recording_id=recording_id, now=now)
    _may_order(actor, recording)
    nothing = _("Nothing to redact: choose all faces, mark a person or a range to silence.")
    if faces is None:
        if not track and not mute:
            raise Invalid(nothing)
        faces = "none" if track else "all"
    if faces not in ("all", "none"):
        raise Invalid(_('faces must be "all" or "none".'))
    duration = recording.duration_seconds
    size = redaction_frame_size(recording) if track else None
    track = _clean_track(track or [], duration, size)
    mute = _clean_mute(mute or [], duration)
    if faces == "none" and not track and not mute:
        raise Invalid(nothing)
    pupil_ids = sorted({str(p) for p in pupils or []})
    if pupil_ids:
        if actor.role != Role.PRIVACY_OFFICER:
            raise Forbidden(_("Only the privacy officer redacts on behalf of pupils."))
        present = {str(pk) for pk in recording.presences.values_list("pupil_id", flat=True)}
        if not set(pupil_ids) <= present:
            raise Invalid(_("Name only pupils who are present in the recording."))
    reason = (reason or "").strip()[:300]
    with transaction.atomic():
        locked = Recording.objects.select_for_update().filter(pk=recording.pk).first()
        if locked is None:
            raise Conflict(_("The recording is gone."))
        if locked.status not in (RecordingStatus.READY, RecordingStatus.BLOCKED):
            raise Conflict(_("The recording is not ready yet; redact it once it is."))
        if legal_hold_active(recording=locked):
            raise Conflict(_("The recording is under a legal hold and must stay as it is."))
        if RedactionJob.objects.filter(recording=locked, status__in=OPEN).exists():
            raise Conflict(_("A redaction of this recording is already under way."))
        try:
            with transaction.atomic():
                job = RedactionJob.objects.create(
                    recording=locked,
                    ordered_by=actor,
                    reason=reason,
                    faces=faces,
                    track=track,
                    mute=mute,
                    pupils=pupil_ids,
                    created_at=now,
                )
        except IntegrityError:
            raise Conflict(_("A redaction of this recording is already under way.")) from None
        audit_record(
            actor=actor,
            action=AuditAction.REDACTION_ORDER,
            obj=locked,
            now=now,
            purpose="redaction",
            data={
                "job": str(job.pk),
                "faces": faces,
                "track": track,
                "mute": mute,
                "pupils": pupil_ids,
                "reason": reason,
            },
        )
        transaction.on_commit(lambda: redaction_enqueue(job.pk))
    return job


def redaction_recording_for(*, actor: User, recording_id: str, now: datetime) -> Recording:
    """The recording, for someone who may order its redaction (404 / 403 as ordering)."""
    if actor.role not in (Role.PRIVACY_OFFICER, Role.STUDENT_TEACHER):
        raise Forbidden(_("Your role may not do this."))
    recording = recording_get_visible(actor=actor, recording_id=recording_id, now=now)
    _may_order(actor, recording)
    return recording


def redaction_job_for(*, actor: User, job_id: str, now: datetime) -> RedactionJob:
    """The job, for the privacy officer or the recording's owner (404 / 403 as ordering)."""
    if actor.role not in (Role.PRIVACY_OFFICER, Role.STUDENT_TEACHER):
        raise Forbidden(_("Your role may not do this."))
    job = redaction_job_get_visible(actor=actor, job_id=job_id, now=now)
    _may_order(actor, job.recording)
    return job


def redaction_review(
    *, actor: User, job_id: str, now: datetime, track: list | None = None
) -> RedactionJob:
    """Confirm the computed track of a one-person job, or correct it with more marks.

    Confirming queues the blurring; new marks are added to the old ones and the person is
    followed again (back to review). Only while the job waits for review (409 otherwise), by
    whoever ordered it or the privacy officer (403 for the owner on the officer's order).
    """
    job = redaction_job_for(actor=actor, job_id=job_id, now=now)
    if job.ordered_by_id != actor.pk and actor.role != Role.PRIVACY_OFFICER:
        # The privacy officer answers for her own orders (they may unblock the recording).
        raise Forbidden(_("Only who ordered this redaction, or the privacy officer, reviews it."))
    if legal_hold_active(recording=job.recording):
        raise Conflict(_("The recording is under a legal hold and must stay as it is."))
    size = None
    if track:
        size = redaction_video_size(job) or redaction_frame_size(job.recording)
    corrections = _clean_track(track or [], job.recording.duration_seconds, size)
    with transaction.atomic():
        fields: dict[str, Any] = {"reviewed_by": actor}
        if corrections:
            fields |= {
                "status": JobStatus.QUEUED,
                "track": job.track + corrections,
                "analysis": None,
            }
        else:
            fields |= {"status": JobStatus.CONFIRMED}
        moved = RedactionJob.objects.filter(pk=job.pk, status=JobStatus.REVIEW).update(**fields)
        if not moved:
            raise Conflict(_("This redaction is not waiting for review."))
        audit_record(
            actor=actor,
            action=AuditAction.REDACTION_REVIEW,
            obj=job.recording,
            now=now,
            purpose="redaction",
            data={"job": str(job.pk), "confirmed": not corrections, "added_marks": corrections},
        )
        transaction.on_commit(lambda: redaction_enqueue(job.pk))
    job.refresh_from_db()
    return job


def redaction_cancel(*, actor: User, job_id: str, now: datetime) -> RedactionJob:
    """Cancel an open job: the worker stops at its next beat and keeps nothing (409 when
    the job is already over)."""
    job = redaction_job_for(actor=actor, job_id=job_id, now=now)
    with transaction.atomic():
        moved = RedactionJob.objects.filter(pk=job.pk, status__in=OPEN).update(
            status=JobStatus.CANCELLED, finished_at=now, seconds_left=None
        )
        if not moved:
            raise Conflict(_("This redaction is already over."))
        audit_record(
            actor=actor,
            action=AuditAction.REDACTION_CANCEL,
            obj=job.recording,
            now=now,
            purpose="redaction",
            data={"job": str(job.pk)},
        )
    job.refresh_from_db()
    return job
