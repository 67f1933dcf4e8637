"""Deleting recordings for good: by hand, and by the sweep when their retention is over (R9).

The design (docs/retention.md): one transaction per deletion by hand, and one per batch of
expired recordings for the sweep (set-based: a fixed number of queries per batch), destroys
the data keys, writes the tombstones and one ``recording.delete`` event per recording, and
deletes the rows; the blobs, already unreadable, are removed after the commit. A crash
anywhere leaves either the whole recording (nothing committed) or no readable trace of it
plus a tombstone saying which blobs to remove; the next sweep removes them. Nobody ever sees
a half-deleted recording.
"""

import logging
import uuid
from collections.abc import Callable
from datetime import datetime

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from classvault.audit.actions import AuditAction
from classvault.audit.services import AuditEntry, audit_record, audit_record_many
from classvault.core.exceptions import Conflict, Forbidden
from classvault.people.models import User
from classvault.recordings.models import Recording, RecordingPupil
from classvault.sharing.selectors import is_custodian
from classvault.vault.services import (
    data_key_destroy,
    data_keys_destroy,
    vault_object_purge,
    vault_objects_purge,
)

from ..models import LegalHold, Tombstone, TombstonePupil, TombstoneReason
from ..selectors import held
from .expiry import retention_keys_close, retention_keys_sync
from .reminders import reminders_send

log = logging.getLogger(__name__)

BATCH_SIZE = 200


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


def recordings_destroy_expired(*, recording_ids: list[uuid.UUID], now: datetime) -> list[uuid.UUID]:
    """Delete a batch of expired recordings for good, set-based; return the ids deleted.

    DANGEROUS: what :func:`recording_destroy` does for one expired recording, for up to a
    batch of them in ONE transaction, with a handful of queries per batch instead of a few
    dozen per recording. The order is the same: with the recordings' rows locked (only those
    still expired and not under legal hold; the others are left alone), (1) all their data
    keys are destroyed (``data_keys_destroy``: one ``vault.key_destroy`` event per recording
    that had keys, and every retention key that lost its last live data key), (2) their
    tombstones (with the pupils present) and one ``recording.delete`` event per recording are
    written in bulk, the audit events appended in one go (the head the last lock), (3) their
    rows go: released legal holds, then the recordings with everything that cascades. All of
    it commits together or not at all: a kill mid-batch leaves the whole batch untouched for
    the next sweep. (4) After the commit their blobs, noise since (1), are removed.
    """
    with transaction.atomic():
        recordings = list(
            Recording.objects.select_for_update(of=("self",))
            .filter(pk__in=recording_ids, expires_at__lte=now)
            .exclude(held())
            .select_related("owner", "school")
            .order_by("expires_at", "pk")
        )
        # Read again under the locks: a hold placed while the rows were being locked counts.
        held_now = set(
            LegalHold.objects.filter(
                recording_id__in=[r.pk for r in recordings], released_at__isnull=True
            ).values_list("recording_id", flat=True)
        )
        recordings = [r for r in recordings if r.pk not in held_now]
        if not recordings:
            return []
        pks = [r.pk for r in recordings]
        data_keys_destroy(object_ids=[str(pk) for pk in pks], now=now, actor=None)
        Tombstone.objects.bulk_create(
            Tombstone(
                recording_id=r.pk,
                reason=TombstoneReason.EXPIRED,
                expires_at=r.expires_at,
                deleted_at=now,
                recorded_at=r.recorded_at,
                owner=r.owner.get_username(),
                school=r.school.code,
            )
            for r in recordings
        )
        TombstonePupil.objects.bulk_create(
            TombstonePupil(tombstone_id=recording_id, pupil_id=pupil_id)
            for recording_id, pupil_id in RecordingPupil.objects.filter(
                recording_id__in=pks, attested_out_of_view=False
            )
            .order_by("recording_id", "pupil_id")
            .values_list("recording_id", "pupil_id")
            .distinct()
        )
        audit_record_many(
            actor=None,
            now=now,
            entries=[
                AuditEntry(
                    action=AuditAction.RECORDING_DELETE,
                    object_type=Recording._meta.model_name,
                    object_id=str(r.pk),
                    purpose="retention",
                    data={
                        "reason": TombstoneReason.EXPIRED,
                        "expires_at": r.expires_at.isoformat(),
                    },
                )
                for r in recordings
            ],
        )
        LegalHold.objects.filter(recording_id__in=pks).delete()
        Recording.objects.filter(pk__in=pks).delete()
        transaction.on_commit(lambda: _finish_many_quietly(pks, now))
    return pks


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


def _finish_many(recording_ids: list[uuid.UUID], now: datetime) -> None:
    """:func:`_finish` for a batch: keys in one transaction, blobs one object after the other,
    the tombstones of those whose blobs went marked done in one UPDATE. A failing removal
    leaves its tombstone open for the next sweep and does not stop the others."""
    failed = vault_objects_purge(object_ids=[str(pk) for pk in recording_ids], now=now)
    for object_id, exc in failed.items():
        log.error(
            "Removing the blobs of deleted recording %s failed; the next sweep tries again.",
            object_id,
            exc_info=exc,
        )
    done = [pk for pk in recording_ids if str(pk) not in failed]
    with transaction.atomic():
        Tombstone.objects.filter(pk__in=done, blobs_cleared_at__isnull=True).update(
            blobs_cleared_at=now
        )


def _finish_many_quietly(recording_ids: list[uuid.UUID], now: datetime) -> None:
    try:
        _finish_many(recording_ids, now)
    except Exception:
        # The recordings are gone and unreadable already; only space is left to free.
        log.exception(
            "Removing the blobs of %d deleted recordings failed; the next sweep tries again.",
            len(recording_ids),
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


def _destroy_one_by_one(pks: list[uuid.UUID], now: datetime) -> list[uuid.UUID]:
    done = []
    for pk in pks:
        try:
            if recording_destroy(
                recording_id=pk, actor=None, reason=TombstoneReason.EXPIRED, now=now
            ):
                done.append(pk)
        except Exception:
            log.exception("Deleting expired recording %s failed; the next sweep tries again.", pk)
    return done


def retention_sweep(
    *, now: datetime, batch_size: int = BATCH_SIZE, on_deleted: Callable[[str], None] | None = None
) -> list[str]:
    """Apply retention as of ``now``: delete every expired recording not under legal hold.

    DANGEROUS: it deletes recordings for good, many at once. In this order: first finish
    what an interrupted sweep left (blobs of tombstoned recordings); then the expired
    recordings, oldest expiry first, a batch of ``batch_size`` per transaction
    (:func:`recordings_destroy_expired`: keys, tombstones and events, rows; blobs after
    commit); then retention keys are synced and every key nobody needs any more is destroyed.
    Kill it at any point and run it again: it finishes the job (a batch commits whole or not
    at all), and a second run finds nothing to do. A batch that fails is redone one recording
    per transaction (:func:`recording_destroy`): a recording whose deletion fails is logged
    and left for the next run; the others go on.

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
        pks = [pk for _expiry, pk in batch]
        try:
            done_pks = recordings_destroy_expired(recording_ids=pks, now=now)
        except Exception:
            # One recording spoils the batch: redo it one recording per transaction, so
            # the others go and only the failing one waits for the next run.
            log.exception("Deleting a batch of expired recordings failed; one by one instead.")
            done_pks = _destroy_one_by_one(pks, now)
        for pk in done_pks:
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
