"""Recordings stored through the real vault (no media work), and sweeping the way production
does: every deferred step (blob removal, key file removal) runs after its commit."""

import uuid
from datetime import datetime

from django.conf import settings
from django.test import TestCase

from classvault.recordings.models import Recording, RecordingStatus
from classvault.recordings.rules import expiry_for
from classvault.retention.services import retention_sweep
from classvault.vault.models import DataKey, Purpose
from classvault.vault.selectors import vault_open
from classvault.vault.services import vault_store

ORIGINAL = b"a lesson on fractions, with pizza " * 8


def store_recording(owner, *, recorded_at: datetime, now: datetime | None = None,
                    title: str = "Rekenles", status: str = RecordingStatus.READY) -> Recording:
    """A recording the way an upload leaves it: the original is encrypted before the row
    exists (so it waits under the recording's own retention key), rendition and poster after."""
    enrolment = owner.enrolment
    now = now or recorded_at
    recording_id = str(uuid.uuid4())
    vault_store(object_id=recording_id, purpose=Purpose.ORIGINAL, chunks=[ORIGINAL], now=now)
    recording = Recording.objects.create(
        id=recording_id, owner=owner, school=enrolment.school, title=title,
        recorded_at=recorded_at, created_at=now, status=status,
        expires_at=expiry_for(recorded_at=recorded_at, study_end=enrolment.study_end,
                              months=settings.CLASSVAULT_RETENTION_MONTHS),
    )
    for purpose in (Purpose.RENDITION, Purpose.POSTER):
        vault_store(object_id=recording_id, purpose=purpose, chunks=[purpose.encode() * 40],
                    now=now)
    return Recording.objects.select_related("owner").get(pk=recording.pk)


def sweep(now: datetime, **kwargs) -> list[str]:
    with TestCase.captureOnCommitCallbacks(execute=True):
        return retention_sweep(now=now, **kwargs)


def plaintext(recording_id, purpose: str = Purpose.ORIGINAL) -> bytes:
    with vault_open(object_id=str(recording_id), purpose=purpose) as reader:
        return b"".join(reader.iter_all())


def epochs_of(recording_id) -> set[str]:
    return set(DataKey.objects.filter(object_id=str(recording_id), destroyed_at__isnull=True)
               .values_list("retention_key", flat=True))


def blob_files(home) -> list:
    return sorted(p for p in (home / "blobs").rglob("*") if p.is_file())


def key_files(home) -> list[str]:
    return sorted(p.name for p in (home / "retention-keys").glob("*.key"))
