"""Transcoding a recording's original into its playable rendition, under a lease.

Idempotent and safe against a killed worker: the job holds a lease on the recording, renewed
while the transcode progresses; a second worker skips it while the lease holds and takes it
over once it lapsed. A worker that lost its lease stores nothing. Failures keep the original.
"""

import logging
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

from django.db import OperationalError, transaction
from django.db.models import Case, F, PositiveSmallIntegerField, Q, When
from django.utils.translation import gettext as _

from classvault.audit.actions import AuditAction
from classvault.audit.services import audit_record
from classvault.core import clock as core_clock
from classvault.core.busy import is_database_busy
from classvault.vault.purposes import Purpose
from classvault.vault.selectors import vault_keys_live, vault_open_file
from classvault.vault.services import (
    vault_discard,
    vault_store,
    vault_unfinished_purge,
    vault_writer,
)

from . import media
from .models import Recording, RecordingStatus

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=15)
# A lease is renewed at most this often: one small write a minute while a transcode runs.
RENEW_EVERY = timedelta(minutes=1)
# Real failures (errors other than an unconvertible video) before a job is failed.
MAX_ATTEMPTS = 3
# After a real failure the job waits before its next try, twice as long after each: a
# broken disk or a full temporary directory gets time to be fixed, and a job that fails at
# once does not spin through its attempts in seconds.
RETRY_AFTER = timedelta(minutes=1)
# A job whose worker keeps dying (killed for its memory, say) must not loop for ever:
# after this many takeovers of a lapsed lease it is failed, keeping its original.
MAX_TAKEOVERS = 5


class LeaseLost(Exception):
    """Another worker took the job over: this one stops and leaves everything to it."""


class _Lease:
    """One worker's hold on a recording's transcoding job, renewed while the work goes on.

    ``clock`` tells the time as the job progresses (a test passes one it advances by hand).
    A renewal, at most every RENEW_EVERY, moves ``lease_until`` on, but only while the token
    is still the recording's: once another worker took over, renewing raises LeaseLost.
    """

    def __init__(
        self, recording_id: str, token: uuid.UUID, clock: Callable[[], datetime], taken_at: datetime
    ) -> None:
        self.recording_id = recording_id
        self.token = token
        self.clock = clock
        self.renewed_at = taken_at

    def renew(self, *, force: bool = False) -> None:
        now = self.clock()
        if not force and now - self.renewed_at < RENEW_EVERY:
            return
        with transaction.atomic():
            held = Recording.objects.filter(
                pk=self.recording_id,
                lease_token=self.token,
            ).update(lease_until=now + LEASE)
        if not held:
            raise LeaseLost(self.recording_id)
        self.renewed_at = now


def _take_lease(recording_id: str, now: datetime) -> uuid.UUID | None:
    """Claim the job if nobody holds it: a fresh token, or None.

    Taking over a lease that lapsed (its worker died or hung) counts as a takeover, not as a
    failed attempt; a lease released after a real failure (NULL) counts as neither.
    """
    token = uuid.uuid4()
    with transaction.atomic():
        taken = (
            Recording.objects.filter(pk=recording_id, status=RecordingStatus.PROCESSING)
            .filter(Q(lease_until__isnull=True) | Q(lease_until__lte=now))
            .update(
                lease_until=now + LEASE,
                lease_token=token,
                # A lease still held by a token lapsed: its worker died. A retry waiting
                # out its backoff (no token) is no takeover.
                takeovers=Case(
                    When(lease_token__isnull=False, then=F("takeovers") + 1),
                    default=F("takeovers"),
                    output_field=PositiveSmallIntegerField(),
                ),
            )
        )
    return token if taken else None


def _status(recording_id) -> str:
    current = Recording.objects.filter(pk=recording_id).values_list("status", flat=True)
    return current.first() or "gone"


def recording_process(
    *, recording_id: str, now: datetime, clock: Callable[[], datetime] | None = None
) -> str:
    """Transcode the original into the playable rendition and take a poster still.

    Idempotent and safe against a killed worker: the job holds a lease on the recording,
    renewed from the transcode's progress while it runs (``clock`` tells the time then; by
    default the real clock). A second worker skips it while the lease holds and takes it
    over once it lapsed; the first, should it still run, finds its lease gone at its next
    renewal and stops without storing anything. A takeover deletes nothing: each worker
    removes its own unfinished files when it stops, and what a killed one left half-written
    (only ever ciphertext) is purged once the job is over. Only real failures count as
    failed attempts: a video that cannot be converted fails at once, another error after
    MAX_ATTEMPTS tries; a job whose worker keeps dying fails after MAX_TAKEOVERS takeovers.
    A failed job keeps the original. Returns the recording's status afterwards ("gone" if
    it was deleted meanwhile).
    """
    token = _take_lease(recording_id, now)
    if token is None:
        return _status(recording_id)
    lease = _Lease(recording_id, token, clock or core_clock.now, now)
    recording = Recording.objects.get(pk=recording_id)
    if recording.attempts >= MAX_ATTEMPTS:
        return _fail(recording, token, _("Converting the video failed repeatedly."), now)
    if recording.takeovers > MAX_TAKEOVERS:
        return _fail(recording, token, _("Converting the video was interrupted too often."), now)
    object_id = str(recording.pk)
    rendition = None
    try:
        with (
            vault_open_file(object_id=object_id, purpose=Purpose.ORIGINAL) as src,
            vault_writer(object_id=object_id, purpose=Purpose.RENDITION, now=now) as dst,
        ):
            media.transcode(src, dst, progress=lambda fraction: lease.renew())
            # Still ours? Then the rendition is stored; if not, it is thrown away unstored.
            lease.renew(force=True)
        rendition = dst.result
        with vault_open_file(object_id=object_id, purpose=Purpose.RENDITION) as src:
            still = media.poster(src)
        lease.renew(force=True)
        poster = vault_store(object_id=object_id, purpose=Purpose.POSTER, chunks=[still], now=now)
    except LeaseLost:
        log.info(
            "Recording %s: another worker took the transcode over; this one stops.", recording_id
        )
        if rendition is not None:  # stored before the loss was noticed: not ours to keep
            with transaction.atomic():
                vault_discard(data_key_id=rendition.data_key_id, now=now)
        return _status(recording_id)
    except media.MediaError as exc:
        return _fail(recording, token, str(exc), now)
    except Exception as exc:
        if is_database_busy(exc):
            return _release_busy(recording, token, exc)
        log.exception("Transcoding recording %s failed; it is tried again.", recording_id)
        if _count_failure(recording, token, now) == RecordingStatus.FAILED:
            return RecordingStatus.FAILED
        raise
    try:
        return _finish(recording, token, rendition, poster, now)
    except OperationalError as exc:
        if not is_database_busy(exc):
            raise
        return _release_busy(recording, token, exc)


def _release_busy(recording: Recording, token: uuid.UUID, exc: BaseException) -> str:
    """The database was busy (a deadlock, a lock timeout): no failure of the transcode.

    The lease is released without counting an attempt; the stalled-recordings scan queues
    the job again within a minute (``recordings_resume``). What this run stored is
    superseded then, as after a takeover.
    """
    log.warning(
        "Transcoding recording %s met a busy database (%s); it is tried again.", recording.pk, exc
    )
    with transaction.atomic():
        Recording.objects.filter(
            pk=recording.pk,
            lease_token=token,
            status=RecordingStatus.PROCESSING,
        ).update(lease_until=None, lease_token=None)
    return _status(recording.pk)


def _finish(recording: Recording, token: uuid.UUID, rendition, poster, now: datetime) -> str:
    """Mark ready if this worker still holds the lease; else throw its own work away."""
    ours = [rendition.data_key_id, poster.data_key_id]
    with transaction.atomic():
        updated = Recording.objects.filter(
            pk=recording.pk,
            status=RecordingStatus.PROCESSING,
            lease_token=token,
        ).update(
            status=RecordingStatus.READY,
            rendition_size=rendition.plaintext_size,
            lease_until=None,
            lease_token=None,
        )
        if updated:
            # Renditions or posters a dead attempt managed to store are superseded now.
            _discard_derived(recording, now, keep=ours)
            audit_record(actor=None, action=AuditAction.RECORDING_READY, obj=recording, now=now)
            transaction.on_commit(lambda: _purge_unfinished(recording))
            return RecordingStatus.READY
        status = _status(recording.pk)
        if status == RecordingStatus.PROCESSING:
            # Taken over between the last renewal and now: the new holder's work counts.
            for data_key_id in ours:
                vault_discard(data_key_id=data_key_id, now=now)
    return status


def _discard_derived(recording: Recording, now: datetime, keep=()) -> None:
    """Shred the recording's renditions and posters (not the ones in ``keep``)."""
    derived = vault_keys_live(
        object_id=str(recording.pk), purposes=[Purpose.RENDITION, Purpose.POSTER]
    )
    for data_key_id in derived:
        if data_key_id not in keep:
            vault_discard(data_key_id=data_key_id, now=now)


def _purge_unfinished(recording: Recording) -> None:
    """Remove what killed workers left half-written, once the job is over.

    Not at a takeover: the old worker may still be writing then. Once the recording left
    ``processing`` any worker still at it lost its lease and stops at its next renewal, and
    its files are of no use to anyone.
    """
    try:
        vault_unfinished_purge(object_id=str(recording.pk))
    except OSError:
        log.exception("Removing unfinished files of recording %s failed.", recording.pk)


def _count_failure(recording: Recording, token: uuid.UUID, now: datetime) -> str:
    """A real failure: count it and release the lease for a retry after a backoff (1 min,
    2 min, ...), or fail at the cap."""
    with transaction.atomic():
        row = (
            Recording.objects.select_for_update()
            .filter(pk=recording.pk, lease_token=token, status=RecordingStatus.PROCESSING)
            .values_list("attempts", flat=True)
            .first()
        )
        if row is None:
            return _status(recording.pk)
        if row + 1 >= MAX_ATTEMPTS:
            Recording.objects.filter(pk=recording.pk).update(attempts=row + 1)
            return _fail(recording, token, _("Converting the video failed repeatedly."), now)
        # Released to nobody until the backoff is over (recordings_resume queues it then).
        Recording.objects.filter(pk=recording.pk).update(
            attempts=row + 1, lease_until=now + RETRY_AFTER * 2**row, lease_token=None
        )
    return RecordingStatus.PROCESSING


def _fail(recording: Recording, token: uuid.UUID, reason: str, now: datetime) -> str:
    """Mark failed and say why; the original stays, so the lesson is not lost.

    Only the lease holder fails a job. Partial renditions and posters are shredded (keys
    first, blobs after commit); the original goes when the recording expires or is deleted,
    like any other.
    """
    with transaction.atomic():
        failed = Recording.objects.filter(
            pk=recording.pk,
            lease_token=token,
            status=RecordingStatus.PROCESSING,
        ).update(
            status=RecordingStatus.FAILED,
            failure_reason=reason[:300],
            lease_until=None,
            lease_token=None,
        )
        if not failed:
            return _status(recording.pk)
        _discard_derived(recording, now)
        audit_record(
            actor=None,
            action=AuditAction.RECORDING_FAILED,
            obj=recording,
            now=now,
            data={"reason": reason[:300]},
        )
        transaction.on_commit(lambda: _purge_unfinished(recording))
    return RecordingStatus.FAILED
