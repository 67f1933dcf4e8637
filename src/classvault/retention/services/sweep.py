"""Deleting recordings for good: by hand, and by the sweep when their retention is over (R9).

The design (docs/retention.md): one transaction per recording destroys its data keys, writes
its tombstone and its ``recording.delete`` event, and deletes its rows; its blobs, already
unreadable, are removed after the commit. A crash anywhere leaves either the whole recording
(nothing committed) or no readable trace of it plus a tombstone saying which blobs to remove;
the next sweep removes them. Nobody ever sees a half-deleted recording.
"""

import logging
import uuid
from collections.abc import Callable
from datetime import datetime

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from classvault.audit.actions import AuditAction
from classvault.audit.services import audit_record
from classvault.core.exceptions import Conflict, Forbidden
from classvault.people.models import User
from classvault.recordings.models import Recording
from classvault.sharing.selectors import is_custodian
from classvault.vault.services import data_key_destroy, vault_object_purge

from ..models import LegalHold, Tombstone, TombstonePupil, TombstoneReason
from ..selectors import held
from .expiry import retention_keys_close, retention_keys_sync
from .reminders import reminders_send

log = logging.getLogger(__name__)

BATCH_SIZE = 100


def recording_destroy(
    *, recording_id: uuid.UUID | str, actor: User | None, reason: str, now: datetime
) -> bool:
    """Delete one recording for good; True if this call deleted it.

    DANGEROUS: nothing of the recording can be recovered afterwards, from this system or
    from any backup of its database and blobs (docs/retention.md). The order, all in one
    transaction with the recording's row locked: (1) its data keys are destroyed, (2) its
    tombstone and its one ``recording.delete`` audit event are written, (3) its rows go:
    released legal holds, then the recording with everything that cascades from it
    (presences, shares, comments, screenings, reminders). (4) After the commit its blobs,
    noise since (1), are removed; a crash before that is finished by the next sweep.

    ``reason`` "expired" (the sweep) deletes only when the expiry has come and skips a
    recording under legal hold; "deleted" (by hand) refuses under legal hold with 409.
    """
    expired = reason == TombstoneReason.EXPIRED
    with transaction.atomic():
        recording = Recording.objects.select_for_update().filter(pk=recording_id).first()
        if recording is None or (expired and recording.expires_at > now):
            return False
        if LegalHold.objects.filter(recording=recording, released_at__isnull=True).exists():
            if expired:
                return False
            raise Conflict(
                _(
                    "This recording is under legal hold and cannot be deleted. "
                    "The privacy officer can tell you more."
                )
            )
        object_id = str(recording.pk)
        data_key_destroy(object_id=object_id, now=now, actor=actor)
        tombstone = Tombstone.objects.create(
            recording_id=recording.pk,
            reason=reason,
            expires_at=recording.expires_at,
            deleted_at=now,
            recorded_at=recording.recorded_at,
            owner=recording.owner.get_username(),
            school=recording.school.code,
        )
        TombstonePupil.objects.bulk_create(
            TombstonePupil(tombstone=tombstone, pupil_id=pk)
            for pk in recording.presences.filter(attested_out_of_view=False).values_list(
                "pupil_id", flat=True
            )
        )
        audit_record(
            actor=actor,
            action=AuditAction.RECORDING_DELETE,
            obj=recording,
            now=now,
            purpose="retention" if expired else "",
            data={"reason": reason, "expires_at": recording.expires_at.isoformat()},
        )
        LegalHold.objects.filter(recording=recording).delete()
        Recording.objects.filter(pk=recording.pk).delete()
        transaction.on_commit(lambda: _finish_quietly(recording.pk, now))
    return True


@transaction.atomic
def recording_delete(*, actor: User, recording: Recording, now: datetime) -> None:
    """Delete by hand (owner or custodian supervisor); 409 under legal hold.

    DANGEROUS: the same code as the sweep (:func:`recording_destroy`, which says in which
    order it acts): keys first, then the rows in one transaction with one audit event, the
    blobs after commit (and by the next sweep if that is interrupted).
    """
    if not is_custodian(actor=actor, recording=recording):
        raise Forbidden(_("Only the student teacher or their supervisor may delete this."))
    recording_destroy(
        recording_id=recording.pk, actor=actor, reason=TombstoneReason.DELETED, now=now
    )


def _finish(recording_id: uuid.UUID, now: datetime) -> None:
    """Remove what a deletion leaves after its commit: blobs, and keys written too late.

    DANGEROUS only in name: everything it touches is unreadable already. The vault purges the
    object (keys first: a writer that raced the deletion; then unfinished uploads and blobs),
    then the tombstone is marked done. Idempotent.
    """
    vault_object_purge(object_id=str(recording_id), now=now)
    with transaction.atomic():
        Tombstone.objects.filter(pk=recording_id, blobs_cleared_at__isnull=True).update(
            blobs_cleared_at=now
        )


def _finish_quietly(recording_id: uuid.UUID, now: datetime) -> None:
    try:
        _finish(recording_id, now)
    except Exception:
        # The recording is gone and unreadable already; only space is left to free.
        log.exception(
            "Removing the blobs of deleted recording %s failed; the next sweep tries again.",
            recording_id,
        )


def tombstones_finish(*, now: datetime) -> int:
    """Finish every deletion whose blobs are not removed yet; return how many were finished."""
    finished = 0
    for pk in list(
        Tombstone.objects.filter(blobs_cleared_at__isnull=True)
        .order_by("deleted_at")
        .values_list("pk", flat=True)
    ):
        try:
            _finish(pk, now)
        except Exception:
            log.exception("Removing the blobs of deleted recording %s failed again.", pk)
        else:
            finished += 1
    return finished


def retention_sweep(
    *, now: datetime, batch_size: int = BATCH_SIZE, on_deleted: Callable[[str], None] | None = None
) -> list[str]:
    """Apply retention as of ``now``: delete every expired recording not under legal hold.

    DANGEROUS: it deletes recordings for good, many at once. In this order: first finish
    what an interrupted sweep left (blobs of tombstoned recordings); then each expired
    recording in its own transaction (:func:`recording_destroy`: keys, tombstone and event,
    rows; blobs after commit), oldest expiry first, in batches; then retention keys are
    synced and every key nobody needs any more is destroyed. Kill it at any point and run it
    again: it finishes the job, and a second run finds nothing to do. A recording whose
    deletion fails is logged and left for the next run; the others go on.

    Returns the ids deleted by this run; ``on_deleted`` is told each one after its commit.
    """
    tombstones_finish(now=now)
    deleted: list[str] = []
    expired = Recording.objects.filter(expires_at__lte=now).exclude(held())
    after: Q | None = None  # keyset pagination: skipped and failed ones are not seen twice
    while True:
        page = expired.filter(after) if after is not None else expired
        batch = list(page.order_by("expires_at", "pk").values_list("expires_at", "pk")[:batch_size])
        if not batch:
            break
        last_expiry, last_pk = batch[-1]
        after = Q(expires_at__gt=last_expiry) | Q(expires_at=last_expiry, pk__gt=last_pk)
        for _expiry, pk in batch:
            try:
                done = recording_destroy(
                    recording_id=pk, actor=None, reason=TombstoneReason.EXPIRED, now=now
                )
            except Exception:
                log.exception(
                    "Deleting expired recording %s failed; the next sweep tries again.", pk
                )
                continue
            if done:
                deleted.append(str(pk))
                if on_deleted is not None:
                    on_deleted(str(pk))
    retention_keys_sync(now=now)
    retention_keys_close(now=now)
    return deleted


def retention_run(*, now: datetime) -> tuple[list[str], int]:
    """One run of the retention schedule: the sweep, then the deadline reminders."""
    deleted = retention_sweep(now=now)
    return deleted, reminders_send(now=now)
