"""Reads of redaction: one job through the recording's visibility rule, and job items."""

import uuid
from datetime import datetime
from typing import Any

from django.utils.translation import gettext as _

from classvault.core.exceptions import NotVisible
from classvault.people.models import Role, User
from classvault.recordings import media
from classvault.recordings.models import Recording, RecordingStatus
from classvault.sharing.selectors import recording_get_visible, recordings_visible
from classvault.vault.exceptions import VaultKeyError, VaultNotFound
from classvault.vault.purposes import Purpose
from classvault.vault.selectors import vault_open_file

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


def redaction_pupil_choices(*, recording: Recording) -> list[tuple[str, str]]:
    """The pupils taking part (not attested out of view), withdrawn ones first."""
    presences = recording.presences.filter(attested_out_of_view=False).select_related("pupil")
    pupils = sorted((p.pupil for p in presences), key=lambda p: (p.recording_consent, p.full_name))
    return [
        (
            str(p.pk),
            p.full_name
            if p.recording_consent
            else _("%(name)s (withdrew consent)") % {"name": p.full_name},
        )
        for p in pupils
    ]


def redaction_may_watch(*, actor: User, recording: Recording) -> bool:
    """Who may watch the recording to mark or review a redaction: the privacy officer
    (also while a withdrawal blocks it: someone has to see what to remove), the owner only
    while she may watch it anyway."""
    if actor.role == Role.PRIVACY_OFFICER:
        return recording.status in (RecordingStatus.READY, RecordingStatus.BLOCKED)
    return recording.owner_id == actor.pk and recording.status == RecordingStatus.READY


def redaction_video_size(job: RedactionJob) -> tuple[int, int] | None:
    if not job.analysis:
        return None
    return job.analysis.get("width"), job.analysis.get("height")


def redaction_frame_size(recording: Recording) -> tuple[int, int] | None:
    """The width and height of the recording's rendition, the pixels marks are given in
    (read from its first frame, decrypted in memory); None when it holds no readable video."""
    try:
        with vault_open_file(object_id=str(recording.pk), purpose=Purpose.RENDITION) as src:
            info = media.probe(src)
    except (media.MediaError, VaultNotFound, VaultKeyError):
        return None
    return info.width, info.height


def recordings_blocked_for_officer(*, actor: User, now: datetime) -> list[dict[str, Any]]:
    """Every recording a withdrawal blocks, with the withdrawn pupils in it and its open
    redaction: the privacy officer's dashboard offers redaction beside deletion."""
    if actor.role != Role.PRIVACY_OFFICER:
        return []
    blocked = (
        recordings_visible(actor=actor, now=now)
        .filter(status=RecordingStatus.BLOCKED)
        .select_related("owner")
        .prefetch_related("presences__pupil")
        .order_by("recorded_at")
    )
    rows = []
    for recording in blocked:
        withdrawn = [
            p.pupil
            for p in recording.presences.all()
            if not p.attested_out_of_view and not p.pupil.recording_consent
        ]
        rows.append(
            {
                "recording": recording,
                "withdrawn": withdrawn,
                "open_job": redaction_open_for(recording_id=recording.pk),
            }
        )
    return rows
