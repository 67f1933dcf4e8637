"""Reads of redaction: one job through the recording's visibility rule, and job items."""

import uuid
from datetime import datetime
from typing import Any

from django.utils.translation import gettext as _

from classvault.core.exceptions import NotVisible
from classvault.people.models import User
from classvault.sharing.selectors import recording_get_visible

from .models import OPEN, RedactionJob


def redaction_job_get_visible(*, actor: User, job_id: str, now: datetime) -> RedactionJob:
    """The job, if its recording is visible to the actor; NotVisible (404) otherwise."""
    try:
        pk = uuid.UUID(str(job_id))
    except ValueError:
        raise NotVisible(_("No such redaction.")) from None
    job = RedactionJob.objects.select_related("ordered_by").filter(pk=pk).first()
    if job is None:
        raise NotVisible(_("No such redaction."))
    job.recording = recording_get_visible(actor=actor, recording_id=job.recording_id, now=now)
    return job


def redaction_job_item(job: RedactionJob) -> dict[str, Any]:
    review = job.analysis is not None and job.needs_review
    return {
        "job": str(job.pk),
        "recording": str(job.recording_id),
        "status": job.status,
        "faces": job.faces,
        "track": job.track,
        "mute": job.mute,
        "pupils": job.pupils,
        "ordered_by": job.ordered_by.username,
        "created_at": job.created_at,
        "finished_at": job.finished_at,
        "progress": round(job.progress, 4),
        "frames_per_second": round(job.frames_per_second, 1),
        "seconds_left": None if job.seconds_left is None else round(job.seconds_left),
        "failure_reason": job.failure_reason,
        "computed_track": _computed_track(job) if review else None,
    }


def _computed_track(job: RedactionJob) -> list[dict]:
    from .engine import Analysis

    return Analysis.from_json(job.analysis).track()


def redaction_open_for(*, recording_id) -> RedactionJob | None:
    """The recording's open job, if any (for its page)."""
    return (
        RedactionJob.objects.select_related("ordered_by")
        .filter(recording_id=recording_id, status__in=OPEN)
        .first()
    )


def redaction_latest_for(*, recording_id) -> RedactionJob | None:
    return (
        RedactionJob.objects.select_related("ordered_by")
        .filter(recording_id=recording_id)
        .order_by("-created_at")
        .first()
    )
