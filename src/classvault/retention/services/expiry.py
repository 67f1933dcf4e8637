"""Expiry and retention keys: which key wraps a recording's data keys, and moving them.

A recording's data keys live under the retention key of its expiry day (``d-YYYYMMDD``), so
that key can be destroyed right after that day and every database backup then holds noise
for it. Two exceptions use the recording's own key (``o-<id>``): while its expiry is not known
yet (the original is encrypted before the recording row exists) and while it is under legal
hold (so a hold keeps no other recording's day key alive).
"""

import logging
import uuid
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import transaction

from classvault.audit.actions import AuditAction
from classvault.audit.services import audit_record
from classvault.people.models import Enrolment, User
from classvault.recordings.models import Recording, RecordingStatus
from classvault.recordings.rules import expiry_for
from classvault.vault.exceptions import ObjectRetired
from classvault.vault.selectors import retention_keys_live, vault_objects_on_own_or_master_key
from classvault.vault.services import (
    data_keys_rewrap,
    is_object_retention_key,
    object_retention_key,
    retention_key_destroy,
    retention_key_files_reshred,
)

from ..models import Tombstone
from ..rules import day_retention_key_end
from ..selectors import recording_desired_retention_key

log = logging.getLogger(__name__)


def _recording_pk(object_id: str) -> uuid.UUID | None:
    """The recording id a vault object id stands for, if it is one (canonical UUID text)."""
    try:
        pk = uuid.UUID(object_id)
    except ValueError:
        return None
    return pk if str(pk) == object_id else None


def retention_key_for_recording(*, object_id: str, now: datetime) -> str | None:
    """The vault's retention key policy: which retention key a new data key of ``object_id``
    gets.

    Runs inside the transaction that stores the key. The recording row is locked, so a
    deletion running at the same moment either sees the new key (and destroys it) or has
    committed its tombstone, and then the key is refused (:class:`ObjectRetired`). Objects
    that are not recordings get None: the master key wraps them.
    """
    pk = _recording_pk(object_id)
    if pk is None:
        return None
    recording = Recording.objects.select_for_update().filter(pk=pk).only("pk", "expires_at").first()
    if recording is not None:
        return recording_desired_retention_key(recording=recording)
    if Tombstone.objects.filter(pk=pk).exists():
        raise ObjectRetired(f"Recording {object_id} was deleted; nothing is stored for it.")
    # An upload being encrypted before its recording exists: its own key until it has one.
    return object_retention_key(object_id)


def recording_retention_key_apply(
    *, recording: Recording, now: datetime, actor: User | None = None
) -> int:
    """Move the recording's live data keys under the retention key they belong under now.

    Call with the recording row locked, inside the transaction that changed its expiry or
    hold. Returns how many keys moved.
    """
    return data_keys_rewrap(
        object_id=str(recording.pk),
        retention_key=recording_desired_retention_key(recording=recording),
        now=now,
        actor=actor,
    )


def recordings_expiry_recompute(
    *, owner: User, study_end: date | None, actor: User | None, now: datetime
) -> list[Recording]:
    """Recompute ``expires_at`` of every recording of ``owner`` for a new study end.

    Called through the enrolment hook, inside ``enrolment_set``'s transaction. An earlier
    study end moves expiries forward (one already past is deleted by the next sweep); a
    later one moves them back, but never beyond the retention period after recording. An
    expiry that has come (``<= now``) is final: the recording is gone for everyone from that
    instant on, and a later study end must not bring it back before the sweep deletes it.
    Each changed recording gets one ``recording.expiry_change`` event, and its keys move to
    their new day's key.
    """
    months = settings.CLASSVAULT_RETENTION_MONTHS
    changed = []
    with transaction.atomic():
        recordings = Recording.objects.select_for_update().filter(owner=owner).order_by("pk")
        for recording in recordings:
            if recording.expires_at <= now:
                continue  # expired: final
            expires_at = expiry_for(
                recorded_at=recording.recorded_at, study_end=study_end, months=months
            )
            if expires_at == recording.expires_at:
                continue
            before = recording.expires_at
            Recording.objects.filter(pk=recording.pk).update(expires_at=expires_at)
            recording.expires_at = expires_at
            recording_retention_key_apply(recording=recording, now=now, actor=actor)
            changed.append((recording, before))
        # The audit events last, once every key moved: the audit head is the last lock a
        # transaction takes (audit_record).
        for recording, before in changed:
            audit_record(
                actor=actor,
                action=AuditAction.RECORDING_EXPIRY_CHANGE,
                obj=recording,
                now=now,
                purpose="retention",
                data={
                    "from": before.isoformat(),
                    "to": recording.expires_at.isoformat(),
                    "study_end": study_end.isoformat() if study_end else None,
                },
            )
    return [recording for recording, _before in changed]


def recordings_expiry_follow_enrolment(
    *, enrolment: Enrolment, actor: User | None, now: datetime
) -> None:
    """The people.enrolment_changed hook: expiries follow the study end (R9)."""
    recordings_expiry_recompute(
        owner=enrolment.student_teacher, study_end=enrolment.study_end, actor=actor, now=now
    )


def retention_keys_sync(*, now: datetime) -> int:
    """Move keys still waiting under a recording's own key (or, from before retention keys,
    under the bare master key) to the key of the recording's expiry day.

    That is the original of every new upload, encrypted before its recording existed. Waits
    while the recording is processing (the transcoder reads the original). Returns how many
    keys moved.
    """
    waiting = vault_objects_on_own_or_master_key()
    ids = {pk for pk in (_recording_pk(object_id) for object_id in waiting) if pk}
    moved = 0
    for pk in sorted(
        Recording.objects.filter(pk__in=ids)
        .exclude(status=RecordingStatus.PROCESSING)
        .values_list("pk", flat=True)
    ):
        try:
            with transaction.atomic():
                recording = Recording.objects.select_for_update().filter(pk=pk).first()
                if recording is not None:
                    moved += recording_retention_key_apply(recording=recording, now=now)
        except Exception:
            log.exception(
                "Moving the keys of recording %s to their day's retention key "
                "failed; the next run tries again.",
                pk,
            )
    return moved


def retention_keys_close(*, now: datetime) -> int:
    """Destroy every retention key of ours that no live data key needs; return how many.

    DANGEROUS: a destroyed retention key makes every data key wrapped under it noise, in
    the live database and in every backup of it. Deleting and moving keys already destroys
    a key that became unused, in the same transaction; this is the safety net behind that
    (``retention_key_destroy`` checks under the key's lock that nothing live needs it). Then the
    files of keys already recorded as destroyed are removed again (a crash between commit and
    file removal, or a folder restored from a copy). Safe to run any time, as often as wanted.
    """
    destroyed = 0
    for label in retention_keys_live():
        end = day_retention_key_end(label)
        if end is None and not is_object_retention_key(label):
            continue  # not a label of ours
        if retention_key_destroy(label=label, now=now):
            destroyed += 1
        elif end is not None and end <= now - timedelta(days=1):
            log.warning(
                "Retention key %s outlives its day: a recording under it was not "
                "deleted. Check the sweep's errors.",
                label,
            )
    retention_key_files_reshred()
    return destroyed
