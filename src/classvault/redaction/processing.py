"""Running a redaction job under a lease: analyse, wait for review, render, replace.

The rendition is decrypted into the engine and the result encrypted as it is encoded
(``vault_open_file`` → engine → ``vault_writer``): no plaintext reaches the disk. A worker
holds a lease on the job while it works, renewed with the progress it stores; a killed
worker lets it lapse and the next one starts the interrupted pass again (what the dead one
wrote is only ever ciphertext without a key, purged when the job is over). A worker that
lost its lease, or whose job was cancelled, keeps nothing.
"""

import logging
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Case, F, PositiveSmallIntegerField, Q, When

from classvault.audit.actions import AuditAction
from classvault.audit.services import audit_record
from classvault.core import clock as core_clock
from classvault.recordings import media
from classvault.recordings.models import Recording, RecordingStatus
from classvault.retention.selectors import legal_hold_active
from classvault.vault.exceptions import VaultNotFound
from classvault.vault.purposes import Purpose
from classvault.vault.selectors import vault_keys_live, vault_open_file
from classvault.vault.services import (
    vault_discard,
    vault_store,
    vault_unfinished_purge,
    vault_writer,
)

from . import engine
from .engine.pipeline import ANALYSIS_SHARE, Cancelled
from .models import WORKABLE, JobStatus, RedactionJob
from .rules import unblocks

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=15)
# Progress (and the lease with it) is written at most this often: one small update.
BEAT_SECONDS = 1.0
MAX_ATTEMPTS = 3
MAX_TAKEOVERS = 5
UNDER_HOLD = "The recording came under a legal hold: it stays as it is."


class LeaseLost(Exception):
    """Another worker took the job over: this one stops and leaves everything to it."""


def _take_lease(job_id, now: datetime) -> uuid.UUID | None:
    token = uuid.uuid4()
    with transaction.atomic():
        taken = (
            RedactionJob.objects.filter(pk=job_id, status__in=WORKABLE)
            .filter(Q(lease_until__isnull=True) | Q(lease_until__lte=now))
            .update(
                lease_until=now + LEASE,
                lease_token=token,
                takeovers=Case(
                    When(lease_until__isnull=False, then=F("takeovers") + 1),
                    default=F("takeovers"),
                    output_field=PositiveSmallIntegerField(),
                ),
            )
        )
    return token if taken else None


def _status(job_id) -> str:
    current = RedactionJob.objects.filter(pk=job_id).values_list("status", flat=True).first()
    return current or "gone"


class _Beat:
    """Stores progress and renews the lease; notices a cancellation or a lost lease."""

    def __init__(self, job_id, token: uuid.UUID, clock: Callable[[], datetime]) -> None:
        self.job_id = job_id
        self.token = token
        self.clock = clock
        self.last = 0.0

    def __call__(self, progress: engine.Progress | None = None, *, force: bool = False) -> None:
        if not force and time.monotonic() - self.last < BEAT_SECONDS:
            return
        self.last = time.monotonic()
        fields = {"lease_until": self.clock() + LEASE}
        if progress is not None:
            fields |= {
                "progress": progress.fraction,
                "frames_per_second": progress.frames_per_second,
                "seconds_left": progress.seconds_left,
            }
        with transaction.atomic():
            held = RedactionJob.objects.filter(
                pk=self.job_id,
                lease_token=self.token,
                status__in=[JobStatus.ANALYSING, JobStatus.RENDERING],
            ).update(**fields)
        if not held:
            if _status(self.job_id) == JobStatus.CANCELLED:
                raise Cancelled()
            raise LeaseLost(self.job_id)

    def should_stop(self) -> bool:
        self()  # raises when cancelled or taken over
        return False


def _move(job_id, token, status: str, **fields) -> None:
    with transaction.atomic():
        moved = RedactionJob.objects.filter(
            pk=job_id, lease_token=token, status__in=WORKABLE
        ).update(status=status, **fields)
    if not moved:
        if _status(job_id) == JobStatus.CANCELLED:
            raise Cancelled()
        raise LeaseLost(job_id)


def redaction_run(
    *, job_id: str, now: datetime, clock: Callable[[], datetime] | None = None
) -> str:
    """Work on the job as far as it goes now; its status afterwards ("gone" if deleted).

    Whole-video and voice-only jobs analyse and render in one run. One-person jobs stop
    after the analysis in ``review``; once confirmed they are queued again and render from
    the stored analysis (no second detection).
    """
    token = _take_lease(job_id, now)
    if token is None:
        return _status(job_id)
    job = RedactionJob.objects.get(pk=job_id)
    if job.attempts >= MAX_ATTEMPTS:
        return _fail(job, token, "The redaction failed repeatedly.", now)
    if job.takeovers > MAX_TAKEOVERS:
        return _fail(job, token, "The redaction was interrupted too often.", now)
    # What happens later (the result stored, the keys destroyed, the job done) is stamped
    # when it happens, not when the job was taken: a lesson takes minutes to render.
    tick = clock or (lambda: now)
    beat = _Beat(job.pk, token, clock or core_clock.now)
    object_id = str(job.recording_id)
    stored: list = []
    try:
        if job.status in (JobStatus.QUEUED, JobStatus.ANALYSING):
            _move(job.pk, token, JobStatus.ANALYSING, progress=0.0, seconds_left=None)
            marks = [engine.Mark(m["at_seconds"], tuple(m["box"])) for m in job.track]
            with vault_open_file(object_id=object_id, purpose=Purpose.RENDITION) as src:
                analysis = engine.analyse(
                    src, faces=job.faces, marks=marks, progress=beat, should_stop=beat.should_stop
                )
            if job.needs_review:
                _move(
                    job.pk,
                    token,
                    JobStatus.REVIEW,
                    analysis=analysis.to_json(),
                    progress=ANALYSIS_SHARE,
                    seconds_left=None,
                    lease_until=None,
                    lease_token=None,
                )
                return JobStatus.REVIEW
            _move(job.pk, token, JobStatus.RENDERING, analysis=analysis.to_json())
        else:
            analysis = engine.Analysis.from_json(job.analysis)
            _move(job.pk, token, JobStatus.RENDERING, progress=ANALYSIS_SHARE)
        mute = [tuple(r) for r in job.mute]
        with (
            vault_open_file(object_id=object_id, purpose=Purpose.RENDITION) as src,
            vault_writer(object_id=object_id, purpose=Purpose.RENDITION, now=tick()) as dst,
        ):
            engine.render(
                src, dst, analysis, mute=mute, progress=beat, should_stop=beat.should_stop
            )
            beat(force=True)  # still ours? Otherwise nothing is stored.
        stored.append(dst.result)
        with vault_open_file(object_id=object_id, purpose=Purpose.RENDITION) as src:
            still = media.poster(src)
        beat(force=True)
        stored.append(
            vault_store(object_id=object_id, purpose=Purpose.POSTER, chunks=[still], now=tick())
        )
    except (Cancelled, LeaseLost) as exc:
        log.info("Redaction %s stops: %s", job_id, type(exc).__name__)
        _discard(stored, tick())
        if isinstance(exc, Cancelled):
            _purge_unfinished(object_id)
        return _status(job_id)
    except (engine.RedactionError, media.MediaError, VaultNotFound) as exc:
        _discard(stored, tick())
        return _fail(job, token, str(exc), tick())
    except Exception:
        _discard(stored, tick())
        log.exception("Redaction %s failed; it is tried again.", job_id)
        with transaction.atomic():
            RedactionJob.objects.filter(pk=job.pk, lease_token=token).update(
                attempts=F("attempts") + 1, lease_until=None, lease_token=None
            )
        raise
    return _finish(job, token, stored, tick())


def _discard(stored, now: datetime) -> None:
    for obj in stored:
        with transaction.atomic():
            vault_discard(data_key_id=obj.data_key_id, now=now)


def _purge_unfinished(object_id: str) -> None:
    try:
        vault_unfinished_purge(object_id=object_id)
    except OSError:
        log.exception("Removing unfinished files of recording %s failed.", object_id)


def _finish(job: RedactionJob, token: uuid.UUID, stored, now: datetime) -> str:
    """Replace the recording with the redacted rendition and destroy every older key.

    DESTRUCTIVE, in this order, in one transaction, unless a legal hold was placed on the
    recording meanwhile (then the job fails and keeps nothing): the job is marked done and
    the recording updated (and unblocked when the rule allows, see ``rules.unblocks``); then
    every other data key of the recording (the original upload, older renditions and
    posters) is destroyed, each with its audit event, so no copy of the unredacted video can ever be
    decrypted again; the blobs are deleted only after the commit. The redaction's own
    event comes last (the audit head is the last lock a transaction takes). If this worker
    lost the job meanwhile, or the job was cancelled, it destroys only what it stored itself.
    """
    rendition, poster = stored
    ours = {rendition.data_key_id, poster.data_key_id}
    object_id = str(job.recording_id)
    with transaction.atomic():
        current = (
            RedactionJob.objects.select_for_update()
            .filter(pk=job.pk, lease_token=token, status=JobStatus.RENDERING)
            .first()
        )
        recording = Recording.objects.select_for_update().filter(pk=job.recording_id).first()
        if current is None or recording is None:
            for data_key_id in ours:
                vault_discard(data_key_id=data_key_id, now=now)
            status = _status(job.pk)
            if status == JobStatus.CANCELLED:
                transaction.on_commit(lambda: _purge_unfinished(object_id))
            return status
        if legal_hold_active(recording=recording):
            # Placed while the job ran (the hold locks this row too): the evidence stays as
            # it is, and the redacted copy goes.
            for data_key_id in ours:
                vault_discard(data_key_id=data_key_id, now=now)
            return _fail(job, token, UNDER_HOLD, now)
        unblock = recording.status == RecordingStatus.BLOCKED and unblocks(current, recording)
        RedactionJob.objects.filter(pk=job.pk).update(
            status=JobStatus.DONE,
            progress=1.0,
            seconds_left=0,
            finished_at=now,
            lease_until=None,
            lease_token=None,
        )
        changes = {"rendition_size": rendition.plaintext_size}
        if unblock:
            changes["status"] = RecordingStatus.READY
        Recording.objects.filter(pk=recording.pk).update(**changes)
        older = [
            key
            for key in vault_keys_live(
                object_id=object_id,
                purposes=[Purpose.ORIGINAL, Purpose.RENDITION, Purpose.POSTER],
            )
            if key not in ours
        ]
        for data_key_id in older:
            vault_discard(data_key_id=data_key_id, now=now)
        audit_record(
            actor=None,
            action=AuditAction.REDACTION_APPLY,
            obj=recording,
            now=now,
            purpose="redaction",
            data={
                "job": str(job.pk),
                "ordered_by": job.ordered_by.username,
                "reason": job.reason,
                "faces": job.faces,
                "marks": len(job.track),
                "mute": job.mute,
                "pupils": job.pupils,
                "keys_destroyed": len(older),
                "unblocked": unblock,
            },
        )
        transaction.on_commit(lambda: _purge_unfinished(object_id))
    return JobStatus.DONE


def _fail(job: RedactionJob, token: uuid.UUID, reason: str, now: datetime) -> str:
    """Mark failed and say why; the recording stays exactly as it was."""
    with transaction.atomic():
        failed = RedactionJob.objects.filter(
            pk=job.pk, lease_token=token, status__in=WORKABLE
        ).update(
            status=JobStatus.FAILED,
            failure_reason=reason[:300],
            finished_at=now,
            lease_until=None,
            lease_token=None,
        )
        if not failed:
            return _status(job.pk)
        recording = Recording.objects.filter(pk=job.recording_id).first()
        audit_record(
            actor=None,
            action=AuditAction.REDACTION_FAIL,
            obj=recording,
            now=now,
            data={"job": str(job.pk), "reason": reason[:300]},
        )
        transaction.on_commit(lambda: _purge_unfinished(str(job.recording_id)))
    return JobStatus.FAILED
